"""Times written with a UTC offset, ``Z`` or `` UTC``: ISO times (``2020-01-01T00:00:00+01:00``, ``...Z``,
``2020-01-01 00:00:00 UTC`` as R prints them) and the other layouts with one after their clock
(``13/02/2020 00:00:00Z``, ``13-02-2020T00:00:00+01:00``, ``05-Jan-2020 13:00 +05:30``), and 12-hour clocks
with one, spaced or not (``01/05/2020 11:30 PM Z``, ``2020-01-05 12:00 AMZ``), whose dates are read
as :mod:`lstmkit.data.dates` reads them without it (day or month first by the same rule). One offset
throughout is kept: the clock times as written, future times written in the same layout with the same
offset, as the first cell writes it (a file that writes UTC both ``Z`` and ``+00:00`` has one offset).

Several offsets (daylight saving) are read in UTC, so the series keeps its regular step in absolute time, with
one warning. Where a time zone's offset at each row's instant is the row's written offset, future times are
written in that zone: the local clock with each future instant's offset, as the export wrote them
(``2021-04-04T02:00:00+10:00`` after ``2021-04-04T02:30:00+11:00`` in Melbourne, as the clocks go back), and
the time format names the zone after the offset (``%Y-%m-%dT%H:%M:%S+00:00[Australia/Sydney]``, as RFC 9557
writes a zone), so that a model folder writes the same offsets for a file whose offsets do not tell its zone.

The zones tried are the time zone database's canonical ones (``zone1970.tab``: one per region whose clocks
agree since 1970, no ``Etc/`` zones or aliases). Of those that fit, the ones that agree with most of them on
the clock changes of the year after the file are kept; of those, the most populous zone of the clock is taken
where it is one of them (``PRINCIPAL``: America/New_York, Europe/Berlin, Australia/Sydney, ...), else the one
that keeps the clock of most countries (``zone1970.tab`` lists them; Antarctica's stations last; then by name).
The warning names the other zones that fit: no offset tells Europe/Paris from Europe/Berlin, nor
Australia/Melbourne from Australia/Sydney. Where none fits (offsets no zone's clock shows, or a file of several
zones), future times are written in UTC and the warning says so.

Where the offsets cannot tell the zone (a winter's hours of +01:00 alone), the user names it, ``data.time_zone``:
it is taken where it fits every row, as a model's zone is, and :func:`check_time_zone` refuses the file where it
does not, or where the times carry no offset.
"""

from __future__ import annotations

import functools
import logging
import re
import zoneinfo
from collections import Counter
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lstmkit.data.dates import (
    clock_format,
    day_month_names,
    general_parse,
    numeric_dates,
    parse_with_format,
    year_first_dates,
)
from lstmkit.errors import DataError

if TYPE_CHECKING:
    from lstmkit.data.tabular import SeriesData

log = logging.getLogger("lstmkit.data.tabular")

_ZONE = r"Z|[+-]\d{2}:?\d{2}|(?<= )(?:UTC|GMT)"  # Z, +01:00, -0500, and UTC or GMT after a space (R's usetz)
# a clock (of 12 hours too: 12:00 AM Z, 12:00 AMZ) with a UTC offset
OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?\s*(" + _ZONE + ")")
_SUFFIX = re.compile(r"\s*(?:" + _ZONE + ")$")  # the offset after a clock, with the space before it
# the offset and zone a time format ends with: +00:00[Europe/Berlin]
_NAMED = re.compile(r"[+-]00(:?)00\[([^\]]+)\]$")
_DAY_S = 86_400
_WARNED: set = set()
# the most populous zone of each clock that changes for daylight saving: of the zones a file's offsets fit, the
# one named (no offset tells Europe/Paris from Europe/Berlin, nor America/Detroit from America/New_York)
PRINCIPAL = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Halifax",
    "America/St_Johns",
    "America/Havana",
    "America/Santiago",
    "America/Asuncion",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Athens",
    "Africa/Cairo",
    "Asia/Jerusalem",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Pacific/Auckland",
)


def cell_offsets(text: pd.Series) -> pd.Series | None:
    """The UTC offset each cell ends with (``Z``, ``+01:00``, ``-0500``, ``UTC``), or None unless every cell has
    one."""
    offsets = text.str.extract(OFFSET.pattern + "$")[0]
    return offsets if offsets.notna().all() else None


