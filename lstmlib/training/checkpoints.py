"""Checkpoints inside a long training run, so that a job of hours can stop at any moment and continue.

:func:`lstmlib.train` writes its whole state every ``every`` seconds (at a chunk's end) to a checkpoint
file: the network's weights, the optimiser's state, every trial's status, the random generator that
draws the training sequences, the history so far and the stopping rules' state.  Called again with the
same arguments and the same file, it reads that state back into the objects it was given (the network
and the rules are updated in place, so the caller's references stay valid) and goes on from the chunk
after the checkpoint: the result is the same, number for number, as a run that was never stopped.

A train call gets a checkpoint file either explicitly (``train(..., checkpoint=path)``) or from the
:func:`checkpointing` context that :func:`lstmlib.study.jobs.run_jobs` opens around each job it runs with
a job store: the n-th train call of the job uses ``<folder>/train-<n>.ckpt``, so a job that trains
several times resumes each call (a call that had finished returns its final state at once).  A checkpoint
also holds a fingerprint of the call (its settings and the network's weights at the start); a file with
another fingerprint is ignored and overwritten.  Files are written to a temporary name and renamed into
place, so a kill leaves the previous checkpoint whole.

Stopping rules and ``after_chunk`` callbacks are kept with :mod:`pickle`; any reference they hold to the
network being trained is kept as a reference and restored to the live network.  Under the context, a
call whose rules cannot be pickled (a closure) runs without checkpoints (its job is still resumed as a
whole from the job store); with an explicit ``checkpoint`` it is an error, raised before training.
"""

from __future__ import annotations

import contextvars
import hashlib
import io
import os
import pickle
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: Seconds between checkpoints, unless told otherwise.
EVERY_S = 60.0


@dataclass
class _Context:
    folder: Path
    every: float
    calls: int = 0


_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("lstmlib_checkpoints", default=None)


@contextmanager
def checkpointing(folder, every=EVERY_S):
    """Within the block, the n-th :func:`lstmlib.train` call (n = 0, 1, ...) keeps its checkpoint in
    ``<folder>/train-<n>.ckpt`` (the folder is created), every ``every`` seconds."""
    if isinstance(every, bool) or not isinstance(every, (int, float)) or not every >= 0:
        raise ValueError(f"every must be a number of seconds >= 0, got {every!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    token = _ACTIVE.set(_Context(folder, float(every)))
    try:
        yield folder
    finally:
        _ACTIVE.reset(token)


def claim():
    """``(path, every)`` for the next train call under :func:`checkpointing`, or None outside it."""
    ctx = _ACTIVE.get()
    if ctx is None:
        return None
    path = ctx.folder / f"train-{ctx.calls}.ckpt"
    ctx.calls += 1
    return path, ctx.every


def fingerprint(net, settings) -> str:
    """A hash of a train call's ``settings`` (a repr-able tuple) and ``net``'s weights before training."""
    h = hashlib.sha256(repr(settings).encode())
    for name in sorted(net.params):
        h.update(name.encode())
        h.update(net.params[name].tobytes())
    return h.hexdigest()


def _dumps(state, net) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.persistent_id = lambda obj: "net" if obj is net else None  # the live network, not a copy
    pickler.dump(state)
    return buf.getvalue()


def picklable(objects, net) -> bool:
    """Whether ``objects`` (rules, callbacks) can be kept in a checkpoint."""
    try:
        _dumps(objects, net)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


def save(path, state, net):
    """Write ``state`` (a dict) to ``path`` atomically; references to ``net`` are kept as references."""
    write_atomically(path, _dumps(state, net))


def write_atomically(path, data: bytes):
    """Write ``data`` to ``path`` through a temporary file in the same folder (``.tmp-*.part``) renamed
    into place: a kill at any moment leaves the old file or the new one, never half of one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path, net, expect_fingerprint):
    """The state in ``path`` if it exists and has ``expect_fingerprint``, else None; references to the
    network come back as ``net``."""
    path = Path(path)
    if not path.exists():
        return None
    with open(path, "rb") as f:
        unpickler = pickle.Unpickler(f)
        unpickler.persistent_load = lambda pid: net if pid == "net" else _bad(pid)
        state = unpickler.load()
    if state.get("fingerprint") != expect_fingerprint:
        return None
    return state


def _bad(pid):
    raise pickle.UnpicklingError(f"unknown reference {pid!r} in a checkpoint")


def restore_into(obj, loaded):
    """Make ``obj`` (a rule or callback the caller holds) take ``loaded``'s state, in place."""
    if obj is None:
        return
    if hasattr(obj, "__dict__"):
        obj.__dict__.clear()
        obj.__dict__.update(loaded.__dict__)
    elif obj != loaded:  # a stateless callable (a module-level function) needs nothing
        raise ValueError(f"cannot restore the state of {obj!r}")


class LoopCheckpoint:
    """Checkpoints for a training loop of a chapter's own (the timing chapter's streams), in the same
    file scheme as :func:`lstmlib.train`: it claims the next file under :func:`checkpointing` (outside
    the context it does nothing).  ``settings``: what identifies the loop (a job's ``repr``), hashed with
    ``net``'s initial weights.  :meth:`load` returns the loop's saved variables (and puts the saved
    weights back into ``net``) or None; :meth:`save` keeps them (anything picklable; references to ``net``
    stay references) every ``every`` seconds when called with ``when_due=True``."""

    def __init__(self, net, settings):
        import time
        claimed = claim()
        self.net, self.clock = net, time.perf_counter
        self.path, self.every = (None, None) if claimed is None else claimed
        self.fingerprint = fingerprint(net, settings) if claimed is not None else None
        self.last = self.clock()

    @property
    def active(self) -> bool:
        return self.path is not None

    def load(self):
        if not self.active:
            return None
        state = load(self.path, self.net, self.fingerprint)
        if state is None:
            return None
        for name, value in state["params"].items():
            self.net.params[name][...] = value
        return state["loop"]

    def save(self, loop, when_due=False):
        if not self.active or (when_due and self.clock() - self.last < self.every):
            return
        self.last = self.clock()
        save(self.path, {"fingerprint": self.fingerprint, "loop": loop,
                         "params": {n: v.copy() for n, v in self.net.params.items()}}, self.net)
