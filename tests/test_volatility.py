"""Variance proxies against hand-computed bars, QLIKE, the baselines' arithmetic, no look-ahead.

The h-day forecasts and the walk-forward forecasters are checked against
computations written out here (statsmodels' OLS on a design built with pandas,
arch's own forecasts and the GARCH recursion by hand, means and ratios of
training rows), and against the future: rows after a forecast's origin, or
outside the training rows for what is fitted, never change it.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from stocklearn import data
from stocklearn.data import DataError
from stocklearn.metrics import qlike
from stocklearn.prep import make_dataset
from stocklearn.settings import set_seed
from stocklearn.splits import chronological_split
from stocklearn.volatility import (
    GARCH_KINDS,
    METHODS,
    PROXY,
    LogVarianceNetwork,
    dataset_forecast,
    ewma,
    forecaster,
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
    target_column,
    variance_frame,
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


# --------------------------------------------------------------------------- h-day HAR
def _har_by_pandas(proxy: pd.Series, rows: int, h: int) -> tuple[pd.DataFrame, pd.Series]:
    """The direct h-day HAR regression on the training origins, built by hand.

    Regressors on origin row t: ln proxy[t] and its means over t-4..t and t-21..t; target:
    ln of the mean proxy over rows t+1..t+h. Training origins: every value known and the
    last target row t + h before ``rows``.
    """
    log = np.log(proxy)
    x = pd.DataFrame({"daily": log, "weekly": log.rolling(5).mean(),
                      "monthly": log.rolling(22).mean()})
    y = pd.Series([np.log(proxy.iloc[t + 1:t + h + 1].mean()) if t + h < len(proxy) else np.nan
                   for t in range(len(proxy))], index=proxy.index)
    keep = x.notna().all(axis=1) & y.notna() & (np.arange(len(proxy)) + h < rows)
    return sm.add_constant(x[keep]), y[keep]


@pytest.mark.parametrize("h", [2, 5, 10])
def test_h_day_har_against_statsmodels(sp500, h):
    proxy = parkinson(sp500)
    x, y = _har_by_pandas(proxy, 300, h)
    assert x.index[-1] == proxy.index[299 - h]  # the last origin whose target ends on row 299
    ols = sm.OLS(y, x).fit()
    params = har_fit(proxy, 300, horizon=h)
    np.testing.assert_allclose(params.to_numpy(), ols.params.to_numpy(), rtol=1e-8)
    assert not np.allclose(params, har_fit(proxy, 300))  # another target, another fit
    # forecasts: the value on row d is made from the regressors of row d - h
    smear = np.mean(np.exp(ols.resid))
    out = har_forecast(proxy, 300, horizon=h)
    plain = har_forecast(proxy, 300, horizon=h, smearing=False)
    regressors = sm.add_constant(pd.DataFrame({"daily": np.log(proxy),
                                               "weekly": np.log(proxy).rolling(5).mean(),
                                               "monthly": np.log(proxy).rolling(22).mean()}))
    linear = regressors.to_numpy() @ ols.params.to_numpy()  # by origin row
    for d in (21 + h, 300, 350, len(proxy) - 1):
        assert plain.iloc[d] == pytest.approx(np.exp(linear[d - h]), rel=1e-9)
        assert out.iloc[d] == pytest.approx(np.exp(linear[d - h]) * smear, rel=1e-9)
    assert out.iloc[:21 + h].isna().all() and out.iloc[21 + h:].notna().all()
    assert out.name == "har" and out.index.equals(proxy.index)


def test_one_day_har_is_the_default(sp500):
    proxy = garman_klass(sp500)
    x, y = _har_by_pandas(proxy, 300, 1)
    x_loop, y_loop, _ = _har_by_loop(proxy, 300)  # the hand loop of the one-day tests
    np.testing.assert_allclose(x.to_numpy()[:, 1:], x_loop, rtol=1e-12)
    np.testing.assert_allclose(y, y_loop, rtol=1e-12)
    pd.testing.assert_series_equal(har_fit(proxy, 300, horizon=1), har_fit(proxy, 300))
    pd.testing.assert_series_equal(har_forecast(proxy, 300, horizon=1), har_forecast(proxy, 300))


@pytest.mark.parametrize("h", [1, 5, 22])
def test_h_day_har_smearing_of_a_squared_return(h):
    # iid normal returns: the h-day target is ln(1e-4 chi2_h / h), whose mean is
    # ln 1e-4 + digamma(h/2) + ln 2 - ln h; the exponential of the log forecast is short of
    # the mean variance by exp(-(digamma(h/2) + ln(2/h))): 3.56 for one day, 1.24 for five
    rng = np.random.default_rng(2)
    proxy = pd.Series(1e-4 * rng.standard_normal(20_000) ** 2)
    out = har_forecast(proxy, 10_000, horizon=h)
    plain = har_forecast(proxy, 10_000, horizon=h, smearing=False)
    factor = math.exp(-(special.digamma(h / 2) + math.log(2 / h)))
    assert (out / plain).iloc[-1] == pytest.approx(factor, rel=0.03)
    assert out.iloc[10_000:].mean() == pytest.approx(1e-4, rel=0.03)


# --------------------------------------------------------------------------- h-day GARCH
def _garch_by_hand(r: np.ndarray, fit_rows: int, first: int, last: int, h: int,
                   kind: str) -> tuple[np.ndarray, object]:
    """h-day forecasts made at origins first..last of ``r`` by a fit on ``r[:fit_rows]``.

    The one-step variance runs forward as sigma2[t+1] = omega + (alpha + gamma [r_t < 0])
    r_t^2 + beta sigma2[t] from arch's last fitted variance; the k-step forecast follows
    f_k = omega + (alpha + gamma / 2 + beta) f_(k-1); the h-day forecast is their mean.
    """
    from arch import arch_model

    o = GARCH_KINDS[kind]
    fit = arch_model(r[:fit_rows] * 100, mean="Zero", vol="GARCH", p=1, o=o, q=1,
                     rescale=False).fit(disp="off")
    omega, alpha, beta = (fit.params[k] for k in ("omega", "alpha[1]", "beta[1]"))
    gamma = fit.params["gamma[1]"] if o else 0.0
    x = r * 100
    sigma2 = np.asarray(fit.conditional_volatility)[-1] ** 2  # of row fit_rows - 1
    out = []
    for t in range(fit_rows - 1, last + 1):
        path = [omega + (alpha + gamma * (x[t] < 0)) * x[t] ** 2 + beta * sigma2]
        sigma2 = path[0]
        for _ in range(h - 1):
            path.append(omega + (alpha + gamma / 2 + beta) * path[-1])
        if t >= first:
            out.append(np.mean(path) / 1e4)
    return np.array(out), fit


@pytest.mark.parametrize("kind", ["garch", "gjr"])
@pytest.mark.parametrize("h", [1, 5])
def test_h_day_garch_is_the_mean_of_arch_variance_path(sp500, kind, h):
    returns = log_returns(sp500)
    out = garch_forecasts(returns, 300, kind=kind, horizon=h)
    # the first origin is the last training row, its target ends h - 1 rows later
    assert out.index.equals(returns.index[300 + h - 1:]) and out.name == kind
    r = returns.to_numpy()[1:]  # row i of r is row i + 1 of returns
    expected, fit = _garch_by_hand(r, 299, 298, len(r) - 1 - h, h, kind)
    own = fit.forecast(horizon=h, reindex=False).variance.iloc[-1]
    assert len(own) == h
    assert out.iloc[0] == pytest.approx(own.mean() / 1e4, rel=1e-8)
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-8)


def test_h_day_garch_refits_before_each_block(sp500):
    returns = log_returns(sp500)
    r, h, step = returns.to_numpy()[1:], 5, 40
    out = garch_forecasts(returns, 300, kind="gjr", refit_every=step, horizon=h)
    assert out.index.equals(returns.index[300 + h - 1:])
    for block in range(0, len(out), step):
        origin = 298 + block  # position in r of the block's first origin; the fit ends there
        last = min(origin + step, len(r) - h) - 1
        expected, fit = _garch_by_hand(r, origin + 1, origin, last, h, "gjr")
        own = fit.forecast(horizon=h, reindex=False).variance.iloc[-1].mean() / 1e4
        assert out.iloc[block] == pytest.approx(own, rel=1e-7)
        np.testing.assert_allclose(out.iloc[block:block + step], expected, rtol=1e-7)
    assert not np.allclose(out, garch_forecasts(returns, 300, kind="gjr", horizon=h))


def test_h_day_garch_needs_a_row_after_the_training_rows(sp500):
    returns = log_returns(sp500)
    assert len(garch_forecasts(returns, len(returns) - 5, horizon=5)) == 1
    with pytest.raises(ValueError, match="no row after the training rows for horizon 6"):
        garch_forecasts(returns, len(returns) - 5, horizon=6)
    with pytest.raises(ValueError, match="horizon"):
        garch_forecasts(returns, 300, horizon=0)


# --------------------------------------------------------------------------- walk-forward
@pytest.fixture(scope="module")
def frame(sp500) -> pd.DataFrame:
    """variance_frame of the 400 bars: Garman-Klass proxy, one- and five-day targets."""
    return variance_frame(sp500)


def _dataset(frame: pd.DataFrame, h: int, train: int, *, gap: int | None = None,
             targets: str | None = None, features=("log_proxy", "log_return")):
    """The data set of one walk-forward fold; by default the test part starts h - 1 rows
    after the training rows, so that no test window's origin lies before the last of them."""
    split = chronological_split(frame, train, gap=h - 1 if gap is None else gap)
    return make_dataset(frame, split, features=list(features),
                        targets=targets or target_column(h), window=22, horizon=h,
                        scale="standard")


