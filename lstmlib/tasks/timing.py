"""Stream generators for the timing tasks of Gers, Schraudolph & Schmidhuber (2002), "Learning Precise
Timing with LSTM Recurrent Networks" (JMLR 3:115-143): measuring spike delays (MSD, continual and
non-continual), generating timed spikes (GTS) and periodic function generation (PFG).

Sources.  The paper's PDF could not be read here; besides the abstract, only a few verbatim passages
are known (the project's reference notes on the paper; the book's "What the papers publish" page):
the notation F, I(n) and the delay sets {0, 1}, {0, 1, 2} for continual MSD at F = 10 [P], and the
"50 or 49 steps" headline [P].  The task encodings below follow secondary reading notes [S]
(ProFatXuanAll's notes on the paper), and every choice they leave open is stated where it is made.
Treat the encodings as this project's reading of the paper, not as the paper's own text.

Every task is a frozen dataclass whose :meth:`stream(rng, trials, n_events) <MSD.stream>` returns a
:class:`Stream` for ``trials`` (K) independent trials, each with its own random stream drawn from the
one Generator, with ``n_events`` events (intervals, spikes or periods) per trial:

* ``x [K, T, n_inputs]`` float64, ``target [K, T, 1]`` float64;
* ``weights [K, T]`` float64: 1 where the step has a target and is judged, else 0;
* ``reset [K, T]`` bool: zero the network state before this step (only NMSD has resets);
* ``events [K, E]`` int64, ascending: the step at which each event is judged complete, ``-1`` for an
  event a trial does not have (a sentinel; the generators here always give every trial all
  ``n_events`` events, so ``E = n_events`` and there is no -1, but :meth:`Stream.correct_events`
  accepts it);
* ``lengths [K]`` int64: the steps of each trial's own stream.  ``T`` is the longest; a shorter stream
  is padded with zero input, zero target, zero weight and no reset.

These are the arguments of :meth:`lstmlib.OnlineLearner.run` (``x, target, weights, reset=reset``).
The paper's measure of success is the number of *consecutive correct events*: a stream runs until
the first judged step whose absolute error reaches the tolerance (training streams stop there).
:meth:`Stream.first_wrong_step` and :meth:`Stream.correct_events` compute it from a per-step error
array such as ``StreamResult.error``; a step is correct iff ``|output - target| < tolerance``
(strictly), and a NaN error at a judged step is wrong.

Time steps are 0-based: step 0 is the first step of a stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._checks import check_count, check_rng, is_int

__all__ = ["GTS", "MSD", "OUTPUTS", "PFG", "PFG_SHAPES", "Stream", "periodic_target"]

#: Output units a task may ask for: a logistic sigmoid or the identity.
OUTPUTS = ("logistic", "linear")

#: PFG target shapes.
PFG_SHAPES = ("cos", "tri", "rect")


# ----------------------------------------------------------------------------------------- checks

def _check_tolerance(value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"tolerance must be a finite number > 0, got {value!r}")
    return float(value)


def _check_output(value):
    if value not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {value!r}")
    return value


def _fmt(value) -> str:
    return f"{value:g}"


# ----------------------------------------------------------------------------------------- Stream

@dataclass(frozen=True, eq=False)
class Stream:
    """K independent trial streams (see the module docstring for the fields' shapes and meaning).

    ``tolerance`` is the task's: a judged step is correct iff its absolute error is strictly below it.
    """

    x: np.ndarray
    target: np.ndarray
    weights: np.ndarray
    events: np.ndarray
    reset: np.ndarray
    lengths: np.ndarray
    tolerance: float

    @property
    def trials(self) -> int:
        return self.x.shape[0]

    @property
    def T(self) -> int:
        """Steps of the (padded) stream."""
        return self.x.shape[1]

    @property
    def n_events(self) -> np.ndarray:
        """Events each trial has, int64 ``[K]`` (the entries of ``events`` that are not -1)."""
        return (self.events >= 0).sum(axis=1).astype(np.int64)

    def error(self, output) -> np.ndarray:
        """``|output - target|`` per step, ``[K, T]``, from outputs ``[K, T, 1]`` (0 at unjudged steps,
        NaN outputs give NaN errors at judged steps).  Same form as ``StreamResult.error``."""
        output = np.asarray(output, dtype=float)
        if output.shape != self.target.shape:
            raise ValueError(f"output must have shape {self.target.shape}, got {output.shape}")
        err = np.abs(output - self.target).max(axis=-1)
        return np.where(self.weights > 0, err, 0.0)

    def first_wrong_step(self, error, tolerance=None) -> np.ndarray:
        """Per trial, the first judged step (``weights > 0``) whose error is ``>= tolerance`` or NaN,
        int64 ``[K]``; -1 if there is none.  ``error [K, T]`` (or ``[K, T, 1]``): absolute error per step,
        e.g. ``StreamResult.error`` or :meth:`error`.  Errors at unjudged steps are ignored, whatever
        they are.  ``tolerance`` defaults to the task's."""
        tol = self.tolerance if tolerance is None else _check_tolerance(tolerance)
        error = np.asarray(error, dtype=float)
        if error.ndim == 3 and error.shape[-1] == 1:
            error = error[..., 0]
        if error.shape != self.weights.shape:
            raise ValueError(f"error must have shape {self.weights.shape} (or {self.weights.shape + (1,)}), "
                             f"got {error.shape}")
        wrong = (self.weights > 0) & ~(error < tol)  # NaN compares False: wrong
        return np.where(wrong.any(axis=1), wrong.argmax(axis=1), -1).astype(np.int64)

    def correct_events(self, error, tolerance=None) -> np.ndarray:
        """Per trial, the number of events completed before its first wrong step (all its events if no
        step is wrong), int64 ``[K]``.  An event completed at the wrong step itself does not count.
        Arguments as for :meth:`first_wrong_step`."""
        return self.events_before(self.first_wrong_step(error, tolerance))

    def events_before(self, first) -> np.ndarray:
        """Per trial, the number of events completed before step ``first [K]`` (-1: all its events),
        int64 ``[K]``: :meth:`correct_events` for known first wrong steps."""
        first = np.asarray(first, dtype=np.int64)
        limit = np.where(first < 0, np.iinfo(np.int64).max, first)
        present = self.events >= 0
        return (present & (self.events < limit[:, None])).sum(axis=1).astype(np.int64)


def _empty_stream(K, T, n_inputs):
    return (np.zeros((K, T, n_inputs)), np.zeros((K, T, 1)), np.zeros((K, T)), np.zeros((K, T), bool))


class _TimingTask:
    """What every task shares: argument checks and the ``stream`` entry point."""

    n_inputs: ClassVar[int] = 1
    n_outputs: ClassVar[int] = 1

    def stream(self, rng, trials, n_events) -> Stream:
        """A :class:`Stream` of ``trials`` independent trials with ``n_events`` events each."""
        check_rng(rng)
        K = check_count("trials", trials)
        n = check_count("n_events", n_events)
        return self._stream(rng, K, n)

    def _init_common(self):
        object.__setattr__(self, "tolerance", _check_tolerance(self.tolerance))
        object.__setattr__(self, "output", _check_output(self.output))

    def _suffix(self, default_output, default_tolerance) -> str:
        s = ""
        if self.output != default_output:
            s += f"_{self.output}"
        if self.tolerance != default_tolerance:
            s += f"_tol{_fmt(self.tolerance)}"
        return s


def _check_F(F):
    if not is_int(F) or F < 1:
        raise ValueError(f"F (the base period in steps) must be an integer >= 1, got {F!r}")
    return int(F)


# ----------------------------------------------------------------------------------------- MSD

@dataclass(frozen=True)
class MSD(_TimingTask):
    """Measuring spike delays (Gers et al. 2002 §4).  One input unit: 1.0 at spike times, else 0.

    The paper's definition [S]: spikes at T(n) = T(n-1) + F + I(n), with a fixed base period ``F`` and an
    extra delay I(n) drawn at random from a small set (``delays``; the sets {0, 1} and {0, 1, 2} at F = 10
    are [P]); at each spike time T(n) the network must output I(n).  The abstract's "spikes spaced either
    50 or 49 time steps apart" is ``MSD(49, (0, 1))``.

    Choices made here:

    * **Origin.**  Every stream starts with a spike at step 0 (T(0) = 0), so T(1) = F + I(1) as in the
      notes, and every interval, the first included, is measured from a spike.  Step 0 has no target.
    * I(n) is uniform over ``delays`` (the notes say "random"), independently for every interval.
    * **Target** I(n) at T(n), n >= 1, with weight 1; weight 0 at every other step (the network is not
      judged between spikes).  Tolerance 0.49 [S]: correct iff |output - I(n)| < 0.49.
    * **Output unit** [S]: logistic, except in the widened-delay runs (I(n) up to 10), which used an
      identity output; the default is therefore ``"logistic"`` if ``max(delays) <= 1``, else ``"linear"``.
      A logistic output with a delay above 1 (an unreachable target) is refused.
    * ``continual=True`` (MSD): one stream of ``n_events`` intervals per trial, never reset.
      ``continual=False`` (NMSD, one interval per sequence [S]): each interval is its own sequence, a
      spike at its local step 0 and one at local step F + I(n) with the target there, F + I(n) + 1 steps
      in all; the ``n_events`` sequences of a trial are concatenated, and ``reset`` is True at the first
      step of each (the network state must be zeroed there).
    * **Events**: interval n is judged complete at its closing spike T(n) (the interval's only judged
      step).

    ``delays`` is stored as a sorted tuple of distinct non-negative integers.
    """

    F: int
    delays: tuple = (0, 1)
    continual: bool = True
    output: str = None
    tolerance: float = 0.49

    def __post_init__(self):
        object.__setattr__(self, "F", _check_F(self.F))
        d = self.delays
        if isinstance(d, (str, bytes)) or not hasattr(d, "__iter__"):
            raise ValueError(f"delays must be a non-empty sequence of distinct integers >= 0, got {d!r}")
        d = tuple(d)
        if not d or not all(is_int(v) and v >= 0 for v in d) or len(set(d)) != len(d):
            raise ValueError(f"delays must be a non-empty sequence of distinct integers >= 0, got {self.delays!r}")
        object.__setattr__(self, "delays", tuple(sorted(int(v) for v in d)))
        if not isinstance(self.continual, (bool, np.bool_)):
            raise ValueError(f"continual must be True or False, got {self.continual!r}")
        object.__setattr__(self, "continual", bool(self.continual))
        if self.output is None:
            object.__setattr__(self, "output", self.default_output)
        self._init_common()
        if self.output == "logistic" and max(self.delays) > 1:
            raise ValueError(f"a logistic output cannot reach the target {max(self.delays)}: use output='linear' "
                             f"(one of {OUTPUTS}) or delays within {{0, 1}}")

    @property
    def default_output(self) -> str:
        return "logistic" if max(self.delays) <= 1 else "linear"

    @property
    def name(self) -> str:
        kind = "MSD" if self.continual else "NMSD"
        return f"{kind} (F={self.F}, I∈{{{', '.join(map(str, self.delays))}}})"

    @property
    def key(self) -> str:
        kind = "msd" if self.continual else "nmsd"
        return f"{kind}_F{self.F}_I{'-'.join(map(str, self.delays))}" + self._suffix(self.default_output, 0.49)

    def describe(self) -> str:
        gaps = [str(self.F + d) for d in self.delays]
        spacing = gaps[0] if len(gaps) == 1 else ", ".join(gaps[:-1]) + " or " + gaps[-1]
        kind = "continual MSD" if self.continual else "NMSD (state reset before every interval)"
        return (f"{kind}: spikes {spacing} steps apart (F={self.F} + I(n), I(n) uniform on "
                f"{{{', '.join(map(str, self.delays))}}}); output I(n) at each spike "
                f"({self.output} output, |error| < {_fmt(self.tolerance)})")

    def _stream(self, rng, K, n):
        idx = rng.integers(len(self.delays), size=(K, n))
        I = np.asarray(self.delays, dtype=np.int64)[idx]
        gap = self.F + I  # spacing of the two spikes of each interval
        if self.continual:
            ends = np.cumsum(gap, axis=1)  # T(n), with T(0) = 0
            starts = np.concatenate([np.zeros((K, 1), np.int64), ends[:, :-1]], axis=1)
        else:
            span = gap + 1  # an interval is its own sequence of F + I(n) + 1 steps
            starts = np.cumsum(span, axis=1) - span
            ends = starts + gap
        lengths = ends[:, -1] + 1
        x, target, weights, reset = _empty_stream(K, int(lengths.max()), 1)
        rows = np.repeat(np.arange(K), n)
        x[rows, starts.ravel(), 0] = 1.0
        x[rows, ends.ravel(), 0] = 1.0
        target[rows, ends.ravel(), 0] = I.ravel()
        weights[rows, ends.ravel()] = 1.0
        if not self.continual:
            reset[rows, starts.ravel()] = True
        return Stream(x, target, weights, ends.astype(np.int64), reset, lengths.astype(np.int64), self.tolerance)


# ----------------------------------------------------------------------------------------- GTS

@dataclass(frozen=True)
class GTS(_TimingTask):
    """Generating timed spikes (Gers et al. 2002 §5): the inverse of MSD, the network must emit a spike
    every ``F`` steps with no external reset and no teacher forcing ("Without external resets or teacher
    forcing, our LSTM variant also learns to generate stable streams of precisely timed spikes" [P]).

    The paper's input/output encoding is not known here (the secondary note says the paper does not
    spell it out and guesses one [S]).  Chosen encoding:

    * one input unit with a single trigger spike, 1.0 at step 0, and 0 at every later step;
    * target 1.0 at steps F, 2F, 3F, ... and 0.0 at every other step (step 0 included);
    * every step is judged (weight 1): a spike emitted early, late or not at all, and any output of
      0.49 or more between spikes, is an error.  Tolerance 0.49 [S], logistic output [S];
    * event k (k = 1 .. n_events) is the period of steps (k-1)F + 1 .. kF, judged complete at step kF;
      a stream has n_events·F + 1 steps.

    The stream is deterministic: ``rng`` is checked but not used, and all trials get the same stream.
    """

    F: int
    output: str = "logistic"
    tolerance: float = 0.49

    def __post_init__(self):
        object.__setattr__(self, "F", _check_F(self.F))
        self._init_common()

    @property
    def name(self) -> str:
        return f"GTS (F={self.F})"

    @property
    def key(self) -> str:
        return f"gts_F{self.F}" + self._suffix("logistic", 0.49)

    def describe(self) -> str:
        return (f"GTS: after one trigger spike at step 0, emit a spike every {self.F} steps and 0 in between "
                f"({self.output} output, |error| < {_fmt(self.tolerance)} at every step)")

    def _stream(self, rng, K, n):
        F = self.F
        T = n * F + 1
        x, target, weights, reset = _empty_stream(K, T, 1)
        x[:, 0, 0] = 1.0
        events = F * np.arange(1, n + 1, dtype=np.int64)
        target[:, events, 0] = 1.0
        weights[:] = 1.0
        return Stream(x, target, weights, np.tile(events, (K, 1)), reset, np.full(K, T, np.int64), self.tolerance)


# ----------------------------------------------------------------------------------------- PFG

def periodic_target(shape, F, t) -> np.ndarray:
    """The PFG target f(t) for steps ``t`` (array of integers >= 0), period ``F``; m = t mod F:

    * ``"cos"``: ½(1 - cos(2πt/F)) [S];
    * ``"tri"``: 2m/F for m <= F/2, else 2 - 2m/F.  The secondary note's formula has the two cases the
      other way round and then ranges over [1, 2]; this is the [0, 1] triangle with the same slopes
      (max |f'| = 2/F as the note says), starting at 0 like f_cos.  For odd F the peak is (F-1)/F;
    * ``"rect"``: 1 if m > F/2 else 0, as in the note [S].  This gives floor((F-1)/2) ones per period:
      F/2 - 1 for even F (4 of 10 at F = 10, not half), (F-1)/2 for odd F (12 of 25 at F = 25).
    """
    if shape not in PFG_SHAPES:
        raise ValueError(f"shape must be one of {PFG_SHAPES}, got {shape!r}")
    F = _check_F(F)
    t = np.asarray(t)
    if not np.issubdtype(t.dtype, np.integer) or (t.size and t.min() < 0):
        raise ValueError("t must be integer steps >= 0")
    m = t % F
    if shape == "cos":
        return 0.5 * (1.0 - np.cos(2.0 * np.pi * m / F))
    if shape == "tri":
        return np.where(2 * m <= F, 2.0 * m / F, 2.0 - 2.0 * m / F)
    return (2 * m > F).astype(float)


@dataclass(frozen=True)
class PFG(_TimingTask):
    """Periodic function generation (Gers et al. 2002 §6): with no input, the output must follow the
    periodic function ``shape`` (:func:`periodic_target`) of period ``F`` (F ∈ {10, 25} in the paper [S]).

    * The paper's task has no input [S].  The network here still gets one input unit that is always 0,
      so it has the same 1-input layout as in the other tasks (a zero input contributes nothing).
    * Target f(t) at t = 0, 1, 2, ...; every step is judged; tolerance 0.3 [S] (one extra run of the
      paper used 0.15 on f_cos, F = 25 [S]: ``PFG("cos", 25, tolerance=0.15)``); linear (identity)
      output [S].
    * Event k (k = 1 .. n_events) is the period of steps (k-1)F .. kF - 1, judged complete at step kF - 1;
      a stream has n_events·F steps.

    The stream is deterministic: ``rng`` is checked but not used, and all trials get the same stream.
    """

    shape: str
    F: int
    output: str = "linear"
    tolerance: float = 0.3

    def __post_init__(self):
        if self.shape not in PFG_SHAPES:
            raise ValueError(f"shape must be one of {PFG_SHAPES}, got {self.shape!r}")
        object.__setattr__(self, "F", _check_F(self.F))
        self._init_common()

    @property
    def name(self) -> str:
        return f"PFG f_{self.shape} (F={self.F})"

    @property
    def key(self) -> str:
        return f"pfg_{self.shape}_F{self.F}" + self._suffix("linear", 0.3)

    def describe(self) -> str:
        what = {"cos": "½(1 - cos(2πt/F))", "tri": "a 0-1-0 triangle", "rect": "a rectangle (1 if t mod F > F/2)"}
        return (f"PFG: with no input, output {what[self.shape]} with period {self.F} "
                f"({self.output} output, |error| < {_fmt(self.tolerance)} at every step)")

    def _stream(self, rng, K, n):
        F = self.F
        T = n * F
        x, target, weights, reset = _empty_stream(K, T, 1)
        target[:, :, 0] = periodic_target(self.shape, F, np.arange(T))
        weights[:] = 1.0
        events = F * np.arange(1, n + 1, dtype=np.int64) - 1
        return Stream(x, target, weights, np.tile(events, (K, 1)), reset, np.full(K, T, np.int64), self.tolerance)
