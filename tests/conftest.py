"""Fixtures shared by the test modules; markers; a temporary home; the xdist scheduler.

Markers (``make test-quick`` runs what is neither):

* ``keras``: the test trains or builds a Keras model, so its outcome depends
  on the Keras backend; ``make test`` runs these once more on JAX (all but
  the chapter runs). A test module that imports a module of the package that
  loads Keras is marked as a whole (:data:`KERAS_MODULES`); tests that load
  Keras lazily carry the mark themselves.
* ``slow``: more than a few seconds (chapter runs, process pools, grading).
* ``chapter``: a whole chapter executed with its tiny parameter set. On
  JAX the chapters run in ``make test-jax-chapters`` (and weekly, in the
  full profile), not in ``make test``: the package's JAX branches that the
  chapters call are tested by the ``keras`` tests themselves.

No test writes into the user's home: the chapters' result rows, Keras's and
matplotlib's configuration, JAX's compiled steps, Jupyter's and IPython's
files go to a temporary folder for the whole run (:func:`pytest_configure`),
also in the kernels and processes the tests start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import types
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from xdist.scheduler import LoadScopeScheduling

from stocklearn import data

NDX_WINDOW = ("2024-05-28", "2024-06-10")

# the package's modules that build or train networks, and so load a Keras backend on
# import; every other module imports without one (tests/test_settings.py)
NETWORK_MODULES = {"backend", "models", "training", "tuning", "error_correction"}
KERAS_MODULES = {"keras", *(f"stocklearn.{name}" for name in NETWORK_MODULES)}


THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
           "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}


def pytest_configure(config):
    config.addinivalue_line("markers", "keras: depends on the Keras backend (run on JAX too)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line("markers", "chapter: executes a whole chapter")
    if "STOCKLEARN_TEST_HOME" in os.environ:  # set by the controller for its xdist workers
        return
    # `make test` runs two passes of two workers each, and each worker may run a
    # chapter's kernel: with more processes than cores, one thread per process
    # (TensorFlow's and XLA's thread pools, oneDNN, BLAS) wastes no time waiting
    for name, value in THREADS.items():
        os.environ.setdefault(name, value)
    home = Path(tempfile.mkdtemp(prefix="stocklearn-tests-"))
    os.environ["STOCKLEARN_TEST_HOME"] = str(home)
    for name, folder in (("STOCKLEARN_RESULTS", "results"), ("KERAS_HOME", "keras"),
                         ("MPLCONFIGDIR", "matplotlib"), ("JUPYTER_RUNTIME_DIR", "jupyter"),
                         ("JUPYTER_DATA_DIR", "jupyter-data"), ("IPYTHONDIR", "ipython"),
                         ("JAX_COMPILATION_CACHE_DIR", "jax")):
        os.environ[name] = str(home / folder)


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput") and "STOCKLEARN_TEST_HOME" in os.environ:
        shutil.rmtree(os.environ.pop("STOCKLEARN_TEST_HOME"), ignore_errors=True)


def _loads_keras(module: types.ModuleType) -> bool:
    return any(isinstance(v, types.ModuleType) and v.__name__ in KERAS_MODULES
               for v in vars(module).values())


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and _loads_keras(module):
            item.add_marker("keras")
    # longest work first, so that the xdist workers finish together: the chapter
    # runs (the biggest notebook first), then files with slow tests, then the rest
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}

    def cost(item):
        if SPREAD in item.nodeid:
            return (0, -item.callspec.params["path"].stat().st_size)
        return (1 if item.path in slow_files else 2, 0)

    items.sort(key=cost)


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
# at a time (test modules share module-scoped fixtures). xdist's own
# `--dist loadgroup` does not group on pytest 9.2 (it renames `item._nodeid`, which
# pytest no longer reads), so the rule is a scheduler of our own.
SPREAD = "::test_runs_with_the_tiny_parameter_set["


class FileScheduling(LoadScopeScheduling):
    """xdist work units: one per test file or notebook, one per tiny chapter run.

    Units are handed out in collection order (longest first, see
    :func:`pytest_collection_modifyitems`), not by their number of tests.
    """

    def __init__(self, config, log=None):
        config.option.loadscopereorder = False
        super().__init__(config, log)

    def _split_scope(self, nodeid: str) -> str:
        return nodeid if SPREAD in nodeid else nodeid.split("::", 1)[0]


@pytest.hookimpl(optionalhook=True)  # so that `pytest -p no:xdist` still runs
def pytest_xdist_make_scheduler(config, log):
    return FileScheduling(config, log)


def assert_scores_by_hand(table: pd.DataFrame, ds, forecasts, part: str) -> None:
    """The RMSE and MAE of ``forecasts`` (n_seeds, m), and persistence's, computed here
    with NumPy, not with stocklearn.evaluation, must be what ``table`` shows."""
    actual = ds.actual(part)
    errors = np.atleast_2d(forecasts) - actual
    rmse, mae = np.sqrt((errors ** 2).mean(axis=1)), np.abs(errors).mean(axis=1)
    ensemble = np.atleast_2d(forecasts).mean(axis=0) - actual
    assert table.loc["model", "seeds"] == len(errors)
    assert table.loc["model", "RMSE"] == pytest.approx(np.sqrt((ensemble ** 2).mean()), rel=1e-12)
    assert table.loc["model", "MAE"] == pytest.approx(np.abs(ensemble).mean(), rel=1e-12)
    assert table.loc["model", "RMSE per seed"] == pytest.approx(rmse.mean(), rel=1e-12)
    assert table.loc["model", "MAE per seed"] == pytest.approx(mae.mean(), rel=1e-12)
    if len(errors) > 1:
        assert table.loc["model", "RMSE per seed std"] == pytest.approx(rmse.std(ddof=1),
                                                                       rel=1e-9)
    persistence = np.sqrt(((ds.previous(part) - actual) ** 2).mean())
    assert table.loc["persistence", "RMSE"] == pytest.approx(persistence, rel=1e-12)
