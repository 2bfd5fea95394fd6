"""Windows as views: starts never cross series, validation is purged, batches gather the right values."""

import torch

from lstmkit.data.windows import gather_windows, window_starts


def test_windows_stay_inside_their_series_and_validation_is_purged():
    index = window_starts([10, 8], length=4, horizon=2, val_fraction=0.3)
    for start, s in zip(
        torch.cat([index.train, index.val]), torch.cat([index.train_series, index.val_series])
    ):
        begin, end = (0, 10) if s == 0 else (10, 18)
        assert begin <= start and start + 4 <= end
    # series 0 has 7 windows: 2 for validation (starts 5, 6), 1 purged (4), training 0..3
    assert index.val[:2].tolist() == [5, 6] and index.train[index.train_series == 0].tolist() == [0, 1, 2, 3]


def test_gather_reads_the_window_at_each_start_without_copying_the_series():
    values = torch.arange(20.0).view(10, 2)
    view = values.unfold(0, 3, 1)
    assert view.data_ptr() == values.data_ptr()  # a view
    win = gather_windows(values, torch.tensor([0, 5]), 3)
    assert win.shape == (2, 3, 2)
    torch.testing.assert_close(win[1], values[5:8])


def test_max_windows_caps_each_epoch_and_epochs_cover_different_windows():
    index = window_starts([1000], length=10, horizon=2, val_fraction=0.0, max_windows=100)
    assert len(index.train) == 991 and index.per_epoch == 100
    first, second = index.epoch_rows(0), index.epoch_rows(1)
    assert len(first) == len(second) == 100 and first.max() < 991 and second.max() < 991
    assert len(set(first.tolist()) | set(second.tolist())) > 150  # different windows
    assert index.epoch_rows(1).tolist() == second.tolist()  # deterministic, so resume repeats it
