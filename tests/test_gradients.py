"""The compiled engine's gradients: finite differences, the 1997 RTRL recursions, and the torch engine."""

import numpy as np
import pytest
from conftest import CASES, random_batch, small_net

import lstmlib
from lstmlib.engines import torch_engine

PACKED = ("hidden", "peephole", "output")


def assert_matches_numeric(analytic, numeric_fn, net):
    """RNNLIB-style check: |analytic - numeric| <= 1e-6 max(|numeric|, 1e-3 g_max) for every free weight."""
    masks = net.layout.masks()
    g_max = max(np.abs(analytic[p]).max() for p in PACKED)
    assert g_max > 0
    checked = 0
    for p in PACKED:
        for idx in zip(*np.nonzero(masks[p])):
            for k in range(net.trials):
                numeric = numeric_fn(p, (k,) + idx, k)
                a = analytic[p][(k,) + idx]
                assert abs(a - numeric) <= 1e-6 * max(abs(numeric), 1e-3 * g_max), (p, idx, k, a, numeric)
                checked += 1
    assert checked == net.n_weights * net.trials


def central_difference(loss_fn, net, h=1e-5):
    def numeric(p, index, k):
        old = net.params[p][index]
        net.params[p][index] = old + h
        plus = loss_fn()[k]
        net.params[p][index] = old - h
        minus = loss_fn()[k]
        net.params[p][index] = old
        return (plus - minus) / (2 * h)
    return numeric


@pytest.mark.parametrize("name,out", CASES)
def test_exact_gradient_matches_finite_differences(name, out, rng):
    net = small_net(name, output=out, loss="ce" if out == "softmax" else "mse")
    x, target, lengths, w = random_batch(rng, softmax=out == "softmax")
    loss, grads = net.loss_and_grad(x, target, lengths, w, gradient="exact")
    fn = lambda: net.loss_and_grad(x, target, lengths, w, gradient="exact")[0]  # noqa: E731
    assert_matches_numeric(grads, central_difference(fn, net), net)


@pytest.mark.parametrize("name", [n for n in lstmlib.ARCHITECTURES if n != "rnn"])
def test_truncated_gradient_matches_finite_differences_of_the_frozen_surrogate(name, rng):
    """The truncated gradient is the exact gradient of the loss with every quantity the truncation
    cuts (y(t-1), gates(t-1) and peephole inputs) frozen at its value: difference that surrogate."""
    net = small_net(name)
    x, target, lengths, w = random_batch(rng)
    b = net.batch(x, target, lengths, w)
    loss, grads = net.loss_and_grad(x, target, lengths, w, gradient="truncated")
    frozen = torch_engine.run(net.layout, net.params, net.output, b.x, b.lengths, b.target, b.weights,
                              net.loss, "truncated", return_trace=True)["trace"]

    def surrogate():
        return torch_engine.run(net.layout, net.params, net.output, b.x, b.lengths, b.target, b.weights,
                                net.loss, None, frozen=frozen)["loss"]
    np.testing.assert_allclose(surrogate(), loss, rtol=1e-12)
    assert_matches_numeric(grads, central_difference(surrogate, net), net)


def test_truncated_and_exact_gradients_differ(rng):
    for name in ("vanilla", "forget", "peephole"):
        net = small_net(name)
        x, target, lengths, w = random_batch(rng)
        g_exact = net.loss_and_grad(x, target, lengths, w, gradient="exact")[1]
        g_trunc = net.loss_and_grad(x, target, lengths, w, gradient="truncated")[1]
        assert np.abs(g_exact["hidden"] - g_trunc["hidden"]).max() > 1e-4
        # the output layer sees no recurrence: identical in both modes
        np.testing.assert_allclose(g_exact["output"], g_trunc["output"], atol=1e-14)


