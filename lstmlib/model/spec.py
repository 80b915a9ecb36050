"""Architecture specs: one declarative description drives every variant.

This docstring is the one home of the forward equations.  Every engine (:mod:`lstmlib.engines`)
computes them, :func:`lstmlib.model.equations.forward` writes them out unit by unit as the readable
reference, and ``book/library.md`` shows that code.

A memory block has ``cells_per_block`` cells that share one input gate, one forget gate and one
output gate.  For every cell c of block b (c ∈ b) at step t, the sources are

    u(t)    = [1, x(t), y(t-1), gates(t-1)]       (gates(t-1) only where ``gate_recurrence`` says so;
                                                   y, s and the gates are 0 at t = -1)

and the forward pass is

    z_c(t)  = g(W_z[c] · u(t))                                     cell input
    i_b(t)  = σ(W_i[b] · u(t) + Σ_{c∈b} p_i[c] s_c(t-1))           input gate    (1 without one)
    f_b(t)  = σ(W_f[b] · u(t) + Σ_{c∈b} p_f[c] s_c(t-1))           forget gate   (see ``forget``)
    s_c(t)  = f_b(t) s_c(t-1) + i_b(t) z_c(t)                      cell state: the constant error carousel (CEC)
    o_b(t)  = σ(W_o[b] · u(t) + Σ_{c∈b} p_o[c] s_c(t))             output gate   (1 without one)
    y_c(t)  = o_b(t) h(s_c(t))                                     cell output
    out(t)  = f_out(W_out · [1, y(t), x(t)?])                      output layer

σ is the logistic function; g (``cell_input``) and h (``cell_output``) are squashing functions
from :data:`SQUASHES`; f_out is the output activation (linear, logistic σ, 4σ - 2 or softmax).  The output
layer reads the *current* y(t) (H&S 1997 §5), and x(t) only with ``output_from="cells+inputs"``.
W_z[c], W_i[b], W_f[b], W_o[b] are rows of the packed ``hidden`` array, p_i, p_f, p_o the rows of
``peephole`` and W_out is ``output`` (:mod:`lstmlib.model.layout`).

``forget`` chooses the forget factor: ``"none"`` f = 1 (H&S 1997: the CEC never decays),
``"gate"`` a learned gate (Gers et al. 2000), ``"coupled"`` f = 1 - i (Greff's CIFG), ``"decay"`` a fixed
f = ``state_decay`` < 1 (the "state decay" that Gers et al. 2000 tried before the forget gate) and
``"zero"`` f = 0, which with no gates and h = identity is the plain (Elman) RNN y = g(W · u).
Peepholes (Gers et al. 2002) are one weight per cell per gate; input and forget gates peep at
s(t-1), the output gate at s(t).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._checks import check_choice


def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x), elementwise.  A torch tensor uses its own ``x.sigmoid()``, so that the
    policies below build the torch engine's autograd graph from the same lines (and this module
    imports no torch)."""
    return x.sigmoid() if hasattr(x, "sigmoid") else 1.0 / (1.0 + np.exp(-x))


def tanh(x):
    """tanh(x), elementwise: numpy's for arrays and numbers, a torch tensor's own ``x.tanh()``."""
    return x.tanh() if hasattr(x, "tanh") else np.tanh(x)


@dataclass(frozen=True)
class Squash:
    """A squashing function as a policy (RNNLIB style): the function and its derivative side by side.

    Attributes:
        fn: y = fn(x), elementwise, for numpy arrays, numbers and torch tensors.
        deriv: fn'(x) written in terms of the output y = fn(x), as the backward pass needs it
            (it keeps y, not x).
        range: (lowest, highest) value of fn.
        description: one line for tables and error messages.
    """

    fn: Callable
    deriv: Callable
    range: tuple[float, float]
    description: str


