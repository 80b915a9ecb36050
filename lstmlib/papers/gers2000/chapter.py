"""Learning to forget, the forgetting chapter (``notebooks/forgetting.ipynb``): what it computes from the
records of H&S 1997 Exp. 1 (:mod:`.erg_jobs`, the embedded Reber grammar with a reset per string, Table 1)
and of Gers, Schmidhuber & Cummins 2000 (:mod:`.cerg_jobs`, the continual stream, Table 2), one call per
table, figure or glued sentence of the chapter.

* summaries of records (:func:`summarise_erg`, :func:`summarise_cerg`, :func:`split_records`);
* the tables: protocols (:func:`erg_protocol_rows`, :func:`cerg_protocol_rows`), results beside the
  papers' numbers (:func:`erg_results_rows`, :func:`erg_published_rows`, :func:`cerg_results_rows`) and
  the scorecard (:func:`scorecard_table`);
* the glued sentences (:func:`sentences`);
* the verdicts and scorecard rows (:func:`erg_verdict`, :func:`cerg_verdict`, :func:`scorecard_rows`,
  :func:`rescore`, :func:`scale_text`);
* the mechanism figures, one trained net on a long continual stream (:func:`best_cerg_trial`,
  :func:`trace_figure`, :func:`export_traces`); the plots themselves are in :mod:`.figures`.
"""

from __future__ import annotations

import math

import numpy as np

from ...model.spec import SQUASHES
from ...study.figures import fmt_count, fmt_tag, html_table, label
from ...tasks import reber
from . import cerg_jobs, erg_jobs
from .cerg_jobs import network_from_record
from .figures import plot_cerg_trace, plot_not_run
from .protocols import CERG_PROTOCOLS, ERG_PROTOCOLS, ERG_PUBLISHED, FORGET_ARCHITECTURES, cerg_network

CHAPTER = "forgetting"

#: Captions of the chapter's fixed figures (the trace figures' captions are computed: :func:`trace_figure`).
CAPTIONS = {
    "forgetting_erg_strings": "Exp. 1 (embedded Reber grammar, a reset before each string): training strings until "
                              "each trial solved the task (dots), or the budget for unsolved trials (crosses; hollow: "
                              "diverged); dashed: the paper's mean for its LSTM (H&S 1997 Table 1).",
    "forgetting_erg_curves": "Exp. 1 learning curves: the fraction of the training set's strings predicted fully "
                             "right at each check, one line per trial.",
    "forgetting_cerg_lengths": "Continual embedded Reber grammar: each net's mean error-free length over the 10 "
                               "final test streams (filled dots: perfect solutions; hollow: good; crosses: bad); "
                               "dashed: the \"good\" threshold, dotted: the test streams' length.",
}

#: The mechanism figures: (figure name, what is shown, the rows whose best net is shown).
TRACES = (("forgetting_trace_standard", "standard LSTM", ("cerg_standard",)),
          ("forgetting_trace_forget", "forget-gate LSTM", ("cerg_forget", "cerg_forget_decay")))

#: Symbols of the continual stream the mechanism figures run on.
TRACE_STEPS = 400

#: The scorecard table's columns.
SCORECARD_COLUMNS = {"experiment": "experiment", "model": "model", "paper": "paper", "ours": "ours",
                     "verdict": "verdict"}

#: The claim that the chapter's key-results box states (tags as in the scorecard).
CLAIM = ("LSTM learns the embedded Reber grammar in nearly all trials, far faster than RTRL, Elman nets and RCC "
         "(H&S 1997 Table 1) [P]; on the continual stream without resets the standard LSTM fails, and forget "
         "gates let it reset its own state (Gers et al. 2000 Table 2) [P]")

#: Significance of the binomial test of a solved fraction against the paper's (:func:`rate_side`).
ALPHA = 0.05
#: Our mean strings to success within this factor of the paper's mean counts as the paper's speed.
FACTOR = 2.0
#: The most training streams per net of the CERG runs (Gers 2000 §4, from reading notes [S]).
CERG_PAPER_BUDGET = 30_000
#: The paper's perfect-solution test: streams and their length (Table 2's footnote [P]).
CERG_PAPER_TEST = (10, 100_000)
#: Class ranks of a CERG net, best first in :func:`best_cerg_trial`.
CLASS_RANK = {"perfect": 2, "good": 1, "bad": 0}


