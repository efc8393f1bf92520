"""Variance proxies against hand-computed bars, QLIKE, the baselines' arithmetic, no look-ahead."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from stocklearn import data
from stocklearn.data import DataError
from stocklearn.metrics import qlike
from stocklearn.volatility import (
    ewma,
    garch_forecasts,
    garman_klass,
    har_features,
    har_fit,
    har_forecast,
    log_returns,
    parkinson,
    persistence,
    rolling_mean,
    squared_returns,
)

DATES = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"], name="date")


def hand_bars() -> pd.DataFrame:
    """Three bars typed as log prices, so that every log ratio is a round number."""
    logs = pd.DataFrame({"open": [4.60, 4.64, 4.55],
                         "high": [4.70, 4.66, 4.70],
                         "low": [4.50, 4.52, 4.55],
                         "close": [4.65, 4.55, 4.70]}, index=DATES)
    return np.exp(logs).assign(volume=1e6)


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    """The last 400 bundled S&P 500 bars (2024-2026)."""
    return data.load("sp500").iloc[-400:]


# --------------------------------------------------------------------------- proxies
def test_estimators_by_hand():
    bars = hand_bars()
    # ln(H/L): 0.20, 0.14, 0.15; ln(C/O): 0.05, -0.09, 0.15; ln(C/C_prev): -, -0.10, 0.15
    four_ln2 = 4 * math.log(2)
    assert list(parkinson(bars).index) == list(DATES)
    np.testing.assert_allclose(parkinson(bars),
                               [0.04 / four_ln2, 0.0196 / four_ln2, 0.0225 / four_ln2])
    k = 2 * math.log(2) - 1  # 0.3863
    np.testing.assert_allclose(garman_klass(bars), [0.5 * 0.04 - k * 0.0025,
                                                    0.5 * 0.0196 - k * 0.0081,
                                                    0.5 * 0.0225 - k * 0.0225])
    assert garman_klass(bars).iloc[0] == pytest.approx(0.02 - 0.000965736, abs=1e-9)
    np.testing.assert_allclose(squared_returns(bars), [np.nan, 0.01, 0.0225])
    np.testing.assert_allclose(log_returns(bars), [np.nan, -0.10, 0.15])
    assert parkinson(bars).name == "parkinson" and garman_klass(bars).name == "garman_klass"
    assert squared_returns(bars).name == "squared_return"


def test_range_proxies_are_close_to_the_squared_return_on_average(sp500):
    # all three measure the same daily variance: their means agree within a factor of two
    means = [squared_returns(sp500).mean(), parkinson(sp500).mean(), garman_klass(sp500).mean()]
    assert max(means) / min(means) < 2


def _fail(func, frame, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a log of a bad price would warn: the check comes first
        with pytest.raises(DataError, match=match):
            func(frame)


@pytest.mark.parametrize("func", [parkinson, garman_klass])
def test_missing_high_low(func):
    _fail(func, hand_bars().drop(columns=["high", "low"]), r"needs the columns .*'high', 'low'")


def test_missing_close_and_not_a_frame():
    _fail(squared_returns, hand_bars().drop(columns="close"), r"\['close'\] missing")
    _fail(parkinson, hand_bars()["high"], "expected a DataFrame")
    _fail(parkinson, hand_bars().iloc[:0], "no rows")


@pytest.mark.parametrize("func", [parkinson, garman_klass])
def test_high_below_low_names_the_date(func):
    bars = hand_bars()
    bars.loc["2024-01-03", ["high", "low"]] = [90.0, 95.0]
    bars.loc["2024-01-04", ["high", "low"]] = [90.0, 95.0]
    with pytest.raises(DataError, match="high below low on 2 rows: 2024-01-03, 2024-01-04"):
        func(bars)


@pytest.mark.parametrize("func", [squared_returns, parkinson, garman_klass])
@pytest.mark.parametrize("price", [0.0, -5.0])
def test_non_positive_prices(func, price):
    bars = hand_bars()
    bars[["open", "high", "low", "close"]] = bars[["open", "high", "low", "close"]].astype(float)
    bars.loc["2024-01-04", ["open", "low", "close"]] = price
    _fail(func, bars, "prices <= 0 on 1 row: 2024-01-04")


@pytest.mark.parametrize("func", [squared_returns, parkinson, garman_klass])
def test_nan_in_the_needed_columns(func):
    bars = hand_bars()
    bars.loc["2024-01-03", ["high", "close"]] = np.nan
    _fail(func, bars, "missing, infinite or non-numeric values in '(close|high)' on 1 row: "
          "2024-01-03")


def test_nan_in_other_columns_is_ignored():
    bars = hand_bars().assign(volume=np.nan)
    bars.loc["2024-01-03", "open"] = np.nan
    np.testing.assert_allclose(parkinson(bars), parkinson(hand_bars()))


def test_garman_klass_needs_open_and_close_inside_the_range():
    bars = hand_bars()
    bars.loc["2024-01-02", "close"] = bars.loc["2024-01-02", "high"] * 1.01
    _fail(garman_klass, bars, r"open or close outside \[low, high\] on 1 row: 2024-01-02")
    parkinson(bars)  # the range alone is still defined


def test_bad_variance_series():
    dates = pd.bdate_range("2024-01-02", periods=4)
    persistence(pd.Series([np.nan, 1.0, 3.0, 2.0], index=dates))  # a leading NaN is a warm-up
    with pytest.raises(DataError, match="NaN after the first value on 1 row: 2024-01-04"):
        persistence(pd.Series([np.nan, 1.0, np.nan, 2.0], index=dates))
    with pytest.raises(DataError, match="negative variances"):
        rolling_mean(np.array([1.0, -1.0, 2.0]), 2)
    with pytest.raises(DataError, match="no values"):
        ewma(np.full(5, np.nan))
    with pytest.raises(DataError, match="seed takes window=22"):
        ewma(np.ones(22))
    with pytest.raises(ValueError, match="window must be a positive integer"):
        rolling_mean(np.ones(5), 0)
    with pytest.raises(ValueError, match="lam must lie in"):
        ewma(np.ones(50), lam=1.0)


# --------------------------------------------------------------------------- QLIKE
def test_qlike_by_hand():
    # 1/2 - ln(1/2) - 1 = ln 2 - 1/2 on the first row, 0 on the second
    assert qlike([1.0, 2.0], [2.0, 2.0]) == pytest.approx((math.log(2) - 0.5) / 2)
    assert qlike([[1.0], [2.0]], [[1.0], [2.0]]) == 0.0


def test_qlike_is_smallest_at_the_actual_variance():
    actual = np.array([1e-4, 4e-4, 2.5e-5, 9e-4])
    scales = np.round(np.arange(0.5, 2.0001, 0.05), 2)
    losses = [qlike(actual, c * actual) for c in scales]
    assert scales[int(np.argmin(losses))] == 1.0
    assert min(losses) == 0.0


@settings(max_examples=60, deadline=None)
@given(actual=st.lists(st.floats(1e-8, 1e-1), min_size=1, max_size=50),
       base=st.data(), c=st.floats(0.01, 100.0))
def test_qlike_minimum_property(actual, base, c):
    a = np.array(actual)
    f = np.array(base.draw(st.lists(st.floats(1e-8, 1e-1), min_size=len(a), max_size=len(a)),
                           label="forecast"))
    # the actual series itself beats any multiple of it
    assert qlike(a, c * a) >= qlike(a, a) == pytest.approx(0.0, abs=1e-12)
    # over multiples of any forecast, the best is mean(a / f): d/dc qlike(a, c f) = 0 there
    best = float(np.mean(a / f))
    assert qlike(a, best * f) <= qlike(a, c * best * f) + 1e-12


def test_qlike_ranks_by_the_true_variance_through_a_noisy_proxy():
    # a squared return is the true variance times z^2: noisy but unbiased
    rng = np.random.default_rng(0)
    true = 1e-4 * np.exp(rng.normal(0.0, 0.5, 20_000))
    proxy = true * rng.standard_normal(true.size) ** 2
    truth = qlike(proxy, true)
    assert truth < qlike(proxy, 0.8 * true) and truth < qlike(proxy, 1.25 * true)
    assert truth < qlike(proxy, np.full(true.size, true.mean()))


def test_qlike_bad_input():
    with pytest.raises(ValueError, match="positive forecasts; forecast holds 1 value"):
        qlike([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="actual <= 0"):
        qlike([0.0, 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="forecast holds 1 NaN"):
        qlike([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="same shape"):
        qlike([1.0, 2.0], [1.0])


# --------------------------------------------------------------------------- baselines
def test_persistence_and_rolling_mean_against_pandas(sp500):
    proxy = squared_returns(sp500)  # NaN on the first row
    pd.testing.assert_series_equal(persistence(proxy), proxy.shift(1).rename("persistence"))
    out = rolling_mean(proxy, 5)
    assert out.name == "rolling_5" and out.index.equals(proxy.index)
    for t in range(len(proxy)):
        last = proxy.iloc[max(t - 5, 0):t]  # the five rows before row t
        expected = last.mean() if len(last) == 5 and last.notna().all() else np.nan
        np.testing.assert_allclose(out.iloc[t], expected, rtol=1e-12)


def test_ewma_against_the_recursion(sp500):
    proxy = squared_returns(sp500)
    out = ewma(proxy, 0.94, window=10)
    # the first value is on row 1: the seed is the mean of rows 1..10, the forecast for row 11
    expected = [np.nan] * 11 + [proxy.iloc[1:11].mean()]
    for t in range(11, len(proxy) - 1):
        expected.append(0.94 * expected[-1] + 0.06 * proxy.iloc[t])
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-12)
    assert out.name == "ewma" and out.index.equals(proxy.index)


def _har_by_loop(proxy: pd.Series, rows: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """HAR regressors and targets built row by row: origins t with t + 1 < rows."""
    log = np.log(proxy.to_numpy())
    x, y, origins = [], [], []
    for t in range(21, len(log) - 1):
        x.append([log[t], log[t - 4:t + 1].mean(), log[t - 21:t + 1].mean()])
        y.append(log[t + 1])
        origins.append(t)
    x, y = np.array(x), np.array(y)
    keep = np.array(origins) + 1 < rows
    return x[keep], y[keep], origins


def test_har_coefficients_against_statsmodels(sp500):
    proxy = parkinson(sp500)
    x, y, _ = _har_by_loop(proxy, 300)
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    params = har_fit(proxy, 300)
    assert list(params.index) == ["const", "daily", "weekly", "monthly"]
    np.testing.assert_allclose(params.to_numpy(), ols.params, rtol=1e-8)
    # the same fit from a date: the rows up to and including it
    pd.testing.assert_series_equal(har_fit(proxy, proxy.index[299]), params)


def test_har_forecast_by_hand(sp500):
    proxy = garman_klass(sp500)
    params = har_fit(proxy, 300)
    x, y, _ = _har_by_loop(proxy, 300)
    resid = y - params["const"] - x @ params.to_numpy()[1:]
    smear = np.mean(np.exp(resid))
    out = har_forecast(proxy, 300)
    plain = har_forecast(proxy, 300, smearing=False)
    feats = har_features(proxy)
    t = 350  # the forecast for row 351, from the regressors of row 350
    linear = params["const"] + feats.iloc[t].to_numpy() @ params.to_numpy()[1:]
    assert plain.iloc[t + 1] == pytest.approx(np.exp(linear), rel=1e-10)
    assert out.iloc[t + 1] == pytest.approx(np.exp(linear) * smear, rel=1e-10)
    assert out.iloc[:22].isna().all() and out.iloc[22:].notna().all()
    pd.testing.assert_series_equal(har_forecast(proxy, 300, params=params), out)


def test_har_smearing_undoes_the_log_bias_of_a_squared_return():
    # iid normal returns: the regression learns a constant, the residual is ln z^2 - E ln z^2,
    # and the median forecast is short of the variance by exp(-E ln z^2) = 3.56
    rng = np.random.default_rng(1)
    proxy = pd.Series(1e-4 * rng.standard_normal(20_000) ** 2)
    out, plain = har_forecast(proxy, 10_000), har_forecast(proxy, 10_000, smearing=False)
    assert (out / plain).iloc[-1] == pytest.approx(3.56, rel=0.05)
    assert out.iloc[10_000:].mean() == pytest.approx(1e-4, rel=0.05)


def test_har_zero_proxy():
    proxy = pd.Series(np.r_[np.full(30, 1e-4), 0.0, np.full(30, 2e-4)])
    with pytest.raises(DataError, match="proxy is 0, on 1 row: 30; pass a floor"):
        har_fit(proxy, 50)
    assert np.isfinite(har_fit(proxy + np.linspace(0, 1e-5, 61), 50, floor=1e-6)).all()
    with pytest.raises(ValueError, match="train_end=61 gives 61 training rows"):
        har_fit(proxy, 61, floor=1e-6)
    with pytest.raises(DataError, match="training rows with all regressors known"):
        har_fit(proxy, 25, floor=1e-6)


# --------------------------------------------------------------------------- no look-ahead
N = 80


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), t=st.integers(30, N - 2), train_end=st.integers(40, N - 1))
def test_changing_the_future_never_changes_an_earlier_forecast(seed, t, train_end):
    rng = np.random.default_rng(seed)
    proxy = pd.Series(1e-4 * rng.standard_normal(N) ** 2 + 1e-6,
                      index=pd.bdate_range("2024-01-01", periods=N))
    changed = proxy.copy()
    changed.iloc[t + 1:] = 1e-4 * rng.uniform(0.01, 10.0, N - t - 1)
    train_end = min(train_end, t + 1)  # every training row is at or before t
    forecasters = {"persistence": persistence, "rolling": lambda s: rolling_mean(s, 5),
                   "ewma": lambda s: ewma(s, window=10),
                   "har": lambda s: har_forecast(s, train_end)}
    for name, func in forecasters.items():
        # a forecast made at row t or before sits on a row up to t + 1
        before, after = func(proxy).iloc[: t + 2], func(changed).iloc[: t + 2]
        pd.testing.assert_series_equal(before, after, rtol=1e-12, obj=name)


def test_garch_forecasts_do_not_look_ahead(sp500):
    returns = log_returns(sp500)
    t = 340
    changed = returns.copy()
    changed.iloc[t + 1:] = np.random.default_rng(0).normal(0.0, 0.05, len(returns) - t - 1)
    for refit in (None, 25):
        before = garch_forecasts(returns, 300, refit_every=refit).loc[: returns.index[t + 1]]
        after = garch_forecasts(changed, 300, refit_every=refit).loc[: returns.index[t + 1]]
        assert len(before) == t + 2 - 300
        pd.testing.assert_series_equal(before, after, rtol=1e-10)


# --------------------------------------------------------------------------- GARCH
def test_garch_forecasts_are_positive_and_finite(sp500):
    returns = log_returns(sp500)
    for kind in ("garch", "gjr"):
        for refit in (None, 50):
            out = garch_forecasts(returns, 300, kind=kind, refit_every=refit)
            assert out.name == kind and out.index.equals(returns.index[300:])
            assert np.isfinite(out).all() and (out > 0).all()
            # a daily variance of an index: between a 0.2 % and a 10 % daily move
            assert (np.sqrt(out) > 0.002).all() and (np.sqrt(out) < 0.1).all()


def test_garch_filters_forward_with_the_training_fit(sp500):
    from arch import arch_model

    returns = log_returns(sp500)
    out = garch_forecasts(returns, 300)
    fit = arch_model(returns.iloc[1:300] * 100, mean="Zero", vol="GARCH", p=1, q=1,
                     rescale=False).fit(disp="off")
    omega, alpha, beta = fit.params[["omega", "alpha[1]", "beta[1]"]]
    # the first forecast is arch's own forecast from the end of the training rows
    first = fit.forecast(horizon=1, reindex=False).variance.iloc[-1, 0] / 1e4
    assert out.iloc[0] == pytest.approx(first, rel=1e-8)
    # then sigma2[t+1] = omega + alpha r[t]^2 + beta sigma2[t], with the return of the row before
    r2 = (returns.iloc[300:-1].to_numpy() * 100) ** 2
    expected = (omega + alpha * r2 + beta * out.iloc[:-1].to_numpy() * 1e4) / 1e4
    np.testing.assert_allclose(out.iloc[1:], expected, rtol=1e-8)


def test_garch_refits_on_the_rows_before_each_block(sp500):
    returns = log_returns(sp500)
    refit = garch_forecasts(returns, 300, kind="gjr", refit_every=40)
    # the block starting at row 340 is the fixed-parameter forecast of a fit on 340 rows
    later = garch_forecasts(returns.iloc[:380], 340, kind="gjr")
    pd.testing.assert_series_equal(refit.iloc[40:80], later)
    pd.testing.assert_series_equal(refit.iloc[:40], garch_forecasts(returns.iloc[:340], 300,
                                                                    kind="gjr"))


def test_garch_bad_arguments(sp500):
    returns = log_returns(sp500)
    with pytest.raises(ValueError, match="kind must be one of"):
        garch_forecasts(returns, 300, kind="egarch")
    with pytest.raises(ValueError, match="refit_every"):
        garch_forecasts(returns, 300, refit_every=0)
    with pytest.raises(ValueError, match="train_end"):
        garch_forecasts(returns, len(returns))
    with pytest.raises(ValueError, match="a number of rows or a date, got 0.8"):
        garch_forecasts(returns, 0.8)
    pd.testing.assert_series_equal(garch_forecasts(returns, returns.index[299]),
                                   garch_forecasts(returns, 300))
    with pytest.raises(DataError, match="needs at least 30"):
        garch_forecasts(returns, 20)
    gap = returns.copy()
    gap.iloc[100] = np.nan
    with pytest.raises(DataError, match="NaN after the first value"):
        garch_forecasts(gap, 300)
