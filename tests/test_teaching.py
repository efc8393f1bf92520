"""The student edition and the autograding (stocklearn.teaching, stocklearn.checks).

* Every chapter's student notebook holds no solution text (found here by a
  parser independent of the one that removes it), and its code up to the first
  stub is the chapter's own.
* Every graded exercise's check accepts the chapter's complete solution and
  rejects the student's stub and each plausible wrong answer of
  ``tests/teaching_wrong_answers.json``: ``tests/test_notebooks.py`` runs
  every chapter (tiny parameter set) with a trial cell after each check cell
  (:func:`stocklearn.teaching.with_check_trials`), so no chapter runs twice.
  The first chapter's student notebook is executed here up to its first stub.
* otter-grader grades a small chapter end to end: the complete notebook scores
  100 %, the student notebook 0, also with other parameters.
* The student book's Sphinx extension drops solutions; its configuration reuses
  the book's execution cache and leaves out the instructor guide.
"""

from __future__ import annotations

import copy
import json
import re
import textwrap
from pathlib import Path

import jupytext
import nbformat
import pytest

from stocklearn import checks, teaching
from stocklearn.teaching.chapter import CHECK_TAG, INSTRUCTOR_GUIDE, STUB_TAG

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9]*.py"))
PARAMS = json.loads((ROOT / "tests" / "notebook_params.json").read_text())
WRONG = json.loads((ROOT / "tests" / "teaching_wrong_answers.json").read_text())
CHAPTERS = {p.stem: teaching.read_chapter(p) for p in SOURCES}


def _ids(paths):
    return [p.stem for p in paths]


def _solution_lines(source: Path) -> tuple[set[str], set[str]]:
    """Lines inside and outside the gated solutions of a chapter, by a plain text scan."""
    text = "\n".join(c.source for c in jupytext.read(source).cells)
    inside, outside = set(), set()
    pos = 0
    for m in re.finditer(r"\{solution-start\}.*?\{solution-end\}", text, flags=re.S):
        outside |= set(text[pos:m.start()].splitlines())
        inside |= set(m.group(0).splitlines())
        pos = m.end()
    outside |= set(text[pos:].splitlines())
    keep = {line.strip() for line in inside if len(line.strip()) >= 20}
    return keep, {line.strip() for line in outside}


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_student_notebook_holds_no_solution_text(source):
    student = CHAPTERS[source.stem].notebook
    text = "\n".join(c.source for c in student.cells)
    assert "{solution" not in text, f"{source.name}: a solution marker is left"
    solution, elsewhere = _solution_lines(source)
    leaked = [line for line in solution
              if line not in elsewhere and line in {s.strip() for s in text.splitlines()}]
    assert not leaked, f"{source.name}: solution lines in the student notebook: {leaked[:3]}"
    exercises = re.findall(r":label: (\S+)", text)
    assert set(CHAPTERS[source.stem].exercises) <= set(exercises), \
        "every solved exercise keeps its text in the student notebook"


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_student_code_up_to_the_first_stub_is_the_chapters(source):
    """What a student runs before the first exercise is what CI runs for the chapter."""
    master = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
    student = []
    for cell in CHAPTERS[source.stem].notebook.cells:
        if STUB_TAG in cell.metadata.get("tags", []):
            break
        if cell.cell_type == "code":
            student.append(cell.source)
    assert student == master[:len(student)]
    stubs = [c for c in CHAPTERS[source.stem].notebook.cells
             if STUB_TAG in c.metadata.get("tags", [])]
    assert len(stubs) == sum(bool(ex.code) for ex in CHAPTERS[source.stem].exercises.values())


def test_every_graded_exercise_has_wrong_answers_and_set_names():
    for chapter in CHAPTERS.values():
        for ex in chapter.graded:
            assert ex.names, f"{ex.label}: its check reads no name its solution defines"
            assert WRONG.get(ex.label), \
                f"{ex.label}: add plausible wrong answers to tests/teaching_wrong_answers.json"
            for wrong in WRONG[ex.label]:
                assert set(wrong) <= set(ex.names), f"{ex.label}: {set(wrong)} not answers"


def test_every_chapter_run_tries_each_check_on_the_stub_and_wrong_answers():
    """tests/test_notebooks.py runs every chapter with these trial cells (tiny parameters)."""
    for source in SOURCES:
        nb = teaching.with_check_trials(source, WRONG)
        chapter = CHAPTERS[source.stem]
        trials = [c.source for c in nb.cells if "verify_check(" in c.source]
        assert len(trials) == len(chapter.graded)
        for cell, ex in zip(trials, chapter.graded, strict=True):
            assert repr(ex.label) in cell and "= ..." in cell


