"""Architecture specs: one declarative description drives every variant.

A memory block has ``cells_per_block`` cells that share one input gate, one forget gate and one
output gate.  For every cell ``c`` of block ``b`` at step ``t`` (sources ``u(t)`` are the bias,
the external input ``x(t)``, the cell outputs ``y(t-1)`` and, where ``gate_recurrence`` says so,
the gate activations at ``t-1``):

    net_z[c]  = W_z[c] · u(t)                                   cell input      z = g(net_z)
    net_i[b]  = W_i[b] · u(t) + Σ_{c∈b} p_i[c] s[c](t-1)          input gate      i = σ(net_i)   (1 if no input gate)
    net_f[b]  = W_f[b] · u(t) + Σ_{c∈b} p_f[c] s[c](t-1)          forget gate     f = σ(net_f)   (see ``forget``)
    s[c](t)   = f[b] · s[c](t-1) + i[b] · z[c]                     cell state (the constant error carousel)
    net_o[b]  = W_o[b] · u(t) + Σ_{c∈b} p_o[c] s[c](t)            output gate     o = σ(net_o)   (1 if no output gate)
    y[c](t)   = o[b] · h(s[c](t))                                 cell output
    out(t)    = f_out(W_out · [1, y(t), x(t)?])                   output layer, reads the *current* y (H&S97 §5)

``forget`` chooses the forget factor: ``"none"`` f = 1 (H&S 1997: the CEC never decays),
``"gate"`` a learned gate (Gers et al. 2000), ``"coupled"`` f = 1 - i (Greff's CIFG) and
``"zero"`` f = 0, which with no gates and h = identity is the plain (Elman) RNN y = g(W · u).
Peepholes (Gers et al. 2002) are one weight per cell per gate; input and forget gates peep at
s(t-1), the output gate at s(t).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

#: Squashing functions by name (σ is the logistic function).  ``logistic2``/``logistic1`` are the
#: 1997 paper's g(x) = 4σ(x) - 2 ∈ [-2, 2] and h(x) = 2σ(x) - 1 ∈ [-1, 1].
SQUASHES = {
    "tanh": "tanh(x) ∈ [-1, 1]",
    "logistic": "σ(x) ∈ [0, 1]",
    "logistic2": "4σ(x) - 2 ∈ [-2, 2]  (H&S 1997 cell input g)",
    "logistic1": "2σ(x) - 1 ∈ [-1, 1]  (H&S 1997 cell output h)",
    "identity": "x",
}
FORGET_MODES = {
    "none": "no forget gate: f = 1 (the 1997 CEC)",
    "gate": "learned forget gate (Gers et al. 2000)",
    "coupled": "forget gate coupled to the input gate: f = 1 - i (CIFG)",
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
    """The equations of one architecture (sizes and initialisation are chosen in :func:`build`)."""

    name: str
    input_gate: bool = True
    forget: str = "gate"
    output_gate: bool = True
    peepholes: bool = False
    gate_recurrence: str = "none"
    cell_input: str = "tanh"  # g
    cell_output: str = "tanh"  # h
    gradient: str = "exact"  # default gradient mode of this architecture
    reference: str = ""

    def __post_init__(self):
        _check_choice("forget", self.forget, FORGET_MODES)
        _check_choice("gate_recurrence", self.gate_recurrence, GATE_RECURRENCE)
        _check_choice("cell_input", self.cell_input, SQUASHES)
        _check_choice("cell_output", self.cell_output, SQUASHES)
        _check_choice("gradient", self.gradient, GRADIENTS)
        if self.forget == "coupled" and not self.input_gate:
            raise ValueError("forget='coupled' (f = 1 - i) needs an input gate")
        if self.peepholes and not self.has_gates:
            raise ValueError("peepholes need at least one gate")
        if self.gate_recurrence != "none" and not self.has_gates:
            raise ValueError("gate_recurrence needs at least one gate")

    @property
    def forget_gate(self) -> bool:
        """Whether there is a forget-gate unit with its own weights."""
        return self.forget == "gate"

    @property
    def has_gates(self) -> bool:
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


def _check_choice(what, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; valid choices: {sorted(choices)}")


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
