"""What the equations chapter shows: Graves' equations beside the reference code, how each preset changes
them, the papers' weight counts from the equations, the reference against both engines and
``torch.nn.LSTM``, the verdicts, the scorecard rows and the figures, all from the library and the
records (so they can be rebuilt from the results file)."""

from __future__ import annotations

import numpy as np

from ....model import ARCHITECTURES, build
from ....model.counts import count_formula, count_weights, weight_groups
from ....model.equations import EQUATIONS, backward, equation_lines
from ....model.layout import Layout
from ....model.spec import FORGET_MODES, GATE_RECURRENCE, SQUASHES
from ....study.figures import html_table, label
from .protocols import (EQUATIONS_ROW, EQUATIONS_TITLE, LOSS_SETTINGS, PROTOCOLS, TOLERANCE, WEIGHT_COUNTS,
                        WeightCount)

CHAPTER = "equations"

#: Graves' (2012, §4.6) equations in his notation, read from secondary sources [S], by the label of the
#: line that computes each (:data:`lstmlib.model.equations.EQUATIONS`); None: a line of the library's own
#: (the output layer, the error of gates fed back to the next step, the weight gradients).
GRAVES = {
    "input-gate": (r"b_\iota^t = f(a_\iota^t),\ a_\iota^t = "
                   r"\sum_i w_{i\iota} x_i^t + \sum_h w_{h\iota} b_h^{t-1}"
                   r" + \sum_c w_{c\iota} s_c^{t-1}"),
    "forget-gate": (r"b_\phi^t = f(a_\phi^t),\ a_\phi^t = "
                   r"\sum_i w_{i\phi} x_i^t + \sum_h w_{h\phi} b_h^{t-1}"
                   r" + \sum_c w_{c\phi} s_c^{t-1}"),
    "cell-input": r"g(a_c^t),\ a_c^t = \sum_i w_{ic} x_i^t + \sum_h w_{hc} b_h^{t-1}",
    "cell-state": r"s_c^t = b_\phi^t s_c^{t-1} + b_\iota^t g(a_c^t)",
    "output-gate": (r"b_\omega^t = f(a_\omega^t),\ a_\omega^t = "
                   r"\sum_i w_{i\omega} x_i^t + \sum_h w_{h\omega} b_h^{t-1}"
                    r" + \sum_c w_{c\omega} s_c^t"),
    "cell-output": r"b_c^t = b_\omega^t h(s_c^t)",
    "output-layer": None,
    "output-error": r"\delta_k^t = \partial \mathcal{L} / \partial a_k^t",
    "cell-output-error": r"\epsilon_c^t = \sum_k w_{ck} \delta_k^t + \sum_g w_{cg} \delta_g^{t+1}",
    "gate-activation-error": None,
    "output-gate-delta": r"\delta_\omega^t = f'(a_\omega^t) \sum_c h(s_c^t) \epsilon_c^t",
    "state-error": (r"\epsilon_s^t = b_\omega^t h'(s_c^t) \epsilon_c^t + b_\phi^{t+1} \epsilon_s^{t+1} "
                    r"+ w_{c\iota} \delta_\iota^{t+1} + w_{c\phi} \delta_\phi^{t+1} + w_{c\omega} \delta_\omega^t"),
    "cell-input-delta": r"\delta_c^t = b_\iota^t g'(a_c^t) \epsilon_s^t",
    "forget-gate-delta": r"\delta_\phi^t = f'(a_\phi^t) \sum_c s_c^{t-1} \epsilon_s^t",
    "input-gate-delta": r"\delta_\iota^t = f'(a_\iota^t) \sum_c g(a_c^t) \epsilon_s^t",
    "peephole-gradient": None,
    "weight-gradient": r"\partial \mathcal{L} / \partial w_{ij} = \sum_t \delta_j^t\, b_i^t",
    "output-weight-gradient": None,
}
FORWARD_LABELS = ("input-gate", "forget-gate", "cell-input", "cell-state", "output-gate", "cell-output", "output-layer")

CAPTIONS = {
    "equations_differences": "Largest absolute difference between the unit-by-unit reference equations "
                             "(lstmlib.model.equations) and each engine, per preset (rows) and quantity "
                             "(columns): the forward pass and the gradient in each mode, float64, over "
                             "random networks and sequences and both losses (mse with a linear output, "
                             "cross-entropy with a softmax). Grey: not defined (the plain RNN has no "
                             "truncated gradient). The dashed level in the colour bar is the tests' bound.",
    "equations_counts": "The weights of each network whose size a paper prints, group by group as the "
                        "equations give them (shares of our count), with our count, the printed number and "
                        "its tag at the right.",
}

