"""The experiment runner: jobs, seeds, parallel workers, records, summaries and verdicts."""

import json

import numpy as np
import pytest

from lstmlib.papers import hochreiter1997 as hs97
from lstmlib.papers.hochreiter1997 import Job, run_job
from lstmlib.papers.hochreiter1997 import chapter as report
from lstmlib.study.jobs import check_jobs, run_jobs
from lstmlib.study.results import _jsonable


@pytest.fixture(scope="module")
def tiny_jobs():
    jobs, protocols = hs97.jobs_for("tiny", architectures=["vanilla", "rnn"], budget=400)
    return jobs, protocols


def test_records_are_complete_json_and_independent_of_workers(tiny_jobs):
    jobs, _ = tiny_jobs
    serial = run_jobs(jobs, workers=1, progress=None)
    parallel = run_jobs(jobs, workers=2, progress=None)
    for a, b in zip(serial, parallel):
        a, b = dict(a), dict(b)
        a.pop("wall_time_s"), b.pop("wall_time_s")
        assert a == b  # same seed, same numbers, whatever the number of processes
    json.dumps(_jsonable(serial), allow_nan=False)
    for job, r in zip(jobs, serial):
        assert r["job"] == job.name and len(r["trials"]) == job.trials
        for t in r["trials"]:
            assert t["status"] in ("solved", "budget", "diverged", "flat")
            assert 0 <= t["test_wrong"] <= t["test_n"] == 2560
            assert 0 < t["sequences_seen"] <= job.budget
            assert t["curve"] and all(len(row) == 3 for row in t["curve"])
            assert t["curve"][-1][0] == t["sequences_seen"]


def test_seeds_differ_per_job_but_the_test_set_is_shared(tiny_jobs):
    jobs, _ = tiny_jobs
    a, b = jobs[0].seeds(), jobs[1].seeds()
    assert jobs[0].protocol is jobs[1].protocol and jobs[0].arch != jobs[1].arch
    assert a["init"] != b["init"] and a["train"] != b["train"] and a["test"] == b["test"]
    assert Job(jobs[0].protocol, "vanilla", 2, 10, seed=1).seeds() != Job(jobs[0].protocol, "vanilla", 2, 10).seeds()


def test_a_diverging_trial_is_reported_not_raised(tiny_jobs):
    _, protocols = tiny_jobs
    p = protocols["4_T20"].replace(lr=1e6)
    r = run_job(Job(p, "vanilla", 2, 400))
    assert {t["status"] for t in r["trials"]} == {"diverged"}
    s = report.summarise(r)
    assert s["diverged"] == 2 and s["solved"] == 0 and s["wrong_mean"] == 2560  # tested where it stands


def test_bad_jobs_are_refused_before_any_work(tiny_jobs):
    jobs, _ = tiny_jobs
    with pytest.raises(ValueError, match="unknown architecture"):
        check_jobs([Job(jobs[0].protocol, "lstm", 2, 10)])
    with pytest.raises(ValueError, match="trials"):
        check_jobs([Job(jobs[0].protocol, "vanilla", 0, 10)])
    with pytest.raises(ValueError, match="duplicate"):
        check_jobs([jobs[0], jobs[0]])
    with pytest.raises(ValueError, match="workers"):
        run_jobs(jobs, workers=0)


def _record(statuses, sequences, wrong):
    return {"job": "x/vanilla", "protocol": "x", "arch": "vanilla", "n_weights": 93, "budget": 1000,
            "trials": [{"trial": k, "status": st, "sequences": sq, "sequences_seen": sq or 1000, "st1_sequences": None,
                        "test_wrong": w, "test_n": 2560, "test_mean_abs_error": 0.01, "test_mse": 1e-4, "curve": []}
                       for k, (st, sq, w) in enumerate(zip(statuses, sequences, wrong))]}


