"""Seeds, profiles, repeats, and training that never sees the test part."""

import gc
import random
from dataclasses import replace

import numpy as np
import pytest

from stocklearn import models
from stocklearn.backend import BACKEND
from stocklearn.experiments import repeat
from stocklearn.prep import make_dataset
from stocklearn.settings import set_seed
from stocklearn.splits import chronological_split
from stocklearn.training import (
    fit,
    fit_targets,
    predict,
    release_memory,
    train_and_forecast,
)

EPOCHS = 3


@pytest.fixture(scope="module")
def rows(csi300):
    """360 real CSI 300 rows (2014-12-08 onwards)."""
    return csi300.loc["2014-12-08":].iloc[:360]


def _dataset(df):
    split = chronological_split(df, 300, val=60)
    return make_dataset(df, split, features=("close", "volume"), window=5)


def _build(ds):
    return models.lstm(ds.input_shape, units=4)


def _run(ds, seed=0):
    return train_and_forecast(_build, ds, epochs=EPOCHS, batch_size=32, patience=1, seed=seed)


# --------------------------------------------------------------------------- seeds and repeats
def test_set_seed_twice_and_same_seed_same_forecast(rows):
    set_seed(0)
    set_seed(0)  # repeated calls are fine
    ds = _dataset(rows)
    a, b, c = _run(ds, seed=0), _run(ds, seed=0), _run(ds, seed=1)
    np.testing.assert_array_equal(a["test_pred"], b["test_pred"])
    np.testing.assert_array_equal(a["train_pred"], b["train_pred"])
    assert a["history"]["loss"] == b["history"]["loss"]
    assert not np.array_equal(a["test_pred"], c["test_pred"])
    assert a["test_pred"].shape == ds.actual("test").shape
    assert a["fit_seconds"] > 0


def test_repeat_summaries():
    def experiment(seed):
        return {"seed": seed, "draw": random.random(), "forecast": np.full(3, seed),
                "model": object()}

    res = repeat(experiment, (0, 1, 2))
    assert res.seeds == (0, 1, 2)
    assert res.mean["seed"] == 1.0
    assert res.std["seed"] == pytest.approx(1.0)  # ddof 1
    assert res.arrays["forecast"].shape == (3, 3)
    assert "model" not in res.scalars.columns and "model" in res.records[0]
    assert repeat(experiment, (0, 1, 2)).scalars.equals(res.scalars)  # seeded draws
    one = repeat(experiment, [4])
    assert one.std["seed"] == 0.0
    with pytest.raises(ValueError):
        repeat(experiment, [])


# --------------------------------------------------------------------------- fit
def test_fit_logs_lines_and_epoch_times(rows, capsys):
    ds = _dataset(rows)
    set_seed(0)
    history = fit(_build(ds), ds, epochs=EPOCHS, verbose=2)
    assert len(history.history["epoch_time"]) == len(history.history["loss"]) == EPOCHS
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert "val_loss" in lines[0] and lines[0].endswith("s/epoch") and "\b" not in lines[0]


def test_fit_refuses_targets_in_the_test_part(rows):
    ds = _dataset(rows)
    with pytest.raises(ValueError, match="train windows reach into the test part"):
        fit(_build(ds), replace(ds, train=ds.test), epochs=1)
    with pytest.raises(ValueError, match="val windows reach into the test part"):
        fit(_build(ds), replace(ds, val=ds.test), epochs=1)


def test_patience_needs_a_validation_slice(rows):
    ds = make_dataset(rows, chronological_split(rows, 300), window=5)
    with pytest.raises(ValueError, match="validation slice"):
        fit(_build(ds), ds, epochs=1, patience=2)


def test_predict_shape(rows):
    ds = _dataset(rows)
    set_seed(0)
    model = models.gru((5, 2), units=3, n_outputs=2)
    assert predict(model, ds.test.X).shape == (len(ds.test), 2)
    assert predict(_build(ds), ds.test.X, batch_size=7).shape == (len(ds.test),)


# --------------------------------------------------------------------------- THE leakage test
CHAPTER_MODELS = {
    "simple_rnn": (lambda ds: models.simple_rnn(ds.input_shape, units=4),
                   "price"),
    "lstm": (lambda ds: models.lstm(ds.input_shape, units=4), "price"),
    "gru": (lambda ds: models.gru(ds.input_shape, units=4), "log_return"),
    "stacked_lstm": (lambda ds: models.stacked_lstm(ds.input_shape, units=(4, 3), dense=2,
                                                    loss="huber"),
                     "log_return"),
}


