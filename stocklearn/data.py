"""Bundled data sets, loaders for users' files, validation.

Every function here returns a *validated OHLCV frame*: a DatetimeIndex named
``date`` (``datetime64[ns]``, strictly increasing, no duplicates) and float64
columns ``open, high, low, close, volume`` (plus ``amount``, the traded value in
the quote currency, where the source has it). Volume is in shares.

* :func:`list_datasets`, :func:`load`: the real series shipped with the package
  (see ``datasets/PROVENANCE.md``), checked against their sha256 on first use.
* :func:`load_csv`, :func:`normalize_ohlcv`: files and frames in the layouts of
  Yahoo Finance / yfinance, tushare, akshare, or the plain lower-case layout.
* Live downloads with a cache are in :mod:`stocklearn.fetch`.
* :func:`validate_ohlcv`: the checks every frame passes. Errors are
  :class:`DataError` subclasses whose message names the problem and the first
  offending dates.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import io
import json
import os
from importlib.resources import files
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

PRICES = ("open", "high", "low", "close")
REQUIRED = (*PRICES, "volume")
COLUMNS = (*REQUIRED, "amount")
MAX_SHOWN = 5

_AKSHARE_NAMES = {"日期": "date", "开盘": "open", "最高": "high", "最低": "low", "收盘": "close",
                  "成交量": "volume", "成交额": "amount"}
_PLAIN_SYNONYMS = {"datetime": "date", "adj_close": "adj close", "adjclose": "adj close"}
_LIST_COLUMNS = ("description", "market", "currency", "prices", "first", "last", "rows",
                 "vendor", "symbol")


class DataError(ValueError):
    """Bad input data: the message names the problem and the first offending rows."""


class UnknownDatasetError(DataError):
    """No bundled data set has this name, symbol or alias."""


class ValidationError(DataError):
    """A frame is not a clean OHLCV series (missing columns, bad dates or values)."""


# --------------------------------------------------------------------------- messages
def _fmt_date(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else str(ts)


def _first(items: list[str]) -> str:
    """``a, b, c`` for up to :data:`MAX_SHOWN` items, then how many more."""
    shown = ", ".join(items[:MAX_SHOWN])
    return shown + (f" (and {len(items) - MAX_SHOWN} more)" if len(items) > MAX_SHOWN else "")


def _rows(n: int) -> str:
    return f"{n} row{'s' * (n != 1)}"


def _on(index: pd.DatetimeIndex, mask) -> str:
    """``on N rows: d1, d2, ...`` for the dates where ``mask`` holds."""
    dates = [_fmt_date(ts) for ts in index[np.asarray(mask, dtype=bool)]]
    return f"on {_rows(len(dates))}: {_first(dates)}"


def _span(df: pd.DataFrame) -> str:
    return f"{_fmt_date(df.index[0])} to {_fmt_date(df.index[-1])}, {_rows(len(df))}"


# --------------------------------------------------------------------------- validation
def validate_ohlcv(df: pd.DataFrame) -> pd.DataFrame:
    """Check that ``df`` is a clean daily OHLCV series.

    Parameters
    ----------
    df : DataFrame
        DatetimeIndex of trading dates and columns ``open, high, low, close,
        volume`` (``amount`` optional, other columns kept untouched).

    Returns
    -------
    DataFrame
        A copy with the OHLCV columns as float64 and the index named ``date``.

    Raises
    ------
    ValidationError
        Missing columns, an index that is not a DatetimeIndex or holds NaT, or
        (all reported together) duplicate or decreasing dates, missing or
        non-numeric values, prices <= 0, negative volume or amount,
        ``high < low``, ``open`` or ``close`` outside ``[low, high]`` (exact
        comparison, no tolerance). Each problem lists its first dates.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"expected a DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValidationError(
            f"missing required columns {missing}; the data have columns {list(df.columns)}")
    index = df.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValidationError(
            f"the index must be a DatetimeIndex of trading dates, got {type(index).__name__} "
            f"starting {_first([repr(v) for v in index[:MAX_SHOWN]])}")
    if index.hasnans:
        rows = [str(i) for i in np.flatnonzero(index.isna())]
        raise ValidationError(f"missing dates (NaT) at row positions {_first(rows)}")

    problems = []
    duplicated = index.duplicated(keep=False)
    if duplicated.any():
        problems.append(f"duplicate dates {_on(index, duplicated & ~index.duplicated())}")
    back = np.flatnonzero(index[1:] < index[:-1]) + 1
    if back.size:
        pairs = [f"{_fmt_date(index[i])} after {_fmt_date(index[i - 1])}" for i in back]
        problems.append(f"dates not in increasing order on {_rows(back.size)}: {_first(pairs)}")

    cols = [c for c in COLUMNS if c in df.columns]
    values = df[cols].apply(pd.to_numeric, errors="coerce").astype("float64")
    for col in cols:
        bad = ~np.isfinite(values[col].to_numpy())
        if bad.any():
            problems.append(f"missing or non-numeric values in '{col}' {_on(index, bad)}")
    o, h, lo, c = (values[p] for p in PRICES)
    checks = {
        "non-positive prices (<= 0)": (values[list(PRICES)] <= 0).any(axis=1),
        "negative volume": values["volume"] < 0,
        "negative amount": values["amount"] < 0 if "amount" in cols else None,
        "high < low": h < lo,
        "open outside [low, high]": (o < lo) | (o > h),
        "close outside [low, high]": (c < lo) | (c > h),
    }
    problems += [f"{name} {_on(index, mask)}" for name, mask in checks.items()
                 if mask is not None and mask.any()]
    if problems:
        raise ValidationError("invalid OHLCV data:\n- " + "\n- ".join(problems))
    out = df.copy()
    out[cols] = values
    out.index.name = "date"
    return out


