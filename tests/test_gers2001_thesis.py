"""The aⁿbⁿcⁿ protocol of Pérez-Ortiz's 2002 thesis (ch. 7): topology, initialisation, coding, stopping rule,
generalisation interval, the published tables and the jobs."""

import dataclasses

import numpy as np
import pytest

from lstmlib.papers.gers2001 import thesis as th
from lstmlib.tasks.languages import generalisation_interval, training_set_accepted


def test_topology_is_the_thesis_net_and_the_84_weights_leave_out_the_6_peepholes():
    net = th.thesis_network("peephole", "anbncn", trials=3, seed=1)
    lay, spec = net.layout, net.spec
    assert (lay.n_blocks, lay.cells_per_block, lay.n_inputs, lay.n_outputs) == (2, 1, 4, 4)
    assert spec.forget_gate and spec.peepholes and spec.input_gate and spec.output_gate
    assert (spec.cell_input, spec.cell_output, net.output, net.loss) == ("identity", "identity", "logistic2", "mse")
    assert spec.gate_recurrence == "none" and lay.output_from == "cells+inputs" and spec.gradient == "truncated"
    masks = lay.masks()
    peep = int(masks["peephole"].sum())
    # (cells + inputs + bias) sources x (outputs + cells + 3 gates per block) targets = 7 x 12 (fn. 5: 72 + 12)
    assert net.n_weights - peep == th.THESIS_WEIGHT_COUNT == (2 + 4 + 1) * (4 + 2 + 3 * 2) and peep == 6
    assert int(masks["hidden"].sum()) == 8 * 7 and int(masks["output"].sum()) == 4 * 7


def test_initial_weights_gate_biases_and_uniform_range():
    net = th.thesis_network("peephole", "anbncn", trials=4, seed=2)
    np.testing.assert_array_equal(net["input_gate.bias"], -1.0)
    np.testing.assert_array_equal(net["forget_gate.bias"], 2.0)
    np.testing.assert_array_equal(net["output_gate.bias"], -2.0)
    gate_bias = {"input_gate.bias", "forget_gate.bias", "output_gate.bias"}
    rest = np.concatenate([np.ravel(v) for k, v in net.named_parameters().items() if k not in gate_bias])
    assert rest.size == 4 * (90 - 6) and np.abs(rest).max() <= 0.1 and rest.std() > 0.04  # U[-0.1, 0.1]
    one_less = th.thesis_network("vanilla", "anbncn", trials=1)
    assert not one_less.spec.forget_gate and not one_less.spec.peepholes and one_less.n_weights == 70
    assert th.thesis_network("forget", "anbncn").n_weights == 84
    rnn = th.thesis_network("rnn", "anbncn")
    assert rnn.spec.name == "rnn" and rnn.n_weights >= 90 and rnn.output == "logistic2"
    assert th.thesis_network("peephole", "anbn").layout.n_blocks == 1
    with pytest.raises(ValueError, match="architecture"):
        th.thesis_network("nig")


def test_every_setting_starts_from_the_same_nets():
    a = th.ThesisJob(th.ThesisProtocol(lr=1e-3), "peephole", 10, 1000)
    b = th.ThesisJob(th.ThesisProtocol(lr=1e-5, momentum=0.99, train_range=(20, 21)), "peephole", 10, 1000)
    c = th.ThesisJob(th.ThesisProtocol(method="dekf", delta=1.0), "peephole", 10, 1000)
    assert a.seeds() == b.seeds() == c.seeds()
    assert a.seeds() != th.ThesisJob(th.ThesisProtocol(), "forget", 10, 1000).seeds()
    assert len({a.protocol.key, b.protocol.key, c.protocol.key}) == 3


