"""Gers & Schmidhuber (2001): aⁿbⁿ and aⁿbⁿcⁿ as next-symbol prediction, with a generalisation scan.

The paper's text could not be read (see the project's ``experiments.md`` §3 and its addendum): its
training ranges, topology, learning rule, trial counts and generalisation results are unverified.
What is fixed here, and why:

* **Task** (:mod:`lstmlib.languages`): ``S aⁿbⁿ(cⁿ) T``, one-hot input, the set of legal next symbols
  as a multi-hot target at every step, accepted iff every output is on the correct side of 0.5; n ≥ 1;
  training strings drawn uniformly from n ∈ [1, 10].  As in the public reproductions [S].
* **Topology**: one memory block of one cell for aⁿbⁿ, two blocks of one cell for aⁿbⁿcⁿ (the sizes
  Suzgun et al. 2019 attribute to this line of work [S]); logistic output units that also see the
  inputs (input-to-output shortcuts), all units biased, weights drawn from [-0.1, 0.1].
* **Learning** (a deviation: the paper's rule is unverified; the often-quoted "momentum 0.99, lr 1e-5"
  is from a source with known misquotes): Adam (lr 0.01) on the cross-entropy of each output unit, one
  update per string, the architecture's own gradient (truncated for the LSTMs, exact BPTT for the
  RNN).  The chapter compares this rule with plain and momentum SGD and with the squared error
  (:func:`learning_rule_variants`).
* **Forget gate**: initial bias +10 (f ≈ 0.99995), so that a cell can hold a count for thousands of
  steps from the start; with +5 (f ≈ 0.993) the count leaks ~0.7 % per step.
* **Stopping**: every trial trains for the whole budget; "sequences to solution" is the first check
  (every 1,000 strings) at which every training string was accepted, and the generalisation scan runs
  both then and at the end of the budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..._checks import check_counts
from ...model import ARCHITECTURES, build
from ...study.jobs import (
    MAIN_ARCHITECTURES,
    ChapterJob,
    derive_seed,
    downsample_curve,
    matched_rnn,
    network_from_weights,
    parse_names,
)
from ...tasks.languages import CountingLanguage, generalisation, training_set_accepted
from ...training import SGD, Adam, Momentum, train

OPTIMIZER_NAMES = ("adam", "momentum", "sgd")


@dataclass(frozen=True)
class LanguageProtocol:
    """How one language is learned and judged: the language, the network, the learning rule, the budget."""

    key: str
    title: str
    language: CountingLanguage
    n_blocks: int
    cells_per_block: int = 1
    train_range: tuple = (1, 10)
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.99
    loss: str = "ce"
    output_from: str = "cells+inputs"
    forget_gate_bias: float = 10.0
    init_range: float = 0.1
    check_every: int = 1000
    n_max: int = 1000
    paper: dict = field(default_factory=dict)

    def __post_init__(self):
        self.language.check_range(self.train_range)
        if self.optimizer not in OPTIMIZER_NAMES:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid: {list(OPTIMIZER_NAMES)}")
        if not (isinstance(self.lr, (int, float)) and not isinstance(self.lr, bool) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        for name in ("check_every", "n_max"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.n_max < self.train_range[1]:
            raise ValueError(f"n_max ({self.n_max}) must be at least the largest training count "
                             f"({self.train_range[1]})")

    def replace(self, **changes) -> LanguageProtocol:
        import dataclasses
        return dataclasses.replace(self, **changes)

    def make_optimizer(self):
        if self.optimizer == "adam":
            return Adam(self.lr)
        if self.optimizer == "momentum":
            return Momentum(self.lr, self.momentum)
        return SGD(self.lr)

    def rule(self) -> str:
        """The learning rule in words, e.g. "Adam lr 0.01, cross-entropy"."""
        opt = {"adam": f"Adam lr {self.lr:g}", "momentum": f"SGD with momentum {self.momentum:g}, lr {self.lr:g}",
               "sgd": f"SGD lr {self.lr:g}"}[self.optimizer]
        return f"{opt}, {'cross-entropy' if self.loss == 'ce' else 'squared error'}"

    def describe(self) -> str:
        lo, hi = self.train_range
        return (f"n ∈ [{lo}, {hi}], {self.n_blocks} block(s) × {self.cells_per_block} cell, {self.rule()}, "
                f"scan to n = {self.n_max:,}")


_ICANN02 = {"source": "Gers, Pérez-Ortiz & Schmidhuber, ICANN 2002, abstract", "tag": "P-abs",
            "text": "LSTM trained with a decoupled extended Kalman filter (not gradient descent) on n ≤ 10 "
                    "\"deals correctly with values of n up to 1000 and more\""}

#: The chapter's two experiments.  Paper numbers: none could be read (tag U); the abstracts' claims and
#: the Kalman-filter follow-up are quoted for context.
PROTOCOLS = {p.key: p for p in [
    LanguageProtocol("anbn", "aⁿbⁿ (context-free)", CountingLanguage("ab"), n_blocks=1,
                     paper={"source": "Gers & Schmidhuber 2001", "tag": "U",
                            "claim": "LSTM learns the context-free aⁿbⁿ and generalises far beyond its "
                                     "training strings; traditional RNNs do worse [P-abs]",
                            "text": "training and generalisation ranges not read (often repeated: "
                                    "\"n up to 1000\" [U])"}),
    LanguageProtocol("anbncn", "aⁿbⁿcⁿ (context-sensitive)", CountingLanguage("abc"), n_blocks=2,
                     paper={"source": "Gers & Schmidhuber 2001", "tag": "U",
                            "claim": "LSTM variants are the first RNNs to learn the context-sensitive "
                                     "aⁿbⁿcⁿ [P-abs]",
                            "text": "training and generalisation ranges not read", "followup": _ICANN02}),
]}

#: Greff et al. (2017) variants, run on aⁿbⁿ when asked for (each is one change to the peephole LSTM).
GREFF_VARIANTS = ("greff_v", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg", "fgr")

#: What each scale runs: language key -> (trials, strings per trial).  "tiny" is for tests.  The
#: paper's own protocol (trials, budget) is not known, so "paper" is the same as "full".
SCALES = {
    "tiny": {"anbn": (2, 2_000), "anbncn": (2, 2_000)},
    "default": {"anbn": (10, 100_000), "anbncn": (10, 100_000)},
    "full": {"anbn": (30, 300_000), "anbncn": (30, 300_000)},
}
SCALES["paper"] = SCALES["full"]
#: The scan's upper end at each scale.
SCAN_TO = {"tiny": 60, "default": 1000, "full": 1000, "paper": 1000}


def network_for(protocol: LanguageProtocol, arch: str, trials: int, seed: int):
    """``trials`` networks of ``arch`` for ``protocol``: LSTMs get the protocol's blocks and cells (and
    its forget-gate bias where they have a forget gate); the plain RNN gets the smallest number of
    fully recurrent tanh units whose weights reach the 1997 LSTM's count."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; valid presets: {sorted(ARCHITECTURES)}")
    lang = protocol.language
    common = dict(output="logistic", output_from=protocol.output_from, loss=protocol.loss,
                  init_range=protocol.init_range)
    if arch == "rnn":
        return matched_rnn(lang.n_inputs, lang.n_outputs, network_for(protocol, "vanilla", 1, 0).n_weights,
                           trials=trials, seed=seed, **common)
    extra = {"forget_gate_bias": protocol.forget_gate_bias} if ARCHITECTURES[arch].forget_gate else {}
    return build(arch, lang.n_inputs, lang.n_outputs, protocol.n_blocks, protocol.cells_per_block,
                 trials=trials, seed=seed, **extra, **common)


