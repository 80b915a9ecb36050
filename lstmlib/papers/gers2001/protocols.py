"""Gers & Schmidhuber (2001): the protocol table of the languages chapter, aⁿbⁿ and aⁿbⁿcⁿ as next-symbol
prediction with a generalisation scan; its scales, the Greff et al. variants and the learning-rule variants.

The paper's text could not be read (what was read: :mod:`lstmlib.papers.tables` and the book's
"What the papers publish" page): its training ranges, topology, learning rule, trial counts and
generalisation results are unverified.
What is fixed here, and why:

* **Task** (:mod:`lstmlib.tasks.languages`): ``S aⁿbⁿ(cⁿ) T``, one-hot input, the set of legal next symbols
  as a multi-hot target at every step, accepted iff every output is on the correct side of 0.5; n ≥ 1;
  training strings drawn uniformly from n ∈ [1, 10].  As in the public reproductions [S].
* **Topology**: one memory block of one cell for aⁿbⁿ, two blocks of one cell for aⁿbⁿcⁿ (the sizes
  Suzgun et al. 2019 attribute to this line of work [S]); logistic output units that also see the
  inputs (input-to-output shortcuts), all units biased, weights drawn from [-0.1, 0.1].
* **Learning** (a deviation: the paper's rule is unverified; the often-quoted "momentum 0.99, lr 1e-5"
  is from a source with known misquotes): Adam (lr 0.01) on the cross-entropy of each output unit, one
  update per string, the architecture's own gradient (truncated for the LSTMs, exact BPTT for the
  RNN).  The chapter compares this rule with plain and momentum SGD and with the squared error
  (:func:`learning_rule_variants`).
* **Forget gate**: initial bias +10 (f ≈ 0.99995), so that a cell can hold a count for thousands of
  steps from the start; with +5 (f ≈ 0.993) the count leaks ~0.7 % per step.
* **Stopping**: every trial trains for the whole budget; "sequences to solution" is the first check
  (every 1,000 strings) at which every training string was accepted, and the generalisation scan runs
  both then and at the end of the budget.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ...tasks.languages import CountingLanguage
from ...training import SGD, Adam, Momentum

OPTIMIZER_NAMES = ("adam", "momentum", "sgd")


@dataclass(frozen=True)
class LanguageProtocol:
    """How one language is learned and judged: the language, the network, the learning rule, the budget."""

    key: str
    title: str
    language: CountingLanguage
    n_blocks: int
    cells_per_block: int = 1
    train_range: tuple = (1, 10)
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.99
    loss: str = "ce"
    output_from: str = "cells+inputs"
    forget_gate_bias: float = 10.0
    init_range: float = 0.1
    check_every: int = 1000
    n_max: int = 1000
    paper: dict = field(default_factory=dict)

    def __post_init__(self):
        self.language.check_range(self.train_range)
        if self.optimizer not in OPTIMIZER_NAMES:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid: {list(OPTIMIZER_NAMES)}")
        if not (isinstance(self.lr, (int, float)) and not isinstance(self.lr, bool) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        for name in ("check_every", "n_max"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.n_max < self.train_range[1]:
            raise ValueError(f"n_max ({self.n_max}) must be at least the largest training count "
                             f"({self.train_range[1]})")

    def replace(self, **changes) -> LanguageProtocol:
        """A copy with ``changes`` applied, validated again."""
        return dataclasses.replace(self, **changes)

    def make_optimizer(self):
        if self.optimizer == "adam":
            return Adam(self.lr)
        if self.optimizer == "momentum":
            return Momentum(self.lr, self.momentum)
        return SGD(self.lr)

    def rule(self) -> str:
        """The learning rule in words, e.g. "Adam lr 0.01, cross-entropy"."""
        opt = {"adam": f"Adam lr {self.lr:g}", "momentum": f"SGD with momentum {self.momentum:g}, lr {self.lr:g}",
               "sgd": f"SGD lr {self.lr:g}"}[self.optimizer]
        return f"{opt}, {'cross-entropy' if self.loss == 'ce' else 'squared error'}"

    def describe(self) -> str:
        lo, hi = self.train_range
        return (f"n ∈ [{lo}, {hi}], {self.n_blocks} block(s) × {self.cells_per_block} cell, {self.rule()}, "
                f"scan to n = {self.n_max:,}")


_ICANN02 = {"source": "Gers, Pérez-Ortiz & Schmidhuber, ICANN 2002, abstract", "tag": "P-abs",
            "text": "LSTM trained with a decoupled extended Kalman filter (not gradient descent) on n ≤ 10 "
                    "\"deals correctly with values of n up to 1000 and more\""}

#: The chapter's two experiments.  Paper numbers: none could be read (tag U); the abstracts' claims and
#: the Kalman-filter follow-up are quoted for context.
PROTOCOLS = {p.key: p for p in [
    LanguageProtocol("anbn", "aⁿbⁿ (context-free)", CountingLanguage("ab"), n_blocks=1,
                     paper={"source": "Gers & Schmidhuber 2001", "tag": "U",
                            "claim": "LSTM learns the context-free aⁿbⁿ and generalises far beyond its "
                                     "training strings; traditional RNNs do worse [P-abs]",
                            "text": "training and generalisation ranges not read (often repeated: "
                                    "\"n up to 1000\" [U])"}),
    LanguageProtocol("anbncn", "aⁿbⁿcⁿ (context-sensitive)", CountingLanguage("abc"), n_blocks=2,
                     paper={"source": "Gers & Schmidhuber 2001", "tag": "U",
                            "claim": "LSTM variants are the first RNNs to learn the context-sensitive "
                                     "aⁿbⁿcⁿ [P-abs]",
                            "text": "training and generalisation ranges not read", "followup": _ICANN02}),
]}

#: Greff et al. (2017) variants, run on aⁿbⁿ when asked for (each is one change to the peephole LSTM).
GREFF_VARIANTS = ("greff_v", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg", "fgr")

#: What each scale runs: language key -> (trials, strings per trial).  "tiny" is for tests.  The
#: paper's own protocol (trials, budget) is not known, so "paper" is the same as "full".
SCALES = {
    "tiny": {"anbn": (2, 2_000), "anbncn": (2, 2_000)},
    "default": {"anbn": (10, 100_000), "anbncn": (10, 100_000)},
    "full": {"anbn": (30, 300_000), "anbncn": (30, 300_000)},
}
SCALES["paper"] = SCALES["full"]
#: The scan's upper end at each scale.
SCAN_TO = {"tiny": 60, "default": 1000, "full": 1000, "paper": 1000}


def learning_rule_variants(protocol: LanguageProtocol) -> dict:
    """The protocol under other learning rules, keyed ``<key>_<rule>``: Adam on the squared error,
    momentum SGD (0.99) and plain SGD on the cross-entropy, each at a learning rate that trains."""
    rules = {"adam_mse": dict(optimizer="adam", lr=0.01, loss="mse"),
             "momentum_ce": dict(optimizer="momentum", lr=1e-4, momentum=0.99, loss="ce"),
             "sgd_ce": dict(optimizer="sgd", lr=0.05, loss="ce")}
    out = {}
    for name, change in rules.items():
        q = protocol.replace(key=f"{protocol.key}_{name}", **change)
        out[q.key] = q
    return out
