"""Walk-forward evaluation: folds, a scaler refit inside every fold, stitching, any process."""

from functools import partial

import numpy as np
import pandas as pd
import pytest

from stocklearn import baselines, prep, splits, walk_forward


@pytest.fixture(scope="module")
def frame(csi300):
    """Two years of real CSI 300 closes with their log returns."""
    df = csi300.loc["2019-01-01":"2020-12-31"]
    return df.assign(log_return=prep.log_returns(df["close"])).iloc[1:]


def test_expanding_and_sliding_folds():
    folds = splits.walk_forward_folds(100, first_test=60, step=15)
    assert [f.test for f in folds] == [(60, 75), (75, 90), (90, 100)]
    assert [f.train for f in folds] == [(0, 60), (0, 75), (0, 90)]
    sliding = splits.walk_forward_folds(100, first_test=60, step=15, scheme="sliding",
                                        train_rows=50, val=10, gap=2)
    assert [f.train for f in sliding] == [(8, 46), (23, 61), (38, 76)]
    assert [f.val for f in sliding] == [(48, 58), (63, 73), (78, 88)]
    assert [f.test for f in sliding] == [(60, 75), (75, 90), (90, 100)]
    split = sliding[1].split(100)
    assert (split.train, split.val, split.test, split.gap) == ((23, 61), (63, 73), (75, 90), 2)


