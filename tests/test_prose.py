"""Every number in a chapter's prose comes from its run, from a paper, or is a fixed fact.

:func:`unglued_numbers` reads the markdown cells of every chapter source
(``notebooks/NAME.py``) and of the book's other pages (``book/*.md``), and lists each
number that is neither glued (``{glue:text}`name```, filled in from the run
that builds the page) nor allowed: a number the reproduced papers report or
state (``stocklearn.papers``), a fixed fact of the text (a year or a date, a
ticker, an index name such as CSI 300, a small count or ordinal up to 10, a
formula or code), or one of the short :data:`ALLOWED` list of conventions
and fixed parameters, each with its reason. A number that a run computes
must be glued: only then does the sentence match the output above it in
any profile and on any backend.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

from stocklearn import papers, prose

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(ROOT.glob("notebooks/[0-9]*.py")) + sorted(ROOT.glob("book/*.md"))

ALLOWED: dict[str, str] = {
    "5 %": "the significance level of every test",
    "0.05": "the significance level of every test",
    "95 %": "the other side of the 5 % level (quantiles, confidence)",
    "0.95": "the other side of the 5 % level (the DSR's threshold)",
    "80 %": "the power at which metrics.detectable_gain states a detectable gain",
    "90 %": "the nominal coverage of chapter 7's forecast interval",
    "100 %": "the upper end of a coverage",
    "20 %": "the validation slice's share (prep.make_dataset's val_fraction)",
    "252": "trading days in a year (annualisation)",
    "10 000": "basis points in one (costs)",
    "0.99": "Keras' default batch-normalisation momentum",
    "0.9": "the momentum models.resnet_lstm uses (bn_momentum)",
    "0.5": "the ResNet-LSTM's dropout rate (models.resnet_lstm)",
    "64": "layer sizes of the ResNet-LSTM and of the dense baseline",
    "128": "layer size of the ResNet-LSTM's first LSTM",
    "32": "layer sizes (dense layers, Keras' default batch size)",
    "512": "channels of the ResNet-LSTM's last stage at width 1",
    "20": "the 20-day window, and ARIMA's most lags by the AIC",
    "50": "the 50-day moving average of the classic crossover rule",
    "200": "the 200-day moving average of the crossover rule",
    "0.8": "a named coefficient: the AR(1) errors' and the ratio band's lower end",
    "1.5": "the upper end of chapter 4's 'near persistence' band",
    "0.01": "the output scale of chapter 7's return network (models.scaled_output)",
}
"""Conventions and fixed parameters named in the prose, each with its reason."""

_STRIP = re.compile(
    r"\$\$.*?\$\$"                     # display math
    r"|\$[^$\n]+\$"                    # inline math
    r"|```.*?```"                      # fenced code and directives
    r"|^:::.*$"                        # colon-fence directive lines
    r"|\{[\w:-]+\}`[^`]*`"             # roles: glue, cite, ref, numref, ...
    r"|`[^`\n]*`"                      # inline code
    r"|\]\([^)]*\)|https?://\S+"       # link targets, addresses
    r"|<[^>]+>|^\([\w-]+\)=$"          # HTML tags, MyST targets
    r"|\b(?:19|20)\d\d(?:-\d\d){0,2}\b"  # years and dates
    r"|\b\d{6}\.[A-Z]{2}\b"            # tickers (600000.SH)
    r"|\b(?:CSI|SSE|S&P|NASDAQ|ResNet|MA|AR|ARMA|ARIMA|GARCH|GJR-GARCH)[ -]?\(?[\d,]+\)?"
    r"|\b\d+[:x]\d+\b"                 # times (9:30), splits (4:1), sizes (2x2)
    r"|\bPython \d+\.\d+",              # versions
    re.S | re.M)
_NUMBER = re.compile(r"(?<![\w.\-])\d+(?: \d{3})*(?:\.\d+)?(?: ?%)?(?![\w])")


def _reported_numbers() -> set[float]:
    """Every number the papers module holds: the papers' reported and stated values."""
    values: set[float] = set()

    def walk(obj) -> None:
        if isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                walk(v)
        elif isinstance(obj, (int, float, np.number)) and not isinstance(obj, bool):
            values.add(float(obj))

    walk(papers.SETTINGS)
    for _, table_of in inspect.getmembers(papers, inspect.isfunction):
        if table_of.__module__ != papers.__name__:
            continue
        table = table_of()
        walk(table.select_dtypes("number").stack().tolist())
        walk([float(n) for n in re.findall(r"\d+(?:\.\d+)?",
                                           " ".join(map(str, table.index)))])
    return {v for v in values if np.isfinite(v)}