def test_published_tables_as_transcribed():
    """Spot checks against primary-sources-2.md §1.2 (Cuadros 7.4-7.7, verbatim)."""
    assert th.GD_TABLES[(1, 10)][(1e-3, 0.0)] == (68, 100) and th.GD_TABLES[(1, 10)][(1e-4, 0.99)] == (20, 90)
    assert th.GD_TABLES[(1, 10)][(1e-7, 0.99)] == (3036, 100) and th.GD_TABLES[(20, 21)][(1e-4, 0.0)] == (7450, 30)
    assert th.GD_GENERALISATION == {(1, 10): ((1, 28), (1, 52)), (20, 21): ((17, 23), (10, 27))}
    assert th.DEKF_TABLES[(1, 10)][10.0] == (2, 100, (1, 434), (1, 2743))
    assert th.DEKF_TABLES[(20, 21)][1e-3] == (None, 0, None, None)
    assert all(len(t) == 14 for t in th.GD_TABLES.values()) and all(len(t) == 7 for t in th.DEKF_TABLES.values())
    p = th.ThesisProtocol(lr=1e-3).paper()
    assert p["sequences"] == 68_000 and p["learned_pct"] == 100 and p["tag"] == "P"
    assert th.ThesisProtocol(language="anbn").paper() is None
    assert th.format_interval((1, 10001)) == "[1, 10,000⁺]" and th.format_interval((1, 500), n_max=500) == "[1, 500⁺]"


@pytest.mark.parametrize("kw,match", [(dict(language="abc"), "language"), (dict(train_range=(1, 12)), "train_range"),
                                      (dict(method="adam"), "method"), (dict(lr=0), "lr"),
                                      (dict(momentum=0.9), "momentum"), (dict(delta=-1.0), "delta"),
                                      (dict(n_max=5), "n_max"), (dict(check_every=0), "check_every")])
def test_bad_settings_are_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        th.ThesisProtocol(**kw)


class ScriptedNet:
    """A stand-in network that accepts exactly the strings whose count is in ``good`` (per trial): its outputs
    are the targets scaled by ±0.5, so rejected strings have every output on the wrong side."""

    def __init__(self, language, good):
        self.language, self.good, self.trials = language, [set(g) for g in good], len(good)

    def subset(self, idx):
        return ScriptedNet(self.language, [self.good[i] for i in idx])

    def forward(self, x, lengths):
        x, target, lengths = np.asarray(x), None, np.asarray(lengths)
        counts = (lengths - 1) // len(self.language.letters)
        _, target, _ = self.language.encode(counts)
        sign = np.array([[1.0 if n in g else -1.0 for n in counts] for g in self.good])
        return 0.5 * target[None] * sign[:, :, None, None]


def test_generalisation_interval_walks_both_ways_from_the_training_range():
    lang = th.THESIS_LANGUAGES["anbncn"]
    good = [set(range(17, 24)), set(range(1, 60)) - {30}, set(range(21, 40)), set(range(5, 22))]
    iv = generalisation_interval(ScriptedNet(lang, good), lang, (20, 21), n_max=50)
    np.testing.assert_array_equal(iv["lo"], [17, 1, -1, 5])
    np.testing.assert_array_equal(iv["hi"], [23, 29, -1, 21])
    np.testing.assert_array_equal(iv["learned"], [True, True, False, True])
    iv = generalisation_interval(ScriptedNet(lang, [set(range(1, 80))]), lang, (1, 10), n_max=50)
    assert (iv["lo"][0], iv["hi"][0]) == (1, 50)
    with pytest.raises(ValueError, match="n_max"):
        generalisation_interval(ScriptedNet(lang, good), lang, (20, 21), n_max=20)


def test_training_set_rule_freezes_and_tests_the_whole_training_range():
    lang = th.THESIS_LANGUAGES["anbncn"]
    rule = th.TrainingSetRule(ScriptedNet(lang, [set(range(1, 11)), set(range(1, 10))]), lang, (1, 10))
    np.testing.assert_array_equal(rule(np.zeros((2, 1000)), np.zeros((2, 1000))), [999, -1])
    with pytest.raises(ValueError, match="watches"):
        rule(np.zeros((3, 10)), np.zeros((3, 10)))


def test_interval_stats():
    s = th.interval_stats([(1, 20), None, (1, 40), (2, 30)])
    assert s == {"mean": (1, 30), "best": (1, 40), "n": 3}
    assert th.interval_stats([None])["best"] is None


