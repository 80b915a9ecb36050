"""Learning to forget: the protocol tables of H&S 1997 Exp. 1 (the embedded Reber grammar, a reset after
each string) and of Gers, Schmidhuber & Cummins 2000 Table 2 (the continual embedded Reber stream, CERG),
with their published numbers and the networks that run them.

**Exp. 1** (H&S 1997 §5.1, Tables 1 and 10 [P]): 7 one-hot inputs and outputs; 4 blocks of 1 cell (264
weights) or 3 blocks of 2 cells (276); connectivity "F": cells and gates read the inputs, all cells and
all gates (``gate_recurrence="all"``), the outputs read the cells only; the gates are biased, the cells
and outputs are not; output-gate biases -1, -2, -3 (, -4) by block, all other weights (input-gate biases
included) U[-0.2, 0.2]; logistic outputs, squared error, one update per step with the truncated gradient;
256 training strings drawn at random, a reset before each; solved when every prediction on the training
set and on a separate test set of 256 strings is right (:func:`lstmlib.tasks.reber.top_k_correct`).

**CERG** (Gers 2000 §4 [P-q], primary-sources-2 §3): 4 blocks of 2 cells; the cell outputs feed the cell
inputs, all gates and the outputs, the gates are not fed by gates (``gate_recurrence="none"``); the
outputs also see the inputs (``output_from="cells+inputs"``); gates and outputs biased, cells not (424
weights with forget gates); input- and output-gate biases -0.5, -1, -1.5, -2 by block, forget-gate biases
+0.5 ... +2; other weights U[-0.2, 0.2]; learning rate 0.5 at the start of each training stream, fixed or
decayed by 0.99 per step (α-decay).  A step is right when every output is within 0.49 of its 0/1 target
([S]: the paper's criterion is only known second-hand).

Architectures.  In both experiments every LSTM has the paper's topology and the 1997 squashing (g in
[-2, 2], h in [-1, 1]) so that they differ only in their gates: ``vanilla`` the 1997 cell ("standard
LSTM"), ``forget`` with a forget gate (Gers 2000), ``peephole`` with forget gate and peepholes (Gers 2002;
a row neither paper has).  The forget gates of Exp. 1 get Gers 2000's CERG biases (+0.5, +1, ... by
block).  The plain ``rnn`` has the fewest fully recurrent tanh units that reach the 1997 LSTM's weight
count; it has no CEC, so it learns by exact BPTT instead (see :mod:`.erg_jobs` and :mod:`.cerg_jobs`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ...model import ARCHITECTURES, build
from ...study.jobs import MAIN_ARCHITECTURES, check_arch, matched_rnn

#: The architectures of the chapter (the four every chapter compares).
FORGET_ARCHITECTURES = MAIN_ARCHITECTURES
N_SYMBOLS = 7  # B T P S X V E


def _blockwise(first, n):
    """``first, 2·first, ...`` for ``n`` blocks (the papers' blockwise biases)."""
    return tuple(first * (b + 1) for b in range(n))


@dataclass(frozen=True)
class ERGProtocol:
    """One row of H&S 1997 Table 1: the net's size and learning rate, and the published numbers."""

    key: str
    title: str
    n_blocks: int
    cells_per_block: int
    lr: float
    init_range: float = 0.2
    n_train: int = 256
    n_test: int = 256
    paper: dict = field(default_factory=dict)

    @property
    def output_gate_bias(self) -> tuple:
        return _blockwise(-1.0, self.n_blocks)

    @property
    def forget_gate_bias(self) -> tuple:
        return _blockwise(0.5, self.n_blocks)

    def replace(self, **changes) -> ERGProtocol:
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        return (f"{self.n_blocks} blocks × {self.cells_per_block} cell{'s' if self.cells_per_block > 1 else ''}, "
                f"lr {self.lr:g}, output-gate biases {', '.join(f'{b:g}' for b in self.output_gate_bias)}, "
                f"init ±{self.init_range:g}; {self.n_train} training and {self.n_test} test strings")


@dataclass(frozen=True)
class CERGProtocol:
    """One row of Gers 2000 Table 2: which cell, with or without an external reset at each string and
    a decaying learning rate, and the stream protocol.  ``state_decay``: the row "LSTM with state decay
    (0.9)": the 1997 cell whose state is multiplied by this fixed factor at every step
    (``forget="decay"``, s(t) = 0.9 s(t-1) + i z), in place of a forget gate."""

    key: str
    title: str
    arch: str
    external_reset: bool = False
    lr_decay: float | None = None
    state_decay: float | None = None
    lr: float = 0.5
    tolerance: float = 0.49
    train_length: int = 100_000
    test_length: int = 100_000
    test_streams: int = 10
    good_length: int = 1000
    init_range: float = 0.2
    paper: dict = field(default_factory=dict)

    def replace(self, **changes) -> CERGProtocol:
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        rule = f"lr {self.lr:g}" + (f" decayed ×{self.lr_decay:g} per step" if self.lr_decay else " fixed")
        decay = f", the cell state decayed ×{self.state_decay:g} per step" if self.state_decay else ""
        return (f"{rule}{', a reset at each string' if self.external_reset else ''}{decay}; a training stream ends at "
                f"its first error (max |y - target| ≥ {self.tolerance:g}) or after {self.train_length:,} symbols; "
                f"solved: {self.test_streams} test streams of {self.test_length:,} symbols without an error")


def _erg(n_blocks, cells, lr, success, sequences, **extra):
    key = f"erg_{n_blocks}x{cells}_lr{lr:g}"
    title = f"ERG, {n_blocks} blocks × {cells}, lr {lr:g}"
    return ERGProtocol(key, title, n_blocks, cells, lr,
                       paper={"success": success, "sequences": sequences, "trials": 30, "source": "Table 1",
                              "tag": "P", **extra})


#: The LSTM rows of H&S 1997 Table 1 [P] (30 trials each: 3 training/test set pairs × 10 initialisations).
ERG_PROTOCOLS = {p.key: p for p in [
    _erg(4, 1, 0.1, 1.00, 39_740),
    _erg(3, 2, 0.1, 1.00, 21_730),
    _erg(3, 2, 0.2, 0.97, 14_060),
    _erg(4, 1, 0.5, 0.97, 9_500),
    _erg(3, 2, 0.5, 1.00, 8_440, range=(3_800, 24_100)),
]}

#: Table 1's other methods, as published [P] (the cited works' own numbers): method, hidden units,
#: weights, learning rate, % success, sequences until success.
ERG_PUBLISHED = (
    ("RTRL (Smith & Zipser 1989)", "3", "≈170", "0.05", "some fraction", "173,000"),
    ("RTRL (Smith & Zipser 1989)", "12", "≈494", "0.1", "some fraction", "25,000"),
    ("Elman net (Cleeremans et al. 1989)", "15", "≈435", "–", "0", ">200,000"),
    ("RCC (Fahlman 1991)", "7–9", "≈119–198", "–", "50", "182,000"),
)


def _cerg(key, title, arch, solved, streams, good, good_length, rest, rest_length, **changes):
    paper = {"solved": solved, "streams": streams, "good": good, "good_length": good_length, "rest": rest,
             "rest_length": rest_length, "nets": 100, "source": "Table 2", "tag": "P"}
    return CERGProtocol(key, title, arch, paper=paper, **changes)


#: The rows of Gers 2000 Table 2 [P], and the two the paper does not have (no published numbers).
CERG_PROTOCOLS = {p.key: p for p in [
    _cerg("cerg_reset", "Standard LSTM with external reset", "vanilla", 0.74, 7_441, 0.0, None, 0.26, 31,
          external_reset=True),
    _cerg("cerg_standard", "Standard LSTM", "vanilla", 0.0, None, 0.01, 1_166, 0.99, 37),
    _cerg("cerg_state_decay", "LSTM with state decay (0.9)", "vanilla", 0.0, None, 0.0, None, 1.0, 56,
          state_decay=0.9),
    _cerg("cerg_forget", "LSTM with forget gates", "forget", 0.18, 18_889, 0.29, 39_171, 0.53, 145),
    _cerg("cerg_forget_decay", "LSTM with forget gates and sequential α decay", "forget", 0.62, 14_087, 0.06,
          68_464, 0.32, 30, lr_decay=0.99),
    CERGProtocol("cerg_peephole", "Peephole LSTM (not in the paper)", "peephole"),
    CERGProtocol("cerg_rnn", "Plain RNN, exact BPTT per training stream (not in the paper)", "rnn"),
]}

def _spec(arch, gate_recurrence):
    return ARCHITECTURES[arch].replace(cell_input="logistic2", cell_output="logistic1",
                                       gate_recurrence=gate_recurrence)


def erg_network(protocol: ERGProtocol, arch: str, trials: int = 1, seed: int = 0):
    """``trials`` networks of ``arch`` for an Exp. 1 row (see the module docstring)."""
    check_arch(arch, FORGET_ARCHITECTURES)
    common = dict(output="logistic", init_range=protocol.init_range)
    if arch == "rnn":
        target = erg_network(protocol, "vanilla").n_weights
        return matched_rnn(N_SYMBOLS, N_SYMBOLS, target, trials=trials, seed=seed, biased=("cells",), **common)
    spec = _spec(arch, "all")
    biases = {"output_gate_bias": protocol.output_gate_bias}
    if spec.forget_gate:
        biases["forget_gate_bias"] = protocol.forget_gate_bias
    return build(spec, N_SYMBOLS, N_SYMBOLS, protocol.n_blocks, protocol.cells_per_block, trials=trials,
                 seed=seed, biased=("gates",), **biases, **common)


def cerg_network(protocol: CERGProtocol, trials: int = 1, seed: int = 0):
    """``trials`` networks for a CERG row (its ``arch``; see the module docstring)."""
    arch = protocol.arch
    check_arch(arch, FORGET_ARCHITECTURES)
    common = dict(output="logistic", init_range=protocol.init_range)
    if arch == "rnn":
        target = cerg_network(protocol.replace(arch="vanilla")).n_weights
        return matched_rnn(N_SYMBOLS, N_SYMBOLS, target, trials=trials, seed=seed, **common)
    spec = _spec(arch, "none")
    if protocol.state_decay is not None:
        if arch != "vanilla":
            raise ValueError(f"{protocol.key}: a fixed state decay replaces the forget gate of the 1997 cell "
                             f"('vanilla'), not of {arch!r}")
        spec = spec.replace(forget="decay", state_decay=protocol.state_decay)
    biases = {"input_gate_bias": _blockwise(-0.5, 4), "output_gate_bias": _blockwise(-0.5, 4)}
    if spec.forget_gate:
        biases["forget_gate_bias"] = _blockwise(0.5, 4)
    return build(spec, N_SYMBOLS, N_SYMBOLS, 4, 2, trials=trials, seed=seed, output_from="cells+inputs",
                 biased=("gates", "outputs"), **biases, **common)
