"""Causal technical indicators: each value uses only its own row and earlier rows.

Every function here takes a price series in time order and returns values
aligned with it. The first rows, where an indicator does not yet have enough
history (its *warm-up*), are NaN; they are never filled from later rows,
because that would leak the future into the past. :func:`add_indicators`
appends a standard set of indicators to an OHLCV frame and can drop the
warm-up rows.

The indicators are the ones of the practical guides: simple and exponential
moving averages, MACD, Wilder's RSI and Bollinger bands. :func:`add_changes`
appends the day's change and percentage change of the close.

One function is deliberately *not* causal: :func:`add_next_open` puts the
next day's open on each row, for forecasts made after the market opens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stocklearn.data import PRICES, DataError

PRICE_PREFIXES = ("sma_", "ema_", "bb_")
"""Indicator columns that are in price units (moving averages and Bollinger bands)."""

NEXT = "next_"
"""Prefix of a column holding the *next* row's value (:func:`add_next_open`)."""


def is_price_like(column: str) -> bool:
    """Whether a column is in price units (so dividing it by a close is meaningful).

    Parameters
    ----------
    column : str
        Column name, e.g. ``"close"``, ``"sma_20"``, ``"rsi_14"``.

    Returns
    -------
    bool
        True for ``open``, ``high``, ``low``, ``close``, their next-day
        values ``next_open`` etc. (:func:`add_next_open`) and the ``sma_*``,
        ``ema_*`` and ``bb_*`` indicators; False for volume, amount, RSI,
        MACD, ``change``, ``pct_change`` and anything else.
    """
    name = str(column)
    return (name in PRICES or name.removeprefix(NEXT) in PRICES
            or name.startswith(PRICE_PREFIXES))


