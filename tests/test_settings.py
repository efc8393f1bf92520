"""Profiles and seeds: read without TensorFlow, seeded in one place."""

import random
import subprocess
import sys

import numpy as np
import pytest

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


def test_profile_and_seed_never_load_tensorflow():
    code = ("import sys; import stocklearn; from stocklearn import settings, data, prep, "
            "features, metrics, baselines, evaluation, papers, plots, fetch; "
            "settings.get_profile(); settings.set_seed(0); "
            "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
