"""Stopping rules and test-set evaluation."""

import numpy as np
import pytest

import lstmlib
from lstmlib.tasks.recall import Adding1997
from lstmlib.training.stopping import RandomTestSetRule, RecentSequencesRule, evaluate


def first_hits(rule, errors, chunk):
    """Feed ``errors [K, n]`` to ``rule`` in chunks; the sequence index at which each trial was first met."""
    K, n_total = errors.shape
    found = np.full(K, -1)
    for s in range(0, n_total, chunk):
        met = rule(None, errors[:, s:s + chunk])
        for k in range(K):
            if found[k] < 0 and met[k] >= 0:
                found[k] = s + met[k]
    return found


def brute_force_first_hit(errors, window, tolerance, mean_error, max_wrong=0):
    for end in range(window, len(errors) + 1):
        w = errors[end - window:end]
        if np.sum(w >= tolerance) <= max_wrong and (mean_error is None or w.mean() < mean_error):
            return end - 1
    return -1


@pytest.mark.parametrize("chunk", [7, 50, 1000])
@pytest.mark.parametrize("mean_error", [None, 0.015])
def test_recent_sequences_rule_finds_the_first_full_window_across_chunks(chunk, mean_error):
    rng = np.random.default_rng(3)
    K, n_total, W = 4, 600, 40
    errors = rng.uniform(0, 0.05, size=(K, n_total)) * (np.arange(n_total) < 300)  # errors vanish after 300
    errors += rng.uniform(0, 0.02, size=(K, n_total)) * (np.arange(n_total) >= 300)
    errors[2] = 0.5  # a trial that never succeeds
    found = first_hits(RecentSequencesRule(window=W, tolerance=0.04, mean_error=mean_error), errors, chunk)
    expected = [brute_force_first_hit(errors[k], W, 0.04, mean_error) for k in range(K)]
    np.testing.assert_array_equal(found, expected)
    assert found[2] == -1 and np.all(found[[0, 1, 3]] >= 300 + W - 1 - 30)


@pytest.mark.parametrize("chunk", [9, 1000])
@pytest.mark.parametrize("max_wrong", [1, 6])
def test_exp5_rule_allows_max_wrong_errors_in_the_window(chunk, max_wrong):
    # Exp. 5: test "when less than n_seq of the 2000 most recent training sequences" are wrong
    rng = np.random.default_rng(5)
    K, n_total, W = 5, 700, 50
    wrong_rate = np.linspace(0.5, 0.0, n_total)  # errors get rarer over training
    errors = np.where(rng.random((K, n_total)) < wrong_rate, 0.5, 0.01)
    found = first_hits(RecentSequencesRule(window=W, tolerance=0.04, mean_error=None, max_wrong=max_wrong),
                       errors, chunk)
    expected = [brute_force_first_hit(errors[k], W, 0.04, None, max_wrong) for k in range(K)]
    np.testing.assert_array_equal(found, expected)
    assert np.all(found >= 0)
    window = errors[0, found[0] - W + 1:found[0] + 1]
    assert (window >= 0.04).sum() <= max_wrong


def test_test_set_rule_stops_on_a_clean_test_and_records_st1():
    task = Adding1997(20)
    net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=3, init_range=0.0)
    # trial 0 answers 0.5 (about 85% wrong), trials 1 and 2 answer 2.0 (always wrong)
    net["output.bias"] = [[[0.5]], [[2.0]], [[2.0]]]
    strict = RandomTestSetRule(net, task, n=64, max_wrong=0, seed=1)
    np.testing.assert_array_equal(strict(None, np.zeros((3, 10))), [-1, -1, -1])
    loose = RandomTestSetRule(net, task, n=64, max_wrong=63, mean_error=0.2, seed=1)
    met = loose(None, np.zeros((3, 10)))  # trial 0 passes both halves: met at the chunk's last index
    np.testing.assert_array_equal(met, [9, -1, -1])
    np.testing.assert_array_equal(loose.wrong_ok_at, [10, -1, -1])
    half = RandomTestSetRule(net, task, n=64, max_wrong=63, mean_error=1e-6, seed=1)
    half(None, np.zeros((3, 10)))
    np.testing.assert_array_equal(half(None, np.zeros((3, 10))), [-1, -1, -1])
    np.testing.assert_array_equal(half.wrong_ok_at, [10, -1, -1])  # ST1 met at the first test, ST2 never
    with pytest.raises(ValueError, match="max_wrong"):
        RandomTestSetRule(net, task, n=64, max_wrong=64)
    with pytest.raises(ValueError, match="trials"):
        strict(None, np.zeros((2, 10)))


def test_test_set_rule_tests_only_the_trials_still_training():
    """A trial whose chunk is all NaN (train() gives that for a trial that stopped or diverged) is not
    tested and meets neither half of the rule, whatever its frozen weights would score; the others get the
    numbers of a rule that tests everyone."""
    task = Adding1997(20)
    net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=3, init_range=0.0)
    net["output.bias"] = [[[0.5]], [[0.5]], [[2.0]]]  # trials 0 and 1 pass a loose rule, trial 2 never
    everyone = RandomTestSetRule(net, task, n=64, max_wrong=63, mean_error=0.2, seed=1)
    some = RandomTestSetRule(net, task, n=64, max_wrong=63, mean_error=0.2, seed=1)
    err = np.zeros((3, 10))
    err[1] = np.nan  # trial 1 no longer trains
    np.testing.assert_array_equal(everyone(None, np.zeros((3, 10))), [9, 9, -1])
    np.testing.assert_array_equal(some(None, err), [9, -1, -1])
    np.testing.assert_array_equal(some.wrong_ok_at, [10, -1, -1])
    np.testing.assert_array_equal(some(None, np.full((3, 10), np.nan)), [-1, -1, -1])  # nobody trains


