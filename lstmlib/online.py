"""Online learning on unsegmented streams: the truncated gradient computed forward in time (RTRL).

Gers et al. 2000/2002 train on continual streams and change the weights at *every* time step.  The
truncated gradient (H&S 1997 App. A.1, eqs. 23-28; Gers 2000 for the forget gate, Gers 2002 for
peepholes) treats the sources u(t) = [1, x(t), y(t-1), gates(t-1)] and the peephole inputs as
constants, so error reaches the past only through the CEC and can be computed forward in time with
one partial derivative ∂s_c/∂w per cell c and weight w of the units that feed the CEC.  For cell c
of block b at step t (σ' = σ(1 - σ); i, f, o as in :mod:`lstmlib.spec`, 1 for an absent gate;
zz = z, or z - s(t-1) when ``forget="coupled"`` (f = 1 - i); the σ' terms of absent gates drop out):

    ∂s_c/∂W_z[c, j](t)  = f_b ∂s_c/∂W_z[c, j](t-1) + i_b g'(net_z,c) u_j(t)
    ∂s_c/∂W_i[b, j](t)  = f_b ∂s_c/∂W_i[b, j](t-1) + zz_c σ'(net_i,b) u_j(t)
    ∂s_c/∂W_f[b, j](t)  = f_b ∂s_c/∂W_f[b, j](t-1) + s_c(t-1) σ'(net_f,b) u_j(t)
    ∂s_c/∂p_i[c'](t)    = f_b ∂s_c/∂p_i[c'](t-1) + zz_c σ'(net_i,b) s_c'(t-1)        (c' in block b)
    ∂s_c/∂p_f[c'](t)    = f_b ∂s_c/∂p_f[c'](t-1) + s_c(t-1) σ'(net_f,b) s_c'(t-1)

(a gate and its peepholes feed every cell of its block, so the gate partials are kept per cell).
With e_k = ∂ℓ(t)/∂net_out,k, the cell-output error ε_c = Σ_k W_out[k, c] e_k and the local
internal-state error e_s,c = o_b h'(s_c) ε_c (eq. 23), the gradient of the loss at step t is

    ∂ℓ/∂W_out[k, m] = e_k [1, y(t), x(t)?]_m                     (local)
    ∂ℓ/∂W_o[b, j]   = δ_o,b u_j(t),   ∂ℓ/∂p_o[c] = δ_o,b s_c(t),  δ_o,b = σ'(net_o,b) Σ_{c∈b} h(s_c) ε_c
    ∂ℓ/∂W_z[c, j]   = e_s,c ∂s_c/∂W_z[c, j](t)
    ∂ℓ/∂W_i[b, j]   = Σ_{c∈b} e_s,c ∂s_c/∂W_i[b, j](t)         (same for W_f, p_i, p_f)

Summed over a sequence these equal ``Network.loss_and_grad(..., gradient="truncated")`` to
rounding (the engine's backward pass, reordered forward in time): ``tests/test_online.py``.

Per step and trial the order is: forward step with the current weights, loss, partials and
gradient, then (every ``update_every`` steps) one optimiser step on the gradient summed since the
last update, with the optimisers of :mod:`lstmlib.training` (``_update_lanes``: the engine's
``_update`` with the trial loop innermost, equal to it bit for bit).  The partials are carried
across updates (each step's increment computed with that step's weights), as in RTRL.  The forward
step and the loss are the engine's own ``_forward_step`` and ``_loss_step``; all ``net.trials``
trials run side by side as lanes (trial index innermost), so a step costs O(weights) per trial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from . import _kernels as K_
from ._kernels import (C_, FORGET, G_KIND, H_KIND, HAS_I, HAS_O, I_, NB_, NS_, O_, OUT_X, PEEP, R_, ROW_F,
                       ROW_I, ROW_O, S_)
from .training import OPTIMIZERS, Adam, Momentum, SGD

__all__ = ["OnlineLearner", "StreamResult"]


@dataclass
class StreamResult:
    """What :meth:`OnlineLearner.run` returns, per trial.

    ``outputs [trials, T, outputs]``; ``loss [trials, T]`` (w_t ℓ_t, ℓ = ½‖y - target‖² or the
    cross-entropy, 0 at steps without a target); ``error [trials, T]`` (max |y - target| at steps
    with a target, else 0).  All three are NaN at steps a trial did not run.  ``steps [trials]``:
    steps run in this call (the wrong step of a stopped trial and the step at which a trial
    diverged included); ``stopped``: the trial stopped at a wrong step (``stop_at_error``);
    ``diverged``: the trial's loss or gradient became non-finite (in this call or earlier); it is
    frozen."""

    outputs: np.ndarray
    loss: np.ndarray
    error: np.ndarray
    steps: np.ndarray
    stopped: np.ndarray
    diverged: np.ndarray


class OnlineLearner:
    """Trains ``net`` in place on continual streams, one truncated-gradient update per time step.

    ``optimizer``: :class:`~lstmlib.SGD`, :class:`~lstmlib.Momentum` or :class:`~lstmlib.Adam`
    (one optimiser step per update).  ``update_every``: steps per update (the gradient is summed
    over them).  The network state (s, y, gates) and the partials ∂s/∂w carry over from one
    :meth:`run` to the next until :meth:`reset`.  ``active`` per trial: 1 training, -1 diverged
    (frozen, like :class:`~lstmlib.Trainer`).
    """

    def __init__(self, net, optimizer, update_every=1):
        spec = net.spec
        if not spec.has_memory:
            raise ValueError(f"online RTRL needs a cell state (a CEC); {spec.name!r} has forget='zero'")
        if not isinstance(optimizer, (SGD, Momentum, Adam)):
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)} (lstmlib.SGD(...), ...), "
                             f"got {optimizer!r}")
        if isinstance(update_every, bool) or not isinstance(update_every, (int, np.integer)) or update_every < 1:
            raise ValueError(f"update_every must be a positive integer, got {update_every!r}")
        self.net, self.optimizer, self.update_every = net, optimizer, int(update_every)
        self.cfg = net.kernel_config("truncated", 1)
        master, self.masks = net.kernel_params()
        L, K, dt = net.layout, net.trials, net.dtype
        C, R, NS, S = L.n_cells, L.n_rows, L.n_sources, L.cells_per_block
        self.opt_state = tuple(np.zeros_like(m) for m in master for _ in range(2))
        self.grads = tuple(np.zeros_like(m) for m in master)
        self.steps = np.zeros(K, np.int64)  # optimiser steps per trial
        self.active = np.ones(K, np.int64)
        self._pending = np.zeros(K, np.int64)  # steps summed in grads since the last update
        # s, y, gate activations: slot 0 holds step t-1, slot 1 step t
        self._state = (np.zeros((2, C, K), dt), np.zeros((2, C, K), dt), np.zeros((2, R, K), dt))
        # ∂s/∂W_z, ∂s/∂W_i, ∂s/∂W_f [cell, source, trial]; ∂s/∂p_i, ∂s/∂p_f [cell, cell of block, trial]
        self._partials = tuple(np.zeros(shape, dt) for shape in [(C, NS, K)] * 3 + [(C, S, K)] * 2)

    def reset(self, trials=None):
        """Zero the network state and the partials (all trials, or the given indices)."""
        idx = slice(None) if trials is None else np.asarray(trials)
        for a in self._state + self._partials:
            a[..., idx] = 0.0

    def zero_grad(self):
        """Discard the gradient accumulated since the last update."""
        for g in self.grads:
            g[...] = 0.0
        self._pending[:] = 0

    @property
    def gradient(self) -> dict:
        """The gradient accumulated since the last update (all of it with ``update=False``), as
        packed arrays ``{"hidden", "peephole", "output"}`` like :meth:`Network.loss_and_grad`."""
        return {n: np.moveaxis(g, -1, 0) * m for n, g, m in zip(("hidden", "peephole", "output"), self.grads,
                                                              self.masks)}

    def run(self, x, target, weights=None, *, update=True, stop_at_error=None, reset=None) -> StreamResult:
        """Run a stream chunk ``x [trials, T, inputs]`` (or ``[T, inputs]`` for all trials) with
        targets ``[trials, T, outputs]`` (or ``[T, outputs]``) and loss weights ``[trials, T]``
        (or ``[T]``; default 1; 0 = no target at that step).

        ``update=False`` only accumulates the gradient (see :attr:`gradient`).  ``stop_at_error=tol``
        ends a trial's stream at its first step with a target and max |y - target| >= tol: that step
        is learned from, then the trial is frozen for the rest of the call (its state is that after
        the step).  ``reset [trials, T]`` (or ``[T]``) booleans: zero the state and partials before
        that step.  A trial whose loss or gradient turns non-finite stops and is reported
        (``active = -1``); its weights keep their last finite update."""
        net = self.net
        K, L, dt = net.trials, net.layout, net.dtype
        x = _stream_array("x", x, K, L.n_inputs)
        T = x.shape[1]
        target = _stream_array("target", target, K, L.n_outputs, T)
        if weights is None:
            weights = np.ones((K, T))
        weights = _per_step("weights", weights, K, T, float)
        if np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ValueError("loss weights must be finite and >= 0")
        reset = np.zeros((K, T), bool) if reset is None else _per_step("reset", reset, K, T, bool)
        if stop_at_error is None:
            tol = np.inf
        elif isinstance(stop_at_error, bool) or not isinstance(stop_at_error, (int, float, np.floating)) \
                or not np.isfinite(stop_at_error) or stop_at_error <= 0:
            raise ValueError(f"stop_at_error must be a finite number > 0 or None, got {stop_at_error!r}")
        else:
            tol = float(stop_at_error)
        X = np.ascontiguousarray(x.transpose(1, 2, 0), dtype=dt)
        Y = np.ascontiguousarray(target.transpose(1, 2, 0), dtype=dt)
        LW = np.ascontiguousarray(weights.T, dtype=dt)
        RS = np.ascontiguousarray(reset.T)
        YOUT = np.zeros((T, L.n_outputs, K), dt)
        out_loss = np.zeros((T, K))
        out_err = np.zeros((T, K))
        ran = np.zeros(K, np.int64)
        stopped = np.zeros(K, np.bool_)
        master = net.kernel_master()
        opt = K_.OPT_CODES[self.optimizer.code] if update else 0
        _run_stream(self.cfg, master, self.masks, X, Y, LW, RS, tol, opt, self.optimizer.hyper(),
                    self.update_every, self.steps, self.active, self._pending, self.opt_state, self._state,
                    self._partials, self.grads, YOUT, out_loss, out_err, ran, stopped, dt.type)
        net.load_kernel_params(master)
        return StreamResult(np.moveaxis(YOUT, -1, 0).copy(), out_loss.T.copy(), out_err.T.copy(), ran, stopped,
                            self.active == -1)


def _stream_array(name, a, K, F, T=None):
    a = np.asarray(a, dtype=float)
    if a.ndim == 2:
        a = np.broadcast_to(a, (K,) + a.shape)
    if a.ndim != 3 or a.shape[0] != K or a.shape[2] != F or a.shape[1] < 1 or (T is not None and a.shape[1] != T):
        raise ValueError(f"{name} must have shape [trials={K}, time{'' if T is None else '=' + str(T)}, {F}] "
                         f"(or [time, {F}]), got {np.shape(a)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains non-finite values")
    return a


def _per_step(name, a, K, T, dtype):
    a = np.asarray(a)
    if dtype is bool and a.dtype != np.bool_:
        raise ValueError(f"{name} must be booleans, got {a.dtype}")
    a = a.astype(dtype)
    if a.ndim == 1:
        a = np.broadcast_to(a, (K,) + a.shape)
    if a.shape != (K, T):
        raise ValueError(f"{name} must have shape [trials={K}, time={T}] (or [time]), got {a.shape}")
    return a


# compiled kernels --------------------------------------------------------------------------------
# They compile in the engine's _forward_step, _loss_step and _squash_deriv_row: numba's cache does not
# notice edits to _kernels.py here, so after changing it delete lstmlib/__pycache__/online.*.nbi/.nbc.

@njit(**K_._JIT)
def _rtrl_step(cfg, t, x, W, P, O, SRC, ACT, S, HS, YC, YOUT, DOUT, live, partials, grads, IG, FG, CO, EY, ES, TMP,
               F):
    """Partials ∂s/∂w and the step's gradient (added to ``grads``) after ``_forward_step`` wrote step t
    into slot 1 (s(t-1) in S[0]) and ``_loss_step`` dL/dnet_out into DOUT[t].  Lanes with live = 0
    keep their partials (f -> 1, increments -> 0) and add nothing (their loss weight is 0)."""
    C, NB, S_blk, I, O_n, NS = cfg[C_], cfg[NB_], cfg[S_], cfg[I_], cfg[O_], cfg[NS_]
    has_i, forget, has_o, peep = cfg[HAS_I], cfg[FORGET], cfg[HAS_O], cfg[PEEP]
    row_i, row_f, row_o = cfg[ROW_I], cfg[ROW_F], cfg[ROW_O]
    PZ, PI, PF, PIP, PFP = partials
    gW, gP, gO = grads
    L = x.shape[1]
    # coefficients per cell: CO[0] = f, CO[1] = i g', CO[2] = zz σ'_i, CO[3] = s(t-1) σ'_f
    for b in range(NB):
        for c in range(b * S_blk, (b + 1) * S_blk):
            K_._squash_deriv_row(cfg[G_KIND], ACT, 1, c, TMP, L, F)  # g'
            for l in range(L):
                ig, fg = IG[b, l], FG[b, l]
                zz = ACT[1, c, l] - S[0, c, l] if forget == 2 else ACT[1, c, l]
                CO[0, c, l] = fg if live[l] else F(1.0)
                CO[1, c, l] = ig * TMP[l] if live[l] else F(0.0)
                CO[2, c, l] = zz * ig * (F(1.0) - ig) if live[l] else F(0.0)
                CO[3, c, l] = S[0, c, l] * fg * (F(1.0) - fg) if live[l] else F(0.0)
    # output layer (local) and ε_c = Σ_k W_out[k, c] e_k
    for c in range(C):
        for l in range(L):
            EY[c, l] = F(0.0)
    for k in range(O_n):
        for l in range(L):
            gO[k, 0, l] += DOUT[t, k, l]
        for c in range(C):
            for l in range(L):
                gO[k, 1 + c, l] += DOUT[t, k, l] * YC[1, c, l]
                EY[c, l] += O[k, 1 + c, l] * DOUT[t, k, l]
        if cfg[OUT_X]:
            for j in range(I):
                for l in range(L):
                    gO[k, 1 + C + j, l] += DOUT[t, k, l] * x[j, l]
    # output gate (local): δ_o = σ'(net_o) Σ_c h(s_c) ε_c; e_s = o h'(s) ε
    for b in range(NB):
        if has_o:
            r = row_o + b
            for l in range(L):
                TMP[l] = F(0.0)
            for c in range(b * S_blk, (b + 1) * S_blk):
                for l in range(L):
                    TMP[l] += HS[1, c, l] * EY[c, l]
            for l in range(L):
                TMP[l] *= ACT[1, r, l] * (F(1.0) - ACT[1, r, l])
            for j in range(NS):
                for l in range(L):
                    gW[r, j, l] += TMP[l] * SRC[1, j, l]
            if peep:
                for c in range(b * S_blk, (b + 1) * S_blk):
                    for l in range(L):
                        gP[2, c, l] += TMP[l] * S[1, c, l]
        for c in range(b * S_blk, (b + 1) * S_blk):
            K_._squash_deriv_row(cfg[H_KIND], HS, 1, c, TMP, L, F)  # h'
            for l in range(L):
                ES[c, l] = (ACT[1, row_o + b, l] if has_o else F(1.0)) * TMP[l] * EY[c, l]
    # partials and the gradient through them
    for b in range(NB):
        c0 = b * S_blk
        for c in range(c0, c0 + S_blk):
            for j in range(NS):
                for l in range(L):
                    PZ[c, j, l] = CO[0, c, l] * PZ[c, j, l] + CO[1, c, l] * SRC[1, j, l]
                    gW[c, j, l] += ES[c, l] * PZ[c, j, l]
            if has_i:
                for j in range(NS):
                    for l in range(L):
                        PI[c, j, l] = CO[0, c, l] * PI[c, j, l] + CO[2, c, l] * SRC[1, j, l]
                        gW[row_i + b, j, l] += ES[c, l] * PI[c, j, l]
                if peep:
                    for m in range(S_blk):
                        for l in range(L):
                            PIP[c, m, l] = CO[0, c, l] * PIP[c, m, l] + CO[2, c, l] * S[0, c0 + m, l]
                            gP[0, c0 + m, l] += ES[c, l] * PIP[c, m, l]
            if forget == 1:
                for j in range(NS):
                    for l in range(L):
                        PF[c, j, l] = CO[0, c, l] * PF[c, j, l] + CO[3, c, l] * SRC[1, j, l]
                        gW[row_f + b, j, l] += ES[c, l] * PF[c, j, l]
                if peep:
                    for m in range(S_blk):
                        for l in range(L):
                            PFP[c, m, l] = CO[0, c, l] * PFP[c, m, l] + CO[3, c, l] * S[0, c0 + m, l]
                            gP[1, c0 + m, l] += ES[c, l] * PFP[c, m, l]


@njit(**K_._JIT)
def _lane_checksum(G, chk):
    """chk[l] += Σ G[.., .., l]: non-finite iff some entry is (or the sum overflows); four rows per
    pass over the lanes."""
    A, B, L = G.shape
    G2 = G.reshape(A * B, L)
    n = A * B
    n4 = n - n % 4
    for p in range(0, n4, 4):
        for l in range(L):
            chk[l] += (G2[p, l] + G2[p + 1, l]) + (G2[p + 2, l] + G2[p + 3, l])
    for p in range(n4, n):
        for l in range(L):
            chk[l] += G2[p, l]


@njit(**K_._JIT)
def _adam_corrections(hyper, step, c1, c2):
    """Adam's bias corrections per lane, c = 1 - β^step, computed as in the engine's ``_update``."""
    b1, b2 = hyper[2], hyper[3]
    for l in range(step.shape[0]):
        c1[l] = 1.0 - b1 ** step[l]
        c2[l] = 1.0 - b2 ** step[l]


@njit(**K_._JIT)
def _update_lanes(kind, hyper, c1, c2, due, all_due, W, G, M, V, mask):
    """The engine's ``_update`` (same formulas, same rounding) for the lanes with due = 1, with the
    lane loop innermost so that it vectorises over trials; then zeroes their gradient.  c1, c2 [L]:
    Adam's bias corrections 1 - β^step."""
    lr, mom, b1, b2, eps = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    A, B, L = W.shape
    for p in range(A):
        for q in range(B):
            if mask[p, q] != 0.0:
                if all_due and kind == 1:
                    for l in range(L):
                        W[p, q, l] -= lr * G[p, q, l]
                elif all_due and kind == 2:
                    for l in range(L):
                        M[p, q, l] = mom * M[p, q, l] - lr * G[p, q, l]
                        W[p, q, l] += M[p, q, l]
                else:
                    for l in range(L):
                        if due[l] == 1:
                            g = G[p, q, l]
                            if kind == 1:
                                W[p, q, l] -= lr * g
                            elif kind == 2:
                                M[p, q, l] = mom * M[p, q, l] - lr * g
                                W[p, q, l] += M[p, q, l]
                            elif kind == 3:
                                M[p, q, l] = b1 * M[p, q, l] + (1.0 - b1) * g
                                V[p, q, l] = b2 * V[p, q, l] + (1.0 - b2) * g * g
                                W[p, q, l] -= lr * (M[p, q, l] / c1[l]) / (np.sqrt(V[p, q, l] / c2[l]) + eps)
            if all_due:
                for l in range(L):
                    G[p, q, l] = 0.0
            else:
                for l in range(L):
                    if due[l] == 1:
                        G[p, q, l] = 0.0


