"""The equations chapter, run end to end through papermill at the tiny scale (seconds)."""

import json

import pytest
from conftest import (assert_fails_in_first_step, assert_figures_listed, assert_glue_resolves,
                      assert_narrative_plus_calls, assert_progress_in_one_block, glued_figures, run_chapter)

from lstmlib import ARCHITECTURES
from lstmlib.papers.graves2012.equations import WEIGHT_COUNTS

pytest.importorskip("papermill")


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    nb = run_chapter("equations", tmp_path)
    assert_glue_resolves(nb)
    assert_progress_in_one_block(nb)
    names = {"equations_differences", "equations_counts"}
    glued = glued_figures(nb)
    assert set(glued) == {f"fig_{n}" for n in names}
    assert all("application/papermill.record/image/png" in d for d in glued.values())
    doc = json.loads((tmp_path / "results" / "equations.json").read_text())
    assert doc["chapter"] == "equations" and doc["parameters"]["scale"] == "tiny"
    assert sorted(r["arch"] for r in doc["records"]) == sorted(ARCHITECTURES)
    for r in doc["records"]:
        assert len(r["max_abs_diff"]) == (4 if r["arch"] == "rnn" else 6)
        assert all(0 <= v <= 1e-12 for v in r["max_abs_diff"].values())
    rows = doc["summary"]["scorecard"]
    assert len(rows) == 1 + len(WEIGHT_COUNTS)
    assert rows[0]["verdict"] == "equations agree"
    assert {r["verdict"] for r in rows[1:]} <= {"count matches", "count differs, explained"}
    assert all(r["paper"].endswith(("[P]", "[S]")) for r in rows)
    text = "\n".join(str(v) for c in nb.cells for o in c.get("outputs", []) for v in o.get("data", {}).values())
    assert "s[c] = f * s_prev[c] + i * z[c]" in text  # the equations table shows the source line
    assert_figures_listed(doc, tmp_path / "figures", {"fig-" + n.replace("_", "-") for n in names})


def test_a_bad_parameter_fails_in_the_first_step(tmp_path):
    assert_fails_in_first_step("equations", tmp_path, "valid choices", scale="huge")


def test_the_chapter_is_narrative_plus_calls():
    assert_narrative_plus_calls("equations")


@pytest.mark.parametrize("bad, message", [({"workers": 0}, "workers must be a positive integer"),
                                          ({"presets": "vanilla,lstm"}, "presets must be distinct names")])
def test_other_bad_parameters_fail_in_the_first_step(tmp_path, bad, message):
    assert_fails_in_first_step("equations", tmp_path, message, **bad)
