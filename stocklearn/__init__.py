"""StockLearn: helpers for an executable course on forecasting stock prices.

Submodules, in the order data flows through them: ``data``, ``prep``,
``features``, ``metrics``, ``baselines``, ``models``, ``training``, ``papers``,
``evaluation``, ``plots``. Importing the package does not import TensorFlow;
``models`` and ``training`` do.
"""

from stocklearn.data import DataError, list_datasets, load, load_csv

__all__ = ["DataError", "list_datasets", "load", "load_csv"]
__version__ = "0.1.0"
