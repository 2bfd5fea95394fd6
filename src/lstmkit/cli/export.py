"""``lstmkit export``: a model folder as an ONNX graph that onnxruntime runs."""

from __future__ import annotations

import argparse
import sys

from lstmkit.errors import ConfigError

EXAMPLE = """\
example:
  lstmkit forecast airpassengers --horizon 12 --output runs/air
  lstmkit export --model runs/air/model --format onnx --output air.onnx

A forecaster's graph takes 'history' (batch, time >= lookback, 1) in the data's own units and
returns 'forecast' (batch, horizon), then 'quantiles' (batch, horizon, Q) when it has them.
The default forecaster also weighs in classical forecasts, which a graph cannot refit: for one
series it carries them from the end of the training data (that history gives predict's forecast,
any other the network's); for several series or covariates it takes 'references' and 'weights'
(LSTMForecaster.onnx_inputs computes them).
A classifier's graph takes 'sequences' (batch, time, features), shorter sequences padded at the
end with NaN (a long CSV's feature columns in the order of config.json's "feature_names"), and
returns 'scores' (batch, classes), probabilities in the order of config.json's "classes".
Text models (language models, text classifiers) are not exported."""


ONNX_TASKS = ("forecast", "classify")  # the jobs with a to_onnx


def _accept(model_dir: str):
    def check(task: object) -> None:
        if task not in ONNX_TASKS:
            raise ConfigError(
                f"ONNX export covers forecasters and sequence classifiers; {model_dir} holds a {task!r} model"
            )

    return check


def run(args: argparse.Namespace) -> int:
    from lstmkit.models.registry import load_model

    path = load_model(args.model, accept=_accept(args.model)).to_onnx(args.output)
    print(f"ONNX model written to {path}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a model folder to ONNX",
        description="Export a forecaster or sequence classifier to ONNX, preprocessing included.",
        epilog=EXAMPLE,
    )
    parser.add_argument("--model", required=True, metavar="DIR", help="model folder")
    parser.add_argument("--format", choices=("onnx",), default="onnx", help="export format (onnx)")
    parser.add_argument("--output", required=True, metavar="FILE.onnx", help="where to write the graph")
    parser.set_defaults(func=run)
