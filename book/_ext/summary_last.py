"""Sphinx extension: the summary pages (``summary/*``) read the results files that the chapters write
while they execute, so they must be read after every chapter, and re-read (and re-executed, see their
``mystnb.execution_mode`` metadata) on every build, even when only a chapter changed."""

PREFIX = "summary/"


def _always_reread(app, env, added, changed, removed):
    return [d for d in env.found_docs if d.startswith(PREFIX)]


def _summaries_last(app, env, docnames):
    docnames.sort(key=lambda d: (d.startswith(PREFIX), d))


def setup(app):
    app.connect("env-get-outdated", _always_reread)
    app.connect("env-before-read-docs", _summaries_last)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
