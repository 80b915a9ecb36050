"""Hochreiter & Schmidhuber (1997), the noisy-recall chapter's figures: each ``plot_*`` returns
``(figure, data columns)`` for :class:`lstmlib.study.results.FigureExporter`, and :data:`CAPTIONS`
(with :func:`trace_caption` and :func:`lag_caption` for the two whose captions carry numbers) says
what each shows."""

from __future__ import annotations

import numpy as np

from ...study.figures import ARCH_COLOURS, by_protocol, finish_trace, gate_panel, label, log_x, panels, strip_plot
from ...tasks.recall import Adding1997, Multiplication, TwoSequence
from .chapter import growth_series, paper_wrong

#: The captions of the figures whose text does not depend on the run, by figure name.
CAPTIONS = {
    "noisy_recall_examples": "One sequence of each task at T = 100. In the adding and multiplication problems the "
                             "second input line (not drawn) carries the markers; the two marked values are shown as "
                             "dots.",
    "noisy_recall_sequences": "Training sequences until each trial met the paper's stopping rule (dots), or where an "
                              "unsolved trial stopped (crosses: at the budget, or earlier where the plain RNN's "
                              "learning curve went flat; hollow circles: diverged). Dashed: the paper's mean for the "
                              "1997 LSTM.",
    "noisy_recall_curves": "Learning curves: the fraction of training sequences processed correctly (the task's "
                           "criterion against the training target) against sequences seen, one line per trial. In "
                           "Exp. 3c the training targets are noisy, so the fraction stays low even for a perfect "
                           "predictor.",
    "noisy_recall_test_errors": "Wrong sequences in the final test (2560 fresh sequences per trial; filled: solved "
                                "trials, hollow: unsolved). Dashed: the paper's mean for the 1997 LSTM. The axis is "
                                "logarithmic, shifted by 0.5 so that zero shows.",
}


def trace_caption(trace) -> str:
    """The caption of the trace figure, for an :class:`~.chapter.AddingTrace`."""
    return (f"How a trained 1997 LSTM adds: trial {trace.trial['trial']} of {trace.key} (the trial with the fewest "
            f"test errors, {trace.trial['test_wrong']} of 2560) on one test sequence of {trace.length} steps. Top: "
            "the value and marker inputs. Then the four cell states, the input and output gates of the two blocks, "
            "and the output with the target at the last step.")


def lag_caption(growth_records) -> str:
    """The caption of the weight-growth figure, for the :class:`~.jobs.WeightGrowthJob` records."""
    trials = len(growth_records[0]["trials"])
    return (f"The 1997 LSTM on the adding problem at T = {', '.join(str(r['T']) for r in growth_records)}: the "
            "largest absolute weight from a cell to the output, from the value input to a cell input and from the "
            f"marker input to an input gate, median over {trials} trials, against training sequences (the paper's "
            "settings, no stopping rule).")


def plot_examples(seed, T=100):
    """One sequence of each task at length ``T`` (the 2-sequence ones of class 1), drawn with generator
    seed ``seed``: the value line, the marked values as dots.  Data columns: one row per time step."""
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(seed)
    examples = {"2-sequence (3a), class 1": TwoSequence(T, 3),
                "2-sequence (3b), class 1": TwoSequence(T, 3, noise_on_informative=True),
                "adding (Exp. 4)": Adding1997(T), "multiplication (Exp. 5)": Multiplication(T)}
    fig, axes = plt.subplots(1, 4, figsize=(13, 2.4))
    data = {"task": [], "t": [], "value": [], "marker": [], "target": []}
    for ax, (name, task) in zip(axes, examples.items()):
        while True:  # a class-1 example for the 2-sequence tasks
            b = task.draw(rng, 1, 1)
            if not isinstance(task, TwoSequence) or b.clean_target[0, 0, 0] == 1.0:
                break
        n = int(b.lengths[0, 0])
        x = b.x[0, 0, :n]
        ax.plot(x[:, 0], lw=0.7, color="0.3", label="value")
        if x.shape[1] == 2:
            marked = np.flatnonzero(x[:, 1] == 1.0)
            ax.plot(marked, x[marked, 0], "o", color="C3", label="marked (marker 1)")
        ax.set_title(f"{name}: target {b.target[0, 0, 0]:.3f}", fontsize=8)
        ax.set_xlabel("time step")
        for t in range(n):
            row = (name, t, x[t, 0], x[t, 1] if x.shape[1] == 2 else np.nan, b.target[0, 0, 0])
            for k, v in zip(data, row):
                data[k].append(v)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    return fig, data


