"""Optimisers and the training loop on the compiled engine."""

import numpy as np
import pytest
from conftest import random_batch, small_net

import lstmlib


def test_one_sgd_step_is_w_minus_lr_times_the_gradient(rng):
    net = small_net("peephole", trials=2)
    x, target, lengths, _ = random_batch(rng, trials=2, batch=4)
    end_target = target[:, :, 0]
    _, grads = net.loss_and_grad(x, end_target, lengths, gradient="truncated")
    before = {p: a.copy() for p, a in net.params.items()}
    loss, err = lstmlib.Trainer(net, lstmlib.SGD(0.3), batch_size=4).run(x, end_target, lengths)
    for p in before:
        np.testing.assert_allclose(net.params[p], before[p] - 0.3 * grads[p], atol=1e-15)
    assert loss.shape == err.shape == (2, 4)


def reference_updates(net, optimizer, x, target, steps):
    """The same updates done in Python from loss_and_grad (batch 1, one sequence per update)."""
    ref = net.copy()
    m = {p: np.zeros_like(a) for p, a in ref.params.items()}
    v = {p: np.zeros_like(a) for p, a in ref.params.items()}
    for n in range(steps):
        _, g = ref.loss_and_grad(x[:, n:n + 1], target[:, n:n + 1], gradient="exact")
        for p in ref.params:
            if isinstance(optimizer, lstmlib.Momentum):
                m[p] = optimizer.momentum * m[p] - optimizer.lr * g[p]
                ref.params[p] += m[p]
            else:
                m[p] = optimizer.beta1 * m[p] + (1 - optimizer.beta1) * g[p]
                v[p] = optimizer.beta2 * v[p] + (1 - optimizer.beta2) * g[p] ** 2
                mhat, vhat = m[p] / (1 - optimizer.beta1 ** (n + 1)), v[p] / (1 - optimizer.beta2 ** (n + 1))
                ref.params[p] -= optimizer.lr * mhat / (np.sqrt(vhat) + optimizer.eps) * net.layout.masks()[p]
    return ref


@pytest.mark.parametrize("optimizer", [lstmlib.Momentum(0.1, 0.9), lstmlib.Adam(0.01)])
def test_momentum_and_adam_follow_their_textbook_rules(optimizer, rng):
    net = small_net("forget", trials=2)
    x = rng.normal(size=(2, 5, 6, 2))
    target = rng.uniform(size=(2, 5, 2))
    ref = reference_updates(net, optimizer, x, target, 5)
    lstmlib.Trainer(net, optimizer, gradient="exact").run(x, target)
    for p in net.params:
        np.testing.assert_allclose(net.params[p], ref.params[p], atol=1e-13)


def recall_task(trials=3, T=12):
    """Remember the sign of the first input for T steps (a tiny long-lag task)."""
    def sample(rng, n):
        x = rng.normal(0, 0.2, size=(trials, n, T, 1))
        sign = rng.integers(0, 2, size=(trials, n))
        x[:, :, 0, 0] = 2.0 * sign - 1.0
        return x, sign[..., None].astype(float), None, "end"
    return sample


def test_online_training_learns_a_small_recall_task_and_records_curves():
    net = lstmlib.build("vanilla", 1, 1, 2, 1, trials=3, output="logistic", input_gate_bias=(-1, -3),
                        output_gate_bias=(-2, -4), seed=0)

    def stop(loss, err):  # the first sequence after which the 200 most recent were within 0.2
        ok = err < 0.2
        met = np.full(len(ok), -1)
        for k, row in enumerate(ok):
            run = np.convolve(row, np.ones(200), "valid")
            hit = np.flatnonzero(run == 200)
            met[k] = hit[0] + 199 if len(hit) else -1
        return met

    hist = lstmlib.train(net, recall_task(), lstmlib.SGD(1.0), sequences=30_000, chunk=2000, stop=stop, seed=1)
    assert hist.status == ["solved"] * 3, hist.status
    assert np.all(hist.criterion_met_at > 0) and np.all(hist.criterion_met_at <= hist.sequences_seen)
    seen, loss, correct = hist.curve_arrays()
    assert seen.shape == loss.shape == correct.shape and seen.shape[1] == 3
    assert np.all(np.diff(seen, axis=0) >= 0)
    assert loss[-1].mean() < loss[0].mean()


