"""One Keras builder per architecture: sizes are arguments, every layer shows.

The chapters show these builders with ``inspect.getsource``, so their lines
fit the book's 78-character code column.

Each builder takes the shape of one input window, ``(window, n_features)``
(a data set's ``ds.input_shape``), and returns a compiled :class:`keras.Model`
that maps such windows to ``n_outputs`` numbers, trained with Adam::

    model = models.lstm(ds.input_shape, units=50)

Why ``jit_compile="auto"`` (Keras' own default) everywhere: on JAX it
compiles the whole training step with XLA, which is deterministic on a CPU.
On TensorFlow XLA does speed up recurrent layers on a CPU, but Keras switches
it off whenever op determinism is on, and
:func:`stocklearn.settings.set_seed` turns that on, so ``jit_compile=True``
would only add a warning; "auto" means no XLA there. Seconds per epoch on
TensorFlow 2.21, measured with XLA but without op determinism (1200 windows,
1 feature, batch 32, 2 CPU cores; losses agree to 1e-7)::

    model       window   no XLA   XLA
    SimpleRNN        1     0.09   0.14   (same within noise)
    SimpleRNN     20/60  0.29/0.32  0.14/0.17
    LSTM             1     0.14   0.15
    LSTM          20/60  0.25/0.61  0.14/0.22
    GRU              1     0.11   0.11
    GRU           20/60  0.28/0.70  0.13/0.23

The backends side by side: ``benchmarks/results/epoch_times.csv``.
"""

from __future__ import annotations

import pandas as pd

from stocklearn.backend import STEPS_PER_EXECUTION, keras

layers = keras.layers

Loss = str | keras.losses.Loss
"""A loss name ("mse", "huber") or a Keras loss (``Huber(delta=...)``)."""

