"""The public network object: build a network by preset name, read/set its parameters, run it."""

from __future__ import annotations

import numpy as np

from .batch import Batch
from .layout import OUTPUT_ACTIVATIONS, Layout, initialise
from .spec import GRADIENTS, get_spec

#: The engines a network can run on, by name: ``run(layout, params, output, loss, batch, *, need_grad,
#: gradient, record, trace, device) -> dict``.  :mod:`lstmlib.engines` registers them (``"numba"``, the
#: compiled default, and ``"torch"``), so that the model imports no engine.
ENGINES: dict = {}


def register_engine(name, run):
    """Make ``run`` available as ``engine=name`` to :meth:`Network.forward` and friends."""
    ENGINES[name] = run
LOSSES = ("mse", "ce")
DTYPES = {"float64": np.float64, "float32": np.float32}


def build(arch, n_inputs, n_outputs, n_blocks=1, cells_per_block=1, *, trials=1, seed=0,
          output="linear", output_from="cells", biased=("cells", "gates", "outputs"), init_range=0.1,
          input_gate_bias=None, forget_gate_bias=None, output_gate_bias=None, loss=None,
          dtype="float64", **spec_changes) -> Network:
    """Build ``trials`` independent networks of one architecture.

    ``arch`` is a preset name from :data:`lstmlib.ARCHITECTURES` or an :class:`ArchSpec`; keyword
    arguments naming spec fields (``cell_input="tanh"``, ``peepholes=False``, ...) change it.
    All weights are drawn uniformly from [-init_range, init_range]; a gate bias given as a number
    or one value per block overrides the draw (e.g. ``input_gate_bias=(-3, -6)``).
    ``biased`` lists which units have a bias (of "cells", "gates", "outputs").
    """
    spec = get_spec(arch)
    if spec_changes:
        spec = spec.replace(**spec_changes)
    layout = Layout(spec, n_inputs, n_outputs, n_blocks, cells_per_block, output_from, biased)
    if output not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"unknown output activation {output!r}; valid: {list(OUTPUT_ACTIVATIONS)}")
    loss = loss or ("ce" if output == "softmax" else "mse")
    _check_loss(loss, output)
    if dtype not in DTYPES and dtype not in DTYPES.values():
        raise ValueError(f"unknown dtype {dtype!r}; valid: {list(DTYPES)}")
    dtype = np.dtype(DTYPES.get(dtype, dtype))
    rng = np.random.default_rng(seed)
    params = initialise(layout, trials, rng, init_range,
                        {"input_gate": input_gate_bias, "forget_gate": forget_gate_bias,
                         "output_gate": output_gate_bias}, dtype)
    return Network(layout, params, output, loss)


def _check_loss(loss, output):
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid: {list(LOSSES)}")
    if loss == "ce" and output not in ("logistic", "softmax"):
        raise ValueError(f"loss 'ce' needs a logistic or softmax output, not {output!r}")


