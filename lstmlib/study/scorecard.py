"""The reproduction scorecard as a reader meets it: one row per (chapter, experiment, model), the best
evidence shown and the other runs a click away, verdict counts on top, every verdict and tag defined.

Rows come from the results files (:func:`collect`): this build's and those of the reference runs at
the papers' full protocols, each file's verdicts recomputed under today's rules when a ``rescore``
function is given.  :func:`merge` keeps, per row, the run closest to the paper's protocol
(:func:`evidence_rank`); :func:`counts_line` and :func:`table_html` render the merged rows with their
verdicts as coloured chips, :func:`glossary_html` the definitions, :func:`key_results` a chapter's
key-results box.  What a verdict means is each paper's business (its package defines its
labels in ``chapter.VERDICTS``, and the same word may mean different rules in two chapters); this
module only needs each label's kind (:data:`KINDS`) and definition, which the scorecard page passes in
as a *glossary*: ``{chapter: {verdict: (kind, definition)}}``, with the labels every chapter shares
under ``"*"`` (:data:`COMMON_VERDICTS`).
"""

from __future__ import annotations

import html
from collections import Counter

from .results import read_results, resolve_path

#: How a verdict counts, in the order of the counts line: the chip colour of each kind.
KINDS = {"reproduced": "the paper's claim or number holds in our runs",
         "partial": "it holds in part (some trials, or with a stated difference)",
         "failed": "it does not hold in our runs (at the budget run)",
         "open": "nothing to compare yet (not run, no published number, or not attempted)"}

#: The tags of published numbers and claims, as the protocol tables of ``lstmlib.papers`` use them.
SOURCE_TAGS = {
    "verified": "read in the paper's own text or tables",
    "P": "read in the paper's own text (primary source)",
    "P-abs": "read in a primary abstract only (the paper's text could not be read)",
    "S": "from secondary sources (reading notes, reproductions), not checked against the paper",
    "U": "unverified: repeated in secondary sources, not found in any primary text",
}

#: The verdict of a row of the coverage list that no chapter has run yet.
NOT_ATTEMPTED = "not attempted yet"

#: The labels any chapter may use, whatever its paper.
COMMON_VERDICTS = {"not run": ("open", "the row exists but this run did not train it (another scale runs it)"),
                   NOT_ATTEMPTED: ("open", "no chapter has run this experiment yet; the book claims nothing about it")}

_KEY = ("chapter", "experiment", "model")


def collect(results_dir, reference_dir=None, rescore=None) -> list[dict]:
    """The rows of this build's results files (``run``: "this build") and of every folder of
    ``reference_dir`` (``run``: the folder's name; only the rows it ran: a reference run trains a few
    rows at the papers' protocols), each folder resolved against the project root, with each file's
    commit and date.  ``rescore``: a function ``doc -> rows`` that recomputes a results file's rows
    under today's verdict rules (:func:`lstmlib.papers.rescore`; it may add rows that the file's rules
    left out); a row whose verdict changed keeps the file's own under ``verdict_as_run``.  None: every
    file's rows as written."""
    rows = _rows_of(resolve_path(results_dir), "this build", rescore, keep_not_run=True)
    for run, folder in reference_folders(reference_dir):
        rows += _rows_of(folder, run, rescore, keep_not_run=False)
    return rows


def _rows_of(folder, run, rescore, keep_not_run) -> list[dict]:
    out = []
    for doc in read_results(folder):
        written = doc.get("summary", {}).get("scorecard", [])
        rows = rescore(doc) if rescore is not None else written
        as_run = {_key(r): r["verdict"] for r in written}  # a rescored row may be new: none then
        if len({_key(r) for r in rows}) != len(rows):
            raise ValueError(f"the scorecard rows of {doc.get('chapter')!r} repeat a (chapter, experiment, model)")
        prov = doc["provenance"]
        for row in rows:
            if keep_not_run or row["verdict"] != "not run":
                old = as_run.get(_key(row), row["verdict"])
                extra = {"verdict_as_run": old} if old != row["verdict"] else {}
                out.append({**row, **extra, "commit": prov["commit"][:12], "date": prov["date"], "run": run})
    return out


def _key(row) -> tuple:
    return tuple(row.get(k) for k in _KEY)


def reference_folders(reference_dir) -> list[tuple]:
    """``(run name, folder)`` of every folder of ``reference_dir`` (resolved against the project root;
    none if it is None), by name."""
    if reference_dir is None:
        return []
    return [(p.name, p) for p in sorted(resolve_path(reference_dir).glob("*")) if p.is_dir()]


