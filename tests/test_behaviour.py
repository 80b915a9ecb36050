"""What each architecture does, checked on the compiled engine: weights copied into torch.nn.LSTM,
saturated gates (PyBrain-style), peephole placement, trial independence, bad inputs."""

import numpy as np
import pytest
import torch
from conftest import random_batch, small_net

import lstmlib

BIG = 40.0  # σ(±40) is 1 and 4e-18: a gate that is fully open or closed


def test_forget_lstm_with_tanh_equals_torch_nn_lstm(rng):
    """Gers 2000 cell with tanh squashing, 1 cell per block == nn.LSTM (+ Linear) after a weight copy."""
    H, I = 3, 2
    net = lstmlib.build("forget", I, 1, H, 1, cell_input="tanh", cell_output="tanh", gate_recurrence="none",
                        init_range=0.5, seed=7)
    lstm, lin = torch.nn.LSTM(I, H, batch_first=True).double(), torch.nn.Linear(H, 1).double()
    W = net.params["hidden"][0]
    rows = net.layout.rows
    order = [rows["input_gate"], rows["forget_gate"], rows["cell"], rows["output_gate"]]  # torch: i, f, g, o
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(np.concatenate([W[r, 1:1 + I] for r in order])))
        lstm.weight_hh_l0.copy_(torch.tensor(np.concatenate([W[r, 1 + I:] for r in order])))
        lstm.bias_ih_l0.copy_(torch.tensor(np.concatenate([W[r, 0] for r in order])))
        lstm.bias_hh_l0.zero_()
        lin.weight.copy_(torch.tensor(net.params["output"][0, :, 1:]))
        lin.bias.copy_(torch.tensor(net.params["output"][0, :, 0]))
    x = rng.normal(size=(4, 7, I))
    target = rng.normal(size=(4, 7, 1))
    tr = net.trace(x)
    h_torch, (_, c_last) = lstm(torch.tensor(x))
    y_torch = lin(h_torch)
    np.testing.assert_allclose(tr["cells"][0], h_torch.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(tr["states"][0, :, -1], c_last[0].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(tr["outputs"][0], y_torch.detach().numpy(), atol=1e-12)
    loss, grads = net.loss_and_grad(x, target, loss_at="every", gradient="exact")
    torch_loss = 0.5 * ((y_torch - torch.tensor(target)) ** 2).sum() / 4  # batch mean of Σ_t ½‖·‖²
    torch_loss.backward()
    np.testing.assert_allclose(loss[0], torch_loss.item(), rtol=1e-12)
    g = grads["hidden"][0]
    np.testing.assert_allclose(np.concatenate([g[r, 1:1 + I] for r in order]), lstm.weight_ih_l0.grad.numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(np.concatenate([g[r, 1 + I:] for r in order]), lstm.weight_hh_l0.grad.numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(np.concatenate([g[r, 0] for r in order]), lstm.bias_ih_l0.grad.numpy(), atol=1e-12)


def gate_driven_net(name, **kw):
    """One block, one cell, no recurrence in use: input 0 drives the cell input (weight 1), input 1
    closes the input gate, input 2 closes the forget gate.  All other weights 0."""
    net = lstmlib.build(name, 3, 1, 1, 1, init_range=0.0, **kw)
    net["cell.x"] = [[1.0, 0.0, 0.0]]
    net["input_gate.bias"] = BIG
    net["input_gate.x"] = [[0.0, -2 * BIG, 0.0]]
    net["output_gate.bias"] = BIG
    if "forget_gate.bias" in net.parameter_names():
        net["forget_gate.bias"] = BIG
        net["forget_gate.x"] = [[0.0, 0.0, -2 * BIG]]
    return net


def test_vanilla_state_accumulates_and_never_decays(rng):
    net = gate_driven_net("vanilla")
    T = 30
    x = np.zeros((1, T, 3))
    x[0, :10, 0] = rng.uniform(-3, 3, size=10)  # write for 10 steps
    x[0, 10:, 1] = 1.0  # then close the input gate
    x[0, 10:, 0] = rng.uniform(-3, 3, size=T - 10)  # inputs that must not get in
    s = net.trace(x)["states"][0, 0, :, 0]
    g = 4 / (1 + np.exp(-x[0, :10, 0])) - 2
    np.testing.assert_allclose(s[:10], np.cumsum(g), atol=1e-12)  # s(t) = s(t-1) + g: no decay
    np.testing.assert_allclose(s[10:], s[9], atol=1e-12)  # gate closed: the state is held exactly
    y = net.trace(x)["cells"][0, 0, :, 0]
    np.testing.assert_allclose(y, 2 / (1 + np.exp(-s)) - 1, atol=1e-12)  # y = o h(s), o = 1


def test_closed_forget_gate_clears_the_state(rng):
    net = gate_driven_net("forget")
    x = np.zeros((1, 12, 3))
    x[0, :5, 0] = 2.0
    x[0, 5, 2] = 1.0  # close the forget gate once ...
    x[0, 5, 1] = 1.0  # ... with the input gate closed too
    s = net.trace(x)["states"][0, 0, :, 0]
    assert s[4] > 4  # it had accumulated
    assert abs(s[5]) < 1e-15  # cleared
    np.testing.assert_allclose(s[6:], 0.0, atol=1e-15)  # and nothing is written afterwards
    # with the forget gate held open, the forget LSTM keeps the state like the 1997 one
    x[0, 5, 2] = 0.0
    s_open = net.trace(x)["states"][0, 0, :, 0]
    np.testing.assert_allclose(s_open[5:], s_open[4], atol=1e-12)


@pytest.mark.parametrize("gate,row", [("input_gate", 0), ("forget_gate", 1), ("output_gate", 2)])
def test_each_peephole_acts_exactly_where_the_equations_say(gate, row, rng):
    """Only one peephole weight is non-zero: its gate sees s(t-1) (input, forget) or s(t) (output);
    the other gates see nothing of the state."""
    net = lstmlib.build("peephole", 1, 1, 1, 1, init_range=0.0)
    net["cell.x"] = [[1.0]]
    net["input_gate.bias"] = 0.3
    net["forget_gate.bias"] = 1.0
    net["output_gate.bias"] = -0.2
    net[f"{gate}.peephole"] = [[0.7]]
    x = rng.uniform(-2, 2, size=(1, 15, 1))
    tr = net.trace(x)
    s = tr["states"][0, 0, :, 0]
    s_prev = np.concatenate([[0.0], s[:-1]])
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    bias = {"input_gate": 0.3, "forget_gate": 1.0, "output_gate": -0.2}
    for name in bias:
        seen = (s if name == "output_gate" else s_prev) * (0.7 if name == gate else 0.0)
        np.testing.assert_allclose(tr[name][0, 0, :, 0], sig(bias[name] + seen), atol=1e-14, err_msg=name)
    i, f = tr["input_gate"][0, 0, :, 0], tr["forget_gate"][0, 0, :, 0]
    np.testing.assert_allclose(s, f * s_prev + i * np.tanh(x[0, :, 0]), atol=1e-14)


def test_trial_k_equals_a_one_trial_network(rng):
    for name in ("vanilla", "peephole", "fgr"):
        net = small_net(name, trials=4)
        x, target, lengths, w = random_batch(rng, trials=4)
        y = net.forward(x, lengths)
        loss, grads = net.loss_and_grad(x, target, lengths, w, gradient="exact")
        for k in range(4):
            one = net.trial(k)
            y1 = one.forward(x[k:k + 1], lengths[k:k + 1])
            l1, g1 = one.loss_and_grad(x[k:k + 1], target[k:k + 1], lengths[k:k + 1], w[k:k + 1],
                                       gradient="exact")
            np.testing.assert_array_equal(y1[0], y[k])
            np.testing.assert_allclose(l1[0], loss[k], rtol=1e-14)
            for p in grads:
                np.testing.assert_allclose(g1[p][0], grads[p][k], rtol=1e-13, atol=1e-15)


def test_weight_counts_match_the_papers():
    # H&S 1997 adding problem: 2 inputs, 2 blocks x 2 cells, all non-input units biased -> 93 weights
    assert lstmlib.build("vanilla", 2, 1, 2, 2).n_weights == 93
    # Exp. 3: 1 input, 3 blocks of 1 cell, only hidden units biased -> 102 weights
    assert lstmlib.build("vanilla", 1, 1, 3, 1, biased=("cells", "gates")).n_weights == 102
    # Exp. 1: 7 in / 7 out, 4 blocks x 1 (264 weights), 3 blocks x 2 (276), only gates biased
    assert lstmlib.build("vanilla", 7, 7, 4, 1, biased="gates").n_weights == 264
    assert lstmlib.build("vanilla", 7, 7, 3, 2, biased="gates").n_weights == 276
    # Gers 2002 timing net: 1-1-1 peephole block, 17 weights
    assert lstmlib.build("peephole", 1, 1, 1, 1).n_weights == 17


def test_gate_bias_initialisation_per_block():
    net = lstmlib.build("vanilla", 2, 1, 2, 2, input_gate_bias=(-3, -6), seed=1)
    np.testing.assert_array_equal(net["input_gate.bias"][0, :, 0], [-3, -6])
    assert np.all(np.abs(net["output_gate.bias"]) <= 0.1)
    net = lstmlib.build("forget", 2, 1, 3, 1, forget_gate_bias=np.linspace(0.5, 2, 3))
    np.testing.assert_allclose(net["forget_gate.bias"][0, :, 0], [0.5, 1.25, 2.0])


def test_same_seed_same_numbers(rng):
    a = small_net("peephole", seed=5)
    b = small_net("peephole", seed=5)
    c = small_net("peephole", seed=6)
    for p in a.params:
        np.testing.assert_array_equal(a.params[p], b.params[p])
    assert not np.array_equal(a.params["hidden"], c.params["hidden"])


@pytest.mark.parametrize("call,match", [
    (lambda: lstmlib.build("lstm97", 2, 1), "valid presets"),
    (lambda: lstmlib.build("vanilla", 0, 1), "n_inputs"),
    (lambda: lstmlib.build("vanilla", 2, 1, n_blocks=0), "n_blocks"),
    (lambda: lstmlib.build("vanilla", 2, 1, cells_per_block=1.5), "cells_per_block"),
    (lambda: lstmlib.build("vanilla", 2, 1, trials=0), "trials"),
    (lambda: lstmlib.build("vanilla", 2, 1, output="relu"), "output activation"),
    (lambda: lstmlib.build("vanilla", 2, 1, loss="ce"), "linear"),
    (lambda: lstmlib.build("vanilla", 2, 1, cell_input="relu"), "valid choices"),
    (lambda: lstmlib.build("vanilla", 2, 1, forget="sometimes"), "valid choices"),
    (lambda: lstmlib.build("vanilla", 2, 1, colour="red"), "unknown spec field"),
    (lambda: lstmlib.build("vanilla", 2, 1, biased=("everything",)), "biased"),
    (lambda: lstmlib.build("vanilla", 2, 1, n_blocks=2, input_gate_bias=(1, 2, 3)), "one value per block"),
    (lambda: lstmlib.build("vanilla", 2, 1, forget_gate_bias=1.0), "no forget_gate"),
    (lambda: lstmlib.build("vanilla", 2, 1, dtype="float16"), "dtype"),
])
def test_bad_construction_raises_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_data_raises_before_any_work(rng):
    net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=2)
    x = rng.normal(size=(2, 3, 10, 2))
    with pytest.raises(ValueError, match="x must have shape"):
        net.forward(rng.normal(size=(2, 3, 10, 3)))
    with pytest.raises(ValueError, match="x must have shape"):
        net.forward(rng.normal(size=(3, 3, 10, 2)))
    with pytest.raises(ValueError, match="lengths must lie in"):
        net.forward(x, lengths=np.full((2, 3), 11))
    with pytest.raises(ValueError, match="lengths must lie in"):
        net.forward(x, lengths=np.zeros((2, 3), int))
    with pytest.raises(ValueError, match="target must have shape"):
        net.loss_and_grad(x, np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="unknown loss_at"):
        net.loss_and_grad(x, np.zeros((2, 3, 10, 1)), loss_at="middle")
    with pytest.raises(ValueError, match="past each sequence"):
        net.loss_and_grad(x, np.zeros((2, 3, 10, 1)), lengths=np.full((2, 3), 5), loss_at=np.ones((2, 3, 10)))
    with pytest.raises(ValueError, match="valid"):
        net.loss_and_grad(x, np.zeros((2, 3, 1)), gradient="approximate")
    with pytest.raises(ValueError, match="engine"):
        net.forward(x, engine="jax")
    with pytest.raises(ValueError, match="unknown parameter"):
        net["input_gate.peephole"]
    with pytest.raises(ValueError, match="no connection"):
        lstmlib.Network(net.layout, {**net.params, "peephole": np.ones_like(net.params["peephole"])})
    with pytest.raises(ValueError, match="truncated gradient needs a cell state"):
        lstmlib.build("rnn", 2, 1, 4).loss_and_grad(x[:1], np.zeros((1, 3, 1)), gradient="truncated")
