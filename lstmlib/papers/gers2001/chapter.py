"""Gers & Schmidhuber (2001), the languages chapter: what ``notebooks/languages.ipynb`` shows, computed from
:class:`~.jobs.LanguageJob` records (the same ones a results file holds) and the jobs that made them.

* grouping: :func:`by_part`, :func:`protocols_of`, :func:`find`;
* summaries and verdicts: :func:`summarise`, :func:`claim_verdict`, :func:`ours_text`, :func:`scorecard_rows`;
* tables (lists of row dicts, shown with :func:`table`): :func:`example_rows`, :func:`protocol_rows`,
  :func:`results_rows`, :func:`rule_comparison`;
* glued sentences: :func:`plan_text`, :func:`language_sentence`, :func:`wall_text`, :func:`trace_text`,
  :func:`greff_text`, :func:`peephole_text`, :func:`rules_text`, :func:`rescan_text`, :func:`scale_text`;
* the counting trace: :func:`best_trial`, :func:`best_trace`, :func:`state_changes`,
  :func:`counting_summary`; the figures and their captions are in :mod:`.figures`.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ...model.spec import ARCHITECTURES
from ...study.figures import fmt_count, html_table, label
from ...tasks.baselines import symbol_predictor
from ...tasks.languages import generalisation
from . import thesis_chapter
from .jobs import PARTS, network_for, network_from_record, networks_from_record

#: Microseconds of training per trial and string step on this project's machine (for :func:`plan_text`).
US_PER_STEP = 0.5
#: The longest string the counting trace shows, per language (longer strings make the figure unreadable).
TRACE_MAX_N = {"anbn": 100, "anbncn": 40}
#: The architectures that :func:`language_sentence` reports, in its order.
SENTENCE_ARCHITECTURES = ("peephole", "vanilla", "forget", "rnn")
#: The scorecard columns the chapter shows (the results file holds every column).
SCORECARD_COLUMNS = {"experiment": "experiment", "model": "model", "paper": "paper", "ours": "ours",
                     "verdict": "verdict"}

#: The paper's claim that the chapter's key-results box states (tag as in the scorecard).
CLAIM = ("LSTM learns aⁿbⁿ and aⁿbⁿcⁿ from short strings and generalises to far longer ones, where traditional "
         "RNNs do worse (abstract) [P-abs]; the paper's own numbers could not be read")


# ---------------------------------------------------------------- grouping

def by_part(jobs, items) -> dict:
    """``items`` (one per job, in the jobs' order: records, summaries, the jobs themselves) grouped by the
    jobs' ``part``: ``{"main": [...], "greff": [...], "rules": [...]}``, empty lists for parts not run."""
    jobs, items = list(jobs), list(items)
    if len(jobs) != len(items):
        raise ValueError(f"expected one item per job, got {len(items)} items for {len(jobs)} jobs")
    out = {part: [] for part in PARTS}
    for job, item in zip(jobs, items):
        if job.part not in out:
            raise ValueError(f"{job.name}: unknown part {job.part!r}; valid: {list(PARTS)}")
        out[job.part].append(item)
    return out


def protocols_of(jobs) -> dict:
    """Every protocol the jobs run, key -> protocol, in the order the jobs first name them."""
    return {j.protocol.key: j.protocol for j in jobs}


def find(items, protocol, arch):
    """The first record or summary in ``items`` of protocol key ``protocol`` and architecture ``arch``,
    or None."""
    return next((s for s in items if s["protocol"] == protocol and s["arch"] == arch), None)


# ---------------------------------------------------------------- summaries and verdicts

def summarise(record) -> dict:
    """Per job: trials, how many learned the training set, sequences to that, generalisation ranges."""
    t = record["trials"]
    solved = [x["sequences"] for x in t if x["sequences"] is not None]
    up = np.array([x["up_to"] for x in t])
    return {"job": record["job"], "protocol": record["protocol"], "arch": record["arch"],
            "n_weights": record["n_weights"], "budget": record["budget"], "trials": len(t), "solved": len(solved),
            "diverged": sum(x["status"] == "diverged" for x in t),
            "seq_median": float(np.median(solved)) if solved else None,
            "train_accepted": sum(x["train_accepted"] for x in t),
            "up_to": up.tolist(), "up_to_median": float(np.median(up)), "up_to_best": int(up.max()),
            "reach_max": int((up >= record["n_max"]).sum()), "n_max": record["n_max"],
            "up_to_at_solution_median": (float(np.median([x["up_to_at_solution"] for x in t
                                                           if x["up_to_at_solution"] is not None]))
                                         if solved else None)}


#: How many times the longest training count the median trial must generalise (see :func:`claim_verdict`).
FACTOR = 10

#: The chapter's verdicts: label -> (kind, definition), as :func:`claim_verdict` and
#: :func:`scorecard_rows` decide them (kinds as in :data:`lstmlib.study.scorecard.KINDS`).
VERDICTS = {
    "reproduced": ("reproduced", f"at least half of the trials learn every training string, and the median "
                   f"trial accepts every string up to at least {FACTOR} × the longest training count"),
    "partly": ("partial", f"only the best trial accepts every string up to {FACTOR} × the longest training count"),
    "not reproduced": ("failed", "not even the best trial generalises that far"),
    "reproduced (RNN worse)": ("reproduced", "\"traditional RNNs do worse\": the plain RNN's median and best "
                               "generalisation are both below the peephole LSTM's"),
    "not reproduced (RNN not worse)": ("failed", "the plain RNN's median or best trial generalises as far as "
                                       "the peephole LSTM's"),
}
VERDICTS.update(thesis_chapter.VERDICTS)  # the rows of the thesis protocol (Pérez-Ortiz 2002)


def claim_verdict(summary, train_max, factor=FACTOR) -> str:
    """The abstract's claim, "learns from short strings and generalises to far longer ones", per job:
    "reproduced" if at least half of the trials learn the training set and the median trial accepts
    every string up to at least ``factor`` times the longest training count; "partly" if only the best
    trial does; "not reproduced" otherwise."""
    if summary["solved"] * 2 >= summary["trials"] and summary["up_to_median"] >= factor * train_max:
        return "reproduced"
    if summary["up_to_best"] >= factor * train_max:
        return "partly"
    return "not reproduced"


def rescore(doc) -> list[dict]:
    """The scorecard rows of a results file of this chapter (``doc``, e.g. a reference run written under
    older rules) with each verdict recomputed from its records by today's :func:`scorecard_rows` (the
    Greff variants and the learning-rule runs have no rows)."""
    from .protocols import PROTOCOLS
    records = [r for r in doc["records"] if r["protocol"] in PROTOCOLS]
    summaries = [summarise(r) for r in records]
    protocols = {k: PROTOCOLS[k] for k in dict.fromkeys(r["protocol"] for r in records)}
    fresh = {(r["experiment"], r["model"]): r["verdict"] for r in scorecard_rows(summaries, protocols, "")}
    thesis_records = [r for r in doc["records"] if is_thesis_record(r)]
    fresh |= {(r["experiment"], r["model"]): r["verdict"] for r in thesis_chapter.scorecard_rows(thesis_records, "")}
    return [{**row, "verdict": fresh.get((row["experiment"], row["model"]), row["verdict"])}
            for row in doc.get("summary", {}).get("scorecard", [])]


def ours_text(summary, protocol) -> str:
    """One job's result in the scorecard's words: trials that learned the training set, the median and
    best generalisation, and how many trials reach the scan's end."""
    lo, hi = protocol.train_range
    return (f"{summary['solved']}/{summary['trials']} learn n ∈ [{lo}, {hi}]; all n ≤ N accepted up to N = "
            f"{summary['up_to_median']:g} (median), {summary['up_to_best']:,} (best); "
            f"{summary['reach_max']}/{summary['trials']} reach the scan's end n = {summary['n_max']:,}")


def scorecard_rows(summaries, protocols, scale_text, chapter="languages") -> list:
    """The chapter's scorecard rows: per language, the peephole LSTM against the abstract's claim
    (:func:`claim_verdict`), and the plain RNN against "traditional RNNs do worse" (reproduced if its
    median and best generalisation are both below the peephole LSTM's)."""
    by = {(s["protocol"], s["arch"]): s for s in summaries}
    rows = []
    for key, p in protocols.items():
        lstm, rnn = by.get((key, "peephole")), by.get((key, "rnn"))
        paper = f"{p.paper['claim']}; {p.paper['text']} [{p.paper['tag']}]"
        common = {"chapter": chapter, "experiment": p.title, "paper": paper, "scale": scale_text}
        if lstm is not None:
            rows.append({**common, "model": "peephole LSTM", "protocol": f"{p.describe()}, {lstm['budget']:,} strings",
                         "ours": ours_text(lstm, p), "verdict": claim_verdict(lstm, p.train_range[1])})
        if rnn is not None and lstm is not None:
            worse = rnn["up_to_median"] < lstm["up_to_median"] and rnn["up_to_best"] < lstm["up_to_best"]
            rows.append({**common, "model": "plain RNN", "protocol": f"{p.describe()}, {rnn['budget']:,} strings",
                         "ours": ours_text(rnn, p),
                         "verdict": "reproduced (RNN worse)" if worse else "not reproduced (RNN not worse)"})
    return rows


def published_rows(protocols=None) -> list[dict]:
    """The paper's side of every language the chapter runs (default: every row of
    :data:`~.protocols.PROTOCOLS`): the abstract's claim, what could not be read and the follow-up's
    claim, each with its tag, for the book's "Published numbers" page."""
    from .protocols import PROTOCOLS
    rows = []
    for k, p in (protocols or PROTOCOLS).items():
        text = f"{p.paper['claim']}; {p.paper['text']} [{p.paper['tag']}]"
        if p.paper.get("followup"):
            f = p.paper["followup"]
            text += f". {f['source']}: {f['text']} [{f['tag']}]"
        if k == "anbncn":  # the protocol of Pérez-Ortiz's thesis, which follows the paper
            (mean, best) = thesis_chapter.GD_GENERALISATION[(1, 10)]
            d = thesis_chapter.DEKF_TABLES[(1, 10)][10.0]
            text += (f". {thesis_chapter.THESIS} (follows the paper): gradient descent on n ∈ [1, 10] generalises to "
                     f"{thesis_chapter.format_interval(mean)} on average, {thesis_chapter.format_interval(best)} at "
                     f"best; the Kalman filter (P[0] = 10·I) {thesis_chapter.format_interval(d[2])} and "
                     f"{thesis_chapter.format_interval(d[3])} [P]; Cuadros 7.4-7.7 in the chapter")
        rows.append({"row": k, "experiment": p.title, "the paper": text})
    return rows


def scale_text(scale, jobs, custom) -> str:
    """The scorecard's scale column: the scale, "(custom)" if any parameter changed it, and the trial
    counts of the main jobs, e.g. "default: 10 trials"."""
    n_trials = ", ".join(sorted({str(j.trials) for j in by_part(jobs, jobs)["main"]}))
    return f"{scale}{' (custom)' if custom else ''}: {n_trials} trials"


# ---------------------------------------------------------------- the trivial predictor

def baseline(protocol) -> dict:
    """The best predictor of ``protocol``'s language that sees only the current symbol, fitted to its
    training strings (:func:`lstmlib.tasks.baselines.symbol_predictor`): how far a network gets that
    learned the symbols' order but cannot count (scanned up to the protocol's ``n_max``)."""
    return _symbol_only(protocol.language, tuple(protocol.train_range), protocol.n_max)


_symbol_only = functools.cache(symbol_predictor)  # a language's level is computed once per process


def baseline_text(protocol) -> str:
    """The two levels a result is read against: the count-free predictor's reach (:func:`baseline`) and
    the longest training count (what memorising the training strings reaches)."""
    return f"no count: N = {baseline(protocol)['up_to']}; memorising: N = {protocol.train_range[1]}"


# ---------------------------------------------------------------- tables

def table(rows, columns=None) -> str:
    """``rows`` (dicts) as an HTML table; ``columns`` maps a row key to its header (default: the first
    row's keys as they are)."""
    if not rows:
        raise ValueError("a table needs at least one row")
    return html_table(rows, columns or {k: k for k in rows[0]})


def example_rows(protocols, n=3) -> list:
    """Per language, the string with count ``n`` step by step: the symbol read, the legal next symbols
    and the target vector."""
    rows = []
    for p in protocols.values():
        lang = p.language
        x, target, lengths = lang.encode(np.array([n]))
        for t in range(int(lengths[0])):
            rows.append({"language": lang.name, "step": t, "reads": lang.inputs[int(x[0, t].argmax())],
                         "legal next symbols (target 1)": " ".join(s for s, v in zip(lang.outputs, target[0, t]) if v),
                         "target vector": " ".join(f"{v:.0f}" for v in target[0, t])})
    return rows


def protocol_rows(jobs) -> list:
    """Per protocol the jobs run: its settings, forget-gate bias, each architecture's weight count, the
    strings per trial and the trials."""
    rows = []
    for key, p in protocols_of(jobs).items():
        mine = [j for j in jobs if j.protocol.key == key]
        archs = list(dict.fromkeys(j.arch for j in mine))
        rows.append({"run": key, "language": p.language.name, "settings": p.describe(),
                     "forget-gate bias": f"{p.forget_gate_bias:g}",
                     "weights": ", ".join(f"{label(a)} {network_for(p, a, 1, 0).n_weights}" for a in archs),
                     "strings per trial": ", ".join(sorted({f"{j.budget:,}" for j in mine})),
                     "trials": ", ".join(sorted({str(j.trials) for j in mine}))})
    return rows


def results_rows(summaries, protocols) -> list:
    """The results table: per job, the trials that learned the training set (and diverged), the strings
    they needed, how many still accept it at the end, the generalisation when learned and at the end,
    the trivial predictors' reach (:func:`baseline_text`) and the verdict on the claim
    (:func:`claim_verdict`)."""
    rows = []
    for s in summaries:
        p = protocols[s["protocol"]]
        at_solution = s["up_to_at_solution_median"]
        rows.append({"run": s["protocol"], "architecture": label(s["arch"]), "weights": s["n_weights"],
                     "learned n ≤ 10": f"{s['solved']}/{s['trials']}"
                                       + (f" ({s['diverged']} diverged)" if s["diverged"] else ""),
                     "strings to learn (median)": fmt_count(s["seq_median"]),
                     "still accepts n ≤ 10 at the end": f"{s['train_accepted']}/{s['trials']}",
                     "generalises to, when learned (median)": "–" if at_solution is None else f"{at_solution:g}",
                     "at the end: median": f"{s['up_to_median']:g}",
                     "[min, max]": f"[{min(s['up_to'])}, {max(s['up_to'])}]",
                     f"reach n = {s['n_max']:,}": f"{s['reach_max']}/{s['trials']}",
                     "trivial predictors reach": baseline_text(p),
                     "generalises 10× (claim)": claim_verdict(s, p.train_range[1])})
    return rows


def rule_comparison(main_summaries, rule_summaries) -> list:
    """The learning-rule table's summaries: the main peephole LSTM on aⁿbⁿ (if run) and then each
    learning-rule variant; empty if no variant ran."""
    if not rule_summaries:
        return []
    base = find(main_summaries, "anbn", "peephole")
    return ([base] if base is not None else []) + list(rule_summaries)


# ---------------------------------------------------------------- sentences

def plan_text(jobs, workers) -> str:
    """What the run will do: jobs, trials and the expected training time on ``workers`` workers (every
    trial trains for its whole budget; :data:`US_PER_STEP` per trial and string step)."""
    estimate = sum(j.cost() for j in jobs) * US_PER_STEP * 1e-6 / workers
    return (f"{len(jobs)} jobs, {sum(j.trials for j in jobs)} trials; expected training time: about "
            f"{estimate / 60:.1f} minutes on {workers} worker(s), plus the scans")


def language_sentence(key, summaries, protocols) -> str:
    """One language's results in a sentence, per architecture of :data:`SENTENCE_ARCHITECTURES` that
    ran: trials that learned the training set (and still accept it), median and best generalisation,
    and the trials that reach the scan's end."""
    if key not in protocols:
        return f"({key} was not run.)"
    parts = []
    for arch in SENTENCE_ARCHITECTURES:
        s = find(summaries, key, arch)
        if s is not None:
            parts.append(f"{label(arch)}: {s['solved']}/{s['trials']} learned the training set "
                         f"({s['train_accepted']} still accept it at the end); "
                         f"generalisation median {s['up_to_median']:g}, best {s['up_to_best']:,}, "
                         f"{s['reach_max']} of {s['trials']} trials to n = {s['n_max']:,}")
    return "; ".join(parts) + "."


def wall_text(wall_time, workers) -> str:
    """The run's wall time, e.g. "4.2 minutes on 2 worker(s)"."""
    return f"{wall_time / 60:.1f} minutes on {workers} worker(s)"


def greff_text(greff_summaries) -> str:
    """The Greff et al. variants ranked by median generalisation, best first."""
    if not greff_summaries:
        return "(The Greff et al. variants were not run.)"
    ranked = sorted(greff_summaries, key=lambda s: -s["up_to_median"])
    return "Median generalisation, best first: " + ", ".join(
        f"{label(s['arch'])} {s['up_to_median']:g}" for s in ranked) + "."


def peephole_text(summaries) -> str:
    """What removing only the peepholes from Greff's cell (NP against V) does on aⁿbⁿ."""
    np_s, v_s = find(summaries, "anbn", "np"), find(summaries, "anbn", "greff_v")
    if np_s is None or v_s is None:
        return "(The peephole comparison needs the Greff variants on aⁿbⁿ.)"
    return (f"Removing only the peepholes from Greff's cell (NP) changes the median generalisation on aⁿbⁿ from "
            f"{v_s['up_to_median']:g} (V) to {np_s['up_to_median']:g}, and the best from {v_s['up_to_best']:,} "
            f"to {np_s['up_to_best']:,}.")


#: The cells :func:`gates_text` groups: (has a forget gate, has peepholes), read from their presets' specs.
CELL_PARTS = {a: (ARCHITECTURES[a].forget_gate, ARCHITECTURES[a].peepholes)
              for a in ("vanilla", "nfg", "forget", "np", "peephole", "greff_v")}


def _median_best(s) -> str:
    return f"{s['up_to_median']:g} (best {s['up_to_best']:,})"


def compared_run(folder):
    """``(name, summaries)`` of the languages results file in ``folder`` (relative to the project root),
    the run that :func:`contrast_text` sets beside this one; ``(None, None)`` if ``folder`` is None.
    Checked before any training: a folder without that file is refused."""
    if folder is None:
        return None, None
    from ...study.results import read_results, resolve_path
    path = resolve_path(folder)
    docs = [d for d in read_results(path) if d.get("chapter") == "languages"] if path.is_dir() else []
    if not docs:
        raise ValueError(f"compare_with: no languages results file in {folder!r}; give a folder such as "
                         "'reference_runs/gers2001_paper_scale', or None")
    doc = docs[0]
    scale = doc.get("parameters", {}).get("scale")
    name = f"the reference run {path.name} (scale {scale!r}, commit {doc['provenance']['commit'][:12]})"
    return name, [summarise(r) for r in doc["records"] if not is_thesis_record(r)]


def is_thesis_record(record) -> bool:
    """Whether a record of this chapter's results file is a thesis-protocol job (:mod:`.thesis`)."""
    return str(record.get("protocol", "")).startswith("thesis_")


def contrast_text(summaries, reference=None, run="the reference run") -> str:
    """The 1997 LSTM (neither peepholes nor a forget gate) against the peephole LSTM on aⁿbⁿcⁿ: median
    and best generalisation in this run's ``summaries`` and, if given, in ``reference`` (summaries of
    another run, e.g. a reference run at the paper's scale, named ``run``)."""
    parts = []
    for name, pool in (("this build", summaries), (run, reference or [])):
        v, p = find(pool, "anbncn", "vanilla"), find(pool, "anbncn", "peephole")
        if v is None or p is None:
            continue
        if v["up_to_median"] > p["up_to_median"]:
            how = "further than"
        elif v["up_to_median"] < p["up_to_median"]:
            how = "less far than"
        else:
            how = "as far as"
        parts.append(f"in {name} ({v['trials']} trials each) the 1997 LSTM generalises {how} the peephole LSTM: "
                     f"all n ≤ N accepted up to N = {_median_best(v)} against {_median_best(p)}")
    if not parts:
        return "(The 1997 LSTM and the peephole LSTM did not both run on aⁿbⁿcⁿ.)"
    text = "; ".join(parts)
    return "On aⁿbⁿcⁿ, " + text + "."


def gates_text(summaries) -> str:
    """Median (best) generalisation on aⁿbⁿ of every cell that ran, grouped by whether it has a forget gate
    and peepholes (:data:`CELL_PARTS`): the evidence on which part lets a cell count."""
    groups = {}
    for arch, parts in CELL_PARTS.items():
        s = find(summaries, "anbn", arch)
        if s is not None:
            groups.setdefault(parts, []).append(f"{label(arch)} {_median_best(s)}")
    if not groups:
        return "(No LSTM ran on aⁿbⁿ.)"
    names = {(False, False): "no forget gate, no peepholes", (False, True): "no forget gate, peepholes",
             (True, False): "forget gate, no peepholes", (True, True): "forget gate and peepholes"}
    return ("Median generalisation on aⁿbⁿ by the cell's parts: "
            + "; ".join(f"{names[k]}: {', '.join(v)}" for k, v in sorted(groups.items())) + ".")


def rules_text(rows, protocols) -> str:
    """The median (and best) generalisation under each learning rule of :func:`rule_comparison`."""
    if not rows:
        return "(The learning-rule comparison was not run.)"
    return "Median generalisation of the peephole LSTM on aⁿbⁿ: " + "; ".join(
        f"{protocols[s['protocol']].rule()}: {s['up_to_median']:g} (best {s['up_to_best']:,})" for s in rows) + "."


def rescan_text(records, protocols) -> str:
    """Rescan the main peephole LSTMs on aⁿbⁿ from their recorded weights, timed, and say how long it
    took; raises ``RuntimeError`` if the rescan disagrees with the run (the record rebuilds the nets)."""
    rec = find(records, "anbn", "peephole")
    if rec is None:
        return "(No aⁿbⁿ run to time.)"
    p = protocols["anbn"]
    nets = networks_from_record(p, rec)
    t0 = time.perf_counter()
    scan = generalisation(nets, p.language, p.n_max)
    scan_s = time.perf_counter() - t0
    if not np.array_equal(scan["up_to"], [t["up_to"] for t in rec["trials"]]):
        raise RuntimeError("the rescan of the recorded weights disagrees with the run")
    steps = sum(p.language.length(n) for t in rec["trials"] for n in range(1, min(t["up_to"] + 1, p.n_max) + 1))
    return (f"Rescanning the {len(rec['trials'])} trained peephole LSTMs on aⁿbⁿ from their recorded weights, "
            f"to n = {p.n_max:,}, took {scan_s:.1f} s ({steps / 1e6:.1f} million accepted string steps in all), "
            "and gave the same ranges as the run.")


# ---------------------------------------------------------------- the counting trace

def best_trial(record) -> dict:
    """The trial that generalises furthest; among equals, the one that learned the training set first
    (a trial that never did counts as last)."""
    if not record["trials"]:
        raise ValueError(f"{record['job']}: the record has no trials")
    return max(record["trials"], key=lambda t: (t["up_to"], -(t["sequences"] or 10**12)))


def best_trace(records, protocols, key):
    """What the counting trace of language ``key`` shows: the best peephole-LSTM trial (:func:`best_trial`)
    of the main ``records`` and the count n of the string it reads (its generalisation, at least the
    longest training count, at most :data:`TRACE_MAX_N`, 40 for other languages), as a dict with ``key``, ``protocol``,
    ``record``, ``trial`` and ``n``; None if the peephole LSTM was not run on ``key``."""
    rec = find(records, key, "peephole")
    if rec is None:
        return None
    p = protocols[key]
    best = best_trial(rec)
    n = int(min(max(best["up_to"], p.train_range[1]), TRACE_MAX_N.get(key, 40)))
    return {"key": key, "protocol": p, "record": rec, "trial": best, "n": n}


def state_changes(states, read, symbols, start="S") -> list:
    """The mean change of each cell state per symbol read: ``states [time, cells]`` (the state after
    each step; it starts from 0), ``read [time]`` the index of the symbol read at each step.  Returns
    one dict per cell, symbol -> mean change over the steps that read it (symbols never read, and the
    start symbol ``start``, are left out)."""
    states = np.asarray(states, float)
    read = np.asarray(read)
    if states.ndim != 2 or read.shape != states.shape[:1]:
        raise ValueError(f"expected states [time, cells] and read [time], got {states.shape} and {read.shape}")
    ds = np.diff(np.vstack([np.zeros((1, states.shape[1])), states]), axis=0)  # change at each step
    return [{sym: float(ds[read == i, c].mean()) for i, sym in enumerate(symbols) if sym != start and (read == i).any()}
            for c in range(states.shape[1])]


def counting_summary(net, language, n) -> dict:
    """How a one-trial ``net`` counts on the string of ``language`` with count ``n``: per cell the mean
    state change per symbol (:func:`state_changes`) and the final states."""
    x, _, lengths = language.encode(np.array([n]))
    length = int(lengths[0])
    states = net.trace(x[None, :1], lengths[None, :1])["states"][0, 0, :length]
    return {"changes": state_changes(states, x[0, :length].argmax(axis=1), language.inputs, language.start),
            "final": states[-1].tolist()}


def trace_text(shown, key) -> str:
    """The sentence on the counting trace :func:`best_trace` chose (``shown``; None: not run): how much
    each cell's state changes per symbol, and where it ends."""
    if shown is None:
        return f"(The peephole LSTM was not run on {key}.)"
    p, trial, n = shown["protocol"], shown["trial"], shown["n"]
    net = network_from_record(p, shown["record"], trial["trial"])
    counts = counting_summary(net, p.language, n)
    parts = [f"cell {c} changes by " + ", ".join(f"{v:+.3f} per {sym}" for sym, v in changes.items())
             for c, changes in enumerate(counts["changes"])]
    return (f"On {p.language.name} (trial {trial['trial']}, n = {n}), " + "; ".join(parts) +
            " (means over the string; the state ends at " + ", ".join(f"{v:+.3f}" for v in counts["final"]) + ").")
