"""The vanishing-gradient chapter (``notebooks/vanishing_gradient.ipynb``): what it computes from the records
of :mod:`.jobs`, one call per table, figure or glued sentence."""

from __future__ import annotations

import numpy as np

from ....study.figures import html_table
from .jobs import setting_label
from .protocols import PAPER, PROTOCOLS

CHAPTER = "vanishing_gradient"

#: The claim that the key-results box states.
CLAIM = ("the error flowing back through a plain RNN scales like a product of weights and slopes and vanishes "
         "exponentially with the lag (Hochreiter 1991; H&S 1997 §3.1) [P]; gradient-trained RNNs \"already fail "
         "in case of 10-step minimal time lags\" while LSTM bridges 1000 steps (H&S 1997 §5.2) [P]")

CAPTIONS = {
    "vanishing_sensitivity": "Sensitivity of the output at the trigger step to the input `lag` steps earlier, "
                             "‖∂ŷ(T)/∂x(T − lag)‖, measured exactly (autograd, float64) on an Exp. 2c sequence: "
                             "median (line) and 10-90 % range (band) over random networks; left the plain RNN at "
                             "five spectral radii, right the three LSTMs (forget-gate bias b_f).",
    "vanishing_trained": "Networks trained on Exp. 2c at one minimal lag (all four models), on sequences with the "
                         "trigger that many steps after the informative input: left the sensitivity of the output "
                         "at the trigger to it, ‖∂ŷ(trigger)/∂x(1)‖; right that of the memory, ‖∂s(trigger)/∂x(1)‖ "
                         "(cell states; the plain RNN's units). Median and 10-90 % band over trials and 2 "
                         "sequences each, solved trials or not.",
    "vanishing_map": "How much of the informative input the trained networks still hold when the trigger comes t "
                     "steps later: the median sensitivity of the output (ŷ rows) and of the memory (s rows) as a "
                     "shade on a logarithmic scale shared by all rows (Graves 2012, Figs. 4.1 and 4.4, redrawn "
                     "from measured data).",
    "vanishing_bound": "Hochreiter's bound n·τ^q (dashed) against the measured max over units of "
                       "|∂net_u(t)/∂net_v(t − q)| (line: median over nets, band: min-max) in fully connected "
                       "logistic nets with |w| ≤ w_max, at w_max below, at and above 4/n.",
    "vanishing_learning": "Success against the minimal lag on Exp. 2c: the share of trials solved within the "
                          "budget by the plain RNN (exact BPTT) and the 1997 LSTM (truncated gradient), and by "
                          "random weight guessing with each network.",
}

ALPHA_VANISH = 1e-3  # "vanished": the measured flow at the longest lag below this share of its value at q = 0

VERDICTS = {
    "reproduced": ("reproduced", "bound: the measured error flow never exceeds the bound and vanishes (falls below "
                   "1e-3 of its start) where w_max < 4/n; learning: the plain RNN solves no trial at any minimal lag "
                   ">= 10 while the 1997 LSTM solves at least half of its trials at every lag run; guessing: no "
                   "guess solves Exp. 2c at a minimal lag >= 5"),
    "partly reproduced": ("partial", "learning: the plain RNN solves no trial at lags >= 10 and the 1997 LSTM "
                          "solves at least half of its trials at some but not every lag >= 10 within the budget"),
    "not reproduced": ("failed", "bound: a measured value exceeds the bound, or the flow does not vanish below "
                       "4/n; learning: the plain RNN solves a trial at a lag >= 10, or the 1997 LSTM solves half of "
                       "its trials at no lag >= 10; guessing: a guess solves a lag >= 5"),
}


def _solved(trials, unit):
    return [t[unit] for t in trials if t["status"] == "solved"]


