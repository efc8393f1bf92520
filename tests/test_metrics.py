"""Forecast metrics against hand-computed cases; the Diebold-Mariano test on errors and on
losses (QLIKE)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from stocklearn.metrics import (
    clark_west,
    detectable_gain,
    diebold_mariano,
    diebold_mariano_losses,
    direction_accuracy,
    evaluate,
    holm,
    lag_correlation,
    long_run_variance,
    mae,
    mape,
    mase,
    newey_west_lags,
    qlike,
    qlike_losses,
    rmse,
    scaled_mae,
)

Y = np.array([1.0, 2.0, 3.0, 4.0])
P = np.array([2.0, 2.0, 2.0, 2.0])  # errors y - p: -1, 0, 1, 2
PREV = np.array([0.0, 3.0, 3.0, 3.0])
TRAIN = np.array([1.0, 3.0, 2.0, 4.0])  # changes 2, -1, 2: naive MAE 5/3


def test_rmse_mae_mape_by_hand():
    assert rmse(Y, P) == pytest.approx(np.sqrt((1 + 0 + 1 + 4) / 4))
    assert mae(Y, P) == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert mape(Y, P) == pytest.approx(100 * (1 / 1 + 0 / 2 + 1 / 3 + 2 / 4) / 4)


def test_mase_by_hand():
    assert mase(Y, P, TRAIN) == pytest.approx(1.0 / (5 / 3))
    assert mase(Y, P, TRAIN, m=2) == pytest.approx(1.0 / 1.0)  # changes over 2 rows: 1, 1


def test_direction_accuracy_by_hand():
    # true - prev: +1, -1, 0, +1; pred - prev: +2, -1, -1, -1 -> hits, hit, miss, miss
    assert direction_accuracy(Y, P, PREV) == 0.5
    # a flat forecast is a hit only on the flat day
    assert direction_accuracy(Y, PREV, PREV) == 0.25


def test_two_dimensional_inputs_average_all_cells():
    y2, p2 = np.stack([Y, Y], axis=1), np.stack([P, P + 1], axis=1)
    assert mae(y2, p2) == pytest.approx((1 + 0 + 1 + 2 + 2 + 1 + 0 + 1) / 8)


@pytest.mark.parametrize("func", [rmse, mae, mape])
def test_validation(func):
    with pytest.raises(ValueError, match="same shape"):
        func(Y, P[:3])
    with pytest.raises(ValueError, match="forecast holds 1 NaN"):
        func(Y, np.array([1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(ValueError, match="empty"):
        func([], [])


def test_mape_and_mase_undefined():
    with pytest.raises(ValueError, match="contains 0"):
        mape([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="never changes"):
        mase(Y, P, [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="more than m=1"):
        mase(Y, P, [2.0])


def hln_by_hand(e1, e2, h, loss, lags):
    """The statistic written out term by term: Bartlett-weighted autocovariances of the
    loss differential (Newey & West 1987), then Harvey et al.'s (1997) factor."""
    f = (lambda e: e * e) if loss == "squared" else abs
    d = [f(a) - f(b) for a, b in zip(e1, e2, strict=True)]
    n = len(d)
    dbar = sum(d) / n
    variance = 0.0
    for k in range(lags + 1):
        gamma = sum((d[t] - dbar) * (d[t - k] - dbar) for t in range(k, n)) / n
        variance += gamma if k == 0 else 2 * (1 - k / (lags + 1)) * gamma
    dm = dbar / (variance / n) ** 0.5
    return dm * ((n + 1 - 2 * h + h * (h - 1) / n) / n) ** 0.5


