"""Gers & Schmidhuber (2001): the jobs of the languages chapter.

:func:`network_for` turns a :class:`~.protocols.LanguageProtocol` and an architecture preset into K
networks; a :class:`LanguageJob` trains K trials of one (protocol, architecture) pair for its whole
budget and returns a plain-dict record (:func:`run_job`, run by :func:`lstmlib.study.jobs.run_jobs`);
:func:`network_from_record` and :func:`networks_from_record` rebuild the trained networks from a
record; :func:`jobs_for` turns the chapter's parameters into jobs, the Greff et al. variants and the
learning-rule comparison included when asked for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..._checks import check_flag
from ...model import ARCHITECTURES, build
from ...study.jobs import (MAIN_ARCHITECTURES, ChapterJob, check_arch, check_job_options, check_scale, choose_names,
                           derive_seed, downsample_curve, matched_rnn, network_from_weights)
from ...tasks.languages import generalisation, training_set_accepted
from ...training import train
from .protocols import GREFF_VARIANTS, PROTOCOLS, SCALES, SCAN_TO, LanguageProtocol, learning_rule_variants

#: The chapter's parts, which a job names in its ``part``: the main comparison (every language and
#: architecture asked for), the Greff et al. variants on aⁿbⁿ and the learning rules on aⁿbⁿ.
PARTS = ("main", "greff", "rules")


def network_for(protocol: LanguageProtocol, arch: str, trials: int, seed: int):
    """``trials`` networks of ``arch`` for ``protocol``: LSTMs get the protocol's blocks and cells (and
    its forget-gate bias where they have a forget gate); the plain RNN gets the smallest number of
    fully recurrent tanh units whose weights reach the 1997 LSTM's count."""
    check_arch(arch)
    lang = protocol.language
    common = dict(output="logistic", output_from=protocol.output_from, loss=protocol.loss,
                  init_range=protocol.init_range)
    if arch == "rnn":
        return matched_rnn(lang.n_inputs, lang.n_outputs, network_for(protocol, "vanilla", 1, 0).n_weights,
                           trials=trials, seed=seed, **common)
    extra = {"forget_gate_bias": protocol.forget_gate_bias} if ARCHITECTURES[arch].forget_gate else {}
    return build(arch, lang.n_inputs, lang.n_outputs, protocol.n_blocks, protocol.cells_per_block,
                 trials=trials, seed=seed, **extra, **common)


@dataclass(frozen=True)
class LanguageJob(ChapterJob):
    """``trials`` trials of ``arch`` on a :class:`~.protocols.LanguageProtocol`, ``budget`` training
    strings each; runs in :func:`lstmlib.study.jobs.run_jobs`.  ``part``: the part of the chapter the
    job belongs to (one of :data:`PARTS`); it changes nothing in the run."""

    part: str = "main"

    def seeds(self) -> dict:
        key, arch = self.protocol.key, self.arch
        return {"init": derive_seed(self.seed, key, arch, "init"), "train": derive_seed(self.seed, key, arch, "train")}

    def cost(self) -> float:
        lo, hi = self.protocol.train_range
        return self.trials * self.budget * self.protocol.language.length((lo + hi) / 2)

    def check(self):
        super().check()
        if self.part not in PARTS:
            raise ValueError(f"{self.name}: unknown part {self.part!r}; valid: {list(PARTS)}")

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


def jobs_for(scale="default", languages=None, architectures=None, trials=None, budget=None, seed=0, n_max=None,
             train_max=None, optimizer=None, lr=None, *, greff_variants=False, learning_rules=False):
    """The jobs of a languages run, validated before any work starts: ``(jobs, protocols)``, with
    ``protocols`` the languages asked for (key -> protocol).

    ``languages``: None for both, or a list / comma-separated string of ``anbn``, ``anbncn``.
    ``architectures``: None for the four main ones.  ``trials``/``budget``: override the scale's.
    ``n_max``: the scan's upper end (scale default).  ``train_max``: train on n ∈ [1, train_max]
    (default 10).  ``optimizer`` ("adam", "momentum", "sgd") and ``lr`` override the protocol's.

    The main jobs (part ``"main"``: every language, then every architecture) come first.  When aⁿbⁿ is
    run, ``greff_variants`` adds the Greff et al. variants on it (part ``"greff"``) and
    ``learning_rules`` the peephole LSTM under :func:`~.protocols.learning_rule_variants` (part
    ``"rules"``), each with the trials and budget of the main aⁿbⁿ jobs."""
    check_scale(scale, SCALES)
    keys = choose_names(languages, SCALES[scale], PROTOCOLS, "language")
    archs = choose_names(architectures, MAIN_ARCHITECTURES, ARCHITECTURES, "architecture",
                         f"presets {sorted(ARCHITECTURES)}")
    check_job_options(seed, trials=trials, budget=budget, n_max=n_max, train_max=train_max)
    check_flag("greff_variants", greff_variants)
    check_flag("learning_rules", learning_rules)
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
    if "anbn" in protocols:
        anbn = next(j for j in jobs if j.protocol.key == "anbn")
        if greff_variants:
            jobs += [LanguageJob(protocols["anbn"], a, anbn.trials, anbn.budget, seed, part="greff")
                     for a in GREFF_VARIANTS]
        if learning_rules:
            jobs += [LanguageJob(q, "peephole", anbn.trials, anbn.budget, seed, part="rules")
                     for q in learning_rule_variants(protocols["anbn"]).values()]
    return jobs, protocols
