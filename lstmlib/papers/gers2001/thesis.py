"""aⁿbⁿcⁿ on the protocol of Gers & Schmidhuber (2001) as Pérez-Ortiz's 2002 thesis (ch. 7, pp. 97-112) gives it,
with its published numbers: gradient descent (Cuadros 7.4, 7.5) and the Kalman-filter LSTM (7.6, 7.7).

The thesis "follows Gers & Schmidhuber (2001)" [P]; whether its gradient-descent tables are the 2001 paper's
numbers or a re-run under the same set-up is not known [U] (``../shared/reference/primary-sources-2.md`` §1).
What is fixed here, each from the thesis (page) unless marked:

* **Task** (:data:`THESIS_LANGUAGES`): one marker ``$`` starts and ends every string; inputs and targets coded
  ±1 (+1: the symbol is on), outputs judged at 0; the target is the set of legal next symbols, ``$``
  included, and ``$`` is legal right after the start (the n = 3 example, p. 99); a string is accepted iff
  every prediction on it is correct (p. 99).  Training strings: all valid strings with n in the training
  range, drawn uniformly at random one at a time (the order is not given [U]).
* **Network** (:func:`thesis_network`, p. 101): LSTM with forget gates and peepholes, 2 blocks × 1 cell for
  aⁿbⁿcⁿ, direct input→output connections; g = h = identity; output units 4σ(x) - 2; gate biases -1
  (input), +2 (forget), -2 (output); every other weight U[-0.1, 0.1]; recurrence from the cell outputs
  only.  That is 84 connections and biases, which is the thesis' count (fn. 5), plus 6 peephole weights:
  90 in all.  The thesis' 84 leaves the peepholes out, or miscounts; the net here has them (the thesis
  says the task "cannot be learned without" them, fn. 2, p. 99).
* **Gradient descent** (p. 101): the LSTM's truncated gradient (the thesis' §4.12.1 derivation; that it is
  also the one used here is likely, not stated [U]) of ½‖y - d‖², weights updated after each string
  ("fuera de línea por secuencias"), with momentum 0.99 or none, at one learning rate per run.
* **Stopping** (p. 99): every 1000 training strings the weights are frozen and the whole training set is
  tested; a net has learned when every training string is accepted, and stops there; at most 10⁷ strings.
  "Sequences" is the number of training strings until then.
* **Generalisation** (p. 99): the largest interval of counts around the training range whose strings are
  all accepted (:func:`~lstmlib.tasks.languages.generalisation_interval`), tested to n = 500 for gradient
  descent and n = 10,000 for the Kalman filter.
* **Trials**: 10 nets per setting, the same initial weights for every setting (p. 99): the initial
  weights depend on the seed, the language and the architecture only, not on the learning rule.

The aⁿbⁿ runs use the same conventions with one block; no primary protocol for them is known [U].
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from ..._checks import is_int
from ...model import build
from ...study.jobs import ChapterJob, derive_seed, downsample_curve, matched_rnn
from ...tasks.languages import CountingLanguage, generalisation_interval, training_set_accepted
from ...training import SGD, Momentum, train

THESIS = "Pérez-Ortiz 2002 (thesis), ch. 7"

#: The languages with the thesis' conventions, by key.
THESIS_LANGUAGES = {
    "anbncn": CountingLanguage("abc", min_n=0, coding="bipolar", marker="$"),
    "anbn": CountingLanguage("ab", min_n=0, coding="bipolar", marker="$"),
}
#: Memory blocks (of one cell) per language: 2 for aⁿbⁿcⁿ (p. 101); 1 for aⁿbⁿ (our choice).
BLOCKS = {"anbncn": 2, "anbn": 1}
#: Gate biases (p. 101) and the range of every other initial weight.
GATE_BIASES = {"input_gate_bias": -1.0, "forget_gate_bias": 2.0, "output_gate_bias": -2.0}
INIT_RANGE = 0.1
#: The thesis' weight count (fn. 5, p. 101): 72 connections and 12 biases; the peepholes come on top.
THESIS_WEIGHT_COUNT = 84

#: The architectures compared on this protocol: the thesis' net, and the same net with one part taken out.
#: Each keeps g = h = identity, the 4σ - 2 outputs, the shortcuts and the recurrence from cell outputs only.
THESIS_ARCHITECTURES = {
    "peephole": ("peephole", {}, "forget gates and peepholes (the thesis' net)"),
    "forget": ("forget", {"gate_recurrence": "none"}, "forget gates, no peepholes"),
    "vanilla": ("vanilla", {"gate_recurrence": "none"}, "input and output gates only (1997), no peepholes"),
    "rnn": ("rnn", {}, "plain RNN, tanh units, weight-matched, exact BPTT"),
}
METHODS = ("gd", "dekf")

# --- published numbers, verbatim [P] ---------------------------------------------------------------------------
_A = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7)
#: Cuadro 7.4 (n ∈ [1, 10]) and 7.5 (n ∈ [20, 21]): (α, momentum) -> (mean sequences ×10³ or None, % learned).
GD_TABLES = {
    (1, 10): dict(zip([(a, 0.0) for a in _A], [(None, 0), (None, 0), (68, 100), (351, 100), (3562, 100), (None, 0),
                                              (None, 0)]))
    | dict(zip([(a, 0.99) for a in _A], [(None, 0), (None, 0), (None, 0), (20, 90), (45, 90), (329, 100),
                                         (3036, 100)])),
    (20, 21): dict(zip([(a, 0.0) for a in _A], [(None, 0), (None, 0), (1170, 30), (7450, 30), (1205, 20), (None, 0),
                                                (None, 0)]))
    | dict(zip([(a, 0.99) for a in _A], [(None, 0), (None, 0), (None, 0), (None, 0), (127, 20), (1506, 20),
                                         (1366, 10)])),
}
#: Generalisation with gradient descent (p. 105): training range -> (mean interval, best interval).  The
#: thesis does not say which (α, momentum) cell they come from [U].
GD_GENERALISATION = {(1, 10): ((1, 28), (1, 52)), (20, 21): ((17, 23), (10, 27))}
_D = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 1e2, 1e3)
#: Cuadros 7.6 (n ∈ [1, 10]) and 7.7 (n ∈ [20, 21]), DEKF with P[0] = δI: δ -> (sequences ×10³, % learned,
#: mean interval, best interval); ``10001`` stands for the thesis' "10000⁺" (accepted up to the largest n tested).
DEKF_TABLES = {
    (1, 10): dict(zip(_D, [(2, 20, (1, 43), (1, 68)), (2, 80, (1, 48), (1, 77)), (2, 100, (1, 280), (1, 1162)),
                           (2, 60, (1, 291), (1, 1385)), (2, 100, (1, 434), (1, 2743)),
                           (2, 70, (1, 1082), (1, 10001)), (2, 80, (1, 865), (1, 3796))])),
    (20, 21): dict(zip(_D, [(None, 0, None, None), (4, 80, (17, 23), (11, 24)), (5, 70, (14, 25), (9, 27)),
                            (3, 40, (14, 26), (12, 28)), (5, 50, (12, 29), (8, 34)), (4, 40, (12, 28), (9, 32)),
                            (5, 50, (13, 27), (8, 32))])),
}


def dekf_available() -> bool:
    """Whether the Kalman-filter trainer is part of this library (``lstmlib.training.dekf``)."""
    import importlib.util
    return importlib.util.find_spec("lstmlib.training.dekf") is not None


def check_train_range(train_range) -> tuple:
    """A training range of the thesis: (1, 10) or (20, 21) (the tables' two regimes)."""
    t = tuple(train_range) if isinstance(train_range, (tuple, list)) else None
    if t not in GD_TABLES:
        raise ValueError(f"train_range must be one of the thesis' {sorted(GD_TABLES)}, got {train_range!r}")
    return t


@dataclass(frozen=True)
class ThesisProtocol:
    """One setting of the thesis' grid: a language, a training range, and the learning rule (gradient descent
    at ``lr`` with ``momentum``, or the Kalman filter with ``delta``)."""

    language: str = "anbncn"
    train_range: tuple = (1, 10)
    method: str = "gd"
    lr: float = 1e-3
    momentum: float = 0.0
    delta: float = 10.0
    check_every: int = 1000
    n_max: int = 500

    def __post_init__(self):
        if self.language not in THESIS_LANGUAGES:
            raise ValueError(f"unknown language {self.language!r}; valid: {sorted(THESIS_LANGUAGES)}")
        object.__setattr__(self, "train_range", check_train_range(self.train_range))
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; valid: {list(METHODS)}")
        for name in ("lr", "delta"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or not np.isfinite(v):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        if self.momentum not in (0.0, 0.99):
            raise ValueError(f"momentum must be 0 or 0.99 (the thesis' two settings), got {self.momentum!r}")
        for name in ("check_every", "n_max"):
            v = getattr(self, name)
            if not is_int(v) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.n_max < self.train_range[1]:
            raise ValueError(f"n_max ({self.n_max}) must be at least the largest training count {self.train_range[1]}")

    @property
    def key(self) -> str:
        lo, hi = self.train_range
        rule = (f"gd_a{self.lr:.0e}_m{self.momentum:g}" if self.method == "gd" else f"dekf_d{self.delta:g}")
        return f"thesis_{self.language}_{lo}-{hi}_{rule}"

    @property
    def lang(self) -> CountingLanguage:
        return THESIS_LANGUAGES[self.language]

    def replace(self, **changes) -> ThesisProtocol:
        return dataclasses.replace(self, **changes)

    def rule(self) -> str:
        if self.method == "dekf":
            return f"DEKF, P[0] = {self.delta:g}·I"
        return f"gradient descent α = {self.lr:.0e}" + (", momentum 0.99" if self.momentum else ", no momentum")

    def paper(self) -> dict | None:
        """The thesis' numbers for this setting (aⁿbⁿcⁿ only), tagged P: ``{"sequences", "learned_pct", ...}``."""
        if self.language != "anbncn":
            return None
        if self.method == "gd":
            cell = GD_TABLES[self.train_range].get((self.lr, self.momentum))
            if cell is None:
                return None
            return {"sequences": None if cell[0] is None else cell[0] * 1000, "learned_pct": cell[1], "tag": "P",
                    "source": THESIS + (", Cuadro 7.4" if self.train_range == (1, 10) else ", Cuadro 7.5")}
        cell = DEKF_TABLES[self.train_range].get(self.delta)
        if cell is None:
            return None
        return {"sequences": None if cell[0] is None else cell[0] * 1000, "learned_pct": cell[1], "mean": cell[2],
                "best": cell[3], "tag": "P",
                "source": THESIS + (", Cuadro 7.6" if self.train_range == (1, 10) else ", Cuadro 7.7")}


def thesis_network(arch, language="anbncn", trials=1, seed=0):
    """``trials`` nets of ``arch`` (a key of :data:`THESIS_ARCHITECTURES`) on the thesis' topology for
    ``language``: ``BLOCKS[language]`` blocks × 1 cell, shortcuts, g = h = identity, 4σ - 2 outputs, the
    thesis' gate biases where the gate exists, weights U[-0.1, 0.1]; squared-error loss."""
    if arch not in THESIS_ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r} for the thesis protocol; "
                         f"valid: {sorted(THESIS_ARCHITECTURES)}")
    if language not in THESIS_LANGUAGES:
        raise ValueError(f"unknown language {language!r}; valid: {sorted(THESIS_LANGUAGES)}")
    lang = THESIS_LANGUAGES[language]
    common = dict(output="logistic2", output_from="cells+inputs", loss="mse", init_range=INIT_RANGE)
    if arch == "rnn":
        target = thesis_network("peephole", language).n_weights
        return matched_rnn(lang.n_inputs, lang.n_outputs, target, trials=trials, seed=seed, **common)
    preset, changes, _ = THESIS_ARCHITECTURES[arch]
    probe = build(preset, lang.n_inputs, lang.n_outputs, BLOCKS[language], 1, **changes)
    biases = {k: v for k, v in GATE_BIASES.items() if probe.spec.forget_gate or k != "forget_gate_bias"}
    return build(preset, lang.n_inputs, lang.n_outputs, BLOCKS[language], 1, trials=trials, seed=seed,
                 cell_input="identity", cell_output="identity", **changes, **biases, **common)


