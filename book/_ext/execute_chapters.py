"""Execute the chapters into the book's execution cache, several at a time.

``make book`` runs this before ``jupyter-book build``: every chapter whose code
is not in the cache yet is executed here, ``--jobs`` at a time, and stored
exactly as the build would store it (jupyter-cache, keyed on the notebook's
code). The build then finds every chapter cached and only renders, so a
clean build on two cores takes about the time of its longest chapters
instead of their sum. A chapter that fails here is left for the build,
which executes it again and reports the error in its usual way.

Usage::

    python book/_ext/execute_chapters.py [--jobs 2] [--timeout 1800] notebooks/*.ipynb
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

CACHE = Path("_build/.jupyter_cache")


def _execute(path: Path, timeout: int) -> tuple[Path, nbformat.NotebookNode, float, str | None]:
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(path.parent.resolve()), allow_errors=False,
                                 timeout=timeout, meta_override=True)
    return path, nb, result.time, result.exc_string if result.err else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args()
    cache = get_cache(str(CACHE))
    todo = []
    for path in args.notebooks:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    # longest first (the biggest file is the slowest chapter), so the jobs end together
    todo.sort(key=lambda p: p.stat().st_size, reverse=True)
    print(f"execute_chapters: {len(args.notebooks) - len(todo)} cached, "
          f"{len(todo)} to execute, {args.jobs} at a time")
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        for path, nb, seconds, error in pool.map(_execute, todo, [args.timeout] * len(todo)):
            if error:
                print(f"  {path}: failed after {seconds:.0f} s; the build will report it")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(path.resolve()), data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            print(f"  {path}: {seconds:.0f} s")
    print(f"execute_chapters: done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