def lookup(glossary, row) -> tuple:
    """``(kind, definition)`` of a row's verdict: its chapter's meaning, else the common one."""
    verdict = row["verdict"]
    found = glossary.get(row.get("chapter"), {}).get(verdict) or glossary.get("*", {}).get(verdict)
    if found is None:
        raise ValueError(f"verdict {verdict!r} of {row.get('chapter')}/{row.get('experiment')} has no definition "
                         "in the glossary")
    return found


def evidence_rank(row) -> tuple:
    """Which of a row's runs the scorecard shows first (larger is better): one that ran before one that
    did not; one at the papers' scale (``scale`` starting with "paper") before one at a smaller scale;
    this build before a reference run at the same standing."""
    ran = row["verdict"] not in ("not run", NOT_ATTEMPTED)
    return ran, str(row.get("scale", "")).startswith("paper"), row.get("run") == "this build"


def merge(*row_lists, chapters=()) -> list[dict]:
    """One row per (chapter, experiment, model): the best evidence (:func:`evidence_rank`) with the other
    runs of the same row under ``"others"``; rows in the order of ``chapters`` (the book's), then of
    first appearance."""
    groups: dict[tuple, list] = {}
    for rows in row_lists:
        for row in rows:
            groups.setdefault(_key(row), []).append(row)
    merged = []
    for runs in groups.values():
        best = max(runs, key=evidence_rank)  # max keeps the first of equals: the order given
        merged.append({**best, "others": [r for r in runs if r is not best]})
    order = list(chapters)
    return sorted(merged, key=lambda r: order.index(r["chapter"]) if r["chapter"] in order else len(order))


def not_attempted_rows(coverage) -> list[dict]:
    """Scorecard rows for the experiments no chapter has run yet: ``coverage`` is a list of
    ``(paper, experiment)`` or ``(paper, experiment, what the paper publishes)`` tuples."""
    rows = []
    for paper, experiment, *published in coverage:
        rows.append({"chapter": "–", "experiment": experiment, "model": "–",
                     "paper": paper + (f": {published[0]}" if published else ""), "ours": "–",
                     "verdict": NOT_ATTEMPTED, "scale": "–", "run": "–", "others": []})
    return rows


def check_glossary(rows, glossary):
    """Every verdict shown must be defined for its chapter (or in common), with a known kind: raises
    ValueError naming the first that is not (the page would otherwise show a label no one explains)."""
    for chapter_verdicts in glossary.values():
        for verdict, (kind, _) in chapter_verdicts.items():
            if kind not in KINDS:
                raise ValueError(f"verdict {verdict!r}: unknown kind {kind!r}; valid: {list(KINDS)}")
    for row in rows:
        lookup(glossary, row)


def counts(rows, glossary) -> dict:
    """Rows per verdict kind, in :data:`KINDS` order (kinds with no row left out)."""
    c = Counter(lookup(glossary, r)[0] for r in rows)
    return {kind: c[kind] for kind in KINDS if c[kind]}


def counts_line(rows, glossary) -> str:
    """The line on top of the scorecard: ``"24 rows: 9 reproduced · 3 partial · ..."`` as HTML chips."""
    parts = [f'<span class="verdict-chip verdict-{k}">{n} {k}</span>' for k, n in counts(rows, glossary).items()]
    return f'<p class="verdict-counts">{len(rows)} rows: {" ".join(parts)}</p>'


def _chip(row, glossary) -> str:
    kind, definition = lookup(glossary, row)
    return (f'<span class="verdict-chip verdict-{kind}" title="{html.escape(definition)}">'
            f"{html.escape(row['verdict'])}</span>")


def _run_text(row) -> str:
    run = str(row.get("run", ""))
    where = "this build" if run == "this build" else f"reference run <code>{html.escape(run)}</code>"
    facts = [f"{k}: {html.escape(str(row[k]))}" for k in ("protocol", "scale", "commit", "date") if row.get(k)]
    if row.get("verdict_as_run"):
        facts.append(f"verdict when it ran: {html.escape(row['verdict_as_run'])} (older rules)")
    return f"{where}; " + "; ".join(facts)


