"""Walk-forward (rolling-origin) evaluation of networks and baselines.

:func:`walk_forward` refits every forecaster before each test block of
:func:`stocklearn.splits.walk_forward_folds` (on an expanding or a sliding
window, scalers refit inside every fold), forecasts the block and stitches
the blocks in time order. Each (fold, forecaster, seed) is one task of
:func:`stocklearn.grid.sweep`, so the folds can run in other processes and
give the same numbers. A network is given as a :class:`Network`: a builder
and how to train it; its traced model is kept between folds
(:func:`stocklearn.training.traced_model`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stocklearn.evaluation import score
from stocklearn.grid import describe
from stocklearn.metrics import diebold_mariano
from stocklearn.prep import Dataset, make_dataset
from stocklearn.splits import Fold, walk_forward_folds


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

        return training.traced_model(lambda: self.build(ds), seed,
                                     key=(describe(self.build), tuple(ds.input_shape)))

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

    def scores(self, **tests) -> pd.DataFrame:
        """:func:`score` over all stitched rows, DM p-values against persistence.

        Parameters
        ----------
        **tests
            ``reference``, ``loss``, ``nested`` and ``against``, passed to
            :func:`score` (e.g. ``nested=("LSTM", "linear")`` for forecasters
            of returns, which nest persistence).
        """
        return score(self.actual, self.forecasts, previous=self.previous,
                     train_series=self.train_series, **tests)

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
    seed) is one run of :func:`stocklearn.grid.sweep`, so the folds can run in
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
        Passed to :func:`stocklearn.grid.sweep`.

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
            tables.append(grid.sweep(task, grid.configurations(fold=numbers, model=names),
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
