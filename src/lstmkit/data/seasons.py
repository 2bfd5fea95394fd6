"""The season of a series: the usual length for its frequency (12 for months, 7 for days, 24 for hours...),
and the season a model uses, dropped with a one-line note where the data are too short to show it.
"""

from __future__ import annotations

import logging
import re

from lstmkit.errors import DataError

log = logging.getLogger("lstmkit.data.tabular")

# Frequency prefix (pandas offset alias) -> season length used when --season is not given.
SEASON_BY_FREQ = {
    "M": 12,
    "MS": 12,
    "ME": 12,
    "Q": 4,
    "QS": 4,
    "QE": 4,
    "W": 52,
    "D": 7,
    "B": 5,
    "h": 24,
    "H": 24,
}
# sub-daily steps get a daily season up to 5-minute data; finer data none (1440 minutes)
MAX_DAILY_SEASON = 288
_WARNED: set = set()  # (file, season, length...): each note once per file, not once per model trained


def season_from_freq(freq: str | None, kind: str | None) -> int:
    """The usual season length for a frequency (1 when there is none)."""
    if kind == "month":
        return 12
    if kind == "quarter":
        return 4
    if kind == "year" or freq is None:  # a step counter has a frequency only as R's weeks or days
        return 1
    match = re.fullmatch(r"(\d*)([A-Za-z]+)(-\w+)?", freq)
    if not match:
        return 1
    mult, base = int(match.group(1) or 1), match.group(2)
    minutes = {"min": 1, "T": 1, "h": 60, "H": 60}.get(base, 0) * mult
    if minutes > 1 and 24 * 60 % minutes == 0 and 24 * 60 // minutes <= MAX_DAILY_SEASON:
        # a daily cycle: 96 quarter hours, 48 half hours, 24 hours, 8 three-hour steps
        return 24 * 60 // minutes
    months = mult * {"M": 1, "MS": 1, "ME": 1, "Q": 3, "QS": 3, "QE": 3}.get(base, 0)
    if 1 < months < 12 and 12 % months == 0:  # half years (2QS, 6MS): 2; two-month steps: 6
        return 12 // months
    if mult != 1:
        return 1
    return SEASON_BY_FREQ.get(base, 1)


def choose_season(data, season: int | None, *, horizon: int) -> int:
    """The season to use: ``season`` when given, else inferred from the frequency.

    A season the data are too short to show once plus the horizon (given) or twice (inferred) is
    dropped (season 1) with a one-line note: the classical methods still forecast such series,
    without a season. Of several series the median length decides, as the season is the
    frequency's (StatsForecast and R's forecast give every series of a frequency its season):
    one short series among long ones does not take the season from all of them.
    """
    n = data.median_length
    which = "shortest" if n == data.min_length else "median"
    if season is not None:
        if season < 1:
            raise DataError(f"--season must be a positive integer, got {season}")
        if season > 1 and n < season + horizon:
            if (data.source, season, n, horizon) not in _WARNED:
                _WARNED.add((data.source, season, n, horizon))
                log.warning(
                    "note: --season %d needs at least %d points per series (a season plus the horizon %d); "
                    "the %s series has %d: forecasting without a season",
                    season,
                    season + horizon,
                    horizon,
                    which,
                    n,
                )
            return 1
        if season > 1 and n < 2 * season + horizon and (data.source, season, n) not in _WARNED:
            # short: kept, with shorter windows and more weight on the references
            _WARNED.add((data.source, season, n))
            log.warning(
                "note: the %s series has %d points, fewer than two seasons of %d plus the horizon %d: a short "
                "history to learn the season from; the classical references carry more of the forecast",
                which,
                n,
                season,
                horizon,
            )
        return season
    inferred = season_from_freq(data.freq, data.time_kind)
    if inferred > 1 and n < 2 * inferred + horizon:
        if (data.source, inferred, n) not in _WARNED:  # once per file and length, not once per model trained
            _WARNED.add((data.source, inferred, n))
            log.warning(
                "series too short to learn a season of %d: two seasons plus the horizon %d need %d points, the %s "
                "series has %d; treating it as non-seasonal",
                inferred,
                horizon,
                2 * inferred + horizon,
                which,
                n,
            )
        return 1
    return inferred
