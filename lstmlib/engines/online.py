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

The learner that drives these kernels, :class:`lstmlib.training.OnlineLearner`, is in
:mod:`lstmlib.training.online`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

from . import kernels
from .kernels import (
    C_,
    FORGET,
    G_KIND,
    H_KIND,
    HAS_I,
    HAS_O,
    I_,
    NB_,
    NS_,
    O_,
    OUT_X,
    PEEP,
    R_,
    ROW_F,
    ROW_I,
    ROW_O,
    S_,
)

__all__ = ["bad_input", "run_stream"]


# They compile in the engine's _forward_step, _loss_step and _squash_deriv_row: numba's cache does not
# notice edits to kernels.py here, so after changing it delete lstmlib/engines/__pycache__/online.*.nbi/.nbc.


@njit(**kernels._JIT)
def _gate_partials(c, c0, k, row, p, PG, PGP, CO, SRC, S, ES, gW, gP, peep, NS, S_blk, L):
    """Cell c's partials with respect to one gate of its block (input: CO row k = 2, weights row
    ``row``, peephole row p = 0; forget: 3, its row, 1), advanced one step, and their gradient terms:
    ∂s_c/∂W_g[j] = f ∂s_c/∂W_g[j] + CO[k] u_j, and for the block's peepholes the same with s_c'(t-1)."""
    for j in range(NS):
        for l in range(L):
            PG[c, j, l] = CO[0, c, l] * PG[c, j, l] + CO[k, c, l] * SRC[1, j, l]
            gW[row, j, l] += ES[c, l] * PG[c, j, l]
    if peep:
        for m in range(S_blk):
            for l in range(L):
                PGP[c, m, l] = CO[0, c, l] * PGP[c, m, l] + CO[k, c, l] * S[0, c0 + m, l]
                gP[p, c0 + m, l] += ES[c, l] * PGP[c, m, l]


@njit(**kernels._JIT)
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
            kernels._squash_deriv_row(cfg[G_KIND], ACT, 1, c, TMP, L, F)  # g'
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
            kernels._squash_deriv_row(cfg[H_KIND], HS, 1, c, TMP, L, F)  # h'
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
                _gate_partials(c, c0, 2, row_i + b, 0, PI, PIP, CO, SRC, S, ES, gW, gP, peep, NS, S_blk, L)
            if forget == 1:
                _gate_partials(c, c0, 3, row_f + b, 1, PF, PFP, CO, SRC, S, ES, gW, gP, peep, NS, S_blk, L)


@njit(**kernels._JIT)
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


@njit(**kernels._JIT)
def _adam_corrections(hyper, step, c1, c2):
    """Adam's bias corrections per lane, c = 1 - β^step, computed as in the engine's ``_update``."""
    b1, b2 = hyper[2], hyper[3]
    for l in range(step.shape[0]):
        c1[l] = 1.0 - b1 ** step[l]
        c2[l] = 1.0 - b2 ** step[l]


@njit(**kernels._JIT)
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


def _scalar_type(a):
    """The scalar type of array ``a``'s dtype, as a callable (``F`` of the engine's kernels); compiled
    code only.  Deriving it inside the kernel keeps a type object out of :func:`_run_stream`'s
    arguments, whose dispatch would otherwise type it in Python at every call."""


@overload(_scalar_type, inline="always")
def _scalar_type_impl(a):
    if a.dtype == types.float32:
        return lambda a: np.float32
    return lambda a: np.float64


@njit(fastmath={"reassoc"}, **kernels._JIT)
def bad_input(x, target, weights):
    """0 if x and target are finite and the loss weights finite and >= 0, else 1, 2 or 3 for the
    first argument that is not.  Each is one pass that vectorises: v - v is 0 for a finite v, else
    NaN, and a sum of zeros is 0 in any order ("reassoc" allows the reordering, nothing else)."""
    a = x.ravel()
    nf = 0.0
    for i in range(a.size):
        nf += a[i] - a[i]
    if nf != 0.0:
        return 1
    a = target.ravel()
    for i in range(a.size):
        nf += a[i] - a[i]
    if nf != 0.0:
        return 2
    a = weights.ravel()
    n_neg = 0
    for i in range(a.size):
        nf += a[i] - a[i]
        n_neg += a[i] < 0.0
    return 3 if nf != 0.0 or n_neg > 0 else 0


