"""The languages chapter's part on the thesis protocol (:mod:`.thesis`): which settings each scale runs, the
results table beside the thesis' Cuadros 7.4-7.7, and the scorecard rows with their verdicts."""

from __future__ import annotations

from ..._checks import check_choice, check_flag
from ...study.jobs import check_job_options, choose_names
from .thesis import (DEKF_TABLES, GD_GENERALISATION, GD_TABLES, THESIS, THESIS_ARCHITECTURES, ThesisJob,
                     ThesisProtocol, dekf_available, format_interval, summarise)

#: Within this factor of the thesis' number (either way) counts as the same result.
FACTOR = 2.0

#: Gradient-descent cells each scale runs, per training range: (α, momentum).  "default": the cells where the
#: thesis' nets learned within 400,000 strings, but 10⁻⁶ with momentum (329,000: too slow for the book), and
#: 10⁻² without momentum (where no net of the thesis learned), 200,000 strings at most; "paper": the whole grid
#: of both tables at the thesis' budgets.
_GRID = tuple(GD_TABLES[(1, 10)])
THESIS_SCALES = {
    "tiny": {"ranges": ((1, 10),), "gd": ((1e-2, 0.0), (1e-4, 0.99)), "deltas": (10.0,), "trials": 2,
             "gd_budget": 3_000, "dekf_budget": 200, "n_max": {"gd": 40, "dekf": 40},
             "others_at": (1e-4, 0.99)},
    "default": {"ranges": ((1, 10),), "gd": ((1e-2, 0.0), (1e-3, 0.0), (1e-4, 0.0), (1e-4, 0.99), (1e-5, 0.99)),
                "deltas": (10.0,), "trials": 10, "gd_budget": 200_000, "dekf_budget": 3_000,
                "n_max": {"gd": 500, "dekf": 2_000}, "others_at": (1e-4, 0.99)},
    "paper": {"ranges": ((1, 10), (20, 21)), "gd": _GRID, "deltas": tuple(DEKF_TABLES[(1, 10)]), "trials": 10,
              "gd_budget": 10_000_000, "dekf_budget": 100_000, "n_max": {"gd": 500, "dekf": 10_000},
              "others_at": None},
}
THESIS_SCALES["full"] = THESIS_SCALES["default"]

#: The verdicts of the thesis rows (added to the chapter's glossary).
VERDICTS = {
    "reproduced (learns)": ("reproduced", "the thesis' nets learned in this setting and so do at least half of ours"),
    "reproduced (fails)": ("reproduced", "no net learned in the thesis' setting, and none of ours does"),
    "not reproduced (learns)": ("failed", "the thesis reports that no net learned here, but some of ours do"),
    "not reproduced (fails)": ("failed", "the thesis' nets learned here, but fewer than half of ours do"),
    "reproduced (generalisation)": ("reproduced", f"our mean and best generalisation intervals reach within a "
                                    f"factor {FACTOR:g} of the thesis' upper ends"),
    "not reproduced (generalisation)": ("failed", f"our mean or best upper end is more than a factor {FACTOR:g} "
                                        f"from the thesis'"),
    "reproduced (no peepholes fail)": ("reproduced", "\"cannot be learned without peepholes\": no net without "
                                       "peepholes learns where the peephole nets do"),
    "not reproduced (no peepholes learn)": ("failed", "some nets without peepholes learn the training set"),
}


