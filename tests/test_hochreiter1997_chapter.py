"""The noisy-recall chapter's library side: tables, sentences, the best trial and its trace statistics,
the weight-growth series and the figures, on small hand-made records, summaries and untrained nets."""

import numpy as np
import re

import pytest

from lstmlib.papers import hochreiter1997 as hs97
from lstmlib.papers.hochreiter1997 import chapter, figures

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ADDING = hs97.PROTOCOLS["4_T100"]


def summary(protocol="4_T100", arch="vanilla", solved=10, trials=10, **changes):
    """A hand-made :func:`summarise` result; ``changes`` override its fields."""
    s = {"job": f"{protocol}/{arch}", "protocol": protocol, "arch": arch, "n_weights": 93, "trials": trials,
         "budget": 300_000, "solved": solved, "diverged": 0, "seq_mean": 100_000.0, "seq_median": 90_000.0,
         "seq_min": 50_000, "seq_max": 200_000, "st1_mean": None, "st1_reached": 0, "test_n": 2560,
         "wrong_mean": 1.5, "wrong_max": 4, "wrong_mean_solved": 1.25, "wrong_max_solved": 3,
         "mean_abs_error": 0.0123, "wrong_median": 1.0, "mae_median": 0.012}
    if not solved:
        s.update(seq_mean=None, seq_median=None, seq_min=None, seq_max=None, wrong_mean_solved=None,
                 wrong_max_solved=None, wrong_mean=2180.4, wrong_median=2180.0, mae_median=0.2)
    return {**s, **changes}


class FakeJob:
    def __init__(self, trials, cost):
        self.trials, self._cost = trials, cost

    def cost(self):
        return self._cost


# ---------------------------------------------------------------- the run

def test_plan_text_counts_jobs_trials_and_the_worst_case_hours():
    text = hs97.plan_text([FakeJob(10, 7.2e9), FakeJob(4, 7.2e9)], workers=2)
    # 1.44e10 trial-steps x 0.25 us / 2 workers = 1800 s = 0.5 h
    assert text.splitlines() == ["2 jobs, 14 trials",
                                 "worst case, every trial running to its budget: about 0.5 hours on 2 worker(s)"]


def test_trained_protocols_are_the_training_jobs_rows_and_the_ablations():
    jobs, protocols = hs97.jobs_for("tiny", output_ablation=True, lag_diagnostic=True)
    trained = hs97.trained_protocols(jobs)
    assert list(trained) == ["3a_T20_N3", "4_T20", "4_T20_logistic"]  # not the weight-growth runs' 4_T40
    assert all(trained[k] is p for k, p in protocols.items())
    assert trained["4_T20_logistic"].output == "logistic"


def test_split_records_and_table_records_keep_the_order():
    a, b, g1, c, g2 = ({"protocol": "4_T100"}, {"protocol": "4_T100_logistic"}, {"protocol": "4_T100", "growth": {}},
                       {"protocol": "3a_T100_N3"}, {"protocol": "4_T200", "growth": {}})
    training, growth = hs97.split_records([a, b, g1, c, g2])
    assert training == [a, b, c] and growth == [g1, g2]
    assert hs97.table_records(training) == [a, c]


def test_wall_text():
    assert hs97.wall_text(90, 2) == "1.5 minutes on 2 worker processes"


# ---------------------------------------------------------------- tables

def test_bias_and_paper_cells():
    assert hs97.bias_text(None) == "random" and hs97.bias_text((-1.0, -3.0, -5.0)) == "-1, -3, -5"
    assert hs97.paper_cell({}) == "–"
    assert hs97.paper_cell(ADDING.paper) == "74,000 seq., 1 wrong (verified)"
    assert hs97.paper_cell(hs97.PROTOCOLS["3a_T100_N3"].paper) == "39,850 seq., 0.499 wrong (verified)"


