"""Score tables: models over seeds beside the baselines, on the same rows, in prices.

* :func:`score`: RMSE, MAE, MAPE, MASE and direction accuracy of several
  forecasts of the same rows: of the seed ensemble (the forecast that is
  tested), and per seed (mean and std), with the Diebold-Mariano p-value of
  the ensemble against a reference forecast (persistence by default) and a
  Clark-West p-value for the models that nest it.
* :func:`score_dataset`: :func:`score` for one part of a data set, beside
  persistence and the linear baseline on the same rows (one block per
  target for a data set with several); :func:`scaled_accuracy`: the
  "1 - MAE on scaled data" that Ding & Qin (2020) call accuracy.

The paper comparison and the display strings of these tables are in
:mod:`stocklearn.tables`; walk-forward evaluation is in
:mod:`stocklearn.walk_forward`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

from stocklearn.baselines import linear_on_window, persistence
from stocklearn.metrics import (
    METRICS,
    clark_west,
    detectable_gain,
    diebold_mariano,
    evaluate,
    rmse,
    scaled_mae,
)
from stocklearn.prep import Dataset

STD = " std"
"""Suffix of the column holding the standard deviation over seeds of another column."""

PER_SEED = " per seed"
"""Suffix of the column holding the mean over seeds of each seed's own score."""


def _seeds(forecast, m: int, name: Hashable) -> np.ndarray:
    """A forecast as an (n_seeds, m) float array."""
    a = np.asarray(forecast, dtype=float)
    a = a[None, :] if a.ndim == 1 else a
    if a.ndim != 2 or a.shape[1] != m:
        raise ValueError(f"forecast {name!r} has shape {np.shape(forecast)}; expected ({m},) or "
                         f"(n_seeds, {m}) for {m} actual values (score one target at a time)")
    return a