def test_a_gradient_descent_job_learns_stops_and_is_reproducible():
    job = th.ThesisJob(th.ThesisProtocol(lr=1e-2, n_max=60), "peephole", 3, 8000)
    rec = job.run()
    again = job.run()
    assert [t["weights"] for t in rec["trials"]] == [t["weights"] for t in again["trials"]]
    net = th.thesis_network("peephole", "anbncn", 3)
    for k, t in enumerate(rec["trials"]):
        for name, value in t["weights"].items():
            net[name][k] = np.asarray(value)
        if t["status"] == "solved":  # stopped at a check, where the frozen net accepted the training set
            assert t["sequences"] % 1000 == 0 and t["sequences_seen"] == t["sequences"]
            assert t["interval"][0] == 1 and t["interval"][1] >= 10
    accepted = training_set_accepted(net, job.protocol.lang, (1, 10))
    np.testing.assert_array_equal(accepted, [t["status"] == "solved" for t in rec["trials"]])
    row = th.summarise(rec)
    assert row["trials"] == 3 and row["learned"] == sum(accepted)


# --- the chapter's part: scales, rows, verdicts ------------------------------------------------------------------
from lstmlib.papers.gers2001 import chapter as lang_chapter  # noqa: E402
from lstmlib.papers.gers2001 import thesis_chapter as tc  # noqa: E402


def fake_record(arch="peephole", learned=(True,) * 10, sequences=20_000, interval=(1, 30), **setting):
    p = th.ThesisProtocol(**setting)
    trials = [{"trial": k, "status": "solved" if ok else "budget", "sequences": sequences if ok else None,
               "sequences_seen": sequences, "interval": list(interval) if ok else None, "curve": [], "weights": {}}
              for k, ok in enumerate(learned)]
    return {"job": f"{p.key}/{arch}", "protocol": p.key, "arch": arch, "setting": dataclasses.asdict(p),
            "trials": trials, "n_weights": 90, "budget": 200_000, "n_max": p.n_max, "seeds": {}, "wall_time_s": 1.0}


def test_scales_run_the_stated_settings(monkeypatch):
    monkeypatch.setattr(tc, "dekf_available", lambda: True)
    default = tc.thesis_jobs("default")
    abc = [j for j in default if j.protocol.language == "anbncn"]
    cells = {(j.protocol.lr, j.protocol.momentum) for j in abc if j.protocol.method == "gd"
             and j.protocol.train_range == (1, 10)}
    assert cells == set(tc.THESIS_SCALES["default"]["gd"][(1, 10)]) and all(j.trials == 10 for j in default)
    assert all(j.budget == 200_000 for j in abc if j.protocol.method == "gd" and j.protocol.train_range == (1, 10))
    long = [j for j in abc if j.protocol.train_range == (20, 21)]
    assert {(j.protocol.method, j.protocol.lr, j.protocol.momentum, j.arch) for j in long} == {
        ("gd", 1e-5, 0.99, "peephole"), ("dekf", 1e-3, 0.0, "peephole")}
    assert [j.budget for j in long if j.protocol.method == "gd"] == [100_000]
    assert sorted((j.protocol.delta, j.protocol.train_range, j.budget) for j in abc if j.protocol.method == "dekf") \
        == [(10.0, (1, 10), 6000), (10.0, (20, 21), 6000)]
    assert {j.arch for j in abc} == {"peephole", "forget", "vanilla", "rnn"}
    assert {j.arch for j in abc if (j.protocol.lr, j.protocol.momentum) != (1e-4, 0.99)} == {"peephole"}
    ab = [j for j in default if j.protocol.language == "anbn"]  # the same cells on [1, 10], the thesis' net only
    assert {(j.protocol.method, j.protocol.lr, j.protocol.momentum) for j in ab} == {
        ("gd", lr, m) for lr, m in tc.THESIS_SCALES["default"]["gd"][(1, 10)]} | {("dekf", 1e-3, 0.0)}
    assert {j.arch for j in ab} == {"peephole"} and {j.protocol.train_range for j in ab} == {(1, 10)}
    paper = tc.thesis_jobs("paper", languages="anbncn")
    gd = [j for j in paper if j.protocol.method == "gd" and j.arch == "peephole"]
    assert len(gd) == 2 * 14 and {j.protocol.train_range for j in gd} == {(1, 10), (20, 21)}
    assert all(j.budget == 10_000_000 and j.protocol.n_max == 500 for j in gd)
    dekf = [j for j in paper if j.protocol.method == "dekf"]
    assert len(dekf) == 14 and all(j.budget == 100_000 and j.protocol.n_max == 10_000 for j in dekf)
    assert len(tc.thesis_jobs("paper", languages="anbn")) == 2 * 14 + 14  # aⁿbⁿ: both ranges at paper scale
    assert not [j for j in tc.thesis_jobs("default", methods="gd") if j.protocol.method == "dekf"]
    assert {j.protocol.method for j in tc.thesis_jobs("default", methods="dekf")} == {"dekf"}
    for bad, match in [(dict(scale="huge"), "scale"), (dict(architectures="lstm"), "architecture"),
                       (dict(trials=0), "trials"), (dict(methods="kalman"), "unknown method"),
                       (dict(languages="anbncndn"), "unknown language")]:
        with pytest.raises(ValueError, match=match):
            tc.thesis_jobs(**bad)
    monkeypatch.setattr(tc, "dekf_available", lambda: False)
    with pytest.raises(ValueError, match="not built yet"):
        tc.thesis_jobs("default")
    assert {j.arch for j in tc.thesis_jobs("tiny", architectures="rnn", methods="gd")} == {"peephole", "rnn"}


