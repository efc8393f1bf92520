"""The Chinese edition: its translation sources, their staleness, and the pages they make.

**One code path.** A Chinese page is its English page with the prose
replaced: the code cells (and the notebook's metadata) are copied from the
English page, never translated, so jupyter-cache, which keys a notebook on
its code, finds the English execution and every number is the same.

**Units.** An English page is cut into the units a translator translates:

* a chapter (``notebooks/NAME.py``, jupytext percent) or an executed MyST
  page (``book/NAME.md`` with a jupytext header): its markdown cells, in
  order; its code cells stay English;
* a plain Markdown page (``book/NAME.md``): its sections, cut before every
  heading outside code fences (a section that only includes a file counts
  as that file's sections).

**Translation sources** live beside the English ones, in a ``zh`` folder:
``notebooks/zh/NAME.md`` and ``book/zh/NAME.md``. Each is a jupytext MyST
notebook holding one markdown cell per English unit, in the English order,
whose metadata records the digest (:func:`digest`) of the English unit it
translates::

    +++ {"en": "3f2a9c1b0d4e"}

    # 数据
    ...

When an English unit changes, its digest no longer matches: the unit is
**stale**: :func:`status` lists it, the test suite fails on it, and a page
built meanwhile shows a note linking the English page, until a translator updates the text
and the digest (``python book/_ext/translation.py refresh PAGE`` sets the
digests of a reviewed file). When the English page gains or loses a unit, or
its code differs from what the Chinese page would copy, the structure no
longer matches and the test suite fails.

**The Chinese book** (``make book-zh``) is the folder ``zh/``: its
``_config.yml`` and ``_toc.yml`` are kept in git; its pages are written by
:func:`compose_book` from the English pages and the translation sources
(generated, not kept in git). Usage::

    python book/_ext/translation.py skeleton notebooks/01_data.py  # a file to translate
    python book/_ext/translation.py status                        # stale and missing units
    python book/_ext/translation.py refresh notebooks/01_data.py   # digests after a review
    python book/_ext/translation.py compose                       # write zh/ for the build
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
ZH = "zh"
"""The folder of the Chinese book, and of each translation source beside its English page."""

STALE_NOTE = ("```{{admonition}} 译文待更新\n:class: warning\n"
              "这一段的英文原文在翻译之后有过修改，下面的译文可能已经过时。"
              "请以[英文版]({link})为准。\n```\n\n")
"""Put above a stale unit on its Chinese page; ``{link}`` is the English page."""

UNTRANSLATED_NOTE = ("```{{admonition}} 尚未翻译\n:class: warning\n"
                     "这一页还没有（完整的）中文译文，下面是英文原文，"
                     "也可以阅读[英文版]({link})。\n```\n\n")
"""Put under the title of a page without a (matching) translation."""

HEADING = re.compile(r"^#{1,6} ")
INCLUDE = re.compile(r"```\{include\}\s+(\S+)\s*\n```")
"""A section that only includes a file: its units are the file's sections (the
data provenance appendix includes ``stocklearn/datasets/PROVENANCE.md``)."""


# --------------------------------------------------------------------------- pages
def english_pages(root: Path = ROOT) -> list[Path]:
    """Every page of the English book, in the order of its ``_toc.yml`` (the root first)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return [_source(root, f) for f in files]


def _source(root: Path, name: str) -> Path:
    """The English text source of a toc entry: the chapter's ``.py``, or the page's ``.md``."""
    for suffix in (".py", ".md"):
        path = root / f"{name}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no .py or .md source for the toc entry {name!r}")


def translation_path(page: Path, root: Path = ROOT) -> Path:
    """Where the translation of an English page lives: ``<folder>/zh/<name>.md``."""
    page = Path(page)
    if not page.is_absolute():
        page = root / page
    return page.parent / ZH / f"{page.stem}.md"


def _is_notebook(page: Path) -> bool:
    if page.suffix == ".py":
        return True
    head = page.read_text(encoding="utf-8").lstrip()
    return head.startswith("---") and "jupytext:" in head.split("\n---", 1)[0]


