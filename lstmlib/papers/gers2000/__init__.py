"""Learning to forget (H&S 1997 Exp. 1, Gers et al. 2000): the forgetting chapter (``notebooks/forgetting.ipynb``).

``protocols``: the rows of H&S 1997 Table 1 (ERG) and of Gers 2000 Table 2 (CERG) with their published
numbers, and the networks; ``erg_jobs`` and ``cerg_jobs``: the jobs of the two experiments; ``chapter``:
what the chapter computes and shows from the records; ``figures``: its plots; ``protocol_check``: the
second-hand CERG readings beside the chapter's (``scripts/cerg_protocol_check.py``)."""

from . import cerg_jobs, chapter, erg_jobs, figures, protocol_check, protocols
from .chapter import (CAPTIONS, TRACES, VERDICTS, best_cerg_trial, cerg_protocol_rows, cerg_results_rows,
                      cerg_verdict, erg_protocol_rows, erg_published_rows, erg_results_rows, erg_verdict,
                      export_traces, jobs_for, published_rows, rescore, scale_text, scorecard_rows, scorecard_table,
                      sentences, split_records, summarise, summarise_cerg, summarise_erg, summary_of, table_html,
                      trace_figure)
from .figures import plot_cerg_lengths, plot_cerg_trace, plot_erg_curves, plot_erg_strings, plot_not_run
from .protocols import (CERG_PROTOCOLS, ERG_PROTOCOLS, ERG_PUBLISHED, FORGET_ARCHITECTURES, CERGProtocol,
                        ERGProtocol, cerg_network, erg_network)

#: Every row of the chapter, Exp. 1's then CERG's, by key (the "Published numbers" page lists them).
PROTOCOLS = {**ERG_PROTOCOLS, **CERG_PROTOCOLS}

__all__ = [
    "CAPTIONS", "CERGProtocol", "CERG_PROTOCOLS", "ERGProtocol", "ERG_PROTOCOLS", "ERG_PUBLISHED",
    "FORGET_ARCHITECTURES", "PROTOCOLS", "TRACES", "VERDICTS", "best_cerg_trial", "cerg_jobs",
    "cerg_network", "cerg_protocol_rows", "cerg_results_rows", "cerg_verdict", "chapter", "erg_jobs", "erg_network",
    "erg_protocol_rows", "erg_published_rows", "erg_results_rows", "erg_verdict", "export_traces", "figures",
    "jobs_for", "plot_cerg_lengths", "plot_cerg_trace", "plot_erg_curves", "plot_erg_strings", "plot_not_run",
    "protocol_check", "protocols", "published_rows", "rescore", "scale_text", "scorecard_rows", "scorecard_table",
    "sentences", "split_records", "summarise", "summarise_cerg", "summarise_erg", "summary_of", "table_html",
    "trace_figure",
]
