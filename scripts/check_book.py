"""Check the built book's pages for what a reader should never see; exit 1 with one line per problem.

    python scripts/check_book.py _build/html          # scripts/build_book.sh runs this after the build

Checked on every HTML page of the book (not Sphinx's search and index pages):
* no machine paths: the project's own absolute path, or a temporary or home folder (``/tmp/...``,
  ``/home/...``, ``/root/...``), printed by a cell (a page must read the same on every machine);
* the book's style sheet is linked (``lstm-study.css``: glued numbers in normal weight, wide tables
  that scroll instead of being cut off);
* maths renders offline: MathJax is not loaded from a CDN (book/_ext/offline_math.py copies it);
* every local link and image resolves to a file of the built book (the figures' PNG/SVG/CSV, the
  chapters' results files in ``results/``, the pages themselves).
"""

from __future__ import annotations

import re
import sys
import urllib.parse
from pathlib import Path

STYLE_SHEET = "lstm-study.css"
MACHINE_PATH = re.compile(r"(?<![\w.:/-])/(?:tmp|home|root|private/var|var/folders)(?:/[\w.+-]+)+")
CDN_MATHJAX = re.compile(r'src="(?:https?:)?//[^"]*mathjax[^"]*"', re.I)
REDIRECT = re.compile(r'http-equiv="refresh"', re.I)  # the root index.html only points to the first page
SKIPPED = {"genindex.html", "search.html"}
LINK = re.compile(r'(?:href|src)="([^"]*)"')
EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|//)")  # http:, mailto:, data:, anchors


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
    return problems


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
        print(f"check_book.py: {html_dir}: no machine paths, no CDN maths, style sheet linked and every local "
              "link resolves on every page")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
