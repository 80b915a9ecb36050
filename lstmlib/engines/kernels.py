"""Compiled CPU engine (numba): forward pass, exact or truncated BPTT and optimiser steps.

The equations are written once, in the :mod:`lstmlib.model.spec` module docstring; this module
computes them for many sequences at once.  ``forward_step`` is the cell (one time step, a comment
at the line that computes each equation) and ``backward_step`` its derivative (the BPTT equations
are in its docstring).  Two layers run the cell over time: :func:`run_items` (whole sequences,
then BPTT and an optimiser step) and :func:`lstmlib.engines.online.run_stream` (continual streams,
RTRL and an optimiser step at every step).

Lanes.  All activations are stored "lane-innermost": lane ``l = k * B + b`` is sequence ``b`` of
trial ``k`` (L = K * B lanes), and every inner loop runs over lanes so that it vectorises.  Online
(B = 1) the lanes are the trials, each with its own weights (per-lane copies); with batches a
trial's B lanes share its weights in the matrix-vector products.  Weight gradients are accumulated
per lane and summed over a trial's lanes before the update.

Sizes (``cfg`` entries, set by :func:`lstmlib.engines.compiled.config`): C cells in NB blocks of
S_blk cells; I inputs, O outputs; R = C + gate rows (the units' rows: the C cell inputs z, then NB
rows per gate present, starting at ROW_I, ROW_F, ROW_O); NS sources u(t) = [1, x(t), y(t-1),
gates(t-1)] (y(t-1) from SRC_Y, the gate activations from SRC_G or SRC_G = -1); NO = 1 + C (+ I
with OUT_X) output-layer sources [1, y(t), x(t)?]; K trials, B sequences per trial.

Slots.  The history buffers have a leading slot axis.  When a gradient is needed, slot t holds
step t (``T`` slots) and the cell state has one slot more, ``S[t] = s(t-1)`` and ``S[t + 1] =
s(t)``; a forward-only pass keeps two slots used in turn (``t & 1``).  ``forward_step`` takes the
slots as ``(a, ap, sp, sc)``: step t, step t-1 (-1 at t = 0), s(t-1), s(t).  The online learner
keeps two slots: slot 0 is step t-1, slot 1 step t.

Buffers (``slots`` as above; σ' = σ(1 - σ)).  Weights (:class:`LaneWeights`)::

    Wt        [R, NS, K]     hidden weights W, one copy per trial (the products of batches, B > 1)
    W         [R, NS, L]     hidden weights W, one copy per lane (the products online, B = 1)
    P         [3, C, L]      peephole weights p_i, p_f, p_o
    O         [O, NO, L]     output weights W_out over [1, y(t), x(t)?]

Forward pass (:class:`Forward`, written by ``forward_step``)::

    SRC       [slots, NS, L]     sources u(t) = [1, x(t), y(t-1), gates(t-1)]
    NET       [1, R, L]          net inputs W · u(t) (+ peepholes) of the current step
    ACT       [slots, R, L]      unit activations: z = g(net_z) of the C cells, then i, f, o by block
    S         [slots + 1, C, L]  cell states: S[sp] = s(t-1), S[sc] = s(t)
    HS        [slots, C, L]      h(s(t))
    YC        [slots, C, L]      cell outputs y(t) = o h(s(t))
    YOUT      [T, O, L]          network outputs f_out(W_out [1, y(t), x(t)?]) (online: [1, O, L])
    IG, FG    [NB, L]            i(t) and the forget factor f(t) of the current step (i = 1 without
                                 an input gate; f = 1, σ(net_f), 1 - i, 0 or the fixed decay by forget mode)

Backward pass (:class:`Backward`, ``loss_step`` and ``backward_step``) and gradients::

    DOUT      [T, O, L]      e_k(t) = ∂L/∂net_out,k(t), the loss weight included
    D         [R, L]         δ_r(t) = ∂L/∂net_r(t) of every row: δ_z of the cells, δ_i, δ_f, δ_o
    EY        [C, L]         ε_c(t) = ∂L/∂y_c(t)
    TMP       [L]            one row of squash derivatives, g'(net_z) or h'(s)
    eps_s     [C, L]         ε_s(t) = ∂L/∂s(t); between steps f(t) ε_s(t), what step t-1 receives
    eps_src   [NS, L]        ∂L/∂u_j(t+1) of the recurrent sources j >= SRC_Y (exact BPTT)
    di_next   [NB, L]        δ_i(t+1), and df_next δ_f(t+1): their peephole paths (exact BPTT)
    gW gP gO  like W, P, O   per-lane weight gradients, summed per trial into [.., K]

Online (:mod:`lstmlib.engines.online`; two slots, lanes = trials)::

    XT, YT    [I, L], [O, L]   x(t) and target(t) in lane layout; w [L] the loss weights
    CO        [4, C, L]        per cell: CO[0] = f, CO[1] = i g'(net_z), CO[2] = zz σ'(net_i),
                               CO[3] = s(t-1) σ'(net_f)   (zz = z, or z - s(t-1) when f = 1 - i)
    ES        [C, L]           e_s,c = o h'(s_c) ε_c, the local internal-state error
    PZ        [C, NS, L]       ∂s_c/∂W_z[c, j]
    PI, PF    [C, NS, L]       ∂s_c/∂W_i[b, j] and ∂s_c/∂W_f[b, j] (b: the block of cell c)
    PIP, PFP  [C, S_blk, L]    ∂s_c/∂p_i[c'] and ∂s_c/∂p_f[c'] for the cells c' of c's block
    live      [L]              the lane runs at this step; due [L]: its optimiser step is due

The kernels take these groups, and plain tuples such as ``(gW, gP, gO)``, instead of one argument
per buffer.

Performance notes (see ``benchmarks/engine.py``): ``error_model='numpy'`` removes the
zero-division checks that block vectorisation; computed lane indices are unsigned, because
numba's negative-index wraparound would also block it; ``exp`` is written in plain arithmetic of
the network's dtype (libm's exp does not vectorise); all arithmetic runs in that dtype (every
literal is wrapped in ``F(...)``, otherwise numba would promote float32 work to float64).  Codes
(squash kinds, forget modes, ...) are module-level integers, which numba compiles as constants.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, types
from numba.extending import overload

# cfg indices -------------------------------------------------------------------------------
C_, NB_, S_, I_, O_, R_, NS_, NO_ = 0, 1, 2, 3, 4, 5, 6, 7
HAS_I, FORGET, HAS_O, PEEP, G_KIND, H_KIND, OUT_KIND, LOSS_KIND, TRUNC = 8, 9, 10, 11, 12, 13, 14, 15, 16
ROW_I, ROW_F, ROW_O, SRC_Y, SRC_G, OUT_X, BATCH, TRIALS, DECAY_PPM = 17, 18, 19, 20, 21, 22, 23, 24, 25
CFG_SIZE = 26

# codes -------------------------------------------------------------------------------------
#: squash kinds (cfg[G_KIND], cfg[H_KIND]; σ is the logistic function)
TANH, LOGISTIC, LOGISTIC2, LOGISTIC1, IDENTITY = 0, 1, 2, 3, 4  # tanh, σ, 4σ - 2, 2σ - 1, x
#: forget modes (cfg[FORGET]): f = 1, a learned gate, f = 1 - i, f = 0, f = cfg[DECAY_PPM] / 10^6 (the
#: configuration is integer: a fixed state decay travels as millionths)
FORGET_NONE, FORGET_GATE, FORGET_COUPLED, FORGET_ZERO, FORGET_DECAY = 0, 1, 2, 3, 4
#: output activations (cfg[OUT_KIND])
OUT_LINEAR, OUT_LOGISTIC, OUT_SOFTMAX, OUT_LOGISTIC2 = 0, 1, 2, 3  # OUT_LOGISTIC2: 4σ - 2
#: losses (cfg[LOSS_KIND]): ½‖y - target‖², cross-entropy
LOSS_MSE, LOSS_CE = 0, 1
#: optimisers (the ``kind`` of :func:`update`; OPT_NONE: no update)
OPT_NONE, OPT_SGD, OPT_MOMENTUM, OPT_ADAM = 0, 1, 2, 3

SQUASH_CODES = {"tanh": TANH, "logistic": LOGISTIC, "logistic2": LOGISTIC2, "logistic1": LOGISTIC1,
                "identity": IDENTITY}
FORGET_CODES = {"none": FORGET_NONE, "gate": FORGET_GATE, "coupled": FORGET_COUPLED, "zero": FORGET_ZERO,
                "decay": FORGET_DECAY}
OUTPUT_CODES = {"linear": OUT_LINEAR, "logistic": OUT_LOGISTIC, "logistic2": OUT_LOGISTIC2, "softmax": OUT_SOFTMAX}
LOSS_CODES = {"mse": LOSS_MSE, "ce": LOSS_CE}
OPT_CODES = {"none": OPT_NONE, "sgd": OPT_SGD, "momentum": OPT_MOMENTUM, "adam": OPT_ADAM}

# buffer groups (see the module docstring) ----------------------------------------------------
#: the weights as the kernels read them (online, where B = 1, ``Wt`` is ``W``)
LaneWeights = namedtuple("LaneWeights", ["Wt", "W", "P", "O"])
#: what the forward pass writes
Forward = namedtuple("Forward", ["SRC", "NET", "ACT", "S", "HS", "YC", "YOUT", "IG", "FG"])
#: what the backward pass carries from step to step, and its scratch rows
Backward = namedtuple("Backward", ["DOUT", "D", "EY", "TMP", "eps_s", "eps_src", "di_next", "df_next"])

JIT = dict(cache=True, error_model="numpy", nogil=True)


def scalar_type(a):
    """The scalar type of array ``a``'s dtype, as a callable (the ``F`` of the kernels); compiled
    code only.  Deriving it inside a kernel keeps a type object out of the arguments of the entry
    points, whose dispatch would otherwise type it in Python at every call."""


@overload(scalar_type, inline="always")
def _scalar_type_impl(a):
    if a.dtype == types.float32:
        return lambda a: np.float32
    return lambda a: np.float64


@njit(inline="always", **JIT)
def exp(x, F):
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


@njit(inline="always", **JIT)
def squash_row(kind, src, i0, i1, dst, j0, j1, L, F):
    """dst[j0, j1, l] = squash(src[i0, i1, l]) for one row of lanes; one loop per kind so that each
    vectorises (indices instead of row views: a view costs a reference count in the hot loop)."""
    if kind == TANH:  # tanh(x) = 2σ(2x) - 1
        for l in range(L):
            dst[j0, j1, l] = F(2.0) / (F(1.0) + exp(F(-2.0) * src[i0, i1, l], F)) - F(1.0)
    elif kind == LOGISTIC:
        for l in range(L):
            dst[j0, j1, l] = F(1.0) / (F(1.0) + exp(-src[i0, i1, l], F))
    elif kind == LOGISTIC2:
        for l in range(L):
            dst[j0, j1, l] = F(4.0) / (F(1.0) + exp(-src[i0, i1, l], F)) - F(2.0)
    elif kind == LOGISTIC1:
        for l in range(L):
            dst[j0, j1, l] = F(2.0) / (F(1.0) + exp(-src[i0, i1, l], F)) - F(1.0)
    else:  # IDENTITY (compiled.config builds no other code)
        for l in range(L):
            dst[j0, j1, l] = src[i0, i1, l]


@njit(inline="always", **JIT)
def squash_deriv_row(kind, y, i0, i1, dst, L, F):
    """dst[l] = squash'(x) written in terms of the output y = squash(x) = y[i0, i1, l]."""
    if kind == TANH:
        for l in range(L):
            dst[l] = F(1.0) - y[i0, i1, l] * y[i0, i1, l]
    elif kind == LOGISTIC:
        for l in range(L):
            dst[l] = y[i0, i1, l] * (F(1.0) - y[i0, i1, l])
    elif kind == LOGISTIC2:
        for l in range(L):
            dst[l] = (F(2.0) + y[i0, i1, l]) * (F(2.0) - y[i0, i1, l]) * F(0.25)
    elif kind == LOGISTIC1:
        for l in range(L):
            dst[l] = (F(1.0) + y[i0, i1, l]) * (F(1.0) - y[i0, i1, l]) * F(0.5)
    else:  # IDENTITY
        for l in range(L):
            dst[l] = F(1.0)


