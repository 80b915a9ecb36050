"""Counting languages aⁿbⁿ, aⁿbⁿcⁿ, ... as next-symbol prediction (Gers & Schmidhuber 2001).

A string of ``CountingLanguage("abc")`` with count n is ``S aⁿ bⁿ cⁿ T``.  The network reads it one
symbol at a time (one-hot over ``S a b c``; ``T`` ends the string, so it is predicted but never read)
and at every step predicts the *set* of symbols that may legally come next, as a multi-hot target over
``a b c T``:

    after S                       {a}        ({a, T} if n = 0 is in the language)
    after an a                    {a, b}     (the string may go on with a's or turn to b's)
    after the j-th b, j < n       {b}
    after the n-th b              {c}        ({T} for aⁿbⁿ)
    ... and so on; after the n-th symbol of the last block: {T}

A string is *accepted* iff at every step every output is on the correct side of the threshold (above
for a legal next symbol, below for an illegal one); an output exactly at the threshold is on neither
side.

Two codings (``coding``): ``"binary"``, one-hot inputs and 0/1 multi-hot targets judged at 0.5 (the
public reproductions [S]); ``"bipolar"``, the same vectors with -1 for "off", inputs and targets,
judged at 0 (Pérez-Ortiz 2002, ch. 7, p. 101 [P]).  ``marker="$"`` names the start and end symbols
both ``$`` (the thesis: "$" starts and ends every string, and is never a separator); the units are the
same either way, since the start symbol is only read and the end symbol only predicted.  The thesis'
example (n = 3: targets ``a/$ a/b a/b a/b b b c c c $``) admits ``$`` right after the start, i.e.
``min_n=0`` for the targets, while its strings have n ≥ 1.  The only
free choices in the string are "one more a, or the first b"; every other prediction is forced, so a
network that accepts aⁿbⁿ for all n ≤ N has learned to count to N.

:func:`generalisation` tests trained networks on n = 1, 2, ... up to ``n_max`` (strings of different
n batched together, each trial dropped at its first rejected string) and reports the largest N such
that every n ≤ N is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_choice, is_int

__all__ = ["CODINGS", "CountingLanguage", "LANGUAGES", "accepted", "generalisation", "generalisation_interval",
           "get_language", "training_set_accepted"]

START, END = "S", "T"
#: coding -> (value of a unit that is off, decision threshold of an output)
CODINGS = {"binary": (0.0, 0.5), "bipolar": (-1.0, 0.0)}


@dataclass(frozen=True)
class CountingLanguage:
    """``S x₁ⁿ x₂ⁿ ... x_kⁿ T`` over the letters ``letters`` (``"ab"``: aⁿbⁿ, ``"abc"``: aⁿbⁿcⁿ), for
    n ≥ ``min_n`` (1, or 0 to admit the empty string ``S T``)."""

    letters: str = "ab"
    min_n: int = 1
    coding: str = "binary"
    marker: str | None = None

    def __post_init__(self):
        if self.marker is not None and (not isinstance(self.marker, str) or len(self.marker) != 1):
            raise ValueError(f"marker must be one character or None, got {self.marker!r}")
        if not isinstance(self.letters, str) or len(self.letters) < 2 or len(set(self.letters)) != len(self.letters) \
                or {self.start, self.end} & set(self.letters):
            raise ValueError(f"letters must be at least two distinct symbols other than {self.start!r} and "
                             f"{self.end!r}, got {self.letters!r}")
        if not is_int(self.min_n) or self.min_n not in (0, 1):
            raise ValueError(f"min_n must be 0 or 1, got {self.min_n!r}")
        check_choice("coding", self.coding, CODINGS)

    @property
    def start(self) -> str:
        """The symbol every string starts with (read, never predicted)."""
        return START if self.marker is None else self.marker

    @property
    def end(self) -> str:
        """The symbol every string ends with (predicted, never read)."""
        return END if self.marker is None else self.marker

    @property
    def off(self) -> float:
        """The value of an input or target unit that is off: 0 (binary) or -1 (bipolar)."""
        return CODINGS[self.coding][0]

    @property
    def threshold(self) -> float:
        """An output above it says "legal next symbol", below it "illegal": 0.5 (binary) or 0 (bipolar)."""
        return CODINGS[self.coding][1]

    # naming ------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """E.g. ``"aⁿbⁿcⁿ"``."""
        return "".join(f"{c}\u207f" for c in self.letters)

    @property
    def key(self) -> str:
        return "".join(f"{c}n" for c in self.letters)

    @property
    def inputs(self) -> tuple:
        """Input symbols, in the order of the one-hot input units."""
        return (self.start,) + tuple(self.letters)

    @property
    def outputs(self) -> tuple:
        """Output symbols, in the order of the output units (one per possible next symbol)."""
        return tuple(self.letters) + (self.end,)

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    @property
    def n_outputs(self) -> int:
        return len(self.outputs)

    def length(self, n) -> int:
        """Steps of the string with count n: S and k·n letters (T is not read)."""
        return 1 + len(self.letters) * n

    # the language itself ------------------------------------------------------------------------
    def string(self, n) -> str:
        """The string with count n, e.g. ``"SaabbT"`` (``"$aabb$"`` with ``marker="$"``)."""
        self._check_n(n)
        return self.start + "".join(c * n for c in self.letters) + self.end

    def next_sets(self, n) -> list:
        """The legal next-symbol set after each symbol read of the string with count n (``length(n)`` sets)."""
        self._check_n(n)
        first = {self.letters[0], self.end} if self.min_n == 0 else {self.letters[0]}
        sets = [first]  # a prefix's legal continuations do not depend on the n still to come
        if n == 0:
            return sets
        sets += [{self.letters[0], self.letters[1]}] * n  # after each a: more a's, or the b's begin
        for k, letter in enumerate(self.letters[1:], start=1):
            after_block = self.letters[k + 1] if k + 1 < len(self.letters) else self.end
            sets += [{letter}] * (n - 1) + [{after_block}]
        return sets

    def encode(self, ns):
        """One-hot inputs ``x [len(ns), T, n_inputs]``, multi-hot targets ``[len(ns), T, n_outputs]`` and
        ``lengths [len(ns)]`` for the strings with counts ``ns`` (padded with zeros to the longest).  With
        ``coding="bipolar"`` the units that are off are -1 instead of 0 (inside each string; padding stays 0)."""
        ns = np.asarray(ns)
        if ns.ndim != 1 or ns.size == 0 or not np.issubdtype(ns.dtype, np.integer):
            raise ValueError(f"ns must be a non-empty 1-d array of integer counts, got {ns!r}")
        if ns.min() < self.min_n:
            raise ValueError(f"counts must be >= min_n={self.min_n}, got {ns.min()}")
        k = len(self.letters)
        lengths = 1 + k * ns
        T = int(lengths.max())
        B = ns.size
        t = np.arange(T)[None, :]  # step index; step 0 reads S, step 1 + j·n + i reads letter j
        n = ns[:, None]
        valid = t < lengths[:, None]
        letter = np.where(t >= 1, (t - 1) // np.maximum(n, 1), -1)  # which block step t reads (-1: S)
        pos = np.where(t >= 1, (t - 1) % np.maximum(n, 1), 0)  # index within the block
        x = np.zeros((B, T, self.n_inputs))
        sym_in = np.where(letter < 0, 0, letter + 1)
        bi, ti = np.nonzero(valid)
        x[bi, ti, sym_in[bi, ti]] = 1.0
        target = np.zeros((B, T, self.n_outputs))
        # after S: the first letter, and T if the empty string "S T" is in the language
        target[:, 0, 0] = 1.0
        target[:, 0, k] = self.min_n == 0
        first = valid & (letter == 0)
        target[..., 0] += first  # after an a: a, or the first b
        target[..., 1] += first
        for j in range(1, k):
            in_block = valid & (letter == j)
            last = pos == n - 1
            target[..., j] += in_block & ~last  # more of this letter
            target[..., j + 1 if j + 1 < k else k] += in_block & last  # the next block, or the end
        target = np.minimum(target, 1.0)
        if self.coding == "bipolar":  # off = -1 inside the string
            x = np.where(valid[..., None], 2.0 * x - 1.0, 0.0)
            target = np.where(valid[..., None], 2.0 * target - 1.0, 0.0)
        return x, target, lengths.astype(np.int64)

    def sample(self, rng, trials, n, n_range):
        """``(x, target, lengths, "every")`` for ``n`` strings per trial with counts drawn uniformly from
        ``n_range = (lo, hi)`` (inclusive): the :func:`lstmlib.train` sample contract."""
        lo, hi = self.check_range(n_range)
        counts = rng.integers(lo, hi + 1, size=(trials, n))
        x, target, lengths = self.encode(counts.ravel())
        T = x.shape[1]
        return (x.reshape(trials, n, T, -1), target.reshape(trials, n, T, -1), lengths.reshape(trials, n), "every")

    def sampler(self, trials, n_range):
        """``sample(rng, n)`` for :func:`lstmlib.train`."""
        self.check_range(n_range)
        return lambda rng, n: self.sample(rng, trials, n, n_range)

    def check_range(self, n_range):
        try:
            lo, hi = n_range
        except (TypeError, ValueError):
            raise ValueError(f"n_range must be a pair (lo, hi), got {n_range!r}") from None
        if not (is_int(lo) and is_int(hi)) or not self.min_n <= lo <= hi:
            raise ValueError(f"n_range must be integers with {self.min_n} <= lo <= hi, got {n_range!r}")
        return int(lo), int(hi)

    def _check_n(self, n):
        if not is_int(n) or n < self.min_n:
            raise ValueError(f"n must be an integer >= {self.min_n}, got {n!r}")


#: The languages by key.
LANGUAGES = {lang.key: lang for lang in (CountingLanguage("ab"), CountingLanguage("abc"), CountingLanguage("abcd"))}


def get_language(key) -> CountingLanguage:
    if isinstance(key, CountingLanguage):
        return key
    if key not in LANGUAGES:
        raise ValueError(f"unknown language {key!r}; valid: {sorted(LANGUAGES)}")
    return LANGUAGES[key]


def accepted(outputs, target, lengths, threshold=0.5) -> np.ndarray:
    """Whether each string is accepted: ``outputs`` and ``target [..., batch, time, symbols]``,
    ``lengths [..., batch]`` -> bool ``[..., batch]``.  Accepted iff at every step < length every output
    is on the correct side of ``threshold`` (0.5 for binary targets, 0 for bipolar ones): above it where
    the target is above it (a legal next symbol), below it where the target is below it."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    outputs, target = np.asarray(outputs), np.asarray(target)
    lengths = np.asarray(lengths)
    if outputs.shape != target.shape or outputs.ndim < 3:
        raise ValueError(f"outputs and target must have the same shape [..., batch, time, symbols], "
                         f"got {outputs.shape} and {target.shape}")
    if lengths.shape != outputs.shape[:-2]:
        raise ValueError(f"lengths must have shape {outputs.shape[:-2]}, got {lengths.shape}")
    right = np.where(target > threshold, outputs > threshold, outputs < threshold).all(axis=-1)  # NaN: wrong
    valid = np.arange(outputs.shape[-2]) < lengths[..., None]
    return np.all(right | ~valid, axis=-1)


