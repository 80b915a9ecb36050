"""Input Jacobians over a sequence (lstmlib.engines.sensitivity): exact, against finite differences, and
Hochreiter's bound against its measured error flow."""

import numpy as np
import pytest

import lstmlib
from lstmlib.engines import sensitivity as S

pytest.importorskip("torch")


@pytest.mark.parametrize("arch", ["rnn", "vanilla", "forget", "peephole"])
def test_the_input_jacobian_matches_finite_differences(arch):
    rng = np.random.default_rng(3)
    net = lstmlib.build(arch, 3, 2, 2, 1, trials=2, seed=1, output="logistic", init_range=0.6)
    x = rng.normal(size=(2, 2, 6, 3))
    J = S.input_jacobian(net, x, output_unit=1, at=4)
    eps, fd = 1e-6, np.zeros_like(J)
    for t in range(6):
        for i in range(3):
            xp, xm = x.copy(), x.copy()
            xp[:, :, t, i] += eps
            xm[:, :, t, i] -= eps
            fd[:, :, t, i] = (net.forward(xp, engine="torch")[:, :, 4, 1]
                              - net.forward(xm, engine="torch")[:, :, 4, 1]) / (2 * eps)
    assert np.abs(J).max() > 1e-4 and np.allclose(J, fd, atol=1e-8)
    assert np.all(J[:, :, 5] == 0)  # the output at step 4 cannot depend on a later input


def test_lag_sensitivity_and_the_map_are_norms_of_the_jacobian():
    rng = np.random.default_rng(4)
    net = lstmlib.build("vanilla", 2, 2, 2, 1, trials=2, seed=2, init_range=0.5)
    x = rng.normal(size=(2, 1, 5, 2))
    by_lag = S.lag_sensitivity(net, x)
    J = [S.input_jacobian(net, x, o, at=-1) for o in (0, 1)]
    expect = np.sqrt(sum((j ** 2).sum(-1) for j in J))[:, :, ::-1]
    assert np.allclose(by_lag, expect)
    shaded = S.sensitivity_map(net, x, source=1)
    for t in range(1, 5):
        Jt = [S.input_jacobian(net, x, o, at=t)[:, :, 1] for o in (0, 1)]
        assert np.allclose(shaded[:, :, t], np.sqrt(sum((j ** 2).sum(-1) for j in Jt)))
    assert np.all(shaded[:, :, 0] == 0)


@pytest.mark.parametrize("arch", ["rnn", "vanilla", "peephole"])
def test_memory_sensitivity_is_the_norm_of_the_state_jacobian(arch):
    rng = np.random.default_rng(5)
    net = lstmlib.build(arch, 3, 2, 2, 1, trials=2, seed=3, output="logistic", init_range=0.6)
    x = rng.normal(size=(2, 2, 5, 3))
    out, mem = S.memory_sensitivity(net, x, source=1)
    J = [S.input_jacobian(net, x, o, at=-1)[:, :, 1] for o in (0, 1)]
    assert np.allclose(out, np.sqrt(sum((j ** 2).sum(-1) for j in J)))
    eps, fd = 1e-6, np.zeros((2, 2, 3, 2))  # [K, B, input, memory unit]
    key = "states" if net.spec.has_memory else "cells"  # the plain RNN's memory is its units
    for i in range(3):
        xp, xm = x.copy(), x.copy()
        xp[:, :, 1, i] += eps
        xm[:, :, 1, i] -= eps
        fd[:, :, i] = (net.trace(xp)[key][:, :, -1] - net.trace(xm)[key][:, :, -1]) / (2 * eps)
    assert mem.min() > 1e-4 and np.allclose(mem, np.sqrt((fd ** 2).sum((-1, -2))), atol=1e-7)


def test_the_bound_and_the_measured_error_flow():
    q = np.arange(30)
    assert np.allclose(S.hochreiter_bound(4, 0.8, q), 4 * 0.8 ** q)
    net = S.bound_network(4, 0.8, trials=3, seed=0)
    measured = S.error_scaling(net, 30)
    assert np.allclose(measured[:, 0], 1.0)  # ∂net_u/∂net_u at lag 0
    W = net["cell.cells"]
    assert np.allclose(measured[:, 1], np.abs(W).max((1, 2)) / 4)  # one step: w_uv f'(net_v), f' = 1/4
    assert np.all(measured <= S.hochreiter_bound(4, 0.8, q) + 1e-12)
    exploding = S.error_scaling(S.bound_network(4, 8.0, trials=3, seed=0), 30)
    assert np.all(exploding[:, -1] > 1e3)  # far above 4/n the error flow grows (the fixed point's slope)


@pytest.mark.parametrize("call, match", [
    (lambda n: S.input_jacobian(n, np.zeros((1, 3, 2))), "x must have shape"),
    (lambda n: S.input_jacobian(n, np.zeros((1, 3, 3)), output_unit=2), "output_unit"),
    (lambda n: S.input_jacobian(n, np.zeros((1, 3, 3)), at=3), "at must"),
    (lambda n: S.sensitivity_map(n, np.zeros((1, 3, 3)), source=-1), "source must"),
    (lambda n: S.memory_sensitivity(n, np.zeros((1, 3, 3)), source=3), "source must"),
    (lambda n: S.error_scaling(n, 5), "bound_network"),
    (lambda n: S.hochreiter_bound(0, 1.0, 1), "n must"),
    (lambda n: S.hochreiter_bound(2, -1.0, 1), "w_max"),
    (lambda n: S.hochreiter_bound(2, 1.0, [-1]), "q must"),
])
def test_bad_arguments_are_refused(call, match):
    net = lstmlib.build("rnn", 3, 2, 2, 1)
    with pytest.raises(ValueError, match=match):
        call(net)
