"""The course for a class: student notebooks, the student book, and autograding.

Everything is derived from the chapters' text sources (``notebooks/NN_name.py``);
a chapter needs nothing beyond what it already has:

* an exercise's **solution** sits between sphinx-exercise's gated markers
  ``solution-start`` and ``solution-end`` (markdown cells), its code in the code
  cells between them;
* a **graded** exercise has, after its ``solution-end``, a code cell tagged
  ``check`` (and ``remove-cell``, so the book does not show it) that tests the
  answer with :mod:`stocklearn.checks`::

      with checks.exercise("ch02-ex3"):
          ...

  The names the check reads that the solution defines are the exercise's
  *answer names*.

From that, ``python -m stocklearn.teaching student`` (``make student``) writes,
for every chapter,

* a **student notebook**: the solutions' prose removed, their code cells
  replaced by one stub cell that sets every answer name to ``...`` (a bare
  ``# your code here`` cell for ungraded exercises), the check cells kept and
  shown;
* an **autograder** for otter-grader (``autograder/NN_name.zip``): one otter test
  per graded exercise that runs the exercise's check cell, verbatim, against
  the notebook's variables at the place of the check cell;

plus the configuration of the **student book** (``_config.yml`` and
``_toc.yml`` in the output folder): the same pages and execution cache, with
this module loaded as a Sphinx extension that drops every solution, and
without the instructor guide.

``python -m stocklearn.teaching grade FOLDER`` (``make grade``) grades every
notebook in a folder with otter-grader, without Docker, and prints one row per
submission: the points of each graded exercise, the total and the percentage.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import copy
import json
import os
import re
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

CHECK_TAG = "check"
STUB_TAG = "stub"
HIDDEN_TAGS = ("remove-cell", "remove-input", "remove-output", "hide-cell", "hide-input")
INSTRUCTOR_GUIDE = "book/instructor_guide"

_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>solution(?:-start|-end)?)\}\s*(?P<arg>\S*)")
_EXERCISE_CALL = ("exercise",)


@dataclass
class Exercise:
    """One exercise's solution and check, as read from a chapter."""

    label: str
    prose: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    check: str | None = None
    points: float = 1.0

    @property
    def graded(self) -> bool:
        return self.check is not None

    @property
    def names(self) -> list[str]:
        """Names the check reads that the solution defines, in the check's order."""
        if self.check is None:
            return []
        defined = set()
        for source in self.code:
            defined |= _stored_names(source)
        return [n for n in _loaded_names(self.check) if n in defined]


@dataclass
class Chapter:
    """A chapter split into the student's cells and its exercises."""

    name: str
    notebook: object  # nbformat.NotebookNode: the student notebook
    exercises: dict[str, Exercise]

    @property
    def graded(self) -> list[Exercise]:
        return [ex for ex in self.exercises.values() if ex.graded]


