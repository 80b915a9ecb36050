"""Hochreiter & Schmidhuber (1997), the noisy-recall chapter: what its tables and sentences say.

Summaries, verdicts and scorecard rows, the tables' rows, the glued sentences, the best trial and the
statistics of its trace, and the weight-growth series, all computed from :class:`~.jobs.Job` and
:class:`~.jobs.WeightGrowthJob` records (the training records are the ones a results file holds).  The
figures are in :mod:`.figures`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ...study.figures import ARCH_LABELS, fmt_count, fmt_tag, html_table, label
from ...study.jobs import derive_seed
from ...study.results import read_named_results
from ...tasks.baselines import recall_constant
from .jobs import ABLATION_SUFFIX, Job, network_for, network_from_record
from .protocols import PROTOCOLS

CHAPTER = "noisy_recall"

#: The paper's claim that the chapter's key-results box states (tag as in the scorecard).
CLAIM = ("LSTM learns to recall a signal or a real number over minimal time lags of 100 steps and more while "
         "noise arrives on the same input line (Exp. 3-5), within the numbers of training sequences that the "
         "paper reports (§5.3-5.5, Tables 7 and 8) [verified]")

def summarise(record) -> dict:
    """One job's trials, summarised: counts by status, sequences to solution (mean, median, min, max over
    solved trials), final test errors over all trials (mean and max wrong, mean of mean |error|)."""
    trials = record["trials"]
    solved = [t["sequences"] for t in trials if t["status"] == "solved"]
    wrong = np.array([t["test_wrong"] for t in trials], float)
    mae = np.array([t["test_mean_abs_error"] if t["test_mean_abs_error"] is not None else np.inf
                    for t in trials], float)
    solved_wrong = [t["test_wrong"] for t in trials if t["status"] == "solved"]
    st1 = [t["st1_sequences"] for t in trials if t.get("st1_sequences") is not None]
    return {
        "job": record["job"], "protocol": record["protocol"], "arch": record["arch"],
        "n_weights": record["n_weights"], "trials": len(trials), "budget": record["budget"],
        "solved": len(solved), "diverged": sum(t["status"] == "diverged" for t in trials),
        "flat": sum(t["status"] == "flat" for t in trials), "flat_patience": record.get("flat_patience"),
        "flat_seen_max": max((t["sequences_seen"] for t in trials if t["status"] == "flat"), default=None),
        "seq_mean": float(np.mean(solved)) if solved else None,
        "seq_median": float(np.median(solved)) if solved else None,
        "seq_min": int(min(solved)) if solved else None, "seq_max": int(max(solved)) if solved else None,
        "st1_mean": float(np.mean(st1)) if st1 else None, "st1_reached": len(st1),
        "test_n": trials[0]["test_n"],
        "wrong_mean": float(wrong.mean()), "wrong_max": int(wrong.max()), "wrong_median": float(np.median(wrong)),
        "mae_median": float(np.median(mae)),
        "wrong_mean_solved": float(np.mean(solved_wrong)) if solved_wrong else None,
        "wrong_max_solved": int(max(solved_wrong)) if solved_wrong else None,
        "mean_abs_error": float(np.mean(mae)) if np.all(np.isfinite(mae)) else None,
    }


def paper_wrong(paper, n=2560):
    """The paper's number of wrong test sequences (of ``n``), from ``wrong`` or ``fraction_wrong``."""
    if paper.get("wrong") is not None:
        return float(paper["wrong"])
    if paper.get("fraction_wrong") is not None:
        return paper["fraction_wrong"] * n
    return None


#: How far from the paper's numbers a row still counts as reproduced (see :func:`verdict`).
FACTOR = 2.0

def baseline(protocol) -> dict:
    """The best constant output on ``protocol``'s task (:func:`lstmlib.tasks.baselines.recall_constant`),
    on 2560 test sequences of its own (seed derived from the row's key, so every run and every results
    file of the row is judged against the same level): ``{"constant", "wrong", "n", "mean_abs_error"}``."""
    return _constant(protocol.key, protocol.task)


@functools.cache  # a row's level is computed once per process
def _constant(key, task) -> dict:
    return recall_constant(task, 2560, derive_seed(0, key, "constant baseline"))


def baseline_text(base) -> str:
    """A :func:`baseline` in a table cell: the constant, its wrong test sequences and mean |error|."""
    return f"y = {base['constant']:.3g}: {base['wrong']:,} wrong, |error| {base['mean_abs_error']:.3f}"


def beats_baseline(summary, base) -> bool:
    """Whether the median trial does better than the best constant output: fewer wrong test sequences
    or a smaller mean |error| (both medians over trials)."""
    return summary["wrong_median"] < base["wrong"] or summary["mae_median"] < base["mean_abs_error"]

#: The verdict of a row of an architecture the paper did not train (the plain RNN, the forget-gate and peephole
#: LSTMs): no number of the paper to judge it against.
NOT_IN_PAPER = "not in the paper"

