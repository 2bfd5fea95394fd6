"""``lstmkit text train|sample|evaluate`` and ``text classify train|predict|evaluate`` in-process."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main

FAST_LM = [
    "--epochs",
    "2",
    "--hidden-size",
    "16",
    "--set",
    "model.embedding_dim=8",
    "--set",
    "data.chunk_len=16",
    "--quiet",
]
FAST_CLF = ["--epochs", "3", "--hidden-size", "8", "--set", "data.min_count=1", "--quiet"]
CORPUS = "It was the best of times, it was the worst of times, it was the age of wisdom.\n" * 12


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    root = tmp_path_factory.mktemp("text")
    (root / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    assert main(["text", "train", str(root / "corpus.txt"), "--output", str(root / "lm"), *FAST_LM]) == 0
    return root


def test_train_writes_the_model_folder_and_nothing_else(lm):
    assert sorted(p.name for p in (lm / "lm").iterdir()) == [
        "config.json",
        "history.csv",
        "model.safetensors",
        "report.html",
    ]
    config = json.loads((lm / "lm" / "config.json").read_text())
    assert config["task"] == "text" and "w" in config["vocabulary"]
    history = pd.read_csv(lm / "lm" / "history.csv")
    assert list(history.columns[:3]) == ["epoch", "train_loss", "val_loss"] and len(history) == 2


def test_train_prints_a_summary(tmp_path, capsys):
    (tmp_path / "c.txt").write_text(CORPUS, encoding="utf-8")
    flags = [f for f in FAST_LM if f != "--quiet"]
    assert (
        main(
            [
                "text",
                "train",
                str(tmp_path / "c.txt"),
                "--output",
                str(tmp_path / "m"),
                *flags,
                "--epochs",
                "1",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "\nvalidation (used for early stopping) bits per character: " in out and "held-out" not in out
    assert f"model written to {tmp_path / 'm'}" in out


def test_sample_is_reproducible_with_seed(lm, capsys):
    args = [
        "text",
        "sample",
        "--model",
        str(lm / "lm"),
        "--prompt",
        "It was",
        "--length",
        "50",
        "--seed",
        "7",
        "--temperature",
        "0.8",
        "--top-k",
        "5",
    ]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("It was") and len(first.rstrip("\n")) == len("It was") + 50


def test_evaluate_prints_bits_per_character(lm, capsys):
    (lm / "other.txt").write_text("It was the age of times \u00e9\n", encoding="utf-8")
    assert main(["text", "evaluate", "--model", str(lm / "lm"), str(lm / "other.txt")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bits per character: ")
    float(out.split()[3])
    assert "1 not in the model's vocabulary" in out
    assert main(["text", "evaluate", "--model", str(lm / "lm"), str(lm / "other.txt"), "--adapt"]) == 0
    assert "dynamic evaluation at rate 0.3" in capsys.readouterr().out


def test_resume_of_a_finished_run_is_refused_and_keeps_the_model(lm, capsys):
    before = (lm / "lm" / "model.safetensors").read_bytes()
    assert (
        main(["text", "train", str(lm / "corpus.txt"), "--output", str(lm / "lm"), *FAST_LM, "--resume"]) == 2
    )
    checkpoint = lm / "lm" / ".checkpoints" / "train.json"
    assert capsys.readouterr().err == (
        f"error: no checkpoint at {checkpoint} to resume from; run without --resume to start afresh\n"
    )
    assert (lm / "lm" / "model.safetensors").read_bytes() == before
    assert sorted(p.name for p in (lm / "lm").iterdir()) == [
        "config.json",
        "history.csv",
        "model.safetensors",
        "report.html",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            None,
            "error: text file '{path}' not found; pass a UTF-8 text file or the bundled corpus 'python-stdlib'",
        ),
        (b"", "error: '{path}' is empty; a corpus needs text to learn from"),
        (
            b"\x7fELF\x02\x01\x01\x00\x00\x00",
            "error: {path} looks like a binary file, not a text file; pass a text file",
        ),
        (b"short", "error: '{path}' has 5 characters; a language model needs at least 100"),
        (  # random bytes without a NUL: a model was trained on them, read as Latin-1
            bytes(np.random.default_rng(2).integers(1, 256, 300, dtype=np.uint8)),
            "error: {path} looks like a binary file, not a text file; pass a text file",
        ),
    ],
    ids=["missing", "empty", "elf", "short", "random bytes without a nul"],
)
def test_train_bad_corpus_exits_2(tmp_path, capsys, content, message):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_bytes(content)
    assert main(["text", "train", str(path), "--output", str(tmp_path / "out"), *FAST_LM]) == 2
    err = capsys.readouterr().err
    assert err.strip() == message.format(path=path)
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_train_and_evaluate_read_a_windows_1252_corpus_as_its_letters(tmp_path, capsys, caplog):
    """A corpus saved by a Windows editor was refused ('not UTF-8 text ... iconv'), though CSV and .ts files
    are read as Windows-1252 with a warning. The vocabulary holds the letters the file shows: é, ç and the
    curly quotes (bytes 0x93 and 0x94, which Latin-1 would read as control characters)."""
    text = "Le café était déjà fermé; à bientôt, garçon! “Oui”, dit-il.\n" * 6
    path = tmp_path / "corpus.txt"
    path.write_bytes(text.encode("cp1252"))
    assert main(["text", "train", str(path), "--output", str(tmp_path / "lm"), *FAST_LM]) == 0
    assert json.loads((tmp_path / "lm" / "config.json").read_text())["vocabulary"] == "".join(
        sorted(set(text))
    )
    assert main(["text", "evaluate", "--model", str(tmp_path / "lm"), str(path)]) == 0
    out = capsys.readouterr().out
    assert f"characters of {path} scored)" in out and "not in the model's vocabulary" not in out
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        f"{path} is not UTF-8; reading it as Windows-1252"
    ] * 2


def test_a_count_of_one_is_printed_in_the_singular(tmp_path, capsys):
    """'vocabulary 1 characters): 1 epochs' and '(1 characters of ... scored)'."""
    corpus, short = tmp_path / "a.txt", tmp_path / "aa.txt"
    corpus.write_text("a" * 200)
    short.write_text("aa")
    flags = [f for f in FAST_LM if f != "--quiet"]
    assert main(["text", "train", str(corpus), "--output", str(tmp_path / "m"), *flags, "--epochs", "1"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    summary = rf"trained on 200 characters of {re.escape(str(corpus))} \(vocabulary 1 character\): 1 epoch in \d+ s \(best 1\)"
    assert re.fullmatch(summary, first), first
    assert main(["text", "evaluate", "--model", str(tmp_path / "m"), str(short)]) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(
        rf"bits per character: \d+\.\d{{4}} \(1 character of {re.escape(str(short))} scored\)", line
    ), line


def test_bad_flags_exit_2(lm, tmp_path, capsys):
    assert main(["text", "sample", "--model", str(tmp_path / "none")]) == 2
    assert "error: model folder" in capsys.readouterr().err
    assert main(["text", "sample", "--model", str(lm / "lm"), "--temperature", "0"]) == 2
    assert "expected a positive number, got 0" in capsys.readouterr().err
    assert main(["text", "train", str(lm / "corpus.txt"), "--set", "model.hiden_size=3"]) == 2
    assert "did you mean 'model.hidden_size'" in capsys.readouterr().err
    assert main(["text", "evaluate", "--model", str(lm / "lm"), str(tmp_path / "gone.txt")]) == 2
    assert "not found" in capsys.readouterr().err


def test_help_has_worked_examples(capsys):
    for command in (
        ["text", "train"],
        ["text", "sample"],
        ["text", "evaluate"],
        ["text", "classify", "train"],
        ["text", "classify", "predict"],
        ["text", "classify", "evaluate"],
    ):
        with pytest.raises(SystemExit) as exc:
            main([*command, "--help"])
        assert exc.value.code == 0
        assert "lstmkit " + " ".join(command) in capsys.readouterr().out


# ----------------------------------------------------------------------------- classify


def reviews(path, n=40, labels=True):
    good, bad = ["great", "lovely", "superb"], ["awful", "dull", "boring"]
    rows = []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        word = (good if label == "pos" else bad)[i % 3]
        row = {"id": i, "review": f"the film was {word} and the plot {word}"}
        if labels:
            row["sentiment"] = label
        rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def clf(tmp_path_factory):
    root = tmp_path_factory.mktemp("text-classify")
    data = reviews(root / "train.csv")
    assert main(["text", "classify", "train", str(data), "--output", str(root / "m"), *FAST_CLF]) == 0
    return root


def test_classify_train_writes_classes(clf):
    config = json.loads((clf / "m" / "config.json").read_text())
    assert config["classes"] == ["neg", "pos"] and config["task"] == "text-classify"
    assert (clf / "m" / "history.csv").is_file()


def test_classify_predict_writes_index_label_probabilities(clf, capsys):
    data = reviews(clf / "new.csv", n=6, labels=False)
    assert (
        main(
            [
                "text",
                "classify",
                "predict",
                "--model",
                str(clf / "m"),
                str(data),
                "--output",
                str(clf / "p.csv"),
            ]
        )
        == 0
    )
    table = pd.read_csv(clf / "p.csv")
    assert list(table.columns) == ["index", "label", "p_neg", "p_pos"]
    assert list(table["index"]) == list(range(6))
    assert set(table["label"]) <= {"neg", "pos"}
    assert (table[["p_neg", "p_pos"]].sum(axis=1) - 1).abs().max() < 1e-4


def test_classify_train_calls_the_early_stopping_split_validation(tmp_path, capsys):
    data = reviews(tmp_path / "train.csv")
    flags = [f for f in FAST_CLF if f != "--quiet"]
    assert main(["text", "classify", "train", str(data), "--output", str(tmp_path / "m"), *flags]) == 0
    out = capsys.readouterr().out
    assert "; validation (used for early stopping) accuracy " in out and "held-out" not in out


def test_classify_evaluate_prints_accuracy_and_macro_f1(clf, capsys):
    assert main(["text", "classify", "evaluate", "--model", str(clf / "m"), str(clf / "train.csv")]) == 0
    out = capsys.readouterr().out
    assert "accuracy: " in out and "macro-F1: " in out


def test_classify_train_writes_its_report_unless_told_not_to(clf, tmp_path):
    """--no-report was accepted, but no report.html was ever written (DESIGN: every training job writes one)."""
    page = (clf / "m" / "report.html").read_text()
    assert "Text classifier training: train.csv" in page and "Scores on the held-out split" in page
    assert "lstmkit text classify train" in page and "review" in page  # the command; the text column
    out = tmp_path / "m"
    (out).mkdir()
    (out / "report.html").write_text("an earlier run's")
    data = clf / "train.csv"
    assert main(["text", "classify", "train", str(data), "--output", str(out), *FAST_CLF, "--no-report"]) == 0
    assert not (out / "report.html").exists()  # it described the earlier run


def test_classify_evaluate_output_writes_metrics_confusion_and_report(clf, tmp_path, capsys):
    out = tmp_path / "eval"
    argv = [
        "text",
        "classify",
        "evaluate",
        "--model",
        str(clf / "m"),
        str(clf / "train.csv"),
        "--output",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert f"accuracy: {metrics['accuracy']:.4f}" in printed and metrics["n"] == 40
    assert metrics["classes"] == ["neg", "pos"] and sum(map(sum, metrics["confusion"])) == 40
    assert (out / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert "Misclassified texts" in (out / "report.html").read_text()
    assert main([*argv, "--no-report", "--output", str(tmp_path / "bare")]) == 0
    assert sorted(p.name for p in (tmp_path / "bare").iterdir()) == ["confusion.png", "metrics.json"]
    assert main([*argv[:-1], str(clf / "train.csv")]) == 2  # --output names a file
    assert capsys.readouterr().err == (
        f"error: --output {clf / 'train.csv'} is a file; pass a folder path (it is created if needed)\n"
    )


def test_classify_errors_exit_2(clf, tmp_path, capsys):
    data = clf / "train.csv"
    assert (
        main(
            [
                "text",
                "classify",
                "train",
                str(data),
                "--text-col",
                "txt",
                "--output",
                str(tmp_path / "x"),
                *FAST_CLF,
            ]
        )
        == 2
    )
    assert capsys.readouterr().err.strip() == (
        "error: column 'txt' (--text-col) not found in train.csv; columns are: id, review, sentiment"
    )
    assert main(["text", "classify", "train", str(tmp_path / "none.csv"), *FAST_CLF]) == 2
    assert "not found" in capsys.readouterr().err
    out = tmp_path / "p.csv"
    out.write_text("keep me")
    assert (
        main(
            [
                "text",
                "classify",
                "predict",
                "--model",
                str(tmp_path / "nomodel"),
                str(data),
                "--output",
                str(out),
            ]
        )
        == 2
    )
    assert out.read_text() == "keep me"
    other = tmp_path / "other.csv"
    pd.DataFrame({"review": ["so so"], "sentiment": ["meh"]}).to_csv(other, index=False)
    assert main(["text", "classify", "evaluate", "--model", str(clf / "m"), str(other)]) == 2
    assert "'meh' were not in the training data" in capsys.readouterr().err


def test_explain_a_text_classifier_over_the_tokens_of_one_text(clf, tmp_path, capsys):
    """DESIGN lists explain among the text classifier's jobs; the command refused its folders."""
    model, data = ["--model", str(clf / "m")], str(clf / "train.csv")
    assert main(["text", "classify", "predict", *model, data, "--output", str(tmp_path / "p.csv")]) == 0
    predicted = pd.read_csv(tmp_path / "p.csv").iloc[1]
    capsys.readouterr()
    assert main(["explain", *model, data, "--case", "1", "--output", str(tmp_path / "x")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("text classifier: text 1 of train.csv, 8 word tokens\nlayer 0 forward: ")
    assert "\nlayer 0 backward: " in out
    assert f"predicted: '{predicted['label']}' (probability {predicted[f'p_{predicted.label}']:.3f})" in out
    gates = pd.read_csv(tmp_path / "x" / "gates.csv")
    assert (
        sorted(gates["direction"].unique()) == [0, 1] and gates["step"].max() == 7
    )  # both directions, 8 tokens
    assert (tmp_path / "x" / "gates.png").stat().st_size > 0
    assert main(["explain", *model, data, "--class", "pos", "--output", str(tmp_path / "y")]) == 2
    assert capsys.readouterr().err == (
        f"error: --class applies to classify models, and {clf / 'm'} holds a text-classify model; drop --class\n"
    )
    assert main(["explain", *model, data, "--chars", "5", "--output", str(tmp_path / "y")]) == 2
    assert capsys.readouterr().err == (
        f"error: --chars applies to text (language) models, and {clf / 'm'} holds a text-classify model; "
        "drop --chars\n"
    )
    assert main(["explain", *model, data, "--case", "40", "--output", str(tmp_path / "y")]) == 2
    assert capsys.readouterr().err == "error: --case 40 is out of range: train.csv has 40 texts (0 to 39)\n"
    assert not (tmp_path / "y").exists()
