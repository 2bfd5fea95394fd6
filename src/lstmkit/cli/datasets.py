"""``lstmkit datasets``: list the bundled datasets."""

from __future__ import annotations

import argparse

EXAMPLE = """\
example:
  lstmkit datasets
  lstmkit forecast airpassengers --horizon 12"""


def run(args: argparse.Namespace) -> int:
    from lstmkit.data.datasets import REGISTRY

    width = max(len(name) for name in REGISTRY)
    for name, entry in REGISTRY.items():
        print(f"{name:{width}s}  {entry.task:9s} {entry.description}")
        if entry.example:
            print(f"{'':{width}s}  {'':9s} e.g. {entry.example}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "datasets",
        help="list the bundled datasets",
        description="List the datasets shipped with lstmkit; use a name wherever DATA is asked for.",
        epilog=EXAMPLE,
    )
    parser.set_defaults(func=run)
