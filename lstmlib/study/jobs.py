"""Jobs and the runner: each (protocol, architecture) pair of a chapter is one job of K independent trials.

A job is any object with ``name``, ``unit`` (what its trials count: sequences, strings, streams),
``cost()`` (to run long jobs first), ``check()`` (raise on bad settings before any work starts) and
``run(progress) -> dict`` (a plain-dict record that a results file can hold); :class:`ChapterJob` is
the common base.  :func:`run_jobs` runs a list of jobs in worker processes (one thread each, the
fastest use of this machine's cores at these sizes) and knows no chapter.  Same seed, same numbers,
whatever the number of workers: every job derives its seeds from ``(seed, protocol key, architecture)``
with :func:`derive_seed`.
"""

from __future__ import annotations

import math
import os
import queue
import re
import time
import zlib
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._checks import check_count, check_counts
from ..model import ARCHITECTURES, build

#: The four architectures every chapter compares.
MAIN_ARCHITECTURES = ("rnn", "vanilla", "forget", "peephole")

#: The plain RNN's learning rate, as a fraction of a protocol's (the chapters that train it by exact BPTT
#: beside online LSTMs).  Trained by exact BPTT at the LSTM's rate it can blow up at once (H&S 1997 Exp. 3a,
#: lr 1.0: 3 of 3 trials diverged within 3,000 sequences), which says nothing about long time lags; at a
#: tenth of it, it trains, and the report says where it stands.
RNN_LR_FACTOR = 0.1


def derive_seed(seed, *parts) -> int:
    """A seed derived from a chapter's seed and names (row, architecture, purpose): the same numbers
    whatever the order or the process in which jobs run."""
    return zlib.crc32("/".join(map(str, (seed,) + parts)).encode())


def matched_rnn(n_inputs, n_outputs, target_weights, *, trials=1, seed=0, **common):
    """The plain RNN with the fewest fully recurrent tanh units whose weight count reaches
    ``target_weights`` (the weight-matched baseline of every chapter); ``common``: :func:`build` options."""
    units = 1
    while build("rnn", n_inputs, n_outputs, units, 1, **common).n_weights < target_weights:
        units += 1
    return build("rnn", n_inputs, n_outputs, units, 1, trials=trials, seed=seed, **common)


def network_from_weights(make, record, trials=None):
    """The trained networks of a record's ``trials`` (indices; default all), in that order:
    ``make(arch, K)`` builds K untrained networks of the record's architecture, and the record's final
    weights are copied in."""
    recorded = record["trials"]
    trials = list(range(len(recorded))) if trials is None else list(trials)
    for k in trials:
        if not 0 <= k < len(recorded):
            raise ValueError(f"trial must lie in [0, {len(recorded)}), got {k!r}")
    net = make(record["arch"], len(trials))
    for name in recorded[trials[0]]["weights"]:
        net[name] = np.stack([np.asarray(recorded[k]["weights"][name], dtype=float) for k in trials])
    return net


def parse_names(value, what):
    """A list of names from a list, or from the comma-separated string (or bare number) that papermill's
    ``-p experiments 4,3c`` passes; None stays None."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        value = [v for v in value.replace("[", " ").replace("]", " ").replace('"', " ").replace("'", " ")
                 .replace(",", " ").split()]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{what} must be None, a non-empty list or a comma-separated string, got {value!r}")
    return [str(v) for v in value]


def check_scale(scale, scales):
    """``scale`` must be a key of the chapter's ``scales``."""
    if scale not in scales:
        raise ValueError(f"unknown scale {scale!r}; valid: {list(scales)}")
    return scale


def choose_names(value, default, valid, what, valid_text=None) -> list[str]:
    """A chapter option naming rows or architectures: ``default`` (a list) when ``value`` is None, else
    :func:`parse_names` of ``value``, each name checked against ``valid`` ("unknown <what> ...").
    ``valid_text`` replaces the list of valid names in the error."""
    names = list(default) if value is None else parse_names(value, f"{what}s")
    for name in names:
        if name not in valid:
            raise ValueError(f"unknown {what} {name!r}; valid: {valid_text or list(valid)}")
    return names


