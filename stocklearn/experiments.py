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

from stocklearn.evaluation import score_dataset
from stocklearn.prep import Dataset
from stocklearn.settings import set_seed

SCORED_PARTS = ("train", "test")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


@dataclass(frozen=True)
class RepeatResult:
    """What :func:`repeat` returns: one record per seed and summaries.

    Attributes
    ----------
    seeds : tuple of int
    records : list of dict
        What the experiment returned for each seed, in seed order.
    """

    seeds: tuple[int, ...]
    records: list[dict[str, Any]]

    @property
    def scalars(self) -> pd.DataFrame:
        """The scalar entries, one row per seed."""
        rows = [{k: v for k, v in r.items() if _is_scalar(v)} for r in self.records]
        return pd.DataFrame(rows, index=pd.Index(self.seeds, name="seed"), dtype=float)

    @property
    def mean(self) -> pd.Series:
        """Mean of each scalar entry over seeds."""
        return self.scalars.mean()

    @property
    def std(self) -> pd.Series:
        """Standard deviation of each scalar entry over seeds (ddof 1; 0 for one seed)."""
        table = self.scalars
        return table.std(ddof=1) if len(table) > 1 else table.std(ddof=0)

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The array entries stacked over seeds: shape ``(n_seeds, ...)``."""
        keys = [k for k, v in self.records[0].items() if isinstance(v, np.ndarray)]
        return {k: np.stack([r[k] for r in self.records]) for k in keys}


def repeat(fn: Callable[[int], Mapping[str, Any]], seeds: Iterable[int]) -> RepeatResult:
    """Run ``fn(seed)`` after :func:`stocklearn.settings.set_seed` for each seed.

    Parameters
    ----------
    fn : callable
        Returns a dict of scalars (RMSE, seconds), arrays (forecasts) and
        anything else (models, histories: kept in ``records`` only).
    seeds : iterable of int
        E.g. ``profile.seeds``.

    Returns
    -------
    RepeatResult
        ``.mean`` / ``.std`` of the scalars, ``.arrays`` stacked over seeds,
        ``.records`` per seed.
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("repeat needs at least one seed")
    records = []
    for seed in seeds:
        set_seed(seed)
        records.append(dict(fn(seed)))
    return RepeatResult(seeds=seeds, records=records)


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
    def model(self) -> Any:
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
    from stocklearn.training import train_and_forecast  # loads Keras

    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("experiments.run needs at least one seed")
    runs = repeat(
        lambda seed: train_and_forecast(
            build, ds, epochs=epochs, batch_size=batch_size, patience=patience, seed=seed,
            verbose=verbose, keep_model=keep_model and seed == seeds[0],
            predict_batch_size=predict_batch_size),
        seeds)
    # a model of returns nests persistence (a forecast return of 0): Clark-West applies
    nested = () if ds.target_kind == "price" else ("model",)
    scores = {part: score_dataset(ds, {"model": runs.arrays[f"{part}_pred"]}, part,
                                  persistence_columns=persistence_columns, nested=nested)
              for part in SCORED_PARTS}
    return Experiment(ds=ds, runs=runs, scores=scores)
