"""Long-CSV reading, padding and per-channel statistics for sequence classification."""

import numpy as np
import pytest

from lstmkit.data.long_csv import read_long_csv
from lstmkit.data.sequences import (
    SequenceData,
    channel_stats,
    natural_order,
    pad_sequences,
    read_sequences,
)
from lstmkit.errors import DataError

LONG = """\
trip,t,speed,heading,activity,note
b,2,2.0,20,run,x
b,1,1.0,10,run,y
a,1,5.0,,walk,z
a,3,7.0,70,walk,z
a,2,6.0,60,walk,z
"""


def write(tmp_path, text, name="long.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_long_csv_groups_cases_in_first_appearance_order_and_sorts_by_time(tmp_path):
    data = read_long_csv(write(tmp_path, LONG), id_col="trip", label_col="activity", time_col="t")
    assert data.ids == ["b", "a"]
    assert list(data.labels) == ["run", "walk"]
    np.testing.assert_array_equal(data.series[0], [[1, 10], [2, 20]])  # speed, heading; text column skipped
    assert data.series[1][0, 0] == 5 and np.isnan(data.series[1][0, 1])
    np.testing.assert_array_equal(data.series[1][1:], [[6, 60], [7, 70]])


def test_long_csv_without_time_keeps_file_order(tmp_path):
    data = read_long_csv(write(tmp_path, LONG), id_col="trip", label_col="activity")
    np.testing.assert_array_equal(data.series[0][:, 0], [2, 1])  # "t" is a feature now
    assert data.n_features == 3


def test_numeric_labels_stay_text(tmp_path):
    data = read_long_csv(write(tmp_path, "id,label,x\n1,1,0.5\n1,1,0.7\n2,10,0.1\n"))
    assert list(data.labels) == ["1", "10"] and data.ids == ["1", "2"]


def test_labels_are_optional_unless_required(tmp_path):
    path = write(tmp_path, "id,x\n1,0.5\n2,0.1\n")
    assert read_long_csv(path).labels is None
    with pytest.raises(DataError) as info:
        read_sequences(path, require_labels=True)
    assert (
        str(info.value) == "label column 'label' not found in long.csv; columns are: id, x; pass --label-col"
    )


def test_missing_id_column_names_the_columns(tmp_path):
    with pytest.raises(DataError) as info:
        read_long_csv(write(tmp_path, LONG), id_col="case")
    assert str(info.value) == (
        "id column 'case' not found in long.csv; columns are: trip, t, speed, heading, activity, note; pass --id-col"
    )


def test_conflicting_labels_within_a_case_name_the_first_disagreeing_line(tmp_path):
    path = write(tmp_path, 'id,label,x,note\na,u,1,"two\nlines"\nb,w,5,x\na,,2,x\na,v,3,x\n')
    with pytest.raises(
        DataError,
        match=r"^long.csv line 6: case 'a' has several labels in column 'label' \(u, v\); each case needs one label$",
    ):
        read_long_csv(path)


def test_no_numeric_feature(tmp_path):
    with pytest.raises(DataError, match="has no numeric feature column"):
        read_long_csv(write(tmp_path, "id,label,x\na,u,p\n"))


def test_pad_sequences_pads_and_cuts():
    series = [np.ones((2, 3), np.float32), 2 * np.ones((4, 3), np.float32)]
    padded, lengths = pad_sequences(series, value=-1.0)
    assert padded.shape == (2, 4, 3) and list(lengths) == [2, 4]
    assert (padded[0, 2:] == -1).all() and (padded[1] == 2).all()
    cut, lengths = pad_sequences(series, length=3)
    assert cut.shape == (2, 3, 3) and list(lengths) == [2, 3]


def test_channel_stats_ignore_missing_values_and_flat_channels():
    rng = np.random.default_rng(0)
    series = [rng.normal(size=(n, 3)).astype(np.float32) for n in (5, 9)]
    series[0][1, 0] = np.nan
    for s in series:
        s[:, 2] = 4.0
    mean, std = channel_stats(series)
    stacked = np.concatenate(series)
    np.testing.assert_allclose(mean[:2], np.nanmean(stacked[:, :2], axis=0), rtol=1e-5)
    np.testing.assert_allclose(std[:2], np.nanstd(stacked[:, :2], axis=0), rtol=1e-5)
    assert mean[2] == 4.0 and std[2] == 1.0


def test_natural_order_and_subset():
    assert natural_order(["10", "2", "1"]) == ["1", "2", "10"]
    assert natural_order(["b", "a10", "a2"]) == ["a2", "a10", "b"]
    data = SequenceData(
        series=[np.zeros((1, 1))] * 3, labels=np.array(["x", "y", "z"], dtype=object), ids=["p", "q", "r"]
    )
    sub = data.subset([2, 0])
    assert list(sub.labels) == ["z", "x"] and sub.ids == ["r", "p"]


def test_unknown_name_lists_the_bundled_datasets():
    with pytest.raises(DataError, match="neither a file nor a bundled dataset.*japanese-vowels"):
        read_sequences("no-such-dataset")


def test_long_csv_refuses_infinity_and_names_the_case(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("id,x,label\na,1,u\na,inf,u\nb,2,v\n")
    with pytest.raises(DataError, match=r"long.csv: case 'a' has an infinite value in column 'x'"):
        read_long_csv(path, id_col="id", label_col="label")


def test_long_csv_reads_semicolons_utf16_and_refuses_junk(tmp_path):
    path = tmp_path / "long.csv"
    path.write_bytes("id;x;label\na;1,5;u\na;2;u\nb;3;v\n".encode("utf-16"))
    data = read_long_csv(path, id_col="id", label_col="label")
    assert [s[:, 0].tolist() for s in data.series] == [[1.5, 2.0], [3.0]] and list(data.labels) == ["u", "v"]
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="looks like a binary file, not a CSV"):
        read_long_csv(junk, id_col="id", label_col="label")


def test_long_csv_drops_a_case_s_trailing_rows_with_every_feature_empty(tmp_path):
    """They are padding, as in a .ts file: the ONNX graph reads trailing all-NaN steps so, and predict must agree."""
    path = write(tmp_path, "id,x,y,label\na,1,2,u\na,,3,u\na,,,u\na,,,u\nb,4,5,v\nb,,,v\n")
    data = read_long_csv(path, id_col="id", label_col="label")
    assert list(data.lengths) == [2, 1]
    assert np.isnan(data.series[0][1, 0]) and data.series[0][1, 1] == 3  # a missing value inside stays


def test_long_csv_refuses_a_case_with_no_observed_value(tmp_path):
    path = write(tmp_path, "id,x,label\na,1,u\nb,,v\nb,,v\n")
    with pytest.raises(
        DataError,
        match=r"^long.csv: case 'b' has no observed value \(every feature cell is empty\); drop its rows or fill them in$",
    ):
        read_long_csv(path, id_col="id", label_col="label")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"label_col": "id"}, "--id-col and --label-col both name column 'id' of long.csv"),
        ({"time_col": "id"}, "--id-col and --time-col both name column 'id' of long.csv"),
        ({"time_col": "label"}, "--label-col and --time-col both name column 'label' of long.csv"),
    ],
)
def test_long_csv_refuses_one_column_in_two_roles(tmp_path, flags, message):
    path = write(tmp_path, "id,t,x,label\na,1,1,u\nb,1,2,v\n")
    with pytest.raises(DataError, match=f"^{message}; each role needs its own column$"):
        read_long_csv(path, **{"id_col": "id", "label_col": "label", **flags})


