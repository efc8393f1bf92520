"""Baselines: aligned with the model's windows, fitted on training rows, never using the future."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.arima.model import ARIMA

from stocklearn.baselines import arima, drift, linear_on_window, moving_average, persistence
from stocklearn.prep import make_dataset
from stocklearn.splits import chronological_split

FEATURES = ("open", "high", "low", "close", "volume")


@pytest.fixture(scope="module")
def rows(csi300) -> pd.DataFrame:
    """The first 600 CSI 300 rows."""
    return csi300.iloc[:600]


def dataset(df: pd.DataFrame, **kw):
    split = chronological_split(df, 400, val=50)
    return make_dataset(df, split, features=kw.pop("features", FEATURES), window=5, **kw)


@pytest.fixture(scope="module")
def ds(rows):
    return dataset(rows)


@pytest.mark.parametrize("name", ["persistence", "drift", "moving_average", "arima", "linear"])
def test_each_baseline_fills_the_test_windows(rows, ds, name):
    pred = {
        "persistence": lambda: persistence(ds),
        "drift": lambda: drift(ds),
        "moving_average": lambda: moving_average(ds),
        "arima": lambda: arima(ds),
        "linear": lambda: linear_on_window(ds),
    }[name]()
    assert pred.shape == (len(ds.test),)
    assert np.isfinite(pred).all()
    # every baseline lands in the right neighbourhood of the price
    assert np.median(np.abs(pred / ds.actual("test") - 1)) < 0.05


def test_persistence_is_last_input_close(rows, ds):
    close = rows["close"].to_numpy()
    np.testing.assert_array_equal(persistence(ds), close[ds.test.last_input_pos])
    np.testing.assert_array_equal(persistence(ds, "val"), close[ds.val.last_input_pos])


def test_drift_and_moving_average_by_hand(rows, ds):
    close = rows["close"].to_numpy()
    slope = (close[349] - close[0]) / 349  # training rows 0 .. 349 (val is 350 .. 399)
    last = ds.test.last_input_pos
    np.testing.assert_allclose(drift(ds), close[last] + slope)
    expected = [close[c - 2: c + 1].mean() for c in last]
    np.testing.assert_allclose(moving_average(ds, n=3), expected)


def test_arima_matches_refitting_free_forecast(rows, ds):
    close = rows["close"].to_numpy()
    fitted = ARIMA(close[:350], order=(1, 1, 0)).fit()
    pred = arima(ds)
    for i in (0, 77, len(ds.test) - 1):
        c = ds.test.last_input_pos[i]
        assert pred[i] == pytest.approx(fitted.apply(close[: c + 1]).forecast(1)[0])
    ds3 = dataset(rows, horizon=3)
    pred3 = arima(ds3)
    c = ds3.test.last_input_pos[10]
    assert pred3[10] == pytest.approx(fitted.apply(close[: c + 1]).forecast(3)[-1])


def test_arima_uses_no_future_row(rows, ds):
    pred = arima(ds)
    j = 60
    changed = rows.copy()
    rng = np.random.default_rng(0)
    # change the target of window j and every later row
    start = ds.test.target_pos[j]
    changed.iloc[start:] *= rng.uniform(0.5, 1.5, (len(rows) - start, 1))
    again = arima(dataset(changed))
    np.testing.assert_allclose(again[: j + 1], pred[: j + 1], rtol=1e-12)
    assert not np.allclose(again[j + 1:], pred[j + 1:])


def test_linear_on_window_recovers_a_linear_rule():
    # next return = a + b (close[t-1] / close[t] - 1) + c z[t], z[t] the standardised volume
    rng = np.random.default_rng(1)
    n, a, b, c = 400, 0.001, 0.3, 0.01
    volume = rng.uniform(1e6, 3e6, n)
    z = (volume - volume[:300].mean()) / volume[:300].std()
    close = np.empty(n)
    close[:2] = 100.0, 101.0
    for t in range(1, n - 1):
        close[t + 1] = close[t] * (1 + a + b * (close[t - 1] / close[t] - 1) + c * z[t])
    df = pd.DataFrame({"close": close, "volume": volume},
                      index=pd.bdate_range("2020-01-01", periods=n, name="date"))
    split = chronological_split(df, 300)
    ds = make_dataset(df, split, features=("close", "volume"), window=2)
    pred = linear_on_window(ds)
    np.testing.assert_allclose(pred, ds.actual("test"), rtol=1e-6)
    naive = np.abs(persistence(ds) / ds.actual("test") - 1).mean()
    assert np.abs(pred / ds.actual("test") - 1).mean() < 1e-3 * naive


def test_linear_on_window_fits_on_training_rows_only(rows, ds):
    fit_end = ds.split.train[1]
    before_train = linear_on_window(ds, "train")
    before_val = linear_on_window(ds, "val")
    changed = rows.copy()
    rng = np.random.default_rng(2)
    changed.iloc[fit_end:] *= rng.uniform(0.5, 1.5, (len(rows) - fit_end, 1))
    ds2 = dataset(changed)
    # the same coefficients: identical forecasts for the training windows
    np.testing.assert_allclose(linear_on_window(ds2, "train"), before_train, rtol=1e-12)
    # the first validation window's inputs are all training rows: same forecast
    assert linear_on_window(ds2, "val")[0] == pytest.approx(before_val[0], rel=1e-12)


def test_multi_target_and_no_close_column(rows):
    ds = dataset(rows, targets=["open", "high", "low"])
    for pred in (persistence(ds), drift(ds), moving_average(ds),
                 arima(ds), linear_on_window(ds)):
        assert pred.shape == (len(ds.test), 3) and np.isfinite(pred).all()
    np.testing.assert_array_equal(persistence(ds)[:, 1],
                                  rows["high"].to_numpy()[ds.test.last_input_pos])
    high = rows[["high", "volume"]]
    ds_high = dataset(high, features=("high", "volume"), targets="high")
    pred = linear_on_window(ds_high)
    assert pred.shape == (len(ds_high.test),)
    assert np.median(np.abs(pred / ds_high.actual("test") - 1)) < 0.05


def test_persistence_per_target_columns(rows):
    ds = dataset(rows, targets=["open", "low", "high"])
    pers = persistence(ds, columns={"open": "close"})
    last = ds.test.last_input_pos
    np.testing.assert_array_equal(pers[:, 0], rows["close"].to_numpy()[last])
    np.testing.assert_array_equal(pers[:, 1:], persistence(ds)[:, 1:])
    np.testing.assert_array_equal(persistence(ds, columns={}), persistence(ds))
    single = dataset(rows, targets="open")
    np.testing.assert_array_equal(persistence(single, "train", columns={"open": "close"}),
                                  rows["close"].to_numpy()[single.train.last_input_pos])
    with pytest.raises(ValueError, match="targets"):
        persistence(ds, columns={"close": "open"})
    with pytest.raises(ValueError, match="columns"):
        persistence(ds, columns={"open": "vwap"})
