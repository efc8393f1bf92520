"""StockLearn: helpers for an executable course on forecasting stock prices.

The modules, in the order data flows through them:

* data: ``settings`` (run profiles, seeds), ``data`` (bundled series, CSV
  files, validation), ``fetch`` (live data, with cache and bundled fallback);
* preparation: ``splits`` (chronological splits, walk-forward folds),
  ``prep`` (returns, scalers fit on training rows, windows, the
  :class:`~stocklearn.prep.Dataset`), ``features`` (causal indicators);
* models and training: ``backend`` (the Keras backend), ``models`` (the
  chapters' networks), ``training`` (fit without test rows, forecast, the
  cache of traced models), ``sklearn_models`` (SVR and MLP on the
  flattened window), ``baselines`` (persistence, linear, ARIMA, ...),
  ``tuning`` (particle swarm on the validation slice), ``error_correction``
  (Bao et al.'s two stages);
* evaluation: ``metrics`` (errors in prices; Diebold-Mariano with a
  Newey-West variance, Clark-West, the detectable gain, Holm's
  adjustment), ``evaluation`` (score tables beside the baselines, testing
  the forecast they show), ``positive_control`` (a simulated series with
  known predictability, and the power of the test), ``walk_forward``
  (refit, forecast the next block, stitch), ``backtest`` (positions,
  costs, equity), ``volatility`` (daily variance from bars: squared
  returns, Parkinson, Garman-Klass; persistence, EWMA, HAR and GARCH
  forecasts of it);
* experiments: ``experiments`` (train over seeds, then score), ``grid``
  (configurations x seeds, resumable, fanned out);
* reporting: ``papers`` (the papers' reported numbers), ``tables`` (ours
  beside the paper's; display strings), ``plots``, ``results`` (the rows
  of the verdict page, their adjusted p-values and verdicts; the recorded
  full run beside this one), ``prose`` (numbers glued into a chapter's
  text);
* teaching apart: ``checks`` (the graded exercises' checks), ``teaching``
  (student notebooks, autograding, the student book, reading times;
  ``checks.claim`` backs a sentence of the prose with the run's numbers).

Importing the package does not import Keras or TensorFlow; only ``backend``
and the modules that build or train networks (``models``, ``training``,
``tuning``, ``error_correction``) do; ``experiments.run`` loads Keras when it
trains.

Errors: a bad argument (an unknown name or option, a number out of range,
a date that is not one) raises ``ValueError``; bad data (missing columns or
rows, NaN, unsorted dates, an unreadable or unknown file, a failed
download) raises :class:`DataError`, a subclass of ``ValueError``, or one
of its own subclasses (``data.UnknownDatasetError``,
``data.ValidationError``, ``fetch.SymbolError``, ``fetch.FetchError``). A
failed exercise check raises ``checks.CheckFailed`` (an
``AssertionError``).
"""

from stocklearn.data import DataError, list_datasets, load, load_csv

__all__ = ["DataError", "list_datasets", "load", "load_csv"]
__version__ = "0.1.0"