def test_protocol_rows_list_the_weights_of_the_architectures_that_train_on_each_row():
    jobs, protocols = hs97.jobs_for("tiny", architectures="rnn,vanilla", lag_diagnostic=True, output_ablation=True)
    rows = hs97.protocol_rows(protocols, jobs)
    assert [r["row"] for r in rows] == ["3a_T20_N3", "4_T20"]
    adding = rows[1]
    assert adding["weights"] == "plain RNN 97, LSTM 1997 93"  # the 1997 numbers (8 RNN units: 97 >= 93)
    assert (adding["blocks × cells"], adding["in-gate bias"], adding["out-gate bias"]) == ("2 × 2", "-3, -6", "random")
    assert adding["lr"] == "0.5" and adding["forget bias"] == "5" and adding["paper"] == "–"  # T = 20: no paper row
    # a weight-growth run of the 1997 LSTM adds no architecture to a row it does not train
    jobs, protocols = hs97.jobs_for("tiny", architectures="rnn", lag_diagnostic=True)
    assert hs97.protocol_rows(protocols, jobs)[1]["weights"] == "plain RNN 97"


def test_results_rows_format_the_summary():
    protocols = {"4_T100": ADDING, "4_T100_logistic": ADDING.replace(key="4_T100_logistic", paper={})}
    rows = hs97.results_rows([summary(diverged=2), summary("4_T100_logistic", solved=0)], protocols)
    r = rows[0]
    assert (r["row"], r["architecture"], r["weights"], r["solved"]) == ("4_T100", "LSTM 1997", 93, "10/10 (2 diverged)")
    assert (r["sequences: mean"], r["median [min, max]"]) == ("100,000", "90,000 [50,000, 200,000]")
    assert (r["ST1 (mean)"], r["wrong of 2560: mean (max)"], r["mean |error|"]) == ("–", "1.5 (4)", "0.0123")
    assert (r["paper (LSTM 1997)"], r["budget"]) == ("74,000 seq., 1 wrong (verified)", "300,000")
    assert (rows[1]["solved"], rows[1]["median [min, max]"], rows[1]["paper (LSTM 1997)"]) == ("0/10", "–", "–")
    # the chance level beside them: a constant near 0.5 gets about 5 in 6 adding sequences wrong
    constant, wrong, error = re.fullmatch(r"y = ([0-9.]+): ([0-9,]+) wrong, \|error\| ([0-9.]+)",
                                          r["best constant output"]).groups()
    assert abs(float(constant) - 0.5) < 0.05 and 2000 < int(wrong.replace(",", "")) < 2300 and float(error) > 0.1
    with pytest.raises(KeyError):
        hs97.results_rows([summary("3a_T100_N3")], protocols)


def test_tables_as_html():
    html = hs97.table_html([{"row": "4_T100", "lr": "0.5"}])
    assert "<th>row</th><th>lr</th>" in html and "<td>4_T100</td><td>0.5</td>" in html
    with pytest.raises(ValueError, match="at least one row"):
        hs97.table_html([])
    score = hs97.scorecard_html([{"experiment": "e", "paper": "p", "ours": "o", "verdict": "v", "scale": "s"}])
    assert "<th>verdict</th>" in score and "<td>s</td>" not in score


def test_scale_label():
    assert hs97.scale_label("default", None, None, None, None, None) == "default"
    assert hs97.scale_label("default", None, 500, None, None, None) == "default (custom)"
    assert hs97.scale_label("paper", ["4"]) == "paper (custom)"


def test_scorecard_rows_one_per_row_and_architecture_run_then_every_row_not_run():
    protocols = {"4_T100": ADDING}
    summaries = [summary(), summary(arch="rnn", solved=0), summary(arch="peephole", solved=0, wrong_median=900.0),
                 summary("4_T100_logistic")]
    rows = hs97.scorecard_rows(summaries, protocols, "default")
    assert len(rows) == len(hs97.PROTOCOLS) + 2  # the ablation has no row
    assert rows[0]["experiment"] == ADDING.title and rows[0]["scale"] == "default: 10 trials"
    assert rows[0]["chapter"] == "noisy_recall" and rows[0]["verdict"] == "reproduced"
    assert rows[0]["ours"] == "10/10 solved, mean 100,000 sequences, 1.25 wrong of 2560 (mean over solved)"
    assert rows[0]["paper"] == hs97.chapter.paper_text(ADDING)
    # the paper trained only its own LSTM: the others' rows are ours alone, the paper's number beside them
    rnn, peephole = rows[1], rows[2]
    assert (rnn["model"], rnn["verdict"]) == ("plain RNN", hs97.chapter.NOT_IN_PAPER)
    assert rnn["paper"] == "LSTM 1997: " + hs97.chapter.paper_text(ADDING)
    assert hs97.chapter.baseline(ADDING)["wrong"] == 2168  # the median trial's 2,180 wrong: no better
    assert rnn["ours"] == "0/10 solved, 2,180 wrong of 2560 at the budget (mean); best constant output 2,168 wrong " \
        "(at chance)"
    assert peephole["model"] == "peephole LSTM" and not peephole["ours"].endswith("(at chance)")  # beats the constant
    assert hs97.chapter.NOT_IN_PAPER in hs97.chapter.VERDICTS
    assert all(r["verdict"] == "not run" for r in rows[3:])
    assert [r["experiment"] for r in rows[3:]] == [p.title for k, p in hs97.PROTOCOLS.items() if k != "4_T100"]
    assert "-p experiments '[\"4_T500\"]'" in next(r["ours"] for r in rows if r["experiment"].endswith("T = 500"))