def test_variance_frame_by_hand(sp500, frame):
    proxy = garman_klass(sp500)
    # the first row with every column: the fifth, where the five-day mean starts
    assert frame.index.equals(sp500.index[4:])
    assert list(frame.columns) == [PROXY, "log_proxy", "log_return", "log_var_1", "log_var_5"]
    np.testing.assert_allclose(frame[PROXY], proxy.iloc[4:], rtol=1e-12)
    np.testing.assert_allclose(frame["log_proxy"], np.log(proxy.iloc[4:]), rtol=1e-12)
    np.testing.assert_allclose(frame["log_var_1"], frame["log_proxy"], rtol=1e-12)
    close = sp500["close"].to_numpy()
    np.testing.assert_allclose(frame["log_return"], np.log(close[4:] / close[3:-1]),
                               rtol=1e-12, atol=1e-14)
    week = [np.log(proxy.iloc[t - 4:t + 1].mean()) for t in range(4, len(proxy))]
    np.testing.assert_allclose(frame["log_var_5"], week, rtol=1e-12)
    parkinson_frame = variance_frame(sp500, proxy="parkinson", horizons=(22,))
    assert list(parkinson_frame.columns)[-1] == target_column(22) == "log_var_22"
    assert parkinson_frame.index[0] == sp500.index[21]
    np.testing.assert_allclose(parkinson_frame[PROXY], parkinson(sp500).iloc[21:], rtol=1e-12)


