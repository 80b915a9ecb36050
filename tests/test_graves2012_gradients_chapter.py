"""The gradients chapter's library (lstmlib.papers.graves2012.gradients): jobs at the tiny scale, summaries,
verdicts, sentences and scorecard rows."""

import numpy as np
import pytest

from lstmlib.papers.graves2012 import gradients as G
from lstmlib.study.jobs import run_jobs


def test_bad_parameters_fail_before_any_work():
    with pytest.raises(ValueError, match="unknown scale"):
        G.jobs_for("huge")
    with pytest.raises(ValueError, match="trials must be"):
        G.jobs_for("tiny", trials=0)


def test_permutation_p():
    assert G.permutation_p([1, 2, 3], [1, 2, 3]) == 1.0
    assert G.permutation_p(np.zeros(10), np.ones(10)) < 0.001


def test_tiny_run_summary_sentences_and_scorecard():
    jobs, protocols = G.jobs_for("tiny")
    records = run_jobs(jobs, workers=1, progress=None)
    summary = G.summarise(records)
    assert all(r["passed"] for r in summary["checks"]) and len(summary["checks"]) == 25
    assert set(summary["learning"]) == {"adding", "xor", "online"}
    text = G.sentences(summary, 1.0)
    assert "25 of 25 checks pass" in text["gradients_check"]
    rows = G.scorecard_rows(summary, protocols, "tiny")
    assert [r["verdict"] in G.VERDICTS for r in rows] == [True] * 3 and rows[2]["verdict"] == "reproduced"
    assert G.chapter.rescore({"summary": {**summary, "scorecard": rows}}) == rows
    assert [r["row"] for r in G.published_rows()] == list(G.PROTOCOLS)


def test_verdicts_follow_their_definitions():
    def comp(a, b, p):
        return {"variants": {"truncated": {"median": a}, "exact": {"median": b}}, "p": p}
    assert G.chapter.verdict("adding", comp(0.001, 0.002, 0.5)) == "reproduced"
    assert G.chapter.verdict("adding", comp(0.001, 0.01, 0.01)) == "not reproduced"
    assert G.chapter.verdict("adding", comp(0.04, 0.04, 0.9)) == "inconclusive at this budget"
    assert G.chapter.verdict("xor", comp(0.5, 0.9, 0.01)) == "reproduced"
    assert G.chapter.verdict("xor", comp(0.9, 0.9, 0.9)) == "not reproduced"
    assert G.chapter.verdict("xor", comp(0.5, 0.5, 0.9)) == "inconclusive at this budget"


def test_figures_and_tables_from_tiny_records():
    import matplotlib
    matplotlib.use("Agg")
    jobs, protocols = G.jobs_for("tiny")
    records = run_jobs(jobs, workers=1, progress=None)
    summary = G.summarise(records)
    learning = [r for r in records if r["protocol"] in G.MEASURES]
    for fig, data in (G.plot_cost(summary["cost"]), G.plot_checks(summary["checks"], 6),
                      G.plot_agreement(summary["agreement"]), G.plot_learning(learning, protocols, G.MEASURES)):
        assert fig.axes and len({len(v) for v in data.values()}) == 1
    assert "<table" in G.check_table(summary["checks"]) and "<table" in G.learning_table(summary, protocols)
    for c in summary["learning"].values():  # the budget of every variant is in the table
        assert all(f"{x['budget']:,}" in G.learning_table(summary, protocols) for x in c["variants"].values())
    assert "<table" in G.scorecard_table(G.scorecard_rows(summary, protocols, "tiny"))
