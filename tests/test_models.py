"""Model builders: weight counts from the textbook formulas, shapes, options."""

import warnings

import numpy as np
import pytest

from stocklearn import models
from stocklearn.backend import STEPS_PER_EXECUTION, keras
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


# --------------------------------------------------------------------------- ResNet + LSTM
def bn(c: int) -> int:
    return 4 * c  # gamma, beta, moving mean, moving variance


def resnet_lstm_count(width: float, days: int = 20, n_features: int = 5) -> int:
    """Weights of models.resnet_lstm by formula: paper's Table 3, 'same' poolings."""
    filters = [round(f * width) for f in models.RESNET_FILTERS]
    total = 9 * 1 * filters[0] + bn(filters[0])  # stem: 3x3 conv without bias, BN
    c_in = filters[0]
    for c in filters:
        for _ in range(2):
            total += 9 * c_in * c + bn(c) + 9 * c * c + bn(c)
            if c_in != c:
                total += c_in * c + bn(c)  # 1x1 projection and its BN
            c_in = c
    lstm_in = n_features * filters[-1]  # one step per day: features x channels
    total += 4 * 128 * (lstm_in + 128 + 1) + 4 * 64 * (128 + 64 + 1)
    return total + dense(64, 32) + dense(32, 1)


@pytest.mark.parametrize(("width", "filters", "count"), [
    (1.0, (64, 128, 256, 512), 12_605_569),
    (0.5, (32, 64, 128, 256), 3_572_193),
    (0.25, (16, 32, 64, 128), 1_147_537),
])
def test_resnet_lstm_structure_and_weight_counts(width, filters, count):
    model = models.resnet_lstm((20, 5), width=width)
    assert model.count_params() == resnet_lstm_count(width) == count
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 1 + 4 * 2 * 2 + 3  # stem, 16 in blocks, 3 projections
    assert kinds.count("BatchNormalization") == kinds.count("Conv2D")
    assert kinds.count("Add") == 8 and kinds.count("MaxPooling2D") == 5
    assert kinds.count("Dropout") == 1 and kinds[-4:] == ["LSTM", "LSTM", "Dense", "Dense"]
    pools = [layer for layer in model.layers if type(layer).__name__ == "MaxPooling2D"]
    assert [p.name for p in pools] == ["stem_pool"] + [f"stage{s}_pool" for s in range(1, 5)]
    assert [tuple(p.output.shape[1:]) for p in pools] == [
        (20, 5, filters[0]), *[(20, 5, c) for c in filters]]
    assert all(p.strides == (1, 1) and p.pool_size == (2, 2) for p in pools)
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert all(c.strides == (1, 1) for c in convs)
    assert model.get_layer("dropout").rate == 0.5
    assert model.get_layer("lstm1").units == 128 and model.get_layer("lstm2").units == 64
    assert model.get_layer("days").output.shape[1:] == (20, 5 * filters[-1])
    assert model.output_shape == (None, 1)
    assert model.optimizer.__class__.__name__ == "Adam"


def test_resnet_lstm_unpadded_poolings_need_more_than_five_days_and_features():
    with pytest.raises(ValueError, match="pool_padding='same'"):
        models.resnet_lstm((20, 5), pool_padding="valid")
    model = models.resnet_lstm((12, 8), width=0.0625, pool_padding="valid")
    assert model.get_layer("stage4_pool").output.shape[1:3] == (12 - 5, 8 - 5)
    with pytest.raises(ValueError, match="width"):
        models.resnet_lstm((20, 5), width=0)
    with pytest.raises(ValueError, match="pool_padding"):
        models.resnet_lstm((20, 5), pool_padding="full")