@njit(inline="always", **JIT)
def gates_vary(cfg):
    """False where i(t) and f(t) are constants (no input gate, and f = 1, a fixed decay or 0): their
    rows IG, FG are then filled once per buffer by :func:`gate_factors`, not at every step."""
    return cfg[HAS_I] != 0 or cfg[FORGET] == FORGET_GATE or cfg[FORGET] == FORGET_COUPLED


@njit(inline="always", **JIT)
def gate_factors(cfg, a, ACT, IG, FG, F):
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
        if forget == FORGET_NONE:
            for l in range(L):
                FG[b, l] = F(1.0)
        elif forget == FORGET_GATE:
            for l in range(L):
                FG[b, l] = ACT[a, row_f + b, l]
        elif forget == FORGET_COUPLED:
            for l in range(L):
                FG[b, l] = F(1.0) - IG[b, l]
        elif forget == FORGET_DECAY:
            for l in range(L):
                FG[b, l] = F(cfg[DECAY_PPM]) / F(1_000_000.0)
        else:  # FORGET_ZERO
            for l in range(L):
                FG[b, l] = F(0.0)


@njit(inline="always", **JIT)
def matvec(B, Wt, Wl, SRC, a, NET, L, F):
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


@njit(inline="always", **JIT)
def matvec_transposed(B, Wt, Wl, D, j0, EPS, L, F):
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


