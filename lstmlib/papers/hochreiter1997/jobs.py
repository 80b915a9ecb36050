"""Hochreiter & Schmidhuber (1997): the jobs of the noisy-recall chapter.

:func:`network_for` turns a :class:`~.protocols.Protocol` and an architecture preset into K networks
built the same way for every architecture; a :class:`Job` trains and tests K trials of one
(protocol, architecture) pair and returns a plain-dict record; a :class:`WeightGrowthJob` trains the
1997 LSTM without a stopping rule and records how chosen weights grow (the chapter's "Longer lags").
Both are run by :func:`lstmlib.study.jobs.run_jobs`; :func:`jobs_for` turns the chapter's parameters
into jobs, the output-unit ablation (:func:`output_ablation_jobs`) and the weight-growth runs
(:func:`weight_growth_jobs`) included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from ..._checks import check_flag
from ...model import ARCHITECTURES, build
from ...study.jobs import (MAIN_ARCHITECTURES, ChapterJob, check_arch, check_job_options, check_scale, choose_names,
                           derive_seed, downsample_curve, matched_rnn, network_from_weights, parse_names)
from ...training import SGD, FlatCurveRule, RandomTestSetRule, RecentSequencesRule, evaluate, track_weights, train
from .protocols import FAMILIES, PROTOCOLS, SCALES, TINY_T, Protocol, learning_rate, with_T


def network_for(protocol: Protocol, arch: str, trials: int, seed: int):
    """K networks of preset ``arch`` for ``protocol``.

    LSTM presets get the protocol's blocks, cells per block, biased units and initial gate biases; the
    ``forget`` and ``peephole`` presets also get the protocol's ``forget_gate_bias`` in every block.
    The plain ``rnn`` gets the smallest number of fully recurrent tanh units whose weight count reaches
    the 1997 LSTM's for this protocol (e.g. 8 units, 97 weights, against 93).  All get the protocol's
    inputs, output unit and initial range.  Every architecture keeps its preset's gradient: truncated
    for the LSTMs, exact BPTT for the RNN (there is no CEC to truncate to).
    """
    check_arch(arch)
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
class _RecallJob(ChapterJob):
    """What the chapter's two kinds of job share: the cost, in trial-steps at the full budget (the
    runner starts long jobs first; a weight-growth job runs its whole budget)."""

    def cost(self) -> float:
        shard = getattr(self, "shard", None)
        return (self.trials if shard is None else len(shard)) * self.budget * self.protocol.task.max_length


#: The plain RNN stops as flat (:class:`~lstmlib.training.FlatCurveRule`) once its curve has been flat over
#: this fraction of its budget.  The LSTMs are never stopped so: ``scripts/flat_check.py`` (default scale,
#: seed 0, full budgets; ``reference_runs/hochreiter1997_flat_check``) found that the rule would have
#: stopped none of the plain RNN's 30 trials too early (none solved) but 18 of the 80 LSTM trials that went
#: on to solve, long flat starts being common for them.
FLAT_FRACTION = 0.2


def flat_patience(budget) -> int:
    """The plain RNN's patience for a budget: :data:`FLAT_FRACTION` of it, rounded to an even count."""
    return 2 * max(1, round(budget * FLAT_FRACTION / 2))


