"""The compiled engine's entry points: a layout and packed parameters in, kernel buffers out.

The kernels of :mod:`lstmlib.engines.kernels` work on arrays with the lane index last (lane
``l = k * B + b`` is sequence ``b`` of trial ``k``) and an integer configuration vector.  This
module is the one place that builds that configuration from a :class:`~lstmlib.model.Layout`,
moves parameters and batches into and out of the kernels' layout and calls
:func:`~lstmlib.engines.kernels.run_items`; the model knows nothing of it.
"""

from __future__ import annotations

import numpy as np

from . import kernels

PARAMS = ("hidden", "peephole", "output")


def code(what, name, codes) -> int:
    """The kernels' integer code for ``name`` (a ValueError for a name the kernels do not know, so
    that no configuration holds a code outside ``codes``)."""
    if name not in codes:
        raise ValueError(f"the compiled engine has no {what} {name!r}; valid: {list(codes)}")
    return codes[name]


def config(layout, output, loss, gradient="exact", batch_size=1, trials=1) -> np.ndarray:
    """The kernels' integer configuration vector for one network (see the ``cfg`` indices of
    :mod:`lstmlib.engines.kernels`); every code is one of the kernels' named constants."""
    L, spec = layout, layout.spec
    cfg = np.zeros(kernels.CFG_SIZE, np.int64)
    cfg[[kernels.C_, kernels.NB_, kernels.S_, kernels.I_, kernels.O_, kernels.R_, kernels.NS_, kernels.NO_]] = (
        L.n_cells, L.n_blocks, L.cells_per_block, L.n_inputs, L.n_outputs, L.n_rows, L.n_sources,
        L.n_output_sources)
    cfg[kernels.HAS_I] = spec.input_gate
    cfg[kernels.FORGET] = code("forget", spec.forget, kernels.FORGET_CODES)
    cfg[kernels.DECAY_PPM] = round(spec.state_decay * 1_000_000) if spec.forget == "decay" else 0
    cfg[kernels.HAS_O] = spec.output_gate
    cfg[kernels.PEEP] = spec.peepholes
    cfg[kernels.G_KIND] = code("cell_input", spec.cell_input, kernels.SQUASH_CODES)
    cfg[kernels.H_KIND] = code("cell_output", spec.cell_output, kernels.SQUASH_CODES)
    cfg[kernels.OUT_KIND] = code("output", output, kernels.OUTPUT_CODES)
    cfg[kernels.LOSS_KIND] = code("loss", loss, kernels.LOSS_CODES)
    cfg[kernels.TRUNC] = code("gradient", gradient, {"exact": 0, "truncated": 1})
    cfg[kernels.ROW_I], cfg[kernels.ROW_F], cfg[kernels.ROW_O] = (
        L.row_offset(n) for n in ("input_gate", "forget_gate", "output_gate"))
    cfg[kernels.SRC_Y] = L.sources["cells"].start
    cfg[kernels.SRC_G] = L.sources["gates"].start if "gates" in L.sources else -1
    cfg[kernels.OUT_X] = L.output_from == "cells+inputs"
    cfg[kernels.BATCH], cfg[kernels.TRIALS] = batch_size, trials
    return cfg


def network_config(net, gradient="exact", batch_size=1) -> np.ndarray:
    """:func:`config` for a :class:`~lstmlib.Network`."""
    return config(net.layout, net.output, net.loss, gradient, batch_size, net.trials)


def master(params) -> tuple:
    """The packed parameters ``{name: [K, ...]}`` in kernel layout, trial index last (copies)."""
    return tuple(np.ascontiguousarray(params[n].transpose(1, 2, 0)) for n in PARAMS)


def load_master(params, master_arrays):
    """Copy kernel-layout weights back into the packed parameters, in place."""
    for n, m in zip(PARAMS, master_arrays):
        params[n][...] = m.transpose(2, 0, 1)


def masks(layout, dtype) -> tuple:
    """The layout's 0/1 masks of free weights, in the order of :data:`PARAMS`."""
    return tuple(layout.masks()[n].astype(dtype) for n in PARAMS)


def items(a, N, B, dtype):
    """``[K, N*B, T, F] -> [N, T, F, K*B]``: item n holds sequences n*B .. n*B+B-1 of every trial."""
    K, _, T, F = a.shape
    return np.ascontiguousarray(a.reshape(K, N, B, T, F).transpose(1, 3, 4, 0, 2).reshape(N, T, F, K * B),
                                dtype=dtype)