class LanguageJob(ChapterJob):
    """``trials`` trials of ``arch`` on a :class:`LanguageProtocol`, ``budget`` training strings each;
    runs in :func:`lstmlib.study.jobs.run_jobs`."""

    def seeds(self) -> dict:
        key, arch = self.protocol.key, self.arch
        return {"init": derive_seed(self.seed, key, arch, "init"), "train": derive_seed(self.seed, key, arch, "train")}

    def cost(self) -> float:
        lo, hi = self.protocol.train_range
        return self.trials * self.budget * self.protocol.language.length((lo + hi) / 2)

    def check(self):
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; valid presets: {sorted(ARCHITECTURES)}")
        check_counts(self.name, trials=self.trials, budget=self.budget)

    def run(self, progress=None) -> dict:
        return run_job(self, progress)


def run_job(job: LanguageJob, progress=None) -> dict:
    """Train one job for its whole budget, checking the training set every ``check_every`` strings;
    scan the generalisation of each trial when it first accepts the whole training set and at the end."""
    job.check()
    p, seeds = job.protocol, job.seeds()
    lang, K = p.language, job.trials
    net = network_for(p, job.arch, K, seeds["init"])
    solved_at = np.full(K, -1, np.int64)
    up_to_at_solution = np.full(K, -1, np.int64)
    seen = [0]
    chunk = min(p.check_every, job.budget)

    def check(trained):
        seen[0] += chunk
        new = np.flatnonzero((solved_at < 0) & training_set_accepted(trained, lang, p.train_range))
        if new.size:
            solved_at[new] = seen[0]
            up_to_at_solution[new] = generalisation(trained.subset(new), lang, p.n_max)["up_to"]

    say = None if progress is None else (lambda line: progress(f"{job.name}: {line}"))
    t0 = time.perf_counter()
    hist = train(net, lang.sampler(K, p.train_range), p.make_optimizer(), sequences=job.budget, chunk=chunk,
                 tolerance=0.5, seed=seeds["train"], progress=say, progress_every=60.0, after_chunk=check)
    final = generalisation(net, lang, p.n_max)
    final_train = training_set_accepted(net, lang, p.train_range)
    seqs, loss, frac = hist.curve_arrays()
    trials = []
    for k in range(K):
        diverged = hist.status[k] == "diverged"
        trials.append({
            "trial": k, "status": "diverged" if diverged else ("solved" if solved_at[k] >= 0 else "budget"),
            "sequences": int(solved_at[k]) if solved_at[k] >= 0 else None,
            "sequences_seen": int(hist.sequences_seen[k]),
            "up_to_at_solution": int(up_to_at_solution[k]) if solved_at[k] >= 0 else None,
            "up_to": int(final["up_to"][k]), "first_failure": int(final["first_failure"][k]),
            "train_accepted": bool(final_train[k]),
            "curve": downsample_curve(seqs[:, k], loss[:, k], frac[:, k], 120),
            "weights": {name: value[k].tolist() for name, value in net.named_parameters().items()},
        })
    return {"job": job.name, "protocol": p.key, "arch": job.arch, "trials": trials, "n_weights": net.n_weights,
            "budget": job.budget, "n_max": p.n_max, "seeds": seeds, "wall_time_s": time.perf_counter() - t0}