def row_html(row, glossary) -> str:
    """One table row: experiment, model, paper, ours, the verdict chip, and a collapsed details cell
    with the run's protocol, scale, commit and date and every other run of the same row."""
    cells = [html.escape(str(row.get(k, ""))) for k in ("experiment", "model", "paper", "ours")]
    cells.append(_chip(row, glossary))
    others = row.get("others", [])
    if row["verdict"] == NOT_ATTEMPTED:
        details = "no chapter has run it"
    else:
        summary = "run" if not others else f"run, and {len(others)} other{'s' if len(others) > 1 else ''}"
        items = "".join(f"<li>{_chip(o, glossary)} {html.escape(str(o.get('ours', '')))} ({_run_text(o)})</li>"
                        for o in others)
        details = (f"<details><summary>{summary}</summary><p>{_run_text(row)}</p>"
                   + (f"<ul>{items}</ul>" if items else "") + "</details>")
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + f"<td>{details}</td></tr>"


def table_html(rows, glossary) -> str:
    """The whole scorecard table (rows already merged)."""
    check_glossary(rows, glossary)
    head = "".join(f"<th>{h}</th>" for h in ("experiment", "model", "paper", "ours", "verdict", "run"))
    body = "".join(row_html(r, glossary) for r in rows)
    return f'<table class="table scorecard"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def glossary_html(glossary, titles=None, tags=SOURCE_TAGS) -> str:
    """Definitions of every verdict, chapter by chapter (``titles``: chapter -> heading; the common
    labels last), with their chips, then every source tag."""
    titles = titles or {}
    parts = []
    for chapter, verdicts in sorted(glossary.items(), key=lambda kv: kv[0] == "*"):
        items = "".join(f"<dt>{_chip({'chapter': chapter, 'verdict': v}, glossary)}</dt><dd>{html.escape(d)}</dd>"
                        for v, (_, d) in verdicts.items())
        title = "Every chapter" if chapter == "*" else titles.get(chapter, chapter)
        parts.append(f'<p><strong>{html.escape(title)}</strong></p><dl class="verdict-glossary">{items}</dl>')
    tag_list = "".join(f"<dt><code>[{html.escape(t)}]</code></dt><dd>{html.escape(d)}</dd>" for t, d in tags.items())
    return ("".join(parts) + "<p>Published numbers and claims carry the tag of their source:</p>"
            f'<dl class="tag-glossary">{tag_list}</dl>')


def key_results(rows, glossary, claim, verdicts_label="scorecard-verdicts") -> str:
    """A chapter's key-results box as three lines of MyST Markdown: the paper's ``claim``, what ran
    (the chapter's scorecard ``rows`` that ran, counted by kind of verdict), and each such row's
    verdict, with a link to the definitions (``verdicts_label``)."""
    check_glossary(rows, glossary)
    ran = [r for r in rows if r["verdict"] not in ("not run", NOT_ATTEMPTED)]
    if not ran:
        return (f"- **The paper:** {claim}\n- **Ours:** none of the chapter's {len(rows)} scorecard rows ran "
                "at this scale\n- **Verdicts:** none")
    tally = ", ".join(f"{n} {kind}" for kind, n in counts(ran, glossary).items())
    not_run = len(rows) - len(ran)
    ours = (f"{len(ran)} scorecard row{'s' if len(ran) > 1 else ''} ran in this build ({tally})"
            + (f"; {not_run} more run only at larger scales" if not_run else ""))
    each = "; ".join(f"{r['experiment']}, {r['model']}: *{r['verdict']}*" for r in ran)
    return (f"- **The paper:** {claim}\n- **Ours:** {ours}\n"
            f"- **Verdicts:** {each} (what each verdict means: {{ref}}`{verdicts_label}`)")


def partial_html(partials) -> str:
    """The runs in progress (``partials``: :func:`lstmlib.study.results.read_partials`) as a table: per job
    of each run, done/running/waiting, trials solved, training items seen of the budget, and the command
    that continues the run.  Their numbers are not results: a run counts in the scorecard once it is
    finished and its results file written."""
    if not partials:
        return "<p>No reference run is in progress.</p>"
    out = []
    for doc in partials:
        prov = doc["provenance"]
        out.append(f"<p><b>{html.escape(doc['folder'])}</b> (partial; the code of commit "
                   f"{html.escape(prov['commit'][:12])}; progress as of {html.escape(doc['updated'][:16])} UTC). "
                   f"To continue: <code>{html.escape(doc['command'])}</code></p>")
        rows = "".join(
            f"<tr><td>{html.escape(j['job'])}</td><td>{html.escape(j['state'])}</td>"
            f"<td>{j['solved']}/{j['trials']}</td>"
            f"<td>{j['seen']:,} of {j['budget']:,} {html.escape(j['unit'])}</td></tr>"
            for j in doc["jobs"])
        out.append("<table><tr><th>job</th><th>state</th><th>solved</th><th>seen so far</th></tr>" + rows + "</table>")
    return "".join(out)