@dataclass(frozen=True)
class Job(_RecallJob):
    """``trials`` trials of ``arch`` on ``protocol``, at most ``budget`` sequences each, tested at the end
    on ``n_test`` sequences (the paper's final test set).  ``flat_patience``: None, or stop a trial whose
    learning curve has been flat over that many sequences (:class:`~lstmlib.training.FlatCurveRule`,
    status ``"flat"``; tested where it stopped).  ``flat_watch``: stop nothing, but record in each trial's
    ``flat_at`` where that rule, with the patience :func:`flat_patience` of the budget, would first have
    stopped it (None: never), to check the rule against full budgets (:func:`flat_check_jobs`)."""

    n_test: int = 2560
    flat_patience: int | None = None
    flat_watch: bool = False
    shard: tuple | None = None  # the indices of the job's trials this job trains (None: all); see split()

    @property
    def name(self) -> str:
        base = f"{self.protocol.key}/{self.arch}"
        if self.shard is None:
            return base
        try:
            return f"{base}[{self.shard[0]}-{self.shard[-1]}]"
        except (TypeError, IndexError, KeyError):  # a bad shard: check() says so
            return f"{base}[{self.shard!r}]"

    def split(self, n) -> list:
        """The job as up to ``n`` shards of its trials (consecutive indices), each a job of its own, whose
        records :meth:`merge` joins into exactly the record of the whole job (wall time aside): a shard
        starts from its trials' initial weights, sees their training and test sequences and stops as they
        would in the whole job, because every trial's training is its own."""
        if self.shard is not None:
            raise ValueError(f"{self.name} is a shard already")
        parts = np.array_split(np.arange(self.trials), min(n, self.trials))
        return [replace(self, shard=tuple(int(i) for i in part)) for part in parts]

    @staticmethod
    def merge(records) -> dict:
        """The record of the whole job from its shards' records (in any order)."""
        records = sorted(records, key=lambda r: r["trials"][0]["trial"])
        first = records[0]
        trials = [t for r in records for t in r["trials"]]
        if [t["trial"] for t in trials] != list(range(first.get("shard_of", -1))):
            raise ValueError("the shards do not cover the job's trials exactly once")
        whole = {k: v for k, v in first.items() if k != "shard_of"}
        return {**whole, "job": first["job"].split("[")[0], "trials": trials,
                "wall_time_s": sum(r["wall_time_s"] for r in records),
                "shards": [r["trials"][0]["trial"] for r in records]}

    def cost(self) -> float:  # a job that stops when flat is expected to run about its patience
        return super().cost() * (1.0 if self.flat_patience is None else min(1.0, self.flat_patience / self.budget))

    def seeds(self) -> dict:
        """Seeds derived from (seed, protocol, arch); the final test set depends on (seed, protocol) only,
        so every architecture is tested on the same sequences."""
        key, arch, seed = self.protocol.key, self.arch, self.seed
        return {"init": derive_seed(seed, key, arch, "init"), "train": derive_seed(seed, key, arch, "train"),
                "rule": derive_seed(seed, key, arch, "rule"), "test": derive_seed(seed, key, "test")}

    def check(self):
        super().check(n_test=self.n_test)
        if self.shard is not None:
            sh = self.shard
            if (not isinstance(sh, tuple) or not sh or any(isinstance(i, bool) or not isinstance(i, int) for i in sh)
                    or list(sh) != sorted(set(sh)) or sh[0] < 0 or sh[-1] >= self.trials):
                raise ValueError(f"{self.protocol.key}/{self.arch}: shard must be a tuple of increasing trial "
                                 f"indices in [0, {self.trials}), got {sh!r}")
        fp = self.flat_patience
        if fp is not None and (isinstance(fp, bool) or not isinstance(fp, int) or fp < 2 or fp % 2):
            raise ValueError(f"{self.name}: flat_patience must be None or an even integer >= 2, got {fp!r}")
        check_flag("flat_watch", self.flat_watch)
        if self.flat_watch and fp is not None:
            raise ValueError(f"{self.name}: a job stops flat trials (flat_patience) or watches them (flat_watch), "
                             "not both")

    def run(self, progress=None) -> dict:
        return run_job(self, progress)


def stop_rule(job: Job, net):
    """``(rule, chunk)``: the paper's stopping rule for ``job``'s protocol, watching ``net``, and the
    training sequences between its checks."""
    p, task = job.protocol, job.protocol.task
    if p.stop.kind == "recent":
        return RecentSequencesRule(p.stop.window, task.tolerance, p.stop.mean_error, p.stop.max_wrong), 200
    return (RandomTestSetRule(net, task, p.stop.n_test, p.stop.max_wrong, p.stop.mean_error,
                              seed=job.seeds()["rule"], drawn_for=drawn_for(job)), p.stop.every)


def drawn_for(job):
    """None for a whole job; for a shard, ``(K, its trial indices)``: sequences are drawn for all K trials
    and the shard's trials get their own rows (:func:`lstmlib.training.evaluate`)."""
    return None if job.shard is None else (job.trials, job.shard)


def _sampler(task, job):
    """``sample(rng, n)`` for the job's trials: for a shard, the rows of its trials of the whole job's draw."""
    if job.shard is None:
        return task.sampler(job.trials)
    rows = np.asarray(job.shard)

    def sample(rng, n):
        x, target, lengths, loss_at = task.sample(rng, job.trials, n)
        pick = (lambda a: a[rows]) if isinstance(loss_at, np.ndarray) else (lambda a: a)
        return x[rows], target[rows], lengths[rows], pick(loss_at)
    return sample