#: Squashing functions by name.  ``logistic2``/``logistic1`` are the 1997 paper's
#: g(x) = 4σ(x) - 2 ∈ [-2, 2] and h(x) = 2σ(x) - 1 ∈ [-1, 1].  The compiled kernels key the same
#: functions by ``lstmlib.engines.kernels.SQUASH_CODES``; ``tests/test_equations.py`` checks that
#: they agree with this table.
SQUASHES: dict[str, Squash] = {
    "tanh": Squash(tanh, lambda y: 1.0 - y * y, (-1.0, 1.0), "tanh(x) ∈ [-1, 1]"),
    "logistic": Squash(sigmoid, lambda y: y * (1.0 - y), (0.0, 1.0), "σ(x) ∈ [0, 1]"),
    "logistic2": Squash(lambda x: 4.0 * sigmoid(x) - 2.0, lambda y: (2.0 + y) * (2.0 - y) * 0.25, (-2.0, 2.0),
                        "4σ(x) - 2 ∈ [-2, 2]  (H&S 1997 cell input g)"),
    "logistic1": Squash(lambda x: 2.0 * sigmoid(x) - 1.0, lambda y: (1.0 + y) * (1.0 - y) * 0.5, (-1.0, 1.0),
                        "2σ(x) - 1 ∈ [-1, 1]  (H&S 1997 cell output h)"),
    "identity": Squash(lambda x: x, lambda y: 0.0 * y + 1.0, (-np.inf, np.inf), "x"),
}
FORGET_MODES = {
    "none": "no forget gate: f = 1 (the 1997 CEC)",
    "gate": "learned forget gate (Gers et al. 2000)",
    "coupled": "forget gate coupled to the input gate: f = 1 - i (CIFG)",
    "decay": "a fixed state decay: f = state_decay (Gers et al. 2000's 'LSTM with state decay')",
    "zero": "no memory: f = 0 (plain RNN)",
}
GATE_RECURRENCE = {
    "none": "cells and gates see the cell outputs y(t-1) only",
    "gates": "gates also see all gate activations at t-1 (Greff's FGR)",
    "all": "cells and gates see all gate activations at t-1 (H&S 1997 fully recurrent hidden layer)",
}
GRADIENTS = {
    "exact": "full backpropagation through time",
    "truncated": "H&S 1997 truncated gradient: error flows back in time only through the CEC",
}


