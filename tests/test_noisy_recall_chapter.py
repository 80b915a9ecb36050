"""The noisy-recall chapter, run end to end through papermill at the tiny scale (seconds)."""

import json
from pathlib import Path

import nbformat
import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "noisy_recall.ipynb"


def run(tmp_path, **parameters):
    out = tmp_path / "out.ipynb"
    params = {"scale": "tiny", "results_dir": str(tmp_path / "results"), "figures_dir": str(tmp_path / "figures"),
              "workers": 1, **parameters}
    papermill.execute_notebook(str(CHAPTER), str(out), parameters=params, kernel_name="python3",
                               cwd=str(ROOT / "notebooks"), progress_bar=False)
    return out


def test_tiny_run_writes_its_results_file_and_figures(tmp_path):
    out = run(tmp_path)
    # every figure reaches the book as a glued PNG (a figure glued as text only renders as "<Figure ...>"),
    # and none is also shown inline
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    glued = {o["metadata"]["scrapbook"]["name"]: set(o["data"]) for o in outputs
             if o.get("metadata", {}).get("scrapbook", {}).get("name", "").startswith("fig_")}
    assert len(glued) == 6 and all("application/papermill.record/image/png" in d for d in glued.values())
    assert not [o for o in outputs if "image/png" in o.get("data", {})]
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
    figures = doc["summary"]["figures"]
    assert {f["label"] for f in figures} == {"fig-noisy-recall-examples", "fig-noisy-recall-sequences",
                                             "fig-noisy-recall-curves", "fig-noisy-recall-test-errors",
                                             "fig-noisy-recall-trace", "fig-noisy-recall-lag-growth"}
    for f in figures:
        assert f["caption"] and len(f["files"]) == 3
        for name in f["files"]:
            assert (tmp_path / "figures" / name).stat().st_size > 0


def test_a_bad_parameter_fails_in_the_first_step(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        run(tmp_path, scale="huge")
    assert "unknown scale" in err.value.evalue
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    params_at = [i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", [])]
    assert failed == [params_at[0] + 1]  # the cell right after the parameters
    assert not (tmp_path / "results").exists()
