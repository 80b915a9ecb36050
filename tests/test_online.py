"""The online RTRL learner: its summed gradient is the engine's truncated BPTT gradient, its updates
are per step (checked against a numpy reference), and its stream controls behave."""

import numpy as np
import pytest

from conftest import peephole_step_gradient, sigma

import lstmlib
from lstmlib.engines import kernels
from lstmlib.engines import online

PACKED = ("hidden", "peephole", "output")


def stream(rng, K, T, n_in, n_out, zeros=True):
    x = rng.normal(size=(K, T, n_in))
    y = rng.uniform(size=(K, T, n_out))
    w = rng.uniform(0.2, 1.0, size=(K, T))
    if zeros:
        w[rng.uniform(size=(K, T)) < 0.3] = 0.0
    return x, y, w


def assert_grads_equal(a, b, tol=1e-10):
    g_max = max(np.abs(b[p]).max() for p in PACKED)
    assert g_max > 1e-3
    for p in PACKED:
        diff = np.abs(a[p] - b[p]).max()
        assert diff <= tol * g_max and diff <= tol, (p, diff, g_max)


GRADIENT_CASES = [
    ("vanilla", dict(n_blocks=2, cells_per_block=3, output="logistic")),  # gate_recurrence="all", f = 1
    ("forget", dict(n_blocks=2, cells_per_block=2, output="linear")),
    ("peephole", dict(n_blocks=2, cells_per_block=2, output="logistic", output_from="cells+inputs")),
    ("peephole", dict(n_blocks=1, cells_per_block=1, output="logistic", cell_input="identity",
                      cell_output="identity")),  # the Gers 2002 17-weight net
    ("peephole", dict(n_blocks=2, cells_per_block=2, output="softmax", loss="ce")),
    ("cifg", dict(n_blocks=2, cells_per_block=2, output="linear")),  # coupled f = 1 - i
    ("fgr", dict(n_blocks=2, cells_per_block=2, output="logistic", biased=("gates", "outputs"))),
    ("nog", dict(n_blocks=2, cells_per_block=2, output="logistic")),
    ("nig", dict(n_blocks=2, cells_per_block=2, output="logistic")),
]


@pytest.mark.parametrize("name,kw", GRADIENT_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(GRADIENT_CASES)])
def test_accumulated_online_gradient_equals_truncated_bptt(name, kw):
    """update=False, state reset at the start: Σ_t of the RTRL gradient = loss_and_grad(truncated), batch 1."""
    rng = np.random.default_rng(7)
    K, T, n_in = 3, 14, 2
    n_out = 1 if kw.get("cells_per_block") == 1 else 2
    net = lstmlib.build(name, n_in, n_out, trials=K, init_range=0.5, seed=3, **kw)
    x, y, w = stream(rng, K, T, n_in, n_out)
    if net.output == "softmax":
        y /= y.sum(-1, keepdims=True)
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(0.1))
    before = {p: net.params[p].copy() for p in PACKED}
    r = learner.run(x, y, w, update=False)
    loss, grads = net.loss_and_grad(x[:, None], y[:, None], loss_at=w[:, None], gradient="truncated")
    assert_grads_equal(learner.gradient, grads)
    np.testing.assert_allclose(r.loss.sum(axis=1), loss, rtol=1e-12)
    for p in PACKED:  # no update happened
        np.testing.assert_array_equal(net.params[p], before[p])
    # with "every" step weighted 1
    learner.zero_grad()
    learner.reset()
    learner.run(x, y, update=False)
    assert_grads_equal(learner.gradient, net.loss_and_grad(x[:, None], y[:, None], loss_at="every",
                                                           gradient="truncated")[1])


def test_gradient_over_chunks_and_resets():
    """State carries across calls; a reset mask starts a new sequence inside a chunk."""
    rng = np.random.default_rng(2)
    net = lstmlib.build("forget", 2, 2, 2, 2, trials=2, init_range=0.5, seed=1, output="logistic")
    x, y, w = stream(rng, 2, 16, 2, 2)
    whole = lstmlib.OnlineLearner(net, lstmlib.SGD(0.1))
    whole.run(x, y, w, update=False)
    chunked = lstmlib.OnlineLearner(net, lstmlib.SGD(0.1))
    for a, b in ((0, 5), (5, 6), (6, 16)):
        chunked.run(x[:, a:b], y[:, a:b], w[:, a:b], update=False)
    assert_grads_equal(chunked.gradient, whole.gradient, 1e-14)
    # reset before step 9: two sequences, whose summed gradient is twice loss_and_grad's batch mean
    reset = np.zeros(16, bool)
    reset[9] = True
    split = lstmlib.OnlineLearner(net, lstmlib.SGD(0.1))
    split.run(x, y, w, update=False, reset=reset)
    xb = np.zeros((2, 2, 9, 2))
    yb = np.zeros((2, 2, 9, 2))
    wb = np.zeros((2, 2, 9))
    xb[:, 0], yb[:, 0], wb[:, 0] = x[:, :9], y[:, :9], w[:, :9]
    xb[:, 1, :7], yb[:, 1, :7], wb[:, 1, :7] = x[:, 9:], y[:, 9:], w[:, 9:]
    _, g = net.loss_and_grad(xb, yb, lengths=np.array([9, 7]), loss_at=wb, gradient="truncated")
    assert_grads_equal(split.gradient, {p: 2 * g[p] for p in PACKED})


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_online_outputs_equal_network_forward(dtype):
    rng = np.random.default_rng(3)
    net = lstmlib.build("vanilla", 2, 2, 2, 2, trials=3, init_range=0.5, seed=2, output="logistic", dtype=dtype)
    x, y, w = stream(rng, 3, 20, 2, 2)
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(0.1))
    r = learner.run(x[:, :12], y[:, :12], w[:, :12], update=False)
    r2 = learner.run(x[:, 12:], y[:, 12:], w[:, 12:], update=False)
    assert r.outputs.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(np.concatenate([r.outputs, r2.outputs], axis=1), net.forward(x[:, None])[:, 0])
    np.testing.assert_array_equal(r.steps, 12)
    err = np.abs(r.outputs - y[:, :12]).max(-1) * (w[:, :12] > 0)
    np.testing.assert_allclose(r.error, err, rtol=1e-6 if dtype == "float32" else 1e-15)
    if dtype == "float32":  # gradient in float32: same as the engine's to rounding
        _, g = net.loss_and_grad(x[:, None], y[:, None], loss_at=w[:, None], gradient="truncated")
        assert_grads_equal(learner.gradient, g, 1e-4)


