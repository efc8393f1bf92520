"""Experiment grids: configurations x seeds -> one tidy table, resumable, fanned out on request.

A grid calls one *task* once per configuration and seed::

    def task(*, seed, nn1, nn2):          # any keyword arguments
        ...                               # train, forecast, score
        return {"RMSE": 12.3, "MAPE": 0.8, "forecast": array}

    table = grid.sweep(task, grid.configurations(nn1=["lstm", "mlp"], nn2=["none", "gru"]),
                         seeds=[0, 1], store="runs/ch6")

Every run is seeded with :func:`stocklearn.settings.set_seed` first, timed,
and becomes one row: its configuration, its seed, what the task returned, and
``seconds``. With ``store``, each finished run is written to its own file and
read back instead of redone, so an interrupted grid resumes where it stopped.

Runs happen in this process by default. ``executor="loky"`` fans them out over
local processes and ``executor="dask"`` over a Dask cluster (the
``dask.distributed.Client`` made last, e.g. on a ``LocalCluster`` or a
university cluster's scheduler), both through joblib, so the same seeds give
the same rows wherever they ran.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import re
import time
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from stocklearn.settings import set_seed

EXECUTORS = (None, "loky", "dask")
"""Where a grid's runs go: this process, local processes, a Dask cluster."""
STD = " std"


def configurations(**axes: Sequence[Any]) -> list[dict[str, Any]]:
    """Every combination of the values of some named axes, in a stable order.

    Parameters
    ----------
    **axes : sequence
        ``name=[value, ...]`` per axis, e.g. ``nn1=["lstm", "gru"], nn2=["none", "mlp"]``.

    Returns
    -------
    list of dict
        One dict per combination; the last axis varies fastest.
    """
    for name, values in axes.items():
        if isinstance(values, str) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"axis {name!r} needs a non-empty list of values, got {values!r}")
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def describe(obj: Any) -> str:
    """Words for a task or forecaster that change whenever what it computes would.

    A function of an importable module is named by its module and qualified
    name. A lambda, a function defined inside another one, or one defined
    in a notebook (``__main__``) is described by a digest of its content:
    its code, its defaults, the values it closes over and the globals it
    reads (functions among them described the same way). So two lambdas
    never share a description, and editing one (or a value it closes over)
    changes it; where and when it was defined does not. Partials, dataclass
    instances (such as :class:`stocklearn.walk_forward.Network`) and
    containers are described by their parts.

    Parameters
    ----------
    obj : any

    Returns
    -------
    str
    """
    return _describe(obj, set())


def _by_content(fn: Any) -> bool:
    return (fn.__module__ in (None, "__main__") or "<" in fn.__qualname__
            or bool(fn.__closure__))


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _code(code: types.CodeType) -> str:
    consts = [_code(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]
    return f"{code.co_code.hex()}|{consts}|{code.co_names}|{code.co_varnames}"


def _describe(obj: Any, seen: set[int]) -> str:
    if isinstance(obj, functools.partial):
        return (f"partial({_describe(obj.func, seen)}, {_describe(obj.args, seen)}, "
                f"{_describe(obj.keywords, seen)})")
    if isinstance(obj, types.FunctionType) and _by_content(obj):
        if id(obj) in seen:
            return "<recursion>"
        seen = seen | {id(obj)}
        cells = []
        for cell in obj.__closure__ or ():
            try:
                cells.append(_describe(cell.cell_contents, seen))
            except ValueError:  # an empty cell
                cells.append("<empty>")
        reads = {name: _describe(obj.__globals__[name], seen)
                 for name in sorted(_code_names(obj.__code__)) if name in obj.__globals__}
        text = "|".join([_code(obj.__code__), _describe(obj.__defaults__, seen),
                         _describe(obj.__kwdefaults__, seen), *cells, repr(reads)])
        return f"{obj.__qualname__}#{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    if isinstance(obj, types.ModuleType):
        return f"module {obj.__name__}"
    if isinstance(obj, type | types.FunctionType | types.BuiltinFunctionType):
        return f"{obj.__module__}.{obj.__qualname__}"
    if dataclasses.is_dataclass(obj):
        fields = ", ".join(f"{f.name}={_describe(getattr(obj, f.name), seen)}"
                           for f in dataclasses.fields(obj))
        return f"{type(obj).__qualname__}({fields})"
    if isinstance(obj, list | tuple):
        return "[" + ", ".join(_describe(v, seen) for v in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v, seen)}"
                               for k, v in sorted(obj.items(), key=lambda kv: repr(kv[0]))) + "}"
    text = repr(obj)
    if _ADDRESS.search(text):  # the default repr says nothing of the content
        return f"{type(obj).__qualname__}#{_pickle_digest(obj)}"
    return text


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _pickle_digest(obj: Any) -> str:
    """A digest of the pickled object (cloudpickle, which joblib ships): its content."""
    import cloudpickle

    try:
        return hashlib.sha256(cloudpickle.dumps(obj)).hexdigest()[:16]
    except Exception:  # noqa: BLE001 (unpicklable: it cannot run elsewhere or be stored)
        return f"id{id(obj)}"


