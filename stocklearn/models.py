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

from stocklearn.backend import STEPS_PER_EXECUTION, keras

layers = keras.layers

Loss = str | keras.losses.Loss
"""A loss name ("mse", "huber") or a Keras loss (``Huber(delta=...)``)."""

def compile_adam(
    model: keras.Model,
    *,
    loss: Loss = "mse",
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = STEPS_PER_EXECUTION,
) -> keras.Model:
    """Compile ``model`` with Adam and ``loss``; return it.

    ``steps_per_execution`` runs that many batches per call into the
    backend (see :data:`stocklearn.backend.STEPS_PER_EXECUTION`).
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=loss,
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
                        jit_compile=jit_compile)


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
