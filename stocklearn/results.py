"""Result tables the chapters leave behind, read back by the course's verdict page.

Each chapter that reproduces a paper ends its reproduction with
:func:`save`: one row per experiment (a paper's table cell), with the
paper's number, ours, the baselines and the Diebold-Mariano p-value, all
computed by the chapter. The verdict page calls :func:`load` and never types
a number. Files live in :func:`stocklearn.settings.results_dir`, one folder
per profile, one CSV per chapter (a re-run replaces it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stocklearn.settings import get_profile, results_dir

COLUMNS = ["chapter", "experiment", "metric", "paper", "ours", "ours std", "seeds",
           "persistence", "linear", "DM p", "note"]
REQUIRED = ["experiment", "metric", "ours", "persistence"]
ALPHA = 0.05


def _path(chapter: str, profile: str | None) -> Path:
    return results_dir() / get_profile(profile).name / f"{chapter}.csv"


def save(chapter: str, table: pd.DataFrame, *, metric: str | None = None,
         note: str | None = None, profile: str | None = None) -> Path:
    """Write a chapter's result rows for the verdict page.

    Parameters
    ----------
    chapter : str
        The notebook's name, e.g. ``"04_resnet_lstm"``.
    table : DataFrame
        One row per experiment with at least the columns ``experiment``,
        ``metric``, ``ours`` and ``persistence``; optional ``paper``, ``ours
        std``, ``seeds``, ``linear``, ``DM p`` (against persistence) and
        ``note`` (a few words: the data set, the target). Other columns are
        dropped. A table of :func:`stocklearn.tables.paper_comparison`
        can be passed as it is: without an ``experiment`` column, the index
        names the experiments (tuples joined by " / ").
    metric, note : str, optional
        Fill the ``metric`` / ``note`` column where the table has none.
    profile : str, optional
        The chapter's profile (``PROFILE`` parameter); default as
        :func:`~stocklearn.settings.get_profile`.

    Returns
    -------
    Path
        The file written.
    """
    table = table.copy()
    if "experiment" not in table.columns:
        table["experiment"] = [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k)
                               for k in table.index]
    for column, value in (("metric", metric), ("note", note)):
        if value is not None and column not in table.columns:
            table[column] = value
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(f"result rows need the columns {missing}; got {list(table.columns)}")
    if table.empty:
        raise ValueError(f"chapter {chapter!r} saved no result rows")
    rows = table.reset_index(drop=True).reindex(columns=COLUMNS)
    rows["chapter"] = chapter
    numeric = rows[["ours", "persistence"]].to_numpy(dtype=float)
    if not np.isfinite(numeric).all():
        raise ValueError(f"chapter {chapter!r}: 'ours' and 'persistence' must be finite numbers")
    path = _path(chapter, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(path, index=False)
    return path


def verdict(ours: float, persistence: float, p_value: float, alpha: float = ALPHA) -> str:
    """One line from the numbers: does the model beat persistence, significantly?

    Parameters
    ----------
    ours, persistence : float
        Errors of the model and of persistence (lower is better).
    p_value : float
        Diebold-Mariano p-value of the model against persistence (NaN: none).
    alpha : float, default 0.05

    Returns
    -------
    str
    """
    if pd.isna(p_value):
        return "better than persistence" if ours < persistence else "not better than persistence"
    if p_value >= alpha:
        return f"no better than persistence (p = {p_value:.2f})"
    if ours < persistence:
        return "beats persistence (p < 0.05)"
    return "significantly worse than persistence"


def load(profile: str | None = None) -> pd.DataFrame:
    """Every chapter's saved rows for one profile, with a ``verdict`` column.

    Parameters
    ----------
    profile : str, optional
        Default as :func:`~stocklearn.settings.get_profile`.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS` plus ``verdict``, chapters in order; empty
        when no chapter has run yet in this profile.
    """
    folder = results_dir() / get_profile(profile).name
    files = sorted(folder.glob("*.csv")) if folder.exists() else []
    if not files:
        return pd.DataFrame(columns=[*COLUMNS, "verdict"])
    rows = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    rows["verdict"] = [verdict(o, p, d) for o, p, d in
                       zip(rows["ours"], rows["persistence"], rows["DM p"], strict=True)]
    return rows