def thesis_jobs(scale="default", architectures=None, trials=None, seed=0, gd_budget=None, dekf_budget=None,
                dekf=False, languages=("anbncn",)) -> list:
    """The thesis-protocol jobs of one scale, validated before any work: the peephole LSTM (the thesis' net)
    at every gradient-descent cell of the scale, each training range, and the Kalman filter at each δ; the
    other ``architectures`` (default: forget, vanilla, rnn) at the scale's ``others_at`` cell (at paper scale:
    every cell).  aⁿbⁿ, when asked for, runs the same settings with one block."""
    check_choice("scale", scale, THESIS_SCALES)
    cfg = THESIS_SCALES[scale]
    others = choose_names(architectures, [a for a in THESIS_ARCHITECTURES if a != "peephole"],
                          THESIS_ARCHITECTURES, "architecture")
    check_job_options(seed, trials=trials, gd_budget=gd_budget, dekf_budget=dekf_budget)
    check_flag("dekf", dekf)
    if dekf and not dekf_available():
        raise ValueError("dekf=True: the Kalman-filter trainer (lstmlib.training.dekf) is not built yet; "
                         "run with dekf=False")
    langs = choose_names(languages, ["anbncn"], {"anbncn": 1, "anbn": 1}, "language")
    K = trials or cfg["trials"]
    jobs = []
    for lang in langs:
        for rng in cfg["ranges"]:
            for lr, m in cfg["gd"]:
                p = ThesisProtocol(lang, rng, "gd", lr, m, n_max=cfg["n_max"]["gd"])
                archs = ["peephole"] + [a for a in others if cfg["others_at"] in (None, (lr, m))]
                jobs += [ThesisJob(p, a, K, gd_budget or cfg["gd_budget"], seed) for a in archs]
            if dekf:
                for d in cfg["deltas"]:
                    p = ThesisProtocol(lang, rng, "dekf", delta=d, n_max=cfg["n_max"]["dekf"])
                    jobs.append(ThesisJob(p, "peephole", K, dekf_budget or cfg["dekf_budget"], seed))
    return jobs


def protocol_of(record) -> ThesisProtocol:
    """The :class:`ThesisProtocol` a record was run with (its ``setting``)."""
    return ThesisProtocol(**{**record["setting"], "train_range": tuple(record["setting"]["train_range"])})


def _learn_verdict(row, paper_pct) -> str:
    ours_learn = row["learned"] * 2 >= row["trials"]
    if paper_pct > 0:
        return "reproduced (learns)" if ours_learn else "not reproduced (fails)"
    return "reproduced (fails)" if row["learned"] == 0 else "not reproduced (learns)"


def _close(ours, paper, factor=FACTOR) -> bool:
    return ours is not None and paper is not None and paper[1] / factor <= ours[1] <= paper[1] * factor


def ours_text(row, n_max) -> str:
    seq = "–" if row["sequences"] is None else f"{row['sequences'] / 1000:,.0f}×10³"
    return (f"{row['learned']}/{row['trials']} learned ({row['learned_pct']:.0f} %), {seq} strings; generalisation "
            f"mean {format_interval(row['mean'], n_max)}, best {format_interval(row['best'], n_max)}")


def paper_text(paper) -> str:
    if paper is None:
        return "–"
    seq = "–" if paper["sequences"] is None else f"{paper['sequences'] / 1000:,.0f}×10³"
    text = f"{paper['learned_pct']} % learned, {seq} strings"
    if "mean" in paper:
        text += f"; mean {format_interval(paper['mean'])}, best {format_interval(paper['best'])}"
    return f"{text} [{paper['tag']}]"


def results_rows(records) -> list[dict]:
    """One row per thesis job: the setting, our result, the thesis' cell and the verdict on "learns or not"."""
    rows = []
    for rec in records:
        p = protocol_of(rec)
        s = summarise(rec)
        paper = p.paper()
        rows.append({"setting": f"{p.language}, n ∈ [{p.train_range[0]}, {p.train_range[1]}], {p.rule()}",
                     "architecture": THESIS_ARCHITECTURES[rec["arch"]][2], "ours": ours_text(s, p.n_max),
                     "thesis": paper_text(paper),
                     "verdict": _learn_verdict(s, paper["learned_pct"]) if paper else "–"})
    return rows


