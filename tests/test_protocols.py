"""Stopping rules and test-set evaluation."""

import numpy as np
import pytest

import lstmlib
from lstmlib.protocols import RecentSequencesRule, evaluate
from lstmlib.tasks import Adding1997


def brute_force_first_hit(errors, window, tolerance, mean_error):
    for end in range(window, len(errors) + 1):
        w = errors[end - window:end]
        if np.all(w < tolerance) and (mean_error is None or w.mean() < mean_error):
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
    rule = RecentSequencesRule(window=W, tolerance=0.04, mean_error=mean_error)
    found = np.full(K, -1)
    for s in range(0, n_total, chunk):
        met = rule(None, errors[:, s:s + chunk])
        for k in range(K):
            if found[k] < 0 and met[k] >= 0:
                found[k] = s + met[k]
    expected = [brute_force_first_hit(errors[k], W, 0.04, mean_error) for k in range(K)]
    np.testing.assert_array_equal(found, expected)
    assert found[2] == -1 and np.all(found[[0, 1, 3]] >= 300 + W - 1 - 30)


def test_rule_rejects_bad_settings():
    with pytest.raises(ValueError, match="window"):
        RecentSequencesRule(window=0)
    with pytest.raises(ValueError, match="tolerance"):
        RecentSequencesRule(tolerance=0)
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
