"""Gers, Schraudolph & Schmidhuber 2002: the stream-by-stream jobs of the timing chapter."""

import numpy as np
import pytest

import lstmlib
from lstmlib.papers import gers2002
from lstmlib.tasks import timing
from lstmlib.tasks.timing import MSD


def _trivial(arch):
    """MSD with the single delay 0: every target is 0, so a net learns it by lowering its output bias."""
    p = gers2002.PROTOCOLS["msd_F10_I0-1"].replace(key="msd_trivial", task=MSD(10, (0,)), lr=0.05, momentum=0.5,
                                                  train_events=5, test_events=50)
    return gers2002.TimingJob(p, arch, 3, 300, seed=1)


@pytest.mark.parametrize("arch", ["peephole", "rnn"])
def test_a_trial_that_learns_is_tested_frozen_and_reported(arch):
    r = gers2002.run_job(_trivial(arch))
    assert [t["status"] for t in r["trials"]] == ["solved"] * 3
    for t in r["trials"]:
        assert 1 <= t["streams"] == t["streams_seen"] < 300  # frozen once solved
        assert t["test_events"] == 50 and t["best_train_events"] == 5
    again = gers2002.run_job(_trivial(arch))
    assert [t["weights"] for t in again["trials"]] == [t["weights"] for t in r["trials"]]  # same seed, same numbers


def test_records_rebuild_the_trained_networks():
    job = gers2002.TimingJob(gers2002.PROTOCOLS["pfg_cos_F10"], "peephole", 2, 30)
    r = gers2002.run_job(job)
    s = job.protocol.task.stream(np.random.default_rng(0), 1, 3)
    for k in range(2):
        net = gers2002.network_from_record(job.protocol, r, k)
        events, rmse, _ = gers2002.events_on(net, job.protocol, s)
        assert r["trials"][k]["streams_seen"] == 30 and r["trials"][k]["status"] == "budget"
        assert np.isfinite(rmse[0])


def test_events_on_match_a_forward_pass_and_respect_resets():
    p = gers2002.PROTOCOLS["nmsd_F10_I0-1"]
    net = gers2002.network_for(p, "peephole", 3, 2)
    for k in range(3):  # make the outputs informative: some intervals right, some wrong
        net["output.cells"][k] = 3.0 * (k + 1)
    s = p.task.stream(np.random.default_rng(5), 3, 20)
    events, _, y = gers2002.events_on(net, p, s)
    starts = np.flatnonzero(s.reset[0])
    for k in range(3):  # every interval separately, from a reset state
        x = s.x[k]
        bounds = list(np.flatnonzero(s.reset[k])) + [int(s.lengths[k])]
        out = np.concatenate([net.trial(k).forward(x[a:b][None])[0, 0] for a, b in zip(bounds[:-1], bounds[1:])])
        np.testing.assert_allclose(y[k, :len(out)], out, atol=1e-12)
    assert len(starts) == 20
    assert np.array_equal(events, s.correct_events(s.error(y)))


def test_jobs_for_validates_before_any_work():
    jobs, protocols = gers2002.jobs_for("tiny")
    assert {j.arch for j in jobs} == set(gers2002.TIMING_ARCHITECTURES) and len(protocols) == 3
    jobs, _ = gers2002.jobs_for("default", "gts_F10,pfg_tri_F10", "peephole", trials=4, budget=100)
    assert [j.name for j in jobs] == ["gts_F10/peephole", "pfg_tri_F10/peephole"]
    assert all(j.trials == 4 and j.budget == 100 for j in jobs)
    for kwargs, message in [({"scale": "huge"}, "unknown scale"), ({"experiments": "msd"}, "unknown experiment"),
                            ({"architectures": "np"}, "unknown architecture"), ({"trials": 0}, "trials"),
                            ({"seed": 1.5}, "seed")]:
        with pytest.raises(ValueError, match=message):
            gers2002.jobs_for(**kwargs)


def test_the_rule_check_is_one_more_job_made_by_jobs_for():
    jobs, protocols = gers2002.jobs_for("tiny", paper_rule_check=True)
    check = jobs[-1]
    assert [j.name for j in jobs[:-1]] == [j.name for j in gers2002.jobs_for("tiny")[0]]
    assert check.name == "msd_F10_I0-1_paper_rule/peephole" and (check.trials, check.budget) == (2, 100)
    assert isinstance(check, gers2002.TimingJob) and check.unit == "streams"
    paper = gers2002.PROTOCOLS["msd_F10_I0-1"]
    assert check.protocol == paper.replace(key="msd_F10_I0-1_paper_rule")  # the secondary sources' rule
    assert check.protocol.key not in protocols and gers2002.is_rule_check(check.protocol.key)
    assert not any(gers2002.is_rule_check(j.protocol.key) for j in jobs[:-1])
    assert list(gers2002.protocols_of(jobs)) == [*protocols, check.protocol.key]
    # no check when the run already uses that rule, or does not run the row
    assert len(gers2002.jobs_for("tiny", rule="paper", paper_rule_check=True)[0]) == len(jobs) - 1
    assert gers2002.jobs_for("tiny", "gts_F10", paper_rule_check=True)[0][-1].name == "gts_F10/nfg"
    assert gers2002.rule_check_jobs(gers2002.jobs_for("tiny", "gts_F10")[0]) == []
    with pytest.raises(ValueError, match="paper_rule_check must be True or False"):
        gers2002.jobs_for("tiny", paper_rule_check="yes")