# ---------------------------------------------------------------- the jobs

def jobs_for(scale="default", erg_experiments=None, cerg_experiments=None, architectures=None, trials=None,
             erg_budget=None, cerg_budget=None, seed=0):
    """The chapter's jobs, validated before any work starts: ``(jobs, erg_protocols, cerg_protocols)``,
    Exp. 1's jobs (:func:`.erg_jobs.jobs_for`) then CERG's (:func:`.cerg_jobs.jobs_for`), with the rows
    each runs by key; ``architectures`` and ``trials`` go to both, each experiment has its rows and
    budget."""
    erg, erg_protocols = erg_jobs.jobs_for(scale, erg_experiments, architectures, trials, erg_budget, seed)
    cerg, cerg_protocols = cerg_jobs.jobs_for(scale, cerg_experiments, architectures, trials, cerg_budget, seed)
    return erg + cerg, erg_protocols, cerg_protocols


# ---------------------------------------------------------------- summaries

def _mean(values):
    return float(np.mean(values)) if len(values) else None


def summarise_erg(record) -> dict:
    """An Exp. 1 record in numbers: trials solved and diverged; mean, median and range of the training
    strings until success of the solved ones; the medians of the fraction of training and test strings
    predicted fully right at the end."""
    t = record["trials"]
    solved = [x["strings"] for x in t if x["strings"] is not None]
    return {"job": record["job"], "protocol": record["protocol"], "arch": record["arch"],
            "n_weights": record["n_weights"], "budget": record["budget"], "eval_every": record["eval_every"],
            "trials": len(t), "solved": len(solved), "diverged": sum(x["status"] == "diverged" for x in t),
            "strings_mean": _mean(solved), "strings_median": float(np.median(solved)) if solved else None,
            "strings_min": min(solved) if solved else None, "strings_max": max(solved) if solved else None,
            "train_correct_median": float(np.median([x["train_correct"] for x in t])),
            "test_correct_median": float(np.median([x["test_correct"] for x in t]))}


def summarise_cerg(record) -> dict:
    """A CERG record in numbers, as Table 2 counts nets: perfect (solved), good and bad nets, the mean
    training streams until the perfect solutions, the mean error-free test length of the good and of the
    bad nets; the test of a perfect solution (streams and their length, read from a solved trial: a
    solved trial's test lengths are all the cap), None if no trial solved."""
    t = record["trials"]
    by_class = {c: [x for x in t if x["class"] == c] for c in CLASS_RANK}
    solved = [x["streams"] for x in by_class["perfect"]]
    test = (len(by_class["perfect"][0]["test_lengths"]), min(by_class["perfect"][0]["test_lengths"])) \
        if solved else None
    return {"job": record["job"], "protocol": record["protocol"], "arch": record["arch"],
            "n_weights": record["n_weights"], "budget": record["budget"], "trials": len(t),
            "perfect": len(by_class["perfect"]), "good": len(by_class["good"]), "bad": len(by_class["bad"]),
            "diverged": sum(x["status"] == "diverged" for x in t), "streams_mean": _mean(solved),
            "good_length_mean": _mean([x["mean_test_length"] for x in by_class["good"]]),
            "bad_length_mean": _mean([x["mean_test_length"] for x in by_class["bad"]]),
            "best_train_length_median": float(np.median([x["best_train_length"] for x in t])),
            "perfect_test": test}


def is_erg(item) -> bool:
    """Whether a record or summary is of Exp. 1 (a row of :data:`.ERG_PROTOCOLS`) rather than CERG."""
    return item["protocol"] in ERG_PROTOCOLS


