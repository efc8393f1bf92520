"""Daily variance from daily bars, and the baselines that forecast it (chapter 8).

Proxies of each day's variance, from a validated OHLCV frame (see
:mod:`stocklearn.data`), each a Series on the frame's dates in units of a
daily log return squared:

* :func:`squared_returns`: ``r[t]^2`` with ``r[t] = ln(C[t] / C[t-1])``
  (NaN on the first row, which has no previous close); :func:`log_returns`
  gives ``r`` itself.
* :func:`parkinson`: the day's range, ``ln(H/L)^2 / (4 ln 2)`` (Parkinson 1980).
* :func:`garman_klass`: range and body, ``0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2``
  (Garman & Klass 1980).

Bad bars (missing columns, NaN, prices <= 0, ``high < low``) raise
:class:`~stocklearn.data.DataError` before anything is computed.

Forecasts of the next day's variance, from a proxy (or, for GARCH, from
returns). **Convention**, the one of :mod:`stocklearn.baselines`: a forecast
sits on the row it forecasts. ``forecast.loc[d]`` is the variance forecast
*for* day ``d``, made at the close of the row before ``d`` from data up to
and including that row, so it is scored against ``proxy.loc[d]`` on the
same date: ``metrics.qlike(proxy[rows], forecast[rows])``. A decision taken
at the close of day ``t`` with the forecast for ``t + 1`` (as in
:mod:`stocklearn.backtest`) uses ``forecast.shift(-1)``. Rows without a
forecast (the warm-up) are NaN.

* :func:`persistence`: tomorrow's variance is today's proxy.
* :func:`rolling_mean`: the mean of the last ``window`` proxies.
* :func:`ewma`: RiskMetrics, ``f[t+1] = lam f[t] + (1 - lam) proxy[t]``.
* :func:`har_features`, :func:`har_fit`, :func:`har_forecast`: Corsi's (2009)
  HAR on the log proxy (daily, weekly and monthly averages), least squares
  on training rows only.
* :func:`garch_forecasts`: GARCH(1,1) or GJR-GARCH(1,1,1) from the ``arch``
  package, fitted on returns up to each forecast origin only.

In a walk-forward evaluation (:func:`stocklearn.walk_forward.walk_forward`,
chapter 7's machinery) every forecaster predicts the *log* of the mean
proxy over the next ``h`` days from a frame made by :func:`variance_frame`:
:func:`forecaster` turns each method above into a walk-forward baseline
(refit on each fold's training rows), and :class:`LogVarianceNetwork` is
a network whose log forecast is corrected by Duan's smearing factor, so
that ``exp`` of any forecaster's output is a forecast of the variance.

Train ends (``train_end``) are a number of rows (the first ``train_end``
rows are the training rows) or a date (the rows up to and including it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stocklearn.data import DataError, _first, _on, _rows
from stocklearn.prep import Dataset
from stocklearn.walk_forward import Network

SeriesLike = pd.Series | np.ndarray
"""A series in time order: a pandas Series (dates kept) or a 1-D array."""

TrainEnd = int | str | pd.Timestamp
"""A number of training rows, or the last training date."""

RISKMETRICS_LAMBDA = 0.94
"""RiskMetrics' (J.P. Morgan 1996) decay for daily data."""

HAR_LAGS = {"daily": 1, "weekly": 5, "monthly": 22}
"""The HAR regressors: averages of the log proxy over this many rows, the last one included."""

HAR_PARAMS = ("const", *HAR_LAGS)
"""Index of the coefficients :func:`har_fit` returns."""

GARCH_KINDS = {"garch": 0, "gjr": 1}
"""The volatility models of :func:`garch_forecasts`, with their asymmetric order ``o``."""

SCALE = 100.0
"""Returns are multiplied by this for arch's optimizer; variances are divided by its square."""


# --------------------------------------------------------------------------- checks
def _where(index: pd.Index, mask) -> str:
    """``on N rows: d1, d2, ...`` for the rows where ``mask`` holds (dates or labels)."""
    mask = np.asarray(mask, dtype=bool)
    if isinstance(index, pd.DatetimeIndex):
        return _on(index, mask)
    labels = [str(v) for v in index[mask]]
    return f"on {_rows(len(labels))}: {_first(labels)}"


