"""The languages chapter, run end to end through papermill at the tiny scale (seconds)."""

import json
from pathlib import Path

import nbformat
import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "languages.ipynb"


def run(tmp_path, **parameters):
    out = tmp_path / "out.ipynb"
    params = {"scale": "tiny", "results_dir": str(tmp_path / "results"), "figures_dir": str(tmp_path / "figures"),
              "workers": 1, **parameters}
    papermill.execute_notebook(str(CHAPTER), str(out), parameters=params, kernel_name="python3",
                               cwd=str(ROOT / "notebooks"), progress_bar=False)
    return out


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    out = run(tmp_path)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    glued = {o["metadata"]["scrapbook"]["name"]: set(o["data"]) for o in outputs
             if o.get("metadata", {}).get("scrapbook", {}).get("name", "").startswith("fig_")}
    assert set(glued) == {"fig_languages_generalisation", "fig_languages_sequences", "fig_languages_trace_anbn",
                          "fig_languages_trace_anbncn", "fig_languages_greff"}
    assert all("application/papermill.record/image/png" in d for d in glued.values())
    assert not [o for o in outputs if "image/png" in o.get("data", {})]  # each figure shown once, as a numbered figure
    doc = json.loads((tmp_path / "results" / "languages.json").read_text())
    assert doc["chapter"] == "languages" and doc["seed"] == 0 and doc["parameters"]["scale"] == "tiny"
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
    assert [(r["experiment"], r["model"]) for r in rows] == [
        ("aⁿbⁿ (context-free)", "peephole LSTM"), ("aⁿbⁿ (context-free)", "plain RNN"),
        ("aⁿbⁿcⁿ (context-sensitive)", "peephole LSTM"), ("aⁿbⁿcⁿ (context-sensitive)", "plain RNN")]
    assert all("[U]" in r["paper"] for r in rows)
    figures = doc["summary"]["figures"]
    assert {f["label"] for f in figures} == {"fig-languages-generalisation", "fig-languages-sequences",
                                             "fig-languages-trace-anbn", "fig-languages-trace-anbncn",
                                             "fig-languages-greff"}
    for f in figures:
        assert f["caption"] and len(f["files"]) == 3
        for name in f["files"]:
            assert (tmp_path / "figures" / name).stat().st_size > 0


def test_a_bad_parameter_fails_in_the_first_step(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        run(tmp_path, languages="anbn,dyck")
    assert "unknown language" in err.value.evalue
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    params_at = [i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", [])]
    assert failed == [params_at[0] + 1]
    assert not (tmp_path / "results").exists()
