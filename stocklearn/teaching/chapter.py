"""A chapter read for a class: its exercises, their solutions and checks, and the
student notebook (solutions replaced by stubs).
"""

from __future__ import annotations

import ast
import builtins
import copy
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

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
