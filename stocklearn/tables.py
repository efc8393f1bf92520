"""The book's tables: our numbers beside the paper's, and every table as display strings.

* :func:`paper_comparison`: one row per experiment: the paper's number and
  its source, ours (the seed ensemble, and per seed: mean and std), the
  baselines, and the Diebold-Mariano p-value of the ensemble against
  persistence, from the score tables of :mod:`stocklearn.evaluation`.
* :func:`format_table`: any such table as strings ("58.31 ± 1.20",
  "<0.001"), ready to show in a notebook or a Jupyter Book page.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import pandas as pd

from stocklearn.evaluation import PER_SEED, STD

# "mean ± std" never breaks across lines in a table: no-break spaces around ±.
PLUS_MINUS = "\u00a0±\u00a0"


def _paper_values(paper: pd.Series | pd.DataFrame, column: str | None) -> pd.DataFrame:
    """The paper's numbers as a frame with columns ``paper`` and ``source``."""
    if isinstance(paper, pd.Series):
        return pd.DataFrame({"paper": paper.astype(float), "source": paper.attrs.get("source")})
    numeric = [c for c in paper.columns if c != "source"]
    if column is None:
        if len(numeric) != 1:
            raise ValueError(f"the paper's table has columns {numeric}: say which with column=")
        column = numeric[0]
    source = paper["source"] if "source" in paper.columns else None
    return pd.DataFrame({"paper": paper[column].astype(float), "source": source})


def _comparison(paper: pd.Series | pd.DataFrame, column: str | None,
                rows: Mapping[Hashable, dict]) -> pd.DataFrame:
    """Join the paper's numbers with our rows, in the paper's order then ours."""
    table = _paper_values(paper, column)
    ours = pd.DataFrame.from_dict(rows, orient="index")
    if isinstance(table.index, pd.MultiIndex) and len(ours):
        ours.index = pd.MultiIndex.from_tuples(ours.index, names=table.index.names)
    else:
        ours.index.name = table.index.name
    extra = [k for k in ours.index if k not in table.index]
    return table.reindex(list(table.index) + extra).join(ours)


def paper_comparison(
    paper: pd.Series | pd.DataFrame,
    scores: Mapping[Hashable, pd.DataFrame],
    *,
    model: str | Mapping[Hashable, str] = "model",
    metric: str = "RMSE",
    baselines: Iterable[str] = ("persistence", "linear"),
    column: str | None = None,
) -> pd.DataFrame:
    """The book's table: the paper's number beside ours and the baselines, per experiment.

    Parameters
    ----------
    paper : Series or DataFrame
        The paper's numbers indexed by experiment, e.g. ``papers.lu2024_rmse()``
        (index (index, model)); a ``source`` column is carried along.
    scores : mapping of experiment to DataFrame
        The output of :func:`score` (or :func:`score_dataset`) for each
        experiment. Keys are index labels of ``paper`` (tuples for a
        MultiIndex); experiments the paper lacks are appended.
    model : str or mapping of experiment to str, default "model"
        The row of each score table that is "ours".
    metric : str, default "RMSE"
        Column of the score tables to compare (the paper's metric).
    baselines : iterable of str, default ("persistence", "linear")
        Rows of the score tables shown as baseline columns (skipped when absent).
    column : str, optional
        Which column of ``paper`` holds the number (e.g. "test"); needed when
        it has more than one besides ``source``.

    Returns
    -------
    DataFrame
        Columns paper, source, ours (the seed ensemble's score: the forecast
        that is tested), per seed and per seed std (each seed's own score:
        mean and std, ddof 1; NaN for one seed; what the paper's single run
        compares with), seeds, one per baseline, and DM p (the score
        table's, of the ensemble against its reference forecast), and where
        the score table has them CW p, detectable (the gain the test could
        detect) and DM p linear. Render it with :func:`format_table`.
    """
    rows = {}
    for key, table in scores.items():
        name = model if isinstance(model, str) else model[key]
        row = table.loc[name]
        rows[key] = {"ours": row[metric], "per seed": row[metric + PER_SEED],
                     "per seed" + STD: row[metric + PER_SEED + STD], "seeds": row["seeds"]}
        for b in baselines:
            if b in table.index:
                rows[key][b] = table.loc[b, metric]
        for extra in ("DM p", "CW p", "detectable", "DM p linear"):
            if extra in table.columns and not pd.isna(row[extra]):
                rows[key][extra] = row[extra]
    return _comparison(paper, column, rows)


def _number(value, decimals: int) -> str:
    return "–" if pd.isna(value) else f"{value:.{decimals}f}"


def _p_value(value) -> str:
    return "–" if pd.isna(value) else ("<0.001" if value < 0.001 else f"{value:.3f}")


def format_table(df: pd.DataFrame, decimals: int | Mapping[str, int] = 2) -> pd.DataFrame:
    """The table as strings for display: "58.31 ± 1.20", p-values "0.003" or "<0.001".

    Every column ``c`` that has a ``c + " std"`` partner becomes ``"mean ± std"``
    (just the mean when the std is NaN); p-value columns (``p`` is one of the
    words of the name: ``DM p``, ``p vs linear``, ``CW p adj``) get three
    decimals; ``seeds`` stays an integer; ``detectable`` (a share) shows
    as a percentage; text columns are kept; missing
    values show as "–".

    Parameters
    ----------
    df : DataFrame
        From :func:`score` or :func:`paper_comparison`.
    decimals : int or mapping of column to int, default 2
        Decimals of numbers; a mapping gives them per column (others get 2).

    Returns
    -------
    DataFrame
        Same index, the std columns folded in, all cells strings.
    """
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        if col.endswith(STD) and col[: -len(STD)] in df.columns:
            continue
        d = decimals.get(col, 2) if isinstance(decimals, Mapping) else decimals
        values = df[col]
        if col == "seeds":
            out[col] = [_number(v, 0) for v in values]
        elif col == "detectable":
            out[col] = ["–" if pd.isna(v) else f"{100 * v:.1f} %" for v in values]
        elif "p" in str(col).split():  # "DM p", "p vs linear", "CW p adj", ...
            out[col] = [_p_value(v) for v in values]
        elif not pd.api.types.is_numeric_dtype(values):
            out[col] = ["–" if pd.isna(v) else str(v) for v in values]
        elif col + STD in df.columns:
            out[col] = [_number(v, d) + ("" if pd.isna(s) else f"{PLUS_MINUS}{s:.{d}f}")
                        for v, s in zip(values, df[col + STD], strict=True)]
        else:
            out[col] = [_number(v, d) for v in values]
    return out