#: The chapter's verdicts: label -> (kind, definition), as :func:`verdict` decides them (the scorecard
#: page defines them from here; kinds as in :data:`lstmlib.study.scorecard.KINDS`).
VERDICTS = {
    "reproduced": ("reproduced", "every trial met the paper's stopping rule, our median trial needed within "
                   f"{FACTOR:g}× of the paper's mean number of training sequences and the paper's mean lies within "
                   "our trials' range (fastest to slowest), and the solved trials got at most "
                   f"max(3, {FACTOR:g} × the paper's) test sequences wrong on average"),
    f"within {FACTOR:g}×": ("partial", f"as reproduced, but the paper's mean lies outside our trials' range; our "
                            f"median trial is within {FACTOR:g}× of it"),
    "faster": ("partial", f"every trial met the stopping rule, but our median trial needed less than 1/{FACTOR:g} "
               "of the paper's mean number of sequences"),
    "slower": ("partial", f"every trial met the stopping rule, but our median trial needed more than {FACTOR:g}× "
               "the paper's mean number of sequences"),
    "more test errors": ("partial", "every trial met the stopping rule, but more wrong test sequences than "
                         "that bound"),
    "partly": ("partial", "some trials met the stopping rule within the budget, not all"),
    "not reproduced": ("failed", "no trial met the stopping rule within the budget (the median trial does better "
                       "than the best constant output, but not well enough)"),
    "at chance": ("failed", "no trial met the stopping rule, and the median trial does no better than the best "
                  "constant output (as many wrong test sequences or more, and a mean |error| no smaller)"),
    "no paper row": ("open", "the paper publishes no number for this row (a length or an ablation of ours)"),
    NOT_IN_PAPER: ("open", "the paper trained only its own LSTM on this row; this architecture's result is ours "
                   "alone (the paper column shows the 1997 LSTM's number, for comparison)"),
}


def verdict(summary, paper, base, factor=FACTOR) -> str:
    """Our LSTM result against the paper's row, judged on the distribution over trials and against the
    best constant output ``base`` (:func:`baseline`; the labels and their definitions: :data:`VERDICTS`).

    * ``no paper row``: nothing to compare; no trial solved: ``at chance`` if the median trial does not
      beat ``base`` (:func:`beats_baseline`), else ``not reproduced``; ``partly``: some trials solved;
    * every trial solved: ``more test errors`` if the mean number of wrong test sequences over solved
      trials exceeds ``max(3, factor * paper's)``; else, by our *median* trial, ``slower`` (more than
      ``factor`` times the paper's mean number of sequences) or ``faster`` (less than 1/``factor``);
      else ``reproduced`` if the paper's mean lies within our trials' range [fastest, slowest], and
      ``within <factor>×`` if it does not.
    """
    if not paper or paper.get("sequences") is None:
        return "no paper row"
    if summary["solved"] == 0:
        return "not reproduced" if beats_baseline(summary, base) else "at chance"
    if summary["solved"] < summary["trials"]:
        return "partly"
    bound = max(3.0, factor * (paper_wrong(paper, summary["test_n"]) or 0.0))
    if summary["wrong_mean_solved"] > bound:
        return "more test errors"
    mean = paper["sequences"]
    if summary["seq_median"] > factor * mean:
        return "slower"
    if summary["seq_median"] < mean / factor:
        return "faster"
    if summary["seq_min"] <= mean <= summary["seq_max"]:
        return "reproduced"
    return f"within {factor:g}×"


def rescore(doc) -> list[dict]:
    """The scorecard rows of a results file of this chapter (``doc``, e.g. a reference run written under
    older rules) with each verdict recomputed from its records by today's :func:`row_verdict` and the
    paper's side as today's :data:`~.protocols.PROTOCOLS` give it; rows whose protocol is not one of
    them (a custom length) keep theirs.  A trained row of the paper's table that the file's scorecard
    leaves out (files written before the other architectures had rows) is added, scaled as the file's
    parameters say (:func:`scale_label`)."""
    runs = {(PROTOCOLS[r["protocol"]].title, label(r["arch"])): r for r in doc["records"]
            if "growth" not in r and r.get("protocol") in PROTOCOLS and r.get("arch") in ARCH_LABELS}
    rows, ran = [], []
    for row in doc.get("summary", {}).get("scorecard", []):
        record = runs.pop((row["experiment"], row["model"]), None) if row["verdict"] != "not run" else None
        if record is not None:
            p = PROTOCOLS[record["protocol"]]  # the paper's side as the library reads it today, too
            row = {**row, "verdict": row_verdict(p, summarise(record)), "paper": row_paper_text(p, record["arch"])}
        (rows if row["verdict"] == "not run" else ran).append(row)
    if runs:
        par = doc.get("parameters", {})
        overrides = (par.get(k) for k in ("experiments", "T", "trials", "budget", "forget_gate_bias"))
        scale = scale_label(par.get("scale", "unknown scale"), *overrides)
        ran += [scorecard_row(CHAPTER, PROTOCOLS[r["protocol"]], summarise(r), f"{scale}: {len(r['trials'])} trials",
                              arch=r["arch"]) for r in runs.values()]
    return ran + rows