@pytest.mark.parametrize("name,out", CASES)
@pytest.mark.parametrize("gradient", ["exact", "truncated"])
def test_compiled_and_torch_engines_agree(name, out, gradient, rng):
    if gradient == "truncated" and name == "rnn":
        pytest.skip("the plain RNN has no cell state to truncate through")
    net = small_net(name, output=out, loss="ce" if out == "softmax" else "mse", trials=3)
    x, target, lengths, w = random_batch(rng, trials=3, T=9, softmax=out == "softmax")
    y_numba = net.forward(x, lengths)
    y_torch = net.forward(x, lengths, engine="torch")
    np.testing.assert_allclose(y_numba, y_torch, atol=1e-10, rtol=0)
    l_numba, g_numba = net.loss_and_grad(x, target, lengths, w, gradient=gradient)
    l_torch, g_torch = net.loss_and_grad(x, target, lengths, w, gradient=gradient, engine="torch")
    np.testing.assert_allclose(l_numba, l_torch, atol=1e-10, rtol=0)
    for p in PACKED:
        np.testing.assert_allclose(g_numba[p], g_torch[p], atol=1e-10, rtol=0, err_msg=p)


def test_truncated_gradient_equals_the_papers_rtrl_recursions(rng):
    """H&S 1997 App. A.1, eqs. (19)-(28), written out for a vanilla net (2 blocks x 2 cells, fully
    recurrent hidden layer, g = 4σ-2, h = 2σ-1), error injected at every step."""
    net = lstmlib.build("vanilla", 2, 1, 2, 2, init_range=0.5, output="logistic", seed=3)
    L = net.layout
    T = 12
    x = rng.normal(size=(T, 2))
    target = rng.uniform(size=(T, 1))
    W, Wout = net.params["hidden"][0], net.params["output"][0]
    C, rows_in, rows_out = L.n_cells, L.rows["input_gate"], L.rows["output_gate"]
    blk = np.arange(C) // L.cells_per_block
    f = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    g = lambda v: 4 * f(v) - 2  # noqa: E731
    h = lambda v: 2 * f(v) - 1  # noqa: E731
    s = np.zeros(C)
    y_prev, gates_prev = np.zeros(C), np.zeros(L.n_gate_units)
    ds_dwc = np.zeros((C, L.n_sources))  # eq. (27): ∂s_c/∂w_{c,m}
    ds_dwin = np.zeros((C, L.n_sources))  # eq. (25): ∂s_c/∂w_{in_j,m} for the cell's own block
    grad = np.zeros_like(W)
    grad_out = np.zeros_like(Wout)
    for t in range(T):
        u = np.concatenate([[1.0], x[t], y_prev, gates_prev])  # y^m(t-1) of the paper
        net_in = W[rows_in] @ u
        net_out = W[rows_out] @ u
        net_c = W[:C] @ u
        y_in, y_out = f(net_in), f(net_out)
        ds_dwc = ds_dwc + (0.25 * (2 + g(net_c)) * (2 - g(net_c)) * y_in[blk])[:, None] * u  # g' via g
        ds_dwin = ds_dwin + (g(net_c) * (y_in * (1 - y_in))[blk])[:, None] * u
        s = s + y_in[blk] * g(net_c)
        y_c = y_out[blk] * h(s)
        y_k = f(Wout @ np.concatenate([[1.0], y_c]))
        e_k = (y_k - target[t]) * y_k * (1 - y_k)  # (19), as dE/dnet_k for E = ½(y - t)²
        grad_out += np.outer(e_k, np.concatenate([[1.0], y_c]))
        back = Wout[:, 1:].T @ e_k  # Σ_k w_kc e_k
        e_out = y_out * (1 - y_out) * np.bincount(blk, h(s) * back)  # (21)
        grad[rows_out] += np.outer(e_out, u)  # (22)
        e_s = y_out[blk] * 0.5 * (1 + h(s)) * (1 - h(s)) * back  # (23)
        grad[:C] += e_s[:, None] * ds_dwc  # (28)
        for b in range(L.n_blocks):  # (26): the block's cells share the input gate
            grad[rows_in.start + b] += (e_s[blk == b, None] * ds_dwin[blk == b]).sum(0)
        y_prev, gates_prev = y_c, np.concatenate([y_in, y_out])
    loss, grads = net.loss_and_grad(x[None], target[None], loss_at="every", gradient="truncated")
    np.testing.assert_allclose(grads["hidden"][0], grad, atol=1e-13, rtol=0)
    np.testing.assert_allclose(grads["output"][0], grad_out, atol=1e-13, rtol=0)
