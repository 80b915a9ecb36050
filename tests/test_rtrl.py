"""Full RTRL (lstmlib.engines.rtrl) and the numerical gradient check (lstmlib.engines.gradcheck)."""

import numpy as np
import pytest
from conftest import CASES, random_batch, small_net

import lstmlib
from lstmlib.engines.gradcheck import check_gradient, numerical_gradient
from lstmlib.engines.rtrl import rtrl_loss_and_grad, state_size


@pytest.mark.parametrize("name,out", CASES)
def test_rtrl_equals_the_exact_bptt_gradient(name, out, rng):
    net = small_net(name, output=out, loss="ce" if out == "softmax" else "mse")
    x, target, lengths, w = random_batch(rng, softmax=out == "softmax")
    loss, grads, stats = rtrl_loss_and_grad(net, x, target, lengths, w)
    l_ref, g_ref = net.loss_and_grad(x, target, lengths, w, gradient="exact")
    np.testing.assert_allclose(loss, l_ref, atol=1e-12, rtol=0)
    for p in grads:
        np.testing.assert_allclose(grads[p], g_ref[p], atol=1e-12, rtol=0, err_msg=p)
    assert stats["floats_kept"] == state_size(net.layout) * (net.n_weights + 1)


def test_rtrl_refuses_float32():
    net = lstmlib.build("vanilla", 2, 1, 1, 1, dtype="float32")
    with pytest.raises(ValueError, match="float64"):
        rtrl_loss_and_grad(net, np.zeros((1, 1, 3, 2)), np.zeros((1, 1, 1)))


@pytest.mark.parametrize("name", list(lstmlib.ARCHITECTURES))
def test_the_gradient_check_passes_for_both_modes(name, rng):
    net = small_net(name, trials=1)
    x, target, lengths, w = random_batch(rng, trials=1)
    for mode in ("exact", "truncated") if name != "rnn" else ("exact",):
        r = check_gradient(net, x, target, lengths, w, gradient=mode)
        assert r["passed"] and r["min_figures"] >= 6 and r["weights"] == net.n_weights, (name, mode)


def test_the_gradient_check_can_fail(rng):
    """The truncated gradient is not the gradient of the loss: checked against the loss itself, it fails."""
    net = small_net("vanilla", trials=1)
    x, target, lengths, w = random_batch(rng, trials=1)
    numeric = numerical_gradient(net, x, target, lengths, w, gradient="exact")
    trunc = net.loss_and_grad(x, target, lengths, w, gradient="truncated")[1]
    assert np.abs(numeric["hidden"] - trunc["hidden"]).max() > 1e-4
    with pytest.raises(ValueError, match="h must be"):
        numerical_gradient(net, x, target, lengths, w, h=0.0)