def split_records(records) -> tuple[list, list]:
    """Records (or summaries) split into those of Exp. 1 and those of CERG, each in the given order;
    raises ValueError for a record of neither."""
    records = list(records)
    unknown = [r["protocol"] for r in records if r["protocol"] not in ERG_PROTOCOLS | CERG_PROTOCOLS]
    if unknown:
        raise ValueError(f"records of unknown rows {unknown!r}")
    return [r for r in records if is_erg(r)], [r for r in records if not is_erg(r)]


def summarise(records) -> tuple[list, list]:
    """The summaries of ``records``: ``(Exp. 1 summaries, CERG summaries)``."""
    erg, cerg = split_records(records)
    return [summarise_erg(r) for r in erg], [summarise_cerg(r) for r in cerg]


def summary_of(items, protocol, arch=None):
    """The summary (or record) of ``protocol`` (a key), with ``arch`` if given; None if not run."""
    return next((s for s in items if s["protocol"] == protocol and arch in (None, s["arch"])), None)


# ---------------------------------------------------------------- verdicts

def binomial_cdf(k, n, p) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(0, k + 1))


def rate_side(k, n, p, alpha=ALPHA) -> str:
    """Whether ``k`` solved of ``n`` trials agrees with the paper's fraction ``p``: "consistent" unless a
    two-sided binomial test rejects it at level ``alpha`` (P(X ≤ k) < alpha/2: "fewer", P(X ≥ k) <
    alpha/2: "more", X ~ Binomial(n, p)).  At 10 trials and p = 1 only 10 of 10 agree; at p = 0.97, 8 or
    more; at p = 0, only 0."""
    if binomial_cdf(k, n, p) < alpha / 2:
        return "fewer"
    if k > 0 and 1 - binomial_cdf(k - 1, n, p) < alpha / 2:
        return "more"
    return "consistent"


def erg_slowest(paper) -> float:
    """The most training strings a trial of the paper's row needed, as far as it is known: the end of the
    published range, else :data:`FACTOR` times the mean (an allowance for the slow trials)."""
    return paper["range"][1] if "range" in paper else FACTOR * paper["sequences"]


#: The chapter's verdicts: label -> (kind, definition) (kinds as in :data:`lstmlib.study.scorecard.KINDS`).
VERDICTS = {
    "reproduced": ("reproduced", "the fraction of our trials that solved the task agrees with the paper's (a "
                   f"two-sided binomial test at level {ALPHA:g}, at the number of trials we ran), and for Exp. 1 "
                   f"the mean training strings of our solved trials lie within {FACTOR:g}× of the paper's mean; "
                   "for CERG the perfect solutions were tested on streams as long as the paper's"),
    "reproduced on shorter tests": ("partial", "CERG: as reproduced, but the perfect solutions were tested on "
                                    "fewer or shorter streams than the paper's 10 of 100,000 symbols"),
    "slower": ("partial", "Exp. 1: as many trials solved it as the paper's fraction allows, but our mean strings "
               f"to success are more than {FACTOR:g}× the paper's mean"),
    "faster": ("partial", f"Exp. 1: as many solved, with mean strings to success below 1/{FACTOR:g} of the "
               "paper's mean"),
    "fewer solved": ("partial", "some trials solved it, but fewer than the paper's fraction allows (the binomial "
                     "test), at a budget that reaches the paper's"),
    "fewer solved at this budget": ("partial", "some trials solved it, fewer than the paper's fraction allows, "
                                    "at a budget short of the paper's (Exp. 1: below the paper's slowest "
                                    "trial, the end of its published range or else "
                                    f"{FACTOR:g}× its mean; CERG: below its {CERG_PAPER_BUDGET:,} training "
                                    "streams [S]): slower trials could not finish"),
    "not reproduced": ("failed", "no trial solved it, where the paper's trials did, at a budget that reaches "
                       "the paper's"),
    "not reproduced at this budget": ("failed", "no trial solved it, where the paper's trials did, at a budget "
                                      "short of the paper's (as for \"fewer solved at this "
                                      "budget\")"),
    "more solved": ("partial", "more trials solved it than the paper's fraction allows (the binomial test): the "
                    "paper's number does not hold, though the row did better (on CERG's standard-LSTM rows this "
                    "contradicts the paper's finding that it fails)"),
}


