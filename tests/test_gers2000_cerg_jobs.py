"""Gers 2000 Table 2 (the continual embedded Reber grammar): the jobs of the forgetting chapter — the networks,
the stream protocol (first-error cut, a new stream at the next string, the maximal length, the external
reset), the test streams and the perfect and good criteria."""

import numpy as np
import pytest

import lstmlib
from lstmlib.papers.gers2000 import cerg_jobs
from lstmlib.papers.gers2000.protocols import CERG_PROTOCOLS, ERG_PROTOCOLS, cerg_network, erg_network
from lstmlib.tasks import reber

FORGET = CERG_PROTOCOLS["cerg_forget"]


def _strip(record):
    return {k: v for k, v in record.items() if k != "wall_time_s"}


def test_weight_counts_and_topology_follow_the_papers():
    # H&S 1997 Exp. 1: 264 (4 blocks x 1) and 276 (3 x 2); Gers 2000 CERG: 424 with forget gates
    assert erg_network(ERG_PROTOCOLS["erg_4x1_lr0.1"], "vanilla").n_weights == 264
    assert erg_network(ERG_PROTOCOLS["erg_3x2_lr0.1"], "vanilla").n_weights == 276
    net = cerg_network(FORGET, seed=3)
    assert net.n_weights == 424
    L = net.layout
    assert (L.n_inputs, L.n_blocks, L.cells_per_block, L.n_outputs) == (7, 4, 2, 7)
    # 8 cells x (7 + 8) + 12 gates x (7 + 8 + 1) + 7 outputs x (8 + 7 + 1): cells unbiased, no gate-to-gate
    assert 8 * 15 + 12 * 16 + 7 * 16 == 424
    assert cerg_network(CERG_PROTOCOLS["cerg_standard"]).n_weights == 424 - 4 * 16  # no forget gates
    decay = cerg_network(CERG_PROTOCOLS["cerg_state_decay"])  # the standard net, its state decayed by 0.9
    assert decay.n_weights == 360 and (decay.spec.forget, decay.spec.state_decay) == ("decay", 0.9)
    with pytest.raises(ValueError, match="replaces the forget gate of the 1997 cell"):
        cerg_network(CERG_PROTOCOLS["cerg_state_decay"].replace(arch="forget"))
    rnn = cerg_network(CERG_PROTOCOLS["cerg_rnn"])
    assert rnn.n_weights >= 360 and not rnn.spec.has_memory


def _replay(net, p, x, target, starts, lengths_out, budget=10**9):
    """One OnlineLearner call per training stream on one trial's concatenated walk: the reference."""
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(p.lr), lr_decay=p.lr_decay)
    total, pos, n = x.shape[0], 0, 0
    while pos < total and n < budget:
        end = min(total, pos + p.train_length)
        learner.reset()
        r = learner.run(x[None, pos:end], target[None, pos:end], stop_at_error=p.tolerance,
                        reset=starts[None, pos:end] if p.external_reset else None)
        n += 1
        if r.stopped[0]:
            lengths_out.append(int(r.steps[0]) - 1)
            nxt = np.flatnonzero(starts[pos + int(r.steps[0]):])
        elif end - pos == p.train_length:
            lengths_out.append(p.train_length)
            nxt = np.flatnonzero(starts[end:])
        else:  # ran to the end of the data: still running
            return pos
        if nxt.size == 0:
            return None
        pos = int(pos + (r.steps[0] if r.stopped[0] else end - pos) + nxt[0])
    return None


@pytest.mark.parametrize("row, changes", [("cerg_forget", {}), ("cerg_forget_decay", {}), ("cerg_reset", {}),
                                          ("cerg_standard", {"tolerance": 1e300, "train_length": 70}),
                                          ("cerg_state_decay", {})])