def test_training_is_reproducible():
    results = []
    for _ in range(2):
        net = lstmlib.build("peephole", 1, 1, 2, 1, trials=2, output="logistic", seed=3)
        hist = lstmlib.train(net, recall_task(2), lstmlib.SGD(0.5), sequences=600, chunk=200, seed=9)
        results.append((net.params["hidden"].copy(), hist.curve_arrays()[1]))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_a_diverging_trial_is_reported_not_raised():
    net = lstmlib.build("rnn", 1, 1, 4, trials=2, seed=0, init_range=1.0)
    net.params["hidden"][1] *= 1e200  # trial 1 overflows at once
    net.params["output"][1] *= 1e200
    hist = lstmlib.train(net, recall_task(2), lstmlib.SGD(0.1), sequences=400, chunk=100)
    assert hist.status == ["budget", "diverged"]
    assert hist.sequences_seen[0] == 400
    assert np.all(np.isfinite(net.params["hidden"][0]))


def test_bad_training_arguments_raise():
    net = small_net("vanilla")
    with pytest.raises(ValueError, match="lr"):
        lstmlib.SGD(-1)
    with pytest.raises(ValueError, match="momentum"):
        lstmlib.Momentum(0.1, 1.5)
    with pytest.raises(ValueError, match="optimizer"):
        lstmlib.Trainer(net, "sgd")
    with pytest.raises(ValueError, match="batch_size"):
        lstmlib.Trainer(net, lstmlib.SGD(0.1), batch_size=0)
    with pytest.raises(ValueError, match="multiple of batch_size"):
        lstmlib.Trainer(net, lstmlib.SGD(0.1), batch_size=2).run(np.zeros((2, 3, 4, 2)), np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="sequences"):
        lstmlib.train(net, recall_task(), lstmlib.SGD(0.1), sequences=0)


def test_track_weights_records_the_training_it_does():
    from lstmlib.tasks.recall import Adding1997
    from lstmlib.training import track_weights
    task = Adding1997(20)
    net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=3, seed=1)
    twin = net.copy()
    seen, tracks, loss = track_weights(net, task.sampler(3), lstmlib.SGD(0.5), sequences=250, every=100,
                                       names=["output.cells", "cell.x"], seed=4)
    np.testing.assert_array_equal(seen, [0, 100, 200, 250])  # the last chunk is partial
    assert tracks["cell.x"].shape == (4,) + net["cell.x"].shape and loss.shape == (4, 3)
    np.testing.assert_array_equal(tracks["output.cells"][0], twin["output.cells"])
    np.testing.assert_array_equal(tracks["output.cells"][-1], net["output.cells"])  # 250 sequences trained
    assert np.all(tracks["output.cells"][-1] != tracks["output.cells"][0])
    trainer = lstmlib.Trainer(twin, lstmlib.SGD(0.5))  # the same 250 sequences by hand
    rng = np.random.default_rng(4)
    for n in (100, 100, 50):
        trainer.run(*task.sample(rng, 3, n))
    np.testing.assert_allclose(twin["cell.x"], net["cell.x"], rtol=0, atol=0)
    with pytest.raises(ValueError, match="unknown parameter"):
        track_weights(net, task.sampler(3), lstmlib.SGD(0.5), sequences=10, every=5, names=["nope"])
    with pytest.raises(ValueError, match="every"):
        track_weights(net, task.sampler(3), lstmlib.SGD(0.5), sequences=10, every=0, names=["cell.x"])


# ---------------------------------------------------------------- gradient-norm clipping

def clipped_by_torch(grads, limit):
    """Each trial's gradient (packed arrays, trial first) clipped by torch.nn.utils.clip_grad_norm_ over
    that trial's parameters: the reference the engine's clipping is checked against."""
    torch = pytest.importorskip("torch")
    out = {p: np.empty_like(g) for p, g in grads.items()}
    for k in range(next(iter(grads.values())).shape[0]):
        params = []
        for p, g in grads.items():
            t = torch.nn.Parameter(torch.zeros(g[k].shape, dtype=torch.float64))
            t.grad = torch.tensor(g[k])
            params.append((p, t))
        torch.nn.utils.clip_grad_norm_([t for _, t in params], limit)
        for p, t in params:
            out[p][k] = t.grad.numpy()
    return out


