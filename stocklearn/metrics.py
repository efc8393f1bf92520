"""Forecast errors in price units, and a test of whether two forecasts really differ.

All functions take numpy arrays (or anything :func:`numpy.asarray` accepts)
of prices. Arrays must have the same shape and hold no NaN or infinity; 2-D
arrays (several targets, one column each) are allowed by the point metrics,
which then average over every cell. :func:`evaluate` gathers the usual table
row for one 1-D forecast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

METRICS = ("RMSE", "MAE", "MAPE", "MASE", "DA")
"""Index of the Series returned by :func:`evaluate`."""

LOSSES = ("squared", "absolute")


def _arrays(**named) -> list[np.ndarray]:
    """Float arrays of one shape, non-empty and finite; ValueError naming the culprit."""
    out = []
    for name, value in named.items():
        a = np.asarray(value, dtype=float)
        if a.size == 0:
            raise ValueError(f"{name} is empty")
        bad = ~np.isfinite(a)
        if bad.any():
            first = np.argwhere(bad)[:5].tolist()
            raise ValueError(f"{name} holds {int(bad.sum())} NaN or infinite value(s), "
                             f"first at position(s) {first}")
        out.append(a)
    shapes = {name: a.shape for name, a in zip(named, out, strict=True)}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"arrays must have the same shape, got {shapes}")
    return out


def rmse(actual, forecast) -> float:
    """Root mean squared error, in the units of the data.

    Parameters
    ----------
    actual, forecast : array-like, same shape
        Actual and forecast values.

    Returns
    -------
    float
    """
    t, p = _arrays(actual=actual, forecast=forecast)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(actual, forecast) -> float:
    """Mean absolute error, in the units of the data.

    Parameters
    ----------
    actual, forecast : array-like, same shape
        Actual and forecast values.

    Returns
    -------
    float
    """
    t, p = _arrays(actual=actual, forecast=forecast)
    return float(np.mean(np.abs(t - p)))


def mape(actual, forecast) -> float:
    """Mean absolute percentage error, in percent: ``100 mean(|actual - forecast| / |actual|)``.

    Parameters
    ----------
    actual, forecast : array-like, same shape
        Actual and forecast values; ``actual`` must not contain 0.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When an actual value is 0 (the percentage is undefined).
    """
    t, p = _arrays(actual=actual, forecast=forecast)
    if (t == 0).any():
        raise ValueError("mape is undefined when actual contains 0")
    return float(100.0 * np.mean(np.abs((t - p) / t)))


def mase(actual, forecast, scale_series, m: int = 1) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006).

    The forecast's MAE divided by the MAE of the seasonal naive forecast on
    ``scale_series``, ``mean |s[t] - s[t-m]|``. Hyndman & Koehler scale by
    the training series (so do :func:`evaluate` and the score tables of
    :mod:`stocklearn.evaluation`): with ``m = 1``, below 1 means better than
    "tomorrow = today" was on the training data. Bao et al. (2021) scale by
    the scored period itself (:func:`stocklearn.error_correction.score`
    passes the scored rows and the value before them): below 1 means better
    than persistence on the same rows.

    Parameters
    ----------
    actual, forecast : array-like, same shape
        Actual and forecast values.
    scale_series : array-like, shape (n,) or (n, k)
        The series (in time order) whose naive forecast's MAE is the scale,
        usually the training series; with 2-D arrays the scale is averaged
        over all columns.
    m : int, default 1
        Lag of the naive forecast (the season length).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When ``scale_series`` has no more than ``m`` rows or is constant.
    """
    t, p = _arrays(actual=actual, forecast=forecast)
    (train,) = _arrays(scale_series=scale_series)
    if m < 1 or len(train) <= m:
        raise ValueError(f"mase needs m >= 1 and more than m={m} values to scale by, "
                         f"got {len(train)}")
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    if scale == 0:
        raise ValueError("mase is undefined: the scale series never changes")
    return float(np.mean(np.abs(t - p)) / scale)


def scaled_mae(actual, forecast, train_series) -> float:
    """MAE after min-max scaling with the training range: ``MAE / (max(train) - min(train))``.

    Min-max scaling is affine, so the MAE of scaled values is the MAE in
    prices divided by the range of the training series. Ding & Qin (2020)
    report ``1 - scaled_mae`` as "average accuracy". It is not an accuracy:
    the denominator is the spread of the *whole* training period (years of
    prices), not the size of a day's move, so almost any forecast that stays
    near the price level, persistence included, scores close to 1
    (chapter 5).

    Parameters
    ----------
    actual, forecast : array-like, same shape
        Actual and forecast prices.
    train_series : array-like
        The target over the training rows (the rows the scaler is fit on).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When the training series is constant.
    """
    t, p = _arrays(actual=actual, forecast=forecast)
    (train,) = _arrays(train_series=train_series)
    spread = float(np.max(train) - np.min(train))
    if spread == 0:
        raise ValueError("scaled_mae is undefined: the training series is constant")
    return float(np.mean(np.abs(t - p)) / spread)


