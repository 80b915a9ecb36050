"""The noisy-recall chapter, run end to end through papermill at the tiny scale (seconds)."""

import ast
import json

import pytest
from conftest import (assert_fails_in_first_step, assert_figures_listed, assert_glue_resolves,
                      assert_narrative_plus_calls, assert_progress_in_one_block, glued_figures, run_chapter)

pytest.importorskip("papermill")


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    nb = run_chapter("noisy_recall", tmp_path)
    assert_glue_resolves(nb)
    assert_progress_in_one_block(nb)
    # every figure reaches the book as a glued PNG (a figure glued as text only renders as "<Figure ...>"),
    # and none is also shown inline
    glued = glued_figures(nb)
    assert len(glued) == 6 and all("application/papermill.record/image/png" in d for d in glued.values())
    doc = json.loads((tmp_path / "results" / "noisy_recall.json").read_text())
    assert doc["chapter"] == "noisy_recall" and doc["seed"] == 0 and doc["wall_time_s"] > 0
    assert doc["parameters"]["scale"] == "tiny"
    assert len(doc["provenance"]["commit"]) >= 7 and doc["provenance"]["date"].startswith("20")
    # 2 rows x 4 architectures + the logistic-output 1997 LSTM on the adding row
    jobs = {r["job"] for r in doc["records"]}
    assert jobs == {f"{row}/{a}" for row in ("3a_T20_N3", "4_T20") for a in ("rnn", "vanilla", "forget", "peephole")} \
        | {"4_T20_logistic/vanilla"}
    for r in doc["records"]:
        assert len(r["trials"]) == 2 and r["budget"] == 600
        for t in r["trials"]:
            assert t["status"] in ("solved", "budget", "diverged") or (t["status"] == "flat" and r["arch"] == "rnn")
            assert 0 <= t["test_wrong"] <= 2560 and t["sequences_seen"] <= 600
    rows = doc["summary"]["scorecard"]
    ran = [r for r in rows if r["verdict"] != "not run"]
    assert [(r["experiment"], r["model"]) for r in ran] == [  # a row per architecture that ran
        (f"Exp. {row}, T = 20{n}", model) for row, n in (("3a (2-sequence problem)", ", N = 3"), ("4 (adding)", ""))
        for model in ("plain RNN", "LSTM 1997", "forget-gate LSTM", "peephole LSTM")]
    assert all(r["verdict"] == "no paper row" for r in ran)  # T = 20 has no published row
    assert len(rows) - len(ran) == 13  # every row of the paper is listed, as not run at this scale
    assert all("growth" not in r for r in doc["records"])  # the weight-growth runs stay out of the results file
    text = glued_text(nb)
    assert text["nr_lag"].startswith("After 400 sequences the median largest weights") and "T = 40: " in text["nr_lag"]
    assert text["nr_trace"].startswith("In this sequence the marks sit at steps")
    assert text["nr_ablation"].startswith("With a logistic output unit, the 1997 LSTM met the stopping rule in")
    assert text["nr_real_lstm"].startswith("Not run at this scale") and text["nr_real_others"] == ""
    assert_figures_listed(doc, tmp_path / "figures", {"fig-noisy-recall-examples", "fig-noisy-recall-sequences",
                                             "fig-noisy-recall-curves", "fig-noisy-recall-test-errors",
                                             "fig-noisy-recall-trace", "fig-noisy-recall-lag-growth"})


def glued_text(nb):
    """The text values glued in an executed notebook, by name."""
    return {o["metadata"]["scrapbook"]["name"]: ast.literal_eval(o["data"]["application/papermill.record/text/plain"])
            for c in nb.cells for o in c.get("outputs", [])
            if "application/papermill.record/text/plain" in o.get("data", {})
            and "application/papermill.record/text/markdown" not in o["data"]  # the key-results box
            and not o["metadata"]["scrapbook"]["name"].startswith("fig_")}


@pytest.mark.parametrize("message,bad", [
    ("unknown scale", dict(scale="huge")),
    ("workers must be a positive integer", dict(workers=0)),
    ("lag_lengths must be integers of at least 20", dict(lag_lengths="10")),
])
def test_a_bad_parameter_fails_in_the_first_step(tmp_path, message, bad):
    assert_fails_in_first_step("noisy_recall", tmp_path, message, **bad)


def test_the_chapter_is_narrative_plus_calls():
    assert_narrative_plus_calls("noisy_recall")
