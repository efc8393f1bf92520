"""Sphinx extension: the pages that report on the chapters are read (and executed) last.

Two pages compute from what the chapters leave behind when they execute:
``book/execution_times.md`` reads the execution cache (each chapter's wall
time and peak memory, see ``book/_ext/execute_chapters.py``) and
``book/verdict.md`` reads the result files the chapters write
(:mod:`stocklearn.results`). Two things in Jupyter Book 1.x would show stale
or missing numbers on them:

* Sphinx reads documents in sorted order, and myst-nb executes a notebook when
  it is read, so ``book/*`` would run before ``notebooks/0*``;
* the execution cache keys on a notebook's code only, and an unchanged page
  is not even re-read.

So this extension reports the pages of :data:`LAST` as outdated on every
build (``env-get-outdated``) and moves them to the end of the documents to
read, in the order of :data:`LAST` (``env-before-read-docs``); each page asks
myst-nb to execute it every time (``mystnb: execution_mode: force`` in its
front matter). Registered in ``_config.yml`` under
``sphinx: local_extensions``.
"""

from __future__ import annotations

#: Pages read after every other document, in this order.
LAST = ["book/execution_times", "book/verdict"]


def _always_outdated(app, env, added, changed, removed):
    """Re-read the pages of LAST on every build."""
    return [doc for doc in LAST if doc in env.found_docs and doc not in added]


def _read_last(app, env, docnames):
    """Read (and so execute) the pages of LAST after every chapter."""
    for doc in LAST:
        if doc in docnames:
            docnames.remove(doc)
            docnames.append(doc)


def setup(app):
    app.connect("env-get-outdated", _always_outdated)
    app.connect("env-before-read-docs", _read_last)
    # reading in parallel would not keep the order: read serially
    return {"version": "1.1", "parallel_read_safe": False, "parallel_write_safe": True}
