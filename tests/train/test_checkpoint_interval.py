"""The checkpoint is written every ``SAVE_EVERY_SECONDS`` of training, at the end and on an interruption,
never in between; the run still resumes to the uninterrupted weights. A fake clock, no timings."""

import os
import signal

import pytest
import torch
from torch import nn

import lstmkit.train.callbacks as callbacks
from lstmkit.interrupt import Interrupted, interrupt_on_signals
from lstmkit.train import TrainerConfig, fit, load_checkpoint, set_seed

CONFIG = TrainerConfig(epochs=30, batch_size=8, lr=1e-2, patience=1000)


def mse(model, batch):
    return nn.functional.mse_loss(model(batch[0]), batch[1])


def data():
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    return x, torch.sin(3 * x)


def make_model():
    set_seed(0)
    return nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Dropout(0.1), nn.Linear(8, 1))


@pytest.fixture
def saved(monkeypatch):
    """The epochs of every checkpoint written, in order."""
    epochs, save = [], callbacks.save_checkpoint

    def counted(path, state):
        epochs.append(state["epoch"])
        save(path, state)

    monkeypatch.setattr(callbacks, "save_checkpoint", counted)
    return epochs


class Clock:
    """The checkpoint's clock, moved on ``seconds`` by every finished epoch."""

    def __init__(self, seconds: float):
        self.now, self.seconds = 0.0, seconds

    def __call__(self) -> float:
        return self.now

    def on_epoch_end(self, epoch, row):
        self.now += self.seconds


def uninterrupted(config=CONFIG):
    model = make_model()
    fit(model, mse, data(), data(), config=config)
    return model.state_dict()


def assert_same(a, b):
    for key, value in a.items():
        assert torch.equal(value, b[key]), key


def test_a_fast_run_writes_a_checkpoint_every_few_seconds_not_every_epoch(tmp_path, saved, monkeypatch):
    clock = Clock(seconds=1.0)  # five epochs between writes
    monkeypatch.setattr(callbacks, "_clock", clock)
    model = make_model()
    fit(model, mse, data(), data(), config=CONFIG, checkpoint_path=tmp_path / "c.json", callbacks=[clock])
    assert saved == [5, 10, 15, 20, 25, 30]
    assert_same(uninterrupted(), model.state_dict())  # keeping a copy of every epoch changes nothing

    saved.clear()
    monkeypatch.setattr(callbacks, "_clock", lambda: 0.0)  # a run faster than the interval
    fit(make_model(), mse, data(), data(), config=CONFIG, checkpoint_path=tmp_path / "d.json")
    assert saved == [30]  # only the last epoch
    again = make_model()
    history = fit(again, mse, data(), data(), config=CONFIG, checkpoint_path=tmp_path / "d.json", resume=True)
    assert len(history.rows) == 30 and saved == [30]  # a finished run: nothing left to train or write
    assert_same(model.state_dict(), again.state_dict())


def test_early_stopping_writes_its_last_epoch_marked_done(tmp_path, saved, monkeypatch):
    monkeypatch.setattr(callbacks, "_clock", lambda: 0.0)
    x, y = data()
    config = TrainerConfig(epochs=100, batch_size=8, lr=1e-2, patience=2)
    noise = (x, torch.randn_like(y))  # a validation set the model cannot learn: it stops early
    history = fit(make_model(), mse, (x, y), noise, config=config, checkpoint_path=tmp_path / "c.json")
    assert history.stopped_early and saved == [len(history.rows)]
    assert load_checkpoint(tmp_path / "c.json")["done"]


class SignalAt:
    """Send SIGINT as epoch ``epoch`` (0-based) starts, or at its second batch."""

    def __init__(self, epoch: int, *, mid_epoch: bool):
        self.epoch, self.mid_epoch, self.batches = epoch, mid_epoch, 0

    def on_epoch_start(self, epoch):
        self.current, self.batches = epoch, 0
        if epoch == self.epoch and not self.mid_epoch:
            os.kill(os.getpid(), signal.SIGINT)

    def on_batch_start(self):
        self.batches += 1
        if self.current == self.epoch and self.mid_epoch and self.batches == 2:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.parametrize("mid_epoch", [False, True], ids=["between-epochs", "mid-epoch"])
def test_an_interrupted_run_keeps_its_last_finished_epoch(tmp_path, saved, monkeypatch, mid_epoch):
    monkeypatch.setattr(callbacks, "_clock", lambda: 0.0)  # no write falls due before the signal
    checkpoint = tmp_path / "c.json"
    with interrupt_on_signals(), pytest.raises(Interrupted) as stop:
        fit(
            make_model(),
            mse,
            data(),
            data(),
            config=CONFIG,
            checkpoint_path=checkpoint,
            callbacks=[SignalAt(7, mid_epoch=mid_epoch)],
        )
    assert saved == [7] and load_checkpoint(checkpoint)["epoch"] == 7
    assert (stop.value.epoch, stop.value.checkpoint) == (7, checkpoint)

    resumed = make_model()
    history = fit(resumed, mse, data(), data(), config=CONFIG, checkpoint_path=checkpoint, resume=True)
    assert [row["epoch"] for row in history.rows] == list(range(1, 31))
    assert_same(uninterrupted(), resumed.state_dict())
