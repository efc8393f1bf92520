"""StockLearn: helpers for an executable course on forecasting stock prices.

Submodules, in the order data flows through them: ``settings`` (profiles,
seeds), ``data`` (bundled series, files, validation), ``fetch`` (live data),
``prep``, ``features``, ``metrics``, ``baselines``, ``backend`` (Keras),
``models``, ``training``, ``evaluation`` (scores, walk-forward), ``backtest``
(positions, costs, equity), ``experiments``, ``sklearn_models``
(SVR, MLP on the flattened window), ``tuning`` (particle swarm), ``grid`` (many
runs, resumable, fanned out), ``papers``, ``results`` (for the verdict
page), ``plots``. Importing the package does not import Keras or TensorFlow; only
``backend`` and the modules that build or train networks (``models``,
``training``, ``tuning``, ``error_correction``) do; ``experiments.run`` loads
Keras when it trains.
"""

from stocklearn.data import DataError, list_datasets, load, load_csv

__all__ = ["DataError", "list_datasets", "load", "load_csv"]
__version__ = "0.1.0"