def summarise(records) -> dict:
    """Everything the chapter's text, figures and scorecard read: the random nets' sensitivity curves, the
    trained nets' curves and maps, the bound measurements and per (lag, model) the learning and guessing
    results."""
    out = {"sensitivity": [], "trained": [], "bound": [], "learning": [], "guessing": []}
    for r in records:
        if r["protocol"] == "sensitivity":
            keys = ("setting", "label", "curve", "final_abs_state")
            out["sensitivity"] += [{"arch": r["arch"], **{k: v[k] for k in keys}} for v in r["settings"]]
        elif r["protocol"] == "bound":
            out["bound"].append({k: r[k] for k in ("n", "w_max", "factor", "q", "bound", "median", "max", "min")})
        elif r.get("method") == "guessing":
            g = _solved(r["trials"], "guesses")
            out["guessing"].append({"lag": r["lag"], "arch": r["arch"], "trials": len(r["trials"]), "solved": len(g),
                                    "budget": r["budget"], "median_guesses": float(np.median(g)) if g else None})
        else:
            s = _solved(r["trials"], "sequences")
            out["learning"].append({
                "lag": r["lag"], "arch": r["arch"], "gradient": r["gradient"], "trials": len(r["trials"]),
                "solved": len(s), "budget": r["budget"], "lr": r["lr"], "window": r["window"],
                "median_to_solve": float(np.median(s)) if s else None,
                "diverged": sum(t["status"] == "diverged" for t in r["trials"]),
                "median_test_wrong": float(np.median([t["test_wrong"] for t in r["trials"]])), "test": r["test"]})
            if "curve" in r:
                out["trained"].append({"arch": r["arch"], "lag": r["lag"], "label": setting_label(r["arch"], None)
                                       if r["arch"] != "rnn" else "RNN", "curve": r["curve"], "memory": r["memory"],
                                       "map": r["map"],
                                       "solved": len(s), "trials": len(r["trials"])})
    return out


# ---------------------------------------------------------------- verdicts

def bound_verdict(bound_rows) -> str:
    ok = all(np.all(np.asarray(b["max"]) <= np.asarray(b["bound"]) * (1 + 1e-9)) for b in bound_rows)
    below = [b for b in bound_rows if b["w_max"] * b["n"] < 4]
    vanish = all(b["median"][-1] < ALPHA_VANISH * b["median"][0] for b in below)
    return "reproduced" if ok and below and vanish else "not reproduced"


def learning_verdict(learning) -> str:
    rnn_long = [r for r in learning if r["arch"] == "rnn" and r["lag"] >= 10]
    lstm = [r for r in learning if r["arch"] == "vanilla"]
    lstm_long = [r for r in lstm if r["lag"] >= 10]
    if not rnn_long or not lstm_long:
        return "not run"
    half = [2 * r["solved"] >= r["trials"] for r in lstm_long]
    if any(r["solved"] for r in rnn_long) or not any(half):
        return "not reproduced"
    return "reproduced" if all(2 * r["solved"] >= r["trials"] for r in lstm) else "partly reproduced"


def guessing_verdict(guessing) -> str:
    long = [g for g in guessing if g["lag"] >= 5]
    if not long:
        return "not run"
    return "not reproduced" if any(g["solved"] for g in long) else "reproduced"


# ---------------------------------------------------------------- scorecard

def _bound_text(bound_rows):
    parts = []
    for b in bound_rows:
        q = len(b["q"]) - 1
        parts.append(f"w_max = {b['w_max']:.2g} (τ = {b['n'] * b['w_max'] / 4:.2g}): measured {b['median'][-1]:.2g} "
                     f"at q = {q} (bound {b['bound'][-1]:.2g})")
    return "; ".join(parts)


def _learning_text(learning, arch):
    rows = sorted((r for r in learning if r["arch"] == arch), key=lambda r: r["lag"])
    return ", ".join(f"lag {r['lag']}: {r['solved']}/{r['trials']}" for r in rows)


def _guess_text(guessing):
    out = []
    for arch, name in (("rnn", "RNN"), ("vanilla", "1997 LSTM")):
        rows = sorted((g for g in guessing if g["arch"] == arch), key=lambda g: g["lag"])
        out.append(f"{name} net: " + ", ".join(
            f"lag {g['lag']}: {g['solved']}/{g['trials']}"
            + (f" (median {g['median_guesses']:,.0f} guesses)" if g["solved"] else "") for g in rows))
    return "; ".join(out)