def _shortfall(solved, short_budget) -> str:
    base = "fewer solved" if solved else "not reproduced"
    return base + (" at this budget" if short_budget else "")


def erg_verdict(summary, paper) -> str:
    """Our Exp. 1 trials (a :func:`summarise_erg` dict) against the paper's row (its ``paper`` dict):
    the solved fraction by :func:`rate_side`, then the mean strings to success against the paper's mean
    (:data:`FACTOR`); a shortfall is "at this budget" when the budget is below :func:`erg_slowest`."""
    side = rate_side(summary["solved"], summary["trials"], paper["success"])
    if side == "more":
        return "more solved"
    if side == "fewer" or summary["solved"] == 0:
        return _shortfall(summary["solved"], summary["budget"] < erg_slowest(paper))
    if summary["strings_mean"] > FACTOR * paper["sequences"]:
        return "slower"
    if summary["strings_mean"] < paper["sequences"] / FACTOR:
        return "faster"
    return "reproduced"


def cerg_verdict(summary, paper) -> str:
    """Our CERG nets (a :func:`summarise_cerg` dict) against a row of Table 2 (its ``paper`` dict): the
    fraction of perfect solutions by :func:`rate_side` (no perfect net where the paper has some is a
    shortfall whatever the test says, as in :func:`erg_verdict`); a shortfall is "at this budget" below
    :data:`CERG_PAPER_BUDGET` streams; agreement with perfect solutions tested on less than
    :data:`CERG_PAPER_TEST` is "reproduced on shorter tests"."""
    side = rate_side(summary["perfect"], summary["trials"], paper["solved"])
    if side == "more":
        return "more solved"
    if side == "fewer" or (summary["perfect"] == 0 and paper["solved"] > 0):
        return _shortfall(summary["perfect"], summary["budget"] < CERG_PAPER_BUDGET)
    test = summary["perfect_test"]
    if test is not None and (test[0] < CERG_PAPER_TEST[0] or test[1] < CERG_PAPER_TEST[1]):
        return "reproduced on shorter tests"
    return "reproduced"


# ---------------------------------------------------------------- cells and tables

def table_html(rows) -> str:
    """An HTML table of ``rows`` (dicts with the same keys), headed by the first row's keys."""
    if not rows:
        raise ValueError("no rows to show")
    return html_table(rows, {k: k for k in rows[0]})


def scorecard_table(rows) -> str:
    """The chapter's scorecard rows (:func:`scorecard_rows`) as HTML, in :data:`SCORECARD_COLUMNS`."""
    return html_table(rows, SCORECARD_COLUMNS)


def percent(k, n) -> str:
    return f"{100 * k / n:.0f} %"


def erg_paper_text(paper) -> str:
    """The paper's Exp. 1 row in a cell: "100 % of 30, 8,440 strings (range 3,800–24,100) (verified)"."""
    span = f" (range {paper['range'][0]:,}–{paper['range'][1]:,})" if "range" in paper else ""
    return (f"{100 * paper['success']:.0f} % of {paper['trials']}, {paper['sequences']:,} strings{span} "
            f"({fmt_tag(paper)})")


def erg_ours_text(s) -> str:
    """Our trials of one Exp. 1 job in words: solved, diverged, mean (median, range) strings to success."""
    text = f"{s['solved']}/{s['trials']} solved" + (f" ({s['diverged']} diverged)" if s["diverged"] else "")
    if s["solved"]:
        text += (f", mean {fmt_count(s['strings_mean'])} strings (median {fmt_count(s['strings_median'])}, "
                 f"range {s['strings_min']:,}–{s['strings_max']:,})")
    return text


def cerg_paper_text(paper) -> str:
    """A row of Table 2 in words (of its 100 nets)."""
    def length(v):
        return "⟨–⟩" if v is None else f"⟨{v:,}⟩"
    return (f"{100 * paper['solved']:.0f} % perfect ({fmt_count(paper['streams'])} streams), "
            f"{100 * paper['good']:.0f} % good {length(paper['good_length'])}, {100 * paper['rest']:.0f} % bad "
            f"{length(paper['rest_length'])} of {paper['nets']} nets ({fmt_tag(paper)})")


