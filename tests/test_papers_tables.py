"""The coverage registry (lstmlib.papers.tables) and the "What the papers publish" page's calls: every
table of the covered papers is listed once, with a valid tag and a chapter that exists, and the rows the
chapters compare with name tables that the registry says they rerun."""

import pytest

from lstmlib import papers
from lstmlib.papers import tables
from lstmlib.study.results import figure_entry, figure_files


def test_every_table_is_listed_once_with_a_known_chapter():
    keys = [(t.paper, t.where, t.experiment) for t in tables.TABLES]
    assert len(keys) == len(set(keys))
    assert {t.chapter for t in tables.TABLES} - {None} == set(papers.CHAPTERS)  # every chapter reruns something
    assert all(t.published and t.experiment for t in tables.TABLES)


def test_the_1997_rows_cite_tables_that_the_registry_says_the_chapter_reruns():
    covered = {t.where.split(" (")[0] for t in tables.TABLES if t.paper == "hochreiter1997"
               and t.chapter == "noisy_recall"}
    cited = {p.paper["source"].split(" (")[0] for p in papers.hochreiter1997.PROTOCOLS.values()}
    assert cited == covered == {"Table 4", "Table 5", "Table 6", "Table 7", "Table 8"}


def test_not_attempted_lists_the_tables_no_chapter_reruns_with_what_they_publish():
    rows = tables.not_attempted()
    assert len(rows) == sum(t.chapter is None for t in tables.TABLES) == len(papers.NOT_ATTEMPTED)
    paper, experiment, published = rows[0]
    assert paper == "Hochreiter & Schmidhuber 1997" and experiment == ("Table 2 (§5.2): Exp. 2a, noise-free "
                                                                       "sequences with long minimal time lags")
    assert "5,040" in published and published.endswith("[P]")
    assert any(e.startswith("Table 3 (§4.6): continual noisy temporal order") for _, e, _ in rows)  # Gers 2000
    left = {e for _, e, _ in rows}  # the forgetting chapter reruns H&S 1997 Table 1 and Gers 2000 Table 2
    assert not left & {"Table 1 (§5.1): Exp. 1, embedded Reber grammar",
                       "Table 2 (§4): continual embedded Reber grammar"}


def test_coverage_rows_name_the_chapter_or_say_not_attempted():
    rows = tables.coverage_rows(chapter_titles=papers.CHAPTER_TITLES)
    assert len(rows) == len(tables.TABLES)
    assert {r["in this book"] for r in rows} == set(papers.CHAPTER_TITLES.values()) | {"not attempted yet"}
    assert all(r["what the paper publishes"].endswith("]") for r in rows)


@pytest.mark.parametrize("changes, match", [({"paper": "smith1999"}, "unknown paper"), ({"tag": "X"}, "unknown tag")])
def test_a_bad_entry_is_refused(changes, match):
    with pytest.raises(ValueError, match=match):
        tables.PaperTable(**{"paper": "gers2000", "where": "Table 9", "experiment": "e", "published": "p",
                             "tag": "P", **changes})


def test_published_chapters_and_rows():
    assert papers.published_chapters() == list(papers.CHAPTERS)
    assert papers.published_chapters("timing, languages") == ["timing", "languages"]
    for bad in ("recall", [], ["timing", "x"]):
        with pytest.raises(ValueError, match="unknown chapter"):
            papers.published_chapters(bad)
    for name, package in papers.CHAPTERS.items():
        rows = package.chapter.published_rows()
        assert [r["row"] for r in rows] == list(package.PROTOCOLS), name
        assert all(r["the paper"] for r in rows)
    (adding,) = [r for r in papers.hochreiter1997.chapter.published_rows() if r["row"] == "4_T100"]
    assert adding["the paper"] == "74,000 sequences, 1 wrong of 2560 (verified, Table 7)"


def test_the_summary_figures_are_listed_as_the_exporter_saves_them():
    (entry,) = papers.summary_figures()
    assert entry["chapter"] == "summary" and entry["label"] == "fig-scorecard-ratios"
    assert entry["files"] == figure_files("scorecard_ratios") == ["scorecard_ratios.png", "scorecard_ratios.svg",
                                                                  "scorecard_ratios.csv"]
    assert figure_entry("a_b", "c") == {"label": "fig-a-b", "caption": "c", "files": figure_files("a_b")}