def test_verdicts_learns_or_not_and_generalisation():
    learns = fake_record(lr=1e-3)  # the thesis: 100 % learned
    none = fake_record(lr=1e-1, learned=(False,) * 10)  # the thesis: 0 %
    some = fake_record(lr=1e-2, learned=(True,) + (False,) * 9)  # the thesis: 0 %; one of ours learns
    few = fake_record(lr=1e-4, learned=(True,) * 4 + (False,) * 6)  # the thesis: 100 %; 4/10 of ours
    rows = {r["experiment"]: r["verdict"] for r in tc.scorecard_rows([learns, none, some, few], "default")}
    name = "aⁿbⁿcⁿ, thesis protocol, n ∈ [1, 10], gradient descent α = {}, no momentum"
    assert rows[name.format("1e-03")] == "reproduced (learns)"
    assert rows[name.format("1e-01")] == "reproduced (fails)"
    assert rows[name.format("1e-02")] == "not reproduced (learns)"
    assert rows[name.format("1e-04")] == "not reproduced (fails)"
    gen = "aⁿbⁿcⁿ, thesis protocol, n ∈ [1, 10], gradient descent: generalisation"
    # mean [1, 30] reaches 20 beyond n = 10 (the thesis' [1, 28]: 18), but the best [1, 30] not 42 / 2 ([1, 52])
    assert rows[gen] == "not reproduced (generalisation)"
    wide = fake_record(lr=1e-4, momentum=0.99, interval=(1, 50))  # pooled: mean [1, 40] (30), best [1, 50] (40)
    assert {r["experiment"]: r["verdict"] for r in tc.scorecard_rows([learns, wide], "")}[gen] == \
        "reproduced (generalisation)"
    far = fake_record(lr=1e-3, interval=(1, 200))
    assert {r["experiment"]: r["verdict"] for r in tc.scorecard_rows([far], "")}[gen] == \
        "not reproduced (generalisation)"
    for verdict in set(rows.values()):
        assert verdict in lang_chapter.VERDICTS


def test_peephole_claim_and_dekf_rows():
    without = fake_record("forget", lr=1e-4, momentum=0.99, learned=(False,) * 10)
    rows = tc.scorecard_rows([fake_record(lr=1e-4, momentum=0.99), without], "")
    claim = [r for r in rows if r["model"] == "LSTM without peepholes"]
    assert len(claim) == 1 and claim[0]["verdict"] == "reproduced (no peepholes fail)"
    learns = fake_record("vanilla", lr=1e-4, momentum=0.99, learned=(True,) + (False,) * 9)
    rows = tc.scorecard_rows([without, learns], "")
    assert rows[-1]["verdict"] == "not reproduced (no peepholes learn)" and "1/20" in rows[-1]["ours"]
    dekf = fake_record(method="dekf", delta=10.0, sequences=2000, interval=(1, 500), n_max=2000)
    rows = {r["experiment"]: r for r in tc.scorecard_rows([dekf], "")}
    g = rows["aⁿbⁿcⁿ, thesis protocol, n ∈ [1, 10], DEKF, P[0] = 10·I: generalisation"]
    # the mean [1, 500] is within a factor 2 of [1, 434], the best [1, 500] is not within one of [1, 2743]
    assert g["verdict"] == "not reproduced (generalisation)"
    dekf["trials"][0]["interval"] = [1, 2000]
    rows = {r["experiment"]: r for r in tc.scorecard_rows([dekf], "")}
    assert rows["aⁿbⁿcⁿ, thesis protocol, n ∈ [1, 10], DEKF, P[0] = 10·I: generalisation"]["verdict"] == \
        "reproduced (generalisation)"  # mean [1, 650], best [1, 2000]
    assert rows["aⁿbⁿcⁿ, thesis protocol, n ∈ [1, 10], DEKF, P[0] = 10·I"]["verdict"] == "reproduced (learns)"


