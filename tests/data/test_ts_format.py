"""The UEA/UCR .ts reader: header tags, unequal lengths, missing values, labels, errors naming lines."""

import gzip

import numpy as np
import pytest

from lstmkit.data.sequences import read_sequences
from lstmkit.data.ts_format import read_ts
from lstmkit.errors import DataError

UNIVARIATE = """\
# a comment line
@problemName Toy
@timeStamps false
@missing false
@univariate true
@equalLength true
@seriesLength 4
@classLabel true walk run
@data
1,2,3,4:run
0.5,0.25,-1,2e-1:walk
"""

MULTIVARIATE_UNEQUAL = """\
@problemName Multi
@univariate false
@dimensions 2
@equalLength false
@missing true
@classLabel true b a
@data
1,2,3:4,5,6:a
1,?,3,4,5:6,7,8,9,10:b
7,8:9,?:b
1,2,?:4,5,?:a
"""


def write(tmp_path, text, name="toy.ts"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_univariate_values_labels_and_declared_order(tmp_path):
    data = read_ts(write(tmp_path, UNIVARIATE))
    assert len(data) == 2 and data.n_features == 1
    np.testing.assert_array_equal(data.series[0][:, 0], [1, 2, 3, 4])
    np.testing.assert_allclose(data.series[1][:, 0], [0.5, 0.25, -1, 0.2])
    assert list(data.labels) == ["run", "walk"]
    assert data.classes == ("walk", "run")  # the header's order, not sorted
    assert data.name == "toy.ts"


def test_multivariate_unequal_lengths_and_missing(tmp_path):
    data = read_ts(write(tmp_path, MULTIVARIATE_UNEQUAL))
    assert data.n_features == 2
    assert list(data.lengths) == [3, 5, 2, 2]  # the last case's trailing all-missing step is dropped
    np.testing.assert_array_equal(data.series[0], [[1, 4], [2, 5], [3, 6]])
    assert np.isnan(data.series[1][1, 0]) and data.series[1][1, 1] == 7
    assert np.isnan(data.series[2][1, 1]) and data.series[2][1, 0] == 8
    assert list(data.labels) == ["a", "b", "b", "a"]


def test_unlabelled_file(tmp_path):
    data = read_ts(write(tmp_path, "@classLabel false\n@data\n1,2,3\n4,5\n"))
    assert data.labels is None and list(data.lengths) == [3, 2]


def test_gzipped_file(tmp_path):
    path = tmp_path / "toy.ts.gz"
    path.write_bytes(gzip.compress(UNIVARIATE.encode()))
    assert len(read_ts(path)) == 2


def test_byte_order_mark_and_crlf_line_ends_are_read(tmp_path):
    path = tmp_path / "bom.ts"
    path.write_bytes(b"\xef\xbb\xbf" + UNIVARIATE.replace("\n", "\r\n").encode())
    data = read_ts(path)
    assert list(data.labels) == ["run", "walk"] and data.classes == ("walk", "run")
    zipped = tmp_path / "bom.ts.gz"
    zipped.write_bytes(gzip.compress(path.read_bytes()))
    assert np.array_equal(read_ts(zipped).series[1], data.series[1])


def test_header_tags_separated_by_tabs_are_read(tmp_path):
    """A tab between a tag and its value was read as part of the tag: 'unknown header tag @problemName'."""
    data = read_ts(
        write(
            tmp_path,
            UNIVARIATE.replace("@problemName ", "@problemName\t").replace(" walk run", "\twalk\trun"),
        )
    )
    assert data.classes == ("walk", "run") and list(data.labels) == ["run", "walk"]


def test_windows_encoded_and_utf16_files_are_read(tmp_path, caplog):
    """A .ts file saved by a Windows editor (a comment with an accent) or by PowerShell (UTF-16) reads as its CSVs do."""
    accented = tmp_path / "accented.ts"
    accented.write_bytes(("# données de café\n" + UNIVARIATE).encode("cp1252"))
    with caplog.at_level("WARNING"):
        data = read_ts(accented)
    assert list(data.labels) == ["run", "walk"]
    assert "accented.ts is not UTF-8; reading it as Windows-1252" in caplog.text
    utf16 = tmp_path / "utf16.ts"
    utf16.write_bytes(UNIVARIATE.replace("\n", "\r\n").encode("utf-16"))
    np.testing.assert_array_equal(read_ts(utf16).series[1], data.series[1])


def test_binary_and_damaged_gzip_files_are_named(tmp_path):
    binary = tmp_path / "binary.ts"
    binary.write_bytes(b"\x00\x01\x02\x00\x00\x00\x05")
    with pytest.raises(
        DataError, match=r"binary.ts looks like a binary file, not a .ts file; pass a text .ts file$"
    ):
        read_ts(binary)
    noise = tmp_path / "noise.ts"  # no NUL: it was read as Latin-1 and refused for its first line
    noise.write_bytes(bytes(np.random.default_rng(2).integers(1, 256, 300, dtype=np.uint8)))
    with pytest.raises(
        DataError, match=r"noise.ts looks like a binary file, not a .ts file; pass a text .ts file$"
    ):
        read_ts(noise)
    cut = tmp_path / "cut.ts.gz"
    cut.write_bytes(gzip.compress(UNIVARIATE.encode())[:20])
    with pytest.raises(DataError, match=r"cut.ts.gz is a damaged gzip file \(.*\); compress it again$"):
        read_ts(cut)


TIMESTAMPED = """\
@problemName Stamped
@timeStamps true
@missing true
@univariate false
@dimensions 2
@classLabel true a b
@data
(2007-01-01 00:00:00,1),(2007-01-01 00:02:00,3),(2007-01-01 00:01:00,2):(2007-01-01 00:00:00,10),(2007-01-01 00:01:30,15):a
(5,4.5),(2,?),(1,4):(1,40),(2,41):b
"""


def test_timestamped_values_are_ordered_by_time_and_channels_aligned_on_their_times(tmp_path):
    """@timeStamps true files (sktime writes them) were refused; a clock's ':' is inside the brackets."""
    data = read_ts(write(tmp_path, TIMESTAMPED))
    nan = np.nan
    np.testing.assert_array_equal(data.series[0], [[1, 10], [2, nan], [nan, 15], [3, nan]])
    np.testing.assert_array_equal(data.series[1], [[4, 40], [nan, 41], [4.5, nan]])
    assert list(data.labels) == ["a", "b"]


def test_channels_of_different_length_are_padded_with_missing(tmp_path):
    data = read_ts(write(tmp_path, "@dimensions 2\n@classLabel true x y\n@data\n1,2,3:4,5:x\n1,2:3,4:y\n"))
    assert data.series[0].shape == (3, 2) and np.isnan(data.series[0][2, 1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "@dimensions 2\n@classLabel true x y\n@data\n1,2:3,4:x\n1,2:y\n",
            "toy.ts line 5: expected 2 channel(s) separated by ':', found 1",
        ),
        (
            "@classLabel true x y\n@data\n1,2:x\n1,abc:y\n",
            "toy.ts line 4: channel 1 has a non-numeric value 'abc'",
        ),
        (
            "@classLabel true x y\n@data\n1,2:x\n1,2:z\n",
            "toy.ts line 4: class label 'z' is not among the declared @classLabel values x, y",
        ),
        ("@problemName t\n@colour blue\n@data\n", "toy.ts line 2: unknown header tag @colour"),
        ("@classLabel true a\n1,2:a\n", "toy.ts line 2: expected a header tag"),
        ("@problemName t\n@classLabel true a\n", "toy.ts: no @data line found"),
        ("@problemName t\n@data\n1,2\n", "toy.ts line 2: the header has no @classLabel tag"),
        (
            "@classLabel true a\n@data\n(0,1),(1,2):a\n",
            "toy.ts line 3: values are written as (time,value) pairs but the header does not say so; "
            "add '@timeStamps true' before @data",
        ),
        (
            "@timeStamps true\n@classLabel true a\n@data\n(0,1),(1,2),3:a\n",
            "toy.ts line 4: channel 1 is not a list of (time,value) pairs such as (0,1.5),(1,2.0)",
        ),
        (
            "@timeStamps true\n@classLabel true a\n@data\n(0,1),(0,2):a\n",
            "toy.ts line 4: channel 1 has two values at one time; each time needs one value",
        ),
        (
            "@timeStamps true\n@classLabel true a\n@data\n(0,1),(soon,2):a\n",
            "toy.ts line 4: channel 1 has a time 'soon' that is neither a number nor a date",
        ),
        (
            "@timeStamps true\n@dimensions 2\n@classLabel true a\n@data\n(0,1):(2020-01-01,2):a\n",
            "toy.ts line 5: some channels are timed by numbers, others by dates",
        ),
        ("@univariate maybe\n", "toy.ts line 1: @univariate must be true or false, got 'maybe'"),
        ("@classLabel true a b\n@data\n1,2:\n", "toy.ts line 3: the class label after the last ':' is empty"),
        ("@classLabel true a b\n@data\n?,?:a\n", "toy.ts line 3: the series has no observed values"),
        ("@classLabel true a b\n@data\n", "toy.ts: the file has no data lines after @data"),
    ],
)
def test_malformed_files_name_the_line(tmp_path, text, message):
    with pytest.raises(DataError) as info:
        read_ts(write(tmp_path, text))
    assert message in str(info.value)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="data file .*nope.ts not found"):
        read_ts(tmp_path / "nope.ts")


def test_bundled_japanese_vowels_train_and_test_splits():
    train = read_sequences("japanese-vowels")
    test = read_sequences("japanese-vowels", split="test")
    assert (len(train), len(test)) == (270, 370)
    assert train.n_features == 12 and 7 <= train.lengths.min() and train.lengths.max() <= 29
    assert train.classes == tuple(str(k) for k in range(1, 10))
    assert len(read_sequences("japanese-vowels-test")) == 370


def test_infinity_is_refused_with_its_line(tmp_path):
    path = tmp_path / "inf.ts"
    path.write_text("@problemName P\n@classLabel true a b\n@data\n1,2,3:a\n1,inf,3:b\n")
    with pytest.raises(
        DataError, match=r"line 5: channel 1 has an infinite value 'inf'; use '\?' for a missing value"
    ):
        read_ts(path)