@pytest.mark.parametrize("statuses,sequences,wrong,expected", [
    (["solved"] * 3, [100, 140, 180], [1, 2, 3], "reproduced"),   # mean 140 <= 2 x 100, wrong 2 <= 3
    (["solved"] * 3, [100, 240, 290], [0, 0, 0], "slower"),       # median 240 > 2 x 100
    (["solved"] * 3, [20, 30, 45], [0, 0, 0], "faster"),          # median 30 < 100 / 2
    (["solved"] * 3, [110, 150, 190], [0, 0, 0], "within 2×"),    # median within 2x, but 100 < our fastest
    (["solved"] * 3, [100, 100, 100], [5, 5, 5], "more test errors"),
    (["solved", "budget", "solved"], [100, None, 100], [0, 9, 0], "partly"),
    (["budget", "diverged"], [None, None], [900, 2560], "not reproduced"),
])
def test_verdicts(statuses, sequences, wrong, expected):
    s = report.summarise(_record(statuses, sequences, wrong))
    assert report.verdict(s, {"sequences": 100, "wrong": 1}, CONSTANT) == expected
    assert expected in report.VERDICTS
    assert report.verdict(s, {}, CONSTANT) == "no paper row"


#: A best-constant level for the hand-made records above (their trials' mean |error| is 0.01).
CONSTANT = {"constant": 0.5, "wrong": 1000, "n": 2560, "mean_abs_error": 0.2}


def test_a_run_no_better_than_a_constant_output_is_at_chance():
    s = report.summarise(_record(["budget", "budget", "budget"], [None] * 3, [1200, 1300, 900]))
    level = {**CONSTANT, "mean_abs_error": 0.01}  # our trials' |error| is no smaller than the constant's
    assert report.verdict(s, {"sequences": 100, "wrong": 1}, level) == "at chance"    # median 1200 wrong >= 1000
    assert report.verdict(s, {"sequences": 100, "wrong": 1}, {**level, "wrong": 1201}) == "not reproduced"
    assert report.verdict(s, {"sequences": 100, "wrong": 1}, {**level, "mean_abs_error": 0.02}) == "not reproduced"


def test_summary_numbers():
    s = report.summarise(_record(["solved", "solved", "budget"], [100, 300, None], [1, 3, 50]))
    assert (s["solved"], s["seq_mean"], s["seq_median"], s["seq_min"], s["seq_max"]) == (2, 200, 200, 100, 300)
    assert (s["wrong_mean_solved"], s["wrong_max_solved"], s["wrong_max"]) == (2, 3, 50)
    assert s["wrong_mean"] == pytest.approx(54 / 3)


def test_paper_wrong_from_a_fraction():
    assert report.paper_wrong({"fraction_wrong": 0.000195}) == pytest.approx(0.4992)
    assert report.paper_wrong({"wrong": 1}) == 1 and report.paper_wrong({}) is None


def test_recorded_weights_rebuild_the_trained_networks(tiny_jobs):
    from lstmlib.papers.hochreiter1997 import network_for, network_from_record
    from lstmlib.training import evaluate
    jobs, _ = tiny_jobs
    job = next(j for j in jobs if j.arch == "vanilla")
    r = run_job(job)
    net = network_for(job.protocol, "vanilla", job.trials, 0)
    for name in net.parameter_names():
        net[name] = np.stack([np.asarray(t["weights"][name]) for t in r["trials"]])
    ev = evaluate(net, job.protocol.task, n=job.n_test, seed=job.seeds()["test"])
    np.testing.assert_array_equal(ev["wrong"], [t["test_wrong"] for t in r["trials"]])
    np.testing.assert_allclose(ev["mean_abs_error"], [t["test_mean_abs_error"] for t in r["trials"]], rtol=1e-12)
    one = network_from_record(job.protocol, r, 1)
    assert one.trials == 1
    np.testing.assert_array_equal(one["cell.x"][0], net["cell.x"][1])
    with pytest.raises(ValueError, match="trial"):
        network_from_record(job.protocol, r, job.trials)


