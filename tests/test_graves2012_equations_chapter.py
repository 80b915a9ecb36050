"""The equations chapter's library side: rows, jobs, verdicts, scorecard rows, sentences and figures."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstmlib import ARCHITECTURES  # noqa: E402
from lstmlib.model.equations import EQUATIONS  # noqa: E402
from lstmlib.papers import glossary, key_results, rescore  # noqa: E402
from lstmlib.papers.graves2012.equations import chapter, jobs, protocols  # noqa: E402
from lstmlib.study.jobs import run_jobs  # noqa: E402


@pytest.fixture(scope="module")
def tiny_records():
    return run_jobs(jobs.jobs_for("tiny", "vanilla,rnn,cifg"), workers=1, progress=None)


@pytest.fixture(scope="module")
def nn_lstm():
    return chapter.nn_lstm_check(0, blocks=2, batch=1, steps=3)


def test_every_equation_has_a_row_with_its_source_line():
    rows = chapter.equation_rows()
    assert [r["label"] for r in rows] == list(EQUATIONS) and set(chapter.GRAVES) == set(EQUATIONS)
    by = {r["label"]: r for r in rows}
    assert by["cell-state"]["code"] == "s[c] = f * s_prev[c] + i * z[c]"
    assert by["state-error"]["pass"] == "backward" and by["output-gate"]["pass"] == "forward"
    text = chapter.equations_markdown(rows)
    assert text.count("\n") == len(rows) + 1 and "$s_c^t = b_\\phi^t s_c^{t-1} + b_\\iota^t g(a_c^t)$" in text


def test_the_preset_table_is_generated_from_the_specs():
    rows = {r["preset"]: r for r in chapter.preset_rows()}
    assert set(rows) == set(ARCHITECTURES)
    assert rows["greff_v"]["changes to Graves' equations"] == "none: Graves' cell"
    assert "b_φ = 1 (the 1997 CEC)" in rows["vanilla"]["changes to Graves' equations"]
    assert "4σ(x) - 2" in rows["vanilla"]["changes to Graves' equations"]
    assert chapter.equation_changes(ARCHITECTURES["cifg"]) == ["b_φ = 1 − b_ι (coupled)"]
    changed = ARCHITECTURES["greff_v"].replace(cell_output="logistic")  # a new spec changes the text
    assert chapter.equation_changes(changed) == ["h = σ(x) ∈ [0, 1]"]


def test_the_weight_counts_against_the_printed_numbers():
    rows = {r["row"]: r for r in chapter.count_rows()}
    assert set(rows) == set(protocols.WEIGHT_COUNTS)
    for r in rows.values():
        assert r["ours"] == r["n_weights"]  # the equations and the masks agree
        assert r["sum"].endswith(f"= {r['ours']}")
    assert rows["h97_exp4"]["sum"] == "44 + 22 + 22 + 5 = 93" and rows["h97_exp4"]["verdict"] == "count matches"
    assert rows["g00_cerg"]["ours"] == 424 and rows["g02_timing"]["ours"] == 17
    differs = [k for k, r in rows.items() if r["verdict"] == "count differs, explained"]
    assert differs == ["h97_exp2a"]  # the library cannot build connectivity B: its cells read y(t-1)
    assert rows["h97_exp2a"]["difference"] == 2 and "inputs only" in rows["h97_exp2a"]["why"]
    assert {r["tag"] for r in rows.values()} == {"P", "S"}
    import dataclasses
    wrong = dataclasses.replace(protocols.WEIGHT_COUNTS["h97_exp4"], printed=94)  # a misprint would be caught
    (row,) = chapter.count_rows({"x": wrong})
    assert row["verdict"] == "count differs" and row["why"] == "" and row["difference"] == -1


def test_jobs_check_their_parameters():
    assert len(jobs.jobs_for("tiny")) == len(ARCHITECTURES)
    for bad, message in [({"scale": "huge"}, "valid choices"), ({"presets": "lstm"}, "presets must be"),
                         ({"presets": "rnn,rnn"}, "presets must be"), ({"presets": []}, "presets must be"),
                         ({"seed": 1.5}, "seed must be")]:
        with pytest.raises(ValueError, match=message):
            jobs.jobs_for(**{"scale": "tiny", **bad})


def test_records_hold_every_quantity_and_the_same_seed_gives_the_same_numbers(tiny_records):
    by = {r["arch"]: r for r in tiny_records}
    assert list(by["rnn"]["max_abs_diff"]) == jobs.quantities(ARCHITECTURES["rnn"]) == [
        "forward, numba", "forward, torch", "exact gradient, numba", "exact gradient, torch"]
    assert len(by["vanilla"]["max_abs_diff"]) == 6 and len(by["vanilla"]["trials"]) == len(protocols.LOSS_SETTINGS)
    assert all(0 <= v < protocols.TOLERANCE for r in tiny_records for v in r["max_abs_diff"].values())
    again = run_jobs(jobs.jobs_for("tiny", "cifg"), workers=1, progress=None)[0]
    assert again["max_abs_diff"] == by["cifg"]["max_abs_diff"]


def test_a_wrong_engine_would_be_caught(tiny_records):
    """The comparison is not vacuous: a perturbed weight in the reference's copy shows up."""
    job = jobs.jobs_for("tiny", "vanilla")[0]
    net = jobs.network(job, "linear", "mse", 1)
    x, lengths, target, weights = jobs.problem(job, "linear", np.random.default_rng(2))
    ok = jobs.compare(net, x, lengths, target, weights, ["exact"])
    net_changed = net.copy()
    net_changed.params["hidden"][:, 0, 1] += 1e-6
    from lstmlib.model.equations import backward
    params = {n: p[0] for n, p in net_changed.params.items()}
    ref = backward(net.layout, params, x[0, :lengths[0]], target[0, :lengths[0]], weights[0, :lengths[0]])
    _, grads = net.loss_and_grad(x[:1], target[:1], lengths[:1], loss_at=weights[:1], gradient="exact")
    assert np.abs(ref["hidden"] - grads["hidden"][0]).max() > 1e-9
    assert max(ok.values()) < 1e-12


