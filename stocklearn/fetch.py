"""Live daily prices from the vendors, cached on disk, with a fallback when they fail.

* :func:`yahoo`: Yahoo Finance through ``yfinance``.
* :func:`ashare`: Shanghai and Shenzhen stocks from East Money through ``akshare``.

Both need ``pip install 'stocklearn[online]'`` and a network. The whole
history of a symbol is downloaded once and cached as CSV (default
``~/.cache/stocklearn``); a copy written today, or one that already reaches
the requested ``end``, is reused without asking the vendor. When the vendor
fails (no package, no network, rate limit, a changed layout) a fetcher falls
back to the cached copy, then to a bundled series of the same symbol, and
says so with a :class:`FallbackWarning`; with neither it raises
:class:`FetchError`. Every result is a validated OHLCV frame (see
:mod:`stocklearn.data`).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from stocklearn.data import (
    DataError,
    _lookup,
    _registry,
    _span,
    _window,
    load,
    load_csv,
    normalize_ohlcv,
)

DEFAULT_CACHE_DIR = Path("~/.cache/stocklearn")
INSTALL_HINT = "pip install 'stocklearn[online]'"

_SYMBOL_CHARS = re.compile(r"[A-Za-z0-9.^=_-]+")
_ASHARE_CODE = re.compile(r"(?:(?:sh|sz|bj)\.?)?(\d{6})(?:\.(?:sh|ss|sz|bj))?", re.IGNORECASE)


class SymbolError(DataError):
    """A ticker or stock code is malformed (it also becomes a cache file name)."""


class FetchError(DataError):
    """A download failed and there was neither a cached nor a bundled copy."""


class FallbackWarning(UserWarning):
    """A fetcher returned a cached or bundled copy because the vendor call failed."""


def _check_symbol(symbol: str) -> str:
    """Reject tickers that are empty, too long or unsafe as a file name."""
    if not isinstance(symbol, str):
        raise SymbolError(f"a symbol must be a string, got {type(symbol).__name__} {symbol!r}")
    if not symbol.strip():
        raise SymbolError(f"empty symbol {symbol!r}")
    if any(ch.isspace() for ch in symbol):
        raise SymbolError(f"symbol {symbol!r} contains whitespace")
    if "/" in symbol or "\\" in symbol or ".." in symbol:
        raise SymbolError(f"symbol {symbol!r} contains a path separator or '..'")
    if len(symbol) > 20:
        raise SymbolError(f"symbol {symbol!r} is longer than 20 characters")
    if not _SYMBOL_CHARS.fullmatch(symbol):
        bad = sorted({ch for ch in symbol if not _SYMBOL_CHARS.fullmatch(ch)})
        raise SymbolError(
            f"symbol {symbol!r} has characters {bad} outside letters, digits and . ^ = _ -")
    return symbol


def _ashare_code(code: str) -> str:
    """``'600000'``, ``'sh600000'``, ``'600000.SH'`` -> ``'600000'``."""
    match = _ASHARE_CODE.fullmatch(_check_symbol(code))
    if not match:
        raise SymbolError(
            f"{code!r} is not an A-share stock code; use six digits such as '600000', "
            "'sh600000' or '600000.SH'")
    return match.group(1)


def _download_yahoo(symbol: str) -> pd.DataFrame:
    """The whole daily history of ``symbol`` from Yahoo Finance, raw (unadjusted) Close."""
    try:
        import yfinance as yf
    except ImportError as exc:
        raise ImportError(f"yfinance is not installed: {INSTALL_HINT}") from exc
    return yf.download(symbol, period="max", interval="1d", auto_adjust=False, actions=False,
                       progress=False)


def _download_ashare(code: str, adjust: str) -> pd.DataFrame:
    """The whole daily history of A-share stock ``code`` from East Money via akshare."""
    try:
        import akshare as ak
    except ImportError as exc:
        raise ImportError(f"akshare is not installed: {INSTALL_HINT}") from exc
    return ak.stock_zh_a_hist(symbol=code, period="daily", start_date="19700101",
                              end_date="21000101", adjust=adjust)


def _read_cache(path: Path) -> pd.DataFrame:
    try:
        return load_csv(path)
    except DataError as exc:
        raise DataError(f"the cached copy {path} is unusable, delete it: {exc}") from exc


def _fetch(vendor: str, symbol: str, download: Callable[[], pd.DataFrame], path: Path,
           bundled: str | None, start, end, refresh: bool) -> pd.DataFrame:
    """Cache, else download (and cache), else cached copy, else bundled series.

    A cached copy is used without asking the vendor when it was written today
    or already reaches ``end``; otherwise the vendor is asked first.
    """
    if path.exists() and not refresh:
        cached = _read_cache(path)
        written_today = date.fromtimestamp(path.stat().st_mtime) == date.today()
        if written_today or (end is not None and cached.index[-1] >= pd.Timestamp(end)):
            return _window(cached, start, end,
                           f"the cached copy {path} (pass refresh=True to download again)")
    try:
        df = normalize_ohlcv(download())
    except Exception as exc:  # any vendor failure: missing package, network, rate limit, layout
        failure = f"{vendor} download of {symbol!r} failed ({type(exc).__name__}: {exc})"
        if path.exists():
            df = _read_cache(path)
            source = f"the cached copy {path} ({_span(df)})"
        elif bundled:
            df = load(bundled)
            meta = _registry()[bundled]
            source = (f"the bundled data set {bundled!r} ({meta['description']}, "
                      f"{meta['prices']} prices, {_span(df)})")
        else:
            raise FetchError(f"{failure}; there is no cached copy at {path} and no bundled data "
                             f"set for {symbol!r} (see stocklearn.data.list_datasets())") from exc
        warnings.warn(f"{failure}; using {source}", FallbackWarning, stacklevel=3)
        return _window(df, start, end, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    df.to_csv(partial, date_format="%Y-%m-%d")
    partial.replace(path)
    return _window(df, start, end, f"{vendor} data for {symbol!r}")


def yahoo(ticker: str, start=None, end=None, *, cache_dir: str | os.PathLike | None = None,
          refresh: bool = False) -> pd.DataFrame:
    """Daily bars of ``ticker`` from Yahoo Finance (yfinance), cached on disk.

    The whole history is downloaded once and cached as
    ``<cache_dir>/yahoo_<TICKER>.csv``; later calls read the cache unless
    ``refresh=True``. ``close`` is the raw Close (Adj Close is dropped); the
    bundled ``aapl`` fallback, however, holds adjusted prices (see
    ``list_datasets().prices``).

    Parameters
    ----------
    ticker : str
        Yahoo symbol, e.g. ``"^NDX"``, ``"AAPL"``, ``"000300.SS"``.
    start, end : str or date, optional
        First and last date returned, inclusive.
    cache_dir : str or PathLike, optional
        Folder of the cache, created on demand (default ``~/.cache/stocklearn``).
    refresh : bool, default False
        Download even when a cached copy exists.

    Returns
    -------
    DataFrame
        Validated OHLCV frame.

    Raises
    ------
    SymbolError
        Malformed ticker.
    FetchError
        The download failed (yfinance missing, network, rate limit, empty or
        changed layout) and there is no cached copy and no bundled series for
        the ticker. When there is one, it is returned with a FallbackWarning.
    """
    symbol = _check_symbol(ticker).upper()
    path = Path(cache_dir or DEFAULT_CACHE_DIR).expanduser() / f"yahoo_{symbol}.csv"
    return _fetch("yfinance", symbol, lambda: _download_yahoo(symbol), path,
                  _lookup().get(symbol.lower()), start, end, refresh)


def ashare(code: str, start=None, end=None, *, adjust: str = "",
           cache_dir: str | os.PathLike | None = None, refresh: bool = False) -> pd.DataFrame:
    """Daily bars of a Shanghai/Shenzhen stock from East Money (akshare), cached on disk.

    Cached as ``<cache_dir>/ashare_<code>[_<adjust>].csv``; later calls read
    the cache unless ``refresh=True``. Fallbacks as in :func:`yahoo`,
    but the bundled stocks hold raw prices, so with ``adjust`` there is no
    bundled fallback.

    Parameters
    ----------
    code : str
        Stock code: ``"600000"``, ``"sh600000"`` or ``"600000.SH"``.
    start, end : str or date, optional
        First and last date returned, inclusive.
    adjust : {"", "qfq", "hfq"}, default ""
        Raw prices, forward- or backward-adjusted (akshare's ``adjust``).
    cache_dir : str or PathLike, optional
        Folder of the cache, created on demand (default ``~/.cache/stocklearn``).
    refresh : bool, default False
        Download even when a cached copy exists.

    Returns
    -------
    DataFrame
        Validated OHLCV frame with ``amount`` in CNY.

    Raises
    ------
    SymbolError
        Malformed code (``ValueError`` for an unknown ``adjust``).
    FetchError
        The download failed and there is no cached or bundled copy.
    """
    digits = _ashare_code(code)
    if adjust not in ("", "qfq", "hfq"):
        raise ValueError(f"adjust must be '', 'qfq' or 'hfq', got {adjust!r}")
    path = (Path(cache_dir or DEFAULT_CACHE_DIR).expanduser()
            / f"ashare_{digits}{'_' + adjust if adjust else ''}.csv")
    stocks = {meta["symbol"][:6]: name for name, meta in _registry().items()
              if meta["market"] == "CN" and meta["prices"] == "raw"}
    bundled = None if adjust else stocks.get(digits)
    return _fetch("akshare", digits, lambda: _download_ashare(digits, adjust), path, bundled,
                  start, end, refresh)
