"""The backtest on cases small enough to compute by hand: returns, costs, equity, summary."""

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from stocklearn import backtest

DATES = pd.date_range("2024-01-01", periods=4, freq="B")


def test_position_earns_the_next_days_return_and_equity_starts_at_one():
    # close 100 -> 110 -> 99 -> 99; long, long, flat, flat
    bt = backtest.simulate(pd.Series([100.0, 110.0, 99.0, 99.0], index=DATES), [1, 1, 0, 0])
    # day 1: +10 %, day 2: -10 %, day 3: flat
    np.testing.assert_allclose(bt.returns.to_numpy(), [0.10, -0.10, 0.0], atol=1e-15)
    assert list(bt.returns.index) == list(DATES[1:])  # indexed by the day it is earned
    np.testing.assert_allclose(bt.equity.to_numpy(), [1.0, 1.1, 0.99, 0.99])
    assert bt.equity.index[0] == DATES[0]
    s = bt.summary
    assert s["total return"] == pytest.approx(-0.01)
    assert s["max drawdown"] == pytest.approx(0.10)        # from 1.1 down to 0.99
    assert s["turnover"] == pytest.approx(2.0)             # in on day 0, out on day 2
    assert s["hit rate"] == pytest.approx(0.5)             # one of the two invested days
    assert s["annual return"] == pytest.approx(0.99 ** (252 / 3) - 1)


def test_costs_are_taken_from_the_next_days_return_and_the_first_entry_pays():
    close = [100.0, 110.0, 99.0, 99.0]
    bt = backtest.simulate(close, [1, 1, 0, 0], cost_bps=10)    # 0.1 % per unit traded
    net = [0.10 - 0.001, -0.10, 0.0 - 0.001]               # entry on day 0, exit on day 2
    np.testing.assert_allclose(bt.returns.to_numpy(), net, atol=1e-15)
    np.testing.assert_allclose(bt.costs.to_numpy(), [0.001, 0.0, 0.001])
    np.testing.assert_allclose(bt.equity.to_numpy(),
                               [1.0, 1.099, 1.099 * 0.9, 1.099 * 0.9 * 0.999])
    # Sharpe and volatility from the three net returns, by the textbook formulas
    mean, sd = statistics.mean(net), statistics.stdev(net)
    assert bt.summary["Sharpe"] == pytest.approx(mean / sd * math.sqrt(252))
    assert bt.summary["annual volatility"] == pytest.approx(sd * math.sqrt(252))


def test_buy_and_hold_pays_once_on_a_flat_market():
    bt = backtest.simulate([100.0, 100.0, 100.0], backtest.buy_and_hold([100.0, 100.0, 100.0]),
                           cost_bps=5)
    np.testing.assert_allclose(bt.returns.to_numpy(), [-0.0005, 0.0])
    assert bt.summary["total return"] == pytest.approx(-0.0005)
    assert bt.summary["turnover"] == 1.0
    assert bt.summary["hit rate"] == 0.0                   # invested, no positive day


def test_short_and_fractional_positions_and_their_costs():
    # close 100 -> 90 -> 99; short, half short, flat; 20 bp
    bt = backtest.simulate([100.0, 90.0, 99.0], [-1.0, -0.5, 0.0], cost_bps=20)
    # day 1: -1 * -10 % - 0.2 % * 1; day 2: -0.5 * +10 % - 0.2 % * 0.5
    np.testing.assert_allclose(bt.returns.to_numpy(), [0.098, -0.051])
    np.testing.assert_allclose(bt.equity.to_numpy(), [1.0, 1.098, 1.098 * 0.949])
    assert bt.summary["turnover"] == pytest.approx(1.5)
    assert bt.summary["hit rate"] == pytest.approx(0.5)


def test_drawdown_is_the_largest_fall_from_a_previous_high():
    close = [100.0, 120.0, 90.0, 130.0, 65.0]
    bt = backtest.simulate(close, np.ones(5))
    np.testing.assert_allclose(bt.equity.to_numpy(), np.array(close) / 100)
    np.testing.assert_allclose(bt.drawdown.to_numpy(), [0, 0, 0.25, 0, 0.5])
    assert bt.summary["max drawdown"] == pytest.approx(0.5)
    assert bt.summary["total return"] == pytest.approx(-0.35)