def test_variance_frame_bad_input(sp500):
    with pytest.raises(ValueError, match="proxy must be one of"):
        variance_frame(sp500, proxy="yang_zhang")
    with pytest.raises(ValueError, match="horizon"):
        variance_frame(sp500, horizons=(0,))
    bars = sp500.copy()
    day = bars.index[10]
    bars.loc[day, ["high", "low"]] = [bars.loc[day, "low"] * 0.99, bars.loc[day, "high"]]
    _fail(variance_frame, bars, f"high below low on 1 row: {day.date()}")
    flat = sp500.copy()
    flat.iloc[11, flat.columns.get_loc("close")] = flat["close"].iloc[10]  # a return of 0
    with pytest.raises(DataError, match="proxy is 0, on 1 row"):
        variance_frame(flat, proxy="squared_return")


@pytest.mark.parametrize("h", [1, 5])
def test_dataset_forecast_by_hand(frame, h):
    train = 250
    ds = _dataset(frame, h, train)
    last = ds.test.last_input_pos  # each window's origin
    assert last[0] == train - 1
    proxy, r = frame[PROXY].to_numpy(), frame["log_return"].to_numpy()
    out = {m: dataset_forecast(ds, "test", method=m) for m in METHODS}
    for m in METHODS:
        assert out[m].shape == (len(ds.test),) and np.isfinite(out[m]).all()
        np.testing.assert_array_equal(forecaster(m)(ds, "test"), out[m])
    # rolling mean: the 22 proxies up to the origin, whatever h (a flat path)
    np.testing.assert_allclose(out["rolling_mean"],
                               np.log([proxy[t - 21:t + 1].mean() for t in last]), rtol=1e-12)
    np.testing.assert_allclose(forecaster("rolling_mean", window=5)(ds, "test"),
                               np.log([proxy[t - 4:t + 1].mean() for t in last]), rtol=1e-12)
    # EWMA: seeded with the mean of the first 22 proxies, then f <- 0.94 f + 0.06 proxy
    f, level = proxy[:22].mean(), {}
    for t in range(22, len(proxy)):
        level[t - 1] = f  # the forecast made at origin t - 1
        f = 0.94 * f + 0.06 * proxy[t]
    np.testing.assert_allclose(out["ewma"], np.log([level[t] for t in last]), rtol=1e-10)
    # HAR: the hand regression on the training rows, smeared, at each origin
    series = frame[PROXY]
    x, y = _har_by_pandas(series, train, h)
    ols = sm.OLS(y, x).fit()
    log = np.log(series)
    design = np.column_stack([np.ones(len(log)), log, log.rolling(5).mean(),
                              log.rolling(22).mean()])
    expected = design[last] @ ols.params.to_numpy() + np.log(np.mean(np.exp(ols.resid)))
    np.testing.assert_allclose(out["har"], expected, rtol=1e-9)
    # GARCH on close-to-close returns, scaled to the proxy by the training rows' level
    ratio = proxy[:train].mean() / np.mean(r[:train] ** 2)
    assert 0.2 < ratio < 1.0  # the range misses the overnight move
    for kind in GARCH_KINDS:
        level, _ = _garch_by_hand(r, train, train - 1, len(r) - 1 - h, h, kind)
        np.testing.assert_allclose(out[kind], np.log(level * ratio), rtol=1e-7)