def row_verdict(protocol, summary) -> str:
    """A scorecard row's verdict: the 1997 LSTM's by :func:`verdict`; every other architecture's
    :data:`NOT_IN_PAPER` (the paper trained only its own LSTM), or "no paper row" where the paper has none."""
    if summary["arch"] != "vanilla" and protocol.paper.get("sequences") is not None:
        return NOT_IN_PAPER
    return verdict(summary, protocol.paper, baseline(protocol))


def row_paper_text(protocol, arch) -> str:
    """The paper column of ``arch``'s row: the paper's number, which is always its 1997 LSTM's."""
    text = paper_text(protocol)
    return text if arch == "vanilla" or protocol.paper.get("sequences") is None else f"LSTM 1997: {text}"


def paper_text(protocol) -> str:
    """The paper's row in words, with its provenance tag."""
    paper = protocol.paper
    if paper.get("sequences") is None:
        return "no published row"
    wrong = paper_wrong(paper)
    return (f"{fmt_count(paper['sequences'])} sequences"
            + (f", {wrong:.3g} wrong of 2560" if wrong is not None else "")
            + f" ({fmt_tag(paper)}, {paper.get('source', '')})")


def published_rows(protocols=None) -> list[dict]:
    """The paper's side of every row the chapter compares with (default: every row of
    :data:`~.protocols.PROTOCOLS`), for the book's "Published numbers" page."""
    return [{"row": k, "experiment": p.title, "the paper": paper_text(p)}
            for k, p in (protocols or PROTOCOLS).items()]


def protocol_text(protocol, budget) -> str:
    return f"lr {protocol.lr:g}, stop: {protocol.stop.describe()}, budget {budget:,}"


def scorecard_row(chapter, protocol, summary, scale, arch="vanilla") -> dict:
    """One row of the reproduction scorecard: ``summary`` (a job of ``arch``) against ``protocol``'s paper
    number (:func:`row_verdict`)."""
    base = baseline(protocol)
    ours = (f"{summary['solved']}/{summary['trials']} solved"
            + (f", mean {fmt_count(summary['seq_mean'])} sequences" if summary["seq_mean"] is not None else "")
            + (f", {_wrong(summary['wrong_mean_solved'])} wrong of {summary['test_n']} (mean over solved)"
               if summary["wrong_mean_solved"] is not None
               else f", {_wrong(summary['wrong_mean'])} wrong of {summary['test_n']} {end_text(summary)} (mean)")
            + (f"; best constant output {base['wrong']:,} wrong" if summary["solved"] < summary["trials"] else "")
            + (" (at chance)" if arch != "vanilla" and not summary["solved"] and not beats_baseline(summary, base)
               else ""))  # the 1997 LSTM's verdict says so already
    return {"chapter": chapter, "experiment": protocol.title, "model": label(arch),
            "protocol": protocol_text(protocol, summary["budget"]), "paper": row_paper_text(protocol, arch),
            "ours": ours, "verdict": row_verdict(protocol, summary), "scale": scale}


def _wrong(mean) -> str:
    """A mean number of wrong test sequences: 1.25, 38.4, 2,172."""
    return f"{mean:,.0f}" if mean >= 100 else f"{mean:.3g}"


def not_run_row(chapter, protocol, how, what="LSTM 1997") -> dict:
    """A scorecard row for a paper row that this run left out; ``how`` says how to run it."""
    return {"chapter": chapter, "experiment": protocol.title, "model": what,
            "protocol": protocol_text(protocol, protocol.budget), "paper": paper_text(protocol),
            "ours": f"not run at this scale ({how})", "verdict": "not run", "scale": "–"}


# ---------------------------------------------------------------- the run

def plan_text(jobs, workers) -> str:
    """What a run will do, before it starts: jobs, trials and a worst-case time (every trial running to
    its budget, at about 0.25 µs per trial and time step on this project's machine)."""
    worst = sum(j.cost() for j in jobs) * 0.25e-6 / workers
    return (f"{len(jobs)} jobs, {sum(j.trials for j in jobs)} trials\n"
            f"worst case, every trial running to its budget: about {worst / 3600:.1f} hours on {workers} worker(s)")


def trained_protocols(jobs) -> dict:
    """Every protocol that a training :class:`~.jobs.Job` of ``jobs`` runs, by key: the table's rows and
    the output-unit ablation's (not the weight-growth runs')."""
    return {j.protocol.key: j.protocol for j in jobs if isinstance(j, Job)}


def split_records(records) -> tuple[list, list]:
    """``(training, growth)``: the :class:`~.jobs.Job` records (what the results file holds) and the
    :class:`~.jobs.WeightGrowthJob` records (they carry ``growth``), each in the order given."""
    growth = [r for r in records if "growth" in r]
    return [r for r in records if "growth" not in r], growth