def test_only_the_plain_rnn_gets_a_flat_stop_of_a_fifth_of_its_budget():
    jobs, _ = hs97.jobs_for("default", rnn_flat_stop=True)
    patience = {j.name: j.flat_patience for j in jobs}
    assert patience["3a_T100_N3/rnn"] == 20_000 and patience["4_T100/rnn"] == 60_000
    assert all(v is None for k, v in patience.items() if not k.endswith("/rnn"))
    assert all(j.flat_patience is None for j in hs97.jobs_for("default")[0])  # off unless asked for
    assert hs97.flat_patience(1001) % 2 == 0 and hs97.flat_patience(3) == 2
    with pytest.raises(ValueError, match="rnn_flat_stop must be True or False"):
        hs97.jobs_for("tiny", rnn_flat_stop="yes")
    with pytest.raises(ValueError, match="flat_patience"):
        check_jobs([Job(jobs[0].protocol, "rnn", 2, 100, flat_patience=31)])


def test_a_flat_rnn_trial_is_stopped_tested_where_it_stands_and_reported_so(tiny_jobs):
    _, protocols = tiny_jobs
    r = run_job(Job(protocols["4_T20"], "rnn", 2, 4000, flat_patience=400))
    assert r["flat_patience"] == 400
    assert {t["status"] for t in r["trials"]} == {"flat"}
    assert all(400 <= t["sequences_seen"] < 4000 and t["curve"][-1][0] == t["sequences_seen"] for t in r["trials"])
    s = report.summarise(r)
    assert (s["flat"], s["solved"], s["flat_patience"]) == (2, 0, 400)
    assert s["flat_seen_max"] == max(t["sequences_seen"] for t in r["trials"])
    row = report.results_rows([s], {"4_T20": protocols["4_T20"]})[0]
    assert row["solved"] == "0/2 (2 stopped flat)"
    text = report.rnn_sentence([s])
    assert "2 trials stopped unsolved when their learning curve went flat" in text and "patience 400" in text
    assert report.end_text(s) == "where they stopped"


# ---------------------------------------------------------------- the chapter's extra jobs

def test_jobs_for_adds_the_ablation_then_the_weight_growth_runs():
    plain, protocols = hs97.jobs_for("tiny")
    jobs, same = hs97.jobs_for("tiny", output_ablation=True, lag_diagnostic=True)
    assert list(same) == list(protocols)  # the table's rows only
    assert [j.name for j in jobs] == [j.name for j in plain] + [
        "4_T20_logistic/vanilla", "4_T20/vanilla/weight_growth", "4_T40/vanilla/weight_growth"]
    check_jobs(jobs)  # names are unique: a weight-growth run sits beside the training job of its row
    with pytest.raises(ValueError, match="output_ablation must be True or False"):
        hs97.jobs_for("tiny", output_ablation="yes")
    with pytest.raises(ValueError, match="lag_diagnostic must be True or False"):
        hs97.jobs_for("tiny", lag_diagnostic=1)
    with pytest.raises(ValueError, match="lag_lengths"):  # checked even with the diagnostic off
        hs97.jobs_for("tiny", lag_lengths="10")


def test_output_ablation_jobs_give_the_adding_rows_a_logistic_output_unit():
    jobs, _ = hs97.jobs_for("tiny", forget_gate_bias=1.0)
    (ablation,) = hs97.output_ablation_jobs(jobs)
    main = next(j for j in jobs if j.name == "4_T20/vanilla")
    assert isinstance(ablation, Job) and ablation.name == "4_T20_logistic/vanilla"
    assert (ablation.trials, ablation.budget, ablation.seed) == (main.trials, main.budget, main.seed)
    p = ablation.protocol
    assert p.output == "logistic" and p.paper == {} and p.title == main.protocol.title + ", logistic output unit"
    assert p.replace(key=main.protocol.key, output="linear", paper={}, title=main.protocol.title) == \
        main.protocol.replace(paper={})  # nothing else changed, the forget-gate bias included
    assert hs97.output_ablation_jobs([j for j in jobs if j.arch != "vanilla"]) == []