@pytest.mark.parametrize("h", [1, 2, 4])
@pytest.mark.parametrize("loss", ["squared", "absolute"])
def test_diebold_mariano_matches_formula(h, loss):
    rng = np.random.default_rng(h)
    e1, e2 = rng.normal(0, 1.2, 50), rng.normal(0, 1.0, 50)
    stat, p = diebold_mariano(e1, e2, h=h, loss=loss)
    lags = max(h - 1, int(np.floor(4 * (50 / 100) ** (2 / 9))))  # the documented rule: 3
    assert newey_west_lags(50, h) == lags == max(h - 1, 3)
    expected = hln_by_hand(e1.tolist(), e2.tolist(), h, loss, lags)
    assert stat == pytest.approx(expected, rel=1e-10)
    assert p == pytest.approx(2 * stats.t.sf(abs(expected), df=49), rel=1e-10)
    assert diebold_mariano(e1, e2, h=h, loss=loss, lags=0)[0] == pytest.approx(
        hln_by_hand(e1.tolist(), e2.tolist(), h, loss, 0), rel=1e-10)


def test_newey_west_lags_rule():
    assert [newey_west_lags(n) for n in (100, 250, 1000)] == [4, 4, 6]
    assert newey_west_lags(100, h=10) == 9


def _autocorrelated_differential(seed, n=400):
    """Errors whose squared-loss differential drifts slowly (as biases of price models do)."""
    rng = np.random.default_rng(seed)
    bias = np.convolve(rng.normal(size=n + 9), np.ones(10) / 3, mode="valid")
    e2 = rng.normal(size=n)
    return e2 + 0.4 * bias + 0.15, e2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_diebold_mariano_matches_statsmodels_hac(seed):
    """DM without the HLN factor is the t-statistic of an OLS of the loss differential on a
    constant with a Newey-West (HAC, Bartlett) covariance, as statsmodels computes it."""
    sm = pytest.importorskip("statsmodels.api")
    e1, e2 = _autocorrelated_differential(seed)
    d = e1**2 - e2**2
    n, lags = len(d), newey_west_lags(len(d))
    fit = sm.OLS(d, np.ones(n)).fit(cov_type="HAC",
                                    cov_kwds={"maxlags": lags, "use_correction": False})
    hln = np.sqrt((n + 1 - 2 + 0) / n)
    assert diebold_mariano(e1, e2)[0] == pytest.approx(fit.tvalues[0] * hln, rel=1e-9)
    assert long_run_variance(d, lags) == pytest.approx(fit.bse[0] ** 2 * n, rel=1e-9)
    # the autocorrelation makes the plain variance too small and the statistic too large
    assert abs(diebold_mariano(e1, e2, lags=0)[0]) > abs(diebold_mariano(e1, e2)[0])


def test_clark_west_matches_statsmodels_and_rewards_a_nesting_model():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(3)
    n = 500
    change = rng.normal(size=n)
    x = rng.normal(size=n)
    actual = 100 + 0.3 * x + change  # tomorrow's change is a little predictable from x
    persistence = np.full(n, 100.0)
    model = 100 + 0.25 * x + rng.normal(0, 0.2, n)  # noisy estimate of the same rule
    stat, p = clark_west(actual, persistence, model)
    f = (actual - persistence) ** 2 - ((actual - model) ** 2 - (persistence - model) ** 2)
    fit = sm.OLS(f, np.ones(n)).fit(cov_type="HAC", cov_kwds={
        "maxlags": newey_west_lags(n), "use_correction": False})
    assert stat == pytest.approx(fit.tvalues[0], rel=1e-9)
    assert p == pytest.approx(stats.norm.sf(fit.tvalues[0]), rel=1e-9)
    assert stat > 0 and p < 0.01
    # the same model tested with DM: the estimation noise is held against it
    assert diebold_mariano(actual - persistence, actual - model)[1] > p
    # a model that is persistence plus noise is not rewarded
    noise = persistence + rng.normal(0, 0.05, n)
    assert clark_west(actual, persistence, noise)[1] > 0.05


def test_detectable_gain_against_a_simulation():
    """With 80 % power: simulate many test periods where the model's RMSE is lower by the
    detectable gain; the DM test at 5 % should reject in about 80 % of them."""
    rng = np.random.default_rng(4)
    n = 250
    ref = rng.normal(size=n)
    gain = detectable_gain(ref, e_model=rng.normal(size=n))
    assert 0 < gain < 0.5
    rejections = []
    for _ in range(400):
        e_ref = rng.normal(size=n)
        e_model = rng.normal(scale=1 - gain, size=n)
        rejections.append(diebold_mariano(e_ref, e_model)[1] < 0.05)
    assert 0.65 < np.mean(rejections) < 0.95
    # more test days, smaller detectable gains
    assert detectable_gain(ref, n=4 * n) < gain


