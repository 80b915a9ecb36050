"""H&S 1997 Experiment 1 (the embedded Reber grammar, Table 1): the jobs of the forgetting chapter.

An :class:`ERGJob` trains ``trials`` networks of one architecture on one row of :data:`.ERG_PROTOCOLS`
(the networks and the protocol are described in :mod:`.protocols`).

**Data** (§5.1 [P]): a training set of 256 embedded Reber strings and a disjoint test set of 256
(:func:`lstmlib.tasks.reber.train_test_sets`).  The paper's 30 trials per row are 3 training/test set
pairs × 10 initialisations: trial k uses set pair ``k // 10`` (:func:`trial_pairs`), so with 10 trials
or fewer every trial uses pair 0, and with more than 30 there are further pairs.  Pair j is drawn from
``derive_seed(seed, "erg-data", j)`` (:func:`data_sets`): every row and every architecture of a run sees
the same pairs, as the paper's rows share its 3.

**Training**: each trial draws its training strings at random from its training set (uniformly, with
replacement: ``rng.integers(n_train, size=(trials, M))``, row k trial k's, ``M`` up to :data:`BATCH` draws
per call); the net is reset before each string and learns online, one SGD update per step at the row's
learning rate, with the truncated gradient (:meth:`lstmlib.OnlineLearner.run_queued`: many strings per
call, exactly as one call per string).  The plain RNN has no cell state and learns by exact BPTT, one
update per string (:class:`lstmlib.Trainer`), at :data:`RNN_LR_FACTOR` (0.1) times the row's rate (the
paper's Table 1 has no such RNN: its RNN rows are the cited works' published numbers).  Measured on
``erg_3x2_lr0.5`` (10 trials, 5,000 strings, seed 0): at the full rate 0.5 no trial's loss turned
non-finite, but the weights grew to |w| ≈ 46 and no trial got a single training string fully right; at
0.05 every trial learnt the inner grammar (53-61 % of the training strings fully right).

**Success**: every ``eval_every`` training strings (and at the end of the budget) the weights are
frozen and each training trial is judged on its whole training set, and, where every training string is
right, on its whole test set (:func:`lstmlib.tasks.reber.top_k_correct`, the batched forward pass).  A
trial is *solved* when every prediction on both sets is right; it then trains no more, and its strings
until success (the record's ``"strings"``, the jobs' ``unit``) are the training strings it had seen at
that check.  *Deviation*: the paper does not say
how often it checked; ``eval_every`` (default 256, one pass over the training set's size) bounds how
late a success is seen.  A trial whose loss turns non-finite is reported as ``"diverged"``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...study.jobs import (RNN_LR_FACTOR, ChapterJob, check_job_options, check_scale, choose_names, derive_seed,
                           network_from_weights)
from ...tasks import reber
from ...training import SGD, OnlineLearner, Trainer, checkpoints
from ...training.trainer import format_duration
from .protocols import ERG_PROTOCOLS, FORGET_ARCHITECTURES, ERGProtocol, erg_network

#: Initialisations per training/test set pair (the paper's 30 trials: 3 pairs × 10).
INITS_PER_PAIR = 10
#: Training strings drawn per trial and call of the learner (a check cuts a call short).
BATCH = 256
#: The default number of training strings between two checks of the success criterion.
EVAL_EVERY = 256
#: Steps per string, on average (the ERG's mean length is 12 symbols, 11 predictions; a little more for
#: the cost of the checks).
_STEPS_PER_STRING = 13.0

#: The row the book runs at the default scale.
DEFAULT_ROW = "erg_3x2_lr0.5"

#: Scales: per row, its architectures, trials and budget of training strings per trial.
SCALES = {
    "tiny": {DEFAULT_ROW: {"arch": list(FORGET_ARCHITECTURES), "trials": 2, "budget": 600}},
    "default": {DEFAULT_ROW: {"arch": list(FORGET_ARCHITECTURES), "trials": 10, "budget": 20_000}},
    "paper": {k: {"arch": list(FORGET_ARCHITECTURES), "trials": 30, "budget": 100_000} for k in ERG_PROTOCOLS},
}


def learning_rate(protocol: ERGProtocol, arch: str) -> float:
    """The row's learning rate for the LSTMs; :data:`RNN_LR_FACTOR` times it for the plain RNN."""
    return protocol.lr * (RNN_LR_FACTOR if arch == "rnn" else 1.0)


def trial_pairs(trials) -> np.ndarray:
    """The training/test set pair of each of ``trials`` trials: trial k uses pair ``k // 10``."""
    return np.arange(trials) // INITS_PER_PAIR


def data_sets(seed, pair, protocol: ERGProtocol) -> tuple[list, list]:
    """Training and test strings of set pair ``pair`` (the same for every row and architecture)."""
    rng = np.random.default_rng(derive_seed(seed, "erg-data", pair))
    return reber.train_test_sets(rng, protocol.n_train, protocol.n_test)


