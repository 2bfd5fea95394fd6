"""No data lost: a command that fails after training leaves an existing output folder byte-identical."""

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.io import staged_folder

FAST = ["--horizon", "3", "--epochs", "1", "--hidden-size", "4", "--set", "model.ensemble=1", "--quiet"]


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and ".checkpoints" not in p.parts
    }


@pytest.mark.parametrize(
    "command, fails", [("forecast", "plot_forecast"), ("forecast", "plot_loss"), ("train", "plot_loss")]
)
def test_failure_while_writing_leaves_the_previous_run_byte_identical(
    tmp_path, monthly_csv, monkeypatch, seed, command, fails
):
    out = tmp_path / "run"
    assert main([command, str(monthly_csv), *FAST, "--output", str(out)]) == 0
    before = _snapshot(out)
    assert before

    def broken(*args, **kwargs):
        raise RuntimeError("matplotlib broke half-way")

    monkeypatch.setattr(f"lstmkit.plots.forecast.{fails}", broken)
    with pytest.raises(
        RuntimeError, match="half-way"
    ):  # a bug (exit 1 from the console script), not a user error
        main([command, str(monthly_csv), *FAST, "--seed", "7", "--output", str(out)])
    assert _snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]


def test_staged_folder_moves_every_file_only_on_success(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "a.txt").write_text("old a")
    with staged_folder(dest) as stage:
        (stage / "a.txt").write_text("new a")
        (stage / "sub").mkdir()
        (stage / "sub" / "b.txt").write_text("b")
    assert (dest / "a.txt").read_text() == "new a" and (dest / "sub" / "b.txt").read_text() == "b"
    with pytest.raises(KeyError), staged_folder(dest) as stage:
        (stage / "a.txt").write_text("newer a")
        raise KeyError("x")
    assert (dest / "a.txt").read_text() == "new a"
    assert sorted(p.name for p in dest.iterdir()) == ["a.txt", "sub"]


@pytest.mark.parametrize("command", ["forecast", "train"])
def test_a_run_without_the_report_removes_an_earlier_runs_report(tmp_path, monthly_csv, seed, command):
    out = tmp_path / "out"
    assert main([command, str(monthly_csv), *FAST, "--output", str(out)]) == 0
    assert (out / "report.html").is_file()
    assert main([command, str(monthly_csv), *FAST, "--output", str(out), "--no-report"]) == 0
    assert not (out / "report.html").exists()  # it described the earlier run
    assert list(out.rglob("config.json"))  # the rest of the run is there


def test_staged_folder_removes_an_owned_file_only_when_this_run_did_not_write_it(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "report.html").write_text("old")
    (dest / "notes.txt").write_text("the user's")
    with staged_folder(dest, owned=["report.html"]) as stage:
        (stage / "report.html").write_text("new")
    assert (dest / "report.html").read_text() == "new"
    with pytest.raises(KeyError), staged_folder(dest, owned=["report.html"]) as stage:
        raise KeyError("x")
    assert (dest / "report.html").read_text() == "new"  # a failed run removes nothing
    with staged_folder(dest, owned=["report.html"]) as stage:
        (stage / "forecast.csv").write_text("f")
    assert sorted(p.name for p in dest.iterdir()) == ["forecast.csv", "notes.txt"]


def test_staged_folder_removes_an_outdated_folder_only_when_the_run_succeeds(tmp_path):
    dest = tmp_path / "dest"
    (dest / "evaluation").mkdir(parents=True)
    (dest / "evaluation" / "metrics.json").write_text("of the old model")
    with pytest.raises(KeyError), staged_folder(dest, outdated=["evaluation"]) as stage:
        (stage / "config.json").write_text("new")
        raise KeyError("x")
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == [
        "evaluation",
        "evaluation/metrics.json",
    ]
    with staged_folder(dest, outdated=["evaluation"]) as stage:
        (stage / "config.json").write_text("new")
    assert sorted(p.name for p in dest.iterdir()) == ["config.json"]  # and no staging folder left
    (dest / "evaluation").write_text("a file of the user's, not an evaluation folder")
    with staged_folder(dest, outdated=["evaluation"]) as stage:
        (stage / "config.json").write_text("newer")
    assert sorted(p.name for p in dest.iterdir()) == ["config.json", "evaluation"]


def test_staged_folder_removes_the_staging_folder_a_killed_run_left(tmp_path):
    """A run SIGKILLed while moving its outputs in left DIR/.staging-* behind, even after a --resume."""
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    dest = tmp_path / "dest"
    (dest / f".staging-{dead_pid}-abc123" / "sub").mkdir(parents=True)
    (dest / f".staging-{dead_pid}-abc123" / "sub" / "config.json").write_text("half")
    live = dest / f".staging-{os.getppid()}-def456"  # a run still writing (here: our parent process)
    live.mkdir()
    with staged_folder(dest) as stage:
        (stage / "a.txt").write_text("a")
    assert sorted(p.name for p in dest.iterdir()) == [live.name, "a.txt"]


def test_a_failed_staged_folder_or_atomic_write_removes_the_folders_it_made(tmp_path):
    """They were left behind, empty: a failed command created its --output (and its parents) all the same."""
    from lstmkit.io import atomic_output

    with pytest.raises(KeyError), staged_folder(tmp_path / "a" / "b") as stage:
        (stage / "gates.csv").write_text("half")
        raise KeyError("x")
    with pytest.raises(KeyError), atomic_output(tmp_path / "c" / "d" / "f.csv") as tmp:
        tmp.write_text("half")
        raise KeyError("x")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("the user's")
    with pytest.raises(KeyError), staged_folder(tmp_path / "a" / "b"):
        raise KeyError("x")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == [Path("a"), Path("a/notes.txt")]


