"""The gradients chapter's plots: each returns ``(fig, data)`` for :class:`lstmlib.study.results.FigureExporter`."""

from __future__ import annotations

import numpy as np

from .jobs import METHODS

MARKERS = dict(zip(METHODS, "osD^"))


def plot_cost(rows):
    """Measured seconds per step against T and against the weights, and the floats kept against T."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for m in METHODS:
        by_T = [r for r in rows if r["against"] == "T" and r["method"] == m]
        by_W = [r for r in rows if r["against"] == "W" and r["method"] == m]
        axes[0].plot([r["T"] for r in by_T], [1e6 * r["seconds_per_step"] for r in by_T], marker=MARKERS[m], label=m)
        axes[1].plot([r["weights"] for r in by_W], [1e6 * r["seconds_per_step"] for r in by_W], marker=MARKERS[m])
        axes[2].plot([r["T"] for r in by_T], [r["floats_kept"] for r in by_T], marker=MARKERS[m])
    for ax, xl, yl in zip(axes, ("sequence length T", "weights W (T = 100)", "sequence length T"),
                          ("µs per step (measured)", "µs per step (measured)", "floats kept per sequence")):
        ax.set(xscale="log", yscale="log", xlabel=xl, ylabel=yl)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    keys = ("against", "method", "T", "blocks", "weights", "seconds_per_step", "floats_kept")
    return fig, {k: [r[k] for r in rows] for k in keys}


def plot_checks(rows, criterion):
    """The fewest significant figures on which any weight's analytic and numerical derivatives agree, per
    preset and gradient mode, with the criterion."""
    import matplotlib.pyplot as plt
    presets = list(dict.fromkeys(r["preset"] for r in rows))
    fig, ax = plt.subplots(figsize=(8, 3))
    for j, (mode, marker) in enumerate((("exact", "o"), ("truncated", "s"))):
        sel = [r for r in rows if r["gradient"] == mode]
        ax.scatter([presets.index(r["preset"]) + 0.15 * (j - 0.5) for r in sel], [r["min_figures"] for r in sel],
                   marker=marker, label=f"{mode} gradient" + (" (vs frozen surrogate)" if mode == "truncated" else ""))
    ax.axhline(criterion, color="k", lw=0.8, ls="--", label=f"criterion: {criterion} figures")
    ax.set_xticks(range(len(presets)), presets, rotation=45)
    ax.set(ylabel="fewest agreeing figures", ylim=(0, 12))
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig, {k: [r[k] for r in rows] for k in ("preset", "gradient", "weights", "min_figures", "median_figures")}


def plot_agreement(rows):
    """Angle and norm ratio between the truncated and the exact gradient against T, per trial (dots) and
    median (line), untrained and trained networks."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for label, color in (("untrained", "C0"), ("trained", "C3")):
        sel = [r for r in rows if r["net"] == label]
        Ts = sorted({r["T"] for r in sel})
        for ax, key in zip(axes, ("angle_deg", "norm_ratio")):
            ax.scatter([r["T"] for r in sel], [r[key] for r in sel], s=8, color=color, alpha=0.5)
            ax.plot(Ts, [np.median([r[key] for r in sel if r["T"] == T]) for T in Ts], color=color, label=label)
    axes[0].set(xscale="log", xlabel="sequence length T", ylabel="angle (degrees)")
    axes[1].set(xscale="log", yscale="log", xlabel="sequence length T", ylabel="‖truncated‖ / ‖exact‖")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig, {k: [r[k] for r in rows] for k in ("net", "T", "trial", "angle_deg", "norm_ratio")}


def plot_learning(records, protocols, labels):
    """Per learning row, each trial's test result for each variant (dots; the line: the median)."""
    import matplotlib.pyplot as plt
    keys = list(protocols)
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2))
    data = {"row": [], "variant": [], "trial": [], "value": []}
    for ax, key in zip(np.atleast_1d(axes), keys):
        measure, ylabel = labels[key]
        recs = [r for r in records if r["protocol"] == key]
        for j, r in enumerate(recs):
            vals = [t[measure] for t in r["trials"]]
            ax.scatter(np.full(len(vals), j) + np.linspace(-0.1, 0.1, len(vals)), vals, s=12)
            ax.hlines(np.median(vals), j - 0.25, j + 0.25, color="k")
            for k, v in enumerate(vals):
                data["row"].append(key), data["variant"].append(str(r["variant"])), data["trial"].append(k)
                data["value"].append(v)
        ax.set_xticks(range(len(recs)), [str(r["variant"]) for r in recs])
        ax.set(title=protocols[key].title.split(":")[0], ylabel=ylabel, xlim=(-0.6, len(recs) - 0.4))
    fig.tight_layout()
    return fig, data
