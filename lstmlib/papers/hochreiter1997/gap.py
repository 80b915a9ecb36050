"""The adding problem's growing gap (issue 14): the 1997 LSTM of this library needs more training
sequences than the paper reports, and more so as T grows (1.65 times the paper's mean at T = 100, 5.1 times
at T = 500).  This study tests the open explanations one at a time, each a change to the chapter's
reading of the paper, at one sequence length (T = 200 by default: a few minutes per run of 10 trials):

* ``exact``: the exact gradient (full BPTT) instead of the 1997 truncated one;
* ``no_half``: the squared error without its ½, which for SGD is the same as twice the learning rate;
* ``output_biases``: output-gate biases -2 and -4 (one per block, as Exp. 3 sets them) instead of
  random in [-0.1, 0.1];
* ``wide_init``: initial weights in [-0.2, 0.2] instead of [-0.1, 0.1];
* ``either_mark``: X1 := 0 whenever the first pair is marked, by either mark (not only the first);
* ``combined``: the three changes that were each faster on their own in the study's first run
  (output biases, weight range, either mark), together.  Chosen after seeing that run: the text says so.

The paper has no T = 200 row; the yardstick is the straight line between its T = 100 and T = 500 means
(74,000 and 209,000: 107,750 at T = 200), labelled as an interpolation, not a published number.
``scripts/adding_gap.py`` runs it (resumably) and writes ``noisy_recall_adding_gap.json``; the chapter reads
it from ``reference_runs/``.
"""

from __future__ import annotations

import math

import numpy as np

from ...study.jobs import check_job_options, choose_names
from ...study.results import read_named_results
from ...study.figures import fmt_count
from .jobs import Job
from .protocols import PROTOCOLS, with_T

#: The results file of ``scripts/adding_gap.py``: its chapter name.
GAP_STUDY = "noisy_recall_adding_gap"

#: Each explanation: what it changes, as text and as :class:`~.protocols.Protocol` changes (``task``: changes
#: to the task).  ``paper`` is the chapter's own reading, the baseline every other row is compared with.
VARIANTS = {
    "paper": ("the chapter's reading (truncated gradient, ½ squared error, output-gate biases in [-0.1, 0.1], "
              "weights in [-0.1, 0.1], X1 := 0 when the first mark is on the first pair)", {}),
    "exact": ("the exact gradient (full BPTT) instead of the 1997 truncated gradient", {"gradient": "exact"}),
    "no_half": ("the squared error without the ½ (for SGD: twice the learning rate, 1.0)", {"lr": 1.0}),
    "output_biases": ("output-gate biases -2 and -4, one per block (as in Exp. 3)",
                      {"output_gate_bias": (-2.0, -4.0)}),
    "wide_init": ("initial weights in [-0.2, 0.2]", {"init_range": 0.2}),
    "either_mark": ("X1 := 0 whenever the first pair is marked, by either mark", {"task": {"first_pair_rule":
                                                                                          "either mark"}}),
    # chosen after the first run of the study (commit 7b715dc), where each of these three alone was faster
    "combined": ("the three changes that were faster alone, together (output-gate biases -2/-4, weights in "
                 "[-0.2, 0.2], X1 := 0 for either mark)",
                 {"output_gate_bias": (-2.0, -4.0), "init_range": 0.2, "task": {"first_pair_rule": "either mark"}}),
}

#: The paper's means (Table 7) between which the yardstick is interpolated.
PAPER_MEANS = {100: 74_000, 500: 209_000}


def yardstick(T) -> float:
    """The straight line through the paper's T = 100 and T = 500 means, at ``T`` (an interpolation)."""
    (t0, m0), (t1, m1) = sorted(PAPER_MEANS.items())
    return m0 + (m1 - m0) * (T - t0) / (t1 - t0)


def yardstick_text(T) -> str:
    """What the yardstick at ``T`` is, in words."""
    if T in PAPER_MEANS:
        return f"{fmt_count(PAPER_MEANS[T])}: the paper's mean at T = {T}, Table 7"
    return f"{fmt_count(yardstick(T))}: interpolated between the paper's T = 100 and T = 500 means"


def variant_protocol(name, T=200):
    """Exp. 4 at length ``T`` (:func:`~.protocols.with_T`) with variant ``name``'s changes, keyed
    ``4_T<T>_<name>``."""
    base = with_T(PROTOCOLS["4_T100"], T)
    changes = dict(VARIANTS[name][1])
    task_changes = changes.pop("task", None)
    if task_changes:
        changes["task"] = type(base.task)(**{**base.task.__dict__, **task_changes})
    return base.replace(key=f"{base.key}_{name}", title=f"{base.title}, {name}", paper={}, **changes)


