"""The vanishing-gradient chapter's library (lstmlib.papers.graves2012.vanishing): the networks pinned to
H&S 1997 Exp. 2c, the jobs at the tiny scale, summaries, verdicts, sentences, figures and scorecard rows."""

import numpy as np
import pytest

from lstmlib.papers.graves2012 import vanishing as V
from lstmlib.papers.graves2012.vanishing import jobs as J
from lstmlib.study.jobs import run_jobs

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny():
    jobs, protocols = V.jobs_for("tiny")
    records = run_jobs(jobs, workers=1, progress=None)
    return jobs, protocols, records, V.summarise(records)


def test_bad_parameters_fail_before_any_work():
    with pytest.raises(ValueError, match="unknown scale"):
        V.jobs_for("huge")
    with pytest.raises(ValueError, match="trials must be"):
        V.jobs_for("tiny", trials=0)
    with pytest.raises(ValueError, match="seed must"):
        V.jobs_for("tiny", seed=1.5)


@pytest.mark.parametrize("scale", list(V.SCALES))
def test_every_scale_runs_each_lag_for_the_rnn_the_lstm_and_guessing(scale):
    s = V.SCALES[scale]
    jobs, protocols = V.jobs_for(scale)
    names = [j.name for j in jobs]
    assert len(set(names)) == len(names) and s["sens_lag"] in s["lags"]
    assert [p.lag for p in protocols.values()] == list(s["lags"])
    for lag in s["lags"]:
        for suffix in ("rnn", "vanilla", "guessing/rnn", "guessing/vanilla"):
            assert f"lag{lag}/{suffix}" in names
    assert {f"lag{s['sens_lag']}/forget", f"lag{s['sens_lag']}/peephole"} <= set(names)
    trained = [j for j in jobs if isinstance(j, J.LearningJob) and j.sens_T]
    assert {j.arch for j in trained} == {"rnn", "vanilla", "forget", "peephole"}
    assert all(j.gradient == ("exact" if j.arch == "rnn" else "truncated") for j in jobs
               if isinstance(j, J.LearningJob))


def test_the_lag_protocol_is_exp_2c_with_p_equal_to_the_minimal_lag():
    p = V.protocols.LagProtocol(50)
    assert (p.task.q, p.task.p, p.task.min_lag, p.key) == (49, 50, 50, "lag50")


@pytest.mark.parametrize("p, weights", [(50, 364), (100, 664), (200, 1264), (500, 3064), (1000, 6064)])
def test_the_lstm_has_the_weight_count_of_table_3(p, weights):
    net = J.lstm_net("vanilla", p + 4, 1, 0)
    assert net.n_weights == weights  # 2 blocks of 1 cell, no biases, output from the cells only
    assert net.layout.n_blocks == 2 and net.layout.cells_per_block == 1
    assert all(np.abs(net.params[k]).max() <= 0.2 for k in net.params)


def test_the_rnn_is_rescaled_to_the_spectral_radius():
    net = J.rnn_net(14, 3, 0, radius=1.1)
    rho = np.abs(np.linalg.eigvals(net["cell.cells"])).max(-1)
    assert np.allclose(rho, 1.1) and net.layout.n_cells == 6


def test_the_probe_is_b_v_distractors_then_the_trigger():
    x = J.probe(5, 12, 2, 0)
    task = V.protocols.LagProtocol(5).task
    sym = x.argmax(-1)
    assert x.shape == (2, 1, 13, 9) and np.all(x.sum(-1) == 1)
    assert np.all(sym[..., 0] == task.start) and np.all(np.isin(sym[..., 1], task.informative))
    assert np.all(sym[..., 2:-1] < 5) and np.all(sym[..., -1] == task.trigger)


def test_settings_measured_together_equal_separate_runs():
    job = J.SensitivityJob(J._Named("sensitivity"), "forget", 2, 30, 0, settings=(0.0, 5.0))
    together = job.run()["settings"]
    for row, v in zip(together, (0.0, 5.0)):
        alone = J.SensitivityJob(J._Named("sensitivity"), "forget", 2, 30, 0, settings=(v,)).run()["settings"][0]
        assert np.allclose(row["curve"]["q50"], alone["curve"]["q50"], rtol=1e-12, atol=0)
        assert row["final_abs_state"] == pytest.approx(alone["final_abs_state"], rel=1e-12)


def test_lag_grid_and_stored_lags():
    assert J.lag_grid(1000)[:11].tolist() == list(range(11)) and J.lag_grid(1000)[-1] == 1000
    lags = J.stored_lags(1000, 30)
    assert lags[:30].tolist() == list(range(1, 31)) and lags[-1] == 1000


def test_stored_sensitivity_measures_the_input_of_step_1_at_the_trigger():
    from lstmlib.engines.sensitivity import memory_sensitivity
    from lstmlib.tasks.lags import LongLag
    net = J.lstm_net("vanilla", 7, 2, 0)
    out, mem = J.stored_sensitivity(net, 3, [1, 4], seed=5, batch=2)
    assert out.shape == mem.shape == (2, 2, 2)
    x, *_ = LongLag(q=3, p=3, max_extra=0).sample(np.random.default_rng(J.derive_seed(5, 4)), 2, 2)
    o, m = memory_sensitivity(net, x[:, :, :6], source=1)
    assert np.allclose(out[:, :, 1], o) and np.allclose(mem[:, :, 1], m)
    with pytest.raises(ValueError, match="lags must be >= 1"):
        J.stored_sensitivity(net, 3, [0], seed=0)


