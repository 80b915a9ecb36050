"""Computing the gradient (``notebooks/gradients.ipynb``): exact BPTT, the 1997 truncated gradient computed
backward and forward in time, and full RTRL (:mod:`lstmlib.engines.rtrl`); their cost, the numerical gradient
check (:mod:`lstmlib.engines.gradcheck`), the agreement of the truncated with the exact gradient, and learning
with each.

``protocols``: the learning rows with the papers' statements and the scales; ``jobs``: the measurements and
the learning jobs; ``chapter``: summaries, verdicts, tables, sentences and scorecard rows; ``figures``: the
plots."""

from . import chapter, figures, jobs, protocols
from .chapter import (CAPTIONS, CLAIM, MEASURES, VERDICTS, check_table, learning_table, permutation_p,
                      published_rows, scale_text, scorecard_rows, scorecard_table, sentences, summarise)
from .figures import plot_agreement, plot_checks, plot_cost, plot_learning
from .jobs import jobs_for
from .protocols import PROTOCOLS, SCALES

__all__ = ["CAPTIONS", "CLAIM", "MEASURES", "PROTOCOLS", "SCALES", "VERDICTS", "chapter", "check_table", "figures",
           "jobs", "jobs_for", "learning_table", "permutation_p", "plot_agreement", "plot_checks", "plot_cost",
           "plot_learning", "protocols", "published_rows", "scale_text", "scorecard_rows", "scorecard_table",
           "sentences", "summarise"]
