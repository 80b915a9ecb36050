"""Stopping rules and test-set evaluation (the criteria of H&S 1997, usable by any chapter).

Stopping rules are callables for :func:`lstmlib.train`'s ``stop`` argument: called once per chunk
with the per-sequence ``loss`` and ``max_error`` arrays ``[trials, chunk]``, they return for each
trial the index in the chunk at which its criterion was first met, or -1.
"""

from __future__ import annotations

import numpy as np

from ..model.batch import outputs_at_end


class RecentSequencesRule:
    """H&S 1997's ST3(e): stop when the ``window`` most recent training sequences were all processed
    correctly (max |error| < ``tolerance``) and their average error is below ``mean_error``.

    The paper does not define "average training error"; here it is the mean over the window of each
    sequence's max |output - target| (for one output: the absolute error at the sequence end).
    ``mean_error=None`` drops that half of the rule.  ``max_wrong`` allows that many wrong sequences in
    the window (Exp. 5 tests "when less than n_seq of the 2000 most recent training sequences lead to
    absolute errors exceeding 0.04": ``max_wrong = n_seq - 1``, ``mean_error=None``).  A trial's window
    spans chunks.
    """

    def __init__(self, window=2000, tolerance=0.04, mean_error=0.01, max_wrong=0):
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            raise ValueError(f"window must be a positive integer, got {window!r}")
        if not tolerance > 0:
            raise ValueError(f"tolerance must be > 0, got {tolerance!r}")
        if mean_error is not None and not mean_error > 0:
            raise ValueError(f"mean_error must be > 0 or None, got {mean_error!r}")
        if isinstance(max_wrong, bool) or not isinstance(max_wrong, (int, np.integer)) or not 0 <= max_wrong < window:
            raise ValueError(f"max_wrong must be an integer in [0, window), got {max_wrong!r}")
        self.window, self.tolerance, self.mean_error = int(window), float(tolerance), mean_error
        self.max_wrong = int(max_wrong)
        self._tail = None  # the last window-1 errors of each trial

    def __call__(self, loss, err):
        err = np.asarray(err, dtype=float)
        K, n = err.shape
        if self._tail is None:
            self._tail = np.full((K, 0), np.nan)
        if self._tail.shape[0] != K:
            raise ValueError(f"this rule was used with {self._tail.shape[0]} trials, now {K}")
        W = self.window
        e = np.concatenate([self._tail, err], axis=1)  # [K, tail + n]
        start = e.shape[1] - n  # index of this chunk's first sequence in e
        ok = np.isfinite(e) & (e < self.tolerance)
        c_ok = np.concatenate([np.zeros((K, 1)), np.cumsum(ok, axis=1)], axis=1)
        c_err = np.concatenate([np.zeros((K, 1)), np.cumsum(np.where(np.isfinite(e), e, 0.0), axis=1)], axis=1)
        ends = np.arange(start, e.shape[1]) + 1  # window [end - W, end) ends after each new sequence
        met = np.full(K, -1)
        valid = ends >= W
        if valid.any():
            ends_v = ends[valid]
            all_ok = (c_ok[:, ends_v] - c_ok[:, ends_v - W]) >= W - self.max_wrong
            if self.mean_error is not None:
                all_ok &= (c_err[:, ends_v] - c_err[:, ends_v - W]) / W < self.mean_error
            first = np.where(all_ok.any(axis=1), all_ok.argmax(axis=1), -1)
            offset = int(np.flatnonzero(valid)[0])
            met = np.where(first >= 0, first + offset, -1)
        self._tail = e[:, -(W - 1):] if W > 1 else np.full((K, 0), np.nan)
        return met