# ---------------------------------------------------------------- sentences

def test_family_keys_and_find_summary():
    keys = hs97.family_keys({"3a_T100_N3": None, "3b_T100_N3": None, "4_T100": None, "4_T500": None})
    assert keys == {"adding": "4_T100", "two": "3a_T100_N3", "noisy": "3b_T100_N3", "real": None, "mult": None}
    s = [summary(), summary(arch="rnn")]
    assert hs97.find_summary(s, "4_T100", "rnn") is s[1] and hs97.find_summary(s, "4_T500", "rnn") is None


def test_the_lstm_sentence_carries_the_summary_numbers():
    text = hs97.lstm_sentence([summary()], {"4_T100": ADDING}, "4_T100")
    assert text == ("LSTM 1997 met the stopping rule in 10 of 10 trials, after a mean of 100,000 sequences "
                    "(range 50,000–200,000), 1.35 times the paper's 74,000; solved trials got 1.2 of 2560 test "
                    "sequences wrong on average (at most 3).")
    unsolved = hs97.lstm_sentence([summary(solved=0)], {"4_T100": ADDING}, "4_T100")
    assert unsolved == ("LSTM 1997 met the stopping rule in 0 of 10 trials within 300,000 sequences; at the end it "
                        "got 2180 of 2560 test sequences wrong on average.")
    no_paper = hs97.lstm_sentence([summary("x")], {"x": ADDING.replace(paper={})}, "x")
    assert "times the paper's" not in no_paper and "mean of 100,000" in no_paper
    assert hs97.lstm_sentence([], {}, "4_T100", "rnn") == "(4_T100 with plain RNN was not run at this scale.)"


def test_the_other_architectures_sentence():
    s = [summary(), summary(arch="peephole", seq_mean=80_000.0), summary(arch="rnn", solved=0)]
    assert hs97.others_sentence(s, "4_T100") == ("Solved trials, other architectures: plain RNN 0/10 (at the "
                                                 "budget: 2180 wrong of 2560); peephole LSTM 10/10 (mean 80,000).")
    assert hs97.others_sentence([summary()], "4_T100") == "Solved trials, other architectures: none run."


def test_the_ablation_sentence():
    protocols = {"4_T100_logistic": ADDING.replace(key="4_T100_logistic", paper={})}
    text = hs97.ablation_sentence([summary("4_T100_logistic", solved=0)], protocols, "4_T100")
    assert text.startswith("With a logistic output unit, the 1997 LSTM met the stopping rule in 0 of 10 trials")
    assert hs97.ablation_sentence([], protocols, None) == "(The output-unit comparison was not run.)"


def test_the_rnn_sentence_sums_over_rows():
    s = [summary(arch="rnn", solved=1, diverged=2), summary("3a_T100_N3", arch="rnn", solved=3), summary()]
    assert hs97.rnn_sentence(s) == ("Across all 2 rows, the plain RNN met the stopping rule in 4 of 20 trials and "
                                    "diverged in 2.")
    assert hs97.rnn_sentence(s[1:]) == "Across all 1 rows, the plain RNN met the stopping rule in 3 of 10 trials."
    assert hs97.rnn_sentence([summary()]) == "(The plain RNN was not run.)"


