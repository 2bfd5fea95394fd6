"""``lstmkit explain`` in-process on a forecaster, a classifier and a language model: files, summary, errors."""

import json

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.data.datasets import REGISTRY

FAST = ["--epochs", "3", "--hidden-size", "8", "--quiet", "--no-report"]


@pytest.fixture(scope="module")
def models(tmp_path_factory, slopes_ts):
    root = tmp_path_factory.mktemp("explain")
    t = np.arange(60)
    frame = pd.DataFrame(
        {
            "month": pd.period_range("2001-01", periods=60, freq="M").astype(str),
            "sales": 100 + t + 10 * np.sin(2 * np.pi * t / 12),
        }
    )
    frame.to_csv(root / "sales.csv", index=False)
    assert (
        main(
            [
                "train",
                str(root / "sales.csv"),
                "--horizon",
                "6",
                "--set",
                "model.ensemble=2",
                "--output",
                str(root / "fc"),
                *FAST,
            ]
        )
        == 0
    )
    slopes_ts(root / "cases.ts")
    assert (
        main(
            [
                "classify",
                "train",
                str(root / "cases.ts"),
                "--output",
                str(root / "clf"),
                "--set",
                "method=lstm-fcn",
                "--set",
                "model.conv_channels=4,4,4",
                *FAST,
            ]
        )
        == 0
    )
    (root / "corpus.txt").write_text("the cat sat on the mat. " * 30, encoding="utf-8")
    assert (
        main(
            [
                "text",
                "train",
                str(root / "corpus.txt"),
                "--output",
                str(root / "lm"),
                "--set",
                "model.embedding_dim=4",
                "--set",
                "data.chunk_len=8",
                *FAST,
            ]
        )
        == 0
    )
    return root


def test_forecaster_explain_writes_gates_and_attributions(models, tmp_path, capsys):
    out = tmp_path / "x"
    assert (
        main(["explain", "--model", str(models / "fc"), str(models / "sales.csv"), "--output", str(out)]) == 0
    )
    stdout = capsys.readouterr().out
    assert "layer 0: mean forget gate" in stdout and "completeness error" in stdout
    gates = pd.read_csv(out / "gates.csv")
    assert list(gates.columns) == ["layer", "direction", "step", "unit", "gate", "value"]
    assert set(gates["gate"]) == {"input", "forget", "output", "cell"}
    attr = pd.read_csv(out / "attributions.csv")
    config = json.loads((models / "fc" / "config.json").read_text())
    assert len(attr) == max(config["fitted"]["lookbacks"]) and (out / "gates.png").stat().st_size > 1000


def test_classifier_case_and_class(models, tmp_path, capsys):
    assert (
        main(
            [
                "explain",
                "--model",
                str(models / "clf"),
                str(models / "cases.ts"),
                "--case",
                "2",
                "--output",
                str(tmp_path / "a"),
            ]
        )
        == 0
    )
    assert "layer 0 backward: mean forget gate" in capsys.readouterr().out
    gates = pd.read_csv(tmp_path / "a" / "gates.csv")
    assert set(gates["direction"]) == {0, 1} and not (tmp_path / "a" / "attributions.csv").exists()
    assert (
        main(
            [
                "explain",
                "--model",
                str(models / "clf"),
                str(models / "cases.ts"),
                "--class",
                "up",
                "--output",
                str(tmp_path / "b"),
            ]
        )
        == 0
    )
    assert "mean over the 8 cases of class 'up'" in capsys.readouterr().out