def direction_accuracy(actual, forecast, previous) -> float:
    """Share of rows where the forecast moves the same way as the price did.

    A row is a hit when ``sign(forecast - previous) == sign(actual - previous)``,
    with ``previous`` the previous *actual* value (the last input row). Signs
    are -1, 0 or +1 and must match exactly, so a forecast of "no change" is
    a hit only on a day the price did not move; persistence therefore scores
    (almost) 0, not 50%.

    Parameters
    ----------
    actual, forecast, previous : array-like, same shape
        Actual values, forecasts, and the actual value each forecast starts from.

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    t, p, prev = _arrays(actual=actual, forecast=forecast, previous=previous)
    return float(np.mean(np.sign(p - prev) == np.sign(t - prev)))


def diebold_mariano(e1, e2, h: int = 1, loss: str = "squared") -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy, with the Harvey-Leybourne-Newbold correction.

    With the loss differential ``d[t] = L(e1[t]) - L(e2[t])``, its mean
    ``dbar`` and autocovariances ``g_k = (1/n) sum_t (d[t] - dbar)(d[t-k] -
    dbar)`` for ``k = 0 .. h-1``::

        DM  = dbar / sqrt((g_0 + 2 sum_{k=1}^{h-1} g_k) / n)
        HLN = DM * sqrt((n + 1 - 2h + h(h-1)/n) / n)

    and the two-sided p-value comes from Student's t with ``n - 1`` degrees
    of freedom (Harvey, Leybourne & Newbold 1997).

    Parameters
    ----------
    e1, e2 : array-like, shape (n,)
        Forecast errors (actual - forecast) of two forecasts of the same rows.
    h : int, default 1
        Forecast horizon; autocovariances up to lag ``h - 1`` enter.
    loss : {"squared", "absolute"}
        Loss applied to each error.

    Returns
    -------
    stat : float
        The corrected statistic; **positive means forecast 1 has the larger
        loss** (forecast 2 is better), negative the opposite.
    p_value : float
        Two-sided p-value for "both forecasts are equally accurate".

    Notes
    -----
    If the loss differential is constant, the variance is 0: identical
    losses give ``(0.0, 1.0)``; a constant non-zero difference gives
    ``(+-inf, 0.0)``. If the long-run variance estimate comes out
    non-positive (possible for ``h > 1``), only ``g_0`` is used.

    Raises
    ------
    ValueError
        On unequal lengths, NaN, fewer than 2 rows, ``h`` outside ``1 .. n-1``
        or an unknown loss.
    """
    a, b = _arrays(e1=e1, e2=e2)
    if a.ndim != 1:
        raise ValueError(f"diebold_mariano takes 1-D error series, got shape {a.shape}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    n = len(a)
    if n < 2 or not 1 <= h < n:
        raise ValueError(f"diebold_mariano needs n >= 2 and 1 <= h < n, got n={n}, h={h}")
    d = a**2 - b**2 if loss == "squared" else np.abs(a) - np.abs(b)
    dbar = float(np.mean(d))
    if np.ptp(d) == 0:
        return (0.0, 1.0) if dbar == 0 else (float(np.copysign(np.inf, dbar)), 0.0)
    c = d - dbar
    gamma = [float(np.dot(c[k:], c[: n - k]) / n) for k in range(h)]
    variance = (gamma[0] + 2.0 * sum(gamma[1:])) / n
    if variance <= 0:
        variance = gamma[0] / n
    dm = dbar / np.sqrt(variance)
    stat = float(dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n))
    return stat, float(2.0 * stats.t.sf(abs(stat), df=n - 1))


def evaluate(actual, forecast, *, previous, train_series, name: str | None = None) -> pd.Series:
    """The standard row of scores for one forecast of one target.

    Parameters
    ----------
    actual, forecast : array-like, shape (m,)
        Actual and forecast prices of the evaluated rows.
    previous : array-like, shape (m,)
        Actual price on the last input row of each forecast (for DA).
    train_series : array-like, shape (n,)
        Training series of the target (for the MASE scale, lag 1).
    name : str, optional
        Name of the returned Series (e.g. the model's).

    Returns
    -------
    Series
        Index ``RMSE``, ``MAE``, ``MAPE`` (%), ``MASE``, ``DA`` (share, 0..1).

    Raises
    ------
    ValueError
        On 2-D input (evaluate one target column at a time), unequal lengths
        or NaN.
    """
    for label, value in (("actual", actual), ("forecast", forecast), ("previous", previous),
                         ("train_series", train_series)):
        if np.ndim(value) != 1:
            raise ValueError(f"evaluate takes 1-D arrays (one target at a time); {label} has "
                             f"shape {np.shape(value)}")
    values = [rmse(actual, forecast), mae(actual, forecast), mape(actual, forecast),
              mase(actual, forecast, scale_series=train_series),
              direction_accuracy(actual, forecast, previous)]
    return pd.Series(values, index=list(METRICS), name=name, dtype=float)


def lag_correlation(actual, forecast, max_lag: int = 5) -> pd.Series:
    """Correlation of a forecast with the actual series shifted by ``k`` rows.

    ``corr(forecast[t], actual[t - k])`` for ``k = -max_lag .. max_lag``. A
    forecast that has only learned "tomorrow = today" correlates best with the
    actual *one row earlier* (``k = +1``) rather than with the actual it is
    meant to predict (``k = 0``). Use it on changes (differences) rather than
    levels: price levels are so smooth that every lag correlates near 1.

    Parameters
    ----------
    actual, forecast : array-like, shape (m,)
        Aligned series (row ``t`` of ``forecast`` predicts row ``t`` of ``actual``).
    max_lag : int, default 5
        Largest shift in rows, each way.

    Returns
    -------
    Series
        Indexed by the lag ``k``, named ``"correlation"``.
    """
    a, f = _arrays(actual=actual, forecast=forecast)
    if a.ndim != 1:
        raise ValueError(f"lag_correlation takes 1-D arrays; actual has shape {a.shape}")
    if not 0 <= max_lag < len(a) - 2:
        raise ValueError(f"max_lag must lie in [0, {len(a) - 3}] for {len(a)} rows, got {max_lag}")
    out = {}
    for k in range(-max_lag, max_lag + 1):
        if k >= 0:
            x, y = f[k:], a[: len(a) - k]
        else:
            x, y = f[: len(f) + k], a[-k:]
        out[k] = float(np.corrcoef(x, y)[0, 1])
    return pd.Series(out, name="correlation").rename_axis("lag")