def training_set_accepted(net, language, n_range) -> np.ndarray:
    """Per trial: is every string with count in ``n_range`` (inclusive) accepted?"""
    lo, hi = language.check_range(n_range)
    x, target, lengths = language.encode(np.arange(lo, hi + 1))
    y = net.forward(x, lengths)
    return accepted(y, np.broadcast_to(target, y.shape), np.broadcast_to(lengths, y.shape[:2]),
                    language.threshold).all(axis=1)


def generalisation(net, language, n_max=1000, start=None, max_steps=2_000_000) -> dict:
    """Test every trial of ``net`` on the strings with count ``start, start+1, ..., n_max`` (``start``:
    the language's smallest count) and return per-trial arrays: ``up_to``, the largest N such that every
    string with count ≤ N is accepted (``start - 1`` if the first is rejected), and ``first_failure``,
    the first rejected count (-1 if none up to ``n_max``).

    Counts are tested in batches of similar length (one forward pass each, at most ``max_steps``
    string-steps per trial per pass); a trial leaves the scan at its first rejected string, so networks
    that fail early cost almost nothing."""
    if not is_int(n_max) or n_max < language.min_n:
        raise ValueError(f"n_max must be an integer >= {language.min_n}, got {n_max!r}")
    start = language.min_n if start is None else start
    if not is_int(start) or not language.min_n <= start <= n_max:
        raise ValueError(f"start must be an integer in [{language.min_n}, n_max={n_max}], got {start!r}")
    K = net.trials
    first_failure = np.full(K, -1, np.int64)
    active = np.arange(K)
    lo = start
    while lo <= n_max and active.size:
        # a batch of counts [lo, hi]: padding wastes at most a quarter of the steps
        hi = min(n_max, max(lo + 7, lo + lo // 4), lo + max(1, max_steps // language.length(lo)) - 1)
        ns = np.arange(lo, hi + 1)
        x, target, lengths = language.encode(ns)
        sub = net if active.size == K else net.subset(active)
        y = sub.forward(x, lengths)
        ok = accepted(y, np.broadcast_to(target, y.shape), np.broadcast_to(lengths, y.shape[:2]),
                      language.threshold)  # [k, b]
        failed = ~ok.all(axis=1)
        first_failure[active[failed]] = ns[ok[failed].argmin(axis=1)]
        active = active[~failed]
        lo = hi + 1
    up_to = np.where(first_failure < 0, n_max, first_failure - 1)
    return {"up_to": up_to, "first_failure": first_failure, "n_max": int(n_max), "start": int(start)}


def generalisation_interval(net, language, train_range, n_max=1000, max_steps=2_000_000) -> dict:
    """Per trial, the largest interval of counts ``[lo, hi]`` around the training range ``train_range``
    whose strings are all accepted (Pérez-Ortiz 2002's "generalisation set", e.g. [17, 23] after training
    on [20, 21]): ``hi`` from a :func:`generalisation` scan upward from the training range's smallest count
    (stopped at ``n_max``), ``lo`` from the counts below it, downward.  Arrays ``lo``, ``hi`` (-1 both
    where the training range itself is not accepted) and ``learned`` (bool)."""
    t_lo, t_hi = language.check_range(train_range)
    if not is_int(n_max) or n_max < t_hi:
        raise ValueError(f"n_max must be an integer >= the largest training count {t_hi}, got {n_max!r}")
    up = generalisation(net, language, n_max, start=t_lo, max_steps=max_steps)
    learned = up["up_to"] >= t_hi
    lo = np.where(learned, t_lo, -1)
    hi = np.where(learned, up["up_to"], -1)
    below = np.arange(language.min_n if language.min_n > 0 else 1, t_lo)
    if below.size and learned.any():
        x, target, lengths = language.encode(below)
        sub = net.subset(np.flatnonzero(learned))
        y = sub.forward(x, lengths)
        ok = accepted(y, np.broadcast_to(target, y.shape), np.broadcast_to(lengths, y.shape[:2]), language.threshold)
        # walk down from t_lo - 1: the run of accepted counts just below the training range
        run = np.cumprod(ok[:, ::-1], axis=1).sum(axis=1)
        lo[learned] = t_lo - run
    return {"lo": lo, "hi": hi, "learned": learned, "n_max": int(n_max)}