def compile_adam(
    model: keras.Model,
    *,
    loss: Loss | dict[str, Loss] = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = STEPS_PER_EXECUTION,
    loss_weights: dict[str, float] | None = None,
) -> keras.Model:
    """Compile ``model`` with Adam and ``loss``; return it.

    ``steps_per_execution`` runs that many batches per call into the
    backend (see :data:`stocklearn.backend.STEPS_PER_EXECUTION`). A model
    with several outputs takes a loss and a weight per output name; the
    loss it minimises is the weighted sum.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=loss,
        loss_weights=loss_weights,
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def simple_rnn(
    input_shape: tuple[int, int],
    *,
    units: int = 50,
    n_outputs: int = 1,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """One SimpleRNN layer and a linear output.

    ``units * (units + n_features + 1)`` weights in the SimpleRNN layer.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)``, the shape of one input window
        (``ds.input_shape``).
    units : int, default 50
    n_outputs : int, default 1
    loss : str or keras.losses.Loss, default "mse"
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"
        XLA compilation; see the module notes (off under ``set_seed``).

    Returns
    -------
    keras.Model
    """
    model = keras.Sequential([
        keras.Input(shape=tuple(input_shape)),
        layers.SimpleRNN(units),
        layers.Dense(n_outputs),
    ], name="simple_rnn")
    return compile_adam(model, loss=loss, learning_rate=learning_rate,
                        jit_compile=jit_compile)


def lstm(
    input_shape: tuple[int, int],
    *,
    units: int = 50,
    n_outputs: int = 1,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = STEPS_PER_EXECUTION,
) -> keras.Model:
    """One LSTM layer and a linear output.

    ``4 * units * (units + n_features + 1)`` weights in the LSTM layer.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)``, the shape of one input window
        (``ds.input_shape``).
    units : int, default 50
    n_outputs : int, default 1
    loss : str or keras.losses.Loss, default "mse"
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"
        XLA compilation; see the module notes (off under ``set_seed``).
    steps_per_execution : int
        Batches per call into the backend; see :func:`drnn` for when 1 is
        faster.

    Returns
    -------
    keras.Model
    """
    model = keras.Sequential([
        keras.Input(shape=tuple(input_shape)),
        layers.LSTM(units),
        layers.Dense(n_outputs),
    ], name="lstm")
    return compile_adam(model, loss=loss, learning_rate=learning_rate,
                        jit_compile=jit_compile,
                        steps_per_execution=steps_per_execution)


def gru(
    input_shape: tuple[int, int],
    *,
    units: int = 50,
    n_outputs: int = 1,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """One GRU layer and a linear output.

    ``3 * units * (units + n_features + 2)`` weights in the GRU layer:
    Keras' GRU has ``reset_after=True``, two bias vectors per gate, hence
    the ``+ 2``.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)``, the shape of one input window
        (``ds.input_shape``).
    units : int, default 50
    n_outputs : int, default 1
    loss : str or keras.losses.Loss, default "mse"
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"
        XLA compilation; see the module notes (off under ``set_seed``).

    Returns
    -------
    keras.Model
    """
    model = keras.Sequential([
        keras.Input(shape=tuple(input_shape)),
        layers.GRU(units),
        layers.Dense(n_outputs),
    ], name="gru")
    return compile_adam(model, loss=loss, learning_rate=learning_rate,
                        jit_compile=jit_compile)


def mlp(
    input_shape: tuple[int, int],
    *,
    units: int = 30,
    activation: str = "relu",
    n_outputs: int = 1,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """The window flattened, one hidden dense layer, a linear output.

    ``(window * n_features + 1) * units`` weights in the hidden layer: it
    sees every day of the window at once and knows nothing of their order.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)``, the shape of one input window
        (``ds.input_shape``).
    units : int, default 30
    activation : str, default "relu"
        Activation of the hidden layer.
    n_outputs : int, default 1
    loss : str or keras.losses.Loss, default "mse"
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"
        XLA compilation; see the module notes (off under ``set_seed``).

    Returns
    -------
    keras.Model
    """
    model = keras.Sequential([
        keras.Input(shape=tuple(input_shape)),
        layers.Flatten(),
        layers.Dense(units, activation=activation),
        layers.Dense(n_outputs),
    ], name="mlp")
    return compile_adam(model, loss=loss, learning_rate=learning_rate,
                        jit_compile=jit_compile)


def stacked_lstm(
    input_shape: tuple[int, int],
    *,
    units: tuple[int, ...] = (64, 32),
    dropout: float = 0.2,
    dense: int | None = 16,
    n_outputs: int = 1,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """LSTM layers, dropout after each, a small ReLU head, a linear output.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)``, the shape of one input window
        (``ds.input_shape``).
    units : tuple of int, default (64, 32)
        Units of each LSTM layer, first to last; all but the last return
        sequences.
    dropout : float, default 0.2
        Dropout rate after each LSTM layer.
    dense : int or None, default 16
        Units of the ReLU head; None for no head.
    n_outputs : int, default 1
    loss : str or keras.losses.Loss, default "mse"
        E.g. "huber" for a loss less sensitive to large errors.
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"
        XLA compilation; see the module notes (off under ``set_seed``).

    Returns
    -------
    keras.Model
    """
    model = keras.Sequential([keras.Input(shape=tuple(input_shape))],
                             name="stacked_lstm")
    for i, n in enumerate(units):
        model.add(layers.LSTM(n, return_sequences=i < len(units) - 1))
        model.add(layers.Dropout(dropout))
    if dense:
        model.add(layers.Dense(dense, activation="relu"))
    model.add(layers.Dense(n_outputs))
    return compile_adam(model, loss=loss, learning_rate=learning_rate,
                        jit_compile=jit_compile)


@keras.saving.register_keras_serializable(package="stocklearn")
class PositionEmbedding(layers.Layer):
    """Adds a learned vector per time step, so attention knows the order."""

    def build(self, input_shape):
        self.table = self.add_weight(shape=tuple(input_shape[1:]),
                                     initializer="zeros", name="table")

    def call(self, x):
        return x + self.table


def attention(
    input_shape: tuple[int, int],
    *,
    width: int = 16,
    heads: int = 2,
    dropout: float = 0.1,
    n_outputs: int = 1,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """One Transformer encoder block over the window, a linear output.

    Each day's features are projected to ``width`` numbers, a learned
    position vector is added, and every day attends to every day of the
    window (``MultiHeadAttention``, self-attention); then a two-layer
    feed-forward net per day, each step with a residual connection and
    layer normalisation. The last day's vector gives the output.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)`` (``ds.input_shape``).
    width : int, default 16
        Size of each day's vector (``key_dim`` per head is
        ``width // heads``).
    heads : int, default 2
    dropout : float, default 0.1
        Dropout on the attention weights and after the feed-forward net.
    n_outputs : int, default 1
    loss : str or keras.losses.Loss, default "mse"
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"

    Returns
    -------
    keras.Model
    """
    window = input_shape[0]
    inputs = keras.Input(shape=tuple(input_shape))
    x = layers.Dense(width, name="project")(inputs)
    x = PositionEmbedding(name="position")(x)
    a = layers.MultiHeadAttention(heads, width // heads, dropout=dropout,
                                  name="attention")(x, x)
    x = layers.Add(name="add_1")([x, a])
    x = layers.LayerNormalization(name="norm_1")(x)
    f = layers.Dense(2 * width, activation="relu", name="feed_forward")(x)
    f = layers.Dense(width, name="back")(f)
    f = layers.Dropout(dropout, name="dropout")(f)
    x = layers.Add(name="add_2")([x, f])
    x = layers.LayerNormalization(name="norm_2")(x)
    x = layers.Cropping1D((window - 1, 0), name="last_day")(x)
    x = layers.Flatten(name="flat")(x)
    outputs = layers.Dense(n_outputs, name="output")(x)
    model = keras.Model(inputs, outputs, name="attention")
    return compile_adam(model, loss=loss, learning_rate=learning_rate,
                        jit_compile=jit_compile)


RESNET_FILTERS = (64, 128, 256, 512)
"""Filters of the four residual stages at ``width=1`` (the paper's Table 3)."""


def residual_block(x, filters: int, name: str, bn_momentum: float = 0.9):
    """Two 3x3 convolutions with batch normalisation, added to the input.

    The shortcut is the input itself, or a 1x1 convolution with batch
    normalisation when the number of channels changes. Stride 1 and "same"
    padding keep the (days, features) shape. Convolutions feeding batch
    normalisation have no bias (it would be cancelled by the mean).
    """
    def norm(t, suffix):
        return layers.BatchNormalization(momentum=bn_momentum,
                                         name=f"{name}_{suffix}")(t)

    shortcut = x
    if x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, use_bias=False,
                                 name=f"{name}_proj")(x)
        shortcut = norm(shortcut, "proj_bn")
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      name=f"{name}_conv1")(x)
    y = norm(y, "bn1")
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      name=f"{name}_conv2")(y)
    y = norm(y, "bn2")
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


