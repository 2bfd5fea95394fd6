"""The forecasting jobs' report.html (``forecast``, ``train``, ``evaluate``): forecast, hold-out table
and plot, training curves, gate view, data summary, command.

Built from what the command already has in hand (the model, the data, the metrics); figures the
command drew into its output folder (forecast.png, loss.png) are embedded from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lstmkit.evaluate.backtest import network_alone_note
from lstmkit.logs import counted, few
from lstmkit.plots import missing_glyphs_quiet
from lstmkit.plots.report import Report, figure_from, gate_section, png_of, training_section

METRIC_ORDER = ("mase", "smape", "mae", "rmse", "coverage", "pinball")
METRIC_NAMES = {
    "mase": "MASE",
    "smape": "sMAPE %",
    "mae": "MAE",
    "rmse": "RMSE",
    "coverage": "coverage",
    "pinball": "pinball",
}


# ----------------------------------------------------------------------------- forecasting


def scores_table(
    rep: Report, scores: dict[str, dict[str, float]], *, caption: str, nominal: float | None = None
) -> None:
    """Methods x metrics, whatever methods and metrics are present; the best per metric highlighted.

    Coverage is best closest to its nominal share (``coverage_nominal`` in the scores, else ``nominal``).
    """
    present = {k for s in scores.values() for k in s if not k.endswith("_nominal")}
    keys = [k for k in METRIC_ORDER if k in present] + sorted(present - set(METRIC_ORDER))
    nominal = next((s["coverage_nominal"] for s in scores.values() if "coverage_nominal" in s), nominal)
    best: dict[int, str | float] = {j + 1: "min" for j, k in enumerate(keys) if k != "coverage"}
    if "coverage" in keys and nominal is not None:
        best[keys.index("coverage") + 1] = float(nominal)
    rows = [[name] + [row.get(k, float("nan")) for k in keys] for name, row in scores.items()]
    rep.table(["method"] + [METRIC_NAMES.get(k, k) for k in keys], rows, caption=caption, best=best)


def references_table(rep: Report, references: Any) -> None:
    """``metrics["references"]``: method -> info (chosen form, status ...), as a small table."""
    if not isinstance(references, dict) or not references:
        return
    items = {name: info if isinstance(info, dict) else {"info": info} for name, info in references.items()}
    keys = list(dict.fromkeys(k for info in items.values() for k in info))
    series = max((len(v) for info in items.values() for v in info.values() if isinstance(v, dict)), default=0)
    rep.table(
        ["reference"] + keys,
        [[name] + [_cell(info.get(k), series=series) for k in keys] for name, info in items.items()],
        caption="classical references: the form each one chose, and any failure",
    )


def _cell(v: Any, *, series: int = 0) -> Any:
    """A table cell: numbers and text as they are; per-series values (a dict of series id -> value) grouped by
    value, a few series named after each (``ETS(M,A,M): b, c; ETS(M,A,A): a``), the value alone when all
    ``series`` share it, and ``none`` for no entry (no fallback)."""
    if isinstance(v, dict):
        if not v:
            return "none"
        groups: dict[str, list[str]] = {}
        for sid, value in v.items():
            groups.setdefault(str(value), []).append(str(sid))
        if len(groups) == 1 and len(v) >= series:
            return next(iter(groups))
        ranked = sorted(groups.items(), key=lambda group: -len(group[1]))  # the most common first
        return "; ".join(f"{value}: {few(ids)}" for value, ids in ranked)
    return v if isinstance(v, (int, float, str)) or v is None else str(v)


def _holdout_plot(
    data, holdout: np.ndarray, path: Path, *, quantiles: Sequence[float], max_series: int = 4
) -> None:
    from lstmkit.plots.forecast import _concise_dates, _pyplot, _time_axis, in_holdout

    plt = _pyplot()
    held = np.flatnonzero(in_holdout(holdout)).tolist()
    shown = held[:max_series]
    H = holdout.shape[1]
    fig, axes = plt.subplots(len(shown), 1, figsize=(8, 2.8 * len(shown)), squeeze=False)
    for ax, i in zip(axes[:, 0], shown):
        s = data.series[i]
        n = len(s.target)
        start = max(0, n - 4 * H)
        x, _, xlabel = _time_axis(data, s, 1)  # the file's times where it has them, else step numbers
        ax.plot(x[start:], s.target[start:], color="black", lw=1, label="truth")
        ax.plot(x[n - H :], holdout[i, :, 0], color="tab:orange", lw=1.5, label="hold-out forecast")
        if len(quantiles) >= 2:
            ax.fill_between(
                x[n - H :],
                holdout[i, :, 1],
                holdout[i, :, -1],
                color="tab:orange",
                alpha=0.2,
                label=f"q{quantiles[0]:g}-q{quantiles[-1]:g}",
            )
        if n > H:  # the cut, half a step before the first hold-out point
            ax.axvline(x[n - H - 1] + (x[n - H] - x[n - H - 1]) / 2, color="grey", lw=0.6)
        if np.issubdtype(np.asarray(x).dtype, np.datetime64):
            _concise_dates(ax)
        ax.set_title(f"{data.target}" + (f" — {s.id}" if s.id is not None else ""), fontsize=9)
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=7, loc="upper left")
    with missing_glyphs_quiet():
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=90)
    plt.close(fig)


def _data_summary(rep: Report, model, data) -> None:
    from lstmkit.data.tabular import missing_count

    lengths = [len(s.target) for s in data.series]
    st = model.fitted
    rep.heading("Data")
    rep.pairs(
        [
            ("source", data.source),
            ("target column", data.target),
            ("time column", data.time_col or "none (step numbers)"),
            ("series", len(data.series)),
            ("points per series", f"{min(lengths):,} to {max(lengths):,}"),
            ("frequency detected", data.freq or "none"),
            ("season (steps)", st.season),
            ("network reads", _network_reads(st)),
            ("missing values in the data as read", missing_count(data)),
            ("log transform", "yes" if st.log else "no"),
            ("covariates", ", ".join(data.covariate_names) or "none"),
            ("ensemble lookbacks", ", ".join(map(str, st.lookbacks))),
        ],
        caption="what was read and what the preprocessing chose",
    )


def _network_reads(st) -> str:
    """What the network's windows hold: the series as they are, or seasonally adjusted (long seasons)."""
    if st.seasons is None:
        return "the series as they are"
    removed, count = sum(1 for profile in st.seasons.values() if profile), len(st.seasons)
    short = sum(1 for profile in st.seasons.values() if profile is None)
    left = f"; {short} too short to estimate a season from, left to the classical methods" if short else ""
    if removed == count:
        return "the seasonally adjusted series (MSTL's seasons removed, put back on the forecast)"
    if not removed:
        return f"the series as they are (MSTL finds too little season to remove{left})"
    return f"the seasonally adjusted series where MSTL finds a season ({removed} of {count} series{left})"


