"""The recipe every chapter runs: train over seeds, score train and test beside the baselines."""

import numpy as np
import pandas as pd
import pytest
from conftest import assert_scores_by_hand

from stocklearn import experiments, models
from stocklearn.prep import make_dataset
from stocklearn.splits import chronological_split


@pytest.fixture(scope="module")
def ds(csi300):
    rows = csi300.loc["2014-12-08":].iloc[:360]
    return make_dataset(rows, chronological_split(rows, 300, val=60), window=5,
                        features=("close", "volume"))


def _build(ds):
    return models.lstm(ds.input_shape, units=4)


def test_run_trains_over_seeds_and_scores_both_parts(ds):
    exp = experiments.run(_build, ds, seeds=(0, 1), epochs=2, patience=1, keep_model=True)
    assert exp.forecasts("test").shape == (2, len(ds.test))
    assert exp.forecasts("train").shape == (2, len(ds.train))
    for part in ("train", "test"):
        table = exp.scores[part]
        assert list(table.index) == ["model", "persistence", "linear"]
        assert_scores_by_hand(table, ds, exp.forecasts(part), part)
    assert exp.model.input_shape == (None, *ds.input_shape)
    assert len(exp.runs.records) == 2 and "model" not in exp.runs.records[1]
    assert exp.seconds >= sum(r["fit_seconds"] for r in exp.runs.records) > 0
    with pytest.raises(ValueError, match="part"):
        exp.forecasts("val")


def test_run_is_reproducible_and_drops_models_by_default(ds):
    a = experiments.run(_build, ds, seeds=[3], epochs=2)
    b = experiments.run(_build, ds, seeds=[3], epochs=2)
    np.testing.assert_array_equal(a.forecasts("test"), b.forecasts("test"))
    pd.testing.assert_frame_equal(a.scores["test"], b.scores["test"])
    with pytest.raises(AttributeError, match="keep_model=True"):
        _ = a.model


def test_run_with_several_targets(csi300):
    rows = csi300.loc["2014-12-08":].iloc[:360]
    ds = make_dataset(rows, chronological_split(rows, 300), window=5,
                      features=("open", "high", "low", "close"),
                      targets=["open", "low", "high"])
    columns = {"open": "close"}
    exp = experiments.run(lambda d: models.associated_net(d.input_shape, units=(4,)), ds,
                          seeds=(0, 1), epochs=1, persistence_columns=columns)
    assert exp.forecasts("test").shape == (2, len(ds.test), 3)
    table = exp.scores["test"]
    assert table.index.names == ["target", "forecast"]
    for j, target in enumerate(ds.targets):
        errors = exp.forecasts("test")[..., j] - ds.actual("test")[:, j]
        assert table.loc[(target, "model"), "RMSE per seed"] == pytest.approx(
            np.sqrt((errors ** 2).mean(axis=1)).mean(), rel=1e-12)
        assert table.loc[(target, "model"), "RMSE"] == pytest.approx(  # the seed ensemble
            np.sqrt((errors.mean(axis=0) ** 2).mean()), rel=1e-12)
    assert table.loc[("open", "persistence"), "MAE"] == pytest.approx(
        np.mean(np.abs(ds.actual("test")[:, 0] - rows["close"].to_numpy()[ds.test.last_input_pos])))


def test_predict_batch_size_changes_memory_not_forecasts(ds):
    a = experiments.run(_build, ds, seeds=[1], epochs=1)
    b = experiments.run(_build, ds, seeds=[1], epochs=1, predict_batch_size=7)
    np.testing.assert_allclose(a.forecasts("test"), b.forecasts("test"), rtol=1e-5)
    np.testing.assert_allclose(a.forecasts("train"), b.forecasts("train"), rtol=1e-5)
