"""Gers, Schraudolph & Schmidhuber (2002), the timing chapter (``notebooks/timing.ipynb``): what it computes
from :class:`~.jobs.TimingJob` records, one call per table, figure or glued sentence of the chapter.

* summaries of records (:func:`summarise`, :func:`summary_of`), the rule check apart from the rows
  (:func:`split_rule_checks`);
* the tables: protocol (:func:`protocol_table`), results (:func:`results_table`), rule check
  (:func:`rule_check_rows`) and scorecard (:func:`scorecard_table`);
* the glued sentences (:func:`sentences`, :func:`rule_check_sentence`);
* the verdicts and scorecard rows (:func:`claim_verdict`, :func:`scorecard_rows`, :func:`scale_text`);
* the trace figures of the best peephole LSTM trials (:func:`best_trial`, :func:`trace_figure`,
  :func:`export_traces`); the plots themselves are in :mod:`.figures`.
"""

from __future__ import annotations

import functools
import numpy as np

from ...study.figures import fmt_count, html_table
from ...study.jobs import derive_seed
from ...tasks.baselines import stream_constant
from ...study.figures import plot_not_run
from .figures import plot_stream_trace
from .jobs import RULE_CHECK_ROW, is_rule_check, network_for, network_from_record
from .protocols import LABELS, TIMING_ARCHITECTURES

#: Captions of the chapter's fixed figures (the trace figures' captions name their trial: :func:`trace_figure`).
CAPTIONS = {
    "timing_examples": "The first steps of one stream of each task: the input (grey) and the target at the judged "
                       "steps (black dots). MSD is judged at spikes only; GTS and PFG at every step.",
    "timing_streams": "Training streams until each trial solved the task (dots), or the budget for unsolved trials "
                      "(crosses; hollow: diverged).",
    "timing_curves": "Learning curves: the mean number of correct events per training stream (a stream ends at its "
                     "first wrong step, at most 100 events), one line per trial.",
}

#: The trace figures: (row key, events in the stream shown, figure name), in the order they are exported.
TRACES = (("msd_F49_I0-1", 6, "timing_trace_msd49"), ("gts_F10", 6, "timing_trace_gts"),
          ("msd_F10_I0-1", 8, "timing_trace_msd10"), ("pfg_cos_F10", 6, "timing_trace_pfg"))

#: The scorecard table's columns.
SCORECARD_COLUMNS = {"experiment": "experiment", "model": "model", "paper": "paper", "ours": "ours",
                     "verdict": "verdict"}

#: The paper's claim that the chapter's key-results box states (tag as in the scorecard).
CLAIM = ("peephole LSTM learns to tell spikes 49 from 50 steps apart and, without resets or teacher forcing, "
         "to generate precisely timed spikes and periodic functions (abstract) [P]; the paper's tables could "
         "not be read")


def arch_label(arch) -> str:
    """This chapter's name of ``arch`` (its architectures differ only in their gates: :data:`LABELS`)."""
    return LABELS.get(arch, arch)


# ---------------------------------------------------------------- summaries

def summarise(record) -> dict:
    """One job's record in numbers: trials solved and diverged, the median training streams of the
    solved ones, the medians of the best training run and of the final test, the best final test."""
    t = record["trials"]
    solved = [x["streams"] for x in t if x["streams"] is not None]
    rmse = [x["test_rmse"] for x in t if x["test_rmse"] is not None]
    return {"job": record["job"], "protocol": record["protocol"], "arch": record["arch"],
            "n_weights": record["n_weights"], "budget": record["budget"], "trials": len(t), "solved": len(solved),
            "diverged": sum(x["status"] == "diverged" for x in t),
            "streams_median": float(np.median(solved)) if solved else None,
            "best_train_events_median": float(np.median([x["best_train_events"] for x in t])),
            "test_events_median": float(np.median([x["test_events"] for x in t])),
            "test_events_best": int(max(x["test_events"] for x in t)),
            "test_rmse_median": float(np.median(rmse)) if rmse else None}


def summary_of(summaries, protocol, arch):
    """The summary (or record) of ``protocol`` (a key) with ``arch`` among ``summaries``; None if not run."""
    return next((s for s in summaries if s["protocol"] == protocol and s["arch"] == arch), None)


def split_rule_checks(items) -> tuple[list, list]:
    """Records or summaries split into the chapter's rows and the rule checks
    (:func:`~.jobs.rule_check_jobs`), each in the given order."""
    items = list(items)
    return ([s for s in items if not is_rule_check(s["protocol"])],
            [s for s in items if is_rule_check(s["protocol"])])


