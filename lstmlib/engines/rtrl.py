"""Full real-time recurrent learning (RTRL, Williams & Zipser 1989): the *exact* gradient carried forward in
time, for small networks.

The network's state after step t is h(t) = [s(t), y(t), gates(t)] (gates(t) only where the architecture feeds
them back, ``gate_recurrence``): everything step t+1 reads (:mod:`lstmlib.model.spec`).  One step is a map
h(t) = F(h(t-1), x(t); θ), and the loss at step t is ℓ_t = ℓ(h(t-1), x(t), target(t); θ).  RTRL carries the
sensitivity matrix P(t) = ∂h(t)/∂θ [N state units, W weights] forward:

    P(t)    = J(t) P(t-1) + D(t),        J(t) = ∂F/∂h(t-1) [N, N],   D(t) = ∂F/∂θ [N, W],   P(-1) = 0
    ∂L/∂θ  += w_t (∂ℓ_t/∂h(t-1) · P(t-1) + ∂ℓ_t/∂θ)

so the memory is O(N·W) per sequence whatever its length T, and a step costs O(N²·W) (the product J P),
against BPTT's O(W) per step and O(T·N) stored activations.  Summed over a sequence this is the exact
gradient of :meth:`lstmlib.Network.loss_and_grad` (``gradient="exact"``): ``tests/test_rtrl.py``.

The local derivatives J(t), D(t) and those of ℓ_t are computed by the complex step (Squire & Trapp 1998): the
step is an analytic function of its inputs, so F(h + iεe_j) = F(h) + iε ∂F/∂h_j + O(ε²), and Im F / ε is the
derivative to rounding (no difference of nearby numbers is taken, so nothing cancels; ε = 1e-30).  The N + W
perturbed copies of one step run as one vectorised numpy step.  The step itself is written from the spec's
equations (one line each) and held to the engines by the same test.
"""

from __future__ import annotations

import numpy as np

from ..model.layout import GATE_ROWS
from ..model.spec import SQUASHES, sigmoid

__all__ = ["free_index", "rtrl_loss_and_grad", "state_size"]

EPS = 1e-30  # the complex step
PACKED = ("hidden", "peephole", "output")


def state_size(layout) -> int:
    """N: the state units a step hands to the next: s and y per cell, and the gate units when fed back."""
    return 2 * layout.n_cells + (layout.n_gate_units if "gates" in layout.sources else 0)


def free_index(layout) -> list[tuple]:
    """The free weights (those of the layout's masks) as ``(packed array, index)``, in the order of θ."""
    masks = layout.masks()
    return [(name, idx) for name in PACKED for idx in zip(*np.nonzero(masks[name]))]


def _softmax(a):
    e = np.exp(a - a.real.max(-1, keepdims=True))  # the shift is real: it leaves the derivative alone
    return e / e.sum(-1, keepdims=True)


_OUT = {"linear": lambda a: a, "logistic": sigmoid, "logistic2": lambda a: 4.0 * sigmoid(a) - 2.0, "softmax": _softmax}


