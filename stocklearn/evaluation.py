"""Comparison tables: models over seeds against baselines, and our numbers against the paper's.

* :func:`score`: RMSE, MAE, MAPE, MASE and direction accuracy of several
  forecasts of the same rows, mean and std over seeds, and a Diebold-Mariano
  p-value against a reference forecast (persistence by default).
* :func:`score_dataset`: :func:`score` for one part of a data set, beside
  persistence and the linear baseline on the same rows (one block per
  target for a data set with several); :func:`scaled_accuracy`: the
  "1 - MAE on scaled data" that Ding & Qin (2020) call accuracy.
* :func:`paper_comparison`: the book's table, one row per experiment: the
  paper's number and its source, ours (mean and std over seeds), the
  baselines, and the DM p-value of ours against persistence.
* :func:`format_table`: the same table as strings ("58.31 ± 1.20",
  "<0.001"), ready to show in a notebook or a Jupyter Book page.
* :func:`walk_forward`: walk-forward (rolling-origin) evaluation of networks
  and baselines: refit every ``step`` rows on an expanding or a sliding
  window (scalers refit inside every fold), forecast the next block, stitch
  the blocks; the folds run through :func:`stocklearn.grid.run`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stocklearn.baselines import linear_on_window, persistence
from stocklearn.grid import describe
from stocklearn.metrics import METRICS, diebold_mariano, evaluate, scaled_mae
from stocklearn.prep import Dataset, Split, _count, make_dataset
from stocklearn.settings import set_seed

STD = " std"
# "mean ± std" never breaks across lines in a table: no-break spaces around ±.
PLUS_MINUS = "\u00a0±\u00a0"
"""Suffix of the column holding the standard deviation over seeds of another column."""


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

    Returns
    -------
    DataFrame
        One row per forecast; columns RMSE, MAE, MAPE (%), MASE, DA (share),
        each the mean over seeds, each followed by its ``" std"`` over seeds
        (ddof 1; NaN for a single forecast), ``seeds``, and ``DM p``.

    Notes
    -----
    ``DM p`` is the two-sided p-value of the Diebold-Mariano test
    (:func:`stocklearn.metrics.diebold_mariano`, squared errors, horizon 1)
    of equal accuracy of this forecast and the reference. For a forecast over
    several seeds the test uses the errors of the seed-mean forecast (an
    ensemble of the seeds), so it answers "is this model, averaged over
    seeds, more accurate than the reference?". The reference's own row is NaN.
    """
    actual = np.asarray(actual, dtype=float)
    m = len(actual)
    if reference is not None and reference not in forecasts:
        raise ValueError(f"reference forecast {reference!r} is not among the forecasts "
                         f"{list(forecasts)}; add it or pass reference=None")
    ref_error = (None if reference is None
                 else actual - _seeds(forecasts[reference], m, reference).mean(axis=0))
    rows = {}
    for name, forecast in forecasts.items():
        seeds = _seeds(forecast, m, name)
        per_seed = pd.DataFrame([evaluate(actual, s, previous=previous, train_series=train_series)
                                 for s in seeds])
        row: dict[str, float] = {}
        for metric in METRICS:
            row[metric] = per_seed[metric].mean()
            row[metric + STD] = per_seed[metric].std(ddof=1) if len(seeds) > 1 else np.nan
        row["seeds"] = len(seeds)
        if ref_error is not None:
            row["DM p"] = (np.nan if name == reference else
                           diebold_mariano(actual - seeds.mean(axis=0), ref_error)[1])
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _paper_values(paper: pd.Series | pd.DataFrame, column: str | None) -> pd.DataFrame:
    """The paper's numbers as a frame with columns ``paper`` and ``source``."""
    if isinstance(paper, pd.Series):
        return pd.DataFrame({"paper": paper.astype(float), "source": paper.attrs.get("source")})
    numeric = [c for c in paper.columns if c != "source"]
    if column is None:
        if len(numeric) != 1:
            raise ValueError(f"the paper's table has columns {numeric}: say which with column=")
        column = numeric[0]
    source = paper["source"] if "source" in paper.columns else None
    return pd.DataFrame({"paper": paper[column].astype(float), "source": source})