def plot_sequences_to_solution(records, protocols, ax_width=3.8):
    """Per protocol (panel) and architecture (row): each trial's sequences to solution (dots), unsolved
    trials where they stopped (crosses: at the budget, or stopped flat), diverged ones hollow, the
    paper's mean (dashed line).  Returns (figure, data columns; ``x`` is the plotted number of sequences)."""
    def point(t):
        solved = t["status"] == "solved"
        return (t["sequences"] if solved else t["sequences_seen"]), ("o" if solved else "x"), t["status"] != "diverged"
    return strip_plot(records, protocols, ax_width, point, lambda p: p.paper.get("sequences"),
                       "training sequences", ["status", "sequences", "sequences_seen"])


def plot_learning_curves(records, protocols, ax_width=3.8):
    """Per protocol (panel): fraction of training sequences correct against sequences seen, one thin line
    per trial, coloured by architecture.  Returns (figure, data columns)."""
    groups = by_protocol(records)
    fig, axes = panels(len(groups), ax_width)
    data = {"protocol": [], "arch": [], "trial": [], "sequences": [], "loss": [], "fraction_correct": []}
    for ax, (key, recs) in zip(axes, groups.items()):
        for r in recs:
            for t in r["trials"]:
                c = np.array([[np.nan if v is None else v for v in row] for row in t["curve"]], float).reshape(-1, 3)
                ax.plot(c[:, 0], c[:, 2], color=ARCH_COLOURS.get(r["arch"], "k"), lw=0.8, alpha=0.6,
                        label=label(r["arch"]) if t["trial"] == 0 else None)
                for row in c:
                    for k, v in zip(("protocol", "arch", "trial", "sequences", "loss", "fraction_correct"),
                                    (key, r["arch"], t["trial"], int(row[0]), row[1], row[2])):
                        data[k].append(v)
        log_x(ax)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(protocols[key].title, fontsize=8)
        ax.set_xlabel("training sequences")
    axes[0].set_ylabel("fraction correct (per chunk)")
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig, data


def plot_test_errors(records, protocols, ax_width=3.8):
    """Per protocol (panel) and architecture: each trial's wrong test sequences (of the final test set),
    solved trials filled, unsolved hollow; the paper's mean (dashed).  Returns (figure, data columns;
    ``x`` is the number wrong + 0.5, so that zero shows on the log axis)."""
    def point(t):
        return t["test_wrong"] + 0.5, "o", t["status"] == "solved"

    def reference(p):
        pw = paper_wrong(p.paper)
        return None if pw is None else pw + 0.5
    return strip_plot(records, protocols, ax_width, point, reference, "wrong of 2560 test sequences (+0.5)",
                       ["status", "test_wrong", "test_n"])


def plot_trace(net, x, length, target=None, input_labels=None, title=""):
    """How one trained network (``net`` with one trial) processes one sequence ``x [time, inputs]`` of
    ``length`` steps: inputs, cell states s(t), gate activations and the output, one panel each,
    against time.  ``target``: the target at the last step, drawn as a star.  Returns (figure, data
    columns, one row per time step)."""
    import matplotlib.pyplot as plt
    tr = net.trace(np.asarray(x, float)[None, None], np.array([[length]]))
    t = np.arange(length)
    gates = [g for g in ("input_gate", "forget_gate", "output_gate") if g in tr]
    fig, axes = plt.subplots(4 if gates else 3, 1, figsize=(7, 6.5 if gates else 5), sharex=True)
    data = {"t": t}
    labels = input_labels or [f"input {i}" for i in range(x.shape[-1])]
    for i, name in enumerate(labels):
        axes[0].plot(t, x[:length, i], lw=0.8, label=name)
        data[name] = x[:length, i]
    axes[0].legend(fontsize=7, loc="upper right")
    axes[0].set_ylabel("input")
    for c in range(tr["states"].shape[-1]):
        s = tr["states"][0, 0, :length, c]
        axes[1].plot(t, s, lw=1, label=f"cell {c}")
        data[f"state_cell{c}"] = s
    axes[1].legend(fontsize=7, loc="upper left", ncol=2)
    axes[1].set_ylabel("cell state s(t)")
    if gates:
        gate_panel(axes[2], tr, length, data, dict(fontsize=7, loc="upper left", ncol=2))
    y = tr["outputs"][0, 0, :length]
    for o in range(y.shape[-1]):
        axes[-1].plot(t, y[:, o], lw=1, label="output" if y.shape[-1] == 1 else f"output {o}")
        data[f"output{o}"] = y[:, o]
    if target is not None:
        axes[-1].plot([length - 1] * len(np.ravel(target)), np.ravel(target), "k*", ms=9, label="target")
    finish_trace(fig, axes, title, dict(fontsize=7, loc="upper left"))
    return fig, data


