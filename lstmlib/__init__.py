"""lstmlib: the LSTM architectures of the classic long-range papers, from one set of equations."""

from .spec import ARCHITECTURES, ArchSpec, get_spec
from .layout import Layout
from .network import Network, build
from .data import Batch
from . import experiment, gs01, hs97, languages, protocols, report, results, tasks
from .training import OPTIMIZERS, SGD, Adam, History, Momentum, Trainer, train
from .online import OnlineLearner, StreamResult

__version__ = "0.1.0"
__all__ = ["ARCHITECTURES", "OPTIMIZERS", "Adam", "ArchSpec", "Batch", "History", "Layout", "Momentum", "Network",
           "OnlineLearner", "SGD", "StreamResult", "Trainer", "build", "experiment", "get_spec", "gs01", "hs97",
           "languages", "protocols", "report", "results", "tasks", "train"]
