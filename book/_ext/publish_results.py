"""Sphinx extension: publish the chapters' results files with the book.

The chapters write ``<project>/_build/results/<chapter>.json`` while they execute (their default
``results_dir``); after an HTML build this copies them into the book's ``results/`` folder, beside
``figures/``, so that each chapter can link its results file (``../results/<chapter>.json``) and a
reader can download the numbers behind every table and figure."""

import shutil
from pathlib import Path

RESULTS = Path("_build") / "results"


def publish(srcdir, outdir) -> list[Path]:
    """Copy ``srcdir/_build/results/*.json`` into ``outdir/results/``; returns the copies."""
    target = Path(outdir) / "results"
    files = sorted((Path(srcdir) / RESULTS).glob("*.json"))
    if files:
        target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(f, target / f.name)) for f in files]


def _build_finished(app, exception):
    if exception is None and app.builder.format == "html":
        publish(app.srcdir, app.outdir)


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
