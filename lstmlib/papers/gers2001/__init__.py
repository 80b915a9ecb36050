"""Gers & Schmidhuber (2001), aⁿbⁿ and aⁿbⁿcⁿ: the languages chapter (``notebooks/languages.ipynb``)."""

from . import chapter, protocols
from .protocols import *  # noqa: F403  (the protocol table, jobs and scorecard of the paper)
