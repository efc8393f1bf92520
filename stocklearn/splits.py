"""Which rows a model may learn from: chronological splits and walk-forward folds.

Everything here works on *row positions* of one chronologically ordered
series, and every part is a half-open range ``(start, end)``:

* :func:`chronological_split` cuts the rows into a training part, an optional
  validation slice taken from the end of the training period, and a test
  part (a :class:`Split`).
* :func:`walk_forward_folds` cuts them into walk-forward (rolling-origin)
  folds: a test block every ``step`` rows, each with the training period
  (and validation slice) before it (a :class:`Fold`, whose
  :meth:`~Fold.split` is a :class:`Split`).

Both cut a training period into fit rows and a validation slice the same
way (:func:`_training_period`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PARTS = ("train", "val", "test")
SCHEMES = ("expanding", "sliding")


# --------------------------------------------------------------------------- one split
@dataclass(frozen=True)
class Split:
    """Row positions of the parts of one chronological split.

    Each part is a half-open range ``(start, end)`` of row positions. The
    parts never overlap and always come in the order train, val, test, with
    ``gap`` rows left out before the validation slice and before the test part.

    Attributes
    ----------
    n : int
        Number of rows of the series.
    train, val, test : tuple of int
        ``(start, end)`` of the rows the model is fit on, of the validation
        slice (empty when ``start == end``) and of the test rows.
    gap : int
        Rows dropped at each boundary.
    index : DatetimeIndex or None
        Dates of the rows, when the split was made from a dated series.
    """

    n: int
    train: tuple[int, int]
    val: tuple[int, int]
    test: tuple[int, int]
    gap: int = 0
    index: pd.DatetimeIndex | None = field(default=None, repr=False, compare=False)

    def rows(self, part: str) -> np.ndarray:
        """Row positions of ``part`` ("train", "val" or "test")."""
        start, end = self._bounds(part)
        return np.arange(start, end)

    def take(self, data, part: str):
        """Rows of ``part`` from a DataFrame, Series or array aligned with the split."""
        if len(data) != self.n:
            raise ValueError(f"data has {len(data)} rows but the split was made for {self.n}")
        start, end = self._bounds(part)
        if isinstance(data, (pd.DataFrame, pd.Series)):
            return data.iloc[start:end]
        return np.asarray(data)[start:end]

    @property
    def training_end(self) -> int:
        """End (exclusive) of the training period: the fit rows plus the validation slice."""
        return self.val[1] if self.val[1] > self.val[0] else self.train[1]

    def describe(self) -> pd.DataFrame:
        """A small table: rows, first and last date of each part."""
        records = []
        for part in PARTS:
            start, end = self._bounds(part)
            first = last = None
            if self.index is not None and end > start:
                first, last = self.index[start].date(), self.index[end - 1].date()
            records.append(
                {"part": part, "start": start, "end": end, "rows": end - start,
                 "first": first, "last": last}
            )
        return pd.DataFrame.from_records(records).set_index("part")

    def _bounds(self, part: str) -> tuple[int, int]:
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}, got {part!r}")
        return getattr(self, part)


def _count(value: int | float | str | pd.Timestamp, n: int, index, what: str) -> int:
    """Turn a count, a fraction or a date into a number of rows."""
    if isinstance(value, (str, pd.Timestamp, np.datetime64)) or hasattr(value, "year"):
        if index is None:
            raise ValueError(f"{what} given as a date needs a dated series (a DatetimeIndex)")
        return int(index.searchsorted(pd.Timestamp(value), side="right"))
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be a count, a fraction or a date, not a bool")
    if isinstance(value, (float, np.floating)) and not float(value).is_integer():
        if not 0 < value < 1:
            raise ValueError(f"{what} as a fraction must lie in (0, 1), got {value}")
        return int(round(value * n))
    if isinstance(value, (int, np.integer, float, np.floating)):
        if value < 0:
            raise ValueError(f"{what} must not be negative, got {value}")
        return int(value)
    raise TypeError(f"{what} must be a count, a fraction or a date, got {type(value).__name__}")


def _length_and_dates(data) -> tuple[int, pd.DatetimeIndex | None]:
    """The number of rows of ``data`` (or ``data`` itself, a count) and its dates, if any."""
    if isinstance(data, (int, np.integer)):
        return int(data), None
    index = data if isinstance(data, pd.DatetimeIndex) else data.index
    return len(index), index if isinstance(index, pd.DatetimeIndex) else None


def _training_period(start: int, end: int, val: int | float,
                     gap: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Cut the training period ``start .. end - 1`` into fit rows and a validation slice.

    The slice is the last ``val`` rows (or that fraction of the period,
    rounded), after ``gap`` rows left out; an empty slice is ``(end, end)``.
    """
    period = end - start
    n_val = int(round(val * period)) if isinstance(val, float) and 0 < val < 1 else int(val)
    if n_val < 0:
        raise ValueError(f"val must not be negative, got {val}")
    if not n_val:
        return (start, end), (end, end)
    fit_end = end - n_val - gap
    if fit_end - start < 1:
        raise ValueError(f"a validation slice of {n_val} rows and a gap of {gap} leave no "
                         f"training rows in a training period of {period}")
    return (start, fit_end), (end - n_val, end)


