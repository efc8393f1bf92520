"""Sphinx extension: under every chapter's title, its reading time, run time and sections.

A chapter page (``notebooks/NN_name``) gets, right under its title, one line
with its reading time (:func:`stocklearn.teaching.reading_time.reading_time`,
from the chapter's text source) and its measured run times in both profiles
(``benchmarks/results/notebooks_<profile>.csv``), then its sections as a
short list of links: the chapter's map, in a book whose chapter pages leave
the right-hand column of sections off to give tables the width.

The directive ``chapter-times`` (used by the instructor guide) renders the
same numbers for every chapter as one table.

The Chinese book (``zh/_config.yml``) sets ``stocklearn_language: zh`` for
Chinese words and ``stocklearn_source_root: ..`` (its chapters' text
sources are the English ones: the reading time counts the English words).

Registered in ``_config.yml`` under ``sphinx: local_extensions``.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

from stocklearn.teaching.reading_time import (
    reading_time,
    rounded_minutes,
    run_time_words,
    run_times,
)

CHAPTER = re.compile(r"^notebooks/(\d\d_\w+)$")


WORDS = {
    "en": {"reading": "About {minutes} minutes of reading",
           "reading_note": " (prose and code before the exercises)",
           "run": "run time", "run_note": " on two CPU cores, measured: {runs}",
           "end": ".", "sep": "; ", "contents": "In this chapter:",
           "columns": ["chapter", "reading (min)", "run time, measured on two cores"],
           "unmeasured": "not measured"},
    "zh": {"reading": "阅读约 {minutes} 分钟",
           "reading_note": "（练习之前的正文和代码，按英文原文估算）",
           "run": "运行时间", "run_note": "（两个 CPU 核心上实测）：{runs}",
           "end": "。", "sep": "；", "contents": "本章内容：",
           "columns": ["章节", "阅读（分钟）", "运行时间（两个核心上实测）"],
           "unmeasured": "未测量"},
}
"""The header's words in each language of the book (``stocklearn_language``)."""


def _paths(app) -> tuple[Path, Path]:
    root = Path(app.srcdir) / app.config.stocklearn_source_root
    return root / "notebooks", root / "benchmarks" / "results"


def _words(app) -> dict:
    return WORDS[app.config.stocklearn_language]


def _header(app, doctree) -> None:
    """Insert the reading and run times and the list of sections under the title."""
    match = CHAPTER.match(app.env.docname)
    if not match:
        return
    notebooks, benchmarks = _paths(app)
    source = notebooks / f"{match.group(1)}.py"
    top = next(iter(doctree.findall(nodes.section)), None)
    if top is None or not source.exists():
        return
    minutes = rounded_minutes(reading_time(source).minutes)
    words = _words(app)
    line = nodes.paragraph()
    line += nodes.strong(text=words["reading"].format(minutes=minutes))
    line += nodes.Text(words["reading_note"])
    runs = run_time_words(run_times(benchmarks, source.stem), app.config.stocklearn_language)
    if runs:
        line += nodes.Text(words["sep"])
        line += nodes.strong(text=words["run"])
        line += nodes.Text(words["run_note"].format(runs=runs))
    line += nodes.Text(words["end"])
    sections = nodes.bullet_list()
    for section in top.children:
        if isinstance(section, nodes.section) and section["ids"]:
            title = section.next_node(nodes.title).astext()
            item = nodes.list_item()
            para = nodes.paragraph()
            para += nodes.reference("", title, internal=True, refid=section["ids"][0])
            item += para
            sections += item
    box = nodes.container(classes=["chapter-header"])
    box += line
    if len(sections):
        box += nodes.paragraph(text=words["contents"])
        box += sections
    title_index = top.first_child_matching_class(nodes.title)
    top.insert(0 if title_index is None else title_index + 1, box)


class ChapterTimes(Directive):
    """A table: every chapter's reading time and measured run times."""

    has_content = False

    def run(self):
        app = self.state.document.settings.env.app
        notebooks, benchmarks = _paths(app)
        table = nodes.table()
        group = nodes.tgroup(cols=3)
        table += group
        for _ in range(3):
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        body = nodes.tbody()
        group += head
        group += body

        def row(cells, into):
            r = nodes.row()
            for text in cells:
                entry = nodes.entry()
                entry += nodes.paragraph(text=text)
                r += entry
            into += r

        words = _words(app)
        row(words["columns"], head)
        for source in sorted(notebooks.glob("[0-9][0-9]_*.py")):
            row([source.stem, str(rounded_minutes(reading_time(source).minutes)),
                 run_time_words(run_times(benchmarks, source.stem),
                                app.config.stocklearn_language) or words["unmeasured"]],
                body)
        return [table]


def setup(app):
    app.add_config_value("stocklearn_language", "en", "env")
    app.add_config_value("stocklearn_source_root", ".", "env")
    app.connect("doctree-read", _header)
    app.add_directive("chapter-times", ChapterTimes)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