def test_resnet_lstm_trains_and_forecasts_with_running_statistics():
    set_seed(0)
    model = models.resnet_lstm((8, 5), width=0.0625, blocks=1)
    x = np.random.default_rng(0).random((64, 8, 5)).astype("float32")
    model.fit(x, x[:, -1, 3], epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(model.predict(x, verbose=0)).all()
    assert model.get_layer("stem_bn").momentum == 0.9


# --------------------------------------------------------------------------- Ding & Qin (2020)
def lstm_stack(n_in: int, units: tuple[int, ...]) -> int:
    total = 0
    for n in units:
        total += 4 * n * (n + n_in + 1)
        n_in = n
    return total


def test_drnn_weight_counts_and_layers():
    model = models.drnn((W, F), units=(6, 4), dropout=0.1, n_outputs=3)
    assert model.count_params() == lstm_stack(F, (6, 4)) + dense(4, 3)
    assert model.output_shape == (None, 3)
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer", "LSTM", "Dropout", "LSTM", "Dropout", "Dense"]


def test_associated_net_weight_counts_and_names():
    model = models.associated_net((W, F), units=(6, 4))
    # three DRNN bodies; heads read 4 (open), 1 + 4 (low), 2 + 4 (high) numbers
    expected = 3 * lstm_stack(F, (6, 4)) + dense(4, 1) + dense(5, 1) + dense(6, 1)
    assert model.count_params() == expected
    assert model.output_names == ["open", "low", "high"]
    assert list(models.ASSOCIATED_OUTPUTS) == model.output_names
    assert model.optimizer.__class__.__name__ == "Adam"
    gapped = models.associated_net((W, F), units=(6, 4), gaps=True)
    assert gapped.output_names == ["open", "low", "high"]
    assert gapped.count_params() == expected


def test_associated_net_wiring():
    """The low reads the open output; the high reads the open and the low outputs."""
    set_seed(0)
    model = models.associated_net((W, F), units=(U, U), dropout=0.0)
    layer = model.get_layer
    low_in, high_in = layer("branch2_concat").input, layer("branch3_concat").input
    assert low_in[0] is layer("open").output and len(low_in) == 2
    assert low_in[1] is layer("branch2_dropout2").output
    assert high_in[0] is layer("open").output and high_in[1] is layer("low").output
    assert high_in[2] is layer("branch3_dropout2").output
    # the same by behaviour: move one head's bias by 1 and watch the outputs
    x = np.random.default_rng(0).normal(size=(8, W, F)).astype("float32")

    def outputs():
        return np.concatenate([keras.ops.convert_to_numpy(o)
                               for o in model(x, training=False)], axis=1)

    def kernel(name):
        return keras.ops.convert_to_numpy(layer(name).kernel)[:, 0]

    k_low, k_high = kernel("low"), kernel("high")
    moves = {  # (open, low, high) move when the bias of the head moves by 1
        "open": (1.0, k_low[0], k_high[0] + k_high[1] * k_low[0]),
        "low": (0.0, 1.0, k_high[1]),
        "high": (0.0, 0.0, 1.0),
    }
    for name, expected in moves.items():
        before = outputs()
        bias = layer(name).bias
        bias.assign(keras.ops.add(bias, 1.0))
        np.testing.assert_allclose(outputs() - before, np.tile(expected, (8, 1)),
                                   atol=1e-5)


def test_associated_net_loss_is_the_mean_of_the_three():
    set_seed(0)
    model = models.associated_net((W, F), units=(U,), dropout=0.0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, W, F)).astype("float32")
    y = {name: rng.normal(size=16).astype("float32") for name in model.output_names}
    r = model.evaluate(x, y, return_dict=True, verbose=0)
    parts = [r[f"{name}_loss"] for name in model.output_names]
    assert r["loss"] == pytest.approx(np.mean(parts), rel=1e-5)


def test_associated_net_with_gaps_keeps_low_open_high_ordered():
    set_seed(0)
    model = models.associated_net((W, F), units=(U,), gaps=True)
    rng = np.random.default_rng(2)
    for w in model.weights:  # large random weights: the gaps vary widely
        w.assign(rng.normal(0.0, 3.0, w.shape).astype("float32"))
    x = rng.normal(size=(256, W, F)).astype("float32")
    o, lo, hi = (keras.ops.convert_to_numpy(a)[:, 0] for a in model(x, training=False))
    assert (lo <= o).all() and (o <= hi).all()
    assert (o - lo).max() > 0 and (hi - o).max() > 0


def test_layer_table_lists_what_each_layer_reads():
    model = models.associated_net((W, F), units=(U,))
    table = models.layer_table(model)
    assert table.loc["branch2_concat", "reads"] == "open, branch2_dropout1"
    assert table.loc["branch3_concat", "reads"] == "open, low, branch3_dropout1"
    assert table.loc["window", "reads"] == "" and table.loc["window", "output"] == f"{W}x{F}"
    assert table.loc["open", "kind"] == "Dense" and table.loc["high", "output"] == "1"
    assert table["weights"].sum() == model.count_params()


