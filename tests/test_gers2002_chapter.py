"""The timing chapter's computations (lstmlib.papers.gers2002.chapter and .figures), on small hand-made
records and summaries: each function the notebook calls, without running the notebook."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstmlib.papers import gers2002  # noqa: E402
from lstmlib.study.results import FigureExporter  # noqa: E402

P = gers2002.PROTOCOLS


def trial(k, status="budget", streams=None, test_events=0, best=0, rmse=0.5, seen=100):
    return {"trial": k, "status": status, "streams": streams, "streams_seen": seen, "steps_seen": 10 * seen,
            "best_train_events": best, "test_events": test_events, "test_rmse": rmse,
            "curve": [[50, best / 2], [100, best]], "weights": {}}


def record(protocol, arch, trials, budget=100, n_weights=17):
    return {"job": f"{protocol}/{arch}", "protocol": protocol, "arch": arch, "trials": trials, "n_weights": n_weights,
            "budget": budget, "seeds": {}, "wall_time_s": 1.0}


def summary(protocol, arch, solved, trials=10, streams_median=None, **kw):
    s = {"job": f"{protocol}/{arch}", "protocol": protocol, "arch": arch, "n_weights": 17, "budget": 40_000,
         "trials": trials, "solved": solved, "diverged": 0, "streams_median": streams_median,
         "best_train_events_median": 12.0, "test_events_median": 7.0, "test_events_best": 1000,
         "test_rmse_median": 0.25}
    s.update(kw)
    return s


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- summaries

def test_summarise_counts_and_medians_by_hand():
    r = record("gts_F10", "peephole", [trial(0, "solved", 30, 1000, 100, 0.1), trial(1, "solved", 10, 1000, 100, 0.3),
                                       trial(2, "budget", None, 5, 40, None), trial(3, "diverged", None, 0, 2, None)])
    s = gers2002.summarise(r)
    assert (s["trials"], s["solved"], s["diverged"]) == (4, 2, 1)
    assert s["streams_median"] == 20.0 and s["best_train_events_median"] == 70.0
    assert s["test_events_median"] == 502.5 and s["test_events_best"] == 1000
    assert s["test_rmse_median"] == pytest.approx(0.2)
    none = gers2002.summarise(record("gts_F10", "rnn", [trial(0, rmse=None)]))
    assert none["streams_median"] is None and none["test_rmse_median"] is None and none["solved"] == 0


def test_summary_of_and_split_rule_checks():
    items = [summary("gts_F10", "rnn", 0), summary("msd_F10_I0-1_paper_rule", "peephole", 1),
             summary("gts_F10", "peephole", 3)]
    assert gers2002.summary_of(items, "gts_F10", "peephole") is items[2]
    assert gers2002.summary_of(items, "gts_F10", "forget") is None
    main, checks = gers2002.split_rule_checks(items)
    assert main == [items[0], items[2]] and checks == [items[1]]


# ---------------------------------------------------------------- tables

def test_protocol_rows_list_every_protocol_the_jobs_run():
    jobs, _ = gers2002.jobs_for("tiny", "gts_F10", "forget,peephole", paper_rule_check=False)
    jobs += gers2002.rule_check_jobs(gers2002.jobs_for("tiny", "msd_F10_I0-1", "peephole", budget=300)[0])
    rows = gers2002.chapter.protocol_rows(jobs)
    assert [r["row"] for r in rows] == ["gts_F10", "msd_F10_I0-1_paper_rule"]
    assert rows[0]["weights"] == "forget-gate LSTM 14, peephole LSTM 17"
    assert rows[0]["budget (streams)"] == "100" and rows[0]["trials"] == "2"
    assert rows[0]["learning rule"] == "Adam lr 0.001, forget-gate bias +2"
    assert rows[1]["learning rule"] == "lr 1e-05, momentum 0.9999, forget-gate bias -2"
    assert rows[1]["budget (streams)"] == "300" and rows[1]["tolerance"] == "0.49"
    assert rows[1]["the paper says"] == P["msd_F10_I0-1"].paper["claim"]
    html = gers2002.protocol_table(jobs)
    assert html.count("<tr>") == 3 and "<th>the paper says</th>" in html
    with pytest.raises(ValueError, match="no rows"):
        gers2002.chapter.table_html([])


def test_results_rows_format_the_summary_numbers():
    rows = gers2002.chapter.results_rows([summary("gts_F10", "nfg", 2, diverged=1, streams_median=12345.0),
                                          summary("gts_F10", "rnn", 0, test_rmse_median=None)], P)
    assert rows[0]["architecture"] == "peephole LSTM, no forget gate"
    assert rows[0]["solved"] == "2/10 (1 diverged)" and rows[0]["streams to solve (median)"] == "12,345"
    assert rows[0]["final test: correct events, median (best)"] == "7 (1000)"
    assert rows[0]["final test RMSE (median)"] == "0.250" and rows[0]["budget"] == "40,000"
    assert rows[1]["solved"] == "0/10" and rows[1]["streams to solve (median)"] == "–"
    assert rows[1]["final test RMSE (median)"] == "–"
    # the trivial predictor beside them: for GTS the best constant is the spikes' rate 1/F, no event right
    assert rows[0]["best constant output"] == "y = 0.1: 0 events, RMSE 0.300"
    assert "12,345" in gers2002.results_table([summary("gts_F10", "nfg", 2, streams_median=12345.0)], P)


def test_rule_check_rows_put_the_run_rule_first():
    base = summary("msd_F10_I0-1", "peephole", 5)
    check = summary("msd_F10_I0-1_paper_rule", "peephole", 0)
    pool = [summary("msd_F10_I0-1", "forget", 4), base]
    assert gers2002.rule_check_rows(pool, [check]) == [base, check]
    assert gers2002.rule_check_rows(pool[:1], [check]) == [check]
    assert gers2002.rule_check_rows(pool, []) == []


def test_scorecard_table_shows_its_columns_only():
    html = gers2002.scorecard_table([{"experiment": "E", "model": "M", "paper": "P", "ours": "O", "verdict": "V",
                                      "scale": "hidden"}])
    assert [h for h in gers2002.chapter.SCORECARD_COLUMNS.values() if f"<th>{h}</th>" in html] == \
        list(gers2002.chapter.SCORECARD_COLUMNS.values())
    assert "hidden" not in html


# ---------------------------------------------------------------- sentences

def test_sentences_carry_the_numbers_of_their_summaries():
    protocols = {k: P[k] for k in ("msd_F10_I0-1", "gts_F10")}
    pool = [summary("msd_F10_I0-1", "peephole", 7, streams_median=1234.0), summary("msd_F10_I0-1", "forget", 0),
            summary("msd_F10_I0-1", "rnn", 0, trials=3), summary("gts_F10", "nfg", 1, streams_median=9.0)]
    text = gers2002.sentences(pool, protocols, wall_time=90.0, workers=2)
    assert list(text) == ["timing_rows", "timing_chance", "timing_peep", "timing_fg", "timing_wall"]
    level = gers2002.chapter.baseline(P["msd_F10_I0-1"])  # right about half the time: a run of 0 or 1 events
    assert level["events_median"] <= 1 and level["rmse_median"] == pytest.approx(0.5, abs=0.02)
    assert text["timing_chance"] == (
        "The peephole LSTM's final test against the best constant output: MSD, F = 10, I ∈ {0, 1} (continual): "
        f"median 7 events, RMSE 0.250, better than the constant {level['constant']:.3g} "
        f"({gers2002.chapter.events_text(level['events_median'])}, RMSE {level['rmse_median']:.3f}).")
    assert text["timing_rows"] == (
        "MSD, F = 10, I ∈ {0, 1} (continual): solved by plain RNN 0/3, forget-gate LSTM 0/10, "
        "peephole LSTM 7/10 (median 1,234 streams). "
        "GTS, F = 10: solved by peephole LSTM, no forget gate 1/10 (median 9 streams).")
    assert text["timing_peep"] == ("peepholes on/off on MSD, F = 10, I ∈ {0, 1} (continual): peephole LSTM 7/10, "
                                   "forget-gate LSTM 0/10.")
    assert text["timing_fg"] == "(not run)"  # no row ran both the peephole LSTM and nfg
    assert text["timing_wall"] == "1.5 minutes on 2 worker(s)"
    assert gers2002.chapter.row_sentence([], P["gts_F10"]) == "(gts_F10 was not run.)"
    assert gers2002.chapter.ablation_sentence(pool, P["gts_F10"], "peephole", "nfg", "x") is None


def test_chance_sentence_says_when_the_median_trial_is_no_better_than_a_constant():
    protocols = {"gts_F10": P["gts_F10"]}
    stuck = summary("gts_F10", "peephole", 0, test_events_median=0.0, test_rmse_median=0.316)
    assert gers2002.chapter.chance_sentence([stuck], protocols).endswith(
        "GTS, F = 10: median 0 events, RMSE 0.316, no better than the constant 0.1 (0 events, RMSE 0.300).")
    diverged = {**stuck, "test_rmse_median": None}
    assert "no RMSE (diverged), no better than" in gers2002.chapter.chance_sentence([diverged], protocols)
    assert gers2002.chapter.chance_sentence([], protocols) == "(The peephole LSTM was not run.)"


def test_rule_check_sentence():
    assert gers2002.rule_check_sentence([], {}) == "(The secondary sources' rule was not checked in this run.)"
    jobs = gers2002.jobs_for("tiny", "msd_F10_I0-1", "peephole", paper_rule_check=True)[0]
    check = summary("msd_F10_I0-1_paper_rule", "peephole", 2, trials=10, budget=40_000, best_train_events_median=3.5)
    text = gers2002.rule_check_sentence([check], gers2002.protocols_of(jobs))
    assert text == ("With the secondary sources' rule (lr 1e-05, momentum 0.9999, forget-gate bias -2), the peephole "
                    "LSTM solved continual MSD (F = 10, I ∈ {0, 1}) in 2 of 10 trials within 40,000 training streams; "
                    "its longest run of correct events in a training stream had a median of 3.5.")
    with pytest.raises(ValueError, match="no protocol"):
        gers2002.rule_check_sentence([check], {"msd_F10_I0-1": P["msd_F10_I0-1"]})


# ---------------------------------------------------------------- verdicts and the scorecard

@pytest.mark.parametrize("peep, nopeep, verdict", [(5, 5, "reproduced"), (9, 4, "partly"), (9, 0, "not reproduced "
                                                   "at this budget"), (None, 5, "not run"), (5, None, "not run")])
def test_claim_verdict_with_and_without_peepholes(peep, nopeep, verdict):
    by_arch = {}
    if peep is not None:
        by_arch["peephole"] = summary("msd_F10_I0-1", "peephole", peep)
    if nopeep is not None:
        by_arch["forget"] = summary("msd_F10_I0-1", "forget", nopeep)
    assert gers2002.claim_verdict(P["msd_F10_I0-1"], by_arch) == verdict


def test_claim_verdict_existence_claims_and_rows_without_claim():
    # judged on the median trial: half of the trials solve it, not one lucky one
    assert gers2002.claim_verdict(P["gts_F10"], {"peephole": summary("gts_F10", "peephole", 5)}) == "reproduced"
    assert gers2002.claim_verdict(P["gts_F10"], {"peephole": summary("gts_F10", "peephole", 1)}) == "partly"
    assert gers2002.claim_verdict(P["gts_F10"], {"peephole": summary("gts_F10", "peephole", 0)}) == \
        "not reproduced at this budget"  # 7 successive correct events: more than the best constant's 0
    # no trial solved and the median trial no better than a constant output (GTS: 0 events; outputting 0
    # everywhere scores RMSE sqrt(0.1) = 0.316 > the best constant's 0.300)
    at_chance = summary("gts_F10", "peephole", 0, test_events_median=0.0, test_rmse_median=0.316)
    assert gers2002.claim_verdict(P["gts_F10"], {"peephole": at_chance}) == "at chance"
    assert gers2002.claim_verdict(P["gts_F10"], {"peephole": {**at_chance, "test_rmse_median": 0.29}}) == \
        "not reproduced at this budget"  # a smaller RMSE than any constant: it learned something
    assert gers2002.claim_verdict(P["gts_F10"], {"peephole": {**at_chance, "test_rmse_median": None}}) == "at chance"
    assert gers2002.claim_verdict(P["gts_F10"], {"peephole": {**at_chance, "solved": 1}}) == "partly"
    assert gers2002.claim_verdict(P["gts_F25"], {"peephole": summary("gts_F25", "peephole", 1)}) == "no paper claim"


def test_scorecard_rows_one_per_row_with_a_peephole_lstm():
    protocols = {k: P[k] for k in ("gts_F10", "pfg_cos_F10")}
    pool = [summary("gts_F10", "peephole", 6, streams_median=2500.0), summary("gts_F10", "rnn", 0),
            summary("pfg_cos_F10", "rnn", 0)]
    rows = gers2002.scorecard_rows(pool, protocols, "default, rule fast")
    assert len(rows) == 1
    row = rows[0]
    assert row["experiment"] == "GTS, F = 10" and row["verdict"] == "reproduced" and row["chapter"] == "timing"
    assert row["ours"] == ("peephole LSTM 6/10 solved (median 2,500 streams); plain RNN 0/10 solved; peephole LSTM "
                           "final test: median 7 successive correct events, RMSE 0.250 (best constant output y = 0.1: "
                           "0 events, RMSE 0.300)")
    assert row["protocol"] == f"{P['gts_F10'].rule()}; at most 40,000 training streams"
    assert row["paper"].endswith("(numbers unverified [U])") and row["scale"] == "default, rule fast"


def test_scale_text():
    assert gers2002.scale_text("default", "fast") == "default, rule fast"
    assert gers2002.scale_text("tiny", "paper", budget=5) == "tiny (custom), rule paper"


# ---------------------------------------------------------------- the trace figures

def test_best_trial_prefers_solved_then_test_then_training_then_speed():
    def pick(*trials):
        return gers2002.best_trial(record("gts_F10", "peephole", list(trials)))["trial"]
    assert pick(trial(0, test_events=999, best=100), trial(1, "solved", 50, 10)) == 1
    assert pick(trial(0, "solved", 50, 1000), trial(1, "solved", 10, 1001)) == 1
    assert pick(trial(0, "solved", 50, 1000, 100), trial(1, "solved", 10, 1000, 100)) == 1
    assert pick(trial(0, test_events=3, best=9), trial(1, test_events=3, best=8)) == 0
    with pytest.raises(ValueError, match="no trials"):
        gers2002.best_trial(record("gts_F10", "peephole", []))


def trained_record(key, seed=3):
    """A peephole record of two trials with random weights; trial 1 is marked solved (the best)."""
    p = P[key]
    net = gers2002.network_for(p, "peephole", 2, seed)
    trials = [trial(0, test_events=4, best=9), trial(1, "solved", 40, 1000, 100)]
    for k, t in enumerate(trials):
        t["weights"] = {n: v[k].tolist() for n, v in net.named_parameters().items()}
    return record(key, "peephole", trials), net


def test_trace_figure_runs_the_best_trial_on_the_seeded_stream():
    rec, net = trained_record("gts_F10")
    fig, data, caption = gers2002.trace_figure([rec], P, "gts_F10", 5, seed=4)
    s = P["gts_F10"].task.stream(np.random.default_rng(4 + 7), 1, 5)
    n = int(s.lengths[0])
    expected = net.trial(1).forward(s.x[:, None, :n], np.array([[n]]))[0, 0, :, 0]
    np.testing.assert_allclose(data["output"], expected, atol=1e-12)
    np.testing.assert_array_equal(data["input"], s.x[0, :n, 0])
    assert len(data["t"]) == n and "forget_gate_block0" in data
    assert caption.startswith("The best peephole LSTM trial on GTS, F = 10 (trial 1: solved, 1000 successive")
    assert "fresh stream of 5 events" in caption
    states = np.concatenate([v for k, v in data.items() if k.startswith("state_cell")])
    assert caption.endswith(f"The cell states range from {states.min():.3g} to {states.max():.3g}.")


def test_trace_figure_stands_in_for_a_row_not_run():
    fig, data, caption = gers2002.trace_figure([], P, "pfg_cos_F10", 6, seed=0)
    assert data == {"note": ["not run"]} and caption == "(Not run: pfg_cos_F10 with the peephole LSTM.)"
    assert "pfg_cos_F10 with the peephole LSTM was not run" in fig.axes[0].texts[0].get_text()


def test_export_traces_exports_all_four_and_refers_to_those_run(tmp_path):
    glued = {}

    def glue(key, value, display=False):
        glued[key] = value
    export = FigureExporter(tmp_path, gers2002.CAPTIONS, glue=glue)
    rec, _ = trained_record("msd_F10_I0-1")
    refs = gers2002.export_traces(export, [rec], P, seed=0)
    assert refs == "{numref}`fig-timing-trace-msd10`"
    names = [name for _, _, name in gers2002.TRACES]
    assert list(export.files) == names and [f["label"] for f in export.figures] == [
        "fig-timing-trace-msd49", "fig-timing-trace-gts", "fig-timing-trace-msd10", "fig-timing-trace-pfg"]
    assert glued["cap_timing_trace_gts"] == "(Not run: gts_F10 with the peephole LSTM.)"
    assert glued["cap_timing_trace_msd10"].startswith("The best peephole LSTM trial on MSD, F = 10")
    assert all((tmp_path / f"{n}.csv").stat().st_size > 0 for n in names)


# ---------------------------------------------------------------- the other figures

def test_plot_examples_draws_each_task_from_one_seeded_generator():
    fig, data = gers2002.plot_examples(5)
    assert len({len(v) for v in data.values()}) == 1 and len(fig.axes) == len(gers2002.figures.EXAMPLE_TASKS)
    rng = np.random.default_rng(5)
    for name, task in gers2002.figures.EXAMPLE_TASKS.items():
        s = task.stream(rng, 1, 4)
        n = min(int(s.lengths[0]), 45)
        rows = [i for i, t in enumerate(data["task"]) if t == name]
        assert [data["t"][i] for i in rows] == list(range(n))
        assert [data["judged"][i] for i in rows] == list(s.weights[0, :n] > 0)
        np.testing.assert_array_equal([data["target"][i] for i in rows], s.target[0, :n, 0])


def test_streams_and_curve_plots_hold_one_row_per_trial_and_point():
    recs = [record("gts_F10", "peephole", [trial(0, "solved", 30, 1000, 100), trial(1, seen=100)]),
            record("gts_F10", "rnn", [trial(0, "diverged", seen=7)])]
    _, streams = gers2002.plot_streams_to_solution(recs, P, labels=gers2002.LABELS)
    assert streams["x"] == [30, 100, 7] and streams["status"] == ["solved", "budget", "diverged"]
    _, curves = gers2002.plot_event_curves(recs, P, labels=gers2002.LABELS)
    assert curves["streams"] == [50, 100] * 3 and curves["mean_events"] == [50.0, 100, 0.0, 0, 0.0, 0]


def test_rescore_recomputes_a_results_files_verdicts_under_todays_rules():
    record = {"job": "gts_F10/peephole", "protocol": "gts_F10", "arch": "peephole", "n_weights": 17, "budget": 10,
              "trials": [{"status": "solved" if k < 2 else "budget", "streams": 5 if k < 2 else None,
                          "best_train_events": 3, "test_events": 1000 if k < 2 else 2,
                          "test_rmse": 0.1} for k in range(10)]}
    doc = {"records": [record], "summary": {"scorecard": [
        {"experiment": P["gts_F10"].title, "model": "peephole LSTM", "verdict": "reproduced"},  # the old rule
        {"experiment": "a row of another time", "model": "peephole LSTM", "verdict": "reproduced"}]}}
    assert [r["verdict"] for r in gers2002.chapter.rescore(doc)] == ["partly", "reproduced"]