#: The columns of the scorecard table.
SCORECARD_COLUMNS = {"experiment": "experiment", "model": "model", "paper": "paper", "ours": "ours",
                     "verdict": "verdict"}

CLAIM = ("Graves (2012, §4.6) writes the LSTM's forward pass and its exact BPTT backward pass as a dozen "
         "equations (his notation as secondary sources give it [S]); the 1997-2002 papers print the number of "
         "weights of each network they train (H&S 1997, Table 10 [P]; Gers 2000 and 2002 [S])")

#: The chapter's verdicts: label -> (kind, definition).
VERDICTS = {
    "equations agree": ("reproduced", f"the reference implementation of the equations and both engines agree to "
                        f"{TOLERANCE:g} or better in float64 on every preset run, forward and in both gradient "
                        "modes, and the torch.nn.LSTM cell equals the matching preset"),
    "equations disagree": ("failed", f"some difference exceeds {TOLERANCE:g}"),
    "count matches": ("reproduced", "the count derived from the equations for the stated connectivity equals the "
                      "printed number (and the built network's n_weights)"),
    "count differs, explained": ("partial", "the count derived from the equations differs from the printed "
                                 "number because the paper's connectivity is one the library cannot build (the row "
                                 "says which)"),
    "count differs": ("failed", "the count derived from the equations differs from the printed number, and no "
                      "reason is known"),
}


# ---------------------------------------------------------------- the equations beside the code

def equation_rows() -> list[dict]:
    """One row per labelled line: the pass, Graves' symbol and equation (LaTeX, [S]) and the line of
    :mod:`lstmlib.model.equations` that computes it, read from the source file."""
    rows = []
    for name, (symbol, what) in EQUATIONS.items():
        (line,) = equation_lines(name)
        rows.append({"label": name, "pass": "forward" if name in FORWARD_LABELS else "backward", "symbol": symbol,
                     "what": what, "graves": GRAVES[name], "code": line})
    return rows


def equations_markdown(rows=None) -> str:
    """The equations table as MyST Markdown: Graves' equation (maths) beside the library's line (code)."""
    lines = ["| | unit | Graves 2012, §4.6 [S] | `lstmlib.model.equations` |", "|---|---|---|---|"]
    for r in rows or equation_rows():
        maths = f"${r['graves']}$" if r["graves"] else "(library only)"
        code = r["code"].replace("|", "\\|")
        lines.append(f"| {r['pass']} | {r['what']} | {maths} | `{code}` |")
    return "\n".join(lines)


# ---------------------------------------------------------------- the presets

def equation_changes(spec) -> list[str]:
    """How ``spec`` changes Graves' cell (forget gate, peepholes, g = h = tanh, full BPTT), in words."""
    out = []
    if not spec.input_gate:
        out.append("no input gate: b_ι = 1")
    if spec.forget != "gate":
        out.append({"none": "no forget gate: b_φ = 1 (the 1997 CEC)", "coupled": "b_φ = 1 − b_ι (coupled)",
                    "zero": "b_φ = 0: no memory"}[spec.forget])
    if not spec.output_gate:
        out.append("no output gate: b_ω = 1")
    if not spec.peepholes and spec.has_gates:
        out.append("no peepholes: no w_cι, w_cφ, w_cω terms")
    if spec.gate_recurrence != "none":
        out.append(GATE_RECURRENCE[spec.gate_recurrence] + " (ε_g in the backward pass)")
    if spec.cell_input != "tanh":
        out.append(f"g = {SQUASHES[spec.cell_input].description}")
    if spec.cell_output != "tanh":
        out.append(f"h = {SQUASHES[spec.cell_output].description}")
    if spec.gradient != "exact":
        out.append("default gradient: truncated (no recurrent or peephole terms in ε_c, ε_s)")
    return out or ["none: Graves' cell"]


def preset_rows(presets=None) -> list[dict]:
    """One row per preset, generated from its :class:`~lstmlib.model.spec.ArchSpec`."""
    rows = []
    for name in presets or ARCHITECTURES:
        s = ARCHITECTURES[name]
        rows.append({"preset": name, "model": label(name), "input gate": "yes" if s.input_gate else "no",
                     "forget": FORGET_MODES[s.forget], "output gate": "yes" if s.output_gate else "no",
                     "peepholes": "yes" if s.peepholes else "no", "g": s.cell_input, "h": s.cell_output,
                     "changes to Graves' equations": "; ".join(equation_changes(s)), "source": s.reference})
    return rows


