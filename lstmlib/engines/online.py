"""Online learning on unsegmented streams: the truncated gradient computed forward in time (RTRL).

Gers et al. 2000/2002 train on continual streams and change the weights at *every* time step.  The
truncated gradient (H&S 1997 App. A.1, eqs. 23-28; Gers 2000 for the forget gate, Gers 2002 for
peepholes) treats the sources u(t) = [1, x(t), y(t-1), gates(t-1)] and the peephole inputs as
constants, so error reaches the past only through the CEC and can be computed forward in time with
one partial derivative ∂s_c/∂w per cell c and weight w of the units that feed the CEC.  For cell c
of block b at step t (σ' = σ(1 - σ); i, f, o as in :mod:`lstmlib.model.spec`, 1 for an absent gate;
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
rounding (the engine's backward pass, reordered forward in time): ``tests/test_online.py``.  The
buffers (``CO``, ``ES``, ``PZ``, ``PI``, ``PF``, ``PIP``, ``PFP``, ...) are listed in the
:mod:`lstmlib.engines.kernels` docstring.

Per step and trial the order is: forward step with the current weights, loss, partials and
gradient, then (every ``update_every`` steps) one optimiser step on the gradient summed since the
last update, with the optimisers of :mod:`lstmlib.training` (:func:`update_lanes`: the engine's
:func:`~lstmlib.engines.kernels.update` with the trial loop innermost; both apply the one
:func:`~lstmlib.engines.kernels.opt_step`).  The partials are carried across updates (each step's
increment computed with that step's weights), as in RTRL.  The forward step and the loss are the
engine's own :func:`~lstmlib.engines.kernels.forward_step` and
:func:`~lstmlib.engines.kernels.loss_step`; all ``net.trials`` trials run side by side as lanes
(trial index innermost), so a step costs O(weights) per trial.

The learner that drives these kernels, :class:`lstmlib.training.OnlineLearner`, is in
:mod:`lstmlib.training.online`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import kernels
from .kernels import (C_, FORGET, FORGET_COUPLED, FORGET_GATE, G_KIND, H_KIND, HAS_I, HAS_O, I_, NB_, NS_, O_, OPT_ADAM,
                      OPT_MOMENTUM, OPT_NONE, OPT_SGD, OUT_X, PEEP, R_, ROW_F, ROW_I, ROW_O, S_)

__all__ = ["RESET", "RESUME", "bad_input", "run_stream"]

#: The bits of the kernel's ``reset`` array (int8 codes, 0: nothing): RESET: a running lane starts afresh here
#: (state, partials and learning-rate decay zeroed); RESUME: a lane that waits after a wrong step (``resume``)
#: starts afresh here.  A reset step of :meth:`OnlineLearner.run` is both (RESET | RESUME); a string boundary
#: of a continual stream only RESUME (running lanes run on); an external reset where a waiting lane must
#: not start again only RESET.
RESET, RESUME = 1, 2


# These kernels compile in the engine's forward_step, loss_step, squash_deriv_row and opt_step: numba's
# cache does not notice edits to kernels.py here.  scripts/cache_guard.sh (run by scripts/test.sh and
# scripts/build_book.sh) clears the numba caches when lstmlib's source changes; outside those scripts,
# delete lstmlib/engines/__pycache__/online.*.nbi/.nbc by hand.


@njit(**kernels.JIT)
def gate_partials(c, c0, gate, row, PG, PGP, fwd, scratch, grads, peep):
    """Cell c's partials with respect to one gate of its block (gate 0: the input gate, coefficient
    CO[2] and peephole row 0; gate 1: the forget gate, CO[3] and peephole row 1; ``row``: its row of
    W), advanced one step, and their gradient terms: ∂s_c/∂W_g[j] = f ∂s_c/∂W_g[j] + CO[2 + gate] u_j,
    and for the block's peepholes the same with s_c'(t-1).  c0: the block's first cell."""
    SRC, S = fwd.SRC, fwd.S
    CO, ES = scratch[1], scratch[3]
    gW, gP = grads[0], grads[1]
    k, p = 2 + gate, gate
    NS, L = SRC.shape[1], SRC.shape[2]
    for j in range(NS):
        for l in range(L):
            PG[c, j, l] = CO[0, c, l] * PG[c, j, l] + CO[k, c, l] * SRC[1, j, l]
            gW[row, j, l] += ES[c, l] * PG[c, j, l]
    if peep:
        for m in range(PGP.shape[1]):
            for l in range(L):
                PGP[c, m, l] = CO[0, c, l] * PGP[c, m, l] + CO[k, c, l] * S[0, c0 + m, l]
                gP[p, c0 + m, l] += ES[c, l] * PGP[c, m, l]


