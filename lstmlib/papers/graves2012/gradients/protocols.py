"""The gradients chapter's rows: the learning comparisons (truncated against exact gradient, online against
per-segment updates) with the statements of the papers they test and their tags, and the scales.

The network of every learning row with sequences is H&S 1997's Exp. 4 network (2 blocks of 2 cells, fully
recurrent hidden layer, every non-input unit biased, weights in [-0.1, 0.1], input-gate biases -3 and -6,
SGD with learning rate 0.5, one update per sequence; :mod:`lstmlib.papers.hochreiter1997.protocols`).  The
online row is Gers et al. 2002's cell (one block of one cell with peepholes, identity squashing) on continual
MSD at F = 10, trained with Adam (learning rate 1e-3) and forget-gate bias +2, the timing chapter's rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ....tasks.recall import Adding1997
from ....tasks.timing import MSD
from ....tasks.xor import DelayedXOR


@dataclass(frozen=True)
class LearningProtocol:
    """One learning comparison: ``task``, the two ``variants`` compared (gradient modes, or update periods
    for the online row), the success criterion (``stop``: the ST3-style window rule, or None) and the
    paper's statement it tests (``paper``: claim, source, tag)."""

    key: str
    title: str
    task: object
    variants: tuple
    paper: dict = field(default_factory=dict)
    output: str = "linear"
    lr: float = 0.5
    mean_error: float | None = 0.01  # ST3's "average training error below 0.01" (None: not used)


_CLAIM = ("\"a few experiments with non-truncated LSTM\" showed \"no significant difference\" from the truncated "
          "gradient (H&S 1997 §6)")
_LIMIT = ("the truncated gradient's limitation: \"strongly delayed XOR\" problems, whose error must reach the past "
          "through the gates' recurrent inputs (H&S 1997 §6)")


def learning_protocols(adding_T=100, xor_T=20) -> dict:
    """The chapter's learning rows at the given sequence lengths."""
    return {p.key: p for p in [
        LearningProtocol("adding", f"Exp. 4 (adding), T = {adding_T}: truncated vs exact gradient",
                         Adding1997(adding_T), ("truncated", "exact"),
                         {"claim": _CLAIM, "source": "H&S 1997 §6", "tag": "P"}),
        LearningProtocol("xor", f"strongly delayed XOR, T = {xor_T}: truncated vs exact gradient", DelayedXOR(xor_T),
                         ("truncated", "exact"), {"claim": _LIMIT, "source": "H&S 1997 §6", "tag": "P"},
                         output="logistic", mean_error=None),
        LearningProtocol("online", "continual MSD, F = 10: update every step vs every 100 steps", MSD(10), (1, 100),
                         {}, output="logistic", lr=1e-3, mean_error=None),
    ]}


#: The rows at the book's scale (their keys are the same at every scale).
PROTOCOLS = learning_protocols()

#: What each scale runs: the sequence lengths of the learning rows, trials per variant, the budgets
#: (sequences per trial; for the online row, MSD events per trial), the T and W grids of the cost
#: measurement and the lengths of the gradient-agreement measurement.
SCALES = {
    "tiny": {"adding_T": 20, "xor_T": 8, "trials": 2, "budget": 300, "online_events": 60, "test": 200,
             "cost_T": (10, 20), "cost_blocks": (1, 2), "agree_T": (20, 40), "agree_train": 200},
    "default": {"adding_T": 100, "xor_T": 20, "trials": 10, "budget": 60_000, "online_events": 50_000, "test": 1000,
                "cost_T": (25, 50, 100, 200, 400), "cost_blocks": (1, 2, 4, 8), "agree_T": (20, 50, 100, 200, 400),
                "agree_train": 10_000},
    "paper": {"adding_T": 100, "xor_T": 100, "trials": 10, "budget": 300_000, "online_events": 500_000, "test": 2560,
              "cost_T": (25, 50, 100, 200, 400, 800), "cost_blocks": (1, 2, 4, 8, 16),
              "agree_T": (20, 50, 100, 200, 400, 800), "agree_train": 50_000},
}
