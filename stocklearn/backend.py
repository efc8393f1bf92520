"""The one place that knows which Keras backend runs: quiet start, seeds, speed settings.

The course's code is backend-neutral Keras 3 (Keras layers, losses,
callbacks and ``keras.ops``). The environment variable ``KERAS_BACKEND``
picks the backend before Keras is first imported: ``tensorflow`` (the
default, and what Colab ships), ``jax`` (``pip install 'stocklearn[jax]'``)
or ``torch`` (``pip install 'stocklearn[torch]'``). Everything that differs
between them lives here. Import Keras from this module
(``from stocklearn.backend import keras``) so that it loads the same way
everywhere:

* TensorFlow's C++ runtime prints start-up lines (the oneDNN note, absl's
  "log messages before InitializeLog" line) straight to the process's
  standard error, before any Python setting can reach them, and Jupyter shows
  them under the cell. ``TF_CPP_MIN_LOG_LEVEL=3`` (unless the user chose a
  level) silences the later C++ messages; the start-up lines are kept off
  the screen by pointing file descriptor 2 at ``os.devnull`` while Keras
  loads its backend, and while :func:`seed_backend` seeds TensorFlow (Keras
  imports it to seed it whenever it is installed, whatever the backend). A
  failed import still raises as usual.
* TensorFlow's Python logger keeps errors only: training many small models
  makes it warn about "tf.function retracing", which tells a learner nothing.
* :func:`seed_backend` seeds the backend and, on TensorFlow, turns on
  deterministic ops (JAX and PyTorch are deterministic on a CPU as they are).
* :data:`STEPS_PER_EXECUTION`: batches per call into the backend.
* On JAX, compiled training steps are cached on disk (:data:`JAX_CACHE_DIR`),
  so that the many same-shaped models of a chapter compile once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BACKENDS = ("tensorflow", "jax", "torch")
JAX_CACHE_DIR = "~/.cache/stocklearn/jax"
"""Where JAX keeps compiled training steps (see below); not used by other backends."""


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


_chosen = os.environ.get("KERAS_BACKEND", "tensorflow")
if _chosen not in BACKENDS:
    raise ValueError(f"KERAS_BACKEND={_chosen!r}: the course runs on one of {BACKENDS}")

if _chosen == "jax":
    # JAX compiles every new model's training step with XLA, which costs more
    # than the epochs of the course's small networks. Compiled steps are kept
    # on disk and reused by the next model of the same shape, in this process
    # and in later ones (the same executable: the same numbers). An explicit
    # JAX_COMPILATION_CACHE_DIR (an empty one: no cache) wins.
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                          os.path.expanduser(JAX_CACHE_DIR))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

with _quiet_stderr():
    try:
        import keras

        keras.backend.backend()  # loads the backend
    except ImportError as exc:
        extra = {"tensorflow": "tf"}.get(_chosen, _chosen)
        raise ImportError(f"the Keras backend {_chosen!r} is not installed: "
                          f"pip install 'stocklearn[{extra}]'") from exc

BACKEND: str = keras.backend.backend()
"""The Keras backend this process runs on: "tensorflow", "jax" or "torch"."""

logging.getLogger("tensorflow").setLevel(logging.ERROR)

STEPS_PER_EXECUTION = 1 if BACKEND == "torch" else 16
"""Batches per call into the backend (``Model.compile(steps_per_execution=...)``).

The same updates in the same order (bit-identical results) with less Python
overhead per batch, which matters for the small recurrent models of the
course: on TensorFlow the LSTM of Lu's setting takes 0.09 instead of 0.12 s
per epoch, on JAX 0.007 instead of 0.017 (``benchmarks/epoch_times.py``).
Keras allows only 1 on PyTorch.
"""


def seed_backend(seed: int) -> None:
    """Seed Keras (Python, NumPy and the backend) and make TensorFlow ops deterministic.

    Calls :func:`keras.utils.set_random_seed` (which seeds TensorFlow too
    when it is installed, whatever the backend) and, on the TensorFlow
    backend, ``tf.config.experimental.enable_op_determinism()`` (safe to call
    again). With both, the same seed gives bit-identical training on the same
    machine on every backend; other oneDNN or thread settings may change the
    last bits.

    Parameters
    ----------
    seed : int
    """
    with _quiet_stderr():
        keras.utils.set_random_seed(int(seed))
    if BACKEND == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


__all__ = ["BACKEND", "BACKENDS", "STEPS_PER_EXECUTION", "keras", "seed_backend"]
