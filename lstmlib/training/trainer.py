"""Training: an online/minibatch training loop over K independent trials.

Weight updates run inside the compiled engine, many sequences per call, so that the papers'
online protocols (one update per sequence, hundreds of thousands of sequences) are cheap.
Learning curves are recorded against *sequences seen* per trial.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._checks import check_positive
from ..engines import compiled, kernels
from . import checkpoints
from .optimisers import OPTIMIZERS, SGD, Adam, Momentum


class Trainer:
    """Applies an optimiser to a :class:`~lstmlib.Network` in place, one batch of sequences per update.

    Keeps the optimiser state and the per-trial status: ``active`` (1 training, 0 stopped,
    -1 diverged: its loss or gradient became non-finite; it is frozen and reported, not raised).
    """

    def __init__(self, net, optimizer, gradient=None, batch_size=1):
        if not isinstance(optimizer, (SGD, Momentum, Adam)):
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)} (lstmlib.SGD(...), ...), "
                             f"got {optimizer!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.net, self.optimizer, self.batch_size = net, optimizer, int(batch_size)
        self.gradient = net.gradient_mode(gradient)
        self.cfg = compiled.network_config(net, self.gradient, self.batch_size)
        self.masks = compiled.masks(net.layout, net.dtype)
        master = compiled.master(net.params)
        self.state = tuple(np.zeros_like(m) for m in master for _ in range(2))
        self.grads = tuple(np.zeros_like(m) for m in master)
        self.steps = np.zeros(net.trials, np.int64)
        self.active = np.ones(net.trials, np.int64)
        self.first_wrong = np.full((net.trials, 0), -2, np.int64)  # see run(stop_at_error=...)

    def run(self, x, target, lengths=None, loss_at="end", stop_at_error=None):
        """Train on ``n`` sequences per trial (``x [trials, n, T, inputs]``), ``n / batch_size``
        updates in order.  Returns per-sequence ``loss`` and ``max_error`` arrays ``[trials, n]``
        (max |output - target| over the steps that carry loss), computed before each update; NaN for
        the trials that were not training (``active != 1``) when the call began.

        ``stop_at_error=tol``: each sequence ends at its first wrong step (a step with loss weight > 0
        and max |output - target| >= tol, or NaN): that step is learned from, the later ones carry no
        loss, exactly as if the loss weights after it were 0 (Gers et al. 2002's training streams).
        The wrong steps are left in ``self.first_wrong [trials, n]`` (-1: none; -2: the trial did not
        train).

        Only those trials run: the others (stopped or diverged) are left out of the compiled call
        altogether, which saves their share of the work and changes no number, because every trial's
        arithmetic is its own (lanes never mix across trials)."""
        net, B = self.net, self.batch_size
        b = net.batch(x, target, lengths, loss_at)
        K, n, T, _ = b.x.shape
        if n % B:
            raise ValueError(f"the number of sequences per trial ({n}) must be a multiple of batch_size ({B})")
        N = n // B
        if stop_at_error is not None:
            stop_at_error = check_positive("stop_at_error", stop_at_error)
        live = np.flatnonzero(self.active == 1)
        loss, err = np.full((K, n), np.nan), np.full((K, n), np.nan)
        self.first_wrong = np.full((K, n), -2, np.int64)
        if live.size == 0:
            return loss, err
        Kl = live.size
        # the trials that run: the live ones, and inert copies of the first (frozen, results dropped)
        # where that makes the lane count a cheaper one for the compiled loops
        pad = 0 if stop_at_error is not None else padding(Kl, B, net.dtype)
        run_k = live if pad == 0 else np.r_[live, np.full(pad, live[0])]
        every = Kl == K and pad == 0
        Kr = Kl + pad
        out_loss = np.zeros((N, Kr * B))
        out_err = np.zeros((N, Kr * B))
        pick = (lambda a: a) if every else (lambda a: np.ascontiguousarray(a[..., run_k]))
        master = tuple(pick(m) for m in compiled.master(net.params))
        state, grads = tuple(pick(s) for s in self.state), tuple(pick(g) for g in self.grads)
        steps, active = pick(self.steps), pick(self.active)
        active[Kl:] = 0
        cfg = self.cfg
        if not every:
            b = type(b)(b.x[run_k], b.lengths[run_k], b.target[run_k], b.weights[run_k])
            cfg = cfg.copy()
            cfg[kernels.TRIALS] = Kr
        cut = np.zeros((N, Kr * B), np.int64)
        compiled.run_items(cfg, master, self.masks, compiled.batch_items(b, N, B, net.dtype), need_grad=True,
                           opt_code=kernels.OPT_CODES[self.optimizer.code], hyper=self.optimizer.hyper(),
                           steps=steps, active=active, state=state, grads=grads,
                           out_loss=out_loss, out_err=out_err, dtype=net.dtype, cut_at_error=stop_at_error, cut=cut)
        for name, m in zip(compiled.PARAMS, master):
            net.params[name][live] = m[..., :Kl].transpose(2, 0, 1)
        if not every:
            for whole, part in zip(self.state + self.grads, state + grads):
                whole[..., live] = part[..., :Kl]
            self.steps[live], self.active[live] = steps[:Kl], active[:Kl]
        loss[live] = out_loss.reshape(N, Kr, B)[:, :Kl].transpose(1, 0, 2).reshape(Kl, n)
        err[live] = out_err.reshape(N, Kr, B)[:, :Kl].transpose(1, 0, 2).reshape(Kl, n)
        if stop_at_error is not None:
            self.first_wrong[live] = cut.reshape(N, Kl, B).transpose(1, 0, 2).reshape(Kl, n)
        return loss, err


#: float64 lanes per iteration of the compiled lane loops (4-wide vectors, unrolled twice)
VECTOR_LANES = 8


def padding(trials, batch_size, dtype) -> int:
    """How many inert trials :meth:`Trainer.run` adds to ``trials`` live ones.  Online (batch 1) a
    lane is a trial, and in float64 the compiled lane loops take 8 lanes per vector iteration and
    the rest one by one, so 5-7 lanes beyond a multiple of 8 cost more than 8 more lanes would
    (``benchmarks/engine.py --lanes`` measures it: 5-7 and 13-15 trials take 0.6-0.8 of the time
    padded): up to 16 trials they are rounded up to the next multiple of 8.  With batches (a trial's
    lanes share its weights in loops over the batch) and in float32 (16-lane iterations) padding
    gains nothing measurable.  It changes no number, because every lane's arithmetic is its own."""
    if batch_size != 1 or np.dtype(dtype) != np.float64 or trials > 16 or trials % VECTOR_LANES < 5:
        return 0
    return VECTOR_LANES - trials % VECTOR_LANES


@dataclass
class History:
    """What :func:`train` recorded, per trial.

    ``curve`` rows: (sequences seen, mean loss per trial, fraction of sequences with max error
    < ``tolerance`` per trial) over each chunk.  ``status`` per trial: "solved" (the stop rule was
    met), "diverged", "flat" (stopped unsolved by :func:`train`'s ``flat`` rule) or
    "budget".  ``criterion_met_at``: the sequence count at which the stop rule
    was first met (-1 if never); ``sequences_seen``: how many sequences each trial trained on (the
    weights are those after that many, i.e. at the end of the chunk in which the rule was met)."""

    trials: int
    tolerance: float
    sequences_seen: np.ndarray = None
    criterion_met_at: np.ndarray = None
    status: list = None
    curve: list = field(default_factory=list)
    wall_time: float = 0.0
    resumed_at: int = 0  # sequences per trial already seen when this run resumed from a checkpoint

    def __post_init__(self):
        self.sequences_seen = np.zeros(self.trials, np.int64)
        self.criterion_met_at = np.full(self.trials, -1, np.int64)
        self.status = ["budget"] * self.trials

    def curve_arrays(self):
        """(sequences [rows, trials], loss [rows, trials], fraction correct [rows, trials])."""
        if not self.curve:
            return np.zeros((0, self.trials)), np.zeros((0, self.trials)), np.zeros((0, self.trials))
        return tuple(np.array([row[i] for row in self.curve]) for i in range(3))


def train(net, sample, optimizer, *, sequences, batch_size=1, gradient=None, chunk=1000, stop=None,
          tolerance=0.04, seed=0, progress=None, progress_every=30.0, after_chunk=None, flat=None,
          checkpoint=None, checkpoint_every=checkpoints.EVERY_S, engine="numba", device="cpu") -> History:
    """Train ``net`` in place on sequences from ``sample`` until each trial meets ``stop`` or has seen
    ``sequences`` sequences.

    ``sample(rng, n)`` returns ``(x, target, lengths, loss_at)`` for ``n`` fresh sequences per trial
    (shapes as in :meth:`Network.loss_and_grad`, with batch = n).  ``stop(loss, max_error)`` receives
    the per-sequence arrays ``[trials, chunk]`` of each chunk and returns, per trial, the index in
    the chunk at which its criterion was met, or -1.  ``progress``: a callable such as ``print`` for
    plain-text progress lines (every ``progress_every`` seconds).  ``after_chunk(net)`` is called after
    each chunk's updates (e.g. to record weights).  ``flat``: a rule such as
    :class:`~lstmlib.training.stopping.FlatCurveRule`, called like ``stop`` after it and returning per
    trial True where the trial should stop unsolved (status ``"flat"``; ``sequences_seen`` says where).
    Every trial's training is its own, so stopping some changes no number of the others.

    ``checkpoint``: a file in which the whole training state is kept every ``checkpoint_every`` seconds;
    called again with the same arguments, training resumes from it and ends exactly as an unstopped run
    would (:mod:`lstmlib.training.checkpoints`; under its ``checkpointing`` context, which
    :func:`lstmlib.study.jobs.run_jobs` opens for each job, every call gets a file without asking).
    The progress lines give sequences seen, trials solved and the time left at most (to the budget).

    ``engine="torch"`` trains on the torch engine on ``device`` (``"cpu"``, ``"cuda"``: all trials at once
    on a GPU; :class:`~lstmlib.training.torch_trainer.TorchTrainer`), the same arithmetic as the compiled
    engine (``"numba"``, the default, CPU only); it keeps no checkpoints.
    """
    if isinstance(sequences, bool) or not isinstance(sequences, (int, np.integer)) or sequences < 1:
        raise ValueError(f"sequences must be a positive integer, got {sequences!r}")
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    if engine == "torch":
        from .torch_trainer import TorchTrainer
        if checkpoint is not None:
            raise ValueError("checkpoint: the torch engine's trainer keeps no checkpoints (use engine='numba')")
        trainer = TorchTrainer(net, optimizer, gradient, batch_size, device)
    elif engine == "numba":
        if device != "cpu":
            raise ValueError(f"the compiled engine runs on the CPU only, got device={device!r} (engine='torch')")
        trainer = Trainer(net, optimizer, gradient, batch_size)
    else:
        raise ValueError(f"unknown engine {engine!r}; valid: ['numba', 'torch']")
    chunk = max(batch_size, chunk - chunk % batch_size)
    rng = np.random.default_rng(seed)
    hist = History(net.trials, tolerance)
    keep = None if engine == "torch" else _checkpoint_plan(
        checkpoint, checkpoint_every, net, (stop, flat, after_chunk),
        (sequences, batch_size, trainer.gradient, chunk, tolerance, seed, repr(optimizer)))
    before = 0.0  # seconds trained before a resume
    if keep is not None:
        state = checkpoints.load(keep["path"], net, keep["fingerprint"])
        if state is not None:
            rng, hist, before = _restore(state, net, trainer, (stop, flat, after_chunk))
            if progress is not None:
                progress(f"resumed from a checkpoint at {int(hist.sequences_seen.max()):,} sequences/trial")
    t0 = last_print = last_save = time.perf_counter()
    while np.any(trainer.active == 1) and hist.sequences_seen.max() < sequences:
        n = min(chunk, sequences - int(hist.sequences_seen.max()))
        n -= n % batch_size
        if n == 0:
            break
        was_active = trainer.active == 1
        x, target, lengths, loss_at = sample(rng, n)
        loss, err = trainer.run(x, target, lengths, loss_at)
        hist.sequences_seen[was_active] += n
        hist.curve.append((hist.sequences_seen.copy(), loss.mean(axis=1), (err < tolerance).mean(axis=1)))
        for k in np.flatnonzero(was_active & (trainer.active == -1)):
            hist.status[k] = "diverged"
        if stop is not None:
            met = np.asarray(stop(loss, err))
            for k in np.flatnonzero(was_active & (trainer.active == 1) & (met >= 0)):
                hist.criterion_met_at[k] = hist.sequences_seen[k] - n + met[k] + 1
                hist.status[k] = "solved"
                trainer.active[k] = 0
        if flat is not None:
            for k in np.flatnonzero(was_active & (trainer.active == 1) & np.asarray(flat(loss, err), bool)):
                hist.status[k] = "flat"
                trainer.active[k] = 0
        if after_chunk is not None:
            after_chunk(net)
        now = time.perf_counter()
        if keep is not None and now - last_save >= keep["every"]:
            last_save = now
            _save(keep, net, trainer, rng, hist, (stop, flat, after_chunk), before + now - t0)
        if progress is not None and now - last_print >= progress_every:
            last_print = now
            seen = int(hist.sequences_seen.max())
            with np.errstate(invalid="ignore"):
                mean_loss = np.nanmean(loss) if np.isfinite(loss).any() else float("nan")
            progress(f"[{before + now - t0:7.1f}s] seen {seen:,} sequences/trial; "
                     f"solved {hist.status.count('solved')}/{net.trials}, diverged {hist.status.count('diverged')}"
                     + (f", flat {hist.status.count('flat')}" if flat is not None else "") + "; "
                     f"mean loss {mean_loss:.4g}; "
                     f"at most {format_duration(time_left(seen, sequences, now - t0, hist))} left")
    hist.wall_time = before + time.perf_counter() - t0
    if keep is not None:  # the final state: a rerun of a finished call returns at once
        _save(keep, net, trainer, rng, hist, (stop, flat, after_chunk), hist.wall_time)
    return hist


def time_left(seen, budget, elapsed, hist) -> float:
    """Seconds until the budget at the rate of this run so far (the most it can take: trials that stop
    earlier only shorten it)."""
    done_here = seen - hist.resumed_at
    if done_here <= 0 or elapsed <= 0:
        return float("nan")
    return (budget - seen) * elapsed / done_here


def format_duration(seconds) -> str:
    """``"42 s"``, ``"13 min"``, ``"2.4 h"`` (``"?"`` when unknown)."""
    if not np.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _checkpoint_plan(checkpoint, every, net, callbacks, settings):
    """``{"path", "every", "fingerprint"}`` when this call keeps checkpoints, else None."""
    stable = " at 0x" not in repr(settings)  # an optimiser without a stable repr cannot be recognised again
    if checkpoint is None:
        claimed = checkpoints.claim()
        if claimed is None or not stable or not checkpoints.picklable(callbacks, net):
            return None  # no context, or rules that cannot be kept: the job store resumes the whole job
        path, every = claimed
    else:
        every = check_positive("checkpoint_every", every) if every != 0 else 0.0
        path = Path(checkpoint)
        if not path.parent.is_dir():
            raise ValueError(f"checkpoint: the folder {path.parent} does not exist")
        if not stable:
            raise ValueError(f"checkpoint: the optimiser {settings[-1]} has no stable repr")
        if not checkpoints.picklable(callbacks, net):
            raise ValueError("checkpoint: the stop/flat rules and after_chunk must be picklable "
                             "(classes or module-level functions, not closures)")
    return {"path": path, "every": every, "fingerprint": checkpoints.fingerprint(net, settings)}


def _save(keep, net, trainer, rng, hist, callbacks, elapsed):
    checkpoints.save(keep["path"], {
        "fingerprint": keep["fingerprint"],
        "params": {name: value.copy() for name, value in net.params.items()},
        "trainer": {name: getattr(trainer, name) for name in _TRAINER_STATE},
        "rng": rng, "hist": hist, "callbacks": callbacks, "elapsed": elapsed}, net)


#: What a :class:`Trainer` changes as it trains (its configuration is rebuilt from the call's arguments).
_TRAINER_STATE = ("state", "grads", "steps", "active", "first_wrong")


def _restore(state, net, trainer, callbacks):
    for name, value in state["params"].items():
        net.params[name][...] = value
    for name in _TRAINER_STATE:
        setattr(trainer, name, state["trainer"][name])
    for obj, loaded in zip(callbacks, state["callbacks"]):
        checkpoints.restore_into(obj, loaded)
    hist = state["hist"]
    hist.resumed_at = int(hist.sequences_seen.max())
    return state["rng"], hist, state["elapsed"]


def track_weights(net, sample, optimizer, *, sequences, every, names, batch_size=1, gradient=None, seed=0):
    """Train ``net`` in place (:func:`train`, no stopping rule) for ``sequences`` sequences per trial and
    record the parameters ``names`` every ``every`` sequences: returns ``(seen [points], {name: array
    [points, trials, ...]}, loss [points, trials])`` (``loss``: mean over each chunk; NaN at 0).  For
    figures of learning dynamics; ``sample`` as for :func:`train`."""
    for name in names:
        net[name]  # unknown names fail here, before any training
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or not 0 < every <= sequences:
        raise ValueError(f"every must be an integer in [1, sequences], got {every!r}")
    tracks = {n: [net[n].copy()] for n in names}

    def record(trained):
        for n in names:
            tracks[n].append(trained[n].copy())
    hist = train(net, sample, optimizer, sequences=sequences, batch_size=batch_size, gradient=gradient,
                 chunk=every, seed=seed, after_chunk=record)
    seen, loss, _ = hist.curve_arrays()
    return (np.r_[0, seen[:, 0]], {n: np.array(v) for n, v in tracks.items()},
            np.vstack([np.full(net.trials, np.nan), loss]))