class RandomTestSetRule:
    """H&S 1997's ST1/ST2 (Exp. 3): after each chunk of training sequences, test every trial on ``n``
    fresh random sequences; stop a trial when at most ``max_wrong`` of them fail ``task.correct`` and
    (unless ``mean_error`` is None) their mean absolute error against the noise-free target is below
    ``mean_error``.

    ST1 is the first half alone; ST2 is both.  ``wrong_ok_at[k]`` records the sequence count at which
    trial k first met the first half (its ST1), so one run gives both of the paper's columns.  The rule
    tests at chunk ends only, so both counts are multiples of the chunk size (the paper does not say
    how often it tested).  ``net`` is the network being trained; the rule only reads it.  ``drawn_for``: as
    for :func:`evaluate` (a shard of a job's trials is tested on its own rows of sequences drawn for all).
    """

    def __init__(self, net, task, n=256, max_wrong=0, mean_error=None, seed=0, drawn_for=None):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if isinstance(max_wrong, bool) or not isinstance(max_wrong, (int, np.integer)) or not 0 <= max_wrong < n:
            raise ValueError(f"max_wrong must be an integer in [0, n), got {max_wrong!r}")
        if mean_error is not None and not mean_error > 0:
            raise ValueError(f"mean_error must be > 0 or None, got {mean_error!r}")
        _drawn_for(drawn_for, net.trials)  # checked here, before any training
        self.net, self.task, self.n, self.drawn_for = net, task, int(n), drawn_for
        self.max_wrong, self.mean_error = int(max_wrong), mean_error
        self.rng = np.random.default_rng(seed)
        self.seen = 0
        self.wrong_ok_at = np.full(net.trials, -1, np.int64)

    def __call__(self, loss, err):
        K, n = np.shape(err)
        if K != self.net.trials:
            raise ValueError(f"this rule watches {self.net.trials} trials, got {K}")
        self.seen += n
        # a trial that no longer trains (train() passes NaN for its whole chunk) is not tested: its
        # weights are frozen, and the test sequences drawn stay the same for the others
        live = np.flatnonzero(~np.all(np.isnan(np.asarray(err, dtype=float)), axis=1))
        if live.size == 0:
            return np.full(K, -1)
        ev = evaluate(self.net, self.task, n=self.n, seed=self.rng, trials=None if live.size == K else live,
                      drawn_for=self.drawn_for)
        wrong_ok = np.zeros(K, bool)  # an untested trial meets neither half of the rule
        wrong_ok[live] = ev["wrong"][live] <= self.max_wrong
        self.wrong_ok_at = np.where(wrong_ok & (self.wrong_ok_at < 0), self.seen, self.wrong_ok_at)
        ok = wrong_ok if self.mean_error is None else wrong_ok & (ev["mean_abs_error"] < self.mean_error)
        return np.where(ok, n - 1, -1)


class FlatCurveRule:
    """Stops a trial whose learning curve has gone flat (issue 12: a budget-limited baseline need not
    run to its budget to show where it stands).  After each chunk, for every trial that has trained on
    at least ``patience`` sequences: split its ``patience`` most recent training sequences into halves;
    the curve is flat when the later half has a fraction of correct sequences (max |error| <
    ``tolerance``) less than ``min_gain`` above the earlier half's *and* a mean loss above ``1 -
    min_drop`` times the earlier half's.  A trial still learning passes one of the two tests.

    Called like the stopping rules (``loss``, ``max_error`` ``[trials, chunk]``, NaN rows for trials
    not training); returns per trial True where the curve is flat.  :func:`lstmlib.train` stops such a
    trial with status ``"flat"``: it is unsolved, and stopped, not run to its budget.
    """

    def __init__(self, patience, tolerance=0.04, min_gain=0.01, min_drop=0.1):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 2 or patience % 2:
            raise ValueError(f"patience must be an even positive integer (sequences), got {patience!r}")
        if not tolerance > 0:
            raise ValueError(f"tolerance must be > 0, got {tolerance!r}")
        if isinstance(min_gain, bool) or not 0 <= min_gain < 1:
            raise ValueError(f"min_gain must be in [0, 1), got {min_gain!r}")
        if isinstance(min_drop, bool) or not 0 <= min_drop < 1:
            raise ValueError(f"min_drop must be in [0, 1), got {min_drop!r}")
        self.patience, self.tolerance = int(patience), float(tolerance)
        self.min_gain, self.min_drop = float(min_gain), float(min_drop)
        self._loss = self._ok = None  # each trial's most recent `patience` sequences

    def __call__(self, loss, err):
        loss, err = np.asarray(loss, dtype=float), np.asarray(err, dtype=float)
        K = err.shape[0]
        if self._loss is None:
            self._loss, self._ok = np.full((K, 0), np.nan), np.zeros((K, 0))
        if self._loss.shape[0] != K:
            raise ValueError(f"this rule was used with {self._loss.shape[0]} trials, now {K}")
        P, half = self.patience, self.patience // 2
        self._loss = np.concatenate([self._loss, loss], axis=1)[:, -P:]
        self._ok = np.concatenate([self._ok, err < self.tolerance], axis=1)[:, -P:]
        if self._loss.shape[1] < P:
            return np.zeros(K, bool)
        ok = np.isfinite(self._loss).all(axis=1)
        with np.errstate(invalid="ignore"):  # a trial not training (NaN rows) is never flat
            gain = self._ok[:, half:].mean(axis=1) - self._ok[:, :half].mean(axis=1)
            no_gain = gain < self.min_gain
            no_drop = self._loss[:, half:].mean(axis=1) > (1 - self.min_drop) * self._loss[:, :half].mean(axis=1)
        return ok & no_gain & no_drop


