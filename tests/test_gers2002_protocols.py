"""Gers, Schraudolph & Schmidhuber 2002: the timing protocols and the networks they prescribe."""

import numpy as np
import pytest

from lstmlib.papers import gers2002


def test_protocols_pin_the_secondary_sources_setup():
    P = gers2002.PROTOCOLS
    for p in P.values():
        assert (p.lr, p.init_range, p.train_events, p.test_events) == (1e-5, 0.1, 100, 1000)
        assert (p.input_gate_bias, p.forget_gate_bias, p.output_gate_bias) == (0.0, -2.0, 2.0)
        assert p.paper["tag"] == "U"
    assert P["msd_F10_I0-1"].momentum == P["msd_F49_I0-1"].momentum == 0.9999
    assert P["nmsd_F10_I0-1"].momentum == 0.99 and not P["nmsd_F10_I0-1"].task.continual
    assert P["gts_F10"].momentum == 0.999 and P["pfg_cos_F10"].momentum == 0.99
    assert P["msd_F49_I0-1"].task.F == 49 and P["msd_F49_I0-1"].task.delays == (0, 1)


def test_networks_differ_only_in_their_gates():
    p = gers2002.PROTOCOLS["gts_F10"]
    weights = {a: gers2002.network_for(p, a, 1, 0).n_weights for a in gers2002.TIMING_ARCHITECTURES}
    # the paper's 17 weights: cell input 3, three gates 3 each, 3 peepholes, output 2
    assert weights == {"rnn": 19, "vanilla": 11, "forget": 14, "peephole": 17, "nfg": 13}
    for a in ("vanilla", "forget", "peephole", "nfg"):
        net = gers2002.network_for(p, a, 2, 0)
        spec = net.spec
        assert (spec.cell_input, spec.cell_output, spec.gate_recurrence) == ("identity", "identity", "none")
        assert net.layout.output_from == "cells" and net.output == "logistic"
        np.testing.assert_array_equal(net["input_gate.bias"], 0.0)
        np.testing.assert_array_equal(net["output_gate.bias"], 2.0)
        if spec.forget_gate:
            np.testing.assert_array_equal(net["forget_gate.bias"], -2.0)
    assert gers2002.network_for(gers2002.PROTOCOLS["pfg_cos_F10"], "peephole", 1, 0).output == "linear"
    nfg = gers2002.network_for(p, "nfg", 1, 0).spec
    assert nfg.peepholes and not nfg.forget_gate
    with pytest.raises(ValueError, match="unknown architecture"):
        gers2002.network_for(p, "gru", 1, 0)
