"""The vanishing gradient (``notebooks/vanishing_gradient.ipynb``): the sensitivity of a network's output to
its past inputs (:mod:`lstmlib.engines.sensitivity`) in the plain RNN and the three LSTMs, random and
trained; Hochreiter's bound against the measured error flow; and what it means for learning: success
against the minimal lag on H&S 1997 Exp. 2c (:class:`lstmlib.tasks.lags.LongLag`), with random weight
guessing (:func:`lstmlib.training.guessing.random_guessing`) as the baseline.

``protocols``: the settings, the papers' statements and the scales; ``jobs``: the measurements, the learning
and guessing jobs; ``chapter``: summaries, verdicts, tables, sentences and scorecard rows; ``figures``: the
plots."""

from . import chapter, figures, jobs, protocols
from .chapter import (CAPTIONS, CLAIM, VERDICTS, learning_table, published_rows, scale_text, scorecard_rows,
                      scorecard_table, sentences, summarise)
from .figures import plot_bound, plot_learning, plot_map, plot_sensitivity, plot_trained
from .jobs import jobs_for
from .protocols import PROTOCOLS, SCALES

__all__ = ["CAPTIONS", "CLAIM", "PROTOCOLS", "SCALES", "VERDICTS", "chapter", "figures", "jobs", "jobs_for",
           "learning_table", "plot_bound", "plot_learning", "plot_map", "plot_sensitivity", "plot_trained",
           "protocols", "published_rows", "scale_text", "scorecard_rows", "scorecard_table", "sentences",
           "summarise"]