def network_from_record(protocol: LanguageProtocol, record: dict, trial: int):
    """The trained network of one trial of a :func:`run_job` record."""
    return network_from_weights(lambda arch, K: network_for(protocol, arch, K, 0), record, [trial])


def networks_from_record(protocol: LanguageProtocol, record: dict):
    """All trained trials of a :func:`run_job` record as one network (trial k = the record's trial k)."""
    return network_from_weights(lambda arch, K: network_for(protocol, arch, K, 0), record)


def summarise(record) -> dict:
    """Per job: trials, how many learned the training set, sequences to that, generalisation ranges."""
    t = record["trials"]
    solved = [x["sequences"] for x in t if x["sequences"] is not None]
    up = np.array([x["up_to"] for x in t])
    return {"job": record["job"], "protocol": record["protocol"], "arch": record["arch"],
            "n_weights": record["n_weights"], "budget": record["budget"], "trials": len(t), "solved": len(solved), "diverged": sum(x["status"] == "diverged" for x in t),
            "seq_median": float(np.median(solved)) if solved else None,
            "train_accepted": sum(x["train_accepted"] for x in t),
            "up_to": up.tolist(), "up_to_median": float(np.median(up)), "up_to_best": int(up.max()),
            "reach_max": int((up >= record["n_max"]).sum()), "n_max": record["n_max"],
            "up_to_at_solution_median": (float(np.median([x["up_to_at_solution"] for x in t
                                                           if x["up_to_at_solution"] is not None]))
                                         if solved else None)}


def claim_verdict(summary, train_max, factor=10) -> str:
    """The abstract's claim, "learns from short strings and generalises to far longer ones", per job:
    "reproduced" if at least half of the trials learn the training set and the median trial accepts
    every string up to at least ``factor`` times the longest training count; "partly" if only the best
    trial does; "not reproduced" otherwise."""
    if summary["solved"] * 2 >= summary["trials"] and summary["up_to_median"] >= factor * train_max:
        return "reproduced"
    if summary["up_to_best"] >= factor * train_max:
        return "partly"
    return "not reproduced"