def table_records(records) -> list:
    """The records of the table's rows, without the output-unit ablation's (rows ``*_logistic``)."""
    return [r for r in records if not r["protocol"].endswith(ABLATION_SUFFIX)]


def wall_text(wall_time, workers) -> str:
    return f"{wall_time / 60:.1f} minutes on {workers} worker processes"


# ---------------------------------------------------------------- tables

def bias_text(biases) -> str:
    """Initial gate biases in words: ``-1, -3, -5``, or ``random`` where the protocol draws them."""
    return "random" if biases is None else ", ".join(f"{v:g}" for v in biases)


def paper_cell(paper) -> str:
    """The paper's row in a table cell: sequences, wrong test sequences and provenance tag."""
    if not paper.get("sequences"):
        return "–"
    return f"{fmt_count(paper['sequences'])} seq., {paper_wrong(paper):.3g} wrong ({fmt_tag(paper)})"


def protocol_rows(protocols, jobs) -> list[dict]:
    """One row per protocol of the run: topology, weight count of each architecture its jobs train,
    gate biases, learning rate, stopping rule and the paper's numbers."""
    rows = []
    for key, p in protocols.items():
        archs = dict.fromkeys(j.arch for j in jobs if isinstance(j, Job) and j.protocol.key == key)
        nets = {a: network_for(p, a, 1, 0) for a in archs}
        rows.append({"row": key, "task": p.title, "blocks × cells": f"{p.n_blocks} × {p.cells_per_block}",
                     "forget bias": f"{p.forget_gate_bias:g}",
                     "weights": ", ".join(f"{label(a)} {n.n_weights}" for a, n in nets.items()),
                     "in-gate bias": bias_text(p.input_gate_bias), "out-gate bias": bias_text(p.output_gate_bias),
                     "lr": f"{p.lr:g}", "stop": p.stop.describe(), "paper": paper_cell(p.paper)})
    return rows


def results_rows(summaries, protocols) -> list[dict]:
    """One row per summary: trials solved, sequences to solution, final test errors, the paper's numbers;
    ``protocols`` must hold every summary's row (:func:`trained_protocols`)."""
    rows = []
    for s in summaries:
        p = protocols[s["protocol"]]
        rows.append({  # ours and the paper's side by side first; the details after them
            "row": s["protocol"], "architecture": label(s["arch"]),
            "solved": f"{s['solved']}/{s['trials']}" + (f" ({s['diverged']} diverged)" if s["diverged"] else "")
            + (f" ({s['flat']} stopped flat)" if s.get("flat") else ""),
            "sequences: mean": fmt_count(s["seq_mean"]),
            "paper (LSTM 1997)": paper_cell(p.paper),
            "wrong of 2560: mean (max)": f"{s['wrong_mean']:.1f} ({s['wrong_max']})",
            "best constant output": baseline_text(baseline(p)),
            "median [min, max]": (f"{fmt_count(s['seq_median'])} [{fmt_count(s['seq_min'])}, "
                                  f"{fmt_count(s['seq_max'])}]") if s["solved"] else "–",
            "mean |error|": "–" if s["mean_abs_error"] is None else f"{s['mean_abs_error']:.4f}",
            "ST1 (mean)": fmt_count(s["st1_mean"]), "weights": s["n_weights"], "budget": f"{s['budget']:,}"})
    return rows


def table_html(rows) -> str:
    """``rows`` as an HTML table headed by the first row's keys."""
    if not rows:
        raise ValueError("a table needs at least one row")
    return html_table(rows, {k: k for k in rows[0]})


def scale_label(scale, *overrides) -> str:
    """The scale as the scorecard names it: ``scale``, or ``"<scale> (custom)"`` if any of ``overrides``
    (the parameters that change the scale's rows, lengths, trials, budgets or forget-gate bias) is set."""
    return scale if all(v is None for v in overrides) else f"{scale} (custom)"


def scorecard_rows(summaries, protocols, scale) -> list[dict]:
    """This chapter's part of the scorecard (``scale``: as :func:`scale_label` gives it): one row per
    table row and architecture that ran (the 1997 LSTM's judged against the paper, the others'
    :data:`NOT_IN_PAPER`), then every row of the paper not in ``protocols``, as not run."""
    rows = [scorecard_row(CHAPTER, protocols[s["protocol"]], s, f"{scale}: {s['trials']} trials", arch=s["arch"])
            for s in summaries if s["arch"] in ARCH_LABELS and not s["protocol"].endswith(ABLATION_SUFFIX)]
    for key, p in PROTOCOLS.items():
        if key not in protocols:
            rows.append(not_run_row(CHAPTER, p, f"papermill ... -p scale paper -p experiments '[\"{key}\"]'"))
    return rows


def scorecard_html(rows) -> str:
    return html_table(rows, {"experiment": "experiment", "paper": "paper", "ours": "ours", "verdict": "verdict"})


# ---------------------------------------------------------------- sentences