def test_holm_by_hand_and_nan_kept():
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.2])
    # Holm: sorted 0.01, 0.03, 0.04, 0.2 times 4, 3, 2, 1, made monotone
    expected = np.array([0.04, np.nan, 0.09, 0.09, 0.2])
    np.testing.assert_allclose(holm(p), expected)
    assert np.isnan(holm([np.nan])).all()


def test_diebold_mariano_identical_and_clearly_better():
    rng = np.random.default_rng(0)
    e = rng.normal(size=100)
    assert diebold_mariano(e, e) == (0.0, 1.0)
    stat, p = diebold_mariano(3 * e, e + 0.1 * rng.normal(size=100))
    assert stat > 0 and p < 1e-6  # forecast 2 is better
    stat, p = diebold_mariano(e, 3 * e, loss="absolute")
    assert stat < 0 and p < 1e-6
    # a constant loss difference has no variance: infinitely significant
    assert diebold_mariano(np.full(10, 2.0), np.ones(10)) == (np.inf, 0.0)


def test_diebold_mariano_validation():
    with pytest.raises(ValueError, match="same shape"):
        diebold_mariano([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="h < n"):
        diebold_mariano([1.0, 2.0, 3.0], [1.0, 2.0, 2.0], h=3)
    with pytest.raises(ValueError, match="loss"):
        diebold_mariano([1.0, 2.0, 3.0], [1.0, 2.0, 2.0], loss="pinball")
    with pytest.raises(ValueError, match="lags"):
        diebold_mariano([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 2.0, 1.0], lags=4)


def test_evaluate():
    out = evaluate(Y, P, previous=PREV, train_series=TRAIN, name="flat")
    assert isinstance(out, pd.Series) and out.name == "flat"
    assert list(out.index) == ["RMSE", "MAE", "MAPE", "MASE", "DA"]
    np.testing.assert_allclose(out, [rmse(Y, P), 1.0, mape(Y, P), 0.6, 0.5])


def test_evaluate_rejects_2d():
    y2 = np.stack([Y, Y], axis=1)
    with pytest.raises(ValueError, match="1-D"):
        evaluate(y2, y2, previous=y2, train_series=TRAIN)


def test_lag_correlation_finds_persistence_at_lag_one():
    rng = np.random.default_rng(0)
    changes = rng.normal(size=300)
    actual = changes[1:]
    persistence_like = changes[:-1]  # forecast[t] = actual[t - 1]
    lc = lag_correlation(actual, persistence_like, max_lag=3)
    assert list(lc.index) == [-3, -2, -1, 0, 1, 2, 3]
    assert lc.idxmax() == 1 and lc[1] == pytest.approx(1.0)
    assert abs(lc[0]) < 0.2
    with pytest.raises(ValueError, match="max_lag"):
        lag_correlation(actual[:4], persistence_like[:4], max_lag=3)


def test_scaled_mae_is_the_mae_on_min_max_scaled_prices():
    # TRAIN spans 1..4: scaled values (x - 1) / 3
    assert scaled_mae(Y, P, TRAIN) == pytest.approx(mae((Y - 1) / 3, (P - 1) / 3))
    assert scaled_mae(Y, P, TRAIN) == pytest.approx(1.0 / 3.0)
    with pytest.raises(ValueError, match="constant"):
        scaled_mae(Y, P, np.ones(4))


# --------------------------------------------------------------------------- QLIKE and DM on losses
def test_qlike_losses_by_hand():
    actual, forecast = np.array([1.0, 2.0, 4.0, 3.0]), np.array([2.0, 2.0, 1.0, 3.0])
    # a/f = 1/2, 1, 4, 1: each loss is a/f - ln(a/f) - 1
    expected = [0.5 + np.log(2) - 1, 0.0, 3 - np.log(4), 0.0]
    losses = qlike_losses(actual, forecast)
    np.testing.assert_allclose(losses, expected, rtol=1e-14, atol=1e-15)
    assert qlike(actual, forecast) == pytest.approx(np.mean(expected), rel=1e-14)
    # a forecast too low by a factor costs more than one too high by the same factor
    assert losses[2] > losses[0] > 0
    both = qlike_losses(np.stack([actual, forecast], axis=1), np.stack([forecast, actual], axis=1))
    assert both.shape == (4, 2)
    np.testing.assert_allclose(both[:, 0], expected, rtol=1e-14, atol=1e-15)
    assert qlike(np.stack([actual, forecast], axis=1),
                 np.stack([forecast, actual], axis=1)) == pytest.approx(both.mean(), rel=1e-14)
    with pytest.raises(ValueError, match="positive forecasts"):
        qlike_losses(actual, -forecast)


@pytest.mark.parametrize("h", [1, 3])
@pytest.mark.parametrize("lags", [None, 0, 5])
def test_diebold_mariano_on_losses_is_the_test_on_errors(h, lags):
    rng = np.random.default_rng(10 + h)
    e1, e2 = rng.normal(0, 1.1, 80), rng.normal(0, 1.0, 80)
    assert diebold_mariano_losses(e1**2, e2**2, h=h, lags=lags) == diebold_mariano(
        e1, e2, h=h, lags=lags)
    assert diebold_mariano_losses(np.abs(e1), np.abs(e2), h=h, lags=lags) == diebold_mariano(
        e1, e2, h=h, loss="absolute", lags=lags)


def test_diebold_mariano_on_qlike_losses_by_hand():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(11)
    n = 300
    true = 1e-4 * np.exp(np.convolve(rng.normal(0, 1.0, n + 9), np.ones(10) / 3, "valid"))
    proxy = true * rng.standard_normal(n) ** 2
    good, bad = true * np.exp(rng.normal(0, 0.2, n)), np.full(n, true.mean())
    l_good, l_bad = qlike_losses(proxy, good), qlike_losses(proxy, bad)
    h = 5
    stat, p = diebold_mariano_losses(l_bad, l_good, h=h)
    # written out: the HLN-corrected t-statistic of the mean differential with a Newey-West
    # (Bartlett) variance, as statsmodels' HAC covariance of an OLS on a constant
    d = l_bad - l_good
    lags = newey_west_lags(n, h)
    fit = sm.OLS(d, np.ones(n)).fit(cov_type="HAC",
                                    cov_kwds={"maxlags": lags, "use_correction": False})
    expected = fit.tvalues[0] * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    assert stat == pytest.approx(expected, rel=1e-9)
    assert p == pytest.approx(2 * stats.t.sf(abs(expected), df=n - 1), rel=1e-9)
    # sign: positive when the first forecast has the larger loss
    assert stat > 0 and p < 0.05
    assert diebold_mariano_losses(l_good, l_bad, h=h) == pytest.approx((-stat, p), rel=1e-12)
    assert diebold_mariano_losses(l_good, l_good) == (0.0, 1.0)


def test_diebold_mariano_losses_validation():
    ok = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="1-D loss series, got shape"):
        diebold_mariano_losses(np.stack([ok, ok]), np.stack([ok, ok + 1]))
    with pytest.raises(ValueError, match="n >= 3 and 1 <= h < n, got n=2"):
        diebold_mariano_losses([1.0, 2.0], [2.0, 1.0])
    with pytest.raises(ValueError, match="got n=4, h=4"):
        diebold_mariano_losses(ok, ok[::-1], h=4)
    with pytest.raises(ValueError, match="got n=4, h=0"):
        diebold_mariano_losses(ok, ok[::-1], h=0)
    with pytest.raises(ValueError, match="same shape"):
        diebold_mariano_losses(ok, ok[:3])
    with pytest.raises(ValueError, match="loss2 holds 1 NaN"):
        diebold_mariano_losses(ok, [1.0, np.nan, 2.0, 3.0])
    with pytest.raises(ValueError, match="lags must be an integer"):
        diebold_mariano_losses(ok, ok[::-1], lags=4)
