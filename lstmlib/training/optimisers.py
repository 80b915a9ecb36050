"""Optimisers: each is a frozen dataclass of hyper-parameters with a ``code`` the compiled engine's
update step reads (:data:`lstmlib.engines.kernels.OPT_CODES`) and ``hyper()``, the six numbers it
passes (lr, momentum, beta1, beta2, eps, clip norm).

Every optimiser takes ``clip_norm`` (default None: no clipping): before each step, a trial whose
gradient has an L2 norm above ``clip_norm`` (over all of its free parameters together, as
``torch.nn.utils.clip_grad_norm_`` takes it over a model's parameters) has its gradient multiplied by
``clip_norm / norm``.  Each trial is clipped on its own norm (the trials are independent networks).
The engine's minibatch trainer (:class:`lstmlib.Trainer`, :func:`lstmlib.train`) applies it; the
online learner refuses it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_positive


def _check_clip(value):
    if value is None:
        return
    try:
        check_positive("clip_norm", value)
    except ValueError:
        raise ValueError(f"clip_norm must be None or a finite number > 0, got {value!r}") from None


def _clip(value) -> float:
    return 0.0 if value is None else float(value)  # 0: no clipping, as the engine reads it


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent, w -= lr * g (the papers' online rule when batch_size = 1)."""
    lr: float
    clip_norm: float | None = None
    code = "sgd"

    def __post_init__(self):
        check_positive("lr", self.lr)
        _check_clip(self.clip_norm)

    def hyper(self):
        return np.array([self.lr, 0.0, 0.0, 0.0, 0.0, _clip(self.clip_norm)])


@dataclass(frozen=True)
class Momentum:
    """Gradient descent with momentum: v = momentum * v - lr * g; w += v."""
    lr: float
    momentum: float = 0.9
    clip_norm: float | None = None
    code = "momentum"

    def __post_init__(self):
        check_positive("lr", self.lr)
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {self.momentum!r}")
        _check_clip(self.clip_norm)

    def hyper(self):
        return np.array([self.lr, self.momentum, 0.0, 0.0, 0.0, _clip(self.clip_norm)])


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba 2015) with bias correction."""
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    clip_norm: float | None = None
    code = "adam"

    def __post_init__(self):
        check_positive("lr", self.lr)
        check_positive("eps", self.eps)
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must lie in [0, 1), got {getattr(self, name)!r}")
        _check_clip(self.clip_norm)

    def hyper(self):
        return np.array([self.lr, 0.0, self.beta1, self.beta2, self.eps, _clip(self.clip_norm)])


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
