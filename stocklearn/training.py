"""Training without a look at the test part.

* :func:`fit` trains on the training windows of a :class:`~stocklearn.prep.Dataset`,
  early-stops on its validation slice, and refuses any window whose target
  lies in the test part.
* :func:`train_and_forecast` seeds, builds, fits and forecasts in prices
  (after :func:`release_memory`).
* :func:`traced_model` keeps one traced copy of an architecture per process,
  reset to the state a seed gives a new model: the many small fits of a
  walk-forward (:mod:`stocklearn.walk_forward`) or of the error-correction
  grid (:mod:`stocklearn.error_correction`) trace their training step once.

Seeds and run profiles live in :mod:`stocklearn.settings`; the one recipe
"train over seeds, then score beside the baselines" is
:func:`stocklearn.experiments.run` (over seeds with :func:`stocklearn.experiments.repeat`).
"""

from __future__ import annotations

import ctypes
import gc
import time
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from stocklearn.backend import BACKEND, keras
from stocklearn.prep import Dataset
from stocklearn.settings import set_seed


# --------------------------------------------------------------------------- fit
class EpochLog(keras.callbacks.Callback):
    """Time every epoch; print one clean line every ``every`` epochs (0: never).

    Keras' own ``verbose=1`` progress bar writes backspaces into notebooks;
    this prints e.g. ``epoch 10/100  loss 0.0012  val_loss 0.0015  0.4 s/epoch``.
    """

    def __init__(self, every: int = 0) -> None:
        super().__init__()
        self.every = every
        self.times: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.times.append(time.perf_counter() - self._start)
        done, total = epoch + 1, self.params.get("epochs", epoch + 1)
        if self.every and (done % self.every == 0 or done in (1, total)):
            values = "  ".join(f"{k} {v:.4g}" for k, v in (logs or {}).items())
            recent = self.times[-self.every:]
            print(f"epoch {done}/{total}  {values}  {np.mean(recent):.2g} s/epoch", flush=True)


def check_no_test_targets(ds: Dataset) -> None:
    """Raise ValueError when a training or validation target lies in the test part."""
    first_test = ds.split.test[0]
    for name in ("train", "val"):
        pos = ds.part(name).target_pos
        if len(pos) and pos.max() >= first_test:
            raise ValueError(
                f"{name} windows reach into the test part: a target at row {int(pos.max())}, "
                f"but the test part starts at row {first_test}"
            )


def fit_targets(model: keras.Model, ds: Dataset, part: str):
    """The targets of ``ds.part(part)`` as ``model`` takes them in ``fit``.

    A model with one output gets the ``(m,)`` or ``(m, k)`` array. A model
    with several named outputs (the associated net of chapter 5) gets a
    dict, one ``(m,)`` array per output, matched by name to the data set's
    targets.

    Raises
    ------
    ValueError
        When a multi-output model's output names are not the data set's
        targets in the same order.
    """
    y = ds.part(part).y
    names = list(model.output_names) if len(model.outputs) > 1 else []
    if not names:
        return y
    if names != list(ds.targets):
        raise ValueError(f"the model's outputs {names} must be the data set's targets "
                         f"{list(ds.targets)}, in the same order")
    return {name: y[:, j] for j, name in enumerate(names)}


def fit(
    model: keras.Model,
    ds: Dataset,
    *,
    epochs: int,
    batch_size: int = 32,
    patience: int | None = None,
    verbose: int = 0,
    shuffle: bool = True,
) -> keras.callbacks.History:
    """Train ``model`` on the training windows of ``ds``; never on its test part.

    Parameters
    ----------
    model : keras.Model
        A compiled model taking ``ds.train.X``. A model with several outputs
        must name them after the data set's targets (:func:`fit_targets`).
    ds : Dataset
        Made by :func:`stocklearn.prep.make_dataset`.
    epochs : int
        Maximum number of epochs.
    batch_size : int, default 32
    patience : int, optional
        Stop when the validation loss has not improved for ``patience`` epochs
        and restore the best weights. Needs a validation slice
        (``chronological_split(..., val=...)``).
    verbose : int, default 0
        0 prints nothing; ``k > 0`` prints one line every ``k`` epochs
        (and after the first and the last).
    shuffle : bool, default True
        Shuffle the training windows every epoch (their order in time is kept
        inside each window).

    Returns
    -------
    keras.callbacks.History
        ``history.history`` holds ``loss`` (and ``val_loss`` when there is a
        validation slice) per epoch, and ``epoch_time``, seconds per epoch.

    Raises
    ------
    ValueError
        When a training or validation target lies in the test part, or when
        ``patience`` is given without a validation slice.
    """
    check_no_test_targets(ds)
    has_val = len(ds.val) > 0
    if patience is not None and not has_val:
        raise ValueError("early stopping (patience) needs a validation slice; split with val=...")
    log = EpochLog(every=verbose)
    callbacks: list[keras.callbacks.Callback] = [log]
    if patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True))
    history = model.fit(
        ds.train.X, fit_targets(model, ds, "train"),
        validation_data=(ds.val.X, fit_targets(model, ds, "val")) if has_val else None,
        epochs=epochs, batch_size=batch_size, shuffle=shuffle, callbacks=callbacks, verbose=0,
    )
    history.history["epoch_time"] = log.times
    if verbose and patience is not None and len(log.times) < epochs:
        best = int(np.argmin(history.history["val_loss"])) + 1
        print(f"early stop after epoch {len(log.times)}; weights of epoch {best} restored")
    return history


