"""Figures and the HTML report; matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def missing_glyphs_quiet() -> Iterator[None]:
    """Draw labels the font lacks (CJK class names, emoji in a text) as boxes, without matplotlib's
    'Glyph ... missing from font' warning on the user's terminal."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        yield
