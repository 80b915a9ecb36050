"""Gers, Schraudolph & Schmidhuber (2002): timing tasks learned online, on streams: the protocol table (jobs in
:mod:`.jobs`).

The paper's tables could not be read (what was read: :mod:`lstmlib.papers.tables` and the book's
"What the papers publish" page); its set-up is known from secondary notes [S], two of which agree on the gate biases:

* **Network** [S]: one input, one memory block of one cell, one output unit; the cell input and the
  gates see the input, the cell output and a bias; the output unit sees the cell output and a bias (no
  input shortcut); g and h are the identity (y = o · s); the output unit is logistic for the spike
  tasks and linear for PFG; 17 weights with peepholes.  Initial weights in [-0.1, 0.1], gate biases
  input 0, forget -2, output +2.
* **Learning** [S]: online, a weight update at every time step with the truncated gradient computed
  forward in time (:class:`lstmlib.OnlineLearner`), learning rate 1e-5 with momentum 0.9999
  (continual MSD), 0.99 (NMSD), 0.999 (GTS) and 0.99 (PFG); squared error.
* **Streams** [S]: a training stream starts from a reset network and ends at its first wrong step
  (|error| ≥ 0.49 for spikes, ≥ 0.3 for PFG) or after 100 events (spikes or periods); after a
  training stream a trial is tested on a fresh stream, and it has *solved* the task when it gets 1000
  successive events right.  Here a trial is tested only after a training stream in which it got all
  100 events right (it cannot pass the test otherwise in all but freak cases; this saves most tests).
  The learning rule of the book is not the sources' (see :data:`RULES`).

Architectures.  In this chapter every LSTM has the paper's topology and identity squashing, so that
they differ only in their gates: ``peephole`` is the paper's cell (forget gate and peepholes),
``forget`` the same without peepholes (the paper's "LSTM"), ``vanilla`` without forget gate and
peepholes (the 1997 gates), and ``nfg`` the peephole cell without forget gate.  The plain RNN (tanh
units, at least 17 weights) cannot be trained by RTRL-on-the-CEC; it is trained by exact BPTT on
each training stream (cut at its first wrong step, found by a forward pass), one update per stream.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ...study.figures import ARCH_LABELS
from ...tasks.timing import GTS, MSD, PFG
from ...training import Adam, Momentum

#: The chapter's architectures, and the ablation of the forget gate.
TIMING_ARCHITECTURES = ("rnn", "vanilla", "forget", "peephole", "nfg")
#: Each LSTM of the chapter as changes to a preset of :data:`lstmlib.ARCHITECTURES` (``nfg``: of
#: ``peephole``): the paper's topology and squashing; the presets differ in their gates.
SPEC_CHANGES = {
    "vanilla": dict(cell_input="identity", cell_output="identity", gate_recurrence="none"),
    "forget": dict(cell_input="identity", cell_output="identity", gate_recurrence="none"),
    "peephole": dict(cell_input="identity", cell_output="identity", gate_recurrence="none"),
    "nfg": dict(cell_input="identity", cell_output="identity", gate_recurrence="none", forget="none"),
}
#: The chapter's names of its architectures: the book's (:data:`lstmlib.study.figures.ARCH_LABELS`, the
#: same in every chapter; here the LSTMs have the paper's identity squashing), and the forget-gate ablation.
LABELS = {**ARCH_LABELS, "nfg": "peephole LSTM, no forget gate"}


@dataclass(frozen=True)
class TimingProtocol:
    """One task of the paper with its learning rule and stream lengths."""

    key: str
    title: str
    task: object
    momentum: float
    lr: float = 1e-5
    optimizer: str = "momentum"
    train_events: int = 100
    test_events: int = 1000
    init_range: float = 0.1
    input_gate_bias: float = 0.0
    forget_gate_bias: float = -2.0
    output_gate_bias: float = 2.0
    paper: dict = field(default_factory=dict)

    def replace(self, **changes) -> TimingProtocol:
        return dataclasses.replace(self, **changes)

    def make_optimizer(self):
        return Adam(self.lr) if self.optimizer == "adam" else Momentum(self.lr, self.momentum)

    def rule(self) -> str:
        opt = f"Adam lr {self.lr:g}" if self.optimizer == "adam" else f"lr {self.lr:g}, momentum {self.momentum:g}"
        return f"{opt}, forget-gate bias {self.forget_gate_bias:+g}"

    def describe(self) -> str:
        return (f"{self.task.describe()}; {self.rule()}; training streams of at most {self.train_events} events, "
                f"solved at {self.test_events} successive correct events")


#: The learning rules: "paper" is the secondary sources' (momentum SGD, learning rate 1e-5, forget-gate
#: bias -2); "fast" is this study's default, Adam (lr 1e-3) with a forget-gate bias of +2, chosen
#: because with the "paper" rule no peephole LSTM learned continual MSD (F = 10) within 100,000
#: training streams, nor GTS or the cosine (F = 10) within 200,000 (development runs, 10 trials each),
#: far more than the book can afford.
RULES = {"paper": {}, "fast": {"optimizer": "adam", "lr": 1e-3, "forget_gate_bias": 2.0}}


def _row(task, momentum, title, **paper):
    return TimingProtocol(task.key, title, task, momentum, paper={"tag": "U", **paper})


#: The rows of this chapter.  Paper numbers are unverified (tag U): the paper's tables were not read.
PROTOCOLS = {p.key: p for p in [
    _row(MSD(10, (0, 1)), 0.9999, "MSD, F = 10, I ∈ {0, 1} (continual)",
         claim="solved with and without peepholes (§4.2) [P]"),
    _row(MSD(10, (0, 1, 2)), 0.9999, "MSD, F = 10, I ∈ {0, 1, 2} (continual)",
         claim="solved with and without peepholes (§4.2) [P]"),
    _row(MSD(49, (0, 1)), 0.9999, "MSD, F = 49, I ∈ {0, 1}: spikes 49 or 50 steps apart",
         claim="peephole LSTM tells 50 from 49 steps without short training exemplars (abstract) [P]"),
    _row(MSD(10, (0, 1), continual=False), 0.99, "NMSD, F = 10, I ∈ {0, 1} (reset after each interval)"),
    _row(GTS(10), 0.999, "GTS, F = 10", claim="peephole LSTM learns to generate stable streams of precisely "
                                              "timed spikes (abstract) [P]; without a forget gate no "
                                              "convergence [S]"),
    _row(GTS(25), 0.999, "GTS, F = 25"),
    _row(PFG("cos", 10), 0.99, "PFG, cosine, F = 10",
         claim="peephole LSTM learns to generate highly nonlinear periodic patterns (abstract) [P]; LSTM "
               "without peepholes learned only this one, slowly [S]"),
    _row(PFG("cos", 25), 0.99, "PFG, cosine, F = 25"),
    _row(PFG("tri", 10), 0.99, "PFG, triangle, F = 10"),
    _row(PFG("rect", 10), 0.99, "PFG, rectangle, F = 10"),
]}

#: Scales: row key -> which architectures, trials and training streams per trial.  "tiny" is for tests;
#: "default" is what the book runs in its time budget; "paper" is every row at the secondary sources'
#: budget of 10^7 training streams (days on two cores).
DEFAULT_BUDGET = 40_000
_ALL = list(TIMING_ARCHITECTURES)
SCALES = {
    "tiny": {k: {"arch": _ALL, "trials": 2, "budget": 100} for k in ("msd_F10_I0-1", "gts_F10", "pfg_cos_F10")},
    "default": {"msd_F10_I0-1": {"arch": _ALL, "trials": 10, "budget": DEFAULT_BUDGET},
                "nmsd_F10_I0-1": {"arch": _ALL, "trials": 10, "budget": DEFAULT_BUDGET},
                "msd_F49_I0-1": {"arch": ["forget", "peephole"], "trials": 10, "budget": DEFAULT_BUDGET},
                "gts_F10": {"arch": _ALL, "trials": 10, "budget": DEFAULT_BUDGET},
                "pfg_cos_F10": {"arch": _ALL, "trials": 10, "budget": DEFAULT_BUDGET}},
    "paper": {k: {"arch": _ALL, "trials": 10, "budget": 10_000_000} for k in PROTOCOLS},
}
