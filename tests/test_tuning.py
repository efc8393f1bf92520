"""Particle swarm search and the validation objective."""

import numpy as np
import pytest

from stocklearn import models, training, tuning
from stocklearn.prep import make_dataset
from stocklearn.settings import set_seed
from stocklearn.splits import chronological_split


def test_pso_finds_the_minimum_of_a_bowl():
    res = tuning.pso(lambda a, b: (a - 1.0) ** 2 + (b + 2.0) ** 2,
                     {"a": (-5.0, 5.0), "b": (-5.0, 5.0)}, particles=12, iterations=30)
    assert res.best["a"] == pytest.approx(1.0, abs=0.05)
    assert res.best["b"] == pytest.approx(-2.0, abs=0.05)
    assert len(res.history) == 12 * 30
    assert res.value == res.history["value"].min()


def test_pso_rounds_integers_stays_in_bounds_and_is_seeded():
    seen = []

    def objective(n, x):
        seen.append((n, x))
        return np.nan if n == 3 else abs(n - 7) + x

    kw = {"particles": 4, "iterations": 5, "integer": ["n"], "seed": 3}
    res = tuning.pso(objective, {"n": (1, 10), "x": (0.0, 1.0)}, **kw)
    assert all(isinstance(n, int) and 1 <= n <= 10 and 0 <= x <= 1 for n, x in seen)
    assert res.best["n"] != 3 and isinstance(res.best["n"], int)
    again = tuning.pso(objective, {"n": (1, 10), "x": (0.0, 1.0)}, **kw)
    assert again.best == res.best


@pytest.mark.parametrize(("bounds", "kw", "match"), [
    ({}, {}, "at least one"),
    ({"a": (1.0, 0.0)}, {}, "low < high"),
    ({"a": (0.0, 1.0)}, {"integer": ["b"]}, "not in bounds"),
    ({"a": (0.0, 1.0)}, {"particles": 0}, ">= 1"),
])
def test_pso_rejects_bad_arguments(bounds, kw, match):
    with pytest.raises(ValueError, match=match):
        tuning.pso(lambda **p: 0.0, bounds, **kw)


def test_validation_rmse_uses_the_validation_slice(csi300):
    rows = csi300.loc["2014-12-08":].iloc[:260]
    ds = make_dataset(rows, chronological_split(rows, 200, val=40), window=3)
    build = lambda d: models.lstm(d.input_shape, units=4)  # noqa: E731
    value = tuning.validation_rmse(build, ds, epochs=1, seed=0)
    # the same network, trained and scored here on the 40 validation windows
    set_seed(0)
    model = build(ds)
    training.fit(model, ds, epochs=1)
    forecast = ds.to_price(training.predict(model, ds.val.X), "val")
    assert len(forecast) == 40
    assert value == pytest.approx(np.sqrt(np.mean((ds.actual("val") - forecast) ** 2)),
                                  rel=1e-6)
    # the test rows (200..259) cannot move it
    moved = rows.copy()
    moved.iloc[200:] *= 2
    moved_ds = make_dataset(moved, chronological_split(moved, 200, val=40), window=3)
    assert tuning.validation_rmse(build, moved_ds, epochs=1, seed=0) == value
    no_val = make_dataset(rows, chronological_split(rows, 200), window=3)
    with pytest.raises(ValueError, match="validation slice"):
        tuning.validation_rmse(build, no_val, epochs=1)
