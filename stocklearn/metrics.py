"""Forecast errors in price units, and tests of whether two forecasts really differ.

All functions take numpy arrays (or anything :func:`numpy.asarray` accepts)
of prices. Arrays must have the same shape and hold no NaN or infinity; 2-D
arrays (several targets, one column each) are allowed by the point metrics,
which then average over every cell. :func:`evaluate` gathers the usual table
row for one 1-D forecast. Forecasts of a variance (chapter 8) are scored with
:func:`qlike` (Patton 2011) beside the squared error.

The tests: :func:`diebold_mariano` (equal accuracy, with the Newey-West
:func:`long_run_variance` over :func:`newey_west_lags` lags),
:func:`clark_west` (a model against a simpler one it nests, such as
persistence), :func:`detectable_gain` (the power behind a "no better"), and
:func:`holm` (p-values adjusted for the number of tests on a page).
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


def qlike_losses(actual, forecast) -> np.ndarray:
    """QLIKE loss of each variance forecast (Patton 2011): ``a/f - ln(a/f) - 1``.

    With ``a`` the actual variance (or an unbiased proxy of it, such as a
    squared return) and ``f`` its forecast. Each term is 0 for a perfect
    forecast and positive otherwise; it punishes a forecast that is too low
    more than one too high by the same amount. Like the squared error, and
    unlike the absolute error or losses on the standard deviation, it ranks
    forecasts as their accuracy for the true variance would even when the
    proxy is noisy: its expected value is smallest at the true variance.

    Parameters
    ----------
    actual, forecast : array-like, same shape
        Actual (proxy) variances and their forecasts, all positive (an
        actual of 0, a day without a move, would give an infinite loss).

    Returns
    -------
    ndarray
        One loss per row (the input's shape); :func:`qlike` is their mean,
        :func:`diebold_mariano_losses` tests two forecasts' losses.

    Raises
    ------
    ValueError
        On unequal shapes, NaN or infinity (as every metric here), a forecast
        <= 0, or an actual value <= 0.
    """
    t, p = _arrays(actual=actual, forecast=forecast)
    if (p <= 0).any():
        raise ValueError(f"qlike needs positive forecasts; forecast holds {int((p <= 0).sum())} "
                         f"value(s) <= 0, first at position(s) {np.argwhere(p <= 0)[:5].tolist()}")
    if (t <= 0).any():
        raise ValueError(f"qlike is infinite or undefined where actual <= 0; actual holds "
                         f"{int((t <= 0).sum())} such value(s), first at position(s) "
                         f"{np.argwhere(t <= 0)[:5].tolist()}")
    ratio = t / p
    return ratio - np.log(ratio) - 1.0


def qlike(actual, forecast) -> float:
    """Mean QLIKE loss of variance forecasts: the mean of :func:`qlike_losses`.

    Parameters
    ----------
    actual, forecast : array-like, same shape
        Actual (proxy) variances and their forecasts, all positive.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`qlike_losses`.
    """
    return float(np.mean(qlike_losses(actual, forecast)))


def newey_west_lags(n: int, h: int = 1) -> int:
    """The default number of lags of the long-run variance: ``max(h - 1, floor(4 (n/100)^(2/9)))``.

    Newey and West's (1994) rule of thumb for the Bartlett kernel, raised to
    ``h - 1`` so that an ``h``-step forecast's overlapping errors are
    covered. For 250 test days it is 4; for 1000, 6.

    Parameters
    ----------
    n : int
        Number of loss differentials.
    h : int, default 1
        Forecast horizon.

    Returns
    -------
    int
    """
    return max(h - 1, int(np.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))))


def long_run_variance(d, lags: int) -> float:
    """Newey-West (Bartlett) long-run variance of a series: ``g_0 + 2 sum_k (1 - k/(L+1)) g_k``.

    ``g_k = (1/n) sum_t (d[t] - dbar)(d[t-k] - dbar)`` for ``k = 1 .. L``
    (``L = lags``). The Bartlett weights keep the estimate non-negative.
    The variance of the mean of ``d`` is this divided by ``n``.

    Parameters
    ----------
    d : array-like, shape (n,)
    lags : int
        ``L >= 0``; 0 gives the ordinary (biased, 1/n) variance.

    Returns
    -------
    float
    """
    (x,) = _arrays(d=d)
    n = len(x)
    if x.ndim != 1 or not 0 <= lags < n:
        raise ValueError(f"long_run_variance needs a 1-D series and 0 <= lags < n, "
                         f"got shape {x.shape} and lags={lags}")
    c = x - x.mean()
    total = float(np.dot(c, c) / n)
    for k in range(1, lags + 1):
        total += 2.0 * (1.0 - k / (lags + 1.0)) * float(np.dot(c[k:], c[: n - k]) / n)
    return total


def _test_series(a: np.ndarray, h: int, name: str, what: str) -> None:
    """The checks of a DM-type test's series: 1-D, n >= 3 and 1 <= h < n."""
    if a.ndim != 1:
        raise ValueError(f"{name} takes 1-D {what} series, got shape {a.shape}")
    n = len(a)
    if n < 3 or not 1 <= h < n:
        raise ValueError(f"{name} needs n >= 3 and 1 <= h < n, got n={n}, h={h}")


def _loss_differential(e1, e2, h: int, loss: str, name: str) -> np.ndarray:
    a, b = _arrays(e1=e1, e2=e2)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    _test_series(a, h, name, "error")
    return a**2 - b**2 if loss == "squared" else np.abs(a) - np.abs(b)


def _check_lags(lags: int | None, n: int, h: int) -> int:
    if lags is None:
        return newey_west_lags(n, h)
    if isinstance(lags, bool) or int(lags) != lags or not 0 <= lags < n:
        raise ValueError(f"lags must be an integer in [0, {n - 1}], got {lags!r}")
    return int(lags)


def diebold_mariano(e1, e2, h: int = 1, loss: str = "squared",
                    lags: int | None = None) -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy, with a Newey-West variance and the HLN correction.

    With the loss differential ``d[t] = L(e1[t]) - L(e2[t])``, its mean
    ``dbar`` and its long-run variance ``S`` (:func:`long_run_variance`,
    Bartlett weights over ``lags`` lags)::

        DM  = dbar / sqrt(S / n)
        HLN = DM * sqrt((n + 1 - 2h + h(h-1)/n) / n)

    and the two-sided p-value comes from Student's t with ``n - 1`` degrees
    of freedom (Harvey, Leybourne & Newbold 1997). The long-run variance
    matters even at ``h = 1``: errors of price-level forecasts drift slowly,
    so their loss differentials are autocorrelated, and the plain variance
    would make the statistic too large and the p-value too small.

    Parameters
    ----------
    e1, e2 : array-like, shape (n,)
        Forecast errors (actual - forecast) of two forecasts of the same rows.
    h : int, default 1
        Forecast horizon.
    loss : {"squared", "absolute"}
        Loss applied to each error; test with the loss of the metric you
        report (squared for RMSE, absolute for MAE).
    lags : int, optional
        Lags of the long-run variance; default :func:`newey_west_lags`
        ``max(h - 1, floor(4 (n/100)^(2/9)))``.

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
    ``(+-inf, 0.0)``. When one forecast nests the other (persistence is a
    special case of the linear baseline and of a model of returns), the
    test is conservative: use :func:`clark_west`.

    Raises
    ------
    ValueError
        On unequal lengths, NaN, fewer than 3 rows, ``h`` outside ``1 .. n-1``,
        bad ``lags`` or an unknown loss.
    """
    return _dm_test(_loss_differential(e1, e2, h, loss, "diebold_mariano"), h, lags)


def diebold_mariano_losses(loss1, loss2, h: int = 1,
                           lags: int | None = None) -> tuple[float, float]:
    """Diebold-Mariano test on two forecasts' per-row losses, for a loss not built on errors.

    The test of :func:`diebold_mariano` (Newey-West variance, HLN
    correction) on ``d[t] = loss1[t] - loss2[t]``, for losses that need the
    actual value and the forecast rather than their difference, such as
    QLIKE (:func:`qlike_losses`).

    Parameters
    ----------
    loss1, loss2 : array-like, shape (n,)
        Each forecast's loss on the same rows.
    h : int, default 1
    lags : int, optional
        Default :func:`newey_west_lags`.

    Returns
    -------
    stat, p_value : float
        As :func:`diebold_mariano`: positive means forecast 1 has the larger loss.

    Raises
    ------
    ValueError
        As :func:`diebold_mariano`.
    """
    a, b = _arrays(loss1=loss1, loss2=loss2)
    _test_series(a, h, "diebold_mariano_losses", "loss")
    return _dm_test(a - b, h, lags)


def _dm_test(d: np.ndarray, h: int, lags: int | None) -> tuple[float, float]:
    """The DM statistic with HLN correction and its two-sided p-value, from the differential."""
    n = len(d)
    lags = _check_lags(lags, n, h)
    dbar = float(np.mean(d))
    if np.ptp(d) == 0:
        return (0.0, 1.0) if dbar == 0 else (float(np.copysign(np.inf, dbar)), 0.0)
    dm = dbar / np.sqrt(long_run_variance(d, lags) / n)
    stat = float(dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n))
    return stat, float(2.0 * stats.t.sf(abs(stat), df=n - 1))


def clark_west(actual, restricted, unrestricted, h: int = 1,
               lags: int | None = None) -> tuple[float, float]:
    """Clark-West test of a model against a simpler model it nests (e.g. persistence).

    When the simple forecast (``restricted``) is a special case of the
    larger model, the larger model's estimation noise makes its squared
    error larger even when it is right, and the Diebold-Mariano test is
    conservative. Clark and West (2007) add the noise back::

        f[t] = e_r[t]^2 - (e_u[t]^2 - (restricted[t] - unrestricted[t])^2)

    and test ``mean(f) > 0`` with ``t = fbar / sqrt(S / n)``, ``S`` the
    Newey-West long-run variance of ``f`` (:func:`long_run_variance`), and a
    one-sided p-value from the standard normal.

    Parameters
    ----------
    actual, restricted, unrestricted : array-like, shape (n,)
        The actual values and the two forecasts (in prices).
    h : int, default 1
        Forecast horizon.
    lags : int, optional
        Lags of the long-run variance; default :func:`newey_west_lags`.

    Returns
    -------
    stat : float
        Positive when the larger model is more accurate (after adjustment).
    p_value : float
        One-sided p-value for "the larger model is no more accurate".

    Raises
    ------
    ValueError
        As :func:`diebold_mariano`.
    """
    y, r, u = _arrays(actual=actual, restricted=restricted, unrestricted=unrestricted)
    f = _loss_differential(y - r, y - u, h, "squared", "clark_west") + (r - u) ** 2
    n = len(f)
    lags = _check_lags(lags, n, h)
    fbar = float(np.mean(f))
    if np.ptp(f) == 0:
        return (0.0, 1.0) if fbar == 0 else (float(np.copysign(np.inf, fbar)),
                                             0.0 if fbar > 0 else 1.0)
    stat = fbar / np.sqrt(long_run_variance(f, lags) / n)
    return float(stat), float(stats.norm.sf(stat))


def _detectable_delta(d: np.ndarray, n: int, alpha: float, power: float, lags: int) -> float:
    """The mean loss differential a two-sided DM test at ``alpha`` detects with ``power``."""
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError(f"alpha and power must lie in (0, 1), got {alpha}, {power}")
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
                 * np.sqrt(long_run_variance(d, lags) / n))


def detectable_gain(e_reference, n: int | None = None, *, e_model=None, alpha: float = 0.05,
                    power: float = 0.8, lags: int | None = None) -> float:
    """Smallest relative RMSE gain over a reference that a DM test would detect.

    A two-sided test at level ``alpha`` has the stated ``power`` against a
    mean squared-loss differential ``delta = (z_{1-alpha/2} + z_power)
    sqrt(S / n)``, with ``S`` the Newey-West long-run variance of the
    differential. Relative to the reference's MSE this is a gain in RMSE of
    ``1 - sqrt(1 - delta / MSE_ref)``: a verdict "no better than the
    reference" means "not better by this much, or not detectably".

    Parameters
    ----------
    e_reference : array-like, shape (m,)
        Errors of the reference forecast (e.g. persistence).
    n : int, optional
        Number of test rows to compute the gain for (default ``m``).
    e_model : array-like, shape (m,), optional
        Errors of the model; its differential with the reference gives ``S``.
        Without it, ``S`` is that of the reference's squared errors (a model
        whose errors are independent of the reference's).
    alpha, power : float
        Level of the test and power wanted.
    lags : int, optional
        Lags of the long-run variance; default :func:`newey_west_lags`.

    Returns
    -------
    float
        The relative RMSE gain, between 0 and 1 (1 when no gain short of a
        perfect forecast would be detected).
    """
    (ref,) = _arrays(e_reference=e_reference)
    d = ref**2 if e_model is None else _loss_differential(
        ref, e_model, 1, "squared", "detectable_gain")
    m = len(d)
    n = m if n is None else int(n)
    if n < 3:
        raise ValueError(f"detectable_gain needs n >= 3, got {n}")
    delta = _detectable_delta(d, n, alpha, power, _check_lags(lags, m, 1))
    mse = float(np.mean(ref**2))
    return float(1.0 - np.sqrt(max(0.0, 1.0 - delta / mse))) if mse > 0 else 1.0


def detectable_reduction(loss_reference, loss_model, *, h: int = 1, alpha: float = 0.05,
                         power: float = 0.8, lags: int | None = None) -> float:
    """Smallest relative reduction of a mean loss over a reference that a DM test would detect.

    The loss-based twin of :func:`detectable_gain`, for losses that are not
    built on errors (QLIKE, :func:`qlike_losses`): a two-sided test at level
    ``alpha`` (:func:`diebold_mariano_losses`) has the stated ``power``
    against a mean differential ``delta = (z_{1-alpha/2} + z_power)
    sqrt(S / n)``, ``S`` the Newey-West long-run variance of
    ``loss_reference - loss_model``. Returned relative to the reference's
    mean loss: a verdict "no better than the reference" means "not better
    by this share, or not detectably".

    Parameters
    ----------
    loss_reference, loss_model : array-like, shape (n,)
        Per-row losses of the reference (e.g. persistence) and of the model.
    h : int, default 1
        Forecast horizon (the lags are at least ``h - 1``).
    alpha, power : float
    lags : int, optional
        Default :func:`newey_west_lags`.

    Returns
    -------
    float
        Between 0 and 1 (1: no reduction short of a zero loss would be detected).
    """
    a, b = _arrays(loss_reference=loss_reference, loss_model=loss_model)
    n = len(a)
    if a.ndim != 1 or n < 3:
        raise ValueError(f"detectable_reduction needs 1-D losses of n >= 3 rows, got {a.shape}")
    delta = _detectable_delta(a - b, n, alpha, power, _check_lags(lags, n, h))
    mean = float(np.mean(a))
    return float(min(1.0, delta / mean)) if mean > 0 else 1.0


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values (``statsmodels.stats.multitest.multipletests``); NaN kept.

    Controls the chance of any false "significant" among the tests (the
    family-wise error rate) without assuming they are independent. NaN
    entries (rows without a test) are skipped and stay NaN.

    Parameters
    ----------
    p_values : array-like, shape (m,)

    Returns
    -------
    ndarray
        Adjusted p-values, each at least its raw value.
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


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