@njit(inline="always", **JIT)
def outer_accumulate(D, SRC, t, G, L):
    """G[r, j, l] += D[r, l] SRC[t, j, l]: per-lane weight gradients (summed over a trial's lanes later)."""
    R, NS, _ = G.shape
    t = np.uint64(t)
    for r in range(np.uint64(R)):
        for j in range(np.uint64(NS)):
            for l in range(np.uint64(L)):
                G[r, j, l] += D[r, l] * SRC[t, j, l]


@njit(**JIT)
def forward_step(cfg, t, slots, x, weights, fwd, F):
    """One time step of the cell for all lanes: the equations of :mod:`lstmlib.model.spec` from the
    sources u(t) to the outputs, written into ``fwd`` (a :class:`Forward`) at the history slots
    ``slots = (a, ap, sp, sc)``: step t, step t-1 (ap < 0 at t = 0), s(t-1) and s(t).  x [I, L]:
    the inputs x(t); ``weights``: a :class:`LaneWeights`; the outputs go to ``fwd.YOUT[t]``."""
    C, NB, S_blk, I, O, R, NS = cfg[C_], cfg[NB_], cfg[S_], cfg[I_], cfg[O_], cfg[R_], cfg[NS_]
    has_i, forget, has_o, peep = cfg[HAS_I], cfg[FORGET], cfg[HAS_O], cfg[PEEP]
    row_i, row_f, row_o, src_y, src_g = cfg[ROW_I], cfg[ROW_F], cfg[ROW_O], cfg[SRC_Y], cfg[SRC_G]
    a, ap, sp, sc = slots
    Pl, Ol = weights.P, weights.O
    SRC, NET, ACT, S, HS, YC, YOUT = fwd.SRC, fwd.NET, fwd.ACT, fwd.S, fwd.HS, fwd.YC, fwd.YOUT
    IG, FG = fwd.IG, fwd.FG
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
    matvec(cfg[BATCH], weights.Wt, weights.W, SRC, a, NET, L, F)
    # input and forget gates peep at s(t-1)
    if peep:
        for b in range(NB):
            for c in range(b * S_blk, (b + 1) * S_blk):
                if has_i:
                    for l in range(L):
                        NET[0, row_i + b, l] += Pl[0, c, l] * S[sp, c, l]
                if forget == FORGET_GATE:
                    for l in range(L):
                        NET[0, row_f + b, l] += Pl[1, c, l] * S[sp, c, l]
    for c in range(C):
        squash_row(cfg[G_KIND], NET, 0, c, ACT, a, c, L, F)  # z = g(net_z)
    for r in range(C, R):
        if r < row_o or not has_o:
            squash_row(LOGISTIC, NET, 0, r, ACT, a, r, L, F)  # i, f = σ(net)
    if gates_vary(cfg):
        gate_factors(cfg, a, ACT, IG, FG, F)
    # s(t) = f s(t-1) + i z
    for b in range(NB):
        for c in range(b * S_blk, (b + 1) * S_blk):
            for l in range(L):
                S[sc, c, l] = FG[b, l] * S[sp, c, l] + IG[b, l] * ACT[a, c, l]
            squash_row(cfg[H_KIND], S, sc, c, HS, a, c, L, F)
    # output gate peeps at s(t); y(t) = o h(s(t))
    for b in range(NB):
        if has_o:
            if peep:
                for c in range(b * S_blk, (b + 1) * S_blk):
                    for l in range(L):
                        NET[0, row_o + b, l] += Pl[2, c, l] * S[sc, c, l]
            squash_row(LOGISTIC, NET, 0, row_o + b, ACT, a, row_o + b, L, F)
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
    if cfg[OUT_KIND] == OUT_LOGISTIC:
        for k in range(O):
            squash_row(LOGISTIC, YOUT, t, k, YOUT, t, k, L, F)
    elif cfg[OUT_KIND] == OUT_LOGISTIC2:
        for k in range(O):
            squash_row(LOGISTIC2, YOUT, t, k, YOUT, t, k, L, F)
    elif cfg[OUT_KIND] == OUT_SOFTMAX:
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


