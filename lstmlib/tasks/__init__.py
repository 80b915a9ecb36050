"""Task generators, one module per family (imports nothing above :mod:`lstmlib._checks`):
``recall`` (H&S 1997 Exp. 3-5: two-sequence, adding, multiplication), ``languages`` (counting
languages aⁿbⁿ, aⁿbⁿcⁿ, ...) and ``timing`` (Gers et al. 2002: MSD, GTS, PFG streams)."""

from . import languages, recall, timing

__all__ = ["languages", "recall", "timing"]
