"""Text data: corpus loading (files and the bundled ``python-stdlib`` corpus), the character
vocabulary of the language model, and the word/character tokeniser of the text classifier.

Unknown characters and tokens never raise: they map to a reserved ``<unk>`` id, so a model
reads any text; what that costs is the caller's business (the language model charges the
probability it gives ``<unk>``; the classifier learns an embedding for it).
"""

from __future__ import annotations

import re
import sysconfig
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lstmkit.data.labels import class_label
from lstmkit.errors import DataError

UNK = "<unk>"
PAD = "<pad>"

# Bundled corpora, by the name a user may give instead of a path.
PYTHON_STDLIB = "python-stdlib"
CORPORA = (PYTHON_STDLIB,)

# 1M characters is the size of the classic char-RNN corpora (tiny-shakespeare): enough for a
# model to learn Python's look, small enough to read in a second and train on a laptop.
STDLIB_MAX_CHARS = 1_000_000
# Test suites are full of deliberately odd code (bad encodings, huge literals); skip them.
_STDLIB_SKIP = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}


# ---------------------------------------------------------------------------------------------
# Corpus loading


def python_stdlib_corpus(*, max_chars: int = STDLIB_MAX_CHARS) -> str:
    """The running Python's standard-library ``.py`` files, concatenated in path order.

    The corpus needs no download: it is the source of the interpreter running lstmkit. Test
    packages and files that are not UTF-8 are skipped; files are joined by a blank line and
    the result is cut at the last file boundary before ``max_chars`` (a single file longer than
    that is cut at ``max_chars``).

    Raises:
        DataError: this Python ships no readable standard-library sources.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    parts: list[str] = []
    total = 0
    for file in sorted(root.rglob("*.py")):
        if _STDLIB_SKIP.intersection(file.relative_to(root).parts[:-1]):
            continue
        try:
            source = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not source.strip():
            continue
        if total + len(source) > max_chars:
            if not parts:
                parts.append(source[:max_chars])
            break
        parts.append(source)
        total += len(source) + 2
    if not parts:
        raise DataError(
            f"found no standard-library sources under {root}; pass a text file instead of {PYTHON_STDLIB!r}"
        )
    return "\n\n".join(parts)


def read_text(source: str | Path, *, max_chars: int | None = None) -> str:
    """Read a text corpus from a file, or build a bundled one by name (``python-stdlib``).

    The file is decoded as CSVs and .ts files are (:func:`lstmkit.data.tables.decode_text`): UTF-8
    (its byte-order mark dropped), UTF-16 (byte-order mark, or a NUL every other byte), else
    Windows-1252 with a warning, so a corpus saved by a Windows editor reads as the letters it
    shows, not as mojibake. Line endings are normalised to ``\\n``. A gzip-compressed file is
    decompressed first.

    Args:
        source: a path, or the name of a bundled corpus (:data:`CORPORA`).
        max_chars: keep only the first ``max_chars`` characters (``None``: all of a file; the
            bundled corpus has its own cap, :data:`STDLIB_MAX_CHARS`).

    Raises:
        DataError: the file is missing, a folder, binary, or empty.
    """
    if str(source) == PYTHON_STDLIB and not Path(source).exists():
        return python_stdlib_corpus(max_chars=max_chars or STDLIB_MAX_CHARS)
    path = Path(source)
    if not path.exists():
        raise DataError(
            f"text file {str(path)!r} not found; pass a UTF-8 text file or the bundled corpus {PYTHON_STDLIB!r}"
        )
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a folder; pass a UTF-8 text file")
    from lstmkit.data.tables import GZIP_MAGIC, decode_text, gunzip  # here: the tables module imports pandas

    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:  # gzip-compressed: corpus.txt.gz
        data = gunzip(path, data)
    text, _ = decode_text(path, data, what="text file")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if max_chars is not None:
        text = text[:max_chars]
    if not text.strip():
        raise DataError(f"{str(path)!r} is empty; a corpus needs text to learn from")
    return text


# ---------------------------------------------------------------------------------------------
# The language model's character vocabulary


@dataclass(frozen=True)
class CharVocab:
    """Characters and their ids; id 0 is ``<unk>``, for any character outside ``chars``.

    Attributes:
        chars: the known characters in id order (id ``k + 1`` is ``chars[k]``).
    """

    chars: str

    @classmethod
    def build(cls, text: str) -> CharVocab:
        """The vocabulary of every character in ``text``, sorted by code point (deterministic)."""
        return cls("".join(sorted(set(text))))

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise DataError("a character vocabulary lists a character twice; the model config is damaged")
        object.__setattr__(self, "_index", {ch: i + 1 for i, ch in enumerate(self.chars)})

    def __len__(self) -> int:
        return len(self.chars) + 1

    def encode(self, text: str) -> list[int]:
        """Ids of ``text``'s characters; unknown ones are 0 (``<unk>``)."""
        index = self._index  # type: ignore[attr-defined]
        return [index.get(ch, 0) for ch in text]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``; ``<unk>`` decodes to U+FFFD (the replacement character)."""
        return "".join(self.chars[i - 1] if i > 0 else "\ufffd" for i in ids)

    def unknown(self, text: str) -> str:
        """The distinct characters of ``text`` missing from the vocabulary, sorted."""
        return "".join(sorted(set(text) - set(self.chars)))


# ---------------------------------------------------------------------------------------------
# The classifier's tokeniser

_WORD = re.compile(r"\w+|[^\w\s]")  # words, and each punctuation mark on its own


@dataclass(frozen=True)
class Tokenizer:
    """Word or character tokens and their ids; id 0 is ``<pad>``, id 1 is ``<unk>``.

    The vocabulary is built from training texts only (:meth:`fit`); tokens seen fewer than
    ``min_count`` times there map to ``<unk>`` like unseen ones, so the model learns what to do
    with an unknown token. An empty text encodes to a single ``<unk>`` (a sequence needs a step).

    Attributes:
        mode: ``"word"`` (lowercased words and punctuation marks) or ``"char"``.
        tokens: the known tokens in id order (id ``k + 2`` is ``tokens[k]``).
        lowercase: fold case before tokenising.
    """

    mode: str
    tokens: tuple[str, ...]
    lowercase: bool = True

    @classmethod
    def fit(
        cls,
        texts: Iterable[str],
        *,
        mode: str = "word",
        min_count: int = 2,
        max_size: int = 20000,
        lowercase: bool = True,
    ) -> Tokenizer:
        """Build the vocabulary: tokens seen at least ``min_count`` times, the ``max_size`` most frequent.

        Ties in frequency are broken alphabetically, so the same texts give the same ids.

        Raises:
            DataError: ``mode`` is not ``word`` or ``char``, or the texts hold no token at all.
        """
        if mode not in ("word", "char"):
            raise DataError(f"unknown tokenisation {mode!r}; use 'word' or 'char'")
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(_split(text, mode=mode, lowercase=lowercase))
        if not counts:
            raise DataError("the training texts are all empty; a text classifier needs words to learn from")
        kept = [tok for tok, n in counts.items() if n >= min_count] or list(counts)
        kept.sort(key=lambda tok: (-counts[tok], tok))
        return cls(mode=mode, tokens=tuple(kept[:max_size]), lowercase=lowercase)

    def __post_init__(self) -> None:
        if self.mode not in ("word", "char"):
            raise DataError(f"unknown tokenisation {self.mode!r}; use 'word' or 'char'")
        object.__setattr__(self, "_index", {tok: i + 2 for i, tok in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens) + 2

    def split(self, text: str) -> list[str]:
        """The tokens of ``text`` (before the vocabulary lookup)."""
        return _split(text, mode=self.mode, lowercase=self.lowercase)

    def encode(self, text: str) -> list[int]:
        """Ids of ``text``'s tokens (1 for unknown ones); ``[1]`` for a text with no token."""
        index = self._index  # type: ignore[attr-defined]
        return [index.get(tok, 1) for tok in self.split(text)] or [1]

    def encode_batch(self, texts: Sequence[str], *, max_len: int | None = None) -> list[list[int]]:
        """:meth:`encode` each text, keeping the first ``max_len`` tokens of each when given."""
        return [self.encode(t)[:max_len] if max_len else self.encode(t) for t in texts]


