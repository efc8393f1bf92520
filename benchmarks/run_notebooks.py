"""Execute every chapter and record its wall time and peak memory.

Usage::

    python benchmarks/run_notebooks.py --profile fast --backend jax [--only 03_rnn_lstm_gru]

Each notebook runs with papermill in a fresh process; the memory of the whole
process tree (papermill plus its kernel) is sampled every 0.2 s. Results go to
``benchmarks/results/notebooks_<profile>.csv`` (one row per chapter and Keras
backend, replaced on re-run), which the book's execution-time page shows.
``--keep DIR`` keeps the executed notebooks (to compare their tables).
``--record`` (every chapter, a clean checkout) keeps the run's result rows in
the package as the profile's recorded run (``stocklearn/recorded/<profile>``,
:func:`stocklearn.results.record`), with the commit, backend and date: what
the ``fast`` build shows beside its own verdicts.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """Total RSS of a process and its descendants, and the largest single RSS."""
    total = largest = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


def run_one(notebook: Path, profile: str, backend: str, keep: Path | None = None,
            results: Path | None = None) -> dict:
    """Execute one notebook with papermill; return its wall time and peak memory.

    ``results`` is the folder the chapters save their result rows in
    (``STOCKLEARN_RESULTS``; default the user's).
    """
    env = {**os.environ, "STOCKLEARN_PROFILE": profile, "KERAS_BACKEND": backend}
    if results is not None:
        env["STOCKLEARN_RESULTS"] = str(results)
    with tempfile.TemporaryDirectory() as tmp:
        out = (keep or Path(tmp)) / notebook.name
        cmd = [sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3",
               "--cwd", str(notebook.parent), str(notebook), str(out)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ps = psutil.Process(proc.pid)
        peak_total = peak_single = 0
        while proc.poll() is None:
            total, largest = _tree_rss(ps)
            peak_total, peak_single = max(peak_total, total), max(peak_single, largest)
            time.sleep(0.2)
        wall = time.perf_counter() - start
        err = proc.stderr.read().decode(errors="replace")
    if proc.returncode:
        raise RuntimeError(f"{notebook.name} failed:\n{err[-3000:]}")
    return {
        "chapter": notebook.stem,
        "profile": profile,
        "backend": backend,
        "wall_s": round(wall, 1),
        "peak_rss_tree_mb": round(peak_total / 2**20),
        "peak_rss_kernel_mb": round(peak_single / 2**20),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "date": date.today().isoformat(),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the chapters and merge their rows into the profile's CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="fast", choices=["fast", "full"])
    parser.add_argument("--backend", default="tensorflow", choices=["tensorflow", "jax", "torch"])
    parser.add_argument("--only", nargs="*", help="chapter stems to run (default: all)")
    parser.add_argument("--keep", type=Path, help="folder to keep the executed notebooks in")
    parser.add_argument("--record", action="store_true",
                        help="keep the run's result rows as the profile's recorded run")
    args = parser.parse_args(argv)
    commit = None
    if args.record:
        if args.only:
            parser.error("--record needs a run of every chapter (no --only)")
        git = ["git", "-C", str(ROOT)]
        if subprocess.run(git + ["status", "--porcelain", "--", "notebooks", "stocklearn"],
                          capture_output=True, text=True, check=True).stdout.strip():
            parser.error("--record needs a clean checkout of notebooks/ and stocklearn/")
        commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    saved = Path(tempfile.mkdtemp(prefix="stocklearn-results-")) if args.record else None
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.only:
        notebooks = [nb for nb in notebooks if nb.stem in args.only]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"notebooks_{args.profile}.csv"
    table = pd.read_csv(out) if out.exists() else pd.DataFrame()
    for nb in notebooks:
        row = run_one(nb, args.profile, args.backend, args.keep, saved)
        print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        if len(table):
            if "backend" not in table.columns:  # rows from before backends were recorded
                table.insert(2, "backend", "tensorflow")
            table = table[(table["chapter"] != row["chapter"])
                          | (table["backend"] != row["backend"])]
        table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
        table.sort_values(["chapter", "backend"]).to_csv(out, index=False)
    if args.record:
        sys.path.insert(0, str(ROOT))
        from stocklearn.results import record

        kept = record(saved, profile=args.profile, backend=args.backend, commit=commit)
        print(f"recorded the run's result rows (commit {commit[:7]}) in {kept}")


if __name__ == "__main__":
    main()
