"""The vanishing-gradient chapter, run end to end through papermill at the tiny scale."""

import json

import pytest
from conftest import (assert_fails_in_first_step, assert_figures_listed, assert_glue_resolves,
                      assert_narrative_plus_calls, assert_progress_in_one_block, glued_figures, run_chapter)

pytest.importorskip("papermill")
NAMES = {"vanishing_sensitivity", "vanishing_trained", "vanishing_map", "vanishing_bound", "vanishing_learning"}


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    nb = run_chapter("vanishing_gradient", tmp_path)
    assert_glue_resolves(nb)
    assert_progress_in_one_block(nb)
    assert set(glued_figures(nb)) == {f"fig_{n}" for n in NAMES}
    doc = json.loads((tmp_path / "results" / "vanishing_gradient.json").read_text())
    assert doc["chapter"] == "vanishing_gradient" and len(doc["summary"]["scorecard"]) == 3
    assert_figures_listed(doc, tmp_path / "figures", {"fig-" + n.replace("_", "-") for n in NAMES})


def test_a_bad_parameter_fails_in_the_first_step(tmp_path):
    assert_fails_in_first_step("vanishing_gradient", tmp_path, "unknown scale", scale="huge")


def test_the_chapter_is_narrative_plus_calls():
    assert_narrative_plus_calls("vanishing_gradient")