# --------------------------------------------------------------------------- units
def digest(text: str) -> str:
    """Twelve hex digits of SHA-256 of a unit's text, trailing spaces and blank edges ignored."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:12]


def sections(text: str) -> list[str]:
    """A plain Markdown page cut before every heading outside code fences."""
    out: list[list[str]] = [[]]
    fenced = False
    for line in text.splitlines():
        mark = line.strip()
        if not fenced and mark.startswith(("```", "~~~")):
            fenced = True
        elif fenced and mark in ("```", "~~~", "````"):
            fenced = False
        elif not fenced and HEADING.match(line) and any(x.strip() for x in out[-1]):
            out.append([])
        out[-1].append(line)
    return ["\n".join(s).strip("\n") for s in out if any(x.strip() for x in s)]


def read_english(page: Path) -> nbformat.NotebookNode | None:
    """The English page as a notebook (None for a plain Markdown page)."""
    page = Path(page)
    if not _is_notebook(page):
        return None
    if page.suffix == ".py":
        ipynb = page.with_suffix(".ipynb")
        return nbformat.read(ipynb, as_version=4) if ipynb.exists() else jupytext.read(page)
    return jupytext.read(page)


def english_units(page: Path) -> list[str]:
    """The texts a translator translates, in order (see the module's notes)."""
    nb = jupytext.read(page) if _is_notebook(Path(page)) else None  # the text source
    if nb is None:
        units = []
        for unit in sections(Path(page).read_text(encoding="utf-8")):
            included = INCLUDE.fullmatch(unit.strip())
            units += (sections((Path(page).parent / included.group(1)).read_text(
                encoding="utf-8")) if included else [unit])
        return units
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


@dataclass
class Translation:
    """A translation source: one text and one English digest per unit."""

    texts: list[str]
    digests: list[str]
    code_cells: int = 0


def read_translation(path: Path) -> Translation:
    """Read a translation source (a jupytext MyST notebook of markdown cells)."""
    nb = jupytext.read(path, fmt="md:myst")
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    return Translation(texts=[c.source for c in md],
                       digests=[str(c.metadata.get("en", "")) for c in md],
                       code_cells=sum(c.cell_type != "markdown" for c in nb.cells))


def write_translation(path: Path, texts: list[str], digests: list[str]) -> None:
    """Write a translation source: one markdown cell per unit, each with its English digest."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["jupytext"] = {"text_representation": {
        "extension": ".md", "format_name": "myst"}}
    nb.cells = [nbformat.v4.new_markdown_cell(t, metadata={"en": d})
                for t, d in zip(texts, digests, strict=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, path, fmt="md:myst")


# --------------------------------------------------------------------------- status
@dataclass
class Status:
    """How a page's translation stands against its English page."""

    page: Path
    units: int
    translated: bool
    stale: list[int] = field(default_factory=list)
    english: list[int] = field(default_factory=list)
    problem: str = ""

    def lines(self) -> list[str]:
        """What a translator should do, one line per finding."""
        name = self.page.relative_to(ROOT) if self.page.is_absolute() else self.page
        if not self.translated:
            return [f"{name}: not translated ({self.units} units)"]
        out = [f"{name}: {self.problem}"] if self.problem else []
        out += [f"{name}: unit {i + 1} is stale (its English text changed)" for i in self.stale]
        if self.english:
            out.append(f"{name}: {len(self.english)} unit(s) still in English: "
                       + ", ".join(str(i + 1) for i in self.english))
        return out


def status(page: Path) -> Status:
    """Compare a page's translation source with the English page."""
    page = Path(page)
    units = english_units(page)
    path = translation_path(page)
    if not path.exists():
        return Status(page, len(units), translated=False)
    tr = read_translation(path)
    st = Status(page, len(units), translated=True)
    if tr.code_cells:
        st.problem = (f"the translation holds {tr.code_cells} code cell(s); code is copied "
                      "from the English page, never translated")
    elif len(tr.texts) != len(units):
        st.problem = (f"the English page has {len(units)} units, the translation "
                      f"{len(tr.texts)}: a unit was added or removed in English; add or "
                      "remove the same unit in the translation")
    else:
        st.stale = [i for i, (u, d) in enumerate(zip(units, tr.digests, strict=True))
                    if digest(u) != d]
        st.english = [i for i, (u, t) in enumerate(zip(units, tr.texts, strict=True))
                      if digest(u) == digest(t) and _prose(u)]
    return st


def _prose(text: str) -> bool:
    """Whether a unit holds English prose (not only markup, code or math)."""
    bare = re.sub(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\{[^}]*\}", " ", text,
                  flags=re.S)
    return re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", bare) is not None


# --------------------------------------------------------------------------- tools
def skeleton(page: Path) -> str:
    """A translation source to start from: the English units with their digests."""
    units = english_units(page)
    path = translation_path(page)
    write_translation(path, units, [digest(u) for u in units])
    return str(path)


def refresh(page: Path) -> int:
    """After a review: record the English digests in the translation; returns units changed."""
    units = english_units(page)
    path = translation_path(page)
    tr = read_translation(path)
    if len(tr.texts) != len(units):
        raise SystemExit(f"{path}: {len(tr.texts)} units, the English page {len(units)}")
    new = [digest(u) for u in units]
    changed = sum(a != b for a, b in zip(tr.digests, new, strict=True))
    write_translation(path, tr.texts, new)
    return changed


def _english_link(page: Path, root: Path) -> str:
    """The English page, relative to the Chinese page, as published (``/`` and ``/zh/``)."""
    rel = Path(page).relative_to(root).with_suffix(".html")
    depth = len(rel.parts)  # zh/<folder>/<page>.html -> ../../<folder>/<page>.html
    return "../" * depth + rel.as_posix()


CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
"""Chinese characters and full-width punctuation."""

