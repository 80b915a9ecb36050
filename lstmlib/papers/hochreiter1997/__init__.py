"""Hochreiter & Schmidhuber (1997), Experiments 3-5: the noisy-recall chapter (``notebooks/noisy_recall.ipynb``).

* :mod:`.protocols`  every row of the paper's result tables, with its stopping rule and published numbers
* :mod:`.jobs`       the networks, the training and weight-growth jobs, and :func:`jobs_for`
* :mod:`.chapter`    summaries, verdicts, scorecard rows, table rows, sentences, trace statistics
* :mod:`.figures`    the chapter's figures and their captions
* :mod:`.gap`        the adding problem's growing gap, one explanation at a time (``scripts/adding_gap.py``)
"""

from . import chapter, figures, gap, jobs, protocols
from .chapter import (CHAPTER, FAMILY_TEXT, AddingTrace, ablation_sentence, adding_trace, best_trial, bias_text,
                      FLAT_CHECK, end_text, family_keys, flat_check_text, flat_text, read_flat_check, find_summary,
                      growth_series, lag_text, lstm_sentence, not_run_row, others_sentence, paper_cell, paper_text,
                      paper_wrong, plan_text, protocol_rows, protocol_text, results_rows, rnn_sentence, scale_label,
                      scorecard_html, scorecard_row, scorecard_rows, sentences, split_records, summarise, table_html,
                      table_records, trace_summary, trace_text, trained_protocols, verdict, wall_text)
from .figures import (CAPTIONS, GROWTH_TITLES, lag_caption, plot_adding_trace, plot_examples, plot_learning_curves,
                      plot_sequences_to_solution, plot_test_errors, plot_trace, plot_weight_growth, trace_caption)
from .jobs import (ABLATION_SUFFIX, FLAT_FRACTION, GROWTH_TRIALS, GROWTH_WEIGHTS, Job, WeightGrowthJob,
                   flat_check_jobs, flat_patience, jobs_for, lag_plan, network_for, network_from_record,
                   output_ablation_jobs, run_job, weight_growth, weight_growth_jobs)
from .protocols import FAMILIES, PROTOCOLS, RNN_LR_FACTOR, SCALES, TINY_T, Protocol, Stop, learning_rate, with_T

__all__ = [
    # submodules
    "chapter", "figures", "gap", "jobs", "protocols",
    # protocols
    "FAMILIES", "PROTOCOLS", "RNN_LR_FACTOR", "SCALES", "TINY_T", "Protocol", "Stop", "learning_rate", "with_T",
    # jobs
    "ABLATION_SUFFIX", "FLAT_FRACTION", "GROWTH_TRIALS", "GROWTH_WEIGHTS", "Job", "WeightGrowthJob", "flat_check_jobs",
    "flat_patience", "jobs_for", "lag_plan", "network_for", "network_from_record", "output_ablation_jobs", "run_job",
    "weight_growth", "weight_growth_jobs",
    # chapter
    "CHAPTER", "FAMILY_TEXT", "AddingTrace", "ablation_sentence", "adding_trace", "best_trial", "bias_text",
    "FLAT_CHECK", "end_text", "family_keys", "flat_check_text", "flat_text", "read_flat_check", "find_summary",
    "growth_series", "lag_text", "lstm_sentence", "not_run_row", "others_sentence", "paper_cell", "paper_text",
    "paper_wrong", "plan_text", "protocol_rows", "protocol_text", "results_rows", "rnn_sentence", "scale_label",
    "scorecard_html", "scorecard_row", "scorecard_rows", "sentences", "split_records", "summarise", "table_html",
    "table_records", "trace_summary", "trace_text", "trained_protocols", "verdict", "wall_text",
    # figures
    "CAPTIONS", "GROWTH_TITLES", "lag_caption", "plot_adding_trace", "plot_examples", "plot_learning_curves",
    "plot_sequences_to_solution", "plot_test_errors", "plot_trace", "plot_weight_growth", "trace_caption",
]
