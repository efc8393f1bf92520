"""Time chapter 6's experiment grid in-process and fanned out over processes.

Usage::

    python benchmarks/grid_executors.py --profile full --executors none loky

Each executor runs the whole chapter with papermill in a fresh process
(``GRID_EXECUTOR`` set through its parameters); the chapter prints how long
its two grid stages took, and this script reads that line back. Results go
to ``benchmarks/results/grid_executors.csv`` (one row per profile, executor
and Keras backend, replaced on re-run). ``--keep DIR`` keeps the executed
notebooks, to check that the tables agree between executors.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import nbformat
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06_error_correction.ipynb"
OUT = ROOT / "benchmarks" / "results" / "grid_executors.csv"
LINE = re.compile(r"(\d+) NN1 runs in (\d+) s and (\d+) NN2 runs in (\d+) s")


def grid_times(executed: Path) -> tuple[int, int, int, int]:
    """Runs and seconds of the two grid stages, as the chapter printed them."""
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            match = LINE.search(out.get("text", ""))
            if match:
                return tuple(int(g) for g in match.groups())
    raise RuntimeError(f"{executed.name}: no grid timing line found")


def run_one(executor: str, profile: str, keras_backend: str, jobs: int | None,
            keep: Path | None) -> dict:
    """Execute the chapter with one grid executor; return its timings."""
    env = {**os.environ, "STOCKLEARN_PROFILE": profile, "KERAS_BACKEND": keras_backend}
    params = ["-p", "GRID_EXECUTOR", executor] if executor != "none" else []
    if jobs:
        params += ["-p", "GRID_JOBS", str(jobs)]
    with tempfile.TemporaryDirectory() as tmp:
        env.setdefault("STOCKLEARN_RESULTS", str(Path(tmp) / "results"))
        out = (keep or Path(tmp)) / f"06_error_correction_{executor}.ipynb"
        cmd = [sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3",
               "--cwd", str(NOTEBOOK.parent), *params, str(NOTEBOOK), str(out)]
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        nn1_runs, nn1_s, nn2_runs, nn2_s = grid_times(out)
    return {"profile": profile, "keras_backend": keras_backend, "grid_executor": executor,
            "jobs": 1 if executor == "none" else (jobs or os.cpu_count()),
            "nn1_runs": nn1_runs, "nn2_runs": nn2_runs,
            "nn1_s": nn1_s, "nn2_s": nn2_s, "grid_s": nn1_s + nn2_s,
            "chapter_wall_s": round(wall, 1), "cpus": os.cpu_count(),
            "machine": platform.machine(), "date": date.today().isoformat()}


def main(argv: list[str] | None = None) -> None:
    """Run the chapter once per grid executor and merge the rows into the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="fast", choices=["fast", "full"])
    parser.add_argument("--backend", default="tensorflow",
                        choices=["tensorflow", "jax", "torch"], help="Keras backend")
    parser.add_argument("--executors", nargs="+", default=["none", "loky"],
                        choices=["none", "loky"], help="grid executors to time")
    parser.add_argument("--jobs", type=int, help="processes for loky (default: CPU cores)")
    parser.add_argument("--keep", type=Path, help="folder to keep the executed notebooks in")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    table = pd.read_csv(OUT) if OUT.exists() else pd.DataFrame()
    for executor in args.executors:
        row = run_one(executor, args.profile, args.backend, args.jobs, args.keep)
        print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        if len(table):
            same = ((table["profile"] == row["profile"])
                    & (table["keras_backend"] == row["keras_backend"])
                    & (table["grid_executor"] == row["grid_executor"]))
            table = table[~same]
        table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(OUT, index=False)


if __name__ == "__main__":
    main()
