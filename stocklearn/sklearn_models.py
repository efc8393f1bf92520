"""Scikit-learn regressors on the flattened window, scored like the networks.

The pre-deep-learning methods that papers compare against (a support
vector regression, a small multilayer perceptron) see a window of
``window`` days x ``n_features`` as one flat vector of ``window *
n_features`` numbers, and predict the same target as the networks
(``ds.train.y``: the scaled price or the return). :func:`run` trains one
estimator per seed and returns the same
:class:`~stocklearn.experiments.Experiment` as
:func:`stocklearn.experiments.run`, so the scores sit beside persistence
and the linear baseline on the same rows (the chapters show these
functions, so their lines fit 78 columns)::

    exp = sklearn_models.run(lambda seed: sklearn_models.svr(), ds, seeds=[0])
    exp.scores["test"]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sklearn.neural_network import MLPRegressor
from sklearn.svm import SVR

from stocklearn.evaluation import score_dataset
from stocklearn.experiments import SCORED_PARTS, Experiment, repeat
from stocklearn.prep import Dataset, Windows


def flatten(windows: Windows) -> np.ndarray:
    """The inputs of ``windows``, one row each: ``(m, window * features)``.

    Row ``i`` holds window ``i`` day by day: the features of its first day,
    then of its second day, and so on.
    """
    return windows.X.reshape(len(windows), -1)


def svr(*, C: float = 1.0, epsilon: float = 0.005,
        gamma: float | str = "scale") -> SVR:
    """A support vector regression with an RBF kernel.

    ``epsilon`` is the half-width of the tube inside which errors cost
    nothing, in the units of the target: scikit-learn's default (0.1) is
    wider than most daily moves of a min-max scaled price, so the default
    here is much smaller. The fit is deterministic (no seed).
    """
    return SVR(kernel="rbf", C=C, epsilon=epsilon, gamma=gamma)


def mlp_regressor(*, hidden: tuple[int, ...] = (64, 32), seed: int = 0,
                  max_iter: int = 500, learning_rate: float = 1e-3) -> MLPRegressor:
    """A multilayer perceptron, ReLU layers ``hidden``, Adam on the MSE.

    ``seed`` fixes the initial weights and the order of the batches.
    """
    return MLPRegressor(hidden_layer_sizes=hidden, activation="relu",
                        solver="adam", learning_rate_init=learning_rate,
                        max_iter=max_iter, random_state=seed)


def fit_and_forecast(estimator: Any, ds: Dataset) -> dict[str, Any]:
    """Fit on the training windows; forecast train and test in prices.

    Returns
    -------
    dict
        ``train_pred`` and ``test_pred`` (prices, aligned with
        ``ds.actual(part)``) and ``fit_seconds``.
    """
    if len(ds.targets) != 1:
        raise ValueError(
            f"one target at a time; this data set has {ds.targets}")
    start = time.perf_counter()
    estimator.fit(flatten(ds.train), np.asarray(ds.train.y, dtype=float))
    out: dict[str, Any] = {"fit_seconds": time.perf_counter() - start}
    for part in SCORED_PARTS:
        pred = estimator.predict(flatten(ds.part(part)))
        out[f"{part}_pred"] = ds.to_price(pred, part)
    return out


def run(make: Callable[[int], Any], ds: Dataset, *,
        seeds: Iterable[int]) -> Experiment:
    """Fit ``make(seed)`` once per seed; score it beside the baselines.

    Parameters
    ----------
    make : callable
        ``make(seed)`` returns an unfitted scikit-learn regressor, e.g.
        ``lambda seed: mlp_regressor(seed=seed)``.
    ds : Dataset
        Single-target data set.
    seeds : iterable of int
        One seed is enough for a deterministic estimator (:func:`svr`).

    Returns
    -------
    Experiment
        As :func:`stocklearn.experiments.run` returns it (no model kept).
    """
    runs = repeat(lambda seed: fit_and_forecast(make(seed), ds), seeds)
    scores = {part: score_dataset(ds, {"model": runs.arrays[f"{part}_pred"]},
                                  part)
              for part in SCORED_PARTS}
    return Experiment(ds=ds, runs=runs, scores=scores)
