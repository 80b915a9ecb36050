"""lstmlib.tasks.timing pinned to the task definitions of Gers, Schraudolph & Schmidhuber 2002 as this project
reads them (MSD/NMSD, GTS, PFG), and the consecutive-correct-events count to hand-built error arrays."""

import numpy as np
import pytest

from lstmlib.tasks.timing import GTS, MSD, PFG, Stream, periodic_target


def rng(seed=0):
    return np.random.default_rng(seed)


def spikes_of(s, k):
    return np.flatnonzero(s.x[k, :, 0])


# ------------------------------------------------------------------------------------------ MSD

def check_continual(task, s, n):
    F, K = task.F, s.trials
    assert s.x.shape == (K, s.T, 1) and s.target.shape == (K, s.T, 1) and s.weights.shape == (K, s.T)
    assert s.events.shape == (K, n) and s.events.dtype == np.int64 and s.lengths.dtype == np.int64
    assert not s.reset.any()
    assert s.T == s.lengths.max()
    for k in range(K):
        sp = spikes_of(s, k)
        assert sp[0] == 0 and sp.size == n + 1                  # the initial spike, then T(1..n)
        assert set(np.unique(s.x[k])) <= {0.0, 1.0}
        delay = np.diff(sp) - F                                  # I(n) = T(n) - T(n-1) - F
        assert np.isin(delay, task.delays).all()
        np.testing.assert_array_equal(s.target[k, sp[1:], 0], delay)
        np.testing.assert_array_equal(np.flatnonzero(s.weights[k]), sp[1:])   # judged exactly at T(n), n >= 1
        assert np.all(s.weights[k, sp[1:]] == 1.0)
        assert np.all(s.target[k][s.weights[k] == 0] == 0.0)
        np.testing.assert_array_equal(s.events[k], sp[1:])
        assert s.lengths[k] == sp[-1] + 1
        assert not s.x[k, s.lengths[k]:].any() and not s.weights[k, s.lengths[k]:].any()
    np.testing.assert_array_equal(s.n_events, np.full(K, n))


def test_msd_structure():
    task = MSD(10, (0, 1, 2))
    s = task.stream(rng(1), 3, 50)
    check_continual(task, s, 50)
    assert task.output == "linear" and task.tolerance == 0.49 and task.n_inputs == task.n_outputs == 1


def test_msd_delays_uniform():
    task = MSD(10, (0, 1, 2))
    s = task.stream(rng(2), 4, 5000)                            # 20,000 intervals
    delays = np.concatenate([np.diff(spikes_of(s, k)) - 10 for k in range(4)])
    counts = np.array([(delays == d).sum() for d in (0, 1, 2)])
    assert counts.sum() == 20_000
    expected = 20_000 / 3
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 25.0, counts                                   # df = 2: P(chi2 > 25) ≈ 4e-6


def test_msd_50_vs_49():
    task = MSD(49)
    assert task.delays == (0, 1) and task.output == "logistic" and task.continual
    s = task.stream(rng(3), 2, 400)
    check_continual(task, s, 400)
    gaps = np.concatenate([np.diff(spikes_of(s, k)) for k in range(2)])
    assert set(np.unique(gaps)) == {49, 50}
    assert set(np.unique(s.target[s.weights > 0])) == {0.0, 1.0}
    assert "49 or 50 steps apart" in task.describe()


def test_nmsd_resets_and_intervals():
    task = MSD(10, (0, 1, 2), continual=False)
    n = 40
    s = task.stream(rng(4), 3, n)
    assert task.key.startswith("nmsd_") and task.name.startswith("NMSD")
    for k in range(3):
        starts = np.flatnonzero(s.reset[k])
        assert starts.size == n and starts[0] == 0
        bounds = np.append(starts, s.lengths[k])
        for j in range(n):
            a, b = bounds[j], bounds[j + 1]
            x, tg, w = s.x[k, a:b, 0], s.target[k, a:b, 0], s.weights[k, a:b]
            I = (b - a) - 1 - task.F                             # spikes at local 0 and F + I
            assert I in task.delays
            np.testing.assert_array_equal(np.flatnonzero(x), [0, b - a - 1])
            np.testing.assert_array_equal(np.flatnonzero(w), [b - a - 1])
            assert tg[-1] == I and not tg[:-1].any()
            assert s.events[k, j] == b - 1
        assert not s.reset[k, s.lengths[k]:].any() and not s.x[k, s.lengths[k]:].any()