def test_the_text_says_what_ran():
    text = tc.thesis_text([fake_record(lr=1e-3, sequences=17_000), fake_record(lr=1e-1, learned=(False,) * 10)])
    assert "In 2 of the 2 settings run" in text and "0.25×" in text and "[1, 30]" in text
    assert "not run" in tc.thesis_text([])


def test_best_nets_trace_and_counting_text():
    from lstmlib.papers.gers2001 import figures
    rec = th.ThesisJob(th.ThesisProtocol(lr=1e-2, n_max=60), "peephole", 2, 6000).run()
    best = tc.best_nets([rec])
    assert set(best) == {"gd"} and best["gd"]["net"].trials == 1
    widest = max((t for t in rec["trials"] if t["status"] == "solved"),
                 key=lambda t: (t["interval"][1] - t["interval"][0], t["interval"][1]), default=rec["trials"][0])
    assert best["gd"]["trial"] is widest
    text = tc.counting_text("gd", best["gd"])
    assert text.startswith("The best gradient-descent net ") and "cell 1 changes by" in text and "per c" in text
    fig, data = figures.plot_thesis_trace(best["gd"]["net"], th.THESIS_LANGUAGES["anbncn"], 50, "t")
    assert len(data["t"]) == 151 and set(np.unique(data["target_$"])) == {-1.0, 1.0}
    assert "trial" in tc.trace_caption("gd", best["gd"])


def test_thesis_jobs_run_through_run_jobs_and_report_their_solved_trials():
    from lstmlib.study.jobs import run_jobs
    lines = []
    job = th.ThesisJob(th.ThesisProtocol(lr=1e-2, n_max=40), "peephole", 2, 5000)
    (rec,) = run_jobs([job], workers=1, progress=lines.append)
    solved = sum(t["status"] == "solved" for t in rec["trials"])
    assert solved >= 1 and any(f"{solved}/2 solved" in line for line in lines)


def test_a_kalman_filter_job_learns_like_the_thesis_and_its_records_are_whole():
    """δ = 10 on n ∈ [1, 10] (Cuadro 7.6: 100 % learned after ~2,000 strings): 4 nets, at most 3,000 strings,
    checked every 1,000; the job's record has the same form as gradient descent's."""
    from lstmlib.papers.gers2001.dekf_jobs import thesis_filter
    assert th.dekf_available()
    assert thesis_filter(th.ThesisProtocol(method="dekf", delta=0.1)).q_min == 5e-3
    long = thesis_filter(th.ThesisProtocol(method="dekf", train_range=(20, 21), delta=0.1))
    assert (long.q_max, long.q_min, long.delta) == (5e-3, 1e-6, 0.1)
    lines = []
    job = th.ThesisJob(th.ThesisProtocol(method="dekf", delta=10.0, n_max=60), "peephole", 4, 3000)
    rec = job.run(lines.append)
    summary = th.summarise(rec)
    assert summary["learned"] >= 3 and summary["diverged"] == 0, summary
    for t in rec["trials"]:
        if t["status"] == "solved":
            assert t["sequences"] % 1000 == 0 and t["sequences"] == t["sequences_seen"] <= 3000
            assert t["interval"][0] == 1 and 10 <= t["interval"][1] <= 60 and t["curve"]
    assert any("learned" in line for line in lines)
    with pytest.raises(ValueError, match="LSTMs only"):
        th.ThesisJob(th.ThesisProtocol(method="dekf"), "rnn", 2, 100).check()


