"""Preparing a price series for a model, without leaking the future.

Everything here works on *row positions* of one chronologically ordered series:

* :func:`chronological_split` cuts the rows into a training part, an optional
  validation slice taken from the end of the training period, and a test part.
* :class:`FittedScaler` is fit on the training rows only.
* :func:`make_windows` turns a series into (window of inputs, next target)
  pairs; the target row is always strictly after the last input row.
* :func:`make_dataset` chains the three into a :class:`Dataset`, which keeps
  the frame it was made from and knows how to turn a model's output back
  into prices: baselines, scoring and plots need nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from stocklearn.data import DataError
from stocklearn.splits import PARTS, Split

TARGET_KINDS = ("price", "log_return", "return")


# --------------------------------------------------------------------------- returns
def returns(prices: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
    """Simple returns ``p[t] / p[t-1] - 1``; the first value is NaN.

    Parameters
    ----------
    prices : Series or 1-D array
        Positive prices in time order.

    Returns
    -------
    Series or ndarray
        Same length and type as ``prices``.
    """
    if isinstance(prices, pd.Series):
        return prices.pct_change()
    p = np.asarray(prices, dtype=float)
    out = np.full_like(p, np.nan)
    out[1:] = p[1:] / p[:-1] - 1.0
    return out


def log_returns(prices: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
    """Log returns ``log(p[t] / p[t-1])``; the first value is NaN.

    Parameters
    ----------
    prices : Series or 1-D array
        Positive prices in time order.

    Returns
    -------
    Series or ndarray
        Same length and type as ``prices``.
    """
    if isinstance(prices, pd.Series):
        return np.log(prices).diff()
    p = np.asarray(prices, dtype=float)
    out = np.full_like(p, np.nan)
    out[1:] = np.diff(np.log(p))
    return out


# --------------------------------------------------------------------------- scaling
class FittedScaler:
    """A scikit-learn scaler fit on the training rows of a split, and only those.

    Parameters
    ----------
    data : DataFrame or 2-D array
        The whole series, all columns to be scaled (rows aligned with ``split``).
    split : Split
        Only ``split.train`` rows are used to fit.
    scale : {"minmax", "standard"}, default "minmax"
        Min-max scaling to ``feature_range`` or standardisation.
    feature_range : tuple, default (0, 1)
        Range of the min-max scaler.
    shared : bool, default False
        One scale for all columns together (min and max, or mean and std,
        over every training value of every column) instead of one per
        column. A shared scale maps prices that are ordered (a day's low
        below its open) to scaled values in the same order.

    Attributes
    ----------
    columns : list of str
        Column names (``"0", "1", ...`` for arrays).
    fit_rows : tuple of int
        The ``(start, end)`` rows the scaler saw.
    """

    def __init__(self, data, split: Split, scale: str = "minmax",
                 feature_range: tuple[float, float] = (0.0, 1.0), shared: bool = False) -> None:
        if scale == "minmax":
            self.scaler = MinMaxScaler(feature_range=feature_range)
        elif scale == "standard":
            self.scaler = StandardScaler()
        else:
            raise ValueError(f"scale must be 'minmax' or 'standard', got {scale!r}")
        self.scale = scale
        self.shared = bool(shared)
        width = np.asarray(data).reshape(len(data), -1).shape[1]
        self.columns = (list(map(str, data.columns)) if isinstance(data, pd.DataFrame)
                        else [str(i) for i in range(width)])
        self.fit_rows = split.train
        rows = split.take(data, "train")
        values = np.asarray(rows, dtype=float).reshape(len(rows), -1)
        self.scaler.fit(values.reshape(-1, 1) if self.shared else values)

    def transform(self, data):
        """Scale ``data`` (same columns) with the training-row statistics."""
        values = np.asarray(data, dtype=float).reshape(len(data), -1)
        if self.shared:
            out = self.scaler.transform(values.reshape(-1, 1)).reshape(values.shape)
        else:
            out = self.scaler.transform(values)
        if isinstance(data, pd.DataFrame):
            return pd.DataFrame(out, index=data.index, columns=data.columns)
        return out.reshape(np.shape(data))

    def inverse(self, values, column: str | int = 0) -> np.ndarray:
        """Map scaled values of one column back to the original units.

        Parameters
        ----------
        values : array-like
            Scaled values of ``column`` (any shape).
        column : str or int
            Column name or position.
        """
        j = self.columns.index(str(column)) if not isinstance(column, (int, np.integer)) \
            else int(column)
        j = 0 if self.shared else j
        v = np.asarray(values, dtype=float)
        if self.scale == "minmax":
            return (v - self.scaler.min_[j]) / self.scaler.scale_[j]
        return v * self.scaler.scale_[j] + self.scaler.mean_[j]


# --------------------------------------------------------------------------- windows
@dataclass(frozen=True)
class Windows:
    """Supervised pairs cut from one series.

    Attributes
    ----------
    X : ndarray, shape (m, window, n_features)
        Inputs: window ``i`` holds rows ``start[i] .. start[i] + window - 1``.
    y : ndarray, shape (m,) or (m, n_targets)
        Target of each window.
    target_pos : ndarray of int, shape (m,)
        Row position of each target; always after the window's last row.
    dates : DatetimeIndex or None
        Date of each target.
    previous : ndarray or None, shape like ``y``
        Actual value of the target column(s) on the window's last input row,
        in price units: the base that returns and directions are measured
        from (and the persistence forecast).
    actual : ndarray or None, shape like ``y``
        The target in price units (float64, exact), whatever ``y`` holds.
    """

    X: np.ndarray
    y: np.ndarray
    target_pos: np.ndarray
    window: int
    horizon: int = 1
    dates: pd.DatetimeIndex | None = None
    previous: np.ndarray | None = None
    actual: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)

    @property
    def last_input_pos(self) -> np.ndarray:
        """Row position of the last input of each window."""
        return self.target_pos - self.horizon

    @property
    def first_input_pos(self) -> np.ndarray:
        """Row position of the first input of each window."""
        return self.target_pos - self.horizon - self.window + 1

    def select(self, start: int, end: int) -> Windows:
        """The windows whose target row lies in ``[start, end)``."""
        keep = (self.target_pos >= start) & (self.target_pos < end)
        return replace(
            self,
            X=self.X[keep], y=self.y[keep], target_pos=self.target_pos[keep],
            dates=None if self.dates is None else self.dates[keep],
            previous=None if self.previous is None else self.previous[keep],
            actual=None if self.actual is None else self.actual[keep],
        )

    def part(self, split: Split, name: str) -> Windows:
        """The windows whose target lies in one part of ``split``."""
        return self.select(*split._bounds(name))


def make_windows(
    features,
    target,
    window: int,
    *,
    horizon: int = 1,
    index: pd.DatetimeIndex | None = None,
    prices=None,
) -> Windows:
    """Cut ``(window of inputs, target)`` pairs from a series.

    Window ``i`` holds input rows ``i .. i + window - 1``; its target is row
    ``i + window - 1 + horizon``, strictly after the last input row.

    Parameters
    ----------
    features : DataFrame or array, shape (n,) or (n, n_features)
    target : Series, DataFrame or array, shape (n,) or (n, n_targets)
        Row ``t`` holds the value to be predicted *at* row ``t``.
    window : int
        Number of input rows (the look-back).
    horizon : int, default 1
        How many rows after the last input the target lies.
    index : DatetimeIndex, optional
        Dates of the rows; taken from ``features`` when it is a DataFrame.
    prices : array, shape like ``target``, optional
        Value of the target in price units on each row; a window's
        ``previous`` is taken on its last input row and its ``actual`` on
        the target row.

    Returns
    -------
    Windows

    Raises
    ------
    DataError
        When the series is shorter than ``window + horizon`` or holds NaN.
    """
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer, got {window}")
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon}")
    if index is None and isinstance(features, (pd.DataFrame, pd.Series)) and isinstance(
        features.index, pd.DatetimeIndex
    ):
        index = features.index
    x = np.asarray(features, dtype=np.float32)
    x = x.reshape(len(x), -1)
    y = np.asarray(target, dtype=np.float32)
    n = len(x)
    if len(y) != n:
        raise ValueError(f"features have {n} rows but target has {len(y)}")
    if n < window + horizon:
        raise DataError(
            f"series too short: {n} rows cannot make a single window of {window} inputs "
            f"and a target {horizon} row(s) later (needs at least {window + horizon} rows)"
        )
    m = n - window - horizon + 1
    starts = np.arange(m)
    target_pos = starts + window - 1 + horizon
    # only rows that some window uses must be finite
    bad = ~np.isfinite(x[: n - horizon]).all(axis=1)
    bad_y = ~np.isfinite(y[window - 1 + horizon:].reshape(m, -1)).all(axis=1)
    if bad.any() or bad_y.any():
        rows = np.flatnonzero(bad)[:5].tolist() + (np.flatnonzero(bad_y)[:5] + window - 1 +
                                                   horizon).tolist()
        where = [str(index[r].date()) for r in rows] if index is not None else rows
        raise DataError(f"missing or infinite values in the rows used for windows: {where}")
    X = np.lib.stride_tricks.sliding_window_view(x[: n - horizon], window, axis=0)
    X = np.ascontiguousarray(X.transpose(0, 2, 1))
    previous = actual = None
    if prices is not None:
        p = np.asarray(prices, dtype=float)
        previous, actual = p[target_pos - horizon], p[target_pos]
    return Windows(
        X=X, y=y[target_pos], target_pos=target_pos, window=int(window), horizon=int(horizon),
        dates=None if index is None else index[target_pos], previous=previous, actual=actual,
    )


# --------------------------------------------------------------------------- datasets
SCALER_FITS = ("train", "all")


@dataclass(frozen=True)
class Dataset:
    """Everything a model, a baseline, a score or a plot needs from one series.

    Made by :func:`make_dataset`. ``train``, ``val`` and ``test`` are the
    windows whose *targets* fall in each part; inputs may reach back before
    the part (they are past data), never forward. The data set keeps the
    frame it was made from, so nothing else has to be passed along with it.

    Attributes
    ----------
    train, val, test : Windows
    split : Split
    frame : DataFrame
        The validated frame the data set was made from (all rows, all
        columns): baselines read raw values from it.
    features, targets : list of str
        Input columns and target columns.
    target_kind : {"price", "log_return", "return"}
        What the model predicts: the scaled price, or the log / simple return
        from the window's last close.
    scaler : FittedScaler
        Fit on the training rows of the input features (on all rows only when
        the data set was made with ``fit_scaler_on="all"``, the leak that
        chapter 2 demonstrates).
    target_scaler : FittedScaler or None
        Fit on the same rows, on the target (``target_kind="price"``).
    """

    train: Windows
    val: Windows
    test: Windows
    split: Split
    frame: pd.DataFrame = field(repr=False, compare=False)
    features: list[str]
    targets: list[str]
    target_kind: str
    scaler: FittedScaler
    target_scaler: FittedScaler | None

    @property
    def input_shape(self) -> tuple[int, int]:
        """Shape of one input window, ``(window, n_features)``: what a model builder takes."""
        return self.train.X.shape[1], self.train.X.shape[2]

    @property
    def window(self) -> int:
        """Number of input rows of each window (the look-back)."""
        return self.train.window

    def part(self, name: str) -> Windows:
        """The windows of one part ("train", "val" or "test")."""
        if name not in PARTS:
            raise ValueError(f"part must be one of {PARTS}, got {name!r}")
        return getattr(self, name)

    def to_price(self, pred, part: str) -> np.ndarray:
        """Turn a model's output for the windows of ``part`` into prices.

        Parameters
        ----------
        pred : array, shape (m,) or (m, n_targets)
            Model output in the units it was trained on.
        part : str
            Which windows the predictions belong to.

        Returns
        -------
        ndarray
            Forecast prices, same shape as ``actual(part)``.
        """
        w = self.part(part)
        p = np.asarray(pred, dtype=float)
        if p.size != w.y.size:
            raise ValueError(f"{p.size} predictions for the {len(w)} windows of part {part!r}")
        p = p.reshape(w.y.shape)
        if self.target_kind == "price":
            cols = [self.target_scaler.inverse(p[:, j] if p.ndim > 1 else p, j)
                    for j in range(len(self.targets))]
            return np.stack(cols, axis=-1).reshape(w.y.shape)
        if self.target_kind == "log_return":
            return w.previous * np.exp(p)
        return w.previous * (1.0 + p)

    def actual(self, part: str) -> np.ndarray:
        """The true target prices of the windows of ``part``."""
        return self.part(part).actual.copy()

    def previous(self, part: str) -> np.ndarray:
        """The actual target price on the last input row of each window of ``part``.

        The value a forecast starts from: the base of returns and directions,
        and the persistence forecast (:func:`stocklearn.baselines.persistence`).
        """
        return self.part(part).previous.copy()

    def train_series(self) -> np.ndarray:
        """The target column(s) over the training rows, in prices (the MASE scale)."""
        values = self.split.take(self.frame[self.targets], "train").to_numpy(dtype=float)
        return values[:, 0] if len(self.targets) == 1 else values


def make_dataset(
    df: pd.DataFrame,
    split: Split,
    *,
    features: Sequence[str] = ("close",),
    targets: str | Sequence[str] = "close",
    window: int = 1,
    horizon: int = 1,
    target_kind: str = "price",
    scale: str = "minmax",
    fit_scaler_on: str = "train",
    shared_target_scale: bool = False,
) -> Dataset:
    """Scale, window and split one series into a :class:`Dataset`.

    The input scaler (and the target scaler when predicting prices) is fit on
    ``split.train`` rows only. Windows are cut from the whole series and then
    assigned to a part by the row of their target.

    Parameters
    ----------
    df : DataFrame
        Validated series (see :func:`stocklearn.data.load`), possibly with
        extra indicator columns. The data set keeps it.
    split : Split
        Made by :func:`chronological_split` for ``df``.
    features : sequence of str
        Input columns.
    targets : str or sequence of str
        Column(s) to predict, ``horizon`` rows after the window.
    window, horizon : int
        Look-back length and forecast distance in rows.
    target_kind : {"price", "log_return", "return"}
        Predict the (scaled) price level, or the log / simple return from the
        window's last value of the target column.
    scale : {"minmax", "standard"}
        Scaler for the inputs (and the price target).
    fit_scaler_on : {"train", "all"}, default "train"
        Rows the scalers are fit on. ``"all"`` fits them on every row,
        test rows included: **a leak**, there only to measure what it does
        (chapter 2). Never use it for a result.
    shared_target_scale : bool, default False
        With several price targets, scale them all with one scale (the
        training rows' smallest and largest value over every target column)
        instead of one per column, so that ordered prices (low <= open <=
        high) stay ordered in the scaled targets and back (chapter 5).

    Returns
    -------
    Dataset
    """
    if target_kind not in TARGET_KINDS:
        raise ValueError(f"target_kind must be one of {TARGET_KINDS}, got {target_kind!r}")
    if fit_scaler_on not in SCALER_FITS:
        raise ValueError(f"fit_scaler_on must be one of {SCALER_FITS}, got {fit_scaler_on!r}")
    targets = [targets] if isinstance(targets, str) else list(targets)
    features = list(features)
    missing = [c for c in features + targets if c not in df.columns]
    if missing:
        raise DataError(f"columns not in the data: {missing}; it has {list(df.columns)}")
    if len(df) != split.n:
        raise ValueError(f"the split was made for {split.n} rows but the data has {len(df)}")
    x = df[features]
    if x.isna().to_numpy().any():
        first = x.index[x.isna().any(axis=1)][:5]
        raise DataError(
            f"features hold missing values (e.g. the warm-up rows of an indicator) on "
            f"{list(first)}; drop those rows before splitting"
        )
    n = len(df)
    fit_split = split if fit_scaler_on == "train" else Split(
        n=n, train=(0, n), val=(n, n), test=(n, n))
    scaler = FittedScaler(x, fit_split, scale=scale)
    xs = scaler.transform(x).to_numpy()
    prices = df[targets].to_numpy(dtype=float)
    target_scaler = None
    if target_kind == "price":
        target_scaler = FittedScaler(df[targets], fit_split, scale=scale,
                                     shared=shared_target_scale)
        y_kind = target_scaler.transform(df[targets]).to_numpy()
    else:
        shifted = np.full_like(prices, np.nan)
        shifted[horizon:] = prices[:-horizon]
        y_kind = np.log(prices / shifted) if target_kind == "log_return" else prices / shifted - 1
    if len(targets) == 1:
        y_kind, prices = y_kind[:, 0], prices[:, 0]
    windows = make_windows(xs, y_kind, window, horizon=horizon, index=df.index, prices=prices)
    parts = {name: windows.part(split, name) for name in PARTS}
    if len(parts["train"]) == 0 or len(parts["test"]) == 0:
        raise DataError(
            f"window {window} leaves no training or test windows: the split has "
            f"{split.train[1] - split.train[0]} training and "
            f"{split.test[1] - split.test[0]} test rows"
        )
    return Dataset(**parts, split=split, frame=df, features=features, targets=targets,
                   target_kind=target_kind, scaler=scaler, target_scaler=target_scaler)