def ours_text(summary, protocol) -> str:
    lo, hi = protocol.train_range
    return (f"{summary['solved']}/{summary['trials']} learn n ∈ [{lo}, {hi}]; all n ≤ N accepted up to N = "
            f"{summary['up_to_median']:g} (median), {summary['up_to_best']:,} (best); "
            f"{summary['reach_max']}/{summary['trials']} reach the scan's end n = {summary['n_max']:,}")


def scorecard_rows(summaries, protocols, scale_text, chapter="languages") -> list:
    """The chapter's scorecard rows: per language, the peephole LSTM against the abstract's claim
    (:func:`claim_verdict`), and the plain RNN against "traditional RNNs do worse" (reproduced if its
    median and best generalisation are both below the peephole LSTM's)."""
    by = {(s["protocol"], s["arch"]): s for s in summaries}
    rows = []
    for key, p in protocols.items():
        lstm, rnn = by.get((key, "peephole")), by.get((key, "rnn"))
        paper = f"{p.paper['claim']}; {p.paper['text']} [{p.paper['tag']}]"
        common = {"chapter": chapter, "experiment": p.title, "paper": paper, "scale": scale_text}
        if lstm is not None:
            rows.append({**common, "model": "peephole LSTM", "protocol": f"{p.describe()}, {lstm['budget']:,} strings",
                         "ours": ours_text(lstm, p), "verdict": claim_verdict(lstm, p.train_range[1])})
        if rnn is not None and lstm is not None:
            worse = rnn["up_to_median"] < lstm["up_to_median"] and rnn["up_to_best"] < lstm["up_to_best"]
            rows.append({**common, "model": "plain RNN", "protocol": f"{p.describe()}, {rnn['budget']:,} strings",
                         "ours": ours_text(rnn, p),
                         "verdict": "reproduced (RNN worse)" if worse else "not reproduced (RNN not worse)"})
    return rows


def learning_rule_variants(protocol: LanguageProtocol) -> dict:
    """The protocol under other learning rules, keyed ``<key>_<rule>``: Adam on the squared error,
    momentum SGD (0.99) and plain SGD on the cross-entropy, each at a learning rate that trains."""
    rules = {"adam_mse": dict(optimizer="adam", lr=0.01, loss="mse"),
             "momentum_ce": dict(optimizer="momentum", lr=1e-4, momentum=0.99, loss="ce"),
             "sgd_ce": dict(optimizer="sgd", lr=0.05, loss="ce")}
    out = {}
    for name, change in rules.items():
        q = protocol.replace(key=f"{protocol.key}_{name}", **change)
        out[q.key] = q
    return out


def jobs_for(scale="default", languages=None, architectures=None, trials=None, budget=None, seed=0, n_max=None,
             train_max=None, optimizer=None, lr=None):
    """The jobs of a languages run, validated before any work starts: ``(jobs, protocols)``.

    ``languages``: None for both, or a list / comma-separated string of ``anbn``, ``anbncn``.
    ``architectures``: None for the four main ones.  ``trials``/``budget``: override the scale's.
    ``n_max``: the scan's upper end (scale default).  ``train_max``: train on n ∈ [1, train_max]
    (default 10).  ``optimizer`` ("adam", "momentum", "sgd") and ``lr`` override the protocol's."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid: {list(SCALES)}")
    keys = list(SCALES[scale]) if languages is None else parse_names(languages, "languages")
    for k in keys:
        if k not in PROTOCOLS:
            raise ValueError(f"unknown language {k!r}; valid: {list(PROTOCOLS)}")
    archs = list(MAIN_ARCHITECTURES) if architectures is None else parse_names(architectures, "architectures")
    for a in archs:
        if a not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {a!r}; valid presets: {sorted(ARCHITECTURES)}")
    for name, v in (("trials", trials), ("budget", budget), ("n_max", n_max), ("train_max", train_max)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name} must be None or a positive integer, got {v!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    changes = {"n_max": n_max or SCAN_TO[scale]}
    if train_max is not None:
        changes["train_range"] = (1, train_max)
    if optimizer is not None:
        changes["optimizer"] = optimizer
    if lr is not None:
        changes["lr"] = lr
    jobs, protocols = [], {}
    for key in dict.fromkeys(keys):
        p = PROTOCOLS[key].replace(**changes)  # validates the changed protocol
        protocols[key] = p
        k_trials, k_budget = SCALES[scale][key]
        for a in dict.fromkeys(archs):
            jobs.append(LanguageJob(p, a, trials or k_trials, budget or k_budget, seed))
    return jobs, protocols