def cerg_ours_text(s) -> str:
    """Our nets of one CERG job in Table 2's terms."""
    def length(v):
        return "⟨–⟩" if v is None else f"⟨{fmt_count(v)}⟩"
    return (f"{s['perfect']}/{s['trials']} perfect ({fmt_count(s['streams_mean'])} streams), {s['good']}/"
            f"{s['trials']} good {length(s['good_length_mean'])}, {s['bad']}/{s['trials']} bad "
            f"{length(s['bad_length_mean'])}" + (f" ({s['diverged']} diverged)" if s["diverged"] else ""))


def erg_protocol_rows(jobs) -> list[dict]:
    """One row per Exp. 1 row that ``jobs`` run (CERG's jobs among them are left out): the net and
    protocol, the weights of each architecture, budget, checks and trials."""
    jobs = [j for j in jobs if j.protocol.key in ERG_PROTOCOLS]
    rows = []
    for key, p in {j.protocol.key: j.protocol for j in jobs}.items():
        mine = [j for j in jobs if j.protocol.key == key]
        rows.append({"row": key, "network and protocol": p.describe(),
                     "weights": ", ".join(f"{label(j.arch)} {_n_weights_erg(p, j.arch)}" for j in mine),
                     "budget (strings)": ", ".join(sorted({f"{j.budget:,}" for j in mine})),
                     "checked every (strings)": ", ".join(sorted({f"{j.eval_every:,}" for j in mine})),
                     "trials": ", ".join(sorted({str(j.trials) for j in mine}))})
    return rows


def _n_weights_erg(protocol, arch):
    from .protocols import erg_network
    return erg_network(protocol, arch).n_weights


def cerg_protocol_rows(jobs) -> list[dict]:
    """One row per CERG row that ``jobs`` run (Exp. 1's jobs among them are left out): its cell, the
    learning rule and streams, weights, budget and nets."""
    return [{"row": j.protocol.key, "Table 2 row": j.protocol.title, "cell": label(j.arch),
             "protocol": j.protocol.describe(), "weights": cerg_network(j.protocol).n_weights,
             "budget (streams)": f"{j.budget:,}", "nets": j.trials} for j in jobs if j.protocol.key in CERG_PROTOCOLS]


def erg_results_rows(summaries, protocols) -> list[dict]:
    """One results row per Exp. 1 summary, the paper's LSTM row (Table 1) beside ours for the 1997 LSTM
    (the paper ran no other architecture of ours); ``protocols``: the rows by key."""
    rows = []
    for s in summaries:
        paper = protocols[s["protocol"]].paper
        rows.append({"row": s["protocol"], "architecture": label(s["arch"]), "weights": s["n_weights"],
                     "ours": erg_ours_text(s),
                     "training / test strings right (median)":
                         f"{100 * s['train_correct_median']:.0f} % / {100 * s['test_correct_median']:.0f} %",
                     "budget (strings)": f"{s['budget']:,}",
                     "H&S 1997 Table 1 (LSTM)": erg_paper_text(paper) if s["arch"] == "vanilla" else "–",
                     "verdict": erg_verdict(s, paper) if s["arch"] == "vanilla" else "–"})
    return rows


def erg_published_rows() -> list[dict]:
    """Table 1's other methods as published [P] (:data:`.ERG_PUBLISHED`; not rerun here)."""
    keys = ("method", "hidden units", "weights", "learning rate", "% success", "strings until success")
    return [{**dict(zip(keys, row)), "source": "H&S 1997 Table 1, the cited works' numbers (verified)"}
            for row in ERG_PUBLISHED]


