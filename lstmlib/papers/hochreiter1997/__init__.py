"""Hochreiter & Schmidhuber (1997), Experiments 3-5: the noisy-recall chapter (``notebooks/noisy_recall.ipynb``)."""

from . import chapter, jobs, protocols
from .jobs import Job, jobs_for, lag_plan, network_for, network_from_record, run_job, weight_growth
from .protocols import FAMILIES, PROTOCOLS, RNN_LR_FACTOR, SCALES, Protocol, Stop, learning_rate, with_T
