"""The torch reference engine, proven right on its own: against torch.nn.LSTM and finite differences."""

import numpy as np
import pytest
import torch

from lstmlib.engines.torch_engine import run
from lstmlib.model.equations import forward
from lstmlib.model.layout import Layout, initialise
from lstmlib.model.spec import ARCHITECTURES

PARAMS = ("hidden", "peephole", "output")
PRESETS = sorted(ARCHITECTURES)
# (output activation, loss, output_from), rotated over the presets so every path is exercised.
HEADS = [("logistic", "mse", "cells"), ("softmax", "ce", "cells+inputs"),
         ("logistic", "ce", "cells"), ("linear", "mse", "cells+inputs")]


def problem(name, K=2, B=2, T=5, seed=1):
    act, loss, output_from = HEADS[PRESETS.index(name) % len(HEADS)]
    layout = Layout(ARCHITECTURES[name], n_inputs=2, n_outputs=2, n_blocks=2,
                    cells_per_block=1 if name == "rnn" else 2, output_from=output_from)
    params = initialise(layout, K, np.random.default_rng(0), 0.5, {}, np.float64)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, T + 1, size=(K, B))
    lengths[0, 0] = T
    data = dict(
        x=rng.normal(size=(K, B, T, 2)), lengths=lengths,
        target=rng.dirichlet(np.ones(2), size=(K, B, T)) if act == "softmax" else rng.uniform(size=(K, B, T, 2)),
        weights=rng.uniform(0.5, 1.5, size=(K, B, T)) * (np.arange(T) < lengths[..., None]),
    )
    return layout, params, dict(output_activation=act, loss=loss, **data)


def numeric_grads(layout, params, prob, frozen=None, h=1e-3):
    """Fourth-order central differences of every free entry at once (each perturbation is a trial).

    A plain central difference with h = 1e-6 has round-off noise ~ 1e-16·|loss|/h ≈ 1e-9 here
    (loss ≈ 5), above the 1e-9·g_max floor of the tolerance; with this stencil and h = 1e-3 the
    truncation error is O(h⁴) and the worst relative error seen is ~5e-9.
    """
    masks = layout.masks()
    entries = [(n, tuple(i)) for n in PARAMS for i in np.argwhere(masks[n] == 1)]
    M, K = len(entries), params["hidden"].shape[0]
    steps, coef = np.array([2, 1, -1, -2]) * h, np.array([-1, 8, -8, 1]) / (12 * h)
    S = len(steps)
    big = {n: np.broadcast_to(params[n], (S, M) + params[n].shape).copy() for n in PARAMS}
    for m, (n, idx) in enumerate(entries):
        for j, step in enumerate(steps):
            big[n][(j, m, slice(None)) + idx] += step
    rep = lambda a: np.broadcast_to(a, (S * M,) + a.shape).reshape((-1,) + a.shape[1:])  # noqa: E731
    args = {k: (v if k in ("output_activation", "loss") else rep(v)) for k, v in prob.items()}
    res = run(layout, {n: v.reshape((-1,) + v.shape[3:]) for n, v in big.items()}, gradient=None,
              frozen=None if frozen is None else {k: rep(v) for k, v in frozen.items()}, **args)
    return entries, np.tensordot(coef, res["loss"].reshape(S, M, K), 1)  # [M, K]


def check_against_fd(layout, params, prob, gradient):
    res = run(layout, params, gradient=gradient, return_trace=True, **prob)
    frozen = res["trace"] if gradient == "truncated" else None
    entries, num = numeric_grads(layout, params, prob, frozen)
    ana = np.array([res["grads"][n][(slice(None),) + idx] for n, idx in entries])  # [M, K]
    g_max = np.abs(num).max(axis=0)
    tol = 1e-6 * np.maximum(np.abs(num), 1e-3 * g_max)
    bad = np.abs(ana - num) > tol
    assert not bad.any(), [(entries[m], ana[m], num[m]) for m in np.unique(np.nonzero(bad)[0])][:5]
    for n in PARAMS:  # fixed zeros get no gradient
        assert np.all(res["grads"][n][:, layout.masks()[n] == 0] == 0)


@pytest.mark.parametrize("name", PRESETS)
def test_exact_gradient_matches_finite_differences(name):
    check_against_fd(*problem(name), "exact")