def scorecard_rows(summary, protocols, scale) -> list[dict]:
    """The chapter's rows: Hochreiter's bound against the measured decay, success against the lag (plain RNN
    vs 1997 LSTM) and the guessing baseline."""
    learning, guessing, bound = summary["learning"], summary["guessing"], summary["bound"]
    lags = sorted({r["lag"] for r in learning})
    b0 = next((r for r in learning if r["arch"] == "vanilla"), None)
    g0 = guessing[0] if guessing else {"budget": 0, "trials": 0}
    return [
        {"chapter": CHAPTER, "experiment": "Hochreiter's bound (§3.1)", "model": "fully connected logistic RNN",
         "protocol": f"n = {bound[0]['n']} units, w_max = 0.5, 1 and 2 × 4/n, exact derivatives", "scale": scale,
         "paper": f"{PAPER['bound']['claim']} [{PAPER['bound']['tag']}]", "ours": _bound_text(bound),
         "verdict": bound_verdict(bound)},
        {"chapter": CHAPTER, "experiment": "Exp. 2c: success against the minimal lag",
         "model": "plain RNN (exact BPTT) vs 1997 LSTM (truncated)",
         "protocol": (f"minimal lags {', '.join(map(str, lags))}; " + (f"{b0['budget']:,} sequences per trial, "
                      f"solved after {b0['window']:,} successive correct" if b0 else "")), "scale": scale,
         "paper": f"{PAPER['learning']['claim']} [{PAPER['learning']['tag']}]",
         "ours": f"plain RNN solved {_learning_text(learning, 'rnn')}; 1997 LSTM {_learning_text(learning, 'vanilla')}",
         "verdict": learning_verdict(learning)},
        {"chapter": CHAPTER, "experiment": "random weight guessing on Exp. 2c", "model": "RNN and 1997 LSTM nets",
         "protocol": f"weights uniform in [-100, 100], {g0['budget']:,} guesses per search, {g0['trials']} searches",
         "scale": scale, "paper": f"{PAPER['guessing']['claim']} [{PAPER['guessing']['tag']}]",
         "ours": _guess_text(guessing), "verdict": guessing_verdict(guessing)},
    ]


def rescore(doc) -> list[dict]:
    """A results file's scorecard rows with the verdicts recomputed from its summary by today's rules."""
    summary = doc["summary"]
    fresh = scorecard_rows(summary, PROTOCOLS, "")
    return [{**row, "verdict": new["verdict"]} for row, new in zip(summary.get("scorecard", []), fresh)]


def published_rows(protocols=None) -> list[dict]:
    """The papers' side of the chapter's rows, for the "Published numbers" page."""
    titles = {"bound": "Hochreiter's bound", "learning": "Exp. 2c: success against the minimal lag",
              "guessing": "random weight guessing"}
    return [{"row": k, "experiment": titles[k], "the paper": f"{v['claim']} [{v['tag']}] ({v['source']})"}
            for k, v in PAPER.items()]


def scale_text(scale, trials=None, budget=None) -> str:
    return f"{scale}{' (custom)' if (trials, budget) != (None, None) else ''}"


# ---------------------------------------------------------------- tables and sentences

def learning_table(summary) -> str:
    """Per minimal lag and model: solved, median sequences to solve, test errors; and the guessing."""
    cols = {"lag": "minimal lag", "model": "model", "budget": "budget per trial", "solved": "solved",
            "median": "median to solve", "test": "median wrong of the test"}
    names = {"rnn": "plain RNN (exact BPTT)", "vanilla": "1997 LSTM (truncated)", "forget": "forget-gate LSTM",
             "peephole": "peephole LSTM"}
    rows = []
    for r in sorted(summary["learning"], key=lambda r: (r["lag"], list(names).index(r["arch"]))):
        rows.append({"lag": r["lag"], "model": names[r["arch"]], "budget": f"{r['budget']:,} sequences",
                     "solved": f"{r['solved']}/{r['trials']}"
                     + (f" ({r['diverged']} diverged)" if r["diverged"] else ""),
                     "median": "–" if r["median_to_solve"] is None else f"{r['median_to_solve']:,.0f}",
                     "test": f"{r['median_test_wrong']:,.0f} of {r['test']:,}"})
    for g in sorted(summary["guessing"], key=lambda g: (g["lag"], g["arch"])):
        rows.append({"lag": g["lag"], "model": f"guessing, {names[g['arch']].split(' (')[0]} net",
                     "budget": f"{g['budget']:,} guesses", "solved": f"{g['solved']}/{g['trials']}",
                     "median": "–" if g["median_guesses"] is None else f"{g['median_guesses']:,.0f} guesses",
                     "test": "–"})
    return html_table(rows, cols)


def scorecard_table(rows) -> str:
    return html_table(rows, {k: k for k in ("experiment", "model", "paper", "ours", "verdict")})


