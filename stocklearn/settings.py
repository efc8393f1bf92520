"""Run profiles and seeds: the settings every chapter reads first.

* :func:`get_profile` picks the ``fast`` or ``full`` sizes of a chapter
  (``STOCKLEARN_PROFILE``), and :func:`results_dir` says where chapters
  leave their result tables for the verdict page (``STOCKLEARN_RESULTS``):
  the only two functions of the package that read an environment variable.
* :func:`set_seed` is the one place that seeds Python, NumPy and, once Keras
  is loaded, the Keras backend.
* :func:`run_note` is the line at the top of every page that says which run
  the page shows.

Nothing here imports Keras or TensorFlow, so a chapter that does not train
never loads them.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PROFILE_ENV = "STOCKLEARN_PROFILE"
RESULTS_ENV = "STOCKLEARN_RESULTS"
DEFAULT_RESULTS_DIR = Path("~/.cache/stocklearn/results")
PUBLISHED_BOOK = "https://stocklearn.github.io/stocklearn/"
"""The published book, built in the ``full`` profile."""


@dataclass(frozen=True)
class Profile:
    """Settings of a run: ``fast`` for checks and CI, ``full`` for the published numbers.

    Attributes
    ----------
    name : str
        ``"fast"`` or ``"full"``.
    seeds : tuple of int
        Seeds every experiment is repeated over.
    """

    name: str
    seeds: tuple[int, ...]

    def pick(self, *, fast: Any, full: Any) -> Any:
        """The value given for this profile, e.g. ``profile.pick(fast=5, full=100)``."""
        return fast if self.name == "fast" else full


PROFILES = {
    "fast": Profile("fast", (0, 1)),
    "full": Profile("full", (0, 1, 2, 3, 4)),
}


def get_profile(name: str | None = None) -> Profile:
    """The run profile: ``name`` if given, else ``$STOCKLEARN_PROFILE``, else ``"fast"``.

    Parameters
    ----------
    name : str, optional
        ``"fast"`` or ``"full"`` (a notebook's ``PROFILE`` parameter).

    Returns
    -------
    Profile

    Raises
    ------
    ValueError
        For any other name.
    """
    chosen = name or os.environ.get(PROFILE_ENV) or "fast"
    if chosen not in PROFILES:
        raise ValueError(f"unknown profile {chosen!r}: choose one of {', '.join(PROFILES)}")
    return PROFILES[chosen]


def results_dir() -> Path:
    """Folder the chapters write their result tables to: ``$STOCKLEARN_RESULTS``, else
    ``~/.cache/stocklearn/results`` (see :mod:`stocklearn.results`).

    Returns
    -------
    Path
        Expanded, not necessarily existing yet.
    """
    return Path(os.environ.get(RESULTS_ENV) or DEFAULT_RESULTS_DIR).expanduser()


def set_seed(seed: int) -> None:
    """Seed Python's and NumPy's random numbers, and the Keras backend if Keras is loaded.

    Keras is not imported here: a chapter that never trains never loads it.
    When Keras is loaded (every training function of the package loads it
    and calls this before building a model), the backend is seeded too and
    TensorFlow's ops are made deterministic, see
    :func:`stocklearn.backend.seed_backend`. The same seed then gives the
    same numbers on the same machine.

    Parameters
    ----------
    seed : int
        Any non-negative integer.
    """
    if isinstance(seed, (bool, np.bool_)) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the legacy global generator is what users call)
    if "keras" in sys.modules:
        from stocklearn.backend import seed_backend

        seed_backend(seed)


def run_note(profile: Profile, page: str, *, backend: str | None, details: str = "") -> str:
    """The line at the top of a page that says which run produced it (Markdown).

    Parameters
    ----------
    profile : Profile
        The page's profile.
    page : str
        The page's path in the book without suffix, e.g.
        ``"notebooks/03_rnn_lstm_gru"`` (for the link to the published page).
    backend : str or None
        The Keras backend the page's networks ran on; None for a page that
        trains no network.
    details : str, optional
        The run's sizes: seeds, epochs, windows.

    Returns
    -------
    str
        One paragraph of Markdown; in the ``fast`` profile it says that the
        networks train briefly, so the page's verdicts are a demonstration,
        and links the published page (``full`` profile).
    """
    engine = ("trains no network" if backend is None
              else f"Keras backend `{backend}`")
    text = f"**Run shown on this page:** profile `{profile.name}`, {engine}"
    text += f"; {details}." if details else "."
    if profile.name == "fast" and backend is not None:
        text += (" In the `fast` profile the networks train briefly, so the "
                 "numbers and verdicts on this page demonstrate the method; "
                 "they are not the course's findings. The "
                 f"[published book]({PUBLISHED_BOOK}{page}.html) shows this "
                 "page in the `full` profile.")
    return text