def preset_table(presets=None) -> str:
    rows = preset_rows(presets)
    return html_table(rows, {k: k for k in rows[0]})


# ---------------------------------------------------------------- weight counts

def count_layout(c: WeightCount) -> Layout:
    return Layout(c.spec, c.n_inputs, c.n_outputs, c.n_blocks, c.cells_per_block, c.output_from, c.biased)


def count_rows(weight_counts=None) -> list[dict]:
    """One row per printed count (default: :data:`.protocols.WEIGHT_COUNTS`): the paper's number and tag,
    ours term by term from the equations, the built network's ``n_weights`` and the verdict."""
    rows = []
    for key, c in (weight_counts or WEIGHT_COUNTS).items():
        layout = count_layout(c)
        ours = count_weights(layout)
        net = build(c.spec, c.n_inputs, c.n_outputs, c.n_blocks, c.cells_per_block, output_from=c.output_from,
                    biased=c.biased)
        reason = count_reason(c, ours)
        if ours == c.printed == net.n_weights:
            verdict = "count matches"
        else:
            verdict = "count differs, explained" if reason and ours == net.n_weights else "count differs"
        rows.append({"row": key, "experiment": c.experiment, "topology": c.topology, "connectivity": c.connectivity,
                     "paper": f"{c.printed:,} [{c.tag}]", "printed": c.printed, "tag": c.tag,
                     "groups": "; ".join(f"{g.group} {g.formula}" for g in weight_groups(layout)),
                     "sum": count_formula(layout), "ours": ours, "n_weights": net.n_weights,
                     "difference": ours - c.printed, "why": reason, "verdict": verdict})
    return rows


def count_reason(c: WeightCount, ours: int) -> str:
    """Why a count differs ("" when it matches): the connectivity the library cannot build."""
    if ours == c.printed:
        return ""
    if c.spec.gate_recurrence == "none" and "inputs only" in c.connectivity:
        return (f"{ours - c.printed:+d}: the library's cell inputs and gates always read the cell outputs "
                "y(t−1); the paper's read the inputs only")
    return ""


def count_table(rows) -> str:
    return html_table(rows, {"experiment": "experiment", "topology": "network", "connectivity": "connectivity",
                             "paper": "printed [tag]", "groups": "from the equations", "ours": "ours",
                             "n_weights": "n_weights", "why": "difference", "verdict": "verdict"})


# ---------------------------------------------------------------- the engines and torch.nn.LSTM

def difference_rows(records) -> list[dict]:
    """One row per preset: the max |reference − engine| per quantity (:func:`.jobs.quantities`)."""
    return [{"preset": r["arch"], "weights": r["n_weights"], **r["max_abs_diff"]} for r in records]


def difference_table(records) -> str:
    rows = [{k: (f"{v:.1e}" if isinstance(v, float) else v) for k, v in row.items()}
            for row in difference_rows(records)]
    columns = {k: k for k in max(rows, key=len)}
    return html_table(rows, columns)


def largest_difference(records) -> float:
    return max(v for r in records for v in r["max_abs_diff"].values())


def nn_lstm_check(seed=0, blocks=3, batch=2, steps=6) -> dict:
    """The ``forget`` preset with ``torch.nn.LSTM``'s spec changes against ``torch.nn.LSTM`` after the weight
    copy: max |difference| of the cell outputs and states (forward), and of the gradient of
    L = Σ_t ½‖W_out h(t) + b − target‖² with respect to the LSTM's weights (torch autograd against
    :func:`lstmlib.model.equations.backward`)."""
    import torch

    from ....engines.torch_lstm import TORCH_ORDER, nn_lstm_changes, nn_lstm_run, to_nn_lstm
    changes = nn_lstm_changes(ARCHITECTURES["forget"])
    net = build("forget", 2, 2, blocks, 1, init_range=0.5, seed=seed, **changes)
    rng = np.random.default_rng(seed)
    x, target = rng.normal(size=(batch, steps, 2)), rng.normal(size=(batch, steps, 2))
    params = {n: p[0] for n, p in net.params.items()}
    lstm = to_nn_lstm(net.layout, params)
    ours, theirs = net.trace(x), nn_lstm_run(lstm, x)
    forward = max(float(np.abs(ours[k][0] - theirs[k]).max()) for k in ("cells", "states"))
    h, _ = lstm(torch.from_numpy(x))
    W_out = torch.from_numpy(params["output"])
    loss = 0.5 * ((h @ W_out[:, 1:].T + W_out[:, 0] - torch.from_numpy(target)) ** 2).sum()
    loss.backward()
    ref = sum(backward(net.layout, params, x[b], target[b], None, "linear", "mse", "exact")["hidden"]
              for b in range(batch))
    rows, src = [net.layout.rows[r] for r in TORCH_ORDER], net.layout.sources
    grad = max(float(np.abs(np.concatenate([ref[r, cols] for r in rows]) - theirs_grad.numpy()).max())
               for cols, theirs_grad in ((src["x"], lstm.weight_ih_l0.grad), (src["cells"], lstm.weight_hh_l0.grad),
                                         (0, lstm.bias_ih_l0.grad)))
    return {"changes": changes, "forward": forward, "gradient": grad, "blocks": blocks, "batch": batch,
            "steps": steps}


