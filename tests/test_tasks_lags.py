"""H&S 1997 Exp. 2c (lstmlib.tasks.lags.LongLag), pinned to the paper's text (§5.2)."""

import numpy as np
import pytest

from lstmlib.tasks.lags import LongLag


def test_every_sequence_is_b_v_distractors_e_with_the_target_v():
    task = LongLag(q=7, p=5)
    x, target, lengths, loss_at = task.sample(np.random.default_rng(0), 3, 400)
    assert loss_at == "end" and x.shape == (3, 400, lengths.max(), 9) and target.shape == (3, 400, 2)
    assert lengths.max() <= task.max_length()  # the time axis: the longest sequence drawn, no more padding
    assert lengths.min() >= task.q + 3  # no short exemplars: the minimal lag is q + 1
    steps = np.arange(x.shape[2])
    for k in range(3):
        for n in range(400):
            L = lengths[k, n]
            seq = x[k, n]
            assert np.all(seq[:L].sum(-1) == 1) and np.all(seq[L:] == 0)  # one-hot, zero past the end
            sym = seq[:L].argmax(-1)
            assert sym[0] == task.start and sym[L - 1] == task.trigger
            assert sym[1] in task.informative and np.all(sym[2:L - 1] < task.p)  # distractors only between
            assert target[k, n, sym[1] - task.informative[0]] == 1 and target[k, n].sum() == 1
            assert not np.any(seq[steps >= L - 1][:, :task.p])


def test_statistics_over_many_sequences_follow_the_generation_rule():
    task = LongLag(q=20, p=4)
    x, target, lengths, _ = task.sample(np.random.default_rng(1), 1, 20_000)
    extra = lengths[0] - (task.q + 3)
    assert abs(extra.mean() - 9.0) < 0.25  # geometric: another distractor with probability 9/10 (mean 9)
    assert abs((extra == 0).mean() - 0.1) < 0.01  # e right after the prefix with probability 1/10
    assert abs(target[0, :, 0].mean() - 0.5) < 0.02  # x or y with probability 1/2
    counts = x[0, :, 2:, :task.p].sum((0, 1))
    assert np.allclose(counts / counts.sum(), 1 / task.p, atol=0.01)  # distractors uniform over the p symbols


def test_the_criterion_is_an_error_below_0_2_on_both_outputs():
    assert LongLag.correct(np.array([[0.85, 0.1], [0.79, 0.0]]), np.array([[1, 0], [1, 0]])).tolist() == [True, False]


@pytest.mark.parametrize("kw, match", [({"q": -1, "p": 3}, "q must"), ({"q": 3, "p": 0}, "p must"),
                                       ({"q": 3, "p": 3, "p_trigger": 0}, "p_trigger"),
                                       ({"q": 3, "p": 3, "max_extra": -2}, "max_extra")])
def test_bad_settings_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        LongLag(**kw)