def _at(curve, lag):
    lags = curve["lags"]
    i = int(np.searchsorted(lags, lag))
    return curve["q50"][min(i, len(lags) - 1)], lags[min(i, len(lags) - 1)]


def decay_per_step(curve, start=10) -> float:
    """The median curve's geometric mean factor per step of lag from ``start`` to the longest lag at which
    it is still above 0 (< 1: it decays), from the two end points."""
    v0, l0 = _at(curve, start)
    positive = [(lag, v) for lag, v in zip(curve["lags"], curve["q50"]) if v > 0 and lag > l0]
    if v0 <= 0 or not positive:
        return float("nan")
    l1, v1 = positive[-1]
    return float(np.exp(np.log(v1 / v0) / (l1 - l0)))


def fmt(v) -> str:
    """A sensitivity for the text: 2 significant figures, or "0" said as an underflow."""
    return "0 (below float64's range)" if v == 0 else f"{v:.2g}"


def sentences(summary, wall_time) -> dict[str, str]:
    """The chapter's glued sentences, each computed from the summary."""
    sens = summary["sensitivity"]
    T = sens[0]["curve"]["lags"][-1]
    rnn = [s for s in sens if s["arch"] == "rnn"]
    lstm = [s for s in sens if s["arch"] != "rnn"]
    mid = min(100, T)

    def val(s, lag):
        return _at(s["curve"], lag)[0]
    out = {"vanishing_sensitivity": (
        "In random plain RNNs the sensitivity to the input of " + f"{mid} steps before is "
        + ", ".join(f"{fmt(val(s, mid))} at ρ = {s['setting']:g}" for s in rnn)
        + f" (at lag 1: {', '.join(fmt(val(s, 1)) for s in rnn)}); from lag 10 on the median shrinks by a "
        "factor " + ", ".join(f"{decay_per_step(s['curve']):.3f}" for s in rnn) + " per step. "
        + f"In random LSTMs, at lag {mid}: " + "; ".join(f"{s['label']} {fmt(val(s, mid))}" for s in lstm)
        + f"; at lag {T}: " + "; ".join(f"{s['label']} {fmt(val(s, T))}" for s in lstm) + ". "
        + f"After the {T + 1} steps the cell states' median |s| is " + "; ".join(
            f"{s['label']} {s['final_abs_state']:.3g}" for s in lstm if s.get("final_abs_state") is not None)
        + " (the 1997 squashing h has slope h'(s) < 0.014 once |s| > 5).")}
    tr = summary["trained"]
    if tr:
        lag = tr[0]["lag"]
        far = tr[0]["curve"]["lags"][-1]
        out["vanishing_trained"] = (
            f"After training on minimal lag {lag}, the median sensitivity of the output at the trigger to the "
            f"informative input, at lag {lag} and at lag {far}: " + "; ".join(
                f"{t['label']} ({t['solved']}/{t['trials']} solved) {fmt(_at(t['curve'], lag)[0])} and "
                f"{fmt(t['curve']['q50'][-1])}" for t in tr) + ". That of the memory: " + "; ".join(
                f"{t['label']} {fmt(_at(t['memory'], lag)[0])} and {fmt(t['memory']['q50'][-1])}" for t in tr)
            + ".")
        last = tr[0]["map"]["lags"][-1]
        out["vanishing_map"] = (
            f"With the trigger {last} steps after the informative input the median sensitivity of the output "
            "(and of the memory) is " + "; ".join(
                f"{t['label']} {fmt(t['map']['median'][-1])} ({fmt(t['map']['memory'][-1])})" for t in tr) + ".")
    b = summary["bound"]
    out["vanishing_bound"] = (
        f"In {b[0]['n']}-unit logistic nets the measured error flow stays below the bound at every lag of every "
        "net" if all(np.all(np.asarray(x["max"]) <= np.asarray(x["bound"]) * (1 + 1e-9)) for x in b) else
        "The measured error flow exceeds the bound at some lag") + ": " + _bound_text(b) + "."
    learning = summary["learning"]
    out["vanishing_learning"] = (
        f"The plain RNN solved {_learning_text(learning, 'rnn')} trials; the 1997 LSTM "
        f"{_learning_text(learning, 'vanilla')}. Random guessing: {_guess_text(summary['guessing'])}.")
    out["vanishing_wall"] = f"{wall_time:.0f} s on this machine's 2 worker processes"
    return out