def resnet_lstm(
    input_shape: tuple[int, int],
    *,
    width: float = 1.0,
    blocks: int = 2,
    pool_padding: str = "same",
    dropout: float = 0.5,
    lstm_units: tuple[int, int] = (128, 64),
    dense: int = 32,
    bn_momentum: float = 0.9,
    n_outputs: int = 1,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 1,
) -> keras.Model:
    """ResNet + LSTM of the ResNet-LSTM paper (its Table 3).

    The window is read as a one-channel image of days x features. A 3x3
    convolution (stem), then four stages of ``blocks`` residual blocks
    with ``width`` times 64, 128, 256, 512 filters, every stride 1, a
    2x2 max-pooling of stride 1 after the stem and after every stage,
    dropout, then each day's row of the feature maps as one step of
    LSTM -> LSTM -> Dense (ReLU) -> Dense.

    The paper does not say how the poolings pad. Unpadded ("valid"), each
    removes one day and one feature: five of them take 5 features to
    none, so the table as printed cannot run on 5 features. The default
    ``pool_padding="same"`` keeps the shape (days, features) throughout.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)`` (``ds.input_shape``).
    width : float, default 1.0
        Multiplies the stage filters: 1 is the paper's 64-128-256-512;
        0.5 and 0.25 have about a quarter and a sixteenth of its
        convolution weights, and train that much faster.
    blocks : int, default 2
        Residual blocks per stage.
    pool_padding : {"same", "valid"}, default "same"
        Padding of the five max-poolings (see above).
    dropout : float, default 0.5
    lstm_units : (int, int), default (128, 64)
    dense : int, default 32
        Units of the ReLU layer before the output.
    bn_momentum : float, default 0.9
        Momentum of the batch normalisations' running mean and variance,
        which the trained model forecasts with. Keras' 0.99 needs several
        hundred batches to forget their initial values (0 and 1); a few
        hundred windows in batches of 32 make about 15 batches an epoch.
    n_outputs : int, default 1
    loss : str or keras.losses.Loss, default "mse"
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"
        XLA compilation; see the module notes (off under ``set_seed``).
    steps_per_execution : int, default 1
        Batches per call into the backend. The convolutions keep the CPU
        busy, so more batches per call save nothing here, while tracing a
        loop of 16 training steps took TensorFlow several times longer
        than tracing one.

    Returns
    -------
    keras.Model

    Raises
    ------
    ValueError
        When ``width`` is not positive, ``pool_padding`` unknown, or the
        "valid" poolings would leave no days or no features.
    """
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    if pool_padding not in ("same", "valid"):
        raise ValueError(
            f"pool_padding must be 'same' or 'valid', got {pool_padding!r}")
    days, n_features = input_shape
    if pool_padding == "valid" and min(days, n_features) <= 5:
        raise ValueError(
            f"five unpadded 2x2 poolings of stride 1 shrink {days} days x "
            f"{n_features} features by 5 along each axis, which leaves "
            "nothing: use pool_padding='same', or more days and features")
    filters = [max(1, round(f * width)) for f in RESNET_FILTERS]

    def pool(x, name):
        return layers.MaxPooling2D(2, strides=1, padding=pool_padding,
                                   name=name)(x)

    inputs = keras.Input(shape=tuple(input_shape))
    x = layers.Reshape((days, n_features, 1), name="image")(inputs)
    x = layers.Conv2D(filters[0], 3, padding="same", use_bias=False,
                      name="stem_conv")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    x = pool(x, "stem_pool")
    for s, n in enumerate(filters, start=1):
        for b in range(1, blocks + 1):
            x = residual_block(x, n, name=f"stage{s}_block{b}",
                               bn_momentum=bn_momentum)
        x = pool(x, f"stage{s}_pool")
    x = layers.Dropout(dropout, name="dropout")(x)
    _, rows, cols, channels = x.shape
    x = layers.Reshape((rows, cols * channels), name="days")(x)
    x = layers.LSTM(lstm_units[0], return_sequences=True, name="lstm1")(x)
    x = layers.LSTM(lstm_units[1], name="lstm2")(x)
    x = layers.Dense(dense, activation="relu", name="dense")(x)
    outputs = layers.Dense(n_outputs, name="output")(x)
    model = keras.Model(inputs, outputs, name="resnet_lstm")
    return compile_adam(model, loss=loss, learning_rate=learning_rate,
                        jit_compile=jit_compile,
                        steps_per_execution=steps_per_execution)