def test_no_library_function_is_named_like_a_test():
    for module in (gers2002, gers2002.protocols, gers2002.jobs, gers2002.chapter, gers2002.figures):
        assert not [n for n in vars(module) if n.startswith("test")], module.__name__


@pytest.mark.parametrize("key", ["msd_F10_I0-1", "pfg_cos_F10"])
def test_batched_streams_train_exactly_as_one_stream_at_a_time(key):
    p = gers2002.PROTOCOLS[key].replace(**{**gers2002.RULES["fast"], "lr": 0.02}, train_events=6)
    K, M = 3, 40
    batched = gers2002.jobs._OnlineTrials(gers2002.network_for(p, "peephole", K, 3), p)
    assert batched.batched
    events, ran = batched.train_streams(np.random.default_rng(11), M)
    # the same streams, one call each (stream j of trial k is row j*K + k of one draw)
    s = p.task.stream(np.random.default_rng(11), K * M, p.train_events)
    net = gers2002.network_for(p, "peephole", K, 3)
    learner = lstmlib.OnlineLearner(net, p.make_optimizer())
    for j in range(M):
        rows = slice(j * K, (j + 1) * K)
        learner.reset()
        r = learner.run(s.x[rows], s.target[rows], s.weights[rows], stop_at_error=s.tolerance,
                        reset=s.reset[rows], lengths=s.lengths[rows])
        sub = timing.Stream(s.x[rows], s.target[rows], s.weights[rows], s.events[rows], s.reset[rows],
                            s.lengths[rows], s.tolerance)
        np.testing.assert_array_equal(events[j], sub.correct_events(r.error))
    for name in net.params:
        np.testing.assert_array_equal(net.params[name], batched.net.params[name])
    assert (events >= 0).all()  # every stream ran (some to an error, MSD's sometimes to its end)
    assert ran.sum() > 2 * M * K  # ... after more than a step or two


def test_the_plain_rnn_trains_on_its_whole_stream_when_it_makes_no_error():
    """A trial without a wrong step is credited with every event of its stream and runs all of it (an
    earlier version looked at a prefix of 2 x best + 5 events only and counted the prefix's end as the
    trial's first error)."""
    import dataclasses
    p = gers2002.PROTOCOLS["gts_F10"]
    net = gers2002.network_for(p, "rnn", 2, 0)
    for a in net.params.values():
        a[...] = 0.0  # the same output at every step
    s = p.task.stream(np.random.default_rng(0), 2, 60)
    y = net.forward(s.x[:, None], s.lengths[:, None])[:, 0]
    s = dataclasses.replace(s, target=np.where(s.weights[..., None] > 0, y, s.target))  # always right
    s = dataclasses.replace(s, target=np.concatenate([s.target[:1], np.where(
        s.weights[1:, :, None] * (np.arange(s.T) >= s.events[1, 30])[None, :, None] > 0, y[1:] + 1.0, y[1:])]))
    events, ran = gers2002.jobs._BPTTTrials(net, p)._train_stream(s)
    np.testing.assert_array_equal(events, [s.n_events[0], 30])  # trial 1 errs at the first judged step of event 31
    assert ran[0] == s.lengths[0] and ran[1] < s.lengths[1]


class _Stop(Exception):
    pass


@pytest.mark.parametrize("arch", ["peephole", "rnn"])  # the online learner's streams, and exact BPTT's
def test_a_timing_job_stopped_mid_training_resumes_from_its_checkpoint_to_the_same_record(tmp_path, monkeypatch, arch):
    from lstmlib.training.checkpoints import checkpointing
    jobs, _ = gers2002.jobs_for("tiny", "msd_F10_I0-1", arch, budget=600)  # random streams (GTS has none)
    (job,) = jobs
    expect = gers2002.run_job(job)
    runner_class = gers2002.jobs._BPTTTrials if arch == "rnn" else gers2002.jobs._OnlineTrials
    original = runner_class.train_streams
    calls = [0]

    def stopping(self, rng, M):
        calls[0] += 1
        if calls[0] == 6:
            raise _Stop
        return original(self, rng, M)
    monkeypatch.setattr(runner_class, "train_streams", stopping)
    with checkpointing(tmp_path / "job", every=0), pytest.raises(_Stop):
        gers2002.run_job(job)
    monkeypatch.setattr(runner_class, "train_streams", original)
    assert (tmp_path / "job" / "train-0.ckpt").exists()
    lines = []
    with checkpointing(tmp_path / "job", every=0):
        resumed = gers2002.run_job(job, progress=lines.append)
    assert lines[0].startswith("msd_F10_I0-1/" + arch + ": resumed from a checkpoint at ")
    strip = lambda r: {k: v for k, v in r.items() if k != "wall_time_s"}  # noqa: E731
    assert strip(resumed) == strip(expect)
