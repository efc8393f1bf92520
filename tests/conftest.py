"""Fixtures shared by the test modules: real bundled rows, vendor layouts, figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from xdist.scheduler import LoadScopeScheduling

from stocklearn import data

NDX_WINDOW = ("2024-05-28", "2024-06-10")


@pytest.fixture(scope="session")
def csi300() -> pd.DataFrame:
    """The whole bundled CSI 300 series (tests slice what they need; never modify it)."""
    return data.load("csi300")


@pytest.fixture
def bars() -> pd.DataFrame:
    """Ten real NASDAQ-100 bars, 2024-05-28..2024-06-10."""
    return data.load("nasdaq100", *NDX_WINDOW)


def _yf_frame(df: pd.DataFrame, ticker: str = "^NDX") -> pd.DataFrame:
    """``df`` as ``yf.download`` returns it in memory: (Price, Ticker) columns."""
    out = df.rename(columns=str.capitalize).rename_axis("Date")
    out.insert(0, "Adj Close", out["Close"])
    out.columns = pd.MultiIndex.from_product([out.columns, [ticker]], names=["Price", "Ticker"])
    return out


@pytest.fixture
def yf_frame():
    """A function turning a validated frame into yfinance's in-memory layout."""
    return _yf_frame


@pytest.fixture
def close_figures():
    """Close every matplotlib figure a test opened."""
    yield
    plt.close("all")


# The chapters' tiny papermill runs are independent and slow: each is a work unit of
# its own, spread over the xdist workers. Everything else goes to a worker one file
# at a time (a notebook's nbval cells share one kernel; test modules share
# module-scoped fixtures). xdist's own `--dist loadgroup` does not group on
# pytest 9.2 (it renames `item._nodeid`, which pytest no longer reads), so the
# rule is a scheduler of our own.
SPREAD = "::test_runs_with_the_tiny_parameter_set["


class FileScheduling(LoadScopeScheduling):
    """xdist work units: one per test file or notebook, one per tiny chapter run."""

    def _split_scope(self, nodeid: str) -> str:
        return nodeid if SPREAD in nodeid else nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config, log):
    return FileScheduling(config, log)
