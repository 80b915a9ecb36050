"""Results files and figure files: what a chapter leaves behind for the scorecard and for citation.

A results file ``<results_dir>/<chapter>.json`` holds the chapter's parameters, per-trial records
and summary, with the provenance a reader needs to trust a number: library version, git commit,
date, seed, wall time, Python/numpy/torch versions and the machine.  A figure is saved once under
a stable name as PNG and SVG, with the plotted data beside it as CSV.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np

SCHEMA = 1


def git_commit(path=None) -> str:
    """The commit of the checkout holding ``path`` (default: this library), with ``+dirty`` if it has
    uncommitted changes; ``"unknown"`` outside a git checkout."""
    where = Path(path or __file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def provenance() -> dict:
    from .._version import __version__
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    try:
        import torch
        versions["torch"] = torch.__version__
    except ImportError:  # torch is only needed by the reference engine
        pass
    return {"lstmlib": __version__, "commit": git_commit(),
            "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores", "versions": versions}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def write_results(results_dir, chapter, *, parameters, records, summary, seed, wall_time,
                  run_provenance=None) -> Path:
    """Write ``<results_dir>/<chapter>.json`` and return its path.  ``records``: one dict per trial
    (or per experiment row); ``summary``: what the chapter's text and the scorecard read.
    ``run_provenance``: :func:`provenance` taken when the run *started* (the commit that ran, even if the
    checkout moved on during a long run); by default it is taken now."""
    if not chapter or not str(chapter).replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"chapter must be a plain name (letters, digits, _ and -), got {chapter!r}")
    path = Path(results_dir) / f"{chapter}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"schema": SCHEMA, "chapter": chapter, "provenance": run_provenance or provenance(), "seed": seed,
           "wall_time_s": wall_time, "parameters": parameters, "summary": summary, "records": records}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_jsonable(doc), indent=1, allow_nan=False))
    tmp.replace(path)  # never leave a half-written results file
    return path


#: The ending of a run-in-progress file (:func:`write_partial`): not a results file, never read as one.
PARTIAL_SUFFIX = ".partial.json"


def write_partial(results_dir, chapter, *, jobs, command, started=None) -> Path:
    """Write ``<results_dir>/<chapter>.partial.json``: how far an unfinished run got (``jobs``: the rows of
    :func:`lstmlib.study.store.progress`), the ``command`` that continues it and the provenance of the
    code it runs (``started``: :func:`provenance` of the run; by default taken now).  Marked
    ``"partial": true``: the scorecard lists it under the runs in progress, never as results."""
    path = Path(results_dir) / f"{chapter}{PARTIAL_SUFFIX}"
    doc = {"schema": SCHEMA, "chapter": chapter, "partial": True, "provenance": started or provenance(),
           "updated": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "command": command,
           "jobs": jobs}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(_jsonable(doc), indent=1, allow_nan=False))
    tmp.replace(path)
    return path


def read_partials(reference_dir) -> list[dict]:
    """Every run-in-progress file under the folders of ``reference_dir`` (resolved against the project
    root), by folder, each with its ``folder`` name added."""
    root = resolve_path(reference_dir)
    out = []
    for f in sorted(root.glob(f"*/*{PARTIAL_SUFFIX}")):
        out.append({**json.loads(f.read_text()), "folder": f.parent.name})
    return out


def read_named_results(folder, chapter):
    """The results document of ``chapter`` in ``folder`` (resolved against the project root), or None if
    ``folder`` is None, is not a folder or holds none (a script's file that a chapter reads)."""
    if folder is None:
        return None
    path = resolve_path(folder)
    if not path.is_dir():
        return None
    return next((d for d in read_results(path) if d.get("chapter") == chapter), None)


def read_results(results_dir) -> list[dict]:
    """Every results file in ``results_dir``, sorted by chapter name."""
    files = sorted(f for f in Path(results_dir).glob("*.json") if not f.name.endswith(PARTIAL_SUFFIX))
    docs = [json.loads(f.read_text()) for f in files]
    for f, d in zip(files, docs):
        if d.get("schema") != SCHEMA:
            raise ValueError(f"{f} has schema {d.get('schema')!r}, this library reads schema {SCHEMA}")
    return docs


def figure_files(name) -> list[str]:
    """The files a figure called ``name`` is saved as (:func:`save_figure`): PNG, SVG and its data as CSV."""
    return [f"{name}.png", f"{name}.svg", f"{name}.csv"]


def figure_entry(name, caption) -> dict:
    """A figure as the Figures page lists it: label ``fig-<name>`` (``-`` for ``_``), caption and the
    names of its files (:func:`figure_files`)."""
    return {"label": "fig-" + name.replace("_", "-"), "caption": caption, "files": figure_files(name)}


def save_figure(fig, name, data, folder) -> list[Path]:
    """Save ``fig`` as ``<folder>/<name>.png`` and ``.svg`` and the plotted ``data`` (a dict of equally
    long columns) as ``<name>.csv``; returns the three paths."""
    if not name or not str(name).replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"figure name must be a plain name (letters, digits, _ and -), got {name!r}")
    columns = {str(k): np.asarray(v).ravel() for k, v in data.items()}
    if not columns or len({len(v) for v in columns.values()}) != 1:
        raise ValueError("data must be a non-empty dict of equally long columns")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f for f in figure_files(name)]
    fig.savefig(paths[0], dpi=150, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight", metadata={"Date": None})  # no timestamp: stable files
    with open(paths[2], "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(zip(*columns.values()))
    return paths


def check_output_dirs(*folders, start=None) -> list[Path]:
    """Each folder resolved against the project root (:func:`resolve_path`), created and checked for
    writing: a chapter calls this in its first cell, so that a bad folder fails now, not after hours of
    training.  Returns the resolved paths."""
    paths = []
    for folder in folders:
        path = resolve_path(folder, start)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ValueError(f"cannot create the folder {path}: {e}") from None
        if not os.access(path, os.W_OK):
            raise ValueError(f"cannot write to the folder {path}")
        paths.append(path)
    return paths


class FigureExporter:
    """A chapter's figure output: ``export(fig, data, name)`` saves the figure under its stable name
    (:func:`save_figure`), glues it, its caption and its download links into the page as
    ``fig_<name>``, ``cap_<name>`` and ``files_<name>`` and closes it; :attr:`figures` lists what was
    exported, as the results file's ``figures`` entry (label ``fig-<name>`` with ``-`` for ``_``,
    caption, file names), which the Figures page reads.

    ``captions``: name -> caption.  ``files_url``: where the book's pages find the files (the chapters'
    pages sit one folder below the book's root, the figures in its ``figures/``).  ``glue``:
    ``myst_nb.glue`` (the default) or any callable with its signature ``glue(key, value,
    display=False)``."""

    def __init__(self, folder, captions: dict, glue=None, files_url="../figures"):
        self.folder, self.captions, self._glue = Path(folder), dict(captions), glue
        self.files_url = files_url
        self.files: dict[str, list[str]] = {}

    def __call__(self, fig, data, name):
        if name not in self.captions:
            raise ValueError(f"no caption for figure {name!r}; captions are given for {sorted(self.captions)}")
        import matplotlib.pyplot as plt
        glue = self._glue
        if glue is None:
            from myst_nb import glue
        glue(f"cap_{name}", self.captions[name], display=False)
        self.files[name] = [p.name for p in save_figure(fig, name, data, self.folder)]
        glue(f"fig_{name}", fig, display=False)
        from IPython.display import Markdown
        glue(f"files_{name}", Markdown(download_links(self.files[name], self.files_url, name)), display=False)
        plt.close(fig)

    @property
    def figures(self) -> list[dict]:
        return [{**figure_entry(name, self.captions[name]), "files": files} for name, files in self.files.items()]


def project_root(start=None) -> Path:
    """The study's root folder: the nearest folder at or above ``start`` (default: the working directory)
    that holds ``_toc.yml``; ``start`` itself if there is none.  Chapters run with their own folder as
    working directory in the book build and with the caller's under papermill; both find the root."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    return here


def resolve_path(path, start=None) -> Path:
    """``path`` as given if absolute, else relative to :func:`project_root`."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else project_root(start) / path


def shown_path(path, start=None) -> str:
    """``path`` as a page shows it: relative to :func:`project_root` when it lies inside the project
    (the same on every machine, and no machine's folders leak into the book), else as given."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(project_root(start).resolve()))
    except ValueError:
        return str(path)


def scorecard(results_dir) -> list[dict]:
    """The reproduction scorecard: every row that a results file lists under ``summary["scorecard"]``,
    with the file's commit and date added."""
    rows = []
    for doc in read_results(results_dir):
        for row in doc.get("summary", {}).get("scorecard", []):
            rows.append({**row, "commit": doc["provenance"]["commit"][:12], "date": doc["provenance"]["date"]})
    return rows


def download_links(files, url, label) -> str:
    """The line under a figure: its label and a link to each of its files (raw HTML, so that the
    book's build leaves the paths alone: they point into the built book's ``figures/`` folder)."""
    links = " · ".join(f'<a href="{url}/{name}">{Path(name).suffix[1:].upper()}</a>' for name in files)
    return f"Label `fig-{label.replace('_', '-')}`; files: {links}"


def figure_index(results_dir, chapters=()) -> list[dict]:
    """Every figure that a results file lists under ``summary["figures"]`` (``label``, ``caption``,
    ``files``), with its chapter; the chapters in the order of ``chapters`` (the book's), then the
    others, each chapter's figures in its own order."""
    order = list(chapters)
    docs = sorted(read_results(results_dir), key=lambda d: order.index(d["chapter"]) if d["chapter"] in order
                  else len(order))
    return [{"chapter": doc["chapter"], **fig} for doc in docs for fig in doc.get("summary", {}).get("figures", [])]


def figure_table(figures, url) -> str:
    """The Figures page's table (Markdown): a thumbnail, the figure's number (``{numref}``), its label,
    caption and files, one row per figure in the order given."""
    lines = ["| | figure | label | caption | files |", "|---|---|---|---|---|"]
    for f in figures:
        png = next((n for n in f["files"] if n.endswith(".png")), None)
        thumb = f'<img src="{url}/{png}" alt="{f["label"]}" width="120">' if png else ""
        files = " ".join(f'<a href="{url}/{name}">{name}</a>' for name in f["files"])
        caption = f["caption"].replace("|", "\\|")
        lines.append(f"| {thumb} | {{numref}}`{f['label']}` | `{f['label']}` | {caption} | {files} |")
    return "\n".join(lines)
