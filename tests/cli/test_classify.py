"""``lstmkit classify train|predict|evaluate`` in-process: files written, columns, errors and exit codes."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main

FAST = ["--epochs", "3", "--hidden-size", "8", "--set", "model.conv_channels=8,8,8", "--quiet"]


def ts_file(path, *, n=24, features=2, seed=0, labels=True):
    """A small unequal-length .ts file: class "up" rises, class "down" falls."""
    rng = np.random.default_rng(seed)
    lines = [
        "# synthetic",
        "@problemName Slopes",
        f"@dimensions {features}",
        "@equalLength false",
        f"@classLabel {'true up down' if labels else 'false'}",
        "@data",
    ]
    for i in range(n):
        T = int(rng.integers(4, 12))
        sign = 1 if i % 2 else -1
        channels = [
            ",".join(f"{sign * t / T + 0.1 * rng.normal():.4f}" for t in range(T)) for _ in range(features)
        ]
        lines.append(":".join(channels) + (f":{'up' if sign > 0 else 'down'}" if labels else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("classify")
    data = ts_file(root / "train.ts")
    assert main(["classify", "train", str(data), "--output", str(root / "model"), *FAST]) == 0
    return root


def test_train_writes_the_model_folder(trained):
    model = trained / "model"
    for name in ("model.safetensors", "config.json", "history.csv"):
        assert (model / name).is_file()
    config = json.loads((model / "config.json").read_text())
    assert config["classes"] == ["up", "down"]  # the file's declared order is the score order
    assert len(pd.read_csv(model / "history.csv")) == 3


def test_the_hybrids_training_report_gives_its_leave_one_out_accuracy(trained, capsys):
    """It said 'No held-out split (too few cases per class)' for any data set, while the terminal printed the
    leave-one-out accuracy: the hybrid never holds cases out."""
    config = json.loads((trained / "model" / "config.json").read_text())
    ridge = config["ridge"]
    page = (trained / "model" / "report.html").read_text()
    assert "too few cases per class" not in page
    assert (
        f"its ridge&#x27;s exact leave-one-out accuracy on the training cases is {ridge['loo_accuracy']:.4f} "
        f"(ridge penalty {ridge['alpha']:.3g}, LSTM share {ridge['lstm_share']:g})"
    ) in page


def test_train_refuses_a_folder_holding_another_jobs_run(tmp_path, capsys):
    """A classifier trained into a forecast run's folder replaced its history.csv and report.html and left
    forecast.csv, metrics.json and model/ beside them (and 'lstmkit predict' then found a classifier)."""
    import hashlib

    data = ts_file(tmp_path / "train.ts")
    runs = {"fc": "model/config.json", "lm": "config.json"}
    for name, config in runs.items():
        (tmp_path / name / config).parent.mkdir(parents=True, exist_ok=True)
        task = "forecast" if name == "fc" else "text"
        (tmp_path / name / config).write_text(json.dumps({"format_version": 1, "task": task}))
        (tmp_path / name / "history.csv").write_text("epoch\n1\n")
    snapshot = lambda d: {p: hashlib.sha1(p.read_bytes()).hexdigest() for p in d.rglob("*") if p.is_file()}  # noqa: E731
    for name, config in runs.items():
        before = snapshot(tmp_path / name)
        assert main(["classify", "train", str(data), "--output", str(tmp_path / name), *FAST]) == 2
        task = "forecast" if name == "fc" else "text"
        assert capsys.readouterr().err == (
            f"error: --output {tmp_path / name} holds a {task!r} run ({config}); choose another folder, "
            "or delete that one first\n"
        )
        assert snapshot(tmp_path / name) == before
    out = tmp_path / "again"  # retraining a classifier into its own folder stays allowed
    assert main(["classify", "train", str(data), "--output", str(out), *FAST]) == 0
    assert main(["classify", "train", str(data), "--output", str(out), *FAST, "--seed", "1"]) == 0


def test_train_without_the_lstm_writes_the_folder_without_a_history(tmp_path):
    # the hybrid's MiniRocket part alone trains no epochs: no history.csv (it crashed writing one)
    data, model = ts_file(tmp_path / "train.ts"), tmp_path / "model"
    assert (
        main(
            ["classify", "train", str(data), "--output", str(model), "--set", "hybrid.lstm=false", "--quiet"]
        )
        == 0
    )
    assert (model / "model.safetensors").is_file() and not (model / "history.csv").exists()
    out = tmp_path / "pred.csv"
    assert main(["classify", "predict", "--model", str(model), str(data), "--output", str(out)]) == 0
    assert len(pd.read_csv(out)) == 24


def test_predict_writes_index_label_and_probabilities(trained, tmp_path, capsys):
    data = ts_file(tmp_path / "new.ts", n=7, seed=1, labels=False)
    out = tmp_path / "pred.csv"
    assert (
        main(["classify", "predict", "--model", str(trained / "model"), str(data), "--output", str(out)]) == 0
    )
    table = pd.read_csv(out, dtype={"label": str})
    assert list(table.columns) == ["index", "label", "p_up", "p_down"]
    assert table["index"].tolist() == list(range(7))
    assert set(table["label"]) <= {"up", "down"}
    np.testing.assert_allclose(table[["p_up", "p_down"]].sum(axis=1), 1.0, atol=1e-4)
    assert "wrote 7 predictions" in capsys.readouterr().out


def test_predict_and_evaluate_name_one_case_in_the_singular(trained, tmp_path, capsys):
    """They printed 'wrote 1 predictions' and 'evaluated 1 cases'."""
    data = ts_file(tmp_path / "one.ts", n=1, seed=4)
    model = str(trained / "model")
    out = tmp_path / "pred.csv"
    assert main(["classify", "predict", "--model", model, str(data), "--output", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote 1 prediction to {out}\n"
    argv = ["classify", "evaluate", "--model", model, str(data), "--output", str(tmp_path / "e")]
    assert main([*argv, "--no-references"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "evaluated 1 case of one.ts"


def test_evaluate_prints_metrics_and_writes_the_figure(trained, tmp_path, capsys):
    data = ts_file(tmp_path / "test.ts", n=10, seed=2)
    assert (
        main(
            [
                "classify",
                "evaluate",
                "--model",
                str(trained / "model"),
                str(data),
                "--output",
                str(tmp_path / "eval"),
                "--no-references",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "accuracy: " in out and "macro-F1: " in out and "true\\pred" in out
    assert (tmp_path / "eval" / "confusion.png").stat().st_size > 1000
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["n"] == 10 and np.array(metrics["confusion"]).sum() == 10
    assert (
        metrics["references"] == {} and metrics["references_note"] == "references skipped (--no-references)"
    )


def test_evaluate_without_output_writes_a_subfolder_and_leaves_the_training_files(tmp_path, capsys):
    """Its default --output was the model folder itself: the evaluation's report.html replaced the training
    run's (and --no-report deleted it), so evaluating on a test set lost the training report."""
    data, model = ts_file(tmp_path / "train.ts"), tmp_path / "m"
    assert main(["classify", "train", str(data), "--output", str(model), *FAST]) == 0
    training = {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()}
    assert {"model.safetensors", "config.json", "history.csv", "report.html"} <= set(training)
    before = tmp_path / "before.csv"
    assert main(["classify", "predict", "--model", str(model), str(data), "--output", str(before)]) == 0
    test = ts_file(tmp_path / "test.ts", n=6, seed=3)
    capsys.readouterr()
    assert main(["classify", "evaluate", "--model", str(model), str(test), "--no-references"]) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[-1] == f"wrote confusion.png, metrics.json and report.html to {model / 'evaluation'}"
    )
    assert {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()} == training
    evaluation = model / "evaluation"
    assert sorted(p.name for p in evaluation.iterdir()) == ["confusion.png", "metrics.json", "report.html"]
    assert json.loads((evaluation / "metrics.json").read_text())["data"] == "test.ts"
    assert "Classifier evaluation: test.ts" in (evaluation / "report.html").read_text()
    argv = ["classify", "evaluate", "--model", str(model), str(test), "--no-references", "--no-report"]
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote confusion.png and metrics.json to {evaluation}"
    assert {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()} == training
    assert sorted(p.name for p in evaluation.iterdir()) == ["confusion.png", "metrics.json"]
    after = tmp_path / "after.csv"
    assert main(["classify", "predict", "--model", str(model), str(data), "--output", str(after)]) == 0
    assert after.read_bytes() == before.read_bytes()  # the model folder still loads, to the same model


