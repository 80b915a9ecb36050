"""Reference engine in torch autograd: the equations of :mod:`lstmlib.model.spec`, for all trials at once.

The math block is the spec's module docstring; this engine computes it and nothing else.  It is slow
and simple on purpose: it exists to be checked against ``torch.nn.LSTM``, finite differences and the
unit-by-unit reference :func:`lstmlib.model.equations.forward`, and then to check the compiled
engine.  As in PyTorch's ``custom_lstms``, :func:`step` is the cell (one named line per equation, for
every trial k and sequence b at once) and :func:`run` the layer: argument checks, tensors, the loop
over time, the output layer, the loss

    loss_k   = (1/B) Σ_b Σ_{t < length} weights[k,b,t] ℓ(out, target)

and its gradient by autograd.

``gradient="truncated"`` (H&S 1997 App. A.1; Gers 2000/2002) treats every quantity from the
previous step that feeds a gate or cell input as a constant (y(t-1), gates(t-1) and the s values
seen by the peepholes), so error flows back in time only through s(t-1) in the CEC update.  That
gradient is the exact gradient of a surrogate loss in which those quantities are frozen at their
values; ``return_trace`` records them and ``frozen=trace`` replays them, so the surrogate can be
finite-differenced.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

from .._checks import check_choice
from ..model.layout import GATE_ROWS, OUTPUT_ACTIVATIONS
from ..model.network import LOSSES
from ..model.spec import GRADIENTS, SQUASHES, sigmoid

PARAMS = ("hidden", "peephole", "output")
TRACE = ("y_prev", "gates_prev", "s_prev", "s")  # the quantities a truncated gradient freezes


def peep(p, s, n):
    """Σ_{c∈b} p[c] s_c for every block b ``[K, B, blocks]``: what a gate sees of its cells' states
    (peephole weights ``p [K, cells]``, states ``s [K, B, cells]``, ``n`` cells per block)."""
    K, B, C = s.shape
    return (p[:, None, :] * s).reshape(K, B, C // n, n).sum(-1)


def per_cell(v, n):
    """A block's value ``[K, B, blocks]`` repeated for each of its ``n`` cells ``[K, B, cells]``; a
    fixed factor (1 for an absent gate, 0) stays a number."""
    return v.repeat_interleave(n, dim=-1) if torch.is_tensor(v) else v


def step(layout, W, P, x_t, y, s, gates, held):
    """One time step of the cell for every trial k and sequence b: the spec's equations, one line each.

    ``W`` are the hidden weights ``[K, rows, sources]`` and ``P`` the peephole weights ``[K, 3, cells]``
    (masked), ``x_t`` is x(t) ``[K, B, inputs]`` and ``y``, ``s`` ``[K, B, cells]`` and ``gates``
    ``[K, B, gate units]`` are the state at t-1.  ``held(name, value)`` gives what this step sees of a
    value the truncated gradient treats as constant (one of :data:`TRACE`; see :func:`run`).
    Returns the state at t: ``s``, ``y`` and ``gates`` (in row order, a source of step t+1).
    """
    spec, rows, n = layout.spec, layout.rows, layout.cells_per_block
    g, h = SQUASHES[spec.cell_input].fn, SQUASHES[spec.cell_output].fn
    y_prev, gates_prev = held("y_prev", y), held("gates_prev", gates)
    u = torch.cat([x_t.new_ones(*x_t.shape[:-1], 1), x_t, y_prev]
                  + ([gates_prev] if "gates" in layout.sources else []), -1)  # u(t)
    net = torch.einsum("krn,kbn->kbr", W, u)  # W · u(t) for every row [K, B, rows]
    s_prev = held("s_prev", s)  # the input and forget gates peep at s(t-1)

    def gate(name, p, s_seen):  # σ(W_gate[b] · u(t) + Σ_{c∈b} p[c] s_c) [K, B, blocks]
        return sigmoid(net[..., rows[name]] + peep(p, s_seen, n))

    i = gate("input_gate", P[:, 0], s_prev) if spec.input_gate else 1.0
    if spec.forget == "gate":
        f = gate("forget_gate", P[:, 1], s_prev)
    else:  # the mode fixes f: 1, state_decay, 1 - i or 0
        f = spec.fixed_forget(i)
    z = g(net[..., rows["cell"]])
    s = per_cell(f, n) * s + per_cell(i, n) * z  # the CEC: s(t-1) stays attached even when truncated
    s_now = held("s", s)  # the output gate peeps at s(t)
    o = gate("output_gate", P[:, 2], s_now) if spec.output_gate else 1.0
    y = per_cell(o, n) * h(s)
    units = [v for name, v in zip(GATE_ROWS, (i, f, o)) if name in rows]
    return s, y, (torch.cat(units, -1) if units else gates)


def run(layout, params, output_activation, x, lengths, target, weights, loss, gradient,
        device="cpu", frozen=None, return_trace=False) -> dict:
    """Forward pass over all K trials at once (batched over the leading axis), loss and gradient.

    Inputs ``x [K, B, T, inputs]``, ``lengths [K, B]``, ``target [K, B, T, outputs]`` and loss
    ``weights [K, B, T]``.  Returns numpy ``outputs [K, B, T, outputs]``, ``loss [K]``, ``grads``
    (None for ``gradient=None``; else masked arrays shaped like ``params``), ``cells`` y and
    ``states`` s ``[K, B, T, cells]`` and ``gates [K, B, T, gate units]`` (in row order); steps
    t >= length are returned as 0.  ``trace`` (with ``return_trace``) holds, per step t, the
    values a truncated gradient treats as constant: ``y_prev`` y(t-1), ``gates_prev`` gates(t-1),
    ``s_prev`` s(t-1) (input/forget peepholes), ``s`` s(t) (output peephole), each [K, B, T, ...].
    ``frozen=trace`` replays those values in any mode: the surrogate whose gradient is the
    truncated one.
    """
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    check_choice("loss", loss, LOSSES)
    if gradient is not None:
        check_choice("gradient", gradient, GRADIENTS)
    if loss == "ce" and output_activation not in ("logistic", "softmax"):
        raise ValueError("loss 'ce' needs a 'logistic' or 'softmax' output activation")
    dtype = torch.as_tensor(np.asarray(params["hidden"])).dtype  # compute in the params' dtype
    dev = torch.device(device)
    as_t = lambda a: torch.tensor(np.asarray(a), dtype=dtype, device=dev)  # a copy: masks are read-only  # noqa: E731

    masks = layout.masks()
    leaves = {n: as_t(params[n]).requires_grad_(gradient is not None) for n in PARAMS}
    mask_t = {n: as_t(masks[n]) for n in PARAMS}
    if frozen is not None:
        frozen = {k: as_t(v) for k, v in frozen.items()}
    valid, out, a, per_step, trial_loss, ys, ss, gs, trace = forward_loss(
        layout, leaves, mask_t, output_activation, as_t(x), torch.as_tensor(np.asarray(lengths), device=dev),
        as_t(target), as_t(weights), loss, gradient, frozen)
    grads = None
    if gradient is not None:
        dW = torch.autograd.grad(trial_loss.sum(), [leaves[n] for n in PARAMS],  # trials independent
                                 allow_unused=True, materialize_grads=True)  # rnn: no peepholes
        grads = {n: (gv * mask_t[n]).cpu().numpy() for n, gv in zip(PARAMS, dW)}
    pad = lambda v: torch.where(valid[..., None], v, 0.0).detach().cpu().numpy()  # noqa: E731
    result = {"outputs": pad(out), "loss": trial_loss.detach().cpu().numpy(), "grads": grads,
              "cells": pad(torch.stack(ys, 2)), "states": pad(torch.stack(ss, 2)),
              "gates": pad(torch.stack(gs, 2))}
    if return_trace:
        result["trace"] = {n: torch.stack(v, 2).cpu().numpy() for n, v in trace.items()}
    return result


def forward_loss(layout, leaves, mask_t, output_activation, x, lengths, target, weights, loss, gradient,
                 frozen=None):
    """The computation of :func:`run` on tensors (on any device): the masked weights ``leaves`` (by
    :data:`PARAMS`), inputs, lengths, targets and loss weights as tensors.  Returns ``(valid [K, B, T],
    outputs, output net inputs, per-step loss [K, B, T], trial loss [K], cells, states, gates (lists
    over t), trace)``; the trial loss is differentiable with respect to ``leaves``."""
    W = {n: leaves[n] * mask_t[n] for n in PARAMS}  # masked entries: fixed zeros (and zero gradient)
    K, B, T, _ = x.shape
    valid = torch.arange(T, device=x.device) < lengths[..., None]
    cut = (lambda v: v.detach()) if gradient == "truncated" else (lambda v: v)  # noqa: E731
    trace = {n: [] for n in TRACE}

    def held(name, value, t):
        """A value the truncated gradient treats as constant: record it, or replay the trace."""
        value = frozen[name][:, :, t] if frozen is not None else cut(value)
        trace[name].append(value.detach())
        return value

    y = s = x.new_zeros(K, B, layout.n_cells)
    gates = x.new_zeros(K, B, layout.n_gate_units)
    ys, ss, gs, outs = [], [], [], []
    for t in range(T):
        s, y, gates = step(layout, W["hidden"], W["peephole"], x[:, :, t], y, s, gates, partial(held, t=t))
        out_src = [x.new_ones(K, B, 1), y]  # [1, y(t), x(t)?]
        if layout.output_from == "cells+inputs":
            out_src.append(x[:, :, t])
        outs.append(torch.einsum("kon,kbn->kbo", W["output"], torch.cat(out_src, -1)))
        ys.append(y)
        ss.append(s)
        gs.append(gates)

    a = torch.stack(outs, 2)  # output net inputs [K,B,T,O]
    if output_activation == "linear":
        out = a
    elif output_activation == "logistic":
        out = torch.sigmoid(a)
    elif output_activation == "logistic2":
        out = 4.0 * torch.sigmoid(a) - 2.0
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
    per_step = torch.where(valid, weights * per_step, 0.0)
    trial_loss = per_step.sum((1, 2)) / B
    return valid, out, a, per_step, trial_loss, ys, ss, gs, trace