def _as_series(series: pd.Series | np.ndarray, n: int, what: str) -> pd.Series:
    """Check the look-back ``n`` and the length, and return a float Series."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what}: the look-back n must be a positive integer, got {n!r}")
    s = series if isinstance(series, pd.Series) else pd.Series(np.asarray(series))
    if len(s) < n:
        raise DataError(f"{what}: the series has {len(s)} rows, fewer than the look-back n={n}")
    return s.astype(float)


def sma(series: pd.Series | np.ndarray, n: int) -> pd.Series:
    """Simple moving average: the mean of the last ``n`` values, this row included.

    Parameters
    ----------
    series : Series or 1-D array
        Values in time order.
    n : int
        Number of rows averaged.

    Returns
    -------
    Series
        Named ``sma_{n}``; the first ``n - 1`` values are NaN.

    Raises
    ------
    ValueError
        When ``n < 1``.
    DataError
        When the series is shorter than ``n``.
    """
    s = _as_series(series, n, "sma")
    return s.rolling(n, min_periods=n).mean().rename(f"sma_{n}")


def ema(series: pd.Series | np.ndarray, n: int) -> pd.Series:
    """Exponential moving average with span ``n``: ``e[t] = a x[t] + (1 - a) e[t-1]``.

    The smoothing factor is ``a = 2 / (n + 1)`` and the recursion starts at
    the first (non-missing) value, ``e[0] = x[0]`` (pandas ``ewm(span=n,
    adjust=False)``). The first ``n - 1`` values are reported as NaN: they
    rest on too little history to be trusted.

    Parameters
    ----------
    series : Series or 1-D array
        Values in time order; leading NaNs (e.g. another indicator's warm-up)
        are skipped.
    n : int
        Span.

    Returns
    -------
    Series
        Named ``ema_{n}``.

    Raises
    ------
    ValueError
        When ``n < 1``.
    DataError
        When the series is shorter than ``n``.
    """
    s = _as_series(series, n, "ema")
    return s.ewm(span=n, adjust=False, min_periods=n).mean().rename(f"ema_{n}")


def macd(close: pd.Series | np.ndarray, fast: int = 12, slow: int = 26,
         signal: int = 9) -> pd.DataFrame:
    """Moving average convergence divergence.

    ``macd = ema(close, fast) - ema(close, slow)``; ``macd_signal`` is the
    EMA (span ``signal``) of the ``macd`` line, started at its first value;
    ``macd_hist = macd - macd_signal``. In price units, but centred on 0.

    Parameters
    ----------
    close : Series or 1-D array
        Closing prices in time order.
    fast, slow, signal : int
        Spans of the fast and slow EMAs and of the signal line.

    Returns
    -------
    DataFrame
        Columns ``macd``, ``macd_signal``, ``macd_hist``. ``macd`` is NaN on
        the first ``slow - 1`` rows, the other two on the first
        ``slow + signal - 2`` rows.

    Raises
    ------
    ValueError
        When a span is below 1 or ``fast >= slow``.
    DataError
        When the series is too short.
    """
    if fast >= slow:
        raise ValueError(f"macd: the fast span must be shorter than the slow one, got "
                         f"fast={fast}, slow={slow}")
    line = ema(close, fast) - ema(close, slow)
    sig = ema(line, signal)
    return pd.DataFrame({"macd": line, "macd_signal": sig, "macd_hist": line - sig})


def rsi(close: pd.Series | np.ndarray, n: int = 14) -> pd.Series:
    """Wilder's relative strength index, from 0 (only losses) to 100 (only gains).

    With ``d[t] = close[t] - close[t-1]``, gains ``max(d, 0)`` and losses
    ``max(-d, 0)`` are smoothed the way Wilder (1978) did it: the first
    average is the plain mean of the first ``n`` changes (rows ``1 .. n``),
    then ``avg[t] = ((n - 1) avg[t-1] + x[t]) / n``, i.e. an exponential
    average with ``alpha = 1 / n``. ``RSI = 100 avg_gain / (avg_gain +
    avg_loss)``, which equals the textbook ``100 - 100 / (1 + RS)``; a
    perfectly flat stretch (no gains, no losses) gives 50.

    Parameters
    ----------
    close : Series or 1-D array
        Closing prices in time order.
    n : int, default 14
        Look-back in changes.

    Returns
    -------
    Series
        Named ``rsi_{n}``; the first ``n`` values are NaN (``n`` changes need
        ``n + 1`` prices).

    Raises
    ------
    ValueError
        When ``n < 1``.
    DataError
        When the series has fewer than ``n + 1`` rows.
    """
    s = _as_series(close, n, "rsi")
    if len(s) < n + 1:
        raise DataError(f"rsi: the series has {len(s)} rows; n={n} changes need {n + 1}")
    change = s.diff()
    averages = []
    for part in (change.clip(lower=0.0), (-change).clip(lower=0.0)):
        seeded = part.copy()
        seeded.iloc[: n + 1] = np.nan
        seeded.iloc[n] = part.iloc[1: n + 1].mean()
        averages.append(seeded.ewm(alpha=1.0 / n, adjust=False).mean())
    gain, loss = averages
    total = gain + loss
    value = (100.0 * gain / total.where(total > 0)).where(total > 0, 50.0)
    return value.where(gain.notna()).rename(f"rsi_{n}")


def bollinger(close: pd.Series | np.ndarray, n: int = 20, k: float = 2.0) -> pd.DataFrame:
    """Bollinger bands: the ``n``-row SMA and ``k`` standard deviations either side.

    The standard deviation is the *population* one (divide by ``n``), as in
    Bollinger's own definition and most charting packages.

    Parameters
    ----------
    close : Series or 1-D array
        Closing prices in time order.
    n : int, default 20
        Look-back.
    k : float, default 2
        Width of the bands in standard deviations (non-negative).

    Returns
    -------
    DataFrame
        Columns ``bb_mid``, ``bb_upper``, ``bb_lower``; the first ``n - 1``
        rows are NaN.

    Raises
    ------
    ValueError
        When ``n < 1`` or ``k`` is negative.
    DataError
        When the series is shorter than ``n``.
    """
    if k < 0:
        raise ValueError(f"bollinger: k must not be negative, got {k}")
    s = _as_series(close, n, "bollinger")
    mid = s.rolling(n, min_periods=n).mean()
    width = k * s.rolling(n, min_periods=n).std(ddof=0)
    return pd.DataFrame({"bb_mid": mid, "bb_upper": mid + width, "bb_lower": mid - width})


def add_indicators(
    df: pd.DataFrame,
    *,
    sma_windows: tuple[int, ...] = (5, 20),
    ema_windows: tuple[int, ...] = (12, 26),
    macd_spans: tuple[int, int, int] | None = (12, 26, 9),
    rsi_window: int | None = 14,
    bollinger_window: tuple[int, float] | None = (20, 2.0),
    column: str = "close",
    dropna: bool = True,
) -> pd.DataFrame:
    """Append technical indicators of one column to an OHLCV frame.

    Parameters
    ----------
    df : DataFrame
        Series in time order, with the column ``column``.
    sma_windows, ema_windows : tuple of int
        One ``sma_N`` / ``ema_N`` column per look-back (empty: none).
    macd_spans : (fast, slow, signal) or None
        Adds ``macd``, ``macd_signal``, ``macd_hist``.
    rsi_window : int or None
        Adds ``rsi_N``.
    bollinger_window : (n, k) or None
        Adds ``bb_mid``, ``bb_upper``, ``bb_lower``.
    column : str, default "close"
        The price the indicators are computed from.
    dropna : bool, default True
        Drop the leading warm-up rows where some indicator is still NaN, so
        that the frame can go straight to a split. With False the frame keeps
        every row (and the NaNs).

    Returns
    -------
    DataFrame
        A copy of ``df`` with the indicator columns appended (existing
        columns of the same name are replaced).

    Raises
    ------
    DataError
        When ``column`` is missing or the series is too short for a look-back.
    """
    if column not in df.columns:
        raise DataError(f"add_indicators: no column {column!r}; the data has {list(df.columns)}")
    price = df[column]
    parts = [sma(price, n) for n in sma_windows] + [ema(price, n) for n in ema_windows]
    if macd_spans is not None:
        parts.append(macd(price, *macd_spans))
    if rsi_window is not None:
        parts.append(rsi(price, rsi_window))
    if bollinger_window is not None:
        parts.append(bollinger(price, *bollinger_window))
    if not parts:
        return df.copy()
    added = pd.concat(parts, axis=1)
    out = pd.concat([df.drop(columns=[c for c in added.columns if c in df.columns]), added],
                    axis=1)
    if dropna:
        ready = added.notna().all(axis=1).to_numpy()
        if not ready.any():
            raise DataError(f"add_indicators: the {len(df)} rows are all warm-up rows")
        out = out.iloc[int(np.argmax(ready)):]
    return out


def add_changes(df: pd.DataFrame, *, column: str = "close", dropna: bool = True
                ) -> pd.DataFrame:
    """Append the day's change and percentage change of one price column.

    ``change = close[t] - close[t-1]`` (price units) and ``pct_change =
    100 * (close[t] / close[t-1] - 1)`` (percent), the two "change" columns
    of Chinese vendors' daily quotes. Both use row ``t`` and the row before
    it only. The first row has no previous close: it is dropped (or NaN with
    ``dropna=False``).

    Parameters
    ----------
    df : DataFrame
        Series in time order, with the column ``column``.
    column : str, default "close"
    dropna : bool, default True
        Drop the first row, whose changes are undefined.

    Returns
    -------
    DataFrame
        A copy of ``df`` with ``change`` and ``pct_change`` appended.

    Raises
    ------
    DataError
        When ``column`` is missing or the frame has fewer than two rows.
    """
    if column not in df.columns:
        raise DataError(f"add_changes: no column {column!r}; the data has {list(df.columns)}")
    if len(df) < 2:
        raise DataError(f"add_changes needs at least two rows, got {len(df)}")
    price = df[column].astype(float)
    out = df.assign(change=price.diff(), pct_change=100.0 * price.pct_change())
    return out.iloc[1:] if dropna else out


def add_next_open(df: pd.DataFrame) -> pd.DataFrame:
    """Append ``next_open``: the *next* row's open, known once that day's market opens.

    Row ``t`` gets ``open[t+1]``. A window ending on row ``t`` then carries
    the opening price of its target day ``t + 1``: that is information from
    the target day itself, legitimate only for a forecast made **after** the
    open (for example of that day's high or close), never for a forecast
    made the evening before. The last row has no next open and is dropped.

    Parameters
    ----------
    df : DataFrame
        Series in time order with an ``open`` column.

    Returns
    -------
    DataFrame
        A copy of ``df`` without its last row, with ``next_open`` appended.

    Raises
    ------
    DataError
        When ``open`` is missing or the frame has fewer than two rows.
    """
    if "open" not in df.columns:
        raise DataError(f"add_next_open: no column 'open'; the data has {list(df.columns)}")
    if len(df) < 2:
        raise DataError(f"add_next_open needs at least two rows, got {len(df)}")
    out = df.assign(**{f"{NEXT}open": df["open"].astype(float).shift(-1)})
    return out.iloc[:-1]