def test_msd_fields_and_checks():
    assert MSD(10, (1, 0)).delays == (0, 1)
    assert MSD(10, (0, 1)).key == "msd_F10_I0-1"
    assert MSD(10, (0, 1), output="linear").key == "msd_F10_I0-1_linear"
    assert MSD(10, (0, 5)).output == "linear"
    with pytest.raises(ValueError, match="linear"):
        MSD(10, (0, 2), output="logistic")
    for bad in (0, -3, 1.5, True, "10"):
        with pytest.raises(ValueError, match="F"):
            MSD(bad)
    for bad in ((), (-1, 0), (0, 0), (0, 1.5), 3, "01", None):
        with pytest.raises(ValueError, match="delays"):
            MSD(10, bad)
    with pytest.raises(ValueError, match="logistic"):
        MSD(10, output="tanh")
    with pytest.raises(ValueError, match="continual"):
        MSD(10, continual=1)
    for bad in (0, -0.1, float("nan"), "0.49"):
        with pytest.raises(ValueError, match="tolerance"):
            MSD(10, tolerance=bad)


# ------------------------------------------------------------------------------------------ GTS

def test_gts_by_hand():
    task = GTS(4)
    s = task.stream(rng(), 2, 3)
    assert s.T == 13 and task.output == "logistic" and task.tolerance == 0.49
    for k in range(2):
        np.testing.assert_array_equal(s.x[k, :, 0], [1] + [0] * 12)
        np.testing.assert_array_equal(s.target[k, :, 0], [0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1])
    assert np.all(s.weights == 1.0) and not s.reset.any()
    np.testing.assert_array_equal(s.events, [[4, 8, 12]] * 2)
    np.testing.assert_array_equal(s.lengths, [13, 13])
    assert GTS(1).stream(rng(), 1, 3).target[0, :, 0].tolist() == [0, 1, 1, 1]


# ------------------------------------------------------------------------------------------ PFG

def test_pfg_by_hand():
    np.testing.assert_allclose(periodic_target("cos", 4, np.arange(8)), [0, .5, 1, .5] * 2, atol=1e-12)
    np.testing.assert_allclose(periodic_target("tri", 4, np.arange(8)), [0, .5, 1, .5] * 2)
    np.testing.assert_allclose(periodic_target("tri", 5, np.arange(5)), [0, .4, .8, .8, .4])
    np.testing.assert_array_equal(periodic_target("rect", 4, np.arange(8)), [0, 0, 0, 1] * 2)
    np.testing.assert_array_equal(periodic_target("rect", 5, np.arange(5)), [0, 0, 0, 1, 1])
    # the note's f_rect: floor((F-1)/2) ones per period
    assert periodic_target("rect", 10, np.arange(10)).sum() == 4
    assert periodic_target("rect", 25, np.arange(25)).sum() == 12
    for shape in ("cos", "tri", "rect"):
        f = periodic_target(shape, 10, np.arange(60))
        assert f.min() == 0.0 and f.max() <= 1.0
        np.testing.assert_allclose(f[10:], f[:-10], atol=1e-12)  # period F


def test_pfg_stream():
    task = PFG("cos", 4)
    s = task.stream(rng(), 2, 3)
    assert task.output == "linear" and task.tolerance == 0.3 and s.T == 12
    assert not s.x.any() and s.x.shape == (2, 12, 1)
    np.testing.assert_allclose(s.target[:, :, 0], [[0, .5, 1, .5] * 3] * 2, atol=1e-12)
    assert np.all(s.weights == 1.0) and not s.reset.any()
    np.testing.assert_array_equal(s.events, [[3, 7, 11]] * 2)
    assert PFG("cos", 25, tolerance=0.15).key == "pfg_cos_F25_tol0.15"
    with pytest.raises(ValueError, match="'cos', 'tri', 'rect'"):
        PFG("sin", 10)
    with pytest.raises(ValueError, match="cos"):
        periodic_target("square", 10, np.arange(3))
    for bad in (0, 2.5):
        with pytest.raises(ValueError, match="F"):
            PFG("tri", bad)
        with pytest.raises(ValueError, match="F"):
            GTS(bad)


def test_describe_one_line():
    for task in (MSD(49), MSD(10, (0, 1, 2), continual=False), GTS(10), PFG("tri", 25)):
        d = task.describe()
        assert isinstance(d, str) and d and "\n" not in d
        assert task.name and task.key and " " not in task.key


