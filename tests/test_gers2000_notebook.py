"""The forgetting chapter, run end to end through papermill at the tiny scale (seconds)."""

import json

import pytest
from conftest import (ROOT, assert_fails_in_first_step, assert_figures_listed, assert_glue_resolves,
                      assert_narrative_plus_calls, assert_progress_in_one_block, glued_figures, run_chapter)

pytest.importorskip("papermill")

FIGURES = {"forgetting_erg_strings", "forgetting_erg_curves", "forgetting_cerg_lengths", "forgetting_trace_standard",
           "forgetting_trace_forget"}


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    nb = run_chapter("forgetting", tmp_path)
    assert_glue_resolves(nb)
    assert_progress_in_one_block(nb)
    glued = glued_figures(nb)
    assert set(glued) == {f"fig_{n}" for n in FIGURES}
    assert all("application/papermill.record/image/png" in d for d in glued.values())
    doc = json.loads((tmp_path / "results" / "forgetting.json").read_text())
    assert doc["chapter"] == "forgetting" and doc["parameters"]["scale"] == "tiny"
    jobs = [r["job"] for r in doc["records"]]
    assert len(jobs) == len(set(jobs))
    erg = [r for r in doc["records"] if r["protocol"].startswith("erg_")]
    cerg = [r for r in doc["records"] if r["protocol"].startswith("cerg_")]
    assert {r["job"] for r in erg} == {f"erg_3x2_lr0.5/{a}" for a in ("rnn", "vanilla", "forget", "peephole")}
    assert cerg, "the tiny scale runs some CERG rows"
    for r in cerg:
        for t in r["trials"]:
            assert t["class"] in ("perfect", "good", "bad") and len(t["test_lengths"]) == 10
    rows = doc["summary"]["scorecard"]
    assert rows[0]["experiment"] == "Exp. 1 (H&S 1997 Table 1): ERG, 3 blocks × 2, lr 0.5"
    assert all(r["chapter"] == "forgetting" and "(verified)" in r["paper"] for r in rows)
    assert_figures_listed(doc, tmp_path / "figures", {"fig-" + n.replace("_", "-") for n in FIGURES})


@pytest.mark.parametrize("bad, message", [({"scale": "huge"}, "huge"),
                                          ({"workers": 0}, "workers must be a positive integer")])
def test_a_bad_parameter_fails_in_the_first_step(tmp_path, bad, message):
    assert_fails_in_first_step("forgetting", tmp_path, message, **bad)


def test_the_chapter_is_narrative_plus_calls():
    assert_narrative_plus_calls("forgetting")


def test_the_chapter_has_its_label_every_figure_and_parameter():
    import nbformat
    nb = nbformat.read(ROOT / "notebooks" / "forgetting.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("(forgetting)=\n")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name in FIGURES:
        assert f"fig_{name}" in text and f":name: fig-{name.replace('_', '-')}" in text
    params = nb.cells[1].source
    for name in ("scale", "erg_experiments", "cerg_experiments", "architectures", "trials", "erg_budget",
                 "cerg_budget", "seed", "workers", "scheduler", "protocol_check_dir", "results_dir", "figures_dir"):
        assert f"\n{name} = " in "\n" + params, name
    assert all(" = " not in line.split("#", 1)[1] for line in params.splitlines() if "#" in line)