# ---------------------------------------------------------------- the trivial predictor

def baseline(protocol) -> dict:
    """The best constant output on ``protocol``'s task (:func:`lstmlib.tasks.baselines.stream_constant`)
    on 10 test streams of the final test's length, of its own (seed derived from the row's key, so
    every run and results file of the row is judged against the same level)."""
    return _constant(protocol.key, protocol.task, protocol.test_events)


@functools.cache  # a row's level is computed once per process
def _constant(key, task, n_events) -> dict:
    return stream_constant(task, 10, n_events, derive_seed(0, key, "constant baseline"))


def baseline_text(base) -> str:
    """A :func:`baseline` in a table cell: the constant, its successive correct events (median) and RMSE."""
    return f"y = {base['constant']:.3g}: {events_text(base['events_median'])}, RMSE {base['rmse_median']:.3f}"


def events_text(n) -> str:
    """``n`` successive correct events in words: "1 event", "0.5 events", "7 events"."""
    return f"{n:g} event{'' if n == 1 else 's'}"


def beats_baseline(summary, base) -> bool:
    """Whether the median trial does better than the best constant output in the final test: more
    successive correct events, or a smaller RMSE (medians over trials; a diverged trial's RMSE is
    missing and counts as no better)."""
    rmse = summary["test_rmse_median"]
    return summary["test_events_median"] > base["events_median"] or (rmse is not None
                                                                     and rmse < base["rmse_median"])


# ---------------------------------------------------------------- tables

def table_html(rows) -> str:
    """An HTML table of ``rows`` (dicts with the same keys), headed by the first row's keys."""
    if not rows:
        raise ValueError("no rows to show")
    return html_table(rows, {k: k for k in rows[0]})


def protocol_rows(jobs) -> list[dict]:
    """One row per protocol that ``jobs`` run (rule checks included): task, learning rule, output unit,
    tolerance, the weights of each architecture run, budgets, trials and the paper's claim."""
    protocols = {j.protocol.key: j.protocol for j in jobs}
    rows = []
    for key, p in protocols.items():
        mine = [j for j in jobs if j.protocol.key == key]
        archs = list(dict.fromkeys(j.arch for j in mine))
        rows.append({"row": key, "task": p.title, "learning rule": p.rule(),
                     "output unit": p.task.output, "tolerance": f"{p.task.tolerance:g}",
                     "weights": ", ".join(f"{arch_label(a)} {network_for(p, a, 1, 0).n_weights}" for a in archs),
                     "budget (streams)": ", ".join(sorted({f"{j.budget:,}" for j in mine})),
                     "trials": ", ".join(sorted({str(j.trials) for j in mine})),
                     "the paper says": p.paper.get("claim", "–")})
    return rows


def protocol_table(jobs) -> str:
    """The protocol table (:func:`protocol_rows`) as HTML."""
    return table_html(protocol_rows(jobs))


def results_rows(summaries, protocols) -> list[dict]:
    """One results row per summary: trials solved (and diverged), median streams to solve, median best
    training run, final test (median and best correct events, median RMSE), the best constant output
    on the same test (:func:`baseline`) and budget; ``protocols``: every summary's row, by key."""
    rows = []
    for s in summaries:
        diverged = f" ({s['diverged']} diverged)" if s["diverged"] else ""
        rmse = "–" if s["test_rmse_median"] is None else f"{s['test_rmse_median']:.3f}"
        rows.append({"row": s["protocol"], "architecture": arch_label(s["arch"]), "weights": s["n_weights"],
                     "solved": f"{s['solved']}/{s['trials']}{diverged}",
                     "streams to solve (median)": fmt_count(s["streams_median"]),
                     "best training run (median)": f"{s['best_train_events_median']:g}",
                     "final test: correct events, median (best)":
                         f"{s['test_events_median']:g} ({s['test_events_best']})",
                     "final test RMSE (median)": rmse,
                     "best constant output": baseline_text(baseline(protocols[s["protocol"]])),
                     "budget": f"{s['budget']:,}"})
    return rows


def results_table(summaries, protocols) -> str:
    """The results table (:func:`results_rows`) as HTML."""
    return table_html(results_rows(summaries, protocols))