def gap_jobs(T=200, trials=10, budget=None, variants=None, seed=0) -> list[Job]:
    """One job of ``trials`` 1997-LSTM trials per variant (all by default), ``budget`` sequences each
    (default: the chapter's budget scaled to T, 600,000 at T = 200).  Every variant starts from the same
    initial weights and sees the same training sequences as ``paper`` where its change allows (the seeds
    derive from the row ``4_T<T>``, not the variant)."""
    check_job_options(seed, trials=trials, budget=budget)
    if isinstance(T, bool) or not isinstance(T, int) or T < 20:
        raise ValueError(f"T must be an integer >= 20, got {T!r}")
    names = choose_names(variants, VARIANTS, VARIANTS, "variant")
    jobs = []
    for name in names:
        p = variant_protocol(name, T)
        jobs.append(GapJob(p, "vanilla", trials, budget or p.budget, seed))
    return jobs


class GapJob(Job):
    """A :class:`~.jobs.Job` whose seeds derive from the unvaried row (``4_T<T>``), so that every variant
    starts from the same weights and sequences."""

    def seeds(self) -> dict:
        row = _row_key(self.protocol.key)
        return Job(self.protocol.replace(key=row), self.arch, self.trials, self.budget, self.seed).seeds()


def _row_key(key) -> str:
    """``4_T200_no_half`` -> ``4_T200``."""
    for name in sorted(VARIANTS, key=len, reverse=True):
        if key.endswith("_" + name):
            return key[:-len(name) - 1]
    raise ValueError(f"not a gap-study key: {key!r}")


def variant_of(key) -> str:
    return key[len(_row_key(key)) + 1:]


def read_gap_study(folder):
    """The results document of ``scripts/adding_gap.py`` in ``folder`` (resolved against the project root),
    or None."""
    return read_named_results(folder, GAP_STUDY)


def rank_sum_p(a, b) -> float:
    """Two-sided p-value of the Mann-Whitney rank-sum test of samples ``a`` and ``b`` (normal approximation
    with ties averaged; unsolved trials enter as their budget, i.e. as the slowest)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return float("nan")
    both = np.concatenate([a, b])
    order = both.argsort(kind="mergesort")
    ranks = np.empty(len(both))
    sorted_vals = both[order]
    i = 0
    while i < len(both):  # average the ranks of ties
        j = i
        while j + 1 < len(both) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    _, counts = np.unique(both, return_counts=True)
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - (counts ** 3 - counts).sum() / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (u - n1 * n2 / 2) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2))


def baseline_record(doc, T):
    """The record of the chapter's own run of Exp. 4 at length ``T`` by the 1997 LSTM in a noisy-recall
    results document (a reference run), or None: the ``paper`` row of a gap study run without it (the
    same initial weights and sequences, since the seeds derive from the row ``4_T<T>``)."""
    if doc is None:
        return None
    return next((r for r in doc["records"] if r["protocol"] == f"4_T{T}" and r["arch"] == "vanilla"), None)


def gap_rows(doc, baseline=None) -> list[dict]:
    """Per variant: solved trials, median and range of sequences to solution, ratio of medians to the
    ``paper`` variant and to the yardstick, the rank-sum p-value against ``paper`` (unsolved trials at their
    budget) and a verdict: "closes the gap" (median within 1.25 times the yardstick), "faster" / "slower"
    (p < 0.05 against ``paper``) or "no measurable change".  ``baseline``: the ``paper`` row's record from
    another run (:func:`baseline_record`) when ``doc`` has none."""
    T = doc["parameters"]["T"]
    target = yardstick(T)

    def counts(record):
        return [t["sequences"] if t["status"] == "solved" else record["budget"] for t in record["trials"]]
    by = {variant_of(r["protocol"]): r for r in doc["records"]}
    if "paper" not in by and baseline is not None:
        if baseline["protocol"] != f"4_T{T}" or baseline["arch"] != "vanilla":
            raise ValueError(f"the baseline must be the 1997 LSTM's 4_T{T} record, got {baseline['job']!r}")
        by = {"paper": baseline, **by}
    base = by.get("paper")
    rows = []
    for name in [v for v in VARIANTS if v in by]:
        r = by[name]
        solved = [t["sequences"] for t in r["trials"] if t["status"] == "solved"]
        med = float(np.median(counts(r)))
        p = rank_sum_p(counts(r), counts(base)) if base is not None and name != "paper" else float("nan")
        if med <= 1.25 * target and len(solved) == len(r["trials"]):
            verdict = "closes the gap"
        elif name == "paper":
            verdict = "baseline"
        elif base is None:
            verdict = "not compared (no baseline in this run)"
        elif p < 0.05:
            verdict = "faster" if med < float(np.median(counts(base))) else "slower"
        else:
            verdict = "no measurable change"
        rows.append({"variant": name, "what": VARIANTS[name][0], "trials": len(r["trials"]), "solved": len(solved),
                     "median": med, "min": min(solved) if solved else None, "max": max(solved) if solved else None,
                     "vs_paper_variant": med / float(np.median(counts(base))) if base is not None else None,
                     "vs_yardstick": med / target, "p": p, "verdict": verdict,
                     "wrong_max": max(t["test_wrong"] for t in r["trials"])})
    return rows


def gap_table_html(doc, baseline=None) -> str:
    """The study's rows as an HTML table (the chapter displays it)."""
    head = ("<tr><th>change</th><th>solved</th><th>median sequences</th><th>range</th><th>× chapter's reading</th>"
            "<th>× yardstick</th><th>p</th><th>verdict</th><th>most wrong of 2560 (paper: ≤ 3)</th></tr>")
    body = []
    for r in gap_rows(doc, baseline):
        rng = f"{fmt_count(r['min'])}–{fmt_count(r['max'])}" if r["min"] is not None else "–"
        p = "" if not np.isfinite(r["p"]) else f"{r['p']:.2g}"
        vs = "–" if r["vs_paper_variant"] is None else f"{r['vs_paper_variant']:.2f}"
        body.append(f"<tr><td>{r['what']}</td><td>{r['solved']}/{r['trials']}</td><td>{fmt_count(r['median'])}</td>"
                    f"<td>{rng}</td><td>{vs}</td><td>{r['vs_yardstick']:.2f}</td><td>{p}</td>"
                    f"<td>{r['verdict']}</td><td>{r['wrong_max']}</td></tr>")
    return "<table>" + head + "".join(body) + "</table>"