class TrainingSetRule:
    """The thesis' stopping rule (p. 99), a stopping rule of :func:`lstmlib.train`: after each chunk (1000
    strings) the weights are frozen and every string of the training range is tested; a trial stops
    when it accepts them all.  ``net`` is the network being trained; the rule only reads it."""

    def __init__(self, net, language: CountingLanguage, train_range):
        language.check_range(train_range)
        self.net, self.language, self.train_range = net, language, tuple(train_range)

    def __call__(self, loss, err):
        K, n = np.shape(err)
        if K != self.net.trials:
            raise ValueError(f"this rule watches {self.net.trials} trials, got {K}")
        ok = training_set_accepted(self.net, self.language, self.train_range)
        return np.where(ok, n - 1, -1)


def interval_stats(intervals) -> dict:
    """Mean and best of a list of generalisation intervals ``(lo, hi)`` of the nets that learned: the mean
    interval is (mean lo, mean hi) rounded to integers; the best is the widest (ties: the larger hi).
    ``None`` values where no net learned."""
    iv = [tuple(map(int, i)) for i in intervals if i is not None]
    if not iv:
        return {"mean": None, "best": None, "n": 0}
    lo, hi = np.array(iv).T
    best = max(iv, key=lambda i: (i[1] - i[0], i[1]))
    return {"mean": (int(round(lo.mean())), int(round(hi.mean()))), "best": best, "n": len(iv)}


