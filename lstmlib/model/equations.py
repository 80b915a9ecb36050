"""The forward equations of :mod:`lstmlib.model.spec`, unit by unit: the readable reference.

:func:`forward` computes one trial's network on one sequence in plain numpy loops over blocks and
cells, with one named line per equation in the order of the spec's math block.  It is written to be
read before it is fast (like Flax's ``LSTMCell`` beside its optimised cell): it shares nothing with
the engines but the parameter layout and the squashing table :data:`lstmlib.model.spec.SQUASHES`.
The tests hold both engines to it (``tests/test_equations.py``: ``engine="numba"`` and
``engine="torch"``, every preset, float64 to 1e-12), and ``book/library.md`` shows its source.
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
OUTPUT_FUNCTIONS = {"linear": lambda a: a, "logistic": sigmoid, "softmax": softmax}


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
            i = gate(W[row["input_gate"] + b], P[0], u, cells, s_prev) if spec.input_gate else 1.0
            if spec.forget == "gate":
                f = gate(W[row["forget_gate"] + b], P[1], u, cells, s_prev)
            else:  # no forget gate: the mode fixes f
                f = {"none": 1.0, "coupled": 1.0 - i, "zero": 0.0}[spec.forget]
            for c in cells:
                z[c] = g(W[row["cell"] + c] @ u)
                s[c] = f * s_prev[c] + i * z[c]
            o = gate(W[row["output_gate"] + b], P[2], u, cells, s) if spec.output_gate else 1.0
            for c in cells:
                y[c] = o * h(s[c])
            for name, value in zip(GATE_ROWS, (i, f, o)):  # record the gate units this architecture has
                if name in units:
                    units[name][t, b] = value
        v = np.concatenate([[1.0], y] + ([x_t] if layout.output_from == "cells+inputs" else []))  # [1, y(t), x(t)?]
        out[t] = f_out(W_out @ v)
        if "gates" in layout.sources:  # gates(t), a source of step t+1, in row order
            gates = np.concatenate([units[name][t] for name in gate_names])
    return {"outputs": out, **units}
