"""Seconds per training epoch of the recurrent builders, with and without XLA (jit_compile).

Usage::

    .venv/bin/python benchmarks/epoch_times.py [--windows 1 20 60] [--batch 32] [--n 1200]

Writes ``benchmarks/results/epoch_times.csv`` (or ``--out``), one row per (model, window,
batch, jit, deterministic): the median time of the timed epochs (after one
warm-up epoch, which includes compilation) and the final training loss.

Keras silently turns ``jit_compile=True`` off while TensorFlow op determinism
is on, and :func:`stocklearn.settings.set_seed` turns it on. So XLA is timed
first, seeded with ``keras.utils.set_random_seed`` only; the last runs
(``deterministic=True``) use ``set_seed``, i.e. what the course really runs.
The default grid takes about two minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from stocklearn import models
from stocklearn.backend import keras
from stocklearn.settings import set_seed
from stocklearn.training import EpochLog

BUILDERS = {"simple_rnn": models.simple_rnn, "lstm": models.lstm, "gru": models.gru}
OUT = Path(__file__).parent / "results" / "epoch_times.csv"


def time_epochs(build, window: int, n: int, n_features: int, batch: int, jit: bool,
                epochs: int) -> tuple[float, float]:
    """Median seconds per epoch after a warm-up epoch, and the last training loss."""
    rng = np.random.default_rng(0)
    X = rng.random((n, window, n_features), dtype=np.float32)
    y = X[:, -1, 0] + 0.01 * rng.standard_normal(n).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = build((window, n_features), jit_compile=jit)
    log = EpochLog()
    hist = model.fit(X, y, epochs=epochs + 1, batch_size=batch, callbacks=[log], verbose=0)
    return float(np.median(log.times[1:])), float(hist.history["loss"][-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(BUILDERS))
    parser.add_argument("--windows", nargs="+", type=int, default=[1, 20, 60])
    parser.add_argument("--batch", nargs="+", type=int, default=[32])
    parser.add_argument("--n", type=int, default=1200, help="training windows (Lu 2024: 1200)")
    parser.add_argument("--features", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after the warm-up")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = []
    for deterministic, jits in ((False, (False, True)), (True, (False,))):
        if deterministic:
            set_seed(0)  # switches op determinism on for the rest of the process
        for name in args.models:
            for window in args.windows:
                for batch in args.batch:
                    for jit in jits:
                        sec, loss = time_epochs(BUILDERS[name], window, args.n, args.features,
                                                batch, jit, args.epochs)
                        rows.append({"model": name, "window": window, "batch": batch, "jit": jit,
                                     "deterministic": deterministic,
                                     "seconds_per_epoch": round(sec, 4), "final_loss": loss})
                        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    table["machine"] = f"{platform.machine()} {platform.processor() or ''}".strip()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(table.pivot_table(index=["model", "window", "batch"], columns=["deterministic", "jit"],
                            values="seconds_per_epoch"))


if __name__ == "__main__":
    main()
