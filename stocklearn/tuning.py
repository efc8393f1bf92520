"""Hyper-parameter search: a particle swarm and the error it minimises.

The chapters show these functions with ``inspect.getsource``, so their
lines fit the book's 78-character code column.

* :func:`pso`: particle swarm optimisation of any function of a few
  numbers in a box, the search behind papers' "PSO-LSTM".
* :func:`validation_rmse`: train a Keras model on a data set's training
  windows and return its RMSE in prices on the validation slice (never the
  test part), the usual objective of such a search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocklearn.backend import keras
from stocklearn.metrics import rmse
from stocklearn.prep import Dataset
from stocklearn.settings import set_seed
from stocklearn.training import fit, predict, release_memory


@dataclass(frozen=True)
class SwarmResult:
    """What :func:`pso` returns.

    Attributes
    ----------
    best : dict of str to float
        The best point found (integer parameters as ints).
    value : float
        The objective there.
    history : DataFrame
        One row per evaluation: ``iteration``, ``particle``, the parameters
        and ``value``.
    """

    best: dict[str, float]
    value: float
    history: pd.DataFrame


def pso(
    objective: Callable[..., float],
    bounds: Mapping[str, tuple[float, float]],
    *,
    particles: int = 6,
    iterations: int = 4,
    integer: Iterable[str] = (),
    seed: int = 0,
    inertia: float = 0.7,
    cognitive: float = 1.5,
    social: float = 1.5,
) -> SwarmResult:
    """Minimise ``objective(**point)`` over a box with a particle swarm.

    Each particle has a position ``x`` and a velocity ``v``. After every
    round of evaluations,
    ``v <- inertia * v + cognitive * r1 * (own best - x) + social * r2 *
    (swarm's best - x)`` with ``r1, r2`` uniform in [0, 1] per coordinate,
    and ``x <- x + v``, clipped to the box. The first round places the
    particles uniformly at random. ``particles * iterations`` evaluations
    in all.

    Parameters
    ----------
    objective : callable
        Takes the parameters as keyword arguments, returns a number to
        minimise (NaN counts as +inf).
    bounds : mapping of name to (low, high)
        The box.
    particles, iterations : int
    integer : iterable of str
        Parameters rounded to integers before each evaluation.
    seed : int
        Seeds the positions, velocities and the random factors.
    inertia, cognitive, social : float
        The update's weights (common defaults).

    Returns
    -------
    SwarmResult
    """
    names = list(bounds)
    if not names:
        raise ValueError("pso needs at least one parameter in bounds")
    if particles < 1 or iterations < 1:
        raise ValueError(f"particles and iterations must be >= 1, got "
                         f"{particles}, {iterations}")
    integer = set(integer)
    unknown = integer - set(names)
    if unknown:
        raise ValueError(f"integer parameters {sorted(unknown)} are not "
                         f"in bounds {names}")
    low = np.array([bounds[n][0] for n in names], dtype=float)
    high = np.array([bounds[n][1] for n in names], dtype=float)
    if not (low < high).all():
        raise ValueError(f"every bound needs low < high, got {dict(bounds)}")
    rng = np.random.default_rng(seed)
    span = high - low
    x = low + rng.random((particles, len(names))) * span
    v = (rng.random((particles, len(names))) - 0.5) * span * 0.2
    own_best, own_value = x.copy(), np.full(particles, np.inf)
    rows = []

    def point(position: np.ndarray) -> dict[str, float]:
        return {n: int(round(p)) if n in integer else float(p)
                for n, p in zip(names, position, strict=True)}

    for it in range(iterations):
        for i in range(particles):
            value = float(objective(**point(x[i])))
            value = np.inf if np.isnan(value) else value
            rows.append({"iteration": it, "particle": i, **point(x[i]),
                         "value": value})
            if value < own_value[i]:
                own_value[i], own_best[i] = value, x[i].copy()
        swarm_best = own_best[np.argmin(own_value)]
        r1, r2 = rng.random(x.shape), rng.random(x.shape)
        v = (inertia * v + cognitive * r1 * (own_best - x)
             + social * r2 * (swarm_best - x))
        x = np.clip(x + v, low, high)
    k = int(np.argmin(own_value))
    return SwarmResult(best=point(own_best[k]), value=float(own_value[k]),
                       history=pd.DataFrame(rows))


def validation_rmse(
    build: Callable[[Dataset], keras.Model],
    ds: Dataset,
    *,
    epochs: int,
    batch_size: int = 32,
    seed: int = 0,
) -> float:
    """Train ``build(ds)``; return its RMSE in prices on the validation slice.

    Parameters
    ----------
    build : callable
        ``build(ds)`` returns a compiled model.
    ds : Dataset
        With a validation slice (``chronological_split(..., val=...)``).
    epochs, batch_size : int
    seed : int
        Passed to :func:`stocklearn.settings.set_seed` before building.

    Returns
    -------
    float
    """
    if len(ds.val) == 0:
        raise ValueError("validation_rmse needs a validation slice; split "
                         "with val=...")
    release_memory()
    set_seed(seed)
    model = build(ds)
    fit(model, ds, epochs=epochs, batch_size=batch_size)
    forecast = ds.to_price(predict(model, ds.val.X), "val")
    return float(rmse(ds.actual("val"), forecast))