# numpy reference: forward, RTRL partials and SGD, one update per step ---------------------------------------

def numpy_rtrl_sgd(net, k, x, y, lr, delayed=False):
    """Peephole LSTM (forget gate, tanh g and h, logistic output) trained online by SGD with the
    truncated gradient, written out for trial k.  ``delayed``: the wrong order, each update applied
    only after the next step's forward pass.  Returns the outputs and the final parameters."""
    L = net.layout
    W, P, Wo = (net.params[p][k].copy() for p in PACKED)
    masks = L.masks()
    C, S, NB = L.n_cells, L.cells_per_block, L.n_blocks
    blk = np.arange(C) // S
    ri, rf, ro = L.rows["input_gate"], L.rows["forget_gate"], L.rows["output_gate"]
    s, y_prev = np.zeros(C), np.zeros(C)
    dz, di, df = (np.zeros((C, L.n_sources)) for _ in range(3))
    dpi, dpf = np.zeros((C, S)), np.zeros((C, S))
    pending = None
    outs = []
    for t in range(len(x)):
        u = np.concatenate([[1.0], x[t], y_prev])
        s_blk = s.reshape(NB, S)  # s(t-1) per block
        z = np.tanh(W[:C] @ u)
        i = sigma(W[ri] @ u + (P[0] * s).reshape(NB, S).sum(1))
        f = sigma(W[rf] @ u + (P[1] * s).reshape(NB, S).sum(1))
        s_new = f[blk] * s + i[blk] * z
        o = sigma(W[ro] @ u + (P[2] * s_new).reshape(NB, S).sum(1))
        hs = np.tanh(s_new)
        yc = o[blk] * hs
        src_out = np.concatenate([[1.0], yc])
        out = sigma(Wo @ src_out)
        outs.append(out)
        e = (out - y[t]) * out * (1 - out)  # dℓ/dnet_out for ℓ = ½(out - y)²
        dz = f[blk, None] * dz + (i[blk] * (1 - z ** 2))[:, None] * u
        di = f[blk, None] * di + (z * (i * (1 - i))[blk])[:, None] * u
        df = f[blk, None] * df + (s * (f * (1 - f))[blk])[:, None] * u
        dpi = f[blk, None] * dpi + (z * (i * (1 - i))[blk])[:, None] * s_blk[blk]
        dpf = f[blk, None] * dpf + (s * (f * (1 - f))[blk])[:, None] * s_blk[blk]
        eps = Wo[:, 1:].T @ e
        es = o[blk] * (1 - hs ** 2) * eps
        do = o * (1 - o) * (hs * eps).reshape(NB, S).sum(1)
        gW, gP = peephole_step_gradient(L, u, es, do, s_new, (dz, di, df, dpi, dpf))
        gO = np.outer(e, src_out)
        step = (gW * masks["hidden"], gP * masks["peephole"], gO * masks["output"])
        if delayed:
            step, pending = pending, step
        if step is not None:
            W, P, Wo = W - lr * step[0], P - lr * step[1], Wo - lr * step[2]
        s, y_prev = s_new, yc
    return np.array(outs), (W, P, Wo)


def test_sgd_updates_every_step_like_the_numpy_reference():
    rng = np.random.default_rng(5)
    K, T, lr = 2, 6, 0.5
    net = lstmlib.build("peephole", 2, 2, 2, 2, trials=K, init_range=0.5, seed=4, output="logistic")
    x, y, _ = stream(rng, K, T, 2, 2, zeros=False)
    ref = [numpy_rtrl_sgd(net, k, x[k], y[k], lr) for k in range(K)]
    wrong = [numpy_rtrl_sgd(net, k, x[k], y[k], lr, delayed=True) for k in range(K)]
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(lr))
    r = learner.run(x, y)
    np.testing.assert_array_equal(learner.steps, T)
    for k in range(K):
        np.testing.assert_allclose(r.outputs[k], ref[k][0], atol=1e-13, rtol=0)
        for p, a in zip(PACKED, ref[k][1]):
            np.testing.assert_allclose(net.params[p][k], a, atol=1e-13, rtol=0, err_msg=p)
        # the test tells the orders apart, and the learner updates before the next forward step
        assert max(np.abs(ref[k][1][i] - wrong[k][1][i]).max() for i in range(3)) > 1e-4
        assert np.abs(r.outputs[k] - wrong[k][0]).max() > 1e-6
    assert np.abs(ref[0][1][0] - ref[1][1][0]).max() > 1e-3  # trials really differ


def _replay(net, opt, x, y, every):
    """One step per call with update=False, the optimiser applied here in numpy to the summed
    gradient every ``every`` steps (the formulas of lstmlib.training)."""
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(1.0))
    state = {p: [np.zeros_like(net.params[p]), np.zeros_like(net.params[p])] for p in PACKED}
    for t in range(x.shape[1]):
        learner.run(x[:, t:t + 1], y[:, t:t + 1], update=False)
        if (t + 1) % every:
            continue
        n = (t + 1) // every
        for p, g in learner.gradient.items():
            m, v = state[p]
            if isinstance(opt, lstmlib.SGD):
                net.params[p] -= opt.lr * g
            elif isinstance(opt, lstmlib.Momentum):
                m[...] = opt.momentum * m - opt.lr * g
                net.params[p] += m * net.layout.masks()[p]
            else:
                m[...] = opt.beta1 * m + (1 - opt.beta1) * g
                v[...] = opt.beta2 * v + (1 - opt.beta2) * g * g
                step = opt.lr * (m / (1 - opt.beta1 ** n)) / (np.sqrt(v / (1 - opt.beta2 ** n)) + opt.eps)
                net.params[p] -= step * net.layout.masks()[p]
        learner.zero_grad()