@njit(**JIT)
def loss_step(cfg, t, y, w, YOUT, DOUT, lane_loss, lane_err):
    """Loss at step t and e_k(t) = ∂L/∂net_out,k(t) into DOUT[t]: y [O, L] targets, w [L] loss
    weights (0: no target); lane_loss [L] += w ℓ, lane_err [L] = max(lane_err, |y - target|).  mse
    ℓ = ½‖y - target‖² (e = (y - target) f_out'); cross-entropy with a softmax (categorical) or a
    logistic output (binary), e = y - target."""
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
            if lk == LOSS_MSE:  # 1/2 (p - target)^2
                lane_loss[l] += 0.5 * wl * diff * diff
                dnet = diff
                if ok == OUT_LOGISTIC:
                    dnet = diff * p * (1.0 - p)
                elif ok == OUT_LOGISTIC2:  # 4σ - 2: derivative (2 + p)(2 - p) / 4
                    dnet = diff * (2.0 + p) * (2.0 - p) * 0.25
                if ok == OUT_SOFTMAX:
                    dnet = 0.0  # softmax + mse: filled below
            else:  # cross-entropy: softmax -> categorical, logistic -> binary
                if ok == OUT_SOFTMAX:
                    lane_loss[l] -= wl * target * np.log(max(p, 1e-300))
                else:
                    lane_loss[l] -= wl * (target * np.log(max(p, 1e-300))
                                          + (1.0 - target) * np.log(max(1.0 - p, 1e-300)))
                dnet = diff
            DOUT[t, k, l] = wl * dnet
        if lk == LOSS_MSE and ok == OUT_SOFTMAX:  # softmax Jacobian for mse
            dot = 0.0
            for k in range(O):
                dot += (YOUT[t, k, l] - y[k, l]) * YOUT[t, k, l]
            for k in range(O):
                DOUT[t, k, l] = wl * YOUT[t, k, l] * ((YOUT[t, k, l] - y[k, l]) - dot)


