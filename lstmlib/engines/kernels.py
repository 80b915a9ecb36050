"""Compiled CPU engine (numba): forward pass, exact or truncated BPTT and optimiser steps.

All activations are stored "lane-innermost": lane ``l = k * B + b`` is sequence ``b`` of trial
``k``, and every inner loop runs over lanes so that it vectorises.  Online (B = 1) the lanes are
the trials, each with its own weights (per-lane copies); with batches a trial's B lanes share its
weights in the matrix-vector products.  Weight gradients are accumulated per lane and summed over
a trial's lanes before the update.  The equations are those of :mod:`lstmlib.spec`, line by line:
``_forward_step`` is the forward pass and ``_backward_step`` its derivative.

Performance notes (see ``benchmarks/engine.py``): ``error_model='numpy'`` removes the
zero-division checks that block vectorisation; computed lane indices are unsigned, because
numba's negative-index wraparound would also block it; ``_exp`` is written in plain arithmetic of
the network's dtype (libm's exp does not vectorise); all arithmetic runs in that dtype (every
literal is wrapped in ``F(...)``, otherwise numba would promote float32 work to float64).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# cfg indices -------------------------------------------------------------------------------
C_, NB_, S_, I_, O_, R_, NS_, NO_ = 0, 1, 2, 3, 4, 5, 6, 7
HAS_I, FORGET, HAS_O, PEEP, G_KIND, H_KIND, OUT_KIND, LOSS_KIND, TRUNC = 8, 9, 10, 11, 12, 13, 14, 15, 16
ROW_I, ROW_F, ROW_O, SRC_Y, SRC_G, OUT_X, BATCH, TRIALS = 17, 18, 19, 20, 21, 22, 23, 24
CFG_SIZE = 25

SQUASH_CODES = {"tanh": 0, "logistic": 1, "logistic2": 2, "logistic1": 3, "identity": 4}
FORGET_CODES = {"none": 0, "gate": 1, "coupled": 2, "zero": 3}
OUTPUT_CODES = {"linear": 0, "logistic": 1, "softmax": 2}
LOSS_CODES = {"mse": 0, "ce": 1}
OPT_CODES = {"none": 0, "sgd": 1, "momentum": 2, "adam": 3}

_JIT = dict(cache=True, error_model="numpy", nogil=True)


@njit(inline="always", **_JIT)
def _exp(x, F):
    """exp(x) in plain arithmetic of type F, so that lane loops calling it vectorise (libm's exp
    does not).

    The argument is clamped to [-40, 40]: every caller is a logistic function, which is already
    saturated there (σ(40) = 1 in float64, σ(-40) < 5e-18).  x = n ln2 + r (Cody-Waite), e^r by a
    degree-13 (float64) or degree-7 (float32) Taylor polynomial, 2^n by exact multiplications with
    powers of two: ~1 ulp."""
    x = min(max(x, F(-40.0)), F(40.0))
    n = np.floor(x * F(1.4426950408889634) + F(0.5))
    r = (x - n * F(0.693145751953125)) - n * F(1.4286068203094173e-06)
    if F(1.0) + F(1e-10) == F(1.0):  # float32 (folded at compile time): degree 7 is within 1 ulp
        p = F(1.0) + r * (F(1.0) + r * (F(0.5) + r * (F(1.0 / 6) + r * (F(1.0 / 24) + r * (F(1.0 / 120) + r * (
            F(1.0 / 720) + r * F(1.0 / 5040)))))))
    else:
        p = F(1.0) + r * (F(1.0) + r * (F(0.5) + r * (F(1.0 / 6) + r * (F(1.0 / 24) + r * (F(1.0 / 120) + r * (
            F(1.0 / 720) + r * (F(1.0 / 5040) + r * (F(1.0 / 40320) + r * (F(1.0 / 362880) + r * (
                F(1.0 / 3628800) + r * (F(1.0 / 39916800) + r * (F(1.0 / 479001600)
                                                                 + r * F(1.0 / 6227020800.0)))))))))))))
    m = np.int64(abs(n))  # < 64
    two_m = ((F(2.0) if m & 1 else F(1.0)) * (F(4.0) if m & 2 else F(1.0)) * (F(16.0) if m & 4 else F(1.0))
             * (F(256.0) if m & 8 else F(1.0)) * (F(65536.0) if m & 16 else F(1.0))
             * (F(4294967296.0) if m & 32 else F(1.0)))
    return p * two_m if n >= 0 else p / two_m


@njit(inline="always", **_JIT)
def _squash_row(kind, src, i0, i1, dst, j0, j1, L, F):
    """dst[j0, j1, l] = squash(src[i0, i1, l]) for one row of lanes; one loop per kind so that each
    vectorises (indices instead of row views: a view costs a reference count in the hot loop)."""
    if kind == 0:
        for l in range(L):
            dst[j0, j1, l] = F(2.0) / (F(1.0) + _exp(F(-2.0) * src[i0, i1, l], F)) - F(1.0)
    elif kind == 1:
        for l in range(L):
            dst[j0, j1, l] = F(1.0) / (F(1.0) + _exp(-src[i0, i1, l], F))
    elif kind == 2:
        for l in range(L):
            dst[j0, j1, l] = F(4.0) / (F(1.0) + _exp(-src[i0, i1, l], F)) - F(2.0)
    elif kind == 3:
        for l in range(L):
            dst[j0, j1, l] = F(2.0) / (F(1.0) + _exp(-src[i0, i1, l], F)) - F(1.0)
    else:
        for l in range(L):
            dst[j0, j1, l] = src[i0, i1, l]


@njit(inline="always", **_JIT)
def _squash_deriv_row(kind, y, i0, i1, dst, L, F):
    """dst[l] = squash'(x) written in terms of the output y = squash(x) = y[i0, i1, l]."""
    if kind == 0:
        for l in range(L):
            dst[l] = F(1.0) - y[i0, i1, l] * y[i0, i1, l]
    elif kind == 1:
        for l in range(L):
            dst[l] = y[i0, i1, l] * (F(1.0) - y[i0, i1, l])
    elif kind == 2:
        for l in range(L):
            dst[l] = (F(2.0) + y[i0, i1, l]) * (F(2.0) - y[i0, i1, l]) * F(0.25)
    elif kind == 3:
        for l in range(L):
            dst[l] = (F(1.0) + y[i0, i1, l]) * (F(1.0) - y[i0, i1, l]) * F(0.5)
    else:
        for l in range(L):
            dst[l] = F(1.0)