@pytest.mark.parametrize("opt,every", [(lstmlib.SGD(0.3), 1), (lstmlib.Momentum(0.1, 0.9), 1),
                                       (lstmlib.Adam(0.01), 1), (lstmlib.Adam(0.01), 3)])
def test_optimisers_per_update_match_a_stepwise_replay(opt, every):
    rng = np.random.default_rng(6)
    net = lstmlib.build("forget", 2, 1, 2, 2, trials=2, init_range=0.5, seed=8, output="logistic")
    x, y, _ = stream(rng, 2, 9, 2, 1, zeros=False)
    replay = net.copy()
    _replay(replay, opt, x, y, every)
    learner = lstmlib.OnlineLearner(net, opt, update_every=every)
    learner.run(x[:, :4], y[:, :4])
    learner.run(x[:, 4:], y[:, 4:])  # state, partials, pending gradient and optimiser state carry over
    np.testing.assert_array_equal(learner.steps, 9 // every)
    for p in PACKED:
        np.testing.assert_allclose(net.params[p], replay.params[p], atol=1e-12, rtol=0, err_msg=p)
    assert np.abs(net.params["hidden"] - lstmlib.build("forget", 2, 1, 2, 2, trials=2, init_range=0.5, seed=8,
                                                       output="logistic").params["hidden"]).max() > 1e-4


def numpy_opt_step(kind, hyper, step, W, G, M, V):
    """The optimisers' formulas (lstmlib.training.optimisers) in float64 numpy, one step on every entry."""
    lr, mom, b1, b2, eps = hyper
    W, G, M, V = (a.astype(np.float64) for a in (W, G, M, V))
    if kind == kernels.OPT_SGD:
        return W - lr * G, M, V
    if kind == kernels.OPT_MOMENTUM:
        M = mom * M - lr * G
        return W + M, M, V
    M = b1 * M + (1 - b1) * G
    V = b2 * V + (1 - b2) * G * G
    return W - lr * (M / (1 - b1 ** step)) / (np.sqrt(V / (1 - b2 ** step)) + eps), M, V


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", [kernels.OPT_SGD, kernels.OPT_MOMENTUM, kernels.OPT_ADAM])
def test_lane_update_is_the_engine_update(kind, dtype):
    """The lane-innermost optimiser step gives the engine's update bit for bit, both the optimisers'
    formulas (to rounding: numpy rounds float32 work differently)."""
    rng = np.random.default_rng(kind)
    W, G, M, V = (rng.normal(size=(4, 5, 6)).astype(dtype) for _ in range(4))
    V = np.abs(V)
    mask = (rng.uniform(size=(4, 5)) < 0.8).astype(dtype)
    hyper = np.array([0.1, 0.9, 0.9, 0.999, 1e-8])
    steps = rng.integers(1, 9, size=6)
    for due in (np.ones(6, np.int64), np.array([1, 0, 1, 1, 0, 1])):
        a = [arr.copy() for arr in (W, G, M, V)]
        b = [arr.copy() for arr in (W, G, M, V)]
        kernels.update(kind, hyper, steps, due, *a, mask)
        c1, c2 = np.ones(6), np.ones(6)
        online.adam_corrections(hyper, steps, c1, c2)
        online.update_lanes(kind, hyper, c1, c2, due, bool(due.all()), *b, mask)
        for i in (0, 2, 3):
            np.testing.assert_array_equal(a[i], b[i])
        np.testing.assert_array_equal(b[1][..., due == 1], 0.0)  # the applied gradient is consumed
        np.testing.assert_array_equal(b[1][..., due == 0], G[..., due == 0])
        expected = numpy_opt_step(kind, hyper, steps, W, G, M, V)
        updated = (mask != 0)[..., None] & (due == 1)
        rtol = 1e-14 if dtype == np.float64 else 1e-6
        for i, arr in zip((0, 2, 3), expected):
            np.testing.assert_allclose(a[i], np.where(updated, arr, (W, G, M, V)[i]), rtol=rtol, atol=rtol)
        assert not np.array_equal(a[0], W)


# stream controls ----------------------------------------------------------------------------------------------

def test_stop_at_error_freezes_a_trial_after_its_first_wrong_step():
    rng = np.random.default_rng(8)
    K, T = 3, 10
    net = lstmlib.build("peephole", 1, 1, 1, 1, trials=K, init_range=0.5, seed=5, output="logistic")
    x, y, w = stream(rng, K, T, 1, 1, zeros=False)
    y[1, 4] = 5.0  # trial 1 is wrong at step 4 (a logistic output is never within 1 of 5)
    y[2, 6] = 5.0
    w[2, 6] = 0.0  # trial 2's bad target carries no loss: not a stop
    fresh = net.copy()
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(0.2))
    r = learner.run(x, y, w, stop_at_error=1.0)
    np.testing.assert_array_equal(r.steps, [T, 5, T])
    np.testing.assert_array_equal(r.stopped, [False, True, False])
    assert not r.diverged.any()
    assert np.isnan(r.outputs[1, 5:]).all() and np.isnan(r.loss[1, 5:]).all() and np.isnan(r.error[1, 5:]).all()
    assert np.isfinite(r.outputs[1, :5]).all() and r.error[1, 4] >= 1.0
    np.testing.assert_array_equal(learner.steps, [T, 5, T])
    # the same as running trial 1 for its 5 steps only (the wrong step is learned from) ...
    short = lstmlib.OnlineLearner(fresh, lstmlib.SGD(0.2))
    short.run(x[:, :5], y[:, :5], w[:, :5])
    for p in PACKED:
        np.testing.assert_array_equal(net.params[p][1], fresh.params[p][1])
    # ... with the state after its step 4 carried into the next call
    x2, y2, w2 = stream(rng, K, 4, 1, 1)
    a = learner.run(x2, y2, w2, update=False).outputs[1]
    b = short.run(x2, y2, w2, update=False).outputs[1]
    np.testing.assert_array_equal(a, b)