def evaluate(net, task, n=2560, seed=0, batch=512, trials=None, drawn_for=None):
    """Test ``net`` on ``n`` fresh sequences per trial from ``task`` (a :mod:`lstmlib.tasks.recall` task).

    ``seed``: an integer or a ``numpy.random.Generator``.  Returns a dict of per-trial arrays: ``wrong``
    (sequences failing ``task.correct``), ``mean_abs_error`` and ``mse`` (against the noise-free target
    at the sequence end), and ``n``.  ``trials``: indices of the only trials to test (the sequences are
    drawn for every trial all the same, so each tested trial sees what it would see alone); the others
    get -1 wrong and NaN errors.

    ``drawn_for=(K, rows)``: ``net`` holds some of a job's K trials (a shard), trial j of ``net`` being
    row ``rows[j]`` of the job: sequences are drawn for all K trials and each trial is tested on its own
    row's, so that a shard is tested exactly as its trials would be in the whole job."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    K = net.trials
    pick = np.arange(K) if trials is None else np.asarray(trials, dtype=np.int64)
    tested = net if trials is None else net.subset(pick)
    draw_K, rows = _drawn_for(drawn_for, K)
    at = rows[pick]  # the drawn rows of the tested trials
    wrong = np.zeros(pick.size, np.int64)
    abs_sum = np.zeros(pick.size)
    sq_sum = np.zeros(pick.size)
    done = 0
    while done < n:
        m = min(batch, n - done)
        b = task.draw(rng, draw_K, m)
        x, lengths, clean = b.x[at], b.lengths[at], b.clean_target[at]
        y = outputs_at_end(tested.forward(x, lengths), lengths)
        wrong += (~task.correct(y, clean)).sum(axis=1)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged trial scores inf/nan, not a warning
            diff = np.abs(y - clean).max(axis=-1)
            abs_sum += diff.sum(axis=1)
            sq_sum += (diff ** 2).sum(axis=1)
        done += m
    out = {"n": int(n), "wrong": np.full(K, -1, np.int64), "mean_abs_error": np.full(K, np.nan),
           "mse": np.full(K, np.nan)}
    out["wrong"][pick], out["mean_abs_error"][pick], out["mse"][pick] = wrong, abs_sum / n, sq_sum / n
    return out


def _drawn_for(drawn_for, trials):
    """``(K, rows)``: the trials to draw sequences for and the drawn row of each of ``trials`` trials."""
    if drawn_for is None:
        return trials, np.arange(trials)
    K, rows = drawn_for
    rows = np.asarray(rows, dtype=np.int64)
    if rows.shape != (trials,) or rows.min() < 0 or rows.max() >= K or len(set(rows.tolist())) != trials:
        raise ValueError(f"drawn_for must be (K, rows) with {trials} distinct rows in [0, K), got {drawn_for!r}")
    return int(K), rows