@njit(**kernels.JIT)
def rtrl_step(cfg, x, weights, fwd, live, partials, grads, scratch, F):
    """Partials ∂s/∂w and the step's gradient (added to ``grads = (gW, gP, gO)``) after
    ``forward_step`` wrote step t into slot 1 of ``fwd`` (s(t-1) in S[0]) and ``loss_step`` e(t) into
    DOUT[0].  ``partials = (PZ, PI, PF, PIP, PFP)``, ``scratch = (DOUT, CO, EY, ES, TMP)``, x [I, L]
    the inputs x(t).  Lanes with live = 0 keep their partials (f -> 1, increments -> 0) and add
    nothing (their loss weight is 0)."""
    C, NB, S_blk, I, O_n, NS = cfg[C_], cfg[NB_], cfg[S_], cfg[I_], cfg[O_], cfg[NS_]
    has_i, forget, has_o, peep = cfg[HAS_I], cfg[FORGET], cfg[HAS_O], cfg[PEEP]
    row_i, row_f, row_o = cfg[ROW_I], cfg[ROW_F], cfg[ROW_O]
    SRC, ACT, S, HS, YC, IG, FG = fwd.SRC, fwd.ACT, fwd.S, fwd.HS, fwd.YC, fwd.IG, fwd.FG
    DOUT, CO, EY, ES, TMP = scratch
    PZ, PI, PF, PIP, PFP = partials
    gW, gP, gO = grads
    O = weights.O
    L = x.shape[1]
    # coefficients per cell: CO[0] = f, CO[1] = i g', CO[2] = zz σ'_i, CO[3] = s(t-1) σ'_f
    for b in range(NB):
        for c in range(b * S_blk, (b + 1) * S_blk):
            kernels.squash_deriv_row(cfg[G_KIND], ACT, 1, c, TMP, L, F)  # g'
            for l in range(L):
                ig, fg = IG[b, l], FG[b, l]
                zz = ACT[1, c, l] - S[0, c, l] if forget == FORGET_COUPLED else ACT[1, c, l]
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
            gO[k, 0, l] += DOUT[0, k, l]
        for c in range(C):
            for l in range(L):
                gO[k, 1 + c, l] += DOUT[0, k, l] * YC[1, c, l]
                EY[c, l] += O[k, 1 + c, l] * DOUT[0, k, l]
        if cfg[OUT_X]:
            for j in range(I):
                for l in range(L):
                    gO[k, 1 + C + j, l] += DOUT[0, k, l] * x[j, l]
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
            kernels.squash_deriv_row(cfg[H_KIND], HS, 1, c, TMP, L, F)  # h'
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
                gate_partials(c, c0, 0, row_i + b, PI, PIP, fwd, scratch, grads, peep)
            if forget == FORGET_GATE:
                gate_partials(c, c0, 1, row_f + b, PF, PFP, fwd, scratch, grads, peep)


@njit(**kernels.JIT)
def lane_checksum(G, chk):
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


@njit(**kernels.JIT)
def adam_corrections(hyper, step, c1, c2):
    """Adam's bias corrections per lane, c = 1 - β^step, as in the engine's ``update``."""
    b1, b2 = hyper[2], hyper[3]
    for l in range(step.shape[0]):
        c1[l] = kernels.bias_correction(b1, step[l])
        c2[l] = kernels.bias_correction(b2, step[l])