@dataclass
class TrialData:
    """The encoded sets of every trial: ``x, target, weights [pairs * (n_train + n_test), T, ...]`` and
    ``lengths``, pair j's training strings at rows ``j * (n_train + n_test) + [0, n_train)``, its test
    strings after them; ``pairs [trials]`` each trial's pair."""

    x: np.ndarray
    target: np.ndarray
    weights: np.ndarray
    lengths: np.ndarray
    pairs: np.ndarray
    n_train: int
    n_test: int

    @classmethod
    def make(cls, seed, protocol: ERGProtocol, trials):
        pairs = trial_pairs(trials)
        strings = []
        for j in range(int(pairs.max()) + 1):
            train, test = data_sets(seed, j, protocol)
            strings += train + test
        x, target, weights, lengths = reber.encode(strings)
        return cls(x, target, weights, lengths, pairs, protocol.n_train, protocol.n_test)

    def rows(self, which, trials=None) -> np.ndarray:
        """Rows ``[len(trials), n]`` of each trial's ``which`` set ("train" or "test")."""
        pairs = self.pairs if trials is None else self.pairs[trials]
        base = pairs[:, None] * (self.n_train + self.n_test)
        return base + (np.arange(self.n_train) if which == "train" else self.n_train + np.arange(self.n_test))

    def training_rows(self, draws) -> np.ndarray:
        """Rows of the drawn training strings ``draws [trials, M]`` (indices into each trial's set)."""
        return self.rows("train")[np.arange(len(self.pairs))[:, None], draws]


def strings_right(net, data: TrialData, which, trials) -> np.ndarray:
    """Which strings of their ``which`` set the ``trials`` (indices) of ``net`` predict fully right,
    ``[len(trials), n]`` booleans (a forward pass with frozen weights, from a reset state)."""
    trials = np.asarray(trials, np.int64)
    rows = data.rows(which, trials)
    sub = net if len(trials) == net.trials and (trials == np.arange(net.trials)).all() else net.subset(trials)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged net's outputs may be non-finite
        y = sub.forward(data.x[rows], data.lengths[rows])
    return reber.top_k_correct(y, data.target[rows], data.weights[rows]).all(axis=-1)


@dataclass(frozen=True)
class ERGJob(ChapterJob):
    """``trials`` trials of ``arch`` on an :class:`ERGProtocol`, at most ``budget`` training strings each,
    judged every ``eval_every`` strings; runs in :func:`lstmlib.study.jobs.run_jobs`."""

    eval_every: int = EVAL_EVERY
    unit: ClassVar[str] = "strings"
    architectures: ClassVar = FORGET_ARCHITECTURES

    def seeds(self) -> dict:
        key, arch, seed = self.protocol.key, self.arch, self.seed
        return {"init": derive_seed(seed, key, arch, "init"), "train": derive_seed(seed, key, arch, "train"),
                "data": [derive_seed(seed, "erg-data", int(j)) for j in np.unique(trial_pairs(self.trials))]}

    def cost(self) -> float:
        return self.trials * self.budget * _STEPS_PER_STRING

    def check(self):
        super().check(eval_every=self.eval_every)

    def run(self, progress=None) -> dict:
        return run_job(self, progress)



class _OnlineStrings:
    """The LSTMs: one :class:`OnlineLearner` over all trials, many strings per call, each from a reset."""

    def __init__(self, net, lr):
        self.net, self.learner = net, OnlineLearner(net, SGD(lr))

    @property
    def active(self):
        return self.learner.active

    def train(self, data: TrialData, rows) -> np.ndarray:
        """Train trial k on the strings ``rows[k]`` in order; the strings each trial ran ``[K]``."""
        r = self.learner.run_queued(data.x, data.target, data.weights, rows, data.lengths[rows])
        return (r.segments[:, :, 0] >= 0).sum(axis=1)


class _BPTTStrings:
    """The plain RNN: exact BPTT, one update per string (trials not training are left out)."""

    def __init__(self, net, lr):
        self.net, self.trainer = net, Trainer(net, SGD(lr), gradient="exact")

    @property
    def active(self):
        return self.trainer.active

    def train(self, data: TrialData, rows) -> np.ndarray:
        live = self.trainer.active == 1
        loss, _ = self.trainer.run(data.x[rows], data.target[rows], data.lengths[rows], loss_at=data.weights[rows])
        # a trial that diverged in this call ran up to the string whose loss or gradient was not finite
        ran = np.where(np.isfinite(loss), 1, 0).sum(axis=1)
        return np.where(live, np.where(self.trainer.active == -1, np.minimum(ran + 1, rows.shape[1]), rows.shape[1]), 0)