@njit(**JIT)
def backward_step(cfg, t, x, weights, fwd, bwd, grads, F):
    """The derivative of ``forward_step`` at step t (BPTT, Graves 2012 §4.6 in this library's
    notation): reads the forward buffers ``fwd`` of every step (slot t), adds step t's terms to the
    per-lane gradients ``grads = (gW, gP, gO)`` and leaves in ``bwd`` (a :class:`Backward`) what step
    t-1 needs.  On entry ``bwd.eps_s`` = f(t+1) ε_s(t+1), ``bwd.eps_src`` = ∂L/∂u(t+1) and
    ``bwd.di_next``/``df_next`` = δ_i(t+1), δ_f(t+1) (zero at the last step); ``bwd.DOUT[t]`` = e(t).

    With net_r(t) the argument of row r's squashing function (W_r · u(t), plus the peephole terms
    for the gates, as in :mod:`lstmlib.model.spec`), δ_r = ∂L/∂net_r(t) for every row r (``D``),
    σ' = σ(1 - σ), g' and h' the squash derivatives, W[r, y_c] the weight from source y_c(t) of
    u(t+1) and W[r, g] that from the gate activation g(t) (``gate_recurrence``), for cell c of
    block b::

        ε_c(t)   = Σ_k W_out[k, c] e_k(t) + Σ_r W[r, y_c] δ_r(t+1)                        cell output
        δ_o,b(t) = σ'(net_o,b) (Σ_{c∈b} h(s_c(t)) ε_c(t) + Σ_r W[r, o_b] δ_r(t+1))         output gate
        ε_s,c(t) = o_b h'(s_c(t)) ε_c(t) + f_b(t+1) ε_s,c(t+1)                             cell state
                   + p_o[c] δ_o,b(t) + p_i[c] δ_i,b(t+1) + p_f[c] δ_f,b(t+1)
        δ_z,c(t) = i_b g'(net_z,c) ε_s,c(t)                                                cell input
        δ_i,b(t) = σ'(net_i,b) (Σ_{c∈b} zz_c ε_s,c(t) + Σ_r W[r, i_b] δ_r(t+1))            input gate
        δ_f,b(t) = σ'(net_f,b) (Σ_{c∈b} s_c(t-1) ε_s,c(t) + Σ_r W[r, f_b] δ_r(t+1))        forget gate

        ∂L/∂W[r, j] += δ_r(t) u_j(t)           ∂L/∂W_out[k, m] += e_k(t) [1, y(t), x(t)?]_m
        ∂L/∂p_i[c] += δ_i,b(t) s_c(t-1)        ∂L/∂p_f[c] += δ_f,b(t) s_c(t-1)
        ∂L/∂p_o[c] += δ_o,b(t) s_c(t)

    with zz_c = z_c, or z_c - s_c(t-1) when f = 1 - i (``forget="coupled"``, whose forget factor has
    no row of its own).  An absent gate is the constant 1 (f: 1, 1 - i or 0 by ``forget``): its δ
    and the terms through it drop out; with f = 0 no error crosses the CEC.  Step t-1 receives
    f(t) ε_s(t), ∂L/∂u_j(t) = Σ_r W[r, j] δ_r(t) for the recurrent sources, δ_i(t) and δ_f(t).

    Truncated (``cfg[TRUNC]``; H&S 1997 App. A.1, Gers 2000, 2002): error reaches the past only
    through the CEC.  The sources u(t) and the peephole inputs are constants, so every δ_r(t+1) and
    peephole term above drops out: ε_c(t) = Σ_k W_out[k, c] e_k(t), ε_s,c(t) = o_b h'(s_c(t)) ε_c(t)
    + f_b(t+1) ε_s,c(t+1), and the δ's without their Σ_r W δ_r(t+1) terms."""
    C, NB, S_blk, I, O = cfg[C_], cfg[NB_], cfg[S_], cfg[I_], cfg[O_]
    has_i, forget, has_o, peep = cfg[HAS_I], cfg[FORGET], cfg[HAS_O], cfg[PEEP]
    row_i, row_f, row_o, src_y, src_g = cfg[ROW_I], cfg[ROW_F], cfg[ROW_O], cfg[SRC_Y], cfg[SRC_G]
    exact = cfg[TRUNC] == 0
    gate_rec = exact and src_g >= 0
    Pl, Ol = weights.P, weights.O
    SRC, ACT, S, HS, YC, IG, FG = fwd.SRC, fwd.ACT, fwd.S, fwd.HS, fwd.YC, fwd.IG, fwd.FG
    DOUT, D, EY, TMP = bwd.DOUT, bwd.D, bwd.EY, bwd.TMP
    eps_s, eps_src, di_next, df_next = bwd.eps_s, bwd.eps_src, bwd.di_next, bwd.df_next
    gWl, gPl, gOl = grads
    L = x.shape[1]
    if gates_vary(cfg):
        gate_factors(cfg, t, ACT, IG, FG, F)
    # output layer: ∂L/∂W_out[k, m] += e_k(t) [1, y(t), x(t)?]_m
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
    # ε_c(t) = Σ_k W_out[k, c] e_k(t) (+ Σ_r W[r, y_c] δ_r(t+1), exact)
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
    # δ_o,b(t) = σ'(net_o) (Σ_c h(s_c) ε_c (+ Σ_r W[r, o_b] δ_r(t+1), gate recurrence))
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
    # ε_s,c(t) = f(t+1) ε_s,c(t+1) + o h'(s) ε_c (+ p_o δ_o(t) + p_i δ_i(t+1) + p_f δ_f(t+1), exact)
    for b in range(NB):
        for c in range(b * S_blk, (b + 1) * S_blk):
            if cfg[H_KIND] == IDENTITY:  # h' = 1: x * 1 is x, so the product is left out
                if has_o:
                    for l in range(L):
                        eps_s[c, l] += ACT[t, row_o + b, l] * EY[c, l]
                else:
                    for l in range(L):
                        eps_s[c, l] += EY[c, l]
            else:
                squash_deriv_row(cfg[H_KIND], HS, t, c, TMP, L, F)
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
                if forget == FORGET_GATE:
                    for l in range(L):
                        eps_s[c, l] += Pl[1, c, l] * df_next[b, l]
    # cell input, input gate, forget gate
    for b in range(NB):
        if has_i:  # the gate recurrence term Σ_r W[r, i_b] δ_r(t+1) first
            for l in range(L):
                D[row_i + b, l] = eps_src[src_g + row_i + b - C, l] if gate_rec else F(0.0)
        if forget == FORGET_GATE:
            for l in range(L):
                D[row_f + b, l] = eps_src[src_g + row_f + b - C, l] if gate_rec else F(0.0)
        for c in range(b * S_blk, (b + 1) * S_blk):
            squash_deriv_row(cfg[G_KIND], ACT, t, c, TMP, L, F)
            for l in range(L):
                D[c, l] = eps_s[c, l] * IG[b, l] * TMP[l]  # δ_z,c(t) = i g'(net_z) ε_s,c
            if has_i:
                if forget == FORGET_COUPLED:  # s = (1 - i) s(t-1) + i z: zz = z - s(t-1)
                    for l in range(L):
                        D[row_i + b, l] += eps_s[c, l] * (ACT[t, c, l] - S[t, c, l])
                else:  # zz = z
                    for l in range(L):
                        D[row_i + b, l] += eps_s[c, l] * ACT[t, c, l]
            if forget == FORGET_GATE:  # Σ_c s_c(t-1) ε_s,c
                for l in range(L):
                    D[row_f + b, l] += eps_s[c, l] * S[t, c, l]
        if has_i:  # δ_i,b(t) = σ'(net_i) (...)
            for l in range(L):
                D[row_i + b, l] *= IG[b, l] * (F(1.0) - IG[b, l])
        if forget == FORGET_GATE:  # δ_f,b(t) = σ'(net_f) (...)
            for l in range(L):
                D[row_f + b, l] *= FG[b, l] * (F(1.0) - FG[b, l])
    # ∂L/∂W[r, j] += δ_r(t) u_j(t); peepholes: δ_i, δ_f times s(t-1), δ_o times s(t)
    outer_accumulate(D, SRC, t, gWl, L)
    if peep:
        for b in range(NB):
            for c in range(b * S_blk, (b + 1) * S_blk):
                if has_i:
                    for l in range(L):
                        gPl[0, c, l] += D[row_i + b, l] * S[t, c, l]
                if forget == FORGET_GATE:
                    for l in range(L):
                        gPl[1, c, l] += D[row_f + b, l] * S[t, c, l]
                if has_o:
                    for l in range(L):
                        gPl[2, c, l] += D[row_o + b, l] * S[t + 1, c, l]
    # what step t-1 receives: f(t) ε_s(t) through the CEC, and (exact) ∂L/∂u(t) = Wᵀ δ(t), δ_i(t), δ_f(t)
    for b in range(NB):
        for c in range(b * S_blk, (b + 1) * S_blk):
            for l in range(L):
                eps_s[c, l] *= FG[b, l]
    if exact:
        matvec_transposed(cfg[BATCH], weights.Wt, weights.W, D, src_y, eps_src, L, F)
        if peep:
            for b in range(NB):
                for l in range(L):
                    di_next[b, l] = D[row_i + b, l] if has_i else F(0.0)
                    df_next[b, l] = D[row_f + b, l] if forget == FORGET_GATE else F(0.0)


