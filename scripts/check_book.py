"""Check the built book's pages for what a reader should never see; exit 1 with one line per problem.

    python scripts/check_book.py _build/html          # scripts/build_book.sh runs this after the build

Checked on every HTML page of the book (not Sphinx's search and index pages):
* no machine paths: the project's own absolute path, or a temporary or home folder (``/tmp/...``,
  ``/home/...``, ``/root/...``), printed by a cell (a page must read the same on every machine);
* the book's style sheet is linked (``lstm-study.css``: glued numbers in normal weight, wide tables
  that scroll instead of being cut off);
* maths renders offline: MathJax is not loaded from a CDN (book/_ext/offline_math.py copies it);
* every local link and image resolves to a file of the built book (the figures' PNG/SVG/CSV, the
  chapters' results files in ``results/``, the pages themselves);
* no table is cut off: every table sits in a container that scrolls sideways (the theme's
  ``pst-scrollable-table-container`` for Markdown tables, a cell's HTML output for the results tables,
  which the style sheet makes scroll);
* progress is folded away: a page's progress lines (``[   12.3s] ...``, :func:`lstmlib.study.jobs.run_jobs`)
  sit in one output block, in a cell whose output is hidden until the reader opens it;
* maths has its renderer: a page with maths loads MathJax (from the book itself).
"""

from __future__ import annotations

import re
import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

STYLE_SHEET = "lstm-study.css"
MACHINE_PATH = re.compile(r"(?<![\w.:/-])/(?:tmp|home|root|private/var|var/folders)(?:/[\w.+-]+)+")
CDN_MATHJAX = re.compile(r'src="(?:https?:)?//[^"]*mathjax[^"]*"', re.I)
REDIRECT = re.compile(r'http-equiv="refresh"', re.I)  # the root index.html only points to the first page
SKIPPED = {"genindex.html", "search.html"}
LINK = re.compile(r'(?:href|src)="([^"]*)"')
EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|//)")  # http:, mailto:, data:, anchors
PROGRESS = re.compile(r"^\[\s*[\d.]+s\]", re.M)  # run_jobs' progress lines: "[   12.3s] done ..."
MATH = re.compile(r'class="math\b|class="[^"]*\bmath notranslate')
MATHJAX = re.compile(r'<script[^>]*src="[^"]*mathjax[^"]*"', re.I)


class _Layout(HTMLParser):
    """Walks a page once, keeping the classes of the open ``div`` elements: records tables outside a
    scrolling container and the stream outputs that hold progress lines (and whether their cell's
    output is hidden)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.divs: list[set] = []
        self.unscrolled_tables = 0
        self.progress_blocks: list[bool] = []  # one per stream output with progress: inside a hide-output cell?
        self._stream_depth = None
        self._stream_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "div":
            self.divs.append(classes)
            if self._stream_depth is None and {"output", "stream"} <= classes:
                self._stream_depth, self._stream_text = len(self.divs), []
        elif tag == "table":
            scrolls = any("pst-scrollable-table-container" in c or {"output", "text_html"} <= c for c in self.divs)
            self.unscrolled_tables += not scrolls

    def handle_endtag(self, tag):
        if tag != "div" or not self.divs:
            return
        if self._stream_depth == len(self.divs):
            if PROGRESS.search("".join(self._stream_text)):
                self.progress_blocks.append(any("tag_hide-output" in c for c in self.divs))
            self._stream_depth = None
        self.divs.pop()

    def handle_data(self, data):
        if self._stream_depth is not None:
            self._stream_text.append(data)


def layout_problems(html: str) -> list[str]:
    """Cut-off tables, progress shown in more than one block or not folded away, maths without its
    renderer (see the module's docstring)."""
    walk = _Layout()
    walk.feed(html)
    problems = []
    if walk.unscrolled_tables:
        problems.append(f"{walk.unscrolled_tables} table(s) outside a scrolling container: cut off on a narrow page")
    if len(walk.progress_blocks) > 1:
        problems.append(f"progress in {len(walk.progress_blocks)} output blocks (one is the most a page may show)")
    if not all(walk.progress_blocks):
        problems.append("progress lines in a cell whose output is not hidden (tag it hide-output)")
    if MATH.search(html) and not MATHJAX.search(html):
        problems.append("maths on the page but no MathJax loaded: it shows as raw LaTeX")
    return problems


def broken_links(html: str, page: Path) -> list[str]:
    """The local links and image sources of ``page`` (a built HTML file) that name no existing file;
    code shown on the page (``<pre>`` blocks) is not read."""
    text = re.sub(r"<pre\b.*?</pre>", "", html, flags=re.S)
    bad = []
    for url in LINK.findall(text):
        path = urllib.parse.unquote(url.split("#")[0].split("?")[0])
        if path and not EXTERNAL.match(url) and not (page.parent / path).exists():
            bad.append(url)
    return sorted(set(bad))


def page_problems(html: str, project_root: str | None = None) -> list[str]:
    """What is wrong with one built page (empty if nothing)."""
    problems = []
    text = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)  # what a reader sees, not page code
    found = set(MACHINE_PATH.findall(text))
    if project_root and project_root != "/" and project_root in text:
        found.add(project_root)
    if found:
        problems.append(f"machine paths in the page: {sorted(found)}")
    if CDN_MATHJAX.search(html):
        problems.append("MathJax is loaded from a CDN: the maths shows as raw LaTeX offline")
    if STYLE_SHEET not in html and not REDIRECT.search(html):
        problems.append(f"the style sheet {STYLE_SHEET} is not linked")
    return problems + layout_problems(html)


def book_problems(html_dir: Path, project_root: str | None = None) -> list[str]:
    """Problems of every page under ``html_dir``, each line prefixed by the page's path."""
    pages = sorted(p for p in html_dir.rglob("*.html")
                   if p.name not in SKIPPED and not p.relative_to(html_dir).parts[0].startswith("_"))
    if not pages:
        return [f"no HTML pages under {html_dir}"]
    problems = []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        found = page_problems(html, project_root)
        links = broken_links(html, page)
        if links:
            found.append(f"links to missing files: {links}")
        problems += [f"{page.relative_to(html_dir)}: {problem}" for problem in found]
    return problems


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    html_dir = Path(args[0] if args else "_build/html")
    root = str(Path(__file__).resolve().parents[1])
    problems = book_problems(html_dir, root)
    for line in problems:
        print(f"check_book.py: {line}", file=sys.stderr)
    if not problems:
        print(f"check_book.py: {html_dir}: no machine paths, no CDN maths, style sheet linked, every local "
              "link resolves, every table scrolls, progress in one hidden block and maths rendered, on every page")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