def rule_check_rows(summaries, check_summaries) -> list:
    """The summaries the rule-check table compares: the peephole LSTM on :data:`~.jobs.RULE_CHECK_ROW`
    with the run's rule (from ``summaries``, if run), then each check; none without checks."""
    if not check_summaries:
        return []
    base = summary_of(summaries, RULE_CHECK_ROW, "peephole")
    return ([base] if base else []) + list(check_summaries)


def scorecard_table(rows) -> str:
    """The chapter's scorecard rows (:func:`scorecard_rows`) as HTML, in :data:`SCORECARD_COLUMNS`."""
    return html_table(rows, SCORECARD_COLUMNS)


# ---------------------------------------------------------------- sentences

def row_sentence(summaries, protocol) -> str:
    """"<row title>: solved by <architecture> <solved>/<trials> (median <n> streams), ..." for one row."""
    parts = []
    for arch in TIMING_ARCHITECTURES:
        s = summary_of(summaries, protocol.key, arch)
        if s is not None:
            parts.append(f"{arch_label(arch)} {s['solved']}/{s['trials']}"
                         + (f" (median {fmt_count(s['streams_median'])} streams)" if s["solved"] else ""))
    if not parts:
        return f"({protocol.key} was not run.)"
    return f"{protocol.title}: solved by " + ", ".join(parts) + "."


def ablation_sentence(summaries, protocol, a, b, what):
    """"<what> on <row title>: <a> <solved>/<trials>, <b> <solved>/<trials>"; None unless both ran."""
    sa, sb = summary_of(summaries, protocol.key, a), summary_of(summaries, protocol.key, b)
    if sa is None or sb is None:
        return None
    return (f"{what} on {protocol.title}: {arch_label(a)} {sa['solved']}/{sa['trials']}, "
            f"{arch_label(b)} {sb['solved']}/{sb['trials']}")


def sentences(summaries, protocols, wall_time, workers) -> dict[str, str]:
    """The glued sentences of "Reading the numbers", by glue key: ``timing_rows`` (every row),
    ``timing_chance`` (against the best constant output, :func:`chance_sentence`), ``timing_peep``
    (peepholes on/off), ``timing_fg`` (forget gate on/off) and ``timing_wall`` (the run's time).
    ``summaries``: the rows' summaries; ``protocols``: the rows by key."""
    def ablations(b, what):
        found = [t for t in (ablation_sentence(summaries, p, "peephole", b, what) for p in protocols.values()) if t]
        return ("; ".join(found) + ".") if found else "(not run)"
    return {"timing_rows": " ".join(row_sentence(summaries, p) for p in protocols.values()),
            "timing_chance": chance_sentence(summaries, protocols),
            "timing_peep": ablations("forget", "peepholes on/off"),
            "timing_fg": ablations("nfg", "forget gate on/off"),
            "timing_wall": f"{wall_time / 60:.1f} minutes on {workers} worker(s)"}


def chance_sentence(summaries, protocols) -> str:
    """Per row, the peephole LSTM's median final test against the best constant output (:func:`baseline`):
    successive correct events and RMSE, and whether it does better (:func:`beats_baseline`)."""
    parts = []
    for key, p in protocols.items():
        s = summary_of(summaries, key, "peephole")
        if s is None:
            continue
        base = baseline(p)
        rmse = "no RMSE (diverged)" if s["test_rmse_median"] is None else f"RMSE {s['test_rmse_median']:.3f}"
        verdict = "better than" if beats_baseline(s, base) else "no better than"
        parts.append(f"{p.title}: median {events_text(s['test_events_median'])}, {rmse}, {verdict} the constant "
                     f"{base['constant']:.3g} ({events_text(base['events_median'])}, RMSE {base['rmse_median']:.3f})")
    if not parts:
        return "(The peephole LSTM was not run.)"
    return "The peephole LSTM's final test against the best constant output: " + "; ".join(parts) + "."


def rule_check_sentence(check_summaries, protocols) -> str:
    """What the first rule check found (``protocols``: by key, the check's included, as
    :func:`~.jobs.protocols_of` gives them), or that the rule was not checked."""
    if not check_summaries:
        return "(The secondary sources' rule was not checked in this run.)"
    c = check_summaries[0]
    if c["protocol"] not in protocols:
        raise ValueError(f"no protocol {c['protocol']!r} among {sorted(protocols)}")
    return (f"With the secondary sources' rule ({protocols[c['protocol']].rule()}), the peephole LSTM solved "
            f"continual MSD (F = 10, I ∈ {{0, 1}}) in {c['solved']} of {c['trials']} trials within "
            f"{c['budget']:,} training streams; its longest run of correct events in a training stream had a "
            f"median of {c['best_train_events_median']:g}.")