@njit(**kernels.JIT)
def update_lanes(kind, hyper, c1, c2, due, all_due, W, G, M, V, mask):
    """The engine's :func:`~lstmlib.engines.kernels.update` (the same
    :func:`~lstmlib.engines.kernels.opt_step`, so the same rounding) for the lanes with due = 1, with
    the lane loop innermost so that it vectorises over trials; then zeroes their gradient.  c1, c2 [L]:
    Adam's bias corrections 1 - β^step.  With every lane due, SGD and momentum run loops without the
    due test, their kind a constant (they vectorise)."""
    h = kernels.hyper_tuple(hyper)
    F = kernels.scalar_type(W)
    A, B, L = W.shape
    for p in range(A):
        for q in range(B):
            if mask[p, q] != 0.0:
                if all_due and kind == OPT_SGD:
                    for l in range(L):
                        W[p, q, l] -= kernels.opt_step(OPT_SGD, h, 1.0, 1.0, G[p, q, l], 0.0, 0.0, F)[0]
                elif all_due and kind == OPT_MOMENTUM:
                    for l in range(L):
                        d, m, _ = kernels.opt_step(OPT_MOMENTUM, h, 1.0, 1.0, G[p, q, l], M[p, q, l], 0.0, F)
                        W[p, q, l] -= d
                        M[p, q, l] = m
                else:
                    for l in range(L):
                        if due[l] == 1:
                            d, m, v = kernels.opt_step(kind, h, c1[l], c2[l], G[p, q, l], M[p, q, l], V[p, q, l], F)
                            W[p, q, l] -= d
                            if kind != OPT_SGD:
                                M[p, q, l] = m
                            if kind == OPT_ADAM:
                                V[p, q, l] = v
            if all_due:
                for l in range(L):
                    G[p, q, l] = 0.0
            else:
                for l in range(L):
                    if due[l] == 1:
                        G[p, q, l] = 0.0


@njit(fastmath={"reassoc"}, **kernels.JIT)
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


# run_stream's steps ------------------------------------------------------------------------------
# Every lane keeps its own position in the stream, ``pos [L]``: a lane that stops at a wrong step with
# ``resume`` jumps to its next reset step at once, instead of idling through the rest of its stream
# while the other lanes run.  Each lane's steps, and so its numbers, are those it would run alone (the
# kernels never mix lanes); a loop iteration runs one step of every lane that is live.
# ``lanes = (live, seg, n_run, pos, cur)``: which lanes run this iteration, the segments [L, n, 2], how
# many each lane has begun, the step each lane runs next and the stream of its queue that holds it;
# ``status = (active, ran, stopped)`` as in run_stream.

@njit(**kernels.JIT)
def end_segment(lanes, l, t):
    """Lane l stops at step t: it no longer runs, and its current segment ends at t.  A call, not
    inlined: inlined into the inlined helpers below, its stores were lost (numba 0.68.1; the stop
    rule never fired), and stops are rare."""
    live, seg, n_run = lanes[0], lanes[1], lanes[2]
    live[l] = False
    seg[l, n_run[l] - 1, 1] = t


@njit(inline="always", **kernels.JIT)
def count_segments(reset):
    """At most one segment per reset after step 0, plus one from step 0, for the lane with the most."""
    T = reset.shape[1]
    n_seg = 1
    for r in range(reset.shape[0]):
        n = 1
        for t in range(1, T):
            n += reset[r, t] != 0
        n_seg = max(n_seg, n)
    return n_seg