@pytest.mark.parametrize("name", [n for n in PRESETS if ARCHITECTURES[n].has_memory])
def test_truncated_gradient_is_exact_gradient_of_frozen_surrogate(name):
    layout, params, prob = problem(name)
    res = run(layout, params, gradient="truncated", return_trace=True, **prob)
    again = run(layout, params, gradient=None, frozen=res["trace"], **prob)  # surrogate = loss here
    np.testing.assert_allclose(again["loss"], res["loss"], rtol=1e-14)
    check_against_fd(layout, params, prob, "truncated")


@pytest.mark.parametrize("name", PRESETS)
def test_truncated_differs_from_exact_except_in_output_layer(name):
    layout, params, prob = problem(name)
    ex = run(layout, params, gradient="exact", **prob)
    tr = run(layout, params, gradient="truncated", **prob)
    np.testing.assert_array_equal(ex["loss"], tr["loss"])
    # the output layer reads the current y(t): no path through time, so both modes agree there
    np.testing.assert_allclose(tr["grads"]["output"], ex["grads"]["output"], rtol=1e-12, atol=1e-15)
    diff = np.abs(tr["grads"]["hidden"] - ex["grads"]["hidden"]).max()
    assert diff > 1e-3 * np.abs(ex["grads"]["hidden"]).max()


@pytest.mark.parametrize("name", [n for n in PRESETS if not ARCHITECTURES[n].peepholes])
def test_truncated_equals_exact_for_one_step_without_peepholes(name):
    layout, params, prob = problem(name)
    prob["lengths"] = np.ones_like(prob["lengths"])
    prob["weights"] = prob["weights"] * (np.arange(5) < 1)
    ex = run(layout, params, gradient="exact", **prob)["grads"]
    tr = run(layout, params, gradient="truncated", **prob)["grads"]
    for n in PARAMS:
        np.testing.assert_allclose(tr[n], ex[n], rtol=1e-12, atol=1e-15)


