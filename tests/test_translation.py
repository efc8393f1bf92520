"""The Chinese edition never silently falls behind (book/_ext/translation.py).

* every translation source matches the structure of its English page (one
  markdown unit per English unit, no code): otherwise this fails;
* every Chinese page is composed with exactly the English page's code cells
  and metadata (so the English execution cache serves it): otherwise this
  fails, and the pages kept in git (``zh/``) are those the sources make;
* stale units (English text changed since the translation) fail, listed by
  number, and a page built in between carries a visible note linking the
  English page.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("translation",
                                              ROOT / "book" / "_ext" / "translation.py")
translation = importlib.util.module_from_spec(SPEC)
sys.modules["translation"] = translation  # its dataclasses look their module up
SPEC.loader.exec_module(translation)

PAGES = translation.english_pages(ROOT)
NAMES = [str(p.relative_to(ROOT)) for p in PAGES]


def test_digest_ignores_trailing_spaces_and_blank_edges():
    assert translation.digest("a  \nb\n\n") == translation.digest("\na\nb")
    assert translation.digest("a\nb") != translation.digest("a\nc")


def test_sections_cut_before_headings_outside_code_fences():
    text = "# T\n\nintro\n\n## A\n\ntext\n\n```bash\n# not a heading\n```\n\n## B\nend"
    units = translation.sections(text)
    assert [u.splitlines()[0] for u in units] == ["# T", "## A", "## B"]
    assert "# not a heading" in units[1]


@pytest.mark.parametrize("page", PAGES, ids=NAMES)
def test_translation_matches_its_english_page(page):
    """Structure: one unit per English unit, no code, nothing left in English."""
    st = translation.status(page)
    assert st.translated and not st.english, "\n".join(st.lines())
    assert not st.problem, "\n".join(st.lines())


@pytest.mark.parametrize("page", PAGES, ids=NAMES)
def test_translation_is_up_to_date(page):
    """Every unit translates the English text as it is now: an edited English cell
    fails here, listed by number, until its Chinese text is updated and
    ``translation.py refresh`` records the new digest (a build in between shows
    the stale unit with a note linking the English page)."""
    st = translation.status(page)
    assert not st.stale, "\n".join(st.lines())


@pytest.mark.parametrize("page", PAGES, ids=NAMES)
def test_chinese_page_has_the_english_code(page, tmp_path):
    target = translation.compose_page(page, tmp_path, ROOT)
    english = translation.read_english(page)
    if english is None:  # a plain Markdown page has no code to keep
        assert "```{code-cell}" not in target.read_text(encoding="utf-8")
        return
    chinese = (nbformat.read(target, as_version=4) if target.suffix == ".ipynb"
               else jupytext.read(target))
    assert translation.code_cells(chinese) == translation.code_cells(english), (
        f"{target.name}: its code cells differ from the English page's")
    assert chinese.metadata.get("kernelspec") == english.metadata.get("kernelspec")
    if page.suffix == ".md":  # the English front matter (execution options) is kept
        head = page.read_text(encoding="utf-8").split("\n---", 1)[0]
        assert target.read_text(encoding="utf-8").startswith(head)


@pytest.mark.parametrize("page", PAGES, ids=NAMES)
def test_the_chinese_book_in_git_is_what_the_sources_make(page, tmp_path):
    made = translation.compose_page(page, tmp_path, ROOT)
    kept = ROOT / translation.ZH / made.relative_to(tmp_path)
    assert kept.exists(), f"{kept.relative_to(ROOT)} missing: run `make sync`"
    if made.suffix == ".ipynb":
        same = nbformat.read(made, 4) == nbformat.read(kept, 4)
    else:
        same = made.read_text(encoding="utf-8") == kept.read_text(encoding="utf-8")
    assert same, f"{kept.relative_to(ROOT)} is not what its sources make: run `make sync`"


def _copy_page(tmp_path: Path, page: str) -> tuple[Path, Path]:
    """A chapter and its translation in a scratch repository (toc, notebooks)."""
    root = tmp_path / "repo"
    src = ROOT / page
    dst = root / page
    dst.parent.mkdir(parents=True)
    shutil.copy(src, dst)
    if src.suffix == ".py":
        shutil.copy(src.with_suffix(".ipynb"), dst.with_suffix(".ipynb"))
    return root, dst


def test_an_edited_english_unit_is_stale_and_its_page_says_so(tmp_path, monkeypatch):
    root, page = _copy_page(tmp_path, "book/intro.md")
    monkeypatch.setattr(translation, "ROOT", root)
    translation.skeleton(page)
    assert translation.status(page).stale == []
    units = translation.english_units(page)
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace(units[1], units[1] + "\n\nOne more sentence."),
                    encoding="utf-8")
    st = translation.status(page)
    assert st.stale == [1] and not st.problem
    assert "unit 2 is stale" in "\n".join(st.lines())
    composed = translation.compose_page(page, root / "zh", root).read_text(encoding="utf-8")
    assert composed.count("译文待更新") == 1 and "../../book/intro.html" in composed
    assert translation.refresh(page) == 1 and translation.status(page).stale == []


def test_an_edited_chapter_cell_is_stale_and_an_added_one_breaks_the_structure(
        tmp_path, monkeypatch):
    root, page = _copy_page(tmp_path, "notebooks/01_data.py")
    monkeypatch.setattr(translation, "ROOT", root)
    translation.skeleton(page)
    nb = jupytext.read(page)  # the chapter's text source, as a writer edits it
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    md[2].source += "\n\nA new sentence in English."
    jupytext.write(nb, page, fmt="py:percent")
    assert translation.status(page).stale == [2]
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("A new paragraph."))
    jupytext.write(nb, page, fmt="py:percent")
    assert "units" in translation.status(page).problem


def test_a_translation_with_code_is_refused(tmp_path, monkeypatch):
    root, page = _copy_page(tmp_path, "notebooks/01_data.py")
    monkeypatch.setattr(translation, "ROOT", root)
    path = Path(translation.skeleton(page))
    path.write_text(path.read_text(encoding="utf-8")
                    + "\n```{code-cell} ipython3\nprint(1)\n```\n", encoding="utf-8")
    assert "code cell" in translation.status(page).problem


def test_wrapped_chinese_lines_are_joined_without_a_space():
    text = ("第一行中文，\n继续中文。\n\n* 列表项，\n  继续。\n\n```python\n中文\n中文\n```\n\n"
            "$$\n中\n文\n$$\n\nEnglish line\n中文开头\n\n| 表 |\n| 格 |")
    joined = translation.join_cjk_lines(text)
    assert "第一行中文，继续中文。" in joined and "* 列表项，继续。" in joined
    assert "```python\n中文\n中文\n```" in joined and "$$\n中\n文\n$$" in joined
    assert "English line\n中文开头" in joined and "| 表 |\n| 格 |" in joined


OUT_SPEC = importlib.util.spec_from_file_location(
    "output_translation", ROOT / "book" / "_ext" / "output_translation.py")
output_translation = importlib.util.module_from_spec(OUT_SPEC)
sys.modules["output_translation"] = output_translation
OUT_SPEC.loader.exec_module(output_translation)


def test_figure_text_and_table_headers_are_translated():
    tr = output_translation.Translator({
        "lag (days)": "滞后（天）", "log return": "对数收益率",
        "{}: next-day forecasts": "{}：次日预测",
        "{} against {}": "{1} 对 {0}"})
    assert tr("lag (days)") == "滞后（天）"
    assert tr("S&P 500: next-day forecasts") == "S&P 500：次日预测"
    assert tr("log return against lag (days)") == "滞后（天） 对 对数收益率"
    assert tr("0.25") == "0.25" and tr("HAR") == "HAR"  # no entry: kept
    svg = '<g><text x="1" style="a">S&amp;P 500: next-day forecasts</text><text>2020</text></g>'
    assert output_translation.Translator({"{}: next-day forecasts": "{}：次日预测"}).markup(
        svg, output_translation.TEXT) == '<g><text x="1" style="a">S&amp;P 500：次日预测</text>' \
        '<text>2020</text></g>'
    table = "<tr><th>model</th><th>QLIKE</th></tr><td>model</td>"
    assert output_translation.Translator({"model": "模型"}).markup(
        table, output_translation.HEADER) == "<tr><th>模型</th><th>QLIKE</th></tr><td>model</td>"
    assert output_translation.untranslated([svg, table], tr) == ["QLIKE", "model"]


def test_the_output_translations_parse():
    tr = output_translation.load(str(ROOT / "book" / "zh" / "outputs"))
    assert tr.exact or tr.patterns