def cerg_results_rows(summaries, protocols) -> list[dict]:
    """Table 2's layout, ours beside the paper's per row: % solutions (mean training streams until
    solution), % good ⟨mean error-free test length⟩, % bad ⟨mean length⟩; ``protocols``: every summary's
    row, by key."""
    def length(v):
        return "⟨–⟩" if v is None else f"⟨{fmt_count(v)}⟩"
    rows = []
    for s in summaries:
        paper, n = protocols[s["protocol"]].paper, s["trials"]
        row = {"row": protocols[s["protocol"]].title, "nets: ours (paper)": f"{n} ({paper.get('nets', '–')})",
               "% solutions (streams)": f"{percent(s['perfect'], n)} ({fmt_count(s['streams_mean'])})",
               "% good ⟨length⟩": f"{percent(s['good'], n)} {length(s['good_length_mean'])}",
               "% bad ⟨length⟩": f"{percent(s['bad'], n)} {length(s['bad_length_mean'])}",
               "paper (Table 2)": cerg_paper_text(paper) if paper else "not in the paper",
               "budget (streams)": f"{s['budget']:,}", "verdict": cerg_verdict(s, paper) if paper else "–"}
        rows.append(row)
    return rows


def published_rows(protocols=None) -> list[dict]:
    """The papers' side of every row of the chapter (default: Exp. 1's then CERG's), for the book's
    "Published numbers" page; the rows the papers do not have say so."""
    protocols = protocols or {**ERG_PROTOCOLS, **CERG_PROTOCOLS}
    rows = []
    for key, p in protocols.items():
        if not p.paper:
            text = "not in the paper (a row of this study)"
        else:
            text = erg_paper_text(p.paper) if key in ERG_PROTOCOLS else cerg_paper_text(p.paper)
            text += f", {p.paper['source']}"
        rows.append({"row": key, "experiment": p.title, "the paper": text})
    return rows


# ---------------------------------------------------------------- sentences

def erg_sentence(summaries, protocol) -> str:
    """One Exp. 1 row: each architecture's trials solved and strings to success, then the paper's LSTM."""
    parts = [f"{label(a)} {erg_ours_text(s)}" for a in FORGET_ARCHITECTURES
             if (s := summary_of(summaries, protocol.key, a)) is not None]
    if not parts:
        return f"({protocol.key} was not run.)"
    return (f"{protocol.title}: " + "; ".join(parts) + f". The paper's LSTM: {erg_paper_text(protocol.paper)}.")


def cerg_sentence(summaries, protocol) -> str:
    """One CERG row: our nets in Table 2's terms, then the paper's."""
    s = summary_of(summaries, protocol.key)
    if s is None:
        return f"({protocol.key} was not run.)"
    paper = f"; the paper: {cerg_paper_text(protocol.paper)}" if protocol.paper else " (not in the paper)"
    return f"{protocol.title}: {cerg_ours_text(s)}{paper}."


def sentences(erg_summaries, cerg_summaries, erg_protocols, cerg_protocols, wall_time, workers) -> dict[str, str]:
    """The glued sentences, by key: ``forgetting_erg`` (every Exp. 1 row), ``forgetting_cerg`` (every
    CERG row) and ``forgetting_wall`` (the run's time)."""
    erg = " ".join(erg_sentence(erg_summaries, p) for p in erg_protocols.values())
    cerg = " ".join(cerg_sentence(cerg_summaries, p) for p in cerg_protocols.values())
    return {"forgetting_erg": erg or "(Exp. 1 was not run.)", "forgetting_cerg": cerg or "(CERG was not run.)",
            "forgetting_wall": f"{wall_time / 60:.1f} minutes on {workers} worker(s)"}


# ---------------------------------------------------------------- the scorecard

def erg_experiment(protocol) -> str:
    return f"Exp. 1 (H&S 1997 Table 1): {protocol.title}"


def cerg_experiment(protocol) -> str:
    return f"CERG (Gers 2000 Table 2): {protocol.title}"


