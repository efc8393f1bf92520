"""Self-checks for the exercises: properties an answer must have, on any data set.

A chapter checks a graded exercise in a code cell tagged ``check`` right after
the exercise's solution (``solution-end``)::

    with checks.exercise("ch02-ex3"):
        checks.number(da_up, "da_up", low=0, high=1)
        checks.close(da_up, checks.share_of_up_days(ds), "da_up",
                     what="the share of up days in the test rows")

Each function below tests one property and raises :class:`CheckFailed` (an
``AssertionError``) with a message a student can act on; ``exercise`` names the
exercise in that message and prints ``✓ <label>: all checks hold`` when all pass.
The checks test *properties* of an answer (the right rows, no test row used to
fit a scaler, a value that matches what the answer's own data imply), never one
frozen number, so they hold for every data set the ``DATASET`` parameter picks.

In the student edition (``make student``, :mod:`stocklearn.teaching`) the
solution is replaced by a stub that sets every name the check reads to ``...``;
the check then fails with "not set yet" until the student fills it in. The same
check cells are what the teacher's autograder runs (otter-grader), so a student
who sees ✓ gets the points. This module needs only NumPy and pandas (it never
loads Keras), so a check runs wherever the chapter runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

__all__ = [
    "CheckFailed",
    "ClaimFailed",
    "autocorrelation",
    "claim",
    "close",
    "exercise",
    "fitted_on_training_rows",
    "is_dataset",
    "is_permutation",
    "is_set",
    "is_shuffled",
    "number",
    "same_test_rows",
    "score_table",
    "share_of_scaled_inputs",
    "share_of_unchanged_days",
    "share_of_up_days",
    "training_rows",
    "weights_moved",
    "within_noise",
]


class CheckFailed(AssertionError):
    """An answer does not have a property its exercise asks for.

    In Jupyter the error shows as one line, ``✗ <message>``, without a traceback:
    the message says what is wrong; the check's code is not the student's.
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom tracebacks
        return [f"\x1b[31m✗ {self}\x1b[0m"]


class ClaimFailed(AssertionError):
    """A sentence of a chapter's prose about a run's outcome is false for this run."""


def claim(condition, statement: str) -> None:
    """Back a sentence of the prose with the numbers above it: raise if the run disagrees.

    A chapter that states an outcome in a markdown cell ("no network beats
    persistence") puts ``checks.claim(condition, "no network beats
    persistence")`` in the code cell that computes it, so that executing
    the chapter (``make book``, the tests) fails wherever the sentence would
    be false: another profile, backend, data set or seed.

    Parameters
    ----------
    condition : bool-like
        What the sentence asserts, computed from the run's numbers (a
        NumPy bool works; an array must be reduced with ``.all()`` first).
    statement : str
        The sentence, as the prose says it.

    Raises
    ------
    ClaimFailed
        When ``condition`` is false.
    TypeError
        When ``condition`` is an array of more than one value.
    """
    if np.ndim(condition) != 0:
        raise TypeError(f"claim needs one truth value, got an array of shape "
                        f"{np.shape(condition)} for {statement!r}: reduce it with .all() "
                        "or .any()")
    if not bool(condition):
        raise ClaimFailed(f"the text says {statement!r}, but this run disagrees: compute the "
                          "sentence from the numbers or reword it")


@contextmanager
def exercise(label: str, points: float = 1) -> Iterator[None]:
    """Group the checks of one exercise; print ``✓`` when they all hold.

    Parameters
    ----------
    label : str
        The exercise's label (``ch02-ex3``), as in its ``exercise`` directive.
    points : float, default 1
        What the exercise is worth when graded (read by :mod:`stocklearn.teaching`
        from the check cell's source; unused here).
    """
    try:
        yield
    except CheckFailed as err:
        raise CheckFailed(f"{label}: {err}") from None
    print(f"✓ {label}: all checks hold")


def _fail(message: str) -> None:
    raise CheckFailed(message)