#: The experiment families that the chapter's text discusses: glue name -> (row prefix, title, family).
FAMILY_TEXT = {
    "adding": ("4_", "Exp. 4 (adding)", "4"),
    "two": ("3a", "Exp. 3a (2-sequence problem)", "3a"),
    "noisy": ("3b", "Exp. 3b (noise on the informative elements)", "3b"),
    "real": ("3c", "Exp. 3c (noisy real-valued targets)", "3c"),
    "mult": ("5_", "Exp. 5 (multiplication)", "5"),
}


def family_keys(protocols) -> dict:
    """Glue name (:data:`FAMILY_TEXT`) -> the first of ``protocols``' rows in that family, or None."""
    return {name: next((k for k in protocols if k.startswith(prefix)), None)
            for name, (prefix, _, _) in FAMILY_TEXT.items()}


def find_summary(summaries, protocol, arch):
    """The summary of (``protocol``, ``arch``), or None if that job did not run."""
    return next((s for s in summaries if s["protocol"] == protocol and s["arch"] == arch), None)


def lstm_sentence(summaries, protocols, key, arch="vanilla") -> str:
    """How ``arch`` did on row ``key``: trials solved, sequences (against the paper's) and test errors."""
    s, p = find_summary(summaries, key, arch), protocols.get(key)
    if s is None:
        return f"({key} with {label(arch)} was not run at this scale.)"
    text = f"{label(arch)} met the stopping rule in {s['solved']} of {s['trials']} trials"
    if s["solved"]:
        text += (f", after a mean of {fmt_count(s['seq_mean'])} sequences "
                 f"(range {fmt_count(s['seq_min'])}–{fmt_count(s['seq_max'])})")
        if p.paper.get("sequences"):
            text += f", {s['seq_mean'] / p.paper['sequences']:.2f} times the paper's {fmt_count(p.paper['sequences'])}"
        text += (f"; solved trials got {s['wrong_mean_solved']:.1f} of 2560 test sequences wrong on average "
                 f"(at most {s['wrong_max_solved']})")
    elif s.get("flat"):
        text += (f"; {flat_text(s)}, and there it got {s['wrong_mean']:.0f} of 2560 test sequences wrong on "
                 "average")
    else:
        text += (f" within {s['budget']:,} sequences; at the end it got {s['wrong_mean']:.0f} of 2560 test "
                 "sequences wrong on average")
    return text + "."


def end_text(summary) -> str:
    """Where a summary's unsolved trials were tested: ``at the budget``, or also where they stopped flat."""
    if not summary.get("flat"):
        return "at the budget"
    return "where they stopped" if summary["flat"] + summary["solved"] == summary["trials"] else \
        "at the budget or where they stopped"


def flat_text(summary) -> str:
    """``"N trials stopped when flat (after at most M sequences)"``, for a summary with flat trials."""
    return (f"{summary['flat']} of {summary['trials']} trials stopped unsolved when their learning curve went flat "
            f"(after at most {summary['flat_seen_max']:,} of {summary['budget']:,} sequences)")


def others_sentence(summaries, key) -> str:
    """Trials solved on row ``key`` by the architectures other than the 1997 LSTM."""
    parts = []
    for arch in [a for a in ARCH_LABELS if a != "vanilla"]:
        s = find_summary(summaries, key, arch)
        if s is not None:
            parts.append(f"{label(arch)} {s['solved']}/{s['trials']}"
                         + (f" (mean {fmt_count(s['seq_mean'])})" if s["solved"] else
                            f" ({end_text(s)}: {s['wrong_mean']:.0f} wrong of 2560)"))
    return "Solved trials, other architectures: " + ("; ".join(parts) if parts else "none run") + "."


def ablation_sentence(summaries, protocols, adding_key) -> str:
    """The logistic-output 1997 LSTM on the adding row ``adding_key`` (None: the comparison did not run)."""
    if adding_key is None:
        return "(The output-unit comparison was not run.)"
    return lstm_sentence(summaries, protocols, adding_key + ABLATION_SUFFIX).replace(
        label("vanilla"), "With a logistic output unit, the 1997 LSTM", 1)


def rnn_sentence(summaries) -> str:
    """The plain RNN over every row it ran."""
    rnn = [s for s in summaries if s["arch"] == "rnn"]
    if not rnn:
        return "(The plain RNN was not run.)"
    diverged, flat = sum(s["diverged"] for s in rnn), sum(s.get("flat", 0) for s in rnn)
    text = (f"Across all {len(rnn)} rows, the plain RNN met the stopping rule in {sum(s['solved'] for s in rnn)} "
            f"of {sum(s['trials'] for s in rnn)} trials" + (f" and diverged in {diverged}" if diverged else ""))
    if flat:
        parts = [f"{s['protocol']} {s['flat']}/{s['trials']} (patience {s['flat_patience']:,} of a budget of "
                 f"{s['budget']:,}; the last stopped after {s['flat_seen_max']:,})" for s in rnn if s.get("flat")]
        text += (f"; {flat} trials stopped unsolved when their learning curve went flat, rather than at the budget "
                 f"({'; '.join(parts)})")
    return text + "."


