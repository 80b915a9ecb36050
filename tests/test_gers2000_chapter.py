"""The forgetting chapter's computations (lstmlib.papers.gers2000.chapter and .figures): summaries, verdicts,
tables, sentences, scorecard rows and figures, on small real Exp. 1 records (the tiny scale) and hand-made
CERG records in the format of ``cerg_jobs.run_job``."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstmlib.papers import gers2000  # noqa: E402
from lstmlib.papers.gers2000 import chapter, erg_jobs  # noqa: E402
from lstmlib.study.results import FigureExporter  # noqa: E402
from lstmlib.study.scorecard import KINDS  # noqa: E402
from lstmlib.tasks import reber  # noqa: E402

E, C = gers2000.ERG_PROTOCOLS, gers2000.CERG_PROTOCOLS


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def erg_run():
    """Real Exp. 1 records: 2 trials of the 1997 and forget-gate LSTM, 512 strings each (about a second)."""
    jobs, protocols = erg_jobs.jobs_for("tiny", architectures="vanilla,forget", budget=512)
    return jobs, protocols, [j.run() for j in jobs]


def cerg_trial(k, cls="bad", streams=None, mean=30.0, test_length=1000, best=50, weights=None):
    status = "solved" if cls == "perfect" else "budget"
    lengths = [test_length] * 10 if cls == "perfect" else [int(mean)] * 10
    return {"trial": k, "status": status, "streams": streams, "streams_seen": streams or 100, "steps_seen": 999,
            "best_train_length": best, "test_lengths": lengths, "mean_test_length": float(np.mean(lengths)),
            "class": cls, "curve": [[50, 10.0], [100, 20.0]], "weights": weights or {}}


def cerg_record(key, trials, budget=30_000):
    return {"job": f"{key}/{C[key].arch}", "protocol": key, "arch": C[key].arch, "n_weights": 424, "budget": budget,
            "seeds": {}, "wall_time_s": 1.0, "trials": trials}


def erg_summary(solved, trials=10, mean=9000.0, budget=100_000):
    return {"solved": solved, "trials": trials, "strings_mean": mean if solved else None, "budget": budget}


def cerg_summary(perfect, trials=10, budget=30_000, test=(10, 100_000)):
    return {"perfect": perfect, "trials": trials, "budget": budget, "perfect_test": test if perfect else None}


# ---------------------------------------------------------------- summaries

def test_erg_summary_of_real_records_agrees_with_the_trials(erg_run):
    _, _, records = erg_run
    for r in records:
        s = chapter.summarise_erg(r)
        solved = [t["strings"] for t in r["trials"] if t["status"] == "solved"]
        assert (s["trials"], s["solved"], s["budget"], s["eval_every"]) == (2, len(solved), 512, 256)
        assert s["train_correct_median"] == pytest.approx(np.median([t["train_correct"] for t in r["trials"]]))
        assert (s["strings_mean"] is None) == (not solved)


def test_erg_summary_by_hand():
    trials = [{"status": "solved", "strings": 300, "train_correct": 1.0, "test_correct": 1.0},
              {"status": "solved", "strings": 900, "train_correct": 1.0, "test_correct": 1.0},
              {"status": "diverged", "strings": None, "train_correct": 0.0, "test_correct": 0.0}]
    s = chapter.summarise_erg({"job": "j", "protocol": "erg_3x2_lr0.5", "arch": "vanilla", "n_weights": 276,
                               "budget": 1000, "eval_every": 100, "trials": trials})
    assert (s["solved"], s["diverged"], s["strings_mean"], s["strings_median"]) == (2, 1, 600.0, 600.0)
    assert (s["strings_min"], s["strings_max"], s["test_correct_median"]) == (300, 900, 1.0)


def test_cerg_summary_counts_table_2s_classes():
    r = cerg_record("cerg_forget", [cerg_trial(0, "perfect", 1000, test_length=5000), cerg_trial(1, "perfect", 3000,
                                     test_length=5000), cerg_trial(2, "good", mean=2000), cerg_trial(3, "bad", mean=40),
                                    cerg_trial(4, "bad", mean=20)])
    s = chapter.summarise_cerg(r)
    assert (s["perfect"], s["good"], s["bad"], s["trials"]) == (2, 1, 2, 5)
    assert s["streams_mean"] == 2000.0 and s["good_length_mean"] == 2000.0 and s["bad_length_mean"] == 30.0
    assert s["perfect_test"] == (10, 5000)
    none = chapter.summarise_cerg(cerg_record("cerg_standard", [cerg_trial(0)]))
    assert none["streams_mean"] is None and none["good_length_mean"] is None and none["perfect_test"] is None


def test_split_records_by_experiment(erg_run):
    _, _, records = erg_run
    c = cerg_record("cerg_forget", [cerg_trial(0)])
    assert chapter.split_records(records + [c]) == (records, [c])
    erg, cerg = chapter.summarise(records + [c])
    assert len(erg) == 2 and cerg[0]["protocol"] == "cerg_forget"
    with pytest.raises(ValueError, match="unknown rows"):
        chapter.split_records([{"protocol": "gts_F10"}])


# ---------------------------------------------------------------- verdicts

def test_binomial_test_of_the_solved_fraction():
    assert chapter.binomial_cdf(10, 10, 0.3) == pytest.approx(1.0)
    assert chapter.binomial_cdf(0, 10, 0.5) == pytest.approx(0.5 ** 10)
    assert [chapter.rate_side(k, 10, 1.0) for k in (9, 10)] == ["fewer", "consistent"]
    assert [chapter.rate_side(k, 10, 0.97) for k in (7, 8, 10)] == ["fewer", "consistent", "consistent"]
    assert [chapter.rate_side(k, 10, 0.0) for k in (0, 1)] == ["consistent", "more"]
    assert [chapter.rate_side(k, 10, 0.18) for k in (0, 4, 5)] == ["consistent", "consistent", "more"]


def test_erg_verdicts():
    paper = E["erg_3x2_lr0.5"].paper  # 100 %, mean 8,440, range to 24,100
    assert chapter.erg_verdict(erg_summary(10, mean=9000.0), paper) == "reproduced"
    assert chapter.erg_verdict(erg_summary(10, mean=20000.0), paper) == "slower"
    assert chapter.erg_verdict(erg_summary(10, mean=4000.0), paper) == "faster"
    assert chapter.erg_verdict(erg_summary(9), paper) == "fewer solved"
    assert chapter.erg_verdict(erg_summary(9, budget=20_000), paper) == "fewer solved at this budget"
    assert chapter.erg_verdict(erg_summary(0), paper) == "not reproduced"
    assert chapter.erg_verdict(erg_summary(0, budget=20_000), paper) == "not reproduced at this budget"
    # without a published range the paper's slowest trial is taken as FACTOR x its mean
    assert chapter.erg_slowest(E["erg_4x1_lr0.1"].paper) == chapter.FACTOR * 39_740
    assert chapter.erg_verdict(erg_summary(8, budget=79_000), E["erg_4x1_lr0.1"].paper) == \
        "fewer solved at this budget"


def test_cerg_verdicts():
    forget, standard = C["cerg_forget"].paper, C["cerg_standard"].paper  # 18 % and 0 % perfect
    assert chapter.cerg_verdict(cerg_summary(2), forget) == "reproduced"
    assert chapter.cerg_verdict(cerg_summary(2, test=(10, 1000)), forget) == "reproduced on shorter tests"
    assert chapter.cerg_verdict(cerg_summary(0), standard) == "reproduced"
    assert chapter.cerg_verdict(cerg_summary(1), standard) == "more solved"
    assert chapter.cerg_verdict(cerg_summary(0), C["cerg_forget_decay"].paper) == "not reproduced"
    assert chapter.cerg_verdict(cerg_summary(0), forget) == "not reproduced"  # the test cannot reject 0 of 10 at 18 %
    assert chapter.cerg_verdict(cerg_summary(0, budget=3000), C["cerg_forget_decay"].paper) == \
        "not reproduced at this budget"
    assert chapter.cerg_verdict(cerg_summary(2, budget=3000), C["cerg_forget_decay"].paper) == \
        "fewer solved at this budget"
    assert chapter.cerg_verdict(cerg_summary(2), C["cerg_forget_decay"].paper) == "fewer solved"


def test_every_verdict_is_defined_with_a_kind_and_reached():
    got = {chapter.erg_verdict(erg_summary(k, mean=m, budget=b), E["erg_3x2_lr0.5"].paper)
           for k in (0, 9, 10) for m in (4000.0, 9000.0, 20000.0) for b in (20_000, 100_000)}
    got |= {chapter.cerg_verdict(cerg_summary(k, budget=b, test=t), C[key].paper) for key in C if C[key].paper
            for k in (0, 2, 9) for b in (3000, 30_000) for t in ((10, 1000), (10, 100_000))}
    assert got == set(gers2000.VERDICTS)
    assert all(kind in KINDS for kind, _ in gers2000.VERDICTS.values())


# ---------------------------------------------------------------- tables and sentences

def test_protocol_and_results_tables_of_a_real_erg_run(erg_run):
    jobs, protocols, records = erg_run
    (row,) = chapter.erg_protocol_rows(jobs)
    assert row["row"] == "erg_3x2_lr0.5" and row["weights"] == "LSTM 1997 276, forget-gate LSTM 381"
    assert row["budget (strings)"] == "512" and row["trials"] == "2" and row["checked every (strings)"] == "256"
    erg, _ = chapter.summarise(records)
    rows = chapter.erg_results_rows(erg, protocols)
    assert rows[0]["H&S 1997 Table 1 (LSTM)"] == "100 % of 30, 8,440 strings (range 3,800–24,100) (verified)"
    assert rows[0]["verdict"] == chapter.erg_verdict(erg[0], E["erg_3x2_lr0.5"].paper)
    assert rows[1]["H&S 1997 Table 1 (LSTM)"] == "–" and rows[1]["verdict"] == "–"  # not the paper's LSTM
    assert gers2000.table_html(rows).count("<tr>") == 3
    published = chapter.erg_published_rows()
    assert len(published) == len(gers2000.ERG_PUBLISHED) and published[2]["method"].startswith("Elman")
    assert published[3]["% success"] == "50" and published[0]["strings until success"] == "173,000"
    with pytest.raises(ValueError, match="no rows"):
        gers2000.table_html([])


def test_cerg_results_rows_in_table_2s_layout():
    s = chapter.summarise_cerg(cerg_record("cerg_forget", [cerg_trial(0, "perfect", 1234), cerg_trial(1, "good",
                                                                                                       mean=2000),
                                                            cerg_trial(2), cerg_trial(3)]))
    rows = chapter.cerg_results_rows([s], C)
    assert rows[0]["row"] == "LSTM with forget gates" and rows[0]["nets: ours (paper)"] == "4 (100)"
    assert rows[0]["% solutions (streams)"] == "25 % (1,234)" and rows[0]["% good ⟨length⟩"] == "25 % ⟨2,000⟩"
    assert rows[0]["% bad ⟨length⟩"] == "50 % ⟨30⟩"
    assert rows[0]["paper (Table 2)"] == ("18 % perfect (18,889 streams), 29 % good ⟨39,171⟩, 53 % bad ⟨145⟩ of 100 "
                                          "nets (verified)")
    assert len(rows) == 1
    decay = chapter.summarise_cerg(cerg_record("cerg_state_decay", [cerg_trial(0)]))
    assert chapter.cerg_results_rows([decay], C)[0]["paper (Table 2)"] == ("0 % perfect (– streams), 0 % good ⟨–⟩, "
                                                                          "100 % bad ⟨56⟩ of 100 nets (verified)")
    peep = chapter.summarise_cerg(cerg_record("cerg_peephole", [cerg_trial(0)]))
    assert chapter.cerg_results_rows([peep], C)[0]["paper (Table 2)"] == "not in the paper"


def test_sentences_carry_the_numbers_of_their_summaries():
    erg = [{**erg_summary(2, trials=2, mean=500.0), "protocol": "erg_3x2_lr0.5", "arch": "vanilla", "diverged": 0,
            "strings_median": 500.0, "strings_min": 400, "strings_max": 600}]
    cerg = [chapter.summarise_cerg(cerg_record("cerg_standard", [cerg_trial(0), cerg_trial(1, "good", mean=1500)]))]
    text = chapter.sentences(erg, cerg, {"erg_3x2_lr0.5": E["erg_3x2_lr0.5"]},
                             {k: C[k] for k in ("cerg_standard", "cerg_forget")}, 120.0, 2)
    assert text["forgetting_erg"] == ("ERG, 3 blocks × 2, lr 0.5: LSTM 1997 2/2 solved, mean 500 strings (median "
                                      "500, range 400–600). The paper's LSTM: 100 % of 30, 8,440 strings (range "
                                      "3,800–24,100) (verified).")
    assert text["forgetting_cerg"] == ("Standard LSTM: 0/2 perfect (– streams), 1/2 good ⟨1,500⟩, 1/2 bad ⟨30⟩; the "
                                       "paper: 0 % perfect (– streams), 1 % good ⟨1,166⟩, 99 % bad ⟨37⟩ of 100 nets "
                                       "(verified). (cerg_forget was not run.)")
    assert text["forgetting_wall"] == "2.0 minutes on 2 worker(s)"
    assert chapter.sentences([], [], {}, {}, 6.0, 1)["forgetting_erg"] == "(Exp. 1 was not run.)"


# ---------------------------------------------------------------- the scorecard

def test_scorecard_rows_one_per_paper_row_run(erg_run):
    _, protocols, records = erg_run
    erg, _ = chapter.summarise(records)
    cerg = [chapter.summarise_cerg(cerg_record(k, [cerg_trial(0), cerg_trial(1)], budget=2000))
            for k in ("cerg_standard", "cerg_forget", "cerg_peephole")]
    rows = gers2000.scorecard_rows(erg, cerg, protocols, C, "tiny")
    assert [r["experiment"] for r in rows] == ["Exp. 1 (H&S 1997 Table 1): ERG, 3 blocks × 2, lr 0.5",
                                               "CERG (Gers 2000 Table 2): Standard LSTM",
                                               "CERG (Gers 2000 Table 2): LSTM with forget gates"]
    assert [r["model"] for r in rows] == ["LSTM 1997", "LSTM 1997", "forget-gate LSTM"]
    assert all(r["chapter"] == "forgetting" and r["scale"] == "tiny" for r in rows)
    assert rows[0]["verdict"] == chapter.erg_verdict(erg[0], E["erg_3x2_lr0.5"].paper)
    assert rows[0]["verdict"].endswith("at this budget") or rows[0]["verdict"] == "reproduced"  # 512 < 24,100
    assert rows[0]["ours"].startswith("LSTM 1997 ") and "forget-gate LSTM" in rows[0]["ours"]
    # none of 2 perfect: the standard LSTM's 0 % holds; the forget gates' 18 % is not shown (at 2,000 streams)
    assert [r["verdict"] for r in rows[1:]] == ["reproduced", "not reproduced at this budget"]
    assert rows[2]["protocol"].endswith("at most 2,000 training streams")


def test_rescore_recomputes_the_verdicts_from_the_records():
    rec = cerg_record("cerg_standard", [cerg_trial(0, "perfect", 100)] + [cerg_trial(k) for k in range(1, 10)])
    doc = {"records": [rec], "summary": {"scorecard": [
        {"experiment": "CERG (Gers 2000 Table 2): Standard LSTM", "model": "LSTM 1997", "verdict": "reproduced"},
        {"experiment": "something else", "model": "M", "verdict": "partly"}]}}
    assert [r["verdict"] for r in gers2000.rescore(doc)] == ["more solved", "partly"]
    from lstmlib import papers
    assert papers.rescore({**doc, "chapter": "forgetting"})[0]["verdict"] == "more solved"


def test_scale_text():
    assert gers2000.scale_text("default", None, None) == "default"
    assert gers2000.scale_text("tiny", None, 5) == "tiny (custom)"


def test_the_chapter_is_registered():
    from lstmlib import papers
    assert papers.CHAPTERS["forgetting"] is gers2000
    assert papers.CHAPTER_TITLES["forgetting"].startswith("Learning to forget")
    box = papers.key_results("forgetting", [{"chapter": "forgetting", "experiment": "x", "model": "m",
                                             "verdict": "reproduced"}])
    assert box.startswith(f"- **The paper:** {gers2000.chapter.CLAIM}")


# ---------------------------------------------------------------- figures

def trained_cerg_record(key, classes, seed=3):
    """A CERG record whose trials carry random weights of the row's network."""
    net = gers2000.cerg_network(C[key], len(classes), seed)
    trials = [cerg_trial(k, cls, 50 if cls == "perfect" else None, mean=10 * (k + 1),
                         weights={n: v[k].tolist() for n, v in net.named_parameters().items()})
              for k, cls in enumerate(classes)]
    return cerg_record(key, trials), net