def test_sentences_glue_every_family_and_say_how_to_run_the_missing_ones():
    protocols = {"4_T100": ADDING}
    all_protocols = {**protocols, "4_T100_logistic": ADDING.replace(key="4_T100_logistic", paper={})}
    summaries = [summary(), summary(arch="rnn", solved=0), summary("4_T100_logistic", solved=0)]
    out = hs97.sentences(summaries, protocols, all_protocols, output_ablation=True)
    assert set(out) == {f"nr_{n}_{part}" for n in hs97.FAMILY_TEXT for part in ("title", "lstm", "others")} \
        | {"nr_ablation", "nr_rnn", "nr_two_unsolved", "nr_two_forget", "nr_adding_speed", "nr_constant"}
    assert out["nr_two_unsolved"] == "(Exp. 3a was not run.)" and out["nr_two_forget"] == ""
    assert out["nr_adding_speed"].startswith("(The 1997 LSTM, or every other LSTM, solved no adding trial")
    assert re.fullmatch(r"on Exp\. 4 \(adding\), T = 100 the best constant output \(0\.[45]\d*\) gets 8\d% of the "
                        r"test sequences wrong", out["nr_constant"])
    assert out["nr_adding_title"] == ADDING.title
    assert out["nr_adding_lstm"] == hs97.lstm_sentence(summaries, all_protocols, "4_T100")
    assert out["nr_real_title"] == "Exp. 3c (noisy real-valued targets)" and out["nr_real_others"] == ""
    assert out["nr_real_lstm"].endswith("rerun the chapter with -p experiments 3c, or -p scale paper.")
    assert out["nr_ablation"].startswith("With a logistic output unit, the 1997 LSTM met the stopping rule in 0 of 10")
    assert out["nr_rnn"] == "Across all 1 rows, the plain RNN met the stopping rule in 0 of 10 trials."
    off = hs97.sentences(summaries, protocols, all_protocols, output_ablation=False)
    assert off["nr_ablation"] == "(The output-unit comparison was not run.)"


def test_unsolved_sentence_reads_the_unsolved_trials_against_the_constant_output():
    two = hs97.PROTOCOLS["3a_T100_N3"]
    protocols = {two.key: two}
    level = hs97.chapter.baseline(two)
    learning = summary(two.key, "peephole", solved=5, wrong_median=636.5, mae_median=0.17)
    text = hs97.chapter.unsolved_sentence([learning], protocols, two.key, "peephole")
    assert text == (f"Peephole LSTM left 5 of 10 trials of {two.title} unsolved; over all its trials the median final "
                    f"test got 636.5 of 2560 sequences wrong, better than the best constant output "
                    f"({level['wrong']:,} wrong).")
    stuck = summary(two.key, "peephole", solved=0, wrong_median=1300.0, mae_median=0.5, diverged=1)
    assert "(1 diverged)" in hs97.chapter.unsolved_sentence([stuck], protocols, two.key, "peephole")
    assert "no better than the best constant output" in hs97.chapter.unsolved_sentence([stuck], protocols, two.key,
                                                                                         "peephole")
    assert hs97.chapter.unsolved_sentence([summary(two.key, "peephole")], protocols, two.key, "peephole") == ""
    assert hs97.chapter.unsolved_sentence([], protocols, two.key, "peephole") == ""


def test_speed_sentence_divides_the_medians_by_the_1997_lstms():
    protocols = {"4_T100": ADDING}
    pool = [summary(seq_median=100_000.0), summary(arch="forget", seq_median=180_000.0),
            summary(arch="peephole", solved=0)]
    assert hs97.chapter.speed_sentence(pool, protocols, "4_T100") == (
        f"On {ADDING.title}, LSTM 1997 met the stopping rule after a median of 100,000 sequences (10/10 solved); "
        "forget-gate LSTM a median of 180,000 (10/10 solved), 1.8 times as many.")
    assert hs97.chapter.speed_sentence(pool[1:], protocols, "4_T100") == ""  # no 1997 LSTM to compare with
    assert hs97.chapter.speed_sentence([pool[0], pool[2]], protocols, "4_T100") == ""  # nothing else solved


# ---------------------------------------------------------------- how the 1997 LSTM adds

def trial(k, status, wrong, sequences=None, weights=None):
    return {"trial": k, "status": status, "test_wrong": wrong, "sequences": sequences, "weights": weights or {}}


def test_best_trial_prefers_solved_then_fewest_errors_then_fewest_sequences():
    record = {"job": "x", "trials": [trial(0, "budget", 0), trial(1, "solved", 3, 500), trial(2, "solved", 1, 900),
                                     trial(3, "solved", 1, 400), trial(4, "solved", 1, 400)]}
    assert hs97.best_trial(record)["trial"] == 3
    assert hs97.best_trial({"trials": [trial(0, "diverged", 2560), trial(1, "budget", 7)]})["trial"] == 1
    with pytest.raises(ValueError, match="no trials"):
        hs97.best_trial({"job": "x", "trials": []})