#: The results file of ``scripts/flat_check.py`` (:func:`~.jobs.flat_check_jobs`): its chapter name.
FLAT_CHECK = "noisy_recall_flat_check"


def read_flat_check(folder):
    """The results document of ``scripts/flat_check.py`` in ``folder`` (resolved against the project root),
    or None if ``folder`` is None or holds none."""
    return read_named_results(folder, FLAT_CHECK)


def flat_check_text(check, summaries, where) -> str:
    """What the check of the plain RNN's flat stop against full budgets found (``check``: the results
    document that ``scripts/flat_check.py`` wrote, or None; ``where``: its folder, as the text names it;
    ``summaries``: this build's, for the plain RNN's test errors where it stopped): how many plain-RNN
    trials solved at full budgets, where the rule would have stopped them and their test errors at the
    budget against this build's, then how many LSTM trials that solved the rule would have stopped first."""
    if check is None:
        return (f"(The check against full budgets was not found in {where}: run `python scripts/flat_check.py` "
                "to write it.)")
    prov, records = check["provenance"], check["records"]
    rnn = [t for r in records if r["arch"] == "rnn" for t in r["trials"]]
    if not rnn:
        return f"(The check in {where} has no plain-RNN rows.)"
    fired = [t["flat_at"] for t in rnn if t.get("flat_at") is not None]
    text = (f"The check against full budgets ({where}: `python scripts/flat_check.py`, seed {check['seed']}, "
            f"commit {prov['commit'][:12]}, {prov['date'][:10]}) trained every job of this scale to its budget and "
            f"watched the rule: the plain RNN solved {sum(t['status'] == 'solved' for t in rnn)} of {len(rnn)} "
            f"trials, the rule would have stopped {len(fired)} of them")
    if fired:
        text += f" (after {fmt_count(min(fired))}–{fmt_count(max(fired))} sequences)"
    here = [s for s in summaries if s["arch"] == "rnn"]
    budget_wrong = np.mean([t["test_wrong"] for t in rnn])
    text += f", and at the budget their final test got {budget_wrong:.0f} of 2560 wrong on average"
    if here:
        text += f" (this build, where they stopped: {np.mean([s['wrong_mean'] for s in here]):.0f})"
    early = []  # (job, trials the rule would have stopped before they solved, trials solved)
    for r in records:
        if r["arch"] != "rnn":
            solved = [t for t in r["trials"] if t["status"] == "solved"]
            stopped = sum(t.get("flat_at") is not None and t["flat_at"] < t["sequences"] for t in solved)
            early.append((f"{r['protocol']} {label(r['arch'])}", stopped, len(solved)))
    details = "; ".join(f"{name} {n} of {m}" for name, n, m in early if n)
    text += (f". Applied to the LSTMs, the same rule would have stopped {sum(e[1] for e in early)} of their "
             f"{sum(e[2] for e in early)} trials that went on to solve, before they solved"
             + (f" ({details})" if details else "") + ".")
    return text


def unsolved_sentence(summaries, protocols, key, arch) -> str:
    """Where ``arch`` left row ``key`` unsolved: how many trials, and whether they learned anything (their
    median wrong test sequences against the best constant output's, :func:`baseline`); empty if it
    solved every trial or did not run."""
    s, p = find_summary(summaries, key, arch), protocols.get(key)
    if s is None or s["solved"] == s["trials"]:
        return ""
    base = baseline(p)
    unsolved = s["trials"] - s["solved"]
    where = ("no better than the best constant output" if not beats_baseline(s, base) else
             "better than the best constant output")
    name = label(arch)
    return (f"{name[0].upper() + name[1:]} left {unsolved} of {s['trials']} trials of {p.title} unsolved"
            + (f" ({s['diverged']} diverged)" if s["diverged"] else "")
            + f"; over all its trials the median final test got {s['wrong_median']:g} of {s['test_n']} sequences "
            f"wrong, {where} ({base['wrong']:,} wrong).")


def speed_sentence(summaries, protocols, key, reference="vanilla", others=("forget", "peephole")) -> str:
    """The median training sequences of each of ``others`` on row ``key`` as a multiple of
    ``reference``'s, with how many trials each solved; empty unless ``reference`` solved some."""
    r, p = find_summary(summaries, key, reference), protocols.get(key)
    if r is None or not r["solved"]:
        return ""
    parts = []
    for arch in others:
        a = find_summary(summaries, key, arch)
        if a is not None and a["solved"]:
            parts.append(f"{label(arch)} a median of {fmt_count(a['seq_median'])} "
                         f"({a['solved']}/{a['trials']} solved), {a['seq_median'] / r['seq_median']:.2g} times as many")
    if not parts:
        return ""
    return (f"On {p.title}, {label(reference)} met the stopping rule after a median of "
            f"{fmt_count(r['seq_median'])} sequences ({r['solved']}/{r['trials']} solved); " + "; ".join(parts) + ".")


