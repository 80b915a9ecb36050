"""Gers & Schmidhuber (2001), the languages chapter's figures and their captions, drawn from
:class:`~.jobs.LanguageJob` records.  Each ``plot_*`` returns ``(figure, data columns)`` for
:class:`lstmlib.study.results.FigureExporter`, under the names and captions of :func:`captions`."""

from __future__ import annotations

import numpy as np

from ...study.figures import ARCH_COLOURS, LEGEND_OUTSIDE, by_protocol, finish_trace, gate_panel, strip_plot
from .chapter import best_trace
from .jobs import network_from_record

#: The captions of the figures whose text does not depend on the run.
CAPTIONS = {
    "languages_generalisation": "How far each trial generalises: the largest N such that every string with n ≤ N is "
                                "accepted, at the end of the budget (filled dots) and when the trial first learned "
                                "the training set (small hollow circles, below). Dashed: the longest training string "
                                "(n = 10); dotted: the end of the scan. The axis shows N + 1 on a log scale.",
    "languages_sequences": "Training strings until each trial first accepted every training string (dots; checked "
                           "every 1,000 strings), or the budget for trials that never did (crosses).",
    "languages_greff": "Generalisation on aⁿbⁿ of the Greff et al. (2017) variants, each one change to the "
                       "peephole LSTM (as in the figure above).",
}
#: The languages whose counting trace the chapter shows (figure ``languages_trace_<key>``).
TRACE_LANGUAGES = ("anbn", "anbncn")


def trace_caption(shown) -> str:
    """The caption of the counting trace :func:`~.chapter.best_trace` chose."""
    trial, lang = shown["trial"], shown["protocol"].language
    return (f"How the best peephole LSTM trial on {lang.name} (trial {trial['trial']}, which accepts every "
            f"n ≤ {trial['up_to']:,}) reads the string with n = {shown['n']}: the symbol read, the cell states, the "
            "gates, and each output unit (dots where that symbol is a legal next one; dashed: 0.5).")


def captions(records, protocols) -> dict:
    """Every figure name of the chapter -> its caption: :data:`CAPTIONS` and the counting trace of each
    language of :data:`TRACE_LANGUAGES` on which the main ``records`` ran the peephole LSTM."""
    out = dict(CAPTIONS)
    for key in TRACE_LANGUAGES:
        shown = best_trace(records, protocols, key)
        if shown is not None:
            out[f"languages_trace_{key}"] = trace_caption(shown)
    return out


def plot_sequences_to_solution(records, protocols, ax_width=3.8):
    """Per language (panel) and architecture (row): the training strings until each trial first
    accepted the training set (dots), or the strings it saw for trials that never did (crosses; hollow:
    diverged).  Returns (figure, data columns; ``x`` is the plotted number of strings)."""
    def point(t):
        solved = t["status"] == "solved"
        return (t["sequences"] if solved else t["sequences_seen"]), ("o" if solved else "x"), t["status"] != "diverged"
    return strip_plot(records, protocols, ax_width, point, lambda p: None, "training sequences",
                      ["status", "sequences", "sequences_seen"])


def plot_generalisation(records, protocols, ax_width=4.2):
    """Per language (panel) and architecture (row): how far each trial generalises (the largest N with
    every n ≤ N accepted; dots at the end of the budget, hollow circles when the training set was first
    learned), the longest training count (dashed) and the scan's end (dotted).  The axis shows N + 1,
    so that 0 (the shortest string rejected) is drawn."""
    def point(t):
        return t["up_to"] + 1, "o", t["status"] != "diverged"
    fig, data = strip_plot(records, protocols, ax_width, point, lambda p: p.train_range[1] + 1,
                            "longest n accepted, + 1", ["status", "up_to", "first_failure", "up_to_at_solution",
                                                      "sequences"])
    for ax, (key, recs) in zip(fig.axes, by_protocol(records).items()):
        ax.axvline(protocols[key].n_max + 1, ls=":", color="k", lw=1)
        for row, r in enumerate(recs):
            at = [(t["up_to_at_solution"] + 1, row + (t["trial"] % 5 - 2) * 0.06 - 0.25)
                  for t in r["trials"] if t["up_to_at_solution"] is not None]
            if at:
                ax.plot(*zip(*at), "o", ms=3, mfc="none", color=ARCH_COLOURS.get(r["arch"], "k"), alpha=0.6)
    return fig, data


