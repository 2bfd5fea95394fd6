import math

import pytest
import torch
from torch import nn

from lstmkit.errors import CheckpointError, LstmkitError
from lstmkit.train import TrainerConfig, fit, load_checkpoint, save_checkpoint, set_seed


def mse(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def line_data(n=64):
    x = torch.linspace(-1, 1, n).unsqueeze(1)
    return x, 3 * x - 0.5


def make_model(seed=0):
    set_seed(seed)
    return nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Dropout(0.1), nn.Linear(8, 1))


def test_it_learns_a_line_and_records_history(tmp_path):
    model = make_model()
    x, y = line_data()
    config = TrainerConfig(epochs=150, batch_size=16, lr=1e-2, patience=1000)
    history = fit(model, mse, (x, y), (x[::4], y[::4]), config=config)
    assert len(history.rows) == 150
    assert history.rows[-1]["val_loss"] < 0.05 < history.rows[0]["val_loss"]
    history.to_csv(tmp_path / "history.csv")
    header = (tmp_path / "history.csv").read_text().splitlines()[0]
    assert header == "epoch,train_loss,val_loss,lr,seconds"


def test_early_stopping_restores_the_best_weights():
    x, y = line_data()
    noise = torch.randn_like(y)  # a validation set the model cannot learn
    model = make_model()
    seen = []

    class Remember:
        def on_epoch_end(self, epoch, row):
            seen.append({k: v.clone() for k, v in model.state_dict().items()})

    history = fit(
        model,
        mse,
        (x, y),
        (x, noise),
        config=TrainerConfig(epochs=200, patience=3, lr=1e-2),
        callbacks=[Remember()],
    )
    assert history.stopped_early and len(history.rows) < 200
    best = min(range(len(history.rows)), key=lambda i: history.rows[i]["val_loss"])
    assert history.best_epoch == best + 1
    for key, value in model.state_dict().items():
        assert torch.equal(value, seen[best][key])


def test_same_seed_same_weights():
    x, y = line_data()
    runs = []
    for _ in range(2):
        model = make_model(seed=1)
        fit(model, mse, (x, y), config=TrainerConfig(epochs=5, seed=1))
        runs.append(model.state_dict())
    for key in runs[0]:
        assert torch.equal(runs[0][key], runs[1][key])


def test_resume_ends_with_the_weights_of_an_uninterrupted_run(tmp_path):
    x, y = line_data()
    config = TrainerConfig(epochs=12, batch_size=8, patience=1000)
    whole = make_model()
    fit(whole, mse, (x, y), (x, y), config=config, checkpoint_path=tmp_path / "a.json")

    interrupted = make_model()
    short = TrainerConfig(epochs=5, batch_size=8, patience=1000)
    fit(interrupted, mse, (x, y), (x, y), config=short, checkpoint_path=tmp_path / "b.json")
    assert load_checkpoint(tmp_path / "b.json")["epoch"] == 5
    resumed = make_model(seed=99)  # different start: everything must come from the checkpoint
    torch.manual_seed(12345)  # and a disturbed global generator
    history = fit(
        resumed, mse, (x, y), (x, y), config=config, checkpoint_path=tmp_path / "b.json", resume=True
    )
    assert [row["epoch"] for row in history.rows] == list(range(1, 13))
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


def test_resume_refuses_changed_settings_and_missing_checkpoint(tmp_path):
    x, y = line_data()
    fit(make_model(), mse, (x, y), config=TrainerConfig(epochs=2), checkpoint_path=tmp_path / "c.json")
    with pytest.raises(CheckpointError, match=r"settings differ from the interrupted run \(lr\)"):
        fit(
            make_model(),
            mse,
            (x, y),
            config=TrainerConfig(epochs=4, lr=0.1),
            checkpoint_path=tmp_path / "c.json",
            resume=True,
        )
    with pytest.raises(CheckpointError, match="no checkpoint at .* to resume from"):
        fit(
            make_model(),
            mse,
            (x, y),
            config=TrainerConfig(epochs=4),
            checkpoint_path=tmp_path / "none.json",
            resume=True,
        )