def test_verify_check_catches_a_check_that_accepts_a_wrong_answer(capsys):
    check = 'with checks.exercise("t"):\n    checks.number(x, "x", low=0)'
    env = {"x": 1.0}
    teaching.run_check(check, env, "t")  # the complete answer passes
    teaching.verify_check("t", check, "x = ...", [{"x": "-x"}], env)
    assert "t: the check rejects the stub and 1 wrong answer(s)" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="accepts the wrong answer"):
        teaching.verify_check("t", check, "x = ...", [{"x": "2 * x"}], env)


@pytest.mark.slow
def test_a_student_notebook_executes_up_to_its_first_stub(tmp_path, monkeypatch):
    """The first chapter as a student gets it (tiny parameters): every cell runs up to the
    first stub, the stub runs, and the check after it says the answer is not set yet."""
    from nbclient import NotebookClient

    name = SOURCES[0].stem
    nb = copy.deepcopy(CHAPTERS[name].notebook)
    first = next(i for i, c in enumerate(nb.cells)
                 if STUB_TAG in c.metadata.get("tags", []))
    after = nb.cells[first + 1:]
    check = next((c for c in after[:1] if CHECK_TAG in c.metadata.get("tags", [])),
                 None)
    nb.cells = nb.cells[:first + 1] + ([check] if check else [])
    teaching.inject_parameters(nb, PARAMS[f"{name}.ipynb"])
    monkeypatch.setenv("STOCKLEARN_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()
    errors = [(i, out) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for out in c.outputs if out.output_type == "error"]
    if check is None:
        assert not errors
    else:
        assert [i for i, _ in errors] == [len(nb.cells) - 1], errors[:1]
        assert errors[0][1]["ename"] == "CheckFailed"
        assert "is not set yet" in errors[0][1]["evalue"]


# --------------------------------------------------------------------------- otter end to end
TOY = '''\
# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %%
import numpy as np

from stocklearn import checks

# %% tags=["parameters"]
N = 5

# %% [markdown]
# # Toy
#
# ## Exercises
#
# :::{exercise}
# :label: toy-ex1
# Set `total` to the sum of the integers below `N`.
# :::
#
# ```{solution-start} toy-ex1
# :class: dropdown
# ```
# Sum them with NumPy, the secret way:

# %%
total = int(np.arange(N).sum())

# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
with checks.exercise("toy-ex1", points=2):
    checks.close(total, N * (N - 1) / 2, "total", what="the sum below N")

# %% [markdown]
# :::{exercise}
# :label: toy-ex2
# Say something (not graded).
# :::
#
# ```{solution-start} toy-ex2
# ```

# %%
print("the secret words")

# %% [markdown]
# ```{solution-end}
# ```
'''


@pytest.mark.slow
def test_otter_grades_complete_notebooks_100_and_student_notebooks_0(tmp_path):
    pytest.importorskip("otter")
    source = tmp_path / "09_toy.py"
    source.write_text(TOY)
    master = tmp_path / "submitted" / "09_toy.ipynb"
    master.parent.mkdir()
    jupytext.write(jupytext.read(source), master)
    table = teaching.build_student_edition([source], tmp_path / "student", book=False)
    assert table.loc["09_toy", "graded"] == "toy-ex1"
    student = nbformat.read(tmp_path / "student" / "notebooks" / "09_toy.ipynb", as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "secret" not in text and "total = ..." in text and "# Exercise toy-ex2" in text
    renamed = tmp_path / "submitted" / "alice.ipynb"  # the chapter comes from the metadata
    nbformat.write(student, renamed)

    grades = teaching.grade([tmp_path / "submitted"], tmp_path / "student" / "autograder")
    assert grades.loc[str(master), "toy-ex1"] == 2
    assert grades.loc[str(master), "percent"] == 100
    assert grades.loc[str(renamed), "toy-ex1"] == 0
    assert grades.loc[str(renamed), "percent"] == 0


# --------------------------------------------------------------------------- the student book
def test_student_book_config_reuses_the_cache_and_leaves_out_the_guide(tmp_path, monkeypatch):
    import yaml

    monkeypatch.chdir(ROOT)
    cfg_path, toc_path = teaching.write_book_config(tmp_path)
    cfg, toc = yaml.safe_load(cfg_path.read_text()), toc_path.read_text()
    assert cfg["sphinx"]["local_extensions"]["drop_solutions"] == str(ROOT / "book" / "_ext")
    assert cfg["execute"]["cache"] == str((ROOT / "_build" / ".jupyter_cache").resolve())
    assert "student edition" in cfg["title"]
    for path in (cfg["sphinx"].get("local_extensions") or {}).values():
        assert Path(path).is_absolute() and Path(path).is_dir()
    assert cfg["sphinx"]["config"]["html_copy_source"] is False
    theme = cfg["sphinx"]["config"].get("html_theme_options", {})
    assert "launch_buttons" not in theme and "launch_buttons" not in cfg
    assert INSTRUCTOR_GUIDE not in toc
    pages = re.findall(r"file: (\S+)", (ROOT / "_toc.yml").read_text())
    assert re.findall(r"file: (\S+)", toc) == [p for p in pages if p != INSTRUCTOR_GUIDE]


def test_sphinx_extension_drops_gated_and_plain_solutions(tmp_path):
    sphinx = pytest.importorskip("sphinx.application")
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'sphinx_exercise', 'drop_solutions']\n"
        "myst_enable_extensions = ['colon_fence']\n")
    (tmp_path / "index.md").write_text(textwrap.dedent("""\
        # Page

        :::{exercise}
        :label: ex1
        Visible exercise text.
        :::

        ```{solution-start} ex1
        :class: dropdown
        ```
        Gated hidden words.
        ```{solution-end}
        ```

        :::{solution} ex1
        Plain hidden words.
        :::

        Text after.
        """))
    app = sphinx.Sphinx(str(tmp_path), str(tmp_path), str(tmp_path / "html"),
                        str(tmp_path / "doctrees"), "html", status=None, warning=None,
                        freshenv=True)
    app.build()
    html = (tmp_path / "html" / "index.html").read_text()
    assert "Visible exercise text" in html and "Text after" in html
    assert "hidden words" not in html