def erg_scorecard_row(protocol, by_arch, scale, chapter=CHAPTER) -> dict:
    """The scorecard row of one Exp. 1 row: the 1997 LSTM against Table 1 (the other architectures in
    "ours" for comparison); ``by_arch``: summaries by architecture, the 1997 LSTM's among them."""
    s = by_arch["vanilla"]
    ours = "; ".join(f"{label(a)} {erg_ours_text(x)}" for a, x in by_arch.items())
    return {"chapter": chapter, "experiment": erg_experiment(protocol), "model": label("vanilla"),
            "protocol": f"{protocol.describe()}; at most {s['budget']:,} training strings, checked every "
                        f"{s['eval_every']:,}",
            "paper": erg_paper_text(protocol.paper), "ours": ours,
            "verdict": erg_verdict(s, protocol.paper), "scale": scale}


def cerg_scorecard_row(protocol, s, scale, chapter=CHAPTER) -> dict:
    """The scorecard row of one row of Table 2 (``s``: its :func:`summarise_cerg`)."""
    test = s["perfect_test"]
    tested = f"; perfect solutions tested on {test[0]} streams of {test[1]:,} symbols" if test else ""
    return {"chapter": chapter, "experiment": cerg_experiment(protocol), "model": label(protocol.arch),
            "protocol": f"{protocol.describe()}; at most {s['budget']:,} training streams{tested}",
            "paper": cerg_paper_text(protocol.paper), "ours": cerg_ours_text(s),
            "verdict": cerg_verdict(s, protocol.paper), "scale": scale}


def scorecard_rows(erg_summaries, cerg_summaries, erg_protocols, cerg_protocols, scale, chapter=CHAPTER) -> list:
    """The chapter's scorecard rows: one per Exp. 1 row run with the 1997 LSTM (:func:`erg_verdict`), then
    one per row of Table 2 that was run (:func:`cerg_verdict`); rows the papers do not have are left out."""
    rows = []
    for key, p in erg_protocols.items():
        by_arch = {s["arch"]: s for s in erg_summaries if s["protocol"] == key}
        if "vanilla" in by_arch:
            rows.append(erg_scorecard_row(p, by_arch, scale, chapter))
    for key, p in cerg_protocols.items():
        s = summary_of(cerg_summaries, key)
        if s is not None and p.paper:
            rows.append(cerg_scorecard_row(p, s, scale, chapter))
    return rows


def rescore(doc) -> list[dict]:
    """The scorecard rows of a results file of this chapter with each verdict recomputed from its records
    by today's :func:`erg_verdict` and :func:`cerg_verdict`; rows of other experiments are kept as written."""
    erg, cerg = summarise(doc["records"])
    keys = {erg_experiment(p): ("erg", k) for k, p in ERG_PROTOCOLS.items()}
    keys.update({cerg_experiment(p): ("cerg", k) for k, p in CERG_PROTOCOLS.items()})
    rows = []
    for row in doc.get("summary", {}).get("scorecard", []):
        kind, key = keys.get(row["experiment"], (None, None))
        if kind == "erg" and (s := summary_of(erg, key, "vanilla")) is not None:
            row = {**row, "verdict": erg_verdict(s, ERG_PROTOCOLS[key].paper)}
        elif kind == "cerg" and (s := summary_of(cerg, key)) is not None:
            row = {**row, "verdict": cerg_verdict(s, CERG_PROTOCOLS[key].paper)}
        rows.append(row)
    return rows


def scale_text(scale, *overrides) -> str:
    """The scorecard's scale: ``scale``, with " (custom)" when any of ``overrides`` (rows, architectures,
    trials, budgets chosen by hand) is not None."""
    return scale + (" (custom)" if any(v is not None for v in overrides) else "")


# ---------------------------------------------------------------- the mechanism figures

def best_cerg_trial(records, keys):
    """``(record, trial)`` of the best net among the records of the rows ``keys``: perfect before good
    before bad, then the longest mean error-free test length, the longest training stream and the fewest
    training streams to solution; None if none of the rows was run (or has trials)."""
    found = [(r, t) for r in records if r["protocol"] in keys for t in r["trials"]]
    if not found:
        return None
    return max(found, key=lambda rt: (CLASS_RANK[rt[1]["class"]], rt[1]["mean_test_length"],
                                      rt[1]["best_train_length"], -(rt[1]["streams"] or 10**12)))


