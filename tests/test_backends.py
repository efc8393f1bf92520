"""Every chapter model on every Keras backend, each in fresh processes: same seed, same numbers.

``KERAS_BACKEND`` is read once per process, so each backend runs in its own
subprocesses (twice, to check that a seed reproduces across processes). The
baselines do not depend on the backend: their numbers must agree exactly.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from stocklearn.backend import BACKENDS

# every backend runs in subprocesses of its own: the module runs once, on any backend
pytestmark = pytest.mark.slow

SCRIPT = """
import json
from stocklearn import data, experiments, models, prep, splits
from stocklearn.backend import BACKEND, STEPS_PER_EXECUTION

rows = data.load("csi300", start="2014-12-08").iloc[:260]
ds = prep.make_dataset(rows, splits.chronological_split(rows, 200, val=30), window=5,
                       features=("close", "volume"))
builders = {
    "simple_rnn": lambda d: models.simple_rnn(d.input_shape, units=4),
    "lstm": lambda d: models.lstm(d.input_shape, units=4),
    "gru": lambda d: models.gru(d.input_shape, units=4),
    "stacked_lstm": lambda d: models.stacked_lstm(d.input_shape, units=(4, 3), dense=2,
                                                  loss="huber"),
}
out = {"backend": BACKEND, "steps_per_execution": STEPS_PER_EXECUTION}
for name, build in builders.items():
    exp = experiments.run(build, ds, seeds=[0], epochs=2, patience=1)
    out[name] = exp.forecasts("test")[0].tolist()
    out["baselines"] = exp.scores["test"].loc[["persistence", "linear"]].to_dict()
print(json.dumps(out))
"""


def _installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def _start(backend: str) -> subprocess.Popen:
    env = {**os.environ, "KERAS_BACKEND": backend}
    return subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs() -> dict:
    """Two fresh runs per installed backend, side by side (each is mostly single-threaded)."""
    procs = {b: (_start(b), _start(b)) for b in BACKENDS if _installed(b)}
    return {b: (_result(first), _result(second)) for b, (first, second) in procs.items()}


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_seed_same_numbers_in_two_fresh_processes(runs, backend):
    if backend not in runs:
        pytest.skip(f"{backend} is not installed")
    first, second = runs[backend]
    assert first["backend"] == backend
    assert first == second


def test_torch_runs_one_step_per_call(runs):
    if "torch" not in runs:
        pytest.skip("torch is not installed")
    assert runs["torch"][0]["steps_per_execution"] == 1  # Keras allows only 1 on PyTorch
    assert runs["tensorflow"][0]["steps_per_execution"] == 16


def test_baselines_do_not_depend_on_the_backend(runs):
    baselines = [first["baselines"] for first, _ in runs.values()]
    assert len(baselines) >= 2 and all(b == baselines[0] for b in baselines)


def test_an_unknown_backend_is_refused():
    env = {**os.environ, "KERAS_BACKEND": "theano"}
    out = subprocess.run([sys.executable, "-c", "import stocklearn.models"], env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0 and "one of ('tensorflow', 'jax', 'torch')" in out.stderr
