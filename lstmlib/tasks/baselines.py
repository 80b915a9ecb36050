"""Trivial predictors: what a network scores on a task without learning anything about its time lags.

A result means something only against these levels, so every results table of the book shows them
(and the verdicts of the chapters use them):

* :func:`recall_constant` (H&S 1997 Exp. 3-5): the best *constant* output on a fresh test set of the
  paper's size, judged by the task's own criterion (:meth:`~.recall._Task.correct`): fewest wrong
  sequences, ties broken by the smaller mean absolute error;
* :func:`stream_constant` (Gers 2002 timing tasks): the best constant output on fresh test streams,
  judged by successive correct events (most in the median stream, ties broken by the smaller median
  RMSE over the judged steps);
* :func:`symbol_predictor` (counting languages): the best predictor that sees only the current symbol
  (no count): for every input symbol the majority target of each output over the training strings,
  and how far it gets in the generalisation scan.

Every function is deterministic in its ``seed`` and checks its arguments before any work.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_count
from .languages import CountingLanguage, accepted

__all__ = ["recall_constant", "stream_constant", "symbol_predictor"]

#: How many constants between the smallest and the largest judged target each search tries (the
#: distinct targets themselves are always tried as well, and so is their median).
GRID = 401


def _candidates(targets) -> np.ndarray:
    targets = np.asarray(targets, float).ravel()
    if targets.size == 0 or not np.all(np.isfinite(targets)):
        raise ValueError("the task produced no finite judged targets")
    lo, hi = float(targets.min()), float(targets.max())
    distinct = np.unique(targets)
    extra = distinct if distinct.size <= 64 else np.empty(0)
    return np.unique(np.concatenate([np.linspace(lo, hi, GRID), extra, [np.median(targets)]]))


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer or a numpy Generator, got {seed!r}")
    return np.random.default_rng(seed)


def recall_constant(task, n=2560, seed=0) -> dict:
    """The best constant output for a :mod:`~lstmlib.tasks.recall` task (one output unit) on ``n``
    fresh test sequences drawn with ``seed``: ``{"constant", "wrong", "n", "mean_abs_error"}``, judged
    against the noise-free target at the sequence end, as :func:`lstmlib.training.stopping.evaluate`
    judges a network."""
    n = check_count("n", n)
    rng = _rng(seed)
    if getattr(task, "n_outputs", None) != 1:
        raise ValueError(f"recall_constant needs a task with one output unit, got {task!r}")
    target = task.draw(rng, 1, n).clean_target[0]  # [n, 1]
    best = None
    for c in _candidates(target):
        out = np.full_like(target, c)
        wrong = int((~task.correct(out, target)).sum())
        mae = float(np.abs(out - target).mean())
        if best is None or (wrong, mae) < (best["wrong"], best["mean_abs_error"]):
            best = {"constant": float(c), "wrong": wrong, "n": n, "mean_abs_error": mae}
    return best


def stream_constant(task, trials=10, n_events=1000, seed=0) -> dict:
    """The best constant output for a :mod:`~lstmlib.tasks.timing` task on ``trials`` fresh test
    streams of ``n_events`` events drawn with ``seed``: ``{"constant", "events_median", "events_max",
    "rmse_median", "trials", "n_events"}``.  Events are successive correct events from the stream's
    start (:meth:`~.timing.Stream.correct_events`), RMSE over the judged steps, as the timing
    chapter's final test computes them for a network."""
    trials, n_events = check_count("trials", trials), check_count("n_events", n_events)
    s = task.stream(_rng(seed), trials, n_events)
    judged = s.weights > 0
    count = np.maximum(judged.sum(axis=1), 1)
    best = None
    for c in _candidates(s.target[..., 0][judged]):
        err = s.error(np.full_like(s.target, c))
        events = s.correct_events(err)
        rmse = np.sqrt((err ** 2).sum(axis=1) / count)
        score = (-float(np.median(events)), float(np.median(rmse)))
        if best is None or score < best[0]:
            best = (score, {"constant": float(c), "events_median": float(np.median(events)),
                            "events_max": int(events.max()), "rmse_median": float(np.median(rmse)),
                            "trials": trials, "n_events": n_events})
    return best[1]


def symbol_predictor(language: CountingLanguage, n_range, n_max=1000) -> dict:
    """The best predictor of a counting language that sees only the current symbol: for each input
    symbol, each output's majority target (1 if the symbol is legal next in at least half of the steps
    that read it) over the training strings with counts in ``n_range``; then the scan of
    :func:`~.languages.generalisation`: ``{"up_to"}`` is the largest N such that every string with
    count from the language's smallest up to N is accepted (one less than the smallest if the first
    is not; at most ``n_max``), and ``"table"`` the legal next
    symbols it predicts after each input symbol."""
    if not isinstance(language, CountingLanguage):
        raise ValueError(f"language must be a CountingLanguage, got {language!r}")
    lo, hi = language.check_range(n_range)
    n_max = check_count("n_max", n_max)
    x, target, lengths = language.encode(np.arange(lo, hi + 1))
    valid = np.arange(x.shape[1]) < lengths[:, None]
    symbol = x.argmax(axis=-1)[valid]
    wanted = target[valid]
    table = np.zeros((language.n_inputs, language.n_outputs))
    for s in range(language.n_inputs):
        rows = wanted[symbol == s]
        if rows.size:
            table[s] = ((rows > language.threshold).mean(axis=0) >= 0.5).astype(float)
    up_to = language.min_n - 1
    for n in range(language.min_n, n_max + 1):  # the scan stops at the first string it rejects
        xs, ts, ls = language.encode(np.array([n]))
        # on the correct side of the threshold or not
        y = language.threshold + np.where(table[xs.argmax(axis=-1)] > 0.5, 0.4, -0.4)
        if not accepted(y, ts, ls, language.threshold)[0]:
            break
        up_to = n
    return {"up_to": up_to, "n_max": n_max,
            "table": {language.inputs[s]: " ".join(o for o, v in zip(language.outputs, table[s]) if v)
                      for s in range(language.n_inputs)}}