@njit(inline="always", **_JIT)
def _gate_factors(cfg, a, ACT, IG, FG, F):
    """IG[b] = i(t), FG[b] = f(t) for every block and lane, whatever the architecture."""
    NB, has_i, forget, row_i, row_f = cfg[NB_], cfg[HAS_I], cfg[FORGET], cfg[ROW_I], cfg[ROW_F]
    L = IG.shape[1]
    for b in range(NB):
        if has_i:
            for l in range(L):
                IG[b, l] = ACT[a, row_i + b, l]
        else:
            for l in range(L):
                IG[b, l] = F(1.0)
        if forget == 0:
            for l in range(L):
                FG[b, l] = F(1.0)
        elif forget == 1:
            for l in range(L):
                FG[b, l] = ACT[a, row_f + b, l]
        elif forget == 2:
            for l in range(L):
                FG[b, l] = F(1.0) - IG[b, l]
        else:
            for l in range(L):
                FG[b, l] = F(0.0)


@njit(inline="always", **_JIT)
def _matvec(B, Wt, Wl, SRC, a, NET, L, F):
    """NET[0, r, l] = Σ_j W[r, j] SRC[a, j, l] for every lane.  Online (B = 1) the lanes are trials
    with their own weights (Wl); with batches a trial's B lanes share one weight (Wt), which saves
    streaming per-lane copies.  Four sources per pass over the lanes (fewer loads and stores of
    NET); unsigned indices, because numba's negative-index wraparound on computed indices would
    stop the lane loops from vectorising."""
    R, NS, K = Wt.shape
    a = np.uint64(a)
    zero = np.uint64(0)
    n4 = np.uint64(NS - NS % 4)
    for r in range(np.uint64(R)):
        for l in range(np.uint64(L)):
            NET[zero, r, l] = F(0.0)
        if B == 1:
            for j in range(zero, n4, np.uint64(4)):
                for l in range(np.uint64(L)):
                    NET[zero, r, l] += (Wl[r, j, l] * SRC[a, j, l] + Wl[r, j + 1, l] * SRC[a, j + 1, l]
                                        + Wl[r, j + 2, l] * SRC[a, j + 2, l] + Wl[r, j + 3, l] * SRC[a, j + 3, l])
            for j in range(n4, np.uint64(NS)):
                for l in range(np.uint64(L)):
                    NET[zero, r, l] += Wl[r, j, l] * SRC[a, j, l]
        else:
            uB = np.uint64(B)
            for k in range(np.uint64(K)):
                base = k * uB
                for j in range(zero, n4, np.uint64(4)):
                    w0, w1, w2, w3 = Wt[r, j, k], Wt[r, j + 1, k], Wt[r, j + 2, k], Wt[r, j + 3, k]
                    for b in range(uB):
                        NET[zero, r, base + b] += (w0 * SRC[a, j, base + b] + w1 * SRC[a, j + 1, base + b]
                                                   + w2 * SRC[a, j + 2, base + b] + w3 * SRC[a, j + 3, base + b])
                for j in range(n4, np.uint64(NS)):
                    w = Wt[r, j, k]
                    for b in range(uB):
                        NET[zero, r, base + b] += w * SRC[a, j, base + b]