def _comparison(paper: pd.Series | pd.DataFrame, column: str | None,
                rows: Mapping[Hashable, dict]) -> pd.DataFrame:
    """Join the paper's numbers with our rows, in the paper's order then ours."""
    table = _paper_values(paper, column)
    ours = pd.DataFrame.from_dict(rows, orient="index")
    if isinstance(table.index, pd.MultiIndex) and len(ours):
        ours.index = pd.MultiIndex.from_tuples(ours.index, names=table.index.names)
    else:
        ours.index.name = table.index.name
    extra = [k for k in ours.index if k not in table.index]
    return table.reindex(list(table.index) + extra).join(ours)


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

    Returns
    -------
    DataFrame
        As :func:`score`, with rows ``*forecasts, "persistence", "linear"``;
        with several targets one such block per target under a
        ``(target, forecast)`` index.
    """
    train = ds.train_series().reshape(-1, len(ds.targets))
    tables = {
        target: score(ds.actual(part).reshape(-1, len(ds.targets))[:, j], every,
                      previous=pers, train_series=train[:, j])
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


def paper_comparison(
    paper: pd.Series | pd.DataFrame,
    scores: Mapping[Hashable, pd.DataFrame],
    *,
    model: str | Mapping[Hashable, str] = "model",
    metric: str = "RMSE",
    baselines: Iterable[str] = ("persistence", "linear"),
    column: str | None = None,
) -> pd.DataFrame:
    """The book's table: the paper's number beside ours and the baselines, per experiment.

    Parameters
    ----------
    paper : Series or DataFrame
        The paper's numbers indexed by experiment, e.g. ``papers.lu2024_rmse()``
        (index (index, model)); a ``source`` column is carried along.
    scores : mapping of experiment to DataFrame
        The output of :func:`score` (or :func:`score_dataset`) for each
        experiment. Keys are index labels of ``paper`` (tuples for a
        MultiIndex); experiments the paper lacks are appended.
    model : str or mapping of experiment to str, default "model"
        The row of each score table that is "ours".
    metric : str, default "RMSE"
        Column of the score tables to compare (the paper's metric).
    baselines : iterable of str, default ("persistence", "linear")
        Rows of the score tables shown as baseline columns (skipped when absent).
    column : str, optional
        Which column of ``paper`` holds the number (e.g. "test"); needed when
        it has more than one besides ``source``.

    Returns
    -------
    DataFrame
        Columns paper, source, ours, ours std (ddof 1; NaN for one seed),
        seeds, one per baseline, and DM p (the score table's, against its
        reference forecast). Render it with :func:`format_table`.
    """
    rows = {}
    for key, table in scores.items():
        name = model if isinstance(model, str) else model[key]
        row = table.loc[name]
        rows[key] = {"ours": row[metric], "ours" + STD: row[metric + STD],
                     "seeds": row["seeds"]}
        for b in baselines:
            if b in table.index:
                rows[key][b] = table.loc[b, metric]
        if "DM p" in table.columns:
            rows[key]["DM p"] = row["DM p"]
    return _comparison(paper, column, rows)


def _number(value, decimals: int) -> str:
    return "–" if pd.isna(value) else f"{value:.{decimals}f}"


def _p_value(value) -> str:
    return "–" if pd.isna(value) else ("<0.001" if value < 0.001 else f"{value:.3f}")


def format_table(df: pd.DataFrame, decimals: int | Mapping[str, int] = 2) -> pd.DataFrame:
    """The table as strings for display: "58.31 ± 1.20", p-values "0.003" or "<0.001".

    Every column ``c`` that has a ``c + " std"`` partner becomes ``"mean ± std"``
    (just the mean when the std is NaN); ``p`` columns (``DM p``) get three
    decimals; ``seeds`` stays an integer; text columns are kept; missing
    values show as "–".

    Parameters
    ----------
    df : DataFrame
        From :func:`score` or :func:`paper_comparison`.
    decimals : int or mapping of column to int, default 2
        Decimals of numbers; a mapping gives them per column (others get 2).

    Returns
    -------
    DataFrame
        Same index, the std columns folded in, all cells strings.
    """
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        if col.endswith(STD) and col[: -len(STD)] in df.columns:
            continue
        d = decimals.get(col, 2) if isinstance(decimals, Mapping) else decimals
        values = df[col]
        if col == "seeds":
            out[col] = [_number(v, 0) for v in values]
        elif col == "p" or col.endswith(" p"):
            out[col] = [_p_value(v) for v in values]
        elif not pd.api.types.is_numeric_dtype(values):
            out[col] = ["–" if pd.isna(v) else str(v) for v in values]
        elif col + STD in df.columns:
            out[col] = [_number(v, d) + ("" if pd.isna(s) else f"{PLUS_MINUS}{s:.{d}f}")
                        for v, s in zip(values, df[col + STD], strict=True)]
        else:
            out[col] = [_number(v, d) for v in values]
    return out


# --------------------------------------------------------------------------- walk-forward
SCHEMES = ("expanding", "sliding")


@dataclass(frozen=True)
class Fold:
    """One fold of a walk-forward evaluation: row ranges ``(start, end)``, end excluded.

    Attributes
    ----------
    number : int
        0, 1, ... in time order.
    train : tuple of int
        Rows the model (and the scaler) is fit on.
    val : tuple of int
        Validation slice at the end of the training period (empty when
        ``start == end``): early stopping watches it.
    test : tuple of int
        The block of rows forecast with this fold's fit.
    gap : int
        Rows left out before the validation slice and before the test block.
    """

    number: int
    train: tuple[int, int]
    val: tuple[int, int]
    test: tuple[int, int]
    gap: int = 0

    def split(self, n: int, index: pd.DatetimeIndex | None = None, offset: int = 0) -> Split:
        """The fold as a :class:`~stocklearn.prep.Split` of ``n`` rows from row ``offset`` on."""
        def shift(part: tuple[int, int]) -> tuple[int, int]:
            return part[0] - offset, part[1] - offset
        return Split(n=n, train=shift(self.train), val=shift(self.val), test=shift(self.test),
                     gap=self.gap, index=index)


def _row(value, n: int, index, what: str, *, first: bool) -> int:
    """A row position, or a date: the first row on or after it (``first``), else the
    number of rows up to and including it."""
    if isinstance(value, (float, np.floating)) and not float(value).is_integer():
        raise TypeError(f"{what} must be a row position or a date, got {value}")
    if first and (isinstance(value, (str, pd.Timestamp, np.datetime64)) or hasattr(value, "year")):
        if index is None:
            raise ValueError(f"{what} given as a date needs a dated series (a DatetimeIndex)")
        return int(index.searchsorted(pd.Timestamp(value), side="left"))
    return _count(value, n, index, what)


def walk_forward_folds(
    data: int | pd.DataFrame | pd.Series | pd.DatetimeIndex,
    *,
    first_test: int | str | pd.Timestamp,
    step: int,
    end: int | str | pd.Timestamp | None = None,
    scheme: str = "expanding",
    train_rows: int | None = None,
    val: int | float = 0,
    gap: int = 0,
) -> list[Fold]:
    """Cut a series into walk-forward (rolling-origin) folds.

    The test rows from ``first_test`` up to ``end`` are cut into blocks of
    ``step`` rows (the last block may be shorter). The model is refit before
    each block on the rows before it: all earlier rows (``"expanding"``) or
    only the last ``train_rows`` (``"sliding"``). Each training period ends
    with an optional validation slice, as in
    :func:`~stocklearn.prep.chronological_split`.

    Parameters
    ----------
    data : int, DataFrame, Series or DatetimeIndex
        The series (or its length).
    first_test : int or date
        First test row: a row position, or a date (the first row on or after
        it), e.g. ``"2015-01-01"`` for the first trading day of 2015.
    step : int
        Rows per test block: the model is refit every ``step`` rows.
    end : int or date, optional
        End of the test rows: a row count (exclusive) or a last date
        (inclusive). Default: the end of the series.
    scheme : {"expanding", "sliding"}, default "expanding"
    train_rows : int, optional
        Length of the training period (validation slice included) of the
        sliding scheme; not used by the expanding one.
    val : int or float, default 0
        Validation slice at the end of each training period: rows, or a
        fraction of the training period.
    gap : int, default 0
        Rows left out before the validation slice and before each test block.

    Returns
    -------
    list of Fold
        In time order; their test blocks are adjacent and cover exactly the
        rows ``first_test .. end - 1``.

    Raises
    ------
    ValueError
        On an unknown scheme, a missing or unused ``train_rows``, a step
        below 1, or folds that would have no training rows.
    """
    index = None
    if isinstance(data, (int, np.integer)):
        n = int(data)
    else:
        index = data if isinstance(data, pd.DatetimeIndex) else data.index
        n = len(index)
        index = index if isinstance(index, pd.DatetimeIndex) else None
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if scheme == "sliding" and (train_rows is None or int(train_rows) < 1):
        raise ValueError("the sliding scheme needs train_rows, the length of each training "
                         "period")
    if scheme == "expanding" and train_rows is not None:
        raise ValueError("train_rows is the length of the sliding window; the expanding "
                         "scheme trains on every earlier row (leave train_rows out)")
    if isinstance(step, (bool, np.bool_)) or int(step) != step or step < 1:
        raise ValueError(f"step must be a positive number of rows, got {step}")
    if gap < 0:
        raise ValueError(f"gap must not be negative, got {gap}")
    start = _row(first_test, n, index, "first_test", first=True)
    stop = n if end is None else _row(end, n, index, "end", first=False)
    if not 0 < start < stop <= n:
        raise ValueError(f"no test rows: the first test row is {start} and the end {stop} in "
                         f"a series of {n} rows")
    folds = []
    for number, test_start in enumerate(range(start, stop, int(step))):
        period_end = test_start - gap
        period_start = 0 if scheme == "expanding" else period_end - int(train_rows)
        if period_start < 0:
            raise ValueError(f"fold {number}: a sliding window of {train_rows} rows does not "
                             f"fit before row {test_start}; start testing later")
        period = period_end - period_start
        n_val = int(round(val * period)) if isinstance(val, float) and 0 < val < 1 else int(val)
        if n_val < 0:
            raise ValueError(f"val must not be negative, got {val}")
        fit_end = period_end - n_val - (gap if n_val else 0)
        if fit_end - period_start < 1:
            raise ValueError(f"fold {number}: no training rows before row {test_start} "
                             f"(validation {n_val} rows, gap {gap})")
        val_part = (period_end - n_val, period_end) if n_val else (period_end, period_end)
        folds.append(Fold(number=number, train=(period_start, fit_end), val=val_part,
                          test=(test_start, min(test_start + int(step), stop)), gap=gap))
    return folds


@dataclass(frozen=True)
class Network:
    """A model builder and how to train it: a forecaster for :func:`walk_forward`.

    Calling it on a data set and a seed trains a model from the seed's
    initial weights on the training windows (early stopping on the
    validation slice when ``patience`` is set) and forecasts the test
    windows in prices. The compiled model is kept and reused for the next
    data set of the same input shape (see :meth:`model`), because building
    and compiling cost more than a fold's training. So ``build`` must
    depend on the data set only through ``ds.input_shape``: use another
    builder for another target kind or output.

    Attributes
    ----------
    build : callable
        ``build(ds)`` returns a compiled Keras model (as for
        :func:`stocklearn.experiments.run`), e.g.
        ``lambda ds: models.stacked_lstm(ds.input_shape)``.
    epochs : int
    batch_size : int, default 32
    patience : int, optional
        Early stopping on the fold's validation slice (needs ``val``).
    """

    build: Callable[[Dataset], Any]
    epochs: int
    batch_size: int = 32
    patience: int | None = None

    def model(self, ds: Dataset, seed: int):
        """The model for ``ds`` in its initial state for ``seed``, ready to be trained.

        The same model object is returned (reset) for every data set of the
        same input shape and seed, so it is valid until the next call.
        """
        from stocklearn import training

        def warm_up(model) -> None:  # one epoch, so that every real fit is a later one
            training.fit(model, ds, epochs=1, batch_size=self.batch_size)

        return _initial_model(self.build, ds, seed, warm_up)

    def fit(self, ds: Dataset, seed: int):
        """Train from the seed's initial state on ``ds``; return the model and its history."""
        from stocklearn import training

        model = self.model(ds, seed)
        history = training.fit(model, ds, epochs=self.epochs, batch_size=self.batch_size,
                               patience=self.patience)
        return model, history.history

    def __call__(self, ds: Dataset, seed: int) -> dict[str, Any]:
        """Train (:meth:`fit`) and forecast the test windows of ``ds`` in prices."""
        from stocklearn import training

        model, history = self.fit(ds, seed)
        forecast = ds.to_price(training.predict(model, ds.test.X), "test")
        return {"forecast": forecast, "epochs": len(history["loss"])}


MODEL_CACHE = 4
"""Compiled models kept per process by :class:`Network` (one per builder and input shape)."""

_models: dict[tuple, list] = {}


def _state(model) -> list:
    """Every variable a fit changes: weights, seed states, metrics, optimizer slots."""
    return [*model.variables, *model.optimizer.variables]


def _new_state(build: Callable[[Dataset], Any], ds: Dataset, seed: int) -> tuple[Any, list]:
    """A model built with ``seed`` and a copy of its initial state."""
    set_seed(seed)  # Keras is loaded now: seeds its backend too
    model = build(ds)
    model.optimizer.build(model.trainable_variables)
    return model, [np.array(v.numpy()) for v in _state(model)]


def _builder_key(build: Callable[[Dataset], Any]) -> Any:
    """The same key for equal builders, in any process: a digest of the pickled function."""
    import cloudpickle  # a dependency of joblib

    try:
        return hashlib.sha256(cloudpickle.dumps(build)).hexdigest()
    except Exception:  # noqa: BLE001 (an unpicklable builder is cached by identity)
        return id(build)


def _initial_model(build: Callable[[Dataset], Any], ds: Dataset, seed: int,
                   warm_up: Callable[[Any], None]):
    """The model ``build(ds)`` in the state it has when freshly built with ``seed``.

    Compiling (tracing the training step) takes seconds, longer than fitting
    a small network on one fold. So one compiled model is kept per builder
    and input shape, with the initial state of every seed it was asked for
    (a model built with that seed, copied); each fit starts from such a copy.
    On JAX and PyTorch a newly compiled model is first trained briefly by
    ``warm_up`` (there the first fit of a Keras model draws its shuffles
    differently from the later ones; TensorFlow's shuffles follow its seed
    alone). :func:`~stocklearn.settings.set_seed` is called just before
    every fit, so a fold's forecast does not depend on what ran before it,
    nor on the process it ran in.
    """
    from stocklearn import training
    from stocklearn.backend import BACKEND

    key = (_builder_key(build), tuple(ds.input_shape))
    entry = _models.get(key)
    if entry is not None and isinstance(key[0], int) and entry[0] is not build:
        entry = None
    if entry is None:
        if len(_models) >= MODEL_CACHE:
            _models.clear()
            training.release_memory()
        model, initial = _new_state(build, ds, seed)
        entry = [build, model, {int(seed): initial}]
        _models[key] = entry
        if BACKEND != "tensorflow":
            warm_up(model)
    _, model, initial = entry
    if int(seed) not in initial:
        initial[int(seed)] = _new_state(build, ds, seed)[1]
    for variable, value in zip(_state(model), initial[int(seed)], strict=True):
        variable.assign(value)
    set_seed(seed)
    return model


class _FoldTask:
    """One fold, one forecaster, one seed: the grid task of :func:`walk_forward`."""

    def __init__(self, frame: pd.DataFrame, folds: list[Fold], forecasters: Mapping[str, Any],
                 dataset: dict[str, Any]) -> None:
        self.frame, self.folds, self.forecasters, self.dataset = frame, folds, forecasters, dataset

    def __repr__(self) -> str:  # the grid's store key: data, folds, data set and forecasters
        dates = (f"{self.frame.index[0]}..{self.frame.index[-1]}"
                 if len(self.frame) else "empty")
        described = {name: describe(f) for name, f in sorted(self.forecasters.items())}
        return (f"walk_forward(rows={len(self.frame)}, {dates}, folds={self.folds}, "
                f"dataset={self.dataset}, forecasters={described})")

    def fold_dataset(self, fold: Fold) -> tuple[Dataset, int]:
        """The fold's data set, made from the rows it needs, and the row offset."""
        reach = self.dataset.get("window", 1) + self.dataset.get("horizon", 1) - 1
        offset = max(0, fold.train[0] - reach)
        rows = self.frame.iloc[offset:fold.test[1]]
        index = rows.index if isinstance(rows.index, pd.DatetimeIndex) else None
        split = fold.split(len(rows), index, offset)
        return make_dataset(rows, split, **self.dataset), offset

    def __call__(self, *, fold: int, model: str, seed: int) -> dict[str, Any]:
        ds, offset = self.fold_dataset(self.folds[fold])
        forecaster = self.forecasters[model]
        if isinstance(forecaster, Network):
            out = forecaster(ds, seed)
        else:
            out = {"forecast": np.asarray(forecaster(ds, "test"), dtype=float)}
        out["target_rows"] = ds.test.target_pos + offset
        out["scaler_rows"] = (ds.scaler.fit_rows[0] + offset, ds.scaler.fit_rows[1] + offset)
        return out


@dataclass(frozen=True)
class WalkForward:
    """What :func:`walk_forward` returns: stitched forecasts of every test row.

    Attributes
    ----------
    folds : DataFrame
        One row per fold: its row ranges, first and last dates, and test rows.
    runs : DataFrame
        The grid's table: one row per fold, forecaster and seed, with the
        forecast of the block (``forecast``), its rows (``target_rows``), the
        rows the fold's scaler was fit on (``scaler_rows``), ``seconds``.
    rows : ndarray of int
        Row position (in the frame) of every forecast row, in time order.
    dates : DatetimeIndex or None
    fold : ndarray of int
        The fold each row was forecast by.
    actual, previous : ndarray
        The target on each row, and on the last input row before it (the
        persistence forecast).
    forecasts : dict of str to ndarray
        Forecast prices of every row, shape ``(n_seeds, m)`` (one seed for
        the baselines).
    train_series : ndarray
        The target over the first fold's training rows (the MASE scale).
    """

    folds: pd.DataFrame
    runs: pd.DataFrame
    rows: np.ndarray
    dates: pd.DatetimeIndex | None
    fold: np.ndarray
    actual: np.ndarray
    previous: np.ndarray
    forecasts: dict[str, np.ndarray]
    train_series: np.ndarray

    def scores(self) -> pd.DataFrame:
        """:func:`score` over all stitched rows, DM p-values against persistence."""
        return score(self.actual, self.forecasts, previous=self.previous,
                     train_series=self.train_series)

    def errors(self) -> pd.DataFrame:
        """Actual minus forecast (the seed mean) of every row, one column per forecaster."""
        return pd.DataFrame({name: self.actual - f.mean(axis=0)
                             for name, f in self.forecasts.items()},
                            index=self.dates if self.dates is not None else self.rows)

    def by_period(self, model: str, *, freq: str | None = "YE",
                  reference: str = "persistence") -> pd.DataFrame:
        """RMSE per period (a year by default, or per fold) of ``model`` against ``reference``.

        Parameters
        ----------
        model : str
            A forecaster (its seed mean is scored).
        freq : str or None, default "YE"
            A pandas period alias (``"YE"`` calendar years, ``"QE"``
            quarters), or None for one row per fold.
        reference : str, default "persistence"

        Returns
        -------
        DataFrame
            Per period: ``rows``, the RMSE of the model and of the reference,
            their ratio, the share of days on which the model's error was
            smaller, and ``DM p`` (Diebold-Mariano, squared errors).
        """
        errors = self.errors()[[model, reference]]
        if freq is None:
            keys = pd.Index(self.fold, name="fold")
        else:
            if self.dates is None:
                raise ValueError("periods need dates; use freq=None for one row per fold")
            keys = self.dates.to_period(freq.rstrip("E") or freq)
        out = {}
        for key, e in errors.groupby(keys):
            ours, ref = e[model].to_numpy(), e[reference].to_numpy()
            r_ours, r_ref = np.sqrt(np.mean(ours ** 2)), np.sqrt(np.mean(ref ** 2))
            out[key] = {"rows": len(e), f"{model} RMSE": r_ours, f"{reference} RMSE": r_ref,
                        "ratio": r_ours / r_ref, "days better": np.mean(np.abs(ours)
                                                                        < np.abs(ref)),
                        "DM p": diebold_mariano(ours, ref)[1] if len(e) > 2 else np.nan}
        table = pd.DataFrame.from_dict(out, orient="index")
        table.index.name = "fold" if freq is None else "period"
        return table


def walk_forward(
    frame: pd.DataFrame,
    forecasters: Mapping[str, Any],
    *,
    first_test: int | str | pd.Timestamp,
    step: int,
    end: int | str | pd.Timestamp | None = None,
    scheme: str = "expanding",
    train_rows: int | None = None,
    val: int | float = 0,
    gap: int = 0,
    features: Iterable[str] = ("close",),
    targets: str = "close",
    window: int = 1,
    horizon: int = 1,
    target_kind: str = "price",
    scale: str = "minmax",
    seeds: Iterable[int] = (0,),
    executor: str | None = None,
    n_jobs: int | None = None,
    store: str | None = None,
) -> WalkForward:
    """Walk-forward (rolling-origin) evaluation: refit, forecast the next block, stitch.

    The folds are :func:`walk_forward_folds`. For each fold a data set is made
    with :func:`~stocklearn.prep.make_dataset` from the rows the fold may see,
    so its scalers are fit on that fold's training rows only; every
    forecaster is fit on the fold's training windows and forecasts its test
    block; the blocks are stitched in time order. Each (fold, forecaster,
    seed) is one run of :func:`stocklearn.grid.run`, so the folds can run in
    other processes (``executor="loky"``) or on a Dask cluster
    (``executor="dask"``) and give the same numbers.

    Parameters
    ----------
    frame : DataFrame
        The whole series with every input column (indicators computed
        beforehand: they are causal). Single target.
    forecasters : mapping of name to forecaster
        A :class:`Network` (a model builder with its training settings,
        trained once per seed), or a baseline ``f(ds, part)`` such as
        :func:`~stocklearn.baselines.linear_on_window` (run once; wrap extra
        arguments with :func:`functools.partial`). Persistence is added as
        ``"persistence"`` when missing.
    first_test, step, end, scheme, train_rows, val, gap
        The folds, see :func:`walk_forward_folds`.
    features, targets, window, horizon, target_kind, scale
        The data set of every fold, see :func:`~stocklearn.prep.make_dataset`.
    seeds : iterable of int, default (0,)
        Seeds of the networks.
    executor, n_jobs, store
        Passed to :func:`stocklearn.grid.run`.

    Returns
    -------
    WalkForward
    """
    from stocklearn import grid
    from stocklearn.baselines import persistence as _persistence

    if not isinstance(targets, str):
        raise ValueError("walk_forward evaluates one target column; give its name")
    folds = walk_forward_folds(frame, first_test=first_test, step=step, end=end,
                               scheme=scheme, train_rows=train_rows, val=val, gap=gap)
    forecasters = dict(forecasters)
    for name, f in forecasters.items():
        if not (isinstance(f, Network) or callable(f)):
            raise TypeError(f"forecaster {name!r} must be a Network or a baseline f(ds, part)")
    forecasters.setdefault("persistence", _persistence)
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("walk_forward needs at least one seed")
    dataset = {"features": tuple(features), "targets": targets, "window": window,
               "horizon": horizon, "target_kind": target_kind, "scale": scale}
    task = _FoldTask(frame, folds, forecasters, dataset)
    numbers = [f.number for f in folds]
    networks = [n for n, f in forecasters.items() if isinstance(f, Network)]
    others = [n for n in forecasters if n not in networks]
    tables = []
    for names, run_seeds in ((networks, seeds), (others, seeds[:1])):
        if names:
            tables.append(grid.run(task, grid.configurations(fold=numbers, model=names),
                                   seeds=run_seeds, executor=executor, n_jobs=n_jobs,
                                   store=store))
    runs = pd.concat(tables, ignore_index=True)
    first = runs[runs["model"] == "persistence"].sort_values("fold")
    rows = np.concatenate(list(first["target_rows"]))
    fold_of = np.concatenate([np.full(len(r), k) for k, r in zip(first["fold"],
                                                                 first["target_rows"],
                                                                 strict=True)])
    stitched = {}
    for name in forecasters:
        mine = runs[runs["model"] == name]
        per_seed = []
        for seed in sorted(mine["seed"].unique()):
            blocks = mine[mine["seed"] == seed].sort_values("fold")
            if not all(np.array_equal(a, b) for a, b in zip(blocks["target_rows"],
                                                            first["target_rows"],
                                                            strict=True)):
                raise RuntimeError(f"forecaster {name!r} forecast other rows than persistence")
            per_seed.append(np.concatenate(list(blocks["forecast"])))
        stitched[name] = np.stack(per_seed)
    price = frame[targets].to_numpy(dtype=float)
    index = frame.index if isinstance(frame.index, pd.DatetimeIndex) else None
    table = pd.DataFrame([{
        "fold": f.number, "train rows": f.train[1] - f.train[0],
        "val rows": f.val[1] - f.val[0],
        "train first": index[f.train[0]].date() if index is not None else f.train[0],
        "test first": index[f.test[0]].date() if index is not None else f.test[0],
        "test last": index[f.test[1] - 1].date() if index is not None else f.test[1] - 1,
        "test rows": f.test[1] - f.test[0]} for f in folds]).set_index("fold")
    return WalkForward(
        folds=table, runs=runs, rows=rows, dates=None if index is None else index[rows],
        fold=fold_of, actual=price[rows], previous=price[rows - horizon], forecasts=stitched,
        train_series=price[folds[0].train[0]:folds[0].train[1]])