def generalisation_summary(records, train_range=(1, 10), method="gd", arch="peephole") -> dict:
    """The mean and best generalisation over every net that learned, pooled over the settings run (the thesis
    gives one mean and one best for gradient descent and does not say which cell they come from)."""
    from .thesis import interval_stats
    ivs = [t["interval"] for r in records if r["arch"] == arch and r["setting"]["method"] == method
           and tuple(r["setting"]["train_range"]) == tuple(train_range) and r["setting"]["language"] == "anbncn"
           for t in r["trials"] if t["status"] == "solved"]
    n_max = max((r["n_max"] for r in records if r["setting"]["method"] == method), default=None)
    return {**interval_stats(ivs), "n_max": n_max}


def scorecard_rows(records, scale_text, chapter="languages") -> list[dict]:
    """The thesis rows of the scorecard: each gradient-descent cell and DEKF δ of the peephole LSTM (learns or
    not), the pooled gradient-descent generalisation against the thesis' mean and best, the DEKF δ = 10
    generalisation, and the peephole claim."""
    rows = []
    peep = [r for r in records if r["arch"] == "peephole" and r["setting"]["language"] == "anbncn"]
    for rec in peep:
        p = protocol_of(rec)
        paper, s = p.paper(), summarise(rec)
        if paper is None:
            continue
        lo, hi = p.train_range
        rows.append({"chapter": chapter, "experiment": f"aⁿbⁿcⁿ, thesis protocol, n ∈ [{lo}, {hi}], {p.rule()}",
                     "model": "peephole LSTM", "protocol": f"{THESIS}; {rec['budget']:,} strings at most",
                     "paper": f"{paper_text(paper)} ({paper['source']})", "ours": ours_text(s, p.n_max),
                     "verdict": _learn_verdict(s, paper["learned_pct"]), "scale": scale_text})
        if p.method == "dekf" and "mean" in paper and paper["mean"] is not None:
            ok = _close(s["mean"], paper["mean"]) and _close(s["best"], paper["best"])
            rows.append({**rows[-1], "experiment": rows[-1]["experiment"] + ": generalisation",
                         "verdict": f"{'' if ok else 'not '}reproduced (generalisation)"})
    for rng, (mean, best) in GD_GENERALISATION.items():
        g = generalisation_summary(records, rng)
        if not any(tuple(r["setting"]["train_range"]) == rng and r["setting"]["method"] == "gd" for r in peep):
            continue
        ok = _close(g["mean"], mean) and _close(g["best"], best)
        rows.append({"chapter": chapter, "experiment": f"aⁿbⁿcⁿ, thesis protocol, n ∈ [{rng[0]}, {rng[1]}], "
                                                       f"gradient descent: generalisation",
                     "model": "peephole LSTM", "protocol": f"{THESIS}; every cell run, nets that learned pooled",
                     "paper": f"mean {format_interval(mean)}, best {format_interval(best)} [P] ({THESIS}, p. 105)",
                     "ours": f"{g['n']} nets: mean {format_interval(g['mean'], g['n_max'])}, best "
                             f"{format_interval(g['best'], g['n_max'])}",
                     "verdict": f"{'' if ok else 'not '}reproduced (generalisation)", "scale": scale_text})
    without = [r for r in records if r["arch"] in ("forget", "vanilla") and r["setting"]["language"] == "anbncn"]
    if without:
        learned = sum(t["status"] == "solved" for r in without for t in r["trials"])
        total = sum(len(r["trials"]) for r in without)
        rows.append({"chapter": chapter, "experiment": "aⁿbⁿcⁿ, thesis protocol: without peepholes",
                     "model": "LSTM without peepholes", "protocol": f"{THESIS}; the peephole net's settings",
                     "paper": f"\"this task cannot be learned without peephole connections\" [P] ({THESIS}, "
                              f"p. 99, fn. 2)",
                     "ours": f"{learned}/{total} nets without peepholes learn the training set",
                     "verdict": "reproduced (no peepholes fail)" if learned == 0
                     else "not reproduced (no peepholes learn)", "scale": scale_text})
    return rows