# ---------------------------------------------------------------- verdicts and the scorecard

#: The chapter's verdicts: label -> (kind, definition), as :func:`claim_verdict` decides them (kinds as
#: in :data:`lstmlib.study.scorecard.KINDS`; "not run" is common to every chapter).
VERDICTS = {
    "reproduced": ("reproduced", "\"can learn\" claims (GTS, PFG, MSD with spikes 49 or 50 steps apart): at "
                   "least half of the peephole LSTM trials solved the task (the median trial, not one lucky one); "
                   "\"solved with and without peepholes\" (MSD, F = 10): the peephole LSTM and the LSTM without "
                   "peepholes each solved it in at least half of their trials"),
    "partly": ("partial", "some trials solved it, but fewer than half (for \"with and without peepholes\": both "
               "architectures in at least one trial, not both in half)"),
    "not reproduced at this budget": ("failed", "no peephole LSTM trial solved it (for \"with and without "
                                      "peepholes\": not both architectures) within the training budget run, "
                                      "though the median trial does better than the best constant output"),
    "at chance": ("failed", "no peephole LSTM trial solved it, and the median trial does no better than the best "
                  "constant output in the final test (no more successive correct events and no smaller RMSE)"),
    "no paper claim": ("open", "the paper's readable text makes no claim for this row"),
}


def claim_verdict(protocol, by_arch) -> str:
    """Whether a run supports the claim the readable text of the paper makes for ``protocol``'s row
    (``by_arch``: :func:`summarise` dicts by architecture), judged on the median trial.  "Can learn"
    claims (GTS, PFG, the 49/50 MSD): reproduced if at least half of the peephole LSTM trials solved the
    task, "partly" if at least one did.  "Solved with or without peepholes" (MSD, F = 10): reproduced if
    both the peephole LSTM and the LSTM without peepholes solved it in at least half of their trials,
    "partly" if both in at least one.  Where it is not even partly reproduced: "at chance" if the
    median peephole LSTM trial does not beat the best constant output (:func:`beats_baseline`)."""
    claim = protocol.paper.get("claim")
    peep, nopeep = by_arch.get("peephole"), by_arch.get("forget")
    if claim is None:
        return "no paper claim"
    if peep is None:
        return "not run"
    if "with and without peepholes" in claim:
        if nopeep is None:
            return "not run"
        if min(peep["solved"] / peep["trials"], nopeep["solved"] / nopeep["trials"]) >= 0.5:
            return "reproduced"
        if peep["solved"] and nopeep["solved"]:
            return "partly"
    elif peep["solved"] * 2 >= peep["trials"]:
        return "reproduced"
    elif peep["solved"]:
        return "partly"
    return "not reproduced at this budget" if beats_baseline(peep, baseline(protocol)) else "at chance"


def rescore(doc) -> list[dict]:
    """The scorecard rows of a results file of this chapter (``doc``, e.g. a reference run written under
    older rules) with each verdict recomputed from its records by today's :func:`claim_verdict`."""
    from .protocols import PROTOCOLS
    keys = {p.title: k for k, p in PROTOCOLS.items()}
    summaries = [summarise(r) for r in split_rule_checks(doc["records"])[0]]
    rows = []
    for row in doc.get("summary", {}).get("scorecard", []):
        key = keys.get(row["experiment"])
        if key is not None:
            by_arch = {s["arch"]: s for s in summaries if s["protocol"] == key}
            row = {**row, "verdict": claim_verdict(PROTOCOLS[key], by_arch)}
        rows.append(row)
    return rows


def scorecard_rows(summaries, protocols, scale_text, chapter="timing") -> list:
    """One scorecard row per task: the peephole LSTM (and, where the claim is about it, the LSTM without
    peepholes) against the claim of the paper's readable text (:func:`claim_verdict`)."""
    rows = []
    for key, p in protocols.items():
        by_arch = {s["arch"]: s for s in summaries if s["protocol"] == key}
        peep = by_arch.get("peephole")
        if peep is None:
            continue
        ours = "; ".join(f"{LABELS[a]} {s['solved']}/{s['trials']} solved"
                         + (f" (median {s['streams_median']:,.0f} streams)" if s["solved"] else "")
                         for a, s in by_arch.items())
        rmse = "–" if peep["test_rmse_median"] is None else f"{peep['test_rmse_median']:.3f}"
        ours += (f"; peephole LSTM final test: median {peep['test_events_median']:g} successive correct events, "
                 f"RMSE {rmse} (best constant output {baseline_text(baseline(p))})")
        rows.append({"chapter": chapter, "experiment": p.title, "model": "peephole LSTM",
                     "protocol": f"{p.rule()}; at most {peep['budget']:,} training streams",
                     "paper": p.paper.get("claim", "no claim readable") + " (numbers unverified [U])",
                     "ours": ours, "verdict": claim_verdict(p, by_arch), "scale": scale_text})
    return rows


