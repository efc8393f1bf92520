"""A positive control for the tests of forecast accuracy: simulated prices with known skill.

A verdict "no better than persistence" means something only if the same
pipeline and the same test would have found a forecast that *is* better.
This module makes such a forecast possible on purpose:

* :func:`simulate_prices`: a **simulated** daily close whose log returns
  follow an AR(1), ``r[t] = mu + phi (r[t-1] - mu) + sigma e[t]``, with a
  known, small predictability ``phi`` (``phi = 0``: a random walk). The
  frame is shaped like the bundled series (a ``date`` index, a ``close``
  column) so that it runs through the same split, data set, baselines and
  score tables, and it is labelled as simulated in its ``attrs`` and name.
* :func:`rmse_gain` and :func:`phi_for_gain`: the relative RMSE gain over
  persistence of the best forecast of such returns, and back.
* :func:`dm_power`: the power of the Diebold-Mariano test (the share of
  tests that find the better forecast at level ``alpha``) for given gains and
  numbers of test days, simulated or by the normal approximation;
  :func:`days_needed` and :func:`smallest_gain` solve the approximation for
  the days or the gain.

Everything here is simulated; nothing in it is, or stands in for, market
data. The chapters label every table and figure that shows it "simulated".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import optimize, signal, stats

from stocklearn.metrics import diebold_mariano

SIMULATED = "SIMULATED"
"""The word in the name of every simulated series, and its ``attrs["simulated"]`` flag's key."""

__all__ = ["SIMULATED", "days_needed", "dm_power", "phi_for_gain", "rmse_gain",
           "simulate_prices", "smallest_gain"]


