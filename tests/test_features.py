"""Technical indicators: hand-computed values, warm-up rows, causality, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocklearn.data import DataError
from stocklearn.features import (
    add_changes,
    add_indicators,
    add_next_open,
    bollinger,
    ema,
    is_price_like,
    macd,
    rsi,
    sma,
)


@pytest.fixture(scope="module")
def rows(csi300) -> pd.DataFrame:
    """The first 300 CSI 300 rows."""
    return csi300.iloc[:300]


def test_sma_by_hand():
    out = sma(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]), 3)
    np.testing.assert_allclose(out, [np.nan, np.nan, 2.0, 3.0, 4.0])
    assert out.name == "sma_3"


def test_ema_by_hand():
    x = [10.0, 11.0, 13.0, 12.0, 15.0]
    a = 2 / (3 + 1)  # span 3
    e = [10.0]
    for v in x[1:]:
        e.append(a * v + (1 - a) * e[-1])
    out = ema(np.array(x), 3)
    np.testing.assert_allclose(out, [np.nan, np.nan, e[2], e[3], e[4]])
    # e[2] = 0.5*13 + 0.5*(0.5*11 + 0.5*10) = 11.75
    assert out.iloc[2] == pytest.approx(11.75)


def test_rsi_by_hand_small():
    # changes +1, +1, -1, +1; n = 2
    # row 2: avg gain (1+1)/2 = 1, avg loss 0 -> 100
    # row 3: gain (1*1 + 0)/2 = 0.5, loss (0*1 + 1)/2 = 0.5 -> 50
    # row 4: gain (0.5 + 1)/2 = 0.75, loss (0.5 + 0)/2 = 0.25 -> 75
    out = rsi(pd.Series([1.0, 2.0, 3.0, 2.0, 3.0]), 2)
    np.testing.assert_allclose(out, [np.nan, np.nan, 100.0, 50.0, 75.0])
    assert out.name == "rsi_2"


def test_rsi_matches_wilder_loop(rows):
    close = rows["close"].to_numpy()[:60]
    n = 14
    d = np.diff(close)
    g, loss = np.maximum(d, 0), np.maximum(-d, 0)
    ag, al = g[:n].mean(), loss[:n].mean()
    expected = [np.nan] * n + [100 * ag / (ag + al)]
    for t in range(n, len(d)):
        ag = ((n - 1) * ag + g[t]) / n
        al = ((n - 1) * al + loss[t]) / n
        expected.append(100 - 100 / (1 + ag / al))
    out = rsi(close, n)
    np.testing.assert_allclose(out, expected, rtol=1e-10)
    assert out.dropna().between(0, 100).all()


def test_rsi_flat_series_is_50():
    assert rsi(pd.Series([5.0] * 6), 3).iloc[-1] == 50.0


def test_bollinger_by_hand():
    out = bollinger(pd.Series([1.0, 2.0, 3.0, 4.0]), n=3, k=2)
    sd = np.sqrt(2 / 3)  # population std of [1, 2, 3]
    np.testing.assert_allclose(out["bb_mid"], [np.nan, np.nan, 2.0, 3.0])
    np.testing.assert_allclose(out["bb_upper"], [np.nan, np.nan, 2 + 2 * sd, 3 + 2 * sd])
    np.testing.assert_allclose(out["bb_lower"], [np.nan, np.nan, 2 - 2 * sd, 3 - 2 * sd])


def test_macd_is_difference_of_emas(rows):
    close = rows["close"]
    out = macd(close, 12, 26, 9)
    line = ema(close, 12) - ema(close, 26)
    np.testing.assert_allclose(out["macd"], line)
    np.testing.assert_allclose(out["macd_signal"], ema(line, 9))
    np.testing.assert_allclose(out["macd_hist"], out["macd"] - out["macd_signal"])
    assert out["macd"].isna().sum() == 25
    assert out["macd_signal"].isna().sum() == 26 + 9 - 2


def test_add_indicators_columns_and_dropna(rows):
    full = add_indicators(rows, dropna=False)
    assert full.index.equals(rows.index)
    new = ["sma_5", "sma_20", "ema_12", "ema_26", "macd", "macd_signal", "macd_hist",
           "rsi_14", "bb_mid", "bb_upper", "bb_lower"]
    assert list(full.columns) == list(rows.columns) + new
    dropped = add_indicators(rows)
    assert not dropped.isna().to_numpy().any()
    assert len(dropped) == len(rows) - 33  # the MACD signal line warms up last
    pd.testing.assert_frame_equal(dropped, full.iloc[33:])
    assert "sma_5" not in rows.columns  # input untouched


def test_is_price_like():
    for c in ("open", "high", "low", "close", "sma_5", "ema_26", "bb_upper"):
        assert is_price_like(c)
    for c in ("volume", "amount", "rsi_14", "macd", "macd_hist"):
        assert not is_price_like(c)


@pytest.mark.parametrize("func", [sma, ema, rsi, bollinger])
def test_bad_lookback(func):
    s = pd.Series(np.arange(1.0, 11.0))
    with pytest.raises(ValueError, match="positive integer") as bad_argument:
        func(s, 0)
    assert not isinstance(bad_argument.value, DataError)  # the argument is wrong, not the data
    with pytest.raises(DataError, match="rows"):
        func(s, 20)


def test_add_indicators_missing_column(rows):
    with pytest.raises(DataError, match="no column 'adj_close'"):
        add_indicators(rows, column="adj_close")


SMALL = {"sma_windows": (3,), "ema_windows": (4,), "macd_spans": (3, 6, 3), "rsi_window": 4,
         "bollinger_window": (5, 2.0), "dropna": False}


@settings(max_examples=40, deadline=None)
@given(
    prices=st.lists(st.floats(1.0, 1000.0), min_size=15, max_size=40),
    data=st.data(),
)
def test_indicators_are_causal(prices, data):
    df = pd.DataFrame({"close": prices})
    t = data.draw(st.integers(0, len(prices) - 2), label="t")
    later = data.draw(st.lists(st.floats(1.0, 1000.0), min_size=len(prices) - t - 1,
                               max_size=len(prices) - t - 1), label="later")
    changed = df.copy()
    changed.iloc[t + 1:, 0] = later
    before = add_indicators(df, **SMALL).iloc[: t + 1]
    after = add_indicators(changed, **SMALL).iloc[: t + 1]
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-12)


def test_add_changes_by_hand(rows):
    out = add_changes(rows.iloc[:5])
    close = rows["close"].to_numpy()[:5]
    assert list(out.index) == list(rows.index[1:5])
    np.testing.assert_allclose(out["change"], np.diff(close))
    np.testing.assert_allclose(out["pct_change"], 100 * (close[1:] / close[:-1] - 1))
    kept = add_changes(rows.iloc[:5], dropna=False)
    assert len(kept) == 5 and np.isnan(kept["change"].iloc[0])
    assert not is_price_like("change") and not is_price_like("pct_change")
    with pytest.raises(DataError, match="no column"):
        add_changes(rows.drop(columns="close"))
    with pytest.raises(DataError, match="two rows"):
        add_changes(rows.iloc[:1])


def test_add_changes_is_causal(rows):
    changed = rows.iloc[:30].copy()
    changed.iloc[20:, :4] *= 2.0
    pd.testing.assert_frame_equal(add_changes(rows.iloc[:30]).iloc[:19],
                                  add_changes(changed).iloc[:19])


def test_add_next_open_puts_tomorrows_open_on_today(rows):
    out = add_next_open(rows.iloc[:6])
    assert list(out.index) == list(rows.index[:5])
    np.testing.assert_array_equal(out["next_open"], rows["open"].to_numpy()[1:6])
    assert is_price_like("next_open") and not is_price_like("next_volume")
    with pytest.raises(DataError, match="open"):
        add_next_open(rows.drop(columns="open"))
