"""Gers, Schmidhuber & Cummins (2000) Table 2: the jobs of the continual embedded Reber grammar (CERG).

A :class:`CERGJob` trains ``trials`` networks of one row of :data:`.CERG_PROTOCOLS` (its ``arch``), training
stream after training stream, until each trial passed the perfect test or used its budget of training streams
(the networks and the protocol: :mod:`.protocols`).

**A training stream** (§4 [S]; Pérez-Ortiz's reading of the protocol [P]) starts from a reset network at a
string's ``B`` and runs on the continual stream of each trial's own walk (:class:`lstmlib.tasks.reber.CERGWalk`:
strings one after the other, no reset, no mark) until the first wrong step, a step at which some output is
0.49 or more from its 0/1 target ([S]), or until ``train_length`` symbols (100,000 [S]).  The next training
stream starts afresh at the next string.  The LSTMs learn online, one SGD update per symbol with the truncated
gradient, at ``lr`` (0.5) from the start of each training stream, fixed or decayed by ``lr_decay`` (0.99) per
step (:class:`lstmlib.OnlineLearner`).  Row ``cerg_reset`` (the "external reset" of Table 2) also zeroes the
state at every string's ``B`` within a stream (the segmentation the other rows do not get), in training and in
the tests.  The plain RNN (a row the paper does not have) learns by exact BPTT, one update per training stream
cut at its first wrong step (:class:`lstmlib.Trainer`); its training streams are cut at :data:`RNN_STREAM`
symbols.

Many training streams per call: each call runs a chunk of at most :data:`CHUNK` symbols of every trial's walk;
a trial that errs waits for the next string and starts a new training stream there, within the call
(``resume_at``), so one call trains exactly as one call per training stream would.

**The test** ([P] Table 2 footnote; [S] the 10 test streams after every training stream): the weights are
frozen and the net runs ``test_streams`` (10) fresh test streams from a reset, each until its first wrong step
or ``test_length`` (100,000) symbols.  A trial is *solved* ("perfect") when all of them run to the end; its
``streams`` are the training streams seen until then.  The streams of this test are run one after another
and a net that errs on one is not run on the rest (:func:`passes_perfect_test`: the same verdict, at a tenth
of the cost for the nets that fail).  *Deviation*: a trial is tested only after a training
stream of at least ``test_from`` error-free symbols (default ``good_length``, 1000: a net that errs sooner on
a training stream is not tested; ``test_from=0`` tests after every stream, the paper's rule); so that the test
sees exactly the weights at the end of that stream, a trial whose current stream could reach ``test_from``
symbols in a call starts no further stream in it.  At the end (solved or budget) every trial gets a final
test on fresh streams: *good* when the mean error-free length of its test streams is more than
``good_length`` (1000), else *bad*; a solved trial's test is its perfect one.  The plain RNN is tested on
the first :data:`RNN_TEST_LENGTH` symbols of each test stream (enough to tell good from bad, not to certify a
perfect net): it is never "solved", and gets only the final test.  A trial whose loss turns non-finite is reported as
``"diverged"``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..._checks import check_counts
from ...study.jobs import ChapterJob, check_job_options, check_scale, choose_names, derive_seed, network_from_weights
from ...tasks import reber
from ...training import SGD, OnlineLearner, Trainer, checkpoints
from ...training.trainer import format_duration
from .protocols import CERG_PROTOCOLS, FORGET_ARCHITECTURES, CERGProtocol, cerg_network

#: Symbols per call of the online learner, at most (no more than the default ``test_from``, so that a stream
#: started within a call cannot qualify for a test in it).
CHUNK = 1000
#: The plain RNN's training streams end after this many symbols (if they had not erred before).
RNN_STREAM = 1000
#: Training streams of the plain RNN drawn per compiled call (each its own update, in order).
RNN_BATCH = 32
#: The plain RNN's test streams are cut at this many symbols.
RNN_TEST_LENGTH = 10_000
#: Symbols of the first chunk of a test (the chunks then double: most test streams end early).
_TEST_CHUNK = 128
_TEST_CHUNK_MAX = 8192

#: The rows of Table 2 that the default and tiny scales run (all seven rows; see :data:`SCALES`).
ROWS = tuple(CERG_PROTOCOLS)

#: Scales: per row, its trials, budget of training streams per trial and (the default scale) a cap on a trial's
#: training symbols: once nets learn, their training streams grow to up to 100,000 symbols each, and the
#: cost of a row with them (see :class:`CERGJob`).
SCALES = {
    "tiny": {k: {"trials": 2, "budget": 40} for k in ("cerg_standard", "cerg_forget")},
    "default": {k: {"trials": 10, "budget": 8_000, "max_symbols": 2_000_000} for k in ROWS},
    "paper": {k: {"trials": 100, "budget": 30_000} for k in ROWS},
}


@dataclass(frozen=True)
class CERGJob(ChapterJob):
    """``trials`` trials of the row ``protocol`` (its ``arch``), at most ``budget`` training streams each,
    tested after every training stream of at least ``test_from`` error-free symbols (None: the row's
    ``good_length``; 0: after every stream); ``max_symbols``: a trial also stops (at the end of a call of at
    most :data:`CHUNK` symbols) once it has trained on that many symbols (None: no such cap; the paper has
    none); runs in :func:`lstmlib.study.jobs.run_jobs`."""

    test_from: int | None = None
    max_symbols: int | None = None
    unit: ClassVar[str] = "streams"
    architectures: ClassVar = FORGET_ARCHITECTURES

    @property
    def test_threshold(self) -> int:
        return self.protocol.good_length if self.test_from is None else self.test_from

    def seeds(self) -> dict:
        key, seed = self.protocol.key, self.seed
        return {"init": derive_seed(seed, key, "init"), "train": derive_seed(seed, key, "train"),
                "test": derive_seed(seed, key, "test"), "final_test": derive_seed(seed, key, "final-test")}

    def cost(self) -> float:
        return self.trials * self.budget * 40.0  # training streams end at their first error: ~40 symbols early on

    def check(self):
        if not isinstance(self.protocol, CERGProtocol):
            raise ValueError(f"{self.name}: protocol must be a CERGProtocol, got {type(self.protocol).__name__}")
        if self.arch != self.protocol.arch:
            raise ValueError(f"{self.name}: row {self.protocol.key!r} runs {self.protocol.arch!r}, not {self.arch!r}")
        if self.test_from is not None and (isinstance(self.test_from, bool) or not isinstance(self.test_from, int)
                                           or self.test_from < 0):
            raise ValueError(f"{self.name}: test_from must be None or an integer >= 0, got {self.test_from!r}")
        if self.max_symbols is not None:
            check_counts(self.name, max_symbols=self.max_symbols)
        super().check()

    def run(self, progress=None) -> dict:
        return run_job(self, progress)


# ---------------------------------------------------------------- the test

def test_lengths(net, protocol: CERGProtocol, rng, trials) -> np.ndarray:
    """Error-free symbols of ``protocol.test_streams`` fresh test streams for each of ``trials`` (indices of
    ``net``'s trials), ``[len(trials), test_streams]``, each run from a reset with frozen weights until its
    first wrong step or ``test_length`` symbols (the plain RNN: :data:`RNN_TEST_LENGTH`)."""
    trials = np.asarray(trials, np.int64)
    n = protocol.test_streams
    lanes = np.repeat(trials, n)
    sub = net.subset(lanes)
    if not net.spec.has_memory:
        return _rnn_test_lengths(sub, protocol, rng).reshape(len(trials), n)
    learner = OnlineLearner(sub, SGD(1.0))
    walk = reber.CERGWalk(rng, lanes.size)
    length = np.zeros(lanes.size, np.int64)
    pos, T = 0, _TEST_CHUNK
    while pos < protocol.test_length and (learner.active == 1).any():
        T = min(T, protocol.test_length - pos)
        x, target, starts = walk.chunk(T)
        live = learner.active == 1
        with np.errstate(over="ignore", invalid="ignore"):
            r = learner.run(x, target, update=False, stop_at_error=protocol.tolerance, record=False,
                            reset=starts if protocol.external_reset else None)
        length += np.where(live, np.where(r.stopped | r.diverged, r.steps - 1, r.steps), 0)
        learner.active[live & (r.stopped | r.diverged)] = 0
        pos += T
        T = min(2 * T, _TEST_CHUNK_MAX)
    return length.reshape(len(trials), n)


def passes_perfect_test(net, protocol: CERGProtocol, rng, trials) -> np.ndarray:
    """Whether each of ``trials`` runs all ``test_streams`` fresh test streams to their end without an error
    (the perfect test): the streams are run one after another, and a trial that errs on one is not run on
    the next (the answer is the same as :func:`test_lengths` reaching ``test_length`` on all of them, at a
    fraction of the cost for the nets that fail)."""
    trials = np.asarray(trials, np.int64)
    ok = np.ones(trials.size, np.bool_)
    for _ in range(protocol.test_streams):
        live = np.flatnonzero(ok)
        if live.size == 0:
            break
        one = protocol.replace(test_streams=1)
        ok[live] = test_lengths(net, one, rng, trials[live])[:, 0] >= _test_length(net, protocol)
    return ok


def _test_length(net, protocol) -> int:
    return protocol.test_length if net.spec.has_memory else min(protocol.test_length, RNN_TEST_LENGTH)


def classify(lengths, protocol: CERGProtocol, solved: bool) -> str:
    """Table 2's class of a trial from its final test's error-free lengths: "perfect" (solved: every test
    stream right to its end), "good" (mean length > ``good_length``) or "bad"."""
    if solved:
        return "perfect"
    return "good" if float(np.mean(lengths)) > protocol.good_length else "bad"


def _rnn_test_lengths(sub, protocol, rng) -> np.ndarray:
    T = min(protocol.test_length, RNN_TEST_LENGTH)
    x, target, _ = reber.CERGWalk(rng, sub.trials).chunk(T)
    with np.errstate(over="ignore", invalid="ignore"):
        y = sub.forward(x[:, None], np.full((sub.trials, 1), T))[:, 0]
        wrong = ~(np.abs(y - target).max(axis=-1) < protocol.tolerance)  # NaN counts as wrong
    return np.where(wrong.any(axis=1), wrong.argmax(axis=1), T)


# ---------------------------------------------------------------- training streams

class _OnlineStreams:
    """The LSTMs: one :class:`OnlineLearner` over all trials, each on its own continual walk; many training
    streams per call (see the module docstring).  ``carry [K]``: error-free symbols so far of each trial's
    running training stream, -1 while it waits for the next string; ``started [K]``: training streams begun."""

    def __init__(self, net, protocol: CERGProtocol, rng):
        self.net, self.p = net, protocol
        self.learner = OnlineLearner(net, SGD(protocol.lr), lr_decay=protocol.lr_decay)
        K = net.trials
        self.walk = reber.CERGWalk(rng, K)
        self.learner.stop(np.arange(K))  # every trial starts its first stream at the walk's first string
        self.carry = np.full(K, -1, np.int64)
        self.started = np.zeros(K, np.int64)

    @property
    def active(self):
        return self.learner.active

    def out_of_budget(self, budget) -> np.ndarray:
        """Trials that began their last training stream and finished it."""
        return (self.started >= budget) & (self.carry < 0)

    def train(self, budget, test_from):
        """One call: ``(finished, steps, to_test)``: per trial the error-free lengths of the training streams
        that ended in this call (a list), the steps run ``[K]``, and which trials have just finished a
        stream of at least ``test_from`` symbols (their weights are those at its end)."""
        p, K = self.p, self.net.trials
        running = self.carry >= 0
        # no stream may run past train_length symbols in this call: neither a running one nor one begun in it
        T = int(min(CHUNK, p.train_length, (p.train_length - self.carry[running]).min(initial=p.train_length)))
        # a trial whose stream could qualify for a test in this call starts no further stream in it
        hold = np.full(K, T > test_from) | (running & (self.carry + T >= test_from))
        allowed = np.where(hold, np.where(running, 0, 1), budget - self.started)
        allowed = np.minimum(allowed, budget - self.started)
        x, target, starts = self.walk.chunk(T)
        resume_at = starts & (np.cumsum(starts, axis=1) <= allowed[:, None])
        with np.errstate(over="ignore", invalid="ignore"):
            r = self.learner.run(x, target, stop_at_error=p.tolerance, reset=starts if p.external_reset else None,
                                 resume_at_reset=True, resume_at=resume_at, record=False)
        finished = [self._streams_of(k, r.segments[k], T) for k in range(K)]
        capped = np.flatnonzero(self.carry >= p.train_length)
        for k in capped:  # the stream ran its full length: it ends, the next starts at the next string
            finished[k].append(int(self.carry[k]))
            self.carry[k] = -1
        self.learner.stop(capped)
        to_test = np.array([bool(f) and f[-1] >= test_from and self.carry[k] < 0 for k, f in enumerate(finished)])
        to_test &= self.learner.active == 1
        assert not (to_test & ~hold).any(), "a trial trained on after a stream that qualifies for a test"
        return finished, r.steps, to_test

    def _streams_of(self, k, segments, T) -> list:
        """Trial k's segments of one call as training streams: their error-free lengths if they ended, and
        ``carry``/``started`` updated.  A segment continues the stream of the one before it unless that one
        ended at a wrong step (a running trial's first segment continues its stream; with an external reset
        a stream has a segment per string)."""
        ended, rows = [], [(a, b) for a, b in segments if a >= 0]
        open_ = self.carry[k] >= 0
        length = max(int(self.carry[k]), 0)
        for i, (a, b) in enumerate(rows):
            if not open_:
                self.started[k] += 1
                length = 0
            if b >= 0:  # stopped at step b (its first wrong step, or where the trial diverged)
                ended.append(length + b - a)
                open_ = False
            else:
                length += (rows[i + 1][0] if i + 1 < len(rows) else T) - a
                open_ = True
        self.carry[k] = length if open_ else -1
        return ended


class _BPTTStreams:
    """The plain RNN: :data:`RNN_BATCH` training streams per call and trial, each from a reset at a string's
    ``B``, cut at its first wrong step (or :data:`RNN_STREAM` symbols), exact BPTT, one update per stream."""

    def __init__(self, net, protocol: CERGProtocol, rng):
        self.net, self.p, self.rng = net, protocol, rng
        self.trainer = Trainer(net, SGD(protocol.lr), gradient="exact")
        self.started = np.zeros(net.trials, np.int64)

    @property
    def active(self):
        return self.trainer.active

    def out_of_budget(self, budget) -> np.ndarray:
        return self.started >= budget

    def train(self, budget, test_from):
        p, K = self.p, self.net.trials
        M = int(min(RNN_BATCH, (budget - self.started[self.active == 1]).min()))
        live = self.active == 1
        x, target, _ = reber.CERGWalk(self.rng, K * M).chunk(RNN_STREAM)
        shape = (K, M) + x.shape[1:]
        with np.errstate(over="ignore", invalid="ignore"):
            self.trainer.run(x.reshape(shape), target.reshape(shape), np.full((K, M), RNN_STREAM),
                             loss_at=np.ones((K, M, RNN_STREAM)), stop_at_error=p.tolerance)
        wrong = self.trainer.first_wrong  # [K, M]: -1 none, -2 did not train
        lengths = np.where(wrong >= 0, wrong, RNN_STREAM)
        finished = [lengths[k].tolist() if live[k] else [] for k in range(K)]
        self.started += np.where(live, M, 0)
        steps = np.where(live, np.where(wrong >= 0, wrong + 1, RNN_STREAM).sum(axis=1), 0)
        # tested (with the weights after the M streams) if any of them ran its full length
        to_test = live & (self.active == 1) & (lengths.max(axis=1) >= max(test_from, 1)) & (wrong == -1).any(axis=1)
        return finished, steps, to_test


# ---------------------------------------------------------------- the job

def run_job(job: CERGJob, progress=None, curve_points=100) -> dict:
    """Train one job until every trial was solved, diverged or used its budget of training streams."""
    job.check()
    p, seeds, K, test_from = job.protocol, job.seeds(), job.trials, job.test_threshold
    net = cerg_network(p, K, seeds["init"])
    rng = np.random.default_rng(seeds["train"])
    runner = _BPTTStreams(net, p, rng) if p.arch == "rnn" else _OnlineStreams(net, p, rng)
    test_rng = np.random.default_rng(seeds["test"])
    solved_at = np.full(K, -1, np.int64)
    streams = np.zeros(K, np.int64)  # training streams finished
    steps = np.zeros(K, np.int64)
    best = np.zeros(K, np.int64)
    tests = np.zeros(K, np.int64)
    capped = np.zeros(K, np.bool_)  # stopped at max_symbols
    curves = [[] for _ in range(K)]
    acc, n_acc = np.zeros(K), np.zeros(K, np.int64)
    curve_every = max(1, job.budget // curve_points)
    t0 = last = time.perf_counter()
    before = 0.0
    ckpt = checkpoints.LoopCheckpoint(net, repr(job))
    saved = ckpt.load()
    if saved is not None:
        (runner, rng, test_rng, solved_at, streams, steps, best, tests, capped, curves, acc, n_acc,
         before) = (saved[k] for k in _LOOP_STATE)
        if progress is not None:
            progress(f"{job.name}: resumed from a checkpoint at {streams.sum():,} streams")
    seen_at_start = int(streams.sum())

    def loop_state():
        return dict(zip(_LOOP_STATE, (runner, rng, test_rng, solved_at, streams, steps, best, tests, capped, curves,
                                      acc, n_acc, before + time.perf_counter() - t0)))
    while True:
        runner.active[(runner.active == 1) & runner.out_of_budget(job.budget)] = 0
        if not (runner.active == 1).any():
            break
        finished, ran, to_test = runner.train(job.budget, test_from)
        steps += ran
        if job.max_symbols is not None:
            capped[(runner.active == 1) & (steps >= job.max_symbols)] = True
            runner.active[capped] = 0
        for k, lengths in enumerate(finished):
            if not lengths:
                continue
            n_before = streams[k]
            streams[k] += len(lengths)
            best[k] = max(best[k], max(lengths))
            acc[k] += sum(lengths)
            n_acc[k] += len(lengths)
            if streams[k] // curve_every > n_before // curve_every or streams[k] >= job.budget:
                curves[k].append([int(streams[k]), round(float(acc[k] / n_acc[k]), 2)])
                acc[k], n_acc[k] = 0.0, 0
        idx = np.flatnonzero(to_test)
        if idx.size and p.arch != "rnn":  # the RNN's tests are cut short: it is never counted perfect
            tests[idx] += 1
            for k in idx[passes_perfect_test(net, p, test_rng, idx)]:
                solved_at[k] = streams[k]
                runner.active[k] = 0
        ckpt.save(loop_state(), when_due=True)
        now = time.perf_counter()
        if progress is not None and now - last > 60:
            last = now
            seen = int(streams.sum())
            left = (K * job.budget - seen) * (now - t0) / max(seen - seen_at_start, 1)
            progress(f"{job.name}: [{before + now - t0:6.0f}s] {seen:,} streams of {K * job.budget:,}; solved "
                     f"{(solved_at >= 0).sum()}/{K}; longest training stream {best.max():,}; at most "
                     f"{format_duration(left)} left")
    ckpt.save(loop_state())
    final = test_lengths(net, p, np.random.default_rng(seeds["final_test"]), np.arange(K))
    final[solved_at >= 0] = p.test_length  # a solved trial's test is its perfect one
    trials = []
    for k in range(K):
        status = "diverged" if runner.active[k] == -1 else ("solved" if solved_at[k] >= 0 else "budget")
        mean = float(final[k].mean())
        kind = classify(final[k], p, status == "solved")
        trials.append({"trial": k, "status": status, "streams": int(solved_at[k]) if solved_at[k] >= 0 else None,
                       "streams_seen": int(streams[k]), "steps_seen": int(steps[k]), "best_train_length": int(best[k]),
                       "tests": int(tests[k]), "symbol_cap": bool(capped[k]), "test_lengths": final[k].tolist(),
                       "mean_test_length": mean,
                       "class": kind, "curve": curves[k],
                       "weights": {n: v[k].tolist() for n, v in net.named_parameters().items()}})
    return {"job": job.name, "protocol": p.key, "arch": p.arch, "n_weights": net.n_weights, "budget": job.budget,
            "max_symbols": job.max_symbols, "test_from": test_from, "seeds": seeds,
            "wall_time_s": before + time.perf_counter() - t0,
            "trials": trials}


#: The variables of :func:`run_job`'s training loop that a checkpoint keeps.
_LOOP_STATE = ("runner", "rng", "test_rng", "solved_at", "streams", "steps", "best", "tests", "capped", "curves",
               "acc", "n_acc", "elapsed")


def network_from_record(protocol, record, trial):
    """The trained network of one trial of a :func:`run_job` record."""
    return network_from_weights(lambda arch, K: cerg_network(protocol.replace(arch=arch), K, 0), record, [trial])


def jobs_for(scale="default", experiments=None, architectures=None, trials=None, budget=None, seed=0,
             test_from=None, max_symbols="scale"):
    """The jobs of a CERG run, validated before any work starts: ``(jobs, protocols)``, ``protocols`` the
    chosen rows of :data:`.CERG_PROTOCOLS` by key.  ``experiments``: row keys (default: the scale's);
    ``architectures``: keep only the rows of these architectures; ``trials``, ``budget`` (training streams
    per trial), ``test_from`` and ``max_symbols`` (see :class:`CERGJob`; "scale": the scale's) override the
    scale's plan."""
    check_scale(scale, SCALES)
    keys = choose_names(experiments, SCALES[scale], CERG_PROTOCOLS, "experiment")
    archs = choose_names(architectures, FORGET_ARCHITECTURES, FORGET_ARCHITECTURES, "architecture")
    check_job_options(seed, trials=trials, budget=budget)
    jobs, protocols = [], {}
    for key in dict.fromkeys(keys):
        p = CERG_PROTOCOLS[key]
        if p.arch not in archs:
            continue
        protocols[key] = p
        plan = SCALES[scale].get(key, SCALES["default"][key])
        cap = plan.get("max_symbols") if max_symbols == "scale" else max_symbols
        jobs.append(CERGJob(p, p.arch, trials or plan["trials"], budget or plan["budget"], seed, test_from, cap))
    for job in jobs:
        job.check()
    return jobs, protocols
