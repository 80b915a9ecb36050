"""One package per paper, named by its bibliography key: the paper's protocol tables with the
published numbers and their tags (``protocols``), the jobs that run them (``jobs``) and what its
chapter shows (``chapter``: summaries, verdicts, scorecard rows, sentences and figures).  Nothing
else in the library imports from here."""

from . import gers2000, gers2001, gers2002, graves2012, hochreiter1997, tables

__all__ = ["CHAPTERS", "CHAPTER_TITLES", "NOT_ATTEMPTED", "gers2000", "gers2001", "gers2002", "glossary", "graves2012",
           "hochreiter1997", "key_results", "paper_ratio_items", "published_chapters", "rescore", "summary_figures",
           "tables"]

#: Each chapter's name in the results files, with its paper's package.
CHAPTERS = {"vanishing_gradient": graves2012.vanishing, "equations": graves2012.equations,
            "gradients": graves2012.gradients,
            "noisy_recall": hochreiter1997, "forgetting": gers2000, "languages": gers2001, "timing": gers2002}

#: Each chapter's name in the results files, with the title the scorecard shows for it.
CHAPTER_TITLES = {"vanishing_gradient": "The vanishing gradient (Hochreiter 1991, H&S 1997 §3.1 and Exp. 2c)",
                  "equations": "The equations beside the code (Graves 2012, §4.6)",
                  "gradients": "Computing the gradient (Hochreiter & Schmidhuber 1997 §6, Graves 2012)",
                  "noisy_recall": "Noisy recall (Hochreiter & Schmidhuber 1997, Exp. 3-5)",
                  "forgetting": "Learning to forget (H&S 1997 Exp. 1; Gers, Schmidhuber & Cummins 2000)",
                  "languages": "Counting languages (Gers & Schmidhuber 2001)",
                  "timing": "Counting time (Gers, Schraudolph & Schmidhuber 2002)"}

#: The tables of the papers the book covers that no chapter reruns yet, as (paper, "<table>: <experiment>"):
#: the scorecard lists them as "not attempted yet", and the book's coverage table (book/intro.md) names
#: the same ones (tests/test_book.py checks that the two agree).  From :data:`.tables.TABLES`.
NOT_ATTEMPTED = tuple(tables.not_attempted())


def published_chapters(chapters=None) -> list[str]:
    """The chapters whose rows the "Published numbers" page lists: all of :data:`CHAPTERS` (None) or the
    names given, as a list or a comma-separated string, each checked."""
    if chapters is None:
        return list(CHAPTERS)
    names = [c.strip() for c in chapters.split(",")] if isinstance(chapters, str) else list(chapters)
    unknown = [c for c in names if c not in CHAPTERS]
    if unknown or not names:
        raise ValueError(f"unknown chapter(s) {unknown or names!r}; valid: {list(CHAPTERS)}")
    return names


def summary_figures() -> list[dict]:
    """The figures of the Summary pages (the scorecard's), as the Figures page lists them
    (:func:`lstmlib.study.results.figure_entry`), with ``chapter`` "summary"."""
    from ..study.results import figure_entry
    return [{"chapter": "summary", **figure_entry(name, caption)}
            for name, caption in hochreiter1997.figures.SUMMARY_CAPTIONS.items()]


def glossary() -> dict:
    """What every verdict of every chapter means, for the scorecard page: ``{chapter: {verdict: (kind,
    definition)}}`` from each paper's ``chapter.VERDICTS``, the labels all chapters share under ``"*"``."""
    from ..study.scorecard import COMMON_VERDICTS
    return {**{name: package.chapter.VERDICTS for name, package in CHAPTERS.items()}, "*": COMMON_VERDICTS}


def key_results(chapter: str, rows) -> str:
    """The key-results box that opens ``chapter`` (a key of :data:`CHAPTER_TITLES`), from its scorecard
    rows: its paper's claim (``chapter.CLAIM``), what ran and the verdicts
    (:func:`lstmlib.study.scorecard.key_results`)."""
    from ..study.scorecard import key_results as box
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; valid: {list(CHAPTERS)}")
    return box(rows, glossary(), CHAPTERS[chapter].chapter.CLAIM)


def paper_ratio_items(results_dir, reference_dir=None) -> list[dict]:
    """The rows of the scorecard's summary figure (:func:`hochreiter1997.figures.plot_paper_ratios`):
    :func:`hochreiter1997.chapter.paper_ratios` of this build's noisy-recall results file and of every
    reference run's, in the order of the paper's tables (the only chapter whose paper publishes numbers
    of training sequences)."""
    from ..study.results import read_results, resolve_path
    from ..study.scorecard import reference_folders
    h97 = hochreiter1997.chapter
    runs = [("this build", resolve_path(results_dir))] + reference_folders(reference_dir)
    items = [item for run, folder in runs for doc in read_results(folder) if doc["chapter"] == h97.CHAPTER
             for item in h97.paper_ratios(doc["records"], run)]
    order = list(hochreiter1997.protocols.PROTOCOLS)
    return sorted(items, key=lambda item: order.index(item["protocol"]))


def rescore(doc) -> list[dict]:
    """A results file's scorecard rows with every verdict recomputed from its records under today's
    rules (each paper's ``chapter.rescore``), so that the scorecard judges old reference runs and this
    build alike; a chapter without a paper package here keeps its rows as written."""
    package = CHAPTERS.get(doc.get("chapter"))
    if package is None:
        return doc.get("summary", {}).get("scorecard", [])
    return package.chapter.rescore(doc)