@njit(inline="always", **_JIT)
def _matvec_transposed(B, Wt, Wl, D, j0, EPS, L, F):
    """EPS[j, l] = Σ_r W[r, j] D[r, l] for j >= j0 (the error reaching the recurrent sources),
    four rows per pass over the lanes."""
    R, NS, K = Wt.shape
    zero = np.uint64(0)
    r4 = np.uint64(R - R % 4)
    for j in range(np.uint64(j0), np.uint64(NS)):
        for l in range(np.uint64(L)):
            EPS[j, l] = F(0.0)
        if B == 1:
            for r in range(zero, r4, np.uint64(4)):
                for l in range(np.uint64(L)):
                    EPS[j, l] += (Wl[r, j, l] * D[r, l] + Wl[r + 1, j, l] * D[r + 1, l]
                                  + Wl[r + 2, j, l] * D[r + 2, l] + Wl[r + 3, j, l] * D[r + 3, l])
            for r in range(r4, np.uint64(R)):
                for l in range(np.uint64(L)):
                    EPS[j, l] += Wl[r, j, l] * D[r, l]
        else:
            uB = np.uint64(B)
            for k in range(np.uint64(K)):
                base = k * uB
                for r in range(zero, r4, np.uint64(4)):
                    w0, w1, w2, w3 = Wt[r, j, k], Wt[r + 1, j, k], Wt[r + 2, j, k], Wt[r + 3, j, k]
                    for b in range(uB):
                        EPS[j, base + b] += (w0 * D[r, base + b] + w1 * D[r + 1, base + b]
                                             + w2 * D[r + 2, base + b] + w3 * D[r + 3, base + b])
                for r in range(r4, np.uint64(R)):
                    w = Wt[r, j, k]
                    for b in range(uB):
                        EPS[j, base + b] += w * D[r, base + b]


@njit(inline="always", **_JIT)
def _outer_accumulate(D, SRC, t, G, L):
    """G[r, j, l] += D[r, l] SRC[t, j, l]: per-lane weight gradients (summed over a trial's lanes later)."""
    R, NS, _ = G.shape
    t = np.uint64(t)
    for r in range(np.uint64(R)):
        for j in range(np.uint64(NS)):
            for l in range(np.uint64(L)):
                G[r, j, l] += D[r, l] * SRC[t, j, l]


