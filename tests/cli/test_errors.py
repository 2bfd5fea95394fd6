"""Issue 6's table of bad inputs, run through main(argv) for every command.

Each case must end in exit code 2 with exactly one stderr line, ``error: ...`` matching the
pattern (what is wrong and how to fix it), no traceback, and no file created, changed or removed
anywhere under the test folder (existing outputs stay byte-identical).
"""

import hashlib
import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "format_v1" / "forecast"


class Boom:
    """Unpickling this would create the file PWNED: a model folder must never be unpickled."""

    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def _csv(rows, sep=","):
    return "\n".join(sep.join(map(str, r)) for r in rows) + "\n"


def _damaged_copies(root: Path, source: Path, tag: str) -> None:
    for kind in ("trunc", "pickle", "torchsave", "newer", "badjson", "noweights", "keys"):
        folder = root / f"{tag}_{kind}"
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".checkpoints", "history.csv", "*.png"))
        weights, config = folder / "model.safetensors", folder / "config.json"
        if kind == "trunc":
            weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
        elif kind == "pickle":
            weights.write_bytes(pickle.dumps(Boom()))
        elif kind == "torchsave":
            torch.save({"w": Boom()}, weights)
        elif kind == "newer":
            config.write_text(json.dumps({**json.loads(config.read_text()), "format_version": 99}))
        elif kind == "badjson":
            config.write_text('{"format_version": 1,')
        elif kind == "noweights":
            weights.unlink()
        elif kind == "keys":
            config.write_text(
                json.dumps(
                    {
                        k: v
                        for k, v in json.loads(config.read_text()).items()
                        if k in ("format_version", "task", "lstmkit_version")
                    }
                )
            )


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """Every input file and model folder of the table (models trained once, tiny)."""
    root = tmp_path_factory.mktemp("bad")
    d = root
    months = list(pd.period_range("2001-01", periods=48, freq="M").astype(str))
    y = [f"{100 + t + 10 * np.sin(2 * np.pi * t / 12):.3f}" for t in range(48)]
    base = [["month", "sales"], *zip(months, y)]
    rows = lambda: [list(r) for r in base]  # noqa: E731
    (d / "sales.csv").write_text(_csv(base))
    (d / "empty.csv").write_text("")
    (d / "header.csv").write_text("month,sales\n")
    r = rows()
    r[6][1] = "abc"
    (d / "nonnum.csv").write_text(_csv(r))  # noqa: E702
    r = rows()
    r[6][1] = "inf"
    (d / "inf.csv").write_text(_csv(r))  # noqa: E702
    r = rows()
    r[6][1] = ""
    r[7][1] = ""
    (d / "gaps.csv").write_text(_csv(r))  # noqa: E702
    (d / "short.csv").write_text(_csv(base[:3]))  # two points
    r = rows()
    r[5][0] = r[4][0]
    (d / "dupes.csv").write_text(_csv(r))  # noqa: E702
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        np.cumsum(np.random.default_rng(0).integers(1, 5, 48)), unit="D"
    )
    (d / "irregular.csv").write_text(_csv([["date", "sales"], *zip(days.strftime("%Y-%m-%d"), y)]))
    r = [["date", "sales"], *zip(pd.date_range("2020-01-01", periods=48).strftime("%Y-%m-%d"), y)]
    r = [list(x) for x in r]
    r[10][0] = "notadate"
    (d / "badtime.csv").write_text(_csv(r))  # noqa: E702
    (d / "total.csv").write_text(_csv([*r[:10], *r[11:], ["Total", "4321.5"]]))  # a spreadsheet's total line
    (d / "novalues.csv").write_text(_csv([["month", "sales"], *[[m, ""] for m in months]]))
    (d / "binary.csv").write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8)))
    (d / "ragged.csv").write_text("month,sales\n2001-01,1\n2001-02,2,3,4\n")
    (d / "twonum.csv").write_text(_csv([["a", "b"], *[[1, 2]] * 30]))
    (d / "garbage.parquet").write_bytes(b"PAR1garbage")
    (d / "quarterly.csv").write_text(
        _csv([["month", "sales"], *[[f"{2001 + i // 4}-Q{i % 4 + 1}", 50 + i] for i in range(40)]])
    )
    (d / "renamed.csv").write_text(_csv([["month", "units"], *base[1:]]))
    (d / "afile.txt").write_text("keep me")
    (d / "emptydir").mkdir()
    (d / "cases.ts").mkdir()  # a folder named like a .ts file
    (d / "old_run").mkdir()
    (d / "old_run" / "forecast.csv").write_text("an earlier run's forecast\n")
    # classification
    ts = ["@problemName x", "@univariate true", "@classLabel true a b", "@data"]
    rng = np.random.default_rng(0)
    ts += [",".join(f"{v:.3f}" for v in rng.normal(size=8) + i % 2) + ":" + "ab"[i % 2] for i in range(12)]
    (d / "x.ts").write_text("\n".join(ts) + "\n")
    (d / "junk.ts").write_bytes(bytes(np.random.default_rng(3).integers(0, 256, 500, dtype=np.uint8)))
    (d / "nodata.ts").write_text("@problemName x\n@classLabel true a b\n")
    (d / "badval.ts").write_text("@problemName x\n@classLabel true a b\n@data\n1,2,x:a\n")
    (d / "badlabel.ts").write_text("@problemName x\n@classLabel true a b\n@data\n1,2,3:c\n")
    (d / "onecls.ts").write_text("@problemName x\n@classLabel true a b\n@data\n1,2,3:a\n1,2,3:a\n")
    (d / "twoch.ts").write_text(
        "@problemName x\n@classLabel true a b\n@data\n" + "1,2,3:4,5,6:a\n1,2,3:4,5,6:b\n"
    )
    # text
    (d / "corpus.txt").write_text("hello world. " * 40)
    (d / "empty.txt").write_text("")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 2)
    (d / "one.txt").write_text("h")
    (d / "reviews.csv").write_text(
        _csv(
            [
                ["text", "label"],
                *[["good nice great" if i % 2 else "bad awful poor", "ab"[i % 2]] for i in range(20)],
            ]
        )
    )
    # models
    shutil.copytree(FIXTURE / "model", d / "fmodel")
    quiet = ["--epochs", "1", "--quiet"]
    assert (
        main(
            [
                "classify",
                "train",
                str(d / "x.ts"),
                "--output",
                str(d / "cmodel"),
                "--hidden-size",
                "4",
                *quiet,
            ]
        )
        == 0
    )
    assert (
        main(
            ["text", "train", str(d / "corpus.txt"), "--output", str(d / "lm"), "--hidden-size", "4", *quiet]
        )
        == 0
    )
    assert (
        main(
            [
                "text",
                "classify",
                "train",
                str(d / "reviews.csv"),
                "--output",
                str(d / "tc"),
                "--hidden-size",
                "4",
                *quiet,
            ]
        )
        == 0
    )
    for tag, source in (("f", d / "fmodel"), ("c", d / "cmodel"), ("lm", d / "lm"), ("tc", d / "tc")):
        _damaged_copies(d, source, tag)
    (d / "cmodel_ckpt").mkdir()
    (d / "cmodel_ckpt" / ".checkpoints").mkdir()
    (d / "cmodel_ckpt" / ".checkpoints" / "train.json").write_bytes(pickle.dumps(Boom()))
    return root