def _watched(rule, watch, trials):
    """``(stop, flat_at)``: ``rule`` as a stopping rule that also feeds every chunk to the flat rule
    ``watch``, and ``flat_at [trials]``, filled in as it runs with the sequence count at which ``watch``
    first called each trial flat (-1: never).  A solved trial's chunks after it stopped are NaN and never
    flat."""
    flat_at = np.full(trials, -1, np.int64)
    seen = [0]

    def stop(loss, err):
        seen[0] += np.shape(err)[1]
        fired = watch(loss, err) & (flat_at < 0)
        flat_at[fired] = seen[0]
        return rule(loss, err)
    return stop, flat_at


def run_job(job: Job, progress=None, curve_points=120) -> dict:
    """Train and test one job; returns a JSON-ready dict (see :func:`run_jobs`)."""
    job.check()
    p, seeds = job.protocol, job.seeds()
    task = p.task
    net = network_for(p, job.arch, job.trials, seeds["init"])
    trial_ids = list(range(job.trials)) if job.shard is None else list(job.shard)
    if job.shard is not None:
        net = net.subset(trial_ids)
    K = len(trial_ids)
    rule, chunk = stop_rule(job, net)
    say = None if progress is None else (lambda line: progress(f"{job.name}: {line}"))
    flat = None if job.flat_patience is None else FlatCurveRule(job.flat_patience, task.tolerance)
    flat_at = None
    if job.flat_watch:
        rule, flat_at = _watched(rule, FlatCurveRule(flat_patience(job.budget), task.tolerance), K)
    t0 = time.perf_counter()
    hist = train(net, _sampler(task, job), SGD(learning_rate(p, job.arch)), sequences=job.budget, chunk=chunk,
                 gradient=p.gradient, stop=rule, tolerance=task.tolerance, seed=seeds["train"], progress=say,
                 progress_every=60.0, flat=flat)
    before = max(0.0, hist.wall_time - (time.perf_counter() - t0))  # training time before a resume
    ev = evaluate(net, task, n=job.n_test, seed=seeds["test"], drawn_for=drawn_for(job))
    first_half = getattr(rule, "wrong_ok_at", None)
    trials = []
    seqs, loss, frac = hist.curve_arrays()
    for k in range(K):
        solved = hist.status[k] == "solved"
        trials.append({
            "trial": trial_ids[k], "status": hist.status[k],
            "sequences": int(hist.criterion_met_at[k]) if solved else None,
            "sequences_seen": int(hist.sequences_seen[k]),
            "st1_sequences": (int(first_half[k]) if first_half is not None and first_half[k] >= 0 else None),
            "test_wrong": int(ev["wrong"][k]), "test_n": ev["n"],
            "test_mean_abs_error": float(ev["mean_abs_error"][k]), "test_mse": float(ev["mse"][k]),
            "curve": downsample_curve(seqs[:, k], loss[:, k], frac[:, k], curve_points),
            **({} if flat_at is None else {"flat_at": int(flat_at[k]) if flat_at[k] >= 0 else None}),
            "weights": {name: value[k].tolist() for name, value in net.named_parameters().items()},
        })
    return {"job": job.name, "protocol": p.key, "arch": job.arch, "trials": trials,
            "n_weights": net.n_weights, "lr": learning_rate(p, job.arch), "budget": job.budget, "seeds": seeds,
            "flat_patience": job.flat_patience, "wall_time_s": before + time.perf_counter() - t0,
            **({} if job.shard is None else {"shard_of": job.trials})}


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


#: The weights that the weight-growth comparison follows: cells -> output unit, inputs -> cell inputs and
#: inputs -> input gates (input 0 is the value line of the adding problem, input 1 the marker line).
GROWTH_WEIGHTS = ("output.cells", "cell.x", "input_gate.x")

#: Trials per sequence length in the weight-growth comparison.
GROWTH_TRIALS = 10

#: The suffix of the output-unit ablation's rows (``4_T100_logistic``).
ABLATION_SUFFIX = "_logistic"