@njit(**JIT)
def broadcast(master, lanes, B):
    """Copy each trial's weights [.., K] to its B lanes [.., K*B]."""
    A, Bd, L = lanes.shape
    for p in range(A):
        for q in range(Bd):
            for l in range(L):
                lanes[p, q, l] = master[p, q, l // B]


@njit(**JIT)
def reduce(lanes, out, B, scale):
    """out[.., k] = scale * sum of the trial's lane gradients."""
    A, Bd, K = out.shape
    for p in range(A):
        for q in range(Bd):
            for k in range(K):
                acc = 0.0
                for b in range(B):
                    acc += lanes[p, q, k * B + b]
                out[p, q, k] = scale * acc


@njit(inline="always", **JIT)
def hyper_tuple(hyper):
    """The optimiser's five numbers (lr, momentum, β1, β2, eps) as scalars, read once per update."""
    return hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]


@njit(inline="always", **JIT)
def bias_correction(beta, step):
    """Adam's bias correction 1 - β^step."""
    return 1.0 - beta ** step


@njit(inline="always", **JIT)
def opt_step(kind, hyper, c1, c2, g, m, v, F):
    """One optimiser step for one weight with gradient g (the optimisers of
    :mod:`lstmlib.training.optimisers`): returns ``(d, m, v)``, the amount to subtract from the
    weight and its new momentum / Adam moments (unchanged where ``kind`` has none), rounded to F,
    the buffers' scalar type, before the step uses them.  ``hyper`` from :func:`hyper_tuple`; c1,
    c2: Adam's bias corrections.  The one copy of the formulas, used by :func:`update` and
    :func:`lstmlib.engines.online.update_lanes`.  Scalars in and out: array arguments inside the
    callers' weight loops would cost reference counts there and stop the loops vectorising.
    (``w -= -m`` rounds exactly as ``w += m``.)"""
    lr, mom, b1, b2, eps = hyper
    if kind == OPT_SGD:  # w -= lr g
        return lr * g, m, v
    if kind == OPT_MOMENTUM:  # m = momentum m - lr g; w += m
        m = F(mom * m - lr * g)
        return -m, m, v
    # OPT_ADAM: moving averages m, v of g, g²; w -= lr m̂ / (√v̂ + eps) with m̂ = m / c1, v̂ = v / c2
    m = F(b1 * m + (1.0 - b1) * g)
    v = F(b2 * v + (1.0 - b2) * g * g)
    return lr * (m / c1) / (np.sqrt(v / c2) + eps), m, v