def test_many_streams_per_call_train_as_one_call_per_training_stream(monkeypatch, row, changes):
    """The chunked learner (a stream ends at its first wrong step or after train_length symbols, the next
    starts at the next string; the external reset zeroes the state at every string) gives the weights and
    the training-stream lengths of one call per stream on each trial's walk."""
    monkeypatch.setattr(cerg_jobs, "CHUNK", 50)  # streams continue across calls
    p = CERG_PROTOCOLS[row].replace(**changes)
    K = 2
    net = cerg_network(p, K, seed=11)
    runner = cerg_jobs._OnlineStreams(net.copy(), p, np.random.default_rng(5))
    chunks = []
    original = runner.walk.chunk

    def recording(T):
        chunks.append(original(T))
        return chunks[-1]
    runner.walk.chunk = recording
    got = [[] for _ in range(K)]
    for _ in range(6):
        finished, _, _ = runner.train(budget=10**9, test_from=10**9)
        for k in range(K):
            got[k] += finished[k]
    x, target, starts = (np.concatenate([c[i] for c in chunks], axis=1) for i in range(3))
    for k in range(K):
        ref, lengths = net.trial(k).copy(), []
        running_from = _replay(ref, p, x[k], target[k], starts[k], lengths)
        assert got[k] == lengths and len(lengths) >= 2
        assert runner.carry[k] == (-1 if running_from is None else x.shape[1] - running_from)
        for name in ref.params:
            np.testing.assert_allclose(runner.net.params[name][k], ref.params[name][0], rtol=1e-12, atol=1e-12)
    if "train_length" in changes:
        assert all(v == 70 for v in got[0])


def test_the_budget_of_training_streams_is_exact_and_a_trial_near_a_test_starts_no_new_stream():
    p = FORGET
    runner = cerg_jobs._OnlineStreams(cerg_network(p, 3, seed=2), p, np.random.default_rng(1))
    n = np.zeros(3, np.int64)
    while not runner.out_of_budget(7).all():
        finished, _, _ = runner.train(budget=7, test_from=10**9)
        n += [len(f) for f in finished]
        runner.learner.active[runner.out_of_budget(7)] = 0
    assert n.tolist() == [7, 7, 7] and runner.started.tolist() == [7, 7, 7]
    # test_from below the chunk: one training stream per call and trial, tested with the weights at its end
    runner = cerg_jobs._OnlineStreams(cerg_network(p, 3, seed=2), p, np.random.default_rng(1))
    for _ in range(3):
        finished, _, to_test = runner.train(budget=100, test_from=0)
        assert all(len(f) == 1 for f in finished) and to_test.all()


def _walk_reference(net, p, rng, lanes, T):
    """First wrong step of every lane on its test stream, by one forward pass over the whole stream."""
    walk = reber.CERGWalk(rng, lanes.size)
    parts, size = [], cerg_jobs._TEST_CHUNK
    while sum(c[0].shape[1] for c in parts) < T:
        size = min(size, T - sum(c[0].shape[1] for c in parts))
        parts.append(walk.chunk(size))
        size = min(2 * size, cerg_jobs._TEST_CHUNK_MAX)
    x, target = np.concatenate([c[0] for c in parts], 1), np.concatenate([c[1] for c in parts], 1)
    y = net.subset(lanes).forward(x[:, None], np.full((lanes.size, 1), T))[:, 0]
    wrong = ~(np.abs(y - target).max(axis=-1) < p.tolerance)
    return np.where(wrong.any(axis=1), wrong.argmax(axis=1), T)


def test_test_streams_run_from_a_reset_with_frozen_weights_to_their_first_wrong_step():
    p = FORGET.replace(test_length=700, test_streams=3)
    net = cerg_network(p, 4, seed=8)
    before = {n: v.copy() for n, v in net.params.items()}
    got = cerg_jobs.test_lengths(net, p, np.random.default_rng(4), [1, 3])
    assert got.shape == (2, 3)
    ref = _walk_reference(net, p, np.random.default_rng(4), np.repeat([1, 3], 3), 700).reshape(2, 3)
    np.testing.assert_array_equal(got, ref)
    for n, v in net.params.items():
        np.testing.assert_array_equal(v, before[n])
    # a criterion nothing fails: every stream runs its full length; one everything fails: none runs a step
    assert (cerg_jobs.test_lengths(net, p.replace(tolerance=1e300), np.random.default_rng(0), [0]) == 700).all()
    assert (cerg_jobs.test_lengths(net, p.replace(tolerance=1e-12), np.random.default_rng(0), [0]) == 0).all()


