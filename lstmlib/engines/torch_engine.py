"""Reference engine in torch autograd, written straight from the equations of :mod:`lstmlib.spec`.

It is slow and simple on purpose: it exists to be checked against ``torch.nn.LSTM`` and finite
differences, and then to check the compiled engine.  Per trial k, block b, cell c ∈ b, step t:

    u(t)     = [1, x(t), y(t-1), gates(t-1)]        (y, gates, s are 0 at t = -1)
    z_c      = g(W_z[c] · u)
    i_b      = σ(W_i[b] · u + Σ_{c∈b} p_i[c] s_c(t-1))       (1 without an input gate)
    f_b      = σ(W_f[b] · u + Σ_{c∈b} p_f[c] s_c(t-1))       ("none": 1, "coupled": 1-i, "zero": 0)
    s_c(t)   = f_b s_c(t-1) + i_b z_c
    o_b      = σ(W_o[b] · u + Σ_{c∈b} p_o[c] s_c(t))         (1 without an output gate)
    y_c(t)   = o_b h(s_c(t))
    out(t)   = f_out(W_out · [1, y(t), x(t)?])

    loss_k   = (1/B) Σ_b Σ_{t < length} weights[k,b,t] ℓ(out, target)

``gradient="truncated"`` (H&S 1997 App. A.1; Gers 2000/2002) treats every quantity from the
previous step that feeds a gate or cell input as a constant (y(t-1), gates(t-1) and the s values
seen by the peepholes), so error flows back in time only through s(t-1) in the CEC update.  That
gradient is the exact gradient of a surrogate loss in which those quantities are frozen at their
values; ``return_trace`` records them and ``frozen=trace`` replays them, so the surrogate can be
finite-differenced.
"""

from __future__ import annotations

import numpy as np
import torch

SQUASH = {
    "tanh": torch.tanh,
    "logistic": torch.sigmoid,
    "logistic2": lambda a: 4.0 * torch.sigmoid(a) - 2.0,
    "logistic1": lambda a: 2.0 * torch.sigmoid(a) - 1.0,
    "identity": lambda a: a,
}
PARAMS = ("hidden", "peephole", "output")
TRACE = ("y_prev", "gates_prev", "s_prev", "s")  # the quantities a truncated gradient freezes


def _check(what, value, valid):
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {list(valid)}")