def test_always_flat_earns_nothing_and_has_no_sharpe():
    bt = backtest.simulate([100.0, 105.0, 95.0], [0, 0, 0], cost_bps=5)
    assert (bt.equity == 1.0).all()
    s = bt.summary
    assert s["total return"] == 0.0 and s["max drawdown"] == 0.0 and s["turnover"] == 0.0
    assert np.isnan(s["Sharpe"]) and np.isnan(s["hit rate"])


def test_the_last_position_earns_and_pays_nothing():
    a = backtest.simulate([100.0, 101.0, 102.0], [1, 1, 1], cost_bps=5)
    b = backtest.simulate([100.0, 101.0, 102.0], [1, 1, -1], cost_bps=5)
    pd.testing.assert_series_equal(a.equity, b.equity)


def test_strategies_from_forecasts():
    r = pd.Series([0.01, -0.02, 0.0005, -0.0005], index=DATES)
    assert list(backtest.long_flat(r)) == [1, 0, 1, 0]
    assert list(backtest.long_flat(r, threshold=0.001)) == [1, 0, 0, 0]
    assert list(backtest.long_short(r, threshold=0.001)) == [1, -1, 0, 0]
    assert list(backtest.long_short(r)) == [1, -1, 1, -1]
    assert backtest.long_flat(r).index.equals(DATES)
    np.testing.assert_allclose(backtest.forecast_return([101.0, 99.0], [100.0, 100.0]),
                               [0.01, -0.01])
    # 1-day against 2-day average of 1, 2, 3, 2, 1: up, up, down, down after the warm-up
    assert list(backtest.ma_crossover([1.0, 2.0, 3.0, 2.0, 1.0], fast=1, slow=2)) == \
        [0, 1, 1, 0, 0]


def test_summaries_table():
    runs = {"long": backtest.simulate([100.0, 110.0], [1, 1]),
            "flat": backtest.simulate([100.0, 110.0], [0, 0])}
    table = backtest.summaries(runs)
    assert list(table.index) == ["long", "flat"]
    assert list(table.columns) == list(backtest.SUMMARY)
    assert table.loc["long", "total return"] == pytest.approx(0.1)


@pytest.mark.parametrize(("close", "position", "kwargs", "match"), [
    ([100.0, np.nan, 101.0], [1, 1, 1], {}, "close holds 1 NaN"),
    ([100.0, 101.0, 102.0], [1, np.nan, 1], {}, "position holds 1 NaN"),
    ([100.0, 101.0, 102.0], [1, 1.5, 1], {}, r"\[-1, 1\]"),
    ([100.0, 101.0, 102.0], [1, 1], {}, "2 values but close has 3"),
    ([100.0, 0.0, 102.0], [1, 1, 1], {}, "positive"),
    ([100.0], [1], {}, "at least two"),
    ([100.0, 101.0], [1, 1], {"cost_bps": -1}, "cost_bps"),
    ([100.0, 101.0], [1, 1], {"cost_bps": np.nan}, "cost_bps"),
])
def test_bad_input_gets_a_clear_error(close, position, kwargs, match):
    with pytest.raises(ValueError, match=match):
        backtest.simulate(close, position, **kwargs)


def test_misaligned_series_are_refused():
    close = pd.Series([100.0, 101.0, 102.0], index=DATES[:3])
    position = pd.Series([1.0, 1.0, 1.0], index=DATES[1:])
    with pytest.raises(ValueError, match="different indexes"):
        backtest.simulate(close, position)
    with pytest.raises(ValueError, match="threshold"):
        backtest.long_flat([0.1], threshold=-1)
    with pytest.raises(ValueError, match="fast < slow"):
        backtest.ma_crossover([1.0, 2.0], fast=5, slow=5)
