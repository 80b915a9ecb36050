"""The strongly delayed XOR (lstmlib.tasks.xor): encoding, marks, lengths, target and its statistics."""

import numpy as np
import pytest

from lstmlib.tasks.xor import DelayedXOR


def test_encoding_marks_lengths_and_target():
    task = DelayedXOR(40)
    b = task.draw(np.random.default_rng(0), 3, 500)
    assert b.x.shape == (3, 500, 44, 2) and b.target.shape == (3, 500, 1) and b.loss_at == "end"
    assert b.lengths.min() >= 40 and b.lengths.max() <= 44 and set(np.unique(b.lengths)) == set(range(40, 45))
    values, markers = b.x[..., 0], b.x[..., 1]
    valid = np.arange(44) < b.lengths[..., None]
    assert set(np.unique(values[valid])) == {-1.0, 1.0} and np.all(values[~valid] == 0)
    assert np.all(markers.sum(-1) == 2) and set(np.unique(markers)) == {0.0, 1.0}
    pos = [np.flatnonzero(m) for m in markers.reshape(-1, 44)]
    first, second = np.array([p[0] for p in pos]), np.array([p[1] for p in pos])
    assert first.min() == 0 and first.max() == 9 and second.min() == 20 and second.max() == 29
    a = values.reshape(-1, 44)[np.arange(len(first)), first]
    bb = values.reshape(-1, 44)[np.arange(len(first)), second]
    np.testing.assert_array_equal(b.target.reshape(-1), (a != bb).astype(float))
    np.testing.assert_array_equal(b.clean_target, b.target)


def test_no_single_input_predicts_the_target():
    """Non-decomposable: the target is independent of each marked value alone, and balanced."""
    b = DelayedXOR(20).draw(np.random.default_rng(1), 1, 40_000)
    y = b.target[0, :, 0]
    first = np.argmax(b.x[0, :, :, 1], axis=1)
    a = b.x[0, np.arange(40_000), first, 0]
    assert abs(y.mean() - 0.5) < 0.01
    assert abs(y[a > 0].mean() - 0.5) < 0.015 and abs(y[a < 0].mean() - 0.5) < 0.015
    assert abs(np.corrcoef(a, y)[0, 1]) < 0.02


def test_same_seed_same_sequences_and_the_criterion():
    task = DelayedXOR(16)
    one, two = (task.sample(np.random.default_rng(5), 2, 10) for _ in range(2))
    for u, v in zip(one[:3], two[:3]):
        np.testing.assert_array_equal(u, v)
    assert task.correct(np.array([[0.49], [0.51]]), np.array([[0.0], [0.0]])).tolist() == [True, False]


@pytest.mark.parametrize("T", [7, 0, 10.5, "20"])
def test_bad_length_is_refused(T):
    with pytest.raises(ValueError, match="T must be an integer >= 8"):
        DelayedXOR(T)
