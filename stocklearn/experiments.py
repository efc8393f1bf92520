"""The recipe every chapter runs: train a model over seeds, then score it beside the baselines.

:func:`run` trains a model builder on a :class:`~stocklearn.prep.Dataset`
once per seed, forecasts the training and the test windows in prices, and
scores both parts beside persistence and the linear baseline on exactly the
same rows (:func:`stocklearn.evaluation.score_dataset`)::

    exp = experiments.run(lambda ds: models.lstm(ds.input_shape), ds,
                          seeds=profile.seeds, epochs=100)
    exp.scores["test"]          # RMSE, MAE, ... of "model", "persistence", "linear"
    exp.forecasts("test")       # (n_seeds, m) forecast prices

A data set with several targets (``targets=["open", "low", "high"]``) is
trained the same way; its forecasts are ``(n_seeds, m, k)`` and its score
tables have one block per target (index ``(target, forecast)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stocklearn.backend import keras
from stocklearn.evaluation import score_dataset
from stocklearn.prep import Dataset
from stocklearn.training import RepeatResult, repeat, train_and_forecast

SCORED_PARTS = ("train", "test")


@dataclass(frozen=True)
class Experiment:
    """What :func:`run` returns.

    Attributes
    ----------
    ds : Dataset
        The data set the model was trained and scored on.
    runs : RepeatResult
        One record per seed: ``history``, ``train_pred``, ``test_pred``,
        ``fit_seconds`` (and ``model`` for the first seed, when kept).
    scores : dict of str to DataFrame
        ``"train"`` and ``"test"``: :func:`~stocklearn.evaluation.score_dataset`
        tables with the rows ``"model"``, ``"persistence"`` and ``"linear"``.
    """

    ds: Dataset
    runs: RepeatResult
    scores: dict[str, pd.DataFrame]

    def forecasts(self, part: str = "test") -> np.ndarray:
        """Forecast prices of the windows of ``part``, shape ``(n_seeds, m)``
        (``(n_seeds, m, k)`` for ``k`` targets, in the order of ``ds.targets``)."""
        if part not in SCORED_PARTS:
            raise ValueError(f"part must be one of {SCORED_PARTS}, got {part!r}")
        return self.runs.arrays[f"{part}_pred"]

    @property
    def model(self) -> keras.Model:
        """The trained model of the first seed (``run(..., keep_model=True)``)."""
        first = self.runs.records[0]
        if "model" not in first:
            raise AttributeError("no model was kept: run the experiment with keep_model=True")
        return first["model"]

    @property
    def seconds(self) -> float:
        """Training time summed over seeds, in seconds."""
        return float(self.runs.scalars["fit_seconds"].sum())


def run(
    build: Callable[[Dataset], Any],
    ds: Dataset,
    *,
    seeds: Iterable[int],
    epochs: int,
    batch_size: int = 32,
    patience: int | None = None,
    keep_model: bool = False,
    verbose: int = 0,
    persistence_columns: Mapping[str, str] | None = None,
    predict_batch_size: int = 1024,
) -> Experiment:
    """Train ``build`` on ``ds`` once per seed; score train and test beside the baselines.

    Parameters
    ----------
    build : callable
        ``build(ds)`` returns a compiled model, e.g.
        ``lambda ds: models.lstm(ds.input_shape)``.
    ds : Dataset
        One target, or several: a model with one output of ``k`` units, or
        a model with ``k`` outputs named after the targets.
    seeds : iterable of int
        E.g. ``profile.seeds``.
    epochs, batch_size, patience, verbose
        As in :func:`stocklearn.training.fit`.
    keep_model : bool, default False
        Keep the trained model of the first seed (``Experiment.model``).
        Every kept model holds some tens of MB, so the others are dropped.
    persistence_columns : mapping of target to column, optional
        Each target's persistence forecast, as in
        :func:`~stocklearn.evaluation.score_dataset` (e.g. ``{"open": "close"}``).
    predict_batch_size : int, default 1024
        Windows per batch when forecasting
        (:func:`stocklearn.training.train_and_forecast`).

    Returns
    -------
    Experiment
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("experiments.run needs at least one seed")
    runs = repeat(
        lambda seed: train_and_forecast(
            build, ds, epochs=epochs, batch_size=batch_size, patience=patience, seed=seed,
            verbose=verbose, keep_model=keep_model and seed == seeds[0],
            predict_batch_size=predict_batch_size),
        seeds)
    scores = {part: score_dataset(ds, {"model": runs.arrays[f"{part}_pred"]}, part,
                                  persistence_columns=persistence_columns)
              for part in SCORED_PARTS}
    return Experiment(ds=ds, runs=runs, scores=scores)
