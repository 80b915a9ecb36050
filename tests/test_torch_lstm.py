"""torch.nn.LSTM as an lstmlib network (lstmlib.engines.torch_lstm): the spec changes and the weight copy."""

import numpy as np
import pytest

import lstmlib
from lstmlib.engines.torch_lstm import nn_lstm_changes, nn_lstm_run, to_nn_lstm
from lstmlib.model.spec import ARCHITECTURES


def test_the_forget_preset_needs_tanh_and_no_gate_recurrence():
    assert nn_lstm_changes(ARCHITECTURES["forget"]) == {"gate_recurrence": "none", "cell_input": "tanh",
                                                       "cell_output": "tanh"}
    assert nn_lstm_changes(ARCHITECTURES["np"]) == {}  # Greff's NP is torch's cell
    assert nn_lstm_changes(ARCHITECTURES["peephole"]) == {"peepholes": False}


@pytest.mark.parametrize("blocks", [1, 3])
def test_the_copy_equals_the_library_forward(blocks):
    net = lstmlib.build("forget", 2, 2, blocks, 1, init_range=0.5, seed=3, cell_input="tanh", cell_output="tanh",
                        gate_recurrence="none")
    x = np.random.default_rng(0).normal(size=(4, 7, 2))
    ours = net.trace(x)
    theirs = nn_lstm_run(to_nn_lstm(net.layout, {n: p[0] for n, p in net.params.items()}), x)
    for key in ("cells", "states"):
        np.testing.assert_allclose(ours[key][0], theirs[key], rtol=0, atol=1e-12)


def test_a_spec_that_is_not_torchs_cell_is_refused():
    net = lstmlib.build("forget", 1, 1)
    with pytest.raises(ValueError, match="not torch.nn.LSTM's cell"):
        to_nn_lstm(net.layout, {n: p[0] for n, p in net.params.items()})
    net = lstmlib.build("np", 1, 1, 1, 2)
    with pytest.raises(ValueError, match="one cell per block"):
        to_nn_lstm(net.layout, {n: p[0] for n, p in net.params.items()})
    with pytest.raises(ValueError, match="one trial"):
        to_nn_lstm(lstmlib.build("np", 1, 1).layout, {"hidden": np.zeros((2, 2))})
