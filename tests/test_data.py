"""Tests of stocklearn.data: bundled data, vendor layouts, validation."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocklearn import data
from stocklearn.data import (
    DataError,
    UnknownDatasetError,
    ValidationError,
)

FIXTURES = Path(__file__).parent / "fixtures"
REGISTRY = json.loads((Path(data.__file__).parent / "datasets" / "registry.json").read_text())
NDX_WINDOW = ("2024-05-28", "2024-06-10")
SPDB_WINDOW = ("2021-03-01", "2021-03-12")


def plain_csv(df: pd.DataFrame) -> io.StringIO:
    return io.StringIO(df.to_csv(date_format="%Y-%m-%d"))


# --------------------------------------------------------------------------- bundled data
def test_list_datasets_table():
    table = data.list_datasets()
    assert table.index.name == "name"
    assert list(table.index) == list(REGISTRY)
    assert list(table.columns) == ["description", "market", "currency", "prices", "first",
                                   "last", "rows", "vendor", "symbol"]
    assert set(table["prices"]) <= {"index", "raw", "adjusted"}
    assert table.loc["csi300", "symbol"] == "000300.SH"
    assert table.loc["nasdaq100", "first"] == pd.Timestamp("1985-10-01")


@pytest.mark.parametrize("name", list(REGISTRY))
def test_bundled_dataset_loads_validates_and_matches_registry(name):
    meta = REGISTRY[name]
    assert data.verify_checksum(name) == meta["sha256"]
    df = data.load(name)
    pd.testing.assert_frame_equal(data.validate_ohlcv(df), df)
    assert df.index.name == "date" and isinstance(df.index, pd.DatetimeIndex)
    assert list(df.columns[:5]) == ["open", "high", "low", "close", "volume"]
    assert set(df.dtypes) == {np.dtype("float64")}
    assert len(df) == meta["rows"]
    assert df.index[0] == pd.Timestamp(meta["first"])
    assert df.index[-1] == pd.Timestamp(meta["last"])


def test_csi300_matches_lu_2024_table_1():
    close = data.load("csi300", "2014-12-08", "2024-06-11")["close"]
    assert len(close) == 2311
    assert [round(v, 2) for v in (close.mean(), close.std(), close.min(), close.max())] == [
        3933.56, 599.43, 2853.76, 5807.72]


def test_nasdaq100_matches_paper_min_max():
    close = data.load("nasdaq100", "2014-11-21", "2024-06-11")["close"]
    assert len(close) == 2403
    assert (round(close.min(), 2), round(close.max(), 2)) == (3947.80, 19210.18)


@pytest.mark.parametrize(("alias", "name"), [("000300.SH", "csi300"), ("^NDX", "nasdaq100"),
                                             ("ndx", "nasdaq100"), ("sh600000", "spdb_600000")])
def test_load_accepts_symbols_and_aliases(alias, name):
    pd.testing.assert_frame_equal(data.load(alias, *NDX_WINDOW if name == "nasdaq100" else ()),
                                  data.load(name, *NDX_WINDOW if name == "nasdaq100" else ()))


def test_load_returns_a_fresh_copy(bars):
    bars.iloc[0, 0] = -1.0
    assert data.load("nasdaq100", *NDX_WINDOW).iloc[0, 0] == 18855.15


def test_load_window_is_inclusive(bars):
    assert (bars.index[0], bars.index[-1], len(bars)) == (
        pd.Timestamp("2024-05-28"), pd.Timestamp("2024-06-10"), 10)


def test_load_empty_window_raises():
    with pytest.raises(DataError, match="no rows from 2030-01-01.*covers 1985-10-01"):
        data.load("nasdaq100", start="2030-01-01")


def test_load_bad_date_raises():
    with pytest.raises(ValueError, match="start='yesterday' is not a date") as bad_argument:
        data.load("nasdaq100", start="yesterday")
    assert not isinstance(bad_argument.value, DataError)


def test_unknown_dataset_suggests_closest_name():
    with pytest.raises(UnknownDatasetError, match="unknown data set 'nasdaq'") as err:
        data.load("nasdaq")
    assert "Did you mean 'nasdaq100'?" in str(err.value)
    assert "csi300" in str(err.value) and "sp500" in str(err.value)


def test_checksum_mismatch_raises(monkeypatch):
    monkeypatch.setitem(data._registry()["aapl"], "sha256", "0" * 64)
    with pytest.raises(DataError, match="checksum mismatch for aapl.csv"):
        data.verify_checksum("aapl")


# --------------------------------------------------------------------------- validation
def _swap(df):
    return df.iloc[[0, 1, 2, 4, 3, 5, 6, 7, 8, 9]]


def _duplicate(df):
    return df.set_axis(df.index[[0, 1, 2, 3, 4, 4, 6, 7, 8, 9]])


def _set(row, col, value):
    def mutate(df):
        df.iloc[row, df.columns.get_loc(col)] = value(df.iloc[row]) if callable(value) else value
        return df
    return mutate


@pytest.mark.parametrize(("mutate", "problem", "date"), [
    (_swap, "dates not in increasing order", "2024-05-31 after 2024-06-03"),
    (_duplicate, "duplicate dates", "2024-06-03"),
    (_set(2, "close", np.nan), "missing or non-numeric values in 'close'", "2024-05-30"),
    (_set(1, "low", 0.0), "non-positive prices", "2024-05-29"),
    (_set(1, "low", -5.0), "non-positive prices", "2024-05-29"),
    (_set(6, "high", lambda r: r["low"] - 1), "high < low", "2024-06-05"),
    (_set(7, "open", lambda r: r["high"] + 0.01), "open outside [low, high]", "2024-06-06"),
    (_set(8, "close", lambda r: r["low"] - 0.01), "close outside [low, high]", "2024-06-07"),
    (_set(9, "volume", -1.0), "negative volume", "2024-06-10"),
])
def test_validate_names_problem_and_date(bars, mutate, problem, date):
    with pytest.raises(ValidationError) as err:
        data.validate_ohlcv(mutate(bars))
    assert problem in str(err.value) and date in str(err.value)


def test_validate_missing_column(bars):
    with pytest.raises(ValidationError, match=r"missing required columns \['volume'\]"):
        data.validate_ohlcv(bars.drop(columns="volume"))


def test_validate_needs_datetime_index(bars):
    with pytest.raises(ValidationError, match="must be a DatetimeIndex.*'2024-05-28'"):
        data.validate_ohlcv(bars.set_axis(bars.index.strftime("%Y-%m-%d")))


def test_unparseable_date_names_the_row(bars):
    text = plain_csv(bars).getvalue().replace("2024-06-04", "2024-06-4x")
    with pytest.raises(ValidationError, match="unparseable.*row 5: '2024-06-4x'"):
        data.load_csv(io.StringIO(text))


@pytest.mark.parametrize(("mutate", "problem"), [(_swap, "not in increasing order"),
                                                 (_duplicate, "duplicate dates")])
def test_plain_csv_is_never_silently_sorted(bars, mutate, problem):
    with pytest.raises(ValidationError, match=problem):
        data.load_csv(plain_csv(mutate(bars)))


# --------------------------------------------------------------------------- vendor layouts
@pytest.mark.parametrize(("fixture", "name", "window"), [
    ("yfinance_multilevel_ndx.csv", "nasdaq100", NDX_WINDOW),
    ("yahoo_flat_ndx.csv", "nasdaq100", NDX_WINDOW),
    ("tushare_daily_600000.csv", "spdb_600000", SPDB_WINDOW),
    ("akshare_hist_600000.csv", "spdb_600000", SPDB_WINDOW),
])
def test_vendor_layout_normalises_to_bundled_rows(fixture, name, window):
    got = data.load_csv(FIXTURES / fixture)
    pd.testing.assert_frame_equal(got, data.load(name, *window), check_exact=False, rtol=1e-12)


def test_akshare_file_saved_as_gb18030():
    raw = (FIXTURES / "akshare_hist_600000.csv").read_text("utf-8").encode("gb18030")
    pd.testing.assert_frame_equal(data.load_csv(io.BytesIO(raw)),
                                  data.load_csv(FIXTURES / "akshare_hist_600000.csv"))


def test_plain_layout_round_trips(bars):
    pd.testing.assert_frame_equal(data.load_csv(plain_csv(bars)), bars)
    pd.testing.assert_frame_equal(data.normalize_ohlcv(bars), bars)


def test_yf_download_multiindex_frame(bars, yf_frame):
    pd.testing.assert_frame_equal(data.normalize_ohlcv(yf_frame(bars)), bars)


def test_several_tickers_raise(bars, yf_frame):
    both = pd.concat([yf_frame(bars, "^NDX"), yf_frame(bars, "QQQ")], axis=1)
    with pytest.raises(ValidationError, match="2 tickers"):
        data.normalize_ohlcv(both)


def test_use_adj_close_scales_all_prices(bars, yf_frame):
    frame = yf_frame(bars).droplevel("Ticker", axis=1)
    frame["Adj Close"] = frame["Close"] / 2
    adjusted = data.normalize_ohlcv(frame, use_adj_close=True)
    pd.testing.assert_frame_equal(adjusted[["open", "high", "low", "close"]],
                                  bars[["open", "high", "low", "close"]] / 2)
    with pytest.raises(ValidationError, match="needs an 'Adj Close' column"):
        data.normalize_ohlcv(bars, use_adj_close=True)


def test_dataset_info_lists_ex_dividend_events():
    info = data.dataset_info("600000.SH")
    assert info["name"] == "spdb_600000"
    dates = [e["date"] for e in info["events"]]
    assert "2020-07-23" in dates
    df = data.load("spdb_600000", "2020-07-22", "2020-07-23")
    event = info["events"][dates.index("2020-07-23")]
    assert df["close"].iloc[0] == event["prev_close"]


# --------------------------------------------------------------------------- dividends
def test_forward_adjust_removes_the_ex_dividend_drop():
    events = data.dataset_info("spdb_600000")["events"]
    raw = data.load("spdb_600000", "2020-07-01", "2021-08-31")
    adj = data.forward_adjust(raw, events)
    first, second = (pd.Timestamp(e["date"]) for e in events)
    ratio = [e["reference_prev_close"] / e["prev_close"] for e in events]
    # after the last event nothing changes; before each, prices scale by its factor
    pd.testing.assert_frame_equal(adj.loc[second:], raw.loc[second:])
    before = raw.index < first
    np.testing.assert_allclose(adj.loc[before, list(data.PRICES)],
                               raw.loc[before, list(data.PRICES)] * ratio[0] * ratio[1])
    np.testing.assert_array_equal(adj["volume"], raw["volume"])
    # the adjusted previous close is the exchange's reference price
    pos = raw.index.get_loc(first)
    assert adj["close"].iloc[pos - 1] == pytest.approx(events[0]["reference_prev_close"]
                                                       * ratio[1])
    data.validate_ohlcv(adj)


def test_forward_adjust_skips_outside_events_and_rejects_bad_ones():
    events = data.dataset_info("spdb_600000")["events"]
    raw = data.load("spdb_600000", "2021-08-01", "2021-09-30")
    pd.testing.assert_frame_equal(data.forward_adjust(raw, events), raw)
    inside = data.load("spdb_600000", "2020-07-01", "2020-08-31")
    with pytest.raises(DataError, match="prev_close"):
        data.forward_adjust(inside, [{**events[0], "prev_close": 12.5}])
    with pytest.raises(DataError, match="not a row"):
        data.forward_adjust(inside, [{**events[0], "date": "2020-07-25"}])  # a Saturday
    with pytest.raises(DataError, match="lacks"):
        data.forward_adjust(inside, [{"date": "2020-07-23"}])


def test_load_and_describe_take_a_csv_path_too(tmp_path, bars):
    """A chapter's DATASET parameter may name a student's own CSV file."""
    path = tmp_path / "mine.csv"
    bars.to_csv(path)
    mine = data.load(str(path), start=bars.index[2])
    pd.testing.assert_frame_equal(mine, bars.iloc[2:], check_freq=False)
    row = data.describe(str(path))
    assert row["rows"] == len(bars) and row["description"] == "mine.csv"
    assert row["first"] == bars.index[0] and row["vendor"] == "your file"
    assert data.describe("^NDX").equals(data.list_datasets().loc["nasdaq100"])
    with pytest.raises(DataError, match="no such CSV file"):
        data.load(str(tmp_path / "missing.csv"))


def test_short_name_of_a_bundled_data_set():
    from stocklearn.data import short_name

    assert short_name("sp500") == "S&P 500"
    assert short_name("csi300") == "CSI 300"
    assert short_name("aapl") == "Apple Inc."
    with pytest.raises(Exception, match="nope"):
        short_name("nope")