# --------------------------------------------------------------------------- Ding & Qin (2020)
def drnn_branch(x, units: tuple[int, ...], dropout: float, name: str):
    """LSTM layers with dropout after each: the body of a DRNN.

    Every LSTM layer but the last passes its whole sequence of states on;
    the result is the last layer's final state, after dropout.
    """
    for i, n in enumerate(units, start=1):
        x = layers.LSTM(n, return_sequences=i < len(units),
                        name=f"{name}_lstm{i}")(x)
        x = layers.Dropout(dropout, name=f"{name}_dropout{i}")(x)
    return x


def drnn(
    input_shape: tuple[int, int],
    *,
    units: tuple[int, ...] = (32, 32),
    dropout: float = 0.2,
    n_outputs: int = 1,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 1,
) -> keras.Model:
    """Ding & Qin's deep recurrent network (DRNN): stacked LSTM, dropout.

    The network of ``stacked_lstm(..., dense=None)``, written with the
    functional API so that :func:`associated_net` can reuse its body
    (:func:`drnn_branch`) as a branch.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)`` (``ds.input_shape``).
    units : tuple of int, default (32, 32)
        Units of each LSTM layer, first to last (ASSUMPTION: the paper
        gives no sizes).
    dropout : float, default 0.2
        Dropout rate after each LSTM layer.
    n_outputs : int, default 1
        E.g. 3 for the next open, low and high together.
    loss : str or keras.losses.Loss, default "mse"
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"
        XLA compilation; see the module notes (off under ``set_seed``).
    steps_per_execution : int, default 1
        Batches per call into the backend. One: on TensorFlow with op
        determinism (``set_seed``), tracing a loop of 16 steps of stacked
        LSTMs cost three to four times the CPU time of tracing one step
        (2 cores; the associated net, 4 epochs of 2000 windows of 20 days,
        batch 128: 41 s against 13 s), far more than the loop saves.

    Returns
    -------
    keras.Model
    """
    inputs = keras.Input(shape=tuple(input_shape), name="window")
    x = drnn_branch(inputs, units, dropout, name="drnn")
    outputs = layers.Dense(n_outputs, name="output")(x)
    model = keras.Model(inputs, outputs, name="drnn")
    return compile_adam(model, loss=loss, learning_rate=learning_rate,
                        jit_compile=jit_compile,
                        steps_per_execution=steps_per_execution)


ASSOCIATED_OUTPUTS = ("open", "low", "high")
"""Output names of :func:`associated_net`, in order: a data set's targets."""


