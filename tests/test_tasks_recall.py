"""lstmlib.tasks pinned to Hochreiter & Schmidhuber 1997 §5.3 (Exp. 3a/3b/3c), §5.4 (Exp. 4, adding)
and §5.5 (Exp. 5, multiplication): exact structural rules on every sequence, and statistical checks
(within 5 standard errors) over 20,000 sequences."""

import numpy as np
import pytest

import lstmlib
from lstmlib.model import outputs_at_end
from lstmlib.tasks.recall import Adding1997, Multiplication, TaskBatch, TwoSequence

TRIALS, PER_TRIAL = 4, 5000  # 20,000 sequences per statistical check
Z = 5.0                      # tolerance in standard errors


def close_in_se(observed, expected, se):
    return abs(observed - expected) <= Z * se


def check_mean_var(a, mean, var, fourth_moment):
    """Sample mean and variance of ``a`` against the distribution's, within Z standard errors."""
    n = a.size
    assert close_in_se(a.mean(), mean, np.sqrt(var / n)), (a.mean(), mean)
    assert close_in_se(a.var(), var, np.sqrt((fourth_moment - var ** 2) / n)), (a.var(), var)


def check_frequencies(values, support, probs):
    """Every value lies in ``support`` and each one's frequency matches ``probs`` within Z s.e."""
    values = np.asarray(values).ravel()
    assert np.isin(values, support).all()
    for v, p in zip(support, probs):
        f = np.mean(values == v)
        assert close_in_se(f, p, np.sqrt(p * (1 - p) / values.size)), (v, f, p)


def valid_mask(batch):
    return np.arange(batch.x.shape[2]) < batch.lengths[:, :, None]


