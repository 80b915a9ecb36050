"""The scorecard page's library (lstmlib.study.scorecard): merging this build's rows with the reference
runs', verdict counts and chips, and every verdict that a chapter can give defined in its glossary."""

import pytest

from lstmlib.papers import gers2001, gers2002, hochreiter1997
from lstmlib.papers.gers2000 import chapter as g00
from lstmlib.papers.gers2001 import chapter as g01
from lstmlib.papers.gers2002 import chapter as g02
from lstmlib.papers.hochreiter1997 import chapter as h97
from lstmlib.study import scorecard as sc
from lstmlib.study.results import write_results

GLOSSARY = {"*": sc.COMMON_VERDICTS, "c": {"reproduced": ("reproduced", "R"), "partly": ("partial", "P"),
                                            "not reproduced": ("failed", "N")}}


def row(verdict, run="this build", scale="default", experiment="E1", ours="ours"):
    return {"chapter": "c", "experiment": experiment, "model": "M", "paper": "p [P]", "ours": ours,
            "verdict": verdict, "run": run, "scale": scale, "protocol": "lr 1", "commit": "abc", "date": "d"}


def test_merge_shows_the_run_closest_to_the_paper_first_and_keeps_the_others():
    build = [row("not run", experiment="E1"), row("partly", experiment="E2"), row("reproduced", experiment="E3")]
    reference = [row("reproduced", run="ref_a", scale="paper: 10 trials", experiment="E1"),
                 row("not reproduced", run="ref_b", scale="default (custom)", experiment="E2"),
                 row("partly", run="ref_c", scale="paper (custom): 10 trials", experiment="E3")]
    merged = sc.merge(build, reference)
    assert [(m["experiment"], m["run"], len(m["others"])) for m in merged] == [
        ("E1", "ref_a", 1),        # ran, beats "not run"
        ("E2", "this build", 1),   # both ran at a small scale: this build first
        ("E3", "ref_c", 1)]        # the papers' scale beats this build's default scale
    assert merged[1]["others"][0]["verdict"] == "not reproduced"
    assert sc.merge([row("not run")]) == [{**row("not run"), "others": []}]
    two = sc.merge([{**row("partly"), "chapter": "b"}, row("partly")], chapters=("c", "b"))
    assert [r["chapter"] for r in two] == ["c", "b"]  # the book's order, not the files'



def test_counts_line_and_table_define_every_chip():
    rows = sc.merge([row("reproduced", experiment="E1"), row("partly", experiment="E2"),
                     row("not run", experiment="E3")], [row("not reproduced", run="ref", experiment="E2")])
    rows += sc.not_attempted_rows([("Gers 2000", "CERG", "18 % solved [P]")])
    assert sc.counts(rows, GLOSSARY) == {"reproduced": 1, "partial": 1, "open": 2}
    line = sc.counts_line(rows, GLOSSARY)
    assert line.startswith('<p class="verdict-counts">4 rows:') and "2 open" in line
    html = sc.table_html(rows, GLOSSARY)
    assert html.count("<tr>") == 5 and html.count('class="verdict-chip verdict-partial" title="P"') == 1
    assert "run, and 1 other" in html and "reference run <code>ref</code>" in html
    assert "no chapter has run it" in html and "<td>Gers 2000: 18 % solved [P]</td>" in html
    assert sc.not_attempted_rows([("Gers 2000", "CERG")])[0]["paper"] == "Gers 2000"


def test_an_undefined_verdict_or_kind_stops_the_page():
    with pytest.raises(ValueError, match="'slower' of c/E1 has no definition"):
        sc.table_html([row("slower")], GLOSSARY)
    with pytest.raises(ValueError, match="unknown kind 'great'"):
        sc.check_glossary([], {"c": {"reproduced": ("great", "")}})


def test_the_same_label_can_mean_different_rules_in_two_chapters():
    glossary = {"a": {"reproduced": ("reproduced", "rule A")}, "b": {"reproduced": ("partial", "rule B")}}
    html = sc.glossary_html(glossary, {"a": "Chapter A"})
    assert "Chapter A" in html and "rule A" in html and "rule B" in html and "[P-abs]" in html
    assert sc.lookup(glossary, {"chapter": "b", "verdict": "reproduced"}) == ("partial", "rule B")


def test_collect_labels_the_runs(tmp_path):
    for folder in ("build", "refs/run_a"):
        (tmp_path / folder).mkdir(parents=True)
        rows = [row("partly"), row("not run", experiment="E9")]
        write_results(tmp_path / folder, "c", parameters={}, records=[], summary={"scorecard": rows},
                      seed=0, wall_time=1.0)
    rows = sc.collect(tmp_path / "build", tmp_path / "refs")
    assert [r["run"] for r in rows] == ["this build", "this build", "run_a"]  # a reference run's "not run" rows
    assert len(rows[0]["commit"]) <= 12                                       # say nothing: left out


# ---------------------------------------------------------------- every chapter's verdicts are defined

def _defined(chapter_module, verdict):
    return verdict in chapter_module.VERDICTS or verdict in sc.COMMON_VERDICTS


def test_every_papers_verdicts_have_a_valid_kind():
    sc.check_glossary([], {"*": sc.COMMON_VERDICTS, "noisy_recall": h97.VERDICTS, "languages": g01.VERDICTS,
                           "timing": g02.VERDICTS, "forgetting": g00.VERDICTS})