@njit(**JIT)
def update(kind, hyper, step, active, W, G, M, V, mask):
    """One optimiser step (``kind``: OPT_SGD, OPT_MOMENTUM or OPT_ADAM) on a packed parameter array
    W [.., .., K] with gradient G and moment buffers M, V: only the free entries (mask != 0) of the
    active trials (``active[k] == 1``); ``step [K]``: the optimiser steps so far, this one included."""
    h = hyper_tuple(hyper)
    F = scalar_type(W)
    A, Bd, K = W.shape
    for k in range(K):
        if active[k] != 1:
            continue
        c1 = 1.0
        c2 = 1.0
        if kind == OPT_ADAM:
            c1 = bias_correction(h[2], step[k])
            c2 = bias_correction(h[3], step[k])
        for p in range(A):
            for q in range(Bd):
                if mask[p, q] == 0.0:
                    continue
                d, m, v = opt_step(kind, h, c1, c2, G[p, q, k], M[p, q, k], V[p, q, k], F)
                W[p, q, k] -= d
                if kind != OPT_SGD:
                    M[p, q, k] = m
                if kind == OPT_ADAM:
                    V[p, q, k] = v


@njit(inline="always", **JIT)
def record_trace(rec_trace, n, t, slots, fwd, L):
    """rec_trace[n, t] = [s(t), unit activations (z, gates), y(t)] for every lane."""
    a, sc = slots[0], slots[3]
    C, R = fwd.YC.shape[1], fwd.ACT.shape[1]
    for c in range(C):
        for l in range(L):
            rec_trace[n, t, c, l] = fwd.S[sc, c, l]
            rec_trace[n, t, C + R + c, l] = fwd.YC[a, c, l]
    for r in range(R):
        for l in range(L):
            rec_trace[n, t, C + r, l] = fwd.ACT[a, r, l]


@njit(inline="always", **JIT)
def count_steps(active, step, lane_loss, gW, B):
    """Before an update: a trial whose loss or hidden-weight gradient is not finite is set to -1
    (diverged, frozen); every other active trial counts one more optimiser step."""
    K = active.shape[0]
    R, NS = gW.shape[0], gW.shape[1]
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


@njit(**JIT)
def clip_norms(limit, active, grads, masks):
    """Gradient-norm clipping, trial by trial: where the L2 norm of an active trial's gradient, over the
    free entries (mask != 0) of all of ``grads`` (gW, gP, gO) together, exceeds ``limit``, those entries
    are multiplied by ``limit / norm`` (``torch.nn.utils.clip_grad_norm_`` over one model's parameters,
    without its 1e-6 in the denominator)."""
    K = active.shape[0]
    for k in range(K):
        if active[k] != 1:
            continue
        total = 0.0
        for i in range(3):
            G, mask = grads[i], masks[i]
            for p in range(G.shape[0]):
                for q in range(G.shape[1]):
                    if mask[p, q] != 0.0:
                        total += G[p, q, k] * G[p, q, k]
        norm = np.sqrt(total)
        if norm > limit:
            scale = limit / norm
            for i in range(3):
                G, mask = grads[i], masks[i]
                for p in range(G.shape[0]):
                    for q in range(G.shape[1]):
                        if mask[p, q] != 0.0:
                            G[p, q, k] *= scale


@njit(inline="always", **JIT)
def cut_step(t, y, w, lens, YOUT, tol, cut, w_cut):
    """The cut rule of :func:`run_items` at step t, after the forward step: ``w_cut [L]`` = the loss
    weights w [L] of step t, 0 for a sequence cut before t; a sequence with w > 0 whose max_k |y_k -
    target_k| (in float64) is >= tol or NaN is cut at t (step t still carries its loss).  True when no
    sequence runs on after t."""
    O, L = YOUT.shape[1], YOUT.shape[2]
    running = False
    for l in range(L):
        if cut[l] >= 0:
            w_cut[l] = 0.0
            continue
        w_cut[l] = w[l]
        if w[l] > 0.0:
            err = 0.0
            for k in range(O):
                d = abs(np.float64(YOUT[t, k, l]) - np.float64(y[k, l]))
                err = max(err, d) if not np.isnan(d) else np.inf
            if not (err < tol):
                cut[l] = t
                continue
        running = running or t + 1 < lens[l]
    return not running


