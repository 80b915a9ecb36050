"""The weight count from the equations (lstmlib.model.counts) against the layout's masks."""

import itertools

import pytest

from lstmlib.model.counts import count_formula, count_weights, weight_groups
from lstmlib.model.layout import BIASABLE, OUTPUT_SOURCES, Layout
from lstmlib.model.spec import ARCHITECTURES


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_the_count_from_the_equations_equals_the_layouts_free_weights(name):
    spec = ARCHITECTURES[name]
    for peepholes, output_from, n_biased in itertools.product(sorted({spec.peepholes, spec.has_gates}),
                                                               OUTPUT_SOURCES, range(4)):
        for biased in itertools.combinations(BIASABLE, n_biased):
            layout = Layout(spec.replace(peepholes=peepholes), 3, 2, 2, 3, output_from, biased)
            assert count_weights(layout) == layout.n_weights(), (name, peepholes, output_from, biased)


def test_the_cerg_network_of_gers_2000_term_by_term():
    """4 blocks of 2 cells, 7 inputs and outputs, gates and outputs biased, outputs also read the inputs."""
    spec = ARCHITECTURES["forget"].replace(gate_recurrence="none")
    layout = Layout(spec, 7, 7, 4, 2, "cells+inputs", ("gates", "outputs"))
    groups = weight_groups(layout)
    assert [g.group for g in groups] == ["cell inputs", "input gates", "forget gates", "output gates", "output layer"]
    assert groups[0].formula == "8 × (inputs 7 + cells 8) = 120"
    assert groups[1].formula == "4 × (bias 1 + inputs 7 + cells 8) = 64"
    assert groups[-1].formula == "7 × (bias 1 + cells 8 + inputs 7) = 112"
    assert count_formula(layout) == "120 + 64 + 64 + 64 + 112 = 424"


def test_gate_recurrence_and_peepholes_are_counted():
    vanilla = Layout(ARCHITECTURES["vanilla"], 7, 7, 4, 1, "cells", ("gates",))  # H&S 1997 Exp. 1, 4 × 1
    assert [g.count for g in weight_groups(vanilla)] == [76, 80, 80, 28] and count_weights(vanilla) == 264
    fgr = Layout(ARCHITECTURES["fgr"], 1, 1, 1, 1)  # Greff's FGR: only the gates see the gates
    assert [g.per_unit for g in weight_groups(fgr)] == [3, 6, 6, 6, 3, 2]
    assert count_weights(fgr) == fgr.n_weights() == 26