# --------------------------------------------------------------------------- source analysis
class _Names(ast.NodeVisitor):
    """Module-level names a piece of code stores and loads (nested scopes skipped)."""

    def __init__(self) -> None:
        self.stored: list[str] = []
        self.loaded: list[str] = []

    def visit_Name(self, node: ast.Name) -> None:
        (self.loaded if isinstance(node.ctx, ast.Load) else self.stored).append(node.id)

    def _scope(self, node) -> None:
        self.stored.append(node.name)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        for decorator in node.decorator_list:
            self.visit(decorator)

    visit_FunctionDef = visit_AsyncFunctionDef = _scope

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.stored.append(node.name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        pass

    def _comprehension(self, node) -> None:
        # only the first iterable is evaluated in the enclosing scope
        self.visit(node.generators[0].iter)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_Import(self, node) -> None:
        for alias in node.names:
            self.stored.append((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import


def _parse(source: str) -> ast.Module:
    # IPython magics and shell escapes are not Python; drop them for the analysis
    lines = [("" if line.lstrip().startswith(("%", "!")) else line)
             for line in source.splitlines()]
    return ast.parse("\n".join(lines))


def _stored_names(source: str) -> set[str]:
    names = _Names()
    names.visit(_parse(source))
    return set(names.stored)


def _loaded_names(source: str) -> list[str]:
    names = _Names()
    names.visit(_parse(source))
    seen: list[str] = []
    for n in names.loaded:
        if n not in seen and n not in names.stored and not hasattr(builtins, n):
            seen.append(n)
    return seen


def check_label(source: str) -> tuple[str | None, float]:
    """The label and points of ``checks.exercise("label", points=...)`` in a check cell."""
    for node in ast.walk(_parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if fname in _EXERCISE_CALL and node.args and isinstance(node.args[0], ast.Constant):
            points = 1.0
            for kw in node.keywords:
                if kw.arg == "points" and isinstance(kw.value, ast.Constant):
                    points = float(kw.value.value)
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                points = float(node.args[1].value)
            return str(node.args[0].value), points
    return None, 1.0


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


# --------------------------------------------------------------------------- student notebook
STUDENT_NOTE = """\
> **Student edition.** The solutions are removed: each exercise that asks for code
> has a code cell for your answer. After a graded exercise, run the **check** cell
> below your answer: it prints ✓ when your answer has the properties the exercise
> asks for, or says in one line what is wrong. The checks work with any data set,
> so change `DATASET` in the parameters cell if your teacher gave you another
> series (a name from `data.list_datasets()` or a CSV file). Graded exercises in
> this chapter: {graded}."""


def _stub(ex: Exercise) -> str:
    head = f"# Exercise {ex.label}: your code here."
    if not ex.graded:
        return head
    names = ex.names
    said = ", ".join(f"`{n}`" for n in names)
    lines = [head, *textwrap.wrap(
        f"The check below reads {said}: set {'it' if len(names) == 1 else 'them'}.",
        width=76, initial_indent="# ", subsequent_indent="# ")]
    lines += [f"{n} = ..." for n in names]
    return "\n".join(lines)


def _directive_end(lines: list[str], i: int, fence: str) -> int:
    """Index of the line after the directive opened at ``lines[i]`` (its closing fence)."""
    for j in range(i + 1, len(lines)):
        if lines[j].strip() == fence:
            return j + 1
    return len(lines)


def read_chapter(path: str | Path) -> Chapter:
    """Read a chapter (text source or notebook) and split it into student cells and exercises.

    Raises
    ------
    ValueError
        On unbalanced solution markers, a check cell inside a solution, or a
        check cell that names no exercise of the chapter.
    """
    import jupytext
    import nbformat

    path = Path(path)
    nb = jupytext.read(path)
    exercises: dict[str, Exercise] = {}
    out: list = []  # cells, and ("stub", label) placeholders filled in at the end
    current: Exercise | None = None

    def markdown(lines: list[str]) -> None:
        text = "\n".join(lines).strip("\n")
        if text.strip():
            out.append(nbformat.v4.new_markdown_cell(text))

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines, kept, i = cell.source.split("\n"), [], 0
            while i < len(lines):
                m = _OPEN.match(lines[i].strip())
                if current is None and m and m["name"] == "solution-start":
                    markdown(kept)
                    kept = []
                    current = exercises.setdefault(m["arg"], Exercise(m["arg"]))
                    i = _directive_end(lines, i, m["fence"])
                elif current is None and m and m["name"] == "solution":
                    # a plain (non-gated) solution directive: prose only, dropped whole
                    end = _directive_end(lines, i, m["fence"])
                    ex = exercises.setdefault(m["arg"], Exercise(m["arg"]))
                    ex.prose += lines[i + 1:end - 1]
                    i = end
                elif current is not None and m and m["name"] == "solution-end":
                    i = _directive_end(lines, i, m["fence"])
                    if current.code:
                        markdown(kept)
                        kept = []
                        out.append(("stub", current.label))
                    current = None
                elif current is not None:
                    if m and m["name"] == "solution-start":
                        raise ValueError(f"{path.name}: solution-start inside the solution "
                                         f"of {current.label}")
                    current.prose.append(lines[i])
                    i += 1
                else:
                    if m and m["name"] == "solution-end":
                        raise ValueError(f"{path.name}: solution-end without solution-start")
                    kept.append(lines[i])
                    i += 1
            markdown(kept)
        elif cell.cell_type == "code" and current is not None:
            if CHECK_TAG in _tags(cell):
                raise ValueError(f"{path.name}: a check cell inside the solution of "
                                 f"{current.label}; put it after solution-end")
            current.code.append(cell.source)
        elif cell.cell_type == "code" and CHECK_TAG in _tags(cell):
            label, points = check_label(cell.source)
            if label is None:
                raise ValueError(f"{path.name}: a check cell must name its exercise: "
                                 'with checks.exercise("chNN-exM"): ...')
            if label not in exercises:
                raise ValueError(f"{path.name}: check cell for {label!r}, which has no "
                                 "solution before it")
            exercises[label].check, exercises[label].points = cell.source, points
            student = nbformat.v4.new_code_cell(cell.source)
            student.metadata["tags"] = [t for t in _tags(cell) if t not in HIDDEN_TAGS]
            student.metadata["otter"] = {"tests": [label]}
            out.append(student)
        else:
            out.append(copy.deepcopy(cell))
    if current is not None:
        raise ValueError(f"{path.name}: the solution of {current.label} has no solution-end")

    cells = []
    for item in out:
        if isinstance(item, tuple):
            stub = nbformat.v4.new_code_cell(_stub(exercises[item[1]]))
            stub.metadata["tags"] = [STUB_TAG]
            cells.append(stub)
        else:
            cells.append(item)
    graded = [ex.label for ex in exercises.values() if ex.graded]
    note = nbformat.v4.new_markdown_cell(STUDENT_NOTE.format(
        graded=", ".join(graded) if graded else "none yet"))
    first_md = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), 0)
    cells.insert(first_md + 1, note)

    student = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(nb.metadata))
    student.metadata.pop("jupytext", None)
    student.metadata["kernelspec"] = nb.metadata.get(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    student.metadata["stocklearn"] = {"chapter": path.stem, "edition": "student"}
    return Chapter(path.stem, student, exercises)


# --------------------------------------------------------------------------- otter tests
TEST_TEMPLATE = '''\
"""Exercise {label} of {chapter}: its check cell, run against the notebook's variables.

Generated by stocklearn.teaching from the chapter's text source; do not edit.
"""

from otter.test_files import test_case

OK_FORMAT = False

name = {label!r}
points = {points!r}

CHECK = {check!r}


@test_case(points={points!r}, hidden=False)
def check(env):
    from stocklearn.teaching import run_check

    run_check(CHECK, env, {label!r})
'''


def run_check(source: str, env: Mapping, label: str = "check") -> None:
    """Run a check cell's ``source`` on a copy of the notebook's variables ``env``.

    The copy keeps the check from changing the notebook; ``checks`` is always
    available, even where a student removed its import.
    """
    from stocklearn import checks

    namespace = {**env, "checks": checks}
    exec(compile(source, f"<check {label}>", "exec"), namespace)  # noqa: S102


def verify_check(label: str, check: str, stub: str, wrong: list[Mapping[str, str]],
                 env: Mapping) -> None:
    """Make sure a check rejects the student's stub and every wrong answer.

    Run in a chapter right after its check cell has accepted the complete
    solution (see :func:`with_check_trials`). Each trial runs on a copy of the
    chapter's variables ``env``: once with the stub's code (every answer name
    ``...``), once per wrong answer, a mapping of answer names to Python
    expressions evaluated in that copy.

    Raises
    ------
    AssertionError
        When the check accepts the stub or a wrong answer.
    """
    from stocklearn import checks

    trials = [("the stub", {"__stub__": stub})] + [
        (f"the wrong answer {dict(answer)}", answer) for answer in wrong]
    for what, answer in trials:
        namespace = dict(env)
        if "__stub__" in answer:
            exec(compile(answer["__stub__"], f"<stub {label}>", "exec"), namespace)  # noqa: S102
        else:
            namespace.update({k: eval(v, namespace) for k, v in answer.items()})  # noqa: S307
        try:
            run_check(check, namespace, label)
        except checks.CheckFailed:
            continue
        raise AssertionError(f"{label}: the check accepts {what}")
    print(f"{label}: the check rejects the stub and {len(wrong)} wrong answer(s)")


def with_check_trials(path: str | Path, wrong_answers: Mapping[str, list]):
    """The chapter ``path`` (notebook or text source) with a :func:`verify_check` cell after
    every check cell.

    Executing it (``tests/test_notebooks.py`` does, with the tiny parameter
    set) shows for every graded exercise that the complete solution passes
    (the check cell itself), and that the stub and each wrong answer of
    ``wrong_answers[label]`` fail.

    Raises
    ------
    ValueError
        When a graded exercise has no wrong answers to try.
    """
    import jupytext
    import nbformat

    chapter = read_chapter(path)
    nb = jupytext.read(path)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code" or CHECK_TAG not in _tags(cell):
            continue
        label, _ = check_label(cell.source)
        ex = chapter.exercises[label]
        if not wrong_answers.get(label):
            raise ValueError(f"{label}: no wrong answers to try its check with; add some to "
                             "tests/teaching_wrong_answers.json")
        trial = nbformat.v4.new_code_cell(
            "from stocklearn import teaching as _teaching\n\n"
            f"_teaching.verify_check({label!r}, {ex.check!r},\n"
            f"                       {_stub(ex)!r},\n"
            f"                       {list(wrong_answers[label])!r}, globals())")
        trial.metadata["tags"] = ["remove-cell"]
        cells.append(trial)
    nb.cells = cells
    return nb


def otter_tests(chapter: Chapter) -> dict[str, str]:
    """One otter test file per graded exercise: ``{label: source}``."""
    return {ex.label: TEST_TEMPLATE.format(label=ex.label, chapter=chapter.name,
                                           points=ex.points, check=ex.check)
            for ex in chapter.graded}


def write_autograder(chapter: Chapter, folder: Path) -> Path | None:
    """Write ``folder/NAME.zip``, the otter-grader autograder of a chapter (None: no checks)."""
    tests = otter_tests(chapter)
    if not tests:
        return None
    from otter.generate import main as otter_generate

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tests_dir = Path(tmp) / "tests"
        tests_dir.mkdir()
        for label, source in tests.items():
            (tests_dir / f"{label}.py").write_text(source)
        zip_path = (folder / f"{chapter.name}.zip").resolve()
        cwd = os.getcwd()
        try:  # otter picks up ./requirements.txt and ./environment.yml; keep it in tmp
            os.chdir(tmp)
            otter_generate(tests_dir="tests", output_path=str(zip_path),
                           no_config=True, no_requirements=True, no_environment=True,
                           python_version=f"{sys.version_info.major}.{sys.version_info.minor}")
        finally:
            os.chdir(cwd)
    return zip_path


# --------------------------------------------------------------------------- student edition
def _without_guide(entries):
    out = []
    for entry in entries:
        if isinstance(entry, dict):
            if entry.get("file") == INSTRUCTOR_GUIDE:
                continue
            entry = {k: (_without_guide(v) if isinstance(v, list) else v)
                     for k, v in entry.items()}
        out.append(entry)
    return out


def write_book_config(out: Path, *, config: Path = Path("_config.yml"),
                      toc: Path = Path("_toc.yml"),
                      cache: Path = Path("_build/.jupyter_cache")) -> tuple[Path, Path]:
    """Write the student book's ``_config.yml`` and ``_toc.yml`` into ``out``.

    The book's own configuration with this module as an extra Sphinx extension
    (it drops every solution), the book's execution cache (the code is
    identical, so nothing executes again), a title that says "student edition",
    no copied sources, download or launch buttons (they lead to the notebooks
    with solutions), and the table of contents without the instructor guide.
    """
    import yaml

    cfg = yaml.safe_load(config.read_text())
    cfg["title"] = f"{cfg.get('title', 'StockLearn')} (student edition)"
    sphinx = cfg.setdefault("sphinx", {})
    # Jupyter Book finds local extensions relative to the configuration file
    local = sphinx.get("local_extensions") or {}
    sphinx["local_extensions"] = {name: str((config.parent / path).resolve())
                                  for name, path in local.items()} or None
    if sphinx["local_extensions"] is None:
        del sphinx["local_extensions"]
    extensions = sphinx.setdefault("extra_extensions", [])
    if "stocklearn.teaching" not in extensions:
        extensions.append("stocklearn.teaching")
    cfg.setdefault("execute", {})["cache"] = str(cache.resolve())
    # nothing on a page may lead back to a notebook with solutions: no copied sources
    # (the download button offers them), no Binder/Colab buttons (they open the
    # repository's notebooks)
    conf = sphinx.setdefault("config", {})
    conf["html_copy_source"] = False
    cfg.pop("launch_buttons", None)
    theme = conf.get("html_theme_options")
    if isinstance(theme, dict):
        theme.pop("launch_buttons", None)
        theme["use_download_button"] = False
    toc_data = yaml.safe_load(toc.read_text())
    for key in ("parts", "chapters", "sections"):
        if key in toc_data:
            toc_data[key] = _without_guide(toc_data[key])
    out.mkdir(parents=True, exist_ok=True)
    (out / "_config.yml").write_text(
        "# Generated by stocklearn.teaching from _config.yml: the student edition.\n"
        + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    (out / "_toc.yml").write_text(
        "# Generated by stocklearn.teaching from _toc.yml: the student edition.\n"
        + yaml.safe_dump(toc_data, sort_keys=False, allow_unicode=True))
    return out / "_config.yml", out / "_toc.yml"


def build_student_edition(sources: Iterable[str | Path], out: str | Path = "_build/student",
                          *, autograders: bool = True, book: bool = True) -> pd.DataFrame:
    """Write student notebooks (``out/notebooks``), autograders (``out/autograder``) and
    the student book's configuration (``out``). Returns one row per chapter."""
    import nbformat

    out = Path(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    rows = []
    for source in sorted(Path(s) for s in sources):
        chapter = read_chapter(source)
        target = out / "notebooks" / f"{chapter.name}.ipynb"
        nbformat.validate(chapter.notebook)
        nbformat.write(chapter.notebook, target)
        zip_path = write_autograder(chapter, out / "autograder") if autograders else None
        rows.append({"chapter": chapter.name,
                     "exercises": len(chapter.exercises),
                     "graded": ", ".join(ex.label for ex in chapter.graded) or "-",
                     "notebook": str(target),
                     "autograder": str(zip_path) if zip_path else "-"})
    if book:
        write_book_config(out)
    return pd.DataFrame(rows).set_index("chapter")


# --------------------------------------------------------------------------- the Sphinx side
def setup(app):
    """Sphinx extension of the student book: every exercise solution is dropped.

    sphinx-exercise's own ``hide_solutions`` cannot be used: with gated
    solutions (``solution-start``/``solution-end``, the course's form, which
    keeps executed code cells in a solution) it crashes the build
    (executablebooks/sphinx-exercise#89). This transform runs after
    sphinx-exercise has merged each gated solution into one node, and removes
    those nodes, code cells included.
    """
    from sphinx.transforms import SphinxTransform
    from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

    class DropSolutions(SphinxTransform):
        default_priority = 11  # after sphinx-exercise's MergeGatedSolutions (10)

        def apply(self, **kwargs) -> None:
            for kind in (solution_node, solution_start_node, solution_end_node):
                for node in list(self.document.findall(kind)):
                    node.parent.remove(node)

    app.add_transform(DropSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------- grading
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


# --------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stocklearn.teaching",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("student", help="student notebooks, autograders, student book config")
    st.add_argument("sources", nargs="+", help="chapter text sources (notebooks/NN_*.py)")
    st.add_argument("--out", default="_build/student")
    st.add_argument("--no-autograder", action="store_true")
    gr = sub.add_parser("grade", help="grade submitted notebooks with otter-grader")
    gr.add_argument("submissions", nargs="+", help="notebooks or folders of notebooks")
    gr.add_argument("--autograder", default="_build/student/autograder")
    gr.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="set a parameter in every submission (VALUE as JSON, else text)")
    gr.add_argument("--params", metavar="FILE",
                    help='per-notebook parameters, {"NN_name.ipynb": {...}}')
    gr.add_argument("--jobs", type=int, default=1)
    gr.add_argument("--csv", default=None, help="also write the table here")
    args = parser.parse_args(argv)

    if args.command == "student":
        table = build_student_edition(args.sources, args.out,
                                      autograders=not args.no_autograder)
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            print(table.drop(columns=["notebook"]).to_string())
        print(f"student notebooks: {Path(args.out) / 'notebooks'}")
        return 0

    params = {}
    for item in args.param:
        key, _, value = item.partition("=")
        params[key.strip()] = _parse_value(value)
    chapter_params = json.loads(Path(args.params).read_text()) if args.params else None
    table = grade(args.submissions, args.autograder, params=params,
                  chapter_params=chapter_params, jobs=args.jobs)
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv)
    shown = table.drop(columns="error") if not table["error"].astype(bool).any() else table
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(shown.to_string(na_rep="-"))
    if args.csv:
        print(f"written to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
