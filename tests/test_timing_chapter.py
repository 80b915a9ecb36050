"""The timing chapter, run end to end through papermill at the tiny scale (seconds)."""

import json
from pathlib import Path

import nbformat
import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "timing.ipynb"


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
    names = {"timing_examples", "timing_streams", "timing_curves", "timing_trace_msd10", "timing_trace_msd49",
             "timing_trace_gts", "timing_trace_pfg"}
    assert set(glued) == {f"fig_{n}" for n in names}
    assert all("application/papermill.record/image/png" in d for d in glued.values())
    assert not [o for o in outputs if "image/png" in o.get("data", {})]
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
    assert {f["label"] for f in doc["summary"]["figures"]} == {"fig-" + n.replace("_", "-") for n in names}
    for f in doc["summary"]["figures"]:
        assert f["caption"] and len(f["files"]) == 3
        for name in f["files"]:
            assert (tmp_path / "figures" / name).stat().st_size > 0


def test_a_bad_parameter_fails_in_the_first_step(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        run(tmp_path, rule="slow")
    assert "unknown rule" in err.value.evalue
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    params_at = [i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", [])]
    assert failed == [params_at[0] + 1]
    assert not (tmp_path / "results").exists()
