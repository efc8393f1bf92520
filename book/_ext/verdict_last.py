"""Sphinx extension: the verdict page is read (and executed) last, on every build.

``book/verdict.md`` reads the result files the chapters write while they
execute (:mod:`stocklearn.results`). Two things in Jupyter Book 1.x would show
stale or missing numbers:

* Sphinx reads documents in sorted order, and myst-nb executes a notebook when
  it is read, so ``book/verdict`` would run before ``notebooks/0*``;
* the execution cache keys on a notebook's code only, and an unchanged page
  is not even re-read.

So this extension reports the page as outdated on every build
(``env-get-outdated``) and moves it to the end of the documents to read
(``env-before-read-docs``); the page itself asks myst-nb to execute it every
time (``mystnb: execution_mode: force`` in its front matter). Registered in
``_config.yml`` under ``sphinx: local_extensions``.
"""

from __future__ import annotations

VERDICT = "book/verdict"


def _always_outdated(app, env, added, changed, removed):
    """Re-read the verdict page on every build."""
    return [VERDICT] if VERDICT in env.found_docs and VERDICT not in added else []


def _read_last(app, env, docnames):
    """Read (and so execute) the verdict page after every chapter."""
    if VERDICT in docnames:
        docnames.remove(VERDICT)
        docnames.append(VERDICT)


def setup(app):
    app.connect("env-get-outdated", _always_outdated)
    app.connect("env-before-read-docs", _read_last)
    # reading in parallel would not keep the order: read serially
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