def test_damaged_checkpoint_is_refused(tmp_path):
    (tmp_path / "c.json").write_bytes(b"not a checkpoint")
    with pytest.raises(
        CheckpointError, match=r"c\.json is damaged \(not JSON: .*\); delete it and run without --resume"
    ):
        load_checkpoint(tmp_path / "c.json")


def test_checkpoint_holds_plain_data_and_survives_a_resume_of_a_finished_run(tmp_path):
    x, y = line_data()
    config = TrainerConfig(epochs=3, batch_size=8, patience=1000)
    model = make_model()
    fit(model, mse, (x, y), (x, y), config=config, checkpoint_path=tmp_path / "c.json")
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files[1] == "c.json" and len(files) == 2 and files[0].endswith(".safetensors")
    state = load_checkpoint(tmp_path / "c.json")
    assert state["epoch"] == 3 and state["steps"] == 3 * 8
    assert isinstance(state["rng"]["torch"], list) and all(
        isinstance(v, int) for v in state["rng"]["torch"][:10]
    )
    assert set(state["optimizer"]["state"]) == {0, 1, 2, 3}  # integer keys survive JSON
    again = make_model(seed=5)
    history = fit(again, mse, (x, y), (x, y), config=config, checkpoint_path=tmp_path / "c.json", resume=True)
    assert len(history.rows) == 3  # nothing left to train: the best weights come back
    for key, value in model.state_dict().items():
        assert torch.equal(value, again.state_dict()[key]), key


def test_step_budget_stops_mid_epoch_and_is_part_of_the_checkpoint(tmp_path):
    x, y = line_data()
    history = fit(
        make_model(),
        mse,
        (x, y),
        config=TrainerConfig(epochs=50, batch_size=8, max_steps=20),
        checkpoint_path=tmp_path / "c.json",
    )
    assert len(history.rows) == 3  # 8 + 8 steps, then 4 of the third epoch's 8
    assert load_checkpoint(tmp_path / "c.json")["steps"] == 20


def test_nan_loss_names_the_epoch(tmp_path):
    x, y = line_data()
    y[3] = math.nan
    with pytest.raises(
        LstmkitError, match=r"training diverged at epoch 1: the loss is nan; lower the learning rate"
    ):
        fit(make_model(), mse, (x, y), config=TrainerConfig(epochs=3), checkpoint_path=tmp_path / "c.json")
    assert not (tmp_path / "c.json").exists()


def test_ordered_batches_and_callbacks():
    x = torch.arange(10.0).unsqueeze(1)
    seen, events = [], []

    def record(model, batch):
        seen.append(batch[0][:, 0].tolist())
        return model(batch[0]).sum() * 0

    class Events:
        def on_epoch_start(self, epoch):
            events.append(("start", epoch))

        def on_validation_start(self):
            events.append(("val",))

    fit(
        nn.Linear(1, 1),
        record,
        (x,),
        (x[:2],),
        config=TrainerConfig(epochs=1, batch_size=4),
        shuffle=False,
        callbacks=[Events()],
    )
    assert seen[:3] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert events == [("start", 0), ("val",)]


def test_time_budget_stops_mid_epoch():
    x, y = line_data(4096)
    slow_calls = []

    def slow_mse(model, batch):
        slow_calls.append(1)
        import time

        time.sleep(0.01)
        return mse(model, batch)

    history = fit(
        make_model(), slow_mse, (x, y), config=TrainerConfig(epochs=50, batch_size=8, max_seconds=0.3)
    )
    assert len(history.rows) == 1  # the budget ended the first epoch (512 batches) early
    assert len(slow_calls) < 512


