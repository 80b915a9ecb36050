"""Gers, Schraudolph & Schmidhuber (2002): the networks and the stream-by-stream jobs of the timing chapter.

A :class:`TimingJob` trains ``trials`` networks of one architecture on one :class:`~.protocols.TimingProtocol`,
training stream after training stream, until each trial solved the task or used its budget (the set-up
is described in :mod:`.protocols`).  The LSTMs learn online (:class:`_OnlineTrials`, RTRL on the
CEC, one update per time step); the plain RNN by exact BPTT, one update per stream
(:class:`_BPTTTrials`).  :func:`jobs_for` makes a chapter's jobs, including the check of the
secondary sources' learning rule (:data:`RULE_CHECK_ROW`); :func:`lstmlib.study.jobs.run_jobs` runs them.
"""

from __future__ import annotations

import time

import numpy as np

from ..._checks import check_flag
from ...model import ARCHITECTURES, build
from ...study.jobs import (ChapterJob, check_arch, check_job_options, check_scale, choose_names, derive_seed,
                           matched_rnn, network_from_weights)
from ...training import SGD, OnlineLearner, Trainer, checkpoints
from ...training.trainer import format_duration
from .protocols import DEFAULT_BUDGET, PROTOCOLS, RULES, SCALES, SPEC_CHANGES, TIMING_ARCHITECTURES, TimingProtocol

#: The row on which the chapter also trains the peephole LSTM with the secondary sources' rule
#: (``jobs_for(..., paper_rule_check=True)``), and the suffix that marks that job's protocol key.
RULE_CHECK_ROW = "msd_F10_I0-1"
RULE_CHECK_SUFFIX = "_paper_rule"


def network_for(protocol: TimingProtocol, arch: str, trials: int, seed: int):
    """``trials`` networks of ``arch`` for ``protocol`` (see the module docstring)."""
    task = protocol.task
    common = dict(output=task.output, init_range=protocol.init_range)
    if arch == "rnn":
        return matched_rnn(task.n_inputs, task.n_outputs, network_for(protocol, "peephole", 1, 0).n_weights,
                           trials=trials, seed=seed, **common)
    check_arch(arch, TIMING_ARCHITECTURES)
    base = "peephole" if arch == "nfg" else arch
    spec = ARCHITECTURES[base].replace(name=arch, **SPEC_CHANGES[arch])
    biases = {"input_gate_bias": protocol.input_gate_bias, "output_gate_bias": protocol.output_gate_bias}
    if spec.forget_gate:
        biases["forget_gate_bias"] = protocol.forget_gate_bias
    return build(spec, task.n_inputs, task.n_outputs, 1, 1, trials=trials, seed=seed, **biases, **common)


class TimingJob(ChapterJob):
    """``trials`` trials of ``arch`` on a :class:`TimingProtocol`, at most ``budget`` training streams
    each; runs in :func:`lstmlib.study.jobs.run_jobs`."""

    unit = "streams"
    architectures = TIMING_ARCHITECTURES

    def seeds(self) -> dict:
        key, arch, seed = self.protocol.key, self.arch, self.seed
        return {"init": derive_seed(seed, key, arch, "init"), "train": derive_seed(seed, key, arch, "train"),
                "test": derive_seed(seed, key, "test")}

    def cost(self) -> float:
        return self.trials * self.budget * 20.0  # streams end at their first error: short, early on

    def run(self, progress=None) -> dict:
        return run_job(self, progress)


class _Trials:
    """The K trials of one job and what trains them (``driver``: an :class:`OnlineLearner` or a
    :class:`Trainer`, which holds the trials' ``active`` flags)."""

    def __init__(self, net, protocol, driver):
        self.net, self.p, self.driver = net, protocol, driver

    @property
    def active(self):
        return self.driver.active

    def freeze(self, k):
        """Trial k trains no more (it met the success criterion)."""
        self.driver.active[k] = 0


