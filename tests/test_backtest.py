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


# --------------------------------------------------------------------------- noise strategies
def _switches(p):
    return float(np.abs(np.diff(p)).sum())


def test_shifted_positions_keep_the_models_turnover():
    rng = np.random.default_rng(3)
    # runs of random length: a position that is held for a while, like a model's
    position = np.repeat(rng.integers(0, 2, 60), rng.integers(1, 15, 60)).astype(float)
    n = len(position)
    shifted = backtest.shifted_positions(position, 30, min_shift=5, seed=1)
    assert shifted.shape == (30, n)
    wrap = abs(position[0] - position[-1])
    for q in shifted:
        k = next(k for k in range(n) if np.array_equal(np.roll(position, k), q))
        assert 5 <= k <= n - 5
        # a rotation drops the switch at the cut and adds the wrap-around one
        cut = abs(position[n - k] - position[n - k - 1])
        assert _switches(q) == _switches(position) - cut + wrap
        assert abs(_switches(q) - _switches(position)) <= 1
        assert q.mean() == position.mean()               # the same share of long days
    # the backtest's turnover (first entry included) differs by at most two units
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    model = backtest.simulate(close, position).summary["turnover"]
    for q in shifted:
        assert abs(backtest.simulate(close, q).summary["turnover"] - model) <= 2
    # ... whereas i.i.d. noise with the same share of long days trades far more
    iid = (rng.random(n) < position.mean()).astype(float)
    assert backtest.simulate(close, iid).summary["turnover"] > 3 * model


def test_shifted_positions_keep_a_series_index_and_refuse_too_many_draws():
    position = pd.Series([0.0, 1, 1, 0, 0, 1, 1, 1, 0, 0], index=pd.date_range(
        "2024-01-01", periods=10, freq="B"))
    table = backtest.shifted_positions(position, 3, min_shift=2)
    assert table.index.equals(position.index) and table.shape == (10, 3)
    for k in table.columns:
        np.testing.assert_array_equal(table[k].to_numpy(), np.roll(position.to_numpy(), k))
    # shifts 2..8: seven distinct, all different from the original
    assert len(set(backtest.shifted_positions(position, 7, min_shift=2).columns)) == 7
    with pytest.raises(ValueError, match="between 1 and 7"):
        backtest.shifted_positions(position, 8, min_shift=2)
    with pytest.raises(ValueError, match="min_shift"):
        backtest.shifted_positions(position, 1, min_shift=0)


# --------------------------------------------------------------------------- Sharpe statistics
def test_sharpe_ratio_se_matches_a_simulation():
    # 4000 samples of 500 i.i.d. normal daily returns with a daily Sharpe ratio of 0.1:
    # the spread of the annualised estimates is the standard error
    rng = np.random.default_rng(0)
    n, sr_d = 500, 0.1
    r = rng.normal(sr_d * 0.01, 0.01, size=(4000, n))
    estimates = r.mean(axis=1) / r.std(axis=1, ddof=1) * math.sqrt(252)
    se = backtest.sharpe_ratio_se(sr_d * math.sqrt(252), n)
    assert se == pytest.approx(estimates.std(ddof=1), rel=0.05)
    # the delta method by hand: var(mean/sd) = 1/n + SR_d^2 / (2 n) for normal returns
    assert se == pytest.approx(math.sqrt(252 * (1 / n + sr_d ** 2 / (2 * n))))
    # per-period ratio when periods=1; the annual-data formula on an annualised
    # daily ratio overstates it, here by half
    assert backtest.sharpe_ratio_se(sr_d, n, periods=1) == pytest.approx(se / math.sqrt(252))
    years = n / 252
    wrong = math.sqrt((1 + (sr_d * math.sqrt(252)) ** 2 / 2) / years)
    assert wrong > 1.4 * se                                # too large by sqrt(2.26) here
    with pytest.raises(ValueError, match="n must be"):
        backtest.sharpe_ratio_se(1.0, 1)


def test_deflated_sharpe_ratio_reproduces_the_papers_example():
    # Bailey and Lopez de Prado (2014), numerical example: 100 trials, annualised
    # Sharpe ratios with variance 1/2, the best 2.5 over 1250 daily returns (250 a year),
    # skewness -3, kurtosis 10; the paper reports SR0 = 0.1132 (daily) and DSR = 0.9004.
    z = statistics.NormalDist()
    gamma = 0.5772156649015329
    sr0_daily = math.sqrt(0.5 / 250) * ((1 - gamma) * z.inv_cdf(1 - 1 / 100)
                                        + gamma * z.inv_cdf(1 - 1 / (100 * math.e)))
    assert sr0_daily == pytest.approx(0.1132, abs=5e-5)
    sr = 2.5 / math.sqrt(250)
    dsr = z.cdf((sr - sr0_daily) * math.sqrt(1250 - 1)
                / math.sqrt(1 + 3 * sr + (10 - 1) / 4 * sr ** 2))
    assert dsr == pytest.approx(0.9004, abs=5e-5)
    # the package, with scipy
    sr0 = backtest.expected_max_sharpe(100, 0.5)          # annualised variance -> annualised
    assert sr0 / math.sqrt(250) == pytest.approx(sr0_daily, rel=1e-9)
    psr = backtest.probabilistic_sharpe_ratio(2.5, 1250, benchmark=sr0, skew=-3.0,
                                              kurtosis=10.0, periods=250)
    assert psr == pytest.approx(dsr, rel=1e-9)
    assert backtest.expected_max_sharpe(1, 0.5) == 0.0


def test_deflated_sharpe_ratio_from_returns_and_trials():
    rng = np.random.default_rng(1)
    r = rng.standard_t(5, 1000) * 0.01 + 0.0008
    sharpe = r.mean() / r.std(ddof=1) * math.sqrt(252)
    trials = [sharpe, 0.2, -0.3, 0.5]
    # by hand: skewness and (non-excess) kurtosis as population moments
    c = r - r.mean()
    skew = np.mean(c ** 3) / np.mean(c ** 2) ** 1.5
    kurt = np.mean(c ** 4) / np.mean(c ** 2) ** 2
    sr0 = backtest.expected_max_sharpe(4, statistics.variance(trials))
    expected = backtest.probabilistic_sharpe_ratio(sharpe, 1000, benchmark=sr0, skew=skew,
                                                   kurtosis=kurt)
    assert backtest.deflated_sharpe_ratio(r, trials) == pytest.approx(expected, rel=1e-9)
    # more trials with the same spread: a higher bar, a lower DSR
    dsr = [backtest.probabilistic_sharpe_ratio(
        sharpe, 1000, benchmark=backtest.expected_max_sharpe(n, 0.25), skew=skew,
        kurtosis=kurt) for n in (1, 2, 10, 100, 1000)]
    assert all(a > b for a, b in zip(dsr[:-1], dsr[1:], strict=True))
    # one trial: no selection, the probabilistic Sharpe ratio against zero
    assert dsr[0] == pytest.approx(statistics.NormalDist().cdf(
        sharpe / math.sqrt(252) * math.sqrt(999)
        / math.sqrt(1 - skew * sharpe / math.sqrt(252)
                    + (kurt - 1) / 4 * sharpe ** 2 / 252)))
    with pytest.raises(ValueError, match="at least two"):
        backtest.deflated_sharpe_ratio(r, [sharpe])