def _split(text: str, *, mode: str, lowercase: bool) -> list[str]:
    if lowercase:
        text = text.lower()
    if mode == "char":
        return list(text)
    return _WORD.findall(text)


# ---------------------------------------------------------------------------------------------
# Labelled text tables (CSV / Parquet) for the classifier

# Column names that say "this is the text" / "this is the label", in order of preference.
TEXT_NAMES = ("text", "sentence", "review", "comment", "message", "content", "body", "document", "tweet")
LABEL_NAMES = ("label", "labels", "class", "category", "target", "sentiment", "y")


@dataclass
class TextTable:
    """Texts and (optionally) their labels read from a table.

    Attributes:
        texts: one string per row (an empty cell is an empty text).
        labels: one string per row, or None when the table has no label column.
        name: the file name, for messages.
        text_col: the column the texts came from.
        label_col: the column the labels came from (None when absent).
    """

    texts: list[str]
    labels: list[str] | None
    name: str
    text_col: str
    label_col: str | None = None


def read_text_table(
    source: str | Path,
    *,
    text_col: str | None = None,
    label_col: str | None = None,
    require_labels: bool = False,
) -> TextTable:
    """Read a CSV (or Parquet) file with a text column and a label column.

    A column not named is detected when that is unambiguous: the label column is the one named
    like ``label``/``class``/``category``/``sentiment`` (or the other column of a two-column
    table); the text column is the one named like ``text``/``review``/``sentence``, else the
    only remaining column, else the remaining column with the longest texts when its mean
    length is at least twice any other's.

    Args:
        source: the file.
        text_col: the text column (default: detected).
        label_col: the label column (default: detected; optional unless ``require_labels``).
        require_labels: fail when no label column is given or found.

    Raises:
        DataError: a missing file or column, an ambiguous table, or a row without a label.
    """
    from lstmkit.data.tabular import read_table

    frame = read_table(source, numbers=False)  # texts and labels as written: '12%' is not 12
    name = Path(source).name
    columns = [str(c) for c in frame.columns]
    listing = ", ".join(columns)
    for flag, col in (("--text-col", text_col), ("--label-col", label_col)):
        if col is not None and col not in columns:
            raise DataError(f"column {col!r} ({flag}) not found in {name}; columns are: {listing}")
    if text_col is not None and text_col == label_col:
        raise DataError(
            f"--text-col and --label-col both name column {text_col!r} of {name}; "
            "the text and the label must be different columns"
        )
    if label_col is None:
        others = [c for c in columns if c != text_col]
        named = [c for c in others if c.strip().lower() in LABEL_NAMES]
        if named:
            label_col = min(named, key=lambda c: LABEL_NAMES.index(c.strip().lower()))
        elif text_col is not None and len(others) == 1:
            label_col = others[0]
        elif require_labels:
            raise DataError(
                f"cannot tell which column of {name} holds the labels; columns are: {listing}; pass --label-col"
            )
    if text_col is None:
        text_col = _detect_text_column(
            frame, [c for c in columns if c != label_col], name=name, listing=listing
        )
    texts = ["" if v is None else str(v) for v in frame[text_col].tolist()]
    labels = None
    if label_col is not None:
        labels = [
            "" if v is None else class_label(v) for v in frame[label_col].tolist()
        ]  # Parquet's 1.0 is 1
        missing = [i for i, v in enumerate(labels) if v == "" or v.lower() == "nan"]
        if missing and require_labels:
            from lstmkit.data.tables import file_lines

            rows = ", ".join(map(str, file_lines(frame, missing[:5])))
            raise DataError(
                f"{name}: column {label_col!r} is empty on line(s) {rows}; every training row needs a label"
            )
    return TextTable(texts=texts, labels=labels, name=name, text_col=text_col, label_col=label_col)


def _detect_text_column(frame, candidates: list[str], *, name: str, listing: str) -> str:
    if not candidates:
        raise DataError(f"{name} has no column left for the text; columns are: {listing}; pass --text-col")
    named = [c for c in candidates if c.strip().lower() in TEXT_NAMES]
    if named:
        return min(named, key=lambda c: TEXT_NAMES.index(c.strip().lower()))
    if len(candidates) == 1:
        return candidates[0]
    lengths = {c: frame[c].astype(str).str.len().mean() for c in candidates}
    ranked = sorted(candidates, key=lambda c: -lengths[c])
    if lengths[ranked[0]] >= 2 * max(lengths[ranked[1]], 1.0):
        return ranked[0]
    raise DataError(
        f"cannot tell which column of {name} holds the text; columns are: {listing}; pass --text-col"
    )
