"""Scikit-learn regressors on the flattened window, scored like the Keras models."""

import time

import numpy as np
import pytest
from conftest import assert_scores_by_hand
from sklearn.linear_model import LinearRegression

from stocklearn import sklearn_models
from stocklearn.prep import make_dataset
from stocklearn.splits import chronological_split


@pytest.fixture(scope="module")
def ds(csi300):
    rows = csi300.loc["2014-12-08":].iloc[:300]
    return make_dataset(rows, chronological_split(rows, 240), window=4,
                        features=("close", "volume"))


def test_flatten_keeps_days_in_order(ds):
    flat = sklearn_models.flatten(ds.test)
    assert flat.shape == (len(ds.test), 4 * 2)
    np.testing.assert_array_equal(flat[3, 2:4], ds.test.X[3, 1])  # day 2: close, volume


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_run_scores_like_experiments(ds):
    def make(seed):
        return sklearn_models.mlp_regressor(hidden=(8,), seed=seed, max_iter=50)

    exp = sklearn_models.run(make, ds, seeds=(0, 1))
    assert exp.forecasts("test").shape == (2, len(ds.test))
    for part in ("train", "test"):
        assert_scores_by_hand(exp.scores[part], ds, exp.forecasts(part), part)
    again = sklearn_models.run(make, ds, seeds=(1,))
    np.testing.assert_array_equal(again.forecasts("test")[0], exp.forecasts("test")[1])


def test_forecasts_are_prices_of_the_fitted_model(ds):
    class SlowFit(LinearRegression):
        def fit(self, X, y):
            time.sleep(0.2)
            return super().fit(X, y)

    out = sklearn_models.fit_and_forecast(SlowFit(), ds)
    fitted = LinearRegression().fit(sklearn_models.flatten(ds.train), ds.train.y)
    expected = ds.to_price(fitted.predict(sklearn_models.flatten(ds.test)), "test")
    np.testing.assert_allclose(out["test_pred"], expected)
    assert out["train_pred"].shape == ds.actual("train").shape
    assert 0.2 <= out["fit_seconds"] < 5  # the fit, timed


def test_svr_is_deterministic_and_near_the_prices(ds):
    a = sklearn_models.run(lambda seed: sklearn_models.svr(), ds, seeds=(0,))
    b = sklearn_models.run(lambda seed: sklearn_models.svr(), ds, seeds=(5,))
    np.testing.assert_array_equal(a.forecasts("test"), b.forecasts("test"))
    assert a.scores["train"].loc["model", "MAPE"] < 5  # percent


def test_multi_target_is_refused(csi300):
    rows = csi300.iloc[:100]
    two = make_dataset(rows, chronological_split(rows, 80), targets=("close", "open"))
    with pytest.raises(ValueError, match="one target"):
        sklearn_models.fit_and_forecast(LinearRegression(), two)
