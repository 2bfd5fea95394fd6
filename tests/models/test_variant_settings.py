"""Every job accepts LSTM variants through its config (``--set model.variants.KEY=VALUE``) and keeps them on reload."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.models.forecaster import LSTMForecaster


def test_forecaster_trains_saves_and_reloads_a_layer_norm_lstm(tmp_path, seed):
    t = np.arange(60)
    frame = pd.DataFrame({"y": 10 + np.sin(2 * np.pi * t / 6) + 0.1 * t})
    model = LSTMForecaster(
        3,
        epochs=2,
        ensemble=1,
        hidden_size=4,
        season=6,
        **{"model.variants.layer_norm": True, "model.variants.zoneout": (0.1, 0.1)},
    ).fit(frame)
    lstm = model.net.members[0].lstm
    assert (
        lstm.variants.layer_norm
        and lstm.variants.zoneout == (0.1, 0.1)
        and lstm.resolved_backend() == "explicit"
    )
    model.save(tmp_path / "m")
    again = LSTMForecaster.load(tmp_path / "m")
    assert again.net.members[0].lstm.variants == lstm.variants
    pd.testing.assert_frame_equal(again.predict(frame), model.predict(frame))


def test_classifier_and_language_model_take_variants_from_set(tmp_path, capsys):
    lines = ["@problemName P", "@dimensions 1", "@equalLength false", "@classLabel true a b", "@data"]
    rng = np.random.default_rng(0)
    for i in range(16):
        T = int(rng.integers(4, 9))
        lines.append(
            ",".join(f"{(i % 2) * t + rng.normal():.3f}" for t in range(T)) + (":a" if i % 2 else ":b")
        )
    (tmp_path / "d.ts").write_text("\n".join(lines) + "\n")
    flags = [
        "--epochs",
        "1",
        "--hidden-size",
        "4",
        "--set",
        "model.conv_channels=4",
        "--set",
        "model.kernel_sizes=3",
        "--set",
        "model.variants.peephole=true",
        "--quiet",
    ]
    assert main(["classify", "train", str(tmp_path / "d.ts"), "--output", str(tmp_path / "c"), *flags]) == 0
    assert '"peephole": true' in (tmp_path / "c" / "config.json").read_text()
    assert (
        main(
            [
                "classify",
                "predict",
                "--model",
                str(tmp_path / "c"),
                str(tmp_path / "d.ts"),
                "--output",
                str(tmp_path / "p.csv"),
            ]
        )
        == 0
    )

    (tmp_path / "t.txt").write_text("abcabcabd " * 30)
    assert (
        main(
            [
                "text",
                "train",
                str(tmp_path / "t.txt"),
                "--output",
                str(tmp_path / "lm"),
                "--epochs",
                "1",
                "--hidden-size",
                "8",
                "--set",
                "model.variants.recurrent_dropout=0.2",
                "--quiet",
            ]
        )
        == 0
    )
    assert '"recurrent_dropout": 0.2' in (tmp_path / "lm" / "config.json").read_text()
    assert main(["text", "sample", "--model", str(tmp_path / "lm"), "--prompt", "ab", "--length", "5"]) == 0


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("model.variants.zoneout=1.5", "zoneout must be"),
        (
            "model.variants.layer_nrom=true",
            "unknown setting 'model.variants.layer_nrom'; did you mean 'model.variants.layer_norm'?",
        ),
    ],
)
def test_bad_variant_settings_are_one_error_line(tmp_path, capsys, setting, message):
    frame = pd.DataFrame({"y": np.arange(40.0) % 7})
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert (
        main(
            [
                "forecast",
                str(tmp_path / "d.csv"),
                "--horizon",
                "2",
                "--epochs",
                "1",
                "--set",
                setting,
                "--output",
                str(tmp_path / "out"),
                "--quiet",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "forecast.csv").exists()
