"""The noisy-recall chapter, run end to end through papermill at the tiny scale (seconds)."""

import json

import pytest
from conftest import assert_fails_in_first_step, assert_figures_listed, glued_figures, run_chapter

pytest.importorskip("papermill")


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    nb = run_chapter("noisy_recall", tmp_path)
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
            assert t["status"] in ("solved", "budget", "diverged")
            assert 0 <= t["test_wrong"] <= 2560 and t["sequences_seen"] <= 600
    rows = doc["summary"]["scorecard"]
    assert {r["model"] for r in rows} == {"LSTM 1997"}
    ran = [r for r in rows if r["verdict"] != "not run"]
    assert [r["experiment"] for r in ran] == ["Exp. 3a (2-sequence problem), T = 20, N = 3", "Exp. 4 (adding), T = 20"]
    assert all(r["verdict"] == "no paper row" for r in ran)  # T = 20 has no published row
    assert len(rows) - len(ran) == 13  # every row of the paper is listed, as not run at this scale
    assert_figures_listed(doc, tmp_path / "figures", {"fig-noisy-recall-examples", "fig-noisy-recall-sequences",
                                             "fig-noisy-recall-curves", "fig-noisy-recall-test-errors",
                                             "fig-noisy-recall-trace", "fig-noisy-recall-lag-growth"})


def test_a_bad_parameter_fails_in_the_first_step(tmp_path):
    assert_fails_in_first_step("noisy_recall", tmp_path, "unknown scale", scale="huge")
