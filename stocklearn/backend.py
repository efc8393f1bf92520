"""The one place that deals with the Keras backend: a quiet start and determinism.

Import Keras from here (``from stocklearn.backend import keras``) so that it
loads the same way everywhere:

* TensorFlow's C++ runtime prints start-up lines (the oneDNN note, absl's
  "log messages before InitializeLog" line) straight to the process's
  standard error, before any Python setting can reach them, and Jupyter shows
  them under the cell. ``TF_CPP_MIN_LOG_LEVEL=3`` (unless the user chose a
  level) silences the later C++ messages; the start-up lines are kept off
  the screen by pointing file descriptor 2 at ``os.devnull`` while Keras
  imports its backend. A failed import still raises as usual.
* TensorFlow's Python logger keeps errors only: training many small models
  makes it warn about "tf.function retracing", which tells a learner nothing.
* :func:`seed_backend` seeds the backend and, on TensorFlow, turns on
  deterministic ops; :func:`stocklearn.settings.set_seed` calls it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _quiet_stderr():
    """Send the process's file descriptor 2 to os.devnull for the duration."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _quiet_stderr():
    import keras

    keras.backend.backend()  # the backend (TensorFlow by default) is loaded by now

logging.getLogger("tensorflow").setLevel(logging.ERROR)


def seed_backend(seed: int) -> None:
    """Seed Keras (Python, NumPy and the backend) and make TensorFlow ops deterministic.

    Calls :func:`keras.utils.set_random_seed` (which seeds TensorFlow too
    when it is installed, whatever the backend) and, on the TensorFlow backend,
    ``tf.config.experimental.enable_op_determinism()`` (safe to call again).
    With both, the same seed gives bit-identical training on the same
    machine; other oneDNN or thread settings may change the last bits.

    Parameters
    ----------
    seed : int
    """
    with _quiet_stderr():  # it also seeds TensorFlow when installed, importing it
        keras.utils.set_random_seed(int(seed))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


__all__ = ["keras", "seed_backend"]
