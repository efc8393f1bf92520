"""Splits, scalers and windows: correctness and, above all, no leakage."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocklearn.data import DataError
from stocklearn.prep import (
    FittedScaler,
    log_returns,
    make_dataset,
    make_windows,
    returns,
)
from stocklearn.splits import chronological_split


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    """A positive random-walk OHLCV frame (test scaffolding only, never used in the book)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    idx = pd.bdate_range("2020-01-01", periods=n, name="date")
    return pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close,
         "volume": rng.integers(1, 1000, n).astype(float)},
        index=idx,
    )


# ----------------------------------------------------------------------------- returns
def test_returns_and_log_returns_by_hand():
    p = np.array([100.0, 110.0, 99.0])
    np.testing.assert_allclose(returns(p)[1:], [0.1, -0.1])
    np.testing.assert_allclose(log_returns(p)[1:], np.log([1.1, 0.9]))
    s = pd.Series(p)
    assert np.isnan(returns(s).iloc[0]) and np.isnan(log_returns(s).iloc[0])
    np.testing.assert_allclose(log_returns(s).iloc[1:], np.log([1.1, 0.9]))


# ----------------------------------------------------------------------------- splits
def test_split_by_count_fraction_and_date():
    df = _frame(100)
    by_count = chronological_split(df, 80)
    assert by_count.train == (0, 80) and by_count.test == (80, 100) and by_count.val == (80, 80)
    assert chronological_split(df, 0.8).train == (0, 80)
    last_train_day = df.index[79].strftime("%Y-%m-%d")
    assert chronological_split(df, last_train_day).train == (0, 80)
    assert chronological_split(100, 80, test=10).test == (80, 90)


def test_split_with_validation_and_gap():
    s = chronological_split(100, 80, val=10, gap=2)
    assert s.train == (0, 68) and s.val == (70, 80) and s.test == (82, 100)
    assert s.training_end == 80
    assert chronological_split(100, 80, val=0.25).val == (60, 80)


def test_split_describe_has_dates():
    df = _frame(30)
    table = chronological_split(df, 20, val=5).describe()
    assert list(table["rows"]) == [15, 5, 10]
    assert table.loc["test", "first"] == df.index[20].date()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"train": 0}, "training period"),
        ({"train": 100}, "no room for a test part"),
        ({"train": 1.5}, "fraction"),
        ({"train": 50, "val": 49, "gap": 2}, "leave no training rows"),
        ({"train": 50, "gap": -1}, "gap"),
    ],
)
def test_split_rejects_impossible_requests(kwargs, message):
    with pytest.raises(ValueError, match=message):
        chronological_split(100, **kwargs)


def test_split_by_date_needs_dates():
    with pytest.raises(ValueError, match="dated series"):
        chronological_split(100, "2020-01-01")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(10, 400),
    frac=st.floats(0.2, 0.9),
    val=st.integers(0, 5),
    gap=st.integers(0, 3),
)
def test_split_parts_are_ordered_and_disjoint(n, frac, val, gap):
    period = max(1, int(round(frac * n)))
    try:
        s = chronological_split(n, period, val=val, gap=gap)
    except ValueError:
        return  # an impossible request is refused, never silently bent
    train, val_rows, test = s.rows("train"), s.rows("val"), s.rows("test")
    assert train.max() < test.min()
    if len(val_rows):
        assert train.max() < val_rows.min() and val_rows.max() < test.min()
        assert val_rows.min() - train.max() - 1 == gap
    assert test.min() - (s.training_end - 1) - 1 == gap
    assert test.max() < n


# ----------------------------------------------------------------------------- scaler
def test_scaler_uses_training_rows_only_and_inverts():
    df = _frame(50)[["close", "volume"]]
    split = chronological_split(df, 30)
    sc = FittedScaler(df, split)
    scaled = sc.transform(df)
    assert scaled["close"].iloc[:30].min() == pytest.approx(0)
    assert scaled["close"].iloc[:30].max() == pytest.approx(1)
    np.testing.assert_allclose(sc.inverse(scaled["close"], "close"), df["close"])
    st_sc = FittedScaler(df, split, scale="standard")
    np.testing.assert_allclose(st_sc.inverse(st_sc.transform(df)["volume"], 1), df["volume"])
    with pytest.raises(ValueError, match="scale"):
        FittedScaler(df, split, scale="robust")