@dataclass(frozen=True)
class WeightGrowthJob(_RecallJob):
    """``trials`` networks of ``arch`` trained on ``protocol`` for exactly ``budget`` sequences (its learning
    rate, no stopping rule), with the parameters ``names`` recorded every ``every`` sequences by
    :func:`weight_growth`.  Its record has ``job``, ``protocol``, ``arch``, ``T``, ``budget``, ``every``,
    ``seeds``, ``wall_time_s``, ``trials`` (each with status ``"budget"``: nothing is solved here) and
    ``growth``, the :func:`weight_growth` dict itself."""

    solvable = False

    every: int = 1000
    names: tuple = GROWTH_WEIGHTS

    @property
    def name(self) -> str:
        return f"{self.protocol.key}/{self.arch}/weight_growth"  # beside the training job of the same row

    def check(self):
        super().check(every=self.every)
        if self.every > self.budget:
            raise ValueError(f"{self.name}: every must be at most budget ({self.budget}), got {self.every!r}")
        if not self.names or not all(isinstance(n, str) for n in self.names):
            raise ValueError(f"{self.name}: names must be a non-empty sequence of parameter names, got {self.names!r}")

    def run(self, progress=None) -> dict:
        self.check()
        t0 = time.perf_counter()
        growth = weight_growth(self.protocol, self.arch, self.trials, self.budget, self.every, self.names, self.seed)
        return {"job": self.name, "protocol": self.protocol.key, "arch": self.arch, "T": self.protocol.task.T,
                "budget": self.budget, "every": self.every,
                "seeds": Job(self.protocol, self.arch, self.trials, self.budget, self.seed).seeds(),
                "trials": [{"trial": k, "status": "budget", "sequences_seen": int(growth["seen"][-1])}
                           for k in range(self.trials)],
                "growth": growth, "wall_time_s": time.perf_counter() - t0}