def predict(model: keras.Model, X: np.ndarray, *, batch_size: int = 1024) -> np.ndarray:
    """Model output for ``X`` as a NumPy array, quietly and in large batches.

    Parameters
    ----------
    model : keras.Model
    X : ndarray, shape (m, window, n_features)
    batch_size : int, default 1024

    Returns
    -------
    ndarray
        Shape (m,) for one output, (m, k) for ``k`` outputs (the outputs of a
        multi-output model are joined along the last axis).
    """
    out = model.predict(X, batch_size=batch_size, verbose=0)
    parts = out if isinstance(out, (list, tuple)) else [out]
    pred = np.concatenate([np.asarray(p).reshape(len(X), -1) for p in parts], axis=-1)
    return pred[:, 0] if pred.shape[-1] == 1 else pred


def release_memory() -> None:
    """Clear Keras' global state, drop TensorFlow's stale gradients, and return freed memory.

    Called before every training run of :func:`train_and_forecast` and
    :func:`stocklearn.tuning.validation_rmse`, and when the cache of
    :func:`traced_model` starts afresh. Three leaks
    would otherwise add up over the dozens of models of a chapter:

    * Keras' global state (layer names, the default graph): cleared by
      ``keras.backend.clear_session``.
    * On TensorFlow, every traced training step registers the gradients of
      its ``tf.custom_gradient`` ops in TensorFlow's global gradient registry
      under ``CustomGradient-<n>`` and never removes them; each entry keeps
      the whole traced graph alive, and with it copies of the weights: about
      10 MB per small LSTM and 250 MB per width-1 ResNet + LSTM (TensorFlow
      2.21). Registered gradients are only read while a graph is traced, so
      dropping them afterwards is safe.
    * On Linux with glibc, freed memory stays in the process's heap, and in
      its resident size, until ``malloc_trim`` hands it back.
    """
    keras.backend.clear_session()
    if BACKEND == "tensorflow":
        _drop_custom_gradients()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _drop_custom_gradients() -> None:
    """Remove TensorFlow's registered ``CustomGradient-<n>`` entries (see release_memory)."""
    from tensorflow.python.framework import ops  # private: no public way to unregister

    registry = getattr(getattr(ops, "gradient_registry", None), "_registry", None)
    if isinstance(registry, dict):
        for name in [n for n in registry if n.startswith("CustomGradient-")]:
            del registry[name]


