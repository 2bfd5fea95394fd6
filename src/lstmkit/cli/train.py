"""``lstmkit train``: fit a forecaster on all of DATA and write the model folder and training files only."""

from __future__ import annotations

import argparse

from lstmkit.cli.common import join_torchrun, show_progress
from lstmkit.cli.forecast import (
    READING_RULES,
    add_forecast_args,
    build_config,
    check_resumable,
    output_dir,
    train_model,
)
from lstmkit.cli.output_folder import claim_output, discard_checkpoints
from lstmkit.logs import counted, held_back

COMMAND = "lstmkit train"  # recorded in its checkpoints: 'lstmkit forecast' refuses to resume them

EXAMPLE = (
    """\
example:
  lstmkit train airpassengers --horizon 12 --output runs/air-model
  lstmkit predict --model runs/air-model airpassengers --output forecast.csv

writes DIR/model.safetensors, DIR/config.json, DIR/history.csv and DIR/loss.png.

data-parallel on 2 processes (the global --batch-size is split across them; rank 0 writes):
  torchrun --nproc-per-node 2 -m lstmkit train airpassengers --horizon 12 --output runs/air-ddp

"""
    + READING_RULES
)


def run(args: argparse.Namespace) -> int:
    from lstmkit.io import staged_folder
    from lstmkit.models.forecaster import LSTMForecaster
    from lstmkit.plots.forecast import plot_loss

    cfg = build_config(args)
    out = output_dir(args, model_dir="", command=COMMAND)
    if args.resume:
        check_resumable(out, stages=("final",))
    with held_back():  # a refused file shows its error line alone
        data = LSTMForecaster(cfg.model.horizon, config=cfg).read(args.data)
    writer = join_torchrun(cfg.trainer.device)  # under torchrun: data-parallel, rank 0 writes
    claim_output(args, out)
    model = train_model(
        cfg, data, out, progress=show_progress(args), resume=args.resume, stage="final", command=COMMAND
    )
    if not writer:
        return 0
    with staged_folder(out, owned=["report.html"]) as stage:  # made first, then moved into DIR
        model.save(stage)
        model.history.to_csv(stage / "history.csv")
        plot_loss(model.history.rows, stage / "loss.png")
        if not getattr(args, "no_report", False):  # report.html (lstmkit.plots.report_forecast)
            from lstmkit.plots.report_forecast import forecast_report

            forecast_report(
                stage / "report.html",
                model=model,
                data=data,
                argv=getattr(args, "argv", None),
                title="Training",
            )
    discard_checkpoints(out)
    if not args.quiet:
        rows = model.history.rows
        print(
            f"trained {counted(len(rows), 'epoch')} (best {model.history.best_epoch}); model written to {out}"
        )
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a forecaster and save it (no forecast)",
        description="Train an LSTM forecaster on all of DATA and write the model folder, history.csv and loss.png.",
        epilog=EXAMPLE,
    )
    add_forecast_args(parser)
    parser.set_defaults(func=run)