def test_diverging_trial_is_frozen_and_reported():
    rng = np.random.default_rng(9)
    K, T = 3, 8
    net = lstmlib.build("forget", 1, 1, 1, 2, trials=K, init_range=0.5, seed=6, output="linear")
    healthy = net.copy()
    net.params["output"][1] *= 1e200  # ½ (1e200 y)² overflows: trial 1 diverges at step 0
    bad = net.params["output"][1].copy()
    x, y, _ = stream(rng, K, T, 1, 1, zeros=False)
    learner = lstmlib.OnlineLearner(net, lstmlib.Adam(0.01))
    r = learner.run(x, y)
    np.testing.assert_array_equal(r.diverged, [False, True, False])
    np.testing.assert_array_equal(learner.active, [1, -1, 1])
    np.testing.assert_array_equal(r.steps, [T, 1, T])
    assert not np.isfinite(r.loss[1, 0]) and np.isnan(r.outputs[1, 1:]).all()
    np.testing.assert_array_equal(net.params["output"][1], bad)  # no update from a non-finite step
    assert learner.steps[1] == 0
    ref = lstmlib.OnlineLearner(healthy, lstmlib.Adam(0.01))
    ref.run(x, y)
    for p in PACKED:  # the other trials are untouched by it
        np.testing.assert_array_equal(net.params[p][[0, 2]], healthy.params[p][[0, 2]])
    r2 = learner.run(x, y)
    np.testing.assert_array_equal(r2.steps, [T, 0, T])
    assert r2.diverged[1]


def test_bad_arguments_fail_before_any_work():
    net = lstmlib.build("peephole", 2, 1, 2, 1, trials=2)
    with pytest.raises(ValueError, match="cell state"):
        lstmlib.OnlineLearner(lstmlib.build("rnn", 2, 1, 2, 1), lstmlib.SGD(0.1))
    with pytest.raises(ValueError, match="cell state"):
        lstmlib.OnlineLearner(lstmlib.build("forget", 2, 1, forget="zero", input_gate=False), lstmlib.SGD(0.1))
    for opt in ("sgd", None, lstmlib.SGD):
        with pytest.raises(ValueError, match="optimizer"):
            lstmlib.OnlineLearner(net, opt)
    for every in (0, 1.5, True):
        with pytest.raises(ValueError, match="update_every"):
            lstmlib.OnlineLearner(net, lstmlib.SGD(0.1), update_every=every)
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(0.1))
    before = {p: net.params[p].copy() for p in PACKED}
    x, y = np.zeros((2, 5, 2)), np.zeros((2, 5, 1))
    bad_calls = [
        dict(x=np.zeros((3, 5, 2)), target=y),  # trials
        dict(x=np.zeros((2, 5, 3)), target=y),  # inputs
        dict(x=x, target=np.zeros((2, 4, 1))),  # time
        dict(x=x, target=np.zeros((2, 5, 2))),  # outputs
        dict(x=np.full((2, 5, 2), np.nan), target=y),
        dict(x=x, target=y, weights=-np.ones(5)),
        dict(x=x, target=y, weights=np.ones((2, 4))),
        dict(x=x, target=y, reset=np.zeros(5)),  # not booleans
        dict(x=x, target=y, reset=np.zeros((2, 4), bool)),
        dict(x=x, target=y, stop_at_error=0.0),
        dict(x=x, target=y, stop_at_error=np.nan),
        dict(x=x, target=y, stop_at_error="0.5"),
        dict(x=np.zeros((2, 0, 2)), target=np.zeros((2, 0, 1))),
    ]
    for kwargs in bad_calls:
        with pytest.raises(ValueError):
            learner.run(**kwargs)
    for p in PACKED:
        np.testing.assert_array_equal(net.params[p], before[p])
    assert learner.steps.sum() == 0 and all(not a.any() for a in learner._state + learner._partials)


def test_same_seed_same_numbers():
    def go():
        rng = np.random.default_rng(11)
        net = lstmlib.build("peephole", 1, 1, 2, 2, trials=4, seed=12, output="logistic", forget_gate_bias=-2.0)
        learner = lstmlib.OnlineLearner(net, lstmlib.Momentum(0.05, 0.9), update_every=2)
        x, y, w = stream(rng, 4, 30, 1, 1)
        r = learner.run(x, y, w, stop_at_error=0.6)
        return r, net
    (r1, n1), (r2, n2) = go(), go()
    for f in ("outputs", "loss", "error", "steps", "stopped"):
        np.testing.assert_array_equal(getattr(r1, f), getattr(r2, f))
    for p in PACKED:
        np.testing.assert_array_equal(n1.params[p], n2.params[p])


# many streams in one call (resume_at_reset) ---------------------------------------------------------------

def concatenated_streams(rng, K, T, tol_scale=1.0):
    """Random streams for K trials cut into segments of different lengths per trial (reset at each
    segment's first step); returns x, y, w, reset and each trial's segment boundaries."""
    x, y, w = stream(rng, K, T, 1, 1)
    y *= tol_scale
    reset = np.zeros((K, T), bool)
    bounds = []
    for k in range(K):
        cuts = np.cumsum(rng.integers(1, 9, size=T))
        starts = np.concatenate([[0], cuts[cuts < T]])
        reset[k, starts] = True
        bounds.append(list(zip(starts, np.append(starts[1:], T))))
    return x, y, w, reset, bounds


