"""Figure and table helpers shared by every chapter: architecture labels and colours, number and tag
formats, panel grids, log axes, strip plots of per-trial values, the gate panel of trace figures and
HTML tables.  Each paper's own figures (``lstmlib.papers.<key>.chapter``) are built from these and
read plain-dict records (the same ones a results file holds), so a chapter's tables and figures can be
rebuilt from its results file alone.
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


def fmt_count(v) -> str:
    """12,345 (or an en dash for None)."""
    return "–" if v is None else f"{int(round(v)):,}"


def fmt_tag(paper) -> str:
    return {"P": "verified", "S": "secondary", "U": "unverified"}.get(paper.get("tag"), "unverified")


# ---------------------------------------------------------------- figures

def panels(n, ax_width, height=2.6, ncols=4):
    import matplotlib.pyplot as plt
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ax_width * ncols, height * nrows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def log_x(ax):
    """A log x axis labelled at powers of ten only (minor labels overlap on short ranges)."""
    from matplotlib.ticker import NullFormatter
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())


def by_protocol(records):
    out = {}
    for r in records:
        out.setdefault(r["protocol"], []).append(r)
    return out


def strip_plot(records, protocols, ax_width, point, reference, xlabel, columns, labels=None):
    """Per protocol (panel) and architecture (row): one point per trial at ``point(trial) -> (x, marker,
    filled)``, a dashed line at ``reference(protocol)`` (or None).  ``columns``: trial fields for the CSV."""
    groups = by_protocol(records)
    fig, axes = panels(len(groups), ax_width)
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
        log_x(ax)
        ax.set_yticks(range(len(recs)))
        ax.set_yticklabels([(labels or {}).get(r["arch"]) or label(r["arch"]) for r in recs])
        ax.set_ylim(-0.6, len(recs) - 0.4)
        ax.set_title(protocols[key].title, fontsize=8)
        ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig, data


#: A legend to the right of its panel (the trace figures' panels share their x axis).
def plot_not_run(text):
    """A figure that only says ``text``: it stands in for a figure whose row was not run, so that the
    page's reference to it still resolves."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    return fig, {"note": ["not run"]}


def curve_panels(records, protocols, ax_width, columns, labels=None):
    """One panel per protocol of ``records``: each trial's learning curve (its record's ``"curve"``, [[x, y],
    ...]), one line per trial coloured by architecture (``labels``: the chapter's names of architectures).
    ``columns``: the names of x and y in the returned data.  Returns (figure, axes, protocol keys, data);
    the caller labels the axes."""
    groups = by_protocol(records)
    fig, axes = panels(len(groups), ax_width)
    data = {"protocol": [], "arch": [], "trial": [], columns[0]: [], columns[1]: []}
    for ax, (key, recs) in zip(axes, groups.items()):
        for r in recs:
            for t in r["trials"]:
                if not t["curve"]:
                    continue
                x, y = zip(*t["curve"])
                ax.plot(x, y, lw=0.8, alpha=0.6, color=ARCH_COLOURS.get(r["arch"], "k"),
                        label=((labels or {}).get(r["arch"]) or label(r["arch"])) if t["trial"] == 0 else None)
                for xi, yi in t["curve"]:
                    for c, v in zip(data, (key, r["arch"], t["trial"], xi, yi)):
                        data[c].append(v)
        ax.set_title(protocols[key].title, fontsize=8)
    return fig, axes, list(groups), data


LEGEND_OUTSIDE = dict(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def gate_panel(ax, tr, length, data, legend):
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


def finish_trace(fig, axes, title, legend):
    """The common end of a trace figure: the output panel (last) gets its legend and labels, the first
    panel the title."""
    axes[-1].legend(**legend)
    axes[-1].set_ylabel("output")
    axes[-1].set_xlabel("time step")
    axes[0].set_title(title, fontsize=9)
    fig.tight_layout()


def html_table(rows, columns) -> str:
    """A plain HTML table of ``rows`` (dicts); ``columns`` maps a row key to its header."""
    import html
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(k, '')))}</td>" for k in columns) + "</tr>"
                   for r in rows)
    return f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