@njit(**JIT)
def run_items(cfg, master, masks, data, need_grad, optimiser, grads, outputs, cut_rule):
    """Process N items (each: a batch of B sequences per trial); after each item optionally update.

    ``master = (Wt, Pt, Ot)``: the weights [.., K] (updated in place); ``masks``: their 0/1 masks of
    free entries.  ``data = (X, LENS, Y, LW)``: X [N, T, I, L] inputs, LENS [N, L] lengths,
    Y [N, T, O, L] targets, LW [N, T, L] loss weights.  ``optimiser = (kind, hyper, step, active,
    state)``: an ``OPT_*`` code (OPT_NONE: no update), its six numbers (the sixth a gradient-norm
    limit per trial, :func:`clip_norms`; 0: none), the optimiser steps taken per trial [K], ``active
    [K]`` (1 = update, 0 = frozen; a trial whose loss or gradient becomes non-finite is set to -1,
    diverged, and frozen) and ``state``, the moment buffers (M, V) of each weight array.  ``grads =
    (gW, gP, gO)`` receive the last item's gradients (per trial, divided by B; after clipping, where
    it applies).  ``outputs = (out_loss, out_err, rec_y, rec_trace)``: out_loss/out_err [N, L]
    per-lane loss and max |output - target| over weighted steps; rec_y [N, T, O, L] or empty: the
    outputs; rec_trace [N, T, 2C + R, L] or empty: s(t), unit activations (g(net_z) and gates),
    y(t).  ``cut_rule = (tol, cut)``: with a finite ``tol`` every sequence is cut after its first wrong
    step, the first step with a loss weight > 0 and max_k |y_k - target_k| >= tol (or NaN): the steps
    after it carry no loss and no gradient, and the forward pass of an item ends once every sequence has
    erred or ended (Gers et al. 2002's training streams end at their first error); ``cut [N, L]``
    receives each sequence's cut step (-1: none).  All arithmetic runs in the weights' dtype."""
    C, NB, O, R, NS, NO = cfg[C_], cfg[NB_], cfg[O_], cfg[R_], cfg[NS_], cfg[NO_]
    B = cfg[BATCH]
    Wt, Pt, Ot = master
    X, LENS, Y, LW = data
    opt_kind, hyper, step, active, state = optimiser
    gW, gP, gO = grads
    out_loss, out_err, rec_y, rec_trace = outputs
    tol, cut = cut_rule
    cutting = np.isfinite(tol)
    F = scalar_type(Wt)
    N, T, _, L = X.shape
    dt = Wt.dtype
    weights = LaneWeights(Wt, np.empty((R, NS, L), dt), np.empty((3, C, L), dt), np.empty((O, NO, L), dt))
    broadcast(Wt, weights.W, B)
    broadcast(Pt, weights.P, B)
    broadcast(Ot, weights.O, B)
    store = need_grad
    TS = T if store else 2
    fwd = Forward(SRC=np.zeros((TS, NS, L), dt), NET=np.zeros((1, R, L), dt), ACT=np.zeros((TS, R, L), dt),
                  S=np.zeros((T + 1 if store else 2, C, L), dt), HS=np.zeros((TS, C, L), dt),
                  YC=np.zeros((TS, C, L), dt), YOUT=np.zeros((T, O, L), dt), IG=np.zeros((NB, L), dt),
                  FG=np.zeros((NB, L), dt))
    bwd = Backward(DOUT=np.zeros((T, O, L), dt), D=np.zeros((R, L), dt), EY=np.zeros((C, L), dt),
                   TMP=np.zeros(L, dt), eps_s=np.zeros((C, L), dt), eps_src=np.zeros((NS, L), dt),
                   di_next=np.zeros((NB, L), dt), df_next=np.zeros((NB, L), dt))
    gate_factors(cfg, 0, fwd.ACT, fwd.IG, fwd.FG, F)  # the constant ones (see gates_vary) are set for good
    lane_grads = (np.zeros((R, NS, L), dt), np.zeros((3, C, L), dt), np.zeros((O, NO, L), dt))
    lane_loss = np.zeros(L, np.float64)
    lane_err = np.zeros(L, np.float64)
    w_cut = np.zeros(L, dt)
    for n in range(N):
        Tn = 0
        for l in range(L):
            Tn = max(Tn, LENS[n, l])
        for c in range(C):
            for l in range(L):
                fwd.S[0, c, l] = 0.0
        lane_loss[:] = 0.0
        lane_err[:] = 0.0
        if cutting:
            for l in range(L):
                cut[n, l] = -1
        for t in range(Tn):
            a = t if store else t & 1  # step t's slot, and that of s(t-1) in S
            ap = (a - 1 if store else 1 - a) if t > 0 else -1
            sc = t + 1 if store else (t + 1) & 1
            slots = (a, ap, a, sc)
            forward_step(cfg, t, slots, X[n, t], weights, fwd, F)
            done = False
            if cutting:
                done = cut_step(t, Y[n, t], LW[n, t], LENS[n], fwd.YOUT, tol, cut[n], w_cut)
                loss_step(cfg, t, Y[n, t], w_cut, fwd.YOUT, bwd.DOUT, lane_loss, lane_err)
            else:
                loss_step(cfg, t, Y[n, t], LW[n, t], fwd.YOUT, bwd.DOUT, lane_loss, lane_err)
            if rec_trace.shape[0] > 0:
                record_trace(rec_trace, n, t, slots, fwd, L)
            if done:  # every sequence has erred or ended: no later step carries loss
                Tn = t + 1
                break
        for l in range(L):
            out_loss[n, l] = lane_loss[l]
            out_err[n, l] = lane_err[l]
        if rec_y.shape[0] > 0:
            for t in range(Tn):
                for k in range(O):
                    for l in range(L):
                        rec_y[n, t, k, l] = fwd.YOUT[t, k, l] if t < LENS[n, l] else 0.0
        if not need_grad:
            continue
        for g in lane_grads:
            g[:] = 0.0
        bwd.eps_s[:] = 0.0
        bwd.eps_src[:] = 0.0
        bwd.di_next[:] = 0.0
        bwd.df_next[:] = 0.0
        for t in range(Tn - 1, -1, -1):
            backward_step(cfg, t, X[n, t], weights, fwd, bwd, lane_grads, F)
        reduce(lane_grads[0], gW, B, 1.0 / B)
        reduce(lane_grads[1], gP, B, 1.0 / B)
        reduce(lane_grads[2], gO, B, 1.0 / B)
        if opt_kind == OPT_NONE:
            continue
        count_steps(active, step, lane_loss, gW, B)
        if hyper[5] > 0.0:
            clip_norms(hyper[5], active, grads, masks)
        update(opt_kind, hyper, step, active, Wt, gW, state[0], state[1], masks[0])
        update(opt_kind, hyper, step, active, Pt, gP, state[2], state[3], masks[1])
        update(opt_kind, hyper, step, active, Ot, gO, state[4], state[5], masks[2])
        broadcast(Wt, weights.W, B)
        broadcast(Pt, weights.P, B)
        broadcast(Ot, weights.O, B)