def test_steps_per_execution_of_the_recurrent_builders():
    assert models.drnn((W, F), units=(U,)).steps_per_execution == 1
    assert models.associated_net((W, F), units=(U,)).steps_per_execution == 1
    assert models.lstm((W, F), units=U, steps_per_execution=1).steps_per_execution == 1
    assert models.lstm((W, F), units=U).steps_per_execution == STEPS_PER_EXECUTION


# --------------------------------------------------------------------------- attention
def attention_count(window: int, n_features: int, width: int, heads: int,
                    n_outputs: int = 1) -> int:
    """Weights of models.attention by formula: one Transformer encoder block."""
    key_dim = width // heads
    projection = dense(n_features, width)
    position = window * width  # one learned vector per day
    # query, key and value: width -> heads x key_dim each, with biases; output back to width
    mha = 3 * (width * heads * key_dim + heads * key_dim) + heads * key_dim * width + width
    norms = 2 * (2 * width)  # two LayerNormalizations: gamma and beta
    feed_forward = dense(width, 2 * width) + dense(2 * width, width)
    return projection + position + mha + norms + feed_forward + dense(width, n_outputs)


@pytest.mark.parametrize(("width", "heads", "n_outputs"), [(16, 2, 1), (12, 3, 2), (8, 1, 1)])
def test_attention_weight_count_and_shapes(width, heads, n_outputs):
    model = models.attention((W, F), width=width, heads=heads, n_outputs=n_outputs)
    assert model.count_params() == attention_count(W, F, width, heads, n_outputs)
    assert model.input_shape == (None, W, F) and model.output_shape == (None, n_outputs)
    assert model.get_layer("position").table.shape == (W, width)
    assert model.optimizer.__class__.__name__ == "Adam"
    # the defaults: width 16, two heads
    assert models.attention((22, 2)).count_params() == attention_count(22, 2, 16, 2)


def test_attention_knows_the_order_of_the_days_through_the_position_table():
    set_seed(0)
    model = models.attention((W, F), width=8, heads=2)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, W, F)).astype("float32")
    shuffled = x[:, [2, 0, 3, 1, W - 1]]  # the earlier days in another order, the last kept

    def out(inputs):
        return keras.ops.convert_to_numpy(model(inputs, training=False))

    table = model.get_layer("position").table
    assert not keras.ops.convert_to_numpy(table).any()  # starts at zero
    # without positions, self-attention is a set operation: the last day's vector ignores the
    # order of the others (but not which day is last)
    np.testing.assert_allclose(out(shuffled), out(x), rtol=1e-4, atol=1e-5)
    assert not np.allclose(out(x[:, ::-1]), out(x), atol=1e-3)
    table.assign(rng.normal(0.0, 1.0, (W, 8)).astype("float32"))
    assert np.abs(out(shuffled) - out(x)).max() > 1e-3
    # dropout is only on in training
    np.testing.assert_array_equal(out(x), out(x))


def test_attention_trains_and_round_trips(tmp_path):
    set_seed(0)
    model = models.attention((W, F), width=4, heads=2, learning_rate=0.01)
    x = np.random.default_rng(6).normal(size=(32, W, F)).astype("float32")
    y = x[:, -1, 0]
    before = model.get_layer("position").get_weights()[0].copy()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert model.get_layer("position").get_weights()[0].any() and not before.any()
    path = tmp_path / "attention.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_layer_table_of_attention():
    model = models.attention((W, F), width=8, heads=2)
    table = models.layer_table(model)
    assert table["weights"].sum() == model.count_params()
    assert table.loc["position", "kind"] == "PositionEmbedding"
    assert table.loc["position", "weights"] == W * 8
    assert table.loc["attention", "reads"] == "position"  # self-attention: query = value
    assert table.loc["add_1", "reads"] == "position, attention"
    assert table.loc["add_2", "reads"] == "norm_1, dropout"
    assert table.loc["last_day", "output"] == "1x8" and table.loc["output", "output"] == "1"
    assert list(table.index[-3:]) == ["last_day", "flat", "output"]