def offset_layout(fmt: str) -> str | None:
    """The layout a time format gives the cells before their offset: ``fmt`` less the offset (and zone) it ends
    with (``%d/%m/%Y %H:%M`` of ``%d/%m/%Y %H:%M+00:00`` or ``%d/%m/%Y %H:%M+00:00[Europe/Berlin]``, as a model
    folder keeps it), else ``fmt`` itself (as a warning or a user names it); None where strftime reads the
    offset (``%z``)."""
    return None if fmt.endswith(("%z", "%Z")) else _SUFFIX.sub("", re.sub(r"\[[^\]]+\]$", "", fmt))


def format_zone(fmt: str | None) -> str | None:
    """The time zone a time format names after its offset (``Europe/Berlin`` of ``...+00:00[Europe/Berlin]``),
    else None."""
    named = _NAMED.search(fmt) if fmt else None
    return named.group(2) if named else None


def named_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone ``name`` (zoneinfo keeps each zone it read), or None where this database has no such zone."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def check_time_zone(data: SeriesData, name: str) -> None:
    """``data.time_zone``: ``data`` (:class:`~lstmkit.data.tabular.SeriesData`, read with ``zone=name``) must
    have times with UTC offsets that are ``name``'s at every row, as reading them took it.

    Raises:
        DataError: times without offsets, or offsets the zone does not show at those times.
    """
    fmt = data.time_format
    if format_zone(fmt) == name:
        return
    where = f"the times in {data.time_col!r} of {data.source}" if data.time_col else f"{data.source}"
    if not fmt or offset_layout(fmt) == fmt:  # no offset (nor zone) after the clock
        raise DataError(
            f"data.time_zone {name} names the zone of times written with a UTC offset "
            f"(2021-01-01T00:00:00+01:00), and {where} have none; leave data.time_zone unset"
        )
    raise DataError(
        f"data.time_zone {name} does not fit {where}: their UTC offsets are not {name}'s at those times; name the "
        "zone they were written in, or leave data.time_zone unset to take the one their offsets fit"
    )


def zone_clock(value: pd.Timestamp, fmt: str) -> tuple[pd.Timestamp, str]:
    """The local clock of the UTC instant ``value`` in the zone ``fmt`` names, and ``fmt`` with that instant's
    offset written in place of its ``+00:00[zone]`` (in its style: ``+02:00`` or ``+0200``)."""
    named = _NAMED.search(fmt)
    assert named is not None  # callers check format_zone first
    local = pd.Timestamp(value).tz_localize(timezone.utc).tz_convert(zoneinfo.ZoneInfo(named.group(2)))
    offset = offset_text(int(local.utcoffset() / timedelta(minutes=1)), colon=named.group(1))
    return local.tz_localize(None), fmt[: named.start()] + offset


def offset_text(minutes: int, *, colon: str = ":") -> str:
    """A UTC offset of ``minutes`` as written after a clock: 120 -> ``+02:00`` (``+0200`` with ``colon=""``)."""
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{colon}{abs(minutes) % 60:02d}"


def offset_times(
    text: pd.Series,
    offsets: pd.Series,
    *,
    column: str,
    source: str,
    layout: str | None = None,
    zone: str | None = None,
) -> tuple[pd.Index, str, str]:
    """Times with a UTC offset (``offsets``: :func:`cell_offsets`), by the rules of the module docstring;
    ``layout``: the strftime format of the cells before their offset, default detected; ``zone``: the time zone
    a model was trained in, taken (one offset or several) where it fits every row.

    Raises:
        DataError: a cell that is not a time (in ``layout``).
    """
    local = text.str.replace(_SUFFIX, "", regex=True)
    suffix = text.iloc[0][len(local.iloc[0]) :]  # the first cell's offset, as written: Z, " +01:00", " UTC"
    minutes = offsets.map({o: _minutes(o) for o in offsets.unique()}).to_numpy(dtype=np.int64)
    shift = pd.to_timedelta(minutes, unit="min")
    if layout is not None:
        clock = pd.DatetimeIndex(parse_with_format(local, layout, column=column, source=source)[0])
    elif (read := _other_layout(local, column=column, source=source)) is not None:
        clock, layout = read
    else:  # ISO times: pandas reads them with their offsets, in UTC here
        stamps = pd.DatetimeIndex(general_parse(text, column=column, source=source, utc=True))
        clock, layout = stamps.tz_localize(None) + shift, clock_format(local.iloc[0])
    utc = clock - shift  # the instants: the series' regular step is in absolute time
    if zone is not None and (trained := named_zone(zone)) and _fits(trained, *_probes(utc, minutes)):
        return utc, "datetime", layout + _utc_offset(suffix) + f"[{zone}]"
    if len(np.unique(minutes)) == 1:  # one offset, though perhaps written two ways (Z and +00:00)
        return clock, "datetime", layout + suffix
    found = _zones_for(utc, minutes)
    _warn_once(offsets, found, column=column, source=source)
    if found is None:
        return utc, "datetime", layout + _utc(suffix)
    return utc, "datetime", layout + _utc_offset(suffix) + f"[{found[0]}]"