def per_stream_reference(net, opt, every, x, y, w, bounds, tol):
    """Each trial alone (a one-trial copy of its network), one run(stop_at_error) call per segment:
    its per-step outputs, loss and error (NaN where not run), segments, learner and network."""
    K, T = w.shape
    out = {f: np.full((K, T), np.nan) for f in ("outputs", "loss", "error")}
    segs, refs = [], []
    for k in range(K):
        learner = lstmlib.OnlineLearner(net.trial(k).copy(), opt, update_every=every)
        rows = []
        for a, b in bounds[k]:
            first = np.zeros(b - a, bool)
            first[0] = True
            r = learner.run(x[k:k + 1, a:b], y[k:k + 1, a:b], w[k:k + 1, a:b], stop_at_error=tol, reset=first)
            out["outputs"][k, a:b] = r.outputs[0, :, 0]
            out["loss"][k, a:b], out["error"][k, a:b] = r.loss[0], r.error[0]
            stop = np.flatnonzero(r.error[0] >= tol)
            rows.append((a, a + stop[0] if len(stop) else -1))
        segs.append(rows)
        refs.append(learner)
    return out, segs, refs


@pytest.mark.parametrize("opt,every", [(lstmlib.Momentum(0.05, 0.9), 1), (lstmlib.Adam(0.02), 1),
                                       (lstmlib.Adam(0.02), 3)])
def test_resume_at_reset_trains_as_one_call_per_stream(opt, every):
    """Concatenated streams of different lengths, reset at each one's first step: one call with
    resume_at_reset gives the weights, optimiser state, per-step outputs/loss/error and segments of
    one stop_at_error call per stream; so do three calls cut anywhere (a stopped trial waits across
    calls)."""
    rng = np.random.default_rng(12)
    K, T, tol = 4, 120, 0.45
    net = lstmlib.build("peephole", 1, 1, 1, 2, trials=K, init_range=0.5, seed=9, output="logistic",
                        forget_gate_bias=-1.0)
    x, y, w, reset, bounds = concatenated_streams(rng, K, T)
    ref, ref_segs, refs = per_stream_reference(net, opt, every, x, y, w, bounds, tol)
    stops = [s for rows in ref_segs for _, s in rows]
    assert 10 < sum(s >= 0 for s in stops) < len(stops) - 10  # streams that stop, streams that run through
    for cuts in ([0, T], [0, 37, 38, 90, T]):
        trained = net.copy()
        learner = lstmlib.OnlineLearner(trained, opt, update_every=every)
        parts = [learner.run(x[:, a:b], y[:, a:b], w[:, a:b], reset=reset[:, a:b], stop_at_error=tol,
                             resume_at_reset=True) for a, b in zip(cuts[:-1], cuts[1:])]
        for f in ("outputs", "loss", "error"):
            got = np.concatenate([getattr(r, f) for r in parts], axis=1)
            np.testing.assert_array_equal(got[..., 0] if f == "outputs" else got, ref[f], err_msg=f)
        np.testing.assert_array_equal(sum(r.steps for r in parts), [(~np.isnan(ref["loss"][k])).sum()
                                                                      for k in range(K)])
        for k in range(K):
            for p in PACKED:
                np.testing.assert_array_equal(trained.params[p][k], refs[k].net.params[p][0], err_msg=p)
            for a, b in zip(learner.opt_state, refs[k].opt_state):
                np.testing.assert_array_equal(a[..., k], b[..., 0])
            assert learner.steps[k] == refs[k].steps[0]
            assert learner.steps[k] > 0
            if len(cuts) == 2:  # segments: one row per stream, (start, first wrong step or -1)
                seg = parts[0].segments[k]
                n = len(ref_segs[k])
                np.testing.assert_array_equal(seg[:n], ref_segs[k])
                np.testing.assert_array_equal(seg[n:], -1)
            np.testing.assert_array_equal(parts[-1].stopped[k], ref_segs[k][-1][1] >= 0)
    # trials really differ in their segments
    assert len({len(b) for b in bounds}) > 1


def test_segments_and_record_false():
    rng = np.random.default_rng(13)
    K, T, tol = 3, 60, 0.45
    net = lstmlib.build("peephole", 1, 1, 1, 1, trials=K, init_range=0.5, seed=2, output="logistic")
    x, y, w, reset, bounds = concatenated_streams(rng, K, T)
    a, b = net.copy(), net.copy()
    ra = lstmlib.OnlineLearner(a, lstmlib.Adam(0.01)).run(x, y, w, reset=reset, stop_at_error=tol,
                                                          resume_at_reset=True)
    rb = lstmlib.OnlineLearner(b, lstmlib.Adam(0.01)).run(x, y, w, reset=reset, stop_at_error=tol,
                                                          resume_at_reset=True, record=False)
    assert rb.outputs is None and rb.loss is None and rb.error is None
    np.testing.assert_array_equal(ra.segments, rb.segments)
    np.testing.assert_array_equal(ra.steps, rb.steps)
    for p in PACKED:
        np.testing.assert_array_equal(a.params[p], b.params[p])
    # the segments are those the per-step error implies: each trial's first wrong step per segment
    assert ra.segments.shape == (K, max(len(bk) for bk in bounds), 2)
    for k in range(K):
        for (start, stop), (s, e) in zip(ra.segments[k], bounds[k]):
            assert start == s
            wrong = np.flatnonzero((w[k, s:e] > 0) & (ra.error[k, s:e] >= tol))
            assert stop == (s + wrong[0] if len(wrong) else -1)
            if stop >= 0:
                assert np.isnan(ra.error[k, stop + 1:e]).all() and np.isnan(ra.outputs[k, stop + 1:e]).all()
    # without resume_at_reset a trial stops for the rest of the call at its first wrong step
    c = net.copy()
    rc = lstmlib.OnlineLearner(c, lstmlib.Adam(0.01)).run(x, y, w, reset=reset, stop_at_error=tol)
    for k in range(K):
        n = np.flatnonzero(ra.segments[k, :, 1] >= 0)[0]
        stop = ra.segments[k, n, 1]
        np.testing.assert_array_equal(rc.segments[k, :n + 1], ra.segments[k, :n + 1])
        assert (rc.segments[k, n + 1:] == -1).all()
        assert rc.stopped[k] and rc.steps[k] == stop + 1 and np.isnan(rc.error[k, stop + 1:]).all()
    # no reset: one segment from step 0
    rd = lstmlib.OnlineLearner(net.copy(), lstmlib.SGD(0.1)).run(x, y, w)
    np.testing.assert_array_equal(rd.segments, [[[0, -1]]] * K)