class _OnlineTrials(_Trials):
    """The LSTMs: one :class:`OnlineLearner` over all trials.  Training streams of a continual task are
    queued, ``batch`` at a time, into one call (:meth:`OnlineLearner.run_queued`: each starts with a
    reset; a trial that errs skips to its next stream), which trains exactly as one call per stream would."""

    batch = 200

    def __init__(self, net, protocol):
        super().__init__(net, protocol, OnlineLearner(net, protocol.make_optimizer()))
        self.learner = self.driver
        self.batched = getattr(protocol.task, "continual", True)  # NMSD resets the net inside a stream

    def train_streams(self, rng, M):
        """Train on M fresh training streams per trial: correct events of each ``[M, K]`` (-1: not run)
        and the steps each trial ran ``[K]``."""
        p, K = self.p, self.net.trials
        self.learner.reset()
        if M == 1 or not self.batched:
            events = np.full((M, K), -1, np.int64)
            ran = np.zeros(K, np.int64)
            for j in range(M):
                live = self.learner.active == 1
                s = p.task.stream(rng, K, p.train_events)
                self.learner.reset()
                r = self.learner.run(s.x, s.target, s.weights, stop_at_error=s.tolerance, reset=s.reset,
                                     lengths=s.lengths)
                events[j] = np.where(live, s.correct_events(r.error), -1)
                ran += r.steps
            return events, ran
        s = p.task.stream(rng, K * M, p.train_events)  # stream j of trial k is row j * K + k
        n = s.lengths.reshape(M, K)
        offsets = np.vstack([np.zeros((1, K), np.int64), np.cumsum(n, axis=0)[:-1]])
        queue = np.arange(M)[None, :] * K + np.arange(K)[:, None]  # trial k runs rows k, K + k, 2K + k, ...
        r = self.learner.run_queued(s.x, s.target, s.weights, queue, n.T, stop_at_error=s.tolerance)
        # correct events of each stream a trial ran: all of them, or those before the step it stopped at
        events = np.full((M, K), -1, np.int64)
        k_idx, seg_idx = np.nonzero(r.segments[:, :, 0] >= 0)
        start, stop = r.segments[k_idx, seg_idx, 0], r.segments[k_idx, seg_idx, 1]
        j_idx = (offsets.T[k_idx] <= start[:, None]).sum(axis=1) - 1  # the stream that begins at start
        ev = s.events[j_idx * K + k_idx]  # [segments, max events], -1 padded
        counted = (ev >= 0) & ((stop[:, None] < 0) | (offsets[j_idx, k_idx][:, None] + ev < stop[:, None]))
        events[j_idx, k_idx] = counted.sum(axis=1)
        return events, r.steps


class _BPTTTrials(_Trials):
    """The plain RNN: exact BPTT on each training stream cut at its first wrong step, one update per
    stream (a trial frozen by :meth:`freeze` is left out of the compiled calls: it trains on nothing)."""

    batched = False  # one stream per call: each is cut at its own first wrong step

    def __init__(self, net, protocol):
        super().__init__(net, protocol, Trainer(net, protocol.make_optimizer(), gradient="exact"))
        self.trainer = self.driver

    def train_streams(self, rng, M):
        K = self.net.trials
        events = np.full((M, K), -1, np.int64)
        ran = np.zeros(K, np.int64)
        for j in range(M):
            live = self.trainer.active == 1
            e, r = self._train_stream(self.p.task.stream(rng, K, self.p.train_events))
            events[j] = np.where(live, e, -1)
            ran += np.where(live, r, 0)
        return events, ran

    def _train_stream(self, s):
        # one compiled pass: the forward pass finds each trial's first wrong step and ends once every
        # trial has erred, and the backward pass learns from the stream up to that step
        self.trainer.run(s.x[:, None], s.target[:, None], s.lengths[:, None], loss_at=s.weights[:, None],
                         stop_at_error=s.tolerance)
        wrong = self.trainer.first_wrong[:, 0]
        last = np.where(wrong >= 0, wrong, s.lengths - 1)  # the stream ends at its first wrong step
        return s.events_before(np.where(wrong >= -1, wrong, -1)), last + 1