def train_and_forecast(
    build: Callable[[Dataset], keras.Model],
    ds: Dataset,
    *,
    epochs: int,
    batch_size: int = 32,
    patience: int | None = None,
    seed: int,
    verbose: int = 0,
    keep_model: bool = True,
    predict_batch_size: int = 1024,
) -> dict[str, Any]:
    """Seed, build, fit, and forecast the training and test windows in prices.

    Keras' global state is cleared first, so that many runs in one notebook do
    not pile up memory (models returned earlier keep working).

    Parameters
    ----------
    build : callable
        ``build(ds)`` returns a compiled model, e.g.
        ``lambda ds: models.lstm(ds.input_shape)``.
    ds : Dataset
    epochs, batch_size, patience, verbose
        Passed to :func:`fit`.
    seed : int
        Passed to :func:`stocklearn.settings.set_seed` before the model is built.
    keep_model : bool, default True
        Return the trained model too. Each kept model holds some tens of MB
        of TensorFlow state: over many seeds keep only the one you need.
    predict_batch_size : int, default 1024
        Windows per batch when forecasting. Large batches are fast for small
        networks; a wide convolutional network needs its activations for the
        whole batch at once, so give it its training batch size.

    Returns
    -------
    dict
        ``model`` (if kept), ``history`` (its ``.history`` dict), ``train_pred`` and
        ``test_pred`` (prices, aligned with ``ds.actual("train")`` and
        ``ds.actual("test")``), ``fit_seconds``.
    """
    release_memory()
    set_seed(seed)
    model = build(ds)
    start = time.perf_counter()
    history = fit(model, ds, epochs=epochs, batch_size=batch_size, patience=patience,
                  verbose=verbose)
    fit_seconds = time.perf_counter() - start
    result = {
        "history": history.history,
        "train_pred": ds.to_price(
            predict(model, ds.train.X, batch_size=predict_batch_size), "train"),
        "test_pred": ds.to_price(
            predict(model, ds.test.X, batch_size=predict_batch_size), "test"),
        "fit_seconds": fit_seconds,
    }
    if keep_model:
        result["model"] = model
    return result


# --------------------------------------------------------------------------- traced models
TRACED_MODELS = 8
"""Traced models :func:`traced_model` keeps per process (one per architecture)."""

_traced: dict[Hashable, tuple[keras.Model, dict[int, list[np.ndarray]]]] = {}


def _state(model: keras.Model) -> list:
    """Every variable a fit changes: weights, seed states, metrics, optimizer slots."""
    return [*model.variables, *model.optimizer.variables]


def _initial_state(build: Callable[[], keras.Model], seed: int) -> tuple[keras.Model, list]:
    """A model built after ``set_seed(seed)``, and a copy of its whole state."""
    set_seed(seed)
    model = build()
    model.optimizer.build(model.trainable_variables)
    return model, [keras.ops.convert_to_numpy(v) for v in _state(model)]


def _warm_up(model: keras.Model) -> None:
    """One training step on zeros, so that every real fit is a later one.

    On JAX (and PyTorch) a Keras model's first ``fit`` draws differently from
    its later ones from the same state; every state this step changes is
    reset by :func:`traced_model` before a real fit. TensorFlow needs no
    warm-up (its shuffles and draws follow the seed alone), and there a step
    on targets of another rank than the real fits' would make Keras retrace
    the step for any rank, which it cannot.
    """
    x = np.zeros((1, *model.input_shape[1:]), "float32")
    y = [np.zeros((1, *out.shape[1:]), "float32") for out in model.outputs]
    model.fit(x, y if len(y) > 1 else y[0], epochs=1, verbose=0)


def traced_model(build: Callable[[], keras.Model], seed: int, *,
                 key: Hashable) -> keras.Model:
    """The model ``build()`` gives after ``set_seed(seed)``, as a reused, traced copy.

    Tracing a model's training step takes seconds, longer than fitting a
    small network on a few hundred windows. So one model is kept per
    architecture (``key``), with the initial state of every seed it was
    asked for (a model built after that seed, copied: weights, the layers'
    random-seed states and the optimizer's slots). Off TensorFlow it is
    warmed up by one training step when it is first built. Each call resets
    it to the seed's state and calls :func:`~stocklearn.settings.set_seed`
    again, so a fit that follows does not depend on what the model trained
    before, nor on the process: same seed, same numbers. At most :data:`TRACED_MODELS`
    architectures are kept; then the cache starts afresh
    (:func:`release_memory`).

    Parameters
    ----------
    build : callable
        ``build()`` returns a compiled model.
    seed : int
    key : hashable
        The same for every ``build`` of the same architecture (layers, input
        shape, loss, optimizer): e.g. the builder's
        :func:`stocklearn.grid.describe` and the input shape.

    Returns
    -------
    keras.Model
        The kept model, valid until the next call: train it with :func:`fit`
        (or ``model.fit``), then copy out what you need.
    """
    entry = _traced.get(key)
    if entry is None:
        if len(_traced) >= TRACED_MODELS:
            _traced.clear()
            release_memory()
        model, initial = _initial_state(build, seed)
        if BACKEND != "tensorflow":
            _warm_up(model)
        entry = _traced[key] = (model, {int(seed): initial})
    model, initial = entry
    if int(seed) not in initial:
        initial[int(seed)] = _initial_state(build, seed)[1]
    for variable, value in zip(_state(model), initial[int(seed)], strict=True):
        variable.assign(value)
    set_seed(seed)
    return model
