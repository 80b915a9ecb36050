"""Gers, Schraudolph & Schmidhuber (2002): timing tasks learned online, on streams, as protocols and jobs.

The paper's tables could not be read (see the project's ``experiments.md`` §4 and its addendum §2);
its set-up is known from secondary notes [S], two of which agree on the gate biases:

* **Network** [S]: one input, one memory block of one cell, one output unit; the cell input and the
  gates see the input, the cell output and a bias; the output unit sees the cell output and a bias (no
  input shortcut); g and h are the identity (y = o · s); the output unit is logistic for the spike
  tasks and linear for PFG; 17 weights with peepholes.  Initial weights in [-0.1, 0.1], gate biases
  input 0, forget -2, output +2.
* **Learning** [S]: online, a weight update at every time step with the truncated gradient computed
  forward in time (:class:`lstmlib.OnlineLearner`), learning rate 1e-5 with momentum 0.9999
  (continual MSD), 0.99 (NMSD), 0.999 (GTS) and 0.99 (PFG); squared error.
* **Streams** [S]: a training stream starts from a reset network and ends at its first wrong step
  (|error| ≥ 0.49 for spikes, ≥ 0.3 for PFG) or after 100 events (spikes or periods); after a
  training stream a trial is tested on a fresh stream, and it has *solved* the task when it gets 1000
  successive events right.  Here a trial is tested only after a training stream in which it got all
  100 events right (it cannot pass the test otherwise in all but freak cases; this saves most tests).
  The learning rule of the book is not the sources' (see :data:`RULES`).

Architectures.  In this chapter every LSTM has the paper's topology and identity squashing, so that
they differ only in their gates: ``peephole`` is the paper's cell (forget gate and peepholes),
``forget`` the same without peepholes (the paper's "LSTM"), ``vanilla`` without forget gate and
peepholes (the 1997 gates), and ``nfg`` the peephole cell without forget gate.  The plain RNN (tanh
units, at least 17 weights) cannot be trained by RTRL-on-the-CEC; it is trained by exact BPTT on
each training stream (cut at its first wrong step, found by a forward pass), one update per stream.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..._checks import check_counts
from ...model import ARCHITECTURES, build
from ...study.jobs import ChapterJob, derive_seed, matched_rnn, network_from_weights, parse_names
from ...tasks.timing import GTS, MSD, PFG
from ...training import SGD, Adam, Momentum, OnlineLearner, Trainer

#: The chapter's architectures, and the ablation of the forget gate.
TIMING_ARCHITECTURES = ("rnn", "vanilla", "forget", "peephole", "nfg")
_SPEC_CHANGES = {  # every LSTM: the paper's topology and squashing; the presets differ in their gates
    "vanilla": dict(cell_input="identity", cell_output="identity", gate_recurrence="none"),
    "forget": dict(cell_input="identity", cell_output="identity", gate_recurrence="none"),
    "peephole": dict(cell_input="identity", cell_output="identity", gate_recurrence="none"),
    "nfg": dict(cell_input="identity", cell_output="identity", gate_recurrence="none", forget="none"),
}
LABELS = {"rnn": "plain RNN", "vanilla": "LSTM, in/out gates only", "forget": "LSTM, forget gate, no peepholes",
          "peephole": "peephole LSTM", "nfg": "peephole LSTM, no forget gate"}


@dataclass(frozen=True)
class TimingProtocol:
    """One task of the paper with its learning rule and stream lengths."""

    key: str
    title: str
    task: object
    momentum: float
    lr: float = 1e-5
    optimizer: str = "momentum"
    train_events: int = 100
    test_events: int = 1000
    init_range: float = 0.1
    input_gate_bias: float = 0.0
    forget_gate_bias: float = -2.0
    output_gate_bias: float = 2.0
    paper: dict = field(default_factory=dict)

    def replace(self, **changes) -> TimingProtocol:
        import dataclasses
        return dataclasses.replace(self, **changes)

    def make_optimizer(self):
        return Adam(self.lr) if self.optimizer == "adam" else Momentum(self.lr, self.momentum)

    def rule(self) -> str:
        opt = f"Adam lr {self.lr:g}" if self.optimizer == "adam" else f"lr {self.lr:g}, momentum {self.momentum:g}"
        return f"{opt}, forget-gate bias {self.forget_gate_bias:+g}"

    def describe(self) -> str:
        return (f"{self.task.describe()}; {self.rule()}; training streams of at most {self.train_events} events, "
                f"solved at {self.test_events} successive correct events")


#: The learning rules: "paper" is the secondary sources' (momentum SGD, learning rate 1e-5, forget-gate
#: bias -2); "fast" is this study's default, Adam (lr 1e-3) with a forget-gate bias of +2, chosen
#: because with the "paper" rule no peephole LSTM learned continual MSD (F = 10) within 100,000
#: training streams, nor GTS or the cosine (F = 10) within 200,000 (development runs, 10 trials each),
#: far more than the book can afford.
RULES = {"paper": {}, "fast": {"optimizer": "adam", "lr": 1e-3, "forget_gate_bias": 2.0}}


def _row(task, momentum, title, **paper):
    return TimingProtocol(task.key, title, task, momentum, paper={"tag": "U", **paper})


#: The rows of this chapter.  Paper numbers are unverified (tag U): the paper's tables were not read.
PROTOCOLS = {p.key: p for p in [
    _row(MSD(10, (0, 1)), 0.9999, "MSD, F = 10, I ∈ {0, 1} (continual)",
         claim="solved with and without peepholes (§4.2) [P]"),
    _row(MSD(10, (0, 1, 2)), 0.9999, "MSD, F = 10, I ∈ {0, 1, 2} (continual)",
         claim="solved with and without peepholes (§4.2) [P]"),
    _row(MSD(49, (0, 1)), 0.9999, "MSD, F = 49, I ∈ {0, 1}: spikes 49 or 50 steps apart",
         claim="peephole LSTM tells 50 from 49 steps without short training exemplars (abstract) [P]"),
    _row(MSD(10, (0, 1), continual=False), 0.99, "NMSD, F = 10, I ∈ {0, 1} (reset after each interval)"),
    _row(GTS(10), 0.999, "GTS, F = 10", claim="peephole LSTM learns to generate stable streams of precisely "
                                              "timed spikes (abstract) [P]; without a forget gate no "
                                              "convergence [S]"),
    _row(GTS(25), 0.999, "GTS, F = 25"),
    _row(PFG("cos", 10), 0.99, "PFG, cosine, F = 10",
         claim="peephole LSTM learns to generate highly nonlinear periodic patterns (abstract) [P]; LSTM "
               "without peepholes learned only this one, slowly [S]"),
    _row(PFG("cos", 25), 0.99, "PFG, cosine, F = 25"),
    _row(PFG("tri", 10), 0.99, "PFG, triangle, F = 10"),
    _row(PFG("rect", 10), 0.99, "PFG, rectangle, F = 10"),
]}

#: Scales: row key -> which architectures, trials and training streams per trial.  "tiny" is for tests;
#: "default" is what the book runs in its time budget; "paper" is every row at the secondary sources'
#: budget of 10^7 training streams (days on two cores).
DEFAULT_BUDGET = 40_000
_ALL = list(TIMING_ARCHITECTURES)
SCALES = {
    "tiny": {k: {"arch": _ALL, "trials": 2, "budget": 100} for k in ("msd_F10_I0-1", "gts_F10", "pfg_cos_F10")},
    "default": {"msd_F10_I0-1": {"arch": _ALL, "trials": 10, "budget": DEFAULT_BUDGET},
                "nmsd_F10_I0-1": {"arch": _ALL, "trials": 10, "budget": DEFAULT_BUDGET},
                "msd_F49_I0-1": {"arch": ["forget", "peephole"], "trials": 10, "budget": DEFAULT_BUDGET},
                "gts_F10": {"arch": _ALL, "trials": 10, "budget": DEFAULT_BUDGET},
                "pfg_cos_F10": {"arch": _ALL, "trials": 10, "budget": DEFAULT_BUDGET}},
    "paper": {k: {"arch": _ALL, "trials": 10, "budget": 10_000_000} for k in PROTOCOLS},
}


def network_for(protocol: TimingProtocol, arch: str, trials: int, seed: int):
    """``trials`` networks of ``arch`` for ``protocol`` (see the module docstring)."""
    task = protocol.task
    common = dict(output=task.output, init_range=protocol.init_range)
    if arch == "rnn":
        return matched_rnn(task.n_inputs, task.n_outputs, network_for(protocol, "peephole", 1, 0).n_weights,
                           trials=trials, seed=seed, **common)
    if arch not in _SPEC_CHANGES:
        raise ValueError(f"unknown architecture {arch!r}; valid: {list(TIMING_ARCHITECTURES)}")
    base = "peephole" if arch == "nfg" else arch
    spec = ARCHITECTURES[base].replace(name=arch, **_SPEC_CHANGES[arch])
    biases = {"input_gate_bias": protocol.input_gate_bias, "output_gate_bias": protocol.output_gate_bias}
    if spec.forget_gate:
        biases["forget_gate_bias"] = protocol.forget_gate_bias
    return build(spec, task.n_inputs, task.n_outputs, 1, 1, trials=trials, seed=seed, **biases, **common)


class TimingJob(ChapterJob):
    """``trials`` trials of ``arch`` on a :class:`TimingProtocol`, at most ``budget`` training streams
    each; runs in :func:`lstmlib.study.jobs.run_jobs`."""

    unit = "streams"

    def seeds(self) -> dict:
        key, arch, seed = self.protocol.key, self.arch, self.seed
        return {"init": derive_seed(seed, key, arch, "init"), "train": derive_seed(seed, key, arch, "train"),
                "test": derive_seed(seed, key, "test")}

    def cost(self) -> float:
        return self.trials * self.budget * 20.0  # streams end at their first error: short, early on

    def check(self):
        if self.arch not in TIMING_ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; valid: {list(TIMING_ARCHITECTURES)}")
        check_counts(self.name, trials=self.trials, budget=self.budget)

    def run(self, progress=None) -> dict:
        return run_job(self, progress)


class _OnlineTrials:
    """The LSTMs: one :class:`OnlineLearner` over all trials.  Training streams of a continual task are
    concatenated, ``batch`` at a time, into one call (each starts with a reset; a trial that errs skips
    to its next stream: ``resume_at_reset``), which trains exactly as one call per stream would."""

    batch = 200

    def __init__(self, net, protocol):
        self.net, self.p = net, protocol
        self.learner = OnlineLearner(net, protocol.make_optimizer())
        self.batched = getattr(protocol.task, "continual", True)  # NMSD resets the net inside a stream

    @property
    def active(self):
        return self.learner.active

    def freeze(self, k):
        self.learner.active[k] = 0

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
        total = n.sum(axis=0)
        x = np.zeros((K, int(total.max()), s.x.shape[2]))
        target, weights = np.zeros(x.shape[:2] + (s.target.shape[2],)), np.zeros(x.shape[:2])
        reset = np.zeros(x.shape[:2], bool)
        for j in range(M):
            for k in range(K):
                row, o, m = j * K + k, offsets[j, k], n[j, k]
                x[k, o:o + m], target[k, o:o + m], weights[k, o:o + m] = s.x[row, :m], s.target[row, :m], s.weights[row, :m]
                reset[k, o] = True
        r = self.learner.run(x, target, weights, stop_at_error=s.tolerance, reset=reset, resume_at_reset=True,
                             record=False, lengths=total)
        events = np.full((M, K), -1, np.int64)
        for k in range(K):
            for start, stop in r.segments[k]:
                if start < 0:
                    continue
                j = int(np.searchsorted(offsets[:, k], start))
                ev = s.events[j * K + k]
                ev = ev[ev >= 0]
                events[j, k] = len(ev) if stop < 0 else int((offsets[j, k] + ev < stop).sum())
        return events, r.steps


class _BPTTTrials:
    """The plain RNN: exact BPTT on each training stream cut at its first wrong step, one update per
    stream (a trial frozen by :meth:`freeze` trains on nothing: its loss weights are zero)."""

    def __init__(self, net, protocol):
        self.net, self.p = net, protocol
        self.trainer = Trainer(net, protocol.make_optimizer(), gradient="exact")
        self.best = 0

    @property
    def active(self):
        return self.trainer.active

    def freeze(self, k):
        self.trainer.active[k] = 0

    batched = False

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
        # forward a prefix long enough for every trial's first error (the stream is cut there), and the
        # whole stream only when some trial gets the prefix right
        n = s.events.shape[1]
        end = int(s.events[:, min(n - 1, 2 * self.best + 5)].max()) + 1
        while True:
            lengths = np.minimum(s.lengths, end)
            y = np.zeros(s.target.shape)
            y[:, :end] = self.net.forward(s.x[:, None, :end], lengths[:, None])[:, 0]
            err = s.error(y)
            wrong = s.first_wrong_step(err)
            if end >= s.T or not np.any((wrong < 0) & (self.trainer.active == 1)):
                break
            end = s.T
        self.best = max(self.best, int(s.correct_events(err).max()))
        last = np.where(wrong >= 0, wrong, s.lengths - 1)  # the stream ends at its first wrong step
        active = self.trainer.active == 1
        if active.any():
            used = int(last[active].max()) + 1
            w = (s.weights * (np.arange(s.T)[None, :] <= last[:, None]) * active[:, None])[:, :used]
            self.trainer.run(s.x[:, None, :used], s.target[:, None, :used], np.minimum(s.lengths, used)[:, None],
                             loss_at=w[:, None])
        return s.correct_events(err), last + 1


def test_events(net, protocol, stream):
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
    seen, next_point = 0, curve_every
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
            ok, _, _ = test_events(net, p, p.task.stream(test_rng, K, p.test_events))
            for k in np.flatnonzero(full & (ok >= p.test_events)):
                solved_at[k] = streams[k]
                runner.freeze(k)
        if seen >= next_point or seen == job.budget:
            curve.append((seen, np.where(n_acc > 0, acc / np.maximum(n_acc, 1), np.nan).round(3).tolist()))
            acc[:], n_acc[:] = 0, 0
            next_point = seen + curve_every
        now = time.perf_counter()
        if progress is not None and now - last > 60:
            last = now
            progress(f"{job.name}: [{now - t0:6.0f}s] {seen:,} streams; solved {(solved_at >= 0).sum()}/{K}; "
                     f"best run of correct events {best.max()}")
    final_events, rmse, _ = test_events(net, p, p.task.stream(np.random.default_rng(seeds["test"] + 1), K,
                                                             p.test_events))
    trials = []
    for k in range(K):
        status = "diverged" if runner.active[k] == -1 else ("solved" if solved_at[k] >= 0 else "budget")
        trials.append({"trial": k, "status": status, "streams": int(solved_at[k]) if solved_at[k] >= 0 else None,
                       "streams_seen": int(streams[k]), "steps_seen": int(steps[k]), "best_train_events": int(best[k]),
                       "test_events": int(final_events[k]), "test_rmse": float(rmse[k]) if np.isfinite(rmse[k]) else None,
                       "curve": [[c[0], c[1][k]] for c in curve if c[1][k] == c[1][k]],  # NaN: not training
                       "weights": {n: v[k].tolist() for n, v in net.named_parameters().items()}})
    return {"job": job.name, "protocol": p.key, "arch": job.arch, "trials": trials, "n_weights": net.n_weights,
            "budget": job.budget, "seeds": seeds, "wall_time_s": time.perf_counter() - t0}


def network_from_record(protocol, record, trial):
    """The trained network of one trial of a :func:`run_job` record."""
    return network_from_weights(lambda arch, K: network_for(protocol, arch, K, 0), record, [trial])


def summarise(record) -> dict:
    t = record["trials"]
    solved = [x["streams"] for x in t if x["streams"] is not None]
    rmse = [x["test_rmse"] for x in t if x["test_rmse"] is not None]
    return {"job": record["job"], "protocol": record["protocol"], "arch": record["arch"],
            "n_weights": record["n_weights"], "budget": record["budget"], "trials": len(t), "solved": len(solved),
            "diverged": sum(x["status"] == "diverged" for x in t),
            "streams_median": float(np.median(solved)) if solved else None,
            "best_train_events_median": float(np.median([x["best_train_events"] for x in t])),
            "test_events_median": float(np.median([x["test_events"] for x in t])),
            "test_events_best": int(max(x["test_events"] for x in t)),
            "test_rmse_median": float(np.median(rmse)) if rmse else None}


def jobs_for(scale="default", experiments=None, architectures=None, trials=None, budget=None, seed=0, rule="fast"):
    """The jobs of a timing run, validated before any work starts: ``(jobs, protocols)``.  ``rule``: a
    key of :data:`RULES` ("fast" or "paper")."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid: {list(SCALES)}")
    keys = list(SCALES[scale]) if experiments is None else parse_names(experiments, "experiments")
    for k in keys:
        if k not in PROTOCOLS:
            raise ValueError(f"unknown experiment {k!r}; valid: {list(PROTOCOLS)}")
    archs = list(TIMING_ARCHITECTURES) if architectures is None else parse_names(architectures, "architectures")
    for a in archs:
        if a not in TIMING_ARCHITECTURES:
            raise ValueError(f"unknown architecture {a!r}; valid: {list(TIMING_ARCHITECTURES)}")
    for name, v in (("trials", trials), ("budget", budget)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name} must be None or a positive integer, got {v!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; valid: {list(RULES)}")
    jobs, protocols = [], {}
    for key in dict.fromkeys(keys):
        p = PROTOCOLS[key].replace(**RULES[rule])
        protocols[key] = p
        plan = SCALES[scale].get(key, {"arch": list(TIMING_ARCHITECTURES), "trials": 10, "budget": DEFAULT_BUDGET})
        chosen = archs if architectures is not None else plan["arch"]
        for a in dict.fromkeys(chosen):
            jobs.append(TimingJob(p, a, trials or plan["trials"], budget or plan["budget"], seed))
    return jobs, protocols


def claim_verdict(protocol, by_arch) -> str:
    """Whether a run supports the claim the readable text of the paper makes for ``protocol``'s row
    (``by_arch``: :func:`summarise` dicts by architecture).  "Can learn" claims (GTS, PFG, the 49/50
    MSD) are existence claims: reproduced if at least one peephole LSTM trial solved the task.  "Solved
    with or without peepholes" (MSD, F = 10): reproduced if both the peephole LSTM and the LSTM without
    peepholes solved it in at least half of their trials, "partly" if both in at least one."""
    claim = protocol.paper.get("claim")
    peep, nopeep = by_arch.get("peephole"), by_arch.get("forget")
    if claim is None:
        return "no paper claim"
    if peep is None:
        return "not run"
    if "with and without peepholes" in claim:
        if nopeep is None:
            return "not run"
        if min(peep["solved"] / peep["trials"], nopeep["solved"] / nopeep["trials"]) >= 0.5:
            return "reproduced"
        return "partly" if peep["solved"] and nopeep["solved"] else "not reproduced at this budget"
    return "reproduced" if peep["solved"] else "not reproduced at this budget"


def scorecard_rows(summaries, protocols, scale_text, chapter="timing") -> list:
    """One scorecard row per task: the peephole LSTM (and, where the claim is about it, the LSTM without
    peepholes) against the claim of the paper's readable text (:func:`claim_verdict`)."""
    rows = []
    for key, p in protocols.items():
        by_arch = {s["arch"]: s for s in summaries if s["protocol"] == key}
        peep = by_arch.get("peephole")
        if peep is None:
            continue
        ours = "; ".join(f"{LABELS[a]} {s['solved']}/{s['trials']} solved"
                         + (f" (median {s['streams_median']:,.0f} streams)" if s["solved"] else "")
                         for a, s in by_arch.items())
        rows.append({"chapter": chapter, "experiment": p.title, "model": "peephole LSTM",
                     "protocol": f"{p.rule()}; at most {peep['budget']:,} training streams",
                     "paper": p.paper.get("claim", "no claim readable") + " (numbers unverified [U])",
                     "ours": ours, "verdict": claim_verdict(p, by_arch), "scale": scale_text})
    return rows
