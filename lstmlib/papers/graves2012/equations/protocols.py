"""The equations chapter's rows: Graves' (2012, §4.6) equations, run against both engines, and the weight
counts that the 1997-2002 papers print for their networks, each with its tag and connectivity.

Graves' notation and equations are read from secondary sources [S] (``experiments.md`` §6: only the
book's front matter could be read; the equation set is the one widely reproduced).  The 1997 counts are
Table 10 of Hochreiter & Schmidhuber, read in the paper [P]; the Gers 2000 CERG count (424) and the
Gers 2002 timing net's (about 17) come from a reading note [S], their topologies from quoted text
(2000) or secondary notes (2002).  Every count of ours is derived from the equations
(:func:`lstmlib.model.counts.weight_groups`) for the connectivity the paper states.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...._checks import check_choice
from ....model.spec import ARCHITECTURES, ArchSpec

#: The bound the reference and the engines must agree to in float64 (the tests' bound).
TOLERANCE = 1e-12


@dataclass(frozen=True)
class WeightCount:
    """A weight count a paper prints, with the network it counts as the library builds it."""

    key: str
    paper: str  # bibliography key
    where: str  # table or section
    experiment: str
    printed: int
    tag: str
    spec: ArchSpec
    n_inputs: int
    n_outputs: int
    n_blocks: int
    cells_per_block: int
    output_from: str
    biased: tuple
    connectivity: str  # the paper's connectivity, in words

    @property
    def title(self) -> str:
        return f"{self.experiment}: weights"

    @property
    def topology(self) -> str:
        return (f"{self.n_inputs} in, {self.n_blocks} × {self.cells_per_block} cells, {self.n_outputs} out "
                f"({self.spec.name})")


def _h97(key, experiment, printed, I, O, B, n, biased, spec=None, output_from="cells",
         connectivity="F: cells and gates read the inputs, the cells and the gates; the outputs read the cells"):
    """A row of Table 10 of H&S 1997 (connectivity F unless given), the 1997 cell: ``vanilla``."""
    return WeightCount(key, "hochreiter1997", "Table 10", experiment, printed, "P", spec or ARCHITECTURES["vanilla"],
                       I, O, B, n, output_from, biased, connectivity)


#: The counts, in the order of the papers.
WEIGHT_COUNTS = {c.key: c for c in (
    _h97("h97_exp1_4x1", "H&S 1997 Exp. 1 (embedded Reber), 4 blocks × 1", 264, 7, 7, 4, 1, ("gates",)),
    _h97("h97_exp1_3x2", "H&S 1997 Exp. 1 (embedded Reber), 3 blocks × 2", 276, 7, 7, 3, 2, ("gates",)),
    _h97("h97_exp2a", "H&S 1997 Exp. 2a/2b (noise-free sequences, p = 100)", 10504, 101, 101, 1, 1, (),
         spec=ARCHITECTURES["vanilla"].replace(output_gate=False, gate_recurrence="none"),
         output_from="cells+inputs",
         connectivity="B: each layer reads all layers below (cell and input gate: the inputs only; outputs: "
                      "inputs and cell); no output gate, no biases"),
    _h97("h97_exp2c_p50", "H&S 1997 Exp. 2c (very long lags), p = 50", 364, 54, 2, 2, 1, ()),
    _h97("h97_exp2c_p1000", "H&S 1997 Exp. 2c (very long lags), p = 1000", 6064, 1004, 2, 2, 1, ()),
    _h97("h97_exp3", "H&S 1997 Exp. 3 (2-sequence problem)", 102, 1, 1, 3, 1, ("cells", "gates")),
    _h97("h97_exp4", "H&S 1997 Exp. 4/5 (adding, multiplication)", 93, 2, 1, 2, 2, ("cells", "gates", "outputs")),
    _h97("h97_exp6a", "H&S 1997 Exp. 6a (temporal order)", 156, 8, 4, 2, 2, ("cells", "gates", "outputs")),
    _h97("h97_exp6b", "H&S 1997 Exp. 6b (temporal order)", 308, 8, 8, 3, 2, ("cells", "gates", "outputs")),
    WeightCount("g00_cerg", "gers2000", "§4 (CERG)", "Gers 2000 continual embedded Reber grammar", 424, "S",
                ARCHITECTURES["forget"].replace(gate_recurrence="none"), 7, 7, 4, 2, "cells+inputs",
                ("gates", "outputs"),
                "quoted [P-q]: inputs to the hidden layer; cell outputs to cell inputs, all gates and the outputs; "
                "input-to-output shortcuts; gates and outputs biased"),
    WeightCount("g02_timing", "gers2002", "§4 (network)", "Gers 2002 timing network (peephole LSTM)", 17, "S",
                ARCHITECTURES["peephole"].replace(cell_input="identity", cell_output="identity"), 1, 1, 1, 1,
                "cells", ("cells", "gates", "outputs"),
                "secondary notes [S]: the cell input and the gates read the input, the cell output and a bias; "
                "peepholes; the output reads the cell output and a bias"),
)}

#: The §4.6 row: Graves' equations against the library's reference implementation and both engines.
EQUATIONS_ROW = "graves_4_6"
EQUATIONS_TITLE = "Graves 2012 §4.6: forward and backward equations"

#: What each scale runs: random networks per preset (``trials``), sequences per network (``batch``)
#: and their length (``steps``), on ``blocks`` × ``cells`` memory blocks.
SCALES = {
    "tiny": dict(trials=1, batch=2, steps=4, blocks=1, cells=2),
    "default": dict(trials=2, batch=3, steps=8, blocks=2, cells=2),
    "paper": dict(trials=4, batch=8, steps=30, blocks=3, cells=2),
}
#: The engines and gradient modes compared with the reference.
ENGINES = ("numba", "torch")
GRADIENT_MODES = ("exact", "truncated")
#: The output layers and losses each network is run with: both losses of the library.
LOSS_SETTINGS = (("linear", "mse"), ("softmax", "ce"))

#: Every row of the chapter (the Published page lists them): the equations, then each count.
PROTOCOLS = {EQUATIONS_ROW: EQUATIONS_TITLE, **{k: c.title for k, c in WEIGHT_COUNTS.items()}}


def check_scale(scale) -> dict:
    check_choice("scale", scale, SCALES)
    return SCALES[scale]