def chronological_split(
    data: int | pd.DataFrame | pd.Series | pd.DatetimeIndex,
    train: int | float | str | pd.Timestamp,
    *,
    val: int | float = 0,
    gap: int = 0,
    test: int | float | str | pd.Timestamp | None = None,
) -> Split:
    """Cut a series into train / validation / test rows, in time order.

    Parameters
    ----------
    data : int, DataFrame, Series or DatetimeIndex
        The series (or just its length).
    train : int, float or date
        Size of the training period: a number of rows (Lu 2024: ``1200``), a
        fraction of all rows (``0.8``), or the last date of the training
        period (``"2017-08-31"``, inclusive).
    val : int or float, default 0
        Validation slice cut from the *end* of the training period, as rows or
        as a fraction of the training period. Early stopping watches it.
    gap : int, default 0
        Rows left out before the validation slice and before the test part.
    test : int, float or date, optional
        Size of the test part (rows, fraction of all rows, or its last date,
        inclusive). Default: every row after the training period and the gap.

    Returns
    -------
    Split

    Raises
    ------
    ValueError
        When a part would be empty or the parts do not fit in the series.
    """
    n, index = _length_and_dates(data)
    if gap < 0:
        raise ValueError(f"gap must not be negative, got {gap}")
    period = _count(train, n, index, "train")
    if not 0 < period <= n:
        raise ValueError(f"the training period must hold between 1 and {n} rows, got {period}")
    train_part, val_part = _training_period(0, period, val, gap)
    test_start = period + gap
    if test is None:
        test_end = n
    elif isinstance(test, (str, pd.Timestamp)) or hasattr(test, "year"):
        test_end = _count(test, n, index, "test")
    else:
        test_end = test_start + _count(test, n, index, "test")
    if not test_start < test_end <= n:
        raise ValueError(
            f"no room for a test part: the series has {n} rows, the training period {period} "
            f"and the gap {gap}, and the test part would end at row {test_end}"
        )
    return Split(n=n, train=train_part, val=val_part, test=(test_start, test_end), gap=gap,
                 index=index)


# --------------------------------------------------------------------------- walk-forward folds
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
        """The fold as a :class:`~stocklearn.splits.Split` of ``n`` rows from row ``offset`` on."""
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
    :func:`~stocklearn.splits.chronological_split`.

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
    n, index = _length_and_dates(data)
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
        try:
            train_part, val_part = _training_period(period_start, period_end, val, gap)
        except ValueError as exc:
            raise ValueError(f"fold {number} (test rows from {test_start}): {exc}") from None
        folds.append(Fold(number=number, train=train_part, val=val_part,
                          test=(test_start, min(test_start + int(step), stop)), gap=gap))
    return folds