# --------------------------------------------------------------------------- values
def is_set(value, name: str):
    """``value`` is something: not the stub's ``...`` and not ``None``. Returns it."""
    if value is Ellipsis or value is None:
        _fail(f"`{name}` is not set yet: replace the `...` in your code cell and run it")
    return value


def number(value, name: str, *, low: float | None = None, high: float | None = None) -> float:
    """``value`` is one finite number, within ``[low, high]`` when given. Returns it as float."""
    is_set(value, name)
    if isinstance(value, (pd.Series, pd.DataFrame, np.ndarray)) and np.size(value) == 1:
        value = np.asarray(value).reshape(-1)[0]
    try:
        x = float(value)
    except (TypeError, ValueError):
        _fail(f"`{name}` should be a number, got {type(value).__name__}")
    if not np.isfinite(x):
        _fail(f"`{name}` should be a finite number, got {x}")
    if low is not None and x < low or high is not None and x > high:
        _fail(f"`{name}` = {x:.6g} lies outside [{low}, {high}]")
    return x


def close(value, expected, name: str, *, what: str = "", rtol: float = 1e-6,
          atol: float = 1e-9) -> None:
    """``value`` equals ``expected`` (numbers or arrays) up to rounding.

    ``what`` says in words what ``expected`` is ("the share of up days in the
    test rows"); the message shows it, not the expected number.
    """
    is_set(value, name)
    got = np.asarray(value, dtype=float) if not np.isscalar(value) else float(value)
    want = np.asarray(expected, dtype=float)
    if np.shape(got) != np.shape(want):
        _fail(f"`{name}` has shape {np.shape(got)}, expected {np.shape(want)}"
              + (f" ({what})" if what else ""))
    if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=False):
        shown = f"{float(got):.6g}" if np.ndim(got) == 0 else "these values"
        _fail(f"`{name}` = {shown} is not " + (what or "the expected value"))


def is_permutation(values, of, name: str, *, what: str = "the original values") -> np.ndarray:
    """``values`` holds exactly the numbers of ``of``, in any order. Returns them as an array."""
    is_set(values, name)
    got = np.asarray(values, dtype=float).reshape(-1)
    want = np.asarray(of, dtype=float).reshape(-1)
    if got.size != want.size:
        _fail(f"`{name}` has {got.size} values, {what} have {want.size}")
    if not np.allclose(np.sort(got), np.sort(want), rtol=0, atol=0):
        _fail(f"`{name}` does not hold the same values as {what} (a reordering must "
              "neither add, drop nor change any value)")
    return got


def is_shuffled(values, of, name: str) -> None:
    """``values`` is not in the order of ``of``: most positions hold another value."""
    got = np.asarray(values, dtype=float).reshape(-1)
    want = np.asarray(of, dtype=float).reshape(-1)
    if got.size == want.size and np.mean(got == want) > 0.5:
        _fail(f"`{name}` is still (mostly) in the original order: shuffle it")


def autocorrelation(values, series, lags, name: str, *, absolute: bool = False) -> None:
    """``values`` are the sample autocorrelations of ``series`` at ``lags``.

    The usual estimate ``sum((x[t] - m)(x[t-k] - m)) / sum((x[t] - m)^2)`` (as
    ``statsmodels.tsa.stattools.acf``), of ``|series|`` when ``absolute``.
    """
    is_set(values, name)
    x = np.asarray(series, dtype=float).reshape(-1)
    x = np.abs(x) if absolute else x
    d = x - x.mean()
    den = float(d @ d)
    want = np.array([float(d[k:] @ d[: d.size - k]) / den for k in lags])
    close(np.asarray(values, dtype=float).reshape(-1), want, name,
          what=("the autocorrelations of the absolute values" if absolute
                else "the autocorrelations") + f" at lags {list(lags)}", rtol=1e-6, atol=1e-8)


