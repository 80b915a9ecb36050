"""Random weight guessing (Schmidhuber, Hochreiter & Bengio 2001; H&S 1997 §5.2 and NIPS 1996): the
baseline a long-lag benchmark must beat before gradient learning is credited with solving it.

The RS protocol: draw every weight of the network uniformly from [-w, w] (w = 100 in the papers), keep
nothing, and repeat until a guess classifies the task; count the guesses.  :func:`random_guessing` runs
``trials`` such searches side by side, each with a budget of ``budget`` guesses, guesses evaluated
``chunk`` at a time as the trials of one :class:`~lstmlib.Network`.  A guess must first get ``screen``
fresh sequences right (cheap), then ``test`` more (the success test); ``task`` is any generator with
``sample(rng, trials, n) -> (x, target, lengths, "end")`` and ``correct(output_at_end, target)``.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_count, check_positive
from ..model.batch import outputs_at_end

__all__ = ["random_guessing"]


def _all_correct(net, task, rng, n, engine) -> np.ndarray:
    x, target, lengths, _ = task.sample(rng, 1, n)
    y = net.forward(x[0], lengths[0], engine=engine)
    y_end = outputs_at_end(y, np.repeat(lengths, net.trials, 0))
    return task.correct(y_end, target).all(axis=1)


def random_guessing(make_net, task, budget, trials=1, seed=0, weight_range=100.0, screen=20, test=1000,
                    chunk=500, engine="numba") -> dict:
    """``trials`` random searches of at most ``budget`` guesses each.  ``make_net(K, seed)`` builds K
    networks (its initial weights are replaced).  Returns ``guesses``: per trial the number of guesses
    up to and including its first success (None: not solved within the budget), and ``budget``."""
    check_count("budget", budget)
    check_count("trials", trials)
    check_count("screen", screen)
    check_count("test", test)
    check_count("chunk", chunk)
    weight_range = check_positive("weight_range", weight_range)
    rng = np.random.default_rng(seed)
    found: list = [None] * trials
    for k in range(trials):
        done = 0
        while done < budget and found[k] is None:
            K = min(chunk, budget - done)
            net = make_net(K, int(rng.integers(2**31)))
            for name, mask in net.layout.masks().items():
                net.params[name][...] = rng.uniform(-weight_range, weight_range, net.params[name].shape) * mask
            ok = _all_correct(net, task, rng, screen, engine)
            for g in np.flatnonzero(ok):
                if _all_correct(net.subset([g]), task, rng, test, engine)[0]:
                    found[k] = done + int(g) + 1
                    break
            done += K
    return {"guesses": found, "budget": budget, "weight_range": weight_range}