def sentences(summaries, protocols, all_protocols, output_ablation) -> dict[str, str]:
    """Every sentence the chapter's "Reading the numbers" glues, by glue key: per family (:data:`FAMILY_TEXT`)
    ``nr_<name>_title``, ``nr_<name>_lstm`` and ``nr_<name>_others``, then ``nr_ablation``, ``nr_rnn``,
    ``nr_two_unsolved`` (the LSTMs' unsolved Exp. 3a trials, :func:`unsolved_sentence`), ``nr_two_forget``
    (the forget-gate LSTM on Exp. 3a), ``nr_adding_speed`` (the other LSTMs' medians against the 1997
    LSTM's on the adding problem, :func:`speed_sentence`) and ``nr_constant`` (the adding problem's best
    constant output).
    ``protocols``: the table's rows; ``all_protocols``: those and the ablation's (:func:`trained_protocols`)."""
    keys = family_keys(protocols)
    out = {}
    for name, key in keys.items():
        _, title, family = FAMILY_TEXT[name]
        out[f"nr_{name}_title"] = all_protocols[key].title if key else title
        out[f"nr_{name}_lstm"] = (lstm_sentence(summaries, all_protocols, key) if key else
                                  "Not run at this scale (it needs 10–30 times more training than the rows above): "
                                  f"rerun the chapter with -p experiments {family}, or -p scale paper.")
        out[f"nr_{name}_others"] = others_sentence(summaries, key) if key else ""
    out["nr_ablation"] = ablation_sentence(summaries, all_protocols, keys["adding"] if output_ablation else None)
    out["nr_rnn"] = rnn_sentence(summaries)
    two, adding = keys["two"], keys["adding"]
    out["nr_two_unsolved"] = (" ".join(t for t in (unsolved_sentence(summaries, all_protocols, two, a)
                                                   for a in ("vanilla", "forget", "peephole")) if t)
                              or "Every LSTM trial that ran solved it.") if two else "(Exp. 3a was not run.)"
    out["nr_adding_speed"] = ((speed_sentence(summaries, all_protocols, adding)
                               or "(The 1997 LSTM, or every other LSTM, solved no adding trial, so their speeds "
                                  "cannot be compared.)") if adding else "(The adding problem was not run.)")
    out["nr_two_forget"] = lstm_sentence(summaries, all_protocols, two, "forget") if two else ""
    if adding:
        base = baseline(all_protocols[adding])
        out["nr_constant"] = (f"on {all_protocols[adding].title} the best constant output ({base['constant']:.3g}) "
                              f"gets {base['wrong'] / base['n']:.0%} of the test sequences wrong")
    else:
        out["nr_constant"] = "(the adding problem was not run)"
    return out


# ---------------------------------------------------------------- how the 1997 LSTM adds

def best_trial(record) -> dict:
    """The record's best trial: solved before unsolved, then the fewest wrong test sequences, then the
    fewest sequences to solution (the first of equals)."""
    if not record["trials"]:
        raise ValueError(f"record {record.get('job')!r} has no trials")
    return min(record["trials"], key=lambda t: (t["status"] != "solved", t["test_wrong"], t["sequences"] or 0))


def trace_summary(net, x, length) -> dict:
    """What a one-trial 1997 LSTM ``net`` does with one adding sequence ``x [time, inputs]`` (input 0 the
    value, input 1 the marker) of ``length`` steps: ``marks`` (the steps where the marker is 1) and their
    ``values``, the ``answer`` at the last step, per block the mean input gate at the marks
    (``gate_at_marks``) and its largest value elsewhere (``gate_elsewhere``), the largest one-step change
    of any cell state into a marked step (``jump_at_mark``) and into any other (``jump_elsewhere``), and
    the range of the output gates (``output_gate_min``, ``output_gate_max``)."""
    x = np.asarray(x, float)
    n = int(length)
    xb, lengths = x[None, None], np.array([[n]])
    marks = np.flatnonzero(x[:n, 1] == 1.0)
    if len(marks) < 2:
        raise ValueError(f"an adding sequence has two marked steps, this one has {len(marks)}")
    tr = net.trace(xb, lengths)
    at_marks = np.zeros(n, bool)
    at_marks[marks] = True
    gates = tr["input_gate"][0, 0, :n]
    jumps = np.abs(np.diff(tr["states"][0, 0, :n], axis=0)).max(axis=1)  # jumps[t - 1]: from step t - 1 to t
    og = tr["output_gate"][0, 0, :n]
    return {"length": n, "marks": [int(m) for m in marks], "values": [float(x[m, 0]) for m in marks],
            "answer": float(net.forward(xb, lengths)[0, 0, n - 1, 0]),
            "gate_at_marks": [float(gates[at_marks, k].mean()) for k in range(gates.shape[-1])],
            "gate_elsewhere": [float(gates[~at_marks, k].max()) for k in range(gates.shape[-1])],
            "jump_at_mark": float(jumps[at_marks[1:]].max()), "jump_elsewhere": float(jumps[~at_marks[1:]].max()),
            "output_gate_min": float(og.min()), "output_gate_max": float(og.max())}


