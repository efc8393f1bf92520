"""Forecast metrics against hand-computed cases; the Diebold-Mariano test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from stocklearn.metrics import (
    diebold_mariano,
    direction_accuracy,
    evaluate,
    lag_correlation,
    mae,
    mape,
    mase,
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


def hln_by_hand(e1, e2, h, loss):
    """The statistic written out term by term, as in Harvey et al. (1997)."""
    f = (lambda e: e * e) if loss == "squared" else abs
    d = [f(a) - f(b) for a, b in zip(e1, e2, strict=True)]
    n = len(d)
    dbar = sum(d) / n
    gamma = []
    for k in range(h):
        gamma.append(sum((d[t] - dbar) * (d[t - k] - dbar) for t in range(k, n)) / n)
    dm = dbar / ((gamma[0] + 2 * sum(gamma[1:])) / n) ** 0.5
    return dm * ((n + 1 - 2 * h + h * (h - 1) / n) / n) ** 0.5


@pytest.mark.parametrize("h", [1, 2, 4])
@pytest.mark.parametrize("loss", ["squared", "absolute"])
def test_diebold_mariano_matches_formula(h, loss):
    rng = np.random.default_rng(h)
    e1, e2 = rng.normal(0, 1.2, 50), rng.normal(0, 1.0, 50)
    stat, p = diebold_mariano(e1, e2, h=h, loss=loss)
    expected = hln_by_hand(e1.tolist(), e2.tolist(), h, loss)
    assert stat == pytest.approx(expected, rel=1e-10)
    assert p == pytest.approx(2 * stats.t.sf(abs(expected), df=49), rel=1e-10)


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