def test_paused_trial_is_not_processed():
    """active = 0 (set by the caller): the trial is skipped and nothing of it changes; the other
    trials train as they would without it; set back to 1 it carries on."""
    rng = np.random.default_rng(14)
    K, T, tol = 3, 40, 0.45
    x, y, w, reset, _ = concatenated_streams(rng, K, T)

    def prepared():  # some state, partials, gradient and optimiser state for every trial
        net = lstmlib.build("peephole", 1, 1, 1, 2, trials=K, init_range=0.5, seed=3, output="logistic")
        learner = lstmlib.OnlineLearner(net, lstmlib.Momentum(0.05, 0.9))
        learner.run(x[:, :7], y[:, :7], w[:, :7])
        learner.run(x[:, 7:12], y[:, 7:12], w[:, 7:12], update=False)
        return net, learner

    free_net, free = prepared()
    free.run(x, y, w, reset=reset, stop_at_error=tol, resume_at_reset=True)
    net, learner = prepared()
    # what a trial carries (slot 1 of the state arrays is the kernel's scratch)
    carried = tuple(a[:1] for a in learner._state) + learner._partials + learner.grads + learner.opt_state
    kept = [a[..., 1].copy() for a in carried]
    assert all(np.abs(a).max() > 0 for a in kept[:-6] + kept[-6::2])  # (not Adam's second moments)
    params = {p: net.params[p][1].copy() for p in PACKED}
    learner.active[1] = 0
    r = learner.run(x, y, w, reset=reset, stop_at_error=tol, resume_at_reset=True)
    assert r.steps[1] == 0 and not r.stopped[1] and not r.diverged[1]
    assert np.isnan(r.outputs[1]).all() and np.isnan(r.error[1]).all() and (r.segments[1] == -1).all()
    for a, b in zip(carried, kept):
        np.testing.assert_array_equal(a[..., 1], b)
    for p in PACKED:
        np.testing.assert_array_equal(net.params[p][1], params[p])
        np.testing.assert_array_equal(net.params[p][[0, 2]], free_net.params[p][[0, 2]])
    assert learner.steps[1] == 7 and (learner.steps[[0, 2]] > 7).all()
    learner.active[1] = 1
    r = learner.run(x, y, w, reset=reset, stop_at_error=tol, resume_at_reset=True)
    assert r.steps[1] > 0 and np.abs(net.params["hidden"][1] - params["hidden"]).max() > 0


def test_diverged_trial_is_not_revived_by_a_reset():
    rng = np.random.default_rng(15)
    K, T = 2, 30
    net = lstmlib.build("forget", 1, 1, 1, 2, trials=K, init_range=0.5, seed=6, output="linear")
    net.params["output"][1] *= 1e200
    x, y, _ = stream(rng, K, T, 1, 1, zeros=False)
    reset = np.zeros(T, bool)
    reset[::5] = True
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(0.01))
    r = learner.run(x, y, reset=reset, stop_at_error=1e300, resume_at_reset=True)
    np.testing.assert_array_equal(r.diverged, [False, True])
    assert r.steps[1] == 1 and not r.stopped[1] and np.isnan(r.error[1, 1:]).all()
    np.testing.assert_array_equal(r.segments[1, 0], [0, 0])  # its one segment, stopped by the divergence
    assert (r.segments[1, 1:] == -1).all()
    np.testing.assert_array_equal(r.segments[0], [[s, -1] for s in range(0, T, 5)])


def test_waiting_trial_resumes_at_a_reset_in_a_later_call_or_after_reset():
    rng = np.random.default_rng(16)
    net = lstmlib.build("peephole", 1, 1, 1, 1, trials=2, init_range=0.5, seed=5, output="logistic")
    x, y, w = stream(rng, 2, 6, 1, 1, zeros=False)
    y[0, 1] = 5.0  # trial 0 is wrong at step 1
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(0.1))
    r = learner.run(x, y, w, stop_at_error=1.0, resume_at_reset=True)
    np.testing.assert_array_equal(r.stopped, [True, False])
    np.testing.assert_array_equal(r.segments, [[[0, 1]], [[0, -1]]])
    r = learner.run(x, y * 0, w, stop_at_error=1.0, resume_at_reset=True)  # no reset: trial 0 still waits
    np.testing.assert_array_equal(r.steps, [0, 6])
    assert r.stopped[0] and np.isnan(r.error[0]).all()
    reset = np.zeros(6, bool)
    reset[3] = True
    r = learner.run(x, y * 0, w, stop_at_error=1.0, resume_at_reset=True, reset=reset)
    np.testing.assert_array_equal(r.steps, [3, 6])
    np.testing.assert_array_equal(r.segments, [[[3, -1], [-1, -1]], [[0, -1], [3, -1]]])
    learner.run(x, y, w, stop_at_error=1.0, resume_at_reset=True)
    assert learner.run(x, y * 0, w, stop_at_error=1.0, resume_at_reset=True).steps[0] == 0
    learner.reset()  # no longer waits
    assert learner.run(x, y * 0, w, stop_at_error=1.0, resume_at_reset=True).steps[0] == 6
    # without resume_at_reset every active trial runs from the call's first step, as before
    learner.run(x, y, w, stop_at_error=1.0, resume_at_reset=True)
    assert learner.run(x, y * 0, w, stop_at_error=1.0).steps[0] == 6


