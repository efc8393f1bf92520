"""The experiment grid: tidy rows, seeded runs, resuming, and the same rows on Dask."""

import dataclasses
import functools
import time

import numpy as np
import pandas as pd
import pytest

from stocklearn import grid


def noisy(*, seed, scale, shift=0.0):
    """A task whose result depends on the seed through NumPy's global generator."""
    draw = np.random.normal(size=3)  # noqa: NPY002 (what set_seed seeds)
    return {"value": float(scale * draw.sum() + shift), "draws": draw}


def test_configurations_are_every_combination_in_order():
    configs = grid.configurations(nn1=["lstm", "mlp"], nn2=["none", "gru", "mlp"])
    assert len(configs) == 6
    assert configs[0] == {"nn1": "lstm", "nn2": "none"}
    assert configs[1] == {"nn1": "lstm", "nn2": "gru"}
    with pytest.raises(ValueError, match="nn1"):
        grid.configurations(nn1="lstm")


def test_rows_are_tidy_and_seeded():
    table = grid.sweep(noisy, grid.configurations(scale=[1.0, 2.0]), seeds=[0, 1])
    assert list(table.columns) == ["scale", "seed", "value", "draws", "seconds"]
    assert list(table["seed"]) == [0, 1, 0, 1]
    again = grid.sweep(noisy, [{"scale": 1.0}], seeds=[1])
    assert again["value"].iloc[0] == table["value"].iloc[1]
    assert table["value"].iloc[2] == pytest.approx(2 * table["value"].iloc[0])


def pause(*, seed, seconds):
    time.sleep(seconds)
    return {"slept": seconds}


def test_seconds_time_each_run():
    table = grid.sweep(pause, grid.configurations(seconds=[0.0, 0.3]))
    assert table["seconds"].iloc[1] >= 0.3 > table["seconds"].iloc[0]


def test_finished_runs_are_read_back_not_redone(tmp_path):
    first = grid.sweep(noisy, [{"scale": 1.0}], seeds=[0, 1], store=tmp_path)

    def broken(*, seed, scale):
        raise AssertionError("a stored run was redone")

    broken.__qualname__ = noisy.__qualname__  # same task, as after a restart
    again = grid.sweep(broken, [{"scale": 1.0}], seeds=[0, 1], store=tmp_path)
    pd.testing.assert_frame_equal(first, again)
    assert len(list(tmp_path.glob("*.joblib"))) == 2


def test_bad_grids_get_clear_errors():
    with pytest.raises(ValueError, match="executor"):
        grid.sweep(noisy, [{"scale": 1.0}], executor="spark")
    with pytest.raises(ValueError, match="at least one"):
        grid.sweep(noisy, [], seeds=[0])
    with pytest.raises(TypeError, match="mapping"):
        grid.sweep(lambda *, seed: 1.0, [{}])
    with pytest.raises(ValueError, match="seed"):
        grid.sweep(lambda *, seed: {"seed": seed}, [{}])


def test_summary_gives_mean_and_std_per_configuration():
    table = grid.sweep(noisy, grid.configurations(scale=[1.0, 2.0]), seeds=[0, 1, 2])
    summary = grid.summary(table, "scale", ["value"])
    assert list(summary.columns) == ["value", "value std", "seeds"]
    assert summary.loc[1.0, "seeds"] == 3
    assert summary.loc[2.0, "value"] == pytest.approx(2 * summary.loc[1.0, "value"])


@pytest.mark.slow
def test_dask_cluster_gives_the_in_process_rows():
    # The cluster's worker processes are seeded by the grid as this one is. (Keras
    # fits in other processes: tests/test_walk_forward.py and test_error_correction.py.)
    distributed = pytest.importorskip("distributed")
    configs = grid.configurations(scale=[1.0, 2.0], shift=[0.0, 5.0])
    here = grid.sweep(noisy, configs, seeds=[0, 1])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        there = grid.sweep(noisy, configs, seeds=[0, 1], executor="dask")
    cols = ["scale", "shift", "seed", "value"]
    pd.testing.assert_frame_equal(here[cols], there[cols])


def _builder(units):
    return lambda ds: ("lstm", ds, units)  # a closure over `units`


def test_two_lambdas_never_share_a_store_key():
    first, second = (lambda ds: ds + 1), (lambda ds: ds + 2)
    assert first.__qualname__ == second.__qualname__
    assert grid.describe(first) != grid.describe(second)
    assert grid._key(first, {}, 0) != grid._key(second, {}, 0)
    # a closure: the value it closes over is part of the key
    assert grid.describe(_builder(4)) != grid.describe(_builder(8))
    assert grid.describe(_builder(4)) == grid.describe(_builder(4))  # same content, same key
    # inside a partial or a dataclass (a walk-forward Network) too
    assert (grid.describe(functools.partial(first, 1))
            != grid.describe(functools.partial(second, 1)))
    assert grid.describe(Holder(first)) != grid.describe(Holder(second))
    # a module-level function is known by its name
    assert grid.describe(noisy) == "test_grid.noisy"


@dataclasses.dataclass(frozen=True)
class Holder:
    build: object
    epochs: int = 1


def test_the_store_key_follows_the_globals_a_lambda_reads(monkeypatch):
    task = lambda ds: ds * SCALE  # noqa: E731
    before = grid.describe(task)
    monkeypatch.setitem(globals(), "SCALE", 3)
    assert grid.describe(task) != before


SCALE = 2
