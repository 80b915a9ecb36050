"""Gers & Schmidhuber (2001), aⁿbⁿ and aⁿbⁿcⁿ: the languages chapter (``notebooks/languages.ipynb``).

``protocols`` (the protocol table with its tags, scales, Greff et al. and learning-rule variants), ``jobs``
(networks, :class:`LanguageJob`, :func:`jobs_for`), ``chapter`` (summaries, verdicts, scorecard rows,
tables and sentences) and ``figures`` (the chapter's figures and captions); ``thesis`` (the protocol of
Pérez-Ortiz's 2002 thesis, which follows the paper: network, rules, jobs, its published tables) and
``thesis_chapter`` (its scales, results table and scorecard rows)."""

from . import chapter, figures, jobs, protocols, thesis, thesis_chapter
from .chapter import claim_verdict, ours_text, scorecard_rows, summarise
from .jobs import PARTS, LanguageJob, jobs_for, network_for, network_from_record, networks_from_record, run_job
from .protocols import (GREFF_VARIANTS, OPTIMIZER_NAMES, PROTOCOLS, SCALES, SCAN_TO, LanguageProtocol,
                        learning_rule_variants)

__all__ = ["GREFF_VARIANTS", "OPTIMIZER_NAMES", "PARTS", "PROTOCOLS", "SCALES", "SCAN_TO", "LanguageJob",
           "LanguageProtocol", "chapter", "claim_verdict", "figures", "jobs", "jobs_for", "learning_rule_variants",
           "network_for", "network_from_record", "networks_from_record", "ours_text", "protocols", "run_job",
           "scorecard_rows", "summarise", "thesis", "thesis_chapter"]
