"""Grading submitted notebooks with otter-grader, without Docker: one row per
submission with the points of each graded exercise.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from stocklearn.teaching.chapter import CHECK_TAG, _tags, check_label


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def inject_parameters(nb, values: Mapping) -> None:
    """Add a cell setting ``values`` right after the cell tagged ``parameters`` (as papermill)."""
    import nbformat

    if not values:
        return
    where = next((i for i, c in enumerate(nb.cells) if "parameters" in _tags(c)), None)
    if where is None:
        raise ValueError("the notebook has no cell tagged 'parameters' to override")
    source = "# Parameters set by the grader\n" + "".join(
        f"{k} = {v!r}\n" for k, v in values.items())
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(where + 1, cell)


def _chapter_of(path: Path, nb, chapters: Iterable[str]) -> str | None:
    named = nb.metadata.get("stocklearn", {}).get("chapter")
    if named in chapters:
        return named
    hits = [c for c in chapters if c in path.stem]
    return max(hits, key=len) if hits else None


def prepare_submission(path: Path, target: Path, params: Mapping) -> str:
    """Copy a submission to ``target`` ready for otter: parameters injected, and every check
    cell marked so that otter runs its test right there (not only at the end)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3",
                                          "language": "python"})
    for cell in nb.cells:
        if cell.cell_type == "code" and CHECK_TAG in _tags(cell):
            label, _ = check_label(cell.source)
            if label:
                cell.metadata["otter"] = {"tests": [label]}
    inject_parameters(nb, params)
    nbformat.write(nb, target)
    return target.name


def _grade_one(args) -> dict:
    path, chapter, zip_path, params = args
    from otter.api import grade_submission

    saved = {k: os.environ.get(k) for k in ("MPLBACKEND", "STOCKLEARN_RESULTS")}
    with tempfile.TemporaryDirectory() as tmp:
        copy_path = Path(tmp) / f"{chapter}.ipynb"
        prepare_submission(Path(path), copy_path, params)
        # the kernel inherits these: no windows, and a submission's result tables must
        # not replace the teacher's (see stocklearn.results)
        os.environ["MPLBACKEND"] = "Agg"
        os.environ["STOCKLEARN_RESULTS"] = str(Path(tmp) / "results")
        try:
            results = grade_submission(str(copy_path), str(zip_path), quiet=True)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    row = {"submission": str(path), "chapter": chapter}
    for label, test in sorted(results.results.items()):
        row[label] = test.score
    row["total"], row["possible"] = results.total, results.possible
    error = results.catastrophic_error
    row["error"] = f"{type(error).__name__}: {error}" if error else ""
    return row


def grade(submissions: Iterable[str | Path], autograders: str | Path = "_build/student/autograder",
          *, params: Mapping | None = None, chapter_params: Mapping | None = None,
          jobs: int = 1) -> pd.DataFrame:
    """Grade notebooks with otter-grader (no Docker): one row per submission.

    Parameters
    ----------
    submissions : paths
        Notebooks, or folders searched recursively for ``*.ipynb``.
    autograders : path
        The folder of ``NAME.zip`` autograders written by :func:`build_student_edition`.
        A submission's chapter comes from its metadata (student notebooks record
        it) or else from its file name, which must contain the chapter's name.
    params : mapping, optional
        Parameters to set in every submission, after its ``parameters`` cell
        (e.g. ``{"EPOCHS": 2}`` to grade quickly).
    chapter_params : mapping, optional
        Per-notebook parameters, ``{"NAME.ipynb": {...}}`` (the layout of
        ``tests/notebook_params.json``), applied before ``params``.
    jobs : int
        Submissions graded at the same time.

    Returns
    -------
    DataFrame
        Index ``submission``; columns ``chapter``, one per graded exercise
        (points earned, NaN where it does not apply), ``total``, ``possible``,
        ``percent`` and ``error`` (why a notebook could not be graded at all).
    """
    import nbformat

    zips = {p.stem: p for p in Path(autograders).glob("*.zip")}
    if not zips:
        raise FileNotFoundError(f"no autograders in {autograders}: run `make student` first")
    files: list[Path] = []
    for s in submissions:
        s = Path(s)
        found = sorted(s.rglob("*.ipynb")) if s.is_dir() else [s]
        files += [f for f in found if ".ipynb_checkpoints" not in f.parts]
    if not files:
        raise FileNotFoundError(f"no notebooks in {list(map(str, submissions))}")
    todo, skipped = [], []
    for f in files:
        chapter = _chapter_of(f, nbformat.read(f, as_version=4), zips)
        if chapter is None:
            skipped.append({"submission": str(f), "chapter": "?", "total": 0, "possible": 0,
                            "error": "no autograder for this notebook (name or metadata)"})
            continue
        values = {**(chapter_params or {}).get(f"{chapter}.ipynb", {}), **(params or {})}
        todo.append((str(f), chapter, str(zips[chapter].resolve()), values))
    if jobs > 1 and len(todo) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            rows = list(pool.map(_grade_one, todo))
    else:
        rows = [_grade_one(t) for t in todo]
    table = pd.DataFrame(rows + skipped).set_index("submission")
    labels = sorted(c for c in table.columns
                    if c not in ("chapter", "total", "possible", "error"))
    table["percent"] = (100 * table["total"] / table["possible"].where(table["possible"] > 0)
                        ).fillna(0).round(1)
    return table[["chapter", *labels, "total", "possible", "percent", "error"]]