def test_best_cerg_trial_prefers_class_then_test_length():
    a, _ = trained_cerg_record("cerg_forget", ["bad", "good", "bad"])
    b, _ = trained_cerg_record("cerg_forget_decay", ["bad", "bad", "good"])
    record, trial = chapter.best_cerg_trial([a, b], ("cerg_forget", "cerg_forget_decay"))
    assert record is b and trial["trial"] == 2  # good, with a mean test length of 30 against a's 20
    assert chapter.best_cerg_trial([a, b], ("cerg_forget",))[1]["trial"] == 1
    assert chapter.best_cerg_trial([a], ("cerg_standard",)) is None


def test_trace_figure_runs_the_best_net_on_the_seeded_stream():
    rec, net = trained_cerg_record("cerg_standard", ["bad", "good"])
    fig, data, caption = chapter.trace_figure([rec], C, ("cerg_standard",), "standard LSTM", 120, seed=4)
    x, target, starts = reber.CERGWalk(np.random.default_rng(4), 1).chunk(120)
    y = net.trial(1).forward(x[:, None], np.array([[120]]))[0, 0]
    np.testing.assert_allclose(data["error"], np.abs(y - target[0]).max(axis=-1), atol=1e-12)
    np.testing.assert_array_equal(data["string_start"], starts[0])
    assert len(data["t"]) == 120 and "state_cell7" in data and "output_gate_block3" in data
    assert "forget_gate_block0" not in data  # the 1997 cell has no forget gate
    states = np.concatenate([v for k, v in data.items() if k.startswith("state_cell")])
    errors = int((data["error"] >= 0.49).sum())
    assert caption.startswith("The best standard LSTM net (Standard LSTM, trial 1: good")
    assert f"range from {states.min():.3g} to {states.max():.3g}" in caption
    assert (f"{errors} steps with an error" in caption) if errors else ("no step with an error" in caption)
    assert f"({int(starts.sum())} strings, no reset)" in caption


