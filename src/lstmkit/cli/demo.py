"""``lstmkit demo``: the main job on a bundled dataset, with its defaults."""

from __future__ import annotations

import argparse

EXAMPLE = """\
example:
  lstmkit demo                      # forecasts airpassengers 12 months ahead into runs/demo
  lstmkit demo --output /tmp/demo"""


def run(args: argparse.Namespace) -> int:
    from lstmkit.cli import main

    argv = ["forecast", "airpassengers", "--horizon", "12", "--output", args.output]
    if args.quiet:
        argv.append("--quiet")
    code = main(argv)
    if code == 0:
        print(f"demo done: open {args.output}/forecast.png; the forecast is {args.output}/forecast.csv")
    return code


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="forecast the bundled airpassengers series (about 10 s)",
        description="Run 'lstmkit forecast airpassengers --horizon 12' into an output folder.",
        epilog=EXAMPLE,
    )
    parser.add_argument(
        "--output", default="runs/demo", metavar="DIR", help="output folder (default runs/demo)"
    )
    parser.add_argument("--quiet", action="store_true", help="no tables")
    parser.set_defaults(func=run)