def test_the_test_set_uses_the_papers_criterion_through_evaluate():
    from lstmlib.model.batch import outputs_at_end
    from lstmlib.training import evaluate
    net = J.lstm_net("vanilla", 7, 2, 0)
    task = V.protocols.LagProtocol(3).task
    batch = task.draw(np.random.default_rng(1), 2, 30)
    assert np.array_equal(batch.clean_target, batch.target)
    x, target, lengths, _ = task.sample(np.random.default_rng(1), 2, 30)
    assert np.array_equal(batch.x, x) and np.array_equal(batch.lengths, lengths)
    wrong = evaluate(net, task, n=30, seed=1)["wrong"]
    expect = (~task.correct(outputs_at_end(net.forward(x, lengths), lengths), target, 0.2)).sum(1)
    assert np.array_equal(wrong, expect)


def test_guessing_solves_the_one_symbol_task_and_is_deterministic():
    job = J.GuessJob(V.protocols.LagProtocol(1), "vanilla", 1, 2000, 0)
    a, b = job.run(), job.run()
    assert a["trials"] == b["trials"] and a["trials"][0]["status"] == "solved"


def test_tiny_run_records_summary_and_determinism(tiny):
    jobs, _, records, summary = tiny
    assert len(summary["sensitivity"]) == sum(map(len, J.sensitivity_settings().values()))
    assert len(summary["bound"]) == 3
    assert {r["arch"] for r in summary["trained"]} == {"rnn", "vanilla", "forget", "peephole"}
    assert len(summary["learning"]) == 2 * 2 + 2 and len(summary["guessing"]) == 4
    job = next(j for j in jobs if j.name == "lag3/vanilla")
    again = job.run()
    first = next(r for r in records if r["job"] == "lag3/vanilla")
    assert again["trials"] == first["trials"] and again["curve"] == first["curve"]  # same seed, same numbers


def test_sentences_scorecard_and_rescore(tiny):
    _, protocols, _, summary = tiny
    text = V.sentences(summary, 1.0)
    assert set(text) == {f"vanishing_{k}" for k in ("sensitivity", "trained", "map", "bound", "learning", "wall")}
    rows = V.scorecard_rows(summary, protocols, "tiny")
    assert len(rows) == 3 and all(r["verdict"] in V.VERDICTS or r["verdict"] == "not run" for r in rows)
    assert rows[0]["verdict"] == "reproduced"  # the bound holds and vanishes below 4/n at every scale
    assert V.chapter.rescore({"summary": {**summary, "scorecard": rows}}) == rows
    assert [r["row"] for r in V.published_rows()] == list(V.PROTOCOLS)


def _learning(rnn, lstm):
    return ([{"arch": "rnn", "lag": lag, "solved": s, "trials": 8} for lag, s in rnn]
            + [{"arch": "vanilla", "lag": lag, "solved": s, "trials": 8} for lag, s in lstm])


def test_verdicts_follow_their_definitions():
    lv = V.chapter.learning_verdict
    assert lv(_learning([(1, 8), (10, 0), (50, 0)], [(1, 8), (10, 8), (50, 4)])) == "reproduced"
    assert lv(_learning([(10, 0), (50, 0)], [(10, 8), (50, 3)])) == "partly reproduced"
    assert lv(_learning([(10, 1), (50, 0)], [(10, 8), (50, 8)])) == "not reproduced"
    assert lv(_learning([(10, 0)], [(10, 3)])) == "not reproduced"
    assert lv(_learning([(1, 8)], [(1, 8)])) == "not run"
    gv = V.chapter.guessing_verdict
    assert gv([{"lag": 1, "solved": 3}, {"lag": 5, "solved": 0}]) == "reproduced"
    assert gv([{"lag": 5, "solved": 1}]) == "not reproduced" and gv([{"lag": 1, "solved": 1}]) == "not run"
    q = list(range(5))
    below = {"n": 4, "w_max": 0.5, "q": q, "bound": [4 * 0.5 ** k for k in q], "max": [1, 0.1, 1e-2, 1e-3, 1e-5],
             "median": [1, 0.1, 1e-2, 1e-3, 1e-5]}
    bv = V.chapter.bound_verdict
    assert bv([below]) == "reproduced"
    assert bv([{**below, "max": [5, 0, 0, 0, 0]}]) == "not reproduced"  # above the bound
    assert bv([{**below, "median": [1, 1, 1, 1, 0.1]}]) == "not reproduced"  # does not vanish
    assert bv([{**below, "w_max": 2.0, "bound": [4 * 2.0 ** k for k in q]}]) == "not reproduced"  # no w_max < 4/n


def test_decay_per_step_and_the_number_format():
    curve = {"lags": list(range(0, 31)), "q50": [0.5 ** k for k in range(31)]}
    assert V.chapter.decay_per_step(curve) == pytest.approx(0.5)
    curve["q50"][-5:] = [0.0] * 5  # underflowed: the last positive value is used
    assert V.chapter.decay_per_step(curve) == pytest.approx(0.5)
    assert V.chapter.fmt(0.0) == "0 (below float64's range)" and V.chapter.fmt(0.012345) == "0.012"


def test_figures_and_table_from_tiny_records(tiny):
    import matplotlib
    matplotlib.use("Agg")
    _, _, _, summary = tiny
    for fig, data in (V.plot_sensitivity(summary["sensitivity"]), V.plot_trained(summary["trained"]),
                      V.plot_map(summary["trained"]), V.plot_bound(summary["bound"]), V.plot_learning(summary)):
        assert fig.axes and len({len(v) for v in data.values()}) == 1 and len(next(iter(data.values()))) > 0
    table = V.learning_table(summary)
    assert "<table" in table and "guessing, 1997 LSTM net" in table and "300 sequences" in table
