"""forget="decay": a fixed forget factor f = state_decay (Gers et al. 2000's "LSTM with state decay").
Every engine computes it as the reference equations do, the gradients agree with each other and with
the numerical gradient, and the spec refuses what it cannot carry."""

import numpy as np
import pytest
from conftest import random_batch

import lstmlib
from lstmlib.engines import compiled, kernels, torch_engine
from lstmlib.engines.gradcheck import check_gradient
from lstmlib.engines.rtrl import rtrl_loss_and_grad
from lstmlib.model.equations import backward, forward

DECAY = dict(forget="decay", state_decay=0.9)


def decay_net(trials=2, output="logistic", **kw):
    net = lstmlib.build("vanilla", 2, 2, 2, 2, trials=trials, output=output, init_range=0.5, seed=4, **DECAY, **kw)
    for n in ("hidden", "peephole"):  # make every free weight matter
        net.params[n] += 0.3 * net.layout.masks()[n]
    return net


def test_the_state_decays_by_the_factor_where_the_input_gate_is_shut():
    """One cell, input gate pinned near 0 after a first write: s(t) = 0.9 s(t-1) step after step."""
    net = lstmlib.build("vanilla", 1, 1, 1, 1, init_range=0.0, **DECAY)
    assert "forget_gate" not in net.layout.rows and net.spec.fixed_forget(0.3) == 0.9
    net["input_gate.bias"] = [[-60.0]]  # i = σ(-60 + 120 x): 1 at x = 1, 0 at x = 0
    net["input_gate.x"] = [[120.0]]
    net["cell.x"] = [[50.0]]  # g saturates at 2
    x = np.zeros((1, 1, 8, 1))
    x[0, 0, 0, 0] = 1.0
    states = net.trace(x)["states"][0, 0, :, 0]
    np.testing.assert_allclose(states, 2.0 * 0.9 ** np.arange(8), rtol=1e-12)


@pytest.mark.parametrize("output_from", ["cells", "cells+inputs"])
def test_the_reference_equations_match_both_engines(output_from):
    net = decay_net(output_from=output_from)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 7, 2))
    lengths = np.full((2, 3), 7)
    trace = net.trace(x, lengths)
    by_torch = torch_engine.run(net.layout, net.params, net.output, x, lengths, np.zeros((2, 3, 7, 2)),
                                np.ones((2, 3, 7)), net.loss, None)
    for k in range(2):
        for b in range(3):
            ref = forward(net.layout, {n: p[k] for n, p in net.params.items()}, x[k, b], net.output)
            for key in ("outputs", "states", "cells"):
                np.testing.assert_allclose(trace[key][k, b], ref[key], rtol=0, atol=1e-12, err_msg=key)
                np.testing.assert_allclose(by_torch[key][k, b], ref[key], rtol=0, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("gradient", ["exact", "truncated"])
def test_the_reference_backward_matches_both_engines(gradient):
    net = decay_net(output_from="cells+inputs")
    rng = np.random.default_rng(1)
    x, target, weights = rng.normal(size=(3, 6, 2)), rng.uniform(size=(3, 6, 2)), rng.uniform(0.5, 1.5, size=(3, 6))
    for engine in ("numba", "torch"):
        losses, grads = net.loss_and_grad(x, target, loss_at=weights, gradient=gradient, engine=engine)
        for k in range(2):
            params = {n: p[k] for n, p in net.params.items()}
            refs = [backward(net.layout, params, x[b], target[b], weights[b], net.output, net.loss, gradient)
                    for b in range(3)]
            assert np.isclose(sum(r["loss"] for r in refs) / 3, losses[k], rtol=1e-13, atol=0)
            for n in grads:
                np.testing.assert_allclose(sum(r[n] for r in refs) / 3, grads[n][k], rtol=0, atol=1e-12,
                                           err_msg=f"{engine} {n}")


def test_rtrl_and_the_numerical_gradient_agree_with_bptt(rng):
    net = decay_net()
    x, target, lengths, w = random_batch(rng)
    loss, grads, _ = rtrl_loss_and_grad(net, x, target, lengths, w)
    l_ref, g_ref = net.loss_and_grad(x, target, lengths, w, gradient="exact")
    np.testing.assert_allclose(loss, l_ref, atol=1e-12, rtol=0)
    for p in grads:
        np.testing.assert_allclose(grads[p], g_ref[p], atol=1e-12, rtol=0, err_msg=p)
    one = decay_net(trials=1)
    for mode in ("exact", "truncated"):
        r = check_gradient(one, *random_batch(rng, trials=1), gradient=mode)
        assert r["passed"] and r["min_figures"] >= 6, mode


def test_the_online_gradient_is_the_truncated_bptt_gradient():
    """update=False from a reset: the online learner's summed RTRL gradient is the engine's truncated one."""
    net = decay_net(trials=3)
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(3, 14, 2)), rng.uniform(size=(3, 14, 2))
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(0.1))
    learner.run(x, y, update=False)
    _, grads = net.loss_and_grad(x[:, None], y[:, None], loss_at="every", gradient="truncated")
    for p in grads:
        np.testing.assert_allclose(learner.gradient[p], grads[p], rtol=0, atol=1e-10, err_msg=p)


def test_the_configuration_carries_the_factor_in_millionths():
    cfg = compiled.network_config(decay_net())
    assert cfg[kernels.FORGET] == kernels.FORGET_DECAY and cfg[kernels.DECAY_PPM] == 900_000
    assert compiled.network_config(lstmlib.build("vanilla", 2, 2))[kernels.DECAY_PPM] == 0


@pytest.mark.parametrize("changes,match", [
    (dict(forget="decay"), "state_decay goes with forget='decay'"),
    (dict(state_decay=0.9), "state_decay goes with forget='decay'"),
    (dict(forget="decay", state_decay=1.0), r"in \(0, 1\)"),
    (dict(forget="decay", state_decay=0.0), r"in \(0, 1\)"),
    (dict(forget="decay", state_decay=0.9 + 1e-9), "millionths"),
])
def test_the_spec_refuses_what_it_cannot_carry(changes, match):
    with pytest.raises(ValueError, match=match):
        lstmlib.ARCHITECTURES["vanilla"].replace(**changes)