@dataclass(frozen=True)
class ArchSpec:
    """Which parts of the equations above one architecture uses (sizes, biases and initialisation
    are arguments of :func:`lstmlib.build`).  The knobs are names, not functions, so that a spec can
    be written into a results file and sent to worker processes.

    Attributes:
        name: the preset's name (``"vanilla"``, ``"peephole"``, ...), written into results files.
        input_gate: whether each block has an input gate; without one i = 1.
        forget: the forget factor f, one of :data:`FORGET_MODES` (``"gate"``: a learned forget gate).
        state_decay: the fixed forget factor of ``forget="decay"``, in (0, 1) and a whole number of
            millionths (the compiled kernels carry it so); ``None`` for every other mode.
        output_gate: whether each block has an output gate; without one o = 1.
        peepholes: whether the gates see the cell states (p_i, p_f on s(t-1), p_o on s(t)).
        gate_recurrence: what sees the gate activations gates(t-1), one of :data:`GATE_RECURRENCE`.
        cell_input: the cell-input squashing g, a name in :data:`SQUASHES`.
        cell_output: the cell-output squashing h, a name in :data:`SQUASHES`.
        gradient: the architecture's default gradient mode, one of :data:`GRADIENTS`.
        reference: where the architecture comes from, in words.
    """

    name: str
    input_gate: bool = True
    forget: str = "gate"
    state_decay: float | None = None
    output_gate: bool = True
    peepholes: bool = False
    gate_recurrence: str = "none"
    cell_input: str = "tanh"
    cell_output: str = "tanh"
    gradient: str = "exact"
    reference: str = ""

    def __post_init__(self):
        check_choice("forget", self.forget, FORGET_MODES)
        check_choice("gate_recurrence", self.gate_recurrence, GATE_RECURRENCE)
        check_choice("cell_input", self.cell_input, SQUASHES)
        check_choice("cell_output", self.cell_output, SQUASHES)
        check_choice("gradient", self.gradient, GRADIENTS)
        if self.forget == "coupled" and not self.input_gate:
            raise ValueError("forget='coupled' (f = 1 - i) needs an input gate")
        if (self.state_decay is not None) != (self.forget == "decay"):
            raise ValueError(f"state_decay goes with forget='decay' and only with it; got forget={self.forget!r}, "
                             f"state_decay={self.state_decay!r}")
        if self.forget == "decay" and not (0.0 < self.state_decay < 1.0
                                           and abs(self.state_decay * 1e6 - round(self.state_decay * 1e6)) < 1e-6):
            raise ValueError(f"state_decay must lie in (0, 1) and be a whole number of millionths; "
                             f"got {self.state_decay!r}")
        if self.peepholes and not self.has_gates:
            raise ValueError("peepholes need at least one gate")
        if self.gate_recurrence != "none" and not self.has_gates:
            raise ValueError("gate_recurrence needs at least one gate")

    @property
    def forget_gate(self) -> bool:
        """Whether there is a forget-gate unit with its own weights."""
        return self.forget == "gate"

    def fixed_forget(self, i):
        """The forget factor of every mode without a forget-gate unit (``i``: the input gate's value):
        1, ``state_decay``, 1 - i or 0."""
        if self.forget == "gate":
            raise ValueError("forget='gate' has no fixed forget factor: it is the gate's output")
        if self.forget == "coupled":
            return 1.0 - i
        return {"none": 1.0, "decay": self.state_decay, "zero": 0.0}[self.forget]

    @property
    def has_gates(self) -> bool:
        """Whether the architecture has at least one gate unit (peepholes and gate recurrence need one)."""
        return self.input_gate or self.forget_gate or self.output_gate

    @property
    def has_memory(self) -> bool:
        """Whether the cell state carries over from one step to the next (a CEC exists)."""
        return self.forget != "zero"

    def replace(self, **changes) -> ArchSpec:
        """A copy with some fields changed, e.g. ``spec.replace(cell_input="tanh")``."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown spec field(s) {sorted(unknown)}; valid: {spec_fields()}")
        return dataclasses.replace(self, **changes)


def spec_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(ArchSpec)]


_GREFF_V = ArchSpec(
    "greff_v", forget="gate", peepholes=True,
    reference="Greff et al. 2017 'vanilla' (peepholes, forget gate, tanh, full BPTT)",
)


def _greff(code, **changes):
    return _GREFF_V.replace(name=code.lower(), reference=f"Greff et al. 2017 variant {code}", **changes)


#: Named presets.  Sizes, biases and initialisation are arguments of :func:`lstmlib.build`.
ARCHITECTURES: dict[str, ArchSpec] = {
    "rnn": ArchSpec(
        "rnn", input_gate=False, forget="zero", output_gate=False,
        cell_input="tanh", cell_output="identity",
        reference="fully recurrent simple RNN (Elman 1990): y(t) = tanh(W · [1, x(t), y(t-1)])",
    ),
    "vanilla": ArchSpec(
        "vanilla", forget="none", gate_recurrence="all",
        cell_input="logistic2", cell_output="logistic1", gradient="truncated",
        reference="Hochreiter & Schmidhuber 1997: input and output gates, g = 4σ-2, h = 2σ-1, "
                  "fully recurrent hidden layer, truncated gradient",
    ),
    "forget": ArchSpec(
        "forget", forget="gate", gate_recurrence="all",
        cell_input="logistic2", cell_output="logistic1", gradient="truncated",
        reference="Gers, Schmidhuber & Cummins 2000: the 1997 LSTM plus one forget gate per block",
    ),
    "peephole": ArchSpec(
        "peephole", forget="gate", peepholes=True, gradient="truncated",
        reference="Gers, Schraudolph & Schmidhuber 2002 / Graves 2012 §4.6: forget gate and peepholes "
                  "(input/forget gates see s(t-1), output gate sees s(t))",
    ),
    "greff_v": _GREFF_V,
    "nig": _greff("NIG", input_gate=False),
    "nfg": _greff("NFG", forget="none"),
    "nog": _greff("NOG", output_gate=False),
    "niaf": _greff("NIAF", cell_input="identity"),
    "noaf": _greff("NOAF", cell_output="identity"),
    "np": _greff("NP", peepholes=False),
    "cifg": _greff("CIFG", forget="coupled"),
    "fgr": _greff("FGR", gate_recurrence="gates"),
}


def get_spec(arch) -> ArchSpec:
    """An :class:`ArchSpec` from a preset name or a spec."""
    if isinstance(arch, ArchSpec):
        return arch
    if not isinstance(arch, str) or arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; valid presets: {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[arch]