def within_noise(values, n: int, name: str, *, z: float = 4.0) -> None:
    """Every autocorrelation in ``values`` is within ``±z/sqrt(n)``: noise for ``n`` values."""
    v = np.asarray(values, dtype=float).reshape(-1)
    band = z / np.sqrt(n)
    if np.any(np.abs(v) > band):
        _fail(f"`{name}` has autocorrelations up to {np.abs(v).max():.3f}, beyond the band "
              f"±{band:.3f} that chance allows for {n} values: the order still carries "
              "information")


# --------------------------------------------------------------------------- data sets
def is_dataset(ds, name: str):
    """``ds`` is a :class:`stocklearn.prep.Dataset`. Returns it."""
    from stocklearn.prep import Dataset

    is_set(ds, name)
    if not isinstance(ds, Dataset):
        _fail(f"`{name}` should be a data set made by prep.make_dataset, "
              f"got {type(ds).__name__}")
    return ds


def _params(scaler) -> np.ndarray:
    inner = scaler.scaler
    if scaler.scale == "minmax":
        return np.concatenate([inner.data_min_, inner.data_max_])
    return np.concatenate([inner.mean_, inner.scale_])


def _refit(scaler, frame: pd.DataFrame, columns, rows: tuple[int, int]) -> np.ndarray:
    """The parameters a scaler of the same kind gets from ``rows`` of ``frame[columns]``."""
    from stocklearn.prep import FittedScaler
    from stocklearn.splits import Split

    n = len(frame)
    split = Split(n=n, train=rows, val=(rows[1], rows[1]), test=(rows[1], n))
    return _params(FittedScaler(frame[list(columns)], split, scale=scaler.scale,
                                shared=scaler.shared))


def fitted_on_training_rows(ds, name: str, *, leak: bool = False) -> None:
    """No validation or test row was used to fit ``ds``'s scalers.

    Each scaler's statistics (min and max, or mean and standard deviation) must
    be those of the data set's training rows, recomputed here from its frame;
    the scaler's own record of its rows is not trusted. With ``leak=True`` the
    opposite: the scalers must hold the statistics of *every* row, test rows
    included, as the deliberately leaky data set of chapter 2 does.
    """
    is_dataset(ds, name)
    n, train = len(ds.frame), ds.split.train
    for which, scaler, columns in (("input scaler", ds.scaler, ds.features),
                                   ("target scaler", ds.target_scaler, ds.targets)):
        if scaler is None:
            continue
        have = _params(scaler)
        on_train = np.allclose(have, _refit(scaler, ds.frame, columns, train), rtol=1e-9)
        on_all = np.allclose(have, _refit(scaler, ds.frame, columns, (0, n)), rtol=1e-9)
        if not leak and not on_train:
            rows = "every row, test rows included" if on_all else "other rows"
            _fail(f"the {which} of `{name}` was fit on {rows}: a scaler must be fit on "
                  "the training rows only (prep.make_dataset does it)")
        if leak and not on_all:
            _fail(f"the {which} of `{name}` does not see every row: the leaky data set "
                  "is made with fit_scaler_on='all'")


def training_rows(ds, name: str, *, rows: int | None = None, start=None) -> None:
    """``ds`` has ``rows`` training rows and its series starts on ``start`` or later."""
    is_dataset(ds, name)
    n_train = ds.split.train[1] - ds.split.train[0]
    if rows is not None and n_train != rows:
        _fail(f"`{name}` has {n_train} training rows, the exercise asks for {rows}")
    if start is not None and ds.frame.index[0] < pd.Timestamp(start):
        _fail(f"`{name}` starts on {ds.frame.index[0]:%Y-%m-%d}, before {start}")


def same_test_rows(a, b, names: tuple[str, str]) -> None:
    """Two data sets forecast exactly the same test days (so their scores compare)."""
    is_dataset(a, names[0])
    is_dataset(b, names[1])
    if not (len(a.test) == len(b.test) and np.array_equal(a.test.dates, b.test.dates)):
        _fail(f"`{names[0]}` and `{names[1]}` do not have the same test rows "
              f"({len(a.test)} and {len(b.test)} windows): compare forecasts on the same days")