def test_lengths_end_each_trials_stream_without_running_the_padding():
    """A trial's stream ends after lengths[k] steps: the padding gets no forward step and no optimiser
    step (a zero-weight step would still move Adam's or momentum's weights)."""
    rng = np.random.default_rng(8)
    net = lstmlib.build("peephole", 2, 1, 1, 2, trials=3, init_range=0.5, seed=2)
    x, y = rng.normal(size=(3, 30, 2)), rng.uniform(size=(3, 30, 1))
    lengths = np.array([30, 17, 4])
    for opt in (lstmlib.Momentum(0.05, 0.9), lstmlib.Adam(0.01)):
        whole = net.copy()
        r = lstmlib.OnlineLearner(whole, opt).run(x, y, lengths=lengths)
        assert r.steps.tolist() == lengths.tolist()
        for k in range(3):
            one = net.trial(k)
            lstmlib.OnlineLearner(one, opt).run(x[k:k + 1, :lengths[k]], y[k:k + 1, :lengths[k]])
            for name in one.params:
                np.testing.assert_array_equal(whole.params[name][k], one.params[name][0])
            assert np.isnan(r.outputs[k, lengths[k]:]).all()
        # without lengths the zero-weight padding would still change the weights of trial 2
        padded = net.copy()
        lstmlib.OnlineLearner(padded, opt).run(x, y, np.arange(30)[None, :] < lengths[:, None])
        assert not np.array_equal(padded.params["hidden"][2], whole.params["hidden"][2])
    with pytest.raises(ValueError, match="lengths"):
        lstmlib.OnlineLearner(net.copy(), lstmlib.SGD(0.1)).run(x, y, lengths=np.array([31, 1, 1]))


def test_queued_streams_train_exactly_as_their_concatenation():
    """run_queued over a pool of streams gives what run(resume_at_reset) gives on each trial's queued
    streams concatenated: weights, per-step outputs/loss/error, steps and segments."""
    rng = np.random.default_rng(21)
    K, M, Tp, tol = 3, 6, 15, 0.25
    pool_x, pool_y, pool_w = stream(rng, K * M, Tp, 1, 1)
    queue = rng.permutation(K * M).reshape(K, M)
    lengths = rng.integers(1, Tp + 1, size=(K, M))
    total = lengths.sum(axis=1)
    T = int(total.max())
    x, y, w = np.zeros((K, T, 1)), np.zeros((K, T, 1)), np.zeros((K, T))
    reset = np.zeros((K, T), bool)
    for k in range(K):
        at = 0
        for m in range(M):
            n, row = lengths[k, m], queue[k, m]
            x[k, at:at + n], y[k, at:at + n], w[k, at:at + n] = pool_x[row, :n], pool_y[row, :n], pool_w[row, :n]
            reset[k, at] = True
            at += n
    net = lstmlib.build("peephole", 1, 1, 1, 2, trials=K, init_range=0.5, seed=9, output="logistic",
                        forget_gate_bias=-1.0)
    a, b = net.copy(), net.copy()
    ra = lstmlib.OnlineLearner(a, lstmlib.Adam(0.02)).run(x, y, w, reset=reset, stop_at_error=tol,
                                                          resume_at_reset=True, lengths=total)
    rb = lstmlib.OnlineLearner(b, lstmlib.Adam(0.02)).run_queued(pool_x, pool_y, pool_w, queue, lengths,
                                                                 stop_at_error=tol, record=True)
    for f in ("outputs", "loss", "error", "steps", "stopped", "segments"):
        np.testing.assert_array_equal(getattr(ra, f), getattr(rb, f), err_msg=f)
    for p in PACKED:
        np.testing.assert_array_equal(a.params[p], b.params[p])
    assert (ra.segments[..., 1] >= 0).sum() > 3 and (ra.segments[..., 1] == -1).sum() > 0  # stops and run-throughs
    with pytest.raises(ValueError, match="queue"):
        lstmlib.OnlineLearner(net.copy(), lstmlib.SGD(0.1)).run_queued(pool_x, pool_y, pool_w, queue + K * M, lengths)
    with pytest.raises(ValueError, match="lengths"):
        lstmlib.OnlineLearner(net.copy(), lstmlib.SGD(0.1)).run_queued(pool_x, pool_y, pool_w, queue, lengths * 0)


def test_lr_decay_is_sgd_with_a_learning_rate_decayed_per_step_from_each_fresh_start():
    """Gers et al. (2000)'s α-decay: step n after a fresh start (a reset, :meth:`reset`) learns at
    lr · decay**n; replayed here one step per call, the update applied in numpy."""
    rng = np.random.default_rng(21)
    K, T, lr, decay = 2, 9, 0.5, 0.8
    net = lstmlib.build("forget", 2, 2, 2, 2, trials=K, init_range=0.5, seed=3, output="logistic")
    x, y, w = stream(rng, K, T, 2, 2, zeros=False)
    reset = np.zeros((K, T), bool)
    reset[0, 4] = True  # trial 0 starts afresh at step 4, trial 1 runs on
    decayed = net.copy()
    r = lstmlib.OnlineLearner(decayed, lstmlib.SGD(lr), lr_decay=decay).run(x, y, w, reset=reset)
    ref = net.copy()
    learner = lstmlib.OnlineLearner(ref, lstmlib.SGD(1.0))
    n = np.zeros(K, int)
    loss = np.zeros((K, T))
    for t in range(T):
        n[reset[:, t]] = 0
        step = learner.run(x[:, t:t + 1], y[:, t:t + 1], w[:, t:t + 1], reset=reset[:, t:t + 1], update=False)
        loss[:, t] = step.loss[:, 0]
        for p, g in learner.gradient.items():
            ref.params[p] -= (lr * decay ** n)[:, None, None] * g
        learner.zero_grad()
        n += 1
    for p in PACKED:
        np.testing.assert_allclose(decayed.params[p], ref.params[p], atol=1e-13, rtol=0, err_msg=p)
    np.testing.assert_allclose(r.loss, loss, atol=1e-13, rtol=0)  # the loss is reported undecayed
    plain = net.copy()
    lstmlib.OnlineLearner(plain, lstmlib.SGD(lr)).run(x, y, w, reset=reset)
    assert np.abs(plain.params["hidden"] - decayed.params["hidden"]).max() > 1e-4  # the decay matters here