def test_nn_lstm_check(nn_lstm):
    assert nn_lstm["changes"] == {"gate_recurrence": "none", "cell_input": "tanh", "cell_output": "tanh"}
    assert nn_lstm["forward"] < 1e-12 and nn_lstm["gradient"] < 1e-12
    assert "gate_recurrence='none'" in chapter.nn_lstm_sentence(nn_lstm)


def test_verdicts_scorecard_rows_and_the_key_results_box(tiny_records, nn_lstm):
    counts = chapter.count_rows()
    rows = chapter.scorecard_rows(tiny_records, nn_lstm, counts, "tiny")
    assert rows[0]["verdict"] == "equations agree" and len(rows) == 1 + len(counts)
    assert {r["verdict"] for r in rows} == {"equations agree", "count matches", "count differs, explained"}
    assert all(r["verdict"] in chapter.VERDICTS for r in rows)
    bad = [{**tiny_records[0], "max_abs_diff": {"forward, numba": 1e-9}}] + tiny_records[1:]
    assert chapter.equations_verdict(bad, nn_lstm) == "equations disagree"
    assert chapter.equations_verdict(tiny_records, {**nn_lstm, "gradient": 1e-6}) == "equations disagree"
    assert set(glossary()["equations"]) == set(chapter.VERDICTS)
    box = key_results("equations", rows)
    assert "Graves (2012, §4.6)" in box and "count differs, explained" in box


def test_rescore_recomputes_the_verdicts(tiny_records, nn_lstm):
    counts = chapter.count_rows()
    rows = chapter.scorecard_rows(tiny_records, nn_lstm, counts, "tiny")
    stale = [{**r, "verdict": "equations disagree" if i == 0 else "count differs"} for i, r in enumerate(rows)]
    doc = {"chapter": "equations", "records": tiny_records,
           "summary": {"scorecard": stale, "nn_lstm": nn_lstm}}
    assert [r["verdict"] for r in rescore(doc)] == [r["verdict"] for r in rows]


def test_sentences_and_published_rows(tiny_records, nn_lstm):
    s = chapter.sentences(tiny_records, nn_lstm, chapter.count_rows(), 1.25)
    assert set(s) == {"equations_engines", "equations_nn_lstm", "equations_counts", "equations_wall"}
    assert s["equations_counts"].startswith(f"{len(protocols.WEIGHT_COUNTS) - 1} of the {len(protocols.WEIGHT_COUNTS)}")
    assert "10,506" in s["equations_counts"] and s["equations_wall"] == "1.2 s"
    assert s["equations_engines"].endswith("The differences are rounding.")
    worse = [{**r, "max_abs_diff": {k: 1.0 for k in r["max_abs_diff"]}} for r in tiny_records]
    assert chapter.sentences(worse, nn_lstm, chapter.count_rows(), 1.0)["equations_engines"].endswith("disagree.")
    published = chapter.published_rows()
    assert [r["row"] for r in published] == list(protocols.PROTOCOLS)
    assert "[P]" in published[1]["the paper"] and published[0]["the paper"].endswith("[S]")


def test_figures_return_their_data(tiny_records):
    import matplotlib.pyplot as plt
    fig, data = chapter.plot_differences(tiny_records)
    assert len(data["preset"]) == len(tiny_records) * 6 and np.isnan(data["max_abs_diff"]).sum() == 2  # rnn
    plt.close(fig)
    fig, data = chapter.plot_counts(chapter.count_rows())
    assert sum(data["weights"]) == sum(r["ours"] for r in chapter.count_rows())
    plt.close(fig)
