"""Model builders: weight counts from the textbook formulas, shapes, options."""

import warnings

import numpy as np
import pytest

from stocklearn import models
from stocklearn.backend import keras
from stocklearn.settings import set_seed

W, F, U = 5, 3, 4  # window, features, units


def dense(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


@pytest.mark.parametrize(
    ("build", "recurrent"),
    [
        (models.simple_rnn, U * (U + F + 1)),
        (models.lstm, 4 * U * (U + F + 1)),
        (models.gru, 3 * U * (U + F + 2)),  # reset_after=True: two biases per gate
    ],
)
def test_single_layer_weight_counts(build, recurrent):
    model = build((W, F), units=U)
    assert model.count_params() == recurrent + dense(U, 1)
    assert model.input_shape == (None, W, F)
    assert model.output_shape == (None, 1)
    assert model.optimizer.__class__.__name__ == "Adam"


def test_lu_sizes():
    # Lu (2024) assumption: 50 units, look-back 1, one feature
    assert models.simple_rnn((1, 1)).count_params() == 50 * 52 + 51
    assert models.lstm((1, 1)).count_params() == 4 * 50 * 52 + 51


def test_stacked_lstm_weight_counts():
    model = models.stacked_lstm((W, F), units=(8, 4), dropout=0.1, dense=2, n_outputs=3,
                                loss="huber")
    expected = 4 * 8 * (8 + F + 1) + 4 * 4 * (4 + 8 + 1) + dense(4, 2) + dense(2, 3)
    assert model.count_params() == expected
    assert model.output_shape == (None, 3)
    assert [type(layer).__name__ for layer in model.layers] == [
        "LSTM", "Dropout", "LSTM", "Dropout", "Dense", "Dense"]
    assert models.stacked_lstm((W, F), units=(8,), dense=None).count_params() == (
        4 * 8 * (8 + F + 1) + dense(8, 1))


def test_compiled_options_and_no_jit_warning_under_determinism():
    set_seed(0)  # op determinism on: Keras would ignore jit_compile=True with a warning
    model = models.gru((W, F), units=U, loss="mae", learning_rate=0.01)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.01)
    x = np.zeros((4, W, F), dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, np.zeros(4), epochs=1, verbose=0)
