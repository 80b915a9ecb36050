"""The online learner: weights changed at every step of a continual stream, by the truncated gradient
computed forward in time (RTRL).  The equations and the per-step order are in
:mod:`lstmlib.engines.online`, whose compiled ``run_stream`` this class drives.

Many short streams in one call.  The timing tasks of Gers et al. (2002) train on many short
streams, each from a reset state and each ending at its first wrong step.  With
``run(..., stop_at_error=tol, resume_at_reset=True)`` the streams can be concatenated (``reset``
True at each one's first step): a trial that makes an error skips the rest of its stream and
resumes at the next reset, exactly as if every stream were a call of its own, and
``StreamResult.segments`` lists where each stream stopped (``record=False`` spares the per-step
outputs, large for long concatenations).  Each trial keeps its own position in the chunk: a trial
that errs jumps straight to its next reset instead of idling through the rest of its stream while
the others run, so a call costs the steps the trials actually run (the most any one trial runs).  A
call has a fixed cost of some 15-20 µs (argument checks, the compiled kernel's dispatch) besides its
steps; ``benchmarks/online.py --streams`` measures both ways.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_positive
from ..engines import compiled, kernels, online
from .optimisers import OPTIMIZERS, SGD, Adam, Momentum

__all__ = ["OnlineLearner", "StreamResult"]


@dataclass
class StreamResult:
    """What :meth:`OnlineLearner.run` returns for a chunk of T steps.

    Per step (``None`` with ``record=False``): ``outputs [trials, T, outputs]`` (the network's
    dtype); ``loss [trials, T]`` (w_t ℓ_t, ℓ = ½‖y - target‖² or the cross-entropy, 0 at steps
    without a target); ``error [trials, T]`` (max |y - target| at steps with a target, else 0).  All
    three are NaN at the steps a trial did not run (stopped or waiting for a reset, paused with
    ``active = 0``, diverged).

    Per trial: ``steps`` the steps run in this call (the wrong step of a stopped trial and the step
    at which a trial diverged included); ``stopped``: the trial ends the call stopped at a wrong step
    (``stop_at_error``; with ``resume_at_reset`` it waits for its next reset step, in a later call if
    need be); ``diverged``: the trial's loss or gradient became non-finite (in this call or
    earlier); it is frozen.

    ``segments [trials, n, 2]`` int64: one row ``(start, stop)`` per segment that a trial ran in this
    call, in order.  A segment starts at a step with ``reset`` (or at the call's first step, where
    the trial carries on from the previous call) and runs to the next reset; ``start`` is its first
    step, ``stop`` the step at which it stopped early, its first wrong step (``stop_at_error``) or the
    step at which the trial diverged, and -1 if it did not stop (it ran to its end or to the end of
    the call).  Rows past a trial's own segments are ``(-1, -1)``; ``n`` is the most segments any trial
    ran, at least 1.  With ``resume_at_reset`` and one stream per segment, ``stop`` is the first
    wrong step of each stream (-1: no wrong step) and the segments a trial did not run (it was
    paused, or had diverged) have no row."""

    outputs: np.ndarray | None
    loss: np.ndarray | None
    error: np.ndarray | None
    steps: np.ndarray
    stopped: np.ndarray
    diverged: np.ndarray
    segments: np.ndarray


class OnlineLearner:
    """Trains ``net`` in place on continual streams, one truncated-gradient update per time step.

    ``optimizer``: :class:`~lstmlib.SGD`, :class:`~lstmlib.Momentum` or :class:`~lstmlib.Adam`
    (one optimiser step per update).  ``lr_decay`` (plain SGD only): the learning rate decays by this
    factor per step from each fresh start (a ``reset`` step, a resumed start, :meth:`reset`), as in
    Gers et al. (2000)'s "sequential α decay": step n of a stream learns at lr · lr_decay**n.
    ``update_every``: steps per update (the gradient is summed over them).  The network state (s, y,
    gates) and the partials ∂s/∂w carry over from one :meth:`run` to the next until :meth:`reset` (or a ``reset`` step).

    ``active [trials]`` int64, per trial: 1 training; 0 paused: the caller may set
    ``learner.active[k] = 0`` (e.g. for a trial that solved its task), and :meth:`run` then skips
    trial k entirely (outputs NaN, no state change, no gradient, no update: its weights, optimiser
    state, state and partials stay as they are) until it is set back to 1; -1 diverged (frozen, like
    :class:`~lstmlib.Trainer`; a reset does not revive it).
    """

    def __init__(self, net, optimizer, update_every=1, lr_decay=None):
        spec = net.spec
        if not spec.has_memory:
            raise ValueError(f"online RTRL needs a cell state (a CEC); {spec.name!r} has forget='zero'")
        if not isinstance(optimizer, (SGD, Momentum, Adam)):
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)} (lstmlib.SGD(...), ...), "
                             f"got {optimizer!r}")
        if optimizer.clip_norm is not None:
            raise ValueError("the online learner does not clip gradients (clip_norm must be None); "
                             "lstmlib.train and lstmlib.Trainer do")
        if isinstance(update_every, bool) or not isinstance(update_every, (int, np.integer)) or update_every < 1:
            raise ValueError(f"update_every must be a positive integer, got {update_every!r}")
        if lr_decay is not None:
            if not isinstance(optimizer, SGD) or isinstance(optimizer, (Momentum, Adam)):
                raise ValueError("lr_decay needs plain SGD (it scales each step's gradient, which equals a decayed "
                                 f"learning rate only without momentum), got {optimizer!r}")
            if isinstance(lr_decay, bool) or not isinstance(lr_decay, (int, float)) or not 0 < lr_decay <= 1:
                raise ValueError(f"lr_decay must be None or a number in (0, 1], got {lr_decay!r}")
        self.net, self.optimizer, self.update_every = net, optimizer, int(update_every)
        self.lr_decay = 1.0 if lr_decay is None else float(lr_decay)
        self._lr_scale = np.ones(net.trials)  # lr_decay ** (steps since each trial's last fresh start)
        self.cfg = compiled.network_config(net, "truncated", 1)
        self.masks = compiled.masks(net.layout, net.dtype)
        master = compiled.master(net.params)
        L, K, dt = net.layout, net.trials, net.dtype
        C, R, NS, S = L.n_cells, L.n_rows, L.n_sources, L.cells_per_block
        self.opt_state = tuple(np.zeros_like(m) for m in master for _ in range(2))
        self.grads = tuple(np.zeros_like(m) for m in master)
        self.steps = np.zeros(K, np.int64)  # optimiser steps per trial
        self.active = np.ones(K, np.int64)
        self._pending = np.zeros(K, np.int64)  # steps summed in grads since the last update
        self._waiting = np.zeros(K, np.bool_)  # stopped at a wrong step, waiting for a reset (resume_at_reset)
        # s, y, gate activations: slot 0 holds step t-1, slot 1 step t
        self._state = (np.zeros((2, C, K), dt), np.zeros((2, C, K), dt), np.zeros((2, R, K), dt))
        # ∂s/∂W_z, ∂s/∂W_i, ∂s/∂W_f [cell, source, trial]; ∂s/∂p_i, ∂s/∂p_f [cell, cell of block, trial]
        self._partials = tuple(np.zeros(shape, dt) for shape in [(C, NS, K)] * 3 + [(C, S, K)] * 2)

    def reset(self, trials=None):
        """Zero the network state and the partials (all trials, or the given indices); a trial
        waiting for a reset step (``resume_at_reset``) no longer waits."""
        idx = slice(None) if trials is None else np.asarray(trials)
        for a in self._state + self._partials:
            a[..., idx] = 0.0
        self._waiting[idx] = False
        self._lr_scale[idx] = 1.0

    def stop(self, trials):
        """The given trials (indices) stop as at a wrong step: with ``resume_at_reset`` they wait for their
        next resume point (e.g. a training stream cut at its maximal length starts again at the next string)."""
        self._waiting[np.asarray(trials, np.int64)] = True

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

    def run(self, x, target, weights=None, *, update=True, stop_at_error=None, reset=None, resume_at_reset=False,
            record=True, lengths=None, resume_at=None) -> StreamResult:
        """Run a stream chunk ``x [trials, T, inputs]`` (or ``[T, inputs]`` for all trials) with
        targets ``[trials, T, outputs]`` (or ``[T, outputs]``) and loss weights ``[trials, T]``
        (or ``[T]``; default 1; 0 = no target at that step).

        ``update=False`` only accumulates the gradient (see :attr:`gradient`).  ``reset [trials, T]`` (or
        ``[T]``) booleans: zero the state and partials before that step.  ``stop_at_error=tol`` stops a trial at
        its first wrong step, a step with a target and max |y - target| >= tol (or NaN): that step is learned
        from, then the trial skips the rest of the call (no forward step, no gradient, no update; outputs, loss
        and error NaN; its state stays that after the step). With ``resume_at_reset=True`` a stopped trial skips
        only up to its next ``reset`` step, where it starts afresh (state and partials zeroed as at any reset);
        if the call ends first, it goes on waiting into the next call (until that reset step, or
        :meth:`reset`).  So one call over concatenated streams, each beginning with a reset, trains exactly as
        one call per stream would, and :attr:`StreamResult.segments` gives each stream's first wrong step.  A
        trial whose loss or gradient turns non-finite stops for good and is reported (``active = -1``); its
        weights keep their last finite update.  Trials with ``active = 0`` are skipped (see the
        class).  ``record=False`` does not return the per-step outputs, loss and error (``None``), which saves
        memory and time on long chunks.  ``resume_at [trials, T]`` (or ``[T]``) booleans, with ``resume_at_reset``:
        the steps at which a stopped trial resumes afresh, instead of the reset steps, while a trial that has
        not stopped runs on through them (the string boundaries of a continual stream: a training stream that
        ends at its first error is followed by a new one from the next string, from a reset net); a ``reset``
        step then zeroes the state of a running trial but does not restart a stopped one (an external reset).
        ``lengths [trials]``: trial k's stream ends after ``lengths[k]`` steps (default T); the padding after it
        is not run at all (no forward step and, unlike a step with zero loss weight, no optimiser step)."""
        net = self.net
        K, L = net.trials, net.layout
        x = _stream_input("x", x, K, L.n_inputs)
        T = x.shape[1]
        target = _stream_input("target", target, K, L.n_outputs, T)
        weights = np.ones((1, T)) if weights is None else _per_step("weights", weights, K, T, np.float64)
        reset = np.zeros((1, T), np.bool_) if reset is None else _per_step("reset", reset, K, T, np.bool_)
        if resume_at is None:  # a reset step zeroes a running trial and restarts a waiting one
            codes = reset.astype(np.int8) * (online.RESET | online.RESUME)
        else:  # a waiting trial restarts at the resume points only
            resume_at = _per_step("resume_at", resume_at, K, T, np.bool_)
            if not resume_at_reset:
                raise ValueError("resume_at needs resume_at_reset=True (it says where a stopped trial resumes)")
            codes = (reset.astype(np.int8) * online.RESET | resume_at.astype(np.int8) * online.RESUME).astype(np.int8)
        tol = _tolerance(stop_at_error)
        _check_finite(x, target, weights)
        if lengths is None:
            lengths = np.full(K, T, np.int64)
        else:
            lengths = np.asarray(lengths)
            if lengths.shape != (K,) or not np.issubdtype(lengths.dtype, np.integer) or lengths.min() < 0 \
                    or lengths.max() > T:
                raise ValueError(f"lengths must be {K} integers in [0, T={T}], got {lengths!r}")
            lengths = lengths.astype(np.int64)
        queue, starts = np.arange(K, dtype=np.int64)[:, None], np.zeros((K, 1), np.int64)
        return self._run((x, target, weights, np.ascontiguousarray(codes), lengths, queue, starts), T, tol,
                         bool(resume_at_reset), bool(record), update)

    def run_queued(self, x, target, weights, queue, lengths, *, stop_at_error=None, update=True,
                   record=False) -> StreamResult:
        """Run queues of streams: trial k runs the streams ``queue[k, 0], queue[k, 1], ...`` (rows of
        ``x [streams, T', inputs]``, ``target [streams, T', outputs]`` and loss weights ``[streams, T']``)
        one after the other, stream ``queue[k, m]`` cut to its first ``lengths[k, m]`` steps, each from a
        reset, with ``resume_at_reset``: exactly :meth:`run` on each trial's streams concatenated (reset
        at each one's first step), without building the concatenation.  Positions in the result
        (``segments``, the per-step arrays) are steps of that concatenation.  ``queue`` and ``lengths``:
        integers ``[trials, M]``."""
        net = self.net
        K, L = net.trials, net.layout
        x = np.ascontiguousarray(x, dtype=np.float64)
        target = np.ascontiguousarray(target, dtype=np.float64)
        weights = np.ascontiguousarray(weights, dtype=np.float64)
        if x.ndim != 3 or x.shape[2] != L.n_inputs or x.shape[0] < 1 or x.shape[1] < 1:
            raise ValueError(f"x must have shape [streams, time, inputs={L.n_inputs}], got {x.shape}")
        if target.shape != x.shape[:2] + (L.n_outputs,):
            raise ValueError(f"target must have shape {x.shape[:2] + (L.n_outputs,)}, got {target.shape}")
        if weights.shape != x.shape[:2]:
            raise ValueError(f"weights must have shape {x.shape[:2]}, got {weights.shape}")
        queue, lengths = np.asarray(queue), np.asarray(lengths)
        if queue.ndim != 2 or queue.shape[0] != K or queue.shape[1] < 1 or not np.issubdtype(queue.dtype, np.integer) \
                or queue.min() < 0 or queue.max() >= x.shape[0]:
            raise ValueError(f"queue must be integers [trials={K}, M >= 1] in [0, {x.shape[0]}), got {queue!r}")
        if lengths.shape != queue.shape or not np.issubdtype(lengths.dtype, np.integer) or lengths.min() < 1 \
                or lengths.max() > x.shape[1]:
            raise ValueError(f"lengths must be integers of shape {queue.shape} in [1, {x.shape[1]}], got {lengths!r}")
        tol = _tolerance(stop_at_error)
        _check_finite(x, target, weights)
        lengths = lengths.astype(np.int64)
        starts = np.hstack([np.zeros((K, 1), np.int64), np.cumsum(lengths, axis=1)[:, :-1]])
        total = lengths.sum(axis=1)
        T = int(total.max())
        reset = np.zeros((K, T), np.int8)
        reset[np.repeat(np.arange(K), queue.shape[1]), starts.ravel()] = online.RESET | online.RESUME
        return self._run((x, target, weights, reset, total, queue.astype(np.int64), starts), T, tol, True,
                         bool(record), update)

    def _run(self, stream, T, tol, resume, record, update) -> StreamResult:
        net = self.net
        K, L, dt = net.trials, net.layout, net.dtype
        n = T if record else 0
        outputs, loss, error = np.empty((K, n, L.n_outputs), dt), np.empty((K, n)), np.empty((K, n))
        ran = np.zeros(K, np.int64)
        stopped = self._waiting.copy() if resume else np.zeros(K, np.bool_)
        master = compiled.master(net.params)
        opt = kernels.OPT_CODES[self.optimizer.code] if update else kernels.OPT_NONE
        segments = online.run_stream(
            self.cfg, master, self.masks, stream, (tol, resume, record, self.lr_decay, self._lr_scale),
            (opt, self.optimizer.hyper(), self.update_every, self.steps, self._pending, self.opt_state),
            (self._state, self._partials, self.grads), (self.active, ran, stopped), (outputs, loss, error))
        compiled.load_master(net.params, master)
        self._waiting[:] = stopped & resume
        if not record:
            outputs = loss = error = None
        return StreamResult(outputs, loss, error, ran, stopped, self.active == -1, segments)


def _tolerance(stop_at_error) -> float:
    """The stop rule's tolerance (inf: no stop rule)."""
    return np.inf if stop_at_error is None else check_positive("stop_at_error", stop_at_error)


def _check_finite(x, target, weights):
    bad = online.bad_input(x, target, weights)
    if bad:
        raise ValueError(("x contains non-finite values", "target contains non-finite values",
                          "loss weights must be finite and >= 0")[bad - 1])


def _stream_input(name, a, K, F, T=None):
    """``a [K, T, F]`` or ``[T, F]`` as a C-contiguous float64 array ``[K, T, F]`` or ``[1, T, F]`` (no
    copy if it is one already)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[0] != K) or a.shape[-1] != F or a.shape[-2] < 1 \
            or (T is not None and a.shape[-2] != T):
        raise ValueError(f"{name} must have shape [trials={K}, time{'' if T is None else '=' + str(T)}, {F}] "
                         f"(or [time, {F}]), got {a.shape}")
    return np.ascontiguousarray(a.reshape(-1, a.shape[-2], F))


def _per_step(name, a, K, T, dtype):
    """``a [K, T]`` or ``[T]`` as a C-contiguous array ``[K, T]`` or ``[1, T]`` of ``dtype``."""
    a = np.asarray(a)
    if dtype is np.bool_ and a.dtype != np.bool_:
        raise ValueError(f"{name} must be booleans, got {a.dtype}")
    if a.shape not in ((T,), (K, T)):
        raise ValueError(f"{name} must have shape [trials={K}, time={T}] (or [time]), got {a.shape}")
    return np.ascontiguousarray(a.reshape(-1, T), dtype=dtype)