def _check_phi(phi: float) -> float:
    if isinstance(phi, bool) or not np.isfinite(phi) or not -1 < phi < 1:
        raise ValueError(f"phi must be a number in (-1, 1) (a stationary AR(1)), got {phi!r}")
    return float(phi)


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or int(value) != value or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _check_alpha(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    return float(alpha)


def _ar1(shocks: np.ndarray, phi: float, first: float) -> np.ndarray:
    """``x[t] = phi x[t-1] + shocks[t]`` for t = 0, 1, ..., with ``x[-1] = first``."""
    return signal.lfilter([1.0], [1.0, -phi], shocks, zi=[phi * first])[0]


def simulate_prices(
    n_days: int = 5000,
    *,
    phi: float = 0.0,
    volatility: float = 0.012,
    drift: float = 0.0,
    start_price: float = 1000.0,
    start: str = "2000-01-03",
    seed: int = 0,
) -> pd.DataFrame:
    """A SIMULATED daily close whose log returns follow an AR(1) with coefficient ``phi``.

    The log returns are ``r[t] = drift + phi (r[t-1] - drift) + s e[t]`` with
    standard normal ``e[t]`` and ``s = volatility sqrt(1 - phi^2)``, so that
    the returns' standard deviation is ``volatility`` whatever ``phi`` is; the
    first return is drawn from the stationary distribution. The close is
    ``start_price * exp(cumsum(r))``. The best forecast of tomorrow's return is
    ``drift + phi (r[t] - drift)``; :func:`rmse_gain` gives its gain over
    persistence. With ``phi = 0`` the close is a random walk (in logs).

    Parameters
    ----------
    n_days : int, default 5000
        Number of rows (business days from ``start``); at least 3.
    phi : float, default 0.0
        AR(1) coefficient of the log returns, in ``(-1, 1)``.
    volatility : float, default 0.012
        Standard deviation of the daily log return (about that of a broad
        stock index); positive.
    drift : float, default 0.0
        Mean daily log return.
    start_price : float, default 1000.0
        Close of the first row; positive.
    start : str, default "2000-01-03"
        First date; the index runs over business days from it.
    seed : int, default 0
        Seed of the NumPy generator (``numpy.random.default_rng(seed)``): the
        same arguments give the same series.

    Returns
    -------
    DataFrame
        Index ``date`` (business days), one column ``close`` (only the close
        is simulated), ``attrs`` ``{"simulated": True, "name": "SIMULATED
        AR(1) log returns, phi = ...", "phi", "volatility", "drift",
        "seed"}``.

    Raises
    ------
    ValueError
        On ``n_days < 3``, ``phi`` outside ``(-1, 1)``, a volatility or start
        price that is not positive, a negative seed or a bad date.
    """
    n_days = _check_int(n_days, "n_days", 3)
    phi = _check_phi(phi)
    seed = _check_int(seed, "seed", 0)
    if not (np.isfinite(volatility) and volatility > 0):
        raise ValueError(f"volatility must be a positive number, got {volatility!r}")
    if not (np.isfinite(start_price) and start_price > 0):
        raise ValueError(f"start_price must be a positive number, got {start_price!r}")
    if not np.isfinite(drift):
        raise ValueError(f"drift must be a finite number, got {drift!r}")
    try:
        dates = pd.bdate_range(pd.Timestamp(start), periods=n_days, name="date")
    except (TypeError, ValueError) as err:
        raise ValueError(f"start must be a date, got {start!r}") from err
    rng = np.random.default_rng(seed)
    shocks = rng.standard_normal(n_days)
    r = np.empty(n_days)
    r[0] = volatility * shocks[0]  # the stationary distribution
    r[1:] = _ar1(shocks[1:] * volatility * np.sqrt(1.0 - phi**2), phi, r[0])
    r += drift
    r[0] = 0.0  # the first close is start_price
    close = start_price * np.exp(np.cumsum(r))
    frame = pd.DataFrame({"close": close}, index=dates)
    frame.attrs.update({
        "simulated": True,
        "name": f"{SIMULATED} AR(1) log returns, phi = {phi:g}",
        "phi": phi, "volatility": float(volatility), "drift": float(drift),
        "seed": seed,
    })
    return frame


def rmse_gain(phi: float) -> float:
    """Relative RMSE gain over persistence of the best AR(1) forecast: ``1 - sqrt(1 - phi^2)``.

    Persistence forecasts a return of zero (tomorrow's close = today's), with
    mean squared error ``Var(r)``; the best forecast leaves ``Var(r) (1 - phi^2)``.

    Parameters
    ----------
    phi : float
        AR(1) coefficient, in ``(-1, 1)``.

    Returns
    -------
    float
        The gain, between 0 and 1 (0.046 for ``phi = 0.3``).
    """
    return float(1.0 - np.sqrt(1.0 - _check_phi(phi) ** 2))


def phi_for_gain(gain: float) -> float:
    """The (positive) AR(1) coefficient whose best forecast has relative RMSE gain ``gain``.

    The inverse of :func:`rmse_gain`: ``phi = sqrt(1 - (1 - gain)^2)``.

    Parameters
    ----------
    gain : float
        In ``[0, 1)``.

    Returns
    -------
    float
    """
    if not 0 <= gain < 1:
        raise ValueError(f"gain must lie in [0, 1), got {gain!r}")
    return float(np.sqrt(1.0 - (1.0 - gain) ** 2))


def _signal_to_noise(phi: float) -> float:
    """Mean over the long-run standard deviation of the squared-loss differential.

    For the errors of persistence ``r[t]`` and of the best forecast ``e[t]``
    (variance ``s^2``) the differential is ``d[t] = r[t]^2 - e[t]^2``, with
    mean ``s^2 q / (1 - q)`` (``q = phi^2``) and, for normal shocks, long-run
    variance ``2 s^4 ((1 + q) / (1 - q)^3 + 1 - 2 / (1 - q)) = 2 s^4 q (2 - q)
    (1 + q) / (1 - q)^3`` (the autocovariances of ``r^2``, of ``e^2`` and
    between them, summed). Their ratio is ``|phi| sqrt((1 - q) / (2 (2 - q)
    (1 + q)))``.
    """
    q = phi**2
    return float(abs(phi) * np.sqrt((1 - q) / (2 * (2 - q) * (1 + q))))


PHI_PEAK = float(np.sqrt(0.5))
"""Where :func:`_signal_to_noise` peaks (``phi^2 = 1/2``, a gain of about 29 %)."""


def _gains(gains) -> np.ndarray:
    g = np.atleast_1d(np.asarray(gains, dtype=float))
    if g.ndim != 1 or g.size == 0 or not ((g >= 0) & (g < 1)).all():
        raise ValueError(f"gains must be numbers in [0, 1), got {gains!r}")
    return g


def _days(days) -> np.ndarray:
    n = np.atleast_1d(np.asarray(days))
    if n.ndim != 1 or n.size == 0 or not all(
            float(v) == int(v) and int(v) >= 3 for v in n):
        raise ValueError(f"days must be integers >= 3, got {days!r}")
    return n.astype(int)


def dm_power(
    gains: float | Iterable[float],
    days: int | Iterable[int],
    *,
    alpha: float = 0.05,
    method: str = "analytic",
    n_sims: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Power of the Diebold-Mariano test against persistence, for simulated AR(1) returns.

    For each relative RMSE gain ``g`` (the best forecast's, :func:`rmse_gain`,
    with ``phi = phi_for_gain(g)``) and each number ``n`` of test days: the
    share of tests that find the forecast better than persistence, i.e. a
    two-sided DM p-value below ``alpha`` with the forecast's squared error the
    smaller one.

    * ``method="simulate"``: ``n_sims`` simulated return series of ``n`` days
      each (unit variance; the test does not depend on the scale), the errors
      of persistence (``r[t]``) and of the best forecast (``r[t] - phi
      r[t-1]``) put through :func:`stocklearn.metrics.diebold_mariano`.
    * ``method="analytic"``: the normal approximation ``Phi(sqrt(n) m / L -
      z)``, with ``m / L`` the mean over the long-run standard deviation of
      the loss differential (exact for normal AR(1) returns) and ``z`` the
      ``1 - alpha/2`` quantile.

    The forecast knows ``phi`` here; a model that has to estimate it has a
    noisier error and needs more days.

    Parameters
    ----------
    gains : float or iterable of float
        Relative RMSE gains in ``[0, 1)`` (0.02 for 2 %).
    days : int or iterable of int
        Numbers of test days, each at least 3.
    alpha : float, default 0.05
    method : {"analytic", "simulate"}
    n_sims : int, default 500
        Simulations per cell (``method="simulate"``).
    seed : int, default 0
        Seed of the NumPy generator of the simulations.

    Returns
    -------
    DataFrame
        Index ``gain``, columns ``days``, values the power (share) in ``[0, 1]``.

    Raises
    ------
    ValueError
        On gains outside ``[0, 1)``, days below 3, ``alpha`` outside ``(0, 1)``,
        an unknown method, ``n_sims < 1`` or a negative seed.
    """
    g, n = _gains(gains), _days(days)
    alpha = _check_alpha(alpha)
    if method not in ("analytic", "simulate"):
        raise ValueError(f"method must be 'analytic' or 'simulate', got {method!r}")
    out = pd.DataFrame(index=pd.Index(g, name="gain"), columns=pd.Index(n, name="days"),
                       dtype=float)
    if method == "analytic":
        z = stats.norm.ppf(1 - alpha / 2)
        for gain in g:
            snr = _signal_to_noise(phi_for_gain(gain))
            # at a gain of 0 the best forecast is persistence: nothing to find
            out.loc[gain] = stats.norm.cdf(np.sqrt(n) * snr - z) if snr > 0 else 0.0
        return out
    n_sims = _check_int(n_sims, "n_sims", 1)
    rng = np.random.default_rng(_check_int(seed, "seed", 0))
    for gain in g:
        phi = phi_for_gain(gain)
        s = np.sqrt(1.0 - phi**2)
        for days_ in n:
            hits = 0
            for _ in range(n_sims):
                r = np.empty(days_ + 1)
                r[0] = rng.standard_normal()  # stationary start, Var(r) = 1
                r[1:] = _ar1(s * rng.standard_normal(days_), phi, r[0])
                stat, p = diebold_mariano(r[1:] - phi * r[:-1], r[1:])
                hits += bool(stat < 0 and p < alpha)
            out.loc[gain, days_] = hits / n_sims
    return out


def days_needed(gains: float | Iterable[float], *, power: float = 0.8,
                alpha: float = 0.05) -> pd.Series:
    """Test days the DM test needs to detect each gain with the given power (approximation).

    Solves ``Phi(sqrt(n) m / L - z) = power`` of :func:`dm_power`'s
    analytic method: ``n = ((z_{1-alpha/2} + z_power) L / m)^2``, rounded up.

    Parameters
    ----------
    gains : float or iterable of float
        Relative RMSE gains in ``(0, 1)``.
    power : float, default 0.8
        In ``(0, 1)``.
    alpha : float, default 0.05

    Returns
    -------
    Series
        Index ``gain``, values the number of days (int).
    """
    g = _gains(gains)
    if (g == 0).any():
        raise ValueError("a gain of 0 is never detected: pass gains > 0")
    alpha = _check_alpha(alpha)
    if not 0 < power < 1:
        raise ValueError(f"power must lie in (0, 1), got {power!r}")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    n = [int(np.ceil((z / _signal_to_noise(phi_for_gain(x))) ** 2)) for x in g]
    return pd.Series(n, index=pd.Index(g, name="gain"), name="days")


def smallest_gain(days: int, *, power: float = 0.5, alpha: float = 0.05) -> float:
    """The relative RMSE gain the DM test detects with the given power on ``days`` test days.

    The inverse of :func:`days_needed` (normal approximation): smaller gains
    are detected less often than ``power``; with ``power = 0.5`` they go
    undetected more than half the time.

    Parameters
    ----------
    days : int
        Number of test days, at least 3.
    power : float, default 0.5
        In ``(0, 1)``.
    alpha : float, default 0.05

    Returns
    -------
    float
        The gain, in ``(0, 1)``; NaN when even the gain of ``phi =
        PHI_PEAK`` (about 29 %), where the approximation's detectability
        peaks, is not detected that often.
    """
    (n,) = _days(days)
    alpha = _check_alpha(alpha)
    if not 0 < power < 1:
        raise ValueError(f"power must lie in (0, 1), got {power!r}")
    target = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) / np.sqrt(n)
    if target <= 0:
        return 0.0
    # m / L rises with phi up to PHI_PEAK, then falls (r^2 grows ever more
    # autocorrelated): search the rising branch, the gains up to about 29 %
    if target > _signal_to_noise(PHI_PEAK):
        return float("nan")
    phi = optimize.brentq(lambda p: _signal_to_noise(p) - target, 1e-9, PHI_PEAK)
    return rmse_gain(phi)