def score(
    actual,
    forecasts: Mapping[str, np.ndarray | list],
    *,
    previous,
    train_series,
    reference: str | None = "persistence",
    loss: str = "squared",
    nested: Iterable[str] = (),
    against: Iterable[str] = (),
) -> pd.DataFrame:
    """Score several forecasts of the same rows, each over one or more seeds.

    Parameters
    ----------
    actual : array-like, shape (m,)
        True prices of the forecast rows (e.g. ``ds.actual("test")``).
    forecasts : mapping of name to array-like
        Each forecast in prices, shape ``(m,)`` or ``(n_seeds, m)`` (a list of
        per-seed arrays works too), e.g. ``{"LSTM": result.arrays["test_pred"],
        "persistence": persistence(ds), "linear": linear_on_window(ds)}``.
    previous : array-like, shape (m,)
        Actual price on each window's last input row (for direction accuracy).
    train_series : array-like
        The target over the training rows (for the MASE scale).
    reference : str or None, default "persistence"
        Name of the forecast the others are tested against; None for no test.
    loss : {"squared", "absolute"}, default "squared"
        Loss of the Diebold-Mariano test: squared for verdicts on RMSE,
        absolute for verdicts on MAE.
    nested : iterable of str, optional
        Forecasts that contain the reference as a special case (the linear
        baseline, a model of returns, when the reference is persistence):
        they also get a Clark-West p-value.
    against : iterable of str, optional
        Further forecasts to test every row against (e.g. ``("linear",)``):
        a column ``DM p <name>`` each.

    Returns
    -------
    DataFrame
        One row per forecast. Columns RMSE, MAE, MAPE (%), MASE and DA
        (share) score **the forecast that is tested**: the seed ensemble (the
        mean over seeds of the forecasts), or the one forecast. Then, for
        each metric ``M``, ``M per seed`` and ``M per seed std``: the mean
        and std (ddof 1; NaN for one seed) of each seed's own score, what
        a single training run gives. Then ``seeds``, ``DM p``, ``CW p``,
        ``detectable`` and one ``DM p <name>`` per name in ``against``.

    Notes
    -----
    ``DM p`` is the two-sided p-value of the Diebold-Mariano test
    (:func:`stocklearn.metrics.diebold_mariano`, horizon 1, Newey-West
    variance) of equal accuracy of the row's forecast (the seed ensemble)
    and the reference, so the p-value belongs to the number in ``RMSE``.
    ``CW p`` is the one-sided Clark-West p-value
    (:func:`stocklearn.metrics.clark_west`) for the rows in ``nested``
    (NaN elsewhere). ``detectable`` is the power of that comparison: the
    smallest relative RMSE gain over the reference that the test would
    detect with 80 % power at the 5 % level on these rows
    (:func:`stocklearn.metrics.detectable_gain`); NaN where the forecast is
    significantly worse than the reference (the test had the power to tell).
    The reference's own row is NaN.
    """
    actual = np.asarray(actual, dtype=float)
    m = len(actual)
    if reference is not None and reference not in forecasts:
        raise ValueError(f"reference forecast {reference!r} is not among the forecasts "
                         f"{list(forecasts)}; add it or pass reference=None")
    nested = set(nested)
    against = tuple(against)
    unknown = (nested | set(against)) - set(forecasts)
    if unknown:
        raise ValueError(f"nested/against names {sorted(unknown)} are not among the "
                         f"forecasts {list(forecasts)}")
    ref = None if reference is None else _seeds(forecasts[reference], m, reference).mean(axis=0)
    others = {o: _seeds(forecasts[o], m, o).mean(axis=0) for o in against}
    rows = {}
    for name, forecast in forecasts.items():
        seeds = _seeds(forecast, m, name)
        ensemble = seeds.mean(axis=0)
        row = evaluate(actual, ensemble, previous=previous,
                       train_series=train_series).to_dict()
        per_seed = pd.DataFrame([evaluate(actual, s, previous=previous, train_series=train_series)
                                 for s in seeds])
        for metric in METRICS:
            row[metric + PER_SEED] = per_seed[metric].mean()
            row[metric + PER_SEED + STD] = (per_seed[metric].std(ddof=1) if len(seeds) > 1
                                            else np.nan)
        row["seeds"] = len(seeds)
        if ref is not None:
            tested = name != reference
            row["DM p"] = (diebold_mariano(actual - ensemble, actual - ref, loss=loss)[1]
                           if tested else np.nan)
            row["CW p"] = (clark_west(actual, ref, ensemble)[1]
                           if tested and name in nested else np.nan)
            # the power of a "no better" verdict; moot (NaN) where the test found the
            # forecast significantly worse
            worse = row["DM p"] < 0.05 and row["RMSE"] > rmse(actual, ref)
            row["detectable"] = (detectable_gain(actual - ref, e_model=actual - ensemble)
                                 if tested and not worse else np.nan)
        for other, forecast_other in others.items():
            row[f"DM p {other}"] = (np.nan if name == other else diebold_mariano(
                actual - ensemble, actual - forecast_other, loss=loss)[1])
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _per_target(ds: Dataset, forecasts: Mapping[str, np.ndarray | list], part: str,
                persistence_columns: Mapping[str, str] | None):
    """The forecasts plus persistence and linear, split by target.

    Yields ``(target, forecasts of that target, its persistence forecast)``;
    a forecast of a k-target data set is ``(m, k)`` or ``(n_seeds, m, k)``.
    """
    k = len(ds.targets)
    pers = persistence(ds, part, columns=persistence_columns)
    every = {**forecasts, "persistence": pers, "linear": linear_on_window(ds, part)}
    if k == 1:
        yield ds.targets[0], every, pers
        return
    m = len(ds.part(part))
    arrays = {}
    for name, forecast in every.items():
        a = np.asarray(forecast, dtype=float)
        if a.shape[-2:] != (m, k) or a.ndim not in (2, 3):
            raise ValueError(f"forecast {name!r} has shape {a.shape}; expected ({m}, {k}) or "
                             f"(n_seeds, {m}, {k}) for the targets {ds.targets}")
        arrays[name] = a
    for j, target in enumerate(ds.targets):
        yield target, {name: a[..., j] for name, a in arrays.items()}, pers[:, j]


def _stack(tables: dict[str, pd.DataFrame], ds: Dataset) -> pd.DataFrame:
    """One table, or the tables of several targets stacked under a (target, forecast) index."""
    if len(ds.targets) == 1:
        return tables[ds.targets[0]]
    return pd.concat(tables, names=["target", "forecast"])