def adding_sequence(T=12, marks=(2, 5), values=(0.5, -0.25)):
    x = np.zeros((T + 3, 2))  # padded beyond the sequence's length
    x[:T, 0] = np.linspace(-0.9, 0.9, T)
    for m, v in zip(marks, values):
        x[m] = (v, 1.0)
    return x, T


def test_trace_summary_matches_a_hand_computation():
    net = hs97.network_for(ADDING, "vanilla", 1, seed=3)
    x, n = adding_sequence()
    st = hs97.trace_summary(net, x, n)
    tr = net.trace(x[None, None], np.array([[n]]))
    ig, s, og = tr["input_gate"][0, 0, :n], tr["states"][0, 0, :n], tr["output_gate"][0, 0, :n]
    assert st["marks"] == [2, 5] and st["values"] == [0.5, -0.25] and st["length"] == n
    assert st["gate_at_marks"] == [(ig[2, k] + ig[5, k]) / 2 for k in range(2)]
    assert st["gate_elsewhere"] == [max(ig[t, k] for t in range(n) if t not in (2, 5)) for k in range(2)]
    jump = [np.abs(s[t] - s[t - 1]).max() for t in range(1, n)]  # the step into t
    assert st["jump_at_mark"] == max(jump[1], jump[4])
    assert st["jump_elsewhere"] == max(j for t, j in enumerate(jump, 1) if t not in (2, 5))
    assert (st["output_gate_min"], st["output_gate_max"]) == (og.min(), og.max())
    assert st["answer"] == net.forward(x[None, None], np.array([[n]]))[0, 0, n - 1, 0]
    with pytest.raises(ValueError, match="two marked steps"):
        hs97.trace_summary(net, adding_sequence(marks=(2,), values=(0.5,))[0], n)


def adding_record(key="4_T100"):
    """Two untrained 1997 LSTM trials as a record; trial 1 is the better one."""
    net = hs97.network_for(hs97.PROTOCOLS[key], "vanilla", 2, seed=5)
    weights = [{name: v[k].tolist() for name, v in net.named_parameters().items()} for k in range(2)]
    return {"job": f"{key}/vanilla", "protocol": key, "arch": "vanilla",
            "trials": [trial(0, "budget", 9, None, weights[0]), trial(1, "solved", 2, 800, weights[1])]}, net


def test_adding_trace_rebuilds_the_best_trial_on_the_seeds_first_sequence():
    record, net = adding_record()
    protocols = {"3a_T100_N3": hs97.PROTOCOLS["3a_T100_N3"], "4_T100": ADDING}
    trace = hs97.adding_trace([{"protocol": "3a_T100_N3", "arch": "vanilla"}, record], protocols, seed=7)
    assert trace.key == "4_T100" and trace.title == ADDING.title and trace.trial["trial"] == 1
    np.testing.assert_array_equal(trace.net["cell.x"][0], net["cell.x"][1])
    b = ADDING.task.draw(np.random.default_rng(7), 1, 1)
    assert trace.length == b.lengths[0, 0] and trace.target[0] == b.target[0, 0, 0]
    np.testing.assert_array_equal(trace.x, b.x[0, 0])
    assert trace.stats == hs97.trace_summary(trace.net, trace.x, trace.length)
    assert hs97.adding_trace([record], {"3a_T100_N3": hs97.PROTOCOLS["3a_T100_N3"]}, 7) is None  # no adding row
    assert hs97.adding_trace([{**record, "arch": "rnn"}], protocols, 7) is None  # no 1997 LSTM on it


def test_trace_text_reads_its_numbers_from_the_summary():
    net = hs97.network_for(ADDING, "vanilla", 1, seed=3)
    x, n = adding_sequence()
    stats = {"length": n, "marks": [2, 5], "values": [0.5, -0.25], "answer": 0.2512, "gate_at_marks": [0.61, 0.3],
             "gate_elsewhere": [0.0123, 0.0046], "jump_at_mark": 0.4, "jump_elsewhere": 0.0021,
             "output_gate_min": 0.114, "output_gate_max": 0.9}
    trace = hs97.AddingTrace("4_T100", "t", {"trial": 1}, net, x, n, np.array([0.25]), stats)
    assert hs97.trace_text(trace) == (
        "In this sequence the marks sit at steps 2 and 5 (values +0.500 and -0.250); the target is 0.250 and the "
        "network answers 0.251 after 12 steps. Input gates (activation): block 0: 0.61 at the marks, 0.012 at most "
        "elsewhere; block 1: 0.30 at the marks, 0.005 at most elsewhere. The largest one-step change of any cell "
        "state is 0.400 at a mark and 0.002 elsewhere; the output gates stay between 0.11 and 0.90.")
    assert hs97.trace_text(None) == "The adding problem or the 1997 LSTM was not run, so there is no trace."


