"""The decoupled extended Kalman filter (DEKF) for the LSTM, compiled: the filter treats the weights w as the
state of a dynamical system observed through the network's outputs y(t) and corrects them at every step
(Puskorius & Feldkamp 1994; for the LSTM Pérez-Ortiz et al. 2003, and Pérez-Ortiz's 2002 thesis, §4.9).

The weights fall into groups, one per unit (Pérez-Ortiz 2002, fn. 13, p. 53): each cell input, each gate
(with its peepholes), each output unit; each group g keeps its own error covariance P_g, and the coupling
between groups is dropped (block-diagonal P).  With H_g(t) [n_g, O] the Jacobian ∂y_k(t)/∂w_i of the outputs
with respect to the group's weights, d(t) the targets, Q(t) and R(t) the process and measurement noise, one
step is (in the order of :func:`dekf_update`)::

    B_g  = P_g H_g                                   [n_g, O]
    A    = (R(t) I + Σ_g H_gᵀ B_g)⁻¹                 [O, O]   (global scaling matrix)
    K_g  = B_g A                                     Kalman gain of group g
    w_g += K_g (d(t) - y(t))
    P_g  = P_g - K_g B_gᵀ + Q(t) I                   (K_g H_gᵀ P_g = K_g B_gᵀ, P_g symmetric)

P_g(0) = δ I.  The Jacobian is the LSTM's truncated one, computed forward in time with the online learner's
RTRL partials ∂s/∂w (:mod:`lstmlib.engines.online`): ∂y_k(t)/∂w is the gradient that
:func:`~lstmlib.engines.online.rtrl_step` computes for the error e = (∂y_k/∂net_out)(t), i.e. for the loss
step of a target y(t) - 1_k; the partials do not depend on the error, so each output's call starts from the
same saved partials and the last one leaves them advanced by one step.  The state and the partials are reset
at every string start (``reset``); P is not.  Trials run side by side as lanes, each with its own weights and
covariances, and never mix.

The learner that drives this kernel, :class:`lstmlib.training.DEKFLearner`, is in
:mod:`lstmlib.training.dekf`; ``tests/test_dekf.py`` checks it against a numpy loop and a full EKF step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import kernels
from .kernels import C_, I_, NB_, NS_, O_, R_
from .online import rtrl_step

__all__ = ["ANNEAL_UNITS", "weight_groups", "run_dekf"]

#: What the annealing time t of Q(t) and R(t) counts: filter steps, or strings begun.
ANNEAL_UNITS = {"step": 0, "string": 1}


def weight_groups(layout) -> dict:
    """The free weights in the filter's order, grouped by unit: ``arr, p, q [n]`` (which kernel array -- 0
    hidden, 1 peephole, 2 output -- and the entry), ``start [G + 1]`` (group g is ``start[g]:start[g+1]``),
    ``cov_start [G + 1]`` (its covariance block's offset in the flat P of one trial) and ``names [G]``."""
    masks = layout.masks()
    rows = {}
    for name, rs in layout.rows.items():
        for b, r in enumerate(range(rs.start, rs.stop)):
            rows[r] = f"{name}[{b}]" if name != "cell" else f"cell[{b}]"
    entries = []  # (group, arr, p, q)
    hidden = masks["hidden"]
    for r in range(layout.n_rows):
        entries += [(r, 0, r, j) for j in range(layout.n_sources) if hidden[r, j]]
    gate_rows = [layout.row_offset(n) for n in ("input_gate", "forget_gate", "output_gate")]
    S = layout.cells_per_block
    for g, row0 in enumerate(gate_rows):
        entries += [(row0 + c // S, 1, g, c) for c in range(layout.n_cells) if masks["peephole"][g, c]]
    out = masks["output"]
    for k in range(layout.n_outputs):
        entries += [(layout.n_rows + k, 2, k, j) for j in range(layout.n_output_sources) if out[k, j]]
    entries.sort(key=lambda e: e[0])  # stable: a unit's weights stay in source order
    units = sorted({e[0] for e in entries})
    sizes = np.array([sum(e[0] == u for e in entries) for u in units], np.int64)
    start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    cov_start = np.concatenate([[0], np.cumsum(sizes * sizes)]).astype(np.int64)
    names = [rows[u] if u < layout.n_rows else f"output[{u - layout.n_rows}]" for u in units]
    arr, p, q = (np.array([e[i] for e in entries], np.int64) for i in (1, 2, 3))
    return {"arr": arr, "p": p, "q": q, "start": start, "cov_start": cov_start, "names": names}


@njit(**kernels.JIT)
def invert(M, A):
    """A = M⁻¹ for a small matrix M [O, O] (Gauss-Jordan with partial pivoting; M is overwritten).
    Returns False if M is singular or not finite."""
    n = M.shape[0]
    for i in range(n):
        for j in range(n):
            A[i, j] = 1.0 if i == j else 0.0
    for c in range(n):
        piv = c
        for r in range(c + 1, n):
            if abs(M[r, c]) > abs(M[piv, c]):
                piv = r
        if not (abs(M[piv, c]) > 0.0):  # also catches NaN
            return False
        if piv != c:
            for j in range(n):
                M[c, j], M[piv, j] = M[piv, j], M[c, j]
                A[c, j], A[piv, j] = A[piv, j], A[c, j]
        d = 1.0 / M[c, c]
        for j in range(n):
            M[c, j] *= d
            A[c, j] *= d
        for r in range(n):
            if r != c and M[r, c] != 0.0:
                f = M[r, c]
                for j in range(n):
                    M[r, j] -= f * M[c, j]
                    A[r, j] -= f * A[c, j]
    for i in range(n):
        for j in range(n):
            if not np.isfinite(A[i, j]):
                return False
    return True


@njit(**kernels.JIT)
def annealed(v_max, v_min, T, t):
    """Pérez-Ortiz 2002, eq. 4.66: v(t) = (v_max - v_min) / exp(t / T) + v_min."""
    return (v_max - v_min) * np.exp(-t / T) + v_min


@njit(**kernels.JIT)
def dekf_update(H, e, P, start, cov_start, r, q, B, KB, M, A, DW):
    """One DEKF correction of one trial (see the module docstring): ``H [n, O]`` the Jacobian, ``e [O]``
    = d - y, ``P`` the trial's flat block covariances (updated in place); the weight change goes to
    ``DW [n]``.  ``B``, ``KB [n, O]`` (B_g and K_g), ``M``, ``A [O, O]``: scratch.  Returns False (and changes
    nothing) if the scaling matrix cannot be formed: a non-finite Jacobian, error or covariance, or a singular
    R I + HᵀPH."""
    n, O = H.shape
    G = start.shape[0] - 1
    for i in range(O):
        for j in range(O):
            M[i, j] = r if i == j else 0.0
    for g in range(G):  # B_g = P_g H_g;  M += H_gᵀ B_g
        a, m, off = start[g], start[g + 1] - start[g], cov_start[g]
        for i in range(m):
            for k in range(O):
                acc = 0.0
                for j in range(m):
                    acc += P[off + i * m + j] * H[a + j, k]
                B[a + i, k] = acc
        for k in range(O):
            for k2 in range(O):
                acc = 0.0
                for i in range(m):
                    acc += H[a + i, k] * B[a + i, k2]
                M[k, k2] += acc
    if not invert(M, A):
        return False
    for i in range(O):  # symmetric to rounding, as it is exactly
        for j in range(i + 1, O):
            s = 0.5 * (A[i, j] + A[j, i])
            A[i, j] = s
            A[j, i] = s
    for i in range(O):
        if not np.isfinite(e[i]):
            return False
    for i in range(n):  # K = B A, and the weight change K (d - y)
        dw = 0.0
        for k in range(O):
            acc = 0.0
            for k2 in range(O):
                acc += B[i, k2] * A[k2, k]
            KB[i, k] = acc
            dw += acc * e[k]
        DW[i] = dw
        if not np.isfinite(dw):
            return False
    for g in range(G):  # P_g[i, j] -= K_g[i] · B_g[j], then + Q I
        a, m, off = start[g], start[g + 1] - start[g], cov_start[g]
        for i in range(m):
            for j in range(m):
                acc = 0.0
                for k in range(O):
                    acc += KB[a + i, k] * B[a + j, k]
                P[off + i * m + j] -= acc
            P[off + i * m + i] += q
    return True


@njit(**kernels.JIT)
def run_dekf(cfg, params, stream, index, filt, learner, status, out):
    """Run concatenated strings for all lanes (= trials), one DEKF correction per step with a target.

    ``params = (W, P, O)``: the weights in kernel layout [.., .., K].  ``stream = (x [K, T, I], target [K, T,
    O], weights [K, T], reset [K, T], total [K])``: lane k runs its first ``total[k]`` steps, a new string
    (state and partials zeroed) at each ``reset``; a weight 0 means no target at that step (no correction).
    ``index = (arr, p, q, start, cov_start)`` from :func:`weight_groups`.  ``filt = (q_max, q_min, q_T,
    r_max, r_min, r_T, unit, threshold, update)``: the annealing of Q and R (``unit``: an
    :data:`ANNEAL_UNITS` code), the decision boundary of the outputs, and whether to correct at all.
    ``learner = (state, partials, cov [K, n_cov], steps [K], strings [K])``: network state (S, YC, ACT)
    [2, ., K], the RTRL partials, the covariances, and the filter steps and strings run so far per lane.
    ``status = (active [K], ran [K])``: active 1 runs, 0 paused, -1 diverged (frozen: the step at which a
    non-finite output or correction appears changes nothing); the steps run.  ``out = (sse [K, N], right
    [K, N], jac [K, T, n, O] or empty)``: per string begun in this call, Σ_t ‖d - y‖² and whether every
    output was on the right side of the threshold at every step (judged before that step's correction);
    with a non-empty ``jac``, the Jacobian of every step.  Updated in place."""
    W, Pp, Ow = params
    x, target, weights, reset, total = stream
    arr, pp, qq, start, cov_start = index
    state, partials, cov, steps, strings = learner
    S, YC, ACT = state
    active, ran = status
    sse, right, jac = out
    q_max, q_min, q_T, r_max, r_min, r_T, unit, thr, update = filt
    F = kernels.scalar_type(W)
    C, NB, I, O_n, R, NS = cfg[C_], cfg[NB_], cfg[I_], cfg[O_], cfg[R_], cfg[NS_]
    K = active.shape[0]
    T = x.shape[1]
    n = arr.shape[0]
    dt = W.dtype
    grads = (np.zeros_like(W), np.zeros_like(Pp), np.zeros_like(Ow))
    lane_weights = kernels.LaneWeights(W, W, Pp, Ow)
    YO = np.zeros((1, O_n, K), dt)
    fwd = kernels.Forward(SRC=np.zeros((2, NS, K), dt), NET=np.zeros((1, R, K), dt), ACT=ACT, S=S,
                          HS=np.zeros((2, C, K), dt), YC=YC, YOUT=YO, IG=np.zeros((NB, K), dt),
                          FG=np.zeros((NB, K), dt))
    kernels.gate_factors(cfg, 1, ACT, fwd.IG, fwd.FG, F)
    scratch = (np.zeros((1, O_n, K), dt), np.zeros((4, C, K), dt), np.zeros((C, K), dt), np.zeros((C, K), dt),
               np.zeros(K, dt))  # DOUT, CO, EY, ES, TMP
    saved = (partials[0].copy(), partials[1].copy(), partials[2].copy(), partials[3].copy(), partials[4].copy())
    XT, YJ = np.zeros((I, K), dt), np.zeros((O_n, K), dt)
    ones, dummy_loss, dummy_err = np.zeros(K, dt), np.zeros(K), np.zeros(K)
    live = np.zeros(K, np.bool_)
    cur = np.full(K, -1, np.int64)
    H = np.zeros((K, n, O_n))
    e = np.zeros(O_n)
    B, KB, DW = np.zeros((n, O_n)), np.zeros((n, O_n)), np.zeros(n)
    M, A = np.zeros((O_n, O_n)), np.zeros((O_n, O_n))
    for t in range(T):
        n_live = 0
        for l in range(K):
            live[l] = active[l] == 1 and t < total[l]
            n_live += live[l]
        if n_live == 0:
            break
        for l in range(K):
            if live[l] and reset[l, t]:
                for c in range(C):
                    S[0, c, l] = 0.0
                    YC[0, c, l] = 0.0
                for r in range(R):
                    ACT[0, r, l] = 0.0
                for a in partials:
                    for i in range(a.shape[0]):
                        for j in range(a.shape[1]):
                            a[i, j, l] = 0.0
                cur[l] += 1
                strings[l] += 1
                sse[l, cur[l]] = 0.0
                right[l, cur[l]] = True
            for j in range(I):
                XT[j, l] = x[l, t, j] if live[l] else 0.0
            ones[l] = 1.0 if live[l] else 0.0
        kernels.forward_step(cfg, 0, (1, 0, 0, 1), XT, lane_weights, fwd, F)
        # the Jacobian, one output at a time, each from the same partials
        for a in range(5):
            saved[a][...] = partials[a]
        for j in range(O_n):
            for k in range(O_n):
                for l in range(K):
                    YJ[k, l] = YO[0, k, l] - (1.0 if k == j else 0.0)
            kernels.loss_step(cfg, 0, YJ, ones, YO, scratch[0], dummy_loss, dummy_err)
            if j > 0:
                for a in range(5):
                    partials[a][...] = saved[a]
            for g in grads:
                g[...] = 0.0
            rtrl_step(cfg, XT, lane_weights, fwd, live, partials, grads, scratch, F)
            for l in range(K):
                if live[l]:
                    for i in range(n):
                        H[l, i, j] = grads[arr[i]][pp[i], qq[i], l]
        for l in range(K):
            if not live[l]:
                continue
            ran[l] += 1
            finite = True
            for k in range(O_n):
                finite = finite and np.isfinite(YO[0, k, l])
            if not finite:
                active[l] = -1
                right[l, cur[l]] = False
                continue
            if jac.shape[0] > 0:
                for i in range(n):
                    for k in range(O_n):
                        jac[l, t, i, k] = H[l, i, k]
            if weights[l, t] == 0.0:
                continue
            ok = True
            for k in range(O_n):
                d, y = target[l, t, k], YO[0, k, l]
                e[k] = d - y
                sse[l, cur[l]] += e[k] * e[k]
                ok = ok and ((y > thr) if d > thr else (y < thr))
            right[l, cur[l]] = right[l, cur[l]] and ok
            if not update:
                continue
            u = float(steps[l]) if unit == 0 else float(strings[l] - 1)
            qv, rv = annealed(q_max, q_min, q_T, u), annealed(r_max, r_min, r_T, u)
            if not dekf_update(H[l], e, cov[l], start, cov_start, rv, qv, B, KB, M, A, DW):
                active[l] = -1
                continue
            steps[l] += 1
            for i in range(n):
                a, p, q = arr[i], pp[i], qq[i]
                if a == 0:
                    W[p, q, l] += F(DW[i])
                elif a == 1:
                    Pp[p, q, l] += F(DW[i])
                else:
                    Ow[p, q, l] += F(DW[i])
        for a in state:  # step t becomes the past
            for r in range(a.shape[1]):
                for l in range(K):
                    if live[l]:
                        a[0, r, l] = a[1, r, l]