BLOCK_START = re.compile(r"^\s*([-*+] |\d+[.)] |#|\||>|```|~~~|:::|\$\$|\+\+\+|:\w)")
"""A line that starts a block: never joined to the line before."""

PREV_BLOCK = re.compile(r"^\s*(#|\||```|~~~|:::|\$\$|\+\+\+|:\w)")
"""A line nothing is joined to: a heading, table row, fence or directive option."""


def join_cjk_lines(text: str) -> str:
    """Join the wrapped lines of a Chinese paragraph where both sides are Chinese.

    A browser shows a line break inside a paragraph as a space, which is
    right between English words and wrong between Chinese characters. The
    translation sources stay wrapped for review; the composed pages join a
    line to the next when the first ends and the next begins with a Chinese
    character or full-width punctuation, outside code and math blocks, and
    never onto a line that starts a list item, heading, table, quote,
    directive or math block.
    """
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        mark = line.strip()
        if mark.startswith(("```", "~~~", "$$")):
            one_line = mark.startswith("$$") and len(mark) > 2 and mark.endswith("$$")
            if not fenced and not one_line:
                fenced = True
            elif fenced and mark in ("```", "~~~", "````", "$$"):
                fenced = False
            out.append(line)
            continue
        prev = out[-1] if out else ""
        if (not fenced and mark and prev.strip() and not BLOCK_START.match(line)
                and not PREV_BLOCK.match(prev) and CJK.match(mark[0])
                and CJK.match(prev.rstrip()[-1])):
            out[-1] = prev.rstrip() + mark
        else:
            out.append(line)
    return "\n".join(out)


def composed_texts(page: Path, root: Path = ROOT) -> list[str]:
    """The Chinese text of every unit, with the stale note where it applies.

    Untranslated pages (and pages whose structure no longer matches) keep
    their English units, under one note at the top linking the English page.
    """
    units = english_units(page)
    st = status(page)
    link = _english_link(page, root)
    if not st.translated or st.problem:
        note = UNTRANSLATED_NOTE.format(link=link)
        return [units[0]] + [note.rstrip("\n")] + units[1:] if units else []
    texts = [join_cjk_lines(t) for t in read_translation(translation_path(page)).texts]
    return [(STALE_NOTE.format(link=link) + t) if i in st.stale else t
            for i, t in enumerate(texts)]


def compose_page(page: Path, out: Path, root: Path = ROOT) -> Path:
    """Write the Chinese page of one English page into the book folder ``out``."""
    page = Path(page)
    rel = page.relative_to(root)
    texts = composed_texts(page, root)
    nb = read_english(page)
    if nb is None:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n\n".join(texts) + "\n", encoding="utf-8")
        return target
    nb = copy.deepcopy(nb)
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    if len(texts) == len(md):
        for cell, text in zip(md, texts, strict=True):
            cell.source = text
    else:  # an untranslated page: the note goes after the title
        md[0].source = texts[0] + "\n\n" + texts[1]
    if page.suffix == ".py":
        target = out / rel.with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
    else:  # a MyST page: the English front matter (mystnb options included), the new body
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        body = _body(jupytext.writes(nb, fmt="md:myst"))
        front = page.read_text(encoding="utf-8")
        front = front[: len(front) - len(_body(front))]
        target.write_text(front + body, encoding="utf-8")
    return target


def _body(text: str) -> str:
    """A MyST page without its front matter (the ``---`` block at the top)."""
    if not text.startswith("---"):
        return text
    end = text.index("\n---", 3)
    return text[end + len("\n---"):].lstrip("\n")


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The sources of a notebook's code cells, in order."""
    return [c.source for c in nb.cells if c.cell_type == "code"]


def compose_book(root: Path = ROOT) -> Path:
    """Write every page of the Chinese book into ``zh/`` (plus the files the build reads)."""
    out = root / ZH
    for page in english_pages(root):
        compose_page(page, out, root)
    for extra in ("book/references.bib", "book/_static", "book/_ext", "benchmarks/results"):
        src, dst = root / extra, out / extra
        if dst.exists():
            shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    glossary = root / "book" / ZH / "glossary.md"
    if glossary.exists():
        (out / "book" / "glossary.md").write_text(
            join_cjk_lines(glossary.read_text(encoding="utf-8")), encoding="utf-8")
    return out


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("skeleton", "status", "refresh", "compose"):
        print(__doc__)
        return 2
    command, pages = argv[0], [Path(p).resolve() for p in argv[1:]]
    if command == "skeleton":
        for p in pages:
            print(skeleton(p))
    elif command == "refresh":
        for p in pages:
            print(f"{p.relative_to(ROOT)}: {refresh(p)} digest(s) updated")
    elif command == "status":
        lines = [line for p in pages or english_pages() for line in status(p).lines()]
        print("\n".join(lines) or "every page translated and up to date")
    else:
        print(json.dumps({"book": str(compose_book())}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