@njit(inline="always", **kernels.JIT)
def start_step(stream, sr, rule, status, lanes, learner):
    """Each lane's next step: a lane waiting with ``resume`` moves to its next reset step and resumes
    there (it goes on waiting if its stream ends first); at a reset a lane starts afresh (state and
    partials zeroed) and a new segment.  A lane past the end of its stream stops for this call.
    Returns the number of lanes that run this iteration."""
    reset, lengths, starts = stream[3], stream[4], stream[6]
    active, stopped = status[0], status[2]
    live, seg, n_run, pos, cur = lanes
    (S, YC, ACT), partials = learner[0], learner[1]
    resume, scale = rule[1], rule[4]
    n_live = 0
    M = starts.shape[1]
    for l in range(live.shape[0]):
        resumed = False
        if not live[l] and resume and stopped[l] and active[l] == 1:
            t = pos[l]
            while t < lengths[l] and reset[l * sr, t] & RESUME == 0:
                t += 1
            pos[l] = t
            if t < lengths[l]:
                stopped[l] = False
                live[l] = True
                resumed = True
        if not live[l]:
            continue
        t = pos[l]
        if t >= lengths[l]:  # past the end of this lane's stream: never run again in this call
            live[l] = False
            continue
        while cur[l] + 1 < M and starts[l, cur[l] + 1] <= t:  # the queued stream that holds step t
            cur[l] += 1
        rs = reset[l * sr, t] & RESET != 0 or resumed  # a resume point alone only restarts a lane that waited
        if rs:
            scale[l] = 1.0
            for a in (S, YC):
                for c in range(a.shape[1]):
                    a[0, c, l] = 0.0
            for r in range(ACT.shape[1]):
                ACT[0, r, l] = 0.0
            for a in partials:
                for p in range(a.shape[0]):
                    for q in range(a.shape[1]):
                        a[p, q, l] = 0.0
        if rs or t == 0:
            seg[l, n_run[l], 0] = t
            n_run[l] += 1
        n_live += 1
    return n_live


@njit(inline="always", **kernels.JIT)
def gather_step(stream, rows, lanes, step_io, scale, F):
    """Each live lane's inputs, targets and loss weights at its own step, in lane layout (0 for a lane
    that does not run); the step's loss and error start at 0.  ``rows = (sx, sy, sw)``: 1 where the
    stream has a row per lane, 0 where its one row serves every lane."""
    x, target, weights, queue, starts = stream[0], stream[1], stream[2], stream[5], stream[6]
    sx, sy, sw = rows
    live, pos, cur = lanes[0], lanes[3], lanes[4]
    XT, YT, w, lane_loss, lane_err = step_io
    for l in range(w.shape[0]):
        if live[l]:
            row, t = queue[l, cur[l]], pos[l] - starts[l, cur[l]]
            for j in range(XT.shape[0]):
                XT[j, l] = x[row * sx, t, j]
            for k in range(YT.shape[0]):
                YT[k, l] = target[row * sy, t, k]
            w[l] = weights[row * sw, t] * scale[l]
        else:
            for j in range(XT.shape[0]):
                XT[j, l] = F(0.0)
            for k in range(YT.shape[0]):
                YT[k, l] = F(0.0)
            w[l] = F(0.0)
        lane_loss[l] = 0.0
        lane_err[l] = 0.0


@njit(inline="always", **kernels.JIT)
def record_step(record, YO, step_io, status, lanes, outputs, scale):
    """Count and (with ``record``) record the step each live lane ran (the outputs start as NaN; the
    loss without the learning-rate decay factor ``scale``); a lane whose loss is not finite diverges
    (``active = -1``) and stops."""
    lane_loss, lane_err = step_io[3], step_io[4]
    active, ran = status[0], status[1]
    live, pos = lanes[0], lanes[3]
    out_y, out_loss, out_err = outputs
    O_n = YO.shape[1]
    for l in range(live.shape[0]):
        if live[l]:
            t = pos[l]
            ran[l] += 1
            if record:
                out_loss[l, t] = lane_loss[l] / scale[l]
                out_err[l, t] = lane_err[l]
                for k in range(O_n):
                    out_y[l, t, k] = YO[0, k, l]
            if not np.isfinite(lane_loss[l]):
                active[l] = -1
                end_segment(lanes, l, t)