# --------------------------------------------------------------------------- vendor layouts
def _parse_dates(values: pd.Series, fmt: str | None = None) -> pd.DatetimeIndex:
    """Dates as a tz-naive ``datetime64[ns]`` index; unparseable ones raise."""
    raw = values.astype(str) if fmt else values
    parsed = pd.to_datetime(raw, format=fmt, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        shown = [f"row {i}: {values.iloc[i]!r}" for i in bad]
        raise ValidationError(f"unparseable or missing dates in {_rows(bad.size)}: {_first(shown)}")
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.as_unit("ns").rename("date")


def _single_ticker(df: pd.DataFrame) -> pd.DataFrame:
    """Drop the ticker level of ``yf.download`` columns (price, ticker), one ticker only."""
    if not isinstance(df.columns, pd.MultiIndex):
        return df
    levels = [df.columns.get_level_values(i) for i in range(df.columns.nlevels)]
    price = next((i for i, lv in enumerate(levels) if "Close" in set(lv)), None)
    if df.columns.nlevels != 2 or price is None:
        raise ValidationError(
            f"MultiIndex columns must be (price, ticker) as yfinance returns them, got "
            f"{_first([str(c) for c in df.columns])}")
    tickers = list(levels[1 - price].unique())
    if len(tickers) > 1:
        raise ValidationError(
            f"the data hold {len(tickers)} tickers ({_first([str(t) for t in tickers])}); "
            f"select one first, e.g. df.xs({tickers[0]!r}, axis=1, level={1 - price})")
    return df.droplevel(1 - price, axis=1)


def normalize_ohlcv(df: pd.DataFrame, *, use_adj_close: bool = False) -> pd.DataFrame:
    """Turn a vendor's daily bars into a validated OHLCV frame.

    Recognised layouts:

    * Yahoo / yfinance: ``Date, Open, High, Low, Close[, Adj Close], Volume``
      as columns or with the dates as index, also the MultiIndex columns
      (price, ticker) that ``yf.download`` returns (one ticker only).
    * tushare ``pro.daily``: ``ts_code, trade_date (YYYYMMDD), ..., vol,
      amount`` newest first. Sorted ascending on purpose; ``vol`` is in lots of
      100 shares and ``amount`` in thousand CNY, converted to shares and CNY.
    * akshare ``stock_zh_a_hist``: Chinese names (日期, 开盘, 收盘, 最高, 最低,
      成交量, 成交额); ``成交量`` is in lots (手) and is multiplied by 100; extra
      columns (振幅, 涨跌幅, ...) are dropped.
    * plain: ``date, open, high, low, close, volume[, amount]`` in any case
      (also BaoStock and akshare's English layouts). Rows must already be in
      increasing date order: unsorted or duplicate dates raise, they are never
      silently fixed.

    Parameters
    ----------
    df : DataFrame
        Bars in one of the layouts above.
    use_adj_close : bool, default False
        By default ``close`` is the raw Yahoo ``Close`` and ``Adj Close`` is
        dropped. With True, open/high/low/close are all multiplied by
        ``Adj Close / Close`` (split- and dividend-adjusted bars); the data
        must then have an ``Adj Close`` column.

    Returns
    -------
    DataFrame
        Validated OHLCV frame (see :func:`validate_ohlcv`).

    Raises
    ------
    ValidationError
        No rows, no date column, missing columns, several tickers, bad values.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"expected a DataFrame, got {type(df).__name__}")
    if df.empty:
        raise ValidationError("the data have no rows")
    df = _single_ticker(df)
    if isinstance(df.index, pd.DatetimeIndex):
        df = df.rename_axis("date").reset_index()
    df = df.rename(columns=lambda c: str(c).strip())
    vendor = ("akshare" if "日期" in df.columns else
              "tushare" if "trade_date" in df.columns else "plain")
    if vendor == "akshare":
        df = df.rename(columns=_AKSHARE_NAMES)
    elif vendor == "tushare":
        codes = df["ts_code"].unique() if "ts_code" in df.columns else []
        if len(codes) > 1:
            raise ValidationError(f"tushare data hold {len(codes)} codes ({_first(list(codes))})")
        df = df.rename(columns={"trade_date": "date", "vol": "volume"})
    else:
        df = df.rename(columns=lambda c: _PLAIN_SYNONYMS.get(c.lower(), c.lower()))
    if "date" not in df.columns:
        raise ValidationError(
            f"no date column (date, Date, trade_date or 日期) in columns {list(df.columns)}")
    out = df[[c for c in COLUMNS if c in df.columns]].apply(pd.to_numeric, errors="coerce")
    out.columns.name = None
    out.index = _parse_dates(df["date"], "%Y%m%d" if vendor == "tushare" else None)
    if vendor in ("akshare", "tushare") and "volume" in out.columns:
        out["volume"] = out["volume"] * 100.0
    if vendor == "tushare":
        if "amount" in out.columns:
            out["amount"] = out["amount"] * 1000.0
        out = out.sort_index(kind="stable")
    if use_adj_close:
        if "adj close" not in df.columns:
            raise ValidationError("use_adj_close=True needs an 'Adj Close' column")
        factor = pd.to_numeric(df["adj close"], errors="coerce").to_numpy() / out["close"]
        out[list(PRICES)] = out[list(PRICES)].mul(factor, axis=0)
    return validate_ohlcv(out)


def _read_text(src: str | os.PathLike | IO) -> str:
    """Text of a path or an open file; UTF-8 (with or without BOM), else GB18030."""
    raw = Path(src).read_bytes() if isinstance(src, (str, os.PathLike)) else src.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raw = raw.decode("gb18030")
    return raw.lstrip("\ufeff")


def load_csv(path_or_buffer: str | os.PathLike | IO, *, use_adj_close: bool = False
             ) -> pd.DataFrame:
    """Read a CSV of daily bars in any layout :func:`normalize_ohlcv` knows.

    Besides those layouts this reads the three-line header yfinance >= 0.2.51
    writes (``Price,Adj Close,Close,...`` / ``Ticker,^NDX,...`` / ``Date,,,``).

    Parameters
    ----------
    path_or_buffer : str, PathLike or file-like
        The file (UTF-8, or GB18030 as Excel saves Chinese files).
    use_adj_close : bool, default False
        See :func:`normalize_ohlcv`.

    Returns
    -------
    DataFrame
        Validated OHLCV frame.

    Raises
    ------
    DataError
        Unreadable CSV, several tickers, or any :func:`normalize_ohlcv` error.
    """
    text = _read_text(path_or_buffer)
    lines = text.splitlines()
    heads = [line.split(",") for line in lines[:3]]
    if len(heads) >= 2 and heads[0][0].strip() == "Price" and heads[1][0].strip() == "Ticker":
        tickers = sorted({t.strip() for t in heads[1][1:] if t.strip()})
        if len(tickers) > 1:
            raise ValidationError(f"the file holds {len(tickers)} tickers: {_first(tickers)}")
        skip = 3 if len(heads) == 3 and heads[2][0].strip() == "Date" else 2
        text = "\n".join(["Date," + ",".join(heads[0][1:]), *lines[skip:]])
    try:
        df = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read the data as CSV: {exc}") from exc
    return normalize_ohlcv(df, use_adj_close=use_adj_close)


# --------------------------------------------------------------------------- bundled data
@functools.cache
def _registry() -> dict[str, dict]:
    return json.loads(files("stocklearn").joinpath("datasets", "registry.json").read_text("utf-8"))


@functools.cache
def _lookup() -> dict[str, str]:
    """Lower-case name, symbol or alias -> data set name."""
    keys = {}
    for name, meta in _registry().items():
        for key in (name, meta["symbol"], *meta["aliases"]):
            keys[key.lower()] = name
    return keys


def _resolve(name: str) -> str:
    key = str(name).strip().lower()
    found = _lookup().get(key)
    if found:
        return found
    close = difflib.get_close_matches(key, list(_lookup()), n=1, cutoff=0.5)
    hint = f" Did you mean {_lookup()[close[0]]!r}?" if close else ""
    raise UnknownDatasetError(
        f"unknown data set {name!r}.{hint} Available: {', '.join(_registry())} "
        "(symbols such as '^NDX' or '000300.SH' work too; see list_datasets())")


def list_datasets() -> pd.DataFrame:
    """The bundled data sets, one row each, from ``datasets/registry.json``.

    Returns
    -------
    DataFrame
        Indexed by ``name``; columns description, market, currency, prices
        ("index" points, "raw" unadjusted or "adjusted"), first, last (dates),
        rows, vendor, symbol.
    """
    table = pd.DataFrame.from_dict(
        {name: {k: meta[k] for k in _LIST_COLUMNS} for name, meta in _registry().items()},
        orient="index")
    table[["first", "last"]] = table[["first", "last"]].apply(pd.to_datetime)
    return table.rename_axis("name")


def short_name(name: str) -> str:
    """The short name of a bundled data set for titles and tables, e.g. ``"S&P 500"``.

    The registry's description without the symbol in brackets and without a
    trailing " Index" (``"sp500"``: "S&P 500 Index (^GSPC)" gives "S&P 500").

    Parameters
    ----------
    name : str
        Data set name, symbol or alias.

    Returns
    -------
    str
    """
    text = _registry()[_resolve(name)]["description"]
    return text.split(" (")[0].removesuffix(" Index")


def dataset_info(name: str) -> dict:
    """Everything the registry records about one bundled data set.

    Parameters
    ----------
    name : str
        Data set name, symbol or alias.

    Returns
    -------
    dict
        The ``list_datasets()`` fields plus ``file``, ``sha256``, ``aliases``
        and ``events``: known corporate actions inside the data (ex-dividend
        days with the previous close and the exchange's reference price for
        it, taken from the vendor's files; see ``PROVENANCE.md``).
    """
    return {"name": _resolve(name), **_registry()[_resolve(name)]}


def dataset_path(name: str) -> Path:
    """Path of the CSV file of bundled data set ``name`` (name, symbol or alias)."""
    return files("stocklearn").joinpath("datasets", _registry()[_resolve(name)]["file"])


def verify_checksum(name: str) -> str:
    """Check a bundled file against the sha256 in the registry.

    Returns
    -------
    str
        The hex digest.

    Raises
    ------
    DataError
        When the file differs from the one the registry describes.
    """
    meta = _registry()[_resolve(name)]
    digest = hashlib.sha256(dataset_path(name).read_bytes()).hexdigest()
    if digest != meta["sha256"]:
        raise DataError(
            f"checksum mismatch for {meta['file']}: expected sha256 {meta['sha256']}, got "
            f"{digest}; the file was changed or damaged, reinstall stocklearn")
    return digest


@functools.cache
def _read_bundled(name: str) -> pd.DataFrame:
    verify_checksum(name)
    with dataset_path(name).open("rb") as fh:
        return normalize_ohlcv(pd.read_csv(fh))


def _window(df: pd.DataFrame, start, end, what: str) -> pd.DataFrame:
    """Rows from ``start`` to ``end`` inclusive (a copy); an empty result raises."""
    bounds = []
    for label, value in (("start", start), ("end", end)):
        try:
            stamp = None if value is None else pd.Timestamp(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{label}={value!r} is not a date like '2014-12-08'") from exc
        bounds.append(value if isinstance(value, str) or stamp is None else stamp)
    out = df.loc[bounds[0]:bounds[1]]
    if out.empty:
        raise DataError(f"{what} has no rows from {start} to {end}; it covers {_span(df)}")
    return out.copy()


def _is_csv_path(name) -> bool:
    return isinstance(name, os.PathLike) or str(name).lower().endswith(".csv")


def load(name: str, start=None, end=None) -> pd.DataFrame:
    """Load a bundled data set, or a CSV file of your own.

    Parameters
    ----------
    name : str
        Data set name (``"csi300"``), or its symbol or an alias
        (``"000300.SH"``, ``"^NDX"``); see :func:`list_datasets`. A path
        ending in ``.csv`` is read with :func:`load_csv` instead, so a
        chapter's ``DATASET`` parameter can name a student's own file.
    start, end : str or date, optional
        First and last date to keep, both inclusive.

    Returns
    -------
    DataFrame
        Validated OHLCV frame (a fresh copy; parsing happens once per process).

    Raises
    ------
    UnknownDatasetError
        Unknown name; the message lists the names and the closest match.
    DataError
        No rows between ``start`` and ``end``, or a damaged file.
    """
    if _is_csv_path(name):
        if not Path(name).is_file():
            raise DataError(f"no such CSV file: {name!r}")
        return _window(load_csv(name), start, end, f"file {str(name)!r}")
    key = _resolve(name)
    return _window(_read_bundled(key), start, end, f"data set {key!r}")


def describe(name: str) -> pd.Series:
    """The :func:`list_datasets` row of a data set; for a CSV file of your own, the same
    fields from the file (description: its name; market, currency, vendor unknown).
    """
    if not _is_csv_path(name):
        return list_datasets().loc[_resolve(name)]
    df = load(name)
    return pd.Series({"description": Path(name).name, "market": "?", "currency": "?",
                      "prices": "as in the file", "first": df.index[0], "last": df.index[-1],
                      "rows": len(df), "vendor": "your file", "symbol": Path(name).stem},
                     name=str(name))


def forward_adjust(df: pd.DataFrame, events: list[dict], *, tolerance: float = 0.005
                   ) -> pd.DataFrame:
    """Prices adjusted for ex-dividend days, as vendors' "forward-adjusted" (前复权) series.

    On an ex-dividend day the exchange lowers the reference price of the
    previous close by the dividend (``reference_prev_close`` <
    ``prev_close``), so a raw series drops although no holder lost money.
    For each event inside the frame, every row *before* the ex-dividend day
    has its open, high, low and close multiplied by
    ``reference_prev_close / prev_close``: the last price of the frame stays
    as it is and the day-to-day returns become the holders' returns. Volume
    and amount are left as they are (cash dividends do not change the
    number of shares).

    Parameters
    ----------
    df : DataFrame
        Validated OHLCV frame (see :func:`load`).
    events : list of dict
        Each with ``date`` (the ex-dividend day), ``prev_close`` and
        ``reference_prev_close``, e.g. ``dataset_info(name)["events"]``.
        Events outside the frame's dates are skipped.
    tolerance : float, default 0.005
        How far (in price units) ``prev_close`` may be from the frame's close
        on the row before the event.

    Returns
    -------
    DataFrame
        An adjusted copy.

    Raises
    ------
    DataError
        When an event inside the frame's dates is not one of its rows, lacks
        a field, or its ``prev_close`` disagrees with the frame.
    """
    out = df.copy()
    factor = np.ones(len(df))
    for event in events:
        missing = [k for k in ("date", "prev_close", "reference_prev_close") if k not in event]
        if missing:
            raise DataError(f"event {event} lacks {missing}")
        day = pd.Timestamp(event["date"])
        if day <= df.index[0] or day > df.index[-1]:
            continue  # no row before it inside the frame, or after the frame
        if day not in df.index:
            raise DataError(f"ex-dividend day {_fmt_date(day)} is not a row of the frame "
                            f"({_span(df)})")
        pos = df.index.get_loc(day)
        before = float(df["close"].iloc[pos - 1])
        if abs(before - float(event["prev_close"])) > tolerance:
            raise DataError(
                f"event on {_fmt_date(day)}: prev_close {event['prev_close']} but the frame's "
                f"close on {_fmt_date(df.index[pos - 1])} is {before}")
        factor[:pos] *= float(event["reference_prev_close"]) / float(event["prev_close"])
    for column in PRICES:
        out[column] = df[column].to_numpy(dtype=float) * factor
    return out