@njit(**_JIT)
def _forward_step(cfg, t, a, ap, sp, sc, x, Wt, Wl, Pl, Ol, SRC, NET, ACT, S, HS, YC, YOUT, IG, FG, F):
    """One time step for all lanes.  a/ap: history slot of step t / t-1 (ap < 0 at t = 0);
    sp/sc: slots of s(t-1) / s(t)."""
    C, NB, S_blk, I, O, R, NS = cfg[C_], cfg[NB_], cfg[S_], cfg[I_], cfg[O_], cfg[R_], cfg[NS_]
    has_i, forget, has_o, peep = cfg[HAS_I], cfg[FORGET], cfg[HAS_O], cfg[PEEP]
    row_i, row_f, row_o, src_y, src_g = cfg[ROW_I], cfg[ROW_F], cfg[ROW_O], cfg[SRC_Y], cfg[SRC_G]
    L = x.shape[1]
    # sources u(t) = [1, x(t), y(t-1), gates(t-1)]
    for l in range(L):
        SRC[a, 0, l] = F(1.0)
    for j in range(I):
        for l in range(L):
            SRC[a, 1 + j, l] = x[j, l]
    for j in range(src_y, NS):
        if ap < 0:
            for l in range(L):
                SRC[a, j, l] = F(0.0)
        elif j < src_y + C:
            for l in range(L):
                SRC[a, j, l] = YC[ap, j - src_y, l]
        else:
            for l in range(L):
                SRC[a, j, l] = ACT[ap, C + j - src_g, l]
    # net inputs W · u(t)
    _matvec(cfg[BATCH], Wt, Wl, SRC, a, NET, L, F)
    # input and forget gates peep at s(t-1)
    if peep:
        for b in range(NB):
            for c in range(b * S_blk, (b + 1) * S_blk):
                if has_i:
                    for l in range(L):
                        NET[0, row_i + b, l] += Pl[0, c, l] * S[sp, c, l]
                if forget == 1:
                    for l in range(L):
                        NET[0, row_f + b, l] += Pl[1, c, l] * S[sp, c, l]
    for c in range(C):
        _squash_row(cfg[G_KIND], NET, 0, c, ACT, a, c, L, F)  # z = g(net_z)
    for r in range(C, R):
        if r < row_o or not has_o:
            _squash_row(1, NET, 0, r, ACT, a, r, L, F)  # i, f = σ(net)
    _gate_factors(cfg, a, ACT, IG, FG, F)
    # s(t) = f s(t-1) + i z
    for b in range(NB):
        for c in range(b * S_blk, (b + 1) * S_blk):
            for l in range(L):
                S[sc, c, l] = FG[b, l] * S[sp, c, l] + IG[b, l] * ACT[a, c, l]
            _squash_row(cfg[H_KIND], S, sc, c, HS, a, c, L, F)
    # output gate peeps at s(t); y(t) = o h(s(t))
    for b in range(NB):
        if has_o:
            if peep:
                for c in range(b * S_blk, (b + 1) * S_blk):
                    for l in range(L):
                        NET[0, row_o + b, l] += Pl[2, c, l] * S[sc, c, l]
            _squash_row(1, NET, 0, row_o + b, ACT, a, row_o + b, L, F)
            for c in range(b * S_blk, (b + 1) * S_blk):
                for l in range(L):
                    YC[a, c, l] = ACT[a, row_o + b, l] * HS[a, c, l]
        else:
            for c in range(b * S_blk, (b + 1) * S_blk):
                for l in range(L):
                    YC[a, c, l] = HS[a, c, l]
    # output layer over [1, y(t), x(t)?]
    for k in range(O):
        for l in range(L):
            YOUT[t, k, l] = Ol[k, 0, l]
        for c in range(C):
            for l in range(L):
                YOUT[t, k, l] += Ol[k, 1 + c, l] * YC[a, c, l]
        if cfg[OUT_X]:
            for j in range(I):
                for l in range(L):
                    YOUT[t, k, l] += Ol[k, 1 + C + j, l] * x[j, l]
    if cfg[OUT_KIND] == 1:
        for k in range(O):
            _squash_row(1, YOUT, t, k, YOUT, t, k, L, F)
    elif cfg[OUT_KIND] == 2:
        for l in range(L):
            m = YOUT[t, 0, l]
            for k in range(1, O):
                m = max(m, YOUT[t, k, l])
            tot = F(0.0)
            for k in range(O):
                YOUT[t, k, l] = np.exp(YOUT[t, k, l] - m)
                tot += YOUT[t, k, l]
            for k in range(O):
                YOUT[t, k, l] /= tot