def batch_items(batch, N, B, dtype) -> tuple:
    """A :class:`~lstmlib.model.Batch` of ``N * B`` sequences per trial as the kernels' ``(X, LENS, Y, LW)``
    (``[N, T, I, L]``, ``[N, L]``, ``[N, T, O, L]``, ``[N, T, L]``)."""
    K, n, T, _ = batch.x.shape
    if n != N * B:
        raise ValueError(f"the number of sequences per trial ({n}) must be a multiple of batch_size ({B})")
    X = items(batch.x, N, B, dtype)
    Y = items(batch.target, N, B, dtype)
    LW = np.ascontiguousarray(batch.weights.reshape(K, N, B, T).transpose(1, 3, 0, 2).reshape(N, T, K * B),
                              dtype=dtype)
    LENS = np.ascontiguousarray(batch.lengths.reshape(K, N, B).transpose(1, 0, 2).reshape(N, K * B))
    return X, LENS, Y, LW


def run_items(cfg, master_arrays, mask_arrays, data, *, need_grad, opt_code=kernels.OPT_NONE, hyper=None,
              steps=None, active=None, state=None, grads, out_loss, out_err, rec=None, rec_trace=None, dtype,
              cut_at_error=None, cut=None):
    """The one call into :func:`kernels.run_items`: ``data`` is ``(X, LENS, Y, LW)`` from
    :func:`batch_items`; ``master_arrays`` are updated in place when ``opt_code`` names an optimiser
    (:data:`kernels.OPT_CODES`).  ``cut_at_error``: a tolerance, to cut every sequence after its first
    wrong step (``cut [N, L]`` int64 receives the cut steps; see :func:`kernels.run_items`)."""
    K = cfg[kernels.TRIALS]
    empty = np.zeros((0, 1, 1, 1), dtype)
    if state is None:  # the moment buffers (M, V) of each weight array; none needed without an update
        state = tuple(np.zeros_like(m) if opt_code != kernels.OPT_NONE else np.zeros((0, 0, 0), dtype)
                      for m in master_arrays for _ in range(2))
    optimiser = (opt_code, np.zeros(6) if hyper is None else hyper, np.zeros(K, np.int64) if steps is None else steps,
                 np.ones(K, np.int64) if active is None else active, state)
    outputs = (out_loss, out_err, empty if rec is None else rec, empty if rec_trace is None else rec_trace)
    cut_rule = (np.inf, np.zeros((0, 0), np.int64)) if cut_at_error is None else (float(cut_at_error), cut)
    kernels.run_items(cfg, tuple(master_arrays), tuple(mask_arrays), tuple(data), need_grad, optimiser,
                      tuple(grads), outputs, cut_rule)


def run(layout, params, output, loss, batch, *, need_grad, gradient="exact", record=False, trace=False):
    """One pass over a batch (no update): ``loss`` per trial, and ``grads`` (packed like ``params``),
    ``outputs [K, B, T, O]`` and ``trace [K, B, T, 2C + R]`` when asked for."""
    dtype = params["hidden"].dtype
    K, B, T, _ = batch.x.shape
    cfg = config(layout, output, loss, gradient, B, K)
    weights, mask_arrays = master(params), masks(layout, dtype)
    grads = tuple(np.zeros_like(m) for m in weights)
    out_loss, out_err = np.zeros((1, K * B)), np.zeros((1, K * B))
    O = layout.n_outputs
    rec = np.zeros((1, T, O, K * B), dtype) if record else None
    n_trace = 2 * layout.n_cells + layout.n_rows
    rec_trace = np.zeros((1, T, n_trace, K * B), dtype) if trace else None
    run_items(cfg, weights, mask_arrays, batch_items(batch, 1, B, dtype), need_grad=need_grad, grads=grads,
              out_loss=out_loss, out_err=out_err, rec=rec, rec_trace=rec_trace, dtype=dtype)
    result = {"loss": out_loss[0].reshape(K, B).mean(axis=1)}
    if need_grad:
        result["grads"] = {n: np.moveaxis(g, -1, 0) * mask_arrays[i] for i, (n, g) in enumerate(zip(PARAMS, grads))}
    if record:
        result["outputs"] = np.moveaxis(rec[0].reshape(T, O, K, B), (2, 3), (0, 1)).copy()
    if trace:
        tr = np.moveaxis(rec_trace[0].reshape(T, n_trace, K, B), (2, 3), (0, 1))
        result["trace"] = np.where((np.arange(T) < batch.lengths[..., None])[..., None], tr, 0.0)
    return result