def share_of_up_days(ds, part: str = "test") -> float:
    """Share of the windows of ``part`` whose target close is above the previous close."""
    return float(np.mean(ds.actual(part) > ds.previous(part)))


def share_of_unchanged_days(ds, part: str = "test") -> float:
    """Share of the windows of ``part`` whose target close equals the previous close."""
    return float(np.mean(ds.actual(part) == ds.previous(part)))


def share_of_scaled_inputs(ds, *, above: float = 1.0, part: str = "test",
                           feature: str = "close") -> float:
    """Share of the windows of ``part`` whose scaled ``feature`` on the last input day is
    above ``above`` (1: outside the training range of a min-max scaler)."""
    x = ds.part(part).X[:, -1, list(ds.features).index(feature)]
    return float(np.mean(x > above))


# --------------------------------------------------------------------------- scores
def score_table(table, ds, name: str, *, models: int = 1,
                min_seeds: int | None = None) -> pd.DataFrame:
    """``table`` scores at least ``models`` forecasts of ``ds``'s test rows, beside persistence.

    The table (as :func:`stocklearn.evaluation.score_dataset` makes it) needs
    an ``RMSE`` column with a ``persistence`` row, whose value must be the
    persistence RMSE on exactly the test rows of ``ds``; every RMSE must be a
    positive number. With ``min_seeds``, every forecast's ``seeds`` column
    must count at least that many seeds.
    """
    from stocklearn import metrics

    is_set(table, name)
    if not isinstance(table, pd.DataFrame) or "RMSE" not in table.columns:
        _fail(f"`{name}` should be a score table with an RMSE column "
              "(evaluation.score_dataset makes one)")
    if "persistence" not in table.index:
        _fail(f"`{name}` has no persistence row: score every forecast beside persistence")
    own = [r for r in table.index if r not in ("persistence", "linear")]
    if len(own) < models:
        _fail(f"`{name}` scores {len(own)} forecast(s) besides the baselines, "
              f"the exercise compares {models}")
    rmse = pd.to_numeric(table["RMSE"], errors="coerce")
    if not (np.isfinite(rmse).all() and (rmse > 0).all()):
        _fail(f"`{name}` has RMSE values that are not positive numbers")
    if min_seeds is not None:
        seeds = pd.to_numeric(table.loc[own, "seeds"], errors="coerce") \
            if "seeds" in table.columns else pd.Series(0, index=own)
        if (seeds.fillna(0) < min_seeds).any():
            _fail(f"`{name}` scores forecasts of fewer than {min_seeds} seeds: score every "
                  "seed's forecast (a (n_seeds, m) array per model)")
    want = metrics.rmse(ds.actual("test"), ds.previous("test"))
    if not np.isclose(rmse["persistence"], want, rtol=1e-6):
        _fail(f"the persistence RMSE in `{name}` is not the one on the test rows of the "
              "data set: score on the data set's test rows")
    return table


# --------------------------------------------------------------------------- training
def weights_moved(table, column: str, name: str, *, frozen: str | None = None) -> None:
    """In ``table[column]`` (one row per weight: its largest change in training), every
    weight moved, except those whose row name contains ``frozen``, which stayed exactly.
    """
    is_set(table, name)
    if not isinstance(table, pd.DataFrame) or column not in table.columns:
        _fail(f"`{name}` should be a table with a column {column!r}")
    change = pd.to_numeric(table[column], errors="coerce")
    if not np.isfinite(change).all():
        _fail(f"`{name}[{column!r}]` holds values that are not numbers")
    still = change.index.str.contains(frozen, case=False) if frozen else \
        np.zeros(len(change), dtype=bool)
    if frozen and not still.any():
        _fail(f"`{name}` has no row whose name contains {frozen!r}")
    if frozen and (change[still] != 0).any():
        _fail(f"with {column}, the {frozen} weights of `{name}` changed: they should not")
    if (change[~still] <= 0).any():
        stuck = list(change.index[~still][change[~still] <= 0])
        _fail(f"with {column}, these weights of `{name}` did not change: {stuck}")
