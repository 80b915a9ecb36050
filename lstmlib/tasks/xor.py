"""The strongly delayed XOR: a long-time-lag task that does not decompose into single inputs.

H&S 1997 (§6) name "strongly delayed XOR problems" as the limitation of their truncated gradient, which
lets error flow back in time only through the cell states (the CEC): the gates' and cells' recurrent inputs
y(t-1) are treated as constants.  This task is built so that the error path the truncation cuts is the one
that is needed.  Each element is a pair (value, marker):

* values are random signs, +1 or -1 with probability 1/2 each, independently at every step (distractors);
* exactly two pairs carry marker 1.0, all others 0.0: the first mark at a position uniform in
  ``[0, T//4)`` (value a), the second uniform in ``[T//2, 3T//4)`` (value b), so the lag between them is
  at least ``T//2 - T//4 + 1`` steps and the second mark lies at least ``T//4`` steps before the end;
* lengths uniform in ``[T, T + T//10]`` (as in :mod:`.recall`), x zero past the length;
* the target, at the sequence end only, is 1.0 if a ≠ b (the XOR of the two bits) and 0.0 if a = b;
  correct iff |output - target| < 0.5 (the output is on the right side of 1/2).

Every single input, a and b included, is independent of the target (P(a ≠ b | a) = 1/2), so no cell gets
a useful gradient from storing a alone: a cell learns to store a only through the error that the cell
combining a with b sends back into that cell's recurrent input y(t-1) at the second mark, the path the
truncated gradient cuts.  Chance level: 50 % of sequences correct (a constant output other than 1/2),
mean squared error 1/4 for the constant 1/2.  ``T`` an integer >= 8.  2 inputs, 1 output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .recall import TaskBatch, _Task

__all__ = ["DelayedXOR"]


@dataclass(frozen=True)
class DelayedXOR(_Task):
    """The strongly delayed XOR of the module docstring: ``draw``/``sample``/``sampler``/``correct`` as for
    the tasks of :mod:`lstmlib.tasks.recall`."""

    T: int

    n_inputs: ClassVar[int] = 2
    n_outputs: ClassVar[int] = 1
    tolerance: ClassVar[float] = 0.5
    chance_correct: ClassVar[float] = 0.5
    chance_mse: ClassVar[float] = 0.25

    def __post_init__(self):
        self._check_T(8, " (the two marks need T//4 >= 2 positions each)")

    @property
    def first_mark_range(self) -> tuple[int, int]:
        return 0, self.T // 4

    @property
    def second_mark_range(self) -> tuple[int, int]:
        return self.T // 2, 3 * self.T // 4

    def _draw(self, rng, K, n):
        T_max = self.max_length
        lengths = self._lengths(rng, K, n)
        first = rng.integers(*self.first_mark_range, size=(K, n))
        second = rng.integers(*self.second_mark_range, size=(K, n))
        values = np.where(rng.random((K, n, T_max)) < 0.5, 1.0, -1.0)
        values[np.arange(T_max) >= lengths[:, :, None]] = 0.0
        markers = np.zeros((K, n, T_max))
        np.put_along_axis(markers, first[:, :, None], 1.0, axis=2)
        np.put_along_axis(markers, second[:, :, None], 1.0, axis=2)
        a = np.take_along_axis(values, first[:, :, None], axis=2)[:, :, 0]
        b = np.take_along_axis(values, second[:, :, None], axis=2)[:, :, 0]
        target = (a != b).astype(float)[..., None]
        return TaskBatch(np.stack([values, markers], axis=-1), target, lengths, target)
