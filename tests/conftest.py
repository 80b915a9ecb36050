import numpy as np
import pytest

import lstmlib


def small_net(name, trials=2, output="logistic", loss="mse", init_range=0.5, seed=0, **kw):
    """2 inputs, 2 outputs, 2 blocks x 2 cells (1 cell per block for the plain RNN)."""
    cells = 1 if name == "rnn" else 2
    return lstmlib.build(name, 2, 2, 2, cells, trials=trials, output=output, loss=loss,
                         init_range=init_range, seed=seed, **kw)


def random_batch(rng, trials=2, batch=3, T=6, n_in=2, n_out=2, softmax=False):
    """Inputs, targets, random lengths and random loss weights at every valid step."""
    x = rng.normal(size=(trials, batch, T, n_in))
    lengths = rng.integers(T // 2, T + 1, size=(trials, batch))
    weights = (np.arange(T) < lengths[..., None]) * rng.uniform(0.2, 1.0, size=(trials, batch, T))
    target = rng.uniform(size=(trials, batch, T, n_out))
    if softmax:
        target /= target.sum(-1, keepdims=True)
    return x, target, lengths, weights


CASES = [(name, out) for name in lstmlib.ARCHITECTURES for out in ("logistic", "softmax")]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