def _bars(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    """The ``columns`` of ``frame`` as floats, after the checks; DataError naming the rows."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what}: expected a DataFrame of daily bars, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what} needs the columns {list(columns)}; {missing} missing from the "
                        f"frame's columns {list(frame.columns)}")
    if frame.empty:
        raise DataError(f"{what}: the frame has no rows")
    bars = frame[list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    problems = []
    for col in columns:
        bad = ~np.isfinite(bars[col].to_numpy())
        if bad.any():
            problems.append(f"missing, infinite or non-numeric values in '{col}' "
                            f"{_where(frame.index, bad)}")
    if not problems:
        bad = (bars <= 0).any(axis=1).to_numpy()
        if bad.any():
            problems.append(f"prices <= 0 {_where(frame.index, bad)}")
        if "high" in columns and "low" in columns:
            bad = (bars["high"] < bars["low"]).to_numpy()
            if bad.any():
                problems.append(f"high below low {_where(frame.index, bad)}")
        if {"open", "close"} <= set(columns):
            lo, hi = bars["low"], bars["high"]
            bad = ((bars[["open", "close"]].lt(lo, axis=0) | bars[["open", "close"]].gt(hi, axis=0))
                   .any(axis=1).to_numpy())
            if bad.any():
                problems.append(f"open or close outside [low, high] {_where(frame.index, bad)}")
    if problems:
        raise DataError(f"{what}: bad bars:\n- " + "\n- ".join(problems))
    return bars


def _series(values: SeriesLike, what: str, *, variance: bool = True) -> tuple[pd.Series, int]:
    """A float Series and the position of its first value; DataError on gaps or bad values.

    Leading NaNs (a proxy's warm-up, such as the first squared return) are
    allowed; a NaN after the first value, an infinity or (for a variance) a
    negative value is not.
    """
    s = (values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))).astype(float)
    x = s.to_numpy()
    valid = ~np.isnan(x)
    if not valid.any():
        raise DataError(f"{what}: the series has no values")
    first = int(np.argmax(valid))
    problems = []
    gaps = ~valid & (np.arange(len(x)) > first)
    if gaps.any():
        problems.append(f"NaN after the first value {_where(s.index, gaps)}")
    if np.isinf(x).any():
        problems.append(f"infinite values {_where(s.index, np.isinf(x))}")
    if variance and (x < 0).any():
        problems.append(f"negative variances {_where(s.index, x < 0)}")
    if problems:
        raise DataError(f"{what}: bad series:\n- " + "\n- ".join(problems))
    return s, first


def _window(window: int, what: str) -> int:
    if isinstance(window, (bool, np.bool_)) or not isinstance(window, (int, np.integer)) \
            or window < 1:
        raise ValueError(f"{what}: window must be a positive integer, got {window!r}")
    return int(window)


def _train_rows(index: pd.Index, train_end: TrainEnd, what: str) -> int:
    """The number of training rows: ``train_end`` itself, or the rows up to a date (included)."""
    n = len(index)
    if isinstance(train_end, (bool, np.bool_)):
        raise ValueError(f"{what}: train_end must be a number of rows or a date, not a bool")
    if isinstance(train_end, (int, np.integer)):
        rows = int(train_end)
    elif isinstance(train_end, (str, np.datetime64)) or hasattr(train_end, "year"):
        if not isinstance(index, pd.DatetimeIndex):
            raise ValueError(f"{what}: train_end as a date needs a series with a DatetimeIndex")
        rows = int(index.searchsorted(pd.Timestamp(train_end), side="right"))
    else:
        raise ValueError(f"{what}: train_end must be a number of rows or a date, "
                         f"got {train_end!r}")
    if not 0 < rows < n:
        raise ValueError(f"{what}: train_end={train_end!r} gives {rows} training rows; it must "
                         f"leave at least one training row and one later row of the {n}")
    return rows


# --------------------------------------------------------------------------- proxies
def log_returns(frame: pd.DataFrame) -> pd.Series:
    """Close-to-close log returns, ``ln(C[t] / C[t-1])``.

    Parameters
    ----------
    frame : DataFrame
        Daily bars with a ``close`` column.

    Returns
    -------
    Series
        On the frame's dates, named ``"log_return"``; NaN on the first row.

    Raises
    ------
    DataError
        No ``close`` column, NaN in it, or a close <= 0.
    """
    close = _bars(frame, ("close",), "log_returns")["close"]
    return np.log(close).diff().rename("log_return")


def squared_returns(frame: pd.DataFrame) -> pd.Series:
    """Squared close-to-close log returns: the noisiest proxy of the day's variance.

    ``r[t]^2`` with ``r[t] = ln(C[t] / C[t-1])``. Unbiased for the
    close-to-close variance when the mean return is negligible, but one draw
    of it: its noise is as large as the variance itself (for a normal
    return, the standard deviation of ``r^2`` is ``sqrt(2)`` times its mean).

    Parameters
    ----------
    frame : DataFrame
        Daily bars; only the close is read.

    Returns
    -------
    Series
        ``log_returns(frame) ** 2`` (:func:`log_returns`), named ``"squared_return"``.

    Raises
    ------
    DataError
        As :func:`log_returns`.
    """
    return (log_returns(frame) ** 2).rename("squared_return")


def parkinson(frame: pd.DataFrame) -> pd.Series:
    """Parkinson's (1980) range estimator of the day's variance: ``ln(H/L)^2 / (4 ln 2)``.

    For a driftless Brownian motion the expected squared log range of a day
    is ``4 ln 2`` times its variance. The range uses every trade of the day,
    not two closes, so it is a far less noisy proxy than a squared return
    (about five times more efficient); it misses the overnight gap and is
    biased down when prices are sampled discretely.

    Parameters
    ----------
    frame : DataFrame
        Daily bars with ``high`` and ``low`` columns.

    Returns
    -------
    Series
        On the frame's dates, named ``"parkinson"``.

    Raises
    ------
    DataError
        A column missing, NaN, a price <= 0, or a high below the low (the
        message names the first dates).
    """
    bars = _bars(frame, ("high", "low"), "parkinson")
    return (np.log(bars["high"] / bars["low"]) ** 2 / (4.0 * np.log(2.0))).rename("parkinson")


def garman_klass(frame: pd.DataFrame) -> pd.Series:
    """Garman and Klass's (1980) estimator: ``0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2``.

    The range, corrected with the day's body (open to close); more efficient
    than :func:`parkinson` for a driftless Brownian motion, and like it blind
    to the overnight gap (close to next open). Non-negative whenever the open
    and close lie within ``[low, high]``, which is checked.

    Parameters
    ----------
    frame : DataFrame
        Daily bars with ``open, high, low, close`` columns.

    Returns
    -------
    Series
        On the frame's dates, named ``"garman_klass"``.

    Raises
    ------
    DataError
        A column missing, NaN, a price <= 0, a high below the low, or an open
        or close outside ``[low, high]`` (the message names the first dates).
    """
    bars = _bars(frame, ("open", "high", "low", "close"), "garman_klass")
    hl = np.log(bars["high"] / bars["low"])
    co = np.log(bars["close"] / bars["open"])
    return (0.5 * hl**2 - (2.0 * np.log(2.0) - 1.0) * co**2).rename("garman_klass")


# --------------------------------------------------------------------------- baselines
def persistence(proxy: SeriesLike) -> pd.Series:
    """Tomorrow's variance is today's proxy: ``forecast[t+1] = proxy[t]``.

    Parameters
    ----------
    proxy : Series or 1-D array
        Daily variance proxy in time order (leading NaNs allowed).

    Returns
    -------
    Series
        On the proxy's rows, each row's forecast made the row before (see the
        module's convention), named ``"persistence"``.

    Raises
    ------
    DataError
        NaN after the first value, an infinite or negative value.
    """
    s, _ = _series(proxy, "persistence")
    return s.shift(1).rename("persistence")


def rolling_mean(proxy: SeriesLike, window: int = 22) -> pd.Series:
    """The mean of the last ``window`` proxies: ``forecast[t+1] = mean(proxy[t-window+1 .. t])``.

    Parameters
    ----------
    proxy : Series or 1-D array
        Daily variance proxy in time order (leading NaNs allowed).
    window : int, default 22
        Rows averaged (22: about a month of trading days).

    Returns
    -------
    Series
        On the proxy's rows, named ``"rolling_{window}"``; NaN until ``window``
        values precede a row.

    Raises
    ------
    ValueError
        When ``window`` is not a positive integer.
    DataError
        As :func:`persistence`.
    """
    window = _window(window, "rolling_mean")
    s, _ = _series(proxy, "rolling_mean")
    return s.rolling(window, min_periods=window).mean().shift(1).rename(f"rolling_{window}")


def ewma(proxy: SeriesLike, lam: float = RISKMETRICS_LAMBDA, window: int = 22) -> pd.Series:
    """RiskMetrics' exponentially weighted average: ``f[t+1] = lam f[t] + (1 - lam) proxy[t]``.

    The recursion is seeded with the mean of the first ``window`` values: that
    mean is the forecast for the row after them, and every later value enters
    through the recursion (pandas ``ewm(alpha=1 - lam, adjust=False)``).

    Parameters
    ----------
    proxy : Series or 1-D array
        Daily variance proxy in time order (leading NaNs allowed).
    lam : float, default 0.94
        Decay, in ``(0, 1)``; 0.94 is RiskMetrics' daily value.
    window : int, default 22
        Values averaged into the seed.

    Returns
    -------
    Series
        On the proxy's rows, named ``"ewma"``; NaN up to and including the
        ``window``-th value's row.

    Raises
    ------
    ValueError
        ``lam`` outside ``(0, 1)`` or a bad ``window``.
    DataError
        As :func:`persistence`, or fewer than ``window + 1`` values.
    """
    if not 0.0 < lam < 1.0:
        raise ValueError(f"ewma: lam must lie in (0, 1), got {lam}")
    window = _window(window, "ewma")
    s, first = _series(proxy, "ewma")
    start = first + window  # the first row with a forecast
    if start >= len(s):
        raise DataError(f"ewma: {len(s) - first} values, but the seed takes window={window} "
                        f"and a forecast needs one row more")
    x = s.to_numpy()
    # e[0] = seed (forecast for row `start`); e[j] = lam e[j-1] + (1 - lam) x[start + j - 1]
    chain = pd.Series(np.concatenate([[x[first:start].mean()], x[start:-1]]))
    out = np.full(len(s), np.nan)
    out[start:] = chain.ewm(alpha=1.0 - lam, adjust=False).mean().to_numpy()
    return pd.Series(out, index=s.index, name="ewma")


def _log_proxy(proxy: SeriesLike, floor: float | None, what: str) -> pd.Series:
    s, _ = _series(proxy, what)
    if floor is not None:
        if not floor > 0:
            raise ValueError(f"{what}: floor must be positive, got {floor}")
        s = s.clip(lower=floor)
    zero = (s == 0).to_numpy()
    if zero.any():
        raise DataError(f"{what}: the log proxy is -inf where the proxy is 0, "
                        f"{_where(s.index, zero)}; pass a floor (e.g. a small share of the "
                        f"training median) or use a range proxy")
    return np.log(s)


def har_features(proxy: SeriesLike, *, floor: float | None = None) -> pd.DataFrame:
    """The HAR regressors known at each close: averages of the log proxy (Corsi 2009).

    Row ``t`` holds ``daily = ln proxy[t]``, ``weekly`` the mean of
    ``ln proxy`` over rows ``t-4 .. t`` and ``monthly`` over ``t-21 .. t``:
    inputs of the forecast *made at* row ``t`` for row ``t + 1``.

    Parameters
    ----------
    proxy : Series or 1-D array
        Daily variance proxy in time order (leading NaNs allowed).
    floor : float, optional
        Values below it are raised to it before the log. Without one, a zero
        proxy (a day with no move, a squared return of 0) raises.

    Returns
    -------
    DataFrame
        On the proxy's rows, columns ``daily, weekly, monthly``; NaN where a
        window lacks values.

    Raises
    ------
    DataError
        As :func:`persistence`, or a zero proxy without a floor.
    """
    log = _log_proxy(proxy, floor, "har_features")
    return pd.DataFrame({name: log.rolling(n, min_periods=n).mean()
                         for name, n in HAR_LAGS.items()})


def _horizon(horizon: int, what: str) -> int:
    return _window(horizon, f"{what} (horizon)")


def horizon_mean(proxy: SeriesLike, horizon: int) -> pd.Series:
    """The mean proxy of the ``horizon`` rows ending on each row: the target of an h-day forecast.

    Row ``d`` holds ``mean(proxy[d-h+1 .. d])``, the average daily variance
    of the ``h`` days a forecast made at the close of row ``d - h`` is for
    (``horizon=1`` gives the proxy itself; 5 a trading week).

    Parameters
    ----------
    proxy : Series or 1-D array
        Daily variance proxy in time order (leading NaNs allowed).
    horizon : int

    Returns
    -------
    Series
        On the proxy's rows, named ``"mean_{horizon}"``; NaN until ``horizon``
        values precede.
    """
    horizon = _horizon(horizon, "horizon_mean")
    s, _ = _series(proxy, "horizon_mean")
    return s.rolling(horizon, min_periods=horizon).mean().rename(f"mean_{horizon}")


def _har_design(proxy: SeriesLike, floor: float | None, horizon: int,
                what: str) -> tuple[pd.DataFrame, pd.Series]:
    """Regressors with a constant, by origin row, and the log mean proxy of the next ``horizon``."""
    x = har_features(proxy, floor=floor)
    x.insert(0, "const", 1.0)
    log = _log_proxy(proxy, floor, what)
    target = np.log(np.exp(log).rolling(horizon, min_periods=horizon).mean())
    return x, target.shift(-horizon)


def _har_training(x: pd.DataFrame, y: pd.Series, rows: int, horizon: int, what: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Training regression rows: every regressor known and the last target row < ``rows``."""
    xa, ya = x.to_numpy()[: rows - horizon], y.to_numpy()[: rows - horizon]
    ok = np.isfinite(xa).all(axis=1) & np.isfinite(ya)
    if ok.sum() <= len(HAR_PARAMS):
        raise DataError(f"{what}: {int(ok.sum())} training rows with all regressors known; "
                        f"the fit of {len(HAR_PARAMS)} coefficients needs more (the monthly "
                        f"average alone takes {HAR_LAGS['monthly']} rows)")
    return xa[ok], ya[ok]


def har_fit(proxy: SeriesLike, train_end: TrainEnd, *, floor: float | None = None,
            horizon: int = 1) -> pd.Series:
    """Least-squares coefficients of the HAR model on the training rows only.

    ``ln proxy[t+1] = const + b_d daily[t] + b_w weekly[t] + b_m monthly[t] + e[t+1]``
    (:func:`har_features`), fitted by ordinary least squares
    (:func:`numpy.linalg.lstsq`) on the origins whose regressors and target
    rows all lie before ``train_end``. For ``horizon=h`` the left-hand side
    is the log of the mean proxy over rows ``t+1 .. t+h``
    (:func:`horizon_mean`): the direct h-day HAR.

    Parameters
    ----------
    proxy : Series or 1-D array
        Daily variance proxy in time order (leading NaNs allowed).
    train_end : int or date
        Number of training rows, or the last training date.
    floor : float, optional
        See :func:`har_features`.
    horizon : int, default 1
        Days the target averages over.

    Returns
    -------
    Series
        Index ``const, daily, weekly, monthly``, named ``"har"``.

    Raises
    ------
    ValueError
        A bad ``train_end`` or ``floor``.
    DataError
        As :func:`har_features`, or too few training rows.
    """
    horizon = _horizon(horizon, "har_fit")
    s, _ = _series(proxy, "har_fit")
    rows = _train_rows(s.index, train_end, "har_fit")
    xa, ya = _har_training(*_har_design(s, floor, horizon, "har_fit"), rows, horizon, "har_fit")
    coef = np.linalg.lstsq(xa, ya, rcond=None)[0]
    return pd.Series(coef, index=list(HAR_PARAMS), name="har")


def har_forecast(proxy: SeriesLike, train_end: TrainEnd, *, params: pd.Series | None = None,
                 floor: float | None = None, smearing: bool = True,
                 horizon: int = 1) -> pd.Series:
    """HAR forecasts of the next day's variance on every row, fitted on the training rows only.

    With ``horizon=h``, forecasts of the mean variance of the next ``h`` days
    (the direct h-day HAR of :func:`har_fit`), each on the last row it
    covers, as :func:`horizon_mean`.

    The forecast for row ``t + 1`` is ``exp(const + b_d daily[t] + b_w
    weekly[t] + b_m monthly[t])`` times the smearing factor. The exponential
    of a forecast of the *log* is a forecast of the median, not of the mean:
    for a squared return, whose log is skewed far to the left, it falls short
    of the variance by a factor of about 3.56 for normal returns
    (``exp(-E ln z^2)``, ``z`` standard normal), more for fat-tailed ones, and
    loses badly on MSE and QLIKE. Duan's (1983) smearing factor, the mean of
    ``exp(residual)`` over the training rows, puts the mean back without
    assuming a distribution.

    Parameters
    ----------
    proxy : Series or 1-D array
        Daily variance proxy in time order (leading NaNs allowed).
    train_end : int or date
        Number of training rows, or the last training date: the rows of the
        fit (:func:`har_fit`) and of the smearing factor.
    params : SeriesLike, optional
        Coefficients from :func:`har_fit` (default: fitted here).
    floor : float, optional
        See :func:`har_features`.
    smearing : bool, default True
        Multiply by Duan's smearing factor.
    horizon : int, default 1
        Days the forecast averages over.

    Returns
    -------
    Series
        On the proxy's rows, each row's forecast made ``horizon`` rows before
        (see the module's convention), named ``"har"``; NaN during the
        warm-up (the monthly average needs 22 values).

    Raises
    ------
    ValueError, DataError
        As :func:`har_fit`.
    """
    horizon = _horizon(horizon, "har_forecast")
    s, _ = _series(proxy, "har_forecast")
    rows = _train_rows(s.index, train_end, "har_forecast")
    if params is None:
        params = har_fit(s, rows, floor=floor, horizon=horizon)
    coef = pd.Series(params).reindex(list(HAR_PARAMS)).to_numpy(dtype=float)
    if not np.isfinite(coef).all():
        raise ValueError(f"har_forecast: params must hold finite {list(HAR_PARAMS)}, "
                         f"got {dict(pd.Series(params))}")
    x, y = _har_design(s, floor, horizon, "har_forecast")
    factor = 1.0
    if smearing:
        xa, ya = _har_training(x, y, rows, horizon, "har_forecast")
        factor = float(np.mean(np.exp(ya - xa @ coef)))
    by_origin = np.exp(x.to_numpy() @ coef) * factor
    return pd.Series(by_origin, index=s.index).shift(horizon).rename("har")


# --------------------------------------------------------------------------- GARCH
def _garch_block(r: pd.Series, kind: str, mean: str, fit_end: int, first: int, stop: int,
                 horizon: int) -> np.ndarray:
    """Forecasts made at origins ``first .. stop - 1`` of ``r``, fitted on rows < ``fit_end``.

    Each is the mean variance of the ``horizon`` rows after its origin. The
    model sees the returns up to row ``stop - 1`` (the last origin) only;
    its parameters are fitted on the first ``fit_end`` rows and kept fixed
    while the variance recursion runs forward.
    """
    from arch import arch_model

    model = arch_model(r.iloc[:stop] * SCALE, mean=mean, vol="GARCH", p=1,
                       o=GARCH_KINDS[kind], q=1, dist="normal", rescale=False)
    fit = model.fit(last_obs=fit_end, disp="off")
    fc = model.forecast(fit.params, horizon=horizon, start=first, reindex=False)
    return fc.variance.to_numpy().mean(axis=1) / SCALE**2


def garch_forecasts(returns: SeriesLike, train_end: TrainEnd, *, kind: str = "garch",
                    refit_every: int | None = None, mean: str = "Zero",
                    horizon: int = 1) -> pd.Series:
    """One-step-ahead (or h-day) GARCH variance forecasts on the rows after the training rows.

    A GARCH(1,1) (``kind="garch"``) or GJR-GARCH(1,1,1) (``kind="gjr"``,
    bad news raises the variance more than good news) from the ``arch``
    package, with normal quasi-likelihood. Returns are multiplied by 100 for
    arch's optimizer and the variances divided by 10,000, so the forecasts
    are in the units of ``returns`` squared.

    Without ``refit_every`` the model is fitted once on the training rows and
    its variance recursion is run forward with those parameters fixed. With
    ``refit_every=k`` it is refitted on an expanding window before every
    block of ``k`` forecast origins, on the returns up to the block's first
    origin. Either way a forecast uses returns up to its origin only.

    Parameters
    ----------
    returns : Series or 1-D array
        Daily log returns in time order (:func:`log_returns`; a leading NaN
        is dropped).
    train_end : int or date
        Number of training rows, or the last training date.
    kind : {"garch", "gjr"}, default "garch"
    refit_every : int, optional
        Origins between refits.
    mean : str, default "Zero"
        arch's mean model. "Zero" makes the forecast one of ``E[r^2]``, the
        quantity a squared return measures; "Constant" subtracts a mean.
    horizon : int, default 1
        The forecast is the mean of arch's variance forecasts for the next
        ``horizon`` days (as :func:`horizon_mean` averages a proxy).

    Returns
    -------
    Series
        On the rows of ``returns`` from ``train_end + horizon - 1`` on, each
        row's forecast made ``horizon`` rows before (see the module's
        convention; the first origin is the last training row), named
        ``kind``.

    Raises
    ------
    ValueError
        Unknown ``kind``, bad ``refit_every``, ``horizon`` or ``train_end``.
    DataError
        NaN after the first value, infinite returns, or fewer than 30
        training returns.
    """
    if kind not in GARCH_KINDS:
        raise ValueError(f"garch_forecasts: kind must be one of {list(GARCH_KINDS)}, got {kind!r}")
    if refit_every is not None:
        refit_every = _window(refit_every, "garch_forecasts (refit_every)")
    horizon = _horizon(horizon, "garch_forecasts")
    s, first = _series(returns, "garch_forecasts", variance=False)
    rows = _train_rows(s.index, train_end, "garch_forecasts")
    r = s.iloc[first:]
    fit_end, n = rows - first, len(r)
    if fit_end < 30:
        raise DataError(f"garch_forecasts: {max(fit_end, 0)} training returns; a GARCH fit "
                        f"needs at least 30")
    last = n - 1 - horizon  # the last origin whose target row exists
    if last < fit_end - 1:
        raise ValueError(f"garch_forecasts: no row after the training rows for horizon "
                         f"{horizon}")
    step = refit_every or last - fit_end + 2
    blocks = [_garch_block(r, kind, mean, origin + 1, origin, min(origin + step, last + 1),
                           horizon)
              for origin in range(fit_end - 1, last + 1, step)]
    return pd.Series(np.concatenate(blocks), index=s.index[rows + horizon - 1:], name=kind)


# --------------------------------------------------------------------------- walk-forward
PROXY = "proxy"
"""Column of :func:`variance_frame` holding the daily variance proxy."""

PROXIES = {"garman_klass": garman_klass, "parkinson": parkinson,
           "squared_return": squared_returns}
"""The proxies :func:`variance_frame` can use, by name."""

METHODS = ("rolling_mean", "ewma", "har", *GARCH_KINDS)
"""The methods :func:`forecaster` turns into walk-forward baselines."""


def target_column(horizon: int) -> str:
    """The column of :func:`variance_frame` an ``horizon``-day forecast predicts."""
    return f"log_var_{_horizon(horizon, 'target_column')}"


def variance_frame(bars: pd.DataFrame, *, proxy: str = "garman_klass",
                   horizons: tuple[int, ...] = (1, 5)) -> pd.DataFrame:
    """The columns a walk-forward evaluation of variance forecasts needs, from daily bars.

    Parameters
    ----------
    bars : DataFrame
        Validated daily bars (:func:`stocklearn.data.load`).
    proxy : str, default "garman_klass"
        A key of :data:`PROXIES`: the measure of each day's variance.
    horizons : tuple of int, default (1, 5)
        Forecast horizons in days.

    Returns
    -------
    DataFrame
        On the bars' dates, from the first row where every column is known:
        ``proxy`` (the day's variance), ``log_proxy``, ``log_return`` (close
        to close), and per horizon ``h`` the target
        ``log_var_h = ln(mean(proxy over the h rows ending here))``
        (:func:`target_column`, :func:`horizon_mean`).

    Raises
    ------
    ValueError
        An unknown proxy or a bad horizon.
    DataError
        As the proxy, or a proxy of 0 (its log is -inf).
    """
    if proxy not in PROXIES:
        raise ValueError(f"variance_frame: proxy must be one of {list(PROXIES)}, got {proxy!r}")
    daily = PROXIES[proxy](bars).rename(PROXY)
    out = pd.DataFrame({PROXY: daily, "log_proxy": _log_proxy(daily, None, "variance_frame"),
                        "log_return": log_returns(bars)})
    for h in horizons:
        out[target_column(h)] = np.log(horizon_mean(daily, h))
    return out.dropna()


def _check_frame(ds: Dataset, what: str) -> int:
    """The data set's horizon, after checking that it predicts :func:`target_column`."""
    h = ds.test.horizon
    missing = [c for c in (PROXY, "log_return") if c not in ds.frame.columns]
    if missing:
        raise DataError(f"{what} reads the columns of variance_frame; {missing} missing")
    if ds.targets != [target_column(h)]:
        raise ValueError(f"{what}: a {h}-day data set must predict {target_column(h)!r} "
                         f"(variance_frame), not {ds.targets}")
    return h


def dataset_forecast(ds: Dataset, part: str = "test", *, method: str,
                     **options) -> np.ndarray:
    """The log variance forecast of one method for the windows of ``part``.

    A baseline ``f(ds, part)`` for :func:`stocklearn.walk_forward.walk_forward`
    (use :func:`forecaster`). Each forecast is made at the close of its
    window's last row from the frame's rows up to it; anything fitted (HAR,
    GARCH) is fitted on the data set's training rows only. Rolling mean and
    EWMA forecast the next day; for ``h`` days ahead their forecast is the
    same (a flat path). GARCH models close-to-close returns, whose variance
    includes the overnight move that a range proxy misses, so its forecast
    is scaled by the ratio of the mean proxy to the mean squared return
    over the training rows.

    Parameters
    ----------
    ds : Dataset
        Made from a :func:`variance_frame` with target :func:`target_column`.
    part : {"train", "val", "test"}
    method : str
        One of :data:`METHODS`.
    **options
        Passed to the method (``window``, ``lam``, ``floor``, ``mean``, ...).

    Returns
    -------
    ndarray, shape (m,)
        ``ln`` of the forecast mean daily variance over each target's days.

    Raises
    ------
    ValueError
        Unknown method, or a data set with another target.
    DataError
        Columns missing, too few rows before a window for the method, or (GARCH)
        a window whose origin lies before the last training row: an ``h``-day
        data set needs a gap of ``h - 1`` rows before its test rows.
    """
    if method not in METHODS:
        raise ValueError(f"dataset_forecast: method must be one of {METHODS}, got {method!r}")
    h = _check_frame(ds, "dataset_forecast")
    w, proxy, train_end = ds.part(part), ds.frame[PROXY], ds.split.train[1]
    if method in ("rolling_mean", "ewma"):
        daily = (rolling_mean if method == "rolling_mean" else ewma)(proxy, **options)
        values = daily.to_numpy()[w.last_input_pos + 1]
    elif method == "har":
        values = har_forecast(proxy, train_end, horizon=h, **options).to_numpy()[w.target_pos]
    else:
        early = int((w.last_input_pos < train_end - 1).sum())
        if early:
            raise DataError(f"dataset_forecast: {method} forecasts from the last training row "
                            f"on, and {early} of the {part} windows have their origin before "
                            f"it; a {h}-day data set needs a gap of at least {h - 1} rows "
                            f"before its test rows (the gap of chronological_split or "
                            f"walk_forward)")
        returns = ds.frame["log_return"]
        fc = garch_forecasts(returns, train_end, kind=method, horizon=h, **options)
        values = np.full(len(proxy), np.nan)
        values[len(proxy) - len(fc):] = fc.to_numpy()
        ratio = proxy.iloc[:train_end].mean() / (returns.iloc[:train_end] ** 2).mean()
        values = values[w.target_pos] * ratio
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise DataError(f"dataset_forecast: {method} has no forecast for {int(bad.sum())} of "
                        f"the {part} windows (too few rows before them)")
    return np.log(values)


def forecaster(method: str, **options):
    """A walk-forward baseline for one method: ``dataset_forecast`` with it filled in.

    ``walk_forward(frame, {"HAR": volatility.forecaster("har"), ...})``.
    """
    from functools import partial

    if method not in METHODS:
        raise ValueError(f"forecaster: method must be one of {METHODS}, got {method!r}")
    return partial(dataset_forecast, method=method, **options)


class LogVarianceNetwork(Network):
    """A :class:`~stocklearn.walk_forward.Network` trained on a log variance, smeared back.

    Trained with the squared error on ``ln`` of the target, a network
    forecasts the log's mean: its exponential is about the median of the
    variance, too low on average. As for HAR (:func:`har_forecast`), the
    forecast is raised by Duan's smearing factor, the mean of ``exp(actual -
    forecast)`` over the training windows, so that ``exp`` of the output is a
    forecast of the variance itself. The log of the factor is returned as
    ``smearing`` with each fold's forecasts.
    """

    def __call__(self, ds: Dataset, seed: int) -> dict:
        from stocklearn import training

        _check_frame(ds, "LogVarianceNetwork")
        model, history = self.fit(ds, seed)
        train = ds.to_price(training.predict(model, ds.train.X), "train")
        smearing = float(np.log(np.mean(np.exp(ds.train.actual - train))))
        forecast = ds.to_price(training.predict(model, ds.test.X), "test") + smearing
        return {"forecast": forecast, "epochs": len(history["loss"]), "smearing": smearing}