# ------------------------------------------------------------------------------------------ counting

def hand_stream(weights, events, tolerance=0.49):
    weights = np.asarray(weights, float)
    K, T = weights.shape
    z = np.zeros((K, T, 1))
    return Stream(z, z.copy(), weights, np.asarray(events, np.int64), np.zeros((K, T), bool),
                  np.full(K, T, np.int64), tolerance)


def test_correct_events_every_step_judged():
    s = GTS(4).stream(rng(), 4, 3)                               # events at 4, 8, 12; T = 13
    err = np.zeros((4, 13))
    err[1, 8] = 0.49                                             # equal to the tolerance: wrong
    err[2, 5] = np.nan                                           # NaN: wrong
    err[3, 4] = 0.4899                                           # just below: right
    err[3, 12] = 1.0                                             # the last event's own step
    np.testing.assert_array_equal(s.first_wrong_step(err), [-1, 8, 5, 12])
    np.testing.assert_array_equal(s.correct_events(err), [3, 1, 1, 2])
    np.testing.assert_array_equal(s.correct_events(err[..., None]), [3, 1, 1, 2])   # [K, T, 1] too
    np.testing.assert_array_equal(s.correct_events(err, 0.5), [3, 3, 1, 2])         # other tolerance
    err[0, 0] = 0.6                                              # before the first event
    assert s.correct_events(err)[0] == 0 and s.first_wrong_step(err)[0] == 0


def test_correct_events_ignores_unjudged_and_sentinel():
    w = np.zeros((3, 10))
    w[:, [3, 7, 9]] = 1.0
    events = [[3, 7, 9], [3, 7, 9], [3, -1, -1]]                 # trial 2 has one event only
    s = hand_stream(w, events)
    np.testing.assert_array_equal(s.n_events, [3, 3, 1])
    err = np.zeros((3, 10))
    err[:, 5] = 5.0                                              # unjudged steps: ignored
    err[:, 6] = np.nan
    err[1, 9] = np.nan
    np.testing.assert_array_equal(s.first_wrong_step(err), [-1, 9, -1])
    np.testing.assert_array_equal(s.correct_events(err), [3, 2, 1])
    err[2, 3] = 0.49
    np.testing.assert_array_equal(s.correct_events(err), [3, 2, 0])
    with pytest.raises(ValueError, match="shape"):
        s.correct_events(np.zeros((3, 9)))
    with pytest.raises(ValueError, match="tolerance"):
        s.correct_events(err, 0.0)


def test_error_from_outputs_and_msd_count():
    s = MSD(10).stream(rng(7), 2, 5)
    y = s.target.copy()
    assert np.all(s.error(y) == 0) and np.all(s.correct_events(s.error(y)) == 5)
    y[0, s.events[0, 2], 0] += 0.6                               # third spike wrong in trial 0
    y[1, s.events[1, 0] - 1, 0] = 7.0                            # between spikes: not judged
    np.testing.assert_array_equal(s.correct_events(s.error(y)), [2, 5])
    np.testing.assert_array_equal(s.first_wrong_step(s.error(y)), [s.events[0, 2], -1])


# ------------------------------------------------------------------------------------------ inputs, seeds

@pytest.mark.parametrize("task", [MSD(10), GTS(5), PFG("rect", 10)])
def test_stream_argument_checks(task):
    with pytest.raises(ValueError, match="n_events"):
        task.stream(rng(), 2, 0)
    with pytest.raises(ValueError, match="trials"):
        task.stream(rng(), 0, 2)
    with pytest.raises(ValueError, match="Generator"):
        task.stream(42, 2, 2)
    with pytest.raises(ValueError, match="Generator"):
        task.stream(np.random.RandomState(0), 2, 2)


@pytest.mark.parametrize("task", [MSD(10, (0, 1, 2)), MSD(49, continual=False), GTS(5), PFG("tri", 10)])
def test_same_seed_same_streams(task):
    a, b = task.stream(rng(11), 3, 20), task.stream(rng(11), 3, 20)
    for name in ("x", "target", "weights", "events", "reset", "lengths"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_trials_and_seeds_differ():
    s = MSD(10, (0, 1, 2)).stream(rng(12), 2, 50)
    assert not np.array_equal(s.events[0], s.events[1])
    t = MSD(10, (0, 1, 2)).stream(rng(13), 2, 50)
    assert not np.array_equal(s.events, t.events)