def weight_growth_jobs(lengths, sequences, seed=0, trials=GROWTH_TRIALS) -> list[WeightGrowthJob]:
    """The weight-growth comparison: the 1997 LSTM on the adding problem (Exp. 4's protocol) at each
    sequence length in ``lengths`` (repeats dropped), ``sequences`` training sequences each, the weights
    :data:`GROWTH_WEIGHTS` recorded at 40 or so points (every ``max(100, sequences // 40)``)."""
    every = max(100, sequences // 40)
    return [WeightGrowthJob(with_T(PROTOCOLS["4_T100"], t), "vanilla", trials, sequences, seed, every=every)
            for t in dict.fromkeys(lengths)]


def output_ablation_jobs(jobs) -> list[Job]:
    """The output-unit ablation: for every adding row (Exp. 4) on which ``jobs`` train the 1997 LSTM, the
    same job with a logistic output unit instead of the linear one, as row ``<key>_logistic`` with no
    published numbers."""
    out = []
    for j in jobs:
        if isinstance(j, Job) and j.protocol.key.startswith("4_") and j.arch == "vanilla":
            p = j.protocol.replace(key=j.protocol.key + ABLATION_SUFFIX, output="logistic", paper={},
                                   title=j.protocol.title + ", logistic output unit")
            out.append(Job(p, "vanilla", j.trials, j.budget, j.seed))
    return out


def jobs_for(scale="default", experiments=None, T=None, architectures=None, trials=None, budget=None, seed=0,
             forget_gate_bias=None, *, output_ablation=False, lag_diagnostic=False, lag_lengths=None,
             lag_sequences=None, rnn_flat_stop=False):
    """The jobs of a noisy-recall run, validated before any work starts.

    ``scale``: "tiny", "default" or "paper" (see :data:`SCALES`).  ``experiments``: None for the scale's
    rows, else a list (or a comma-separated string) of row keys (``"4_T100"``) or families (``"3a"``,
    ``"3b"``, ``"3c"``, ``"4"``, ``"5"``; a family means its rows in this scale, or all its rows if the
    scale has none).  ``T``: run
    every chosen row at this length instead (the paper's row where one exists).  ``architectures``: None
    for the four main ones.  ``trials``/``budget``: override the scale's counts.  ``forget_gate_bias``: None
    for the protocols' (5.0), else the initial forget-gate bias of the architectures that have one.

    ``output_ablation``: also the 1997 LSTM with a logistic output unit on the adding rows
    (:func:`output_ablation_jobs`, after the rows' jobs).  ``lag_diagnostic``: also the weight-growth runs
    (:func:`weight_growth_jobs`, last) at the lengths and sequence counts of :func:`lag_plan` (``lag_lengths``,
    ``lag_sequences``; checked even when the diagnostic is off).  ``rnn_flat_stop``: the plain RNN's jobs
    stop a trial whose learning curve has been flat over a fifth of its budget (:data:`FLAT_FRACTION`,
    status ``"flat"``) instead of running it to the budget.  Returns ``(jobs, protocols)`` with
    ``protocols`` keyed by row (the table's rows only, not the ablation's or the weight-growth runs').
    """
    plan = SCALES[check_scale(scale, SCALES)]
    experiments = parse_names(experiments, "experiments")
    if experiments is None:
        keys = list(plan)
    else:
        keys = []
        for e in experiments:
            if e in PROTOCOLS:
                keys.append(e)
            elif e in FAMILIES:
                keys += [k for k in FAMILIES[e] if k in plan] or FAMILIES[e]
            else:
                raise ValueError(f"unknown experiment {e!r}; valid: families {list(FAMILIES)} "
                                 f"or rows {list(PROTOCOLS)}")
    keys = list(dict.fromkeys(keys))
    if T is not None and (isinstance(T, bool) or not isinstance(T, int) or T < 20):
        raise ValueError(f"T must be None or an integer >= 20 (the adding task's minimum), got {T!r}")
    archs = choose_names(architectures, MAIN_ARCHITECTURES, ARCHITECTURES, "architecture",
                         f"presets {sorted(ARCHITECTURES)}")
    check_job_options(seed, trials=trials, budget=budget)
    if forget_gate_bias is not None and (isinstance(forget_gate_bias, bool)
                                         or not isinstance(forget_gate_bias, (int, float))
                                         or not abs(forget_gate_bias) < 50):
        raise ValueError(f"forget_gate_bias must be None or a number in (-50, 50), got {forget_gate_bias!r}")
    check_flag("lag_diagnostic", lag_diagnostic)
    lag_T, lag_n = lag_plan(scale, lag_lengths, lag_sequences)
    check_flag("output_ablation", output_ablation)
    check_flag("rnn_flat_stop", rnn_flat_stop)
    length = TINY_T if (scale == "tiny" and T is None) else T
    jobs, protocols = [], {}
    for key in keys:
        p = PROTOCOLS[key] if length is None else with_T(PROTOCOLS[key], length)
        if p.key in protocols:
            continue
        if p.key in plan:
            k_trials, k_budget = plan[p.key]
        elif key in plan:  # a row of this scale moved to another T: a longer T gets a proportionally larger budget
            k_trials, k_budget = plan[key][0], round(plan[key][1] * max(1.0, p.task.T / PROTOCOLS[key].task.T))
        else:
            k_trials, k_budget = 10, p.budget
        if forget_gate_bias is not None:
            p = p.replace(forget_gate_bias=float(forget_gate_bias))
        protocols[p.key] = p
        for a in dict.fromkeys(archs):
            n = budget or k_budget
            jobs.append(Job(p, a, trials or k_trials, n, seed,
                            flat_patience=flat_patience(n) if rnn_flat_stop and a == "rnn" else None))
    if output_ablation:
        jobs += output_ablation_jobs(jobs)
    if lag_diagnostic:
        jobs += weight_growth_jobs(lag_T, lag_n, seed)
    return jobs, protocols


def flat_check_jobs(scale="default", seed=0) -> list[Job]:
    """The check of the plain RNN's flat stop against full budgets: the jobs of ``jobs_for(scale,
    output_ablation=True)``, every architecture, none stopped flat, all watched (``flat_watch``).
    ``scripts/flat_check.py`` runs them and writes the results file the chapter reads."""
    jobs, _ = jobs_for(scale, seed=seed, output_ablation=True)
    return [replace(j, flat_watch=True) for j in jobs]


def lag_plan(scale="default", lengths=None, sequences=None):
    """The sequence lengths and training sequences of the chapter's weight-growth comparison on the
    adding problem: defaults T = 100, 200, 500 and 40,000 sequences (tiny scale: 20, 40 and 400);
    ``lengths`` as a list or a comma-separated string.  Bad values raise before any work starts."""
    check_scale(scale, SCALES)
    names = parse_names(lengths, "lag_lengths") if lengths is not None else (["20", "40"] if scale == "tiny"
                                                                        else ["100", "200", "500"])
    if not all(t.isdigit() and int(t) >= 20 for t in names):
        raise ValueError(f"lag_lengths must be integers of at least 20, got {lengths!r}")
    n = sequences if sequences is not None else (400 if scale == "tiny" else 40_000)
    if isinstance(n, bool) or not isinstance(n, int) or n < 100:
        raise ValueError(f"lag_sequences must be an integer of at least 100, got {sequences!r}")
    return [int(t) for t in names], n
