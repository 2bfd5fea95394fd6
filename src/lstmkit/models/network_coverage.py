"""Which series the forecaster's network forecasts; the classical members alone forecast the others.

A combined model's network reads windows of ``window`` points, and where it removes a long season
(:mod:`lstmkit.models.forecast_seasons`) the two cycles that season is estimated from: a shorter series is
left to the classical references, named in one note, given no network weight and no network-alone score.
Its lookbacks are chosen for the shortest series it can learn from, so one short series does not shrink
the network's windows for all the others.
"""

from __future__ import annotations

import logging

from lstmkit.data.preprocess import min_network_points
from lstmkit.data.tabular import SeriesData
from lstmkit.logs import few
from lstmkit.models.forecast_seasons import min_points

log = logging.getLogger(__name__)


def network_length(lengths: list[int], *, horizon: int, combined: bool) -> int:
    """The series length the network's lookbacks are chosen for: the shortest series, or with a combination,
    the shortest the network can learn from (a shorter series is forecast by the classical references alone)."""
    if not combined:
        return min(lengths)
    usable = [n for n in lengths if n >= min_network_points(horizon)]
    return min(usable) if usable else min(lengths)


def points_read(window: int, adjusted_season: int | None) -> int:
    """The shortest series the network forecasts: its ``window``, and where it removes a season
    (``adjusted_season``), the two cycles that season is estimated from."""
    return window if adjusted_season is None else max(window, min_points(adjusted_season))


def network_reads(window: int, adjusted_season: int | None) -> str:
    """What a series shorter than :func:`points_read` falls short of, as the notes say it."""
    need = points_read(window, adjusted_season)
    if need == window:
        return f"the network's lookback of {window}"
    return f"the {need} points the network's seasonal adjustment needs (two seasons of {adjusted_season}, and one)"


def note_classical_only(data: SeriesData, window: int, *, adjusted_season: int | None = None) -> None:
    """One note naming the series the network does not forecast (the references alone do; a file of one series:
    by its column): shorter than its ``window``, or with ``adjusted_season`` (the season it removes), than the
    two cycles that season is estimated from."""
    need = points_read(window, adjusted_season)
    short = [s for s in data.series if len(s.target) < need]
    if short:
        log.warning(
            "note: the classical references alone forecast %d series shorter than %s: %s",
            len(short),
            network_reads(window, adjusted_season),
            few(f"{s.id if s.id is not None else data.target} ({len(s.target)})" for s in short),
        )


__all__ = ["network_length", "network_reads", "note_classical_only", "points_read"]
