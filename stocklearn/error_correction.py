"""Two-stage forecasts: a network, corrected by a forecast of its own error.

Bao et al. (2021) forecast the next day's high in two stages:

1. **NN1** (an LSTM, a GRU or an MLP of 30 units with a linear output)
   forecasts the target ``y[t]`` from the last days' data: ``f[t]``.
2. Its errors ``e[t] = y[t] - f[t]`` form a series, and **NN2** forecasts
   the next error from the last ``window`` errors: ``g[t]``.
3. The final forecast is ``f[t] + g[t]``.

A forecast of row ``t`` is made the evening before, so NN2 may only read
errors of days whose actual value is known by then: ``e[t - window]`` up
to ``e[t - 1]``. :func:`error_windows` is the one place that cuts those
windows, and it refuses a window that would read a missing error.

**Where NN2's training errors come from.** The paper trains NN2 on NN1's
errors on the very rows NN1 was fit on (*in-sample* errors). Those are
smaller and differently distributed than the errors NN1 makes on new
rows, which are what NN2 meets on the test rows. Here NN1 is fit on the
training period without its last part, the data set's validation slice
(the *tail*, ``chronological_split(..., val=0.2)``); NN1 then forecasts
the tail, rows it never saw, and its errors there (*held-out* errors)
train NN2: :func:`second_stage` with ``errors="held-out"``.
``errors="in-sample"`` trains NN2 on the same NN1's errors on its own
training rows, the paper's way, kept for comparison. Both correct the
same NN1, so the only difference between them is what NN2 learned from;
and every error NN2 reads on the test rows (the tail's last days
included) is an out-of-sample error of that NN1.

Pieces:

* :func:`build` and :func:`fit_network`: the three networks, and a fit
  that reuses each architecture's traced training step (much faster when
  a grid trains hundreds of small networks; the same numbers for the same
  seed).
* :class:`FirstStage` (NN1 fitted, forecasts any frame) and
  :class:`ErrorCorrector` (NN2 fitted, with its error scale).
* :func:`first_stage` and :func:`second_stage`: the bodies of the grid
  tasks of chapter 6 (arrays in, arrays out).
* :func:`score`: RMSE, MAPE, MASE and direction accuracy (the paper's Dstat)
  as the paper reports them.
* :func:`autocorrelation`: is there structure in an error series for NN2
  to find? (Ljung-Box test.)

The functions the chapter shows fit the book's 78-character code column.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stocklearn import metrics, models, prep, training
from stocklearn.backend import keras
from stocklearn.grid import describe
from stocklearn.prep import Dataset, FittedScaler
from stocklearn.settings import set_seed

KINDS = ("LSTM", "GRU", "MLP")
"""The networks either stage can be (the paper's three)."""

ERRORS = ("held-out", "in-sample")
"""Where NN2's training errors come from (see the module notes)."""

UNITS = 30
"""Units of each network (Bao et al. 2021, Section 3)."""

_BUILDERS = {"LSTM": models.lstm, "GRU": models.gru, "MLP": models.mlp}

Rows = Sequence[int] | np.ndarray


# ------------------------------------------------------------------ networks
def build(kind: str, input_shape: tuple[int, int], *, units: int = UNITS,
          learning_rate: float = 1e-3) -> keras.Model:
    """A compiled LSTM, GRU or MLP of ``units`` units, linear output.

    Parameters
    ----------
    kind : {"LSTM", "GRU", "MLP"}
    input_shape : (int, int)
        ``(window, n_features)``.
    units : int, default 30
    learning_rate : float, default 1e-3
        Adam's step size.

    Returns
    -------
    keras.Model
        :func:`stocklearn.models.lstm`, :func:`~stocklearn.models.gru` or
        :func:`~stocklearn.models.mlp` (ReLU hidden layer).
    """
    if kind not in _BUILDERS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return _BUILDERS[kind](tuple(input_shape), units=units,
                           learning_rate=learning_rate)


def fit_network(
    kind: str,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 32,
    seed: int,
    units: int = UNITS,
    learning_rate: float = 1e-3,
) -> keras.Model:
    """Train a new network of one kind on ``(X, y)`` and return it.

    The network starts from the weights :func:`build` draws after
    ``set_seed(seed)`` and sees every training window ``epochs`` times,
    in an order shuffled with the same seed.

    Two shortcuts make the hundreds of small fits of a grid several times
    faster without changing what is learned. (1) The training runs on the
    traced copy of the architecture that :func:`stocklearn.training.traced_model`
    keeps per process, reset to the seed's initial state; its trained
    weights are copied into a new model. (2) Each Keras epoch starts a new
    input pipeline, which on TensorFlow costs more than an epoch of training
    here: Keras runs one epoch over ``epochs`` copies of the windows,
    shuffled together, so each window is still seen exactly ``epochs``
    times. Same seed, same numbers, in any order and in any process.

    Parameters
    ----------
    kind : {"LSTM", "GRU", "MLP"}
    X : ndarray, shape (m, window, n_features)
    y : ndarray, shape (m,)
    epochs : int
        Passes over the training windows.
    batch_size : int, default 32
    seed : int
    units : int, default 30
    learning_rate : float, default 1e-3

    Returns
    -------
    keras.Model
        Trained; :func:`outputs` forecasts with it.

    Raises
    ------
    ValueError
        For an empty or non-finite training set, or ``epochs < 1``.
    """
    X = np.asarray(X, dtype="float32")
    y = np.asarray(y, dtype="float32").reshape(len(X), -1)
    if X.ndim != 3 or len(X) == 0:
        raise ValueError("X must have shape (m > 0, window, n_features), "
                         f"got {X.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("training windows or targets hold NaN or "
                         "infinite values")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    shape = (int(X.shape[1]), int(X.shape[2]))
    network = functools.partial(build, kind, shape, units=units,
                                learning_rate=learning_rate)
    runner = training.traced_model(network, seed, key=describe(network))
    passes = int(epochs)
    runner.fit(np.concatenate([X] * passes), np.concatenate([y] * passes),
               epochs=1, batch_size=batch_size, shuffle=True, verbose=0)
    set_seed(seed)
    model = network()
    model.set_weights(runner.get_weights())
    return model


def outputs(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """The model's output for windows ``X``, a 1-D array (no tracing)."""
    out = model(np.asarray(X, dtype="float32"), training=False)
    out = keras.ops.convert_to_numpy(out)
    return np.asarray(out, dtype=float).reshape(len(X))


# -------------------------------------------------------------------- errors
def error_windows(errors: np.ndarray, targets: Rows,
                  window: int) -> np.ndarray:
    """NN2's inputs: for each target row ``t``, the errors of ``t - window``
    up to ``t - 1``, never of ``t`` itself or later.

    Parameters
    ----------
    errors : ndarray, shape (n,)
        Error of each row, ``actual - NN1's forecast``; NaN where unknown.
    targets : sequence of int
        Rows whose error is to be forecast.
    window : int
        Number of past errors NN2 reads.

    Returns
    -------
    ndarray, shape (len(targets), window, 1)

    Raises
    ------
    ValueError
        When a window would reach before the first row or read a missing
        error.
    """
    e = np.asarray(errors, dtype=float)
    t = np.asarray(targets, dtype=int).reshape(-1)
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    if len(t) and (t.min() < window or t.max() >= len(e)):
        raise ValueError(f"target rows must lie in [{window}, {len(e)}) so "
                         f"that {window} errors precede each; got "
                         f"{t.min()}..{t.max()}")
    X = e[t[:, None] - window + np.arange(window)]  # rows t-window .. t-1
    if not np.isfinite(X).all():
        bad = t[~np.isfinite(X).all(axis=1)][:5].tolist()
        raise ValueError(f"the {window} errors before target rows {bad} "
                         "are not all known")
    return X[:, :, None]


def usable_targets(errors: np.ndarray, rows: Rows,
                   window: int) -> np.ndarray:
    """The rows whose error and the ``window`` errors before it are known."""
    e = np.asarray(errors, dtype=float)
    r = np.asarray(rows, dtype=int).reshape(-1)
    r = r[r >= window]
    before = e[r[:, None] - window + np.arange(window)]
    return r[np.isfinite(e[r]) & np.isfinite(before).all(axis=1)]


@dataclass(frozen=True)
class ErrorCorrector:
    """NN2: a network that forecasts NN1's next error from its last errors.

    Errors are standardised with the mean and standard deviation of the
    training errors before NN2 sees them, and its output is turned back
    into price units.

    Attributes
    ----------
    model : keras.Model
    window : int
        Past errors read per forecast.
    mean, scale : float
        Standardisation of the errors.
    """

    model: keras.Model
    window: int
    mean: float
    scale: float

    @classmethod
    def fit(cls, kind: str, errors: np.ndarray, targets: Rows, *,
            window: int = 5, epochs: int, batch_size: int = 32, seed: int,
            units: int = UNITS, learning_rate: float = 1e-3
            ) -> ErrorCorrector:
        """Train NN2 to forecast ``errors[t]`` from the errors before it.

        Parameters
        ----------
        kind : {"LSTM", "GRU", "MLP"}
        errors : ndarray, shape (n,)
            Errors by row (NaN where unknown or not to be used).
        targets : sequence of int
            Training rows (see :func:`usable_targets`).
        window, epochs, batch_size, seed, units, learning_rate
            As :func:`fit_network`.
        """
        e = np.asarray(errors, dtype=float)
        t = np.asarray(targets, dtype=int)
        if len(t) == 0:
            raise ValueError("NN2 needs a training row with known errors")
        y = e[t]
        if not np.isfinite(y).all():
            raise ValueError("some training rows of NN2 have no known error")
        mean = float(y.mean())
        scale = float(y.std()) or 1.0
        X = (error_windows(e, t, window) - mean) / scale
        model = fit_network(kind, X, (y - mean) / scale, epochs=epochs,
                            batch_size=batch_size, seed=seed, units=units,
                            learning_rate=learning_rate)
        return cls(model=model, window=int(window), mean=mean, scale=scale)

    def correct(self, errors: np.ndarray, targets: Rows) -> np.ndarray:
        """NN2's forecast of each target row's error, in price units."""
        X = error_windows(errors, targets, self.window)
        X = (X - self.mean) / self.scale
        return outputs(self.model, X) * self.scale + self.mean


# ----------------------------------------------------------------------- NN1
@dataclass(frozen=True)
class FirstStage:
    """NN1 fitted on a data set's training windows; forecasts any frame.

    Attributes
    ----------
    model : keras.Model
    features : tuple of str
    target : str
    window : int
    target_kind : str
    scaler : FittedScaler
        The data set's input scaler (fit on its training rows).
    target_scaler : FittedScaler or None
    """

    model: keras.Model
    features: tuple[str, ...]
    target: str
    window: int
    target_kind: str
    scaler: FittedScaler
    target_scaler: FittedScaler | None

    @classmethod
    def fit(cls, kind: str, ds: Dataset, *, epochs: int,
            batch_size: int = 32, seed: int, units: int = UNITS,
            learning_rate: float = 1e-3) -> FirstStage:
        """Train NN1 on ``ds.train`` (one target, one day ahead)."""
        if len(ds.targets) != 1 or ds.train.horizon != 1:
            raise ValueError("NN1 forecasts one target one day ahead")
        training.check_no_test_targets(ds)
        model = fit_network(kind, ds.train.X, ds.train.y, epochs=epochs,
                            batch_size=batch_size, seed=seed, units=units,
                            learning_rate=learning_rate)
        return cls(model=model, features=tuple(ds.features),
                   target=ds.targets[0], window=ds.window,
                   target_kind=ds.target_kind, scaler=ds.scaler,
                   target_scaler=ds.target_scaler)

    def forecast(self, frame: pd.DataFrame) -> np.ndarray:
        """Forecast of every row of ``frame`` with ``window`` rows before it.

        Row ``t``'s forecast reads rows ``t - window .. t - 1`` only.

        Returns
        -------
        ndarray, shape (len(frame),)
            Prices; NaN for the first ``window`` rows.
        """
        x = self.scaler.transform(frame[list(self.features)]).to_numpy()
        w = prep.make_windows(x, np.zeros(len(frame)), self.window)
        raw = outputs(self.model, w.X)
        prices = frame[self.target].to_numpy(dtype=float)
        if self.target_kind == "price":
            value = self.target_scaler.inverse(raw, 0)
        elif self.target_kind == "log_return":
            value = prices[w.target_pos - 1] * np.exp(raw)
        else:
            value = prices[w.target_pos - 1] * (1.0 + raw)
        out = np.full(len(frame), np.nan)
        out[w.target_pos] = value
        return out


# ---------------------------------------------------------------- grid tasks
def first_stage(kind: str, ds: Dataset, *, epochs: int,
                batch_size: int = 32, seed: int, units: int = UNITS,
                learning_rate: float = 1e-3) -> dict[str, Any]:
    """Fit NN1 on the training windows and forecast every row.

    Parameters
    ----------
    kind : {"LSTM", "GRU", "MLP"}
    ds : Dataset
        One target; its validation slice (the tail of the training
        period) is where NN2 learns NN1's out-of-sample errors.
    epochs, batch_size, seed, units, learning_rate
        As :func:`fit_network`.

    Returns
    -------
    dict
        ``nn1 forecast``: NN1's forecast of every row of ``ds.frame``
        (in-sample on the training rows, out of sample on the tail and
        the test rows; NaN for the first ``window`` rows), and
        ``nn1 fit s``.
    """
    start = time.perf_counter()
    nn1 = FirstStage.fit(kind, ds, epochs=epochs, batch_size=batch_size,
                         seed=seed, units=units, learning_rate=learning_rate)
    seconds = time.perf_counter() - start
    return {"nn1 forecast": nn1.forecast(ds.frame), "nn1 fit s": seconds}


def second_stage(kind: str, ds: Dataset, first: dict[str, Any], *,
                 errors: str = "held-out", window: int = 5, epochs: int,
                 batch_size: int = 32, seed: int, units: int = UNITS,
                 learning_rate: float = 1e-3) -> dict[str, Any]:
    """Fit NN2 on NN1's errors and correct NN1's test forecasts.

    Parameters
    ----------
    kind : {"LSTM", "GRU", "MLP"}
    ds : Dataset
        The data set ``first`` was made from.
    first : dict
        From :func:`first_stage`.
    errors : {"held-out", "in-sample"}, default "held-out"
        Train NN2 on NN1's errors on the validation slice (rows NN1 never
        saw), or (the paper's way) on its errors on its training rows.
    window : int, default 5
        Past errors NN2 reads (the paper does not say).
    epochs, batch_size, seed, units, learning_rate
        As :func:`fit_network`.

    Returns
    -------
    dict
        ``forecast`` (final, test rows), ``correction`` (NN2's part),
        ``nn2 rows`` (its training rows) and ``nn2 fit s``.
    """
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {ERRORS}, got {errors!r}")
    nn1 = first["nn1 forecast"]
    live = ds.frame[ds.targets[0]].to_numpy(dtype=float) - nn1
    part = ds.val if errors == "held-out" else ds.train
    rows = part.target_pos
    if len(rows) == 0:
        raise ValueError(f"errors={errors!r} finds no rows: held-out "
                         "errors need a validation slice (val=...)")
    if rows.max() >= ds.split.test[0]:
        raise ValueError("NN2's training errors reach into the test part")
    learn = np.full(len(live), np.nan)  # only these errors train NN2
    learn[rows] = live[rows]
    rows = usable_targets(learn, rows, window)
    start = time.perf_counter()
    nn2 = ErrorCorrector.fit(kind, learn, rows, window=window,
                             epochs=epochs, batch_size=batch_size, seed=seed,
                             units=units, learning_rate=learning_rate)
    seconds = time.perf_counter() - start
    test = ds.test.target_pos
    correction = nn2.correct(live, test)  # reads errors before each row
    return {"forecast": nn1[test] + correction, "correction": correction,
            "nn2 rows": len(rows), "nn2 fit s": seconds}


# -------------------------------------------------------------------- scores
def score(actual, forecast, previous) -> dict[str, float]:
    """RMSE, MAPE (%), MASE and DA of a forecast of consecutive rows.

    MASE is scaled here by the mean absolute day-to-day change of the
    *scored* rows (the persistence forecast's MAE), which is what the
    paper's numbers imply (their MAE / MASE equals that change on the
    test period): these rows, and the value before them, are the
    ``scale_series`` of :func:`stocklearn.metrics.mase` (the chapters' score
    tables scale by the training period). Below 1 means more accurate than
    persistence on these rows.
    DA is :func:`stocklearn.metrics.direction_accuracy`, the paper's Dstat.

    Parameters
    ----------
    actual, forecast, previous : array-like, shape (m,)
        Actual values, forecasts and the actual value of the day before
        each row (``previous[i] == actual[i - 1]``).

    Returns
    -------
    dict
    """
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    p = np.asarray(previous, dtype=float)
    if not np.allclose(p[1:], a[:-1]):
        raise ValueError("score needs consecutive rows: previous[i] must "
                         "equal actual[i - 1]")
    return {"RMSE": metrics.rmse(a, f), "MAPE": metrics.mape(a, f),
            "MASE": metrics.mase(a, f, scale_series=np.concatenate([p[:1], a])),
            "DA": metrics.direction_accuracy(a, f, p)}


def autocorrelation(errors, lags: int = 10) -> pd.DataFrame:
    """Autocorrelation of an error series, and the Ljung-Box test.

    Parameters
    ----------
    errors : array-like
        Errors in time order (NaN dropped).
    lags : int, default 10

    Returns
    -------
    DataFrame
        Index lag 1..lags; columns ``acf`` and ``Ljung-Box p`` (the
        p-value of the test that the autocorrelations at lags 1..k are
        all zero).
    """
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.tsa.stattools import acf

    e = np.asarray(errors, dtype=float)
    e = e[np.isfinite(e)]
    if len(e) <= lags + 1:
        raise ValueError(f"{len(e)} errors are too few for {lags} lags")
    box = acorr_ljungbox(e, lags=lags)
    return pd.DataFrame({"acf": acf(e, nlags=lags, fft=True)[1:],
                         "Ljung-Box p": box["lb_pvalue"].to_numpy()},
                        index=pd.RangeIndex(1, lags + 1, name="lag"))
