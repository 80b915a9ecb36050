"""Training: optimisers, the minibatch trainer, the online learner and the Kalman filter (DEKF) over K trials, and
stopping rules."""

from .dekf import DEKF, DEKFLearner, DEKFResult
from .online import OnlineLearner, StreamResult
from .optimisers import OPTIMIZERS, SGD, Adam, Momentum
from .stopping import FlatCurveRule, RandomTestSetRule, RecentSequencesRule, evaluate
from .trainer import History, Trainer, track_weights, train

__all__ = ["DEKF", "OPTIMIZERS", "SGD", "Adam", "DEKFLearner", "DEKFResult", "FlatCurveRule", "History", "Momentum",
           "OnlineLearner", "RandomTestSetRule", "RecentSequencesRule", "StreamResult", "Trainer", "evaluate",
           "track_weights", "train"]
