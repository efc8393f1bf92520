"""Sphinx extension of the Chinese book: figure text and table headers in Chinese.

The Chinese pages show the English pages' outputs (one execution, the same
numbers). Two kinds of output are words a reader needs in Chinese:

* **figure text** (titles, axis labels, legends): the chapters show every
  figure as an SVG whose text is kept as text (``plots.set_style``); after
  the build, every ``<text>`` of the book's SVG images is translated;
* **table headers** (the ``<th>`` cells of a DataFrame's HTML): translated
  in the pages as they are read.

The translations are YAML mappings, one file per chapter in
``book/zh/outputs/`` (merged; the first file wins on a repeated key): English text
to Chinese, where ``{}`` in the English matches any text and ``{}`` (or
``{0}``, ``{1}``, ...) in the Chinese puts it back::

    "lag (days)": "滞后（天）"
    "{}: next-day forecasts, last year of the test": "{}：测试期最后一年的次日预测"

Text without a translation stays English (numbers, tickers, code names);
:func:`untranslated` lists the words left, for translators.

Registered in ``zh/_config.yml`` (``local_extensions``), with the mapping's
path in ``stocklearn_output_translations``.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

import yaml
from docutils import nodes

TEXT = re.compile(r"(<text\b[^>]*>)([^<]*)(</text>)")
HEADER = re.compile(r"(<th\b[^>]*>)([^<]*)(</th>)")
WORDS = re.compile(r"[A-Za-z]{2,}")


class Translator:
    """English output text to Chinese, from exact entries and ``{}`` patterns."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.exact = {k: v for k, v in mapping.items() if "{}" not in k}
        self.patterns = []
        for english, chinese in mapping.items():
            if "{}" in english:
                parts = [re.escape(p) for p in english.split("{}")]
                self.patterns.append((re.compile("^" + "(.+?)".join(parts) + "$", re.S),
                                      chinese))

    def __call__(self, text: str) -> str:
        key = text.strip()
        if not key or not WORDS.search(key):
            return text
        if key in self.exact:
            return text.replace(key, self.exact[key])
        for pattern, chinese in self.patterns:
            match = pattern.match(key)
            if match:
                groups = [self(g) for g in match.groups()]
                out = chinese
                if re.search(r"\{\d+\}", out):
                    out = out.format(*groups)
                else:
                    for g in groups:
                        out = out.replace("{}", g, 1)
                return text.replace(key, out)
        return text

    def markup(self, source: str, element: re.Pattern) -> str:
        """Translate the text of every ``element`` (``<text>`` or ``<th>``) in HTML/SVG."""
        def one(match: re.Match) -> str:
            inner = html.unescape(match.group(2))
            return match.group(1) + html.escape(self(inner), quote=False) + match.group(3)
        return element.sub(one, source)


@lru_cache(maxsize=4)
def load(path: str) -> Translator:
    """The translator of a YAML mapping file, or of every ``*.yml`` in a folder."""
    where = Path(path)
    files = sorted(where.glob("*.yml")) if where.is_dir() else [where] if where.exists() else []
    mapping: dict[str, str] = {}
    for file in files:
        for k, v in (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).items():
            mapping.setdefault(str(k), str(v))
    return Translator(mapping)


def untranslated(sources: list[str], translator: Translator) -> list[str]:
    """The distinct figure texts and table headers with English words left after translation."""
    left = set()
    for source in sources:
        for element in (TEXT, HEADER):
            for match in element.finditer(source):
                text = html.unescape(match.group(2)).strip()
                if WORDS.search(translator(text)):
                    left.add(text)
    return sorted(left)


def _translator(app) -> Translator:
    return load(str(Path(app.srcdir) / app.config.stocklearn_output_translations))


def _tables(app, doctree) -> None:
    """Translate the header cells of every HTML table output on the page."""
    tr = _translator(app)
    for node in doctree.findall(nodes.raw):
        if node.get("format") == "html" and "<th" in node.astext():
            text = tr.markup(node.astext(), HEADER)
            node.children = [nodes.Text(text)]
            node.rawsource = text


def _figures(app, exception) -> None:
    """Translate the text of every SVG image of the built book."""
    if exception is not None or app.builder.format != "html":
        return
    tr = _translator(app)
    for svg in Path(app.outdir, "_images").glob("*.svg"):
        source = svg.read_text(encoding="utf-8")
        translated = tr.markup(source, TEXT)
        if translated != source:
            svg.write_text(translated, encoding="utf-8")


def setup(app):
    app.add_config_value("stocklearn_output_translations", "book/zh/outputs", "env")
    app.connect("doctree-read", _tables)
    app.connect("build-finished", _figures)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str]) -> int:
    """List the figure texts and table headers of a built Chinese book left in English.

    Usage: ``python book/_ext/output_translation.py [_build/zh/_build/html]``.
    """
    root = Path(__file__).resolve().parents[2]
    built = Path(argv[0]) if argv else root / "_build" / "zh" / "_build" / "html"
    sources = [p.read_text(encoding="utf-8") for p in sorted(built.rglob("*.svg"))]
    sources += [p.read_text(encoding="utf-8") for p in sorted(built.rglob("*.html"))
                if "_static" not in p.parts]
    for text in untranslated(sources, load(str(root / "book" / "zh" / "outputs"))):
        print(text)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
