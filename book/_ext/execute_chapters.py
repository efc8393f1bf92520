"""Execute the chapters into the book's execution cache, several at a time.

``make book`` runs this before ``jupyter-book build``. Three jobs:

* **A cache that is never stale.** jupyter-cache keys a notebook on its code
  only. The chapters also compute from the package's source, the shipped
  data (``stocklearn/datasets``), the profile and the Keras backend, so this
  script keeps a digest of all of them in the cache folder
  (:func:`build_key`) and starts the cache afresh when it differs: a one-line
  change in ``stocklearn`` re-executes every chapter.
* **Verdict rows that travel with the cache.** The chapters save their result
  rows (:mod:`stocklearn.results`) into ``results/`` inside the cache folder
  (``STOCKLEARN_RESULTS``, set here and by ``make book`` for the build), so a build that executes
  nothing still finds every chapter's rows, and a chapter whose rows are
  missing is executed again.
* **Speed.** Every chapter not in the cache is executed here, ``--jobs`` at a
  time, each in a fresh worker, and stored as the build would store it, with
  its wall time, its kernel's peak memory, the profile and the backend (the
  execution-times page reads them). The build then finds every chapter
  cached and only renders. A chapter that fails here is left for the build,
  which executes it again and reports the error in its usual way.

Usage::

    python book/_ext/execute_chapters.py [--jobs 2] [--timeout 1800] notebooks/*.ipynb
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import shutil
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path("_build/.jupyter_cache")
KEY_FILE = "stocklearn-build-key"
RESULTS = "results"


def build_key(root: Path, profile: str, backend: str) -> str:
    """Digest of everything a chapter computes from besides its own code.

    Parameters
    ----------
    root : Path
        The repository (the folder holding ``stocklearn/``).
    profile, backend : str
        ``STOCKLEARN_PROFILE`` and ``KERAS_BACKEND`` of the build.

    Returns
    -------
    str
        SHA-256 over the profile, the backend and every file of the package
        (its source and the bundled data sets), names and contents.
    """
    digest = hashlib.sha256(f"profile={profile}\nbackend={backend}\n".encode())
    package = root / "stocklearn"
    files = sorted(p for p in package.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def prepare_cache(cache: Path, key: str) -> bool:
    """Empty ``cache`` (results included) unless it was built with ``key``.

    Returns
    -------
    bool
        True when the cache was kept, False when it was started afresh.
    """
    stamp = cache / KEY_FILE
    if stamp.exists() and stamp.read_text().strip() == key:
        return True
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    stamp.write_text(key + "\n")
    return False


def saves_results(path: Path) -> str | None:
    """The chapter name a notebook saves its verdict rows under, if it does."""
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return path.stem if f'results.save("{path.stem}"' in code else None


def _execute(path: Path, timeout: int) -> tuple[Path, nbformat.NotebookNode, dict, str | None]:
    """Execute one notebook; sample its kernel's memory every 0.2 s meanwhile."""
    from jupyter_cache.executors.utils import single_nb_execution

    peak, done = [0], threading.Event()

    def sample() -> None:
        me = psutil.Process()
        while not done.wait(0.2):
            for child in me.children(recursive=True):
                try:
                    peak[0] = max(peak[0], child.memory_info().rss)
                except psutil.Error:
                    pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(path.parent.resolve()), allow_errors=False,
                                 timeout=timeout, meta_override=True)
    done.set()
    sampler.join()
    data = {"execution_seconds": result.time, "peak_rss_kernel_mb": round(peak[0] / 2**20),
            "profile": os.environ.get("STOCKLEARN_PROFILE", "fast"),
            "backend": os.environ.get("KERAS_BACKEND", "tensorflow")}
    return path, nb, data, result.exc_string if result.err else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args()
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    profile = os.environ.get("STOCKLEARN_PROFILE") or "fast"
    backend = os.environ.get("KERAS_BACKEND") or "tensorflow"
    os.environ["STOCKLEARN_RESULTS"] = str((CACHE / RESULTS).resolve())
    if not prepare_cache(CACHE, build_key(ROOT, profile, backend)):
        print(f"execute_chapters: new cache ({profile} profile, {backend}; the package, "
              "its data, the profile or the backend changed since the last build)")
    cache = get_cache(str(CACHE))
    todo = []
    for path in args.notebooks:
        chapter = saves_results(path)
        rows = CACHE / RESULTS / profile / f"{chapter}.csv"
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
            continue
        if chapter and not rows.exists():
            print(f"  {path}: cached, but its verdict rows are missing: executing it again")
            todo.append(path)
    # longest first (the biggest file is the slowest chapter), so the jobs end together
    todo.sort(key=lambda p: p.stat().st_size, reverse=True)
    print(f"execute_chapters: {len(args.notebooks) - len(todo)} cached, "
          f"{len(todo)} to execute, {args.jobs} at a time")
    start = time.perf_counter()
    # a fresh worker per chapter ("spawn"): its kernel is the worker's only child
    # while it runs, and no chapter inherits another's memory
    spawn = multiprocessing.get_context("spawn")
    try:
        pool = ProcessPoolExecutor(args.jobs, mp_context=spawn, max_tasks_per_child=1)
    except TypeError:  # Python 3.10 has no max_tasks_per_child
        pool = ProcessPoolExecutor(args.jobs, mp_context=spawn)
    with pool:
        for path, nb, data, error in pool.map(_execute, todo, [args.timeout] * len(todo)):
            seconds = data["execution_seconds"]
            if error:
                print(f"  {path}: failed after {seconds:.0f} s; the build will report it")
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path.resolve()), data=data),
                                        check_validity=False, overwrite=True)
            print(f"  {path}: {seconds:.0f} s, kernel peak {data['peak_rss_kernel_mb']} MB")
    print(f"execute_chapters: done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
