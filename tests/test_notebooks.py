"""The chapters: committed clean, parameterised, and runnable with a second parameter set.

``pytest --nbval-lax notebooks`` (run by ``make test``) executes every chapter in the
fast profile; the papermill test here executes each one again with the tiny
parameter set of ``tests/notebook_params.json`` (another data set, smallest sizes).
"""

import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PARAMS = json.loads((ROOT / "tests" / "notebook_params.json").read_text())
TOC = (ROOT / "_toc.yml").read_text()


def _ids(paths):
    return [p.name for p in paths]


def test_every_chapter_has_a_tiny_parameter_set_and_a_toc_entry():
    assert NOTEBOOKS, "no notebooks found"
    for nb in NOTEBOOKS:
        assert nb.name in PARAMS, f"{nb.name} has no entry in tests/notebook_params.json"
        assert f"notebooks/{nb.stem}" in TOC, f"{nb.name} is not in _toc.yml"


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
    assert "google.colab" in code[0].source and "pip install" in code[0].source, \
        "first cell must install stocklearn on Colab"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    assert "PROFILE" in tagged[0].source
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Exercises" in text
    assert ":::{exercise}" in text and "{solution}" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_runs_with_the_tiny_parameter_set(path, tmp_path):
    papermill = pytest.importorskip("papermill")
    papermill.execute_notebook(
        str(path), str(tmp_path / path.name), parameters=PARAMS[path.name],
        kernel_name="python3", cwd=str(path.parent), progress_bar=False,
    )
