"""Tests of stocklearn.fetch: live fetchers, their cache and fallbacks (no network)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from stocklearn import data, fetch
from stocklearn.data import DataError
from stocklearn.fetch import FallbackWarning, FetchError, SymbolError

FIXTURES = Path(__file__).parent / "fixtures"
NDX_WINDOW = ("2024-05-28", "2024-06-10")
SPDB_WINDOW = ("2021-03-01", "2021-03-12")


@pytest.mark.parametrize(("ticker", "problem"), [
    ("../etc", "path separator"), ("a b", "whitespace"), ("", "empty"), ("   ", "empty"),
    ("A" * 21, "longer than 20"), ("AB$C", "characters ['$']"), (123, "must be a string"),
])
def test_bad_ticker_raises(ticker, problem, tmp_path):
    with pytest.raises(SymbolError) as err:
        fetch.yahoo(ticker, cache_dir=tmp_path)
    assert problem in str(err.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("code", ["60000", "sh60000a", "600000.HK"])
def test_bad_ashare_code_raises(code, tmp_path):
    with pytest.raises(SymbolError, match="not an A-share stock code"):
        fetch.ashare(code, cache_dir=tmp_path)


def _fail(*args):
    raise ConnectionError("network down")


def test_yahoo_success_writes_cache_then_reads_it(monkeypatch, tmp_path, bars, yf_frame):
    monkeypatch.setattr(fetch, "_download_yahoo", lambda symbol: yf_frame(bars))
    got = fetch.yahoo("^ndx", "2024-06-03", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(got, bars.loc["2024-06-03":])
    cache = tmp_path / "yahoo_^NDX.csv"
    pd.testing.assert_frame_equal(data.load_csv(cache), bars)
    monkeypatch.setattr(fetch, "_download_yahoo", _fail)
    pd.testing.assert_frame_equal(fetch.yahoo("^NDX", cache_dir=tmp_path), bars)


def test_yahoo_falls_back_to_cache(monkeypatch, tmp_path, bars, yf_frame):
    bars.to_csv(tmp_path / "yahoo_^NDX.csv")
    monkeypatch.setattr(fetch, "_download_yahoo", _fail)
    with pytest.warns(FallbackWarning, match="network down.*cached copy.*2024-05-28 to 2024-06-10"):
        got = fetch.yahoo("^NDX", cache_dir=tmp_path, refresh=True)
    pd.testing.assert_frame_equal(got, bars)


def test_yahoo_asks_the_vendor_when_the_cache_is_stale(monkeypatch, tmp_path, bars, yf_frame):
    cache = tmp_path / "yahoo_^NDX.csv"
    bars.to_csv(cache)
    os.utime(cache, (0, 0))  # written long ago
    calls = []
    monkeypatch.setattr(fetch, "_download_yahoo", lambda symbol: calls.append(symbol) or _fail())
    # the stale copy already reaches the requested end: no download
    got = fetch.yahoo("^NDX", end="2024-06-07", cache_dir=tmp_path)
    assert calls == [] and got.index[-1] == pd.Timestamp("2024-06-07")
    # open-ended request: the vendor is asked first, the stale copy is the fallback
    with pytest.warns(FallbackWarning, match="cached copy"):
        got = fetch.yahoo("^NDX", cache_dir=tmp_path)
    assert calls == ["^NDX"]
    pd.testing.assert_frame_equal(got, bars)


@pytest.mark.parametrize("vendor_result", [_fail, lambda symbol: pd.DataFrame(),
                                           lambda symbol: pd.DataFrame({"x": [1.0]})])
def test_yahoo_falls_back_to_bundled(monkeypatch, tmp_path, vendor_result):
    monkeypatch.setattr(fetch, "_download_yahoo", vendor_result)
    with pytest.warns(FallbackWarning, match="bundled data set 'nasdaq100'"):
        got = fetch.yahoo("^NDX", *NDX_WINDOW, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(got, data.load("nasdaq100", *NDX_WINDOW))
    assert list(tmp_path.iterdir()) == []


def test_yahoo_without_fallback_raises(monkeypatch, tmp_path):
    monkeypatch.setattr(fetch, "_download_yahoo", _fail)
    with pytest.raises(FetchError, match="'ZZZZ' failed.*network down.*no cached copy"):
        fetch.yahoo("zzzz", cache_dir=tmp_path)


def test_missing_yfinance_gives_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "yfinance", None)
    with pytest.raises(FetchError, match=r"pip install 'stocklearn\[online\]'"):
        fetch.yahoo("ZZZZ", cache_dir=tmp_path)
    with pytest.warns(FallbackWarning, match=r"yfinance is not installed: pip install"):
        fetch.yahoo("AAPL", cache_dir=tmp_path)


@pytest.mark.parametrize("code", ["600000", "sh600000", "600000.SH"])
def test_ashare_success(monkeypatch, tmp_path, code):
    vendor = pd.read_csv(FIXTURES / "akshare_hist_600000.csv")
    monkeypatch.setattr(fetch, "_download_ashare", lambda digits, adjust: vendor)
    got = fetch.ashare(code, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(got, data.load("spdb_600000", *SPDB_WINDOW),
                                  check_exact=False, rtol=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == ["ashare_600000.csv"]


def test_ashare_falls_back_to_bundled_raw_prices_only(monkeypatch, tmp_path):
    monkeypatch.setattr(fetch, "_download_ashare", _fail)
    with pytest.warns(FallbackWarning, match="bundled data set 'spdb_600000'.*raw prices"):
        got = fetch.ashare("600000.SH", *SPDB_WINDOW, cache_dir=tmp_path)
    assert len(got) == 10
    with pytest.raises(FetchError, match="no bundled data set"):
        fetch.ashare("600000", adjust="qfq", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="adjust must be") as bad_argument:
        fetch.ashare("600000", adjust="forward", cache_dir=tmp_path)
    assert not isinstance(bad_argument.value, DataError)
