"""Gers, Schraudolph & Schmidhuber (2002), counting and timing: the timing chapter (``notebooks/timing.ipynb``)."""

from . import chapter, protocols
from .protocols import *  # noqa: F403  (the protocol table, jobs and scorecard of the paper)