def test_resume_at_restarts_only_a_stopped_trial():
    """``resume_at`` marks string boundaries: a trial that stopped at an error waits for the next one
    and starts afresh there (state zeroed, decay restarted, a new segment); a trial that did not stop
    runs through it with its state."""
    rng = np.random.default_rng(22)
    K, T = 2, 10
    net = lstmlib.build("forget", 1, 1, 1, 1, trials=K, init_range=0.5, seed=5, output="logistic")
    x, y, w = stream(rng, K, T, 1, 1, zeros=False)
    y[0, 2] = 5.0  # trial 0 is wrong at step 2
    resume_at = np.zeros(T, bool)
    resume_at[[5, 7]] = True
    a = net.copy()
    r = lstmlib.OnlineLearner(a, lstmlib.SGD(0.1), lr_decay=0.9).run(x, y, w, stop_at_error=1.0,
                                                                      resume_at_reset=True, resume_at=resume_at)
    np.testing.assert_array_equal(r.steps, [3 + 5, 10])
    np.testing.assert_array_equal(r.segments[0], [[0, 2], [5, -1], [-1, -1]])  # padded to 3 rows
    np.testing.assert_array_equal(r.segments[1], [[0, -1], [-1, -1], [-1, -1]])
    assert np.isnan(r.loss[0, 3:5]).all() and not np.isnan(r.loss[0, 5:]).any()
    # the same as a reset at step 5 for trial 0 (and no reset for trial 1)
    reset = np.zeros((K, T), bool)
    reset[0, 5] = True
    b = net.copy()
    rb = lstmlib.OnlineLearner(b, lstmlib.SGD(0.1), lr_decay=0.9).run(x, y, w, stop_at_error=1.0,
                                                                       resume_at_reset=True, reset=reset)
    np.testing.assert_array_equal(r.outputs, rb.outputs)
    for p in PACKED:
        np.testing.assert_array_equal(a.params[p], b.params[p])
    with pytest.raises(ValueError, match="resume_at_reset"):
        lstmlib.OnlineLearner(net.copy(), lstmlib.SGD(0.1)).run(x, y, w, resume_at=resume_at)
    with pytest.raises(ValueError):
        lstmlib.OnlineLearner(net.copy(), lstmlib.SGD(0.1)).run(x, y, w, resume_at_reset=True,
                                                                resume_at=np.zeros(T - 1, bool))


def test_resume_at_with_an_external_reset():
    """With ``resume_at``, a ``reset`` step zeroes a running trial's state but does not restart a stopped one
    (Gers 2000's "external reset" row: a reset at every string, a new training stream only at the first
    boundary the caller allows); :meth:`OnlineLearner.stop` makes a trial wait as after a wrong step."""
    rng = np.random.default_rng(23)
    K, T = 2, 12
    net = lstmlib.build("vanilla", 1, 1, 1, 1, trials=K, init_range=0.5, seed=6, output="logistic")
    x, y, w = stream(rng, K, T, 1, 1, zeros=False)
    y[0, 2] = 5.0  # trial 0 is wrong at step 2
    reset = np.zeros(T, bool)
    reset[[4, 8]] = True
    resume_at = np.zeros((K, T), bool)
    resume_at[0, 8] = True  # trial 0 may start again at step 8, not at the reset at step 4
    a = net.copy()
    r = lstmlib.OnlineLearner(a, lstmlib.SGD(0.1)).run(x, y, w, stop_at_error=1.0, reset=reset,
                                                        resume_at_reset=True, resume_at=resume_at)
    np.testing.assert_array_equal(r.steps, [3 + 4, 12])
    np.testing.assert_array_equal(r.segments[0], [[0, 2], [8, -1], [-1, -1]])
    np.testing.assert_array_equal(r.segments[1], [[0, -1], [4, -1], [8, -1]])  # reset, ran on
    # the same as the plain resets at 4 and 8 for trial 1 and one at 8 for trial 0
    plain = np.zeros((K, T), bool)
    plain[0, 8] = plain[1, 4] = plain[1, 8] = True
    b = net.copy()
    rb = lstmlib.OnlineLearner(b, lstmlib.SGD(0.1)).run(x, y, w, stop_at_error=1.0, reset=plain,
                                                         resume_at_reset=True)
    np.testing.assert_array_equal(r.outputs, rb.outputs)
    for p in PACKED:
        np.testing.assert_array_equal(a.params[p], b.params[p])
    # stop(): trial 1 waits for its next resume point (none in this call for trial 1: it runs no step)
    learner = lstmlib.OnlineLearner(net.copy(), lstmlib.SGD(0.1))
    learner.stop([1])
    r = learner.run(x, y * 0 + 0.5, w, stop_at_error=1.0, reset=reset, resume_at_reset=True, resume_at=resume_at)
    np.testing.assert_array_equal(r.steps, [12, 0])
    assert r.stopped.tolist() == [False, True]


def test_lr_decay_bad_arguments():
    net = lstmlib.build("forget", 1, 1, 1, 1, trials=1)
    for opt in (lstmlib.Momentum(0.1, 0.9), lstmlib.Adam(0.01)):
        with pytest.raises(ValueError, match="plain SGD"):
            lstmlib.OnlineLearner(net, opt, lr_decay=0.99)
    for decay in (0, 1.5, -0.5, True, "0.99", np.nan):
        with pytest.raises(ValueError, match="lr_decay"):
            lstmlib.OnlineLearner(net, lstmlib.SGD(0.1), lr_decay=decay)
