"""The Kalman-filter learner (DEKF): its Jacobian is the truncated gradient's, its corrections equal a numpy
loop written from the equations and, on block-diagonal covariances, a full extended Kalman filter step; its
groups, annealing, bad inputs, divergence and determinism."""

import numpy as np
import pytest

from conftest import peephole_step_gradient, sigma

import lstmlib
from lstmlib.engines.dekf import weight_groups
from lstmlib.papers.gers2001.thesis import THESIS_LANGUAGES, thesis_network
from lstmlib.training.dekf import DEKF, DEKFLearner

PACKED = ("hidden", "peephole", "output")


def flat(groups, packed, k):
    """Trial k's entries of packed arrays ``{name: [K, ...]}`` in the filter's order."""
    return np.array([packed[PACKED[a]][k][p, q] for a, p, q in zip(groups["arr"], groups["p"], groups["q"])])


def strings(rng, K, N, T, n_in, n_out, bipolar=True):
    x = rng.choice([-1.0, 1.0], size=(K, N, T, n_in)) if bipolar else rng.normal(size=(K, N, T, n_in))
    d = rng.choice([-1.0, 1.0], size=(K, N, T, n_out))
    lengths = rng.integers(2, T + 1, size=(K, N))
    return x, d, lengths


JACOBIAN_CASES = [
    ("peephole", dict(n_blocks=2, cells_per_block=1, output="logistic2", output_from="cells+inputs",
                      cell_input="identity", cell_output="identity")),  # the thesis' net
    ("peephole", dict(n_blocks=2, cells_per_block=2, output="logistic", output_from="cells+inputs")),
    ("vanilla", dict(n_blocks=2, cells_per_block=2, output="linear")),  # gates fed back, f = 1
    ("forget", dict(n_blocks=2, cells_per_block=2, output="logistic2", gate_recurrence="none")),
    ("peephole", dict(n_blocks=1, cells_per_block=2, output="softmax", loss="mse")),
    ("cifg", dict(n_blocks=2, cells_per_block=1, output="linear")),
]


