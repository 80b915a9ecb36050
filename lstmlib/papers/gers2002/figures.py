"""Gers, Schraudolph & Schmidhuber (2002), the timing chapter's figures: example streams, training
streams to solution, learning curves, one trained network's run on a stream, and the placeholder for a
figure whose row was not run.  Each returns ``(figure, data)``, ``data`` the plotted columns that
:class:`lstmlib.study.results.FigureExporter` saves beside the figure."""

from __future__ import annotations

import numpy as np

from ...study.figures import LEGEND_OUTSIDE, curve_panels, finish_trace, gate_panel, strip_plot
from ...tasks.timing import GTS, MSD, PFG

#: The tasks of the example figure, by panel title.
EXAMPLE_TASKS = {"MSD, F = 10, I ∈ {0, 1}": MSD(10), "GTS, F = 10": GTS(10), "PFG, cosine, F = 10": PFG("cos", 10),
                 "PFG, triangle, F = 10": PFG("tri", 10), "PFG, rectangle, F = 10": PFG("rect", 10)}


def plot_examples(seed, tasks=None, max_steps=45):
    """The first ``max_steps`` steps of one stream of 4 events of each task (default
    :data:`EXAMPLE_TASKS`, drawn in turn from one generator seeded with ``seed``): the input and the
    target at the judged steps.  Data columns: task, t, input, target, judged."""
    import matplotlib.pyplot as plt
    tasks = EXAMPLE_TASKS if tasks is None else tasks
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(1, len(tasks), figsize=(14, 2.3), squeeze=False)
    axes = axes[0]
    data = {"task": [], "t": [], "input": [], "target": [], "judged": []}
    for ax, (name, task) in zip(axes, tasks.items()):
        s = task.stream(rng, 1, 4)
        n = min(int(s.lengths[0]), max_steps)
        judged = s.weights[0, :n] > 0
        ax.plot(s.x[0, :n, 0], lw=0.8, color="0.5", label="input")
        ax.plot(np.flatnonzero(judged), s.target[0, :n, 0][judged], "k.", ms=4, label="target (judged)")
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("time step")
        for t in range(n):
            for k, v in zip(data, (name, t, s.x[0, t, 0], s.target[0, t, 0], bool(judged[t]))):
                data[k].append(v)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig, data


def plot_streams_to_solution(records, protocols, ax_width=3.8, labels=None):
    """Timing tasks, per task (panel) and architecture (row): training streams until each trial solved
    the task (dots) or the budget at which an unsolved trial stopped (crosses; hollow: diverged)."""
    def point(t):
        solved = t["status"] == "solved"
        return (t["streams"] if solved else t["streams_seen"]), ("o" if solved else "x"), t["status"] != "diverged"
    return strip_plot(records, protocols, ax_width, point, lambda p: None, "training streams",
                       ["status", "streams", "streams_seen", "best_train_events", "test_events"], labels)


def plot_event_curves(records, protocols, ax_width=3.8, labels=None):
    """Timing tasks, per task (panel): mean number of correct events per training stream against
    training streams seen, one line per trial, coloured by architecture."""
    fig, axes, keys, data = curve_panels(records, protocols, ax_width, ("streams", "mean_events"), labels)
    for ax in axes[:len(keys)]:
        ax.set_yscale("symlog", linthresh=1)
        ax.set_xlabel("training streams")
        ax.set_ylabel("correct events per stream")
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    return fig, data


def plot_stream_trace(net, x, target, weights, length, title="", tolerance=None):
    """How one trained network (``net`` with one trial) runs on one stream ``x [time, inputs]`` from a
    reset state: the input, the cell state, the gates and the output against the target at the judged
    steps (``weights > 0``; the band is ± ``tolerance``).  Returns (figure, data columns)."""
    import matplotlib.pyplot as plt
    x = np.asarray(x, float)
    tr = net.trace(x[None, None, :length], np.array([[length]]))
    t = np.arange(length)
    gates = [g for g in ("input_gate", "forget_gate", "output_gate") if g in tr]
    fig, axes = plt.subplots(3 + bool(gates), 1, figsize=(9, 6.5), sharex=True,
                             gridspec_kw={"height_ratios": [0.6, 1] + ([1] if gates else []) + [1.3]})
    outside = LEGEND_OUTSIDE
    data = {"t": t, "input": x[:length, 0]}
    axes[0].plot(t, x[:length, 0], lw=0.8, color="0.3")
    axes[0].set_ylabel("input")
    for c in range(tr["states"].shape[-1]):
        data[f"state_cell{c}"] = tr["states"][0, 0, :length, c]
        axes[1].plot(t, data[f"state_cell{c}"], lw=1, label=f"cell {c}")
    axes[1].set_ylabel("cell state s(t)")
    axes[1].legend(**outside)
    if gates:
        gate_panel(axes[2], tr, length, data, outside)
    y = tr["outputs"][0, 0, :length, 0]
    judged = np.asarray(weights)[:length] > 0
    tgt = np.asarray(target)[:length, 0]
    data.update({"output": y, "target": np.where(judged, tgt, np.nan)})
    axes[-1].plot(t, y, lw=1, color="C3", label="output")
    axes[-1].plot(t[judged], tgt[judged], "k.", ms=4, label="target (judged steps)")
    if tolerance is not None:
        axes[-1].errorbar(t[judged], tgt[judged], yerr=tolerance, fmt="none", ecolor="0.6", lw=0.6,
                          label=f"± {tolerance:g}")
    finish_trace(fig, axes, title, outside)
    return fig, data
