"""The chapters: text sources in sync with their notebooks, committed clean, runnable.

Every chapter is a pair: ``notebooks/NAME.py`` (jupytext's percent format, the
source) and ``notebooks/NAME.ipynb`` (made from it by ``make sync``).
The papermill test here executes every chapter with the tiny parameter set of
``tests/notebook_params.json`` (another data set, smallest sizes), exercise
solutions included, and tries each graded check against the student's stub
and wrong answers. ``make check-book`` executes every chapter once more, in
the fast profile, into the book.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from stocklearn import teaching

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOURCES = sorted((ROOT / "notebooks").glob("[0-9]*.py"))
PARAMS = json.loads((ROOT / "tests" / "notebook_params.json").read_text())
WRONG_ANSWERS = json.loads((ROOT / "tests" / "teaching_wrong_answers.json").read_text())
TOC = (ROOT / "_toc.yml").read_text()
# chapters whose code never loads a Keras backend (test_chapter_never_imports_keras)
NO_KERAS = ["01_data.ipynb"]


def _ids(paths):
    return [p.name for p in paths]


def _cells(nb):
    """What must agree between a text source and its notebook."""
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]


def test_every_chapter_is_a_pair_with_a_tiny_parameter_set_and_a_toc_entry():
    assert NOTEBOOKS, "no notebooks found"
    assert [p.stem for p in SOURCES] == [p.stem for p in NOTEBOOKS], \
        "every notebooks/NAME.ipynb needs its text source notebooks/NAME.py and vice versa"
    for nb in NOTEBOOKS:
        assert nb.name in PARAMS, f"{nb.name} has no entry in tests/notebook_params.json"
        assert f"notebooks/{nb.stem}" in TOC, f"{nb.name} is not in _toc.yml"


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_text_source_and_notebook_are_in_sync(source):
    text = jupytext.read(source)
    nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert _cells(text) == _cells(nb), (
        f"{source.name} and {source.with_suffix('.ipynb').name} differ: run `make sync` "
        "(or see 'Editing a chapter' in README.md if you edited the .ipynb)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_structure(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "google.colab" in code[0].source and "pip" in code[0].source, \
        "first cell must install stocklearn on Colab"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    assert "PROFILE" in tagged[0].source
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Exercises" in text
    assert ":::{exercise}" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_code_fits_the_books_code_column(path):
    """At 1280 px the book's code column shows 78 characters (ruff lets URLs pass)."""
    nb = nbformat.read(path, as_version=4)
    wide = [line for c in nb.cells if c.cell_type == "code"
            for line in c.source.splitlines() if len(line) > 78]
    assert not wide, f"{path.name}: code lines over 78 characters: {wide[:3]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_solutions_with_code_are_executed_code_cells(path):
    """A solution's code lives in code cells between solution-start and solution-end.

    Code fences inside a solution would never run; the gated syntax keeps the
    code cells in a closed dropdown in the book, and the chapter runs execute them.
    """
    nb = nbformat.read(path, as_version=4)
    inside, code_seen = False, False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            code_seen = code_seen or inside
            continue
        source = cell.source
        plain = re.findall(r"::::?\{solution\}.*?\n::::?\s*$", source, flags=re.S | re.M)
        assert not any("```python" in block for block in plain), \
            f"{path.name}: a solution keeps code in a fence; make it gated code cells"
        # the gated markers, in the order they appear
        for marker in re.finditer(r"\{solution-(start|end)\}|```python", source):
            if marker.group(0) == "```python":
                assert not inside, f"{path.name}: a code fence inside a gated solution"
            elif marker.group(1) == "start":
                assert not inside, f"{path.name}: solution-start inside a solution"
                inside, code_seen = True, False
            else:
                assert inside, f"{path.name}: solution-end without solution-start"
                assert code_seen, f"{path.name}: a gated solution without a code cell"
                inside = False
    assert not inside, f"{path.name}: a solution-start without solution-end"


@pytest.mark.slow
@pytest.mark.parametrize("name", NO_KERAS)
def test_chapter_never_imports_keras(name):
    """Chapter 1 does not train: its code, run in a fresh process, loads no Keras backend."""
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    check = ("import sys\nprint(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') "
             "if m in sys.modules))")
    everything = "\n\n".join([*code, check])  # so the imports alone load none either
    out = subprocess.run([sys.executable, "-c", everything], capture_output=True, text=True,
                         cwd=ROOT / "notebooks", check=True,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _chapter_runs():
    """Every chapter, slow; those that train also depend on the Keras backend."""
    return [pytest.param(p, id=p.name, marks=[pytest.mark.slow, pytest.mark.chapter] + (
        [] if p.name in NO_KERAS else [pytest.mark.keras])) for p in NOTEBOOKS]


@pytest.mark.parametrize("path", _chapter_runs())
def test_runs_with_the_tiny_parameter_set(path, tmp_path, monkeypatch):
    papermill = pytest.importorskip("papermill")
    # tiny results must not replace the fast profile's, which the verdict page reads
    monkeypatch.setenv("STOCKLEARN_RESULTS", str(tmp_path / "results"))
    # after each graded exercise's check, a cell makes sure the check also rejects the
    # student's stub and plausible wrong answers (stocklearn.teaching.with_check_trials)
    source = tmp_path / "check_trials" / path.name
    source.parent.mkdir()
    nbformat.write(teaching.with_check_trials(path, WRONG_ANSWERS), source)
    for attempt in (1, 2):
        try:
            papermill.execute_notebook(
                str(source), str(tmp_path / path.name), parameters=PARAMS[path.name],
                kernel_name="python3", cwd=str(path.parent), progress_bar=False,
            )
            break
        except RuntimeError as exc:
            # kernels started at the same moment by parallel workers can pick the
            # same port (jupyter_client); the kernel then dies before running a cell
            if attempt == 2 or "before replying to kernel_info" not in str(exc):
                raise
    # what a learner would see under the cells: no TensorFlow start-up noise
    executed = nbformat.read(tmp_path / path.name, as_version=4)
    shown = "".join(out.get("text", "") for cell in executed.cells if cell.cell_type == "code"
                    for out in cell.get("outputs", []))
    for noise in ("oneDNN", "absl::", "cpu_feature_guard", "retracing"):
        assert noise not in shown, f"{path.name}: TensorFlow's {noise!r} lines in the outputs"
