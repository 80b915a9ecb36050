"""The CERG protocol check (lstmlib.papers.gers2000.protocol_check): each second-hand reading changes only
what it names, starts from the chapter's weights and strings, and the comparison is computed from the
records."""

import math

import numpy as np
import pytest

from lstmlib.papers.gers2000 import CERG_PROTOCOLS, cerg_jobs
from lstmlib.papers.gers2000 import protocol_check as pc


def test_each_reading_changes_only_what_it_names():
    base = CERG_PROTOCOLS["cerg_forget"]
    assert pc.variant_protocol("cerg_forget", "chapter").replace(key=base.key, title=base.title) == base
    squared = pc.variant_protocol("cerg_forget", "squared")
    assert squared.tolerance == 0.7
    assert squared.replace(tolerance=base.tolerance, key=base.key, title=base.title) == base
    assert 0.7 ** 2 == pytest.approx(0.49)  # squared error < 0.49 <=> |e| < 0.7
    long = pc.variant_protocol("cerg_reset", "long_streams")
    assert long.train_length == 1_000_000 and long.external_reset and long.key == "cerg_reset__long_streams"
    assert pc.row_and_variant("cerg_forget_decay__squared") == ("cerg_forget_decay", "squared")
    for bad in ("cerg_forget", "cerg_forget__wide", "nope__squared"):
        with pytest.raises(ValueError, match="not a protocol-check key"):
            pc.row_and_variant(bad)


def test_every_reading_starts_from_the_chapters_weights_and_strings():
    jobs = pc.check_jobs(trials=3)
    assert [j.protocol.key for j in jobs] == [f"{r}__{v}" for r in pc.CHECK_ROWS for v in pc.VARIANTS]
    chapter_jobs, _ = cerg_jobs.jobs_for("default", experiments=",".join(pc.CHECK_ROWS))
    for job in jobs:
        own = next(j for j in chapter_jobs if j.protocol.key == pc.row_and_variant(job.protocol.key)[0])
        assert job.seeds() == own.seeds()
        assert (job.budget, job.max_symbols) == (own.budget, own.max_symbols) == (8_000, 2_000_000)


def test_the_chapters_reading_reproduces_the_chapters_own_run():
    (check,) = pc.check_jobs("cerg_forget", "chapter", trials=2, budget=30)
    (own,), _ = cerg_jobs.jobs_for("default", experiments="cerg_forget", trials=2, budget=30)
    a, b = check.run(), own.run()
    for ta, tb in zip(a["trials"], b["trials"]):
        assert (ta["streams_seen"], ta["steps_seen"], ta["test_lengths"]) == (tb["streams_seen"], tb["steps_seen"],
                                                                              tb["test_lengths"])
        for name in ta["weights"]:
            np.testing.assert_array_equal(ta["weights"][name], tb["weights"][name])


@pytest.mark.parametrize("kw, match", [(dict(variants="wide"), "variant"), (dict(rows="cerg_xyz"), "row"),
                                       (dict(trials=0), "trials"), (dict(budget=-1), "budget")])
def test_bad_inputs_fail_before_any_work(kw, match):
    with pytest.raises(ValueError, match=match):
        pc.check_jobs(**kw)


def test_fishers_exact_test():
    assert pc.fisher_p(3, 10, 3, 10) == pytest.approx(1.0)
    assert pc.fisher_p(0, 10, 10, 10) == pytest.approx(2 / math.comb(20, 10))
    assert pc.fisher_p(1, 10, 6, 10) == pytest.approx(0.0573, abs=1e-4)  # the textbook value
    assert pc.fisher_p(1, 10, 6, 10) == pytest.approx(pc.fisher_p(6, 10, 1, 10))


def _record(key, classes):
    row, _ = pc.row_and_variant(key)
    trials = [{"trial": k, "status": "solved" if c == "perfect" else "budget",
               "streams": 500 if c == "perfect" else None,
               "best_train_length": 50, "test_lengths": [100_000 if c == "perfect" else 40] * 10,
               "mean_test_length": 100_000.0 if c == "perfect" else 40.0, "class": c, "symbol_cap": False}
              for k, c in enumerate(classes)]
    return {"job": key, "protocol": key, "arch": CERG_PROTOCOLS[row].arch, "n_weights": 424, "budget": 8_000,
            "trials": trials}


def test_rows_and_text_from_the_records():
    doc = {"records": [_record("cerg_forget__chapter", ["perfect"] * 1 + ["bad"] * 9),
                       _record("cerg_forget__squared", ["perfect"] * 8 + ["bad"] * 2),
                       _record("cerg_forget__long_streams", ["perfect"] * 2 + ["bad"] * 8)],
           "parameters": {"budget": None}, "seed": 0, "provenance": {"commit": "abc" * 10, "date": "2026-12-06T1"}}
    rows = pc.check_rows(doc)
    assert [r["verdict"] for r in rows] == ["baseline", "matters", "no measurable difference"]
    assert rows[1]["p_perfect"] == pytest.approx(pc.fisher_p(8, 10, 1, 10)) and rows[1]["p_perfect"] < 0.05
    assert math.isnan(rows[0]["p_perfect"]) and rows[1]["perfect"] == 8
    text = pc.check_text(doc, "reference_runs/x")
    assert "It matters: LSTM with forget gates, a step is right when every output's squared error" in text
    assert "8/10 perfect" in text and "at most 8,000 training streams" in text
    assert pc.check_table_html(doc).count("<tr>") == 4
    pooled = {r["variant"]: r for r in pc.pooled_rows(doc)}
    assert (pooled["squared"]["perfect"], pooled["squared"]["chapter_perfect"]) == (8, 1)
    assert pooled["long_streams"]["p"] == pytest.approx(pc.fisher_p(2, 10, 1, 10))
    assert "Pooled" not in text  # one row: nothing to pool
    two = {**doc, "records": doc["records"] + [_record("cerg_reset__chapter", ["perfect"] * 2 + ["bad"] * 8),
                                               _record("cerg_reset__squared", ["perfect"] * 5 + ["bad"] * 5)]}
    assert "Pooled over the 2 rows (a comparison chosen after seeing them), a step is right when every output's " \
           "squared error is below 0.49 (|e| < 0.7) gives more perfect nets: 13/20 against the chapter's 3/20" \
        in pc.check_text(two, "here")
    assert "was not found in reference_runs/x" in pc.check_text(None, "reference_runs/x")
    alone = {**doc, "records": doc["records"][1:2]}
    assert pc.check_rows(alone)[0]["verdict"] == "not compared (no baseline in this run)"


def test_the_script_study_writes_its_file_and_reads_it_back(tmp_path, capsys):
    from lstmlib.study.jobs import run_study
    jobs = pc.check_jobs("cerg_forget", "chapter,squared", trials=1, budget=5)
    doc = run_study(jobs, pc.CHECK_STUDY, tmp_path, 1, {"budget": 5, "partial": True}, 0, pc.check_rows)
    assert (tmp_path / f"{pc.CHECK_STUDY}.json").is_file() and (tmp_path / f"{pc.CHECK_STUDY}.jobs").is_dir()
    assert [r["protocol"] for r in doc["records"]] == ["cerg_forget__chapter", "cerg_forget__squared"]
    assert [r["variant"] for r in doc["summary"]["rows"]] == ["chapter", "squared"]
    assert "Pooled" not in pc.check_text(doc, "here") and "partial" in pc.check_text(doc, "here")
    assert "wrote" in capsys.readouterr().out
