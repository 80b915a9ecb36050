import numpy as np
import pytest

import lstmlib


def small_net(name, trials=2, output="logistic", loss="mse", init_range=0.5, seed=0, **kw):
    """2 inputs, 2 outputs, 2 blocks x 2 cells (1 cell per block for the plain RNN)."""
    cells = 1 if name == "rnn" else 2
    return lstmlib.build(name, 2, 2, 2, cells, trials=trials, output=output, loss=loss,
                         init_range=init_range, seed=seed, **kw)


def random_batch(rng, trials=2, batch=3, T=6, n_in=2, n_out=2, softmax=False):
    """Inputs, targets, random lengths and random loss weights at every valid step."""
    x = rng.normal(size=(trials, batch, T, n_in))
    lengths = rng.integers(T // 2, T + 1, size=(trials, batch))
    weights = (np.arange(T) < lengths[..., None]) * rng.uniform(0.2, 1.0, size=(trials, batch, T))
    target = rng.uniform(size=(trials, batch, T, n_out))
    if softmax:
        target /= target.sum(-1, keepdims=True)
    return x, target, lengths, weights


CASES = [(name, out) for name in lstmlib.ARCHITECTURES for out in ("logistic", "softmax")]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# chapters run end to end through papermill ---------------------------------------------------
ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def run_chapter(chapter, tmp_path, **parameters):
    """Run ``notebooks/<chapter>.ipynb`` at the tiny scale (results and figures under ``tmp_path``);
    returns the executed notebook."""
    import nbformat
    import papermill
    out = tmp_path / "out.ipynb"
    params = {"scale": "tiny", "results_dir": str(tmp_path / "results"), "figures_dir": str(tmp_path / "figures"),
              "workers": 1, **parameters}
    papermill.execute_notebook(str(ROOT / "notebooks" / f"{chapter}.ipynb"), str(out), parameters=params,
                               kernel_name="python3", cwd=str(ROOT / "notebooks"), progress_bar=False)
    return nbformat.read(out, as_version=4)


def glued_figures(nb):
    """Names of the figures glued in an executed notebook -> their data formats; also asserts that no
    figure is shown inline as well (each appears once, as a numbered figure)."""
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if "image/png" in o.get("data", {})]
    return {o["metadata"]["scrapbook"]["name"]: set(o["data"]) for o in outputs
            if o.get("metadata", {}).get("scrapbook", {}).get("name", "").startswith("fig_")}


def assert_glue_resolves(nb):
    """Every ``{glue...}`` reference in the notebook's Markdown (roles and directives) names a value the
    run glued, and the page opens with its key-results box (a ``glue:md`` of ``key_results``); no
    output shows the project's absolute path (folders inside it are shown relative to it)."""
    import re
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    refs = set(re.findall(r"\{glue(?::\w+)?\}`([^`]+)`", text)) | set(re.findall(r"\{glue(?::\w+)?\}\s+(\S+)", text))
    glued = {o["metadata"]["scrapbook"]["name"] for c in nb.cells for o in c.get("outputs", [])
             if o.get("metadata", {}).get("scrapbook")}
    assert refs and not refs - glued, f"referenced but not glued: {sorted(refs - glued)}"
    blocks = nb.cells[0].source.split("\n\n")
    title = next(i for i, b in enumerate(blocks) if any(line.startswith("# ") for line in b.splitlines()))
    assert "{glue:md} key_results" in blocks[title + 1]  # the block right below the title
    outputs = " ".join(str(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []))
    assert str(ROOT) not in outputs


def assert_progress_in_one_block(nb):
    """The run's progress lines (``[  1.0s] done <job>: ...``) come from one cell, whose output the page
    folds away (tag ``hide-output``); the book merges a cell's printed lines into one block
    (``nb_merge_streams``)."""
    import yaml
    cells = [c for c in nb.cells if c.cell_type == "code"
             and any("] done " in str(o.get("text", "")) for o in c.get("outputs", []))]
    assert len(cells) == 1 and "hide-output" in cells[0].metadata.get("tags", [])
    assert yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]["nb_merge_streams"] is True


def assert_fails_in_first_step(chapter, tmp_path, message, **bad):
    """A bad parameter fails in the cell right after the injected parameters, and nothing is written."""
    import nbformat
    import papermill
    with pytest.raises(papermill.PapermillExecutionError) as err:
        run_chapter(chapter, tmp_path, **bad)
    assert message in err.value.evalue
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    params_at = [i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", [])]
    assert failed == [params_at[0] + 1]
    assert not (tmp_path / "results").exists()


def assert_figures_listed(doc, folder, labels):
    """The results file lists exactly ``labels``, each with a caption and its PNG, SVG and CSV saved."""
    figures = doc["summary"]["figures"]
    assert {f["label"] for f in figures} == set(labels)
    for f in figures:
        assert f["caption"] and len(f["files"]) == 3
        for name in f["files"]:
            assert (folder / name).stat().st_size > 0


def assert_narrative_plus_calls(chapter):
    """A chapter is narrative plus calls: at most 100 code lines (non-blank, not a comment), no function
    or class, none of the old copied scaffolds (private pool, folder checks, figure export), one jobs
    call and one run, a first code cell tagged ``parameters``, committed without outputs."""
    import nbformat
    nb = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    lines = [s for c in code for s in c.source.splitlines() if s.strip() and not s.strip().startswith("#")]
    assert len(lines) <= 100
    assert not [s for s in lines if s.lstrip().startswith(("def ", "class "))]
    assert not [s for s in lines if any(w in s for w in ("ProcessPoolExecutor", "os.access", "mkdir", "save_figure"))]
    assert sum("run_jobs(" in s for s in lines) == 1 and sum("jobs_for(" in s for s in lines) == 1
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def sigma(v):
    return 1 / (1 + np.exp(-v))


def peephole_step_gradient(layout, u, es, do, s_new, partials):
    """One step's truncated gradient of a peephole LSTM, written out for the numpy references of the online
    learner and the Kalman filter: from the sources ``u`` = [1, x, y(t-1)], the error signals at the cell
    states (``es``) and at the output gates' nets (``do``), the new states ``s_new`` and the RTRL partials
    ``(dz, di, df, dpi, dpf)`` of the states with respect to the cell-input, input-gate and forget-gate weights
    and the input- and forget-gate peepholes.  Returns the gradients of the hidden weights and the peepholes."""
    L = layout
    C, S, NB = L.n_cells, L.cells_per_block, L.n_blocks
    dz, di, df, dpi, dpf = partials
    gW, gP = np.zeros((L.n_rows, L.n_sources)), np.zeros((3, C))
    gW[:C] = es[:, None] * dz
    gW[L.rows["input_gate"]] = (es[:, None] * di).reshape(NB, S, -1).sum(1)
    gW[L.rows["forget_gate"]] = (es[:, None] * df).reshape(NB, S, -1).sum(1)
    gW[L.rows["output_gate"]] = np.outer(do, u)
    gP[0] = (es[:, None] * dpi).reshape(NB, S, S).sum(1).ravel()
    gP[1] = (es[:, None] * dpf).reshape(NB, S, S).sum(1).ravel()
    gP[2] = do[np.arange(C) // S] * s_new
    return gW, gP
