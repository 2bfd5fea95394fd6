"""``lstmkit export``: a model folder as an ONNX graph that onnxruntime runs."""

from __future__ import annotations

import argparse
import sys

EXAMPLE = """\
example:
  lstmkit forecast airpassengers --horizon 12 --output runs/air
  lstmkit export --model runs/air/model --format onnx --output air.onnx

A forecaster's graph takes 'history' (batch, time >= lookback, 1) in the data's own units and
returns 'forecast' (batch, horizon), then 'quantiles' (batch, horizon, Q) when it has them.
A classifier's graph takes 'sequences' (batch, time, features), shorter sequences padded at the
end with NaN, and returns 'scores' (batch, classes), probabilities in the order of config.json's
"classes"."""


def run(args: argparse.Namespace) -> int:
    from lstmkit.io.onnx_export import export_model_dir

    path = export_model_dir(args.model, args.output)
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
