"""The adding-gap study: each variant changes only what it names, every variant starts from the same
weights and sequences, and the rows, test and verdicts read a results document correctly."""

import math

import numpy as np
import pytest

from lstmlib.papers.hochreiter1997 import gap
from lstmlib.papers.hochreiter1997.jobs import network_for
from lstmlib.papers.hochreiter1997.protocols import PROTOCOLS, with_T


def test_each_variant_changes_only_what_it_names():
    base = with_T(PROTOCOLS["4_T100"], 200)
    assert base.key == "4_T200" and base.budget == 600_000 and base.lr == 0.5 and base.gradient is None
    fields = ("lr", "gradient", "output_gate_bias", "init_range", "task", "input_gate_bias", "stop", "n_blocks",
              "cells_per_block", "biased", "output", "budget")
    expect = {"paper": set(), "exact": {"gradient"}, "no_half": {"lr"}, "output_biases": {"output_gate_bias"},
              "wide_init": {"init_range"}, "either_mark": {"task"},
              "combined": {"output_gate_bias", "init_range", "task"}}
    assert set(expect) == set(gap.VARIANTS)
    for name, changed in expect.items():
        p = gap.variant_protocol(name)
        assert p.key == f"4_T200_{name}" and p.paper == {}
        assert {f for f in fields if getattr(p, f) != getattr(base, f)} == changed, name
    assert gap.variant_protocol("no_half").lr == 2 * base.lr  # d(e^2) = 2 d(e^2 / 2)
    assert gap.variant_protocol("either_mark").task.first_pair_rule == "either mark"


def test_every_variant_starts_from_the_same_weights_and_sequences():
    jobs = gap.gap_jobs(T=200, trials=2)
    seeds = {j.protocol.key: j.seeds() for j in jobs}
    assert len({repr(s) for s in seeds.values()}) == 1
    from lstmlib.papers.hochreiter1997.jobs import Job
    assert seeds["4_T200_paper"] == Job(with_T(PROTOCOLS["4_T100"], 200), "vanilla", 2, 1).seeds()  # = the chapter's
    a = network_for(jobs[0].protocol, "vanilla", 2, seeds["4_T200_paper"]["init"])
    b = network_for(gap.variant_protocol("exact"), "vanilla", 2, seeds["4_T200_exact"]["init"])
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert [variant for variant in map(gap.variant_of, seeds)] == list(gap.VARIANTS)
    with pytest.raises(ValueError, match="unknown variant"):
        gap.gap_jobs(variants="paper,half")
    with pytest.raises(ValueError, match="T must be"):
        gap.gap_jobs(T=10)


def test_rank_sum_p_matches_the_normal_approximation_by_hand():
    # U = 0, mean 4.5, variance 3*3*7/12 = 5.25: z = -1.964, p = 0.0495
    assert math.isclose(gap.rank_sum_p([1, 2, 3], [4, 5, 6]), math.erfc(4.5 / math.sqrt(5.25) / math.sqrt(2)))
    assert gap.rank_sum_p([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert gap.rank_sum_p([5, 5], [5, 5]) == 1.0  # all tied
    assert math.isnan(gap.rank_sum_p([], [1]))


def _doc(by_variant, budget=600_000):
    records = []
    for name, seqs in by_variant.items():
        trials = [{"status": "solved" if s else "budget", "sequences": s, "test_wrong": 0} for s in seqs]
        records.append({"protocol": f"4_T200_{name}", "arch": "vanilla", "budget": budget, "trials": trials})
    return {"parameters": {"T": 200}, "records": records, "seed": 0,
            "provenance": {"commit": "abc123def4567890", "date": "2026-12-03T00:00:00"}}


def test_rows_and_verdicts():
    slow = [250_000 + 1000 * k for k in range(10)]
    doc = _doc({"paper": slow, "exact": [100_000 + 1000 * k for k in range(10)],
                "no_half": [150_000 + 1000 * k for k in range(10)], "wide_init": slow[::-1],
                "output_biases": [None] * 10})
    rows = {r["variant"]: r for r in gap.gap_rows(doc)}
    assert rows["paper"]["verdict"] == "baseline" and rows["paper"]["median"] == 254_500
    assert rows["exact"]["verdict"] == "closes the gap"  # 104,500 <= 1.25 x 107,750
    assert rows["no_half"]["verdict"] == "faster" and rows["no_half"]["p"] < 0.05
    assert rows["wide_init"]["verdict"] == "no measurable change"
    assert rows["output_biases"]["verdict"] == "slower" and rows["output_biases"]["solved"] == 0
    assert rows["output_biases"]["median"] == 600_000  # unsolved trials count at the budget
    text = gap.gap_text(doc, "`here`")
    assert "compares each change with the chapter's reading, which solved 10 of 10 trials" in text
    assert "What closes the gap: the exact" in text
    assert "107,750" in text and "abc123def456" in text
    assert "<table>" in gap.gap_table_html(doc) and gap.gap_table_html(doc).count("<tr>") == 6
    assert "not found" in gap.gap_text(None, "`x`")


def test_a_run_without_the_baseline_is_reported_against_the_papers_own_mean():
    doc = _doc({"combined": [150_000 + 1000 * k for k in range(10)]})
    doc["parameters"] = {"T": 500, "partial": True}
    (row,) = gap.gap_rows(doc)
    assert row["verdict"] == "closes the gap" and row["vs_paper_variant"] is None  # 154,500 <= 1.25 x 209,000
    doc["records"][0]["trials"][0]["status"] = "budget"
    assert gap.gap_rows(doc)[0]["verdict"] == "not compared (no baseline in this run)"
    text = gap.gap_text(doc, "`x`")
    assert "ran only combined" in text and "209,000: the paper's mean at T = 500, Table 7" in text
    assert "9 of 10 trials solved" in text and "<td>–</td>" in gap.gap_table_html(doc)


def test_the_baseline_may_come_from_the_chapters_own_reference_run():
    doc = _doc({"combined": [500_000 + 1000 * k for k in range(10)]})
    doc["parameters"] = {"T": 500, "partial": True}
    other = {"records": [{"protocol": "4_T500", "arch": "vanilla", "job": "4_T500/vanilla", "budget": 2_000_000,
                          "trials": [{"status": "solved", "sequences": 1_000_000 + 1000 * k, "test_wrong": 0}
                                     for k in range(10)]}]}
    base = gap.baseline_record(other, 500)
    rows = {r["variant"]: r for r in gap.gap_rows(doc, base)}
    assert rows["paper"]["median"] == 1_004_500 and rows["combined"]["verdict"] == "faster"
    assert rows["combined"]["vs_paper_variant"] == pytest.approx(504_500 / 1_004_500)
    text = gap.gap_text(doc, "`x`", base, "`ref`")
    assert "ran only combined" in text and "(the same weights and sequences, in `ref`)" in text
    assert "None of them closes the gap (the closest: the three changes" in text and "2.41 times" in text
    assert gap.baseline_record(other, 200) is None and gap.baseline_record(None, 500) is None
    with pytest.raises(ValueError, match="baseline must be"):
        gap.gap_rows(doc, {**base, "protocol": "4_T200"})