@pytest.mark.parametrize("optimizer", [lstmlib.SGD, lstmlib.Momentum])
def test_clipping_rescales_each_trials_gradient_to_the_limit(optimizer, rng):
    net = small_net("peephole", trials=3)
    x, target, lengths, _ = random_batch(rng, trials=3, batch=4)
    end_target = target[:, :, 0]
    _, grads = net.loss_and_grad(x, end_target, lengths, gradient="truncated")
    norms = np.sqrt(sum((g.reshape(3, -1) ** 2).sum(axis=1) for g in grads.values()))
    limit = float(np.median(norms))  # one trial above the limit, one at it, one below: only the first is clipped
    expected = clipped_by_torch(grads, limit)
    before = {p: a.copy() for p, a in net.params.items()}
    lstmlib.Trainer(net, optimizer(0.3, clip_norm=limit), batch_size=4).run(x, end_target, lengths)
    for p in before:  # torch divides by norm + 1e-6, the engine by the norm: equal to 1e-6 / norm relative
        np.testing.assert_allclose(net.params[p] - before[p], -0.3 * expected[p], rtol=2e-6 / limit, atol=1e-15)
        below = norms <= limit
        np.testing.assert_array_equal(net.params[p][below], before[p][below] - 0.3 * grads[p][below])
    clipped = np.sqrt(sum((((before[p] - net.params[p]) / 0.3).reshape(3, -1) ** 2).sum(axis=1) for p in before))
    assert clipped[norms > limit] == pytest.approx(limit, rel=1e-12)


def test_a_limit_no_gradient_reaches_changes_nothing(rng):
    net = small_net("forget", trials=2)
    x = rng.normal(size=(2, 5, 6, 2))
    target = rng.uniform(size=(2, 5, 2))
    plain, clipped = net.copy(), net.copy()
    lstmlib.Trainer(plain, lstmlib.Adam(0.01), gradient="exact").run(x, target)
    lstmlib.Trainer(clipped, lstmlib.Adam(0.01, clip_norm=1e9), gradient="exact").run(x, target)
    for p in net.params:
        np.testing.assert_array_equal(plain.params[p], clipped.params[p])  # bit for bit


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan"), True])
def test_a_bad_clip_norm_is_refused(bad):
    with pytest.raises(ValueError, match="clip_norm"):
        lstmlib.SGD(0.1, clip_norm=bad)


def test_the_online_learner_refuses_clipping():
    with pytest.raises(ValueError, match="does not clip"):
        lstmlib.OnlineLearner(small_net("peephole"), lstmlib.SGD(0.1, clip_norm=1.0))