@njit(inline="always", **kernels.JIT)
def optimiser_step(optimiser, params, masks, grads, status, lanes, opt_buf):
    """After a step: a lane that has summed ``every`` steps since its last update is due; a due lane
    whose gradient is not finite diverges and stops, every other one takes one optimiser step (and
    its gradient is zeroed).  ``opt_buf = (due, chk, c1, c2)``: lane scratch."""
    kind, hyper, every, steps, pending, opt_state = optimiser
    active = status[0]
    live, pos = lanes[0], lanes[3]
    due, chk, c1, c2 = opt_buf
    n_due = 0
    for l in range(live.shape[0]):
        due[l] = 0
        chk[l] = 0.0
        if live[l]:
            pending[l] += 1
            if pending[l] >= every:
                due[l] = 1
                n_due += 1
    if n_due == 0:
        return
    for g in grads:
        lane_checksum(g, chk)
    for l in range(live.shape[0]):
        if due[l] == 1:
            if np.isfinite(chk[l]):
                steps[l] += 1
                pending[l] = 0
            else:
                active[l] = -1
                end_segment(lanes, l, pos[l])
                due[l] = 0
    all_due = True
    for l in range(live.shape[0]):
        all_due = all_due and due[l] == 1
    if kind == OPT_ADAM:
        adam_corrections(hyper, steps, c1, c2)
    for i in range(3):
        update_lanes(kind, hyper, c1, c2, due, all_due, params[i], grads[i], opt_state[2 * i], opt_state[2 * i + 1],
                     masks[i])


@njit(inline="always", **kernels.JIT)
def commit_step(tol, decay, state, w, lane_err, status, lanes, stepped, scale):
    """The step becomes the past (slot 1 -> slot 0) for the lanes still running; then the stop rule: a
    lane with a target and max |y - target| >= tol (or NaN) stops.  Every lane that ran the step
    (``stepped``) moves on to its next one."""
    stopped = status[2]
    live, pos = lanes[0], lanes[3]
    for a in state:
        for r in range(a.shape[1]):
            for l in range(live.shape[0]):
                if live[l]:
                    a[0, r, l] = a[1, r, l]
    for l in range(live.shape[0]):
        if live[l] and w[l] != 0.0 and not (lane_err[l] < tol):
            stopped[l] = True
            end_segment(lanes, l, pos[l])
        if stepped[l]:
            pos[l] += 1
            if decay != 1.0:  # floored above 0, so that a step's target still counts (w != 0) for the stop rule
                scale[l] = max(scale[l] * decay, 1e-300)