def plot_symbol_trace(net, x, length, target, input_symbols, output_symbols, title="", threshold=0.5):
    """How one trained network (``net`` with one trial) reads one symbol string: the symbol read at each
    step, the cell states, the gates and every output unit against its target set (filled: the symbol
    is a legal next one), with the decision ``threshold`` (0.5 for 0/1 targets, 0 for ±1 ones).
    ``x [time, inputs]`` one-hot (±1 or 0/1), ``target [time, outputs]`` multi-hot.  Returns (figure,
    data columns, one row per step)."""
    import matplotlib.pyplot as plt
    x = np.asarray(x, float)
    tr = net.trace(x[None, None], np.array([[length]]))
    t = np.arange(length)
    read = x[:length].argmax(axis=1)
    gates = [g for g in ("input_gate", "forget_gate", "output_gate") if g in tr]
    fig, axes = plt.subplots(3 + bool(gates), 1, figsize=(9, 7), sharex=True,
                             gridspec_kw={"height_ratios": [0.5, 1.2] + ([1] if gates else []) + [1.4]})
    data = {"t": t, "read": [input_symbols[i] for i in read]}
    for i, sym in enumerate(input_symbols):
        m = read == i
        axes[0].plot(t[m], np.zeros(m.sum()), "|", ms=12, label=sym)
    axes[0].set_yticks([])
    outside = LEGEND_OUTSIDE
    axes[0].legend(title="symbol read", title_fontsize=7, **outside)
    for c in range(tr["states"].shape[-1]):
        s = tr["states"][0, 0, :length, c]
        axes[1].plot(t, s, lw=1.2, label=f"cell {c}")
        data[f"state_cell{c}"] = s
    axes[1].axhline(0, color="0.7", lw=0.6)
    axes[1].legend(**outside)
    axes[1].set_ylabel("cell state s(t)")
    if gates:
        gate_panel(axes[2], tr, length, data, outside)
    y = tr["outputs"][0, 0, :length]
    for o, sym in enumerate(output_symbols):
        line, = axes[-1].plot(t, y[:, o], lw=1, label=f"P(next = {sym})" if threshold == 0.5 else f"next = {sym}")
        legal = np.asarray(target)[:length, o] > threshold
        axes[-1].plot(t[legal], y[legal, o], ".", ms=3, color=line.get_color())
        data[f"output_{sym}"] = y[:, o]
        data[f"target_{sym}"] = np.asarray(target)[:length, o]
    axes[-1].axhline(threshold, color="k", lw=0.6, ls="--")
    axes[-1].set_ylim(*((-0.05, 1.05) if threshold == 0.5 else (-2.1, 2.1)))
    finish_trace(fig, axes, title, outside)
    return fig, data


def plot_trace(shown):
    """The counting trace :func:`~.chapter.best_trace` chose (:func:`plot_symbol_trace` of that trial on
    the string with its count n)."""
    p, trial, n = shown["protocol"], shown["trial"], shown["n"]
    lang = p.language
    net = network_from_record(p, shown["record"], trial["trial"])
    x, target, lengths = lang.encode(np.array([n]))
    return plot_symbol_trace(net, x[0], int(lengths[0]), target[0], lang.inputs, lang.outputs,
                             title=f"{lang.name}, n = {n}, peephole LSTM")


def plot_thesis_trace(net, language, n, title):
    """A thesis-protocol net (one trial) reading the string of ``language`` with count ``n`` (e.g.
    a¹⁰⁰⁰b¹⁰⁰⁰c¹⁰⁰⁰): :func:`plot_symbol_trace` with the ±1 coding's threshold 0."""
    x, target, lengths = language.encode(np.array([n]))
    return plot_symbol_trace(net, x[0], int(lengths[0]), target[0], language.inputs, language.outputs, title=title,
                             threshold=language.threshold)
