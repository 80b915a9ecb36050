"""The trivial predictors every results table is read against (lstmlib.tasks.baselines): the levels they
reach follow from the tasks' definitions, and no other constant does better."""

import numpy as np
import pytest

from lstmlib.tasks import baselines, languages, recall, timing


def test_the_two_sequence_problems_constant_is_one_class():
    # targets 1.0 and 0.0 with equal probability, correct within 0.2: any constant gets about half wrong
    b = baselines.recall_constant(recall.TwoSequence(100, 3), n=2560, seed=1)
    assert b["constant"] in (0.0, 1.0) and b["n"] == 2560
    assert 0.45 * 2560 < b["wrong"] < 0.55 * 2560 and b["mean_abs_error"] == pytest.approx(0.5, abs=0.03)


def test_no_other_constant_beats_the_best_one():
    task = recall.Adding1997(100)
    b = baselines.recall_constant(task, n=1000, seed=3)
    target = task.draw(np.random.default_rng(3), 1, 1000).clean_target[0]  # the same test set
    for c in np.random.default_rng(0).uniform(0, 1, 200):
        wrong = int((~task.correct(np.full_like(target, c), target)).sum())
        assert wrong >= b["wrong"]
    # the adding target 0.5 + (x1 + x2) / 4 is centred on 0.5; a window of ±0.04 holds about one in six
    assert abs(b["constant"] - 0.5) < 0.05 and 0.75 < b["wrong"] / 1000 < 0.9


def test_timing_constants_follow_from_the_tasks():
    # GTS: a spike every F steps; no constant gets the first spike right (it must be within 0.49 of 1 and
    # of 0 at once), and the smallest RMSE is near that of the spikes' rate p = 50 / 501 (the stream has
    # n F + 1 steps): sqrt(p (1 - c)^2 + (1 - p) c^2) at the constant c found
    gts = baselines.stream_constant(timing.GTS(10), trials=3, n_events=50, seed=0)
    assert gts["events_median"] == 0 and gts["events_max"] == 0
    p, c = 50 / 501, gts["constant"]
    assert c == pytest.approx(p, abs=0.003)
    assert gts["rmse_median"] == pytest.approx(np.sqrt(p * (1 - c) ** 2 + (1 - p) * c ** 2), abs=1e-12)
    assert gts["rmse_median"] < np.sqrt(p)  # better than outputting 0 everywhere
    # MSD with delays {0, 1}: a constant within 0.49 of one of them is right half the time, so the run of
    # successive correct events is geometric with mean 1
    msd = baselines.stream_constant(timing.MSD(10, (0, 1)), trials=200, n_events=200, seed=0)
    assert msd["events_median"] in (0.0, 1.0) and msd["events_max"] >= 4
    # PFG: every step judged, the best constant's RMSE is the target's spread
    pfg = baselines.stream_constant(timing.PFG("cos", 10), trials=2, n_events=20, seed=0)
    f = timing.periodic_target("cos", 10, np.arange(200))
    assert pfg["events_median"] == 0 and pfg["rmse_median"] == pytest.approx(f.std(), abs=1e-3)


def test_a_predictor_without_a_count_accepts_no_counting_string():
    for key in ("anbn", "anbncn"):
        lang = languages.get_language(key)
        b = baselines.symbol_predictor(lang, (1, 10), n_max=50)
        # after a b it must say "another b" or "the end" without knowing the count; the majority says b
        assert b["up_to"] == lang.min_n - 1 and b["table"]["b"] == "b"
        assert b["table"]["S"] == "a" and b["table"]["a"] == "a b"
    # trained on n = 1 only, the majority after b is the end: that predictor gets exactly n = 1 right
    one = baselines.symbol_predictor(languages.get_language("anbn"), (1, 1), n_max=50)
    assert one["up_to"] == 1 and one["table"]["b"] == "T"


@pytest.mark.parametrize("call, match", [
    (lambda: baselines.recall_constant(recall.Adding1997(100), n=0), "n must"),
    (lambda: baselines.recall_constant(recall.Adding1997(100), seed="x"), "seed"),
    (lambda: baselines.stream_constant(timing.GTS(10), trials=0), "trials"),
    (lambda: baselines.stream_constant(timing.GTS(10), n_events=-1), "n_events"),
    (lambda: baselines.symbol_predictor("anbn", (1, 10)), "CountingLanguage"),
    (lambda: baselines.symbol_predictor(languages.get_language("anbn"), (1, 10), n_max=0), "n_max"),
])
def test_bad_arguments_are_refused_first(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_same_seed_same_level():
    task = recall.Multiplication(100)
    assert baselines.recall_constant(task, 500, 7) == baselines.recall_constant(task, 500, 7)
