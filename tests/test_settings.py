"""Profiles and seeds: read without TensorFlow, seeded in one place."""

import pkgutil
import random
import subprocess
import sys

import numpy as np
import pytest
from conftest import NETWORK_MODULES

import stocklearn
from stocklearn import settings
from stocklearn.settings import Profile, get_profile, set_seed


def test_profiles():
    assert get_profile("fast") == Profile("fast", (0, 1))
    full = get_profile("full")
    assert full.seeds == (0, 1, 2, 3, 4)
    assert full.pick(fast=5, full=100) == 100
    assert get_profile("fast").pick(fast=5, full=100) == 5


def test_profile_precedence(monkeypatch):
    monkeypatch.delenv("STOCKLEARN_PROFILE", raising=False)
    assert get_profile().name == "fast"
    monkeypatch.setenv("STOCKLEARN_PROFILE", "full")
    assert get_profile().name == "full"
    assert get_profile("fast").name == "fast"  # an explicit name wins
    monkeypatch.setenv("STOCKLEARN_PROFILE", "slow")
    with pytest.raises(ValueError, match="fast, full"):
        get_profile()
    with pytest.raises(ValueError, match="'huge'"):
        get_profile("huge")


def test_set_seed_seeds_python_and_numpy():
    set_seed(3)
    a = (random.random(), np.random.rand())  # noqa: NPY002 (what set_seed promises to seed)
    set_seed(3)
    assert (random.random(), np.random.rand()) == a  # noqa: NPY002
    for bad in (-1, 1.5, True, "0"):
        with pytest.raises((ValueError, TypeError)):
            set_seed(bad)


BLOCK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("keras", "tensorflow", "jax", "torch"):
            raise ImportError(f"{name} is blocked: this module must not load a backend")
sys.meta_path.insert(0, Block())
"""


def test_modules_that_build_no_network_import_with_the_backend_blocked():
    names = sorted(m.name.removeprefix("stocklearn.") for m in
                   pkgutil.walk_packages(stocklearn.__path__, "stocklearn.")
                   if m.name.removeprefix("stocklearn.") not in NETWORK_MODULES
                   and not m.name.endswith("__main__"))
    assert {"evaluation", "experiments", "sklearn_models", "grid", "results", "splits",
            "tables", "walk_forward", "teaching", "teaching.grading"} <= set(names)
    code = BLOCK + "".join(f"import stocklearn.{n}\n" for n in names) + (
        "from stocklearn import settings\nsettings.get_profile(); settings.set_seed(0)\n"
        "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_run_note_says_which_run_and_links_the_full_book_in_fast():
    fast, full = settings.get_profile("fast"), settings.get_profile("full")
    note = settings.run_note(fast, "notebooks/03_rnn_lstm_gru", backend="jax",
                             details="seeds (0, 1), 15 epochs")
    assert note.startswith("**Run shown on this page:** profile `fast`, Keras backend `jax`")
    assert "seeds (0, 1), 15 epochs" in note and "demonstrate" in note
    assert f"({settings.PUBLISHED_BOOK}notebooks/03_rnn_lstm_gru.html)" in note
    assert "demonstrate" not in settings.run_note(full, "x", backend="tensorflow")
    assert "trains no network" in settings.run_note(fast, "notebooks/01_data", backend=None)
    assert "demonstrate" not in settings.run_note(fast, "notebooks/01_data", backend=None)
