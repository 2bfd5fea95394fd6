"""Reader for the UEA/UCR time-series classification ``.ts`` format (sktime's text format).

A ``.ts`` file is a header of ``@tag value`` lines, then ``@data``, then one case per line:
the channels separated by ``:``, the values of a channel by ``,``, and the class label after
the last ``:`` when ``@classLabel true``. ``?`` (or ``NaN``) marks a missing value. Lines
starting with ``#`` are comments; a tab may separate a tag from its value. Files may be
gzip-compressed (``.ts.gz``); they are decoded as CSVs are (UTF-8 with or without a byte-order mark,
UTF-16, else Windows-1252 with a warning).

Supported: univariate and multivariate, equal and unequal length, missing values, string class
labels, and ``@timeStamps true`` files, whose channels are ``(time,value)`` pairs: the times
(numbers, or dates such as ``2007-01-01 00:00:00``) order each channel's values, and channels timed
differently are aligned on the union of their times, NaN where one has no value; how far apart
the times are is not used, as in a file without them. Refused with a clear error: regression
targets (``@targetLabel true``).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lstmkit.data.labels import class_label
from lstmkit.data.sequences import SequenceData
from lstmkit.errors import DataError

_BOOL_TAGS = ("timestamps", "missing", "univariate", "equallength", "targetlabel")
_MISSING = {"?", "nan", "NaN", "NAN", ""}


def _tag(line: str) -> tuple[str, str]:
    """``(tag in lower case, value)`` of a ``@tag value`` line; a tab may separate them as well as spaces."""
    tag, *value = line[1:].split(None, 1) or [""]
    return tag.lower(), value[0] if value else ""


def _parse_bool(text: str, *, tag: str, where: str) -> bool:
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise DataError(f"{where}: @{tag} must be true or false, got {text.strip()!r}")
    return value == "true"


def _parse_channel(text: str, *, where: str, channel: int) -> np.ndarray:
    """One channel's comma-separated values; ``?``/``NaN`` become NaN."""
    out = []
    for item in text.split(","):
        item = item.strip()
        if item in _MISSING:
            out.append(math.nan)
            continue
        try:
            value = float(item)
        except ValueError:
            raise DataError(
                f"{where}: channel {channel + 1} has a non-numeric value {item[:30]!r}; "
                "values must be numbers, '?' for missing"
            ) from None
        if math.isinf(value):
            raise DataError(
                f"{where}: channel {channel + 1} has an infinite value {item!r}; use '?' for a missing value"
            )
        out.append(value)
    return np.asarray(out, dtype=np.float32)


def _read_lines(path: Path) -> list[str]:
    """The file's lines, decoded as the CSV reader decodes (UTF-8 with or without BOM, UTF-16, else
    Windows-1252 with a warning: a comment typed in a Windows editor is no reason to refuse the data)."""
    from lstmkit.data.tables import GZIP_MAGIC, decode_text, gunzip  # here: the tables module imports pandas

    try:
        raw = path.read_bytes()
    except PermissionError:
        raise  # lstmkit.cli.main says which file and how to fix it, as for every unreadable file
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if raw[:2] == GZIP_MAGIC:  # .ts.gz
        raw = gunzip(path, raw)
    text, _ = decode_text(path, raw, what=".ts file")
    return text.splitlines()


