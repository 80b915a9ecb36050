"""Summaries, verdicts and figures from :func:`lstmlib.experiment.run_jobs` records.

Everything here reads the plain-dict records (the same ones a results file holds), so a chapter's
tables and figures can be rebuilt from its results file alone.
"""

from __future__ import annotations

import numpy as np

ARCH_LABELS = {"rnn": "plain RNN", "vanilla": "LSTM 1997", "forget": "forget-gate LSTM",
               "peephole": "peephole LSTM"}
ARCH_COLOURS = {"rnn": "#7f7f7f", "vanilla": "#1f77b4", "forget": "#2ca02c", "peephole": "#d62728", "nfg": "#9467bd"}


#: Greff et al. (2017) variants by preset name, as that paper names them.
GREFF_LABELS = {"greff_v": "V (Greff)", "nig": "NIG", "nfg": "NFG", "nog": "NOG", "niaf": "NIAF", "noaf": "NOAF",
                "np": "NP", "cifg": "CIFG", "fgr": "FGR"}


def label(arch) -> str:
    return ARCH_LABELS.get(arch) or GREFF_LABELS.get(arch, arch)


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


def fmt_count(v) -> str:
    """12,345 (or an en dash for None)."""
    return "–" if v is None else f"{int(round(v)):,}"


def fmt_tag(paper) -> str:
    return {"P": "verified", "S": "secondary", "U": "unverified"}.get(paper.get("tag"), "unverified")


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


# ---------------------------------------------------------------- figures

def _panels(n, ax_width, height=2.6, ncols=4):
    import matplotlib.pyplot as plt
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ax_width * ncols, height * nrows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _log_x(ax):
    """A log x axis labelled at powers of ten only (minor labels overlap on short ranges)."""
    from matplotlib.ticker import NullFormatter
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())


def _by_protocol(records):
    out = {}
    for r in records:
        out.setdefault(r["protocol"], []).append(r)
    return out


def _strip_plot(records, protocols, ax_width, point, reference, xlabel, columns, labels=None):
    """Per protocol (panel) and architecture (row): one point per trial at ``point(trial) -> (x, marker,
    filled)``, a dashed line at ``reference(protocol)`` (or None).  ``columns``: trial fields for the CSV."""
    groups = _by_protocol(records)
    fig, axes = _panels(len(groups), ax_width)
    data = {"protocol": [], "arch": [], "trial": [], "x": []}
    data.update({c: [] for c in columns})
    for ax, (key, recs) in zip(axes, groups.items()):
        for row, r in enumerate(recs):
            for t in r["trials"]:
                x, marker, filled = point(t)
                jitter = (t["trial"] % 5 - 2) * 0.06  # spread the trials of one row a little
                ax.plot(x, row + jitter, marker, color=ARCH_COLOURS.get(r["arch"], "k"), ms=4, alpha=0.8,
                        mfc=None if filled else "none")
                for c, v in (("protocol", key), ("arch", r["arch"]), ("trial", t["trial"]), ("x", x)):
                    data[c].append(v)
                for c in columns:
                    data[c].append(t[c])
        ref = reference(protocols[key])
        if ref is not None:
            ax.axvline(ref, ls="--", color="k", lw=1)
        _log_x(ax)
        ax.set_yticks(range(len(recs)))
        ax.set_yticklabels([(labels or {}).get(r["arch"]) or label(r["arch"]) for r in recs])
        ax.set_ylim(-0.6, len(recs) - 0.4)
        ax.set_title(protocols[key].title, fontsize=8)
        ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig, data


def plot_sequences_to_solution(records, protocols, ax_width=3.8):
    """Per protocol (panel) and architecture (row): each trial's sequences to solution (dots), unsolved
    trials at the budget (crosses), diverged ones hollow, the paper's mean (dashed line).  Returns
    (figure, data columns; ``x`` is the plotted number of sequences)."""
    def point(t):
        solved = t["status"] == "solved"
        return (t["sequences"] if solved else t["sequences_seen"]), ("o" if solved else "x"), t["status"] != "diverged"
    return _strip_plot(records, protocols, ax_width, point, lambda p: p.paper.get("sequences"),
                       "training sequences", ["status", "sequences", "sequences_seen"])