@njit(**kernels.JIT)
def run_stream(cfg, params, masks, stream, rule, optimiser, learner, status, outputs):
    """Run a stream chunk for all lanes (= trials), each lane at its own position (see above).

    ``params = (W, P, O)`` and ``masks``: the weights in kernel layout and their masks. ``stream = (x, target,
    weights, reset, lengths, queue, starts)``: reset [K or 1, T] (a first axis of 1: the same for every lane)
    and lengths [K] (lane k runs its first lengths[k] steps) in each lane's own steps; x [rows, T', I], target
    [rows, T', O] (float64) and weights [rows, T'] loss weights hold streams, of which lane k runs rows
    ``queue[k, 0], queue[k, 1], ...`` one after the other, row ``queue[k, m]`` from its step ``starts[k, m]``
    on (``queue [K, M]``, ``starts [K, M]`` int64, ``starts[k, 0] = 0``; one stream per lane: ``queue[k, 0] =
    k``; an input with a single row serves every lane). ``reset`` holds the bits :data:`RESET` and
    :data:`RESUME` (int8 codes). ``rule = (tol, resume, record, decay, scale)``: the stop rule's tolerance,
    ``resume_at_reset``, ``record``, the learning-rate decay per step and the lanes' current factors [K] (each
    step's loss weight, and so its gradient, is multiplied by the lane's factor, which is 1 at a fresh start
    and multiplied by ``decay`` after every step: with SGD, a learning rate that decays by ``decay`` per step
    from each fresh start). ``optimiser = (kind, hyper, every, steps, pending, opt_state)``: an ``OPT_*`` code
    (OPT_NONE: no update), its five numbers, steps per update, the optimiser steps [K] and the steps summed
    since the last update [K] per lane, and the moment buffers. ``learner = (state, partials, grads)``: the
    network state (S, YC, ACT) [2, ., K], the partials and the summed gradient, carried from call to call.
    ``status = (active, ran, stopped)`` [K]: the learner's ``active``; the steps run; the lanes that wait for
    a reset (on entry: all False unless resume). ``outputs = (out_y [K, T, O], out_loss [K, T], out_err [K,
    T])`` (if record; NaN where a lane did not run). Everything is updated in place. Returns the segments [K,
    n, 2] (see StreamResult)."""
    W, P, O = params
    state, partials, grads = learner
    S, YC, ACT = state
    x, target, weights, reset = stream[0], stream[1], stream[2], stream[3]
    tol, resume, record, decay, scale = rule
    active, stopped = status[0], status[2]
    F = kernels.scalar_type(W)
    C, NB, I, O_n, R, NS = cfg[C_], cfg[NB_], cfg[I_], cfg[O_], cfg[R_], cfg[NS_]
    L = active.shape[0]
    dt = W.dtype
    # lane l reads row l of an input with K rows, row 0 of one with a single row
    rows = (1 if x.shape[0] > 1 else 0, 1 if target.shape[0] > 1 else 0, 1 if weights.shape[0] > 1 else 0)
    sr = 1 if reset.shape[0] > 1 else 0
    lane_weights = kernels.LaneWeights(W, W, P, O)  # B = 1: the per-lane weights are the trials' own
    YO = np.zeros((1, O_n, L), dt)  # y(t)
    fwd = kernels.Forward(SRC=np.zeros((2, NS, L), dt), NET=np.zeros((1, R, L), dt), ACT=ACT, S=S,
                          HS=np.zeros((2, C, L), dt), YC=YC, YOUT=YO, IG=np.zeros((NB, L), dt),
                          FG=np.zeros((NB, L), dt))
    kernels.gate_factors(cfg, 1, ACT, fwd.IG, fwd.FG, F)  # the constant ones (see gates_vary) are set for good
    scratch = (np.zeros((1, O_n, L), dt), np.zeros((4, C, L), dt), np.zeros((C, L), dt), np.zeros((C, L), dt),
               np.zeros(L, dt))  # DOUT, CO, EY, ES, TMP
    step_io = (np.zeros((I, L), dt), np.zeros((O_n, L), dt), np.zeros(L, dt), np.zeros(L), np.zeros(L))
    XT, YT, w, lane_loss, lane_err = step_io
    opt_buf = (np.zeros(L, np.int64), np.zeros(L), np.ones(L), np.ones(L))  # due, chk, c1, c2
    n_seg = count_segments(reset)
    live = np.zeros(L, np.bool_)
    for l in range(L):
        live[l] = active[l] == 1 and not stopped[l]
    lanes = (live, np.full((L, n_seg, 2), -1, np.int64), np.zeros(L, np.int64), np.zeros(L, np.int64),
             np.zeros(L, np.int64))
    stepped = np.zeros(L, np.bool_)
    if record:  # NaN at every step a lane does not run
        out_y, out_loss, out_err = outputs
        out_y[:] = np.nan
        out_loss[:] = np.nan
        out_err[:] = np.nan
    while start_step(stream, sr, rule, status, lanes, learner) > 0:
        for l in range(L):
            stepped[l] = live[l]
        gather_step(stream, rows, lanes, step_io, scale, F)
        kernels.forward_step(cfg, 0, (1, 0, 0, 1), XT, lane_weights, fwd, F)
        kernels.loss_step(cfg, 0, YT, w, YO, scratch[0], lane_loss, lane_err)
        rtrl_step(cfg, XT, lane_weights, fwd, live, partials, grads, scratch, F)
        record_step(record, YO, step_io, status, lanes, outputs, scale)
        if optimiser[0] != OPT_NONE:
            optimiser_step(optimiser, params, masks, grads, status, lanes, opt_buf)
        commit_step(tol, decay, state, w, lane_err, status, lanes, stepped, scale)
    return lanes[1]
