"""``python -m lstmkit`` runs the command line."""

from lstmkit.cli import console

console()