@njit(**K_._JIT)
def _run_stream(cfg, params, masks, X, Y, LW, RS, tol, opt_kind, hyper, every, steps, active, pending, opt_state,
                state, partials, grads, YOUT, out_loss, out_err, ran, stopped, F):
    """Run T steps of a stream for all lanes (= trials): X [T, I, L], Y [T, O, L], LW [T, L] loss
    weights, RS [T, L] resets.  Updates params, optimiser state, network state, partials, grads in
    place; writes YOUT [T, O, L], out_loss/out_err [T, L] (NaN where a lane did not run), ran [L]
    and stopped [L]."""
    W, P, O = params
    S, YC, ACT = state
    C, NB, O_n, R, NS = cfg[C_], cfg[NB_], cfg[O_], cfg[R_], cfg[NS_]
    T, _, L = X.shape
    dt = W.dtype
    SRC = np.zeros((2, NS, L), dt)
    HS = np.zeros((2, C, L), dt)
    NET = np.zeros((1, R, L), dt)
    IG = np.zeros((NB, L), dt)
    FG = np.zeros((NB, L), dt)
    CO = np.zeros((4, C, L), dt)
    EY = np.zeros((C, L), dt)
    ES = np.zeros((C, L), dt)
    TMP = np.zeros(L, dt)
    DOUT = np.zeros((T, O_n, L), dt)
    w = np.zeros(L, dt)
    lane_loss = np.zeros(L)
    lane_err = np.zeros(L)
    chk = np.zeros(L)
    c1 = np.ones(L)
    c2 = np.ones(L)
    live = np.zeros(L, np.bool_)
    due = np.zeros(L, np.int64)
    for l in range(L):
        live[l] = active[l] == 1
    for t in range(T):
        n_live = 0
        for l in range(L):
            n_live += live[l]
        if n_live == 0:
            for l in range(L):
                out_loss[t, l] = np.nan
                out_err[t, l] = np.nan
                for k in range(O_n):
                    YOUT[t, k, l] = np.nan
            continue
        for l in range(L):
            if RS[t, l] and live[l]:
                for a in (S, YC):
                    for c in range(C):
                        a[0, c, l] = 0.0
                for r in range(R):
                    ACT[0, r, l] = 0.0
                for a in partials:
                    for p in range(a.shape[0]):
                        for q in range(a.shape[1]):
                            a[p, q, l] = 0.0
        K_._forward_step(cfg, t, 1, 0, 0, 1, X[t], W, W, P, O, SRC, NET, ACT, S, HS, YC, YOUT, IG, FG, F)
        for l in range(L):
            w[l] = LW[t, l] if live[l] else F(0.0)
            lane_loss[l] = 0.0
            lane_err[l] = 0.0
        K_._loss_step(cfg, t, Y[t], w, YOUT, DOUT, lane_loss, lane_err)
        _rtrl_step(cfg, t, X[t], W, P, O, SRC, ACT, S, HS, YC, YOUT, DOUT, live, partials, grads, IG, FG, CO, EY, ES,
                   TMP, F)
        for l in range(L):
            if live[l]:
                ran[l] += 1
                out_loss[t, l] = lane_loss[l]
                out_err[t, l] = lane_err[l]
                if not np.isfinite(lane_loss[l]):
                    active[l] = -1
                    live[l] = False
            else:
                out_loss[t, l] = np.nan
                out_err[t, l] = np.nan
                for k in range(O_n):
                    YOUT[t, k, l] = np.nan
        if opt_kind != 0:
            n_due = 0
            for l in range(L):
                due[l] = 0
                chk[l] = 0.0
                if live[l]:
                    pending[l] += 1
                    if pending[l] >= every:
                        due[l] = 1
                        n_due += 1
            if n_due > 0:
                for g in grads:
                    _lane_checksum(g, chk)
                for l in range(L):
                    if due[l] == 1:
                        if np.isfinite(chk[l]):
                            steps[l] += 1
                            pending[l] = 0
                        else:
                            active[l] = -1
                            live[l] = False
                            due[l] = 0
                all_due = True
                for l in range(L):
                    all_due = all_due and due[l] == 1
                if opt_kind == 3:
                    _adam_corrections(hyper, steps, c1, c2)
                for i in range(3):
                    _update_lanes(opt_kind, hyper, c1, c2, due, all_due, params[i], grads[i], opt_state[2 * i],
                                  opt_state[2 * i + 1], masks[i])
        # commit step t (slot 1 -> slot 0) for the lanes still running, then the stop rule
        for a in state:
            for r in range(a.shape[1]):
                for l in range(L):
                    if live[l]:
                        a[0, r, l] = a[1, r, l]
        for l in range(L):
            if live[l] and LW[t, l] != 0.0 and lane_err[l] >= tol:
                stopped[l] = True
                live[l] = False