@pytest.mark.parametrize("name,kw", JACOBIAN_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(JACOBIAN_CASES)])
def test_jacobian_contracted_with_the_error_is_the_truncated_gradient(name, kw):
    """Σ_t H(t)ᵀ (y(t) - d(t)) over a string = ∂/∂w Σ_t ½‖y - d‖² with the truncated gradient."""
    rng = np.random.default_rng(1)
    net = lstmlib.build(name, 3, 3, trials=2, seed=2, init_range=0.5, **kw)
    learner = DEKFLearner(net, DEKF())
    x, d, lengths = strings(rng, 2, 3, 7, 3, 3)
    res = learner.train_strings(x, d, lengths, update=False, record_jacobian=True)
    y = net.forward(x.reshape(2, 3, 7, 3), lengths)
    starts = np.concatenate([np.zeros((2, 1), int), np.cumsum(lengths, axis=1)[:, :-1]], axis=1)
    g = learner.groups
    for k in range(2):
        for s in range(3):
            T = lengths[k, s]
            H = res.jacobian[k, starts[k, s]:starts[k, s] + T]  # [T, n, O]
            contracted = np.einsum("tnk,tk->n", H, y[k, s, :T] - d[k, s, :T])
            one = net.trial(k)
            _, grads = one.loss_and_grad(x[k, s:s + 1, :T], d[k, s:s + 1, :T], loss_at="every", gradient="truncated")
            ref = flat(g, grads, 0)
            assert np.abs(ref).max() > 1e-3
            np.testing.assert_allclose(contracted, ref, rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(net.forward(x.reshape(2, 3, 7, 3), lengths), y)  # update=False: no change


def test_groups_are_one_per_unit_with_the_peepholes_in_their_gate():
    net = thesis_network("peephole", "anbncn")
    g = weight_groups(net.layout)
    assert g["names"] == ["cell[0]", "cell[1]", "input_gate[0]", "input_gate[1]", "forget_gate[0]", "forget_gate[1]",
                          "output_gate[0]", "output_gate[1]", "output[0]", "output[1]", "output[2]", "output[3]"]
    # the thesis' g = n_M (n_C + 3) + n_Y = 2 · 4 + 4 groups; 7 sources per unit, + 1 peephole per gate
    assert list(np.diff(g["start"])) == [7, 7, 8, 8, 8, 8, 8, 8, 7, 7, 7, 7]
    assert g["start"][-1] == net.n_weights == 90
    peep = np.flatnonzero(g["arr"] == 1)
    assert [g["names"][np.searchsorted(g["start"], i, side="right") - 1] for i in peep] == [
        "input_gate[0]", "input_gate[1]", "forget_gate[0]", "forget_gate[1]", "output_gate[0]", "output_gate[1]"]
    two = lstmlib.build("peephole", 2, 2, 2, 3)  # blocks of 3 cells: a gate's group holds its 3 peepholes
    g2 = weight_groups(two.layout)
    assert g2["start"][-1] == two.n_weights
    assert np.diff(g2["start"])[g2["names"].index("forget_gate[1]")] == two.layout.n_sources + 3


# --- a numpy loop written from the equations ----------------------------------------------------------------------
def numpy_dekf(net, k, x, d, lengths, f: DEKF, threshold=0.0):
    """Trial k of a peephole LSTM (forget gates, identity g and h, outputs 4σ - 2 over [1, y, x]) trained by the
    DEKF, one string after another from a reset state, with explicit matrices.  Returns the final weights
    (packed), the covariance blocks, and per string the squared error and whether it was all right."""
    L = net.layout
    W, P, Wo = (net.params[p][k].copy() for p in PACKED)
    g = weight_groups(L)
    C, S, NB = L.n_cells, L.cells_per_block, L.n_blocks
    blk = np.arange(C) // S
    ri, rf, ro = L.rows["input_gate"], L.rows["forget_gate"], L.rows["output_gate"]
    covs = [f.delta * np.eye(m) for m in np.diff(g["start"])]
    n, O = g["start"][-1], L.n_outputs
    steps, sse, right = 0, [], []
    for s in range(x.shape[0]):
        state, y_prev = np.zeros(C), np.zeros(C)
        dz, di, df = (np.zeros((C, L.n_sources)) for _ in range(3))
        dpi, dpf = np.zeros((C, S)), np.zeros((C, S))
        err, ok = 0.0, True
        for t in range(lengths[s]):
            u = np.concatenate([[1.0], x[s, t], y_prev])
            s_blk = state.reshape(NB, S)
            z = W[:C] @ u
            i = sigma(W[ri] @ u + (P[0] * state).reshape(NB, S).sum(1))
            fg = sigma(W[rf] @ u + (P[1] * state).reshape(NB, S).sum(1))
            s_new = fg[blk] * state + i[blk] * z
            o = sigma(W[ro] @ u + (P[2] * s_new).reshape(NB, S).sum(1))
            yc = o[blk] * s_new
            src_out = np.concatenate([[1.0], yc, x[s, t]])
            out = 4 * sigma(Wo @ src_out) - 2
            dz = fg[blk, None] * dz + i[blk][:, None] * u
            di = fg[blk, None] * di + (z * (i * (1 - i))[blk])[:, None] * u
            df = fg[blk, None] * df + (state * (fg * (1 - fg))[blk])[:, None] * u
            dpi = fg[blk, None] * dpi + (z * (i * (1 - i))[blk])[:, None] * s_blk[blk]
            dpf = fg[blk, None] * dpf + (state * (fg * (1 - fg))[blk])[:, None] * s_blk[blk]
            H = np.zeros((n, O))
            for j in range(O):  # ∂out_j/∂w: the truncated gradient for the error (2 + out_j)(2 - out_j)/4 on j
                e = np.zeros(O)
                e[j] = (2 + out[j]) * (2 - out[j]) / 4
                eps = Wo[:, 1:1 + C].T @ e
                es = o[blk] * eps
                do = o * (1 - o) * (s_new * eps).reshape(NB, S).sum(1)
                gW, gP = peephole_step_gradient(L, u, es, do, s_new, (dz, di, df, dpi, dpf))
                H[:, j] = flat(g, {"hidden": [gW], "peephole": [gP], "output": [np.outer(e, src_out)]}, 0)
            resid = d[s, t] - out
            err += resid @ resid
            ok &= bool(np.all(np.where(d[s, t] > threshold, out > threshold, out < threshold)))
            u_t = steps if f.anneal_unit == "step" else s
            q, r = f.q(u_t), f.r(u_t)
            Hg = [H[g["start"][m]:g["start"][m + 1]] for m in range(len(covs))]
            A = np.linalg.inv(r * np.eye(O) + sum(h.T @ p @ h for h, p in zip(Hg, covs)))
            dw = np.zeros(n)
            for m, (h, p) in enumerate(zip(Hg, covs)):
                K = p @ h @ A
                dw[g["start"][m]:g["start"][m + 1]] = K @ resid
                covs[m] = p - K @ h.T @ p + q * np.eye(len(p))
            for idx, (a, pp, qq) in enumerate(zip(g["arr"], g["p"], g["q"])):
                (W, P, Wo)[a][pp, qq] += dw[idx]
            steps += 1
            state, y_prev = s_new, yc
        sse.append(err)
        right.append(ok)
    return (W, P, Wo), covs, np.array(sse), np.array(right)


@pytest.mark.parametrize("unit", ["step", "string"])
def test_corrections_equal_the_numpy_loop(unit):
    rng = np.random.default_rng(3)
    K, N, T = 2, 4, 6
    net = lstmlib.build("peephole", 3, 3, 2, 2, trials=K, seed=5, init_range=0.3, output="logistic2",
                        output_from="cells+inputs", cell_input="identity", cell_output="identity", loss="mse")
    f = DEKF(delta=3.0, q_max=1e-2, q_min=1e-4, q_T=4.0, r_max=20.0, r_min=1.0, r_T=3.0, anneal_unit=unit)
    x, d, lengths = strings(rng, K, N, T, 3, 3)
    ref = [numpy_dekf(net, k, x[k], d[k], lengths[k], f) for k in range(K)]
    learner = DEKFLearner(net, f)
    half = learner.train_strings(x[:, :2], d[:, :2], lengths[:, :2])  # two calls: state carried between them
    rest = learner.train_strings(x[:, 2:], d[:, 2:], lengths[:, 2:])
    for k in range(K):
        (W, P, Wo), covs, sse, right = ref[k]
        for name, a in zip(PACKED, (W, P, Wo)):
            np.testing.assert_allclose(net.params[name][k], a, rtol=1e-9, atol=1e-12)
        for m, c in enumerate(covs):
            np.testing.assert_allclose(learner.covariance(k, m), c, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.concatenate([half.squared_error[k], rest.squared_error[k]]), sse, rtol=1e-10)
        np.testing.assert_array_equal(np.concatenate([half.all_right[k], rest.all_right[k]]), right)
    assert np.all(learner.steps == lengths.sum(axis=1)) and np.all(learner.strings == N)
    moved = np.abs(net.params["hidden"] - lstmlib.build(
        "peephole", 3, 3, 2, 2, trials=K, seed=5, init_range=0.3, output="logistic2", output_from="cells+inputs",
        cell_input="identity", cell_output="identity").params["hidden"]).max()
    assert moved > 1e-3


def test_one_correction_is_a_full_ekf_step_on_block_diagonal_covariances():
    """From a block-diagonal P, the decoupled step is the global EKF step (A = (R I + HᵀPH)⁻¹, K = PHA,
    w += K(d - y), P -= KHᵀP, + Q I) restricted to the diagonal blocks."""
    rng = np.random.default_rng(7)
    net = thesis_network("peephole", "anbncn", trials=1, seed=3)
    f = DEKF(delta=1.0, q_max=2e-3, q_min=2e-3, r_max=5.0, r_min=5.0)
    learner = DEKFLearner(net, f)
    g = learner.groups
    sizes = np.diff(g["start"])
    blocks = []
    for m, size in enumerate(sizes):  # random SPD blocks
        a = rng.normal(size=(size, size))
        blocks.append(a @ a.T / size + 0.5 * np.eye(size))
        learner.cov[0, g["cov_start"][m]:g["cov_start"][m + 1]] = blocks[-1].ravel()
    lang = THESIS_LANGUAGES["anbncn"]
    x, d, lengths = lang.encode(np.array([2]))
    x1, d1 = x[:, :1], d[:, :1]  # one step: the string's first
    w0 = learner.flat_weights()[0]
    y = net.forward(x1)[0, 0, 0]
    res = learner.train_strings(x1[None], d1[None], np.array([[1]]), record_jacobian=True)
    H = res.jacobian[0, 0]
    n = len(w0)
    Pfull = np.zeros((n, n))
    for m, b in enumerate(blocks):
        Pfull[g["start"][m]:g["start"][m + 1], g["start"][m]:g["start"][m + 1]] = b
    A = np.linalg.inv(5.0 * np.eye(4) + H.T @ Pfull @ H)
    K = Pfull @ H @ A
    w_ekf = w0 + K @ (d1[0, 0] - y)
    P_ekf = Pfull - K @ H.T @ Pfull + 2e-3 * np.eye(n)
    np.testing.assert_allclose(learner.flat_weights()[0], w_ekf, rtol=1e-10, atol=1e-13)
    for m in range(len(sizes)):
        sl = slice(g["start"][m], g["start"][m + 1])
        np.testing.assert_allclose(learner.covariance(0, m), P_ekf[sl, sl], rtol=1e-10, atol=1e-13)
    off = P_ekf[:7, 7:14]  # the coupling the decoupled filter drops is really there
    assert np.abs(off).max() > 1e-6


def test_annealing_follows_the_thesis_formula_and_presets():
    f = DEKF.thesis_short(10.0)
    assert (f.delta, f.q_max, f.q_min, f.r_max, f.r_min, f.r_T) == (10.0, 5e-3, 5e-3, 100.0, 1.0, 1000.0)
    np.testing.assert_allclose(f.r([0, 1000, 10_000]), [100.0, 99 / np.e + 1, 99 * np.exp(-10) + 1])
    np.testing.assert_allclose(f.q([0, 5000]), 5e-3)
    long = DEKF.thesis_long(0.01)
    assert (long.delta, long.q_max, long.q_min, long.q_T) == (0.01, 5e-3, 1e-6, 1000.0)
    np.testing.assert_allclose(long.q(1000), (5e-3 - 1e-6) / np.e + 1e-6)


def test_bad_inputs_fail_before_any_work():
    net = thesis_network("peephole", "anbncn", trials=2)
    with pytest.raises(ValueError, match="filter must be"):
        DEKFLearner(net, "dekf")
    with pytest.raises(ValueError, match="cell state"):
        DEKFLearner(lstmlib.build("rnn", 2, 2, 2), DEKF())
    with pytest.raises(ValueError, match="float64"):
        DEKFLearner(lstmlib.build("peephole", 2, 2, dtype="float32"), DEKF())
    for bad in (dict(delta=0), dict(delta=float("nan")), dict(r_min=0), dict(q_min=1.0, q_max=0.1),
                dict(anneal_unit="epoch"), dict(q_T=-1), dict(r_max=True)):
        with pytest.raises(ValueError):
            DEKF(**bad)
    learner = DEKFLearner(net, DEKF())
    before = {k: v.copy() for k, v in net.params.items()}
    x, d, lengths = strings(np.random.default_rng(0), 2, 3, 5, 4, 4)
    for args, match in [((x[..., :3], d, lengths), "x must have shape"), ((x, d[..., :3], lengths), "target"),
                        ((x, d, lengths[:, :2]), "lengths"), ((x, d, lengths * 0), "lengths"),
                        ((x, d, lengths + 0.5), "lengths"), ((np.where(x > 0, np.nan, x), d, lengths), "non-finite")]:
        with pytest.raises(ValueError, match=match):
            learner.train_strings(*args)
    with pytest.raises(ValueError, match="threshold"):
        learner.train_strings(x, d, lengths, threshold=float("inf"))
    for k, v in before.items():
        np.testing.assert_array_equal(net.params[k], v)
    assert learner.steps.sum() == 0


def test_diverging_trial_is_frozen_and_the_others_run_as_alone():
    rng = np.random.default_rng(4)
    net = thesis_network("peephole", "anbncn", trials=3, seed=1)
    x, d, lengths = strings(rng, 3, 4, 6, 4, 4)
    alone = net.subset([0, 2])
    la = DEKFLearner(alone, DEKF())
    la.train_strings(x[[0, 2]], d[[0, 2]], lengths[[0, 2]])
    learner = DEKFLearner(net, DEKF())
    learner.cov[1, :] = np.nan  # trial 1's filter is broken: its first correction cannot be formed
    w1 = {k: v[1].copy() for k, v in net.params.items()}
    res = learner.train_strings(x, d, lengths)
    assert list(res.diverged) == [False, True, False] and list(learner.active) == [1, -1, 1]
    assert res.steps[1] == 1 and learner.steps[1] == 0
    for k, v in w1.items():
        np.testing.assert_array_equal(net.params[k][1], v)
    for k in net.params:
        np.testing.assert_array_equal(net.params[k][[0, 2]], alone.params[k])
    again = learner.train_strings(x, d, lengths)  # frozen for good
    assert again.steps[1] == 0 and np.isnan(again.squared_error[1]).all() and not again.all_right[1].any()


def test_paused_trial_is_untouched_and_same_seed_same_numbers():
    lang = THESIS_LANGUAGES["anbncn"]
    runs = []
    for _ in range(2):
        net = thesis_network("peephole", "anbncn", trials=2, seed=9)
        learner = DEKFLearner(net, DEKF.thesis_short(1.0))
        learner.active[1] = 0
        w1 = net.params["hidden"][1].copy()
        x, d, lengths, _ = lang.sample(np.random.default_rng(2), 2, 30, (1, 10))
        res = learner.train_strings(x, d, lengths, threshold=lang.threshold)
        np.testing.assert_array_equal(net.params["hidden"][1], w1)
        assert np.isnan(res.squared_error[1]).all() and res.steps[1] == 0
        runs.append((res.squared_error[0], net.params["hidden"][0].copy(), learner.cov[0].copy()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_the_thesis_net_learns_anbncn_within_a_few_thousand_strings():
    """Pérez-Ortiz 2002 (p. 106): with P[0] = 10 I most nets learn the training set n ∈ [1, 10] in about 2000
    strings.  A behaviour check on 4 nets, 2000 strings each."""
    from lstmlib.tasks.languages import training_set_accepted
    lang = THESIS_LANGUAGES["anbncn"]
    net = thesis_network("peephole", "anbncn", trials=4, seed=0)
    learner = DEKFLearner(net, DEKF.thesis_short(10.0))
    x, d, lengths, _ = lang.sample(np.random.default_rng(0), 4, 2000, (1, 10))
    learner.train_strings(x, d, lengths, threshold=lang.threshold)
    assert training_set_accepted(net, lang, (1, 10)).sum() >= 2
