"""The vanishing-gradient chapter's plots: each returns ``(fig, data)`` for
:class:`lstmlib.study.results.FigureExporter`."""

from __future__ import annotations

import numpy as np

COLORS = {"rnn": "C0", "vanilla": "C1", "forget": "C2", "peephole": "C3"}


def _positive(values):
    v = np.asarray(values, float)
    return np.where(v > 0, v, np.nan)  # a value that underflowed to 0 has no place on a log axis


def _band(ax, curve, color, label, ls="-"):
    lags = np.asarray(curve["lags"])
    keep = lags >= 1
    ax.plot(lags[keep], _positive(curve["q50"])[keep], color=color, ls=ls, label=label)
    ax.fill_between(lags[keep], _positive(curve["q10"])[keep], _positive(curve["q90"])[keep], color=color, alpha=0.15)


def _floor(ax, lowest=1e-80):
    """Keep a log axis readable: values below ``lowest`` (some underflow far below) are cut off the plot,
    not from the data."""
    bottom, top = ax.get_ylim()
    ax.set_ylim(max(bottom, lowest), top)


def _curve_data(rows, extra):
    data = {"label": [], "lag": [], "q10": [], "q50": [], "q90": []}
    for r in rows:
        for i, lag in enumerate(r["curve"]["lags"]):
            data["label"].append(r["label"] if extra is None else f"{r['label']} ({extra})")
            data["lag"].append(lag)
            for q in ("q10", "q50", "q90"):
                data[q].append(r["curve"][q][i])
    return data


def plot_sensitivity(rows):
    """The random networks' sensitivity against the lag: the RNN at each spectral radius (left), the LSTMs
    (right)."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    rnn = [r for r in rows if r["arch"] == "rnn"]
    for i, r in enumerate(rnn):
        _band(axes[0], r["curve"], plt.cm.viridis(i / max(1, len(rnn) - 1)), r["label"])
    styles = {None: "-", 0.0: ":", 2.0: "--", 5.0: "-"}
    for r in rows:
        if r["arch"] != "rnn":
            _band(axes[1], r["curve"], COLORS[r["arch"]], r["label"], styles.get(r["setting"], "-"))
    for ax, title in zip(axes, ("plain RNN (tanh), random", "LSTMs, random")):
        ax.set(xscale="log", yscale="log", xlabel="lag T − t", title=title)
        ax.legend(fontsize=7)
    _floor(axes[0])
    axes[0].set_ylabel("‖∂ŷ(T)/∂x(t)‖")
    fig.tight_layout()
    return fig, _curve_data(rows, None)


def plot_trained(rows):
    """The trained networks' sensitivity of the output (left) and of the memory (right) to the informative
    input against the steps to the trigger, one line per model."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for r in rows:
        label = f"{r['label']} ({r['solved']}/{r['trials']} solved)"
        _band(axes[0], r["curve"], COLORS[r["arch"]], label)
        _band(axes[1], r["memory"], COLORS[r["arch"]], label)
    for ax, what in zip(axes, ("output ‖∂ŷ(trigger)/∂x(1)‖", "memory ‖∂s(trigger)/∂x(1)‖")):
        if rows:
            ax.axvline(rows[0]["lag"], color="k", lw=0.7, ls=":", label=f"trained lag {rows[0]['lag']}")
        ax.set(xscale="log", yscale="log", xlabel="steps from the informative input to the trigger", title=what)
    axes[0].set_ylabel("sensitivity")
    axes[1].legend(fontsize=7)
    _floor(axes[0])
    fig.tight_layout()
    data = _curve_data(rows, "output")
    mem = _curve_data([{**r, "curve": r["memory"]} for r in rows], "memory")
    return fig, {k: data[k] + mem[k] for k in data}


def plot_map(rows):
    """The sensitivity map: per trained model a row for the output and one for the memory, shade = the
    median sensitivity to the informative input if the trigger comes at step t (one log scale for all)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    names = [f"{r['label']}, {w}" for r in rows for w in ("ŷ", "s")]
    M = np.array([_positive(r["map"][k]) for r in rows for k in ("median", "memory")])
    lags = rows[0]["map"]["lags"]
    finite = M[np.isfinite(M)]
    lo, hi = (max(finite.min(), finite.max() * 1e-12), finite.max()) if finite.size else (1e-12, 1.0)
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(names) + 1.2))
    im = ax.imshow(M, aspect="auto", cmap="Greys", norm=LogNorm(lo, hi), interpolation="nearest",
                   extent=(lags[0] - 0.5, lags[-1] + 0.5, len(names) - 0.5, -0.5))
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set(xlabel="steps from the informative input to the trigger")
    fig.colorbar(im, ax=ax, label="sensitivity to x(1)", pad=0.01)
    fig.tight_layout()
    data = {"row": [], "lag": [], "sensitivity": []}
    for name, row in zip(names, M):
        for lag, v in zip(lags, row):
            data["row"].append(name), data["lag"].append(lag), data["sensitivity"].append(float(v))
    return fig, data


def plot_bound(rows):
    """Measured error flow (median, min-max band) and Hochreiter's bound (dashed) against q, per w_max."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for i, r in enumerate(rows):
        c = f"C{i}"
        q = np.asarray(r["q"])
        label = f"w_max = {r['factor']:g} × 4/n"
        ax.plot(q, _positive(r["median"]), color=c, label=f"measured, {label}")
        ax.fill_between(q, _positive(r["min"]), _positive(r["max"]), color=c, alpha=0.15)
        ax.plot(q, r["bound"], color=c, ls="--", label=f"bound n·τ^q, {label}")
    ax.set(yscale="log", xlabel="lag q", ylabel="|∂ϑ_v(t−q)/∂ϑ_u(t)|", title=f"n = {rows[0]['n']} logistic units")
    ax.legend(fontsize=7)
    fig.tight_layout()
    data = {k: [] for k in ("w_max", "q", "bound", "median", "min", "max")}
    for r in rows:
        for i, q in enumerate(r["q"]):
            data["w_max"].append(r["w_max"]), data["q"].append(q)
            for k in ("bound", "median", "min", "max"):
                data[k].append(r[k][i])
    return fig, data


def plot_learning(summary):
    """Share of trials solved against the minimal lag: RNN, 1997 LSTM, and guessing with either's net."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    data = {"series": [], "lag": [], "solved": [], "trials": []}
    series = [("plain RNN, exact BPTT", "rnn", summary["learning"], "o-"),
              ("1997 LSTM, truncated", "vanilla", summary["learning"], "s-"),
              ("guessing, RNN net", "rnn", summary["guessing"], "o:"),
              ("guessing, 1997 LSTM net", "vanilla", summary["guessing"], "s:")]
    for name, arch, rows, fmt in series:
        rows = sorted((r for r in rows if r["arch"] == arch), key=lambda r: r["lag"])
        ax.plot([r["lag"] for r in rows], [r["solved"] / r["trials"] for r in rows], fmt, color=COLORS[arch],
                label=name, alpha=1.0 if "guess" not in name else 0.6)
        for r in rows:
            data["series"].append(name), data["lag"].append(r["lag"]), data["solved"].append(r["solved"])
            data["trials"].append(r["trials"])
    ax.set(xscale="log", xlabel="minimal time lag", ylabel="share of trials solved", ylim=(-0.05, 1.05))
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig, data
