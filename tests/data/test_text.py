"""Corpus loading, the character vocabulary, the classifier's tokeniser and text tables."""

import pytest

from lstmkit.data.text import (
    CharVocab,
    Tokenizer,
    python_stdlib_corpus,
    read_text,
    read_text_table,
)
from lstmkit.errors import DataError

# ----------------------------------------------------------------------------- read_text


def test_read_text_normalises_line_endings_and_drops_bom(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"\xef\xbb\xbfone\r\ntwo\rthree\n")
    assert read_text(path) == "one\ntwo\nthree\n"


def test_read_text_max_chars(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("abcdefgh", encoding="utf-8")
    assert read_text(path, max_chars=3) == "abc"


def test_read_text_missing_file(tmp_path):
    with pytest.raises(
        DataError,
        match=r"text file '.*nope\.txt' not found; pass a UTF-8 text file or the bundled corpus 'python-stdlib'",
    ):
        read_text(tmp_path / "nope.txt")


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\n"])
def test_read_text_empty(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match="is empty; a corpus needs text to learn from"):
        read_text(path)


def test_read_text_binary(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(
        DataError, match=r"x\.bin looks like a binary file, not a text file; pass a text file$"
    ):
        read_text(path)


@pytest.mark.parametrize("tail", [b"\x00\x01\x02", b"\xe9\x00\x01"], ids=["utf-8", "windows-1252"])
def test_read_text_refuses_a_nul_past_the_head_as_binary(tmp_path, tail, caplog):
    """The decoder looks for NULs in the first 4 KB; one further on is binary too (its message said 'neither
    UTF-8 nor UTF-8-SIG text'), not a character of the corpus; and the error comes alone, without a
    note that the file is read as Windows-1252."""
    path = tmp_path / "x.bin"
    path.write_bytes(b"plain text\n" * 1000 + tail)
    with pytest.raises(
        DataError, match=r"x\.bin looks like a binary file, not a text file; pass a text file$"
    ):
        read_text(path)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_read_text_reads_windows_1252_with_the_csv_readers_warning(tmp_path, caplog):
    """It refused a non-UTF-8 corpus (with an iconv hint) while CSV and .ts files fall back to Windows-1252."""
    path = tmp_path / "latin.txt"
    path.write_bytes("ok\r\ncafé “déjà vu” 5 €\n".encode("cp1252"))
    assert read_text(path) == "ok\ncafé “déjà vu” 5 €\n"
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        f"{path} is not UTF-8; reading it as Windows-1252"
    ]


def test_read_text_reads_utf16_without_a_byte_order_mark(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("héllo\nwörld\n".encode("utf-16-le"))
    assert read_text(path) == "héllo\nwörld\n"


def test_read_text_folder(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        read_text(tmp_path)


def test_python_stdlib_corpus_is_python_and_capped():
    text = read_text("python-stdlib", max_chars=50_000)
    assert 1_000 < len(text) <= 50_000
    assert "def " in text and "import " in text
    assert python_stdlib_corpus(max_chars=50_000) == text  # deterministic


# ----------------------------------------------------------------------------- CharVocab


def test_char_vocab_round_trip_and_unknown():
    vocab = CharVocab.build("hello world\n")
    assert vocab.chars == "\n dehlorw"
    assert len(vocab) == len(vocab.chars) + 1  # + <unk>
    ids = vocab.encode("hold")
    assert 0 not in ids and vocab.decode(ids) == "hold"
    assert vocab.encode("hé") == [vocab.encode("h")[0], 0]
    assert vocab.decode([0]) == "\ufffd"
    assert vocab.unknown("héllo!") == "!é"


def test_char_vocab_rejects_duplicates():
    with pytest.raises(DataError, match="twice"):
        CharVocab("aa")


# ----------------------------------------------------------------------------- Tokenizer


def test_word_tokenizer_splits_punctuation_and_lowercases():
    tok = Tokenizer.fit(["Hello, world!"], min_count=1)
    assert tok.split("Hello, World!") == ["hello", ",", "world", "!"]
    assert 1 not in tok.encode("hello world")


def test_tokenizer_rare_and_unseen_tokens_are_unk():
    tok = Tokenizer.fit(["good good film", "bad bad film", "rare"], min_count=2)
    assert "rare" not in tok.tokens
    good, film = tok.encode("good film")
    assert good >= 2 and film >= 2
    assert tok.encode("rare unseenword") == [1, 1]


def test_tokenizer_empty_text_is_one_unknown_token():
    tok = Tokenizer.fit(["a a", "b b"], min_count=1)
    assert tok.encode("") == [1]
    assert tok.encode("   \n") == [1]


def test_tokenizer_ids_are_deterministic():
    texts = ["b a c", "c a b", "a"]
    tok = Tokenizer.fit(texts, min_count=1)
    assert tok.tokens == ("a", "b", "c")  # by frequency, ties alphabetical
    assert tok == Tokenizer.fit(list(reversed(texts)), min_count=1)


def test_char_tokenizer_and_max_len():
    tok = Tokenizer.fit(["abc", "cab"], mode="char", min_count=1, lowercase=False)
    assert tok.split("aB") == ["a", "B"]
    assert tok.encode("aB") == [tok.encode("a")[0], 1]
    assert tok.encode_batch(["abcabc"], max_len=2) == [tok.encode("ab")]


def test_tokenizer_errors():
    with pytest.raises(DataError, match="unknown tokenisation 'bpe'; use 'word' or 'char'"):
        Tokenizer.fit(["a"], mode="bpe")
    with pytest.raises(DataError, match="the training texts are all empty"):
        Tokenizer.fit(["", "  "])


# ----------------------------------------------------------------------------- read_text_table


def _csv(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_table_columns_detected_by_name(tmp_path):
    path = _csv(tmp_path, 'id,review,sentiment\n1,great film,pos\n2,"awful, boring",neg\n')
    table = read_text_table(path, require_labels=True)
    assert (table.text_col, table.label_col) == ("review", "sentiment")
    assert table.texts == ["great film", "awful, boring"] and table.labels == ["pos", "neg"]


def test_table_two_columns_with_text_given(tmp_path):
    path = _csv(tmp_path, "body,queue\nprinter is broken,it\nrefund please,billing\n")
    table = read_text_table(path, text_col="body", require_labels=True)
    assert table.label_col == "queue"


def test_table_empty_text_cell_is_empty_string(tmp_path):
    path = _csv(tmp_path, "text,label\n,a\nhello,b\n")
    assert read_text_table(path, require_labels=True).texts == ["", "hello"]


def test_table_ambiguous_columns(tmp_path):
    path = _csv(tmp_path, "a,b,c\nx,y,z\n")
    with pytest.raises(
        DataError,
        match="cannot tell which column of d.csv holds the labels; columns are: a, b, c; pass --label-col",
    ):
        read_text_table(path, require_labels=True)
    with pytest.raises(
        DataError,
        match="cannot tell which column of d.csv holds the text; columns are: a, b, c; pass --text-col",
    ):
        read_text_table(path, label_col="c")


def test_table_missing_column(tmp_path):
    path = _csv(tmp_path, "text,label\nhi,a\n")
    with pytest.raises(
        DataError, match=r"column 'txt' \(--text-col\) not found in d.csv; columns are: text, label"
    ):
        read_text_table(path, text_col="txt")


def test_table_refuses_one_column_as_text_and_label(tmp_path):
    """It trained a classifier whose classes were the texts themselves."""
    path = _csv(tmp_path, "text,label\nhi,a\nho,b\n")
    with pytest.raises(
        DataError,
        match=r"^--text-col and --label-col both name column 'text' of d.csv; the text and the label must be different columns$",
    ):
        read_text_table(path, text_col="text", label_col="text")


def test_table_missing_label_names_line(tmp_path):
    path = _csv(tmp_path, "text,label\nhi,a\nho,\n")
    with pytest.raises(
        DataError, match=r"column 'label' is empty on line\(s\) 3; every training row needs a label"
    ):
        read_text_table(path, require_labels=True)


def test_table_missing_label_line_counts_the_lines_of_multi_line_texts(tmp_path):
    """It counted rows, not lines: the label missing on line 7 was reported on line 4."""
    path = _csv(tmp_path, 'text,label\n"first line\nsecond line",a\n"another\nmulti\nline",b\nplain,\n')
    with pytest.raises(
        DataError, match=r"column 'label' is empty on line\(s\) 7; every training row needs a label"
    ):
        read_text_table(path, require_labels=True)


def test_read_text_utf16_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("héllo\r\nworld\n".encode("utf-16"))
    assert read_text(path) == "héllo\nworld\n"


def test_read_text_decompresses_a_gzipped_corpus_and_names_a_damaged_one(tmp_path):
    """It was refused as binary ('holds NUL bytes'), though a .ts.gz file is read."""
    import gzip

    path = tmp_path / "corpus.txt.gz"
    path.write_bytes(gzip.compress("héllo\r\nworld\n".encode()))
    assert read_text(path) == "héllo\nworld\n"
    path.write_bytes(path.read_bytes()[:-9])
    with pytest.raises(DataError, match=r"corpus.txt.gz is a damaged gzip file \(.*\); compress it again$"):
        read_text(path)


def test_table_tab_separated_texts_quoting_semicolons(tmp_path):
    """csv.Sniffer took a quoted text ending in '; ok"' for a ';' delimiter: the TSV was refused as malformed."""
    path = tmp_path / "reviews.tsv"
    path.write_text('text\tlabel\n"He said, ""fine""; ok"\tpos\nNo, no, no; never\tneg\n', encoding="utf-8")
    table = read_text_table(path)
    assert table.texts == ['He said, "fine"; ok', "No, no, no; never"] and table.labels == ["pos", "neg"]


def test_table_semicolon_separated_texts_with_commas(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text;label\nSehr gut, wirklich;pos\nSchlecht, nie wieder, nein;neg\nok, ok;pos\n")
    table = read_text_table(path)
    assert table.texts == ["Sehr gut, wirklich", "Schlecht, nie wieder, nein", "ok, ok"]
    assert table.labels == ["pos", "neg", "pos"]


def test_table_texts_and_labels_are_read_as_written(tmp_path):
    """The table reader read a column of decorated numbers as numbers: '12%' became 12 and '$5' 5."""
    path = tmp_path / "codes.csv"
    path.write_text('text,label\n00123,$5\n"1,234",$10\n12%,$5\n(5),$10\n')
    table = read_text_table(path)
    assert table.texts == ["00123", "1,234", "12%", "(5)"] and table.labels == ["$5", "$10", "$5", "$10"]


def test_read_text_table_names_integral_float_labels_as_their_integers(tmp_path):
    """Parquet's float labels (1.0) were other classes than the same labels in a CSV (1)."""
    import pandas as pd

    frame = pd.DataFrame({"text": ["good", "bad", "fine"], "label": [1.0, 2.0, 1.0]})
    frame.to_parquet(tmp_path / "reviews.parquet", index=False)
    (tmp_path / "reviews.csv").write_text("text,label\ngood,1\nbad,2\nfine,1\n")
    for name in ("reviews.parquet", "reviews.csv"):
        table = read_text_table(tmp_path / name, text_col="text", label_col="label")
        assert table.labels == ["1", "2", "1"], name
