"""Training by the decoupled extended Kalman filter (DEKF), online per string: the weights are corrected at
every step of a string, the network state is reset at each string's start, the filter's covariances are
not (Pérez-Ortiz 2002, §4.1.1 "en línea por secuencias", and ch. 7).  The equations are in
:mod:`lstmlib.engines.dekf`, whose compiled ``run_dekf`` :class:`DEKFLearner` drives.

Q and R are annealed (Pérez-Ortiz 2002, eq. 4.66): v(t) = (v_max - v_min) / exp(t / T) + v_min.  The thesis
gives, for aⁿbⁿcⁿ (pp. 101-102): n ∈ [1, 10]: Q = 5·10⁻³, R from 100 to 1 with T = 1000
(:meth:`DEKF.thesis_short`); n ∈ [20, 21]: Q from 5·10⁻³ to 10⁻⁶ and R from 100 to 1, both with T = 1000
(:meth:`DEKF.thesis_long`).  Whether t counts filter steps or strings is not stated [U]: ``anneal_unit``
chooses (default: steps, the filter's own time).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._checks import check_positive
from ..engines import compiled, dekf, online

__all__ = ["DEKF", "DEKFLearner", "DEKFResult"]


@dataclass(frozen=True)
class DEKF:
    """The filter's settings: P_g(0) = ``delta`` · I for every group; Q(t) from ``q_max`` to ``q_min`` and R(t)
    from ``r_max`` to ``r_min`` with time constants ``q_T``, ``r_T`` (in ``anneal_unit``: ``"step"`` or
    ``"string"``).  A constant Q or R has equal max and min."""

    delta: float = 10.0
    q_max: float = 5e-3
    q_min: float = 5e-3
    q_T: float = 1000.0
    r_max: float = 100.0
    r_min: float = 1.0
    r_T: float = 1000.0
    anneal_unit: str = "step"

    def __post_init__(self):
        for name in ("delta", "q_T", "r_T", "r_min"):
            check_positive(name, getattr(self, name))
        for name in ("q_max", "q_min", "r_max"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        if self.q_min > self.q_max or self.r_min > self.r_max:
            raise ValueError(f"annealing runs from max to min: need q_min <= q_max and r_min <= r_max, got "
                             f"Q {self.q_max} -> {self.q_min}, R {self.r_max} -> {self.r_min}")
        if self.anneal_unit not in dekf.ANNEAL_UNITS:
            raise ValueError(f"anneal_unit must be one of {list(dekf.ANNEAL_UNITS)}, got {self.anneal_unit!r}")

    @classmethod
    def thesis_short(cls, delta=10.0, **changes) -> DEKF:
        """Pérez-Ortiz 2002's setting for training on n ∈ [1, 10]: Q = 5·10⁻³, R: 100 → 1 (T = 1000)."""
        return cls(delta=delta, **changes)

    @classmethod
    def thesis_long(cls, delta=10.0, **changes) -> DEKF:
        """Pérez-Ortiz 2002's setting for training on n ∈ [20, 21]: Q: 5·10⁻³ → 10⁻⁶, R: 100 → 1 (T = 1000)."""
        return cls(delta=delta, q_min=1e-6, **changes)

    def q(self, t):
        """Q(t), eq. 4.66."""
        return (self.q_max - self.q_min) * np.exp(-np.asarray(t, float) / self.q_T) + self.q_min

    def r(self, t):
        """R(t), eq. 4.66."""
        return (self.r_max - self.r_min) * np.exp(-np.asarray(t, float) / self.r_T) + self.r_min

    def replace(self, **changes) -> DEKF:
        return dataclasses.replace(self, **changes)


@dataclass
class DEKFResult:
    """What :meth:`DEKFLearner.train_strings` returns, per trial and string (``[trials, strings]``):
    ``squared_error`` Σ_t ‖d - y‖² over the string (NaN where the trial did not run it) and ``all_right``
    (every output on the right side of the threshold at every step, judged before each correction: the
    string is accepted; False where not run); per trial ``steps`` run and ``diverged``; ``jacobian [trials,
    Σ lengths, n, outputs]`` with ``record_jacobian``, else None."""

    squared_error: np.ndarray
    all_right: np.ndarray
    steps: np.ndarray
    diverged: np.ndarray
    jacobian: np.ndarray | None = None


