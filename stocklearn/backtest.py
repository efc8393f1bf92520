"""A daily backtest of a position series, with costs, and the strategies of chapter 7.

The conventions (the same in :func:`simulate`'s docstring and in the chapter):

* ``position[t]``, a number in ``[-1, 1]`` (1 long, 0 flat, -1 short), is
  decided with data up to the close of day ``t`` and held from that close to
  the next one. It earns ``position[t] * (close[t+1] / close[t] - 1)``.
* Every change of position costs ``cost_bps / 10_000 * |position[t] -
  position[t-1]|``, taken from that same day-``(t+1)`` return. The position
  before the first day is 0, so entering on the first day pays.
* The equity curve starts at 1 on the first date and is the cumulative
  product of ``1 + net return``; the last day's position earns nothing (there
  is no later close).

Strategies from forecasts: :func:`long_flat` and :func:`long_short` turn a
forecast *return* into positions with a threshold; :func:`forecast_return`
makes that return from a forecast price. :func:`buy_and_hold` is
``position = 1`` and :func:`ma_crossover` the classic moving-average rule.

Luck and selection: :func:`shifted_positions` makes noise strategies that
trade exactly as often as a model (rotations of its own positions);
:func:`sharpe_ratio_se` is the standard error of a Sharpe ratio (Lo 2002);
:func:`deflated_sharpe_ratio` (with :func:`expected_max_sharpe` and
:func:`probabilistic_sharpe_ratio`) asks whether the best of several
strategies is better than zero once the choice is allowed for (Bailey and
López de Prado 2014).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 252
"""Trading days per year, for the annual figures."""

SUMMARY = ("total return", "annual return", "annual volatility", "Sharpe", "max drawdown",
           "turnover", "hit rate")
"""Index of :attr:`Backtest.summary`."""


@dataclass(frozen=True)
class Backtest:
    """What :func:`simulate` returns.

    Attributes
    ----------
    returns : Series
        Net daily returns (after costs), indexed by the day they are earned:
        the entry for date ``t+1`` is what ``position[t]`` earned. One fewer
        than the prices.
    equity : Series
        1 on the first date, then the cumulative product of ``1 + returns``.
    position : Series
        The positions, as given, on the price dates.
    costs : Series
        The cost taken from each net return (same index as ``returns``).
    summary : Series
        Index :data:`SUMMARY`; see :func:`simulate`.
    """

    returns: pd.Series
    equity: pd.Series
    position: pd.Series
    costs: pd.Series
    summary: pd.Series

    @property
    def drawdown(self) -> pd.Series:
        """Fall of the equity from its highest value so far, as a positive fraction."""
        return drawdown(self.equity)


def drawdown(equity: pd.Series) -> pd.Series:
    """``1 - equity / (highest equity so far)``: 0 at a new high, 0.25 after a 25 % fall."""
    return 1.0 - equity / equity.cummax()


def _series(values, name: str, index: pd.Index | None = None) -> pd.Series:
    """A float Series of finite values; ValueError naming ``name`` otherwise."""
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"{name} must be one series, got a DataFrame with columns "
                         f"{list(values.columns)}")
    s = values.astype(float) if isinstance(values, pd.Series) else pd.Series(
        np.asarray(values, dtype=float), index=index)
    if s.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {np.shape(values)}")
    bad = ~np.isfinite(s.to_numpy())
    if bad.any():
        where = [str(i.date()) if hasattr(i, "date") else str(i) for i in s.index[bad][:5]]
        raise ValueError(f"{name} holds {int(bad.sum())} NaN or infinite value(s), first at "
                         f"{where}")
    return s


def simulate(close, position, *, cost_bps: float = 0.0) -> Backtest:
    """Backtest daily positions on a price series, with proportional costs.

    Conventions:

    * ``position[t]`` (in ``[-1, 1]``: 1 long, 0 flat, -1 short, fractions
      allowed) is decided with data up to the close of day ``t`` and earns
      ``position[t] * (close[t+1] / close[t] - 1)``.
    * Each change of position costs ``cost_bps / 10_000 * |position[t] -
      position[t-1]|``, taken from that same day-``(t+1)`` return. The
      position before the first day is 0, so the first entry pays. The last
      position earns nothing and pays nothing (there is no later close).
    * The equity curve is 1 on the first date and then the cumulative product
      of ``1 + net return``.

    Parameters
    ----------
    close : Series or 1-D array, length n >= 2
        Positive closing prices in time order (a DatetimeIndex is kept).
    position : Series or 1-D array, length n
        Position decided at each close. A Series must have the same index as
        a ``close`` Series.
    cost_bps : float, default 0.0
        Cost in basis points (1 bp = 0.01 %) per unit of position traded:
        5 bp for a full switch from flat to long costs 0.05 % of equity.

    Returns
    -------
    Backtest
        ``returns`` (net, n - 1 values indexed by the day earned), ``equity``
        (n values), ``position``, ``costs`` and ``summary``:

        * ``total return``: final equity - 1;
        * ``annual return``: ``equity[-1] ** (252 / (n - 1)) - 1``
          (geometric, 252 trading days a year);
        * ``annual volatility``: standard deviation (ddof 1) of the net
          returns times sqrt(252);
        * ``Sharpe``: mean over standard deviation (ddof 1) of the net
          returns, times sqrt(252), with no risk-free rate; NaN when the
          returns never vary (for instance, always flat);
        * ``max drawdown``: the largest fall of equity from a previous high,
          as a positive fraction (0.25 = 25 %);
        * ``turnover``: sum of ``|position[t] - position[t-1]|`` over the
          days that pay costs (the first entry included): the units of
          position traded;
        * ``hit rate``: share of the days with a non-zero position whose
          return before costs was positive (NaN when never invested).

    Raises
    ------
    ValueError
        On NaN or infinite values, prices that are not positive, positions
        outside ``[-1, 1]``, unequal lengths or indexes, fewer than two
        prices, or a negative or non-finite cost.
    """
    price = _series(close, "close")
    if len(price) < 2:
        raise ValueError(f"a backtest needs at least two prices, got {len(price)}")
    if (price <= 0).any():
        raise ValueError(f"close must be positive; {int((price <= 0).sum())} value(s) are not")
    if len(position) != len(price):
        raise ValueError(f"position has {len(position)} values but close has {len(price)}: "
                         "give one position per closing price")
    if isinstance(position, pd.Series) and isinstance(close, pd.Series) and not \
            position.index.equals(close.index):
        raise ValueError("position and close are Series with different indexes; align them "
                         "first (e.g. position.reindex(close.index))")
    pos = _series(position, "position", index=price.index)
    pos.index = price.index
    outside = (pos < -1) | (pos > 1)
    if outside.any():
        raise ValueError(f"positions must lie in [-1, 1]; {int(outside.sum())} do not, e.g. "
                         f"{pos[outside].iloc[0]}")
    if not np.isfinite(cost_bps) or cost_bps < 0:
        raise ValueError(f"cost_bps must be a finite number >= 0, got {cost_bps}")
    p, w = price.to_numpy(), pos.to_numpy()
    market = p[1:] / p[:-1] - 1.0          # return from close t to close t+1
    held = w[:-1]                          # position[t], t = 0 .. n-2
    trade = np.abs(np.diff(np.concatenate([[0.0], held])))
    gross = held * market
    cost = cost_bps / 10_000 * trade
    net = gross - cost
    dates = price.index[1:]
    returns = pd.Series(net, index=dates, name="net return")
    equity = pd.Series(np.concatenate([[1.0], np.cumprod(1.0 + net)]), index=price.index,
                       name="equity")
    std = net.std(ddof=1) if len(net) > 1 else np.nan
    invested = held != 0
    summary = pd.Series({
        "total return": equity.iloc[-1] - 1.0,
        "annual return": equity.iloc[-1] ** (DAYS_PER_YEAR / len(net)) - 1.0,
        "annual volatility": std * np.sqrt(DAYS_PER_YEAR),
        "Sharpe": (net.mean() / std * np.sqrt(DAYS_PER_YEAR)
                   if np.isfinite(std) and std > 0 else np.nan),
        "max drawdown": float(drawdown(equity).max()),
        "turnover": float(trade.sum()),
        "hit rate": float(np.mean(gross[invested] > 0)) if invested.any() else np.nan,
    }, name="summary")
    return Backtest(returns=returns, equity=equity, position=pos.rename("position"),
                    costs=pd.Series(cost, index=dates, name="cost"), summary=summary)


def summaries(backtests: Mapping[str, Backtest]) -> pd.DataFrame:
    """The summaries of several backtests, one row each (in the given order)."""
    return pd.DataFrame({name: bt.summary for name, bt in backtests.items()}).T


# --------------------------------------------------------------------------- strategies
def _signal(values, name: str) -> tuple[np.ndarray, pd.Index | None]:
    s = _series(values, name)
    return s.to_numpy(), s.index if isinstance(values, pd.Series) else None


def _like(values: np.ndarray, index: pd.Index | None, name: str):
    return values if index is None else pd.Series(values, index=index, name=name)


def forecast_return(forecast, close):
    """The return a price forecast expects: ``forecast[t] / close[t] - 1``.

    Parameters
    ----------
    forecast : Series or 1-D array
        Forecast of the next close, made at the close of day ``t``.
    close : Series or 1-D array, same length
        The close of day ``t`` (the last price the forecast knew).

    Returns
    -------
    Series or ndarray
        A Series (index of ``forecast`` or ``close``) when either is one.
    """
    f, fi = _signal(forecast, "forecast")
    c, ci = _signal(close, "close")
    if len(f) != len(c):
        raise ValueError(f"forecast has {len(f)} values but close has {len(c)}")
    if (c <= 0).any():
        raise ValueError("close must be positive")
    return _like(f / c - 1.0, fi if fi is not None else ci, "forecast return")


def _threshold(threshold: float) -> float:
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold}")
    return float(threshold)


def long_flat(expected_return, threshold: float = 0.0):
    """Long (1) where the forecast return exceeds ``threshold``, flat (0) elsewhere.

    Parameters
    ----------
    expected_return : Series or 1-D array
        Forecast return of the next day, made at each close
        (:func:`forecast_return`).
    threshold : float, default 0.0
        Minimum forecast return for going long (e.g. 0.001 = 0.1 %).

    Returns
    -------
    Series or ndarray
        Positions, the same type and index as ``expected_return``.
    """
    r, index = _signal(expected_return, "expected_return")
    return _like(np.where(r > _threshold(threshold), 1.0, 0.0), index, "position")


def long_short(expected_return, threshold: float = 0.0):
    """Long (1) above ``threshold``, short (-1) below ``-threshold``, flat in between.

    Parameters
    ----------
    expected_return : Series or 1-D array
        Forecast return of the next day, made at each close.
    threshold : float, default 0.0

    Returns
    -------
    Series or ndarray
        Positions, the same type and index as ``expected_return``.
    """
    r, index = _signal(expected_return, "expected_return")
    t = _threshold(threshold)
    return _like(np.where(r > t, 1.0, np.where(r < -t, -1.0, 0.0)), index, "position")


def buy_and_hold(close):
    """``position = 1`` on every day: the benchmark (its first entry pays costs once)."""
    c, index = _signal(close, "close")
    return _like(np.ones(len(c)), index, "position")


def ma_crossover(close, fast: int = 50, slow: int = 200):
    """Long while the ``fast``-day average of the close is above the ``slow``-day one.

    Both averages include the day's own close, so the position decided at the
    close of day ``t`` uses prices up to ``t`` only. Flat during the first
    ``slow - 1`` days, where the slow average does not exist yet.

    Parameters
    ----------
    close : Series or 1-D array
    fast, slow : int, default 50 and 200
        Look-backs in days, ``fast < slow``.

    Returns
    -------
    Series or ndarray
        Positions in {0, 1}.
    """
    if not (isinstance(fast, (int, np.integer)) and isinstance(slow, (int, np.integer))
            and 1 <= fast < slow):
        raise ValueError(f"need integer look-backs 1 <= fast < slow, got {fast} and {slow}")
    c, index = _signal(close, "close")
    s = pd.Series(c)
    quick = s.rolling(fast, min_periods=fast).mean()
    long_ = s.rolling(slow, min_periods=slow).mean()
    return _like(np.where(quick > long_, 1.0, 0.0), index, "position")


# --------------------------------------------------------------------------- luck and noise
def shifted_positions(position, draws: int, *, min_shift: int = 20, seed: int = 0):
    """Noise strategies that trade as often as ``position``: its circular shifts.

    Each draw is ``position`` rotated by ``k`` days (``np.roll``), ``k`` drawn
    without replacement from ``min_shift .. n - min_shift``. A rotation keeps
    the share of days in each position and the length of every holding
    period, so it keeps the number of trades: the rotated series loses the
    one change of position at the cut (``|position[n-k] -
    position[n-k-1]|``) and gains the wrap (``|position[0] -
    position[n-1]|``), a difference of at most one switch. What it destroys
    is the timing: which days the strategy holds. So a backtest of the
    rotations shows what the same trading, costs included, earns by luck,
    unlike independent random signals, which switch far more often and pay
    more costs. Shifts shorter than ``min_shift`` are left out because a
    slightly delayed signal still carries most of the original's timing.

    Parameters
    ----------
    position : Series or 1-D array, length n
        The model's positions on the days it trades (not padded with
        days outside the test period, which would wrap around).
    draws : int
        Number of rotations, at most ``n - 2 * min_shift + 1``.
    min_shift : int, default 20
        Smallest rotation in days (and smallest distance from a full turn).
    seed : int, default 0
        Seed of the random choice of shifts.

    Returns
    -------
    DataFrame or ndarray
        For a Series: a DataFrame with the same index and one column per
        draw, named by its shift; for an array: shape ``(draws, n)``.

    Raises
    ------
    ValueError
        On NaN values, ``min_shift < 1``, or more draws than distinct shifts.
    """
    values, index = _signal(position, "position")
    n = len(values)
    if not (isinstance(min_shift, (int, np.integer)) and min_shift >= 1):
        raise ValueError(f"min_shift must be an integer >= 1, got {min_shift}")
    shifts = np.arange(min_shift, n - min_shift + 1)
    if not (isinstance(draws, (int, np.integer)) and 1 <= draws <= len(shifts)):
        raise ValueError(f"draws must be an integer between 1 and {len(shifts)} (the distinct "
                         f"shifts of {n} days with min_shift={min_shift}), got {draws}")
    chosen = np.sort(np.random.default_rng(seed).choice(shifts, size=draws, replace=False))
    rotated = np.stack([np.roll(values, k) for k in chosen])
    if index is None:
        return rotated
    return pd.DataFrame(rotated.T, index=index, columns=pd.Index(chosen, name="shift"))


# --------------------------------------------------------------------------- Sharpe statistics
EULER_GAMMA = 0.5772156649015329
"""The Euler-Mascheroni constant, in the expected maximum of :func:`expected_max_sharpe`."""


def _periods(periods: float) -> float:
    if not (np.isfinite(periods) and periods > 0):
        raise ValueError(f"periods must be a positive number, got {periods}")
    return float(periods)


def sharpe_ratio_se(sharpe: float, n: int, *, periods: float = DAYS_PER_YEAR) -> float:
    """Standard error of a Sharpe ratio estimated from ``n`` i.i.d. returns (Lo 2002).

    For a per-period (daily) Sharpe ratio ``SR_d`` estimated from ``n``
    independent, normally distributed returns, the delta method gives
    ``se(SR_d) = sqrt((1 + SR_d**2 / 2) / n)``. An annualised ratio
    ``SR = sqrt(periods) * SR_d`` has ``se(SR) = sqrt(periods) * se(SR_d)``.
    (The annual-data formula ``sqrt((1 + SR**2 / 2) / years)`` applied to
    an annualised daily ratio is not the same: it treats the annualised
    ratio as a per-period one.)

    Parameters
    ----------
    sharpe : float
        The Sharpe ratio, annualised with ``periods`` (as in
        :attr:`Backtest.summary`); with ``periods=1``, a per-period ratio.
    n : int
        Number of returns it was estimated from (``len(backtest.returns)``).
    periods : float, default 252
        Returns per year.

    Returns
    -------
    float
        The standard error, in the units of ``sharpe``.

    References
    ----------
    Lo, A. W. (2002). The statistics of Sharpe ratios. *Financial Analysts
    Journal* 58(4), 36-52.
    """
    p = _periods(periods)
    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"n must be an integer >= 2, got {n}")
    sr_d = sharpe / np.sqrt(p)
    return float(np.sqrt(p) * np.sqrt((1.0 + sr_d ** 2 / 2.0) / n))


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """Expected largest of ``n_trials`` Sharpe ratios whose true values are all zero.

    Bailey and López de Prado (2014), eq. (2)::

        SR0 = sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))

    with ``Z^-1`` the standard normal quantile, ``g`` the Euler-Mascheroni
    constant and ``V`` the variance of the trials' estimated Sharpe ratios
    (across trials). In the units of ``variance`` (an annualised variance
    gives an annualised ``SR0``). One trial: 0 (nothing was selected).

    Parameters
    ----------
    n_trials : int
        Number of independent trials N >= 1.
    variance : float
        Variance of the Sharpe ratios across the trials, >= 0.

    Returns
    -------
    float
    """
    from scipy import stats

    if not (isinstance(n_trials, (int, np.integer)) and n_trials >= 1):
        raise ValueError(f"n_trials must be an integer >= 1, got {n_trials}")
    if not (np.isfinite(variance) and variance >= 0):
        raise ValueError(f"variance must be a finite number >= 0, got {variance}")
    if n_trials == 1:
        return 0.0
    z = stats.norm.ppf
    return float(np.sqrt(variance) * ((1 - EULER_GAMMA) * z(1 - 1 / n_trials)
                                      + EULER_GAMMA * z(1 - 1 / (n_trials * np.e))))


def probabilistic_sharpe_ratio(sharpe: float, n: int, *, benchmark: float = 0.0,
                               skew: float = 0.0, kurtosis: float = 3.0,
                               periods: float = DAYS_PER_YEAR) -> float:
    """Probability that the true Sharpe ratio exceeds ``benchmark`` (Bailey and López de Prado).

    ``PSR = Phi((SR_d - SR*_d) sqrt(n - 1) / sqrt(1 - skew SR_d + (kurtosis - 1) / 4 SR_d**2))``
    with per-period ratios ``SR_d = sharpe / sqrt(periods)`` and
    ``SR*_d = benchmark / sqrt(periods)``, the skewness and (non-excess)
    kurtosis of the returns (3 for a normal distribution).

    Parameters
    ----------
    sharpe, benchmark : float
        Estimated and benchmark Sharpe ratios, annualised with ``periods``.
    n : int
        Number of returns.
    skew, kurtosis : float, default 0 and 3
        Of the returns (kurtosis not in excess).
    periods : float, default 252
        Returns per year; 1 for per-period ratios.

    Returns
    -------
    float
        A probability in [0, 1].

    References
    ----------
    Bailey, D. H. and López de Prado, M. (2014). The deflated Sharpe ratio:
    correcting for selection bias, backtest overfitting and non-normality.
    *Journal of Portfolio Management* 40(5), 94-107.
    """
    from scipy import stats

    p = _periods(periods)
    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"n must be an integer >= 2, got {n}")
    sr, sr0 = sharpe / np.sqrt(p), benchmark / np.sqrt(p)
    spread = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr ** 2
    if not spread > 0:
        raise ValueError(f"1 - skew SR + (kurtosis - 1)/4 SR^2 = {spread:.3g} is not positive; "
                         "check skew and kurtosis (not in excess)")
    return float(stats.norm.cdf((sr - sr0) * np.sqrt(n - 1) / np.sqrt(spread)))


def deflated_sharpe_ratio(returns, trial_sharpes, *, periods: float = DAYS_PER_YEAR) -> float:
    """Deflated Sharpe ratio of the best of several strategies (Bailey and López de Prado 2014).

    The probability that the selected strategy's true Sharpe ratio is above
    zero once the selection is allowed for: :func:`probabilistic_sharpe_ratio`
    of its returns against the benchmark :func:`expected_max_sharpe`, the
    Sharpe ratio the best of ``N = len(trial_sharpes)`` strategies without
    any skill would reach, with ``V`` the variance (ddof 1) of
    ``trial_sharpes``. The skewness and the kurtosis are those of
    ``returns`` (``scipy.stats``, not in excess), so fat tails and
    negative skew lower the result. Strategies that are correlated count
    as fewer independent trials than ``N``; counting them all is the
    cautious choice (it lowers the result).

    Parameters
    ----------
    returns : Series or 1-D array
        Per-period (daily) returns of the selected strategy.
    trial_sharpes : array-like
        Annualised Sharpe ratios (``periods`` a year) of every strategy tried,
        the selected one included; at least two.
    periods : float, default 252
        Returns per year; 1 when the Sharpe ratios are per period.

    Returns
    -------
    float
        The deflated Sharpe ratio, a probability in [0, 1]; above 0.95 the
        best strategy's Sharpe ratio is significantly positive at 5 % after
        the selection.

    References
    ----------
    Bailey, D. H. and López de Prado, M. (2014). The deflated Sharpe ratio:
    correcting for selection bias, backtest overfitting and non-normality.
    *Journal of Portfolio Management* 40(5), 94-107, eqs. (2) and (9).
    """
    from scipy import stats

    r = _series(returns, "returns").to_numpy()
    trials = np.asarray(trial_sharpes, dtype=float)
    if trials.ndim != 1 or len(trials) < 2 or not np.isfinite(trials).all():
        raise ValueError("trial_sharpes must hold at least two finite Sharpe ratios, got "
                         f"{trials}")
    sd = r.std(ddof=1)
    if not sd > 0:
        raise ValueError("the returns never vary: no Sharpe ratio")
    p = _periods(periods)
    sharpe = r.mean() / sd * np.sqrt(p)
    benchmark = expected_max_sharpe(len(trials), float(np.var(trials, ddof=1)))
    return probabilistic_sharpe_ratio(
        sharpe, len(r), benchmark=benchmark, skew=float(stats.skew(r)),
        kurtosis=float(stats.kurtosis(r, fisher=False)), periods=p)
