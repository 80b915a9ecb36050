"""Sphinx extension: the book's maths renders without a network connection.

MathJax 3.2.2 comes as files with the pinned package ``django-static-mathjax`` (no Django needed: it
only ships them).  After an HTML build this copies the part that renders TeX as HTML (``tex-chtml.js``,
the TeX extensions it loads on demand, the CHTML fonts, the menu and accessibility modules; not the
other combined bundles or the speech maps) into ``_static/mathjax/``, and ``_config.yml`` points
``mathjax_path`` there instead of a CDN."""

import shutil
from pathlib import Path

ENTRY = "tex-chtml.js"
PARTS = (ENTRY, "input/tex", "output/chtml", "ui", "a11y", "adaptors", "core.js", "startup.js")


def source() -> Path:
    """MathJax's ``es5`` folder in the installed package."""
    import mathjax
    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def copy(outdir, src=None) -> Path:
    """Copy the parts of ``src`` (default: :func:`source`) that :data:`ENTRY` needs into
    ``outdir/_static/mathjax``; returns the copied entry script."""
    src = Path(src) if src is not None else source()
    target = Path(outdir) / "_static" / "mathjax"
    for part in PARTS:
        path = src / part
        if path.is_dir():
            shutil.copytree(path, target / part, dirs_exist_ok=True)
        elif path.is_file():
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / part)
    if not (target / ENTRY).is_file():
        raise FileNotFoundError(f"MathJax's {ENTRY} not found in {src}")
    return target / ENTRY


def _build_finished(app, exception):
    if exception is None and app.builder.format == "html":
        copy(app.outdir)


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