def trace_summary(net, x, target, starts):
    """A one-trial ``net`` run on one continual stream ``x [T, 7]`` from a reset state, with no reset after
    (:meth:`Network.trace`): the trace, the per-step error max|y - target| and facts for a caption
    (state range, steps with an error, the share of steps with a saturated cell output squashing,
    |h(s)| > 0.95, of any cell)."""
    T = len(x)
    tr = net.trace(np.asarray(x, float)[None, None], np.array([[T]]))
    error = np.abs(tr["outputs"][0, 0] - target).max(axis=-1)
    states = tr["states"][0, 0]
    h = SQUASHES[net.layout.spec.cell_output].fn(states)
    wrong = np.flatnonzero(error >= TOLERANCE)
    return tr, error, {"state_min": float(states.min()), "state_max": float(states.max()),
                       "errors": int(wrong.size), "first_error": int(wrong[0]) if wrong.size else None,
                       "saturated": float((np.abs(h) > 0.95).any(axis=-1).mean()),
                       "strings": int(np.asarray(starts).sum())}


#: A step is wrong when an output is this far from its 0/1 target (the protocols' ``tolerance``).
TOLERANCE = CERG_PROTOCOLS["cerg_forget"].tolerance


def trace_caption(what, protocol, trial, facts, n_steps) -> str:
    """The caption of a mechanism figure, from the run it shows (:func:`trace_summary`)."""
    errors = (f"{facts['errors']} steps with an error (the first at step {facts['first_error']})"
              if facts["errors"] else "no step with an error")
    return (f"The best {what} net ({protocol.title}, trial {trial['trial']}: {trial['class']}, mean error-free "
            f"test length {trial['mean_test_length']:,.0f}) on a fresh continual stream of {n_steps} symbols "
            f"({facts['strings']} strings, no reset): cell states, cell outputs, gates and the error "
            f"max|y − target| per step (dashed: the tolerance {TOLERANCE:g}; grey lines: string starts). The "
            f"cell states range from {facts['state_min']:.3g} to {facts['state_max']:.3g}; in "
            f"{100 * facts['saturated']:.0f} % of the steps some cell's output squashing is saturated "
            f"(|h(s)| > 0.95); {errors}.")


def trace_figure(records, protocols, keys, what, n_steps, seed):
    """The best net of the rows ``keys`` (:func:`best_cerg_trial`) run on a fresh continual stream of
    ``n_steps`` symbols (:class:`lstmlib.tasks.reber.CERGWalk` seeded with ``seed``): ``(figure, data,
    caption)``; a placeholder (:func:`~.figures.plot_not_run`) if none of the rows was run."""
    best = best_cerg_trial(records, keys)
    if best is None:
        text = f"{' / '.join(keys)} not run in this build"
        fig, data = plot_not_run(text)
        return fig, data, f"(Not run: {' / '.join(keys)}.)"
    record, trial = best
    p = protocols[record["protocol"]]
    net = network_from_record(p, record, trial["trial"])
    x, target, starts = reber.CERGWalk(np.random.default_rng(seed), 1).chunk(n_steps)
    tr, error, facts = trace_summary(net, x[0], target[0], starts[0])
    fig, data = plot_cerg_trace(tr, error, starts[0], TOLERANCE, title=f"{p.title}, trial {trial['trial']}")
    return fig, data, trace_caption(what, p, trial, facts, n_steps)


def export_traces(export, records, protocols, seed, n_steps=TRACE_STEPS) -> str:
    """Export every figure of :data:`TRACES` (:func:`trace_figure`) with ``export`` (a
    :class:`~lstmlib.study.results.FigureExporter`; each caption is added to its ``captions``); returns
    the ``{numref}`` references to those whose rows were run, comma-separated."""
    refs = []
    for name, what, keys in TRACES:
        fig, data, caption = trace_figure(records, protocols, keys, what, n_steps, seed)
        export.captions[name] = caption
        export(fig, data, name)
        if best_cerg_trial(records, keys) is not None:
            refs.append(f"{{numref}}`fig-{name.replace('_', '-')}`")
    return ", ".join(refs)