class Network:
    """``trials`` independent networks sharing one :class:`Layout`.

    Parameters live in three packed arrays (``hidden``, ``peephole``, ``output``, each with the
    trial index first); ``net["input_gate.x"]`` and friends are views into them (see
    :meth:`parameter_names`).
    """

    def __init__(self, layout: Layout, params: dict, output="linear", loss="mse"):
        self.layout = layout
        self.output = output
        self.loss = loss
        _check_loss(loss, output)
        masks = layout.masks()
        self.params = {}
        for name, mask in masks.items():
            arr = np.array(params[name], copy=True)
            if arr.ndim != mask.ndim + 1 or arr.shape[1:] != mask.shape:
                raise ValueError(f"params[{name!r}] must have shape [trials, {', '.join(map(str, mask.shape))}], "
                                 f"got {arr.shape}")
            if arr.dtype not in (np.float32, np.float64):
                raise ValueError(f"params must be float32 or float64, got {arr.dtype}")
            self.params[name] = arr
        self._check_masked_zero()

    # introspection --------------------------------------------------------------------------
    @property
    def spec(self):
        return self.layout.spec

    @property
    def trials(self) -> int:
        return self.params["hidden"].shape[0]

    @property
    def dtype(self):
        return self.params["hidden"].dtype

    @property
    def n_weights(self) -> int:
        """Trainable weights per trial."""
        return self.layout.n_weights()

    def parameter_names(self) -> list[str]:
        return list(self.layout.names())

    def __getitem__(self, name) -> np.ndarray:
        names = self.layout.names()
        if name not in names:
            raise ValueError(f"unknown parameter {name!r}; valid: {sorted(names)}")
        array, index = names[name]
        return self.params[array][(slice(None),) + index]

    def __setitem__(self, name, value):
        self[name][...] = value
        self._check_masked_zero()

    def named_parameters(self) -> dict:
        return {name: self[name] for name in self.layout.names()}

    def _check_masked_zero(self):
        for name, mask in self.layout.masks().items():
            if np.any(self.params[name][:, mask == 0] != 0):
                raise ValueError(f"{name!r} has non-zero entries where {self.spec.name!r} has no connection")

    def copy(self) -> Network:
        return Network(self.layout, self.params, self.output, self.loss)

    def trial(self, k) -> Network:
        """A one-trial network holding the parameters of trial k."""
        if not 0 <= k < self.trials:
            raise ValueError(f"trial index {k} out of range [0, {self.trials})")
        return self.subset([k])

    def subset(self, trials) -> Network:
        """A network holding copies of the parameters of ``trials`` (indices, in that order)."""
        trials = np.asarray(trials, dtype=np.int64)
        if trials.ndim != 1 or trials.size == 0 or trials.min() < 0 or trials.max() >= self.trials:
            raise ValueError(f"trials must be indices in [0, {self.trials}), got {trials!r}")
        return Network(self.layout, {n: p[trials] for n, p in self.params.items()}, self.output, self.loss)

    def __repr__(self):
        L = self.layout
        return (f"Network({self.spec.name!r}, inputs={L.n_inputs}, blocks={L.n_blocks}x{L.cells_per_block}, "
                f"outputs={L.n_outputs} {self.output}, trials={self.trials}, weights={self.n_weights}, "
                f"{self.dtype.name})")

    # running --------------------------------------------------------------------------------
    def forward(self, x, lengths=None, engine="numba", device="cpu") -> np.ndarray:
        """Outputs ``[trials, batch, time, outputs]`` for inputs ``x [trials, batch, time, inputs]``
        (or ``[batch, time, inputs]``, the same data for every trial).  Outputs past a sequence's
        length are 0."""
        b = self.batch(x, lengths=lengths)
        return self._run(engine, b, need_grad=False, record=True, device=device)["outputs"]

    def trace(self, x, lengths=None) -> dict:
        """Every unit over time, for figures and tests: ``states`` s(t) and ``cells`` y(t)
        ``[trials, batch, time, cells]``, ``cell_input`` g(net_z) ``[.., cells]``, each gate present
        (``input_gate``, ``forget_gate``, ``output_gate``) ``[.., blocks]`` and ``outputs``."""
        b = self.batch(x, lengths=lengths)
        r = self._run("numba", b, need_grad=False, record=True, trace=True)
        L = self.layout
        C = L.n_cells
        tr = r["trace"]
        out = {"outputs": r["outputs"], "states": tr[..., :C], "cells": tr[..., C + L.n_rows:],
               "cell_input": tr[..., C:2 * C]}
        for name, rows in L.rows.items():
            if name != "cell":
                out[name] = tr[..., C + rows.start:C + rows.stop]
        return out

    def loss_and_grad(self, x, target, lengths=None, loss_at="end", gradient=None, engine="numba",
                      device="cpu"):
        """Loss per trial ``[trials]`` and its gradient (packed arrays like :attr:`params`).

        ``loss_at``: ``"end"`` (``target [trials, batch, outputs]`` at each sequence's last step),
        ``"every"`` (``target [trials, batch, time, outputs]``) or an array of loss weights
        ``[trials, batch, time]``.  ``gradient``: ``"exact"`` or ``"truncated"`` (default: the
        architecture's own).  The loss is the batch mean of Σ_t w_t ℓ_t with ℓ = ½‖y - target‖²
        ("mse") or cross-entropy ("ce")."""
        gradient = self.gradient_mode(gradient)
        b = self.batch(x, target, lengths, loss_at)
        r = self._run(engine, b, need_grad=True, gradient=gradient, device=device)
        return r["loss"], r["grads"]

    def batch(self, x, target=None, lengths=None, loss_at="end"):
        """Validate and normalise a batch (see :class:`lstmlib.model.Batch`)."""
        return Batch.make(self, x, target, lengths, loss_at)

    def gradient_mode(self, gradient=None) -> str:
        """``gradient`` checked against this architecture (None: the architecture's own mode)."""
        gradient = gradient or self.spec.gradient
        if gradient not in GRADIENTS:
            raise ValueError(f"unknown gradient mode {gradient!r}; valid: {sorted(GRADIENTS)}")
        if gradient == "truncated" and not self.spec.has_memory:
            raise ValueError(f"the truncated gradient needs a cell state; {self.spec.name!r} has none "
                             "(use gradient='exact')")
        return gradient

    def _run(self, engine, b, *, need_grad, gradient="exact", record=False, trace=False, device="cpu"):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; valid: {list(ENGINES)}")
        return ENGINES[engine](self.layout, self.params, self.output, self.loss, b, need_grad=need_grad,
                               gradient=gradient, record=record, trace=trace, device=device)


