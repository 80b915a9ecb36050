"""The equations of :mod:`lstmlib.model.spec`, unit by unit: the readable reference, forward and backward.

:func:`forward` computes one trial's network on one sequence in plain numpy loops over blocks and
cells, with one named line per equation in the order of the spec's math block; :func:`backward` its
gradient (exact BPTT or the 1997 truncated gradient), one named line per equation in the order of
Graves (2012, §4.6).  Every equation line ends in ``# eq: <label>`` (:data:`EQUATIONS`), and
:func:`equation_lines` returns it from this file, for the equations chapter to show beside the maths.
It is written to be read before it is fast (like Flax's ``LSTMCell`` beside its optimised cell): it
shares nothing with the engines but the parameter layout and the squashing table
:data:`lstmlib.model.spec.SQUASHES`.  The tests hold both engines to it (``tests/test_equations.py``:
``engine="numba"`` and ``engine="torch"``, every preset, both gradients, float64 to 1e-12), and
``book/library.md`` shows its source.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_choice
from .layout import GATE_ROWS, OUTPUT_ACTIVATIONS, Layout
from .spec import SQUASHES, sigmoid


def softmax(a):
    """exp(a) / Σ exp(a) over the last axis (shifted by the maximum, which changes nothing but the overflow)."""
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


#: The output activation f_out by name (the names of :data:`lstmlib.model.layout.OUTPUT_ACTIVATIONS`).
OUTPUT_FUNCTIONS = {"linear": lambda a: a, "logistic": sigmoid, "logistic2": SQUASHES["logistic2"].fn,
                    "softmax": softmax}


def gate(w, p, u, cells, s_seen):
    """σ(w · u(t) + Σ_{c ∈ cells} p[c] s_seen[c]): the gate of one block, with weights ``w`` [sources]
    and peephole weights ``p`` [cells] on the cell states it sees."""
    return sigmoid(w @ u + sum(p[c] * s_seen[c] for c in cells))


def forward(layout: Layout, params: dict, x, output_activation: str = "linear") -> dict:
    """One trial's forward pass over one sequence ``x [time, inputs]``, unit by unit.

    ``params`` holds one trial's packed arrays: ``hidden [rows, sources]``, ``peephole [3, cells]``
    and ``output [outputs, output sources]`` (for trial k of a network: ``{n: p[k] for n, p in
    net.params.items()}``).  Returns float64 arrays under the names of :meth:`lstmlib.Network.trace`:
    ``outputs`` out(t) ``[time, outputs]``; ``cell_input`` z(t), ``states`` s(t) and ``cells`` y(t)
    ``[time, cells]``; and each gate the architecture has (``input_gate``, ``forget_gate``,
    ``output_gate``) ``[time, blocks]``.
    """
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    spec, n = layout.spec, layout.cells_per_block
    W, P, W_out = params["hidden"], params["peephole"], params["output"]
    g, h, f_out = SQUASHES[spec.cell_input].fn, SQUASHES[spec.cell_output].fn, OUTPUT_FUNCTIONS[output_activation]
    row = {name: rows.start for name, rows in layout.rows.items()}  # first row of each unit group
    gate_names = [name for name in GATE_ROWS if name in row]
    x = np.asarray(x, dtype=np.float64)
    T, C = len(x), layout.n_cells
    units = {name: np.zeros((T, C)) for name in ("cell_input", "states", "cells")}
    units.update({name: np.zeros((T, layout.n_blocks)) for name in gate_names})
    out = np.zeros((T, layout.n_outputs))
    y, s, gates = np.zeros(C), np.zeros(C), np.zeros(layout.n_gate_units)  # y, s, gates at t = -1
    for t, x_t in enumerate(x):
        u = np.concatenate([[1.0], x_t, y] + ([gates] if "gates" in layout.sources else []))
        s_prev = s
        z, s, y = units["cell_input"][t], units["states"][t], units["cells"][t]  # step t's rows, filled below
        for b in range(layout.n_blocks):
            cells = range(b * n, (b + 1) * n)  # the cells of block b
            if spec.input_gate:
                i = gate(W[row["input_gate"] + b], P[0], u, cells, s_prev)  # eq: input-gate
            else:
                i = 1.0
            if spec.forget == "gate":
                f = gate(W[row["forget_gate"] + b], P[1], u, cells, s_prev)  # eq: forget-gate
            else:  # no forget gate: the mode fixes f
                f = spec.fixed_forget(i)  # 1, state_decay, 1 - i or 0
            for c in cells:
                z[c] = g(W[row["cell"] + c] @ u)  # eq: cell-input
                s[c] = f * s_prev[c] + i * z[c]  # eq: cell-state
            if spec.output_gate:
                o = gate(W[row["output_gate"] + b], P[2], u, cells, s)  # eq: output-gate
            else:
                o = 1.0
            for c in cells:
                y[c] = o * h(s[c])  # eq: cell-output
            for name, value in zip(GATE_ROWS, (i, f, o)):  # record the gate units this architecture has
                if name in units:
                    units[name][t, b] = value
        v = np.concatenate([[1.0], y] + ([x_t] if layout.output_from == "cells+inputs" else []))  # [1, y(t), x(t)?]
        out[t] = f_out(W_out @ v)  # eq: output-layer
        if "gates" in layout.sources:  # gates(t), a source of step t+1, in row order
            gates = np.concatenate([units[name][t] for name in gate_names])
    return {"outputs": out, **units}


def output_error(out, target, w_t, output_activation, loss):
    """e_k(t) = ∂L/∂a_k(t) at the output layer's net input, the loss weight w_t included: mse
    ℓ = ½‖out - target‖² (e = w (out - target) f_out', with the softmax's Jacobian for a softmax);
    cross-entropy with a logistic or softmax output (e = w (out - target); for a softmax the targets
    are one-hot or sum to 1)."""
    diff = out - target
    if loss == "ce":
        return w_t * diff
    if output_activation == "logistic":
        return w_t * diff * out * (1.0 - out)
    if output_activation == "logistic2":  # f_out = 4σ - 2: f_out' = (2 + out)(2 - out) / 4
        return w_t * diff * (2.0 + out) * (2.0 - out) * 0.25
    if output_activation == "softmax":
        return w_t * out * (diff - diff @ out)
    return w_t * diff


def step_loss(out, target, output_activation, loss) -> float:
    """ℓ(t): ½‖out - target‖² ("mse") or the cross-entropy ("ce": categorical for a softmax, binary for a
    logistic output)."""
    if loss == "mse":
        return 0.5 * float(np.sum((out - target) ** 2))
    if output_activation == "softmax":
        return -float(np.sum(target * np.log(out)))
    return -float(np.sum(target * np.log(out) + (1.0 - target) * np.log(1.0 - out)))


def backward(layout: Layout, params: dict, x, target, weights=None, output_activation: str = "linear",
             loss: str = "mse", gradient: str = "exact") -> dict:
    """The gradient of one sequence's loss L = Σ_t w_t ℓ(t), unit by unit, in Graves' (2012, §4.6) order.

    ``x [time, inputs]``, ``target [time, outputs]``, ``weights [time]`` (default: 1 at every step).
    One named line per equation (trailing ``# eq: <label>``, :data:`EQUATIONS`), from t = T-1 down to 0:
    the output error e_k, the cell-output error ε_c, the error ε_g of the gate activations that feed
    step t+1, then block by block δ_ω, ε_s, δ_c, δ_φ, δ_ι, and the weight gradients.

    ``gradient="exact"`` is full BPTT.  ``"truncated"`` is the 1997 truncated gradient
    (``book/library.md``, "Two gradients"): y(t-1), gates(t-1) and the states the peepholes see are
    constants, so the recurrent terms of ε_c and ε_g and the peephole terms of ε_s are dropped and error
    flows back in time only through the cell state, f(t+1) ε_s(t+1).
    Returns ``loss`` and the gradients ``hidden``, ``peephole``, ``output`` shaped like ``params``
    (zero where the layout has no weight).
    """
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    check_choice("loss", loss, ("mse", "ce"))
    check_choice("gradient", gradient, ("exact", "truncated"))
    spec, n, C = layout.spec, layout.cells_per_block, layout.n_cells
    W, P, W_out = params["hidden"], params["peephole"], params["output"]
    x, target = np.asarray(x, dtype=np.float64), np.asarray(target, dtype=np.float64)
    T = len(x)
    weights = np.ones(T) if weights is None else np.asarray(weights, dtype=np.float64)
    if x.ndim != 2 or T < 1 or x.shape[1] != layout.n_inputs:
        raise ValueError(f"x must have shape [time >= 1, inputs={layout.n_inputs}], got {x.shape}")
    if target.shape != (T, layout.n_outputs) or weights.shape != (T,):
        raise ValueError(f"target must have shape [time={T}, outputs={layout.n_outputs}] and weights [time={T}], "
                         f"got {target.shape} and {weights.shape}")
    fwd = forward(layout, params, x, output_activation)
    g_deriv, h = SQUASHES[spec.cell_input].deriv, SQUASHES[spec.cell_output]
    d_sigma = SQUASHES["logistic"].deriv  # σ'(a) = b (1 - b), from the gate's activation b
    row = {name: rows.start for name, rows in layout.rows.items()}
    gate_names = [name for name in GATE_ROWS if name in row]
    exact = gradient == "exact"
    cols_y, cols_g = layout.sources["cells"], layout.sources.get("gates")
    ones = np.ones((T, layout.n_blocks))
    i_all, o_all = fwd.get("input_gate", ones), fwd.get("output_gate", ones)
    if spec.forget == "gate":
        f_all = fwd["forget_gate"]
    else:
        f_all = ones * spec.fixed_forget(i_all)
    s_all, y_all, z_all = fwd["states"], fwd["cells"], fwd["cell_input"]
    zeros_g = np.zeros(layout.n_gate_units)
    grads = {name: np.zeros(np.shape(params[name])) for name in ("hidden", "peephole", "output")}
    delta_next = np.zeros(layout.n_rows)  # δ_r(t+1) of every hidden row (0 at t = T-1)
    eps_s_next = np.zeros(C)  # ε_s(t+1)
    total = 0.0
    for t in reversed(range(T)):
        s_prev = s_all[t - 1] if t > 0 else np.zeros(C)
        y_prev = y_all[t - 1] if t > 0 else np.zeros(C)
        gates_prev = np.concatenate([fwd[name][t - 1] for name in gate_names]) if t > 0 and gate_names else zeros_g
        u = np.concatenate([[1.0], x[t], y_prev] + ([gates_prev] if cols_g is not None else []))  # u(t)
        v = np.concatenate([[1.0], y_all[t]] + ([x[t]] if layout.output_from == "cells+inputs" else []))
        total += weights[t] * step_loss(fwd["outputs"][t], target[t], output_activation, loss)
        e = output_error(fwd["outputs"][t], target[t], weights[t], output_activation, loss)  # eq: output-error
        eps_c = W_out[:, 1:1 + C].T @ e + (W[:, cols_y].T @ delta_next if exact else 0.0)  # eq: cell-output-error
        eps_g = W[:, cols_g].T @ delta_next if exact and cols_g else zeros_g  # eq: gate-activation-error
        delta = np.zeros(layout.n_rows)
        eps_s = np.zeros(C)
        for b in range(layout.n_blocks):
            cells = range(b * n, (b + 1) * n)  # the cells of block b
            i, f, o = i_all[t, b], f_all[t, b], o_all[t, b]
            f_next = f_all[t + 1, b] if t + 1 < T else 0.0  # f(t+1); nothing flows back from t = T
            if spec.output_gate:
                j = row["output_gate"] + b
                delta[j] = d_sigma(o) * (sum(h.fn(s_all[t, c]) * eps_c[c] for c in cells)
                                         + eps_g[j - C])  # eq: output-gate-delta
            d_o = delta[row["output_gate"] + b] if spec.output_gate else 0.0  # δ_ω(t)
            d_i_next, d_f_next = ((delta_next[row[name] + b] if name in row else 0.0)  # δ_ι(t+1), δ_φ(t+1)
                                  for name in ("input_gate", "forget_gate"))
            peep = 1.0 if exact else 0.0  # the truncated gradient holds the states the gates see
            for c in cells:
                eps_s[c] = (o * h.deriv(h.fn(s_all[t, c])) * eps_c[c] + f_next * eps_s_next[c]
                            + peep * (P[2, c] * d_o + P[0, c] * d_i_next + P[1, c] * d_f_next))  # eq: state-error
                delta[row["cell"] + c] = i * g_deriv(z_all[t, c]) * eps_s[c]  # eq: cell-input-delta
            if spec.forget == "gate":
                j = row["forget_gate"] + b
                delta[j] = d_sigma(f) * (sum(s_prev[c] * eps_s[c] for c in cells)
                                         + eps_g[j - C])  # eq: forget-gate-delta
            if spec.input_gate:
                j = row["input_gate"] + b
                ds_di = [z_all[t, c] - (s_prev[c] if spec.forget == "coupled" else 0.0) for c in cells]  # f = 1 - i
                delta[j] = d_sigma(i) * (sum(d * eps_s[c] for d, c in zip(ds_di, cells))
                                         + eps_g[j - C])  # eq: input-gate-delta
            for c in cells:
                seen = (s_prev[c], s_prev[c], s_all[t, c])  # what the input, forget, output gates peep at
                for k, name in enumerate(GATE_ROWS):
                    if name in row:
                        grads["peephole"][k, c] += delta[row[name] + b] * seen[k]  # eq: peephole-gradient
        grads["hidden"] += np.outer(delta, u)  # eq: weight-gradient
        grads["output"] += np.outer(e, v)  # eq: output-weight-gradient
        delta_next, eps_s_next = delta, eps_s
    masks = layout.masks()
    return {"loss": total, **{name: grad * masks[name] for name, grad in grads.items()}}


#: Every labelled line of :func:`forward` and :func:`backward` (``# eq: <label>``), in Graves' order:
#: label -> (his symbol, what it computes).  His notation is read from secondary sources [S].
EQUATIONS = {
    "input-gate": ("b_ι", "input gate"),
    "forget-gate": ("b_φ", "forget gate"),
    "cell-input": ("g(a_c)", "cell input"),
    "cell-state": ("s_c", "cell state"),
    "output-gate": ("b_ω", "output gate"),
    "cell-output": ("b_c", "cell output"),
    "output-layer": ("y_k", "output layer"),
    "output-error": ("δ_k", "output error"),
    "cell-output-error": ("ε_c", "cell-output error"),
    "gate-activation-error": ("ε_g", "error of the gate activations that feed the next step (library)"),
    "output-gate-delta": ("δ_ω", "output gate"),
    "state-error": ("ε_s", "cell-state error"),
    "cell-input-delta": ("δ_c", "cell input"),
    "forget-gate-delta": ("δ_φ", "forget gate"),
    "input-gate-delta": ("δ_ι", "input gate"),
    "peephole-gradient": ("∂L/∂w_cι, w_cφ, w_cω", "peephole weights"),
    "weight-gradient": ("∂L/∂w_ij", "hidden weights"),
    "output-weight-gradient": ("∂L/∂w_ik", "output weights"),
}


def equation_lines(label: str) -> list[str]:
    """The statements of this module labelled ``# eq: <label>`` (a key of :data:`EQUATIONS`), each as
    the file holds it (its lines joined, the label comment removed): what the chapter shows beside the
    equation, read from the source with :mod:`inspect` and :mod:`ast`, never retyped."""
    import ast
    import inspect
    import sys
    check_choice("label", label, EQUATIONS)
    source = inspect.getsource(sys.modules[__name__])
    lines = source.splitlines()
    marker = f"# eq: {label}"
    simple = [node for node in ast.walk(ast.parse(source))
              if isinstance(node, ast.stmt) and not hasattr(node, "body")]  # no for, if, def: one statement
    found = []
    for node in sorted(simple, key=lambda node: node.lineno):
        if lines[node.end_lineno - 1].rstrip().endswith(marker):
            text = " ".join(line.strip() for line in lines[node.lineno - 1:node.end_lineno])
            found.append(" ".join(text.replace(marker, "").split()))
    return found
