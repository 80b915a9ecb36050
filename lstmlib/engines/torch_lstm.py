"""``torch.nn.LSTM`` as an lstmlib network: which specs are its cell, and the weight copy between the two.

PyTorch's LSTM layer computes, per cell, i = σ(W_ii x + b_ii + W_hi h + b_hi), f and o alike,
g = tanh(W_ig x + ... ), c = f c(t-1) + i g, h = o tanh(c): one block per cell, a learned forget
gate, tanh for g and h, no peepholes and no gate recurrence.  :func:`nn_lstm_changes` says what an
:class:`~lstmlib.model.spec.ArchSpec` must change to be that cell, :func:`to_nn_lstm` copies one
trial's weights into a ``torch.nn.LSTM`` (its rows in torch's order i, f, g, o; the library's one bias
per unit goes to ``bias_ih``, ``bias_hh`` is 0), and :func:`nn_lstm_run` runs it step by step.
"""

from __future__ import annotations

import numpy as np
import torch

from ..model.layout import Layout

#: The spec fields of ``torch.nn.LSTM``'s cell.
NN_LSTM_SPEC = {"input_gate": True, "forget": "gate", "output_gate": True, "peepholes": False,
                "gate_recurrence": "none", "cell_input": "tanh", "cell_output": "tanh"}
TORCH_ORDER = ("input_gate", "forget_gate", "cell", "output_gate")  # torch's row blocks: i, f, g, o


def nn_lstm_changes(spec) -> dict:
    """The spec fields that differ from ``torch.nn.LSTM``'s cell, as ``{field: torch's value}`` (empty:
    the spec is that cell)."""
    return {k: v for k, v in NN_LSTM_SPEC.items() if getattr(spec, k) != v}


def to_nn_lstm(layout: Layout, params: dict) -> torch.nn.LSTM:
    """A float64 ``torch.nn.LSTM`` holding one trial's hidden weights (``params``: ``hidden [rows,
    sources]`` of one trial).  Needs a spec with no :func:`nn_lstm_changes` and one cell per block."""
    changes = nn_lstm_changes(layout.spec)
    if changes:
        raise ValueError(f"{layout.spec.name!r} is not torch.nn.LSTM's cell; it would need {changes}")
    if layout.cells_per_block != 1:
        raise ValueError(f"torch.nn.LSTM has one cell per block, got cells_per_block={layout.cells_per_block}")
    W = np.asarray(params["hidden"], dtype=np.float64)
    if W.shape != (layout.n_rows, layout.n_sources):
        raise ValueError(f"params['hidden'] must be one trial's [{layout.n_rows}, {layout.n_sources}], got {W.shape}")
    rows, src = [layout.rows[name] for name in TORCH_ORDER], layout.sources
    lstm = torch.nn.LSTM(layout.n_inputs, layout.n_cells, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([W[r, src["x"]] for r in rows])))
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([W[r, src["cells"]] for r in rows])))
        lstm.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([W[r, 0] for r in rows])))
        lstm.bias_hh_l0.zero_()
    return lstm


def nn_lstm_run(lstm: torch.nn.LSTM, x) -> dict:
    """``cells`` h(t) and ``states`` c(t) ``[batch, time, cells]`` of ``lstm`` on ``x [batch, time,
    inputs]``, step by step (so that every cell state is seen)."""
    xt = torch.from_numpy(np.asarray(x, dtype=np.float64))
    state, hs, cs = None, [], []
    with torch.no_grad():
        for t in range(xt.shape[1]):
            h, state = lstm(xt[:, t:t + 1], state)
            hs.append(h[:, 0])
            cs.append(state[1][0])
    return {"cells": torch.stack(hs, 1).numpy(), "states": torch.stack(cs, 1).numpy()}
