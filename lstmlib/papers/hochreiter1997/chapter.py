"""Hochreiter & Schmidhuber (1997), the noisy-recall chapter: summaries, verdicts, scorecard rows and
figures, all read from :class:`~.jobs.Job` records (the same ones a results file holds)."""

from __future__ import annotations

import numpy as np

from ...study.figures import (
    ARCH_COLOURS,
    by_protocol,
    fmt_count,
    fmt_tag,
    gate_panel,
    label,
    log_x,
    panels,
    strip_plot,
)


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
        "seq_mean": float(np.mean(solved)) if solved else None,
        "seq_median": float(np.median(solved)) if solved else None,
        "seq_min": int(min(solved)) if solved else None, "seq_max": int(max(solved)) if solved else None,
        "st1_mean": float(np.mean(st1)) if st1 else None, "st1_reached": len(st1),
        "test_n": trials[0]["test_n"],
        "wrong_mean": float(wrong.mean()), "wrong_max": int(wrong.max()),
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


def verdict(summary, paper, factor=2.0) -> str:
    """Our LSTM result against the paper's row.

    * ``reproduced``: every trial met the stopping rule, the mean number of sequences is within
      ``factor`` of the paper's mean, and the mean number of wrong test sequences over solved trials is
      at most ``max(3, factor * paper's)``;
    * ``slower``: every trial solved, test errors as above, but more than ``factor`` times the sequences;
    * ``more test errors``: every trial solved but the test errors exceed the bound;
    * ``partly``: some trials solved; ``not reproduced``: none; ``no paper row``: nothing to compare.
    """
    if not paper or paper.get("sequences") is None:
        return "no paper row"
    if summary["solved"] == 0:
        return "not reproduced"
    if summary["solved"] < summary["trials"]:
        return "partly"
    bound = max(3.0, factor * (paper_wrong(paper, summary["test_n"]) or 0.0))
    if summary["wrong_mean_solved"] > bound:
        return "more test errors"
    if summary["seq_mean"] > factor * paper["sequences"]:
        return "slower"
    return "reproduced"


def paper_text(protocol) -> str:
    """The paper's row in words, with its provenance tag."""
    paper = protocol.paper
    if paper.get("sequences") is None:
        return "no published row"
    wrong = paper_wrong(paper)
    return (f"{fmt_count(paper['sequences'])} sequences"
            + (f", {wrong:.3g} wrong of 2560" if wrong is not None else "")
            + f" ({fmt_tag(paper)}, {paper.get('source', '')})")


def protocol_text(protocol, budget) -> str:
    return f"lr {protocol.lr:g}, stop: {protocol.stop.describe()}, budget {budget:,}"


def scorecard_row(chapter, protocol, summary, scale, what="LSTM 1997") -> dict:
    """One row of the reproduction scorecard for ``protocol``'s paper number against ``summary``."""
    ours = (f"{summary['solved']}/{summary['trials']} solved"
            + (f", mean {fmt_count(summary['seq_mean'])} sequences" if summary["seq_mean"] is not None else "")
            + (f", {summary['wrong_mean_solved']:.3g} wrong of {summary['test_n']} (mean over solved)"
               if summary["wrong_mean_solved"] is not None
               else f", {summary['wrong_mean']:.3g} wrong of {summary['test_n']} at the budget (mean)"))
    return {"chapter": chapter, "experiment": protocol.title, "model": what,
            "protocol": protocol_text(protocol, summary["budget"]), "paper": paper_text(protocol), "ours": ours,
            "verdict": verdict(summary, protocol.paper), "scale": scale}


def not_run_row(chapter, protocol, how, what="LSTM 1997") -> dict:
    """A scorecard row for a paper row that this run left out; ``how`` says how to run it."""
    return {"chapter": chapter, "experiment": protocol.title, "model": what,
            "protocol": protocol_text(protocol, protocol.budget), "paper": paper_text(protocol),
            "ours": f"not run at this scale ({how})", "verdict": "not run", "scale": "–"}


def plot_sequences_to_solution(records, protocols, ax_width=3.8):
    """Per protocol (panel) and architecture (row): each trial's sequences to solution (dots), unsolved
    trials at the budget (crosses), diverged ones hollow, the paper's mean (dashed line).  Returns
    (figure, data columns; ``x`` is the plotted number of sequences)."""
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
    axes[-1].legend(fontsize=7, loc="upper left")
    axes[-1].set_ylabel("output")
    axes[-1].set_xlabel("time step")
    axes[0].set_title(title, fontsize=9)
    fig.tight_layout()
    return fig, data
