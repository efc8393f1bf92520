"""Seconds per training epoch of every chapter model on every Keras backend, and native PyTorch.

Usage::

    python benchmarks/epoch_times.py [--backends tensorflow jax torch native-torch]

Each backend runs in its own process (Keras reads ``KERAS_BACKEND`` once per
process). Every model is built by the package's builder with the chapter's
sizes, trained on random windows of the chapter's shape with the package's
compile settings (Adam, MSE, ``steps_per_execution`` of
:mod:`stocklearn.backend`), under :func:`stocklearn.settings.set_seed` (what
the course really runs: op determinism on TensorFlow). The first epoch
(graph building, XLA compilation) is reported apart from the median of the
following ones. ``native-torch`` trains the same LSTMs written directly in
PyTorch (``torch.nn.LSTM``, Adam, MSE, the same batches), as a yardstick for
the Keras backends. Results go to ``benchmarks/results/epoch_times.csv``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

OUT = Path(__file__).parent / "results" / "epoch_times.csv"
BACKENDS = ("tensorflow", "jax", "torch", "native-torch")
EPOCHS = 5  # timed epochs after the first

# model, its chapter setting: (window, features), training windows, batch, builder keywords
SETTINGS = {
    "simple_rnn": ("ch2-3, Lu's setting", (1, 1), 1200, 32, {"units": 50}),
    "lstm": ("ch3, Lu's setting", (1, 1), 1200, 32, {"units": 50}),
    "gru": ("ch3, Lu's setting", (1, 1), 1200, 32, {"units": 50}),
    "stacked_lstm": ("ch3, pipeline (full)", (30, 21), 2000, 64, {"units": (50, 50)}),
}


def _data(shape: tuple[int, int], n: int):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((n, *shape), dtype=np.float32)
    return x, (x[:, -1, 0] + 0.01 * rng.standard_normal(n)).astype(np.float32)


def keras_rows() -> list[dict]:
    """Time every chapter model on this process's Keras backend."""
    from stocklearn import models
    from stocklearn.backend import BACKEND
    from stocklearn.settings import set_seed
    from stocklearn.training import EpochLog

    rows = []
    for name, (setting, shape, n, batch, kwargs) in SETTINGS.items():
        x, y = _data(shape, n)
        set_seed(0)
        model = getattr(models, name)(shape, **kwargs)
        log = EpochLog()
        model.fit(x, y, epochs=EPOCHS + 1, batch_size=batch, callbacks=[log], verbose=0)
        rows.append(_row(name, setting, shape, n, batch, BACKEND, log.times))
    return rows


def native_torch_rows() -> list[dict]:
    """The LSTMs of the course written directly in PyTorch, trained the same way."""
    import torch

    class LSTMNet(torch.nn.Module):
        def __init__(self, n_features: int, units: int, layers: int) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(n_features, units, num_layers=layers, batch_first=True)
            self.out = torch.nn.Linear(units, 1)

        def forward(self, x):
            states, _ = self.lstm(x)
            return self.out(states[:, -1]).squeeze(-1)

    rows = []
    for name, layers in (("lstm", 1), ("stacked_lstm", 2)):
        setting, shape, n, batch, _ = SETTINGS[name]
        x, y = (torch.from_numpy(a) for a in _data(shape, n))
        torch.manual_seed(0)
        net = LSTMNet(shape[1], 50, layers)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        times = []
        for _ in range(EPOCHS + 1):
            start = time.perf_counter()
            for idx in torch.randperm(n).split(batch):
                optimizer.zero_grad()
                loss = torch.nn.functional.mse_loss(net(x[idx]), y[idx])
                loss.backward()
                optimizer.step()
            times.append(time.perf_counter() - start)
        rows.append(_row(name, setting, shape, n, batch, "native-torch", times))
    return rows


def _row(name, setting, shape, n, batch, backend, times) -> dict:
    steady = sorted(times[1:])[len(times[1:]) // 2]
    return {"model": name, "setting": setting, "window": shape[0], "features": shape[1],
            "windows": n, "batch": batch, "backend": backend,
            "seconds_per_epoch": round(steady, 4), "first_epoch_s": round(times[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.worker:  # one backend, in this process
        rows = native_torch_rows() if args.worker == "native-torch" else keras_rows()
        print(json.dumps(rows))
        return
    rows = []
    for backend in args.backends:
        env = {**os.environ, "KERAS_BACKEND": "torch" if backend == "native-torch" else backend}
        out = subprocess.run([sys.executable, __file__, "--worker", backend], env=env,
                             capture_output=True, text=True, check=True)
        rows += json.loads(out.stdout.strip().splitlines()[-1])
        print(pd.DataFrame(rows[-4:]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    table["cpus"] = os.cpu_count()
    table["machine"] = platform.machine()
    table["date"] = date.today().isoformat()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(table.pivot_table(index=["model", "setting"], columns="backend",
                            values="seconds_per_epoch", sort=False).to_string())


if __name__ == "__main__":
    main()
