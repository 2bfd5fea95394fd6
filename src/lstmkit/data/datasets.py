"""The bundled datasets: a registry of small real data sets shipped in ``lstmkit/data/bundled``.

Wherever a command takes DATA it accepts a path or one of these names (``resolve_dataset``).
To add a dataset, put its (optionally gzipped) files in ``bundled/``, its attribution in
``bundled/README.md``, and a :class:`Dataset` entry in ``REGISTRY``.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lstmkit.errors import DataError


@dataclass(frozen=True)
class Dataset:
    """A bundled dataset: its files in ``bundled/`` (the first is the default), task and description."""

    files: tuple[str, ...]
    description: str
    task: str  # "forecast", "classify" or "text"
    example: str = ""  # a command that uses it


REGISTRY: dict[str, Dataset] = {
    "airpassengers": Dataset(
        files=("airpassengers.csv.gz",),
        description="monthly airline passengers (thousands), 1949-01..1960-12, 144 points; Box & Jenkins series G",
        task="forecast",
        example="lstmkit forecast airpassengers --horizon 12",
    ),
    "japanese-vowels": Dataset(
        files=("JapaneseVowels_TRAIN.ts.gz", "JapaneseVowels_TEST.ts.gz"),
        description="speaker of the vowels /ae/ (9 classes) from 12 LPC cepstrum channels, 7-29 steps "
        "(UCI, Kudo et al. 1999); train reads its 270 training cases, predict/evaluate its 370 test cases",
        task="classify",
        example="lstmkit classify train japanese-vowels --output runs/jv",
    ),
    "japanese-vowels-test": Dataset(
        files=("JapaneseVowels_TEST.ts.gz",),
        description="the test split of japanese-vowels, 370 cases",
        task="classify",
        example="lstmkit classify evaluate --model runs/jv japanese-vowels-test",
    ),
    # Built, not shipped: lstmkit.data.text reads the running Python's standard-library sources.
    "python-stdlib": Dataset(
        files=(),
        description="the running Python's standard-library .py sources (first 1M characters); "
        "a character language-model corpus",
        task="text",
        example="lstmkit text train python-stdlib --output runs/stdlib",
    ),
}


def bundled_path(filename: str) -> Path:
    """A real path to a bundled file; gzipped files are decompressed once into a cache folder."""
    source = resources.files("lstmkit.data") / "bundled" / filename
    if not source.is_file():
        raise DataError(
            f"bundled file {filename} is missing from this lstmkit installation; reinstall lstmkit"
        )
    with resources.as_file(source) as path:
        path = Path(path)
        if not filename.endswith(".gz"):
            return path
        cache = Path(tempfile.gettempdir()) / "lstmkit-datasets"
        cache.mkdir(parents=True, exist_ok=True)
        target = cache / filename[: -len(".gz")]
        if not target.exists() or target.stat().st_mtime < path.stat().st_mtime:
            tmp = cache / f".{target.name}.{id(target)}.tmp"
            with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            tmp.replace(target)
        return target


def resolve_dataset(name_or_path: str | Path, *, index: int = 0) -> Path:
    """The file for DATA: an existing path as given, else the bundled dataset of that name.

    Args:
        name_or_path: a file path or a name from :data:`REGISTRY`.
        index: which of the dataset's files (e.g. 1 for a test split).

    Raises:
        DataError: neither a file nor a bundled name; the message lists the names.
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    key = str(name_or_path).strip().lower()
    if key in REGISTRY:
        files = REGISTRY[key].files
        if not files:  # a corpus built on the fly (python-stdlib): only its own command reads it
            raise DataError(
                f"{key!r} is a {REGISTRY[key].task} corpus, not a data file; use it as in: {REGISTRY[key].example}"
            )
        if index >= len(files):
            raise DataError(f"bundled dataset {key!r} has {len(files)} file(s), not {index + 1}")
        return bundled_path(files[index])
    if path.suffix or "/" in str(name_or_path) or "\\" in str(name_or_path):
        raise DataError(
            f"data file {name_or_path} not found; pass an existing file or a bundled dataset ({', '.join(REGISTRY)})"
        )
    raise DataError(
        f"{name_or_path!r} is neither a file nor a bundled dataset; bundled datasets are: {', '.join(REGISTRY)}"
    )


def dataset_stem(name_or_path: str | Path) -> str:
    """A short name for default output folders: the bundled name or the file's stem."""
    key = str(name_or_path).strip().lower()
    if key in REGISTRY and not Path(name_or_path).exists():
        return key
    stem = Path(name_or_path).name
    for suffix in (".gz", ".csv", ".parquet", ".pq", ".tsv", ".txt", ".ts"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem or "data"