def test_the_perfect_test_stops_at_the_first_stream_a_net_gets_wrong():
    p = FORGET.replace(test_length=400)
    net = cerg_network(p, 3, seed=8)
    assert not cerg_jobs.passes_perfect_test(net, p, np.random.default_rng(0), [0, 2]).any()
    assert cerg_jobs.passes_perfect_test(net, p.replace(tolerance=1e300), np.random.default_rng(0), [0, 2]).all()
    # a net right on the first test stream but not on a later one fails
    calls = []

    def lengths(net_, p_, rng, trials):
        calls.append(list(trials))
        return np.full((len(trials), 1), 400 if len(calls) < 3 else 7)
    import unittest.mock
    with unittest.mock.patch.object(cerg_jobs, "test_lengths", lengths):
        assert not cerg_jobs.passes_perfect_test(net, p, np.random.default_rng(0), [1, 2]).any()
    assert calls == [[1, 2], [1, 2], [1, 2]]  # the third stream fails both: no fourth


def test_perfect_good_and_bad():
    p = FORGET
    assert cerg_jobs.classify([100_000] * 10, p, solved=True) == "perfect"
    assert cerg_jobs.classify([1001] * 10, p, solved=False) == "good"
    assert cerg_jobs.classify([1000] * 10, p, solved=False) == "bad"  # "good": mean length > 1000
    assert cerg_jobs.classify([10_000] + [1] * 9, p, solved=False) == "good"


def test_a_trial_that_passes_the_perfect_test_is_solved_at_that_stream():
    # nothing is ever wrong: the first training stream runs its maximal length, the test that follows is perfect
    p = FORGET.replace(tolerance=1e300, train_length=60, test_length=500)
    job = cerg_jobs.CERGJob(p, "forget", 2, 5, test_from=50)
    r = cerg_jobs.run_job(job)
    for t in r["trials"]:
        assert (t["status"], t["streams"], t["class"], t["tests"]) == ("solved", 1, "perfect", 1)
        assert t["test_lengths"] == [500] * 10 and t["best_train_length"] == 60
    # never right: no test, every trial bad at its budget of 5 streams
    r = cerg_jobs.run_job(cerg_jobs.CERGJob(FORGET.replace(tolerance=1e-12), "forget", 2, 5))
    for t in r["trials"]:
        assert (t["status"], t["streams"], t["streams_seen"], t["tests"], t["class"]) == ("budget", None, 5, 0, "bad")
        assert t["test_lengths"] == [0] * 10 and t["best_train_length"] == 0


def test_a_trial_stops_once_it_trained_on_max_symbols():
    p = FORGET.replace(tolerance=1e300, train_length=300)  # never wrong: every stream runs 300 symbols
    r = cerg_jobs.run_job(cerg_jobs.CERGJob(p, "forget", 2, 1000, test_from=10**9, max_symbols=2500))
    for t in r["trials"]:
        assert t["status"] == "budget" and t["symbol_cap"] and 2500 <= t["steps_seen"] < 2500 + cerg_jobs.CHUNK
        assert t["streams_seen"] == t["steps_seen"] // 300
    assert r["max_symbols"] == 2500


def test_tiny_runs_give_well_formed_records_and_the_same_seed_the_same_numbers():
    jobs, protocols = cerg_jobs.jobs_for("tiny")
    assert [j.name for j in jobs] == ["cerg_standard/vanilla", "cerg_forget/forget"]
    a, b = cerg_jobs.run_job(jobs[1]), cerg_jobs.run_job(jobs[1])
    assert _strip(a) == _strip(b)
    assert a["n_weights"] == 424 and a["budget"] == 40 and a["test_from"] == 1000
    for t in a["trials"]:
        assert t["streams_seen"] == 40 and len(t["test_lengths"]) == 10 and t["class"] in ("good", "bad")
        assert t["curve"][-1][0] == 40
    other = cerg_jobs.run_job(cerg_jobs.CERGJob(jobs[1].protocol, "forget", 2, 40, seed=1))
    assert _strip(other) != _strip(a)
    net = cerg_jobs.network_from_record(protocols["cerg_forget"], a, 1)
    for name, w in a["trials"][1]["weights"].items():
        np.testing.assert_array_equal(net[name][0], np.asarray(w))


