"""The book's execution cache never shows numbers the current package would not compute.

``book/_ext/execute_chapters.py`` (run by ``make book``) keeps a digest of the
package's source, its bundled data, the profile and the Keras backend in the
cache folder, and starts the cache afresh (verdict rows included) when it
changes; a chapter that is cached but whose verdict rows are missing runs again.
"""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("execute_chapters",
                                              ROOT / "book" / "_ext" / "execute_chapters.py")
execute_chapters = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(execute_chapters)


@pytest.fixture
def repo(tmp_path):
    """A copy of the package (source and bundled data) in a repository of its own."""
    shutil.copytree(ROOT / "stocklearn", tmp_path / "stocklearn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_one_line_change_in_the_package_or_its_data_changes_the_key(repo):
    key = execute_chapters.build_key(repo, "fast", "tensorflow")
    assert execute_chapters.build_key(repo, "fast", "tensorflow") == key
    source = repo / "stocklearn" / "metrics.py"
    source.write_text(source.read_text() + "\n# one more line\n")
    changed = execute_chapters.build_key(repo, "fast", "tensorflow")
    assert changed != key
    rows = repo / "stocklearn" / "datasets" / "csi300.csv"
    rows.write_text(rows.read_text().replace("\n", "\r\n", 1))
    assert execute_chapters.build_key(repo, "fast", "tensorflow") not in {key, changed}


def test_the_key_changes_with_the_profile_and_the_backend_only(repo):
    keys = {execute_chapters.build_key(repo, p, b)
            for p in ("fast", "full") for b in ("tensorflow", "jax")}
    assert len(keys) == 4
    (repo / "stocklearn" / "__pycache__").mkdir(exist_ok=True)
    (repo / "stocklearn" / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    (repo / "README.md").write_text("not the package")
    assert execute_chapters.build_key(repo, "fast", "jax") in keys


def test_the_cache_and_its_verdict_rows_are_emptied_when_the_key_changes(tmp_path):
    cache = tmp_path / ".jupyter_cache"
    assert not execute_chapters.prepare_cache(cache, "one")  # new
    rows = cache / execute_chapters.RESULTS / "fast" / "03_rnn_lstm_gru.csv"
    rows.parent.mkdir(parents=True)
    rows.write_text("chapter\n")
    assert execute_chapters.prepare_cache(cache, "one")      # kept
    assert rows.exists()
    assert not execute_chapters.prepare_cache(cache, "two")  # started afresh
    assert not rows.exists() and cache.is_dir()


def test_chapters_that_save_verdict_rows_are_known():
    saving = {p.stem for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
              if execute_chapters.saves_results(p)}
    assert {"01_data", "02_preparing_data"}.isdisjoint(saving)
    assert {"03_rnn_lstm_gru", "04_resnet_lstm", "05_associated_net",
            "06_error_correction", "07_forecasts_to_decisions", "08_volatility"} <= saving