# --------------------------------------------------------------------------- checks
def test_checks_explain_unset_and_wrong_answers(capsys):
    with pytest.raises(checks.CheckFailed, match="ex: `x` is not set yet"):
        with checks.exercise("ex"):
            checks.number(..., "x")
    with pytest.raises(checks.CheckFailed, match="is not the sum"):
        with checks.exercise("ex"):
            checks.close(3, 4, "x", what="the sum")
    with checks.exercise("ex"):
        checks.close(4.0, 4, "x", what="the sum")
    assert "✓ ex: all checks hold" in capsys.readouterr().out
    assert checks.CheckFailed("m")._render_traceback_() == ["\x1b[31m✗ m\x1b[0m"]


def test_reading_time_counts_prose_and_code_before_the_exercises(tmp_path):
    from stocklearn.teaching.reading_time import reading_time, rounded_minutes

    source = tmp_path / "09_demo.py"
    source.write_text(
        '# %% tags=["remove-cell"]\nimport os  # the Colab cell: not on the page\n\n'
        "# %% [markdown]\n# # Title\n#\n# " + "word " * 400 + "\n\n"
        "# %%\n# a comment\nx = 1\n\ny = 2\n\n"
        "# %% [markdown]\n# ## Exercises\n#\n# " + "more " * 1000 + "\n\n"
        "# %%\nz = 3\n")
    read = reading_time(source)
    assert (read.words, read.code_lines) == (402, 2)
    assert read.minutes == 402 / 200 + 2 / 20
    assert rounded_minutes(read.minutes) == 5 and rounded_minutes(62.4) == 60


def test_run_times_come_from_the_benchmark_files(tmp_path):
    from stocklearn.teaching.reading_time import run_time_words, run_times

    (tmp_path / "notebooks_fast.csv").write_text(
        "chapter,profile,backend,wall_s\n09_demo,fast,tensorflow,65.2\n"
        "09_demo,fast,jax,48.0\n08_other,fast,jax,1.0\n")
    (tmp_path / "notebooks_full.csv").write_text(
        "chapter,profile,backend,wall_s\n09_demo,full,jax,180.0\n")
    times = run_times(tmp_path, "09_demo")
    assert times == {"fast": {"tensorflow": 65.2, "jax": 48.0}, "full": {"jax": 180.0}}
    assert run_time_words(times) == (
        "fast 48 s on JAX, 65 s on TensorFlow; full 3 min on JAX")
    assert run_time_words(run_times(tmp_path, "07_missing")) == ""


def test_the_instructor_guide_covers_every_chapter_and_graded_exercise():
    guide = (ROOT / "book" / "instructor_guide.md").read_text()
    assert "still being written" not in guide
    toc = (ROOT / "_toc.yml").read_text()
    numbers = [int(n) for n in re.findall(r"file: notebooks/(\d\d)_", toc)]
    assert numbers, "no chapter in _toc.yml"
    teaches = guide.split("## What each chapter teaches")[1].split("\n## ")[0]
    series = guide.split("## One series per student")[1].split("\n## ")[0]
    homework = guide.split("## Homework")[1].split("\n## ")[0]
    for n in numbers:
        assert f"**Chapter {n}," in teaches, f"the guide does not say what chapter {n} teaches"
        assert re.search(rf"^\| {n} \|", series, re.M), \
            f"the guide's DATASET table has no row for chapter {n}"
    for name, chapter in CHAPTERS.items():
        for ex in chapter.graded:
            assert f"| {ex.label} |" in homework, \
                f"{ex.label} ({name}) is graded but missing from the guide's homework table"