class DEKFLearner:
    """Trains the ``net.trials`` trials of ``net`` in place with the decoupled extended Kalman filter ``filter``
    (a :class:`DEKF`), each trial with its own covariances.

    ``active [trials]`` int64: 1 training, 0 paused (the caller's, e.g. a trial that learned), -1 diverged: a
    non-finite output or correction froze it (its weights keep their last finite correction).
    ``groups``: the weight groups, one per unit (:func:`lstmlib.engines.dekf.weight_groups`)."""

    def __init__(self, net, filter: DEKF):
        if not isinstance(filter, DEKF):
            raise ValueError(f"filter must be a lstmlib.DEKF(...), got {filter!r}")
        spec = net.spec
        if not spec.has_memory:
            raise ValueError(f"the DEKF's truncated RTRL Jacobian needs a cell state; {spec.name!r} has none")
        if net.dtype != np.float64:
            raise ValueError(f"the DEKF needs a float64 network (its covariances are float64), got {net.dtype}")
        self.net, self.filter = net, filter
        L, K = net.layout, net.trials
        # the Jacobian comes from the squared-error loss step, whatever loss the net trains with otherwise
        self.cfg = compiled.config(L, net.output, "mse", "truncated", 1, K)
        self.groups = dekf.weight_groups(L)
        self.n_weights = int(self.groups["arr"].size)
        sizes = np.diff(self.groups["start"])
        self.cov = np.zeros((K, int(self.groups["cov_start"][-1])))
        for g, m in enumerate(sizes):
            a = self.groups["cov_start"][g]
            self.cov[:, a:a + m * m] = filter.delta * np.eye(m).ravel()
        C, R, NS, S = L.n_cells, L.n_rows, L.n_sources, L.cells_per_block
        self.steps = np.zeros(K, np.int64)  # filter corrections per trial
        self.strings = np.zeros(K, np.int64)  # strings begun per trial
        self.active = np.ones(K, np.int64)
        self._state = tuple(np.zeros((2, n, K)) for n in (C, C, R))
        self._partials = tuple(np.zeros(shape) for shape in [(C, NS, K)] * 3 + [(C, S, K)] * 2)

    def covariance(self, trial, group) -> np.ndarray:
        """P_g of one trial and group (a copy), ``[n_g, n_g]``."""
        start, cov_start = self.groups["start"], self.groups["cov_start"]
        m = int(start[group + 1] - start[group])
        return self.cov[trial, cov_start[group]:cov_start[group] + m * m].reshape(m, m).copy()

    def flat_weights(self) -> np.ndarray:
        """The free weights ``[trials, n]`` in the filter's (grouped) order."""
        master = compiled.master(self.net.params)
        g = self.groups
        return np.stack([master[a][p, q] for a, p, q in zip(g["arr"], g["p"], g["q"])], axis=1)

    def train_strings(self, x, target, lengths, threshold=0.0, weights=None, update=True,
                      record_jacobian=False) -> DEKFResult:
        """Run strings ``x [trials, N, T, inputs]`` (or ``[N, T, inputs]`` for every trial), targets of the same
        shape with ``outputs``, ``lengths [trials, N]`` (or ``[N]``), each from a reset state, one correction per
        step (``weights``: loss weights ``[.., N, T]``, 0 = no target, no correction; default 1).  ``update=False``
        only runs and scores them.  ``record_jacobian``: also return the per-step Jacobian (``result.jacobian``;
        for tests and small runs)."""
        net = self.net
        K, L = net.trials, net.layout
        x, target = np.asarray(x, float), np.asarray(target, float)
        if x.ndim == 3:
            x = np.broadcast_to(x, (K,) + x.shape)
        if target.ndim == 3:
            target = np.broadcast_to(target, (K,) + target.shape)
        if x.ndim != 4 or x.shape[0] != K or x.shape[-1] != L.n_inputs or 0 in x.shape:
            raise ValueError(f"x must have shape [trials={K}, strings, time, inputs={L.n_inputs}] "
                             f"(or [strings, time, inputs]), got {x.shape}")
        if target.shape != x.shape[:3] + (L.n_outputs,):
            raise ValueError(f"target must have shape {x.shape[:3] + (L.n_outputs,)}, got {target.shape}")
        N, T = x.shape[1], x.shape[2]
        lengths = np.asarray(lengths)
        if lengths.shape == (N,):
            lengths = np.broadcast_to(lengths, (K, N))
        if lengths.shape != (K, N) or not np.issubdtype(lengths.dtype, np.integer) or lengths.min() < 1 \
                or lengths.max() > T:
            raise ValueError(f"lengths must be integers of shape [trials={K}, strings={N}] (or [{N}]) in [1, {T}]")
        w = np.ones((K, N, T)) if weights is None else np.broadcast_to(np.asarray(weights, float), (K, N, T))
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not np.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, got {threshold!r}")
        bad = online.bad_input(x, target, np.ascontiguousarray(w))
        if bad:
            raise ValueError(("x contains non-finite values", "target contains non-finite values",
                              "loss weights must be finite and >= 0")[bad - 1])
        # each trial's strings, cut to their lengths, one after the other
        valid = np.arange(T) < lengths[..., None]  # [K, N, T]
        total = lengths.sum(axis=1).astype(np.int64)
        Tt = int(total.max())
        pos = np.cumsum(valid.reshape(K, -1), axis=1).reshape(K, N, T) - 1  # position in the concatenation
        kk, nn, tt = np.nonzero(valid)
        p = pos[kk, nn, tt]
        X, Y, LW = np.zeros((K, Tt, L.n_inputs)), np.zeros((K, Tt, L.n_outputs)), np.zeros((K, Tt))
        X[kk, p], Y[kk, p], LW[kk, p] = x[kk, nn, tt], target[kk, nn, tt], w[kk, nn, tt]
        reset = np.zeros((K, Tt), np.bool_)
        firsts = np.concatenate([np.zeros((K, 1), np.int64), np.cumsum(lengths, axis=1)[:, :-1]], axis=1)
        reset[np.repeat(np.arange(K), N), firsts.ravel()] = True
        sse, right = np.full((K, N), np.nan), np.zeros((K, N), np.bool_)
        jac = np.zeros((K, Tt, self.n_weights, L.n_outputs)) if record_jacobian else np.zeros((0, 1, 1, 1))
        f = self.filter
        filt = (float(f.q_max), float(f.q_min), float(f.q_T), float(f.r_max), float(f.r_min), float(f.r_T),
                dekf.ANNEAL_UNITS[f.anneal_unit], float(threshold), bool(update))
        g = self.groups
        master = compiled.master(net.params)
        ran = np.zeros(K, np.int64)
        was_active = self.active == 1
        dekf.run_dekf(self.cfg, master, (X, Y, LW, reset, total), (g["arr"], g["p"], g["q"], g["start"],
                      g["cov_start"]), filt, (self._state, self._partials, self.cov, self.steps, self.strings),
                      (self.active, ran), (sse, right, jac))
        compiled.load_master(net.params, master)
        sse[~was_active] = np.nan
        right[~was_active] = False
        return DEKFResult(sse, right, ran, self.active == -1, jac if record_jacobian else None)