# ---------------------------------------------------------------- longer lags

def growth_record(T, seen=(0, 100, 200), trials=3, budget=200, scale=1.0):
    """A weight-growth record with hand-made weights [points, trials, ...] that grow with the point."""
    p, k = len(seen), np.arange(trials)
    grow = scale * np.arange(1, p + 1)[:, None] * (1 + k)[None, :]  # [points, trials]
    growth = {"seen": np.array(seen), "loss": np.zeros((p, trials)),
              "output.cells": -grow[..., None, None] * np.ones((1, 1, 1, 4)),  # [points, trials, outputs, cells]
              "cell.x": np.stack([grow, 100 * grow], -1)[:, :, None, :] * np.ones((1, 1, 4, 1)),  # [.., cells, inputs]
              "input_gate.x": np.stack([100 * grow, -2 * grow], -1)[:, :, None, :] * np.ones((1, 1, 2, 1))}
    return {"job": f"4_T{T}/vanilla/weight_growth", "T": T, "budget": budget,
            "trials": [{"trial": i, "status": "budget"} for i in range(trials)], "growth": growth}


def test_growth_series_pick_the_largest_weight_of_each_kind():
    r = growth_record(100)
    s = hs97.growth_series(r["growth"])
    grow = np.arange(1, 4)[:, None] * np.arange(1, 4)[None, :]
    np.testing.assert_array_equal(s["cell_to_output"], grow)
    np.testing.assert_array_equal(s["value_to_cell"], grow)  # input 0 only, not the marker's 100x
    np.testing.assert_array_equal(s["marker_to_input_gate"], 2 * grow)  # input 1 only
    assert s["cell_to_output"].shape == (3, 3)


def test_lag_text_gives_the_final_medians_per_length():
    records = [growth_record(100), growth_record(200, scale=0.001)]
    # final point: 3 x (1, 2, 3) per trial, median 6; marker -> gate twice that
    assert hs97.lag_text(records) == ("After 200 sequences the median largest weights (cell → output, value → cell "
                                      "input, marker → input gate) are: T = 100: 6, 6 and 12; T = 200: 0.006, "
                                      "0.006 and 0.012.")
    assert hs97.lag_text([]) == "(The weight-growth comparison was not run.)"


# ---------------------------------------------------------------- figures

def test_captions_name_every_figure_of_the_text():
    assert set(hs97.CAPTIONS) == {"noisy_recall_examples", "noisy_recall_sequences", "noisy_recall_curves",
                                  "noisy_recall_test_errors"}
    trace = hs97.AddingTrace("4_T100", "t", {"trial": 4, "test_wrong": 0}, None, None, 142, None)
    assert hs97.trace_caption(trace).startswith("How a trained 1997 LSTM adds: trial 4 of 4_T100 (the trial with "
                                                "the fewest test errors, 0 of 2560) on one test sequence of 142 steps.")
    caption = hs97.lag_caption([growth_record(100), growth_record(500)])
    assert caption.startswith("The 1997 LSTM on the adding problem at T = 100, 500:") and "over 3 trials" in caption


def test_plot_examples_draws_one_sequence_of_each_task():
    fig, data = hs97.plot_examples(seed=0)
    plt.close(fig)
    assert len({len(v) for v in data.values()}) == 1
    tasks = list(dict.fromkeys(data["task"]))
    assert tasks == ["2-sequence (3a), class 1", "2-sequence (3b), class 1", "adding (Exp. 4)",
                     "multiplication (Exp. 5)"]
    for name in tasks:
        rows = [i for i, t in enumerate(data["task"]) if t == name]
        target = {data["target"][i] for i in rows}
        assert len(target) == 1 and data["t"][rows[0]] == 0 and len(rows) >= 100
        markers = np.array([data["marker"][i] for i in rows])
        if name.startswith("2-sequence"):
            assert np.isnan(markers).all() and target == {1.0}  # class 1
        else:
            assert (markers == 1.0).sum() == 2
    again = hs97.plot_examples(seed=0)
    plt.close(again[0])
    assert again[1]["value"] == data["value"]  # the seed fixes the sequences


