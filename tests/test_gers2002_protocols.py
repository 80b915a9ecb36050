"""Gers, Schraudolph & Schmidhuber 2002 timing protocols and their stream-by-stream runner."""

import numpy as np
import pytest

import lstmlib
from lstmlib.papers import gers2002 as gss02
from lstmlib.tasks import timing
from lstmlib.tasks.timing import MSD


def test_protocols_pin_the_secondary_sources_setup():
    P = gss02.PROTOCOLS
    for p in P.values():
        assert (p.lr, p.init_range, p.train_events, p.test_events) == (1e-5, 0.1, 100, 1000)
        assert (p.input_gate_bias, p.forget_gate_bias, p.output_gate_bias) == (0.0, -2.0, 2.0)
        assert p.paper["tag"] == "U"
    assert P["msd_F10_I0-1"].momentum == P["msd_F49_I0-1"].momentum == 0.9999
    assert P["nmsd_F10_I0-1"].momentum == 0.99 and not P["nmsd_F10_I0-1"].task.continual
    assert P["gts_F10"].momentum == 0.999 and P["pfg_cos_F10"].momentum == 0.99
    assert P["msd_F49_I0-1"].task.F == 49 and P["msd_F49_I0-1"].task.delays == (0, 1)


def test_networks_differ_only_in_their_gates():
    p = gss02.PROTOCOLS["gts_F10"]
    weights = {a: gss02.network_for(p, a, 1, 0).n_weights for a in gss02.TIMING_ARCHITECTURES}
    # the paper's 17 weights: cell input 3, three gates 3 each, 3 peepholes, output 2
    assert weights == {"rnn": 19, "vanilla": 11, "forget": 14, "peephole": 17, "nfg": 13}
    for a in ("vanilla", "forget", "peephole", "nfg"):
        net = gss02.network_for(p, a, 2, 0)
        spec = net.spec
        assert (spec.cell_input, spec.cell_output, spec.gate_recurrence) == ("identity", "identity", "none")
        assert net.layout.output_from == "cells" and net.output == "logistic"
        np.testing.assert_array_equal(net["input_gate.bias"], 0.0)
        np.testing.assert_array_equal(net["output_gate.bias"], 2.0)
        if spec.forget_gate:
            np.testing.assert_array_equal(net["forget_gate.bias"], -2.0)
    assert gss02.network_for(gss02.PROTOCOLS["pfg_cos_F10"], "peephole", 1, 0).output == "linear"
    assert gss02.network_for(p, "nfg", 1, 0).spec.peepholes and not gss02.network_for(p, "nfg", 1, 0).spec.forget_gate
    with pytest.raises(ValueError, match="unknown architecture"):
        gss02.network_for(p, "gru", 1, 0)


def _trivial(arch):
    """MSD with the single delay 0: every target is 0, so a net learns it by lowering its output bias."""
    p = gss02.PROTOCOLS["msd_F10_I0-1"].replace(key="msd_trivial", task=MSD(10, (0,)), lr=0.05, momentum=0.5,
                                                  train_events=5, test_events=50)
    return gss02.TimingJob(p, arch, 3, 300, seed=1)


@pytest.mark.parametrize("arch", ["peephole", "rnn"])
def test_a_trial_that_learns_is_tested_frozen_and_reported(arch):
    r = gss02.run_job(_trivial(arch))
    assert [t["status"] for t in r["trials"]] == ["solved"] * 3
    for t in r["trials"]:
        assert 1 <= t["streams"] == t["streams_seen"] < 300  # frozen once solved
        assert t["test_events"] == 50 and t["best_train_events"] == 5
    again = gss02.run_job(_trivial(arch))
    assert [t["weights"] for t in again["trials"]] == [t["weights"] for t in r["trials"]]  # same seed, same numbers


def test_records_rebuild_the_trained_networks():
    job = gss02.TimingJob(gss02.PROTOCOLS["pfg_cos_F10"], "peephole", 2, 30)
    r = gss02.run_job(job)
    s = job.protocol.task.stream(np.random.default_rng(0), 1, 3)
    for k in range(2):
        net = gss02.network_from_record(job.protocol, r, k)
        events, rmse, _ = gss02.test_events(net, job.protocol, s)
        assert r["trials"][k]["streams_seen"] == 30 and r["trials"][k]["status"] == "budget"
        assert np.isfinite(rmse[0])


def test_test_events_match_a_forward_pass_and_respect_resets():
    p = gss02.PROTOCOLS["nmsd_F10_I0-1"]
    net = gss02.network_for(p, "peephole", 3, 2)
    for k in range(3):  # make the outputs informative: some intervals right, some wrong
        net["output.cells"][k] = 3.0 * (k + 1)
    s = p.task.stream(np.random.default_rng(5), 3, 20)
    events, _, y = gss02.test_events(net, p, s)
    starts = np.flatnonzero(s.reset[0])
    for k in range(3):  # every interval separately, from a reset state
        x = s.x[k]
        bounds = list(np.flatnonzero(s.reset[k])) + [int(s.lengths[k])]
        out = np.concatenate([net.trial(k).forward(x[a:b][None])[0, 0] for a, b in zip(bounds[:-1], bounds[1:])])
        np.testing.assert_allclose(y[k, :len(out)], out, atol=1e-12)
    assert len(starts) == 20
    assert np.array_equal(events, s.correct_events(s.error(y)))


def test_jobs_for_validates_before_any_work():
    jobs, protocols = gss02.jobs_for("tiny")
    assert {j.arch for j in jobs} == set(gss02.TIMING_ARCHITECTURES) and len(protocols) == 3
    jobs, _ = gss02.jobs_for("default", "gts_F10,pfg_tri_F10", "peephole", trials=4, budget=100)
    assert [j.name for j in jobs] == ["gts_F10/peephole", "pfg_tri_F10/peephole"]
    assert all(j.trials == 4 and j.budget == 100 for j in jobs)
    for kwargs, message in [({"scale": "huge"}, "unknown scale"), ({"experiments": "msd"}, "unknown experiment"),
                            ({"architectures": "np"}, "unknown architecture"), ({"trials": 0}, "trials"),
                            ({"seed": 1.5}, "seed")]:
        with pytest.raises(ValueError, match=message):
            gss02.jobs_for(**kwargs)


@pytest.mark.parametrize("key", ["msd_F10_I0-1", "pfg_cos_F10"])
def test_batched_streams_train_exactly_as_one_stream_at_a_time(key):
    p = gss02.PROTOCOLS[key].replace(**{**gss02.RULES["fast"], "lr": 0.02}, train_events=6)
    K, M = 3, 40
    batched = gss02.protocols._OnlineTrials(gss02.network_for(p, "peephole", K, 3), p)
    assert batched.batched
    events, ran = batched.train_streams(np.random.default_rng(11), M)
    # the same streams, one call each (stream j of trial k is row j*K + k of one draw)
    s = p.task.stream(np.random.default_rng(11), K * M, p.train_events)
    net = gss02.network_for(p, "peephole", K, 3)
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
