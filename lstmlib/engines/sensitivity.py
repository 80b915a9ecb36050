"""How strongly a network's output depends on its inputs of long ago: input Jacobians over a sequence.

For a network run on ``x(0) … x(T-1)`` (the equations of :mod:`lstmlib.model.spec`, computed by the
torch engine's :func:`~lstmlib.engines.torch_engine.step`), :func:`input_jacobian` returns

    J[k, b, t, i] = ∂ŷ_o(τ) / ∂x_i(t)        for every step t ≤ τ (0 for t > τ)

by reverse-mode autograd through the whole sequence: the **exact** derivative, every path through time
included.  (The 1997 truncated gradient, which lets error flow back only through the cell state, is a
training device; it is not the sensitivity of the function the network computes.)

* :func:`lag_sensitivity`: ‖∂ŷ(T-1)/∂x(T-1-lag)‖₂ against the lag, one backward pass per output unit;
* :func:`memory_sensitivity`: ‖∂ŷ(T-1)/∂x(source)‖₂ and ‖∂s(T-1)/∂x(source)‖₂, the same for the cell
  states (the plain RNN's units), which hold what the output may not show while an output gate is shut
  or a squash saturated;
* :func:`sensitivity_map`: ‖∂ŷ(t)/∂x(source)‖₂ for every t, the quantity Graves (2012, Figs. 4.1 and
  4.4) shades, one backward pass per step;
* :func:`hochreiter_bound` and :func:`error_scaling`: Hochreiter's bound (H&S 1997 §3.1) on the error
  flow of a fully connected net of n logistic units with |w_ij| ≤ w_max,

      |∂ϑ_v(t-q) / ∂ϑ_u(t)| ≤ n · τ^q,    τ = n · w_max / 4,

  and the measured max over u, v of that ratio (ϑ_u(t) = ∂E/∂net_u(t), so the ratio is
  ∂net_u(t)/∂net_v(t-q)) in the net that :func:`bound_network` builds.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_count, check_positive, is_int
from ..model import build
from ..model.layout import OUTPUT_ACTIVATIONS

__all__ = ["bound_network", "error_scaling", "hochreiter_bound", "input_jacobian", "lag_sensitivity",
           "memory_sensitivity", "sensitivity_map"]


def _inputs(net, x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 3:
        x = np.broadcast_to(x, (net.trials,) + x.shape)
    if x.ndim != 4 or x.shape[0] != net.trials or x.shape[-1] != net.layout.n_inputs:
        raise ValueError(f"x must have shape [trials={net.trials}, batch, time, inputs={net.layout.n_inputs}] "
                         f"or [batch, time, inputs], got {x.shape}")
    if x.shape[1] < 1 or x.shape[2] < 1:
        raise ValueError(f"x needs at least one sequence and one step, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite")
    return x


def _check_output_unit(net, output_unit) -> int:
    if not is_int(output_unit) or not 0 <= output_unit < net.layout.n_outputs:
        raise ValueError(f"output_unit must be an integer in [0, {net.layout.n_outputs}), got {output_unit!r}")
    return int(output_unit)


def _run(net, x):
    """The forward pass in torch (float64, exact: nothing held constant), with ``x`` a leaf that needs
    its gradient: returns ``(x tensor [K, B, T, I], outputs [K, B, T, O], cell outputs y [K, B, T, C],
    memory [K, B, T, C])``; the memory is the cell state s of an LSTM, the units' activations y of the
    plain RNN (its only state)."""
    import torch

    from .torch_engine import PARAMS, step
    layout = net.layout
    masks = layout.masks()
    W = {n: torch.tensor(np.asarray(net.params[n], float) * masks[n]) for n in PARAMS}
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    K, B, T, _ = xt.shape
    y = s = xt.new_zeros(K, B, layout.n_cells)
    gates = xt.new_zeros(K, B, layout.n_gate_units)
    outs, ys, ss = [], [], []
    for t in range(T):
        s, y, gates = step(layout, W["hidden"], W["peephole"], xt[:, :, t], y, s, gates, lambda name, v: v)
        src = [xt.new_ones(K, B, 1), y] + ([xt[:, :, t]] if layout.output_from == "cells+inputs" else [])
        outs.append(torch.einsum("kon,kbn->kbo", W["output"], torch.cat(src, -1)))
        ys.append(y)
        ss.append(s if layout.spec.has_memory else y)
    a = torch.stack(outs, 2)
    assert net.output in OUTPUT_ACTIVATIONS
    out = {"linear": lambda: a, "logistic": lambda: torch.sigmoid(a), "logistic2": lambda: 4.0 * torch.sigmoid(a) - 2.0,
           "softmax": lambda: torch.softmax(a, -1)}[net.output]()
    return xt, out, torch.stack(ys, 2), torch.stack(ss, 2)


def input_jacobian(net, x, output_unit=0, at=-1) -> np.ndarray:
    """``J [trials, batch, time, inputs]`` = ∂ŷ_o(at)/∂x(t), exact (module docstring): ``x`` is
    ``[trials, batch, time, inputs]`` or ``[batch, time, inputs]`` (the same for every trial), ``o`` is
    ``output_unit`` and ``at`` the step of the output (negative: from the end)."""
    import torch
    x = _inputs(net, x)
    o = _check_output_unit(net, output_unit)
    T = x.shape[2]
    if not is_int(at) or not -T <= at < T:
        raise ValueError(f"at must be an integer step in [-{T}, {T}), got {at!r}")
    xt, out, *_ = _run(net, x)
    (grad,) = torch.autograd.grad(out[:, :, at, o].sum(), xt)  # trials and sequences are independent
    return grad.numpy()


def lag_sensitivity(net, x) -> np.ndarray:
    """``[trials, batch, time]``: at index ``lag``, the norm over inputs and output units
    ‖∂ŷ(T-1)/∂x(T-1-lag)‖₂ (the Frobenius norm of that Jacobian block), for lag = 0 … T-1."""
    import torch
    x = _inputs(net, x)
    xt, out, *_ = _run(net, x)
    O = net.layout.n_outputs
    total = np.zeros(x.shape[:3])
    for o in range(O):
        (grad,) = torch.autograd.grad(out[:, :, -1, o].sum(), xt, retain_graph=o < O - 1)
        total += (grad.numpy() ** 2).sum(-1)
    return np.sqrt(total)[:, :, ::-1].copy()  # time reversed: index = lag


def sensitivity_map(net, x, source=0) -> np.ndarray:
    """``[trials, batch, time]``: ‖∂ŷ(t)/∂x(source)‖₂ (over inputs and output units) for every step t
    (0 before ``source``): how much of the input at ``source`` the output still "sees" at t, the shading
    of Graves (2012) Figs. 4.1 and 4.4."""
    import torch
    x = _inputs(net, x)
    T = x.shape[2]
    if not is_int(source) or not 0 <= source < T:
        raise ValueError(f"source must be an integer step in [0, {T}), got {source!r}")
    xt, out, *_ = _run(net, x)
    sens = np.zeros(x.shape[:3])
    last = (T - 1, net.layout.n_outputs - 1)
    for t in range(source, T):
        for o in range(net.layout.n_outputs):
            (grad,) = torch.autograd.grad(out[:, :, t, o].sum(), xt, retain_graph=(t, o) != last)
            sens[:, :, t] += (grad[:, :, source].numpy() ** 2).sum(-1)
    return np.sqrt(sens)


def memory_sensitivity(net, x, source=1) -> tuple[np.ndarray, np.ndarray]:
    """``(output, memory)``, each ``[trials, batch]``, from one forward pass: ‖∂ŷ(T-1)/∂x(source)‖₂ over
    the output units and inputs, and ‖∂m(T-1)/∂x(source)‖₂ over the memory units and inputs, where m is
    the cell state s of an LSTM (what the constant error carousel carries) and the unit activations of
    the plain RNN: how much of the input at ``source`` the network's state still holds at the last step,
    whatever the output reads of it."""
    import torch
    x = _inputs(net, x)
    T = x.shape[2]
    if not is_int(source) or not 0 <= source < T:
        raise ValueError(f"source must be an integer step in [0, {T}), got {source!r}")
    xt, out, _, mem = _run(net, x)
    heads = [out[:, :, -1, o] for o in range(out.shape[-1])] + [mem[:, :, -1, c] for c in range(mem.shape[-1])]
    totals = [np.zeros(x.shape[:2]), np.zeros(x.shape[:2])]
    for i, head in enumerate(heads):
        (grad,) = torch.autograd.grad(head.sum(), xt, retain_graph=i < len(heads) - 1)
        totals[i >= out.shape[-1]] += (grad[:, :, source].numpy() ** 2).sum(-1)
    return np.sqrt(totals[0]), np.sqrt(totals[1])


# ---------------------------------------------------------------- Hochreiter's bound (H&S 1997 §3.1)

def hochreiter_bound(n, w_max, q) -> np.ndarray:
    """n · τ^q with τ = n · w_max / 4: the bound on |∂ϑ_v(t-q)/∂ϑ_u(t)| for n logistic units (f' ≤ 1/4)
    whose weights satisfy |w_ij| ≤ w_max; ``q`` a lag or an array of lags ≥ 0.  It lies below 1 for
    large q exactly when w_max < 4/n (the error vanishes); above, it grows without bound."""
    n = check_count("n", n)
    w_max = check_positive("w_max", w_max)
    q = np.asarray(q)
    if not np.issubdtype(q.dtype, np.integer) or np.any(q < 0):
        raise ValueError(f"q must be integer lags >= 0, got {q!r}")
    return n * (n * w_max / 4.0) ** q.astype(float)


def bound_network(n, w_max, trials=1, seed=0):
    """``trials`` fully connected nets of ``n`` logistic units y(t) = σ(W y(t-1) + x(t) + b) that
    satisfy the bound's assumptions: recurrent weights uniform in [-w_max, w_max]; each unit reads its
    own input unit with weight 1 (so ∂net_u/∂x_u = 1 and the input stands for a perturbation of the net
    input); the bias b = -W · ½ makes y = ½ (net = 0, f' = ¼, the largest slope) a fixed point for
    x = 0; a linear output layer reads y unchanged."""
    n = check_count("n", n)
    w_max = check_positive("w_max", w_max)
    net = build("rnn", n, n, n, 1, trials=trials, seed=seed, cell_input="logistic", init_range=w_max)
    W = net["cell.cells"]  # [K, n, n] recurrent weights, uniform in [-w_max, w_max]
    net["cell.x"] = np.broadcast_to(np.eye(n), W.shape)
    net["cell.bias"] = -0.5 * W.sum(-1, keepdims=True)
    net["output.cells"] = np.broadcast_to(np.eye(n), W.shape)
    net["output.bias"] = 0.0
    return net


def error_scaling(net, T) -> np.ndarray:
    """``[trials, T]``: at index q, max over units u, v of |∂net_u(T-1)/∂net_v(T-1-q)| = |∂ϑ_v/∂ϑ_u|,
    measured exactly in a :func:`bound_network` run for T steps that starts at its fixed point y = ½
    (x(0) = -b, then x = 0; in float64 σ(net) is exactly ½ there, so the run stays at the point where
    every f' = ¼, the largest slope the bound allows).  The net input's
    perturbation is the input x_v (weight 1); ∂y_u/∂x_v is divided by f'(net_u) = y_u (1 - y_u)."""
    import torch
    T = check_count("T", T)
    n = net.layout.n_inputs
    if net.spec.cell_input != "logistic" or net.spec.has_memory or net.layout.n_cells != n:
        raise ValueError("error_scaling needs a bound_network (n logistic units, n inputs)")
    x = np.zeros((net.trials, 1, T, n))
    x[:, 0, 0] = -net["cell.bias"][:, :, 0]  # net(0) = 0: the run starts at the fixed point y = ½ and stays there
    xt, _, ys, _ = _run(net, x)
    y_end = ys[:, 0, -1]  # [K, n]
    scale = np.zeros((net.trials, T))
    for u in range(n):
        (grad,) = torch.autograd.grad(ys[:, 0, -1, u].sum(), xt, retain_graph=u < n - 1)
        slope = (y_end[:, u] * (1 - y_end[:, u])).detach().numpy()[:, None]
        per_lag = np.abs(grad[:, 0].numpy()).max(-1)[:, ::-1] / slope  # [K, T], index = lag
        scale = np.maximum(scale, per_lag)
    return scale