def test_dataset_forecast_bad_input(frame):
    ds = _dataset(frame, 5, 250)
    with pytest.raises(ValueError, match="method must be one of"):
        dataset_forecast(ds, "test", method="egarch")
    with pytest.raises(ValueError, match="method must be one of"):
        forecaster("persistence")
    with pytest.raises(ValueError, match="part must be one of"):
        dataset_forecast(ds, "future", method="har")
    # another target: the log proxy of the next day, or a one-day target five days ahead
    for other in ("log_proxy", target_column(1)):
        wrong = _dataset(frame, 5, 250, targets=other)
        with pytest.raises(ValueError, match="5-day data set must predict 'log_var_5'"):
            dataset_forecast(wrong, "test", method="rolling_mean")
    # a frame without the returns GARCH reads (or without the proxy)
    for column in ("log_return", PROXY):
        thin = frame.drop(columns=column)
        with pytest.raises(DataError, match=rf"\['{column}'\] missing"):
            dataset_forecast(_dataset(thin, 5, 250, features=["log_proxy"]), "test",
                             method="har")
    # windows without a forecast: too few rows before them, or before GARCH's first origin
    with pytest.raises(DataError, match="rolling_mean has no forecast for 8 of the train"):
        dataset_forecast(ds, "train", method="rolling_mean", window=30)
    with pytest.raises(DataError, match="garch forecasts from the last training row on"):
        dataset_forecast(ds, "train", method="garch")


def test_garch_without_a_gap_says_why(frame):
    # five-day targets right after the training rows: their origins lie before its last row
    ds = _dataset(frame, 5, 250, gap=0)
    assert np.isfinite(dataset_forecast(ds, "test", method="har")).all()
    with pytest.raises(DataError, match="4 of the test windows have their origin before it; "
                       "a 5-day data set needs a gap of at least 4 rows"):
        dataset_forecast(ds, "test", method="gjr")