def test_folds_from_dates(frame):
    folds = splits.walk_forward_folds(frame, first_test="2020-07-01", step=40,
                                      end="2020-11-30", val=0.2)
    first = frame.index.searchsorted(pd.Timestamp("2020-07-01"))
    last = frame.index.searchsorted(pd.Timestamp("2020-11-30"), side="right")
    assert folds[0].test[0] == first and folds[-1].test[1] == last
    assert all(a.test[1] == b.test[0] for a, b in zip(folds, folds[1:], strict=False))
    assert folds[0].val == (first - round(0.2 * first), first)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"scheme": "rolling"}, "scheme"),
    ({"scheme": "sliding"}, "train_rows"),
    ({"train_rows": 30}, "expanding"),
    ({"step": 0}, "step"),
    ({"first_test": 100}, "no test rows"),
    ({"scheme": "sliding", "train_rows": 70}, "does not fit"),
    ({"val": 60}, "no training rows"),
])
def test_bad_folds_get_clear_errors(kwargs, match):
    args = {"first_test": 60, "step": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        splits.walk_forward_folds(100, **args)


def midpoint(ds, part):
    """A 'forecast' that depends on nothing but the fold's target scaler."""
    return np.full(len(ds.part(part)), ds.target_scaler.inverse(0.5, 0))


@pytest.mark.parametrize("scheme", ["expanding", "sliding"])
def test_no_folds_scaler_sees_its_test_rows(frame, scheme):
    args = {"first_test": "2020-05-01", "step": 30, "scheme": scheme,
            "train_rows": 200 if scheme == "sliding" else None, "window": 5}
    wf = walk_forward.walk_forward(frame, {"mid": midpoint}, **args)
    folds = splits.walk_forward_folds(frame, **{k: v for k, v in args.items()
                                                    if k != "window"})
    for fold, (_, run) in zip(folds, wf.runs[wf.runs["model"] == "mid"].iterrows(),
                              strict=True):
        assert tuple(run["scaler_rows"]) == fold.train
        assert run["scaler_rows"][1] <= fold.test[0]
    # change every price from the third block on: the first three folds do not notice
    cut = folds[2].test[0]
    changed = frame.copy()
    changed.iloc[cut:, :4] *= 10.0
    again = walk_forward.walk_forward(changed, {"mid": midpoint}, **args)
    before = wf.rows < folds[3].test[0]
    np.testing.assert_array_equal(again.forecasts["mid"][0, before],
                                  wf.forecasts["mid"][0, before])
    assert not np.allclose(again.forecasts["mid"][0, ~before], wf.forecasts["mid"][0, ~before])


def test_stitched_forecasts_cover_exactly_the_test_rows(frame):
    wf = walk_forward.walk_forward(frame, {"linear": baselines.linear_on_window},
                                   first_test=300, step=45, end=420, window=3)
    np.testing.assert_array_equal(wf.rows, np.arange(300, 420))
    assert wf.dates.equals(frame.index[300:420])
    np.testing.assert_array_equal(wf.actual, frame["close"].to_numpy()[300:420])
    np.testing.assert_array_equal(wf.previous, frame["close"].to_numpy()[299:419])
    np.testing.assert_array_equal(wf.forecasts["persistence"][0], wf.previous)
    assert list(np.unique(wf.fold)) == [0, 1, 2]
    assert list(wf.folds["test rows"]) == [45, 45, 30]
    assert set(wf.forecasts) == {"linear", "persistence"}
    scores = wf.scores()
    assert list(scores.index) == ["linear", "persistence"]
    assert np.isnan(scores.loc["persistence", "DM p"])


def test_every_baseline_works_fold_by_fold(frame):
    forecasters = {"linear": baselines.linear_on_window, "drift": baselines.drift,
                   "ma10": partial(baselines.moving_average, n=10), "arima": baselines.arima}
    args = {"first_test": 400, "step": 40, "scheme": "sliding", "train_rows": 250}
    wf = walk_forward.walk_forward(frame, forecasters, window=4,
                                   features=("close", "log_return"), **args)
    for fold in splits.walk_forward_folds(frame, **args):
        ds = prep.make_dataset(frame, fold.split(len(frame), frame.index),
                               features=("close", "log_return"), window=4)
        rows = wf.fold == fold.number
        for name, f in forecasters.items():
            np.testing.assert_allclose(wf.forecasts[name][0, rows], f(ds, "test"))


def test_periods_and_folds(frame):
    wf = walk_forward.walk_forward(frame, {"linear": baselines.linear_on_window},
                                   first_test="2019-10-01", step=60)
    years = wf.by_period("linear")
    assert list(years.index.astype(str)) == ["2019", "2020"]
    assert years["rows"].sum() == len(wf.rows)
    folds = wf.by_period("linear", freq=None)
    assert list(folds.index) == list(range(len(wf.folds)))
    e = wf.errors()
    assert folds.loc[0, "linear RMSE"] == pytest.approx(
        np.sqrt(np.mean(e["linear"][wf.fold == 0] ** 2)))
    assert ((folds["days better"] >= 0) & (folds["days better"] <= 1)).all()


def test_bad_forecasters_are_refused(frame):
    with pytest.raises(TypeError, match="forecaster 'x'"):
        walk_forward.walk_forward(frame, {"x": 3}, first_test=400, step=40)
    with pytest.raises(ValueError, match="one target"):
        walk_forward.walk_forward(frame, {}, first_test=400, step=40, targets=["close", "open"])


def tiny_lstm(ds):
    from stocklearn import models

    return models.stacked_lstm(ds.input_shape, units=(3,), dense=None)


@pytest.fixture(scope="module")
def network_args():
    return {"forecasters": {"LSTM": walk_forward.Network(tiny_lstm, epochs=2, batch_size=64,
                                                        patience=1),
                            "linear": baselines.linear_on_window},
            "first_test": 380, "step": 50, "scheme": "sliding", "train_rows": 200,
            "val": 0.2, "window": 5, "features": ("close", "log_return"),
            "target_kind": "log_return", "seeds": (0, 1)}


@pytest.mark.keras
@pytest.mark.slow
def test_a_network_fold_does_not_depend_on_what_ran_before(frame, network_args):
    from stocklearn import training

    first = walk_forward.walk_forward(frame, **network_args)
    assert first.forecasts["LSTM"].shape == (2, len(first.rows))
    assert first.forecasts["linear"].shape == (1, len(first.rows))
    again = walk_forward.walk_forward(frame, **network_args)        # models reused
    training._traced.clear()
    fresh = walk_forward.walk_forward(frame, **network_args)        # models rebuilt
    for other in (again, fresh):
        np.testing.assert_array_equal(other.forecasts["LSTM"], first.forecasts["LSTM"])
    assert not np.array_equal(first.forecasts["LSTM"][0], first.forecasts["LSTM"][1])
    assert (first.runs.dropna(subset=["epochs"])["epochs"] <= 2).all()


@pytest.mark.keras
@pytest.mark.slow
def test_the_same_numbers_in_this_process_and_on_loky(frame, network_args):
    here = walk_forward.walk_forward(frame, **network_args)
    there = walk_forward.walk_forward(frame, **network_args, executor="loky", n_jobs=2)
    for name, values in here.forecasts.items():
        np.testing.assert_array_equal(there.forecasts[name], values)


def test_a_stored_walk_forward_is_read_back(frame, tmp_path):
    args = {"first_test": 400, "step": 40, "window": 3, "store": tmp_path}
    first = walk_forward.walk_forward(frame, {"drift": baselines.drift}, **args)
    assert len(list(tmp_path.glob("*.joblib"))) == 2 * len(first.folds)  # + persistence
    again = walk_forward.walk_forward(frame, {"drift": baselines.drift}, **args)
    np.testing.assert_array_equal(again.forecasts["drift"], first.forecasts["drift"])
    pd.testing.assert_series_equal(again.runs["seconds"], first.runs["seconds"])  # not redone
    other = walk_forward.walk_forward(frame, {"drift": partial(baselines.moving_average, n=3)},
                                      **args)  # same name, another forecaster: run afresh
    assert not np.allclose(other.forecasts["drift"], first.forecasts["drift"])
