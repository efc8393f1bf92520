"""Result tables the chapters leave behind, read back by the course's verdict page.

Each chapter that reproduces a paper ends its reproduction with
:func:`save`: one row per experiment (a paper's table cell), with the
paper's number, ours (saying which forecast it is), the baselines and the
p-values of that forecast against them, all computed by the chapter. The
verdict page calls :func:`load`, which adjusts the p-values for the number
of tests on the page (:func:`adjust`), and never types a number. Files live
in :func:`stocklearn.settings.results_dir`, one folder per profile, one CSV
per chapter (a re-run replaces it).
"""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from stocklearn.settings import get_profile, results_dir

COLUMNS = ["chapter", "experiment", "metric", "paper", "ours", "forecast", "per seed",
           "per seed std", "seeds", "persistence", "linear", "DM p", "CW p", "DM p linear",
           "detectable", "finding", "cut", "note"]
"""The columns of a result file; see :func:`save` for what each holds."""
REQUIRED = ["experiment", "metric", "ours", "persistence"]
ALPHA = 0.05
HIGHER_IS_BETTER = ("accuracy", "sharpe", "da", "direction", "1-smae")
"""Metric names (their start, lower case) where a larger number is better."""


def higher_is_better(metric: str) -> bool:
    """Errors are lower-is-better; accuracies, hit rates and Sharpe ratios are not."""
    return str(metric).lower().startswith(HIGHER_IS_BETTER)


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
        ``metric``, ``ours`` and ``persistence``. Optional:

        * ``paper``: the number the paper reports (only a reported number;
          a bound or a number derived by us goes in ``note``);
        * ``forecast``: which forecast ``ours`` is ("ensemble of 5 seeds",
          "chosen on validation", ...); by default "ensemble of N seeds"
          from ``seeds`` (or "one run");
        * ``per seed``, ``per seed std``: each seed's own score, mean and
          std (what a paper's single run compares with);
        * ``seeds``, ``linear`` (the linear baseline on the same rows);
        * ``DM p``: Diebold-Mariano p-value of *that same forecast* against
          persistence, with the loss of ``metric``; ``CW p``: one-sided
          Clark-West p-value where the model nests persistence;
          ``DM p linear``: DM p-value against the linear baseline;
          ``detectable``: the relative gain over persistence the test could
          detect with 80 % power (:func:`stocklearn.metrics.detectable_gain`);
        * ``finding``: True for a forecast the course offers as its own
          result, chosen before the test rows were read (the verdict page's
          second table);
        * ``cut``: what our run cut from the paper's setting ("10 of 200
          epochs"); empty when the run follows the paper as far as it states;
        * ``note``: a few words (the data set, the target).

        Other columns are dropped. A table of
        :func:`stocklearn.tables.paper_comparison` can be passed as it is:
        without an ``experiment`` column, the index names the experiments
        (tuples joined by " / ").
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
    seeds = rows["seeds"]
    default = ["one run" if pd.isna(s) or s <= 1 else f"ensemble of {int(s)} seeds"
               for s in seeds]
    rows["forecast"] = rows["forecast"].where(rows["forecast"].notna(), default)
    rows["finding"] = rows["finding"].fillna(False).astype(bool)
    rows["cut"] = rows["cut"].fillna("")
    path = _path(chapter, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(path, index=False)
    return path


def verdict(ours: float, persistence: float, p_value: float, alpha: float = ALPHA, *,
            higher_better: bool = False) -> str:
    """One line from the numbers: does the model beat persistence, significantly?

    Pass the p-value that belongs to the forecast whose number is ``ours``,
    adjusted for the other tests on the same page (:func:`adjust`,
    :func:`stocklearn.metrics.holm`) when there are more than a few.

    Parameters
    ----------
    ours, persistence : float
        Scores of the model and of persistence.
    p_value : float
        p-value of the model against persistence (NaN: none).
    alpha : float, default 0.05
    higher_better : bool, default False
        True for accuracies and Sharpe ratios.

    Returns
    -------
    str
    """
    better = ours > persistence if higher_better else ours < persistence
    if pd.isna(p_value):
        return "better than persistence (no test)" if better else \
            "not better than persistence (no test)"
    if p_value >= alpha:
        return f"no better than persistence (p = {p_value:.2f})"
    return "beats persistence" if better else "worse than persistence"


def adjust(rows: pd.DataFrame) -> pd.DataFrame:
    """Holm-adjusted p-values and the verdict words of every row, as one family of tests.

    Every p-value against persistence on the page (``DM p`` and ``CW p``)
    is one test of one family, adjusted with Holm's method
    (:func:`stocklearn.metrics.holm`); the p-values against the linear
    baseline are a second family. The words follow the adjusted values:

    * ``beats persistence``: ours is better and the adjusted DM or
      Clark-West p-value is below :data:`ALPHA`;
    * ``worse than persistence``: ours is worse and the adjusted DM
      p-value is below :data:`ALPHA`;
    * ``no better than persistence``: otherwise;

    and, for a row that beats persistence, whether it also beats the linear
    baseline (adjusted DM p-value against it below :data:`ALPHA`).

    Parameters
    ----------
    rows : DataFrame
        Result rows (:func:`load`).

    Returns
    -------
    DataFrame
        ``rows`` with the columns ``DM p adj``, ``CW p adj``, ``DM p linear
        adj``, ``against persistence`` and ``against linear``.
    """
    from stocklearn.metrics import holm

    out = rows.copy()
    for column in ("DM p", "CW p", "DM p linear", "linear"):
        if column not in out.columns:
            out[column] = np.nan
    n = len(out)
    both = holm(np.concatenate([out["DM p"].to_numpy(float), out["CW p"].to_numpy(float)]))
    out["DM p adj"], out["CW p adj"] = both[:n], both[n:]
    out["DM p linear adj"] = holm(out["DM p linear"].to_numpy(float))
    words, linear_words = [], []
    for _, row in out.iterrows():
        flip = higher_is_better(row["metric"])
        better = row["ours"] > row["persistence"] if flip else row["ours"] < row["persistence"]
        dm, cw = row["DM p adj"], row["CW p adj"]
        if pd.isna(dm) and pd.isna(cw):
            words.append("better (no test)" if better else "not better (no test)")
        elif better and (dm < ALPHA or cw < ALPHA):
            words.append("beats persistence")
        elif not better and dm < ALPHA:
            words.append("worse than persistence")
        else:
            words.append("no better than persistence")
        lin, lin_p = row["linear"], row["DM p linear adj"]
        if words[-1] != "beats persistence" or pd.isna(lin):
            linear_words.append("")
        elif (row["ours"] > lin if flip else row["ours"] < lin) and lin_p < ALPHA:
            linear_words.append("beats the linear baseline too")
        else:
            linear_words.append("not the linear baseline")
    out["against persistence"] = words
    out["against linear"] = linear_words
    return out


def _read(folder: Path) -> pd.DataFrame:
    """The result files of one folder as one adjusted table (empty when there are none)."""
    files = sorted(folder.glob("*.csv")) if folder.exists() else []
    if not files:
        return adjust(pd.DataFrame(columns=COLUMNS))
    rows = pd.concat([pd.read_csv(f).reindex(columns=COLUMNS) for f in files],
                     ignore_index=True)
    rows["finding"] = rows["finding"].fillna(False).astype(bool)
    rows["cut"] = rows["cut"].fillna("")
    return adjust(rows)


def load(profile: str | None = None) -> pd.DataFrame:
    """Every chapter's saved rows for one profile, with adjusted p-values and verdicts.

    Parameters
    ----------
    profile : str, optional
        Default as :func:`~stocklearn.settings.get_profile`.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS` plus those of :func:`adjust` (all the rows
        loaded form the family that is adjusted), chapters in order; empty
        when no chapter has run yet in this profile.
    """
    return _read(results_dir() / get_profile(profile).name)


# --------------------------------------------------------------------------- recorded runs
RECORDED = Path(__file__).with_name("recorded")
"""The package's copy of one recorded run per profile: ``recorded/<profile>/*.csv`` and
``run.json`` (profile, backend, commit, date)."""


def record(source: Path, *, profile: str, backend: str, commit: str,
           date: str | None = None, target: Path | None = None) -> Path:
    """Keep a run's result files, with where they came from, as the recorded run of a profile.

    The fast build shows the recorded ``full`` run beside its own rows (the
    verdict page, chapter 6), so that a reader of the fast pages sees what
    the papers' settings give without typing a number by hand.

    Parameters
    ----------
    source : Path
        A results folder (:func:`stocklearn.settings.results_dir`) that holds
        ``<profile>/*.csv`` from one run of every chapter.
    profile, backend, commit : str
        The run's profile, Keras backend and the commit it ran.
    date : str, optional
        The day of the run (ISO); default today.
    target : Path, optional
        Where to keep it; default :data:`RECORDED`.

    Returns
    -------
    Path
        The folder written.
    """
    files = sorted((Path(source) / profile).glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no result files in {Path(source) / profile}")
    folder = (RECORDED if target is None else Path(target)) / profile
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for f in files:
        shutil.copy(f, folder / f.name)
    run = {"profile": profile, "backend": backend, "commit": commit,
           "date": date or datetime.date.today().isoformat(),
           "chapters": [f.stem for f in files]}
    (folder / "run.json").write_text(json.dumps(run, indent=1) + "\n")
    return folder


def recorded(profile: str = "full", *, source: Path | None = None) -> pd.DataFrame:
    """The recorded run of a profile (:func:`record`), adjusted as :func:`load` does.

    Returns
    -------
    DataFrame
        As :func:`load`; ``.attrs["run"]`` holds the run's profile, backend,
        commit and date. Empty (with ``attrs["run"]`` empty) when none is kept.
    """
    folder = (RECORDED if source is None else Path(source)) / profile
    rows = _read(folder)
    meta = folder / "run.json"
    rows.attrs["run"] = json.loads(meta.read_text()) if meta.exists() else {}
    return rows


def recorded_note(rows: pd.DataFrame) -> str:
    """Where a recorded run's rows come from, in a few words ("full profile, JAX, ...")."""
    run = rows.attrs.get("run") or {}
    if not run:
        return "no recorded run"
    return (f"recorded {run['profile']} profile run of {run['date']} on "
            f"{run['backend']}, commit {run['commit'][:7]}")


def kind(words: str) -> str:
    """The kind of a verdict: ``"beats"``, ``"no better"`` or ``"worse"`` (than persistence).

    Verdicts without a test keep their words ("better (no test)").
    """
    return {"beats persistence": "beats", "no better than persistence": "no better",
            "worse than persistence": "worse"}.get(words, words)


def beside_recorded(chapter: str, profile: str | None = None, *,
                    recorded_profile: str = "full", source: Path | None = None) -> pd.DataFrame:
    """A chapter's rows of this run beside the same rows of a recorded run, with both verdicts.

    Call it after :func:`save`: it reads the rows this run just saved and
    the recorded run's rows (:func:`recorded`), so that a page built with
    the ``fast`` profile shows what the papers' settings gave. Both verdicts
    are those of the verdict page: the recorded one adjusted over the
    recorded run's rows; this run's over the same rows with this chapter's
    replaced by this run's, so that both come from families of the same size.

    Parameters
    ----------
    chapter : str
        The notebook's name, e.g. ``"06_error_correction"``.
    profile : str, optional
        This run's profile (pass the chapter's; default as
        :func:`~stocklearn.settings.get_profile`).
    recorded_profile : str, default "full"
    source : Path, optional
        Where the recorded runs are kept; default :data:`RECORDED`.

    Returns
    -------
    DataFrame
        Indexed by experiment and metric: ``this run``, ``recorded``,
        ``persistence``, ``verdict`` and ``recorded verdict`` (their kinds,
        :func:`kind`). ``.attrs["note"]`` says which run was recorded
        (:func:`recorded_note`); ``.attrs["differ"]`` lists the experiments
        whose verdicts are of another kind. Rows the recorded run lacks have
        NaN there.
    """
    now = pd.read_csv(_path(chapter, profile)).reindex(columns=COLUMNS)
    kept = recorded(recorded_profile, source=source)
    note = recorded_note(kept)
    page = adjust(pd.concat([kept.loc[kept["chapter"] != chapter, COLUMNS], now],
                            ignore_index=True))
    keys = ["experiment", "metric"]
    this = page[page["chapter"] == chapter]
    mine = kept[kept["chapter"] == chapter]
    out = this[keys + ["ours", "persistence", "against persistence"]].merge(
        mine[keys + ["ours", "against persistence"]], on=keys, how="left",
        suffixes=("", " recorded"))
    out = pd.DataFrame({
        "this run": out["ours"].to_numpy(), "recorded": out["ours recorded"].to_numpy(),
        "persistence": out["persistence"].to_numpy(),
        "verdict": out["against persistence"].map(kind).to_numpy(),
        "recorded verdict": out["against persistence recorded"].map(kind).to_numpy(),
    }, index=pd.MultiIndex.from_frame(out[keys]))
    shared = out.dropna(subset=["recorded verdict"])
    out.attrs["note"] = note
    out.attrs["differ"] = list(shared.index[shared["verdict"] != shared["recorded verdict"]]
                               .get_level_values("experiment"))
    return out


def beside_summary(beside: pd.DataFrame) -> str:
    """One sentence on a :func:`beside_recorded` table: which verdicts differ in kind."""
    shared = int(beside["recorded verdict"].notna().sum())
    differ = beside.attrs.get("differ", [])
    if not shared:
        return f"The {beside.attrs.get('note', 'recorded run')} has none of these rows."
    text = (f"Of the {shared} rows this run shares with the "
            f"{beside.attrs.get('note', 'recorded run')}, {len(differ)} "
            f"{'has' if len(differ) == 1 else 'have'} a verdict of another kind")
    return text + (": " + "; ".join(differ) + "." if differ else ".")