@pytest.mark.parametrize("optimizer, batch", [(lstmlib.SGD(0.3), 1), (lstmlib.Adam(0.01), 2)])
def test_trials_that_do_not_train_are_left_out_and_the_others_change_not_a_bit(optimizer, batch, rng):
    """A paused trial costs nothing and leaves every number of the others as it was."""
    net = small_net("peephole", trials=4)
    x = rng.normal(size=(4, 6, 5, 2))
    target = rng.uniform(size=(4, 6, 2))
    everyone, some = net.copy(), net.copy()
    t_all = lstmlib.Trainer(everyone, optimizer, gradient="exact", batch_size=batch)
    t_some = lstmlib.Trainer(some, optimizer, gradient="exact", batch_size=batch)
    t_all.run(x, target)
    t_some.run(x, target)  # both have taken a step, so that the optimiser state matters below
    t_some.active[[1, 3]] = 0
    frozen = {p: a[[1, 3]].copy() for p, a in some.params.items()}
    loss_all, err_all = t_all.run(x, target)
    loss_some, err_some = t_some.run(x, target)
    for p in net.params:
        np.testing.assert_array_equal(some.params[p][[0, 2]], everyone.params[p][[0, 2]])
        np.testing.assert_array_equal(some.params[p][[1, 3]], frozen[p])
    np.testing.assert_array_equal(loss_some[[0, 2]], loss_all[[0, 2]])
    np.testing.assert_array_equal(err_some[[0, 2]], err_all[[0, 2]])
    assert np.isnan(loss_some[[1, 3]]).all() and np.isnan(err_some[[1, 3]]).all()
    np.testing.assert_array_equal(t_some.steps, [2 * 6 // batch, 6 // batch, 2 * 6 // batch, 6 // batch])
    t_some.active[:] = 1  # back to training: trial 0 and trial 1 now differ only by the paused steps
    t_some.run(x, target)
    assert np.all(np.isfinite(some.params["hidden"]))


@pytest.mark.parametrize("paused", [[], [3], [0, 2, 4, 6, 8, 10, 12, 13]])  # 14, 13 and 6 live trials
def test_padding_the_lanes_with_inert_trials_changes_not_a_bit(paused, rng, monkeypatch):
    """Online (batch 1) the trainer rounds 5-7 live trials up to 8 lanes with copies that never learn:
    the same weights, optimiser state, steps, losses and errors as without them, bit for bit."""
    from lstmlib.training import trainer as trainer_module
    K = 14
    net = small_net("peephole", trials=K)
    x = rng.normal(size=(K, 6, 5, 2))
    target = rng.uniform(size=(K, 6, 2))
    padded, plain = net.copy(), net.copy()
    results = {}
    for name, copy, pad in (("padded", padded, trainer_module.padding), ("plain", plain, lambda *a: 0)):
        monkeypatch.setattr(trainer_module, "padding", pad)
        t = lstmlib.Trainer(copy, lstmlib.Momentum(0.1, 0.9), gradient="exact")
        t.run(x, target)
        t.active[paused] = 0
        results[name] = (t, *t.run(x, target), *t.run(x, target))
    monkeypatch.undo()
    assert trainer_module.padding(K - len(paused), 1, np.float64) > 0  # the case padding applies to
    (ta, *out_a), (tb, *out_b) = results["padded"], results["plain"]
    for p in net.params:
        np.testing.assert_array_equal(padded.params[p], plain.params[p])
    for a, b in zip(ta.state + ta.grads + (ta.steps, ta.active), tb.state + tb.grads + (tb.steps, tb.active)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(out_a, out_b):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("trials, batch, dtype, pad", [(5, 1, np.float64, 3), (7, 1, np.float64, 1),
                                                        (13, 1, np.float64, 3), (4, 1, np.float64, 0),
                                                        (8, 1, np.float64, 0), (21, 1, np.float64, 0),
                                                        (6, 2, np.float64, 0), (6, 1, np.float32, 0)])
def test_lanes_are_padded_only_where_it_was_measured_to_pay(trials, batch, dtype, pad):
    from lstmlib.training.trainer import padding
    assert padding(trials, batch, dtype) == pad


def test_evaluating_some_trials_gives_their_numbers_from_a_full_evaluation():
    from lstmlib.tasks.recall import Adding1997
    net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=3, seed=4)
    task = Adding1997(20)
    full = lstmlib.training.evaluate(net, task, n=300, seed=5, batch=128)
    part = lstmlib.training.evaluate(net, task, n=300, seed=5, batch=128, trials=[2, 0])
    for key in ("wrong", "mean_abs_error", "mse"):
        np.testing.assert_array_equal(part[key][[0, 2]], full[key][[0, 2]])
    assert part["wrong"][1] == -1 and np.isnan(part["mean_abs_error"][1])


def test_stop_at_error_trains_exactly_as_loss_weights_cut_after_the_first_wrong_step(rng):
    """One compiled pass (Gers et al. 2002's training streams) against the two-pass way: find each
    sequence's first wrong step with a forward pass, then train with the loss weights after it zeroed."""
    net = lstmlib.build("rnn", 1, 1, 3, trials=4, output="logistic", seed=2, init_range=1.0)
    T, tol = 30, 0.45
    x = rng.normal(size=(4, 1, T, 1))
    target = (rng.uniform(size=(4, 1, T, 1)) < 0.5).astype(float)
    w = (rng.uniform(size=(4, 1, T)) < 0.3).astype(float)
    w[3] = 0.0  # trial 3 has no judged step: it never errs and runs to its end
    lengths = np.array([[T], [T], [T - 7], [T]])
    w[2, :, T - 7:] = 0.0  # no loss past a sequence's end
    cut, two_pass = net.copy(), net.copy()
    y = two_pass.forward(x, lengths)
    wrong = (w > 0) & ~(np.abs(y - target).max(axis=-1) < tol) & (np.arange(T) < lengths[..., None])
    first = np.where(wrong.any(axis=-1), wrong.argmax(axis=-1), -1)[:, 0]
    assert (first >= 0).sum() >= 2, first  # the test needs trials that err
    w_cut = w * (np.arange(T)[None, None, :] <= np.where(first < 0, T, first)[:, None, None])
    t_cut = lstmlib.Trainer(cut, lstmlib.SGD(0.2), gradient="exact")
    loss_c, err_c = t_cut.run(x, target, lengths, loss_at=w, stop_at_error=tol)
    loss_2, err_2 = lstmlib.Trainer(two_pass, lstmlib.SGD(0.2), gradient="exact").run(x, target, lengths, loss_at=w_cut)
    np.testing.assert_array_equal(t_cut.first_wrong[:, 0], first)
    for p in net.params:
        np.testing.assert_array_equal(cut.params[p], two_pass.params[p])
    np.testing.assert_array_equal(loss_c, loss_2)
    np.testing.assert_array_equal(err_c, err_2)
    with pytest.raises(ValueError, match="stop_at_error"):
        t_cut.run(x, target, lengths, loss_at=w, stop_at_error=0.0)