def _step(layout, spec, output, loss, W, P, Wout, h, x_t, target_t):
    """One step for M copies at once: ``W [M, R, S]``, ``P [M, 3, C]``, ``Wout [M, O, OS]``, ``h [M, N]``
    (complex); returns h(t) [M, N] and ℓ_t [M] (unweighted)."""
    M, C, n = h.shape[0], layout.n_cells, layout.cells_per_block
    nb = layout.n_blocks
    blk = np.arange(C) // n
    g, hh = SQUASHES[spec.cell_input].fn, SQUASHES[spec.cell_output].fn
    s_prev, y_prev, gates_prev = h[:, :C], h[:, C:2 * C], h[:, 2 * C:]
    parts = [np.ones((M, 1)), np.broadcast_to(x_t, (M, x_t.size)), y_prev]
    u = np.concatenate(parts + ([gates_prev] if "gates" in layout.sources else []), axis=1)  # u(t)
    a = np.einsum("mrs,ms->mr", W, u)
    rows = layout.rows

    def block_sum(v):  # Σ_{c∈b} v_c for every block
        return v.reshape(M, nb, n).sum(-1)

    z = g(a[:, rows["cell"]])
    i = sigmoid(a[:, rows["input_gate"]] + block_sum(P[:, 0] * s_prev)) if spec.input_gate else np.ones((M, nb))
    if spec.forget == "gate":
        f = sigmoid(a[:, rows["forget_gate"]] + block_sum(P[:, 1] * s_prev))
    else:
        f = np.ones((M, nb)) * spec.fixed_forget(i)  # 1, state_decay, 1 - i or 0
    s = f[:, blk] * s_prev + i[:, blk] * z
    o = sigmoid(a[:, rows["output_gate"]] + block_sum(P[:, 2] * s)) if spec.output_gate else np.ones((M, nb))
    y = o[:, blk] * hh(s)
    v = np.concatenate([np.ones((M, 1)), y] + ([np.broadcast_to(x_t, (M, x_t.size))]
                                              if layout.output_from == "cells+inputs" else []), axis=1)
    out = _OUT[output](np.einsum("mos,ms->mo", Wout, v))
    if loss == "mse":
        ell = 0.5 * ((out - target_t) ** 2).sum(-1)
    elif output == "softmax":
        ell = -(target_t * np.log(out)).sum(-1)
    else:  # binary cross-entropy of logistic outputs
        ell = -(target_t * np.log(out) + (1.0 - target_t) * np.log(1.0 - out)).sum(-1)
    present = {"input_gate": i, "forget_gate": f, "output_gate": o}
    gates = [present[name] for name in GATE_ROWS if name in rows] if "gates" in layout.sources else []
    return np.concatenate([s, y] + gates, axis=1), ell


def _perturbed(params, free, N):
    """The packed weights of one trial for the N + W copies of a step: copy j < N is unperturbed (it
    perturbs h_j), copy N + p has iε added to free weight p."""
    M = N + len(free)
    arrays = {name: np.repeat(params[name][None].astype(complex), M, axis=0) for name in PACKED}
    for p, (name, idx) in enumerate(free):
        arrays[name][(N + p,) + idx] += 1j * EPS
    return arrays


def rtrl_loss_and_grad(net, x, target, lengths=None, loss_at="end"):
    """Loss per trial ``[trials]`` and its exact gradient (packed like ``net.params``), by full RTRL; the
    arguments as for :meth:`lstmlib.Network.loss_and_grad` (float64 networks).  Also returns ``stats``: the
    state size N, the weights W and the floats RTRL keeps per sequence (N·W, whatever T)."""
    if net.dtype != np.float64:
        raise ValueError(f"RTRL runs in float64, got a {net.dtype} network")
    b = net.batch(x, target, lengths, loss_at)
    L, spec = net.layout, net.spec
    K, B, _, _ = b.x.shape
    N, free = state_size(L), free_index(L)
    Wn = len(free)
    losses = np.zeros(K)
    grads = {name: np.zeros_like(p) for name, p in net.params.items()}
    for k in range(K):
        arrays = _perturbed({name: p[k] for name, p in net.params.items()}, free, N)
        seed = np.zeros((N + Wn, N), complex)
        seed[np.arange(N), np.arange(N)] = 1j * EPS  # copy j perturbs h_j(t-1)
        g_theta = np.zeros(Wn)
        for seq in range(B):
            h, P = np.zeros(N), np.zeros((N, Wn))
            for t in range(int(b.lengths[k, seq])):
                h_new, ell = _step(L, spec, net.output, net.loss, arrays["hidden"], arrays["peephole"],
                                   arrays["output"], h + seed, b.x[k, seq, t], b.target[k, seq, t])
                d_h, d_ell = h_new.imag / EPS, ell.imag / EPS  # [N + W, N], [N + W]
                w_t = b.weights[k, seq, t]
                if w_t:
                    losses[k] += w_t * ell.real[0] / B
                    g_theta += w_t * (d_ell[:N] @ P + d_ell[N:]) / B
                P = d_h[:N].T @ P + d_h[N:].T  # P(t) = J(t) P(t-1) + D(t)
                h = h_new.real[0]
        for p, (name, idx) in enumerate(free):
            grads[name][(k,) + idx] = g_theta[p]
    return losses, grads, {"state_units": N, "weights": Wn, "floats_kept": N * Wn + N}
