"""Run a paper's experiment table: each (protocol, architecture) pair is one job of K independent trials.

A :class:`Protocol` is one row of a paper's table: the task, the topology, the initialisation, the
learning rate, the stopping rule and the paper's numbers.  :func:`network_for` turns a protocol and
an architecture preset into K networks built the same way for every architecture (see its docstring
for what differs).  :func:`run_job` trains and tests one job; :func:`run_jobs` runs a list of jobs in
worker processes (one thread each, the fastest use of this machine's cores at these sizes) and gives
back plain-dict records that a results file can hold.  Same seed, same numbers, whatever the number of
workers: every job derives its seeds from ``(seed, protocol key, architecture)``.
"""

from __future__ import annotations

import math
import os
import queue
import time
import zlib
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from .network import build
from .protocols import RecentSequencesRule, RandomTestSetRule, evaluate
from .spec import ARCHITECTURES
from .training import SGD, track_weights, train

#: The four architectures every chapter compares.
MAIN_ARCHITECTURES = ("rnn", "vanilla", "forget", "peephole")


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


@dataclass(frozen=True)
class ChapterJob:
    """What the jobs of the later chapters share: ``trials`` trials of ``arch`` on ``protocol`` (anything
    with a ``key``), at most ``budget`` training items each.  A subclass adds ``cost()``, ``check()`` and
    ``run(progress)``, and :func:`run_jobs` runs it like a :class:`Job`."""

    protocol: object
    arch: str
    trials: int
    budget: int
    seed: int = 0

    @property
    def name(self) -> str:
        return f"{self.protocol.key}/{self.arch}"


def check_counts(owner, **counts):
    """Each count must be a positive integer; the error names ``owner`` and the count."""
    for name, v in counts.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{owner}: {name} must be a positive integer, got {v!r}")


@dataclass(frozen=True)
class Stop:
    """A stopping rule, as data (so that a job can be sent to a worker process and written to a results file).

    ``kind="recent"``: :class:`~lstmlib.protocols.RecentSequencesRule` (ST3 and Exp. 5's rule) with
    ``window``, ``tolerance`` (the task's), ``mean_error`` and ``max_wrong``.
    ``kind="test"``: :class:`~lstmlib.protocols.RandomTestSetRule` (ST1/ST2) on ``n_test`` fresh sequences every
    ``every`` training sequences, with ``max_wrong`` and ``mean_error``.
    """

    kind: str
    max_wrong: int = 0
    mean_error: float | None = None
    window: int = 2000
    n_test: int = 256
    every: int = 500

    def __post_init__(self):
        if self.kind not in ("recent", "test"):
            raise ValueError(f"unknown stop kind {self.kind!r}; valid: ['recent', 'test']")

    def describe(self) -> str:
        mean = "" if self.mean_error is None else f" and mean |error| < {self.mean_error:g}"
        if self.kind == "recent":
            if self.max_wrong == 0:
                return f"all {self.window} most recent training sequences correct{mean}"
            return f"fewer than {self.max_wrong + 1} of the {self.window} most recent training sequences wrong{mean}"
        wrong = "none" if self.max_wrong == 0 else f"at most {self.max_wrong}"
        return f"{wrong} of {self.n_test} random test sequences wrong{mean} (tested every {self.every:,})"


@dataclass(frozen=True)
class Protocol:
    """One row of a paper's table: how the LSTM of the paper was trained and judged, and what it reached.

    ``forget_gate_bias``: the initial forget-gate bias for architectures that have one (not in the 1997
    paper; the default 5.0 is the "large bias" with which Gers et al. 2000, p. 17, found the forget-gate
    LSTM "solved the task as quickly as standard LSTM" on a 1997 task with a reset at each sequence).
    ``paper``: the published numbers for this row, e.g. ``{"sequences": 74000, "wrong": 1,
    "source": "Table 7", "tag": "P"}`` (tags as in the project's reference: P verified from the paper,
    S secondary, U unverified).  ``budget``: sequences per trial before a trial is stopped unsolved.
    """

    key: str
    title: str
    task: object
    n_blocks: int
    cells_per_block: int
    lr: float
    stop: Stop
    budget: int
    input_gate_bias: tuple | None = None
    output_gate_bias: tuple | None = None
    biased: tuple = ("cells", "gates", "outputs")
    init_range: float = 0.1
    output: str = "linear"
    forget_gate_bias: float = 5.0
    paper: dict = field(default_factory=dict)

    def replace(self, **changes) -> "Protocol":
        import dataclasses
        return dataclasses.replace(self, **changes)


#: The plain RNN's learning rate, as a fraction of the protocol's.  Trained by exact BPTT at the LSTM's
#: rate it can blow up at once (Exp. 3a, lr 1.0: 3 of 3 trials diverged within 3,000 sequences), which
#: says nothing about long time lags; at a tenth of it, it trains, and the report says where it stands.
RNN_LR_FACTOR = 0.1


def learning_rate(protocol: Protocol, arch: str) -> float:
    """The protocol's learning rate for the LSTMs; :data:`RNN_LR_FACTOR` times it for the plain RNN."""
    return protocol.lr * (RNN_LR_FACTOR if arch == "rnn" else 1.0)


