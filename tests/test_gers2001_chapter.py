"""The languages chapter's library calls (lstmlib.papers.gers2001.chapter and .figures), on hand-made
records and summaries and on a few tiny trained jobs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstmlib.papers.gers2001 import (  # noqa: E402
    PROTOCOLS,
    LanguageJob,
    chapter,
    figures,
    jobs_for,
    learning_rule_variants,
    run_job,
)
from lstmlib.papers.gers2001.jobs import network_for, network_from_record  # noqa: E402


def trial(k, up_to, sequences=None, status=None, up_to_at_solution=None, train_accepted=False, seen=2000):
    return {"trial": k, "status": status or ("solved" if sequences is not None else "budget"),
            "sequences": sequences, "sequences_seen": seen, "up_to": up_to, "first_failure": up_to + 1,
            "up_to_at_solution": up_to_at_solution, "train_accepted": train_accepted, "curve": []}


def record(protocol, arch, trials, n_max=1000, budget=2000, n_weights=40):
    return {"job": f"{protocol}/{arch}", "protocol": protocol, "arch": arch, "trials": trials, "budget": budget,
            "n_max": n_max, "n_weights": n_weights}


def summary(protocol, arch, median, best, solved=5, trials=10, **more):
    return {"job": f"{protocol}/{arch}", "protocol": protocol, "arch": arch, "trials": trials, "solved": solved,
            "diverged": 0, "train_accepted": solved, "up_to_median": median, "up_to_best": best, "reach_max": 0,
            "n_max": 1000, "n_weights": 40, "budget": 2000, "seq_median": None, "up_to": [0, best],
            "up_to_at_solution_median": None, **more}


@pytest.fixture(scope="module")
def trained():
    """Tiny trained jobs: the peephole LSTM on both languages and the plain RNN on aⁿbⁿ (scan to 30)."""
    protocols = {k: p.replace(n_max=30) for k, p in PROTOCOLS.items()}
    jobs = [LanguageJob(protocols["anbn"], "peephole", 2, 2000), LanguageJob(protocols["anbn"], "rnn", 2, 1000),
            LanguageJob(protocols["anbncn"], "peephole", 2, 1000)]
    return jobs, [run_job(j) for j in jobs], protocols


# ---------------------------------------------------------------- grouping

def test_by_part_groups_items_by_their_jobs_part():
    jobs, _ = jobs_for("tiny", "anbn", "peephole", greff_variants=True, learning_rules=True)
    parts = chapter.by_part(jobs, [j.name for j in jobs])
    assert parts["main"] == ["anbn/peephole"]
    assert parts["greff"] == [f"anbn/{a}" for a in ("greff_v", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg",
                                                    "fgr")]
    assert parts["rules"] == [f"anbn_{r}/peephole" for r in ("adam_mse", "momentum_ce", "sgd_ce")]
    only_main, _ = jobs_for("tiny", "anbncn", greff_variants=True, learning_rules=True)  # extras need aⁿbⁿ
    assert chapter.by_part(only_main, only_main) == {"main": only_main, "greff": [], "rules": []}
    with pytest.raises(ValueError, match="one item per job"):
        chapter.by_part(jobs, [1])
    with pytest.raises(ValueError, match="unknown part"):
        chapter.by_part([LanguageJob(PROTOCOLS["anbn"], "rnn", 1, 1, part="extra")], [1])


def test_protocols_of_lists_every_protocol_in_job_order():
    jobs, protocols = jobs_for("tiny", learning_rules=True)
    found = chapter.protocols_of(jobs)
    assert list(found) == ["anbn", "anbncn", "anbn_adam_mse", "anbn_momentum_ce", "anbn_sgd_ce"]
    assert found["anbn"] is protocols["anbn"] and found["anbn_sgd_ce"].optimizer == "sgd"


def test_find_returns_the_first_match_or_none():
    items = [summary("anbn", "rnn", 1, 2), summary("anbn", "peephole", 3, 4), summary("anbn", "peephole", 5, 6)]
    assert chapter.find(items, "anbn", "peephole") is items[1]
    assert chapter.find(items, "anbncn", "peephole") is None


# ---------------------------------------------------------------- summaries and verdicts

def test_summarise_counts_and_medians():
    r = record("anbn", "peephole", [trial(0, 1000, 3000, up_to_at_solution=40, train_accepted=True),
                                    trial(1, 20, 5000, up_to_at_solution=10, train_accepted=True),
                                    trial(2, 0, status="diverged")])
    s = chapter.summarise(r)
    assert (s["trials"], s["solved"], s["diverged"], s["train_accepted"]) == (3, 2, 1, 2)
    assert s["seq_median"] == 4000.0 and s["up_to"] == [1000, 20, 0]
    assert (s["up_to_median"], s["up_to_best"], s["reach_max"]) == (20.0, 1000, 1)
    assert s["up_to_at_solution_median"] == 25.0
    none = chapter.summarise(record("anbn", "rnn", [trial(0, 3), trial(1, 5)]))
    assert none["seq_median"] is None and none["up_to_at_solution_median"] is None and none["solved"] == 0


def test_claim_verdict():
    base = {"trials": 10, "solved": 5, "up_to_median": 100.0, "up_to_best": 1000}
    assert chapter.claim_verdict(base, 10) == "reproduced"  # half learn the training set, median 10x its longest
    assert chapter.claim_verdict({**base, "solved": 4}, 10) == "partly"
    assert chapter.claim_verdict({**base, "up_to_median": 99.0}, 10) == "partly"
    assert chapter.claim_verdict({**base, "up_to_median": 99.0}, 5) == "reproduced"
    assert chapter.claim_verdict({**base, "up_to_median": 12.0, "up_to_best": 99}, 10) == "not reproduced"


def test_ours_text_and_scorecard_rows_carry_the_summary_numbers():
    p = PROTOCOLS["anbn"]
    lstm = summary("anbn", "peephole", 150.0, 1000, reach_max=3)
    text = chapter.ours_text(lstm, p)
    assert text == ("5/10 learn n ∈ [1, 10]; all n ≤ N accepted up to N = 150 (median), 1,000 (best); "
                    "3/10 reach the scan's end n = 1,000")
    rows = chapter.scorecard_rows([lstm, summary("anbn", "rnn", 2.0, 14)], {"anbn": p}, "tiny: 2 trials")
    assert [(r["model"], r["verdict"]) for r in rows] == [("peephole LSTM", "reproduced"),
                                                          ("plain RNN", "reproduced (RNN worse)")]
    assert all(r["scale"] == "tiny: 2 trials" and "[U]" in r["paper"] and r["chapter"] == "languages" for r in rows)
    assert rows[0]["protocol"] == p.describe() + ", 2,000 strings"
    better = chapter.scorecard_rows([lstm, summary("anbn", "rnn", 2.0, 1000)], {"anbn": p}, "x")
    assert better[1]["verdict"] == "not reproduced (RNN not worse)"
    assert chapter.scorecard_rows([summary("anbn", "rnn", 2.0, 14)], {"anbn": p}, "x") == []  # no LSTM, no row


def test_scale_text_counts_the_main_trials_only():
    jobs, _ = jobs_for("tiny", trials=3, greff_variants=True)
    assert chapter.scale_text("tiny", jobs, True) == "tiny (custom): 3 trials"
    jobs, _ = jobs_for("default", learning_rules=True)
    assert chapter.scale_text("default", jobs, False) == "default: 10 trials"


# ---------------------------------------------------------------- tables

def test_table_renders_rows_and_rejects_none():
    html = chapter.table([{"a": 1, "b": "<x>"}])
    assert "<th>a</th><th>b</th>" in html and "<td>&lt;x&gt;</td>" in html
    assert "<th>B</th>" in chapter.table([{"a": 1, "b": 2}], {"b": "B"}) and "<th>a</th>" not in chapter.table(
        [{"a": 1, "b": 2}], {"b": "B"})
    with pytest.raises(ValueError, match="at least one row"):
        chapter.table([])


def test_example_rows_spell_out_the_string_and_its_targets():
    rows = chapter.example_rows({"anbn": PROTOCOLS["anbn"]}, n=2)
    assert [r["reads"] for r in rows] == ["S", "a", "a", "b", "b"]
    assert [r["legal next symbols (target 1)"] for r in rows] == ["a", "a b", "a b", "b", "T"]
    assert rows[0]["target vector"] == "1 0 0" and rows[-1]["target vector"] == "0 0 1"
    assert {r["language"] for r in rows} == {"aⁿbⁿ"} and [r["step"] for r in rows] == list(range(5))
    both = chapter.example_rows(PROTOCOLS)  # n = 3: 7 steps for aⁿbⁿ, 10 for aⁿbⁿcⁿ
    assert len(both) == 17 and both[-1]["reads"] == "c" and both[-1]["legal next symbols (target 1)"] == "T"


def test_protocol_rows_list_each_run_with_its_weights_budgets_and_trials():
    jobs, _ = jobs_for("tiny", "anbn", "peephole,rnn", learning_rules=True)
    rows = chapter.protocol_rows(jobs)
    assert [r["run"] for r in rows] == ["anbn", "anbn_adam_mse", "anbn_momentum_ce", "anbn_sgd_ce"]
    p = PROTOCOLS["anbn"]
    assert rows[0]["weights"] == (f"peephole LSTM {network_for(p, 'peephole', 1, 0).n_weights}, "
                                  f"plain RNN {network_for(p, 'rnn', 1, 0).n_weights}")
    assert rows[0]["strings per trial"] == "2,000" and rows[0]["trials"] == "2" and rows[0]["forget-gate bias"] == "10"
    assert rows[1]["weights"].startswith("peephole LSTM ") and "squared error" in rows[1]["settings"]


def test_results_rows_format_each_summary():
    s = summary("anbn", "peephole", 150.0, 1000, diverged=1, seq_median=3500.0, up_to_at_solution_median=40.0,
                up_to=[0, 150, 1000], reach_max=1)
    row, = chapter.results_rows([s], PROTOCOLS)
    assert row["architecture"] == "peephole LSTM" and row["learned n ≤ 10"] == "5/10 (1 diverged)"
    assert row["strings to learn (median)"] == "3,500" and row["generalises to, when learned (median)"] == "40"
    assert row["at the end: median"] == "150" and row["[min, max]"] == "[0, 1000]"
    assert row["reach n = 1,000"] == "1/10" and row["generalises 10× (claim)"] == "reproduced"
    plain, = chapter.results_rows([summary("anbn", "rnn", 1.0, 3)], PROTOCOLS)
    assert plain["learned n ≤ 10"] == "5/10" and plain["strings to learn (median)"] == "–"
    assert plain["generalises to, when learned (median)"] == "–"


def test_rule_comparison_puts_the_main_run_first():
    main = [summary("anbn", "rnn", 1, 2), summary("anbn", "peephole", 3, 4)]
    rules = [summary("anbn_sgd_ce", "peephole", 5, 6)]
    assert chapter.rule_comparison(main, rules) == [main[1], rules[0]]
    assert chapter.rule_comparison(main[:1], rules) == rules
    assert chapter.rule_comparison(main, []) == []


# ---------------------------------------------------------------- sentences

def test_plan_text_estimates_from_the_jobs_cost():
    p = PROTOCOLS["anbn"]  # mean training string: n = 5.5, 12 steps
    jobs = [LanguageJob(p, "peephole", 10, 1_000_000), LanguageJob(p, "rnn", 10, 1_000_000)]
    assert jobs[0].cost() == 10 * 1_000_000 * 12
    assert chapter.plan_text(jobs, 2) == ("2 jobs, 20 trials; expected training time: about 1.0 minutes on "
                                          "2 worker(s), plus the scans")


def test_language_sentence_reports_each_architecture_in_order():
    main = [summary("anbn", "rnn", 1.0, 14, solved=10, reach_max=0),
            summary("anbn", "peephole", 1000.0, 1000, solved=9, train_accepted=8, reach_max=7)]
    text = chapter.language_sentence("anbn", main, PROTOCOLS)
    assert text == ("peephole LSTM: 9/10 learned the training set (8 still accept it at the end); generalisation "
                    "median 1000, best 1,000, 7 of 10 trials to n = 1,000; plain RNN: 10/10 learned the training "
                    "set (10 still accept it at the end); generalisation median 1, best 14, 0 of 10 trials to "
                    "n = 1,000.")
    assert chapter.language_sentence("anbncn", main, {"anbn": PROTOCOLS["anbn"]}) == "(anbncn was not run.)"


def test_wall_greff_peephole_and_rules_texts():
    assert chapter.wall_text(150.0, 2) == "2.5 minutes on 2 worker(s)"
    greff = [summary("anbn", "nig", 5.0, 9), summary("anbn", "greff_v", 300.0, 1000), summary("anbn", "np", 20.0, 64)]
    assert chapter.greff_text(greff) == "Median generalisation, best first: V (Greff) 300, NP 20, NIG 5."
    assert chapter.greff_text([]) == "(The Greff et al. variants were not run.)"
    assert chapter.peephole_text(greff) == ("Removing only the peepholes from Greff's cell (NP) changes the median "
                                            "generalisation on aⁿbⁿ from 300 (V) to 20, and the best from 1,000 to 64.")
    assert chapter.peephole_text(greff[:2]).startswith("(The peephole comparison needs")
    protocols = {"anbn": PROTOCOLS["anbn"], **learning_rule_variants(PROTOCOLS["anbn"])}
    rules = [summary("anbn", "peephole", 1000.0, 1000), summary("anbn_sgd_ce", "peephole", 12.5, 2000)]
    assert chapter.rules_text(rules, protocols) == ("Median generalisation of the peephole LSTM on aⁿbⁿ: Adam lr "
                                                    "0.01, cross-entropy: 1000 (best 1,000); SGD lr 0.05, "
                                                    "cross-entropy: 12.5 (best 2,000).")
    assert chapter.rules_text([], protocols) == "(The learning-rule comparison was not run.)"


def test_rescan_text_rescans_the_recorded_weights_and_raises_on_disagreement(trained):
    _, records, protocols = trained
    text = chapter.rescan_text(records, protocols)
    assert text.startswith("Rescanning the 2 trained peephole LSTMs on aⁿbⁿ from their recorded weights, to n = 30, ")
    assert text.endswith("and gave the same ranges as the run.")
    lang = protocols["anbn"].language
    steps = sum(lang.length(n) for t in records[0]["trials"] for n in range(1, min(t["up_to"] + 1, 30) + 1))
    assert f"({steps / 1e6:.1f} million accepted string steps in all)" in text
    tampered = {**records[0], "trials": [{**t, "up_to": t["up_to"] + 1} for t in records[0]["trials"]]}
    with pytest.raises(RuntimeError, match="disagrees"):
        chapter.rescan_text([tampered], protocols)
    assert chapter.rescan_text(records[1:], protocols) == "(No aⁿbⁿ run to time.)"


# ---------------------------------------------------------------- the counting trace

def test_best_trial_prefers_reach_then_the_earliest_solution():
    r = record("anbn", "peephole", [trial(0, 50, 9000), trial(1, 80), trial(2, 80, 4000), trial(3, 80, 6000)])
    assert chapter.best_trial(r)["trial"] == 2
    r = record("anbn", "peephole", [trial(0, 80), trial(1, 80, 6000)])
    assert chapter.best_trial(r)["trial"] == 1  # a trial that never learned the training set counts as last
    with pytest.raises(ValueError, match="no trials"):
        chapter.best_trial(record("anbn", "peephole", []))


def test_best_trace_picks_the_count_to_show():
    recs = [record("anbn", "peephole", [trial(0, 5), trial(1, 3)]),
            record("anbncn", "peephole", [trial(0, 500, 1000)]), record("anbn", "rnn", [trial(0, 900)])]
    a = chapter.best_trace(recs, PROTOCOLS, "anbn")
    assert (a["trial"]["trial"], a["n"], a["record"] is recs[0], a["key"]) == (0, 10, True, "anbn")  # at least 10
    assert chapter.best_trace(recs, PROTOCOLS, "anbncn")["n"] == 40  # at most 40 for aⁿbⁿcⁿ
    recs[0]["trials"][0]["up_to"] = 700
    assert chapter.best_trace(recs, PROTOCOLS, "anbn")["n"] == 100  # at most 100 for aⁿbⁿ
    assert chapter.best_trace(recs[1:], PROTOCOLS, "anbn") is None  # no peephole LSTM on aⁿbⁿ


def test_state_changes_are_mean_increments_per_symbol():
    states = [[1.0, 0.0], [2.0, 0.5], [1.5, 0.5], [0.5, 1.5]]
    read = [0, 1, 2, 2]  # S a b b
    assert chapter.state_changes(states, read, ("S", "a", "b", "c")) == [{"a": 1.0, "b": -0.75}, {"a": 0.5, "b": 0.5}]
    with pytest.raises(ValueError, match="states"):
        chapter.state_changes([1.0, 2.0], [0, 1], ("S", "a"))
    with pytest.raises(ValueError, match="states"):
        chapter.state_changes(states, [0, 1], ("S", "a"))


def test_counting_summary_reads_the_trace_of_one_string():
    p = PROTOCOLS["anbncn"]
    net = network_for(p, "peephole", 1, 3)
    summary_ = chapter.counting_summary(net, p.language, 4)
    x, _, lengths = p.language.encode(np.array([4]))
    states = net.trace(x[None], lengths[None])["states"][0, 0, :13]
    assert summary_["final"] == states[-1].tolist() and len(summary_["changes"]) == 2
    for c in range(2):
        assert summary_["changes"][c]["a"] == pytest.approx(np.diff(states[:5, c]).mean())
        assert set(summary_["changes"][c]) == {"a", "b", "c"}


def test_trace_text_states_the_trial_count_and_changes(trained):
    _, records, protocols = trained
    shown = chapter.best_trace(records, protocols, "anbn")
    text = chapter.trace_text(shown, "anbn")
    net = network_from_record(protocols["anbn"], shown["record"], shown["trial"]["trial"])
    counts = chapter.counting_summary(net, protocols["anbn"].language, shown["n"])
    assert text.startswith(f"On aⁿbⁿ (trial {shown['trial']['trial']}, n = {shown['n']}), cell 0 changes by "
                           f"{counts['changes'][0]['a']:+.3f} per a, {counts['changes'][0]['b']:+.3f} per b")
    assert text.endswith(f"the state ends at {counts['final'][0]:+.3f}).")
    assert chapter.trace_text(None, "anbn") == "(The peephole LSTM was not run on anbn.)"


# ---------------------------------------------------------------- figures

def test_captions_add_a_trace_caption_per_language_run(trained):
    _, records, protocols = trained
    caps = figures.captions(records, protocols)
    assert set(caps) == set(figures.CAPTIONS) | {"languages_trace_anbn", "languages_trace_anbncn"}
    shown = chapter.best_trace(records, protocols, "anbncn")
    assert caps["languages_trace_anbncn"].startswith(
        f"How the best peephole LSTM trial on aⁿbⁿcⁿ (trial {shown['trial']['trial']}, which accepts every "
        f"n ≤ {shown['trial']['up_to']:,}) reads the string with n = {shown['n']}:")
    assert set(figures.captions(records[1:2], protocols)) == set(figures.CAPTIONS)


def test_figures_return_their_data(trained):
    _, records, protocols = trained
    fig, data = figures.plot_sequences_to_solution(records, protocols)
    trials = [t for r in records for t in r["trials"]]
    assert data["x"] == [t["sequences"] if t["status"] == "solved" else t["sequences_seen"] for t in trials]
    assert data["arch"] == [r["arch"] for r in records for _ in r["trials"]]
    plt.close(fig)
    fig, data = figures.plot_generalisation(records, protocols)
    assert data["x"] == [t["up_to"] + 1 for t in trials] and len(fig.axes) == 2
    plt.close(fig)
    shown = chapter.best_trace(records, protocols, "anbncn")
    fig, data = figures.plot_trace(shown)
    length = protocols["anbncn"].language.length(shown["n"])
    assert {len(v) for v in data.values()} == {length} and {"state_cell0", "state_cell1", "output_T"} <= set(data)
    assert data["read"][:2] == ["S", "a"]
    plt.close(fig)


# ---------------------------------------------------------------- against the paper's explanation

def test_contrast_text_sets_the_1997_lstm_beside_the_peephole_lstm_in_both_runs():
    here = [summary("anbncn", "vanilla", 29.5, 241), summary("anbncn", "peephole", 17.0, 148)]
    there = [summary("anbncn", "vanilla", 14.0, 89, trials=30), summary("anbncn", "peephole", 53.5, 1000, trials=30)]
    text = chapter.contrast_text(here, there, "run B")
    assert text == ("On aⁿbⁿcⁿ, in this build (10 trials each) the 1997 LSTM generalises further than the peephole "
                    "LSTM: all n ≤ N accepted up to N = 29.5 (best 241) against 17 (best 148); in run B (30 trials "
                    "each) the 1997 LSTM generalises less far than the peephole LSTM: all n ≤ N accepted up to N = "
                    "14 (best 89) against 53.5 (best 1,000).")
    assert chapter.contrast_text(here) == text.split(";")[0] + "."  # without a second run: this build alone
    assert chapter.contrast_text([]) == "(The 1997 LSTM and the peephole LSTM did not both run on aⁿbⁿcⁿ.)"


def test_gates_text_groups_the_cells_by_forget_gate_and_peepholes():
    pool = [summary("anbn", "vanilla", 869.0, 1000), summary("anbn", "nfg", 999.5, 1000),
            summary("anbn", "forget", 21.5, 908), summary("anbn", "np", 16.0, 20),
            summary("anbn", "peephole", 1000.0, 1000)]
    assert chapter.gates_text(pool) == (
        "Median generalisation on aⁿbⁿ by the cell's parts: no forget gate, no peepholes: LSTM 1997 869 (best 1,000); "
        "no forget gate, peepholes: NFG 999.5 (best 1,000); forget gate, no peepholes: forget-gate LSTM 21.5 "
        "(best 908), NP 16 (best 20); forget gate and peepholes: peephole LSTM 1000 (best 1,000).")
    assert chapter.gates_text([]) == "(No LSTM ran on aⁿbⁿ.)"


def test_compared_run_reads_a_results_folder_or_refuses_it(tmp_path):
    from lstmlib.study.results import write_results
    rec = record("anbn", "peephole", [trial(0, 50, sequences=1000, up_to_at_solution=50), trial(1, 30)])
    write_results(tmp_path, "languages", parameters={"scale": "full"}, records=[rec], summary={}, seed=0,
                  wall_time=1.0)
    name, summaries = chapter.compared_run(tmp_path)
    assert name.startswith(f"the reference run {tmp_path.name} (scale 'full', commit ")
    assert summaries[0]["up_to_median"] == 40.0
    assert chapter.compared_run(None) == (None, None)
    with pytest.raises(ValueError, match="no languages results file"):
        chapter.compared_run(tmp_path / "missing")