@dataclass
class _Header:
    """The ``@tag`` lines read so far."""

    tags: dict[str, object] = field(default_factory=dict)
    has_labels: bool | None = None  # None until @classLabel is read
    declared: list[str] | None = None  # the labels @classLabel lists, if it lists any

    def read(self, line: str, *, where: str) -> None:
        """Record one ``@tag value`` line (any tag but ``@data``)."""
        tag, value = _tag(line)
        if tag == "classlabel":
            parts = value.split()
            if not parts:
                raise DataError(f"{where}: @classLabel needs true or false")
            self.has_labels = _parse_bool(parts[0], tag="classLabel", where=where)
            if self.has_labels:
                self.declared = [class_label(part) for part in parts[1:]] or None
        elif tag in _BOOL_TAGS:
            self.tags[tag] = _parse_bool(value, tag=line[1:].split()[0], where=where)
        elif tag in ("dimensions", "serieslength"):
            try:
                self.tags[tag] = int(value)
            except ValueError:
                raise DataError(
                    f"{where}: @{line[1:].split()[0]} must be an integer, got {value.strip()!r}"
                ) from None
        elif tag in ("problemname",):
            self.tags[tag] = value.strip()
        else:
            raise DataError(
                f"{where}: unknown header tag @{(line[1:].split() or [''])[0]}; known tags are @problemName, @timeStamps, "
                "@missing, @univariate, @dimensions, @equalLength, @seriesLength, @classLabel, @data"
            )

    def start_data(self, *, where: str) -> int | None:
        """Check the header at ``@data``; the number of channels it declares (None: the first line's)."""
        if self.has_labels is None:
            raise DataError(
                f"{where}: the header has no @classLabel tag; add '@classLabel true <labels>' or '@classLabel false'"
            )
        if self.tags.get("targetlabel"):
            raise DataError(
                f"{where}: @targetLabel true marks a regression file; lstmkit classify needs class labels"
            )
        n_channels = self.tags.get("dimensions")
        if n_channels is None and self.tags.get("univariate"):
            n_channels = 1
        return n_channels  # type: ignore[return-value]

    def split_label(self, line: str, *, where: str) -> tuple[list[str], str | None]:
        """A data line's channel texts and its class label (None when the file has no labels)."""
        fields = _fields(line)
        if not self.has_labels:
            return fields, None
        if len(fields) < 2:
            raise DataError(f"{where}: expected channels separated by ':' then ':<label>', found no ':'")
        label = class_label(fields[-1])
        if not label:
            raise DataError(f"{where}: the class label after the last ':' is empty")
        if self.declared is not None and label not in self.declared:
            raise DataError(
                f"{where}: class label {label!r} is not among the declared @classLabel values {', '.join(self.declared)}"
            )
        return fields[:-1], label


def _fields(line: str) -> list[str]:
    """The ``:``-separated fields of a data line; a ``:`` inside ``(time,value)`` brackets (a clock) separates nothing."""
    fields, depth, start = [], 0, 0
    for i, char in enumerate(line):
        depth += (char == "(") - (char == ")")
        if char == ":" and depth == 0:
            fields.append(line[start:i])
            start = i + 1
    return [*fields, line[start:]]


_PAIR = re.compile(
    r"\(([^(),]*),([^()]*)\)"
)  # (time,value): a clock's ':' and a date's '-' may be in the time


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _times(texts: list[str], *, where: str, channel: int) -> np.ndarray:
    """The times of one channel's pairs: float64 numbers, else int64 nanoseconds of dates."""
    numbers = [_is_number(t) for t in texts]
    if all(numbers):
        return np.asarray([float(t) for t in texts], dtype=np.float64)
    import pandas as pd

    with warnings.catch_warnings():  # pandas warns when each cell is parsed on its own
        warnings.simplefilter("ignore")
        stamps = pd.to_datetime(pd.Series(texts), format="mixed", errors="coerce")
    bad = [t for t, number, missing in zip(texts, numbers, stamps.isna()) if missing and not number]
    if bad:
        raise DataError(
            f"{where}: channel {channel + 1} has a time {bad[0][:30]!r} that is neither a number nor a date; "
            "write times such as 3 or 2007-01-01 00:00:00"
        )
    if stamps.isna().any():
        raise DataError(
            f"{where}: channel {channel + 1} has times written as numbers and as dates; write them one way"
        )
    return stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _stamped_case(fields: list[str], n_channels: int, *, where: str) -> np.ndarray:
    """A ``@timeStamps true`` case as ``(T, F)``: the union of the channels' times, in order, NaN where a
    channel has no value at a time."""
    channels = []
    for c, text in enumerate(fields):
        pairs = _PAIR.findall(text)
        if not pairs or _PAIR.sub("", text).replace(",", "").strip():
            raise DataError(
                f"{where}: channel {c + 1} is not a list of (time,value) pairs such as (0,1.5),(1,2.0), "
                "as @timeStamps true says"
            )
        times = _times([t.strip() for t, _ in pairs], where=where, channel=c)
        if len(np.unique(times)) < len(times):
            raise DataError(f"{where}: channel {c + 1} has two values at one time; each time needs one value")
        channels.append((times, _parse_channel(",".join(v for _, v in pairs), where=where, channel=c)))
    if len({times.dtype for times, _ in channels}) > 1:
        raise DataError(
            f"{where}: some channels are timed by numbers, others by dates; time every channel one way"
        )
    union = np.unique(np.concatenate([times for times, _ in channels]))  # sorted
    case = np.full((len(union), n_channels), np.nan, dtype=np.float32)  # (T, F)
    for c, (times, values) in enumerate(channels):
        case[np.searchsorted(union, times), c] = values
    return case