def test_weight_growth_jobs_record_what_weight_growth_returns():
    jobs = hs97.weight_growth_jobs([20, 40, 20], 200, seed=3, trials=2)
    assert [j.name for j in jobs] == ["4_T20/vanilla/weight_growth", "4_T40/vanilla/weight_growth"]  # repeats dropped
    assert all(j.every == 100 and j.names == hs97.GROWTH_WEIGHTS for j in jobs)
    assert hs97.weight_growth_jobs([100], 40_000)[0].every == 1000 and \
        hs97.weight_growth_jobs([100], 40_000)[0].protocol is hs97.PROTOCOLS["4_T100"]
    records = run_jobs(jobs, workers=1, progress=None)
    for job, r in zip(jobs, records):
        direct = hs97.weight_growth(job.protocol, "vanilla", 2, 200, 100, list(hs97.GROWTH_WEIGHTS), seed=3)
        assert set(r["growth"]) == set(direct) == {"seen", "loss", *hs97.GROWTH_WEIGHTS}
        for name, value in direct.items():
            np.testing.assert_array_equal(r["growth"][name], value)  # bit for bit
        assert (r["job"], r["T"], r["budget"], r["every"]) == (job.name, job.protocol.task.T, 200, 100)
        assert [t["status"] for t in r["trials"]] == ["budget"] * 2 and r["trials"][0]["sequences_seen"] == 200
        assert r["seeds"] == Job(job.protocol, "vanilla", 2, 200, 3).seeds()


def test_bad_weight_growth_jobs_are_refused():
    (job,) = hs97.weight_growth_jobs([20], 200)
    for bad, message in ((dict(every=300), "every must be at most budget"), (dict(every=0), "every"),
                         (dict(names=()), "names"), (dict(arch="lstm"), "unknown architecture")):
        with pytest.raises(ValueError, match=message):
            check_jobs([hs97.WeightGrowthJob(**{**job.__dict__, **bad})])


