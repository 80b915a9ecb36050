"""Long minimal time lags without local regularities: Hochreiter & Schmidhuber (1997), Experiment 2c.

The alphabet has p + 4 symbols, one-hot coded: the distractors a_1 … a_p, the trigger e, the start b
and the two informative symbols x and y.  A sequence is

    (b, v, a_{i_1}, …, a_{i_(q+k)}, e, v)        v ∈ {x, y}, each with probability 1/2

built as the paper writes it (§5.2): a random prefix of length q + 2 (b, v and q distractors, each
drawn uniformly from the p distractors), then, step by step, another distractor with probability 9/10
or the trigger e with probability 1/10 (so k, the extra distractors, is geometric with mean 9), then v
again.  The net reads every element but the last and must predict the last one at the step where it
reads e: the only error signal.  Between the informative v (position 1) and that step lie q + 1 + k
elements, so the minimal time lag is q + 1, and no sequence is shorter (no short training exemplars).

Encoding (this module's choice, the paper does not spell it out beyond "2 outputs"): input units in the
order a_1 … a_p, e, b, x, y; output units (x, y), target (1, 0) for x and (0, 1) for y.  The paper's
success criterion is an absolute error below 0.2 on both outputs at the final step (:meth:`correct`).

Arrays as in :mod:`lstmlib.tasks.recall`: ``x [trials, n, T, p + 4]`` (zero past each length; T is
the longest sequence of the draw, so a chunk carries no more padding than it needs), ``target [trials,
n, 2]``, ``lengths [trials, n]``; the longest possible sequence is :meth:`LongLag.max_length`, and the
rare sequence whose k would exceed ``max_extra`` is cut there (e comes at that step; the default
``max_extra = 100`` is reached with probability 0.9^100 ≈ 3e-5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_count, check_rng, is_int

__all__ = ["LongLag"]


@dataclass(frozen=True)
class LongLag:
    """Exp. 2c with ``q`` (the minimal lag is q + 1) and ``p`` distractor symbols."""

    #: Distractors in the random prefix; the minimal time lag is q + 1.
    q: int
    #: Number of distractor symbols a_1 … a_p.
    p: int
    #: Probability of the trigger e at each step after the prefix (1/10 in the paper).
    p_trigger: float = 0.1
    #: At most this many extra distractors (a cap on the geometric tail, so arrays have a fixed size).
    max_extra: int = 100

    def __post_init__(self):
        if not is_int(self.q) or self.q < 0:
            raise ValueError(f"q must be an integer >= 0, got {self.q!r}")
        check_count("p", self.p)
        if not (isinstance(self.p_trigger, (int, float)) and 0 < self.p_trigger <= 1):
            raise ValueError(f"p_trigger must lie in (0, 1], got {self.p_trigger!r}")
        if not is_int(self.max_extra) or self.max_extra < 0:
            raise ValueError(f"max_extra must be an integer >= 0, got {self.max_extra!r}")

    # symbols -------------------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return self.p + 4

    n_outputs = 2

    @property
    def trigger(self) -> int:
        return self.p

    @property
    def start(self) -> int:
        return self.p + 1

    @property
    def informative(self) -> tuple[int, int]:
        """Input units of x and y."""
        return self.p + 2, self.p + 3

    @property
    def min_lag(self) -> int:
        return self.q + 1

    def max_length(self) -> int:
        """Input steps of the longest sequence: b, v, q + max_extra distractors and e."""
        return self.q + self.max_extra + 3

    def describe(self) -> str:
        return (f"H&S 1997 Exp. 2c: q = {self.q} (minimal lag {self.min_lag}), p = {self.p} distractors, "
                f"{self.n_inputs} one-hot inputs, 2 outputs, error at the end only")

    # sampling ------------------------------------------------------------------------------
    def sample(self, rng, trials, n):
        """``(x, target, lengths, "end")`` for ``n`` new sequences per trial; ``x``'s time axis is as long as
        the longest sequence drawn (at most :meth:`max_length`), and the numbers drawn do not depend on it."""
        check_rng(rng)
        K, n = check_count("trials", trials), check_count("n", n)
        extra = np.minimum(rng.geometric(self.p_trigger, size=(K, n)) - 1, self.max_extra)  # distractors after q
        which = rng.integers(0, 2, size=(K, n))  # 0: x, 1: y
        lengths = self.q + extra + 3  # b, v, q + k distractors, e
        distractors = rng.integers(0, self.p, size=(K, n, self.max_length()))  # drawn for every step: same stream
        T = int(lengths.max())
        steps = np.arange(T)
        sym = np.where(steps < lengths[..., None] - 1, distractors[:, :, :T], -1)  # -1: past the end
        sym[:, :, 0] = self.start
        sym[:, :, 1] = self.p + 2 + which
        kk, nn = np.indices((K, n))
        sym[kk, nn, lengths - 1] = self.trigger
        x = np.zeros((K * n * T, self.n_inputs))
        flat = sym.ravel()
        at = np.flatnonzero(flat >= 0)
        x[at, flat[at]] = 1.0  # one-hot, zero past each length
        target = np.zeros((K, n, 2))
        target[kk, nn, which] = 1.0
        return x.reshape(K, n, T, self.n_inputs), target, lengths.astype(np.int64), "end"

    def draw(self, rng, trials, n):
        """:meth:`sample` as a :class:`~lstmlib.tasks.recall.TaskBatch` (the target is noise-free), for
        :func:`lstmlib.training.evaluate`."""
        from .recall import TaskBatch
        x, target, lengths, loss_at = self.sample(rng, trials, n)
        return TaskBatch(x, target, lengths, target, loss_at)

    def sampler(self, trials):
        return lambda rng, n: self.sample(rng, trials, n)

    @staticmethod
    def correct(output, target, tolerance=0.2):
        """The paper's criterion per sequence: |output - target| < ``tolerance`` on both outputs (``output``
        and ``target`` ``[..., 2]``, the final step's)."""
        return np.all(np.abs(np.asarray(output) - np.asarray(target)) < tolerance, axis=-1)
