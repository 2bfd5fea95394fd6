"""Labelled sequences for classification: the container, reading them, padding and scaling.

:class:`SequenceData` holds variable-length multivariate series as a list of ``(T_i, F)`` float32
arrays (NaN marks a missing value) with optional string labels. :func:`read_sequences` loads one
from a UEA/UCR ``.ts`` file (:mod:`lstmkit.data.ts_format`), a long CSV (one row per case and time
step: :mod:`lstmkit.data.long_csv`) or a bundled dataset name. :func:`pad_sequences` and
:func:`channel_stats` are the numeric helpers the classifier uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from lstmkit.errors import DataError


@dataclass
class SequenceData:
    """Variable-length labelled series.

    Attributes:
        series: one ``(T_i, F)`` float32 array per case, NaN where a value is missing.
        labels: ``(N,)`` object array of string labels, or None for unlabelled data.
        classes: the label order the file declares (``.ts`` ``@classLabel``), or None.
        name: where the data came from, for messages.
        ids: the case ids of a long table (``id_col``), or None.
        features: the feature column names of a long table, or None.
    """

    series: list[np.ndarray]
    labels: np.ndarray | None = None
    classes: tuple[str, ...] | None = None
    name: str = "data"
    ids: list[str] | None = None
    features: list[str] | None = None

    def __len__(self) -> int:
        return len(self.series)

    @property
    def n_features(self) -> int:
        return int(self.series[0].shape[1])

    @property
    def lengths(self) -> np.ndarray:
        return np.asarray([len(s) for s in self.series], dtype=np.int64)

    def subset(self, index: Sequence[int] | np.ndarray) -> SequenceData:
        """The cases at ``index``, in that order."""
        index = np.asarray(index, dtype=np.int64)
        return SequenceData(
            series=[self.series[i] for i in index],
            labels=None if self.labels is None else self.labels[index],
            classes=self.classes,
            name=self.name,
            ids=None if self.ids is None else [self.ids[i] for i in index],
            features=self.features,
        )


def natural_order(labels: Sequence[str]) -> list[str]:
    """Unique labels sorted numerically when they all are numbers ("2" before "10"), else as text."""
    unique = sorted(set(labels))
    try:
        return sorted(unique, key=float)
    except ValueError:
        return sorted(unique, key=lambda s: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s)])


def pad_sequences(
    series: Sequence[np.ndarray], *, length: int | None = None, value: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Stack ``(T_i, F)`` arrays into ``(N, T, F)``, padding the end of each with ``value``.

    Args:
        series: the cases.
        length: the padded length (default: the longest case); longer cases are cut at the end.
        value: what fills the padding.

    Returns:
        ``(padded, lengths)``: float32 ``(N, T, F)`` and int64 ``(N,)`` true lengths (after cutting).
    """
    lengths = np.asarray([len(s) for s in series], dtype=np.int64)
    T = int(lengths.max()) if length is None else int(length)
    F = series[0].shape[1]
    out = np.full((len(series), T, F), value, dtype=np.float32)  # (N, T, F)
    for i, s in enumerate(series):
        n = min(len(s), T)
        out[i, :n] = s[:n]
    return out, np.minimum(lengths, T)


def channel_stats(series: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation over every observed value of every case.

    A channel with no spread (or no observed value) gets std 1 so scaling leaves it finite.

    Returns:
        ``(mean, std)``, each float32 ``(F,)``.
    """
    values = np.concatenate([np.asarray(s, dtype=np.float64) for s in series], axis=0)  # (sum T_i, F)
    observed = ~np.isnan(values)
    count = observed.sum(axis=0)
    total = np.where(observed, values, 0.0).sum(axis=0)
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    var = np.where(observed, (values - mean) ** 2, 0.0).sum(axis=0)
    std = np.sqrt(np.divide(var, count, out=np.zeros_like(var), where=count > 0))
    std = np.where(std > 1e-8, std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def read_sequences(
    source: str | Path,
    *,
    id_col: str = "id",
    label_col: str | None = "label",
    time_col: str | None = None,
    require_labels: bool = False,
    split: Literal["train", "test"] = "train",
) -> SequenceData:
    """Load classification data from a ``.ts`` file, a long CSV/Parquet file or a bundled dataset name.

    Args:
        source: a path, or a bundled dataset name (``japanese-vowels``).
        id_col, label_col, time_col: the long-table columns (see :func:`lstmkit.data.long_csv.read_long_csv`).
        require_labels: raise when the data has no labels.
        split: for a bundled dataset with a held-out split, ``"test"`` reads that split
            (``japanese-vowels`` trains on its training split and is evaluated on its test split).

    Raises:
        DataError: unreadable data, or labels required but absent.
    """
    from lstmkit.data.long_csv import read_long_csv
    from lstmkit.data.ts_format import read_ts

    path = _resolve(source, split=split)
    suffixes = "".join(path.suffixes[-2:]).lower()
    if suffixes.endswith(".ts") or suffixes.endswith(".ts.gz"):
        data = read_ts(path)
        if require_labels and data.labels is None:
            raise DataError(
                f"{path.name} has no class labels (@classLabel false); training and evaluating need labelled data"
            )
        return data
    return read_long_csv(
        path, id_col=id_col, label_col=label_col, time_col=time_col, require_labels=require_labels
    )


def _resolve(source: str | Path, *, split: str) -> Path:
    """The file behind DATA: a path as given, else a bundled dataset's file for ``split``."""
    from lstmkit.data.datasets import REGISTRY, resolve_dataset

    path = Path(source)
    if path.exists():
        return path
    entry = REGISTRY.get(str(source).strip().lower())
    index = len(entry.files) - 1 if entry is not None and split == "test" else 0
    return Path(resolve_dataset(source, index=index))