def score_dataset(
    ds: Dataset, forecasts: Mapping[str, np.ndarray | list], part: str = "test", *,
    persistence_columns: Mapping[str, str] | None = None,
    loss: str = "squared",
    nested: Iterable[str] = (),
) -> pd.DataFrame:
    """Score forecasts of one part of a data set beside persistence and the linear baseline.

    The standard call of every chapter: the forecasts, the persistence
    forecast and :func:`~stocklearn.baselines.linear_on_window`, all on
    exactly the windows of ``ds.part(part)``, in price units, with
    Diebold-Mariano p-values against persistence. A data set with several
    targets is scored one target at a time, each on the same rows.

    Parameters
    ----------
    ds : Dataset
    forecasts : mapping of name to array-like
        Model forecasts in prices, shape ``(m,)`` or ``(n_seeds, m)``; with
        ``k`` targets ``(m, k)`` or ``(n_seeds, m, k)``, columns in the order
        of ``ds.targets``.
    part : {"train", "val", "test"}, default "test"
    persistence_columns : mapping of target to column, optional
        Which column's value on the last input row is each target's
        persistence forecast (:func:`~stocklearn.baselines.persistence`),
        e.g. ``{"open": "close"}``. Direction accuracy is measured from the
        same value.
    loss : {"squared", "absolute"}, default "squared"
        Loss of the Diebold-Mariano tests (:func:`score`).
    nested : iterable of str, optional
        Forecasts that nest persistence (a model of returns); the linear
        baseline always does. They also get a Clark-West p-value.

    Returns
    -------
    DataFrame
        As :func:`score` (with ``DM p linear``: each forecast against the
        linear baseline), rows ``*forecasts, "persistence", "linear"``;
        with several targets one such block per target under a
        ``(target, forecast)`` index.
    """
    train = ds.train_series().reshape(-1, len(ds.targets))
    tables = {
        target: score(ds.actual(part).reshape(-1, len(ds.targets))[:, j], every,
                      previous=pers, train_series=train[:, j], loss=loss,
                      nested=("linear", *nested), against=("linear",))
        for j, (target, every, pers) in enumerate(
            _per_target(ds, forecasts, part, persistence_columns))
    }
    return _stack(tables, ds)


ACCURACY = "1-sMAE"
"""Column of :func:`scaled_accuracy`: Ding & Qin's "average accuracy", 1 - scaled MAE."""


def scaled_accuracy(
    ds: Dataset, forecasts: Mapping[str, np.ndarray | list], part: str = "test", *,
    persistence_columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Ding & Qin's "average accuracy", ``1 - MAE`` on min-max scaled data, of every forecast.

    The same forecasts and baselines as :func:`score_dataset`, scored by
    ``1 - metrics.scaled_mae`` with the training range of each target (the
    range its min-max scaler is fit on). Chapter 5 shows why this number is
    not an accuracy; report it only beside errors in prices.

    Parameters
    ----------
    ds, forecasts, part, persistence_columns
        As :func:`score_dataset`.

    Returns
    -------
    DataFrame
        Rows as :func:`score_dataset`; columns ``1-sMAE`` (mean over
        seeds), ``1-sMAE std`` (ddof 1; NaN for one forecast) and ``seeds``.
    """
    k = len(ds.targets)
    train = ds.train_series().reshape(-1, k)
    actual = ds.actual(part).reshape(-1, k)
    tables = {}
    for j, (target, every, _) in enumerate(_per_target(ds, forecasts, part,
                                                       persistence_columns)):
        rows = {}
        for name, forecast in every.items():
            seeds = _seeds(forecast, len(actual), name)
            values = [1.0 - scaled_mae(actual[:, j], s, train[:, j]) for s in seeds]
            rows[name] = {ACCURACY: np.mean(values),
                          ACCURACY + STD: np.std(values, ddof=1) if len(values) > 1 else np.nan,
                          "seeds": len(values)}
        tables[target] = pd.DataFrame.from_dict(rows, orient="index")
    return _stack(tables, ds)
