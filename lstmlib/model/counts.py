"""Weight counts from the equations: how many weights each unit group of a network has, term by term.

The count follows the equations of :mod:`lstmlib.model.spec` and the sizes of a
:class:`~lstmlib.model.layout.Layout`, not its masks, so that it checks them: for I inputs, O outputs,
B blocks of n cells (C = B n cells) and G gate units (B per gate the architecture has),

    cell inputs    C × ([bias] + I + C + [G if the cells see the gates])
    each gate      B × ([bias] + I + C + [G if the gates see the gates])
    peepholes      C per gate (with peepholes)
    output layer   O × ([bias] + C + [I with output_from="cells+inputs"])

``tests/test_model_counts.py`` holds the sum to :meth:`Layout.n_weights` for every preset.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layout import GATE_ROWS, Layout

GROUP_NAMES = {"cell": "cell inputs", "input_gate": "input gates", "forget_gate": "forget gates",
               "output_gate": "output gates", "peephole": "peepholes", "output": "output layer"}


@dataclass(frozen=True)
class WeightGroup:
    """One group of weights: ``units`` units, each with the ``sources`` named in ``terms`` (name -> size)."""

    group: str
    units: int
    terms: tuple  # ((source name, size), ...)

    @property
    def per_unit(self) -> int:
        return sum(size for _, size in self.terms)

    @property
    def count(self) -> int:
        return self.units * self.per_unit

    @property
    def formula(self) -> str:
        """E.g. ``"8 × (bias 1 + inputs 7 + cells 8) = 128"``."""
        inner = " + ".join(f"{name} {size}" for name, size in self.terms)
        return f"{self.units} × ({inner}) = {self.count}"


def weight_groups(layout: Layout) -> list[WeightGroup]:
    """The weight groups of one trial of ``layout``, in row order, from the sizes and the spec."""
    spec, I, C, B = layout.spec, layout.n_inputs, layout.n_cells, layout.n_blocks
    gates = [name for name, present in zip(GATE_ROWS, (spec.input_gate, spec.forget_gate, spec.output_gate))
             if present]
    G = B * len(gates)

    def sources(bias, sees_gates):
        terms = [("bias", 1)] if bias else []
        terms += [("inputs", I), ("cells", C)]
        return tuple(terms + ([("gates", G)] if sees_gates and G else []))

    groups = [WeightGroup("cell inputs", C, sources("cells" in layout.biased, spec.gate_recurrence == "all"))]
    for name in gates:
        groups.append(WeightGroup(GROUP_NAMES[name], B,
                                  sources("gates" in layout.biased, spec.gate_recurrence != "none")))
    if spec.peepholes:
        groups.append(WeightGroup("peepholes", C, (("gates", len(gates)),)))
    out = [("bias", 1)] if "outputs" in layout.biased else []
    out += [("cells", C)] + ([("inputs", I)] if layout.output_from == "cells+inputs" else [])
    groups.append(WeightGroup("output layer", layout.n_outputs, tuple(out)))
    return groups


def count_weights(layout: Layout) -> int:
    """Σ of :func:`weight_groups`: the trainable weights of one trial, from the equations."""
    return sum(g.count for g in weight_groups(layout))


def count_formula(layout: Layout) -> str:
    """The sum term by term, e.g. ``"120 + 192 + 112 = 424"``."""
    groups = weight_groups(layout)
    return " + ".join(str(g.count) for g in groups) + f" = {sum(g.count for g in groups)}"