def test_export_traces_exports_both_and_stands_in_for_rows_not_run(tmp_path):
    glued = {}

    def glue(key, value, display=False):
        glued[key] = value
    export = FigureExporter(tmp_path, gers2000.CAPTIONS, glue=glue)
    rec, _ = trained_cerg_record("cerg_forget_decay", ["bad", "perfect"])
    refs = gers2000.export_traces(export, [rec], C, seed=0, n_steps=60)
    assert refs == "{numref}`fig-forgetting-trace-forget`"
    assert list(export.files) == ["forgetting_trace_standard", "forgetting_trace_forget"]
    assert glued["cap_forgetting_trace_standard"] == "(Not run: cerg_standard.)"
    assert glued["cap_forgetting_trace_forget"].startswith("The best forget-gate LSTM net (LSTM with forget gates "
                                                           "and sequential α decay, trial 1: perfect")
    assert (tmp_path / "forgetting_trace_forget.csv").stat().st_size > 0


def test_erg_and_cerg_plots_hold_one_row_per_trial_and_point(erg_run):
    _, protocols, records = erg_run
    _, strings = gers2000.plot_erg_strings(records, protocols)
    assert strings["x"] == [t["strings"] or t["strings_seen"] for r in records for t in r["trials"]]
    _, curves = gers2000.plot_erg_curves(records, protocols)
    assert curves["train_right"] == [y for r in records for t in r["trials"] for _, y in t["curve"]]
    recs = [cerg_record("cerg_standard", [cerg_trial(0), cerg_trial(1, "good", mean=2000)]),
            cerg_record("cerg_forget", [cerg_trial(0, "perfect", 10, test_length=100_000)])]
    _, lengths = gers2000.plot_cerg_lengths(recs, C)
    assert lengths["mean_test_length"] == [30.0, 2000.0, 100_000.0]
    assert lengths["class"] == ["bad", "good", "perfect"]
