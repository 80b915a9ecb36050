"""Sequence generators for Hochreiter & Schmidhuber (1997), Experiments 3, 4 and 5.

Each task is a small frozen dataclass.  Its :meth:`sample` method has the form that
:func:`lstmlib.train` wants once ``trials`` is fixed::

    task = Adding1997(T=100)
    history = lstmlib.train(net, task.sampler(trials=10), lstmlib.SGD(0.5), sequences=100_000)
    # task.sampler(10) is lambda rng, n: task.sample(rng, 10, n)

``sample(rng, trials, n)`` returns ``(x, target, lengths, "end")`` for ``n`` new sequences per trial
(every trial gets its own sequences):

* ``x`` float64 ``[trials, n, T + T//10, n_inputs]``, zero past each sequence's length;
* ``target`` float64 ``[trials, n, n_outputs]``, the target at the sequence end (the only error signal);
* ``lengths`` int64 ``[trials, n]``.

:meth:`draw` makes the same sequences from the same generator state and returns a :class:`TaskBatch`,
which also holds ``clean_target``: the noise-free target that the paper's success criterion compares
with.  Only Exp. 3c has noisy targets; for every other task ``clean_target`` equals ``target``.
:meth:`correct(output, target) <TwoSequence.correct>` is the paper's per-sequence criterion; give it the
clean target (``correct(y_end, batch.clean_target)``).  :func:`lstmlib.model.outputs_at_end` picks each sequence's
final output out of :meth:`lstmlib.Network.forward`'s ``[trials, n, time, outputs]``.

Conventions, the same for every task (the paper writes real-valued fractions of T):

* **Lengths** are uniform integers in ``[T, T + T//10]``, both ends included.  "T/10" is read as
  ``T // 10`` (floor): it is exact for the paper's T (100, 500, 1000, all multiples of 10), gives integer
  lengths for any other T, and never exceeds the paper's bound T + T/10.  The upper end is included
  because the paper's "between T and T + T/10" reads inclusively elsewhere too: Exp. 6's lengths
  "between 100 and 110" are the same rule at T = 100.
* ``x`` is padded to the longest possible length, ``T + T//10`` steps, whatever lengths were drawn, so
  arrays have the same shape on every call (the compiled engine stops each sequence at its length).
* Positions below are 0-based (the paper's element t is position t - 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._checks import check_count, check_rng, is_int

__all__ = ["Adding1997", "Multiplication", "TaskBatch", "TwoSequence"]


@dataclass(frozen=True, eq=False)
class TaskBatch:
    """Sequences from one :meth:`draw`: ``x``, ``target``, ``lengths`` and ``loss_at`` as for
    :func:`lstmlib.train`, plus ``clean_target [trials, n, outputs]``, the noise-free target the success
    criterion uses (equal to ``target`` unless the task adds target noise)."""

    x: np.ndarray
    target: np.ndarray
    lengths: np.ndarray
    clean_target: np.ndarray
    loss_at: str = "end"

    def as_sample(self):
        """``(x, target, lengths, loss_at)``: what ``sample(rng, n)`` returns to :func:`lstmlib.train`."""
        return self.x, self.target, self.lengths, self.loss_at


class _Task:
    """What every task shares: the length rule, argument checks, sample/sampler, the criterion."""

    n_inputs: ClassVar[int]
    n_outputs: ClassVar[int]
    tolerance: ClassVar[float]
    tolerance_inclusive: ClassVar[bool] = False  # correct iff |error| < tolerance (or <= if True)

    @property
    def max_length(self) -> int:
        """The longest sequence, ``T + T//10`` (the time axis of ``x``)."""
        return self.T + self.T // 10

    def draw(self, rng, trials, n) -> TaskBatch:
        """``n`` new sequences for each of ``trials`` trials, with the noise-free target."""
        check_rng(rng)
        check_count("trials", trials)
        check_count("n", n)
        return self._draw(rng, int(trials), int(n))

    def sample(self, rng, trials, n):
        """``(x, target, lengths, "end")`` for ``n`` new sequences per trial (the :func:`lstmlib.train`
        contract once ``trials`` is fixed).  The same numbers as :meth:`draw` from the same ``rng`` state."""
        return self.draw(rng, trials, n).as_sample()

    def sampler(self, trials):
        """``sample(rng, n)`` for :func:`lstmlib.train`: ``lambda rng, n: self.sample(rng, trials, n)``."""
        check_count("trials", trials)
        return lambda rng, n: self.sample(rng, trials, n)

    def correct(self, output, target) -> np.ndarray:
        """The paper's per-sequence success criterion: ``output`` and ``target`` ``[..., n_outputs]``
        (final outputs and *noise-free* targets, e.g. ``TaskBatch.clean_target``) -> bool ``[...]``."""
        output = np.asarray(output, dtype=float)
        target = np.asarray(target, dtype=float)
        if output.shape != target.shape or output.ndim < 1 or output.shape[-1] != self.n_outputs:
            raise ValueError(f"output and target must have the same shape [..., n_outputs={self.n_outputs}], "
                             f"got {output.shape} and {target.shape}")
        err = np.abs(output - target)
        ok = err <= self.tolerance if self.tolerance_inclusive else err < self.tolerance
        return np.all(ok, axis=-1)

    def _lengths(self, rng, trials, n):
        return rng.integers(self.T, self.max_length + 1, size=(trials, n))

    def _check_T(self, minimum, why):
        if not is_int(self.T) or self.T < minimum:
            raise ValueError(f"T must be an integer >= {minimum}{why}, got {self.T!r}")
        object.__setattr__(self, "T", int(self.T))


