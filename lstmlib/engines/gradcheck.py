"""The numerical gradient check: every analytic gradient of a network against central differences.

For each free weight θ_p the numerical derivative is (L(θ + h e_p) - L(θ - h e_p)) / 2h in float64
(h = 1e-5: the truncation error O(h²) and the rounding error O(ε/h) are both near 1e-10 for these losses).
All 2W perturbed copies of a trial run as one call, as 2W trials of one network.  The criterion, in the
style of RNNLIB's gradient check (which reports the significant figures on which the two agree; its own ε
and threshold are not verified [U]): every weight must agree to 6 significant figures,

    |analytic - numeric| <= 1e-6 · max(|numeric|, 1e-3 · max_p |analytic_p|)

(the floor keeps weights whose derivative is near 0 from demanding agreement below rounding); the figures
reported per weight are -log10 of the left side over the right side's scale.

``gradient="exact"`` differences the loss itself.  ``gradient="truncated"`` (H&S 1997's truncated
gradient) is not the gradient of the loss: it is the exact gradient of a *frozen surrogate*, the loss with
every quantity the truncation cuts (y(t-1), gates(t-1) and the peephole inputs) replaced by its value in the
unperturbed run, so that is what is differenced (the torch engine's ``frozen`` replay, as in
``tests/test_gradients.py``).
"""

from __future__ import annotations

import numpy as np

from ..model.network import Network
from .rtrl import free_index

__all__ = ["CRITERION", "check_gradient", "numerical_gradient"]

#: The agreement a weight needs: this many significant figures.
CRITERION = 6
FLOOR = 1e-3  # of the largest analytic entry


def _tiled(net, k, M):
    return {name: np.repeat(p[k:k + 1], M, axis=0) for name, p in net.params.items()}


def numerical_gradient(net, x, target, lengths=None, loss_at="end", gradient="exact", h=1e-5) -> dict:
    """Central differences of the loss (``"exact"``) or of the frozen surrogate (``"truncated"``) for every
    free weight of every trial, packed like ``net.params`` (float64 networks)."""
    if net.dtype != np.float64:
        raise ValueError(f"the gradient check runs in float64, got a {net.dtype} network")
    if not (isinstance(h, float) and 0 < h < 1):
        raise ValueError(f"h must be a float in (0, 1), got {h!r}")
    gradient = net.gradient_mode(gradient)
    b = net.batch(x, target, lengths, loss_at)
    free = free_index(net.layout)
    M = 2 * len(free)
    numeric = {name: np.zeros_like(p) for name, p in net.params.items()}
    for k in range(net.trials):
        params = _tiled(net, k, M)
        for p, (name, idx) in enumerate(free):
            params[name][(2 * p,) + idx] += h
            params[name][(2 * p + 1,) + idx] -= h
        rep = [np.repeat(a[k:k + 1], M, axis=0) for a in (b.x, b.target, b.lengths, b.weights)]
        if gradient == "exact":
            losses = Network(net.layout, params, net.output, net.loss).loss_and_grad(
                rep[0], rep[1], rep[2], rep[3], gradient="exact")[0]
        else:
            from . import torch_engine
            one = _tiled(net, k, 1)
            frozen = torch_engine.run(net.layout, one, net.output, *[a[k:k + 1] for a in (b.x, b.lengths, b.target,
                                      b.weights)], net.loss, "truncated", return_trace=True)["trace"]
            frozen = {n: np.repeat(v, M, axis=0) for n, v in frozen.items()}
            losses = torch_engine.run(net.layout, params, net.output, rep[0], rep[2], rep[1], rep[3], net.loss, None,
                                      frozen=frozen)["loss"]
        losses = np.asarray(losses, dtype=float)
        for p, (name, idx) in enumerate(free):
            numeric[name][(k,) + idx] = (losses[2 * p] - losses[2 * p + 1]) / (2 * h)
    return numeric


def check_gradient(net, x, target, lengths=None, loss_at="end", gradient="exact", h=1e-5) -> dict:
    """The analytic gradient of ``net.loss_and_grad`` (compiled engine) against :func:`numerical_gradient`,
    every free weight of every trial.  Returns ``weights`` (checked), ``figures`` (the significant figures of
    agreement per weight, capped at 16), ``min_figures``, ``max_error`` (the worst |a - n| / scale) and
    ``passed`` (every weight agrees to :data:`CRITERION` figures)."""
    gradient = net.gradient_mode(gradient)
    analytic = net.loss_and_grad(x, target, lengths, loss_at, gradient=gradient)[1]
    numeric = numerical_gradient(net, x, target, lengths, loss_at, gradient, h)
    free = free_index(net.layout)
    a = np.array([[analytic[name][(k,) + idx] for name, idx in free] for k in range(net.trials)])
    n = np.array([[numeric[name][(k,) + idx] for name, idx in free] for k in range(net.trials)])
    scale = np.maximum(np.abs(n), FLOOR * np.abs(a).max(axis=1, keepdims=True))
    error = np.abs(a - n) / np.where(scale > 0, scale, 1.0)
    figures = np.minimum(-np.log10(np.maximum(error, 1e-16)), 16.0)
    return {"gradient": gradient, "weights": int(a.size), "figures": figures.ravel(),
            "min_figures": float(figures.min()), "max_error": float(error.max()),
            "passed": bool(np.all(error <= 10.0 ** -CRITERION))}