def test_the_1997_verdicts_are_all_defined():
    base = {"solved": 3, "trials": 3, "test_n": 2560, "wrong_mean_solved": 1.0, "seq_median": 100.0,
            "seq_min": 80, "seq_max": 120, "wrong_median": 1.0, "mae_median": 0.01}
    cases = [base, {**base, "seq_median": 1e6}, {**base, "seq_median": 10.0}, {**base, "seq_min": 110},
             {**base, "wrong_mean_solved": 99.0}, {**base, "solved": 1}, {**base, "solved": 0},
             {**base, "solved": 0, "wrong_median": 1300.0, "mae_median": 0.5}]
    level = {"constant": 0.5, "wrong": 1280, "n": 2560, "mean_abs_error": 0.5}
    got = {h97.verdict(s, {"sequences": 100, "wrong": 1}, level) for s in cases} | {h97.verdict(base, {}, level)}
    got.add(h97.row_verdict(h97.PROTOCOLS["4_T100"], {**base, "arch": "rnn"}))  # one the paper did not train
    assert got == set(h97.VERDICTS)  # every branch is reached and defined


def test_the_languages_verdicts_are_all_defined():
    base = {"solved": 5, "trials": 10, "up_to_median": 100.0, "up_to_best": 1000}
    cases = (base, {**base, "solved": 4}, {**base, "up_to_median": 12.0, "up_to_best": 12})
    got = {g01.claim_verdict(s, 10) for s in cases}
    assert all(_defined(g01, v) for v in got) and got == {"reproduced", "partly", "not reproduced"}
    assert {"reproduced (RNN worse)", "not reproduced (RNN not worse)"} <= set(g01.VERDICTS)


def test_the_timing_verdicts_are_all_defined():
    P = gers2002.PROTOCOLS
    msd, gts = "msd_F10_I0-1", "gts_F10"

    def s(solved, events=5.0):
        return {"solved": solved, "trials": 10, "test_events_median": events, "test_rmse_median": 0.4}

    got = {g02.claim_verdict(P[msd], {"peephole": s(a), "forget": s(b)}) for a, b in ((5, 5), (9, 4), (9, 0))}
    got |= {g02.claim_verdict(P[gts], {"peephole": s(n)}) for n in (0, 1)} | {g02.claim_verdict(P[gts], {})}
    got.add(g02.claim_verdict(P[gts], {"peephole": s(0, events=0.0)}))
    no_claim = [k for k, p in P.items() if p.paper.get("claim") is None]
    got |= {g02.claim_verdict(P[k], {"peephole": s(1)}) for k in no_claim}
    assert all(_defined(g02, v) for v in got)
    assert set(g02.VERDICTS) <= got


def test_papers_are_importable_as_the_page_uses_them():
    assert hochreiter1997.chapter.VERDICTS and gers2001.chapter.VERDICTS and gers2002.chapter.VERDICTS


def test_key_results_box_is_three_lines_claim_what_ran_and_each_verdict():
    rows = [row("reproduced", experiment="E1"), row("partly", experiment="E2"), row("not run", experiment="E3")]
    box = sc.key_results(rows, GLOSSARY, "LSTM does X [P]")
    lines = box.splitlines()
    assert len(lines) == 3 and lines[0] == "- **The paper:** LSTM does X [P]"
    assert lines[1] == ("- **Ours:** 2 scorecard rows ran in this build (1 reproduced, 1 partial); "
                        "1 more run only at larger scales")
    assert lines[2].startswith("- **Verdicts:** E1, M: *reproduced*; E2, M: *partly*")
    assert "{ref}`scorecard-verdicts`" in lines[2]
    assert "none of the chapter's 1 scorecard rows ran" in sc.key_results([row("not run")], GLOSSARY, "X")


def test_each_chapter_opens_with_its_papers_claim():
    from lstmlib import papers
    for chapter, module in (("noisy_recall", h97), ("forgetting", g00), ("languages", g01), ("timing", g02)):
        r = {**row("reproduced"), "chapter": chapter}
        assert papers.key_results(chapter, [r]).startswith(f"- **The paper:** {module.CLAIM}\n")
    with pytest.raises(ValueError, match="unknown chapter 'np'"):
        papers.key_results("np", [])


def test_collect_recomputes_verdicts_and_keeps_the_written_one(tmp_path):
    (tmp_path / "build").mkdir()
    write_results(tmp_path / "build", "c", parameters={}, records=[], seed=0, wall_time=1.0,
                  summary={"scorecard": [row("reproduced"), row("partly", experiment="E2")]})
    rows = sc.collect(tmp_path / "build", rescore=lambda doc: [{**r, "verdict": "partly"}
                                                                for r in doc["summary"]["scorecard"]])
    assert [(r["verdict"], r.get("verdict_as_run")) for r in rows] == [("partly", "reproduced"), ("partly", None)]
    assert "verdict when it ran: reproduced (older rules)" in sc.table_html(sc.merge(rows), GLOSSARY)
    # rows are paired with the written ones by (chapter, experiment, model): a row the file's rules left out
    # has no verdict as run, a row that rescoring drops is gone
    added = sc.collect(tmp_path / "build", rescore=lambda doc: [row("partly", experiment="E3"), row("partly")])
    assert [(r["experiment"], r.get("verdict_as_run")) for r in added] == [("E3", None), ("E1", "reproduced")]
    with pytest.raises(ValueError, match="repeat a"):
        sc.collect(tmp_path / "build", rescore=lambda doc: [row("partly"), row("reproduced")])


def test_papers_rescore_dispatches_by_chapter():
    from lstmlib import papers
    doc = {"chapter": "elsewhere", "summary": {"scorecard": [row("partly")]}}
    assert papers.rescore(doc) == [row("partly")]  # no paper package: the rows as written


def test_every_chapter_has_a_title_a_claim_and_verdicts():
    from lstmlib import papers
    assert set(papers.CHAPTERS) == set(papers.CHAPTER_TITLES)
    for name, package in papers.CHAPTERS.items():
        assert package.chapter.CLAIM and papers.glossary()[name] is package.chapter.VERDICTS