@dataclass
class AddingTrace:
    """The best 1997 LSTM trial of the adding row ``key``, rebuilt as ``net``, on one test sequence
    ``x [time, inputs]`` of ``length`` steps with target ``target [outputs]``; ``stats``: its
    :func:`trace_summary`."""

    key: str
    title: str
    trial: dict
    net: object
    x: np.ndarray
    length: int
    target: np.ndarray
    stats: dict = field(default_factory=dict)


def adding_trace(records, protocols, seed) -> AddingTrace | None:
    """The trace that the chapter shows: the best trial (:func:`best_trial`) of the 1997 LSTM on the first
    adding row of ``protocols``, on the first sequence that generator seed ``seed`` draws; None if that row
    or that architecture did not run."""
    key = family_keys(protocols)["adding"]
    record = next((r for r in records if r["protocol"] == key and r["arch"] == "vanilla"), None)
    if record is None:
        return None
    best, p = best_trial(record), protocols[key]
    net = network_from_record(p, record, best["trial"])
    b = p.task.draw(np.random.default_rng(seed), 1, 1)
    n = int(b.lengths[0, 0])
    x = b.x[0, 0]
    return AddingTrace(key, p.title, best, net, x, n, b.target[0, 0], trace_summary(net, x, n))


def trace_text(trace: AddingTrace | None) -> str:
    """The trace in words, from its :func:`trace_summary`."""
    if trace is None:
        return "The adding problem or the 1997 LSTM was not run, so there is no trace."
    st = trace.stats
    gate_text = "; ".join(f"block {k}: {a:.2f} at the marks, {e:.3f} at most elsewhere"
                          for k, (a, e) in enumerate(zip(st["gate_at_marks"], st["gate_elsewhere"])))
    (m0, m1), (v0, v1) = st["marks"][:2], st["values"][:2]
    return (f"In this sequence the marks sit at steps {m0} and {m1} (values {v0:+.3f} and {v1:+.3f}); the target "
            f"is {float(np.ravel(trace.target)[0]):.3f} and the network answers {st['answer']:.3f} after "
            f"{st['length']} steps. Input gates (activation): {gate_text}. The largest one-step change of any cell "
            f"state is {st['jump_at_mark']:.3f} at a mark and {st['jump_elsewhere']:.3f} elsewhere; the output gates "
            f"stay between {st['output_gate_min']:.2f} and {st['output_gate_max']:.2f}.")


# ---------------------------------------------------------------- longer lags

def growth_series(growth) -> dict:
    """The three weights that the weight-growth comparison follows, from one :func:`~.jobs.weight_growth`
    dict, each ``[points, trials]``: the largest |weight| from a cell to the output (``cell_to_output``),
    from the value input (input 0) to a cell input (``value_to_cell``) and from the marker input (input 1)
    to an input gate (``marker_to_input_gate``)."""
    return {"cell_to_output": np.abs(growth["output.cells"]).max(axis=(2, 3)),
            "value_to_cell": np.abs(growth["cell.x"][..., 0]).max(axis=2),
            "marker_to_input_gate": np.abs(growth["input_gate.x"][..., 1]).max(axis=2)}


def lag_text(growth_records) -> str:
    """The medians over trials of the three :func:`growth_series` at the end of training, per length."""
    if not growth_records:
        return "(The weight-growth comparison was not run.)"
    parts = []
    for r in growth_records:
        final = {k: np.median(v[-1]) for k, v in growth_series(r["growth"]).items()}
        parts.append(f"T = {r['T']}: {final['cell_to_output']:.2g}, {final['value_to_cell']:.2g} and "
                     f"{final['marker_to_input_gate']:.2g}")
    return (f"After {growth_records[0]['budget']:,} sequences the median largest weights (cell → output, value → "
            "cell input, marker → input gate) are: " + "; ".join(parts) + ".")


def paper_ratios(records, run="this build") -> list[dict]:
    """For each 1997-LSTM job (``records`` of a results file) on a row with a published mean number of
    training sequences: every solved trial's sequences to solution as a ratio to the paper's mean, and
    how many trials did not solve it (``run``: whose results file).  What the scorecard's summary
    figure plots (:func:`~.figures.plot_paper_ratios`)."""
    out = []
    for r in records:
        p = PROTOCOLS.get(r.get("protocol"))
        if r.get("arch") != "vanilla" or p is None or (p.paper or {}).get("sequences") is None:
            continue
        solved = [t["sequences"] for t in r["trials"] if t["status"] == "solved"]
        out.append({"protocol": p.key, "experiment": p.title, "run": run, "paper": p.paper["sequences"],
                    "ratios": [s / p.paper["sequences"] for s in solved], "trials": len(r["trials"]),
                    "unsolved": len(r["trials"]) - len(solved)})
    return out
