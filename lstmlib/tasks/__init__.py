"""Task generators, one module per family (imports nothing above :mod:`lstmlib._checks`):
``recall`` (H&S 1997 Exp. 3-5: two-sequence, adding, multiplication), ``languages`` (counting
languages aⁿbⁿ, aⁿbⁿcⁿ, ...), ``reber`` (the embedded Reber grammar and its continual stream: H&S 1997
Exp. 1, Gers et al. 2000) and ``timing`` (Gers et al. 2002: MSD, GTS, PFG streams)."""

from . import languages, recall, reber, timing

__all__ = ["languages", "recall", "reber", "timing"]