def test_rule_rejects_bad_settings():
    with pytest.raises(ValueError, match="window"):
        RecentSequencesRule(window=0)
    with pytest.raises(ValueError, match="tolerance"):
        RecentSequencesRule(tolerance=0)
    with pytest.raises(ValueError, match="max_wrong"):
        RecentSequencesRule(window=3, max_wrong=3)
    rule = RecentSequencesRule(window=3)
    rule(None, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="trials"):
        rule(None, np.zeros((3, 5)))


def test_evaluate_counts_what_the_task_calls_wrong():
    task = Adding1997(20)
    net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=2, init_range=0.0)  # output: the bias, 0
    net["output.bias"] = [[[0.5]], [[0.0]]]  # trial 0 always answers 0.5, trial 1 always 0
    r = evaluate(net, task, n=600, seed=1, batch=600)
    b = task.draw(np.random.default_rng(1), 2, 600)
    target = b.clean_target[..., 0]
    np.testing.assert_array_equal(r["wrong"], [(np.abs(0.5 - target[0]) >= 0.04).sum(),
                                               (np.abs(target[1]) >= 0.04).sum()])
    np.testing.assert_allclose(r["mean_abs_error"], [np.abs(0.5 - target[0]).mean(), np.abs(target[1]).mean()])
    assert r["n"] == 600
    with pytest.raises(ValueError, match="n must"):
        evaluate(net, task, n=0)


def feed_flat(rule, loss, err, chunk):
    """Feed ``loss``/``err [K, n]`` to a FlatCurveRule chunk by chunk: the sequence count at which each
    trial was first called flat (-1: never)."""
    K, n = err.shape
    found = np.full(K, -1)
    for s in range(0, n, chunk):
        flat = rule(loss[:, s:s + chunk], err[:, s:s + chunk])
        found = np.where((found < 0) & flat, min(s + chunk, n), found)
    return found


def test_a_flat_curve_is_called_flat_once_the_patience_has_passed_and_a_learning_one_never():
    rng = np.random.default_rng(0)
    n = 3000
    err = np.stack([np.tile([0.01, 0.08], n // 2),                   # flat: half correct throughout
                    np.where(rng.uniform(size=n) < np.linspace(0, 1, n), 0.0, 1.0),  # fraction correct rising
                    np.full(n, 1.0)])                                 # never correct, but the loss falls
    loss = np.stack([np.full(n, 0.02), np.full(n, 0.02), np.geomspace(1.0, 0.01, n)])
    found = feed_flat(lstmlib.training.FlatCurveRule(1000, tolerance=0.04), loss, err, chunk=200)
    np.testing.assert_array_equal(found, [1000, -1, -1])


def test_the_flat_rule_compares_the_later_half_with_the_earlier_one():
    """By hand: 10 sequences of patience; the later half has 0.2 more correct (> 0.01): not flat; the same
    fraction and a loss that falls by less than 10%: flat; NaN (a trial not training): never flat."""
    ok, bad = 0.0, 1.0
    err = np.array([[bad] * 5 + [ok, bad, bad, bad, bad],  # 0.0 -> 0.2 correct: learning
                    [ok, bad] * 5,                          # 0.6 / 0.4 correct alternately: no gain
                    [np.nan] * 10])
    loss = np.array([[1.0] * 10, [1.0] * 5 + [0.95] * 5, [np.nan] * 10])
    rule = lstmlib.training.FlatCurveRule(10, tolerance=0.5)
    assert not rule(loss[:, :8], err[:, :8]).any()  # fewer sequences than the patience: never flat
    np.testing.assert_array_equal(rule(loss[:, 8:], err[:, 8:]), [False, True, False])
    dropping = lstmlib.training.FlatCurveRule(10, tolerance=0.5)
    assert not dropping(np.array([[1.0] * 5 + [0.85] * 5]), np.array([[ok, bad] * 5])).any()  # loss -15 %


@pytest.mark.parametrize("kw, match", [({"patience": 3}, "patience"), ({"patience": 0}, "patience"),
                                       ({"patience": True}, "patience"),
                                       ({"patience": 10, "tolerance": 0}, "tolerance"),
                                       ({"patience": 10, "min_gain": 1.0}, "min_gain"),
                                       ({"patience": 10, "min_drop": -0.1}, "min_drop")])
def test_bad_flat_rules_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        lstmlib.training.FlatCurveRule(**kw)


def test_train_stops_flat_trials_and_leaves_the_others_as_they_were():
    """The plain RNN cannot learn the adding problem's long lag: with a flat rule its trials stop as
    "flat" at the patience, and a trial kept alive (patience beyond the budget) trains as without it."""
    task = Adding1997(20)

    def run(flat):
        net = lstmlib.build("rnn", 2, 1, 4, trials=3, seed=1)
        hist = lstmlib.train(net, task.sampler(3), lstmlib.SGD(0.05), sequences=1200, chunk=100, seed=2,
                             flat=flat)
        return net, hist
    full_net, full = run(None)
    net, hist = run(lstmlib.training.FlatCurveRule(400))
    assert full.status == ["budget"] * 3
    assert set(hist.status) == {"flat"} and all(400 <= s < 1200 for s in hist.sequences_seen)
    _, loss, _ = hist.curve_arrays()
    _, full_loss, _ = full.curve_arrays()
    for k in range(3):  # up to where it stopped, each trial's curve is the full run's, bit for bit
        m = int(hist.sequences_seen[k] // 100)  # the chunks it trained on
        np.testing.assert_array_equal(loss[:m, k], full_loss[:m, k])
    never = run(lstmlib.training.FlatCurveRule(2000))[0]
    for p in net.params:
        np.testing.assert_array_equal(never.params[p], full_net.params[p])