def run_job(job: ERGJob, progress=None, curve_points=100) -> dict:
    """Train one job until every trial solved the task, diverged or used its budget of training strings."""
    job.check()
    p, seeds, K, every = job.protocol, job.seeds(), job.trials, job.eval_every
    data = TrialData.make(job.seed, p, K)
    net = erg_network(p, job.arch, K, seeds["init"])
    lr = learning_rate(p, job.arch)
    runner = _BPTTStrings(net, lr) if job.arch == "rnn" else _OnlineStrings(net, lr)
    rng = np.random.default_rng(seeds["train"])
    solved_at = np.full(K, -1, np.int64)
    strings = np.zeros(K, np.int64)
    curves = [[] for _ in range(K)]
    curve_every = every * max(1, -(-job.budget // (curve_points * every)))  # a multiple of eval_every
    seen, next_point, before = 0, curve_every, 0.0
    t0 = last = time.perf_counter()
    # under run_jobs' store: the loop's whole state every minute, so that a stopped job continues from it
    ckpt = checkpoints.LoopCheckpoint(net, repr(job))
    saved = ckpt.load()
    if saved is not None:
        runner, rng, solved_at, strings, curves, seen, next_point, before = (saved[k] for k in _LOOP_STATE)
        if progress is not None:
            progress(f"{job.name}: resumed from a checkpoint at {seen:,} strings")
    seen_at_start = seen

    def loop_state():
        return dict(zip(_LOOP_STATE, (runner, rng, solved_at, strings, curves, seen, next_point,
                                      before + time.perf_counter() - t0)))
    while seen < job.budget and (runner.active == 1).any():
        M = min(BATCH, (seen // every + 1) * every - seen, job.budget - seen)
        draws = rng.integers(data.n_train, size=(K, M))
        strings += runner.train(data, data.training_rows(draws))
        seen += M
        if seen % every == 0 or seen == job.budget:
            live = np.flatnonzero(runner.active == 1)
            right = strings_right(net, data, "train", live)
            fraction = right.mean(axis=1)
            full = live[right.all(axis=1)]
            if full.size:
                for k in full[strings_right(net, data, "test", full).all(axis=1)]:
                    solved_at[k] = strings[k]
                    runner.active[k] = 0
            point = seen >= next_point or seen == job.budget
            for k, f in zip(live, fraction):
                if point or solved_at[k] >= 0:
                    curves[k].append([int(strings[k]), round(float(f), 4)])
            if point:
                next_point = seen + curve_every
        ckpt.save(loop_state(), when_due=True)
        now = time.perf_counter()
        if progress is not None and now - last > 60:
            last = now
            progress(f"{job.name}: [{before + now - t0:6.0f}s] {seen:,} strings; solved {(solved_at >= 0).sum()}/{K}"
                     f"; at most {format_duration((job.budget - seen) * (now - t0) / max(seen - seen_at_start, 1))}"
                     " left")
    ckpt.save(loop_state())  # the final state: a rerun goes straight to the final judgement
    everyone = np.arange(K)
    train_right, test_right = strings_right(net, data, "train", everyone), strings_right(net, data, "test", everyone)
    trials = []
    for k in range(K):
        status = "diverged" if runner.active[k] == -1 else ("solved" if solved_at[k] >= 0 else "budget")
        trials.append({"trial": k, "pair": int(data.pairs[k]), "status": status,
                       "strings": int(solved_at[k]) if solved_at[k] >= 0 else None, "strings_seen": int(strings[k]),
                       "train_correct": float(train_right[k].mean()), "test_correct": float(test_right[k].mean()),
                       "curve": curves[k], "weights": {n: v[k].tolist() for n, v in net.named_parameters().items()}})
    return {"job": job.name, "protocol": p.key, "arch": job.arch, "n_weights": net.n_weights, "budget": job.budget,
            "eval_every": every, "lr": lr, "seeds": seeds, "wall_time_s": before + time.perf_counter() - t0,
            "trials": trials}


#: The variables of :func:`run_job`'s training loop that a checkpoint keeps.
_LOOP_STATE = ("runner", "rng", "solved_at", "strings", "curves", "seen", "next_point", "elapsed")


def network_from_record(protocol, record, trial):
    """The trained network of one trial of a :func:`run_job` record."""
    return network_from_weights(lambda arch, K: erg_network(protocol, arch, K, 0), record, [trial])


def jobs_for(scale="default", experiments=None, architectures=None, trials=None, budget=None, seed=0,
             eval_every=None):
    """The jobs of an Exp. 1 run, validated before any work starts: ``(jobs, protocols)``, ``protocols``
    the chosen rows of :data:`.ERG_PROTOCOLS` by key.  ``experiments``: row keys (default: the scale's);
    ``architectures``, ``trials``, ``budget`` and ``eval_every`` (training strings between checks,
    default :data:`EVAL_EVERY`) override the scale's plan."""
    check_scale(scale, SCALES)
    keys = choose_names(experiments, SCALES[scale], ERG_PROTOCOLS, "experiment")
    archs = choose_names(architectures, FORGET_ARCHITECTURES, FORGET_ARCHITECTURES, "architecture")
    check_job_options(seed, trials=trials, budget=budget, eval_every=eval_every)
    jobs, protocols = [], {}
    for key in dict.fromkeys(keys):
        p = ERG_PROTOCOLS[key]
        protocols[key] = p
        plan = SCALES[scale].get(key, SCALES["default"][DEFAULT_ROW])
        chosen = archs if architectures is not None else plan["arch"]
        for a in dict.fromkeys(chosen):
            jobs.append(ERGJob(p, a, trials or plan["trials"], budget or plan["budget"], seed,
                               eval_every or EVAL_EVERY))
    for job in jobs:
        job.check()
    return jobs, protocols