def test_generalisation_is_judged_by_the_reach_beyond_the_training_range():
    assert tc.beyond((1, 28), (1, 10)) == 18 and tc.beyond((17, 23), (20, 21)) == 5
    name = "aⁿbⁿcⁿ, thesis protocol, n ∈ [20, 21], DEKF, P[0] = 10·I: generalisation"
    # Cuadro 7.7, δ = 10: mean [12, 29] (reach 16), best [8, 34] (reach 25)
    only_train = fake_record(method="dekf", delta=10.0, train_range=(20, 21), interval=(20, 21), n_max=2000)
    rows = {r["experiment"]: r["verdict"] for r in tc.scorecard_rows([only_train], "")}
    assert rows[name] == "not reproduced (generalisation)"  # its upper end 21 is within 2× of 29: reach 0 is not
    near = fake_record(method="dekf", delta=10.0, train_range=(20, 21), interval=(13, 28), n_max=2000)  # reach 14
    assert {r["experiment"]: r["verdict"] for r in tc.scorecard_rows([near], "")}[name] == "reproduced (generalisation)"
    gd = fake_record(lr=1e-5, momentum=0.99, train_range=(20, 21), interval=(10, 27))
    rows = {r["experiment"]: r for r in tc.scorecard_rows([gd], "")}
    g = rows["aⁿbⁿcⁿ, thesis protocol, n ∈ [20, 21], gradient descent: generalisation"]
    assert g["verdict"] == "not reproduced (generalisation)"  # mean [10, 27] reaches 16, [17, 23] only 5
    cell = "aⁿbⁿcⁿ, thesis protocol, n ∈ [20, 21], gradient descent α = 1e-05, momentum 0.99"
    assert "Cuadro 7.5" in rows[cell]["paper"]
    # the thesis: 20 % learned; one of our 10 nets is half as often, none is not
    one = fake_record(lr=1e-5, momentum=0.99, train_range=(20, 21), learned=(True,) + (False,) * 9)
    assert {r["experiment"]: r["verdict"] for r in tc.scorecard_rows([one], "")}[cell] == "reproduced (learns)"
    zero = fake_record(lr=1e-5, momentum=0.99, train_range=(20, 21), learned=(False,) * 10)
    assert {r["experiment"]: r["verdict"] for r in tc.scorecard_rows([zero], "")}[cell] == "not reproduced (fails)"


def test_anbn_runs_on_the_thesis_conventions_with_one_block_and_is_judged_against_the_claim():
    net = th.thesis_network("peephole", "anbn")
    # 1 block × 1 cell, 3 symbols ($ a b): (1 cell + 3 inputs + 1 bias) × (3 outputs + 1 cell + 3 gates) + 3 peepholes
    assert net.n_weights == 38 and net.layout.n_blocks == 1
    far = fake_record(language="anbn", interval=(1, 150), n_max=500)  # 10/10 learn, median 150 >= 10 × 10
    near = fake_record(language="anbn", lr=1e-2, learned=(True,) * 4 + (False,) * 6, interval=(1, 120))
    rows = [r for r in tc.scorecard_rows([far], "") if r["experiment"].startswith("aⁿbⁿ,")]
    assert len(rows) == 1 and rows[0]["verdict"] == "reproduced" and "[P-abs]" in rows[0]["paper"]
    assert rows[0]["experiment"] == "aⁿbⁿ, thesis conventions (one block), n ∈ [1, 10], gradient descent"
    pooled = [r for r in tc.scorecard_rows([far, near], "") if r["experiment"].startswith("aⁿbⁿ,")]
    assert pooled[0]["verdict"] == "reproduced" and "14/20 nets learn" in pooled[0]["ours"]  # median 135
    few = fake_record(language="anbn", learned=(True,) * 4 + (False,) * 6, interval=(1, 150))
    assert [r for r in tc.scorecard_rows([few], "") if r["experiment"].startswith("aⁿbⁿ,")][0]["verdict"] == "partly"
    short = fake_record(language="anbn", method="dekf", delta=10.0, interval=(1, 40), n_max=2000)
    row = [r for r in tc.scorecard_rows([short], "") if r["experiment"].startswith("aⁿbⁿ,")][0]
    assert row["verdict"] == "not reproduced" and row["experiment"].endswith("the Kalman filter")
    assert not [r for r in tc.scorecard_rows([far], "") if r["experiment"].startswith("aⁿbⁿcⁿ")]  # no thesis numbers
    text = tc.thesis_text([far, short])
    assert "on aⁿbⁿ" in text.lower() and "[1, 150]" in text and "no primary numbers" in text
    assert tc.results_rows([far])[0]["setting"].startswith("aⁿbⁿ, n ∈ [1, 10], gradient descent")
