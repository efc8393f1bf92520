"""Colab's first cell against this checkout: no second TensorFlow or Keras, chapter 1 runs.

Colab comes with TensorFlow, Keras, NumPy, pandas and Jupyter installed. The
test makes a fresh virtual environment that sees the packages of the
project's own environment (TensorFlow and Keras included) as installed ones,
stocklearn excepted, as on Colab. It then runs the first cell of a chapter
with ``google.colab`` present, pointed at this checkout instead of the git
URL, and checks that pip put no TensorFlow or Keras into the new environment
and that chapter 1 then executes there. Run by ``make check-book``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "notebooks" / "01_data.ipynb"
GIT_URL = "git+https://github.com/stocklearn/stocklearn"
OURS = ("stocklearn", "__editable__")  # what Colab does not have


def _colab_like_venv(tmp: Path) -> Path:
    """A venv that sees this environment's packages (not stocklearn) as installed."""
    shared = tmp / "preinstalled"
    shared.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(OURS) and entry.suffix != ".pth":
            (shared / entry.name).symlink_to(entry)
    venv = tmp / "colab"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True)
    Path(site.stdout.strip(), "colab_preinstalled.pth").write_text(f"{shared}\n")
    return python


def _installed(python: Path) -> dict[str, str]:
    out = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"],
                         check=True, capture_output=True, text=True)
    return {d["name"].lower().replace("_", "-"): d["version"] for d in json.loads(out.stdout)}


def test_first_cell_installs_only_stocklearn_and_chapter_one_runs(tmp_path):
    python = _colab_like_venv(tmp_path)
    before = _installed(python)
    assert "tensorflow" in before or "tensorflow-cpu" in before, before
    assert "keras" in before and "stocklearn" not in before

    first = nbformat.read(CHAPTER, as_version=4).cells[0].source
    assert GIT_URL in first, "the first cell no longer installs from the git URL"
    cell = first.replace(GIT_URL, ROOT.as_uri())
    colab = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    subprocess.run([str(python), "-c", colab + cell], check=True, cwd=tmp_path,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})

    after = _installed(python)
    assert "stocklearn" in after
    own = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                               "get_paths()['purelib'])"], check=True, capture_output=True,
                              text=True).stdout.strip())
    second = sorted(p.name for p in own.iterdir()
                    if p.name.lower().startswith(("tensorflow", "keras", "tf_keras")))
    assert not second, f"pip installed a second TensorFlow/Keras: {second}"
    changed = {k: (before[k], v) for k, v in after.items() if k in before and before[k] != v}
    assert not changed, f"the first cell changed Colab's packages: {changed}"

    executed = tmp_path / "01_data.ipynb"
    path = f"{python.parent}{os.pathsep}{os.environ['PATH']}"  # its kernel: this python
    subprocess.run([str(python), "-m", "papermill", "-k", "python3", "--cwd",
                    str(CHAPTER.parent), str(CHAPTER), str(executed)], check=True,
                   env={**os.environ, "MPLBACKEND": "Agg", "PATH": path})
    nb = nbformat.read(executed, as_version=4)
    assert all(o.get("output_type") != "error" for c in nb.cells for o in c.get("outputs", []))