def check_lengths(task, batch):
    T = task.T
    assert batch.lengths.dtype == np.int64 and batch.lengths.shape == batch.x.shape[:2]
    assert batch.x.shape[2] == T + T // 10
    support = np.arange(T, T + T // 10 + 1)
    check_frequencies(batch.lengths, support, np.full(support.size, 1 / support.size))
    assert batch.lengths.min() == T and batch.lengths.max() == T + T // 10
    assert np.all(batch.x[~valid_mask(batch)] == 0.0)


# ---------------------------------------------------------------- Exp. 3: the 2-sequence problem

@pytest.fixture(scope="module")
def three_a():
    task = TwoSequence(100, N=3)
    return task, task.draw(np.random.default_rng(31), TRIALS, PER_TRIAL)


def class1_of(x):
    """Class from the (noise-free) first element: +1.0 is class 1, -1.0 class 2."""
    return x[:, :, 0, 0] > 0


def test_two_sequence_3a_inputs_and_targets(three_a):
    task, b = three_a
    assert (task.n_inputs, task.n_outputs) == (1, 1)
    assert b.x.dtype == np.float64 and b.x.shape == (TRIALS, PER_TRIAL, 110, 1)
    assert b.target.shape == b.clean_target.shape == (TRIALS, PER_TRIAL, 1) and b.loss_at == "end"
    check_lengths(task, b)
    c1 = class1_of(b.x)
    # the first N elements carry the class exactly: +1.0 (class 1) or -1.0 (class 2)
    np.testing.assert_array_equal(b.x[:, :, :3, 0], np.where(c1, 1.0, -1.0)[:, :, None].repeat(3, 2))
    # target 1.0 for class 1, 0.0 for class 2; no target noise
    np.testing.assert_array_equal(b.target[..., 0], np.where(c1, 1.0, 0.0))
    np.testing.assert_array_equal(b.target, b.clean_target)
    check_frequencies(c1, [True, False], [0.5, 0.5])
    # elements after the first N: Gaussian, mean 0, variance 0.2
    noise = b.x[..., 0][valid_mask(b) & (np.arange(110) >= 3)]
    assert noise.size == (b.lengths - 3).sum()
    check_mean_var(noise, 0.0, 0.2, 3 * 0.2 ** 2)
    assert close_in_se(np.mean(np.abs(noise) < np.sqrt(0.2)), 0.682689, np.sqrt(0.22 / noise.size))


def test_two_sequence_N1_and_short_T():
    task = TwoSequence(10, N=1)
    b = task.draw(np.random.default_rng(2), 2, 2000)
    assert b.x.shape[2] == 11  # T//10 = 1
    assert set(np.unique(b.x[:, :, 0, 0])) == {-1.0, 1.0}
    assert not np.isin(b.x[:, :, 1, 0], [-1.0, 1.0]).any()  # position 1 is already noise
    check_lengths(task, b)


def test_two_sequence_3b_noise_on_informative_elements():
    task = TwoSequence(100, N=3, noise_on_informative=True)
    b = task.draw(np.random.default_rng(32), TRIALS, PER_TRIAL)
    check_lengths(task, b)
    clean = np.where(b.target[..., 0] == 1.0, 1.0, -1.0)  # 3b targets are still noise-free 1.0 / 0.0
    assert np.isin(b.target, [0.0, 1.0]).all()
    check_frequencies(clean, [1.0, -1.0], [0.5, 0.5])
    informative_noise = b.x[:, :, :3, 0] - clean[:, :, None]
    check_mean_var(informative_noise, 0.0, 0.2, 3 * 0.2 ** 2)
    tail = b.x[..., 0][valid_mask(b) & (np.arange(110) >= 3)]
    check_mean_var(tail, 0.0, 0.2, 3 * 0.2 ** 2)


def test_two_sequence_3c_target_noise_and_clean_target():
    task = TwoSequence(100, N=3, target_noise=True)
    b = task.draw(np.random.default_rng(33), TRIALS, PER_TRIAL)
    check_lengths(task, b)
    c1 = class1_of(b.x)
    np.testing.assert_array_equal(b.x[:, :, :3, 0], np.where(c1, 1.0, -1.0)[:, :, None].repeat(3, 2))  # like 3a
    np.testing.assert_array_equal(b.clean_target[..., 0], np.where(c1, 0.2, 0.8))
    target_noise = (b.target - b.clean_target).ravel()
    check_mean_var(target_noise, 0.0, 0.1, 3 * 0.1 ** 2)
    # sample() gives the noisy target that training uses, from the same generator state as draw()
    x, target, lengths, loss_at = task.sample(np.random.default_rng(33), TRIALS, PER_TRIAL)
    np.testing.assert_array_equal(target, b.target)
    np.testing.assert_array_equal(x, b.x)


def test_two_sequence_3b_and_3c_together():
    b = TwoSequence(20, N=1, noise_on_informative=True, target_noise=True).draw(np.random.default_rng(3), 2, 4000)
    sign = np.where(b.clean_target[..., 0] == 0.2, 1.0, -1.0)
    assert np.isin(b.clean_target, [0.2, 0.8]).all()
    check_mean_var(b.x[:, :, 0, 0] - sign, 0.0, 0.2, 3 * 0.2 ** 2)
    check_mean_var(b.target - b.clean_target, 0.0, 0.1, 3 * 0.1 ** 2)


def test_two_sequence_criteria():
    zero = np.zeros((2, 3, 1))
    a = TwoSequence(100)
    assert a.correct(zero + 0.2 - 1e-12, zero).all() and a.correct(zero - 0.2 + 1e-12, zero).all()
    assert not a.correct(zero + 0.2, zero).any() and not a.correct(zero - 0.2, zero).any()  # "below 0.2"
    assert a.correct(zero, zero).shape == (2, 3)
    assert not TwoSequence(100, noise_on_informative=True).correct(zero + 0.2, zero).any()
    c = TwoSequence(100, target_noise=True)  # misclassified iff |output - noise-free target| > 0.1
    assert c.correct(zero + 0.1, zero).all() and c.correct(zero - 0.1, zero).all()
    assert not c.correct(zero + 0.1 + 1e-12, zero).any() and not c.correct(zero - 0.1 - 1e-12, zero).any()
    mixed = c.correct(np.array([[[0.25], [0.75], [0.35]]]), np.array([[[0.2], [0.8], [0.2]]]))
    np.testing.assert_array_equal(mixed, [[True, True, False]])


# ---------------------------------------------------------------- Exp. 4 and 5: marked pairs

@pytest.fixture(scope="module", params=[Adding1997, Multiplication])
def marked(request):
    task = request.param(100)
    return task, task.draw(np.random.default_rng(41), TRIALS, PER_TRIAL)


def marks_of(b):
    """Positions of the two 1.0 markers per sequence, sorted: [trials, n, 2]."""
    return np.sort(np.argsort(b.x[..., 1] == 1.0, axis=2, kind="stable")[:, :, -2:], axis=2)


def test_marked_pairs_markers(marked):
    task, b = marked
    T, K, n = task.T, TRIALS, PER_TRIAL
    assert (task.n_inputs, task.n_outputs) == (2, 1)
    assert b.x.dtype == np.float64 and b.x.shape == (K, n, 110, 2) and b.target.shape == (K, n, 1)
    check_lengths(task, b)
    m = b.x[..., 1]
    valid = valid_mask(b)
    assert np.isin(m[valid], [-1.0, 0.0, 1.0]).all()
    assert np.all((m == 1.0).sum(axis=2) == 2)                       # exactly two marks
    lo, hi = marks_of(b)[..., 0], marks_of(b)[..., 1]
    assert np.all(lo < hi)                                           # never the same pair
    assert np.all(lo <= 9)                                           # one mark among the first ten pairs
    assert np.all(hi <= T // 2 - 1)                                  # both within the first T/2 pairs
    assert np.all(b.lengths - 1 - hi >= T / 2)                       # minimal time lag T/2
    first_marked = m[:, :, 0] == 1.0
    assert np.all(m[:, :, 0][~first_marked] == -1.0)                 # first pair -1 unless marked
    last = np.take_along_axis(m, (b.lengths - 1)[:, :, None], axis=2)[:, :, 0]
    assert np.all(last == -1.0)                                      # final pair -1 (never marked)
    n_minus = (m == -1.0).sum(axis=2)
    np.testing.assert_array_equal(n_minus, np.where(first_marked, 1, 2))  # no other -1 markers
    # first mark uniform over positions 0..9; second uniform over the T/2 - 1 other pairs of 0..T/2-1.
    # The marginal frequency of a mark at position j is 1/10 + (9/10)/(T/2-1) for j < 10, 1/(T/2-1) after.
    M = T // 2 - 1
    support = np.arange(T // 2)
    probs = np.where(support < 10, 0.1 + 0.9 / M, 1.0 / M)
    check_frequencies(marks_of(b), support, probs / 2)  # two marks per sequence
    p0 = 0.1 + 0.9 / M  # the first pair is marked by the first mark (1/10) or by the second
    assert close_in_se(first_marked.mean(), p0, np.sqrt(p0 * (1 - p0) / first_marked.size))


def neutral_of(task):
    return 0.0 if isinstance(task, Adding1997) else 1.0


def x1_set_at_first_pair(task, b):
    """Sequences whose first mark fell on pair 0: that pair is marked and its value is X1 := 0 (1.0)."""
    return (b.x[:, :, 0, 1] == 1.0) & (b.x[:, :, 0, 0] == neutral_of(task))


def test_marked_pairs_values(marked):
    task, b = marked
    keep = valid_mask(b)
    keep[:, :, 0] &= ~x1_set_at_first_pair(task, b)  # the X1 := 0 (1.0) values are not draws
    v = b.x[..., 0][keep]
    lo, hi = task.low, task.high
    assert (lo, hi) == ((-1.0, 1.0) if isinstance(task, Adding1997) else (0.0, 1.0))
    assert v.min() >= lo and v.max() <= hi
    width = hi - lo
    check_mean_var(v, (lo + hi) / 2, width ** 2 / 12, width ** 4 / 80)
    u = (v - lo) / width  # uniform: each tenth of the range holds a tenth of the values
    check_frequencies(np.floor(u * 10).clip(0, 9), np.arange(10), np.full(10, 0.1))


def test_marked_pairs_target_from_x(marked):
    task, b = marked
    values, m = b.x[..., 0], b.x[..., 1]
    pos = marks_of(b)
    v_lo = np.take_along_axis(values, pos[..., :1], axis=2)[..., 0]
    v_hi = np.take_along_axis(values, pos[..., 1:], axis=2)[..., 0]
    adding = isinstance(task, Adding1997)
    # the task statement: 0.5 + (sum of the marked values)/4, or their product, in every sequence
    expected = 0.5 + (v_lo + v_hi) / 4.0 if adding else v_lo * v_hi
    np.testing.assert_allclose(b.target[..., 0], expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(b.target, b.clean_target)
    assert b.target.min() >= 0.0 and b.target.max() <= 1.0
    # the rare case on its own: the first mark fell on pair 0, so X1 := 0 (adding) / 1.0 (multiplication)
    # and the target depends on X2 only; it happens in 1/10 of the sequences
    sub = x1_set_at_first_pair(task, b)
    assert close_in_se(sub.mean(), 0.1, np.sqrt(0.09 / sub.size))
    x2 = v_hi[sub]
    np.testing.assert_allclose(b.target[..., 0][sub], 0.5 + x2 / 4.0 if adding else x2, rtol=0, atol=1e-15)
    # the second mark on pair 0 (first mark elsewhere) keeps its drawn value: a different value
    # every time, and it counts in the target
    second_on_first_pair = (m[:, :, 0] == 1.0) & ~sub
    assert second_on_first_pair.sum() > 100
    assert np.unique(values[:, :, 0][second_on_first_pair]).size == second_on_first_pair.sum()


def test_marked_pairs_criterion_and_min_T():
    zero = np.zeros((1, 4, 1))
    for cls in (Adding1997, Multiplication):
        task = cls(20)
        assert task.correct(zero + 0.04 - 1e-12, zero).all() and task.correct(zero - 0.04 + 1e-12, zero).all()
        assert not task.correct(zero + 0.04, zero).any() and not task.correct(zero - 0.04, zero).any()
        b = task.draw(np.random.default_rng(5), 2, 3000)
        check_lengths(task, b)  # T//10 = 2: lengths 20, 21, 22
        # T = 20: the second mark is one of the first 10 pairs minus the first mark
        assert marks_of(b).max() == 9
        with pytest.raises(ValueError, match="T must be an integer >= 20"):
            cls(19)


def test_odd_T_conventions():
    task = Adding1997(25)  # T/2 -> 12, T/10 -> 2
    b = task.draw(np.random.default_rng(6), 2, 3000)
    assert task.max_length == 27 and b.x.shape[2] == 27
    check_lengths(task, b)
    assert marks_of(b).max() == 11
    assert np.all(b.lengths - 1 - marks_of(b)[..., 1] >= 12.5)


def test_adding_is_the_1997_variant():
    assert "Arjovsky" in Adding1997.__doc__
    assert not hasattr(lstmlib.tasks.recall, "Adding")


# ---------------------------------------------------------------- shared behaviour

ALL_TASKS = [TwoSequence(30, N=3), TwoSequence(30, N=1, noise_on_informative=True),
             TwoSequence(30, target_noise=True), Adding1997(30), Multiplication(30)]


@pytest.mark.parametrize("task", ALL_TASKS, ids=repr)
def test_deterministic_and_trials_differ(task):
    a = task.sample(np.random.default_rng(7), 3, 50)
    b = task.sample(np.random.default_rng(7), 3, 50)
    for u, v in zip(a[:3], b[:3]):
        np.testing.assert_array_equal(u, v)
    assert a[3] == "end"
    d = task.draw(np.random.default_rng(7), 3, 50)
    assert isinstance(d, TaskBatch)
    for u, v in zip(a, d.as_sample()):
        np.testing.assert_array_equal(u, v)
    c = task.sample(np.random.default_rng(8), 3, 50)
    assert not np.array_equal(a[0], c[0])
    x = a[0]
    assert not np.array_equal(x[0], x[1]) and not np.array_equal(x[1], x[2])
    rng = np.random.default_rng(9)  # successive calls on one generator give new sequences
    assert not np.array_equal(task.sample(rng, 1, 5)[0], task.sample(rng, 1, 5)[0])


@pytest.mark.parametrize("task", ALL_TASKS, ids=repr)
def test_small_shapes(task):
    x, target, lengths, loss_at = task.sample(np.random.default_rng(0), 1, 1)
    assert x.shape == (1, 1, 33, task.n_inputs) and target.shape == (1, 1, task.n_outputs)
    assert lengths.shape == (1, 1) and np.issubdtype(lengths.dtype, np.integer)


@pytest.mark.parametrize("bad", [0, -5, 10.0, True, "100", None, np.float64(100)])
@pytest.mark.parametrize("cls", [TwoSequence, Adding1997, Multiplication])
def test_bad_T(cls, bad):
    with pytest.raises(ValueError, match="T must be an integer"):
        cls(bad)


def test_numpy_int_T_is_accepted():
    assert Adding1997(np.int64(100)) == Adding1997(100) and type(Adding1997(np.int64(100)).T) is int


@pytest.mark.parametrize("N", [0, -1, 100, 101, 1.5, True, None])
def test_bad_N(N):
    with pytest.raises(ValueError, match="N .* 1 <= N < T=100"):
        TwoSequence(100, N=N)


@pytest.mark.parametrize("flag", ["noise_on_informative", "target_noise"])
def test_bad_flags(flag):
    with pytest.raises(ValueError, match=flag):
        TwoSequence(100, **{flag: 1})


@pytest.mark.parametrize("task", [TwoSequence(30), Adding1997(30), Multiplication(30)], ids=repr)
def test_bad_sample_arguments(task):
    rng = np.random.default_rng(0)
    for trials in (0, -1, 1.0, True, None):
        with pytest.raises(ValueError, match="trials must be a positive integer"):
            task.sample(rng, trials, 5)
    for n in (0, -3, 2.0, False):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            task.sample(rng, 2, n)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        task.sample(0, 2, 5)
    with pytest.raises(ValueError, match="trials must be a positive integer"):
        task.sampler(0)
    with pytest.raises(ValueError, match="same shape"):
        task.correct(np.zeros((2, 3, 1)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="same shape"):
        task.correct(np.zeros((2, 3, 2)), np.zeros((2, 3, 2)))


def test_frozen():
    with pytest.raises(AttributeError):
        Adding1997(100).T = 50


def test_outputs_at_end():
    y = np.arange(2 * 3 * 5 * 1, dtype=float).reshape(2, 3, 5, 1)
    lengths = np.array([[5, 1, 3], [2, 4, 5]])
    got = outputs_at_end(y, lengths)
    assert got.shape == (2, 3, 1)
    np.testing.assert_array_equal(got[..., 0], [[y[0, 0, 4, 0], y[0, 1, 0, 0], y[0, 2, 2, 0]],
                                                [y[1, 0, 1, 0], y[1, 1, 3, 0], y[1, 2, 4, 0]]])
    with pytest.raises(ValueError, match="lengths must lie"):
        outputs_at_end(y, lengths + 1)


def test_train_accepts_the_sampler():
    task, trials = Adding1997(20), 2
    net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=trials, input_gate_bias=(-3, -6))
    hist = lstmlib.train(net, lambda rng, n: task.sample(rng, trials, n), lstmlib.SGD(0.5),
                         sequences=300, chunk=100)
    seqs, loss, frac = hist.curve_arrays()
    assert seqs.shape == (3, trials) and np.all(seqs[-1] == 300)
    assert np.all(np.isfinite(loss)) and np.all((frac >= 0) & (frac <= 1))
    # the same with the convenience sampler, and the criterion on the trained nets' final outputs
    lstmlib.train(net, task.sampler(trials), lstmlib.SGD(0.5), sequences=100, chunk=100)
    b = task.draw(np.random.default_rng(1), trials, 64)
    ok = task.correct(outputs_at_end(net.forward(b.x, b.lengths), b.lengths), b.clean_target)
    assert ok.shape == (trials, 64) and ok.dtype == bool


def test_either_mark_rule_replaces_the_first_pair_whenever_it_is_marked():
    for cls, value in ((Adding1997, 0.0), (Multiplication, 1.0)):
        paper, other = cls(40), cls(40, first_pair_rule="either mark")
        a, b = paper.draw(np.random.default_rng(3), 2, 4000), other.draw(np.random.default_rng(3), 2, 4000)
        marked = b.x[:, :, 0, 1] == 1.0  # the first pair carries a mark (first or second)
        np.testing.assert_array_equal(a.x[..., 1], b.x[..., 1])  # the same marks, lengths and other values
        np.testing.assert_array_equal(a.x[:, :, 1:, 0], b.x[:, :, 1:, 0])
        assert np.all(b.x[:, :, 0, 0][marked] == value)
        changed = a.x[:, :, 0, 0] != b.x[:, :, 0, 0]
        assert changed.any() and np.all(marked[changed])  # only where the second mark is on the first pair
        pos = marks_of(b)
        v = np.take_along_axis(b.x[..., 0], pos, axis=2)
        expected = 0.5 + v.sum(-1) / 4.0 if cls is Adding1997 else v.prod(-1)
        np.testing.assert_allclose(b.target[..., 0], expected, rtol=0, atol=1e-15)  # still the marked values
    with pytest.raises(ValueError, match="first_pair_rule must be one of"):
        Adding1997(40, first_pair_rule="second mark")