def _read_case(fields: list[str], n_channels: int, *, where: str, stamped: bool) -> np.ndarray:
    """One case as a ``(T, F)`` array, trailing steps missing in every channel dropped."""
    if len(fields) != n_channels:
        raise DataError(f"{where}: expected {n_channels} channel(s) separated by ':', found {len(fields)}")
    if stamped:
        case = _stamped_case(fields, n_channels, where=where)
    elif any("(" in text for text in fields):
        raise DataError(
            f"{where}: values are written as (time,value) pairs but the header does not say so; "
            "add '@timeStamps true' before @data"
        )
    else:
        channels = [_parse_channel(text, where=where, channel=c) for c, text in enumerate(fields)]
        case = np.full((max(len(c) for c in channels), n_channels), np.nan, dtype=np.float32)  # (T, F)
        for c, values in enumerate(channels):
            case[: len(values), c] = values
    observed = np.flatnonzero(~np.isnan(case).all(axis=1))
    if observed.size == 0:
        raise DataError(f"{where}: the series has no observed values (all missing)")
    return case[: observed[-1] + 1]


def read_ts(path: str | Path) -> SequenceData:
    """Read a UEA/UCR ``.ts`` file.

    Args:
        path: the file (``.ts`` or ``.ts.gz``).

    Returns:
        :class:`SequenceData` with one ``(T_i, F)`` float32 array per case (NaN where missing;
        trailing steps missing in every channel are dropped as padding), the string labels
        (``None`` when the file has no class labels) and the declared label order.

    Raises:
        DataError: a missing file, an unknown or malformed header tag, a data line with the wrong
            number of channels, a non-numeric value or an undeclared label; the message names the
            line number.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass a .ts file, a long CSV or a bundled dataset name")
    if not path.is_file():
        raise DataError(f"data file {path} not found; pass a .ts file, a long CSV or a bundled dataset name")
    name, header = path.name, _Header()
    series: list[np.ndarray] = []
    labels: list[str] = []
    in_data, n_channels = False, None
    for number, raw in enumerate(_read_lines(path), start=1):
        line, where = raw.strip(), f"{name} line {number}"
        if not line or line.startswith("#"):
            continue
        if in_data:
            fields, label = header.split_label(line, where=where)
            if label is not None:
                labels.append(label)
            if n_channels is None:
                n_channels = len(fields)
            series.append(
                _read_case(fields, n_channels, where=where, stamped=bool(header.tags.get("timestamps")))
            )
        elif not line.startswith("@"):
            raise DataError(
                f"{where}: expected a header tag such as @problemName or @data before the data, got {line[:40]!r}"
            )
        elif _tag(line)[0] == "data":
            in_data, n_channels = True, header.start_data(where=where)
        else:
            header.read(line, where=where)
    if not in_data:
        raise DataError(f"{name}: no @data line found; is this a UEA/UCR .ts file?")
    if not series:
        raise DataError(f"{name}: the file has no data lines after @data")
    return SequenceData(
        series=series,
        labels=np.asarray(labels, dtype=object) if header.has_labels else None,
        classes=tuple(header.declared) if header.declared else None,
        name=path.name,
    )
