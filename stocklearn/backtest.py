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