def events_on(net, protocol, stream):
    """Successive correct events of every trial of ``net`` on ``stream`` (from a reset state, no
    learning), and the root-mean-square error over the judged steps of the whole stream."""
    if net.spec.has_memory:
        r = OnlineLearner(net.copy(), SGD(1.0)).run(stream.x, stream.target, stream.weights, update=False,
                                                     reset=stream.reset)
        y = r.outputs
    else:
        y = net.forward(stream.x[:, None], stream.lengths[:, None])[:, 0]
    err = stream.error(y)
    w = stream.weights
    with np.errstate(over="ignore", invalid="ignore"):  # an unstable net's output may grow without bound
        rmse = np.sqrt((np.where(w > 0, err, 0.0) ** 2).sum(axis=1) / np.maximum(w.sum(axis=1), 1))
    return stream.correct_events(err), rmse, y


def run_job(job: TimingJob, progress=None, curve_points=100) -> dict:
    """Train one job until every trial solved the task or used its budget of training streams."""
    job.check()
    p, seeds, K = job.protocol, job.seeds(), job.trials
    net = network_for(p, job.arch, K, seeds["init"])
    runner = _BPTTTrials(net, p) if job.arch == "rnn" else _OnlineTrials(net, p)
    rng = np.random.default_rng(seeds["train"])
    test_rng = np.random.default_rng(seeds["test"])
    solved_at = np.full(K, -1, np.int64)
    streams = np.zeros(K, np.int64)
    steps = np.zeros(K, np.int64)
    best = np.zeros(K, np.int64)
    curve, acc, n_acc = [], np.zeros(K), np.zeros(K, np.int64)
    curve_every = max(1, job.budget // curve_points)
    t0 = last = time.perf_counter()
    seen, next_point, before = 0, curve_every, 0.0
    # under run_jobs' store: the loop's whole state every minute, so that a stopped job continues from it
    ckpt = checkpoints.LoopCheckpoint(net, repr(job))
    saved = ckpt.load()
    if saved is not None:
        (runner, rng, test_rng, solved_at, streams, steps, best, curve, acc, n_acc, seen, next_point,
         before) = (saved[k] for k in _LOOP_STATE)
        if progress is not None:
            progress(f"{job.name}: resumed from a checkpoint at {seen:,} streams")
    seen_at_start = seen

    def loop_state():
        return dict(zip(_LOOP_STATE, (runner, rng, test_rng, solved_at, streams, steps, best, curve, acc, n_acc,
                                      seen, next_point, before + time.perf_counter() - t0)))
    while seen < job.budget:
        live = runner.active == 1
        if not live.any():
            break
        # many streams per call while streams are short; one at a time once a trial gets near the end of
        # one (so that a solving trial is tested right after the stream it got right)
        near = best[live].max() >= p.train_events // 2
        M = 1 if near or not runner.batched else min(runner.batch, job.budget - seen, next_point - seen)
        events, ran = runner.train_streams(rng, M)
        seen += M
        done = events >= 0
        streams += done.sum(axis=0)
        steps += ran
        best = np.maximum(best, events.max(axis=0))
        acc += np.where(done, events, 0).sum(axis=0)
        n_acc += done.sum(axis=0)
        full = (events >= p.train_events).any(axis=0) & (runner.active == 1)
        if full.any():
            ok, _, _ = events_on(net, p, p.task.stream(test_rng, K, p.test_events))
            for k in np.flatnonzero(full & (ok >= p.test_events)):
                solved_at[k] = streams[k]
                runner.freeze(k)
        if seen >= next_point or seen == job.budget:
            curve.append((seen, np.where(n_acc > 0, acc / np.maximum(n_acc, 1), np.nan).round(3).tolist()))
            acc[:], n_acc[:] = 0, 0
            next_point = seen + curve_every
        ckpt.save(loop_state(), when_due=True)
        now = time.perf_counter()
        if progress is not None and now - last > 60:
            last = now
            progress(f"{job.name}: [{before + now - t0:6.0f}s] {seen:,} streams; solved "
                     f"{(solved_at >= 0).sum()}/{K}; best run of correct events {best.max()}; at most "
                     f"{format_duration((job.budget - seen) * (now - t0) / max(seen - seen_at_start, 1))} left")
    ckpt.save(loop_state())  # the final state: a rerun goes straight to the final test
    final_events, rmse, _ = events_on(net, p, p.task.stream(np.random.default_rng(seeds["test"] + 1), K,
                                                             p.test_events))
    trials = []
    for k in range(K):
        status = "diverged" if runner.active[k] == -1 else ("solved" if solved_at[k] >= 0 else "budget")
        trials.append({"trial": k, "status": status, "streams": int(solved_at[k]) if solved_at[k] >= 0 else None,
                       "streams_seen": int(streams[k]), "steps_seen": int(steps[k]), "best_train_events": int(best[k]),
                       "test_events": int(final_events[k]),
                       "test_rmse": float(rmse[k]) if np.isfinite(rmse[k]) else None,
                       "curve": [[c[0], c[1][k]] for c in curve if c[1][k] == c[1][k]],  # NaN: not training
                       "weights": {n: v[k].tolist() for n, v in net.named_parameters().items()}})
    return {"job": job.name, "protocol": p.key, "arch": job.arch, "trials": trials, "n_weights": net.n_weights,
            "budget": job.budget, "seeds": seeds, "wall_time_s": before + time.perf_counter() - t0}


#: The variables of :func:`run_job`'s training loop that a checkpoint keeps.
_LOOP_STATE = ("runner", "rng", "test_rng", "solved_at", "streams", "steps", "best", "curve", "acc", "n_acc", "seen",
               "next_point", "elapsed")


def network_from_record(protocol, record, trial):
    """The trained network of one trial of a :func:`run_job` record."""
    return network_from_weights(lambda arch, K: network_for(protocol, arch, K, 0), record, [trial])



def jobs_for(scale="default", experiments=None, architectures=None, trials=None, budget=None, seed=0, rule="fast",
             paper_rule_check=False):
    """The jobs of a timing run, validated before any work starts: ``(jobs, protocols)``, ``protocols``
    the chosen rows by key.  ``rule``: a key of :data:`RULES` ("fast" or "paper").

    ``paper_rule_check``: when the run uses another rule than "paper" and includes
    :data:`RULE_CHECK_ROW`, one more job at the end trains the peephole LSTM on that row with the
    secondary sources' rule, with the trials and budget of the row's first job; its protocol key ends
    in :data:`RULE_CHECK_SUFFIX` and is not in ``protocols`` (:func:`protocols_of` lists every
    protocol the jobs run)."""
    check_scale(scale, SCALES)
    keys = choose_names(experiments, SCALES[scale], PROTOCOLS, "experiment")
    archs = choose_names(architectures, TIMING_ARCHITECTURES, TIMING_ARCHITECTURES, "architecture")
    check_job_options(seed, trials=trials, budget=budget)
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; valid: {list(RULES)}")
    check_flag("paper_rule_check", paper_rule_check)
    jobs, protocols = [], {}
    for key in dict.fromkeys(keys):
        p = PROTOCOLS[key].replace(**RULES[rule])
        protocols[key] = p
        plan = SCALES[scale].get(key, {"arch": list(TIMING_ARCHITECTURES), "trials": 10, "budget": DEFAULT_BUDGET})
        chosen = archs if architectures is not None else plan["arch"]
        for a in dict.fromkeys(chosen):
            jobs.append(TimingJob(p, a, trials or plan["trials"], budget or plan["budget"], seed))
    if paper_rule_check and rule != "paper":
        jobs += rule_check_jobs(jobs, seed)
    return jobs, protocols


def rule_check_jobs(jobs, seed=0) -> list:
    """The check of the secondary sources' learning rule for ``jobs``: the peephole LSTM on
    :data:`RULE_CHECK_ROW` with :data:`RULES` ``["paper"]``, with the trials and budget of the first
    job on that row (none if no job runs it)."""
    base = next((j for j in jobs if j.protocol.key == RULE_CHECK_ROW), None)
    if base is None:
        return []
    p = PROTOCOLS[RULE_CHECK_ROW]
    return [TimingJob(p.replace(key=p.key + RULE_CHECK_SUFFIX, **RULES["paper"]), "peephole", base.trials,
                      base.budget, seed)]


def is_rule_check(key) -> bool:
    """Whether the protocol ``key`` is a check of the learning rule (:func:`rule_check_jobs`)."""
    return str(key).endswith(RULE_CHECK_SUFFIX)


def protocols_of(jobs) -> dict:
    """Every protocol that ``jobs`` run, by key, in the order of the jobs (the rule check's included)."""
    return {j.protocol.key: j.protocol for j in jobs}