@njit(**_JIT)
def _loss_step(cfg, t, y, w, YOUT, DOUT, lane_loss, lane_err):
    """Loss at step t (weights w[l]) and dL/dnet_out into DOUT[t]."""
    O, ok, lk = cfg[O_], cfg[OUT_KIND], cfg[LOSS_KIND]
    L = w.shape[0]
    for l in range(L):
        wl = w[l]
        if wl == 0.0:
            for k in range(O):
                DOUT[t, k, l] = 0.0
            continue
        for k in range(O):
            p, target = YOUT[t, k, l], y[k, l]
            diff = p - target
            lane_err[l] = max(lane_err[l], abs(diff))
            if lk == 0:  # 1/2 (p - target)^2
                lane_loss[l] += 0.5 * wl * diff * diff
                dnet = diff * (p * (1.0 - p) if ok == 1 else 1.0)
                if ok == 2:
                    dnet = 0.0  # softmax + mse: filled below
            else:  # cross-entropy: softmax -> categorical, logistic -> binary
                if ok == 2:
                    lane_loss[l] -= wl * target * np.log(max(p, 1e-300))
                else:
                    lane_loss[l] -= wl * (target * np.log(max(p, 1e-300))
                                          + (1.0 - target) * np.log(max(1.0 - p, 1e-300)))
                dnet = diff
            DOUT[t, k, l] = wl * dnet
        if lk == 0 and ok == 2:  # softmax Jacobian for mse
            dot = 0.0
            for k in range(O):
                dot += (YOUT[t, k, l] - y[k, l]) * YOUT[t, k, l]
            for k in range(O):
                DOUT[t, k, l] = wl * YOUT[t, k, l] * ((YOUT[t, k, l] - y[k, l]) - dot)