def plot_learning_curves(records, protocols, ax_width=3.8):
    """Per protocol (panel): fraction of training sequences correct against sequences seen, one thin line
    per trial, coloured by architecture.  Returns (figure, data columns)."""
    groups = _by_protocol(records)
    fig, axes = _panels(len(groups), ax_width)
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
        _log_x(ax)
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
    return _strip_plot(records, protocols, ax_width, point, reference, "wrong of 2560 test sequences (+0.5)",
                       ["status", "test_wrong", "test_n"])


#: A legend to the right of its panel (the trace figures' panels share their x axis).
_LEGEND_OUTSIDE = dict(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def _gate_panel(ax, tr, length, data, legend):
    """Every gate of every block of a one-trial :meth:`Network.trace` over ``length`` steps, on ``ax``
    (solid input, dotted forget, dashed output gate); columns ``<gate>_block<b>`` go into ``data``."""
    for g in ("input_gate", "forget_gate", "output_gate"):
        if g not in tr:
            continue
        for b in range(tr[g].shape[-1]):
            a = tr[g][0, 0, :length, b]
            ax.plot(np.arange(length), a, lw=1, ls={"input_gate": "-", "forget_gate": ":", "output_gate": "--"}[g],
                    label=f"{g.replace('_', ' ')}, block {b}")
            data[f"{g}_block{b}"] = a
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("gate")
    ax.legend(**legend)


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
        _gate_panel(axes[2], tr, length, data, dict(fontsize=7, loc="upper left", ncol=2))
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


def plot_generalisation(records, protocols, ax_width=4.2):
    """Per language (panel) and architecture (row): how far each trial generalises (the largest N with
    every n ≤ N accepted; dots at the end of the budget, hollow circles when the training set was first
    learned), the longest training count (dashed) and the scan's end (dotted).  The axis shows N + 1,
    so that 0 (the shortest string rejected) is drawn."""
    def point(t):
        return t["up_to"] + 1, "o", t["status"] != "diverged"
    fig, data = _strip_plot(records, protocols, ax_width, point, lambda p: p.train_range[1] + 1,
                            "longest n accepted, + 1", ["status", "up_to", "first_failure", "up_to_at_solution",
                                                      "sequences"])
    for ax, (key, recs) in zip(fig.axes, _by_protocol(records).items()):
        ax.axvline(protocols[key].n_max + 1, ls=":", color="k", lw=1)
        for row, r in enumerate(recs):
            at = [(t["up_to_at_solution"] + 1, row + (t["trial"] % 5 - 2) * 0.06 - 0.25)
                  for t in r["trials"] if t["up_to_at_solution"] is not None]
            if at:
                ax.plot(*zip(*at), "o", ms=3, mfc="none", color=ARCH_COLOURS.get(r["arch"], "k"), alpha=0.6)
    return fig, data


def plot_symbol_trace(net, x, length, target, input_symbols, output_symbols, title=""):
    """How one trained network (``net`` with one trial) reads one symbol string: the symbol read at each
    step, the cell states, the gates and every output unit against its target set (filled: the symbol
    is a legal next one), with the 0.5 threshold.  ``x [time, inputs]`` one-hot, ``target [time,
    outputs]`` multi-hot.  Returns (figure, data columns, one row per step)."""
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
    outside = _LEGEND_OUTSIDE
    axes[0].legend(title="symbol read", title_fontsize=7, **outside)
    for c in range(tr["states"].shape[-1]):
        s = tr["states"][0, 0, :length, c]
        axes[1].plot(t, s, lw=1.2, label=f"cell {c}")
        data[f"state_cell{c}"] = s
    axes[1].axhline(0, color="0.7", lw=0.6)
    axes[1].legend(**outside)
    axes[1].set_ylabel("cell state s(t)")
    if gates:
        _gate_panel(axes[2], tr, length, data, outside)
    y = tr["outputs"][0, 0, :length]
    for o, sym in enumerate(output_symbols):
        line, = axes[-1].plot(t, y[:, o], lw=1, label=f"P(next = {sym})")
        legal = np.asarray(target)[:length, o] > 0.5
        axes[-1].plot(t[legal], y[legal, o], ".", ms=3, color=line.get_color())
        data[f"output_{sym}"] = y[:, o]
        data[f"target_{sym}"] = np.asarray(target)[:length, o]
    axes[-1].axhline(0.5, color="k", lw=0.6, ls="--")
    axes[-1].set_ylim(-0.05, 1.05)
    axes[-1].legend(**outside)
    axes[-1].set_ylabel("output")
    axes[-1].set_xlabel("time step")
    axes[0].set_title(title, fontsize=9)
    fig.tight_layout()
    return fig, data


def plot_streams_to_solution(records, protocols, ax_width=3.8, labels=None):
    """Timing tasks, per task (panel) and architecture (row): training streams until each trial solved
    the task (dots) or the budget at which an unsolved trial stopped (crosses; hollow: diverged)."""
    def point(t):
        solved = t["status"] == "solved"
        return (t["streams"] if solved else t["streams_seen"]), ("o" if solved else "x"), t["status"] != "diverged"
    return _strip_plot(records, protocols, ax_width, point, lambda p: None, "training streams",
                       ["status", "streams", "streams_seen", "best_train_events", "test_events"], labels)


def plot_event_curves(records, protocols, ax_width=3.8, labels=None):
    """Timing tasks, per task (panel): mean number of correct events per training stream against
    training streams seen, one line per trial, coloured by architecture."""
    import matplotlib.pyplot as plt
    groups = _by_protocol(records)
    fig, axes = _panels(len(groups), ax_width)
    data = {"protocol": [], "arch": [], "trial": [], "streams": [], "mean_events": []}
    for ax, (key, recs) in zip(axes, groups.items()):
        for r in recs:
            for t in r["trials"]:
                if not t["curve"]:
                    continue
                x, y = zip(*t["curve"])
                ax.plot(x, y, lw=0.8, alpha=0.6, color=ARCH_COLOURS.get(r["arch"], "k"),
                        label=((labels or {}).get(r["arch"]) or label(r["arch"])) if t["trial"] == 0 else None)
                for xi, yi in t["curve"]:
                    for c, v in (("protocol", key), ("arch", r["arch"]), ("trial", t["trial"]), ("streams", xi),
                                 ("mean_events", yi)):
                        data[c].append(v)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_title(protocols[key].title, fontsize=8)
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
    outside = _LEGEND_OUTSIDE
    data = {"t": t, "input": x[:length, 0]}
    axes[0].plot(t, x[:length, 0], lw=0.8, color="0.3")
    axes[0].set_ylabel("input")
    for c in range(tr["states"].shape[-1]):
        data[f"state_cell{c}"] = tr["states"][0, 0, :length, c]
        axes[1].plot(t, data[f"state_cell{c}"], lw=1, label=f"cell {c}")
    axes[1].set_ylabel("cell state s(t)")
    axes[1].legend(**outside)
    if gates:
        _gate_panel(axes[2], tr, length, data, outside)
    y = tr["outputs"][0, 0, :length, 0]
    judged = np.asarray(weights)[:length] > 0
    tgt = np.asarray(target)[:length, 0]
    data.update({"output": y, "target": np.where(judged, tgt, np.nan)})
    axes[-1].plot(t, y, lw=1, color="C3", label="output")
    axes[-1].plot(t[judged], tgt[judged], "k.", ms=4, label="target (judged steps)")
    if tolerance is not None:
        axes[-1].errorbar(t[judged], tgt[judged], yerr=tolerance, fmt="none", ecolor="0.6", lw=0.6,
                          label=f"± {tolerance:g}")
    axes[-1].set_ylabel("output")
    axes[-1].set_xlabel("time step")
    axes[-1].legend(**outside)
    axes[0].set_title(title, fontsize=9)
    fig.tight_layout()
    return fig, data


def html_table(rows, columns) -> str:
    """A plain HTML table of ``rows`` (dicts); ``columns`` maps a row key to its header."""
    import html
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(k, '')))}</td>" for k in columns) + "</tr>"
                   for r in rows)
    return f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