def associated_net(
    input_shape: tuple[int, int],
    *,
    units: tuple[int, ...] = (32, 32),
    dropout: float = 0.2,
    gaps: bool = False,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 1,
) -> keras.Model:
    """Ding & Qin's associated net: three DRNN branches, next open, low, high.

    All three branches read the same window. Branch 1 predicts the open.
    Branch 2 joins that prediction to its own LSTM state and predicts the
    low. Branch 3 joins the open and the low to its own state and predicts
    the high. The loss is the mean of the three MSEs (weights 1/3), and
    every branch learns from all the losses downstream of it.

    With ``gaps=True`` the low and high heads predict non-negative gaps
    (softplus) below and above the open, so low <= open <= high by
    construction in the scaled units. It holds for the prices of any output
    when the three targets share one scale
    (``make_dataset(..., shared_target_scale=True)``); with one min-max
    scale per target only inside the training range.

    Parameters
    ----------
    input_shape : (int, int)
        ``(window, n_features)`` (``ds.input_shape``).
    units : tuple of int, default (32, 32)
        LSTM units of each branch (ASSUMPTION: the paper gives no sizes).
    dropout : float, default 0.2
        Dropout rate after each LSTM layer.
    gaps : bool, default False
        Predict the low and the high as the open minus and plus a
        non-negative gap.
    loss : str or keras.losses.Loss, default "mse"
        The loss of each output.
    learning_rate : float, default 1e-3
    jit_compile : bool or "auto", default "auto"
        XLA compilation; see the module notes (off under ``set_seed``).
    steps_per_execution : int, default 1
        Batches per call into the backend (see :func:`drnn`).

    Returns
    -------
    keras.Model
        Outputs named "open", "low", "high" (:data:`ASSOCIATED_OUTPUTS`).
    """
    inputs = keras.Input(shape=tuple(input_shape), name="window")
    # branch 1: the open
    h1 = drnn_branch(inputs, units, dropout, name="branch1")
    open_ = layers.Dense(1, name="open")(h1)
    # branch 2: the low, from the open and its own state
    h2 = drnn_branch(inputs, units, dropout, name="branch2")
    x2 = layers.Concatenate(name="branch2_concat")([open_, h2])
    if gaps:
        gap = layers.Dense(1, activation="softplus", name="low_gap")(x2)
        low = layers.Subtract(name="low")([open_, gap])
    else:
        low = layers.Dense(1, name="low")(x2)
    # branch 3: the high, from the open, the low and its own state
    h3 = drnn_branch(inputs, units, dropout, name="branch3")
    x3 = layers.Concatenate(name="branch3_concat")([open_, low, h3])
    if gaps:
        gap = layers.Dense(1, activation="softplus", name="high_gap")(x3)
        high = layers.Add(name="high")([open_, gap])
    else:
        high = layers.Dense(1, name="high")(x3)
    model = keras.Model(inputs, [open_, low, high], name="associated_net")
    names = ASSOCIATED_OUTPUTS
    return compile_adam(model, loss={n: loss for n in names},
                        loss_weights={n: 1 / len(names) for n in names},
                        learning_rate=learning_rate,
                        jit_compile=jit_compile,
                        steps_per_execution=steps_per_execution)


def _sources(node) -> list[str]:
    """Names of the layers whose outputs a (nested) inbound-node config reads."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            return [node["config"]["keras_history"][0]]
        return [s for value in node.values() for s in _sources(value)]
    if isinstance(node, (list, tuple)):
        return [s for value in node for s in _sources(value)]
    return []


def layer_table(model: keras.Model) -> pd.DataFrame:
    """Every layer of a functional model with what it reads: a readable graph.

    Parameters
    ----------
    model : keras.Model
        A functional model (e.g. :func:`associated_net`).

    Returns
    -------
    DataFrame
        Index ``layer`` (the layer names, inputs first); columns ``kind``
        (the layer class), ``output`` (shape of one sample's output),
        ``weights`` (count) and ``reads`` (the layers it takes its input
        from, comma-separated).
    """
    rows = {}
    for spec in model.get_config()["layers"]:
        layer = model.get_layer(spec["name"])
        shape = tuple(layer.output.shape)[1:]
        rows[spec["name"]] = {
            "kind": spec["class_name"],
            "output": "x".join(str(d) for d in shape),
            "weights": layer.count_params(),
            "reads": ", ".join(dict.fromkeys(_sources(spec["inbound_nodes"]))),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("layer")