def test_matches_torch_nn_lstm():
    spec = ARCHITECTURES["forget"].replace(cell_input="tanh", cell_output="tanh", gate_recurrence="none")
    layout = Layout(spec, n_inputs=2, n_outputs=2, n_blocks=3, cells_per_block=1)
    params = initialise(layout, 1, np.random.default_rng(0), 0.5, {}, np.float64)
    rng = np.random.default_rng(2)
    B, T = 2, 6
    x, target = rng.normal(size=(1, B, T, 2)), rng.normal(size=(1, B, T, 2))
    weights = rng.uniform(0.5, 1.5, size=(1, B, T))
    res = run(layout, params, "linear", x, np.full((1, B), T), target, weights, "mse", "exact")

    W = params["hidden"][0]
    src, rows = layout.sources, layout.rows
    order = [rows[r] for r in ("input_gate", "forget_gate", "cell", "output_gate")]  # torch: i, f, g, o
    lstm = torch.nn.LSTM(2, 3, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([W[r, src["x"]] for r in order])))
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([W[r, src["cells"]] for r in order])))
        lstm.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([W[r, 0] for r in order])))
        lstm.bias_hh_l0.zero_()
    xt = torch.from_numpy(x[0])
    state, hs, cs = None, [], []
    for t in range(T):  # step by step, to see every cell state
        h, state = lstm(xt[:, t:t + 1], state)
        hs.append(h[:, 0])
        cs.append(state[1][0])
    hs, cs = torch.stack(hs, 1), torch.stack(cs, 1)
    np.testing.assert_allclose(res["cells"][0], hs.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(res["states"][0], cs.detach().numpy(), rtol=0, atol=1e-12)

    Wo = torch.from_numpy(params["output"][0])
    out = hs @ Wo[:, 1:].T + Wo[:, 0]
    np.testing.assert_allclose(res["outputs"][0], out.detach().numpy(), rtol=0, atol=1e-12)
    loss = (torch.from_numpy(weights[0]) * 0.5 * ((out - torch.from_numpy(target[0])) ** 2).sum(-1)).sum() / B
    np.testing.assert_allclose(res["loss"][0], loss.item(), rtol=1e-13)
    loss.backward()
    g = res["grads"]["hidden"][0]
    for ours, theirs in [(src["x"], lstm.weight_ih_l0.grad), (src["cells"], lstm.weight_hh_l0.grad),
                         (0, lstm.bias_ih_l0.grad)]:
        np.testing.assert_allclose(np.concatenate([g[r, ours] for r in order]), theirs.numpy(),
                                   rtol=0, atol=1e-12)


def test_padding_float32_and_bad_names():
    layout, params, prob = problem("peephole")
    res = run(layout, params, gradient="exact", **prob)
    pad = np.arange(5) >= prob["lengths"][..., None]
    assert pad.any() and np.all(res["outputs"][pad] == 0)
    prob2 = dict(prob, x=np.where(pad[..., None], 1e3, prob["x"]))  # garbage in the padding
    res2 = run(layout, params, gradient="exact", **prob2)
    np.testing.assert_array_equal(res2["loss"], res["loss"])
    for n in PARAMS:
        np.testing.assert_array_equal(res2["grads"][n], res["grads"][n])
    p32 = {n: v.astype(np.float32) for n, v in params.items()}
    r32 = run(layout, p32, gradient="exact", **prob)
    assert r32["outputs"].dtype == np.float32 and r32["grads"]["hidden"].dtype == np.float32
    np.testing.assert_allclose(r32["loss"], res["loss"], rtol=1e-5)
    for bad in [dict(output_activation="relu"), dict(loss="nll"), dict(output_activation="linear", loss="ce")]:
        with pytest.raises(ValueError):
            run(layout, params, gradient="exact", **dict(prob, **bad))
    with pytest.raises(ValueError):
        run(layout, params, gradient="bptt", **prob)


@pytest.mark.parametrize("name", PRESETS)
def test_forward_matches_unit_by_unit_loops(name):
    layout, params, prob = problem(name)
    for n in ("hidden", "peephole"):  # make every free weight matter (biases, peepholes ...)
        params[n] = params[n] + 0.3 * layout.masks()[n]
    res = run(layout, params, gradient=None, **prob)
    assert res["grads"] is None
    act, loss = prob["output_activation"], prob["loss"]
    total = np.zeros(2)
    for k in range(2):
        for b in range(2):
            L = prob["lengths"][k, b]
            ref = forward(layout, {n: p[k] for n, p in params.items()}, prob["x"][k, b, :L], act)
            for key in ("outputs", "cells", "states"):
                np.testing.assert_allclose(res[key][k, b, :L], ref[key], rtol=1e-13, atol=1e-14)
                assert np.all(res[key][k, b, L:] == 0)
            y, t = ref["outputs"], prob["target"][k, b, :L]
            if loss == "mse":
                ell = 0.5 * ((y - t) ** 2).sum(-1)
            elif act == "softmax":
                ell = -(t * np.log(y)).sum(-1)
            else:
                ell = -(t * np.log(y) + (1 - t) * np.log(1 - y)).sum(-1)
            total[k] += (prob["weights"][k, b, :L] * ell).sum() / 2  # B = 2
    np.testing.assert_allclose(res["loss"], total, rtol=1e-13)


@pytest.mark.parametrize("name", ["vanilla", "forget", "peephole", "cifg"])
def test_truncated_error_flows_back_only_through_the_cec(name):
    """An input pulse at t=0 on x_0 and a loss only at the last step: the t=0 weights from x_0
    get error in truncated mode only via s(0) -> s(T-1), i.e. cell input and input gate, never
    the output gate (o(0) reaches the future only through the cut y(0))."""
    layout, params, prob = problem(name, T=4)
    prob["lengths"][:] = 4
    prob["x"][:, :, 1:, 0] = 0.0
    prob["weights"][:] = 0.0
    prob["weights"][:, :, -1] = 1.0
    col = layout.sources["x"].start
    tr = run(layout, params, gradient="truncated", **prob)["grads"]["hidden"][:, :, col]
    ex = run(layout, params, gradient="exact", **prob)["grads"]["hidden"][:, :, col]
    rows = layout.rows
    assert np.all(tr[:, rows["output_gate"]] == 0) and np.all(ex[:, rows["output_gate"]] != 0)
    for r in ("cell", "input_gate"):
        assert np.all(np.abs(tr[:, rows[r]]) > 1e-8)