def run(layout, params, output_activation, x, lengths, target, weights, loss, gradient,
        device="cpu", frozen=None, return_trace=False) -> dict:
    """Forward pass over all K trials at once (batched over the leading axis), loss and gradient.

    Returns numpy ``outputs`` [K,B,T,O], ``loss`` [K], ``grads`` (None for ``gradient=None``;
    else masked arrays shaped like ``params``), ``cells`` y and ``states`` s [K,B,T,C]; steps
    t >= length are returned as 0.  ``trace`` (with ``return_trace``) holds, per step t, the
    values a truncated gradient treats as constant: ``y_prev`` y(t-1), ``gates_prev`` gates(t-1),
    ``s_prev`` s(t-1) (input/forget peepholes), ``s`` s(t) (output peephole), each [K,B,T,...].
    ``frozen=trace`` replays those values in any mode: the surrogate whose gradient is the
    truncated one.
    """
    _check("output_activation", output_activation, ("linear", "logistic", "softmax"))
    _check("loss", loss, ("mse", "ce"))
    _check("gradient", gradient, ("exact", "truncated", None))
    if loss == "ce" and output_activation == "linear":
        raise ValueError("loss 'ce' needs a 'logistic' or 'softmax' output activation")
    spec, rows = layout.spec, layout.rows
    g_fn, h_fn = SQUASH[spec.cell_input], SQUASH[spec.cell_output]
    dtype = torch.as_tensor(np.asarray(params["hidden"])).dtype  # compute in the params' dtype
    dev = torch.device(device)
    as_t = lambda a: torch.tensor(np.asarray(a), dtype=dtype, device=dev)  # a copy: masks are read-only  # noqa: E731

    masks = layout.masks()
    leaves = {n: as_t(params[n]).requires_grad_(gradient is not None) for n in PARAMS}
    # Masked entries are fixed zeros whatever the caller stored there (and get zero gradient).
    W = {n: leaves[n] * as_t(masks[n]) for n in PARAMS}
    x, target, weights = as_t(x), as_t(target), as_t(weights)
    K, B, T, _ = x.shape
    C, nb, cpb = layout.n_cells, layout.n_blocks, layout.cells_per_block
    valid = torch.arange(T, device=dev) < torch.as_tensor(np.asarray(lengths), device=dev)[..., None]
    gate_rec = "gates" in layout.sources
    truncated = gradient == "truncated"
    cut = (lambda v: v.detach()) if truncated else (lambda v: v)  # noqa: E731
    if frozen is not None:
        frozen = {k: as_t(v) for k, v in frozen.items()}

    def per_block(p, s):  # Σ_{c∈b} p[c] s_c  -> [K,B,n_blocks]
        return (p[:, None, :] * s).reshape(K, B, nb, cpb).sum(-1)

    def to_cells(v):  # block value -> each of its cells
        return v.repeat_interleave(cpb, dim=-1)

    def held(name, t, value):
        """A value the truncated gradient treats as constant: record it, or replay the trace."""
        value = frozen[name][:, :, t] if frozen is not None else cut(value)
        trace[name].append(value.detach())
        return value

    zeros = x.new_zeros(K, B, C)
    y, s = zeros, zeros
    gates = x.new_zeros(K, B, layout.n_gate_units)
    trace = {n: [] for n in TRACE}
    ys, ss, outs = [], [], []
    for t in range(T):
        src = [x.new_ones(K, B, 1), x[:, :, t], held("y_prev", t, y)]
        g_prev = held("gates_prev", t, gates)
        if gate_rec:
            src.append(g_prev)
        net = torch.einsum("krn,kbn->kbr", W["hidden"], torch.cat(src, -1))  # [K,B,R]
        s_peep = held("s_prev", t, s)  # the peepholes of the input/forget gates see s(t-1)
        act = []  # gate activations in row order, the next step's "gates" source
        i = f = 1.0
        if "input_gate" in rows:
            i = torch.sigmoid(net[..., rows["input_gate"]] + per_block(W["peephole"][:, 0], s_peep))
            act.append(i)
        if spec.forget == "gate":
            f = torch.sigmoid(net[..., rows["forget_gate"]] + per_block(W["peephole"][:, 1], s_peep))
            act.append(f)
        elif spec.forget == "coupled":
            f = 1.0 - i
        elif spec.forget == "zero":
            f = 0.0
        f_c = to_cells(f) if torch.is_tensor(f) else f
        i_c = to_cells(i) if torch.is_tensor(i) else i
        # The CEC: s(t-1) stays attached here even in truncated mode.
        s = f_c * s + i_c * g_fn(net[..., rows["cell"]])
        s_now = held("s", t, s)  # the output gate's peephole sees the current s(t)
        o = 1.0
        if "output_gate" in rows:
            o = torch.sigmoid(net[..., rows["output_gate"]] + per_block(W["peephole"][:, 2], s_now))
            act.append(o)
        y = (to_cells(o) if torch.is_tensor(o) else o) * h_fn(s)
        gates = torch.cat(act, -1) if act else gates
        out_src = [x.new_ones(K, B, 1), y]
        if layout.output_from == "cells+inputs":
            out_src.append(x[:, :, t])
        outs.append(torch.einsum("kon,kbn->kbo", W["output"], torch.cat(out_src, -1)))
        ys.append(y)
        ss.append(s)

    a = torch.stack(outs, 2)  # output net inputs [K,B,T,O]
    if output_activation == "linear":
        out = a
    elif output_activation == "logistic":
        out = torch.sigmoid(a)
    else:
        out = torch.softmax(a, -1)
    if loss == "mse":
        per_step = 0.5 * ((out - target) ** 2).sum(-1)
    elif output_activation == "softmax":  # log y via log_softmax: stable, same value
        per_step = -(target * torch.log_softmax(a, -1)).sum(-1)
    else:  # binary CE with log σ(a) and log(1 - σ(a)) = log σ(-a)
        per_step = -(target * torch.nn.functional.logsigmoid(a)
                     + (1 - target) * torch.nn.functional.logsigmoid(-a)).sum(-1)
    # where(), not a product: padding steps carry no loss even if weights were nonzero there.
    trial_loss = torch.where(valid, weights * per_step, 0.0).sum((1, 2)) / B

    grads = None
    if gradient is not None:
        gs = torch.autograd.grad(trial_loss.sum(), [leaves[n] for n in PARAMS],  # trials independent
                                 allow_unused=True, materialize_grads=True)  # rnn: no peepholes
        grads = {n: (gv * as_t(masks[n])).cpu().numpy() for n, gv in zip(PARAMS, gs)}
    pad = lambda v: torch.where(valid[..., None], v, 0.0).detach().cpu().numpy()  # noqa: E731
    result = {"outputs": pad(out), "loss": trial_loss.detach().cpu().numpy(), "grads": grads,
              "cells": pad(torch.stack(ys, 2)), "states": pad(torch.stack(ss, 2))}
    if return_trace:
        result["trace"] = {n: torch.stack(v, 2).cpu().numpy() for n, v in trace.items()}
    return result