def gap_text(doc, where, baseline=None, baseline_where=None) -> str:
    """What the study found, in a few sentences (``where``: its folder, as the text names it; ``baseline``,
    ``baseline_where``: the ``paper`` row from another run, and where it is)."""
    if doc is None:
        return (f"(The adding-gap study was not found in {where}: run `python scripts/adding_gap.py` to write it.)")
    T, prov = doc["parameters"]["T"], doc["provenance"]
    rows = gap_rows(doc, baseline)
    base = next((r for r in rows if r["variant"] == "paper"), None)
    trials = rows[0]["trials"] if rows else "?"
    text = (f"The adding-gap study ({where}: `python scripts/adding_gap.py`, T = {T}, {trials} trials per change,"
            f" seed {doc['seed']}, commit {prov['commit'][:12]}, {prov['date'][:10]}) ")
    own = [r for r in rows if r["variant"] != "paper" or "paper" in {variant_of(x["protocol"]) for x in doc["records"]}]
    if doc["parameters"].get("partial"):
        text += f"ran only {', '.join(r['variant'] for r in own)} and "
    if base is not None:
        source = "" if base in own else f" (the same weights and sequences, in {baseline_where or 'another run'})"
        text += (f"compares each change with the chapter's reading{source}, which solved {base['solved']} of "
                 f"{base['trials']} trials with a median of "
                 f"{fmt_count(base['median'])} sequences (unsolved trials counted at the budget), "
                 f"{base['vs_yardstick']:.2f} times the yardstick ({yardstick_text(T)}). ")
    else:
        text += (f"has no run of the chapter's reading to compare with; the yardstick is {yardstick_text(T)}. "
                 + " ".join(f"{r['what'][0].upper() + r['what'][1:]}: {r['solved']} of {r['trials']} trials solved, "
                            f"median {fmt_count(r['median'])} sequences, {r['vs_yardstick']:.2f} times the yardstick."
                            for r in rows) + " ")
    closing = [r for r in rows if r["verdict"] == "closes the gap"]
    faster = [r for r in rows if r["verdict"] == "faster"]
    if closing:
        text += "What closes the gap: " + "; ".join(f"{r['what']} ({fmt_count(r['median'])})" for r in closing) + ". "
    else:
        text += ("None of them closes the gap" + (f" (the closest: {min(own, key=lambda r: r['median'])['what']}, "
                 f"{min(r['vs_yardstick'] for r in own):.2f} times the yardstick)" if own else "") + ". ")
    if faster:
        text += ("Faster than the chapter's reading (rank-sum p < 0.05): "
                 + "; ".join(f"{r['what']} ({r['vs_paper_variant']:.2f}×)" for r in faster) + ". ")
    return text.strip()