def forecast_report(
    path: str | Path,
    *,
    model,
    data,
    metrics: dict[str, Any] | None = None,
    forecasts: np.ndarray | None = None,
    holdout: np.ndarray | None = None,
    argv: Sequence[str] | None = None,
    title: str = "Forecast",
) -> Path:
    """report.html of ``forecast`` (forecast, hold-out, training, gates, data, command), ``train`` (no
    forecast or hold-out) and ``evaluate`` (``metrics`` from a backtest)."""
    from lstmkit.config import config_to_dict
    from lstmkit.plots.forecast import plot_forecast

    path = Path(path)
    folder = path.parent
    H = model.config.model.horizon
    quantiles = tuple(model.config.model.quantiles)
    rep = Report(
        f"{title}: {data.target} ({data.source})",
        subtitle=f"{len(data.series)} series, horizon {counted(H, 'step')}"
        + (f", quantiles {', '.join(f'{q:g}' for q in quantiles)}" if quantiles else ""),
    )
    if forecasts is not None:
        rep.heading("Forecast")
        figure_from(
            rep,
            folder,
            "forecast.png",
            plot_forecast,
            data,
            forecasts,
            alt="history and forecast with interval",
            caption=f"History (black), forecast of the next {counted(H, 'step')} (blue) and its interval; dashed: the hold-out model.",
            quantiles=quantiles,
            holdout=holdout,
        )
    if metrics is not None:
        _metrics_section(rep, metrics, quantiles=quantiles)
        if holdout is not None:
            rep.figure(
                png_of(_holdout_plot, data, holdout, quantiles=quantiles),
                alt="hold-out forecast against the truth",
                caption=f"The last {counted(H, 'point')} of each series against the forecast of the model trained without them.",
            )
    training_section(rep, model.history, folder if forecasts is not None or metrics is None else None)
    gate_section(rep, lambda: model.explain(data), what="the last input window")
    _data_summary(rep, model, data)
    rep.command(argv, config_to_dict(model.config))
    return rep.write(path)


def _metrics_section(rep: Report, metrics: dict[str, Any], *, quantiles: Sequence[float]) -> None:
    rep.heading("Hold-out comparison" if "origins" not in metrics else "Backtest")
    if metrics.get("skipped"):
        rep.paragraph(str(metrics["skipped"]))
    scores = metrics.get("scores")
    if not scores:
        return
    nominal = quantiles[-1] - quantiles[0] if len(quantiles) >= 2 else None
    what = (
        f"{metrics.get('origins')} rolling origin(s) of {counted(int(metrics.get('horizon', 0)), 'step')}"
        if "origins" in metrics
        else f"the last {counted(int(metrics.get('horizon', 0)), 'point')} of each series"
    )
    scores_table(
        rep,
        scores,
        nominal=nominal,
        caption=f"Scored on {what}, mean over {metrics.get('series', '?')} series. MAE, RMSE and pinball "
        "loss in the data's units, MASE scaled by the seasonal naive in-sample error, coverage the share of "
        "points inside the interval. Lower is better (coverage: closest to the interval's nominal share); "
        "best per metric highlighted.",
    )
    if network_note := network_alone_note(metrics):
        rep.paragraph(f"Note: {network_note}.")
    if metrics.get("holdout"):
        rep.paragraph(f"How: {metrics['holdout']}.")
    if metrics.get("points_seen_in_training"):
        rep.paragraph(
            f"Note: {metrics['points_seen_in_training']} of {metrics['points_scored']} scored points were in the "
            "model's training data, so these numbers are optimistic."
        )
    references_table(rep, metrics.get("references"))
