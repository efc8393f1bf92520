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

Train ends (``train_end``) are a number of rows (the first ``train_end``
rows are the training rows) or a date (the rows up to and including it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stocklearn.data import DataError, _first, _on, _rows

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


def _har_design(proxy: SeriesLike, floor: float | None,
                what: str) -> tuple[pd.DataFrame, pd.Series]:
    """Regressors with a constant, by origin row, and the log proxy of the next row."""
    x = har_features(proxy, floor=floor)
    x.insert(0, "const", 1.0)
    return x, _log_proxy(proxy, floor, what).shift(-1)


def _har_training(x: pd.DataFrame, y: pd.Series, rows: int, what: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Training regression rows: every regressor known and the target row < ``rows``."""
    xa, ya = x.to_numpy()[: rows - 1], y.to_numpy()[: rows - 1]
    ok = np.isfinite(xa).all(axis=1) & np.isfinite(ya)
    if ok.sum() <= len(HAR_PARAMS):
        raise DataError(f"{what}: {int(ok.sum())} training rows with all regressors known; "
                        f"the fit of {len(HAR_PARAMS)} coefficients needs more (the monthly "
                        f"average alone takes {HAR_LAGS['monthly']} rows)")
    return xa[ok], ya[ok]


def har_fit(proxy: SeriesLike, train_end: TrainEnd, *, floor: float | None = None) -> pd.Series:
    """Least-squares coefficients of the HAR model on the training rows only.

    ``ln proxy[t+1] = const + b_d daily[t] + b_w weekly[t] + b_m monthly[t] + e[t+1]``
    (:func:`har_features`), fitted by ordinary least squares
    (:func:`numpy.linalg.lstsq`) on the origins whose regressors and target
    row all lie before ``train_end``.

    Parameters
    ----------
    proxy : Series or 1-D array
        Daily variance proxy in time order (leading NaNs allowed).
    train_end : int or date
        Number of training rows, or the last training date.
    floor : float, optional
        See :func:`har_features`.

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
    s, _ = _series(proxy, "har_fit")
    rows = _train_rows(s.index, train_end, "har_fit")
    xa, ya = _har_training(*_har_design(s, floor, "har_fit"), rows, "har_fit")
    coef = np.linalg.lstsq(xa, ya, rcond=None)[0]
    return pd.Series(coef, index=list(HAR_PARAMS), name="har")


def har_forecast(proxy: SeriesLike, train_end: TrainEnd, *, params: pd.Series | None = None,
                 floor: float | None = None, smearing: bool = True) -> pd.Series:
    """HAR forecasts of the next day's variance on every row, fitted on the training rows only.

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

    Returns
    -------
    Series
        On the proxy's rows, each row's forecast made the row before (see the
        module's convention), named ``"har"``; NaN during the warm-up
        (the monthly average needs 22 values).

    Raises
    ------
    ValueError, DataError
        As :func:`har_fit`.
    """
    s, _ = _series(proxy, "har_forecast")
    rows = _train_rows(s.index, train_end, "har_forecast")
    if params is None:
        params = har_fit(s, rows, floor=floor)
    coef = pd.Series(params).reindex(list(HAR_PARAMS)).to_numpy(dtype=float)
    if not np.isfinite(coef).all():
        raise ValueError(f"har_forecast: params must hold finite {list(HAR_PARAMS)}, "
                         f"got {dict(pd.Series(params))}")
    x, y = _har_design(s, floor, "har_forecast")
    factor = 1.0
    if smearing:
        xa, ya = _har_training(x, y, rows, "har_forecast")
        factor = float(np.mean(np.exp(ya - xa @ coef)))
    by_origin = np.exp(x.to_numpy() @ coef) * factor
    return pd.Series(by_origin, index=s.index).shift(1).rename("har")


# --------------------------------------------------------------------------- GARCH
def _garch_block(r: pd.Series, kind: str, mean: str, fit_end: int, stop: int) -> np.ndarray:
    """Forecasts for rows ``fit_end .. stop - 1`` of ``r``, fitted on rows before ``fit_end``.

    The model sees the returns up to row ``stop - 2`` only (the last origin);
    its parameters are fitted on the first ``fit_end`` rows and kept fixed
    while the variance recursion runs forward.
    """
    from arch import arch_model

    model = arch_model(r.iloc[: stop - 1] * SCALE, mean=mean, vol="GARCH", p=1,
                       o=GARCH_KINDS[kind], q=1, dist="normal", rescale=False)
    fit = model.fit(last_obs=fit_end, disp="off")
    fc = model.forecast(fit.params, horizon=1, start=fit_end - 1, reindex=False)
    return fc.variance.to_numpy()[:, 0] / SCALE**2


def garch_forecasts(returns: SeriesLike, train_end: TrainEnd, *, kind: str = "garch",
                    refit_every: int | None = None, mean: str = "Zero") -> pd.Series:
    """One-step-ahead GARCH variance forecasts on the rows after the training rows.

    A GARCH(1,1) (``kind="garch"``) or GJR-GARCH(1,1,1) (``kind="gjr"``,
    bad news raises the variance more than good news) from the ``arch``
    package, with normal quasi-likelihood. Returns are multiplied by 100 for
    arch's optimizer and the variances divided by 10,000, so the forecasts
    are in the units of ``returns`` squared.

    Without ``refit_every`` the model is fitted once on the training rows and
    its variance recursion is run forward with those parameters fixed. With
    ``refit_every=k`` it is refitted on an expanding window before every
    block of ``k`` forecast rows, on the returns before the block's first
    row. Either way a forecast uses returns up to its origin only.

    Parameters
    ----------
    returns : Series or 1-D array
        Daily log returns in time order (:func:`log_returns`; a leading NaN
        is dropped).
    train_end : int or date
        Number of training rows, or the last training date.
    kind : {"garch", "gjr"}, default "garch"
    refit_every : int, optional
        Rows between refits.
    mean : str, default "Zero"
        arch's mean model. "Zero" makes the forecast one of ``E[r^2]``, the
        quantity a squared return measures; "Constant" subtracts a mean.

    Returns
    -------
    Series
        On the rows of ``returns`` from ``train_end`` on, each row's forecast
        made the row before (see the module's convention), named ``kind``.

    Raises
    ------
    ValueError
        Unknown ``kind``, bad ``refit_every`` or ``train_end``.
    DataError
        NaN after the first value, infinite returns, or fewer than 30
        training returns.
    """
    if kind not in GARCH_KINDS:
        raise ValueError(f"garch_forecasts: kind must be one of {list(GARCH_KINDS)}, got {kind!r}")
    if refit_every is not None:
        refit_every = _window(refit_every, "garch_forecasts (refit_every)")
    s, first = _series(returns, "garch_forecasts", variance=False)
    rows = _train_rows(s.index, train_end, "garch_forecasts")
    r = s.iloc[first:]
    fit_end, n = rows - first, len(r)
    if fit_end < 30:
        raise DataError(f"garch_forecasts: {max(fit_end, 0)} training returns; a GARCH fit "
                        f"needs at least 30")
    step = refit_every or n - fit_end
    blocks = [_garch_block(r, kind, mean, start, min(start + step, n))
              for start in range(fit_end, n, step)]
    return pd.Series(np.concatenate(blocks), index=s.index[rows:], name=kind)