@settings(max_examples=40, deadline=None)
@given(n=st.integers(20, 200), cut=st.floats(0.3, 0.9), seed=st.integers(0, 10_000))
def test_scaler_ignores_every_row_after_the_cutoff(n, cut, seed):
    df = _frame(n, seed)[["close", "volume"]]
    split = chronological_split(df, max(2, int(cut * n)))
    poisoned = df.copy()
    poisoned.iloc[split.test[0]:] *= 1000.0
    a, b = FittedScaler(df, split), FittedScaler(poisoned, split)
    np.testing.assert_array_equal(a.scaler.data_min_, b.scaler.data_min_)
    np.testing.assert_array_equal(a.scaler.data_max_, b.scaler.data_max_)


# ----------------------------------------------------------------------------- windows
def test_windows_by_hand():
    x = np.arange(10.0)
    w = make_windows(x, x * 10, window=3)
    assert w.X.shape == (7, 3, 1)
    np.testing.assert_array_equal(w.X[0, :, 0], [0, 1, 2])
    assert w.y[0] == 30 and w.target_pos[0] == 3
    w2 = make_windows(x, x, window=3, horizon=2)
    assert w2.y[0] == 4 and len(w2) == 6
    np.testing.assert_array_equal(w2.last_input_pos, w2.target_pos - 2)


def test_windows_too_short_or_with_nan_raise_data_error():
    with pytest.raises(DataError, match="too short"):
        make_windows(np.arange(3.0), np.arange(3.0), window=3)
    x = np.arange(10.0)
    x[4] = np.nan
    with pytest.raises(DataError, match="missing"):
        make_windows(x, np.arange(10.0), window=2)
    with pytest.raises(ValueError, match="window"):
        make_windows(np.arange(10.0), np.arange(10.0), window=0)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(12, 300),
    window=st.integers(1, 10),
    horizon=st.integers(1, 3),
    cut=st.floats(0.3, 0.9),
)
def test_windows_never_reach_past_their_part(n, window, horizon, cut):
    x = np.arange(n, dtype=float)
    if n < window + horizon:
        return
    w = make_windows(x, x, window, horizon=horizon)
    # the target is strictly after every input, and inputs are exactly the rows they claim
    assert (w.target_pos > w.X[:, :, 0].max(axis=1)).all()
    np.testing.assert_array_equal(w.X[:, -1, 0], w.last_input_pos)
    np.testing.assert_array_equal(w.X[:, 0, 0], w.first_input_pos)
    split = chronological_split(n, max(1, int(cut * n)))
    train = w.part(split, "train")
    # no training window uses (as input or target) a row of the test part
    if len(train):
        assert train.target_pos.max() < split.test[0]
        assert train.X.max() < split.test[0]


# ----------------------------------------------------------------------------- datasets
@pytest.mark.parametrize("kind", ["price", "log_return", "return"])
def test_dataset_round_trips_to_prices(kind):
    df = _frame(120)
    split = chronological_split(df, 80, val=10)
    ds = make_dataset(df, split, features=["close", "volume"], window=5, target_kind=kind)
    for part in ("train", "val", "test"):
        actual = df["close"].to_numpy()[ds.part(part).target_pos]
        np.testing.assert_array_equal(ds.actual(part), actual)
        np.testing.assert_allclose(ds.to_price(ds.part(part).y, part), actual, rtol=1e-5)
        np.testing.assert_allclose(ds.previous(part),
                                   df["close"].to_numpy()[ds.part(part).last_input_pos])
    assert ds.frame is df
    assert ds.input_shape == (5, 2) and ds.window == 5
    np.testing.assert_array_equal(ds.train_series(), df["close"].to_numpy()[:split.train[1]])
    assert ds.train.target_pos.max() < split.val[0]
    assert ds.val.target_pos.min() >= split.val[0] and ds.val.target_pos.max() < split.val[1]
    assert ds.test.target_pos.min() >= split.test[0]


def test_dataset_multi_target_shapes():
    df = _frame(60)
    ds = make_dataset(df, chronological_split(df, 40), features=["open", "low", "high"],
                      targets=["open", "low", "high"], window=3)
    assert ds.test.y.shape == (20, 3)
    assert ds.to_price(ds.test.y, "test").shape == (20, 3)
    np.testing.assert_allclose(ds.actual("test")[:, 1], df["low"].to_numpy()[40:], rtol=1e-5)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(40, 200), window=st.integers(1, 8), seed=st.integers(0, 1000))