def _perturbed(frame: pd.DataFrame, t: int, seed: int) -> pd.DataFrame:
    """The frame with new proxies and returns from row ``t`` on, every column consistent."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    proxy = out[PROXY].to_numpy().copy()
    proxy[t:] *= rng.uniform(0.1, 10.0, len(proxy) - t)
    out[PROXY], out["log_proxy"] = proxy, np.log(proxy)
    # the first new return is negative: it moves GJR's variance even when its alpha is 0
    returns = rng.normal(0.0, 0.03, len(proxy) - t)
    returns[0] = -abs(returns[0]) - 0.01
    out.iloc[t:, out.columns.get_loc("log_return")] = returns
    for h in (1, 5):
        mean = pd.Series(proxy).rolling(h).mean().to_numpy()
        out.iloc[t:, out.columns.get_loc(target_column(h))] = np.log(mean[t:])
    return out


@contextmanager
def _garch_fits():
    """The parameters of every arch fit made inside the block, in order."""
    from arch.univariate.base import ARCHModel

    original, seen = ARCHModel.fit, []

    def spy(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        seen.append(result.params.to_numpy().copy())
        return result

    with mock.patch.object(ARCHModel, "fit", spy):
        yield seen


@pytest.mark.parametrize("h", [1, 5])
@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), train=st.integers(150, 300), shift=st.integers(-40, 90))
def test_dataset_forecast_never_sees_rows_after_the_origin(frame, method, h, seed, train,
                                                           shift):
    t = min(train + shift, len(frame) - 1)  # rows t.. change
    ds, changed = _dataset(frame, h, train), _dataset(_perturbed(frame, t, seed), h, train)
    assert changed.split == ds.split
    fits = {}
    for name, d in (("before", ds), ("after", changed)):
        with _garch_fits() as seen:
            fits[name] = (dataset_forecast(d, "test", method=method), seen)
    (before, fit_before), (after, fit_after) = fits["before"], fits["after"]
    assert np.isfinite(before).all() and np.isfinite(after).all()
    last = ds.test.last_input_pos
    training_changed = t < train
    if method not in ("har", *GARCH_KINDS) or not training_changed:
        # a window whose origin is before row t sees none of the new rows
        np.testing.assert_allclose(after[last < t], before[last < t], rtol=1e-10)
    # the first window that sees a new row moves
    assert not np.isclose(after[last == t], before[last == t], rtol=1e-8).any()
    # what is fitted changes exactly when a training row changes
    if method == "har":
        coef = [har_fit(d.frame[PROXY], train, horizon=h) for d in (ds, changed)]
        assert np.array_equal(coef[0], coef[1]) != training_changed
    if method in GARCH_KINDS:
        assert len(fit_before) == len(fit_after) == 1
        assert np.array_equal(fit_before[0], fit_after[0]) != training_changed
        for d, out in ((ds, before), (changed, after)):  # the level ratio of the training rows
            level = garch_forecasts(d.frame["log_return"], train, kind=method, horizon=h)
            level = level.reindex(d.frame.index).to_numpy()[d.test.target_pos]
            x = d.frame.iloc[:train]
            ratio = x[PROXY].mean() / (x["log_return"] ** 2).mean()
            np.testing.assert_allclose(out, np.log(level * ratio), rtol=1e-12)
    else:
        assert fit_before == fit_after == []


# --------------------------------------------------------------------------- networks
def test_log_variance_network_smears_its_training_residuals(frame):
    from stocklearn import models

    set_seed(0)
    ds = _dataset(frame, 5, 250)
    trained = []

    class Kept(LogVarianceNetwork):
        def fit(self, ds, seed):
            model, history = super().fit(ds, seed)
            trained.append(model)
            return model, history

    out = Kept(build=lambda ds: models.lstm(ds.input_shape, units=2), epochs=1)(ds, 0)
    assert out["epochs"] == 1 and len(trained) == 1
    # the model's output is the standardised target: undo the training rows' scale by hand
    target = frame[target_column(5)].to_numpy()
    mean, std = target[:250].mean(), target[:250].std()
    fitted = trained[0].predict(ds.train.X, verbose=0)[:, 0] * std + mean
    forecast = trained[0].predict(ds.test.X, verbose=0)[:, 0] * std + mean
    residual = target[ds.train.target_pos] - fitted
    smearing = np.log(np.mean(np.exp(residual)))
    assert out["smearing"] == pytest.approx(smearing, rel=1e-5, abs=1e-6)
    assert out["smearing"] >= residual.mean()  # Jensen: the log of a mean exp beats the mean
    np.testing.assert_allclose(out["forecast"], forecast + smearing, rtol=1e-5)


def test_log_variance_network_needs_a_variance_target(frame):
    def build(ds):
        raise AssertionError("the target is checked before any model is built")

    for targets in ("log_proxy", target_column(1)):
        with pytest.raises(ValueError, match="must predict 'log_var_5'"):
            LogVarianceNetwork(build=build, epochs=1)(_dataset(frame, 5, 250, targets=targets), 0)
