"""Gers, Schraudolph & Schmidhuber (2002), counting and timing: the timing chapter (``notebooks/timing.ipynb``).

``protocols``: the paper's rows with their tags, the learning rules, scales and architectures;
``jobs``: the networks and the stream-by-stream jobs; ``chapter``: what the chapter computes and shows
from the records; ``figures``: its plots."""

from . import chapter, figures, jobs, protocols
from .chapter import (CAPTIONS, TRACES, best_trial, claim_verdict, export_traces, protocol_table, results_table,
                      rule_check_rows, rule_check_sentence, scale_text, scorecard_rows, scorecard_table, sentences,
                      split_rule_checks, summarise, summary_of, trace_figure)
from ...study.figures import plot_not_run
from .figures import plot_event_curves, plot_examples, plot_stream_trace, plot_streams_to_solution
from .jobs import (RULE_CHECK_ROW, TimingJob, events_on, is_rule_check, jobs_for, network_for, network_from_record,
                   protocols_of, rule_check_jobs, run_job)
from .protocols import DEFAULT_BUDGET, LABELS, PROTOCOLS, RULES, SCALES, TIMING_ARCHITECTURES, TimingProtocol

__all__ = [
    "CAPTIONS", "DEFAULT_BUDGET", "LABELS", "PROTOCOLS", "RULES", "RULE_CHECK_ROW", "SCALES", "TIMING_ARCHITECTURES",
    "TRACES", "TimingJob", "TimingProtocol", "best_trial", "chapter", "claim_verdict", "events_on", "export_traces",
    "figures", "is_rule_check", "jobs", "jobs_for", "network_for", "network_from_record", "plot_event_curves",
    "plot_examples", "plot_not_run", "plot_stream_trace", "plot_streams_to_solution", "protocol_table",
    "protocols", "protocols_of", "results_table", "rule_check_jobs", "rule_check_rows", "rule_check_sentence",
    "run_job", "scale_text", "scorecard_rows", "scorecard_table", "sentences", "split_rule_checks", "summarise",
    "summary_of", "trace_figure",
]
