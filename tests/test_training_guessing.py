"""Random weight guessing (lstmlib.training.guessing): counts guesses honestly, and fails where it must."""

import numpy as np
import pytest

import lstmlib
from lstmlib.tasks.lags import LongLag
from lstmlib.training.guessing import random_guessing

pytest.importorskip("torch")


class Constant:
    """A task without memory: the target is always the same, so a guess whose logistic outputs saturate the
    right way solves it."""

    def __init__(self, target):
        self.target = np.asarray(target, float)

    def sample(self, rng, trials, n):
        return (rng.normal(size=(trials, n, 3, 1)), np.broadcast_to(self.target, (trials, n, 2)).copy(),
                np.full((trials, n), 3), "end")

    correct = staticmethod(LongLag.correct)


def make(K, seed):
    return lstmlib.build("rnn", 1, 2, 1, 1, trials=K, seed=seed, output="logistic", cell_input="logistic")


def test_guessing_solves_an_easy_task_and_counts_its_guesses():
    r = random_guessing(make, Constant([1, 0]), budget=200, trials=3, seed=1, chunk=50, test=50, engine="torch")
    assert r["budget"] == 200 and all(g is not None and 1 <= g <= 200 for g in r["guesses"])
    again = random_guessing(make, Constant([1, 0]), budget=200, trials=3, seed=1, chunk=50, test=50, engine="torch")
    assert again == r  # same seed, same numbers


def test_guessing_reports_failure_within_its_budget():
    task = LongLag(q=3, p=2)
    r = random_guessing(lambda K, s: lstmlib.build("rnn", task.n_inputs, 2, 1, 1, trials=K, seed=s,
                                                   output="logistic"), task, budget=20, trials=2, chunk=10,
                        screen=50, engine="torch")
    assert r["guesses"] == [None, None]  # none of these 2 x 20 guesses solves it: each trial reports None


@pytest.mark.parametrize("kw, match", [({"budget": 0}, "budget"), ({"weight_range": -1.0}, "weight_range"),
                                       ({"test": 0}, "test")])
def test_bad_arguments_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        random_guessing(make, Constant([1, 0]), **{"budget": 5, **kw})