@njit(**_JIT)
def _backward_step(cfg, t, x, Wt, Wl, Pl, Ol, SRC, ACT, S, HS, YC, DOUT,
                   eps_s, eps_src, di_next, df_next, D, EY, gWl, gPl, gOl, IG, FG, TMP, F):
    """Derivative of ``_forward_step`` at step t.  On entry eps_s = dL/ds(t) from step t+1 (through
    the CEC, already multiplied by f(t+1)), eps_src = dL/du(t+1) (exact mode) and di_next/df_next =
    dL/dnet of the t+1 input/forget gates (peephole paths, exact mode)."""
    C, NB, S_blk, I, O, R, NS = cfg[C_], cfg[NB_], cfg[S_], cfg[I_], cfg[O_], cfg[R_], cfg[NS_]
    has_i, forget, has_o, peep = cfg[HAS_I], cfg[FORGET], cfg[HAS_O], cfg[PEEP]
    row_i, row_f, row_o, src_y, src_g = cfg[ROW_I], cfg[ROW_F], cfg[ROW_O], cfg[SRC_Y], cfg[SRC_G]
    exact = cfg[TRUNC] == 0
    gate_rec = exact and src_g >= 0
    L = x.shape[1]
    _gate_factors(cfg, t, ACT, IG, FG, F)
    # output layer
    for k in range(O):
        for l in range(L):
            gOl[k, 0, l] += DOUT[t, k, l]
        for c in range(C):
            for l in range(L):
                gOl[k, 1 + c, l] += DOUT[t, k, l] * YC[t, c, l]
        if cfg[OUT_X]:
            for j in range(I):
                for l in range(L):
                    gOl[k, 1 + C + j, l] += DOUT[t, k, l] * x[j, l]
    # dL/dy(t): from the outputs, and (exact) from the sources of step t+1
    for c in range(C):
        if exact:
            for l in range(L):
                EY[c, l] = eps_src[src_y + c, l]
        else:
            for l in range(L):
                EY[c, l] = F(0.0)
        for k in range(O):
            for l in range(L):
                EY[c, l] += Ol[k, 1 + c, l] * DOUT[t, k, l]
    # output gate: dL/dnet_o = σ'(net_o) (Σ_c h(s_c) dL/dy_c + dL/do from step t+1's sources)
    if has_o:
        for b in range(NB):
            r = row_o + b
            for l in range(L):
                D[r, l] = eps_src[src_g + r - C, l] if gate_rec else F(0.0)
            for c in range(b * S_blk, (b + 1) * S_blk):
                for l in range(L):
                    D[r, l] += HS[t, c, l] * EY[c, l]
            for l in range(L):
                D[r, l] *= ACT[t, r, l] * (F(1.0) - ACT[t, r, l])
    # dL/ds(t) = eps_s + o h'(s) dL/dy (+ peephole paths in exact mode)
    for b in range(NB):
        for c in range(b * S_blk, (b + 1) * S_blk):
            _squash_deriv_row(cfg[H_KIND], HS, t, c, TMP, L, F)
            if has_o:
                for l in range(L):
                    eps_s[c, l] += ACT[t, row_o + b, l] * TMP[l] * EY[c, l]
            else:
                for l in range(L):
                    eps_s[c, l] += TMP[l] * EY[c, l]
            if exact and peep:
                if has_o:
                    for l in range(L):
                        eps_s[c, l] += Pl[2, c, l] * D[row_o + b, l]
                if has_i:
                    for l in range(L):
                        eps_s[c, l] += Pl[0, c, l] * di_next[b, l]
                if forget == 1:
                    for l in range(L):
                        eps_s[c, l] += Pl[1, c, l] * df_next[b, l]
    # cell input, input gate, forget gate
    for b in range(NB):
        if has_i:
            for l in range(L):
                D[row_i + b, l] = eps_src[src_g + row_i + b - C, l] if gate_rec else F(0.0)
        if forget == 1:
            for l in range(L):
                D[row_f + b, l] = eps_src[src_g + row_f + b - C, l] if gate_rec else F(0.0)
        for c in range(b * S_blk, (b + 1) * S_blk):
            _squash_deriv_row(cfg[G_KIND], ACT, t, c, TMP, L, F)
            for l in range(L):
                D[c, l] = eps_s[c, l] * IG[b, l] * TMP[l]
            if has_i:
                if forget == 2:  # s = (1 - i) s(t-1) + i z
                    for l in range(L):
                        D[row_i + b, l] += eps_s[c, l] * (ACT[t, c, l] - S[t, c, l])
                else:
                    for l in range(L):
                        D[row_i + b, l] += eps_s[c, l] * ACT[t, c, l]
            if forget == 1:
                for l in range(L):
                    D[row_f + b, l] += eps_s[c, l] * S[t, c, l]
        if has_i:
            for l in range(L):
                D[row_i + b, l] *= IG[b, l] * (F(1.0) - IG[b, l])
        if forget == 1:
            for l in range(L):
                D[row_f + b, l] *= FG[b, l] * (F(1.0) - FG[b, l])
    # weight gradients
    _outer_accumulate(D, SRC, t, gWl, L)
    if peep:
        for b in range(NB):
            for c in range(b * S_blk, (b + 1) * S_blk):
                if has_i:
                    for l in range(L):
                        gPl[0, c, l] += D[row_i + b, l] * S[t, c, l]
                if forget == 1:
                    for l in range(L):
                        gPl[1, c, l] += D[row_f + b, l] * S[t, c, l]
                if has_o:
                    for l in range(L):
                        gPl[2, c, l] += D[row_o + b, l] * S[t + 1, c, l]
    # what step t-1 receives: the CEC path f(t) eps_s, and (exact) dL/du(t) and peephole deltas
    for b in range(NB):
        for c in range(b * S_blk, (b + 1) * S_blk):
            for l in range(L):
                eps_s[c, l] *= FG[b, l]
    if exact:
        _matvec_transposed(cfg[BATCH], Wt, Wl, D, src_y, eps_src, L, F)
        if peep:
            for b in range(NB):
                for l in range(L):
                    di_next[b, l] = D[row_i + b, l] if has_i else F(0.0)
                    df_next[b, l] = D[row_f + b, l] if forget == 1 else F(0.0)