def test_the_plain_rnn_learns_by_bptt_per_stream_and_is_never_solved():
    p = CERG_PROTOCOLS["cerg_rnn"].replace(tolerance=1e300, test_length=50_000)
    r = cerg_jobs.run_job(cerg_jobs.CERGJob(p, "rnn", 2, 3, test_from=10))
    for t in r["trials"]:  # every stream runs its RNN_STREAM symbols; a final test capped at RNN_TEST_LENGTH
        assert t["status"] == "budget" and t["class"] == "good" and t["tests"] == 0
        assert t["test_lengths"] == [cerg_jobs.RNN_TEST_LENGTH] * 10
        assert t["streams_seen"] == 3 and t["best_train_length"] == cerg_jobs.RNN_STREAM


class _Stop(Exception):
    pass


@pytest.mark.parametrize("row", ["cerg_forget", "cerg_rnn"])
def test_a_job_stopped_mid_training_resumes_from_its_checkpoint_to_the_same_record(tmp_path, monkeypatch, row):
    from lstmlib.training.checkpoints import checkpointing
    monkeypatch.setattr(cerg_jobs, "CHUNK", 40)
    monkeypatch.setattr(cerg_jobs, "RNN_BATCH", 16)
    job = cerg_jobs.CERGJob(CERG_PROTOCOLS[row], CERG_PROTOCOLS[row].arch, 2, 80)
    expect = cerg_jobs.run_job(job)
    runner_class = cerg_jobs._BPTTStreams if row == "cerg_rnn" else cerg_jobs._OnlineStreams
    original = runner_class.train
    calls = [0]

    def stopping(self, budget, test_from):
        calls[0] += 1
        if calls[0] == 3:
            raise _Stop
        return original(self, budget, test_from)
    monkeypatch.setattr(runner_class, "train", stopping)
    with checkpointing(tmp_path / "job", every=0), pytest.raises(_Stop):
        cerg_jobs.run_job(job)
    monkeypatch.setattr(runner_class, "train", original)
    lines = []
    with checkpointing(tmp_path / "job", every=0):
        resumed = cerg_jobs.run_job(job, progress=lines.append)
    assert lines[0].startswith(f"{row}/{job.arch}: resumed from a checkpoint at ")
    assert _strip(resumed) == _strip(expect)


def test_jobs_for_scales_and_bad_inputs():
    jobs, protocols = cerg_jobs.jobs_for("default")
    assert list(protocols) == list(CERG_PROTOCOLS) and all(j.trials >= 10 for j in jobs)
    paper, _ = cerg_jobs.jobs_for("paper")
    assert {(j.trials, j.budget) for j in paper} == {(100, 30_000)}
    jobs, protocols = cerg_jobs.jobs_for("default", architectures="vanilla")
    assert list(protocols) == ["cerg_reset", "cerg_standard", "cerg_state_decay"]
    jobs, _ = cerg_jobs.jobs_for("tiny", "cerg_forget_decay", trials=3, budget=9, test_from=0)
    assert [(j.name, j.trials, j.budget, j.test_threshold) for j in jobs] == [("cerg_forget_decay/forget", 3, 9, 0)]
    for bad in [dict(scale="huge"), dict(experiments="cerg_nope"), dict(trials=0), dict(budget=-1),
                dict(test_from=-1), dict(test_from=1.5), dict(architectures="gru")]:
        with pytest.raises(ValueError):
            cerg_jobs.jobs_for(**{"scale": "tiny", **bad})
    assert {j.max_symbols for j in cerg_jobs.jobs_for("default")[0]} == {2_000_000}
    assert {j.max_symbols for j in paper} == {None}
    assert cerg_jobs.jobs_for("default", max_symbols=None)[0][0].max_symbols is None
    with pytest.raises(ValueError, match="max_symbols"):
        cerg_jobs.jobs_for("default", max_symbols=0)
    with pytest.raises(ValueError, match="runs 'forget'"):
        cerg_jobs.CERGJob(FORGET, "vanilla", 2, 5).check()
