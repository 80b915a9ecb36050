"""The languages chapter, run end to end through papermill at the tiny scale (seconds)."""

import json

import pytest
from conftest import (assert_fails_in_first_step, assert_figures_listed, assert_glue_resolves,
                      assert_narrative_plus_calls, assert_progress_in_one_block, glued_figures, run_chapter)

pytest.importorskip("papermill")


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    nb = run_chapter("languages", tmp_path)
    assert_glue_resolves(nb)
    assert_progress_in_one_block(nb)
    glued = glued_figures(nb)
    assert set(glued) == {"fig_languages_generalisation", "fig_languages_sequences", "fig_languages_trace_anbn",
                          "fig_languages_trace_anbncn", "fig_languages_greff", "fig_languages_thesis_trace_gd",
                          "fig_languages_thesis_trace_dekf"}
    assert all("application/papermill.record/image/png" in d for d in glued.values())
    texts = {o["metadata"]["scrapbook"]["name"]: o["data"]["application/papermill.record/text/plain"]
             for c in nb.cells for o in c.get("outputs", [])
             if o.get("metadata", {}).get("scrapbook", {}).get("name", "").startswith(("lang_", "cap_"))}
    assert set(texts) == {"lang_anbn", "lang_anbncn", "lang_wall", "lang_trace_anbn", "lang_trace_anbncn",
                          "lang_greff", "lang_peep", "lang_contrast", "lang_gates", "lang_rules",
                          "lang_scan", "lang_thesis", "lang_thesis_count_gd", "lang_thesis_count_dekf"} | \
        {f"cap_{n[4:]}" for n in glued}
    assert "settings run, ours and the thesis agree" in texts["lang_thesis"]
    assert "gave the same ranges as the run" in texts["lang_scan"] and "NP" in texts["lang_peep"]
    doc = json.loads((tmp_path / "results" / "languages.json").read_text())
    assert doc["chapter"] == "languages" and doc["seed"] == 0 and doc["parameters"]["scale"] == "tiny"
    thesis = [r for r in doc["records"] if r["protocol"].startswith("thesis_")]
    assert {r["job"] for r in thesis} == {"thesis_anbncn_1-10_gd_a1e-02_m0/peephole"} | {
        f"thesis_anbncn_1-10_gd_a1e-04_m0.99/{a}" for a in ("peephole", "forget", "vanilla", "rnn")} | {
        "thesis_anbncn_1-10_dekf_d10/peephole"} | {
        f"thesis_anbn_1-10_{rule}/peephole" for rule in ("gd_a1e-02_m0", "gd_a1e-04_m0.99", "dekf_d10")}
    gd = [r for r in thesis if r["setting"]["method"] == "gd"]
    assert all(len(r["trials"]) == 2 and r["budget"] == 3000 and r["n_max"] == 40 for r in gd)
    dekf = [r for r in thesis if r["setting"]["method"] == "dekf"]
    assert all(len(r["trials"]) == 2 and r["budget"] == 200 and r["n_max"] == 40 for r in dekf)
    assert "Kalman filter" in texts["lang_thesis"] and "Kalman-filter net" in texts["lang_thesis_count_dekf"]
    doc["records"] = [r for r in doc["records"] if r not in thesis]
    jobs = [r["job"] for r in doc["records"]]
    main = {f"{lang}/{a}" for lang in ("anbn", "anbncn") for a in ("rnn", "vanilla", "forget", "peephole")}
    greff = {f"anbn/{a}" for a in ("greff_v", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg", "fgr")}
    rules = {f"anbn_{r}/peephole" for r in ("adam_mse", "momentum_ce", "sgd_ce")}
    assert set(jobs) == main | greff | rules and len(jobs) == len(set(jobs))
    for r in doc["records"]:
        assert len(r["trials"]) == 2 and r["budget"] == 2000 and r["n_max"] == 60
        for t in r["trials"]:
            assert t["status"] in ("solved", "budget", "diverged")
            assert -1 <= t["up_to"] <= 60 and t["sequences_seen"] <= 2000
            assert (t["first_failure"] == -1) == (t["up_to"] == 60)
            assert t["train_accepted"] == (t["up_to"] >= 10)
    rows = doc["summary"]["scorecard"]
    thesis_rows = [r for r in rows if "thesis protocol" in r["experiment"]]
    assert thesis_rows and all("[P]" in r["paper"] for r in thesis_rows)
    assert thesis_rows[-1]["model"] == "LSTM without peepholes"
    conventions = [r for r in rows if "thesis conventions" in r["experiment"]]  # aⁿbⁿ: the abstract's claim only
    assert [r["experiment"].rsplit(", ", 1)[1] for r in conventions] == ["gradient descent", "the Kalman filter"]
    assert all("[P-abs]" in r["paper"] and r["verdict"] in ("reproduced", "partly", "not reproduced")
               for r in conventions)
    rows = [r for r in rows if r not in thesis_rows + conventions]
    assert [(r["experiment"], r["model"]) for r in rows] == [
        ("aⁿbⁿ (context-free)", "peephole LSTM"), ("aⁿbⁿ (context-free)", "plain RNN"),
        ("aⁿbⁿcⁿ (context-sensitive)", "peephole LSTM"), ("aⁿbⁿcⁿ (context-sensitive)", "plain RNN")]
    assert all("[U]" in r["paper"] for r in rows)
    assert_figures_listed(doc, tmp_path / "figures", {"fig-languages-generalisation", "fig-languages-sequences",
                                             "fig-languages-trace-anbn", "fig-languages-trace-anbncn",
                                             "fig-languages-greff", "fig-languages-thesis-trace-gd",
                                             "fig-languages-thesis-trace-dekf"})


def test_a_bad_parameter_fails_in_the_first_step(tmp_path):
    assert_fails_in_first_step("languages", tmp_path, "unknown language", languages="anbn,dyck")


@pytest.mark.parametrize("bad, message", [({"greff_variants": "yes"}, "greff_variants must be True or False"),
                                          ({"workers": 0}, "workers must be a positive integer"),
                                          ({"thesis": "yes"}, "thesis must be True or False"),
                                          ({"thesis_scale": "huge"}, "unknown scale"),
                                          ({"thesis_methods": "kalman"}, "unknown method"),
                                          ({"thesis_languages": "dyck"}, "unknown language"),
                                          ({"trials": 0}, "trials must be None or a positive integer")])
def test_a_bad_flag_or_count_fails_in_the_first_step(tmp_path, bad, message):
    assert_fails_in_first_step("languages", tmp_path, message, **bad)


def test_the_chapter_is_narrative_plus_calls():
    assert_narrative_plus_calls("languages")