@dataclass(frozen=True)
class TwoSequence(_Task):
    """Exp. 3a/3b/3c (H&S 1997 §5.3): Bengio et al.'s (1994) 2-sequence problem, signal and noise on
    one input line.

    * Two classes, each with probability 0.5.  The first ``N`` elements (positions ``0 .. N-1``) are
      +1.0 for class 1 and -1.0 for class 2; the elements after them, up to the sequence's length,
      are Gaussian with mean 0 and variance 0.2.
    * 3a (defaults): target at the end 1.0 (class 1) or 0.0 (class 2); correct if |error| < 0.2.
    * 3b (``noise_on_informative=True``): as 3a, plus Gaussian noise of variance 0.2 on the first N
      elements too.  The criterion per sequence is unchanged (the paper only changes ST1/ST2).
    * 3c (``target_noise=True``): targets 0.2 (class 1) and 0.8 (class 2) plus Gaussian noise of
      variance 0.1 (s.d. 0.32); the net must learn the conditional expectation.  A sequence is
      misclassified when |output - noise-free target| > 0.1, so :meth:`correct` is ``<= 0.1`` and must be
      given the noise-free target, ``TaskBatch.clean_target`` from :meth:`draw` (``sample`` returns the
      noisy target that training uses).  The paper's 3c is "like Task 3a" otherwise, i.e. without noise
      on the first N elements; both flags together give 3b's inputs with 3c's targets.

    ``T`` (>= 2) is the minimal length, ``1 <= N < T``.  1 input, 1 output.
    """

    T: int
    N: int = 3
    noise_on_informative: bool = False
    target_noise: bool = False

    n_inputs: ClassVar[int] = 1
    n_outputs: ClassVar[int] = 1
    noise_variance: ClassVar[float] = 0.2
    target_noise_variance: ClassVar[float] = 0.1

    def __post_init__(self):
        self._check_T(2, " (the minimal sequence length; it must exceed N >= 1)")
        if not is_int(self.N) or not 1 <= self.N < self.T:
            raise ValueError(f"N (the number of informative elements) must be an integer with 1 <= N < T={self.T}, "
                             f"got {self.N!r}")
        object.__setattr__(self, "N", int(self.N))
        for name in ("noise_on_informative", "target_noise"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
            object.__setattr__(self, name, bool(getattr(self, name)))

    @property
    def tolerance(self) -> float:
        return 0.1 if self.target_noise else 0.2

    @property
    def tolerance_inclusive(self) -> bool:
        return self.target_noise

    def _draw(self, rng, K, n):
        T_max, N = self.max_length, self.N
        lengths = self._lengths(rng, K, n)
        class1 = rng.random((K, n)) < 0.5
        x = rng.normal(0.0, np.sqrt(self.noise_variance), size=(K, n, T_max))
        signal = np.where(class1, 1.0, -1.0)[:, :, None]
        if self.noise_on_informative:
            x[:, :, :N] += signal
        else:
            x[:, :, :N] = signal
        x[np.arange(T_max) >= lengths[:, :, None]] = 0.0
        if self.target_noise:
            clean = np.where(class1, 0.2, 0.8)
            target = clean + rng.normal(0.0, np.sqrt(self.target_noise_variance), size=(K, n))
        else:
            clean = np.where(class1, 1.0, 0.0)
            target = clean.copy()
        return TaskBatch(x[..., None], target[..., None], lengths, clean[..., None])


@dataclass(frozen=True)
class _MarkedPairs(_Task):
    """Exp. 4/5 sequences of (value, marker) pairs; subclasses set the value range and the target."""

    T: int
    first_pair_rule: str = "first mark"

    n_inputs: ClassVar[int] = 2
    n_outputs: ClassVar[int] = 1
    tolerance: ClassVar[float] = 0.04
    low: ClassVar[float]
    high: ClassVar[float]
    x1_if_first_pair_marked: ClassVar[float]
    first_mark_among: ClassVar[int] = 10  # "one of the first ten pairs"
    #: When the first pair's value is replaced (X1 := 0 or 1): when the *first mark* falls on it (the
    #: reading used throughout), or when *either mark* does (the other reading of "the first pair of the
    #: sequence gets marked"; measured in the adding-gap study).
    FIRST_PAIR_RULES: ClassVar[tuple] = ("first mark", "either mark")

    def __post_init__(self):
        self._check_T(20, " (below 20 the first mark, one of the first 10 pairs, could lie past the first T//2 "
                          "pairs and the minimal time lag would drop below T/2)")
        if self.first_pair_rule not in self.FIRST_PAIR_RULES:
            raise ValueError(f"first_pair_rule must be one of {list(self.FIRST_PAIR_RULES)}, "
                             f"got {self.first_pair_rule!r}")

    @property
    def second_mark_among(self) -> int:
        """How many still-unmarked pairs the second mark is chosen among: ``T//2 - 1``."""
        return self.T // 2 - 1

    def _draw(self, rng, K, n):
        T_max = self.max_length
        lengths = self._lengths(rng, K, n)
        first = rng.integers(0, self.first_mark_among, size=(K, n))
        r = rng.integers(0, self.second_mark_among, size=(K, n))
        second = r + (r >= first)  # the r-th (0-based) pair that is not the first mark
        values = rng.uniform(self.low, self.high, size=(K, n, T_max))
        pos = np.arange(T_max)
        values[pos >= lengths[:, :, None]] = 0.0
        markers = np.zeros((K, n, T_max))
        markers[:, :, 0] = -1.0
        np.put_along_axis(markers, (lengths - 1)[:, :, None], -1.0, axis=2)
        np.put_along_axis(markers, first[:, :, None], 1.0, axis=2)
        np.put_along_axis(markers, second[:, :, None], 1.0, axis=2)
        # "In the rare case where the first pair of the sequence gets marked, we set X1 to zero [1.0]":
        # X1 is that pair's first component, so the input is set too and the target stays a function
        # of the input (the sum / product of the marked values) in every sequence.
        replaced = (first == 0) if self.first_pair_rule == "first mark" else (first == 0) | (second == 0)
        values[:, :, 0] = np.where(replaced, self.x1_if_first_pair_marked, values[:, :, 0])
        x1 = np.take_along_axis(values, first[:, :, None], axis=2)[:, :, 0]
        x2 = np.take_along_axis(values, second[:, :, None], axis=2)[:, :, 0]
        target = self._target(x1, x2)[..., None]
        return TaskBatch(np.stack([values, markers], axis=-1), target, lengths, target)


@dataclass(frozen=True)
class Adding1997(_MarkedPairs):
    """Exp. 4 (H&S 1997 §5.4): the adding problem as the 1997 paper defines it.

    Each element is a pair (value, marker).  Values are uniform in [-1, 1].  Exactly two pairs carry
    marker 1.0: the first is chosen uniformly among the first 10 pairs (its value is X1), the second
    uniformly among the first ``T//2 - 1`` pairs that are still unmarked (value X2); since ``T >= 20``,
    these are the first ``T//2`` pairs minus the first mark, so both marks lie in positions
    ``0 .. T//2 - 1`` and the minimal time lag is ``T - T//2 >= T/2``, as the paper states.  The first
    and the final pair have marker -1.0 unless marked (the final pair never is); all other markers are 0.
    If the first mark falls on the first pair (position 0, probability 1/10), X1 := 0: that pair's value
    is set to 0 in the input as well as in the target (its marker stays 1.0), so the target is
    ``0.5 + (sum of the marked values) / 4`` in every sequence, as the task statement says.  (Zeroing X1
    in the target only would make the target ambiguous given the input whenever the marks are
    {0, j <= 9}, since the second mark can also fall on position 0: ~3.7% of sequences at T = 100, ~64
    unavoidable errors per 2560 test sequences, against the paper's 1.)  A second mark on position 0
    keeps its drawn value.  Target at the end: ``0.5 + (X1 + X2) / 4``, in [0, 1].  Correct if
    |error| < 0.04 ("below 0.04"; Table 7 counts "error > 0.04" as wrong, the same up to a null set).
    "T/2" is read as ``T // 2`` (floor), which keeps the minimal lag >= T/2 for odd T.

    ``T`` must be an integer >= 20: the smallest T for which all ten candidates for the first mark lie
    within the first T//2 pairs, so that the second mark's range never depends on where the first is.
    2 inputs, 1 output.

    Not the adding problem of Arjovsky, Shah & Bengio (2016) and later papers: there values are uniform in
    [0, 1], one mark lies anywhere in each half of a fixed-length sequence, no -1 markers, the target is
    the raw sum X1 + X2, and results are an MSE against the 0.167 "predict 1" baseline, not a
    per-sequence |error| < 0.04 criterion.
    """

    low: ClassVar[float] = -1.0
    high: ClassVar[float] = 1.0
    x1_if_first_pair_marked: ClassVar[float] = 0.0

    @staticmethod
    def _target(x1, x2):
        return 0.5 + (x1 + x2) / 4.0


@dataclass(frozen=True)
class Multiplication(_MarkedPairs):
    """Exp. 5 (H&S 1997 §5.5): as :class:`Adding1997`, but values uniform in [0, 1], X1 := 1.0 (not 0,
    again in the input and the target) when the first mark falls on the first pair, and target
    ``X1 * X2`` (the product of the marked values in every sequence).  Correct if |error| < 0.04 (the
    criterion of §5.4, which §5.5 inherits).  ``T`` an integer >= 20.  2 inputs, 1 output."""

    low: ClassVar[float] = 0.0
    high: ClassVar[float] = 1.0
    x1_if_first_pair_marked: ClassVar[float] = 1.0

    @staticmethod
    def _target(x1, x2):
        return x1 * x2
