"""lstmlib: the LSTM architectures of the classic long-range papers, from one set of equations.

Layers, each importing only those before it (``tests/test_architecture.py`` enforces this):

* :mod:`lstmlib.model`     what a network is: spec, layout, network, batch (numpy only)
* :mod:`lstmlib.engines`   how it is computed: compiled kernels, torch, online RTRL
* :mod:`lstmlib.training`  optimisers, the trainer, stopping rules
* :mod:`lstmlib.tasks`     task generators by family (independent of the rest)
* :mod:`lstmlib.study`     jobs and runner, results files, figure helpers
* :mod:`lstmlib.papers`    one package per paper (bib key): protocols, jobs, chapter
"""

from . import engines, model, papers, study, tasks, training  # importing engines registers them with Network
from ._version import __version__
from .model import ARCHITECTURES, ArchSpec, Batch, Layout, Network, build, get_spec
from .training import (DEKF, OPTIMIZERS, SGD, Adam, DEKFLearner, History, Momentum, OnlineLearner, StreamResult,
                       Trainer, train)

__all__ = ["ARCHITECTURES", "DEKF", "OPTIMIZERS", "Adam", "ArchSpec", "Batch", "DEKFLearner", "History", "Layout",
           "Momentum", "Network",
           "OnlineLearner", "SGD", "StreamResult", "Trainer", "build", "engines", "get_spec", "model", "papers",
           "study", "tasks", "train", "training"]
