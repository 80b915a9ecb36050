"""The equations chapter's jobs: one per preset, the reference equations against both engines.

An :class:`EquationsJob` builds ``trials`` random networks of one preset (weights in [-0.5, 0.5],
plus 0.3 on every free hidden and peephole weight, so that biases and peepholes matter), runs
``budget`` random sequences through them and records the largest absolute difference between the
unit-by-unit reference (:func:`lstmlib.model.equations.forward` and :func:`~lstmlib.model.equations.backward`)
and each engine: the forward pass (every unit over time; the outputs on the torch engine) and the
gradient in each mode, for each output layer and loss of :data:`.protocols.LOSS_SETTINGS`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ....model import ARCHITECTURES, build
from ....model.equations import backward, forward
from ....study.jobs import ChapterJob, check_job_options, derive_seed
from .protocols import ENGINES, GRADIENT_MODES, LOSS_SETTINGS, check_scale


@dataclass(frozen=True)
class EquationsCase:
    """The random problems of one scale: ``blocks`` × ``cells`` memory blocks, sequences of ``steps``."""

    key: str
    steps: int
    blocks: int
    cells: int
    n_inputs: int = 2
    n_outputs: int = 3


def quantities(spec) -> list[str]:
    """The compared quantities of a preset: forward per engine, then gradient mode × engine (the truncated
    gradient needs a cell state)."""
    modes = [m for m in GRADIENT_MODES if m == "exact" or spec.has_memory]
    return [f"forward, {e}" for e in ENGINES] + [f"{m} gradient, {e}" for m in modes for e in ENGINES]


@dataclass(frozen=True)
class EquationsJob(ChapterJob):
    """``trials`` random networks of preset ``arch``, each run on ``budget`` random sequences."""

    unit = "sequences"
    solvable = False  # nothing to learn: each trial is a comparison

    def check(self):
        super().check(steps=self.protocol.steps, blocks=self.protocol.blocks, cells=self.protocol.cells)

    def cost(self) -> float:
        return self.trials * self.budget * self.protocol.steps * self.protocol.blocks * self.protocol.cells

    def run(self, progress=None) -> dict:
        return run_job(self)


def network(job, output, loss, seed):
    """A random network of the job's preset (the rnn has one cell per block)."""
    p = job.protocol
    cells = 1 if job.arch == "rnn" else p.cells
    net = build(job.arch, p.n_inputs, p.n_outputs, p.blocks, cells, trials=job.trials, output=output, loss=loss,
                output_from="cells+inputs", init_range=0.5, seed=seed)
    for name in ("hidden", "peephole"):  # make every free weight matter (biases, peepholes ...)
        net.params[name] += 0.3 * net.layout.masks()[name]
    return net


def problem(job, output, rng):
    """Inputs, lengths (1..steps), targets (one-hot for a softmax) and loss weights of ``budget`` sequences."""
    p, B = job.protocol, job.budget
    x = rng.normal(size=(B, p.steps, p.n_inputs))
    lengths = rng.integers(1, p.steps + 1, size=B)
    lengths[0] = p.steps
    if output == "softmax":
        target = np.eye(p.n_outputs)[rng.integers(0, p.n_outputs, size=(B, p.steps))]
    else:
        target = rng.normal(size=(B, p.steps, p.n_outputs))
    weights = rng.uniform(0.5, 1.5, size=(B, p.steps)) * (np.arange(p.steps) < lengths[:, None])
    return x, lengths, target, weights


def compare(net, x, lengths, target, weights, gradient_modes) -> dict:
    """Max |reference - engine| per quantity (:func:`quantities`) over the trials and sequences."""
    K, B = net.trials, len(x)
    diff = {}
    traces = net.trace(x, lengths)
    torch_out = net.forward(x, lengths, engine="torch")
    grads = {(m, e): net.loss_and_grad(x, target, lengths, loss_at=weights, gradient=m, engine=e)
             for m in gradient_modes for e in ENGINES}
    for k in range(K):
        params = {n: p[k] for n, p in net.params.items()}
        refs = {m: [] for m in gradient_modes}
        for b in range(B):
            L = lengths[b]
            ref = forward(net.layout, params, x[b, :L], net.output)
            numba = max(float(np.abs(traces[key][k, b, :L] - ref[key]).max()) for key in ref)
            diff["forward, numba"] = max(diff.get("forward, numba", 0.0), numba)
            torch = float(np.abs(torch_out[k, b, :L] - ref["outputs"]).max())
            diff["forward, torch"] = max(diff.get("forward, torch", 0.0), torch)
            for m in gradient_modes:
                refs[m].append(backward(net.layout, params, x[b, :L], target[b, :L], weights[b, :L], net.output,
                                        net.loss, m))
        for (m, e), (loss, grad) in grads.items():
            ours = {n: sum(r[n] for r in refs[m]) / B for n in grad}  # the engines' loss is the batch mean
            d = max(float(np.abs(ours[n] - grad[n][k]).max()) for n in grad)
            d = max(d, abs(sum(r["loss"] for r in refs[m]) / B - float(loss[k])))
            key = f"{m} gradient, {e}"
            diff[key] = max(diff.get(key, 0.0), d)
    return diff


def run_job(job: EquationsJob) -> dict:
    """The job's comparisons, one trial record per random network and loss setting."""
    job.check()
    t0 = time.perf_counter()
    spec = ARCHITECTURES[job.arch]
    modes = [m for m in GRADIENT_MODES if m == "exact" or spec.has_memory]
    seeds = {f"{o}/{loss}": derive_seed(job.seed, job.protocol.key, job.arch, o, loss) for o, loss in LOSS_SETTINGS}
    by_loss = {}
    n_weights = None
    for output, loss in LOSS_SETTINGS:
        seed = seeds[f"{output}/{loss}"]
        net = network(job, output, loss, seed)
        n_weights = net.n_weights
        by_loss[f"{output}/{loss}"] = compare(net, *problem(job, output, np.random.default_rng(seed + 1)), modes)
    trials = [{"status": "budget", "sequences": job.budget, "loss_setting": setting, "max_abs_diff": d}
              for setting, d in by_loss.items()]
    return {"job": job.name, "protocol": job.protocol.key, "arch": job.arch, "n_weights": n_weights,
            "budget": job.budget, "networks": job.trials, "seeds": seeds, "trials": trials,
            "max_abs_diff": {q: max(d[q] for d in by_loss.values()) for q in quantities(spec)},
            "wall_time_s": time.perf_counter() - t0}


def jobs_for(scale="default", presets=None, seed=0) -> list[EquationsJob]:
    """One job per preset (None: every preset of :data:`lstmlib.ARCHITECTURES`; or names, as a list or a
    comma-separated string) at ``scale``; every parameter checked before any work starts."""
    s = check_scale(scale)
    check_job_options(seed)
    if presets is None:
        names = sorted(ARCHITECTURES)
    else:
        names = [p.strip() for p in presets.split(",")] if isinstance(presets, str) else list(presets)
        unknown = [p for p in names if p not in ARCHITECTURES]
        if unknown or not names or len(set(names)) != len(names):
            raise ValueError(f"presets must be distinct names of {sorted(ARCHITECTURES)}, got {presets!r}")
    case = EquationsCase("engines", s["steps"], s["blocks"], s["cells"])
    jobs = [EquationsJob(case, name, s["trials"], s["batch"], seed) for name in names]
    for job in jobs:
        job.check()
    return jobs