def _other_layout(local: pd.Series, *, column: str, source: str) -> tuple[pd.DatetimeIndex, str] | None:
    """The times and layout of cells (their offset cut off) in a layout other than ISO's ``2020-01-31 13:00``:
    numeric dates, dates with month names, year first with other separators or with a 12-hour clock (pandas,
    which reads ISO times with their offsets, takes ``2020-01-05 12:00 AMZ`` for noon); or None."""
    for reader in (
        lambda cells: numeric_dates(cells, column=column, source=source),
        day_month_names,
        year_first_dates,
    ):
        if (read := reader(local)) is not None:
            index, _, fmt = read
            iso = fmt.startswith("%Y-%m-%d") and "%p" not in fmt
            return None if iso else (pd.DatetimeIndex(index), fmt)
    return None


def _minutes(offset: str) -> int:
    """``+01:00`` -> 60, ``-0530`` -> -330, ``Z`` or ``UTC`` -> 0."""
    if offset in ("Z", "UTC", "GMT"):
        return 0
    digits = offset[1:].replace(":", "")
    return (1 if offset[0] == "+" else -1) * (int(digits[:2]) * 60 + int(digits[2:]))


def _utc(suffix: str) -> str:
    """The offset ``suffix`` of the first cell written for UTC in its style: `` +01:00`` -> `` +00:00``."""
    return re.sub(r"[+-]\d{2}(:?)\d{2}$", lambda m: f"+00{m.group(1)}00", suffix)


def _utc_offset(suffix: str) -> str:
    """:func:`_utc` as a number (``+00:00`` for ``Z`` or `` UTC``): the offset a zone's time format writes."""
    written = _utc(suffix)
    return written if re.search(r"[+-]00:?00$", written) else "+00:00"