@pytest.mark.parametrize("name", list(CHAPTER_MODELS))
def test_test_rows_cannot_influence_training(rows, name):
    """Absurd test rows (prices and volume x1000) leave training bit-for-bit unchanged.

    Same seed, same split; only rows of the test part differ. If any training
    step, scaler or early-stopping decision looked at a test row, the loss
    history or the in-sample forecasts would change. Run for every builder the
    chapters use, with price and log-return targets.
    """
    build, kind = CHAPTER_MODELS[name]

    def dataset(df):
        split = chronological_split(df, 300, val=60)
        return make_dataset(df, split, features=("close", "volume"), window=5, target_kind=kind)

    def train(ds):
        return train_and_forecast(build, ds, epochs=EPOCHS, batch_size=32, patience=1, seed=0)

    ds = dataset(rows)
    absurd = rows.copy()
    absurd.iloc[ds.split.test[0]:] *= 1000.0
    ds_absurd = dataset(absurd)
    assert ds_absurd.split == ds.split
    assert not np.array_equal(ds_absurd.test.X, ds.test.X)  # the test inputs did change

    clean, poisoned = train(ds), train(ds_absurd)
    assert clean["history"]["loss"] == poisoned["history"]["loss"]
    assert clean["history"]["val_loss"] == poisoned["history"]["val_loss"]
    np.testing.assert_array_equal(clean["train_pred"], poisoned["train_pred"])
    w_clean, w_poisoned = clean["model"].get_weights(), poisoned["model"].get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(w_clean, w_poisoned, strict=True))


def test_train_and_forecast_can_drop_the_model(rows):
    ds = _dataset(rows)
    kept = train_and_forecast(_build, ds, epochs=1, seed=0)
    dropped = train_and_forecast(_build, ds, epochs=1, seed=0, keep_model=False)
    assert "model" in kept and "model" not in dropped
    np.testing.assert_array_equal(kept["test_pred"], dropped["test_pred"])
    # a model kept from an earlier run still works after later runs cleared Keras' state
    np.testing.assert_array_equal(predict(kept["model"], ds.test.X).shape,
                                  (len(ds.test),))


def test_multi_output_model_trains_on_named_targets(rows):
    split = chronological_split(rows, 300, val=30)
    ds = make_dataset(rows, split, features=("open", "high", "low", "close"),
                      targets=["open", "low", "high"], window=5)
    out = train_and_forecast(lambda d: models.associated_net(d.input_shape, units=(4,)),
                             ds, epochs=2, seed=0)
    assert out["test_pred"].shape == (len(ds.test), 3)
    assert {"open_loss", "low_loss", "high_loss", "val_loss"} <= set(out["history"])
    targets = fit_targets(out["model"], ds, "val")
    assert list(targets) == ["open", "low", "high"]
    np.testing.assert_array_equal(targets["low"], ds.val.y[:, 1])
    single = models.lstm(ds.input_shape, units=4, n_outputs=3)
    assert fit_targets(single, ds, "train") is ds.train.y
    wrong = make_dataset(rows, split, features=("close",), targets=["open", "high", "low"],
                         window=5)
    with pytest.raises(ValueError, match="same order"):
        fit(models.associated_net(wrong.input_shape, units=(4,)), wrong, epochs=1)


def test_release_memory_clears_keras_state():
    names = []
    for _ in range(2):
        release_memory()
        names.append(models.lstm((5, 2), units=4).layers[0].name)
    assert names[0] == names[1]  # layer names start afresh after each release


@pytest.mark.skipif(BACKEND != "tensorflow", reason="TensorFlow's traced graphs")
def test_release_memory_frees_the_graphs_a_fit_traced():
    from tensorflow.python.framework.func_graph import FuncGraph

    def graphs() -> int:
        release_memory()
        return sum(isinstance(o, FuncGraph) for o in gc.get_objects())

    before = graphs()
    x = np.random.default_rng(0).random((64, 5, 2), dtype=np.float32)
    model = models.lstm((5, 2), units=4)
    model.fit(x, x[:, -1, 0], epochs=1, batch_size=32, verbose=0)
    assert sum(isinstance(o, FuncGraph) for o in gc.get_objects()) > before
    del model
    assert graphs() == before  # TensorFlow's gradient registry no longer holds them