def test_language_model_snippet(models, tmp_path, capsys):
    assert (
        main(
            [
                "explain",
                "--model",
                str(models / "lm"),
                str(models / "corpus.txt"),
                "--chars",
                "20",
                "--output",
                str(tmp_path / "t"),
            ]
        )
        == 0
    )
    assert "language model: 20 characters" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "t" / "gates.csv")["step"].max() == 19


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--case", "1"],
            "error: --case applies to classify and text-classify models, and {fc} holds a forecast model; drop --case",
        ),
        (
            ["--series", "x"],
            "error: --series 'x' given, but the data holds one series (no id column); drop --series",
        ),
    ],
)
def test_bad_flags_for_a_forecaster(models, tmp_path, capsys, argv, message):
    code = main(
        [
            "explain",
            "--model",
            str(models / "fc"),
            str(models / "sales.csv"),
            "--output",
            str(tmp_path / "o"),
            *argv,
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.strip() == message.format(fc=models / "fc")
    assert not (tmp_path / "o").exists()


def test_case_out_of_range(models, tmp_path, capsys):
    assert (
        main(
            [
                "explain",
                "--model",
                str(models / "clf"),
                str(models / "cases.ts"),
                "--case",
                "99",
                "--output",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert (
        capsys.readouterr().err.strip() == "error: --case 99 is out of range: cases.ts has 16 cases (0 to 15)"
    )


def test_pickled_weights_are_refused(models, tmp_path, capsys):
    bad = tmp_path / "bad_pickle"  # a planted pickle (tests/cli/conftest.py skips such folders)
    bad.mkdir()
    (bad / "config.json").write_text((models / "fc" / "config.json").read_text())
    (bad / "model.safetensors").write_bytes(
        b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01."
    )  # a pickle's bytes
    assert (
        main(["explain", "--model", str(bad), str(models / "sales.csv"), "--output", str(tmp_path / "o")])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is a pickle or torch.save file" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_missing_model_folder(tmp_path, capsys):
    assert (
        main(["explain", "--model", str(tmp_path / "none"), "airpassengers", "--output", str(tmp_path / "o")])
        == 2
    )
    assert "model folder" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_a_full_disk_while_writing_the_gates_is_one_error_line(models, tmp_path, capsys, monkeypatch):
    """gates.csv is written by pandas straight into the staging folder: ENOSPC there was a traceback (exit 1)."""
    import errno

    out = tmp_path / "x"
    out.mkdir()
    (out / "gates.csv").write_text("an earlier run's")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    argv = ["explain", "--model", str(models / "clf"), str(models / "cases.ts"), "--output", str(out)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write into {out}: No space left on device; free some disk space or choose another "
        f"--output; the files already in {out} were left as they were\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["gates.csv"]
    assert (out / "gates.csv").read_text() == "an earlier run's"


def _fail_plot(monkeypatch):
    from lstmkit.errors import DataError
    from lstmkit.explain.explanation import Explanation

    def broken(self, path):
        raise DataError("the figure cannot be drawn")

    monkeypatch.setattr(Explanation, "plot", broken)


def _fail_disk(monkeypatch):
    import errno

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)


def _sigterm_while_writing(monkeypatch):
    import os
    import signal

    from lstmkit.explain.explanation import Explanation

    def stop(self, path):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("the signal did not stop the command")

    monkeypatch.setattr(Explanation, "plot", stop)


FAILURES = {  # how it fails -> (change to the arguments, exit code, the error line; {m}: models, {out}: --output)
    "missing model": (
        lambda m, argv: argv.__setitem__(2, str(m / "none")),
        2,
        "model folder {m}/none not found; pass the folder written by 'lstmkit train' or 'forecast'",
    ),
    "missing data": (
        lambda m, argv: argv.__setitem__(3, str(m / "none.csv")),
        2,
        "data file {m}/none.csv not found; pass an existing file or a bundled dataset ("
        + ", ".join(REGISTRY)
        + ")",
    ),
    "bad flag": (
        lambda m, argv: argv.extend(["--case", "1"]),
        2,
        "--case applies to classify and text-classify models, and {m}/fc holds a forecast model; drop --case",
    ),
    "plot fails": (lambda m, argv: None, 2, "the figure cannot be drawn"),
    "disk full": (
        lambda m, argv: None,
        2,
        "cannot write into {out}: No space left on device; free some disk space or choose another --output; "
        "the files already in {out} were left as they were",
    ),
    "SIGTERM while writing": (lambda m, argv: None, 143, "interrupted by SIGTERM; run the command again"),
}
PATCHES = {
    "plot fails": _fail_plot,
    "disk full": _fail_disk,
    "SIGTERM while writing": _sigterm_while_writing,
}


@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "earlier explanation"])
@pytest.mark.parametrize("failure", FAILURES)
def test_a_failed_explain_leaves_its_output_as_it_was(
    models, tmp_path, capsys, monkeypatch, failure, existing
):
    """A failure after the model and data were read (a plot, a full disk, Ctrl-C) left the new --output folder
    (and its new parents) behind, empty."""
    out = tmp_path / "new" / "explain"
    if existing:
        out.mkdir(parents=True)
        (out / "gates.csv").write_text("an earlier run's")
    argv = ["explain", "--model", str(models / "fc"), str(models / "sales.csv"), "--output", str(out)]
    change, code, line = FAILURES[failure]
    change(models, argv)
    if failure in PATCHES:
        PATCHES[failure](monkeypatch)
    assert main(argv) == code
    assert capsys.readouterr().err == "error: " + line.format(m=models, out=out) + "\n"
    if existing:
        assert sorted(p.name for p in out.iterdir()) == ["gates.csv"]
        assert (out / "gates.csv").read_text() == "an earlier run's"
    else:
        assert list(tmp_path.iterdir()) == []