def published_rows(protocols=None) -> list[dict]:
    """The paper's side of every row of the chapter (default: every row of
    :data:`~.protocols.PROTOCOLS`): the claim its readable text makes, if any, for the book's
    "Published numbers" page (the tables' numbers could not be read)."""
    from .protocols import PROTOCOLS
    return [{"row": k, "experiment": p.title,
             "the paper": p.paper.get("claim", "no claim in the readable text") + "; numbers not read [U]"}
            for k, p in (protocols or PROTOCOLS).items()]


def scale_text(scale, rule, experiments=None, architectures=None, trials=None, budget=None) -> str:
    """The scorecard's scale: "<scale>, rule <rule>", with " (custom)" after the scale when rows,
    architectures, trials or budget were chosen by hand."""
    custom = (experiments, architectures, trials, budget) != (None,) * 4
    return f"{scale}{' (custom)' if custom else ''}, rule {rule}"


# ---------------------------------------------------------------- the trace figures

def best_trial(record) -> dict:
    """The trial of ``record`` to show: solved ones first, then the most successive correct events in
    the final test, then the longest training run, then the fewest training streams to solution."""
    if not record["trials"]:
        raise ValueError(f"record {record.get('job')!r} has no trials")
    return max(record["trials"], key=lambda t: (t["status"] == "solved", t["test_events"], t["best_train_events"],
                                                -(t["streams"] or 10**12)))


def trace_figure(records, protocols, key, n_events, seed):
    """The best peephole LSTM trial (:func:`best_trial`) of row ``key`` run on a fresh stream of
    ``n_events`` events (drawn with seed ``seed + 7``): ``(figure, data, caption)``; a placeholder
    (:func:`~.figures.plot_not_run`) if the row was not run with the peephole LSTM."""
    rec = summary_of(records, key, "peephole")
    if rec is None:  # keep the figure (the page refers to it), say why it is empty
        fig, data = plot_not_run(f"{key} with the peephole LSTM was not run in this build")
        return fig, data, f"(Not run: {key} with the peephole LSTM.)"
    p = protocols[key]
    t = best_trial(rec)
    net = network_from_record(p, rec, t["trial"])
    s = p.task.stream(np.random.default_rng(seed + 7), 1, n_events)
    n = int(s.lengths[0])
    caption = (f"The best peephole LSTM trial on {p.title} (trial {t['trial']}: {t['status']}, "
               f"{t['test_events']} successive correct events in the final test) on a fresh stream of "
               f"{n_events} events: input, cell state, gates, and the output against the target at the judged "
               f"steps (bars: the tolerance).")
    fig, data = plot_stream_trace(net, s.x[0], s.target[0], s.weights[0], n, title=p.title,
                                  tolerance=p.task.tolerance)
    states = np.concatenate([v for k, v in data.items() if k.startswith("state_cell")])
    caption += f" The cell states range from {states.min():.3g} to {states.max():.3g}"
    caption += (": far outside the range of the output squashing, the state has run away rather than learned "
                "a clock." if np.abs(states).max() > 1e3 else ".")
    return fig, data, caption


def export_traces(export, records, protocols, seed) -> str:
    """Export every figure of :data:`TRACES` (:func:`trace_figure`) with ``export`` (a
    :class:`~lstmlib.study.results.FigureExporter`: each caption is added to its ``captions``);
    returns the ``{numref}`` references to the traces of rows that were run, comma-separated."""
    refs = []
    for key, n_events, name in TRACES:
        fig, data, caption = trace_figure(records, protocols, key, n_events, seed)
        export.captions[name] = caption
        export(fig, data, name)
        if summary_of(records, key, "peephole") is not None:
            refs.append(f"{{numref}}`fig-{name.replace('_', '-')}`")
    return ", ".join(refs)
