"""Graves (2012), §4.6: the forward and backward equations beside the reference code
(``notebooks/equations.ipynb``).

``protocols``: the chapter's rows (the §4.6 equations and the weight counts the papers print, with
their tags) and scales; ``jobs``: one job per preset, the reference against both engines; ``chapter``:
the tables, sentences, verdicts, scorecard rows and figures."""

from . import chapter, jobs, protocols
from .chapter import (CAPTIONS, CLAIM, VERDICTS, count_rows, count_table, difference_table, equation_rows,
                      equations_markdown, nn_lstm_check, plot_counts, plot_differences, preset_table, scale_text,
                      scorecard_rows, scorecard_table, sentences)
from .jobs import EquationsJob, jobs_for
from .protocols import PROTOCOLS, SCALES, WEIGHT_COUNTS

__all__ = ["CAPTIONS", "CLAIM", "PROTOCOLS", "SCALES", "VERDICTS", "WEIGHT_COUNTS", "EquationsJob", "chapter",
           "count_rows", "count_table", "difference_table", "equation_rows", "equations_markdown", "jobs", "jobs_for",
           "nn_lstm_check", "plot_counts", "plot_differences", "preset_table", "protocols", "scale_text",
           "scorecard_rows", "scorecard_table", "sentences"]