FC = ["--horizon", "4", "--epochs", "1", "--hidden-size", "4", "--set", "model.ensemble=1", "--quiet"]
NEW_OUT = ["--output", "{d}/new_out"]
DAMAGED = {
    "trunc": r"model\.safetensors is not a valid safetensors file \(.*\); it may be damaged or tampered with, train the model again",
    "pickle": r"model\.safetensors is a pickle or torch\.save file, not safetensors; lstmkit never unpickles model files",
    "torchsave": r"model\.safetensors is a pickle or torch\.save file, not safetensors",
    "newer": r"config\.json has format_version 99, newer than this lstmkit reads \(1\); upgrade lstmkit",
    "badjson": r"config\.json is not valid JSON \(.*\); it may be damaged, train the model again",
    "noweights": r"has no model\.safetensors; it is incomplete, train the model again",
    "keys": r"(invalid config\.json|not a valid .*config).*train the model again",
}

CASES = [
    # ---- forecast / train: data
    (
        "forecast missing file",
        ["forecast", "{d}/missing.csv", *FC, *NEW_OUT],
        r"data file .*missing\.csv not found; pass an existing file or a bundled dataset \(airpassengers, ",
    ),
    (
        "forecast unknown name",
        ["forecast", "airpasengers", *FC, *NEW_OUT],
        r"'airpasengers' is neither a file nor a bundled dataset; bundled datasets are: airpassengers, ",
    ),
    (
        "forecast empty file",
        ["forecast", "{d}/empty.csv", *FC, *NEW_OUT],
        r"empty\.csv is empty; it needs a header line and at least one row of data$",
    ),
    (
        "forecast header only",
        ["forecast", "{d}/header.csv", *FC, *NEW_OUT],
        r"header\.csv has a header but no rows of data$",
    ),
    (
        "forecast folder as data",
        ["forecast", "{d}/emptydir", *FC, *NEW_OUT],
        r"emptydir is a folder; pass a CSV or Parquet file$",
    ),
    (
        "forecast unknown target",
        ["forecast", "{d}/sales.csv", "--target", "units", *FC, *NEW_OUT],
        r"^target column 'units' not found in sales\.csv; columns are: month, sales$",
    ),
    (
        "forecast unknown time col",
        ["forecast", "{d}/sales.csv", "--time-col", "date", *FC, *NEW_OUT],
        r"^time column 'date' not found in sales\.csv; columns are: month, sales$",
    ),
    (
        "forecast unknown id col",
        ["forecast", "{d}/sales.csv", "--id-col", "store", *FC, *NEW_OUT],
        r"^id column 'store' not found in sales\.csv; columns are: month, sales$",
    ),
    (
        "forecast two numeric columns",
        ["forecast", "{d}/twonum.csv", *FC, *NEW_OUT],
        r"^twonum\.csv has several numeric columns \(a, b\); choose one with --target, "
        r"or forecast each as its own series with --target all$",
    ),
    (
        "forecast non-numeric value",
        ["forecast", "{d}/nonnum.csv", *FC, *NEW_OUT],
        r"^column 'sales' of nonnum\.csv has a non-numeric value 'abc' at row 6 \(line 7 of the file\); fix or remove that row$",
    ),
    (
        "forecast infinity",
        ["forecast", "{d}/inf.csv", *FC, *NEW_OUT],
        r"^column 'sales' of inf\.csv has an infinite value at row 6; replace it with a number or leave it empty$",
    ),
    (
        "forecast gaps with fill=error",
        ["forecast", "{d}/gaps.csv", "--set", "data.fill=error", *FC, *NEW_OUT],
        r"^2 missing value\(s\) in 'sales' of gaps\.csv \(first at row 6\); fill them, or use --set data\.fill=interpolate$",
    ),
    (
        "forecast too short",
        ["forecast", "{d}/short.csv", *FC, *NEW_OUT],
        r"^series too short: forecasting needs at least 3 points, the shortest series has 2$",
    ),
    (
        "train too short",
        ["train", "{d}/short.csv", *FC, *NEW_OUT],
        r"^series too short: forecasting needs at least 3 points",
    ),
    (
        "forecast lookback too long",
        ["forecast", "{d}/sales.csv", "--lookback", "60", *FC, *NEW_OUT],
        r"^--lookback 60 with --horizon 4 needs at least 65 points; the shortest series has 48; use a shorter --lookback$",
    ),
    (
        "forecast duplicate times",
        ["forecast", "{d}/dupes.csv", *FC, *NEW_OUT],
        r"^time 2001-04 appears twice \(rows 4 and 5\) in 'month' of dupes\.csv; keep one row per time step",
    ),
    (
        "forecast irregular times",
        ["forecast", "{d}/irregular.csv", *FC, *NEW_OUT],
        r"^times in 'date' of irregular\.csv are irregular .*; resample the data to a regular frequency$",
    ),
    (
        "forecast unparseable time",
        ["forecast", "{d}/badtime.csv", *FC, *NEW_OUT],
        r"^time column 'date' of badtime\.csv has a value that is not a time, 'notadate' at row 10; use dates such as 2020-01-31",
    ),
    (
        "forecast target without values",
        ["forecast", "{d}/novalues.csv", *FC, *NEW_OUT],
        r"^column 'sales' of novalues\.csv has no values; fill it in, or name a column of numbers with --target$",
    ),
    (
        "forecast total row",
        ["forecast", "{d}/total.csv", *FC, *NEW_OUT],
        r"^time column 'date' of total\.csv has a value that is not a time, 'Total' at row 48; that last row looks "
        r"like a total or footer line: delete it from the file$",
    ),
    (
        "forecast binary junk",
        ["forecast", "{d}/binary.csv", *FC, *NEW_OUT],
        r"binary\.csv looks like a binary file, not a CSV; pass a text CSV or a Parquet file$",
    ),
    (
        "forecast ragged CSV",
        ["forecast", "{d}/ragged.csv", *FC, *NEW_OUT],
        r"ragged\.csv is not a well-formed CSV \(.*Expected 2 fields in line 3, saw 4\); check the delimiter and quoting$",
    ),
    (
        "forecast damaged parquet",
        ["forecast", "{d}/garbage.parquet", *FC, *NEW_OUT],
        r"garbage\.parquet is not a readable Parquet file \(",
    ),
    # ---- forecast / train: flags and output
    (
        "forecast horizon 0",
        ["forecast", "{d}/sales.csv", "--horizon", "0", *NEW_OUT],
        r"^argument --horizon: expected a positive integer, got 0 \(see 'lstmkit forecast --help'\)$",
    ),
    (
        "forecast horizon -3",
        ["forecast", "{d}/sales.csv", "--horizon", "-3", *NEW_OUT],
        r"^argument --horizon: expected a positive integer, got -3",
    ),
    (
        "forecast quantile 0",
        ["forecast", "{d}/sales.csv", "--quantiles", "0,0.5", *FC, *NEW_OUT],
        r"^argument --quantiles: quantiles must lie strictly between 0 and 1, got 0 ",
    ),
    (
        "forecast quantile 1.5",
        ["forecast", "{d}/sales.csv", "--quantiles", "0.1,1.5", *FC, *NEW_OUT],
        r"^argument --quantiles: quantiles must lie strictly between 0 and 1, got 1\.5 ",
    ),
    (
        "forecast quantile text",
        ["forecast", "{d}/sales.csv", "--quantiles", "a,b", *FC, *NEW_OUT],
        r"^argument --quantiles: expected numbers such as 0\.1,0\.5,0\.9, got 'a,b'",
    ),
    (
        "forecast epochs -1",
        ["forecast", "{d}/sales.csv", "--epochs", "-1", *NEW_OUT],
        r"^argument --epochs: expected a positive integer, got -1 \(see 'lstmkit forecast --help'\)$",
    ),
    (
        "train --set epochs -1",
        ["train", "{d}/sales.csv", "--set", "trainer.epochs=-1", *NEW_OUT],
        r"^trainer\.epochs must be a positive integer, got -1$",
    ),
    (
        "forecast --set unknown key",
        ["forecast", "{d}/sales.csv", "--set", "model.hiden_size=4", *FC, *NEW_OUT],
        r"^unknown setting 'model\.hiden_size'; did you mean 'model\.hidden_size'\?",
    ),
    (
        "forecast --set unknown section",
        ["forecast", "{d}/sales.csv", "--set", "trainr.lr=1", *FC, *NEW_OUT],
        r"^unknown setting 'trainr'; did you mean 'trainer'\?",
    ),
    (
        "forecast --set not a number",
        ["forecast", "{d}/sales.csv", "--set", "trainer.lr=fast", *FC, *NEW_OUT],
        r"^trainer\.lr must be a number, got 'fast'$",
    ),
    (
        "forecast --set negative lr",
        ["forecast", "{d}/sales.csv", "--set", "trainer.lr=-1", *FC, *NEW_OUT],
        r"^trainer\.lr must be a positive number such as 1e-3, got -1\.0$",
    ),
    (
        "forecast --set nan lr",
        ["forecast", "{d}/sales.csv", "--set", "trainer.lr=nan", *FC, *NEW_OUT],
        r"^trainer\.lr must be a positive number such as 1e-3, got nan$",
    ),
    (
        "forecast --set batch 0",
        ["forecast", "{d}/sales.csv", "--set", "trainer.batch_size=0", *FC, *NEW_OUT],
        r"^trainer\.batch_size must be a positive integer, got 0$",
    ),
    (
        "forecast --set dropout 2",
        ["forecast", "{d}/sales.csv", "--set", "model.dropout=2", *FC, *NEW_OUT],
        r"^model\.dropout must be in \[0, 1\), got 2\.0$",
    ),
    (
        "forecast --set fill bogus",
        ["forecast", "{d}/sales.csv", "--set", "data.fill=bogus", *FC, *NEW_OUT],
        r"^data\.fill must be one of 'interpolate', 'error', got 'bogus'$",
    ),
    (
        "forecast --config missing",
        ["forecast", "{d}/sales.csv", "--config", "{d}/nope.toml", *FC, *NEW_OUT],
        r"^config file .*nope\.toml not found; pass an existing TOML file to --config$",
    ),
    (
        "forecast output is a file",
        ["forecast", "{d}/sales.csv", *FC, "--output", "{d}/afile.txt"],
        r"^--output .*afile\.txt is a file; pass a folder path \(it is created if needed\)$",
    ),
    (
        "train output is a file",
        ["train", "{d}/sales.csv", *FC, "--output", "{d}/afile.txt"],
        r"^--output .*afile\.txt is a file; pass a folder path \(it is created if needed\)$",
    ),
    (
        "evaluate output named like its report",
        ["evaluate", "--model", "{d}/fmodel", "{d}/sales.csv", "--output", "{d}/metrics.html"],
        r"^--output .*metrics\.html is the report's name \(FILE\.html goes beside FILE\.json\); pass a file path "
        r"such as .*metrics\.json$",
    ),
    (
        "forecast resume nothing",
        ["forecast", "{d}/sales.csv", *FC, "--resume", "--output", "{d}/old_run"],
        r"old_run holds no interrupted run \(no \.checkpoints folder\); run without --resume$",
    ),
    (
        "forecast bad data keeps old run",
        ["forecast", "{d}/nonnum.csv", *FC, "--output", "{d}/old_run"],
        r"non-numeric value 'abc' at row 6",
    ),
    # ---- predict / evaluate / export: model folders and mismatched data
    *[
        (f"{cmd} model {kind}", argv, DAMAGED[kind])
        for kind in DAMAGED
        for cmd, argv in (
            ("predict", ["predict", "--model", f"{{d}}/f_{kind}", "{d}/sales.csv", "--output", "{d}/p.csv"]),
            ("evaluate", ["evaluate", "--model", f"{{d}}/f_{kind}", "{d}/sales.csv"]),
            ("export", ["export", "--model", f"{{d}}/f_{kind}", "--output", "{d}/m.onnx"]),
        )
    ],
    (
        "predict model missing",
        ["predict", "--model", "{d}/nomodel", "{d}/sales.csv"],
        r"^model folder .*nomodel not found; pass the folder written by 'lstmkit train' or 'forecast'$",
    ),
    (
        "predict model empty folder",
        ["predict", "--model", "{d}/emptydir", "{d}/sales.csv"],
        r"^model folder .*emptydir has no config\.json; it is incomplete, train the model again$",
    ),
    (
        "predict model is a file",
        ["predict", "--model", "{d}/afile.txt", "{d}/sales.csv"],
        r"afile\.txt is a file, not a model folder; pass the folder holding config\.json and model\.safetensors$",
    ),
    (
        "predict classifier as forecaster",
        ["predict", "--model", "{d}/cmodel", "{d}/sales.csv"],
        r"^model folder .*cmodel holds a 'classify' model, not a 'forecast' model$",
    ),
    (
        "predict other columns",
        ["predict", "--model", "{d}/fmodel", "{d}/renamed.csv"],
        r"^target column 'sales' not found in renamed\.csv; columns are: month, units$",
    ),
    (
        "predict other frequency",
        ["predict", "--model", "{d}/fmodel", "{d}/quarterly.csv"],
        r"^the data's frequency is Q but the model was trained on M data; pass M data, or train a model on this data$",
    ),
    (
        "predict too short",
        ["predict", "--model", "{d}/fmodel", "{d}/header.csv"],
        r"header\.csv has a header but no rows of data$",
    ),
    (
        "predict output is a folder",
        ["predict", "--model", "{d}/fmodel", "{d}/sales.csv", "--output", "{d}/emptydir"],
        r"^--output .*emptydir is a folder; pass a file path such as forecast\.csv$",
    ),
    (
        "predict output under a file",
        ["predict", "--model", "{d}/fmodel", "{d}/sales.csv", "--output", "{d}/afile.txt/f.csv"],
        r"^cannot write into .*afile\.txt: .*afile\.txt is a file, not a folder; choose another output path$",
    ),
    (
        "evaluate backtest too long",
        ["evaluate", "--model", "{d}/fmodel", "{d}/sales.csv", "--backtest", "50"],
        r"^--backtest 50 with horizon 3 and lookback 6 needs 156 points per series; the longest has 48; use --backtest 14 or fewer$",
    ),
    (
        "evaluate backtest 0",
        ["evaluate", "--model", "{d}/fmodel", "{d}/sales.csv", "--backtest", "0"],
        r"^argument --backtest: expected a positive integer, got 0",
    ),
    (
        "export output is a folder",
        ["export", "--model", "{d}/fmodel", "--output", "{d}/emptydir"],
        r"^--output .*emptydir is a folder; pass a file path such as model\.onnx$",
    ),
    (
        "export unknown format",
        ["export", "--model", "{d}/fmodel", "--format", "pt", "--output", "{d}/m.pt"],
        r"^argument --format: invalid choice: 'pt'",
    ),
    # ---- classify
    (
        "classify train missing",
        ["classify", "train", "{d}/missing.ts", "--output", "{d}/c_out"],
        r"data file .*missing\.ts not found",
    ),
    (
        "classify train junk",
        ["classify", "train", "{d}/junk.ts", "--output", "{d}/c_out"],
        r"junk\.ts looks like a binary file, not a \.ts file; pass a text \.ts file$",
    ),
    (
        "classify train no @data",
        ["classify", "train", "{d}/nodata.ts", "--output", "{d}/c_out"],
        r"^nodata\.ts: no @data line found; is this a UEA/UCR \.ts file\?$",
    ),
    (
        "classify train bad value",
        ["classify", "train", "{d}/badval.ts", "--output", "{d}/c_out"],
        r"^badval\.ts line 4: channel 1 has a non-numeric value 'x'; values must be numbers, '\?' for missing$",
    ),
    (
        "classify train undeclared label",
        ["classify", "train", "{d}/badlabel.ts", "--output", "{d}/c_out"],
        r"^badlabel\.ts line 4: class label 'c' is not among the declared @classLabel values a, b$",
    ),
    (
        "classify train one class",
        ["classify", "train", "{d}/onecls.ts", "--output", "{d}/c_out"],
        r"^onecls\.ts has a single class \('a'\); classification needs at least two$",
    ),
    (
        "classify train empty csv",
        ["classify", "train", "{d}/empty.csv", "--output", "{d}/c_out"],
        r"empty\.csv",
    ),
    (
        "classify train no id col",
        ["classify", "train", "{d}/sales.csv", "--output", "{d}/c_out"],
        r"^id column 'id' not found in sales\.csv; columns are: month, sales; pass --id-col$",
    ),
    (
        "classify train output is a file",
        ["classify", "train", "{d}/x.ts", "--output", "{d}/afile.txt"],
        r"^--output .*afile\.txt is a file; pass a folder path \(it is created if needed\)$",
    ),
    (
        "classify train epochs -1",
        ["classify", "train", "{d}/x.ts", "--epochs", "-1", "--output", "{d}/c_out"],
        r"^argument --epochs: expected a positive integer, got -1",
    ),
    (
        "classify train --set unknown",
        ["classify", "train", "{d}/x.ts", "--set", "model.hiden=3", "--output", "{d}/c_out"],
        r"^unknown setting 'model\.hiden'; did you mean 'model\.hidden_size'\?",
    ),
    (
        "classify train resume tampered checkpoint",
        ["classify", "train", "{d}/x.ts", "--epochs", "1", "--resume", "--output", "{d}/cmodel_ckpt"],
        r"^checkpoint .*train\.json is damaged \(not JSON: .*\); delete it and run without --resume to start afresh$",
    ),
    *[
        (
            f"classify {cmd} model {kind}",
            [
                "classify",
                cmd,
                "--model",
                f"{{d}}/c_{kind}",
                "{d}/x.ts",
                "--output",
                "{d}/cp.csv" if cmd == "predict" else "{d}/ce",
            ],
            DAMAGED[kind],
        )
        for kind in DAMAGED
        for cmd in ("predict", "evaluate")
    ],
    (
        "classify predict other feature count",
        ["classify", "predict", "--model", "{d}/cmodel", "{d}/twoch.ts", "--output", "{d}/cp.csv"],
        r"twoch\.ts: sequence 0 has 2 feature\(s\) per step but the model expects 1; use data with the same channels",
    ),
    (
        "classify predict output is a folder",
        ["classify", "predict", "--model", "{d}/cmodel", "{d}/x.ts", "--output", "{d}/emptydir"],
        r"^--output .*emptydir is a folder; pass a file name such as",
    ),
    (
        "classify evaluate data is a folder",
        ["classify", "evaluate", "--model", "{d}/cmodel", "{d}/emptydir"],
        r"^.*emptydir is a folder; pass a \.ts file, a long CSV or a bundled dataset name$",
    ),
    (
        "explain .ts data is a folder",
        ["explain", "--model", "{d}/cmodel", "{d}/cases.ts", "--output", "{d}/e_out"],
        r"^.*cases\.ts is a folder; pass a \.ts file, a long CSV or a bundled dataset name$",
    ),
    (
        "classify evaluate output is a file",
        ["classify", "evaluate", "--model", "{d}/cmodel", "{d}/x.ts", "--output", "{d}/afile.txt"],
        r"^--output .*afile\.txt is a file; pass a folder path \(it is created if needed\)$",
    ),
    (
        "classify evaluate output under a file",
        ["classify", "evaluate", "--model", "{d}/cmodel", "{d}/x.ts", "--output", "{d}/afile.txt/sub"],
        r"^cannot write into .*afile\.txt/sub: .*afile\.txt is a file, not a folder; choose another output path$",
    ),
    # ---- text
    (
        "text train missing",
        ["text", "train", "{d}/missing.txt", "--output", "{d}/lm_out"],
        r"^text file '.*missing\.txt' not found; pass a UTF-8 text file or the bundled corpus 'python-stdlib'$",
    ),
    (
        "text train empty",
        ["text", "train", "{d}/empty.txt", "--output", "{d}/lm_out"],
        r"empty\.txt' is empty; a corpus needs text to learn from$",
    ),
    (
        "text train binary",
        ["text", "train", "{d}/binary.txt", "--output", "{d}/lm_out"],
        r"binary\.txt looks like a binary file, not a text file; pass a text file$",
    ),
    (
        "text train too short",
        ["text", "train", "{d}/one.txt", "--output", "{d}/lm_out"],
        r"one\.txt' has 1 character; a language model needs at least 100$",
    ),
    (
        "text train output is a file",
        ["text", "train", "{d}/corpus.txt", "--output", "{d}/afile.txt"],
        r"^--output .*afile\.txt is a file; pass a folder path \(it is created if needed\)$",
    ),
    (
        "text train --set unknown",
        ["text", "train", "{d}/corpus.txt", "--set", "trainer.lrr=1", "--output", "{d}/lm_out"],
        r"^unknown setting 'trainer\.lrr'; did you mean 'trainer\.lr'\?",
    ),
    (
        "text sample length -1",
        ["text", "sample", "--model", "{d}/lm", "--length", "-1"],
        r"^argument --length: expected a non-negative integer, got -1",
    ),
    (
        "text sample temperature 0",
        ["text", "sample", "--model", "{d}/lm", "--temperature", "0"],
        r"^argument --temperature: expected a positive number, got 0",
    ),
    (
        "text evaluate output is a file",
        ["text", "evaluate", "--model", "{d}/lm", "{d}/corpus.txt", "--output", "{d}/afile.txt"],
        r"^--output .*afile\.txt is a file; pass a folder path \(it is created if needed\)$",
    ),
    (
        "text classify evaluate output is a file",
        ["text", "classify", "evaluate", "--model", "{d}/tc", "{d}/reviews.csv", "--output", "{d}/afile.txt"],
        r"^--output .*afile\.txt is a file; pass a folder path \(it is created if needed\)$",
    ),
    (
        "explain output is a file",
        ["explain", "--model", "{d}/lm", "{d}/corpus.txt", "--output", "{d}/afile.txt"],
        r"^--output .*afile\.txt is a file; pass a folder path \(it is created if needed\)$",
    ),
    (
        "text evaluate one char",
        ["text", "evaluate", "--model", "{d}/lm", "{d}/one.txt"],
        r"one\.txt has 1 character; scoring needs at least two$",
    ),
    (
        "text sample forecaster",
        ["text", "sample", "--model", "{d}/fmodel"],
        r"holds a 'forecast' model, not a 'text' model$",
    ),
    *[
        (
            f"text {cmd} model {kind}",
            ["text", cmd, "--model", f"{{d}}/lm_{kind}", *(["{d}/corpus.txt"] if cmd == "evaluate" else [])],
            DAMAGED[kind],
        )
        for kind in DAMAGED
        for cmd in ("sample", "evaluate")
    ],
    # ---- text classify
    (
        "text classify train missing",
        ["text", "classify", "train", "{d}/missing.csv", "--output", "{d}/tc_out"],
        r"data file .*missing\.csv not found",
    ),
    (
        "text classify train header only",
        ["text", "classify", "train", "{d}/header.csv", "--output", "{d}/tc_out"],
        r"header\.csv has a header but no rows of data$",
    ),
    (
        "text classify train binary",
        ["text", "classify", "train", "{d}/binary.csv", "--output", "{d}/tc_out"],
        r"binary\.csv looks like a binary file, not a CSV",
    ),
    (
        "text classify train unknown label col",
        ["text", "classify", "train", "{d}/reviews.csv", "--label-col", "nope", "--output", "{d}/tc_out"],
        r"^column 'nope' \(--label-col\) not found in reviews\.csv; columns are: text, label$",
    ),
    (
        "text classify train no label column",
        ["text", "classify", "train", "{d}/sales.csv", "--output", "{d}/tc_out"],
        r"^cannot tell which column of sales\.csv holds the labels; columns are: month, sales; pass --label-col$",
    ),
    *[
        (
            f"text classify predict model {kind}",
            [
                "text",
                "classify",
                "predict",
                "--model",
                f"{{d}}/tc_{kind}",
                "{d}/reviews.csv",
                "--output",
                "{d}/tp.csv",
            ],
            DAMAGED[kind],
        )
        for kind in DAMAGED
    ],
    # ---- seeds: NumPy's generators crashed on a negative seed (a traceback), torch's on a huge one
    (
        "classify train negative seed",
        ["classify", "train", "{d}/missing.ts", "--seed", "-5", "--output", "{d}/c_out"],
        r"^argument --seed: expected an integer from 0 to 4294967295, got -5 \(see 'lstmkit classify train --help'\)$",
    ),
    (
        "text sample huge seed",
        ["text", "sample", "--model", "{d}/lm", "--seed", "99999999999999999999"],
        r"^argument --seed: expected an integer from 0 to 4294967295, got 99999999999999999999 ",
    ),
    (
        "text classify train --set negative seed",
        [
            "text",
            "classify",
            "train",
            "{d}/reviews.csv",
            "--set",
            "trainer.seed=-1",
            "--output",
            "{d}/tc_out",
        ],
        r"^trainer\.seed must be an integer from 0 to 4294967295, got -1$",
    ),
    # ---- datasets and the top level
    (
        "datasets extra argument",
        ["datasets", "extra"],
        r"^unrecognized arguments: extra \(see 'lstmkit datasets --help'\)$",
    ),
    ("unknown command", ["frobnicate"], r"^argument COMMAND: invalid choice: 'frobnicate'"),
]


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in folder.rglob("*")
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["classify", "evaluate", "--model", "{d}/cmodel", "{d}/x.ts"],
        ["text", "evaluate", "--model", "{d}/lm", "{d}/corpus.txt"],
        ["text", "classify", "evaluate", "--model", "{d}/tc", "{d}/reviews.csv"],
    ],
    ids=lambda argv: " ".join(argv[: argv.index("--model")]),
)
def test_an_evaluation_into_a_file_is_refused_before_any_work(root, argv, capsys):
    """It scored the data and printed the results (and the references) first, then failed to make the folder."""
    assert main([*(a.format(d=root) for a in argv), "--output", str(root / "afile.txt")]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        f"error: --output {root / 'afile.txt'} is a file; pass a folder path (it is created if needed)\n",
    )