def _value(token: str) -> float:
    return float(token.replace("%", "").replace(" ", ""))


def markdown_cells(page: Path) -> list[str]:
    """The markdown cells of a chapter source or of a MyST page."""
    return [c.source for c in jupytext.read(page).cells if c.cell_type == "markdown"]


def unglued_numbers(page: Path, reported: set[float] | None = None) -> list[str]:
    """Each number in the page's prose that is neither glued nor allowed, with its context."""
    reported = _reported_numbers() if reported is None else reported
    found = []
    for i, source in enumerate(markdown_cells(page)):
        text = _STRIP.sub(" ", source)
        for match in _NUMBER.finditer(text):
            token = match.group()
            value = _value(token)
            if token in ALLOWED or (token.isdigit() and int(token) <= 10):
                continue
            share = value / 100 if token.endswith("%") else None
            if any(np.isclose(value, r, rtol=0, atol=1e-9) or
                   (share is not None and np.isclose(share, r, atol=1e-9))
                   for r in reported):
                continue
            context = " ".join(text[max(0, match.start() - 50):match.end() + 30].split())
            found.append(f"{page.name}, markdown cell {i}: {token!r} in '...{context}...'")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_glued_or_allowed(page):
    found = unglued_numbers(page)
    assert not found, (
        "numbers in the prose that a run may change: glue them "
        "(stocklearn.prose.glue in the code, {glue:text}`name:.2f` in the text), "
        "or add a fixed one to ALLOWED with its reason:\n" + "\n".join(found))


def test_the_scanner_finds_an_unglued_result_and_skips_the_allowed(tmp_path):
    page = tmp_path / "99_example.py"
    page.write_text(
        "# %% [markdown]\n"
        "# The LSTM's RMSE is 26.79 against the paper's 60.01 on the CSI 300, in 2019-09-11,\n"
        "# at the 5 % level; its {glue:text}`rmse:.2f` is glued and $x_{t+1.5}$ is math,\n"
        "# `lr=0.001` code, 3 seeds, 17 of 61 rows, SPDB (600000.SH) at 9:30.\n"
        "\n# %%\nx = 1.234\n")
    found = unglued_numbers(page)
    assert [f.split(": ")[1].split(" in ")[0] for f in found] == ["'26.79'", "'17'", "'61'"]


def test_the_papers_numbers_are_known_to_the_scanner():
    reported = _reported_numbers()
    assert {60.01, 341.43, 604.0, 1200.0} <= reported
    assert isinstance(papers.lu2024_rmse(), pd.DataFrame)


def test_glue_stores_what_myst_nb_stores(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda data, **kw: shown.append((data, kw)))
    prose.glue("rmse", np.float64(26.7912))
    prose.glue("rmse_shown", 3, display=True)
    (data, kw), (data_shown, kw_shown) = shown
    assert data == {prose.MIME_PREFIX + "text/plain": "26.7912"}
    assert kw["metadata"]["scrapbook"] == {"name": "rmse", "mime_prefix": prose.MIME_PREFIX}
    assert kw["raw"] is True
    assert data_shown == {"text/plain": "3"}
    myst_nb = pytest.importorskip("myst_nb.ext.glue")
    assert myst_nb.GLUE_PREFIX == prose.MIME_PREFIX


def test_glue_refuses_a_number_that_is_not_finite():
    with pytest.raises(ValueError, match="nan"):
        prose.glue("bad", np.nan)
