"""StockLearn: helpers for an executable course on forecasting stock prices.

Submodules, in the order data flows through them: ``data``, ``prep``,
``features``, ``metrics``, ``baselines``, ``models``, ``training``, ``papers``,
``evaluation``, ``plots``. Importing the package does not import TensorFlow;
``models`` and ``training`` do.
"""

import os

# TensorFlow's C++ runtime prints start-up notes and harmless op-version
# messages (even at "error" level) that only confuse a learner. Silence them
# unless the user chose a level; this must happen before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from stocklearn.data import DataError, list_datasets, load, load_csv  # noqa: E402

__all__ = ["DataError", "list_datasets", "load", "load_csv"]
__version__ = "0.1.0"
