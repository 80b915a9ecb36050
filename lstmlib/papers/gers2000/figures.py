"""Learning to forget, the forgetting chapter's figures: Exp. 1's training strings to success and learning
curves, CERG's final test lengths, one trained net's run on a long continual stream, and the placeholder
for a figure whose rows were not run.  Each returns ``(figure, data)``, ``data`` the plotted columns that
:class:`lstmlib.study.results.FigureExporter` saves beside the figure."""

from __future__ import annotations

import numpy as np

from ...study.figures import ARCH_COLOURS, LEGEND_OUTSIDE, curve_panels, gate_panel, plot_not_run, strip_plot

__all__ = ["plot_cerg_lengths", "plot_cerg_trace", "plot_erg_curves", "plot_erg_strings", "plot_not_run"]


def plot_erg_strings(records, protocols, ax_width=3.8):
    """Exp. 1, per row (panel) and architecture (row): training strings until each trial solved the task
    (dots) or the strings it saw until the budget (crosses; hollow: diverged); dashed: the paper's mean
    for its LSTM; a placeholder (:func:`plot_not_run`) without records."""
    if not records:
        return plot_not_run("Exp. 1 was not run in this build")

    def point(t):
        solved = t["status"] == "solved"
        return (t["strings"] if solved else t["strings_seen"]), ("o" if solved else "x"), t["status"] != "diverged"
    return strip_plot(records, protocols, ax_width, point, lambda p: p.paper.get("sequences"), "training strings",
                      ["status", "strings", "strings_seen", "train_correct", "test_correct"])


def plot_erg_curves(records, protocols, ax_width=3.8):
    """Exp. 1, per row (panel): the fraction of the training strings predicted fully right at each check
    against training strings seen, one line per trial, coloured by architecture; a placeholder
    (:func:`plot_not_run`) without records."""
    if not records:
        return plot_not_run("Exp. 1 was not run in this build")
    fig, axes, keys, data = curve_panels(records, protocols, ax_width, ("strings", "train_right"))
    for ax in axes[:len(keys)]:
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("training strings")
        ax.set_ylabel("training strings right")
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    return fig, data


#: Markers of a CERG net by class: (marker, filled).
CLASS_MARKERS = {"perfect": ("o", True), "good": ("o", False), "bad": ("x", True)}


def plot_cerg_lengths(records, protocols, width=7.0):
    """CERG, one column per row run: each net's mean error-free length over its final test streams
    (log scale; markers by class: :data:`CLASS_MARKERS`), dashed at each row's ``good_length`` and dotted
    at its ``test_length`` (a perfect solution).  Data columns: protocol, arch, trial, class, mean test
    length.  A placeholder (:func:`plot_not_run`) without records."""
    import matplotlib.pyplot as plt
    if not records:
        return plot_not_run("CERG was not run in this build")
    fig, ax = plt.subplots(figsize=(width, 3.2))
    data = {"protocol": [], "arch": [], "trial": [], "class": [], "mean_test_length": []}
    for i, r in enumerate(records):
        p = protocols[r["protocol"]]
        for t in r["trials"]:
            marker, filled = CLASS_MARKERS[t["class"]]
            ax.plot(i + (t["trial"] % 7 - 3) * 0.05, max(t["mean_test_length"], 1.0), marker,
                    color=ARCH_COLOURS.get(r["arch"], "k"), ms=4, alpha=0.8, mfc=None if filled else "none")
            for c, v in zip(data, (r["protocol"], r["arch"], t["trial"], t["class"], t["mean_test_length"])):
                data[c].append(v)
        ax.plot([i - 0.4, i + 0.4], [p.good_length] * 2, "k--", lw=0.8)
        ax.plot([i - 0.4, i + 0.4], [p.test_length] * 2, "k:", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(records)))
    ax.set_xticklabels([protocols[r["protocol"]].title for r in records], rotation=20, ha="right", fontsize=7)
    ax.set_ylabel("mean error-free test length")
    fig.tight_layout()
    return fig, data


def plot_cerg_trace(tr, error, starts, tolerance, title=""):
    """One trained net's run on one continual stream (``tr``: a one-trial :meth:`Network.trace` over the
    stream, ``error [T]``: max|y − target| per step, ``starts [T]``: where a string begins): the cell
    states s(t) and cell outputs of every cell, the gates, and the error with the ``tolerance``; string
    starts as grey lines.  Returns (figure, data columns)."""
    import matplotlib.pyplot as plt
    T = len(error)
    t = np.arange(T)
    gates = [g for g in ("input_gate", "forget_gate", "output_gate") if g in tr]
    fig, axes = plt.subplots(3 + bool(gates), 1, figsize=(10, 8), sharex=True)
    data = {"t": t, "string_start": np.asarray(starts, bool)}
    for c in range(tr["states"].shape[-1]):
        data[f"state_cell{c}"] = tr["states"][0, 0, :T, c]
        data[f"output_cell{c}"] = tr["cells"][0, 0, :T, c]
        axes[0].plot(t, data[f"state_cell{c}"], lw=0.9, label=f"cell {c}")
        axes[1].plot(t, data[f"output_cell{c}"], lw=0.9)
    axes[0].set_ylabel("cell state s(t)")
    axes[0].legend(**LEGEND_OUTSIDE)
    axes[1].set_ylabel("cell output")
    if gates:
        gate_panel(axes[2], tr, T, data, LEGEND_OUTSIDE)
    data["error"] = np.asarray(error, float)
    axes[-1].plot(t, data["error"], lw=0.8, color="C3", label="max |y − target|")
    axes[-1].axhline(tolerance, ls="--", color="k", lw=0.8, label=f"tolerance {tolerance:g}")
    axes[-1].set_ylim(0, 1.02)
    axes[-1].set_ylabel("error")
    axes[-1].set_xlabel("symbol")
    axes[-1].legend(**LEGEND_OUTSIDE)
    for ax in axes:
        for s in np.flatnonzero(data["string_start"]):
            ax.axvline(s, color="0.85", lw=0.5, zorder=0)
    axes[0].set_title(title, fontsize=9)
    fig.tight_layout()
    return fig, data
