"""Optimisers: each is a frozen dataclass of hyper-parameters with a ``code`` the compiled engine's
update step reads (:data:`lstmlib.engines.kernels.OPT_CODES`) and ``hyper()``, the five numbers it
passes (lr, momentum, beta1, beta2, eps)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_positive


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent, w -= lr * g (the papers' online rule when batch_size = 1)."""
    lr: float
    code = "sgd"

    def __post_init__(self):
        check_positive("lr", self.lr)

    def hyper(self):
        return np.array([self.lr, 0.0, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class Momentum:
    """Gradient descent with momentum: v = momentum * v - lr * g; w += v."""
    lr: float
    momentum: float = 0.9
    code = "momentum"

    def __post_init__(self):
        check_positive("lr", self.lr)
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {self.momentum!r}")

    def hyper(self):
        return np.array([self.lr, self.momentum, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba 2015) with bias correction."""
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    code = "adam"

    def __post_init__(self):
        check_positive("lr", self.lr)
        check_positive("eps", self.eps)
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must lie in [0, 1), got {getattr(self, name)!r}")

    def hyper(self):
        return np.array([self.lr, 0.0, self.beta1, self.beta2, self.eps])


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