def network_for(protocol: Protocol, arch: str, trials: int, seed: int):
    """K networks of preset ``arch`` for ``protocol``.

    LSTM presets get the protocol's blocks, cells per block, biased units and initial gate biases; the
    ``forget`` and ``peephole`` presets also get the protocol's ``forget_gate_bias`` in every block.
    The plain ``rnn`` gets the smallest number of fully recurrent tanh units whose weight count reaches
    the 1997 LSTM's for this protocol (e.g. 8 units, 97 weights, against 93).  All get the protocol's
    inputs, output unit and initial range.  Every architecture keeps its preset's gradient: truncated
    for the LSTMs, exact BPTT for the RNN (there is no CEC to truncate to).
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; valid presets: {sorted(ARCHITECTURES)}")
    task = protocol.task
    common = dict(output=protocol.output, biased=protocol.biased, init_range=protocol.init_range)
    if arch == "rnn":
        return matched_rnn(task.n_inputs, task.n_outputs, network_for(protocol, "vanilla", 1, 0).n_weights,
                           trials=trials, seed=seed, **common)
    spec = ARCHITECTURES[arch]
    gate_biases = {"input_gate_bias": protocol.input_gate_bias if spec.input_gate else None,
                   "output_gate_bias": protocol.output_gate_bias if spec.output_gate else None,
                   "forget_gate_bias": protocol.forget_gate_bias if spec.forget_gate else None}
    return build(arch, task.n_inputs, task.n_outputs, protocol.n_blocks, protocol.cells_per_block, trials=trials,
                 seed=seed, **{k: v for k, v in gate_biases.items() if v is not None}, **common)


@dataclass(frozen=True)
class Job:
    """``trials`` trials of ``arch`` on ``protocol``, at most ``budget`` sequences each."""

    protocol: Protocol
    arch: str
    trials: int
    budget: int
    seed: int = 0
    n_test: int = 2560  # the paper's final test set

    @property
    def name(self) -> str:
        return f"{self.protocol.key}/{self.arch}"

    def seeds(self) -> dict:
        """Seeds derived from (seed, protocol, arch); the final test set depends on (seed, protocol) only,
        so every architecture is tested on the same sequences."""
        key, arch, seed = self.protocol.key, self.arch, self.seed
        return {"init": derive_seed(seed, key, arch, "init"), "train": derive_seed(seed, key, arch, "train"),
                "rule": derive_seed(seed, key, arch, "rule"), "test": derive_seed(seed, key, "test")}

    def cost(self) -> float:
        """Rough cost (trial-steps at the full budget) used to schedule long jobs first."""
        return self.trials * self.budget * self.protocol.task.max_length


def check_jobs(jobs):
    """Reject bad jobs before any work starts.  Besides :class:`Job`, any object with ``name``,
    ``cost()``, ``check()`` and ``run(progress)`` (e.g. :class:`lstmlib.gs01.LanguageJob`) is a job."""
    for job in jobs:
        if not isinstance(job, Job):
            if not all(callable(getattr(job, m, None)) for m in ("cost", "check", "run")):
                raise ValueError(f"expected lstmlib.experiment.Job (or an object with cost/check/run), "
                                 f"got {type(job).__name__}")
            job.check()
            continue
        if job.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {job.arch!r}; valid presets: {sorted(ARCHITECTURES)}")
        check_counts(job.name, trials=job.trials, budget=job.budget, n_test=job.n_test)
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate jobs: {sorted({n for n in names if names.count(n) > 1})}")


def run_job(job: Job, progress=None, curve_points=120) -> dict:
    """Train and test one job; returns a JSON-ready dict (see :func:`run_jobs`)."""
    check_jobs([job])
    p, seeds = job.protocol, job.seeds()
    task = p.task
    net = network_for(p, job.arch, job.trials, seeds["init"])
    if p.stop.kind == "recent":
        rule = RecentSequencesRule(p.stop.window, task.tolerance, p.stop.mean_error, p.stop.max_wrong)
        chunk = 200
    else:
        rule = RandomTestSetRule(net, task, p.stop.n_test, p.stop.max_wrong, p.stop.mean_error, seed=seeds["rule"])
        chunk = p.stop.every
    say = None if progress is None else (lambda line: progress(f"{job.name}: {line}"))
    t0 = time.perf_counter()
    hist = train(net, task.sampler(job.trials), SGD(learning_rate(p, job.arch)), sequences=job.budget, chunk=chunk, stop=rule,
                 tolerance=task.tolerance, seed=seeds["train"], progress=say, progress_every=60.0)
    ev = evaluate(net, task, n=job.n_test, seed=seeds["test"])
    first_half = getattr(rule, "wrong_ok_at", None)
    trials = []
    seqs, loss, frac = hist.curve_arrays()
    for k in range(job.trials):
        solved = hist.status[k] == "solved"
        trials.append({
            "trial": k, "status": hist.status[k],
            "sequences": int(hist.criterion_met_at[k]) if solved else None,
            "sequences_seen": int(hist.sequences_seen[k]),
            "st1_sequences": (int(first_half[k]) if first_half is not None and first_half[k] >= 0 else None),
            "test_wrong": int(ev["wrong"][k]), "test_n": ev["n"],
            "test_mean_abs_error": float(ev["mean_abs_error"][k]), "test_mse": float(ev["mse"][k]),
            "curve": _downsample(seqs[:, k], loss[:, k], frac[:, k], curve_points),
            "weights": {name: value[k].tolist() for name, value in net.named_parameters().items()},
        })
    return {"job": job.name, "protocol": p.key, "arch": job.arch, "trials": trials,
            "n_weights": net.n_weights, "lr": learning_rate(p, job.arch), "budget": job.budget, "seeds": seeds,
            "wall_time_s": time.perf_counter() - t0}


def network_from_record(protocol: Protocol, record: dict, trial: int):
    """The trained network of one trial, rebuilt from a :func:`run_job` record (e.g. read back from a
    results file), for traces and further tests."""
    return network_from_weights(lambda arch, K: network_for(protocol, arch, K, 0), record, [trial])


def weight_growth(protocol: Protocol, arch: str, trials: int, sequences: int, every: int, names, seed=0) -> dict:
    """Train ``trials`` networks of ``arch`` on ``protocol`` (its learning rate, no stopping rule) and
    record the parameters ``names`` every ``every`` sequences: ``{"seen": [points], "loss": [points,
    trials], name: [points, trials, ...]}``.  Seeds derive from ``seed`` as in :class:`Job`.  A plain
    function of picklable arguments, so that several can run on worker processes."""
    seeds = Job(protocol, arch, trials, sequences, seed).seeds()
    net = network_for(protocol, arch, trials, seeds["init"])
    seen, tracks, loss = track_weights(net, protocol.task.sampler(trials), SGD(learning_rate(protocol, arch)),
                                       sequences=sequences, every=every, names=list(names), seed=seeds["train"])
    return {"seen": seen, "loss": loss, **tracks}


def _downsample(seen, loss, frac, points):
    """A learning curve of one trial as [[sequences, mean loss, fraction correct], ...], at most
    ``points`` rows: chunks that fall in the same bin of sequences seen are averaged."""
    seen = np.asarray(seen, float)
    keep = np.r_[True, np.diff(seen) > 0] & (seen > 0)  # rows after a trial stopped repeat its count
    seen, loss, frac = seen[keep], np.asarray(loss)[keep], np.asarray(frac)[keep]
    if len(seen) == 0:
        return []
    bins = np.minimum((seen / seen[-1] * points).astype(int), points - 1) if len(seen) > points else np.arange(len(seen))
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
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass


def _run(job, progress):
    return run_job(job, progress=progress) if isinstance(job, Job) else job.run(progress=progress)


def _run_in_worker(job, messages):
    return _run(job, messages.put)


def run_jobs(jobs, workers=2, progress=print) -> list[dict]:
    """Run ``jobs`` (a list of :class:`Job`) on ``workers`` processes, longest first; return one dict
    per job, in the order given: ``job``, ``protocol``, ``arch``, ``n_weights``, ``budget``, ``seeds``,
    ``wall_time_s`` and ``trials`` (per trial: ``status`` solved/diverged/budget, ``sequences`` to
    solution, ``sequences_seen``, ``st1_sequences`` for test-set rules, the final test's ``test_wrong``
    of ``test_n``, ``test_mean_abs_error``, ``test_mse``, a downsampled ``curve`` and the final
    ``weights`` by parameter name; :func:`network_from_record` rebuilds the network).

    ``progress``: a callable for plain-text progress lines (``print``), or None.  Results do not depend
    on ``workers``.
    """
    jobs = list(jobs)
    check_jobs(jobs)
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    say = progress or (lambda line: None)
    t0 = time.perf_counter()
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].cost())
    results = [None] * len(jobs)

    def report(i):
        r = results[i]
        unit = "streams" if "streams" in r["trials"][0] else "sequences"  # timing jobs count training streams
        solved = [t[unit] for t in r["trials"] if t["status"] == "solved"]
        med = f", median {int(np.median(solved)):,} {unit}" if solved else ""
        say(f"[{time.perf_counter() - t0:7.1f}s] done {r['job']}: {len(solved)}/{len(r['trials'])} solved{med} "
            f"({r['wall_time_s']:.1f} s)")

    if workers == 1 or len(jobs) == 1:
        for i in order:
            results[i] = _run(jobs[i], say)
            report(i)
        return results
    import multiprocessing as mp
    ctx = mp.get_context("spawn")  # no fork of a threaded Jupyter kernel
    with ctx.Manager() as manager:
        messages = manager.Queue()
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx, initializer=_worker_init) as pool:
            futures = {pool.submit(_run_in_worker, jobs[i], messages): i for i in order}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                _drain(messages, say)
                for f in done:
                    i = futures[f]
                    results[i] = f.result()
                    report(i)
            _drain(messages, say)
    return results


def _drain(messages, say):
    while True:
        try:
            say(messages.get_nowait())
        except queue.Empty:
            return