def test_a_text_classify_evaluation_that_fails_while_writing_leaves_no_new_folder(
    tmp_path, monkeypatch, capsys
):
    from lstmkit.errors import DataError

    reviews = tmp_path / "reviews.csv"
    pd.DataFrame({"text": ["good nice", "bad poor"] * 10, "label": ["a", "b"] * 10}).to_csv(
        reviews, index=False
    )
    model = tmp_path / "tc"
    argv = ["text", "classify", "train", str(reviews), "--epochs", "1", "--hidden-size", "4", "--quiet"]
    assert main([*argv, "--output", str(model)]) == 0

    def broken(*args, **kwargs):
        raise DataError("the figure cannot be drawn")

    monkeypatch.setattr("lstmkit.plots.confusion.plot_confusion", broken)
    out = tmp_path / "new" / "evaluation"
    assert (
        main(["text", "classify", "evaluate", "--model", str(model), str(reviews), "--output", str(out)]) == 2
    )
    assert capsys.readouterr().err == "error: the figure cannot be drawn\n"
    assert not (tmp_path / "new").exists()


FORECASTER = Path(__file__).resolve().parents[1] / "fixtures" / "format_v1" / "forecast"


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "earlier metrics"])
def test_an_evaluation_whose_report_fails_writes_neither_file(tmp_path, monkeypatch, capsys, existing):
    """metrics.json was written (or replaced) first; a report that then failed left it beside no report,
    or beside the earlier run's report, describing other data."""
    from lstmkit.errors import DataError

    out = tmp_path / "new" / "metrics.json"
    if existing:
        out.parent.mkdir()
        out.write_text("an earlier run's")
        out.with_suffix(".html").write_text("an earlier run's")

    def broken(*args, **kwargs):
        raise DataError("the report cannot be drawn")

    monkeypatch.setattr("lstmkit.plots.report_forecast.forecast_report", broken)
    argv = [
        "evaluate",
        "--model",
        str(FORECASTER / "model"),
        str(FORECASTER / "series.csv"),
        "--output",
        str(out),
    ]
    assert main(argv) == 2
    assert capsys.readouterr().err == "error: the report cannot be drawn\n"
    if existing:
        assert sorted(p.name for p in out.parent.iterdir()) == ["metrics.html", "metrics.json"]
        assert out.read_text() == out.with_suffix(".html").read_text() == "an earlier run's"
    else:
        assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert main(argv) == 0  # and both are written when nothing fails
    assert (
        json.loads(out.read_text())["origins"] == 1 and "Evaluation" in out.with_suffix(".html").read_text()
    )
    assert sorted(p.name for p in out.parent.iterdir()) == ["metrics.html", "metrics.json"]


@pytest.mark.parametrize("command", ["forecast", "train"])
def test_an_error_after_training_leaves_no_checkpoint_behind(
    tmp_path, monthly_csv, monkeypatch, capsys, command
):
    """A DataError (exit 2) or a bug once training was over left DIR/.checkpoints in the folder the run made:
    nothing could resume it, and it refused every other job that folder."""
    from lstmkit.errors import DataError

    def broken(*args, **kwargs):
        raise DataError("the figure cannot be drawn")

    monkeypatch.setattr("lstmkit.plots.forecast.plot_loss", broken)
    out = tmp_path / "new" / "run"
    assert main([command, str(monthly_csv), *FAST, "--output", str(out)]) == 2
    assert capsys.readouterr().err == "error: the figure cannot be drawn\n"
    assert not (tmp_path / "new").exists()

    def bug(*args, **kwargs):
        raise RuntimeError("matplotlib broke half-way")

    monkeypatch.setattr("lstmkit.plots.forecast.plot_loss", bug)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's")
    with pytest.raises(RuntimeError, match="half-way"):
        main([command, str(monthly_csv), *FAST, "--output", str(mine)])
    assert [p.name for p in mine.iterdir()] == [
        "notes.txt"
    ]  # this run's checkpoint gone, the user's file kept


def test_an_error_in_a_resumed_run_keeps_the_interrupted_runs_checkpoint(
    tmp_path, monthly_csv, monkeypatch, capsys, signal_during_epoch
):
    """The checkpoint was there before the run (an interrupted run's): an error does not take it away."""
    import signal

    from lstmkit.errors import DataError
    from lstmkit.io.checkpoint import load_checkpoint

    out = tmp_path / "run"
    argv = ["train", str(monthly_csv), *FAST, "--epochs", "3", "--output", str(out)]
    signal_during_epoch(signal.SIGINT, 1)
    assert main(argv) == 130
    monkeypatch.undo()

    def broken(*args, **kwargs):
        raise DataError("the figure cannot be drawn")

    monkeypatch.setattr("lstmkit.plots.forecast.plot_loss", broken)
    assert main([*argv, "--resume"]) == 2
    assert (
        load_checkpoint(out / ".checkpoints" / "final.json")["epoch"] == 3
    )  # the resumed run's, for --resume
    monkeypatch.undo()
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0 and not (out / ".checkpoints").exists()