def plot_adding_trace(trace):
    """:func:`plot_trace` of an :class:`~.chapter.AddingTrace` (value and marker inputs, the target)."""
    return plot_trace(trace.net, trace.x, trace.length, trace.target, ["value", "marker"], title=trace.title)


#: The weight-growth figure's panels: series (:func:`~.chapter.growth_series`) -> panel title.
GROWTH_TITLES = {"cell_to_output": "largest |weight| cell → output",
                 "value_to_cell": "largest |weight| value → cell input",
                 "marker_to_input_gate": "largest |weight| marker → input gate"}


def plot_weight_growth(growth_records):
    """The weight-growth comparison: per followed weight (panel) the median over trials of its largest
    |value| against training sequences, one line per length T, log y.  Data columns: one row per
    (T, recorded point, trial)."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(12, 2.8))
    data = {"T": [], "sequences": [], "trial": [], **{k: [] for k in GROWTH_TITLES}}
    for r in growth_records:
        g = r["growth"]
        series = growth_series(g)  # [points, trials] each
        for ax, v in zip(axes, series.values()):
            ax.plot(g["seen"], np.median(v, axis=1), lw=1.5, label=f"T = {r['T']}")
        for i, seen in enumerate(g["seen"]):
            for k in range(series["cell_to_output"].shape[1]):
                for key, col in (("T", r["T"]), ("sequences", seen), ("trial", k)):
                    data[key].append(col)
                for key, values in series.items():
                    data[key].append(values[i, k])
    for ax, title in zip(axes, GROWTH_TITLES.values()):
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("training sequences")
        ax.set_yscale("log")
    axes[0].set_ylabel(f"median over {len(growth_records[0]['trials'])} trials")
    axes[-1].legend(fontsize=8)
    fig.tight_layout()
    return fig, data


#: The caption of the scorecard page's summary figure (:func:`plot_paper_ratios`), which the intro shows too.
SUMMARY_CAPTIONS = {
    "scorecard_ratios": "The 1997 LSTM against the 1997 paper, row by row: every trial's training sequences to "
                        "solution divided by the paper's mean (dots; log scale), for each row of the paper's tables "
                        "that this build or a reference run trained. The line at 1 is the paper's mean, the shaded "
                        "band within 2× of it; the number at the right counts the trials that did not solve the "
                        "row within their budget.",
}


def plot_paper_ratios(items):
    """One line per (row, run) of :func:`~.chapter.paper_ratios` items, top to bottom in the order given:
    each solved trial's ratio to the paper's mean (dots, log x), the band [1/2, 2] shaded, 1 marked, the
    unsolved trials counted at the right.  Returns (figure, data columns: one row per solved trial)."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8.0, 0.9 + 0.55 * max(len(items), 1)))
    if not items:  # e.g. a tiny build without reference runs: say so rather than fail the page
        ax.text(0.5, 0.5, "no row with a published number of training sequences was run", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig, {"experiment": [], "run": [], "trial_ratio": []}
    ax.axvspan(0.5, 2.0, color="#d8f0d8", zorder=0)
    ax.axvline(1.0, color="#174d17", lw=1)
    data = {"experiment": [], "run": [], "trial_ratio": []}
    for y, it in enumerate(items):
        ax.plot(it["ratios"], [y] * len(it["ratios"]), "o", ms=4, color=ARCH_COLOURS["vanilla"], alpha=0.8)
        if it["unsolved"]:
            ax.annotate(f"{it['unsolved']}/{it['trials']} unsolved", (1.01, y), xycoords=("axes fraction", "data"),
                        va="center", fontsize=8)
        for r in it["ratios"]:
            data["experiment"].append(it["experiment"])
            data["run"].append(it["run"])
            data["trial_ratio"].append(r)
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels([f"{it['experiment']}\n{it['run']}" for it in items], fontsize=8)
    ax.set_ylim(len(items) - 0.5, -0.5)
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter
    seen = [r for it in items for r in it["ratios"]] or [1.0]
    ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if min(seen) / 2.5 <= t <= max(seen) * 2.5]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xticklabels([f"{t:g}×" for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(min(min(seen), 0.5) / 1.5, max(max(seen), 2.0) * 1.5)
    ax.set_xlabel("training sequences to solution ÷ the paper's mean")
    ax.grid(axis="x", which="major", alpha=0.3)
    if not data["trial_ratio"]:  # nothing solved: the CSV still says which rows were shown
        data = {"experiment": [it["experiment"] for it in items], "run": [it["run"] for it in items],
                "trial_ratio": [float("nan")] * len(items)}
    return fig, data