def test_every_hook_is_called_and_fit_end_sees_the_outcome():
    x, y = line_data(10)
    calls = []

    class Hooks:
        def on_batch_start(self):
            calls.append("batch")

        def on_fit_end(self, error):
            calls.append(("end", error))

    fit(make_model(), mse, (x, y), config=TrainerConfig(epochs=2, batch_size=4), callbacks=[Hooks()])
    assert calls == ["batch"] * 6 + [("end", None)]  # 3 batches an epoch, then one end

    def broken(model, batch):
        raise ValueError("boom")

    calls.clear()
    with pytest.raises(ValueError, match="boom"):
        fit(make_model(), broken, (x, y), config=TrainerConfig(epochs=2), callbacks=[Hooks()])
    assert calls[0] == "batch" and calls[1][0] == "end" and isinstance(calls[1][1], ValueError)


def test_the_progress_bar_counts_epochs_and_says_what_is_trained(capsys):
    x, y = line_data()
    fit(
        make_model(),
        mse,
        (x, y),
        config=TrainerConfig(epochs=3, batch_size=16),
        progress="3 series, 64 windows/epoch",
    )
    err = capsys.readouterr().err
    assert "3 series, 64 windows/epoch" in err and "3/3" in err
    fit(make_model(), mse, (x, y), config=TrainerConfig(epochs=2, batch_size=16), progress=False)
    assert capsys.readouterr().err == ""


class Renamed(nn.Sequential):
    """make_model's network under another class name: the same parameters, another kind of network."""


def test_a_checkpoint_records_its_task_and_a_resume_refuses_another_task_command_or_network(tmp_path):
    """A checkpoint did not say which job wrote it: another job's resume went on to compare settings and
    shapes, and failed (or not) on whatever differed. 'lstmkit train' and 'lstmkit forecast' train one job."""
    x, y = line_data()
    path = tmp_path / "c.json"
    fit(
        make_model(),
        mse,
        (x, y),
        config=TrainerConfig(epochs=2),
        checkpoint_path=path,
        task="forecast",
        command="lstmkit train",
    )
    saved = load_checkpoint(path)
    assert (saved["task"], saved["command"], saved["network"]) == ("forecast", "lstmkit train", "Sequential")

    def refusal(model, task: str, command: str = "lstmkit train") -> str:
        with pytest.raises(CheckpointError) as refused:
            fit(
                model,
                mse,
                (x, y),
                config=TrainerConfig(epochs=4),
                checkpoint_path=path,
                resume=True,
                task=task,
                command=command,
            )
        return str(refused.value)

    assert refusal(make_model(), "text") == (
        f"cannot resume: {path} is the checkpoint of a 'forecast' run, not of a 'text' one; resume it with the "
        "command that started it, or delete it and run without --resume"
    )
    assert refusal(make_model(), "forecast", "lstmkit forecast") == (
        f"cannot resume: {path} is the checkpoint of a 'lstmkit train' run, not of a 'lstmkit forecast' one; resume "
        "it with the command that started it, or delete it and run without --resume"
    )
    assert refusal(Renamed(*make_model()), "forecast") == (
        "cannot resume: the checkpoint trained another kind of network (Sequential; this run trains Renamed); "
        "use the settings of the interrupted run"
    )


def test_a_checkpoint_from_before_tasks_were_recorded_still_resumes(tmp_path):
    x, y = line_data()
    config = TrainerConfig(epochs=8, batch_size=8, patience=1000)
    whole = make_model()
    fit(whole, mse, (x, y), config=config, checkpoint_path=tmp_path / "a.json", task="forecast")
    path = tmp_path / "b.json"
    short = TrainerConfig(epochs=3, batch_size=8, patience=1000)
    fit(make_model(), mse, (x, y), config=short, checkpoint_path=path, task="forecast")
    old = {k: v for k, v in load_checkpoint(path).items() if k not in ("task", "command", "network")}
    save_checkpoint(path, old)  # as an lstmkit before these fields wrote it
    resumed = make_model(seed=99)
    fit(resumed, mse, (x, y), config=config, checkpoint_path=path, resume=True, task="forecast")
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key