def check_job_options(seed, **counts):
    """The options every chapter's ``jobs_for`` takes: each count (``trials``, ``budget``, ...) None or a
    positive integer, and an integer ``seed``."""
    for name, value in counts.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be None or a positive integer, got {value!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")


@dataclass(frozen=True)
class ChapterJob:
    """What every chapter's jobs share: ``trials`` trials of ``arch`` on ``protocol`` (anything with a
    ``key``), at most ``budget`` training items (``unit``) each, ``arch`` one of ``architectures``.  A
    subclass adds ``cost()`` and ``run(progress)`` (and extends ``check()`` with its own settings), and
    :func:`run_jobs` runs it."""

    protocol: object
    arch: str
    trials: int
    budget: int
    seed: int = 0
    unit: ClassVar[str] = "sequences"
    architectures: ClassVar = ARCHITECTURES
    solvable: ClassVar[bool] = True  # False: the trials train for their whole budget (progress says so)

    @property
    def name(self) -> str:
        return f"{self.protocol.key}/{self.arch}"

    def check(self, **counts):
        """The checks every job shares: a known architecture, and ``trials``, ``budget`` and the
        subclass's ``counts`` positive integers."""
        check_arch(self.arch, self.architectures)
        check_counts(self.name, trials=self.trials, budget=self.budget, **counts)


def check_arch(arch, valid=ARCHITECTURES) -> str:
    """``arch`` must be one of ``valid`` (by default the presets of :data:`lstmlib.model.ARCHITECTURES`)."""
    if not isinstance(arch, str) or arch not in valid:
        raise ValueError(f"unknown architecture {arch!r}; valid: {sorted(valid)}")
    return arch


def check_workers(workers) -> int:
    """The number of worker processes must be a positive integer (a chapter checks it in its first cell)."""
    return check_count("workers", workers)


def check_shards(shards) -> int:
    """The number of shards a job may be split into must be a positive integer (1: not split)."""
    return check_count("shards", shards)


def check_jobs(jobs):
    """Reject bad jobs before any work starts: each needs ``name``, ``cost()``, ``check()`` and
    ``run(progress)`` (a :class:`ChapterJob` has them), and names must be unique."""
    for job in jobs:
        if not all(callable(getattr(job, m, None)) for m in ("cost", "check", "run")):
            raise ValueError(f"expected a job (an object with cost/check/run, e.g. a ChapterJob), "
                             f"got {type(job).__name__}")
        job.check()
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate jobs: {sorted({n for n in names if names.count(n) > 1})}")


def downsample_curve(seen, loss, frac, points):
    """A learning curve of one trial as [[sequences, mean loss, fraction correct], ...], at most
    ``points`` rows: chunks that fall in the same bin of sequences seen are averaged."""
    seen = np.asarray(seen, float)
    keep = np.r_[True, np.diff(seen) > 0] & (seen > 0)  # rows after a trial stopped repeat its count
    seen, loss, frac = seen[keep], np.asarray(loss)[keep], np.asarray(frac)[keep]
    if len(seen) == 0:
        return []
    if len(seen) > points:
        bins = np.minimum((seen / seen[-1] * points).astype(int), points - 1)
    else:
        bins = np.arange(len(seen))
    out = []
    for b in np.unique(bins):
        m = bins == b
        out.append([int(seen[m][-1]), _round(np.mean(loss[m])), _round(np.mean(frac[m]))])
    return out


def _round(v):
    v = float(v)
    return round(v, 6) if math.isfinite(v) else None


def _worker_init():
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _keep_freed_memory()
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass


def _keep_freed_memory():
    """Have glibc's malloc keep freed memory for reuse instead of handing it back to the system at once.
    Every engine call allocates and frees buffers of a few MB; in a worker process glibc trimmed the
    heap after each (a brk system call and fresh zeroed pages at the next call), which took half the
    worker's time on the timing chapter's stream-by-stream jobs.  Speed only: no number changes."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    libc.mallopt(M_TRIM_THRESHOLD, 512 << 20)
    libc.mallopt(M_TOP_PAD, 64 << 20)
    libc.mallopt(M_MMAP_THRESHOLD, 256 << 20)


def _run_checkpointed(job, progress, folder, every):
    """``job.run``, its train calls keeping checkpoints in ``folder`` (None: none)."""
    if folder is None:
        return job.run(progress=progress)
    from ..training.checkpoints import checkpointing
    with checkpointing(folder, every):
        return job.run(progress=progress)


def _run_in_worker(job, messages, folder, every):
    return _run_checkpointed(job, lambda line: messages.put((job.name, line)), folder, every)


def check_scheduler(scheduler):
    """None (local worker processes), ``"local"`` (a Dask ``LocalCluster`` on this machine) or the address
    of a running Dask scheduler (``"tcp://host:port"``)."""
    if scheduler is None or scheduler == "local":
        return scheduler
    if not isinstance(scheduler, str) or not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise ValueError(f"scheduler must be None, 'local' or a Dask scheduler address such as "
                         f"'tcp://host:8786', got {scheduler!r}")
    return scheduler


def job_store(results_dir, chapter):
    """The :class:`~lstmlib.study.store.JobStore` of ``chapter``: ``<results_dir>/<chapter>.jobs``, beside
    its results file."""
    from .results import resolve_path
    from .store import JobStore
    return JobStore(resolve_path(results_dir) / f"{chapter}.jobs")


def run_jobs(jobs, workers=2, progress=print, *, scheduler=None, store=None, checkpoint_every=None,
             shards=1) -> list[dict]:
    """Run ``jobs`` on ``workers`` processes, longest first; return each job's record, in the order given.

    A record is whatever the job's ``run`` returns; every chapter's has ``job``, ``protocol``, ``arch``,
    ``n_weights``, ``budget``, ``seeds``, ``wall_time_s`` and ``trials`` (per trial at least ``status``
    solved/diverged/budget, the job's ``unit`` to solution, a downsampled ``curve`` and the final
    ``weights`` by parameter name, from which :func:`network_from_weights` rebuilds the network).

    ``progress``: a callable for plain-text progress lines (``print``: what the book uses), ``"auto"``
    (a live tqdm bar per running job when standard error is a terminal, else plain lines), ``"tqdm"``,
    or None.  Lines from inside a job (sequences or streams seen, trials solved, time left at most) come
    every 30-60 s, on local workers and on a Dask cluster alike.  ``scheduler``: None (this machine's
    worker processes), ``"local"`` (a Dask ``LocalCluster`` of ``workers`` processes) or a Dask
    scheduler's address (its workers; ``workers`` is then ignored); the dashboard's link is printed.
    ``store``: a :class:`~lstmlib.study.store.JobStore`; jobs it holds are not run again (their stored
    records are returned), every job that finishes is stored at once, and the training inside a job
    keeps a checkpoint every ``checkpoint_every`` seconds (default 60) beside the store
    (:mod:`lstmlib.training.checkpoints`), so a killed run resumes where it stopped, even inside a job.
    On a remote cluster the checkpoints are written by the workers, under the same path: resuming inside
    a job needs a folder the workers share.  ``shards``: split every job that can be split (it has
    ``split(n)`` and ``merge(records)``, e.g. the noisy-recall chapter's) into up to that many shards of
    its trials, run as jobs of their own (stored, resumed, spread over the workers) and merged into its
    record.  Results do not depend on ``workers``, ``scheduler``, ``shards`` or resuming.
    """
    jobs = list(jobs)
    check_jobs(jobs)
    check_workers(workers)
    check_scheduler(scheduler)
    check_shards(shards)
    groups = [job.split(shards) if shards > 1 and callable(getattr(job, "split", None)) else [job] for job in jobs]
    if any(len(g) > 1 for g in groups):
        parts = run_jobs([p for g in groups for p in g], workers, progress, scheduler=scheduler, store=store,
                         checkpoint_every=checkpoint_every)
        merged, at = [], 0
        for job, g in zip(jobs, groups):
            records, at = parts[at:at + len(g)], at + len(g)
            merged.append(type(job).merge(records) if len(g) > 1 else records[0])
        return merged
    if checkpoint_every is not None and (isinstance(checkpoint_every, bool) or
                                         not isinstance(checkpoint_every, (int, float)) or checkpoint_every < 0):
        raise ValueError(f"checkpoint_every must be None or a number of seconds >= 0, got {checkpoint_every!r}")
    display = _display(progress, jobs)
    t0 = time.perf_counter()
    results = [None] * len(jobs)
    if store is not None:
        store.write_plan(jobs)
        for i, job in enumerate(jobs):
            results[i] = store.get(job)
        done = sum(r is not None for r in results)
        if done:
            from .results import shown_path  # relative to the project: no machine's folders in the book
            display.line(f"resuming: {done} of {len(jobs)} jobs already done, read from {shown_path(store.folder)}")
    todo = sorted((i for i in range(len(jobs)) if results[i] is None), key=lambda i: -jobs[i].cost())
    from ..training.checkpoints import EVERY_S
    every = EVERY_S if checkpoint_every is None else float(checkpoint_every)
    folders = {i: None if store is None else str(store.checkpoint_folder(jobs[i])) for i in todo}

    def finish(i, record):
        results[i] = record
        if store is not None:
            store.put(jobs[i], record)  # and drops the job's checkpoints
        r = results[i]
        unit = jobs[i].unit
        solved = [t[unit] for t in r["trials"] if t["status"] == "solved"]
        med = f", median {int(np.median(solved)):,} {unit}" if solved else ""
        if getattr(jobs[i], "solvable", True):
            outcome = f"{len(solved)}/{len(r['trials'])} solved{med}"
        else:  # nothing to solve: trials that train their whole budget, or a measurement without trials
            outcome = f"{len(r['trials'])} trials, {jobs[i].budget:,} {unit} each" if r["trials"] else "measured"
        display.finished(jobs[i].name, f"[{time.perf_counter() - t0:7.1f}s] done {r['job']}: {outcome} "
                                       f"({r['wall_time_s']:.1f} s)")

    try:
        if not todo:
            return results
        if scheduler is not None:
            _run_on_dask(jobs, todo, workers, scheduler, display, finish, folders, every)
        elif workers == 1 or len(todo) == 1:
            for i in todo:
                finish(i, _run_checkpointed(jobs[i], lambda line, n=jobs[i].name: display.job_line(n, line),
                                            folders[i], every))
        else:
            _run_in_processes(jobs, todo, workers, display, finish, folders, every)
    finally:
        display.close()
    return results


def _run_in_processes(jobs, todo, workers, display, finish, folders, every):
    import multiprocessing as mp
    ctx = mp.get_context("spawn")  # no fork of a threaded Jupyter kernel
    with ctx.Manager() as manager:
        messages = manager.Queue()
        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=ctx, initializer=_worker_init) as pool:
            futures = {pool.submit(_run_in_worker, jobs[i], messages, folders[i], every): i for i in todo}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                _drain(messages, display)
                for f in done:
                    finish(futures[f], f.result())
            _drain(messages, display)


def _run_job(job, folder, every, queue_name):
    """What a Dask worker runs: the job, with one thread (the first call in a worker sets it up), its
    progress lines sent to the driver through a Dask queue."""
    _worker_init()
    progress = None
    if queue_name is not None:
        from distributed import Queue
        queue = Queue(queue_name)
        progress = lambda line: queue.put((job.name, line))  # noqa: E731
    return _run_checkpointed(job, progress, folder, every)


def _run_on_dask(jobs, todo, workers, scheduler, display, finish, folders, every):
    """Submit every job still to do to a Dask cluster (longest first: highest priority) and finish each
    as it completes; the jobs' progress lines come back through a Dask queue."""
    import uuid

    from distributed import Client, LocalCluster, Queue
    from distributed import wait as dask_wait
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # inherited by the local cluster's worker processes
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=min(workers, len(todo)), threads_per_worker=1, processes=True,
                               dashboard_address=":0" if _has_dashboard() else None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        link = client.dashboard_link if (scheduler != "local" or _has_dashboard()) else None
        display.line(f"Dask scheduler {client.scheduler.address}" + (f", dashboard {link}" if link else ""))
        queue_name = None if display.silent else f"lstmlib-progress-{uuid.uuid4().hex}"
        queue = None if queue_name is None else Queue(queue_name, client=client)
        futures = {client.submit(_run_job, jobs[i], folders[i], every, queue_name, key=f"{jobs[i].name}-{i}",
                                 pure=False, priority=len(todo) - rank): i for rank, i in enumerate(todo)}
        pending = set(futures)
        while pending:
            try:
                done, pending = dask_wait(list(pending), timeout=1.0, return_when="FIRST_COMPLETED")
                pending = set(pending)
            except TimeoutError:
                done = ()
            if queue is not None:
                _drain_dask(queue, display)
            for future in done:
                finish(futures[future], future.result())
        if queue is not None:
            _drain_dask(queue, display)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _has_dashboard() -> bool:
    """Whether the Dask dashboard can be served here (it needs bokeh)."""
    import importlib.util
    return importlib.util.find_spec("bokeh") is not None


def _drain_dask(queue, display):
    while queue.qsize():
        for name, line in queue.get(batch=True):
            display.job_line(name, line)


def _drain(messages, display):
    while True:
        try:
            name, line = messages.get_nowait()
        except queue.Empty:
            return
        display.job_line(name, line)


#: What a progress line from inside a job says about how far it got ("seen 12,000 sequences/trial",
#: "12,000 streams"): the number a live bar counts.
_SEEN = re.compile(r"(?:seen )?([\d,]+) (?:sequences|streams|strings)")


def _display(progress, jobs):
    """The progress display :func:`run_jobs` writes to: plain lines, live bars or nothing."""
    if progress is None:
        return _Lines(None)
    if isinstance(progress, str):
        if progress not in ("auto", "tqdm"):
            raise ValueError(f"progress must be a callable, None, 'auto' or 'tqdm', got {progress!r}")
        import sys
        if progress == "tqdm" or sys.stderr.isatty():
            return _Bars({j.name: j for j in jobs})
        return _Lines(print)
    if not callable(progress):
        raise ValueError(f"progress must be a callable, None, 'auto' or 'tqdm', got {progress!r}")
    return _Lines(progress)


class _Lines:
    """Plain-text progress: every line as it comes (the book's build, a log file)."""

    def __init__(self, say):
        self.say, self.silent = say, say is None

    def line(self, text):
        if self.say is not None:
            self.say(text)

    def job_line(self, name, text):
        self.line(text)

    def finished(self, name, text):
        self.line(text)

    def close(self):
        pass


class _Bars:
    """A live tqdm bar per running job (in a terminal): its budget, how far it got, its last line."""

    silent = False

    def __init__(self, jobs):
        from tqdm import tqdm
        self.tqdm, self.jobs, self.bars = tqdm, jobs, {}

    def line(self, text):
        self.tqdm.write(text)

    def job_line(self, name, text):
        bar = self.bars.get(name)
        if bar is None:
            job = self.jobs.get(name)
            total = getattr(job, "budget", None)
            bar = self.bars[name] = self.tqdm(total=total, desc=name, unit=getattr(job, "unit", "it"),
                                              unit_scale=True, leave=False, dynamic_ncols=True)
        seen = _SEEN.search(text)
        if seen:
            bar.n = int(seen.group(1).replace(",", ""))
        bar.set_postfix_str(text[-60:], refresh=True)

    def finished(self, name, text):
        bar = self.bars.pop(name, None)
        if bar is not None:
            bar.close()
        self.tqdm.write(text)

    def close(self):
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()


def run_study(jobs, study, out, workers, parameters, seed, summarise) -> dict:
    """A script's study (not a chapter): run ``jobs`` resumably (finished jobs kept in ``<out>/<study>.jobs``)
    on ``workers`` processes and write ``<out>/<study>.json`` with the records, ``parameters``, ``seed``,
    the provenance taken before the run and ``summary={"rows": summarise(doc)}``; returns the document as
    :func:`~lstmlib.study.results.read_named_results` reads it back.  ``out``: a checked folder."""
    from . import results
    check_workers(workers)
    run_provenance = results.provenance()
    t0 = time.perf_counter()
    records = run_jobs(jobs, workers=workers, progress=print, store=job_store(out, study))
    wall = time.perf_counter() - t0
    doc = {"parameters": parameters, "records": records, "seed": seed, "provenance": run_provenance}
    path = results.write_results(out, study, parameters=parameters, records=records,
                                 summary={"rows": summarise(doc)}, seed=seed, wall_time=wall,
                                 run_provenance=run_provenance)
    print(f"wrote {results.shown_path(path)} in {wall:.0f} s")
    return results.read_named_results(out, study)