def test_long_csv_refuses_two_rows_at_one_time_step_of_a_case(tmp_path):
    path = write(tmp_path, "id,t,x,label\na,1,1,u\na,2,2,u\nb,1,3,v\nb,1,4,v\n")
    with pytest.raises(
        DataError,
        match=r"^long.csv: case 'b' has several rows at t 1; each case needs one row per time step$",
    ):
        read_long_csv(path, id_col="id", label_col="label", time_col="t")


def test_long_csv_names_a_text_cell_in_a_column_of_numbers(tmp_path):
    """One typo must not silently drop a feature (the model would then refuse the clean test file)."""
    path = write(tmp_path, "id,x,y,label\na,1,2,u\na,2,abc,u\nb,3,4,v\n")
    with pytest.raises(
        DataError,
        match=r"^long.csv line 3: column 'y' holds 'abc' among numbers; fix the cell, or leave it empty for a missing value$",
    ):
        read_long_csv(path, id_col="id", label_col="label")


def test_the_line_named_counts_the_lines_of_a_multi_line_cell(tmp_path):
    path = write(tmp_path, 'id,x,y,label\n"b\nc",2,3,u\na,1,2,u\nd,3,abc,v\ne,4,5,v\nf,4,5,v\n')
    with pytest.raises(DataError, match=r"^long.csv line 5: column 'y' holds 'abc' among numbers"):
        read_long_csv(path, id_col="id", label_col="label")


