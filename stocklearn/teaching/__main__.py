"""The command line: ``python -m stocklearn.teaching student|grade``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from stocklearn.teaching.edition import build_student_edition
from stocklearn.teaching.grading import _parse_value, grade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stocklearn.teaching",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("student", help="student notebooks, autograders, student book config")
    st.add_argument("sources", nargs="+", help="chapter text sources (notebooks/NN_*.py)")
    st.add_argument("--out", default="_build/student")
    st.add_argument("--no-autograder", action="store_true")
    gr = sub.add_parser("grade", help="grade submitted notebooks with otter-grader")
    gr.add_argument("submissions", nargs="+", help="notebooks or folders of notebooks")
    gr.add_argument("--autograder", default="_build/student/autograder")
    gr.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="set a parameter in every submission (VALUE as JSON, else text)")
    gr.add_argument("--params", metavar="FILE",
                    help='per-notebook parameters, {"NN_name.ipynb": {...}}')
    gr.add_argument("--jobs", type=int, default=1)
    gr.add_argument("--csv", default=None, help="also write the table here")
    args = parser.parse_args(argv)

    if args.command == "student":
        table = build_student_edition(args.sources, args.out,
                                      autograders=not args.no_autograder)
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            print(table.drop(columns=["notebook"]).to_string())
        print(f"student notebooks: {Path(args.out) / 'notebooks'}")
        return 0

    params = {}
    for item in args.param:
        key, _, value = item.partition("=")
        params[key.strip()] = _parse_value(value)
    chapter_params = json.loads(Path(args.params).read_text()) if args.params else None
    table = grade(args.submissions, args.autograder, params=params,
                  chapter_params=chapter_params, jobs=args.jobs)
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv)
    shown = table.drop(columns="error") if not table["error"].astype(bool).any() else table
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(shown.to_string(na_rep="-"))
    if args.csv:
        print(f"written to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