def format_interval(iv, n_max=None) -> str:
    """``[1, 28]``; the upper end reads ``10,000⁺`` for the thesis' "10000⁺" (stored as 10001) and
    ``{n_max}⁺`` where a scan to ``n_max`` found no failure; ``–`` for None."""
    if iv is None:
        return "–"
    lo, hi = iv
    top = "10,000⁺" if hi > 10_000 and n_max is None else (f"{n_max:,}⁺" if n_max is not None and hi >= n_max
                                                             else f"{hi:,}")
    return f"[{lo:,}, {top}]"


# --- jobs --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ThesisJob(ChapterJob):
    """``trials`` nets of ``arch`` trained on one :class:`ThesisProtocol` setting for at most ``budget`` strings
    each (the thesis: 10⁷ for gradient descent, 10⁵ for DEKF); runs in :func:`lstmlib.study.jobs.run_jobs`."""

    architectures = THESIS_ARCHITECTURES

    def seeds(self) -> dict:
        """The initial weights and the string order depend on the seed, language and architecture only: every
        setting of the grid starts from the same nets (p. 99) and sees the same draws."""
        lang, arch = self.protocol.language, self.arch
        return {"init": derive_seed(self.seed, "thesis", lang, arch, "init"),
                "train": derive_seed(self.seed, "thesis", lang, arch, "train")}

    def cost(self) -> float:
        lo, hi = self.protocol.train_range
        per_step = 15.0 if self.protocol.method == "dekf" else 1.0  # the thesis: DEKF ~15x slower (p. 110)
        return self.trials * self.budget * self.protocol.lang.length((lo + hi) / 2) * per_step

    def check(self):
        super().check()
        if self.protocol.method == "dekf" and not dekf_available():
            raise ValueError(f"{self.name}: the Kalman-filter trainer (lstmlib.training.dekf) is not built yet")
        if self.protocol.method == "dekf" and self.arch == "rnn":
            raise ValueError(f"{self.name}: the Kalman filter here trains LSTMs only (truncated RTRL Jacobian)")

    def run(self, progress=None) -> dict:
        return run_thesis_job(self, progress)