def nn_lstm_sentence(check) -> str:
    changes = ", ".join(f"{k}={v!r}" for k, v in check["changes"].items())
    return (f"The forget preset with {changes} is torch.nn.LSTM's cell: after the weight copy "
            f"(lstmlib.engines.torch_lstm.to_nn_lstm) the two differ by at most {check['forward']:.1e} in the cell "
            f"outputs and states and {check['gradient']:.1e} in the gradient ({check['blocks']} cells, "
            f"{check['batch']} sequences of {check['steps']} steps).")


# ---------------------------------------------------------------- sentences, verdicts, scorecard

def equations_verdict(records, check) -> str:
    worst = max(largest_difference(records), check["forward"], check["gradient"])
    return "equations agree" if worst <= TOLERANCE else "equations disagree"


def sentences(records, check, counts, wall_time) -> dict[str, str]:
    """The chapter's glued sentences."""
    fwd = max(v for r in records for q, v in r["max_abs_diff"].items() if q.startswith("forward"))
    grad = max(v for r in records for q, v in r["max_abs_diff"].items() if "gradient" in q)
    n_match = sum(r["verdict"] == "count matches" for r in counts)
    differs = [r for r in counts if r["verdict"] != "count matches"]
    text = f"{n_match} of the {len(counts)} printed weight counts follow from the equations."
    for r in differs:
        text += f" {r['experiment']}: ours {r['ours']:,}, printed {r['printed']:,} ({r['why'] or 'no reason known'})."
    return {
        "equations_engines": (f"Over {len(records)} presets, {records[0]['networks']} random networks each and both "
                              f"losses, the reference and the engines differ by at most {fwd:.1e} in the forward "
                              f"pass and {grad:.1e} in the gradient (float64; the tests' bound is {TOLERANCE:g})."
                              + (" The differences are rounding." if max(fwd, grad) <= TOLERANCE else
                                 " That is more than rounding: the two disagree.")),
        "equations_nn_lstm": nn_lstm_sentence(check),
        "equations_counts": text,
        "equations_wall": f"{wall_time:.1f} s",
    }


def scale_text(scale, presets=None) -> str:
    return f"{scale}{' (custom presets)' if presets is not None else ''}"


def scorecard_rows(records, check, counts, scale_text) -> list[dict]:
    """The §4.6 row (reference against the engines and torch.nn.LSTM) and one row per printed count."""
    worst = largest_difference(records)
    rows = [{"chapter": CHAPTER, "experiment": EQUATIONS_TITLE, "model": "every preset run",
             "protocol": f"{len(records)} presets; losses {', '.join('/'.join(s) for s in LOSS_SETTINGS)}",
             "paper": "the equations, in Graves' notation [S]",
             "ours": (f"reference vs engines: max |difference| {worst:.1e}; torch.nn.LSTM: {check['forward']:.1e} "
                      f"forward, {check['gradient']:.1e} gradient"),
             "verdict": equations_verdict(records, check), "scale": scale_text}]
    for r in counts:
        rows.append({"chapter": CHAPTER, "experiment": WEIGHT_COUNTS[r["row"]].title, "model": r["topology"],
                     "protocol": r["connectivity"], "paper": r["paper"],
                     "ours": f"{r['sum']}" + (f" ({r['why']})" if r["why"] else ""), "verdict": r["verdict"],
                     "scale": "exact (no run)"})
    return rows


def scorecard_table(rows) -> str:
    return html_table(rows, SCORECARD_COLUMNS)