def test_rescore_recomputes_a_results_files_verdicts_under_todays_rules():
    from lstmlib.papers.hochreiter1997.protocols import PROTOCOLS
    paper = PROTOCOLS["3a_T100_N3"].paper["sequences"]
    record = {**_record(["solved"] * 3, [paper // 5] * 3, [0, 0, 0]), "protocol": "3a_T100_N3",
              "job": "3a_T100_N3/vanilla"}
    title = PROTOCOLS["3a_T100_N3"].title
    doc = {"records": [record, {**record, "arch": "rnn"}], "summary": {"scorecard": [
        {"experiment": title, "model": "LSTM 1997", "verdict": "reproduced"},   # written under the old rule
        {"experiment": PROTOCOLS["4_T100"].title, "model": "LSTM 1997", "verdict": "not run"}]}}
    assert [r["verdict"] for r in report.rescore({**doc, "records": [record]})] == ["faster", "not run"]
    rows = report.rescore({**doc, "summary": {"scorecard": [{"experiment": title, "model": "LSTM 1997",
                                                             "verdict": "reproduced", "paper": "§5.3 (3a), old"}]}})
    assert rows[0]["paper"] == report.paper_text(PROTOCOLS["3a_T100_N3"])  # the paper's side as read today
    # a file written when only the 1997 LSTM had rows: the plain RNN's row is added, scaled by its parameters
    added = report.rescore({**doc, "parameters": {"scale": "paper", "experiments": "3a_T100_N3", "T": None}})
    assert [(r["model"], r["verdict"]) for r in added] == [("LSTM 1997", "faster"), ("plain RNN", "not in the paper"),
                                                          ("LSTM 1997", "not run")]
    assert added[1]["scale"] == "paper (custom): 3 trials" and added[1]["experiment"] == title
    assert added[1]["paper"] == "LSTM 1997: " + report.paper_text(PROTOCOLS["3a_T100_N3"])


def test_a_watched_job_stops_nothing_and_records_where_the_flat_rule_would_have(tiny_jobs):
    from dataclasses import replace
    jobs, protocols = tiny_jobs
    job = Job(protocols["4_T20"], "rnn", 2, 1600)
    plain, watched = run_job(job), run_job(replace(job, flat_watch=True))
    stopped = run_job(replace(job, flat_patience=hs97.flat_patience(1600)))
    for a, b, s in zip(plain["trials"], watched["trials"], stopped["trials"]):
        flat_at = b.pop("flat_at")
        assert a == b  # watching changes no number
        assert s["status"] == "flat" and s["sequences_seen"] == flat_at  # and says where the stopping job stopped
    with pytest.raises(ValueError, match="not both"):
        check_jobs([replace(job, flat_watch=True, flat_patience=100)])
    checks = hs97.flat_check_jobs("tiny")
    assert all(j.flat_watch and j.flat_patience is None for j in checks)
    assert [j.name for j in checks] == [j.name for j in hs97.jobs_for("tiny", output_ablation=True)[0]]


def test_the_flat_check_text_counts_what_the_check_found():
    def trial(status, sequences, flat_at, wrong=100):
        return {"status": status, "sequences": sequences, "flat_at": flat_at, "test_wrong": wrong}
    check = {"seed": 0, "provenance": {"commit": "abcdef1234567890", "date": "2026-12-02T17:00:00"}, "records": [
        {"arch": "rnn", "protocol": "4_T100", "trials": [trial("budget", None, 60_000, 1200),
                                                           trial("budget", None, 64_000, 1300)]},
        {"arch": "forget", "protocol": "4_T100", "trials": [trial("solved", 200_000, 60_000),
                                                              trial("solved", 50_000, 60_000),
                                                              trial("budget", None, None)]}]}
    text = report.flat_check_text(check, [{"arch": "rnn", "wrong_mean": 1240.0}], "the folder")
    assert "the plain RNN solved 0 of 2 trials, the rule would have stopped 2 of them (after 60,000–64,000" in text
    assert "got 1250 of 2560 wrong on average (this build, where they stopped: 1240)" in text
    assert "stopped 1 of their 2 trials that went on to solve, before they solved (4_T100 " in text
    assert "commit abcdef123456, 2026-12-02" in text
    assert "was not found in the folder" in report.flat_check_text(None, [], "the folder")


def _no_times(record):
    return {k: v for k, v in record.items() if k not in ("wall_time_s", "shards")}


@pytest.mark.parametrize("row", ["4_T100", "3a_T100_N3"])  # the recent-sequences rule, and random test sets
def test_a_job_split_into_shards_of_trials_merges_to_the_record_of_the_whole_job(row):
    p = hs97.with_T(hs97.PROTOCOLS[row], 20)
    whole = Job(p, "vanilla", 5, 4000 if row == "4_T100" else 6000, seed=2)
    (expect,) = run_jobs([whole], workers=1, progress=None)
    statuses = {t["status"] for t in expect["trials"]}
    assert len(statuses) > 1 or row == "4_T100", statuses  # 3a: trials solve at different points, or not
    for n in (2, 3, 5):
        shards = whole.split(n)
        assert [s.shard for s in shards][0][0] == 0 and sum(len(s.shard) for s in shards) == 5
        assert len({s.name for s in shards}) == n and all("[" in s.name for s in shards)
        records = run_jobs(shards[::-1], workers=1, progress=None)
        merged = Job.merge(records)
        assert merged["shards"] == [s.shard[0] for s in shards]
        assert json.dumps(_jsonable(_no_times(merged))) == json.dumps(_jsonable(_no_times(expect))), n
    # run_jobs does the same for every job that can be split
    (via_run_jobs,) = run_jobs([whole], workers=2, progress=None, shards=2)
    assert json.dumps(_jsonable(_no_times(via_run_jobs))) == json.dumps(_jsonable(_no_times(expect)))


def test_bad_shards_are_refused():
    p = hs97.with_T(hs97.PROTOCOLS["4_T100"], 20)
    for bad in ((), (2, 1), (0, 5), (0, 0), [0, 1], (True,)):
        with pytest.raises(ValueError, match="shard must be"):
            check_jobs([Job(p, "vanilla", 5, 100, shard=bad)])
    with pytest.raises(ValueError, match="a shard already"):
        Job(p, "vanilla", 5, 100, shard=(0, 1)).split(2)
    with pytest.raises(ValueError, match="shards"):
        run_jobs([Job(p, "vanilla", 5, 100)], shards=0)
    records = run_jobs(Job(p, "vanilla", 3, 100).split(3)[:2], workers=1, progress=None)
    with pytest.raises(ValueError, match="exactly once"):
        Job.merge(records)