def run_thesis_job(job: ThesisJob, progress=None) -> dict:
    """Train one setting's nets until each accepts its training set (tested every ``check_every`` strings
    with frozen weights) or the budget ends, then scan each learned net's generalisation interval."""
    job.check()
    p, seeds = job.protocol, job.seeds()
    lang, K = p.lang, job.trials
    net = thesis_network(job.arch, p.language, K, seeds["init"])
    say = None if progress is None else (lambda line: progress(f"{job.name}: {line}"))
    t0 = time.perf_counter()
    if p.method == "gd":
        opt = Momentum(p.lr, p.momentum) if p.momentum else SGD(p.lr)
        hist = train(net, lang.sampler(K, p.train_range), opt, sequences=job.budget, chunk=p.check_every,
                     stop=TrainingSetRule(net, lang, p.train_range), tolerance=1.0, seed=seeds["train"],
                     progress=say, progress_every=60.0)
        status, learned_at, seen = list(hist.status), hist.criterion_met_at, hist.sequences_seen
        seqs, loss, frac = hist.curve_arrays()
        curves = [downsample_curve(seqs[:, k], loss[:, k], frac[:, k], 120) for k in range(K)]
    else:
        from .dekf_jobs import train_dekf  # the Kalman filter's own loop
        status, learned_at, seen, curves = train_dekf(net, lang, p, job.budget, seeds["train"], say)
    learned = np.array([s == "solved" for s in status])
    scan = {"lo": np.full(K, -1), "hi": np.full(K, -1)}
    if learned.any():
        iv = generalisation_interval(net.subset(np.flatnonzero(learned)), lang, p.train_range, p.n_max)
        scan["lo"][learned], scan["hi"][learned] = iv["lo"], iv["hi"]
    trials = []
    for k in range(K):
        ok = bool(learned[k])
        trials.append({
            "trial": k, "status": "solved" if ok else ("diverged" if status[k] == "diverged" else "budget"),
            "sequences": int(learned_at[k]) if ok else None, "sequences_seen": int(seen[k]),
            "interval": [int(scan["lo"][k]), int(scan["hi"][k])] if ok else None,
            "curve": curves[k],
            "weights": {name: value[k].tolist() for name, value in net.named_parameters().items()},
        })
    return {"job": job.name, "protocol": p.key, "arch": job.arch, "setting": dataclasses.asdict(p),
            "trials": trials, "n_weights": net.n_weights, "budget": job.budget, "n_max": p.n_max,
            "seeds": seeds, "wall_time_s": time.perf_counter() - t0}


def summarise(record) -> dict:
    """One record's row: % learned, mean strings until learned (of the nets that learned), the mean and best
    generalisation intervals."""
    trials = record["trials"]
    done = [t for t in trials if t["status"] == "solved"]
    stats = interval_stats([t["interval"] for t in done])
    return {"learned_pct": 100.0 * len(done) / len(trials),
            "sequences": float(np.mean([t["sequences"] for t in done])) if done else None,
            "mean": stats["mean"], "best": stats["best"], "learned": len(done), "trials": len(trials),
            "diverged": sum(t["status"] == "diverged" for t in trials)}
