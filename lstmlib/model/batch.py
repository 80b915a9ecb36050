"""Batches of sequences for K trials: validation and normalisation (every engine reads a :class:`Batch`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Batch:
    """Normalised batch for ``trials`` networks: every array has ``[trials, batch, ...]`` first.

    x [K, B, T, I]; lengths [K, B] (1..T); target [K, B, T, O]; weights [K, B, T] (loss weight of
    each step, 0 past a sequence's end)."""

    x: np.ndarray
    lengths: np.ndarray
    target: np.ndarray
    weights: np.ndarray

    @classmethod
    def make(cls, net, x, target=None, lengths=None, loss_at="end") -> Batch:
        K, I, O = net.trials, net.layout.n_inputs, net.layout.n_outputs
        x = np.asarray(x, dtype=float)
        if x.ndim == 3:  # the same data for every trial
            x = np.broadcast_to(x, (K,) + x.shape)
        if x.ndim != 4 or x.shape[0] != K or x.shape[3] != I:
            raise ValueError(f"x must have shape [trials={K}, batch, time, inputs={I}] "
                             f"(or [batch, time, inputs]), got {np.shape(x)}")
        _, B, T, _ = x.shape
        if B < 1 or T < 1:
            raise ValueError(f"x needs at least one sequence and one time step, got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("x contains non-finite values")
        if lengths is None:
            lengths = np.full((K, B), T, dtype=np.int64)
        else:
            lengths = np.asarray(lengths)
            if lengths.ndim == 1:
                lengths = np.broadcast_to(lengths, (K,) + lengths.shape)
            if lengths.shape != (K, B) or not np.issubdtype(lengths.dtype, np.integer):
                raise ValueError(f"lengths must be integers of shape [trials={K}, batch={B}] (or [batch]), "
                                 f"got {lengths.dtype} {lengths.shape}")
            if lengths.min() < 1 or lengths.max() > T:
                raise ValueError(f"lengths must lie in [1, T={T}], got [{lengths.min()}, {lengths.max()}]")
            lengths = lengths.astype(np.int64)
        valid = np.arange(T)[None, None, :] < lengths[:, :, None]  # [K, B, T]
        if target is None:
            return cls(x, lengths, np.zeros((K, B, T, O)), np.zeros((K, B, T)))
        target = np.asarray(target, dtype=float)
        if isinstance(loss_at, str) and loss_at == "end":
            if target.ndim == 2:
                target = np.broadcast_to(target, (K,) + target.shape)
            if target.shape != (K, B, O):
                raise ValueError(f"with loss_at='end' target must have shape [trials={K}, batch={B}, "
                                 f"outputs={O}], got {target.shape}")
            weights = (np.arange(T)[None, None, :] == (lengths - 1)[:, :, None]).astype(float)
            full = np.zeros((K, B, T, O))
            full[weights.astype(bool)] = target.reshape(K * B, O)
            target = full
        else:
            if target.ndim == 3:
                target = np.broadcast_to(target, (K,) + target.shape)
            if target.shape != (K, B, T, O):
                raise ValueError(f"target must have shape [trials={K}, batch={B}, time={T}, outputs={O}], "
                                 f"got {target.shape}")
            if isinstance(loss_at, str):
                if loss_at != "every":
                    raise ValueError(f"unknown loss_at {loss_at!r}; valid: 'end', 'every' or an array of "
                                     "loss weights [trials, batch, time]")
                weights = valid.astype(float)
            else:
                weights = np.asarray(loss_at, dtype=float)
                if weights.ndim == 2:
                    weights = np.broadcast_to(weights, (K,) + weights.shape)
                if weights.shape != (K, B, T):
                    raise ValueError(f"loss weights must have shape [trials={K}, batch={B}, time={T}], "
                                     f"got {weights.shape}")
                if np.any(weights < 0) or not np.all(np.isfinite(weights)):
                    raise ValueError("loss weights must be finite and >= 0")
                if np.any(weights[~valid] != 0):
                    raise ValueError("loss weights must be 0 past each sequence's length")
        if not np.all(np.isfinite(target)):
            raise ValueError("target contains non-finite values")
        return cls(x, lengths, np.ascontiguousarray(target), np.ascontiguousarray(weights))


def outputs_at_end(y, lengths) -> np.ndarray:
    """Each sequence's output at its last step: ``y [trials, n, time, outputs]`` (as from
    :meth:`lstmlib.Network.forward`) and ``lengths [trials, n]`` -> ``[trials, n, outputs]``."""
    y = np.asarray(y)
    lengths = np.asarray(lengths)
    if y.ndim != 4:
        raise ValueError(f"y must have shape [trials, n, time, outputs], got {y.shape}")
    if lengths.shape != y.shape[:2] or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be integers of shape {y.shape[:2]}, got {lengths.dtype} {lengths.shape}")
    if lengths.size and (lengths.min() < 1 or lengths.max() > y.shape[2]):
        raise ValueError(f"lengths must lie in [1, {y.shape[2]}], got [{lengths.min()}, {lengths.max()}]")
    return np.take_along_axis(y, (lengths - 1)[:, :, None, None], axis=2)[:, :, 0]