def thesis_text(records) -> str:
    """The section's reading, in sentences made from the records: agreement on which settings learn, the
    strings needed against the thesis', the pooled generalisation, the nets without peepholes and the DEKF."""
    if not records:
        return "The thesis protocol was not run (parameter `thesis = False`)."
    parts = []
    peep = [r for r in records if r["arch"] == "peephole" and r["setting"]["language"] == "anbncn"]
    judged, ratios = [], []
    for rec in peep:
        p = protocol_of(rec)
        paper, s = p.paper(), summarise(rec)
        if paper is None:
            continue
        judged.append((p, _learn_verdict(s, paper["learned_pct"]).startswith("reproduced")))
        if paper["sequences"] and s["sequences"]:
            ratios.append((s["sequences"] / paper["sequences"], p))
    if judged:
        agree = sum(ok for _, ok in judged)
        wrong = [p.rule() for p, ok in judged if not ok]
        parts.append(f"In {agree} of the {len(judged)} settings run, ours and the thesis agree on whether the nets "
                     f"learn the training set" + (f"; they disagree at {', '.join(wrong)}." if wrong else "."))
    if ratios:
        lo, hi = min(ratios, key=lambda r: r[0]), max(ratios, key=lambda r: r[0])
        parts.append(f"Where both learn, ours need {lo[0]:.2g}× ({lo[1].rule()}) to {hi[0]:.2g}× ({hi[1].rule()}) "
                     f"the thesis' mean number of training strings.")
    for rng, (mean, best) in GD_GENERALISATION.items():
        g = generalisation_summary(records, rng)
        if g["n"]:
            ours = f"{format_interval(g['mean'], g['n_max'])} on average and {format_interval(g['best'], g['n_max'])}"
            parts.append(f"The {g['n']} gradient-descent nets that learned n ∈ [{rng[0]}, {rng[1]}] generalise to "
                         f"{ours} at best, against the thesis' {format_interval(mean)} and "
                         f"{format_interval(best)} [P].")
    without = [r for r in records if r["arch"] != "peephole" and r["setting"]["language"] == "anbncn"]
    for rec in without:
        s = summarise(rec)
        what = THESIS_ARCHITECTURES[rec["arch"]][2]
        parts.append(f"{what[0].upper() + what[1:]}: {s['learned']}/{s['trials']} learn "
                     f"({protocol_of(rec).rule()}).")
    for rec in (r for r in peep if r["setting"]["method"] == "dekf"):
        p = protocol_of(rec)
        s, paper = summarise(rec), p.paper()
        seq = "–" if s["sequences"] is None else f"{s['sequences']:,.0f}"
        text = (f"The Kalman filter ({p.rule()}): {s['learned']}/{s['trials']} learn, after {seq} strings on "
                f"average; generalisation {format_interval(s['mean'], p.n_max)} on average, "
                f"{format_interval(s['best'], p.n_max)} at best")
        if paper is not None:
            text += f" (thesis: {paper_text(paper)})"
        parts.append(text + ".")
    return " ".join(parts)


# --- how the trained nets count -------------------------------------------------------------------------------
#: The count of the string the traces read (the thesis: a¹⁰⁰⁰b¹⁰⁰⁰c¹⁰⁰⁰, p. 112).
TRACE_N = 1000
TRACE_N_SUP = "¹⁰⁰⁰"


def best_nets(records) -> dict:
    """Per method ("gd", "dekf"): the peephole-LSTM net on aⁿbⁿcⁿ with the widest generalisation interval
    over every setting run, as ``{"record", "trial", "net"}`` (a one-trial network with its final weights);
    where no net of a method learned, its first run's first trial (so that the figure still shows what it
    does); a method that did not run is left out."""
    from ...study.jobs import network_from_weights
    from .thesis import thesis_network
    out = {}
    for method in ("gd", "dekf"):
        runs = [r for r in records if r["arch"] == "peephole" and r["setting"]["method"] == method
                and r["setting"]["language"] == "anbncn"]
        cands = [(t["interval"][1] - t["interval"][0], t["interval"][1], r, t) for r in runs for t in r["trials"]
                 if t["status"] == "solved"] or [(-1, -1, r, r["trials"][0]) for r in runs[:1]]  # none learned
        if cands:
            _, _, rec, trial = max(cands, key=lambda c: (c[0], c[1]))
            net = network_from_weights(lambda arch, K: thesis_network(arch, "anbncn", K), rec, [trial["trial"]])
            out[method] = {"record": rec, "trial": trial, "net": net}
    return out