@njit(**_JIT)
def _broadcast(master, lanes, B):
    """Copy each trial's weights [.., K] to its B lanes [.., K*B]."""
    A, Bd, L = lanes.shape
    for p in range(A):
        for q in range(Bd):
            for l in range(L):
                lanes[p, q, l] = master[p, q, l // B]


@njit(**_JIT)
def _reduce(lanes, out, B, scale):
    """out[.., k] = scale * sum of the trial's lane gradients."""
    A, Bd, K = out.shape
    for p in range(A):
        for q in range(Bd):
            for k in range(K):
                acc = 0.0
                for b in range(B):
                    acc += lanes[p, q, k * B + b]
                out[p, q, k] = scale * acc


@njit(**_JIT)
def _update(kind, hyper, step, active, W, G, M, V, mask):
    """One optimiser step on a packed parameter array [.., .., K] (only free entries, active trials)."""
    lr, mom, b1, b2, eps = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    A, Bd, K = W.shape
    for k in range(K):
        if active[k] != 1:
            continue
        c1 = 1.0
        c2 = 1.0
        if kind == 3:
            c1 = 1.0 - b1 ** step[k]
            c2 = 1.0 - b2 ** step[k]
        for p in range(A):
            for q in range(Bd):
                if mask[p, q] == 0.0:
                    continue
                g = G[p, q, k]
                if kind == 1:
                    W[p, q, k] -= lr * g
                elif kind == 2:
                    M[p, q, k] = mom * M[p, q, k] - lr * g
                    W[p, q, k] += M[p, q, k]
                elif kind == 3:
                    M[p, q, k] = b1 * M[p, q, k] + (1.0 - b1) * g
                    V[p, q, k] = b2 * V[p, q, k] + (1.0 - b2) * g * g
                    W[p, q, k] -= lr * (M[p, q, k] / c1) / (np.sqrt(V[p, q, k] / c2) + eps)


@njit(**_JIT)
def run_items(cfg, Wt, Pt, Ot, masks_W, masks_P, masks_O, X, LENS, Y, LW, need_grad,
              opt_kind, hyper, step, active, state, gW, gP, gO, out_loss, out_err, rec_y, rec_trace, F):
    """Process N items (each: a batch of B sequences per trial); after each item optionally update.

    Wt/Pt/Ot: master weights [.., K] (updated in place).  X [N, T, I, L], LENS [N, L],
    Y [N, T, O, L] targets, LW [N, T, L] loss weights.  state: optimiser buffers (M, V per array).
    gW/gP/gO receive the last item's gradients (per trial, divided by B).  out_loss/out_err [N, L]:
    per-lane loss and max |output - target| over weighted steps.  rec_y [N, T, O, L] or empty:
    outputs.  rec_trace [N, T, 2C + R, L] or empty: s(t), unit activations (g(net_z) and gates), y(t).
    F: the scalar type (np.float32 or np.float64) all arithmetic runs in.  active [K]: 1 = update, 0 = frozen; a trial whose loss or gradient becomes non-finite
    is set to -1 (diverged) and frozen."""
    C, NB, I, O, R, NS, NO = cfg[C_], cfg[NB_], cfg[I_], cfg[O_], cfg[R_], cfg[NS_], cfg[NO_]
    B, K = cfg[BATCH], cfg[TRIALS]
    N, T, _, L = X.shape
    dt = Wt.dtype
    Wl = np.empty((R, NS, L), dt)
    Pl = np.empty((3, C, L), dt)
    Ol = np.empty((O, NO, L), dt)
    _broadcast(Wt, Wl, B)
    _broadcast(Pt, Pl, B)
    _broadcast(Ot, Ol, B)
    store = need_grad
    TS = T if store else 2
    SRC = np.zeros((TS, NS, L), dt)
    ACT = np.zeros((TS, R, L), dt)
    S = np.zeros((T + 1 if store else 2, C, L), dt)
    HS = np.zeros((TS, C, L), dt)
    YC = np.zeros((TS, C, L), dt)
    NET = np.zeros((1, R, L), dt)
    IG = np.zeros((NB, L), dt)
    FG = np.zeros((NB, L), dt)
    TMP = np.zeros(L, dt)
    YOUT = np.zeros((T, O, L), dt)
    DOUT = np.zeros((T, O, L), dt)
    D = np.zeros((R, L), dt)
    EY = np.zeros((C, L), dt)
    eps_s = np.zeros((C, L), dt)
    eps_src = np.zeros((NS, L), dt)
    di_next = np.zeros((NB, L), dt)
    df_next = np.zeros((NB, L), dt)
    gWl = np.zeros((R, NS, L), dt)
    gPl = np.zeros((3, C, L), dt)
    gOl = np.zeros((O, NO, L), dt)
    lane_loss = np.zeros(L, np.float64)
    lane_err = np.zeros(L, np.float64)
    for n in range(N):
        Tn = 0
        for l in range(L):
            Tn = max(Tn, LENS[n, l])
        for c in range(C):
            for l in range(L):
                S[0, c, l] = 0.0
        lane_loss[:] = 0.0
        lane_err[:] = 0.0
        for t in range(Tn):
            a = t if store else t & 1
            ap = (a - 1 if store else 1 - a) if t > 0 else -1
            sp = t if store else t & 1
            sc = t + 1 if store else (t + 1) & 1
            _forward_step(cfg, t, a, ap, sp, sc, X[n, t], Wt, Wl, Pl, Ol, SRC, NET, ACT, S, HS, YC, YOUT, IG, FG, F)
            _loss_step(cfg, t, Y[n, t], LW[n, t], YOUT, DOUT, lane_loss, lane_err)
            if rec_trace.shape[0] > 0:
                for c in range(C):
                    for l in range(L):
                        rec_trace[n, t, c, l] = S[sc, c, l]
                        rec_trace[n, t, C + R + c, l] = YC[a, c, l]
                for r in range(R):
                    for l in range(L):
                        rec_trace[n, t, C + r, l] = ACT[a, r, l]
        for l in range(L):
            out_loss[n, l] = lane_loss[l]
            out_err[n, l] = lane_err[l]
        if rec_y.shape[0] > 0:
            for t in range(Tn):
                for k in range(O):
                    for l in range(L):
                        rec_y[n, t, k, l] = YOUT[t, k, l] if t < LENS[n, l] else 0.0
        if not need_grad:
            continue
        gWl[:] = 0.0
        gPl[:] = 0.0
        gOl[:] = 0.0
        eps_s[:] = 0.0
        eps_src[:] = 0.0
        di_next[:] = 0.0
        df_next[:] = 0.0
        for t in range(Tn - 1, -1, -1):
            _backward_step(cfg, t, X[n, t], Wt, Wl, Pl, Ol, SRC, ACT, S, HS, YC, DOUT,
                           eps_s, eps_src, di_next, df_next, D, EY, gWl, gPl, gOl, IG, FG, TMP, F)
        _reduce(gWl, gW, B, 1.0 / B)
        _reduce(gPl, gP, B, 1.0 / B)
        _reduce(gOl, gO, B, 1.0 / B)
        if opt_kind == 0:
            continue
        for k in range(K):
            if active[k] != 1:
                continue
            ok = True
            for b in range(B):
                if not np.isfinite(lane_loss[k * B + b]):
                    ok = False
            for p in range(R):
                for q in range(NS):
                    if not np.isfinite(gW[p, q, k]):
                        ok = False
            if not ok:
                active[k] = -1
            else:
                step[k] += 1
        _update(opt_kind, hyper, step, active, Wt, gW, state[0], state[1], masks_W)
        _update(opt_kind, hyper, step, active, Pt, gP, state[2], state[3], masks_P)
        _update(opt_kind, hyper, step, active, Ot, gO, state[4], state[5], masks_O)
        _broadcast(Wt, Wl, B)
        _broadcast(Pt, Pl, B)
        _broadcast(Ot, Ol, B)