def test_plot_weight_growth_columns():
    records = [growth_record(100), growth_record(200)]
    fig, data = hs97.plot_weight_growth(records)
    assert [ax.get_title() for ax in fig.axes] == list(figures.GROWTH_TITLES.values())
    assert fig.axes[0].get_ylabel() == "median over 3 trials"
    plt.close(fig)
    assert {len(v) for v in data.values()} == {2 * 3 * 3}  # lengths x points x trials
    assert data["T"][:9] == [100] * 9 and data["trial"][:3] == [0, 1, 2]
    s = hs97.growth_series(records[1]["growth"])
    assert data["marker_to_input_gate"][-1] == s["marker_to_input_gate"][-1, -1]


def test_plot_adding_trace_one_row_per_step():
    record, _ = adding_record()
    trace = hs97.adding_trace([record], {"4_T100": ADDING}, seed=1)
    fig, data = hs97.plot_adding_trace(trace)
    plt.close(fig)
    assert list(data["t"]) == list(range(trace.length)) and "marker" in data and "input_gate_block1" in data


def test_the_chapter_module_holds_no_figures():
    assert not [n for n in vars(chapter) if n.startswith("plot_")]


def test_paper_ratios_divide_each_solved_trial_by_the_papers_mean():
    from lstmlib.papers.hochreiter1997.protocols import PROTOCOLS
    paper = PROTOCOLS["4_T100"].paper["sequences"]
    trials = [{"status": "solved", "sequences": paper}, {"status": "solved", "sequences": 2 * paper},
              {"status": "budget", "sequences": None}]
    records = [{"protocol": "4_T100", "arch": "vanilla", "trials": trials},
               {"protocol": "4_T100", "arch": "peephole", "trials": trials},        # not the paper's model
               {"protocol": "4_T100_logistic", "arch": "vanilla", "trials": trials},  # no published row
               {"protocol": "3a_T20_N3", "arch": "vanilla", "trials": trials}]      # no published number
    (item,) = chapter.paper_ratios(records, run="ref")
    assert item["ratios"] == [1.0, 2.0] and item["unsolved"] == 1 and item["trials"] == 3 and item["run"] == "ref"
    assert item["experiment"] == PROTOCOLS["4_T100"].title


def test_paper_ratio_figure_has_one_line_per_item_and_one_csv_row_per_trial():
    items = [{"experiment": "E1", "run": "this build", "ratios": [0.2, 0.3], "unsolved": 0, "trials": 2},
             {"experiment": "E2", "run": "ref", "ratios": [], "unsolved": 2, "trials": 2}]
    fig, data = figures.plot_paper_ratios(items)
    assert data == {"experiment": ["E1", "E1"], "run": ["this build", "this build"], "trial_ratio": [0.2, 0.3]}
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["E1\nthis build", "E2\nref"]
    assert set(figures.SUMMARY_CAPTIONS) == {"scorecard_ratios"}
    fig, data = figures.plot_paper_ratios([])  # nothing to show: says so instead of failing the page
    assert data["trial_ratio"] == [] and "no row" in fig.axes[0].texts[0].get_text()


def test_paper_ratio_items_read_this_build_and_the_reference_runs_in_table_order(tmp_path):
    from lstmlib import papers
    from lstmlib.study.results import write_results
    trials = [{"status": "solved", "sequences": 1000}]
    for folder, keys in (("build", ["4_T100", "3a_T100_N3"]), ("refs/run_a", ["5_T100_n13"])):
        (tmp_path / folder).mkdir(parents=True)
        write_results(tmp_path / folder, "noisy_recall", parameters={}, seed=0, wall_time=1.0, summary={},
                      records=[{"protocol": k, "arch": "vanilla", "trials": trials} for k in keys])
    items = papers.paper_ratio_items(tmp_path / "build", tmp_path / "refs")
    assert [(i["protocol"], i["run"]) for i in items] == [("3a_T100_N3", "this build"), ("4_T100", "this build"),
                                                          ("5_T100_n13", "run_a")]