def _key(task: Callable, config: Mapping[str, Any], seed: int) -> str:
    text = json.dumps({"task": describe(task), "seed": seed, "config": config},
                      sort_keys=True, default=describe)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _one_run(task: Callable, config: dict[str, Any], seed: int,
             path: Path | None) -> dict[str, Any]:
    """Run (or read back) one configuration with one seed."""
    if path is not None and path.exists():
        return joblib.load(path)
    set_seed(seed)
    start = time.perf_counter()
    out = task(**config, seed=seed)
    seconds = time.perf_counter() - start
    if not isinstance(out, Mapping):
        raise TypeError(f"a grid task must return a mapping of results, got {type(out).__name__}")
    clash = sorted(set(out) & ({"seed", "seconds"} | set(config)))
    if clash:
        raise ValueError(f"the task's results reuse the names {clash} of the configuration")
    row = {**config, "seed": seed, **out, "seconds": seconds}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        joblib.dump(row, tmp)
        tmp.replace(path)  # a run interrupted while writing leaves no half file
    return row


def sweep(
    task: Callable[..., Mapping[str, Any]],
    configs: Iterable[Mapping[str, Any]],
    *,
    seeds: Iterable[int] = (0,),
    store: str | Path | None = None,
    executor: str | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Run ``task`` for every configuration and seed; one row per run.

    Parameters
    ----------
    task : callable
        ``task(**config, seed=seed)`` returns a mapping of results (numbers,
        or arrays such as forecasts, which stay in object columns). Define it
        at module level or in a notebook cell; it is pickled for other
        processes. A task that loads Keras itself must seed it after loading
        (the training functions do, with their ``seed`` argument).
    configs : iterable of mapping
        E.g. :func:`configurations`; an empty mapping is one configuration
        with no parameters.
    seeds : iterable of int, default (0,)
    store : str or Path, optional
        Folder of finished runs. A run whose file exists is read back, not
        redone; delete the folder to start afresh. Runs are filed under
        :func:`describe` of the task, so a lambda or notebook function whose
        code or closed-over values changed is run afresh; a function of an
        importable module is known by its name only.
    executor : {None, "loky", "dask"}, default None
        None runs in this process; "loky" in ``n_jobs`` local processes;
        "dask" on the current ``dask.distributed.Client``.
    n_jobs : int, optional
        Parallel runs for "loky" (default: one per CPU core).

    Returns
    -------
    DataFrame
        Configuration columns, ``seed``, the task's results, ``seconds``;
        rows in the order configurations x seeds.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    configs = [dict(c) for c in configs]
    seeds = [int(s) for s in seeds]
    if not configs or not seeds:
        raise ValueError("a grid needs at least one configuration and one seed")
    folder = Path(store) if store is not None else None
    jobs = [(c, s, folder / f"{_key(task, c, s)}.joblib" if folder else None)
            for c in configs for s in seeds]
    if executor is None:
        rows = [_one_run(task, c, s, p) for c, s, p in jobs]
    else:
        if executor == "dask":
            import distributed  # noqa: F401 (registers joblib's "dask" backend)
        with joblib.parallel_config(backend=executor, n_jobs=n_jobs or -1):
            rows = joblib.Parallel()(joblib.delayed(_one_run)(task, c, s, p) for c, s, p in jobs)
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, by: str | Sequence[str],
            metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and standard deviation (ddof 1) over seeds of each configuration.

    Parameters
    ----------
    table : DataFrame
        From :func:`sweep`.
    by : str or sequence of str
        Configuration columns to group by.
    metrics : sequence of str, optional
        Numeric result columns (default: every numeric column but ``seed``).

    Returns
    -------
    DataFrame
        Indexed by ``by``: for each metric ``m`` the columns ``m`` and ``m std``
        (what :func:`stocklearn.tables.format_table` folds into "mean ± std"),
        and ``seeds``.
    """
    by = [by] if isinstance(by, str) else list(by)
    if metrics is None:
        numeric = table.select_dtypes(include=[np.number]).columns
        metrics = [c for c in numeric if c not in by and c != "seed"]
    groups = table.groupby(by, sort=False)
    out = pd.DataFrame(index=groups.size().index)
    for m in metrics:
        out[m] = groups[m].mean()
        out[m + STD] = groups[m].std(ddof=1)
    out["seeds"] = groups.size()
    return out