@njit(**kernels._JIT)
def run_stream(cfg, params, masks, x, target, weights, reset, tol, resume, record, opt_kind, hyper, every, steps,
                active, pending, opt_state, state, partials, grads, out_y, out_loss, out_err, ran, stopped, lengths):
    """Run T steps of a stream for all lanes (= trials): x [K or 1, T, I], target [K or 1, T, O]
    (float64), weights [K or 1, T] loss weights, reset [K or 1, T] (a first axis of 1: the same for
    every lane).  Updates params, optimiser state, network state, partials, grads in place; writes
    out_y [K, T, O], out_loss/out_err [K, T] (if record; NaN where a lane did not run), ran [K] and
    stopped [K] (on entry: the lanes that wait for a reset, all False unless resume).  Returns the
    segments [K, n, 2] (see StreamResult)."""
    W, P, O = params
    S, YC, ACT = state
    F = _scalar_type(W)
    C, NB, I, O_n, R, NS = cfg[C_], cfg[NB_], cfg[I_], cfg[O_], cfg[R_], cfg[NS_]
    L = active.shape[0]
    T = x.shape[1]
    # lane l reads row l of an input with K rows, row 0 of one with a single row
    sx, sy = (1 if x.shape[0] > 1 else 0), (1 if target.shape[0] > 1 else 0)
    sw, sr = (1 if weights.shape[0] > 1 else 0), (1 if reset.shape[0] > 1 else 0)
    dt = W.dtype
    XT = np.zeros((I, L), dt)  # x(t), target(t) in lane layout
    YT = np.zeros((O_n, L), dt)
    YO = np.zeros((1, O_n, L), dt)  # y(t) and dL/dnet_out(t)
    DOUT = np.zeros((1, O_n, L), dt)
    SRC = np.zeros((2, NS, L), dt)
    HS = np.zeros((2, C, L), dt)
    NET = np.zeros((1, R, L), dt)
    IG = np.zeros((NB, L), dt)
    FG = np.zeros((NB, L), dt)
    CO = np.zeros((4, C, L), dt)
    EY = np.zeros((C, L), dt)
    ES = np.zeros((C, L), dt)
    TMP = np.zeros(L, dt)
    w = np.zeros(L, dt)
    lane_loss = np.zeros(L)
    lane_err = np.zeros(L)
    chk = np.zeros(L)
    c1 = np.ones(L)
    c2 = np.ones(L)
    live = np.zeros(L, np.bool_)
    due = np.zeros(L, np.int64)
    # segments: at most one per reset after step 0, plus one from step 0; any_reset[t]: in some lane
    n_seg = 1
    any_reset = np.zeros(T, np.bool_)
    for r in range(reset.shape[0]):
        n = 1
        for t in range(1, T):
            n += reset[r, t]
            any_reset[t] |= reset[r, t]
        n_seg = max(n_seg, n)
    seg = np.full((L, n_seg, 2), -1, np.int64)
    n_run = np.zeros(L, np.int64)  # segments run so far per lane
    for l in range(L):
        live[l] = active[l] == 1 and not stopped[l]
    t = -1
    while t + 1 < T:
        t += 1
        # resets: a waiting lane resumes; a running lane starts afresh (and a new segment)
        n_live = 0
        for l in range(L):
            if t >= lengths[l]:  # past the end of this lane's stream: never run again in this call
                live[l] = False
                continue
            rs = reset[l * sr, t]
            if rs and resume and stopped[l] and active[l] == 1:
                stopped[l] = False
                live[l] = True
            if live[l]:
                if rs:
                    for a in (S, YC):
                        for c in range(C):
                            a[0, c, l] = 0.0
                    for r in range(R):
                        ACT[0, r, l] = 0.0
                    for a in partials:
                        for p in range(a.shape[0]):
                            for q in range(a.shape[1]):
                                a[p, q, l] = 0.0
                if rs or t == 0:
                    seg[l, n_run[l], 0] = t
                    n_run[l] += 1
                n_live += 1
        if n_live == 0:  # skip to the next step at which a lane may resume (or to the end)
            t_end = t + 1
            while t_end < T and not (resume and any_reset[t_end]):
                t_end += 1
            if record:
                for l in range(L):
                    for u in range(t, t_end):
                        out_loss[l, u] = np.nan
                        out_err[l, u] = np.nan
                        for k in range(O_n):
                            out_y[l, u, k] = np.nan
            t = t_end - 1
            continue
        for l in range(L):
            for j in range(I):
                XT[j, l] = x[l * sx, t, j]
            for k in range(O_n):
                YT[k, l] = target[l * sy, t, k]
            w[l] = weights[l * sw, t] if live[l] else F(0.0)
            lane_loss[l] = 0.0
            lane_err[l] = 0.0
        kernels._forward_step(cfg, 0, 1, 0, 0, 1, XT, W, W, P, O, SRC, NET, ACT, S, HS, YC, YO, IG, FG, F)
        kernels._loss_step(cfg, 0, YT, w, YO, DOUT, lane_loss, lane_err)
        _rtrl_step(cfg, 0, XT, W, P, O, SRC, ACT, S, HS, YC, YO, DOUT, live, partials, grads, IG, FG, CO, EY, ES,
                   TMP, F)
        for l in range(L):
            if live[l]:
                ran[l] += 1
                if record:
                    out_loss[l, t] = lane_loss[l]
                    out_err[l, t] = lane_err[l]
                    for k in range(O_n):
                        out_y[l, t, k] = YO[0, k, l]
                if not np.isfinite(lane_loss[l]):
                    active[l] = -1
                    live[l] = False
                    seg[l, n_run[l] - 1, 1] = t
            elif record:
                out_loss[l, t] = np.nan
                out_err[l, t] = np.nan
                for k in range(O_n):
                    out_y[l, t, k] = np.nan
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
                            seg[l, n_run[l] - 1, 1] = t
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
            if live[l] and w[l] != 0.0 and not (lane_err[l] < tol):
                stopped[l] = True
                live[l] = False
                seg[l, n_run[l] - 1, 1] = t
    return seg