def rescore(doc) -> list[dict]:
    """The rows of a results file of this chapter under today's rules: the §4.6 verdict from its records
    and torch.nn.LSTM check, the counts recomputed from the equations (they depend on no run)."""
    summary = doc.get("summary", {})
    rows = doc.get("summary", {}).get("scorecard", [])
    if not doc.get("records") or "nn_lstm" not in summary:
        return rows
    verdict = equations_verdict(doc["records"], summary["nn_lstm"])
    counts = {WEIGHT_COUNTS[r["row"]].title: r["verdict"] for r in count_rows()}
    return [{**row, "verdict": verdict if row["experiment"] == EQUATIONS_TITLE else counts.get(row["experiment"],
                                                                                           row["verdict"])}
            for row in rows]


def published_rows(protocols=None) -> list[dict]:
    """The papers' side of every row, for the "Published numbers" page."""
    out = []
    for key, title in (protocols or PROTOCOLS).items():
        if key == EQUATIONS_ROW:
            out.append({"row": key, "experiment": title,
                        "the paper": "forward and backward (BPTT) equations of the LSTM with forget gates and "
                                     "peepholes, in Graves' notation [S]"})
        else:
            c = WEIGHT_COUNTS[key]
            out.append({"row": key, "experiment": title,
                        "the paper": f"{c.printed:,} weights ({c.where}) [{c.tag}]; {c.connectivity}"})
    return out


# ---------------------------------------------------------------- figures

def plot_differences(records):
    """Heat map of log10 max |reference − engine|, presets × quantities; returns (fig, data)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize
    columns = list(max((r["max_abs_diff"] for r in records), key=len))
    presets = [r["arch"] for r in records]
    values = np.full((len(presets), len(columns)), np.nan)
    for i, r in enumerate(records):
        for j, q in enumerate(columns):
            if q in r["max_abs_diff"]:
                values[i, j] = np.log10(max(r["max_abs_diff"][q], 1e-17))
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(presets) + 1.8))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=Normalize(-17, np.log10(TOLERANCE)), aspect="auto")
    ax.set_xticks(range(len(columns)), [c.replace(" gradient, ", "\ngradient\n").replace(", ", "\n") for c in columns],
                  fontsize=8)
    ax.set_yticks(range(len(presets)), presets, fontsize=8)
    for i in range(len(presets)):
        for j in range(len(columns)):
            if np.isfinite(values[i, j]):
                ax.text(j, i, f"{10 ** values[i, j]:.0e}", ha="center", va="center", fontsize=6, color="w")
    bar = fig.colorbar(im, ax=ax, label="log10 max |reference − engine|")
    bar.ax.axhline(np.log10(TOLERANCE), color="k", ls="--")
    ax.set_title("reference equations against the engines (float64)", fontsize=10)
    data = {"preset": [p for p in presets for _ in columns], "quantity": columns * len(presets),
            "max_abs_diff": [r["max_abs_diff"].get(q, np.nan) for r in records for q in columns]}
    return fig, data


def plot_counts(counts):
    """Each printed network's weights group by group as shares of our count (stacked bars), with our count
    and the printed one at the right; returns (fig, data)."""
    import matplotlib.pyplot as plt
    groups = ["cell inputs", "input gates", "forget gates", "output gates", "peepholes", "output layer"]
    fig, ax = plt.subplots(figsize=(8.5, 0.4 * len(counts) + 1.2))
    data = {"row": [], "group": [], "weights": [], "printed": []}
    for i, r in enumerate(counts):
        left = 0.0
        by_group = {g.group: g.count for g in weight_groups(count_layout(WEIGHT_COUNTS[r["row"]]))}
        for k, name in enumerate(groups):
            n = by_group.get(name, 0)
            ax.barh(i, n / r["ours"], left=left, color=plt.get_cmap("tab10")(k), label=name if i == 0 else None)
            left += n / r["ours"]
            data["row"].append(r["row"])
            data["group"].append(name)
            data["weights"].append(n)
            data["printed"].append(r["printed"])
        mark = "=" if r["ours"] == r["printed"] else "≠"
        ax.text(1.02, i, f"{r['ours']:,} {mark} {r['printed']:,} [{r['tag']}]", va="center", fontsize=7)
    ax.set_xlim(0, 1.3)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_yticks(range(len(counts)), [r["experiment"] for r in counts], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("share of the weights (right: ours from the equations, the printed number, its tag)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / len(counts)), ncol=6)
    return fig, data
