"""Finished jobs kept on disk, so that a long run can stop at any moment and continue where it stopped.

:class:`JobStore` keeps one file per finished job under a folder (a chapter keeps its store beside its
results file: ``<results_dir>/<chapter>.jobs/``), named by a key made of the job's parameters (its
``repr``: every chapter job is a frozen dataclass, protocol and task included) and the code version
(:func:`code_version`: the library's version and a hash of its source files, so that a changed line of
``lstmlib`` runs everything again).  Each file is written to a temporary name and renamed into place, so a
run killed at any moment leaves finished jobs whole and nothing half-written.  :func:`lstmlib.study.jobs.
run_jobs` takes a store: it returns the stored record of every job already done (saying how many) and
stores each job it finishes.

Records are kept with :mod:`pickle` (exactly what the job returned: NaNs, tuples and integer keys
survive), so a store is for the machine's own runs, not for files from elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path

from ..training.checkpoints import write_atomically

__all__ = ["JobStore", "code_version", "job_key", "progress"]

_SOURCE = Path(__file__).resolve().parents[1]  # the lstmlib package


def code_version() -> str:
    """The library's version and the first 12 hex digits of a SHA-256 over its source files (paths and
    contents, in path order): equal exactly when no ``.py`` file of ``lstmlib`` changed."""
    from .._version import __version__
    h = hashlib.sha256()
    for path in sorted(_SOURCE.rglob("*.py")):
        h.update(str(path.relative_to(_SOURCE)).encode())
        h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def job_key(job, version) -> str:
    """The store's name for ``job`` at code ``version``: a SHA-256 of the job's ``repr`` and the version.
    A job whose ``repr`` holds a memory address (an object without a stable ``repr``) or "..." (numpy's
    abbreviation of a large array: two different arrays could look the same) cannot be keyed."""
    text = repr(job)
    if " at 0x" in text or "..." in text:
        raise ValueError(f"job {getattr(job, 'name', text[:60])!r} has no stable repr (it shows a memory address "
                         "or an abbreviated array), so it cannot be stored for resuming")
    return hashlib.sha256(f"{version}\n{text}".encode()).hexdigest()[:32]


class JobStore:
    """Finished jobs' records in ``folder`` (created), keyed by :func:`job_key` at ``version`` (default:
    :func:`code_version` now)."""

    def __init__(self, folder, version=None):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ValueError(f"cannot create the job store {self.folder}: {e}") from None
        if not os.access(self.folder, os.W_OK):
            raise ValueError(f"cannot write to the job store {self.folder}")
        self.version = code_version() if version is None else str(version)

    def path(self, job) -> Path:
        return self.folder / f"{job_key(job, self.version)}.pkl"

    def checkpoint_folder(self, job) -> Path:
        """Where the training inside ``job`` keeps its checkpoints while it runs (removed when it is stored)."""
        return self.folder / f"{job_key(job, self.version)}.checkpoints"

    def get(self, job):
        """The stored record of ``job``, or None if it has not finished (at this code version)."""
        path = self.path(job)
        if not path.exists():
            return None
        with open(path, "rb") as f:
            stored = pickle.load(f)
        if stored.get("job_repr") != repr(job):  # a hash collision, in theory: run it again
            return None
        return stored["record"]

    def put(self, job, record):
        """Store ``record`` for ``job`` atomically (a temporary file renamed into place)."""
        write_atomically(self.path(job), pickle.dumps({"job_repr": repr(job), "version": self.version,
                                                       "record": record}))
        shutil.rmtree(self.checkpoint_folder(job), ignore_errors=True)  # the job is whole: its checkpoints go

    def write_plan(self, jobs):
        """Write ``plan.json``: every job of the run (name, key, trials, budget, unit), so that
        :func:`progress` can tell what is done, running and waiting without the jobs themselves."""
        plan = [{"job": j.name, "key": job_key(j, self.version), "trials": getattr(j, "trials", None),
                 "budget": getattr(j, "budget", None), "unit": getattr(j, "unit", "sequences")} for j in jobs]
        write_atomically(self.folder / "plan.json", json.dumps({"version": self.version, "jobs": plan},
                                                                indent=1).encode())

    def __len__(self):
        return sum(1 for _ in self.folder.glob("*.pkl"))

    def __repr__(self):
        return f"JobStore({str(self.folder)!r}, version={self.version!r})"


def progress(folder) -> list[dict]:
    """How far the run whose store is ``folder`` got, per job of its ``plan.json`` (in plan order):
    ``state`` "done" (its record is stored), "running" (a training checkpoint exists) or "waiting";
    ``trials``, ``solved``, ``seen`` (the most training items any trial has seen: the job's budget when
    done) and ``budget``.  Reads the files only; a store without a plan gives [] ."""
    folder = Path(folder)
    plan_file = folder / "plan.json"
    if not plan_file.exists():
        return []
    rows = []
    for entry in json.loads(plan_file.read_text())["jobs"]:
        key, row = entry["key"], {**entry, "state": "waiting", "solved": 0, "seen": 0}
        row.pop("key")
        done = folder / f"{key}.pkl"
        if done.exists():
            with open(done, "rb") as f:
                record = pickle.load(f)["record"]
            trials = record.get("trials", [])
            unit = entry.get("unit") or "sequences"
            row.update(state="done", solved=sum(t.get("status") == "solved" for t in trials),
                       seen=max((t.get("sequences_seen") or t.get(f"{unit}_seen") or t.get(unit) or 0 for t in trials),
                                default=0))
        else:
            state = _latest_checkpoint(folder / f"{key}.checkpoints")
            if state is not None:
                row["state"] = "running"
            if state is not None and "hist" in state:  # a Trainer's; other jobs' checkpoints say only "running"
                hist = state["hist"]
                row.update(solved=hist.status.count("solved"), seen=int(hist.sequences_seen.max()))
        rows.append(row)
    return rows


def _latest_checkpoint(checkpoints):
    """The state in the last checkpoint of a running job (None if it has none yet)."""
    files = sorted(Path(checkpoints).glob("train-*.ckpt"), key=lambda p: int(p.stem.split("-")[1]))
    if not files:
        return None
    with open(files[-1], "rb") as f:
        unpickler = pickle.Unpickler(f)
        unpickler.persistent_load = lambda pid: None  # the live network is not needed to read the history
        return unpickler.load()
