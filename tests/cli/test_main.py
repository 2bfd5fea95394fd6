import os
import subprocess
import sys

import pandas as pd
import pytest

from lstmkit.cli import COMMANDS, build_parser, main


def test_every_command_is_registered():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) == set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "lstmkit " + command in capsys.readouterr().out.split("xample", 1)[-1]


@pytest.mark.parametrize("command", ["forecast", "evaluate"])
def test_forecasting_help_names_the_references_metrics_json_holds(command, capsys):
    """It named 'naive, seasonal naive, drift and ETS'; metrics.json has no drift and AutoARIMA, AutoTheta, combo."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    description = " ".join(capsys.readouterr().out.split())
    assert (
        "naive, seasonal naive, AutoETS, AutoARIMA, AutoTheta (MSTL with an AutoETS and with an AutoARIMA trend "
        "for seasons of 24 and more) and their mean" in description
    )


def test_unknown_command_is_one_error_line(capsys):
    assert main(["forcast"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument COMMAND: invalid choice: 'forcast'")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (
            ["text", "classify", "evaluate", "--model", "m", "d.csv", "--bogus"],
            "lstmkit text classify evaluate",
        ),
        (
            ["classify", "predict", "--model", "m", "d.ts", "--output", "p.csv", "--bogus"],
            "lstmkit classify predict",
        ),
        (["datasets", "extra"], "lstmkit datasets"),
        (["--bogus"], "lstmkit"),
    ],
)
def test_an_unknown_flag_points_at_the_help_of_its_subcommand(capsys, argv, hint):
    """It pointed at 'lstmkit --help', which does not list the subcommand's flags."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    extras = " ".join(a for a in argv if a in ("--bogus", "extra"))
    assert err == f"error: unrecognized arguments: {extras} (see '{hint} --help')\n"


GROUPS = [
    (
        [],
        "'forecast', 'train', 'predict', 'evaluate', 'classify', 'text', 'export', 'explain', 'datasets', 'demo'",
    ),
    (["classify"], "'train', 'predict', 'evaluate'"),
    (["text"], "'train', 'sample', 'evaluate', 'classify'"),
    (["text", "classify"], "'train', 'predict', 'evaluate'"),
]


@pytest.mark.parametrize(("group", "commands"), GROUPS, ids=[" ".join(["lstmkit", *g]) for g, _ in GROUPS])
def test_a_command_group_without_its_command_is_one_error_line(capsys, group, commands):
    """It printed the group's help on stdout with exit 2 and no error line."""
    assert main(group) == 2
    out, err = capsys.readouterr()
    prog = " ".join(["lstmkit", *group])
    assert (out, err) == (
        "",
        f"error: {prog} needs a command: choose from {commands} (see '{prog} --help')\n",
    )


@pytest.mark.parametrize("group", [g for g, _ in GROUPS], ids=[" ".join(["lstmkit", *g]) for g, _ in GROUPS])
def test_a_command_groups_help_still_prints_with_exit_0(capsys, group):
    with pytest.raises(SystemExit) as exit_:
        main([*group, "--help"])
    out, err = capsys.readouterr()
    assert exit_.value.code == 0 and out.startswith(f"usage: {' '.join(['lstmkit', *group])} ") and err == ""


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "lstmkit", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("lstmkit ")


def test_the_program_exits_with_mains_code_and_skips_the_final_collection(monkeypatch, capsys):
    import gc

    from lstmkit.cli import console

    monkeypatch.setattr(sys, "argv", ["lstmkit", "forcast"])
    try:
        with pytest.raises(SystemExit) as exit_:
            console()
        assert exit_.value.code == 2
        assert capsys.readouterr().err.startswith("error: argument COMMAND: invalid choice")
        assert gc.get_freeze_count() > 0  # everything alive is left out of the collection at exit
    finally:
        gc.unfreeze()


def test_python_dash_m_runs_the_program(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "lstmkit", "forcast"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: argument COMMAND: invalid choice: 'forcast'")


def test_a_refused_file_shows_its_error_line_alone_and_a_good_one_its_notes(tmp_path):
    months = pd.period_range("2020-01", periods=40, freq="M").astype(str)
    pd.DataFrame({"month": months, "region": "north", "comment": "x", "sales": range(40)}).to_csv(
        tmp_path / "shops.csv", index=False
    )
    argv = [sys.executable, "-m", "lstmkit", "forecast", "shops.csv", "--horizon", "6", "--no-report"]
    env = {**os.environ, "LSTMKIT_REFERENCE_WORKER": "0"}
    refused = subprocess.run(
        [*argv, "--target", "region"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert refused.returncode == 2 and refused.stderr == (  # no note about the columns read before it
        "error: column 'region' of shops.csv is not numeric ('north' at row 1); lstmkit forecasts a column of "
        "numbers: fix the values, or choose a numeric column with --target\n"
    )
    done = subprocess.run(
        [*argv, "--quiet", "--epochs", "2", "--season", "36", "--output", "out"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0
    # a warning says so; a note (a fallback the data asked for: nothing is wrong) is printed as it is written
    assert done.stderr.splitlines() == [
        "WARNING: ignoring non-numeric column(s) region, comment of shops.csv",
        "note: --season 36 needs at least 42 points per series (a season plus the horizon 6); the shortest series "
        "has 40: forecasting without a season",
    ]
