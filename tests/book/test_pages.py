"""The built book as a reader sees it: every page in headless Chromium, the network cut.

Run by ``make check-book`` after the book is built (``make test`` skips this
folder). A local HTTP server serves ``_build/html``; every request to any
other host is aborted, so a page that needs the internet (a CDN script, a
remote image) shows it. Each page is checked for:

* no error output (a traceback or an error cell) and no broken image;
* math typeset by MathJax served from the book itself, no raw TeX left;
* exercise solutions closed until clicked, open after a click;
* no code block, output or table wider than the text column at 1280 px;

and a full-page screenshot is saved under ``_build/screenshots/``. The
Chinese book (``make book-zh``, copied to ``_build/html/zh``) is read the same
way, page by page; every page of either book links the same page of the other.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 900
SKIP = {"genindex.html", "search.html"}

if not (HTML / "index.html").exists():
    pytest.skip("no built book: run `make check-book`", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")

PAGES = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
               if not {"_static", "_sources", "_images"} & set(p.relative_to(HTML).parts)
               and p.name not in SKIP)
CHAPTERS = [p for p in PAGES if p.startswith(("notebooks/", "zh/notebooks/"))]

# Elements a reader would have to scroll sideways, measured in the page itself.
WIDE_BLOCKS = """() => {
  const article = document.querySelector("article.bd-article");
  const right = article.getBoundingClientRect().right + 1;
  const wide = [];
  for (const el of article.querySelectorAll("pre, table, div.cell_output, img, div.math")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;  // hidden (e.g. a closed solution)
    if (el.scrollWidth > el.clientWidth + 1 || box.right > right) {
      wide.push(el.tagName + "." + el.className.toString().slice(0, 40) + ": "
                + el.textContent.trim().slice(0, 60));
    }
  }
  return wide;
}"""

BROKEN_IMAGES = """() => [...document.images]
  .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)"""

# TeX left in the prose (code blocks may hold TeX on purpose, e.g. plot labels).
RAW_TEX = r"""() => {
  const walker = document.createTreeWalker(
    document.querySelector("article.bd-article"), NodeFilter.SHOW_TEXT);
  let count = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("pre, code, script, style, mjx-container")) continue;
    count += (node.textContent.match(/\\\(|\\\[|\$\$|\\frac|\\hat|\\sum/g) || []).length;
  }
  return count;
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make check-book` installs Debian's chromium")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    outside = []

    def only_local(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    pg = context.new_page()
    pg.outside_requests = outside
    yield pg
    context.close()


def _open(page, server, name):
    page.goto(f"{server}/{name}", wait_until="load")
    # MathJax typesets after load: wait until it is done. Pages without math load no
    # MathJax; where its script cannot load, the math check reports the raw TeX.
    try:
        page.wait_for_function("() => !window.MathJax || (window.MathJax.startup "
                               "&& window.MathJax.startup.promise && true)", timeout=10_000)
        page.evaluate("() => window.MathJax && window.MathJax.startup "
                      "? window.MathJax.startup.promise : null")
    except playwright.TimeoutError:
        pass


def test_the_book_has_its_pages():
    assert "index.html" in PAGES
    assert sum(p.startswith("notebooks/") for p in PAGES) >= 3


def test_the_chinese_book_has_every_english_page():
    english = {p for p in PAGES if not p.startswith("zh/")}
    chinese = {p.removeprefix("zh/") for p in PAGES if p.startswith("zh/")}
    assert english <= chinese, f"pages missing from the Chinese book: {english - chinese}"


def test_a_chinese_font_is_installed():
    """Chromium draws Chinese with an installed CJK font (missing glyphs show as boxes)."""
    import subprocess

    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                           text=True).stdout
    assert fonts.strip(), "no font with Chinese glyphs: `make check-book` installs one"


@pytest.mark.parametrize("name", PAGES)
def test_page_reads_well_offline(page, server, shots, name):
    _open(page, server, name)
    problems = []
    errors = page.locator("article .output.traceback, article .output.error, "
                          "article .cell_output .stderr").count()
    tracebacks = page.locator("article").inner_text().count("Traceback (most recent call")
    if errors or tracebacks:
        problems.append(f"{errors + tracebacks} error output(s)")
    broken = page.evaluate(BROKEN_IMAGES)
    if broken:
        problems.append(f"images that do not load: {broken}")
    maths = page.locator("article .math").count()
    typeset = page.locator("article mjx-container").count()
    if maths and typeset < maths:
        problems.append(f"{maths - typeset} of {maths} formulas not typeset")
    raw = page.evaluate(RAW_TEX)
    if raw:
        problems.append(f"{raw} pieces of raw TeX in the text")
    wide = page.evaluate(WIDE_BLOCKS)
    if wide:
        problems.append(f"{len(wide)} block(s) wider than the column: {wide[:5]}")
    needed = [u for u in page.outside_requests if "mybinder" not in u and "colab" not in u]
    if needed:
        problems.append(f"requests to the network: {sorted(set(needed))[:5]}")
    other = page.eval_on_selector_all("a.stocklearn-language", "a => a.map(x => x.href)")
    if len(other) != 1:
        problems.append(f"{len(other)} links to the other language (expected 1)")
    elif not (HTML / other[0].removeprefix(server + "/")).exists():
        problems.append(f"the other language's page is missing: {other[0]}")
    page.screenshot(path=str(shots / (name.replace("/", "__")[:-5] + ".png")), full_page=True)
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", CHAPTERS)
def test_solutions_are_closed_until_clicked(page, server, name):
    _open(page, server, name)
    solutions = page.locator("article details.solution, article div.solution.dropdown")
    n = solutions.count()
    if n == 0:
        pytest.skip(f"{name} has no solutions")
    for i in range(n):
        solution = solutions.nth(i)
        body = solution.locator(".solution-content, section").first
        assert not body.is_visible(), f"{name}: solution {i + 1} is open before a click"
        solution.locator("summary, .toggle-button, button").first.click()
        body.wait_for(state="visible", timeout=5000)


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_pages_offer_their_notebook(name):
    """Download, Binder and Colab open the page's own notebook: the Chinese one
    (zh/notebooks/NAME.ipynb in the repository) from a Chinese page."""
    html = (HTML / name).read_text()
    book = "zh/" if name.startswith("zh/") else ""
    notebook = name.removeprefix(book).replace(".html", ".ipynb")
    assert f'href="../_sources/{notebook}"' in html, f"{name}: no .ipynb download"
    assert (f"mybinder.org/v2/gh/stocklearn/stocklearn/main?urlpath=lab/tree/{book}{notebook}"
            in html)
    assert (f"colab.research.google.com/github/stocklearn/stocklearn/blob/main/{book}{notebook}"
            in html)
    assert (HTML / book / "_sources" / notebook).exists()
    assert (ROOT / book / notebook).exists(), f"{book}{notebook} is not in the repository"


@pytest.mark.parametrize("name", CHAPTERS + [p for p in PAGES
                                             if p.endswith("book/verdict.html")])
def test_page_says_which_run_it_shows_above_its_first_section(page, server, name):
    """The run note (settings.run_note) is on the page, before a chapter's first section
    and above the verdict table, and the Colab install cell (still in the notebook) is
    not."""
    _open(page, server, name)
    text = page.locator("article").inner_text()
    assert "Run shown on this page: profile" in text, f"{name}: no run note"
    first = page.locator("article table" if name.endswith("book/verdict.html")
                         else "article section section h2").first
    if first.count():
        head = first.inner_text().strip().splitlines()[0]
        assert text.index("Run shown on this page") < text.index(head), \
            f"{name}: the run note comes after {head!r}"
    assert "Colab only: install" not in text, f"{name}: the Colab install cell is shown"