def test_unlabelled_ts_file_message_fits_training_too(tmp_path):
    path = write(tmp_path, "@classLabel false\n@data\n1,2,3\n", name="x.ts")
    with pytest.raises(
        DataError, match=r"^x.ts has no class labels \(@classLabel false\); training and evaluating"
    ):
        read_sequences(path, require_labels=True)


def test_long_csv_refuses_an_empty_time_cell_with_its_line(tmp_path):
    """An empty time cell used to sort its row silently to the end of its case."""
    path = write(tmp_path, "id,t,x,label\na,1,1,u\na,,2,u\na,3,3,u\nb,1,4,v\n")
    with pytest.raises(
        DataError,
        match=r"^long.csv line 3: the time column 't' is empty; every row needs its time step "
        r"\(or leave --time-col out to keep the file's row order\)$",
    ):
        read_long_csv(path, id_col="id", label_col="label", time_col="t")


def test_long_csv_names_a_time_cell_that_is_neither_number_nor_date(tmp_path, recwarn):
    path = write(tmp_path, "id,t,x,label\na,s1,1,u\na,s2,2,u\nb,s1,4,v\n")
    with pytest.raises(
        DataError,
        match=r"^long.csv line 2: the time column 't' holds 's1', neither a number nor a date; "
        r"pass a column of numbers or dates \(such as 2020-01-31 12:00\) as --time-col",
    ):
        read_long_csv(path, id_col="id", label_col="label", time_col="t")
    assert not recwarn.list  # no pandas parsing warning on the user's screen


def test_long_csv_orders_steps_by_clock_times(tmp_path):
    path = write(
        tmp_path,
        "id,t,x,label\na,2020-01-31 10:00:02,3,u\na,2020-01-31 10:00:00,1,u\na,2020-01-31 10:00:01,2,u\n"
        "b,2020-02-01 09:00,5,v\nb,2020-01-31 23:00,4,v\n",
    )
    data = read_long_csv(path, id_col="id", label_col="label", time_col="t")
    np.testing.assert_array_equal(data.series[0][:, 0], [1, 2, 3])
    np.testing.assert_array_equal(data.series[1][:, 0], [4, 5])


def test_a_column_named_like_a_time_without_time_col_is_named(tmp_path, caplog):
    """Rows out of order were read in file order, silently, with the time as one more feature."""
    path = write(tmp_path, "id,step,x,label\na,2,2,u\na,1,1,u\nb,1,3,v\nb,2,4,v\n")
    data = read_long_csv(path, id_col="id", label_col="label")
    assert data.features == ["step", "x"]
    assert [r.getMessage() for r in caplog.records] == [
        "long.csv: column 'step' is named like a time, but without --time-col the steps stay in file order and "
        "'step' is read as a feature; pass --time-col step to order each case's steps by it"
    ]
    caplog.clear()
    read_long_csv(path, id_col="id", label_col="label", time_col="step")
    assert not caplog.records


def test_integral_float_labels_name_the_same_classes_as_their_integers(tmp_path):
    """A Parquet file stores integer classes as floats (1.0, or any int column with a missing cell): its cases
    were labelled '1.0' where the same table saved as a CSV, or a .ts file, says '1'."""
    import pandas as pd

    rows = [{"id": f"c{c}", "x": float(t + c), "label": float(1 + c % 2)} for c in range(4) for t in range(3)]
    frame = pd.DataFrame(rows)
    assert frame["label"].dtype == np.float64
    frame.to_parquet(tmp_path / "long.parquet", index=False)
    frame.assign(label=frame["label"].astype(int)).to_csv(tmp_path / "int.csv", index=False)
    frame.to_csv(tmp_path / "float.csv", index=False)  # pandas writes 1.0
    assert (tmp_path / "float.csv").read_text().splitlines()[1] == "c0,0.0,1.0"
    for name in ("long.parquet", "int.csv", "float.csv"):
        assert list(read_sequences(tmp_path / name).labels) == ["1", "2", "1", "2"], name
    ts = "@problemName P\n@univariate true\n@classLabel true 1.0 2.0\n@data\n1,2,3:1.0\n3,2,1:2\n"
    assert list(read_sequences(write(tmp_path, ts, "p.ts")).labels) == ["1", "2"]
    assert read_sequences(write(tmp_path, ts, "p.ts")).classes == ("1", "2")
