"""The thesis protocol's Kalman-filter runs (Pérez-Ortiz 2002, pp. 101-102): the nets are trained online per
string by the DEKF (:class:`lstmlib.training.DEKFLearner`), every ``check_every`` strings the weights are frozen
and the whole training set is tested, as for gradient descent; a net that accepts it has learned and stops.
Q and R: :meth:`~lstmlib.training.DEKF.thesis_short` for n ∈ [1, 10], :meth:`~lstmlib.training.DEKF.thesis_long`
for n ∈ [20, 21]; P[0] = δ I."""

from __future__ import annotations

import numpy as np

from ...study.jobs import downsample_curve
from ...tasks.languages import training_set_accepted
from ...training import DEKF, DEKFLearner


def thesis_filter(protocol) -> DEKF:
    """The thesis' filter settings for a :class:`~lstmlib.papers.gers2001.thesis.ThesisProtocol`."""
    make = DEKF.thesis_short if protocol.train_range == (1, 10) else DEKF.thesis_long
    return make(protocol.delta)


def train_dekf(net, language, protocol, budget, seed, say=None):
    """Train ``net``'s trials on ``protocol``'s training range for at most ``budget`` strings each.  Returns
    ``(status, learned_at, seen, curves)`` per trial, as :func:`~lstmlib.papers.gers2001.thesis.run_thesis_job`
    reads them: status "solved", "budget" or "diverged"; the strings seen when the training set was first
    accepted; the strings seen; the learning curve (strings, mean squared error per string, share of strings
    accepted during training) per check."""
    K = net.trials
    learner = DEKFLearner(net, thesis_filter(protocol))
    rng = np.random.default_rng(seed)
    status, learned_at, seen = ["budget"] * K, np.zeros(K, np.int64), np.zeros(K, np.int64)
    rows = [[] for _ in range(K)]
    while seen.max() < budget and (learner.active == 1).any():
        n = int(min(protocol.check_every, budget - seen[learner.active == 1].max()))
        x, target, lengths, _ = language.sample(rng, K, n, protocol.train_range)
        running = learner.active == 1
        res = learner.train_strings(x, target, lengths, threshold=language.threshold)
        seen[running] += n
        ok = training_set_accepted(net, language, protocol.train_range)
        for k in np.flatnonzero(running):
            done = np.isfinite(res.squared_error[k])
            rows[k].append((seen[k], float(np.mean(res.squared_error[k, done]) / 2) if done.any() else np.nan,
                            float(res.all_right[k, done].mean()) if done.any() else 0.0))
            if res.diverged[k]:
                status[k] = "diverged"
            elif ok[k]:
                status[k], learned_at[k] = "solved", seen[k]
                learner.active[k] = 0
        if say is not None:
            say(f"{seen.max():,} strings; learned {sum(s == 'solved' for s in status)}/{K}, "
                f"diverged {sum(s == 'diverged' for s in status)}")
    curves = [downsample_curve(*(np.array(c).T if c else (np.zeros(0),) * 3), 120) for c in rows]
    return status, learned_at, seen, curves
