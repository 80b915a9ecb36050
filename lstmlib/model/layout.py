"""Parameter layout shared by every engine: which units exist, what feeds them, what is named how.

Three packed arrays hold all weights of ``K`` independent trials:

* ``hidden``   ``[K, R, N_src]``: row r is one net input (cell inputs first, then the input, forget
  and output gates of each block); its columns are the sources ``[1, x(t), y(t-1), gates(t-1)]``.
* ``peephole`` ``[K, 3, C]``: peephole weight of each cell to its block's input, forget, output gate.
* ``output``   ``[K, O, N_out]``: output layer over ``[1, y(t), x(t)]`` (x only with ``output_from="cells+inputs"``).

Connections that do not exist in an architecture (a bias a unit does not have, a gate recurrence,
peepholes) are fixed zeros: ``mask`` arrays mark the free ones.  Named views such as
``"input_gate.x"`` or ``"output.cells"`` address blocks of these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._checks import check_count
from .spec import ArchSpec

OUTPUT_ACTIVATIONS = ("linear", "logistic", "logistic2", "softmax")
OUTPUT_SOURCES = ("cells", "cells+inputs")
BIASABLE = ("cells", "gates", "outputs")
GATE_ROWS = ("input_gate", "forget_gate", "output_gate")


@dataclass(frozen=True)
class Layout:
    """Sizes, row/column offsets and masks of one network (identical for all its trials)."""

    #: The architecture: which gates, peepholes, squashing and recurrence (one of the presets or a variant).
    spec: ArchSpec
    #: Input units, output units, memory blocks and cells per block (all positive).
    n_inputs: int
    n_outputs: int
    n_blocks: int
    cells_per_block: int
    #: What the output layer reads: the cell outputs, or the cell outputs and the inputs (``OUTPUT_SOURCES``).
    output_from: str = "cells"
    #: Which kinds of unit have a bias weight (a subset of ``BIASABLE``).
    biased: tuple = BIASABLE
    #: Derived: the rows of the hidden weight matrix per unit kind (``"cell"`` and each gate present).
    rows: dict = field(init=False)
    #: Derived: the columns of the sources vector u(t) per source kind.
    sources: dict = field(init=False)

    def __post_init__(self):
        for name in ("n_inputs", "n_outputs", "n_blocks", "cells_per_block"):
            check_count(name, getattr(self, name))
        if self.output_from not in OUTPUT_SOURCES:
            raise ValueError(f"unknown output_from {self.output_from!r}; valid: {list(OUTPUT_SOURCES)}")
        biased = (self.biased,) if isinstance(self.biased, str) else tuple(self.biased)
        bad = [b for b in biased if b not in BIASABLE]
        if bad:
            raise ValueError(f"unknown biased unit kind(s) {bad}; valid: {list(BIASABLE)}")
        object.__setattr__(self, "biased", tuple(b for b in BIASABLE if b in biased))
        spec, C, B = self.spec, self.n_cells, self.n_blocks
        rows, r = {"cell": slice(0, C)}, C
        for name, present in zip(GATE_ROWS, (spec.input_gate, spec.forget_gate, spec.output_gate)):
            if present:
                rows[name] = slice(r, r + B)
                r += B
        object.__setattr__(self, "rows", rows)
        I = self.n_inputs
        sources = {"bias": slice(0, 1), "x": slice(1, 1 + I), "cells": slice(1 + I, 1 + I + C)}
        if spec.gate_recurrence != "none":
            sources["gates"] = slice(1 + I + C, 1 + I + C + self.n_gate_units)
        object.__setattr__(self, "sources", sources)

    # sizes ----------------------------------------------------------------------------------
    @property
    def n_cells(self) -> int:
        return self.n_blocks * self.cells_per_block

    @property
    def n_gate_units(self) -> int:
        return self.n_rows - self.n_cells

    @property
    def n_rows(self) -> int:
        return max(s.stop for s in self.rows.values())

    @property
    def n_sources(self) -> int:
        return max(s.stop for s in self.sources.values())

    @property
    def n_output_sources(self) -> int:
        return 1 + self.n_cells + (self.n_inputs if self.output_from == "cells+inputs" else 0)

    def row_offset(self, name) -> int:
        """First row of a unit group, or -1 if the architecture has no such unit."""
        return self.rows[name].start if name in self.rows else -1

    # masks ----------------------------------------------------------------------------------
    def masks(self):
        """0/1 arrays marking the free (trainable) entries of ``hidden``, ``peephole``, ``output``
        (computed once; read-only)."""
        if "_masks" not in self.__dict__:
            masks = self._compute_masks()
            for m in masks.values():
                m.setflags(write=False)
            object.__setattr__(self, "_masks", masks)
        return self.__dict__["_masks"]

    def _compute_masks(self):
        spec = self.spec
        hidden = np.ones((self.n_rows, self.n_sources))
        if "cells" not in self.biased:
            hidden[self.rows["cell"], 0] = 0.0
        if "gates" not in self.biased:
            hidden[self.n_cells:, 0] = 0.0
        if spec.gate_recurrence == "gates":  # FGR: only the gates see the gates
            hidden[self.rows["cell"], self.sources["gates"]] = 0.0
        peephole = np.zeros((3, self.n_cells))
        if spec.peepholes:
            for g, name in enumerate(GATE_ROWS):
                if name in self.rows:
                    peephole[g] = 1.0
        output = np.ones((self.n_outputs, self.n_output_sources))
        if "outputs" not in self.biased:
            output[:, 0] = 0.0
        return {"hidden": hidden, "peephole": peephole, "output": output}

    def n_weights(self) -> int:
        """Number of trainable weights of one trial (biases and peepholes included)."""
        return int(sum(m.sum() for m in self.masks().values()))

    # names ----------------------------------------------------------------------------------
    def names(self) -> dict:
        """Name -> (packed array, index) for every named block that has a free weight."""
        masks = self.masks()
        out = {}
        out_src = {"bias": slice(0, 1), "cells": slice(1, 1 + self.n_cells)}
        if self.output_from == "cells+inputs":
            out_src["x"] = slice(1 + self.n_cells, self.n_output_sources)
        for row, rs in self.rows.items():
            for src, cs in self.sources.items():
                if masks["hidden"][rs, cs].any():
                    out[f"{row}.{src}"] = ("hidden", (rs, cs))
            if row != "cell" and self.spec.peepholes:
                out[f"{row}.peephole"] = ("peephole", (GATE_ROWS.index(row), slice(None)))
        for src, cs in out_src.items():
            if masks["output"][:, cs].any():
                out[f"output.{src}"] = ("output", (slice(None), cs))
        return out


def initialise(layout: Layout, trials: int, rng: np.random.Generator, init_range: float,
               gate_biases: dict, dtype) -> dict:
    """Uniform weights in [-init_range, init_range]; chosen gate biases per block; masked entries 0."""
    K = check_count("trials", trials)
    if not (np.isfinite(init_range) and init_range >= 0):
        raise ValueError(f"init_range must be a finite number >= 0, got {init_range!r}")
    masks = layout.masks()
    params = {}
    for name in ("hidden", "peephole", "output"):
        shape = (K,) + masks[name].shape
        params[name] = (rng.uniform(-init_range, init_range, size=shape) * masks[name]).astype(dtype)
    for gate, value in gate_biases.items():
        if value is None:
            continue
        if gate not in layout.rows:
            raise ValueError(f"{gate}_bias given but architecture {layout.spec.name!r} has no {gate}")
        if "gates" not in layout.biased:
            raise ValueError(f"{gate}_bias given but gates have no biases (biased={layout.biased})")
        value = np.broadcast_to(np.asarray(value, dtype=float), (layout.n_blocks,)) \
            if np.ndim(value) == 0 else np.asarray(value, dtype=float)
        if value.shape != (layout.n_blocks,):
            raise ValueError(f"{gate}_bias needs one value per block ({layout.n_blocks}), got {value.shape}")
        params["hidden"][:, layout.rows[gate], 0] = value
    return params
