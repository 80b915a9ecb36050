"""Training: optimisers, the minibatch trainer and the online learner over K trials, and stopping rules."""

from .online import OnlineLearner, StreamResult
from .optimisers import OPTIMIZERS, SGD, Adam, Momentum
from .stopping import FlatCurveRule, RandomTestSetRule, RecentSequencesRule, evaluate
from .trainer import History, Trainer, track_weights, train

__all__ = ["OPTIMIZERS", "SGD", "Adam", "FlatCurveRule", "History", "Momentum", "OnlineLearner", "RandomTestSetRule",
           "RecentSequencesRule", "StreamResult", "Trainer", "evaluate", "track_weights", "train"]