def _probes(utc: pd.DatetimeIndex, minutes: np.ndarray) -> tuple[list[int], list[timedelta]]:
    """The instants (Unix seconds) and written offsets of the rows that decide whether a zone fits, those where
    the offset changes first (most zones fail there): the rows either side of each change, and one a day
    between (no zone's clock changes twice in a day, so a zone that shows these shows every row's)."""
    order = np.argsort(utc.asi8, kind="stable")
    seconds, minutes = utc.asi8[order] // 1_000_000_000, minutes[order]
    changes = np.flatnonzero(np.diff(minutes))
    days = np.flatnonzero(np.diff(seconds // _DAY_S)) + 1
    rows = np.concatenate([changes, changes + 1, [0, len(seconds) - 1], days])
    rows = rows[np.sort(np.unique(rows, return_index=True)[1])]  # each row once, the changes first
    return seconds[rows].tolist(), [timedelta(minutes=int(m)) for m in minutes[rows]]


def _fits(zone: zoneinfo.ZoneInfo, seconds: list[int], offsets: list[timedelta]) -> bool:
    """Whether ``zone``'s offset at each instant is the offset written there."""
    return all(_offset_at(s, zone) == o for s, o in zip(seconds, offsets))


def _offset_at(seconds: int, zone: zoneinfo.ZoneInfo) -> timedelta | None:
    """``zone``'s UTC offset at the instant ``seconds`` (Unix)."""
    return datetime.fromtimestamp(seconds, zone).utcoffset()


def _zones_for(utc: pd.DatetimeIndex, minutes: np.ndarray) -> tuple[str, list[str], int] | None:
    """The zone whose offsets fit every row (the rule of the module docstring), the other zones that fit, and how
    many of those that fit (itself among them) change clocks alike in the year after the file; None where none
    fits."""
    seconds, offsets = _probes(utc, minutes)
    zones = {name: zone for name, zone in _zones() if _fits(zone, seconds, offsets)}  # in _zones' order
    if not zones:
        return None
    fit = list(zones)
    after = max(seconds)
    changes = {name: _changes(zone, after) for name, zone in zones.items()}
    agree = Counter(changes.values())
    name = next(
        name for name in fit if agree[changes[name]] == max(agree.values())
    )  # a tie: the first in _zones' order
    return name, [other for other in fit if other != name], agree[changes[name]]


def _changes(zone: zoneinfo.ZoneInfo, start: int) -> tuple[tuple[int, timedelta | None], ...]:
    """The clock changes of ``zone`` in the year after the instant ``start`` (Unix seconds): each change's
    instant, to the minute, and the offset after it."""
    found: list[tuple[int, timedelta | None]] = []
    offset = _offset_at(start, zone)
    for day in range(1, 367):
        later = start + day * _DAY_S
        if (now := _offset_at(later, zone)) == offset:
            continue
        low, high = later - _DAY_S, later  # bisect the day to the minute the offset changes
        while high - low > 60:
            middle = (low + high) // 2
            low, high = (middle, high) if _offset_at(middle, zone) == offset else (low, middle)
        found.append((high, now))
        offset = now
    return tuple(found)


@functools.cache
def _zones() -> tuple[tuple[str, zoneinfo.ZoneInfo], ...]:
    """The canonical zones of the time zone database, ``PRINCIPAL``'s first, then those of most countries,
    Antarctica's last, then by name (once a process: a big file reads no slower)."""
    names = zoneinfo.available_timezones()
    countries = _canonical_names()
    kept = (
        names & set(countries) if countries else {n for n in names if "/" in n and not n.startswith("Etc/")}
    )
    first = {name: rank for rank, name in enumerate(PRINCIPAL)}
    order = sorted(
        kept,
        key=lambda n: (first.get(n, len(first)), -countries.get(n, 0), n.startswith("Antarctica/"), n),
    )
    return tuple((name, zoneinfo.ZoneInfo(name)) for name in order)


def _canonical_names() -> dict[str, int]:
    """The zones ``zone1970.tab`` lists and how many countries keep each one's clock, read where zoneinfo reads
    the database (its paths, else the tzdata package); empty where neither has it."""
    for folder in zoneinfo.TZPATH:
        if (tab := Path(folder) / "zone1970.tab").is_file():
            return _tab_names(tab.read_text(encoding="utf-8"))
    try:
        return _tab_names(
            resources.files("tzdata").joinpath("zoneinfo/zone1970.tab").read_text(encoding="utf-8")
        )
    except (ModuleNotFoundError, FileNotFoundError):
        return {}


def _tab_names(tab: str) -> dict[str, int]:
    rows = [line.split("\t") for line in tab.splitlines() if line and not line.startswith("#")]
    return {row[2]: len(row[0].split(",")) for row in rows}


def _warn_once(
    offsets: pd.Series, found: tuple[str, list[str], int] | None, *, column: str, source: str
) -> None:
    if (source, column) in _WARNED:  # once per file, not once per model that reads it
        return
    _WARNED.add((source, column))
    written = sorted(offsets.unique())
    listed = " and ".join([", ".join(written[:-1]), written[-1]]) if len(written) > 1 else written[0]
    if found is None:
        log.warning(
            "times in %r of %s carry UTC offsets %s, and no time zone matched them; they are read in UTC, and "
            "forecast.csv writes UTC times",
            column,
            source,
            listed,
        )
        return
    name, others, alike = found
    log.warning(
        "times in %r of %s carry UTC offsets %s (daylight saving); read as %s%s, and forecast.csv writes future "
        "times with its offsets",
        column,
        source,
        listed,
        name,
        _picked(others, alike),
    )


def _picked(others: list[str], alike: int) -> str:
    """The zones the one read as was picked from (``others`` and itself, ``alike`` of which change clocks as it
    does in the year after the file): ``, one of 4 zones with these offsets (Australia/Melbourne, ...)``."""
    if not others:
        return ""
    among = (
        f"{alike} zones with these offsets"
        if alike == len(others) + 1
        else f"the {alike} of the {len(others) + 1} zones with these offsets that change clocks alike in the year "
        "after"
    )
    return f", one of {among} ({_some(others)})"


def _some(names: list[str]) -> str:
    """``a, b, c and 4 more``."""
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