def trace_caption(method, best) -> str:
    rec, trial = best["record"], best["trial"]
    learned = f"generalisation {format_interval(trial['interval'])}" if trial["interval"] else "no net learned"
    return (f"The best {'gradient-descent' if method == 'gd' else 'Kalman-filter'} net of the thesis protocol "
            f"({protocol_of(rec).rule()}, trial {trial['trial']}, {learned})"
            f" reading a{TRACE_N_SUP}b{TRACE_N_SUP}c{TRACE_N_SUP}: the symbol read, the two cell states, the gates,"
            f" and every output against its target set (dots: a legal next symbol; dashed: the decision boundary 0).")


def counting_text(method, best) -> str:
    """How the net counts: each cell's mean state change per symbol read over a¹⁰⁰⁰b¹⁰⁰⁰c¹⁰⁰⁰, and whether
    the net accepts that string."""
    from ...tasks.languages import training_set_accepted
    from .chapter import counting_summary
    lang = protocol_of(best["record"]).lang
    counts = counting_summary(best["net"], lang, TRACE_N)
    ok = bool(training_set_accepted(best["net"], lang, (TRACE_N, TRACE_N))[0])
    parts = [f"cell {c} changes by " + ", ".join(f"{v:+.3f} per {sym}" for sym, v in changes.items())
             for c, changes in enumerate(counts["changes"])]
    name = "gradient-descent" if method == "gd" else "Kalman-filter"
    return (f"The best {name} net {'accepts' if ok else 'rejects'} a{TRACE_N_SUP}b{TRACE_N_SUP}c{TRACE_N_SUP}: "
            + "; ".join(parts) + ".")


# --- what the chapter's cells call ---------------------------------------------------------------------------------
def resolve_scale(thesis_scale, scale) -> str:
    """The thesis part's scale: ``thesis_scale``, or by default "tiny" at the chapter's tiny scale, "paper" at
    its paper scale and "default" otherwise."""
    return thesis_scale or {"tiny": "tiny", "paper": "paper"}.get(scale, "default")


def chapter_jobs(thesis, thesis_scale, scale, architectures, trials, seed, dekf) -> tuple:
    """``(jobs, scale)`` of the chapter's thesis part, checked before any work (no jobs when ``thesis`` is
    False)."""
    check_flag("thesis", thesis)
    chosen = resolve_scale(thesis_scale, scale)
    return (thesis_jobs(chosen, architectures, trials, seed, dekf=dekf) if thesis else []), chosen


def scale_text(thesis_scale, scale, architectures, custom) -> str:
    """The scorecard's scale column for the thesis rows: the scale, "(custom)" when a parameter changed it."""
    changed = custom or architectures is not None or thesis_scale != resolve_scale(None, scale)
    return f"{thesis_scale}{' (custom)' if changed else ''}"


def export_traces(records, figures_path, glue):
    """Export the trace of the best net of each method (:func:`best_nets`) as ``languages_thesis_trace_<method>``
    and glue ``lang_thesis_count_<method>``; returns the figure exporter (its ``figures`` go into the results
    file)."""
    from ...study.results import FigureExporter
    from .figures import plot_thesis_trace
    best = best_nets(records)
    export = FigureExporter(figures_path, {f"languages_thesis_trace_{m}": trace_caption(m, b) for m, b in best.items()},
                            glue=glue)
    for method in ("gd", "dekf"):
        if method in best:
            b = best[method]
            export(*plot_thesis_trace(b["net"], protocol_of(b["record"]).lang, TRACE_N,
                                      f"thesis protocol, best {method} net"), f"languages_thesis_trace_{method}")
        glue(f"lang_thesis_count_{method}", counting_text(method, best[method]) if method in best
             else f"(No {method} net was trained.)", display=False)
    return export