@pytest.mark.parametrize("argv, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_error_exit_2_and_nothing_written(root, argv, pattern, capsys, monkeypatch):
    monkeypatch.chdir(root)  # an unpickled Boom would write root/PWNED
    before = _snapshot(root)
    assert main([a.format(d=root) for a in argv]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert re.search(pattern, err[0][len("error: ") :]), err[0]
    assert _snapshot(root) == before  # nothing created, changed or removed (and no PWNED)


@pytest.mark.parametrize(
    "argv, locked",
    [
        (["explain", "--model", "{d}/cmodel", "{d}/x.ts", "--output", "{d}/e_out"], "{d}/cmodel/config.json"),
        (["classify", "evaluate", "--model", "{d}/cmodel", "{d}/x.ts"], "{d}/x.ts"),
        (["text", "evaluate", "--model", "{d}/lm", "{d}/corpus.txt"], "{d}/corpus.txt"),
        (["text", "classify", "evaluate", "--model", "{d}/tc", "{d}/reviews.csv"], "{d}/reviews.csv"),
        (["train", "{d}/sales.csv", *FC, "--output", "{d}/t_out"], "{d}/sales.csv"),
    ],
    ids=["explain model config", "classify .ts", "text corpus", "text classify csv", "train csv"],
)
def test_an_unreadable_file_is_one_clear_error(root, argv, locked, capsys, monkeypatch):
    """A file the user may not read (chmod 000; the tests run as root, so open() is made to refuse it) was a
    PermissionError traceback, exit 1 ('cannot read X: [Errno 13] ...' for a .ts file)."""
    import builtins
    import errno
    import io
    import os

    locked = locked.format(d=root)
    opened, os_opened = builtins.open, os.open

    def refuse(path):
        if isinstance(path, (str, os.PathLike)) and os.path.abspath(os.fspath(path)) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    def guarded_open(path, *args, **kwargs):
        refuse(path)
        return opened(path, *args, **kwargs)

    def guarded_os_open(path, *args, **kwargs):
        refuse(path)
        return os_opened(path, *args, **kwargs)

    before = _snapshot(root)
    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    code = main([a.format(d=root) for a in argv])
    monkeypatch.undo()
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: cannot read {locked}: permission denied; make it readable (chmod u+r) or pass another path\n"
    )
    assert _snapshot(root) == before


def test_an_unreadable_folder_is_made_readable_with_its_x_bit(tmp_path):
    import errno

    from lstmkit.cli.common import unreadable_message

    folder, file = tmp_path / "model", tmp_path / "data.csv"
    folder.mkdir()
    file.write_text("y\n1\n")
    for path, mode in ((folder, "u+rx"), (file, "u+r")):
        exc = PermissionError(errno.EACCES, "Permission denied", str(path))
        assert unreadable_message(exc) == (
            f"cannot read {path}: permission denied; make it readable (chmod {mode}) or pass another path"
        )
