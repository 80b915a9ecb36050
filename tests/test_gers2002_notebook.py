"""The timing chapter, run end to end through papermill at the tiny scale (seconds)."""

import json

import pytest
from conftest import (assert_fails_in_first_step, assert_figures_listed, assert_glue_resolves,
                      assert_narrative_plus_calls, assert_progress_in_one_block, glued_figures, run_chapter)

pytest.importorskip("papermill")


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    nb = run_chapter("timing", tmp_path)
    assert_glue_resolves(nb)
    assert_progress_in_one_block(nb)
    glued = glued_figures(nb)
    names = {"timing_examples", "timing_streams", "timing_curves", "timing_trace_msd10", "timing_trace_msd49",
             "timing_trace_gts", "timing_trace_pfg"}
    assert set(glued) == {f"fig_{n}" for n in names}
    assert all("application/papermill.record/image/png" in d for d in glued.values())
    doc = json.loads((tmp_path / "results" / "timing.json").read_text())
    assert doc["chapter"] == "timing" and doc["parameters"]["rule"] == "fast"
    jobs = [r["job"] for r in doc["records"]]
    main = {f"{row}/{a}" for row in ("msd_F10_I0-1", "gts_F10", "pfg_cos_F10")
            for a in ("rnn", "vanilla", "forget", "peephole", "nfg")}
    assert set(jobs) == main | {"msd_F10_I0-1_paper_rule/peephole"} and len(jobs) == len(set(jobs))
    for r in doc["records"]:
        assert len(r["trials"]) == 2 and r["budget"] == 100
        for t in r["trials"]:
            assert t["status"] in ("solved", "budget", "diverged") and t["streams_seen"] <= 100
            assert 0 <= t["best_train_events"] <= 100 and 0 <= t["test_events"] <= 1000
    rows = doc["summary"]["scorecard"]
    assert [r["experiment"] for r in rows] == ["MSD, F = 10, I ∈ {0, 1} (continual)", "GTS, F = 10",
                                               "PFG, cosine, F = 10"]
    assert all("[U]" in r["paper"] for r in rows)
    assert_figures_listed(doc, tmp_path / "figures", {"fig-" + n.replace("_", "-") for n in names})


def test_a_bad_parameter_fails_in_the_first_step(tmp_path):
    assert_fails_in_first_step("timing", tmp_path, "unknown rule", rule="slow")


def test_the_chapter_is_narrative_plus_calls():
    assert_narrative_plus_calls("timing")


@pytest.mark.parametrize("bad, message", [({"workers": 0}, "workers must be a positive integer"),
                                          ({"paper_rule_check": "yes"}, "paper_rule_check must be True or False")])
def test_other_bad_parameters_fail_in_the_first_step(tmp_path, bad, message):
    assert_fails_in_first_step("timing", tmp_path, message, **bad)
