"""Class labels as names: one spelling per class."""

import numpy as np
import pytest

from lstmkit.data.labels import class_label, stored_classes


@pytest.mark.parametrize(
    "value, name",
    [
        (1.0, "1"),
        (np.float64(2.0), "2"),
        (np.float32(-3.0), "-3"),
        (" 1.00 ", "1"),
        (7, "7"),
        (1.5, "1.5"),  # not integral: a class of its own
        ("1.0.0", "1.0.0"),  # a version, not a number
        (" walk ", "walk"),
        (float("nan"), "nan"),  # the readers' missing label, as before
    ],
)
def test_class_label_reads_an_integral_decimal_as_its_integer(value, name):
    assert class_label(value) == name


def test_stored_classes_are_named_alike_unless_two_would_merge():
    assert stored_classes(["1.0", "2.0"]) == ["1", "2"]  # a folder written by an earlier lstmkit from Parquet
    assert stored_classes(["1", "1.0"]) == ["1", "1.0"]  # trained as two classes: kept apart