def test_dataset_training_part_is_blind_to_the_test_rows(n, window, seed):
    df = _frame(n, seed)
    split = chronological_split(df, int(0.7 * n), val=3)
    poisoned = df.copy()
    poisoned.iloc[split.test[0]:] *= 1000.0
    a = make_dataset(df, split, features=["close", "volume"], window=window)
    b = make_dataset(poisoned, split, features=["close", "volume"], window=window)
    for part in ("train", "val"):
        np.testing.assert_array_equal(a.part(part).X, b.part(part).X)
        np.testing.assert_array_equal(a.part(part).y, b.part(part).y)


def test_scaler_fit_on_all_rows_is_the_documented_leak():
    df = _frame(120)
    split = chronological_split(df, 80)
    df.iloc[split.test[0]:, :4] *= 3.0  # the test period trades far above the training range
    honest = make_dataset(df, split, window=2)
    leaky = make_dataset(df, split, window=2, fit_scaler_on="all")
    assert honest.test.X.max() > 1.5  # honest: test inputs beyond the training range
    assert leaky.test.X.max() == pytest.approx(1.0)  # leak: the scaler saw the test rows
    assert leaky.scaler.fit_rows == (0, 120) and honest.scaler.fit_rows == (0, 80)
    np.testing.assert_array_equal(leaky.test.target_pos, honest.test.target_pos)
    np.testing.assert_allclose(leaky.to_price(leaky.test.y, "test"), honest.actual("test"),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="fit_scaler_on"):
        make_dataset(df, split, fit_scaler_on="test")


def test_to_price_refuses_the_wrong_number_of_predictions():
    df = _frame(60)
    ds = make_dataset(df, chronological_split(df, 40), window=3)
    with pytest.raises(ValueError, match="predictions for the"):
        ds.to_price(np.zeros(len(ds.test) + 1), "test")


def test_dataset_errors_are_clear():
    df = _frame(30)
    split = chronological_split(df, 20)
    with pytest.raises(DataError, match="columns not in the data"):
        make_dataset(df, split, features=["rsi_14"])
    with pytest.raises(ValueError, match="target_kind"):
        make_dataset(df, split, target_kind="level")
    with pytest.raises(DataError, match="too short|no training or test"):
        make_dataset(df, split, window=25)
    holes = df.copy()
    holes.iloc[3, 3] = np.nan
    with pytest.raises(DataError, match="missing values"):
        make_dataset(holes, split)


def test_shared_target_scale_keeps_ordered_prices_ordered():
    df = _frame(60)
    df["high"] = df["close"] * 1.05  # a wider high: its own min-max differs from the low's
    targets = ["open", "low", "high"]
    split = chronological_split(df, 40)
    own = make_dataset(df, split, features=targets, targets=targets, window=3)
    shared = make_dataset(df, split, features=targets, targets=targets, window=3,
                          shared_target_scale=True)
    train = df[targets].to_numpy()[:40]
    lo, hi = train.min(), train.max()
    np.testing.assert_allclose(shared.train.y, (df[targets].to_numpy()[3:40] - lo) / (hi - lo),
                               rtol=1e-5)
    assert shared.train.y.min() == pytest.approx(0.0) and shared.train.y.max() == pytest.approx(1)
    # one scale: equal scaled values are equal prices, whatever the column
    point = np.full((1, 3), 0.5)
    assert np.ptp(shared.target_scaler.inverse(point[:, 0], 0)
                  - shared.target_scaler.inverse(point[:, 2], 2)) == 0
    for ds in (own, shared):
        np.testing.assert_allclose(ds.to_price(ds.test.y, "test"), ds.actual("test"), rtol=1e-5)
    # ordered scaled outputs stay ordered in prices with the shared scale only
    y = np.tile([0.5, 0.49, 0.51], (len(shared.test), 1))
    prices = shared.to_price(y, "test")
    assert (prices[:, 1] <= prices[:, 0]).all() and (prices[:, 0] <= prices[:, 2]).all()
    assert own.target_scaler.inverse(0.51, 2) != shared.target_scaler.inverse(0.51, 2)