def test_evaluate_scores_the_references_on_the_training_data(trained, tmp_path, capsys):
    pytest.importorskip("sktime")
    data = ts_file(tmp_path / "test.ts", n=10, seed=2)
    assert (
        main(
            ["classify", "evaluate", "--model", str(trained / "model"), str(data), "--output", str(tmp_path)]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "references (same split):" in out and "1-NN DTW" in out and "MiniRocket" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["references"]) == {"1nn_dtw", "minirocket"} and "references_note" not in metrics
    for ref in metrics["references"].values():
        assert set(ref) == {"accuracy", "macro_f1", "seconds"} and ref["seconds"] >= 0
        assert ref["accuracy"] >= 0.8  # rising against falling series: both references separate them


def test_evaluate_without_the_extra_says_how_to_get_it(trained, tmp_path, capsys, monkeypatch):
    modules = __import__("sys").modules
    for name in [m for m in modules if m == "sktime" or m.startswith("sktime.")] or ["sktime"]:
        monkeypatch.setitem(modules, name, None)  # as if not installed: importing it fails
    data = ts_file(tmp_path / "test.ts", n=10, seed=2)
    assert (
        main(
            ["classify", "evaluate", "--model", str(trained / "model"), str(data), "--output", str(tmp_path)]
        )
        == 0
    )
    out = capsys.readouterr().out
    hint = "1-NN DTW and MiniRocket references need the optional extra: pip install 'lstmkit[references]' (sktime)"
    assert out.count(hint) == 1
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["references"] == {} and metrics["references_note"] == hint


def test_evaluate_names_missing_training_data(tmp_path, capsys):
    data = ts_file(tmp_path / "train.ts")
    assert main(["classify", "train", str(data), "--output", str(tmp_path / "m"), *FAST]) == 0
    data.rename(tmp_path / "moved.ts")
    test = ts_file(tmp_path / "test.ts", n=6, seed=3)
    assert main(["classify", "evaluate", "--model", str(tmp_path / "m"), str(test), "--no-references"]) == 0
    assert main(["classify", "evaluate", "--model", str(tmp_path / "m"), str(test)]) == 0
    out = capsys.readouterr().out
    assert f"references skipped: cannot read the training data {data}" in out and "pass --train DATA" in out


def test_evaluate_refuses_reference_training_data_unlike_the_model(trained, tmp_path, capsys):
    """A --train file of other channels or classes gave references scored 0.0 as if they were valid."""
    test = ts_file(tmp_path / "test.ts", n=6, seed=3)
    model = str(trained / "model")
    other = ts_file(tmp_path / "three.ts", features=3)
    argv = ["classify", "evaluate", "--model", model, str(test), "--output", str(tmp_path / "e")]
    assert main([*argv, "--train", str(other)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: --train {other} has 3 feature(s) per step but test.ts has 2; pass the data the model was trained on\n"
    )
    renamed = tmp_path / "renamed.ts"
    renamed.write_text(ts_file(tmp_path / "x.ts").read_text().replace("up", "rise"))
    assert main([*argv, "--train", str(renamed)]) == 2
    assert "has class label(s) 'rise' the model was not trained on (its classes are up, down)" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "e").exists()


def test_long_csv_train_and_predict_with_ids(tmp_path):
    rows = []
    rng = np.random.default_rng(0)
    for case in range(16):
        label = "hi" if case % 2 else "lo"
        for t in range(int(rng.integers(3, 8))):
            rows.append(
                {
                    "trip": f"c{case}",
                    "step": t,
                    "x": (1.0 if case % 2 else -1.0) + 0.1 * rng.normal(),
                    "kind": label,
                }
            )
    pd.DataFrame(rows).sample(frac=1.0, random_state=0).to_csv(tmp_path / "long.csv", index=False)
    args = ["--id-col", "trip", "--label-col", "kind", "--time-col", "step"]
    assert (
        main(["classify", "train", str(tmp_path / "long.csv"), "--output", str(tmp_path / "m"), *args, *FAST])
        == 0
    )
    out = tmp_path / "pred.csv"
    assert (
        main(
            [
                "classify",
                "predict",
                "--model",
                str(tmp_path / "m"),
                str(tmp_path / "long.csv"),
                "--output",
                str(out),
                *args,
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert list(table.columns) == ["index", "id", "label", "p_hi", "p_lo"]
    assert len(table) == 16 and table["id"].str.startswith("c").all()


def test_feature_mismatch_is_a_clean_error(trained, tmp_path, capsys):
    data = ts_file(tmp_path / "three.ts", features=3)
    out = tmp_path / "pred.csv"
    code = main(["classify", "predict", "--model", str(trained / "model"), str(data), "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "error: three.ts: sequence 0 has 3 feature(s) per step but the model expects 2; "
        "use data with the same channels as the training data\n"
    )
    assert not out.exists()


def test_malformed_ts_names_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.ts"
    bad.write_text("@classLabel true a b\n@data\n1,2,3:a\n1,2,x:b\n")
    code = main(["classify", "train", str(bad), "--output", str(tmp_path / "m"), *FAST])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: bad.ts line 4: channel 1 has a non-numeric value 'x'")
    assert "Traceback" not in err and not (tmp_path / "m").exists()


def test_missing_label_column_and_missing_model(tmp_path, capsys, trained):
    (tmp_path / "long.csv").write_text("id,x\na,1\na,2\nb,3\n")
    code = main(["classify", "train", str(tmp_path / "long.csv"), "--output", str(tmp_path / "m"), *FAST])
    assert code == 2
    assert (
        capsys.readouterr().err
        == "error: label column 'label' not found in long.csv; columns are: id, x; pass --label-col\n"
    )
    code = main(["classify", "evaluate", "--model", str(tmp_path / "nope"), str(tmp_path / "long.csv")])
    assert code == 2
    assert "error: model folder" in capsys.readouterr().err
    code = main(["classify", "evaluate", "--model", str(trained / "model"), str(tmp_path / "long.csv")])
    assert code == 2
    assert capsys.readouterr().err.startswith("error: label column 'label' not found")


def test_unknown_setting_suggests_the_right_key(tmp_path, capsys):
    data = ts_file(tmp_path / "train.ts")
    code = main(
        ["classify", "train", str(data), "--set", "model.hiden_size=4", "--output", str(tmp_path / "m")]
    )
    assert code == 2 and "did you mean 'model.hidden_size'" in capsys.readouterr().err


def test_help_has_a_worked_example(capsys):
    for command in ("train", "predict", "evaluate"):
        with pytest.raises(SystemExit) as info:
            main(["classify", command, "--help"])
        assert info.value.code == 0
        assert "lstmkit classify " + command in capsys.readouterr().out


def test_long_csv_columns_are_matched_by_name(tmp_path, capsys):
    rng = np.random.default_rng(1)
    rows = [
        {"id": c, "a": (c % 2) + 0.1 * rng.normal(), "b": -(c % 2) + 0.1 * rng.normal(), "label": f"k{c % 2}"}
        for c in range(12)
        for _ in range(4)
    ]
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "train.csv", index=False)
    assert (
        main(["classify", "train", str(tmp_path / "train.csv"), "--output", str(tmp_path / "m"), *FAST]) == 0
    )
    frame[["id", "b", "a", "label"]].to_csv(tmp_path / "swapped.csv", index=False)
    assert (
        main(
            [
                "classify",
                "predict",
                "--model",
                str(tmp_path / "m"),
                str(tmp_path / "train.csv"),
                "--output",
                str(tmp_path / "p1.csv"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "classify",
                "predict",
                "--model",
                str(tmp_path / "m"),
                str(tmp_path / "swapped.csv"),
                "--output",
                str(tmp_path / "p2.csv"),
            ]
        )
        == 0
    )
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "p1.csv"), pd.read_csv(tmp_path / "p2.csv"))
    frame.rename(columns={"b": "c"}).to_csv(tmp_path / "renamed.csv", index=False)
    capsys.readouterr()
    code = main(
        [
            "classify",
            "predict",
            "--model",
            str(tmp_path / "m"),
            str(tmp_path / "renamed.csv"),
            "--output",
            str(tmp_path / "p3.csv"),
        ]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        "error: renamed.csv: feature columns differ from the training data's (a, b): missing b; unexpected c; "
        "drop or rename columns to match\n"
    )


def test_resume_ends_with_the_weights_of_an_uninterrupted_run(tmp_path, monkeypatch, signal_during_epoch):
    import signal

    from safetensors.torch import load_file

    data = ts_file(tmp_path / "train.ts")
    # the run is cut by --epochs, so the schedule must not depend on the epoch count (a cosine one decays over it)
    tiny = ["--hidden-size", "8", "--set", "trainer.lr_schedule=plateau", "--quiet"]
    assert (
        main(["classify", "train", str(data), "--output", str(tmp_path / "full"), "--epochs", "4", *tiny])
        == 0
    )
    signal_during_epoch(signal.SIGTERM, 2)  # in epoch 3
    assert (
        main(["classify", "train", str(data), "--output", str(tmp_path / "cut"), "--epochs", "4", *tiny])
        == 143
    )
    monkeypatch.undo()
    assert (
        main(
            [
                "classify",
                "train",
                str(data),
                "--output",
                str(tmp_path / "cut"),
                "--epochs",
                "4",
                "--resume",
                *tiny,
            ]
        )
        == 0
    )
    full, resumed = (
        load_file(tmp_path / "full" / "model.safetensors"),
        load_file(tmp_path / "cut" / "model.safetensors"),
    )
    for name, tensor in full.items():
        assert (tensor == resumed[name]).all(), name


def test_predict_evaluate_and_explain_read_a_long_csv_with_the_training_columns(tmp_path, capsys):
    """Trained with --id-col/--label-col/--time-col, a model read new files with 'id' and 'label' unless the
    flags were repeated: 'id column not found', or with the time column read as a feature, 'drop or rename'."""
    rng = np.random.default_rng(1)
    rows = [
        {
            "trip": f"c{case}",
            "step": t,
            "kind": "up" if case % 2 else "down",
            "x": (t if case % 2 else -t) + rng.normal(),
        }
        for case in range(16)
        for t in range(int(rng.integers(4, 9)))
    ]
    data = tmp_path / "long.csv"
    pd.DataFrame(rows).sample(frac=1.0, random_state=0).to_csv(data, index=False)
    flags = ["--id-col", "trip", "--label-col", "kind", "--time-col", "step"]
    assert main(["classify", "train", str(data), "--output", str(tmp_path / "m"), *flags, *FAST]) == 0
    model = ["--model", str(tmp_path / "m"), str(data)]
    assert main(["classify", "predict", *model, "--output", str(tmp_path / "given.csv"), *flags]) == 0
    assert main(["classify", "predict", *model, "--output", str(tmp_path / "recorded.csv")]) == 0
    assert (tmp_path / "recorded.csv").read_text() == (tmp_path / "given.csv").read_text()
    capsys.readouterr()
    assert main(["classify", "evaluate", *model, "--output", str(tmp_path / "eval"), "--no-references"]) == 0
    assert "evaluated 16 cases of long.csv" in capsys.readouterr().out
    assert main(["explain", *model, "--class", "up", "--output", str(tmp_path / "explain")]) == 0
    assert "mean over the 8 cases of class 'up' in long.csv" in capsys.readouterr().out
    code = main(["classify", "predict", *model, "--time-col", "", "--output", str(tmp_path / "order.csv")])
    assert code == 2 and "unexpected step" in capsys.readouterr().err  # file order: 'step' is then a feature


def test_a_declared_class_without_training_cases_is_named_at_training_and_at_evaluation(
    tmp_path, capsys, caplog
):
    """A class only the test file has: training said nothing, evaluation refused without saying what to do."""
    train, test = ts_file(tmp_path / "train.ts"), ts_file(tmp_path / "test.ts", n=6, seed=1)
    for path in (train, test):
        path.write_text(path.read_text().replace("@classLabel true up down", "@classLabel true up down flat"))
    with test.open("a") as handle:
        handle.write("0.5,0.5,0.5:0.5,0.5,0.5:flat\n")
    assert main(["classify", "train", str(train), "--output", str(tmp_path / "m"), *FAST]) == 0
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "train.ts declares class(es) 'flat' but has no case of them; the model will not predict them"
    ]
    code = main(["classify", "evaluate", "--model", str(tmp_path / "m"), str(test), "--no-references"])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: test.ts has class label(s) 'flat' the model was not trained on; its classes are up, down; "
        "evaluate on cases of those, or train on data with every class\n"
    )


def test_retraining_removes_the_evaluation_of_the_model_it_replaces(tmp_path, capsys):
    """DIR/evaluation/ (classify evaluate's default) survived a retrain into DIR, describing the old model."""
    data, model = ts_file(tmp_path / "train.ts"), tmp_path / "m"
    test = ts_file(tmp_path / "test.ts", n=6, seed=3)
    assert main(["classify", "train", str(data), "--output", str(model), *FAST]) == 0
    assert main(["classify", "evaluate", "--model", str(model), str(test), "--no-references"]) == 0
    assert (model / "evaluation" / "metrics.json").is_file()
    capsys.readouterr()
    assert main(["classify", "train", str(data), "--output", str(model), *FAST, "--seed", "1"]) == 0
    assert capsys.readouterr().out == (
        f"removed {model / 'evaluation'}: it evaluated the previous model; "
        f"run 'lstmkit classify evaluate --model {model} DATA' to evaluate this one\n"
    )
    assert sorted(p.name for p in model.iterdir()) == [
        "config.json",
        "history.csv",
        "model.safetensors",
        "report.html",
    ]
    assert main(["classify", "train", str(data), "--output", str(model), *FAST]) == 0
    assert capsys.readouterr().out == ""  # nothing was removed, nothing is said


def test_a_retrain_that_fails_while_writing_keeps_the_evaluation_and_the_model(tmp_path, capsys, monkeypatch):
    import errno

    data, model = ts_file(tmp_path / "train.ts"), tmp_path / "m"
    assert main(["classify", "train", str(data), "--output", str(model), *FAST]) == 0
    assert main(["classify", "evaluate", "--model", str(model), str(data), "--no-references"]) == 0
    before = {str(p.relative_to(model)): p.read_bytes() for p in model.rglob("*") if p.is_file()}
    assert "evaluation/metrics.json" in before

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("lstmkit.plots.report_classify.classify_report", full_disk)
    capsys.readouterr()
    assert main(["classify", "train", str(data), "--output", str(model), *FAST, "--seed", "1"]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write into {model}: No space left on device; free some disk space or choose another "
        f"--output; the files already in {model} were left as they were; the training checkpoint is kept in "
        f"{model / '.checkpoints'}: once that is fixed, run the same command again with --resume\n"
    )
    after = {str(p.relative_to(model)): p.read_bytes() for p in model.rglob("*") if p.is_file()}
    assert {name: content for name, content in after.items() if not name.startswith(".checkpoints")} == before


def test_evaluate_without_output_names_a_file_in_the_way_of_its_default_folder(trained, tmp_path, capsys):
    """It said '--output DIR/evaluation is a file' to a user who gave no --output."""
    import shutil

    model = tmp_path / "m"
    shutil.copytree(trained / "model", model)
    (model / "evaluation").write_text("notes")
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    test = ts_file(tmp_path / "test.ts", n=6, seed=3)
    assert main(["classify", "evaluate", "--model", str(model), str(test), "--no-references"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"error: the default evaluation folder {model / 'evaluation'} is a file; remove it, or pass --output DIR "
        "to write the evaluation elsewhere\n"
    )
    assert captured.out == ""  # refused before evaluating
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before
    argv = ["classify", "evaluate", "--model", str(model), str(test), "--no-references"]
    assert main([*argv, "--output", str(model / "evaluation")]) == 2  # a given --output keeps its message
    assert capsys.readouterr().err == (
        f"error: --output {model / 'evaluation'} is a file; pass a folder path (it is created if needed)\n"
    )


def test_float_labels_of_parquet_and_integer_labels_of_a_csv_are_one_class(tmp_path, capsys):
    """Trained on Parquet (labels stored as 1.0, 2.0), a model refused the same cases in a CSV (1, 2) as 'class
    label(s) '1', '2' the model was not trained on', and the reverse."""
    rng = np.random.default_rng(0)
    rows = [
        {"id": f"c{case}", "x": (t if case % 2 else -t) + 0.1 * rng.normal(), "label": float(1 + case % 2)}
        for case in range(16)
        for t in range(5)
    ]
    frame = pd.DataFrame(rows)
    frame.to_parquet(tmp_path / "cases.parquet", index=False)
    frame.assign(label=frame["label"].astype(int)).to_csv(tmp_path / "cases.csv", index=False)
    for train, test in (("cases.parquet", "cases.csv"), ("cases.csv", "cases.parquet")):
        model = tmp_path / f"m_{Path(train).suffix[1:]}"
        assert main(["classify", "train", str(tmp_path / train), "--output", str(model), *FAST]) == 0
        assert json.loads((model / "config.json").read_text())["classes"] == ["1", "2"]
        argv = ["classify", "evaluate", "--model", str(model), str(tmp_path / test), "--no-references"]
        capsys.readouterr()
        assert main([*argv, "--output", str(tmp_path / f"eval_{train}")]) == 0, capsys.readouterr().err
        assert capsys.readouterr().out.startswith(f"evaluated 16 cases of {test}\n")
    old = tmp_path / "m_parquet" / "config.json"  # a folder written before: its classes as Parquet gave them
    old.write_text(json.dumps({**json.loads(old.read_text()), "classes": ["1.0", "2.0"]}))
    out = tmp_path / "pred.csv"
    argv = [
        "classify",
        "predict",
        "--model",
        str(old.parent),
        str(tmp_path / "cases.csv"),
        "--output",
        str(out),
    ]
    assert main(argv) == 0
    assert list(pd.read_csv(out, dtype={"label": str}).columns[-2:]) == ["p_1", "p_2"]
    argv = [
        "classify",
        "evaluate",
        "--model",
        str(old.parent),
        str(tmp_path / "cases.csv"),
        "--no-references",
    ]
    assert main([*argv, "--output", str(tmp_path / "eval_old")]) == 0
