"""Throughput of training many trials at once: the torch engine's trainer on a device (a GPU where there
is one) against the compiled engine on one CPU thread, in the same run.

    python benchmarks/torch_train.py                                  # K = 1000 trials, CPU only here
    python benchmarks/torch_train.py --device cuda --trials 1000 --json
    python benchmarks/torch_train.py --trials 16 --sequences 4        # a quick check (seconds)

The net is the 1997 adding network (Exp. 4: `vanilla`, 2 blocks x 2 cells, 93 weights, truncated
gradient), trained online (batch 1: an update after every sequence, SGD, lr 0.5) on adding sequences of
length T in [T, T + T/10].  Reported: trial-steps per second (trials x sequences x steps / wall time)
of each engine, after one warm-up call, and their ratio.  The compiled engine's figure is measured at
min(K, --cpu-trials) trials and is per trial the same at any K up to the cores' vector width, so it is
reported per trial-step as measured.  Before timing, both engines train the same 2 sequences from the
same weights and their weights are compared (the engine-agreement check on the device).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import lstmlib  # noqa: E402
from lstmlib.tasks.recall import Adding1997  # noqa: E402
from lstmlib.training import SGD, Trainer  # noqa: E402
from lstmlib.training.torch_trainer import TorchTrainer, check_device  # noqa: E402

torch.set_num_threads(1)


def adding_net(trials, seed=0):
    return lstmlib.build("vanilla", 2, 1, 2, 2, trials=trials, seed=seed, output="linear",
                         input_gate_bias=(-3.0, -6.0))


def throughput(trainer, task, trials, sequences, seed=1):
    rng = np.random.default_rng(seed)
    x, target, lengths, loss_at = task.sample(rng, trials, sequences)
    trainer.run(x[:, :1], target[:, :1], lengths[:, :1], loss_at)  # warm-up (compilation, CUDA context)
    if trainer.__class__.__name__ == "TorchTrainer" and trainer.device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    trainer.run(x, target, lengths, loss_at)
    if trainer.__class__.__name__ == "TorchTrainer" and trainer.device.type == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    return trials * int(lengths.sum() / trials) / wall, wall  # trial-steps per second


def agreement(task, device, trials):
    a, b = adding_net(trials), adding_net(trials)
    x, target, lengths, loss_at = task.sample(np.random.default_rng(7), trials, 2)
    Trainer(a, SGD(0.5)).run(x, target, lengths, loss_at)
    TorchTrainer(b, SGD(0.5), device=device).run(x, target, lengths, loss_at)
    return max(float(np.max(np.abs(a.params[n] - b.params[n]))) for n in a.params)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--cpu-trials", type=int, default=16, help="trials of the compiled engine's measurement")
    ap.add_argument("--sequences", type=int, default=20, help="sequences per trial in the timed call")
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    device = check_device(args.device)
    task = Adding1997(args.T)
    diff = agreement(task, device, min(args.trials, 64))
    torch_rate, torch_wall = throughput(TorchTrainer(adding_net(args.trials), SGD(0.5), device=device), task,
                                        args.trials, args.sequences)
    k_cpu = min(args.trials, args.cpu_trials)
    cpu_rate, cpu_wall = throughput(Trainer(adding_net(k_cpu), SGD(0.5)), task, k_cpu, args.sequences)
    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else None
    out = {"device": device, "gpu": gpu, "trials": args.trials, "T": args.T, "sequences": args.sequences,
           "torch_trial_steps_per_s": torch_rate, "torch_wall_s": torch_wall, "compiled_trials": k_cpu,
           "compiled_trial_steps_per_s": cpu_rate, "compiled_wall_s": cpu_wall,
           "torch_over_compiled": torch_rate / cpu_rate, "max_weight_difference": diff,
           "machine": f"{platform.machine()}, {os.cpu_count()} cores", "torch": torch.__version__}
    print(f"torch engine on {device}{f' ({gpu})' if gpu else ''}, K = {args.trials}: "
          f"{torch_rate:,.0f} trial-steps/s ({torch_wall:.1f} s)")
    print(f"compiled engine, one CPU thread, K = {k_cpu}: {cpu_rate:,.0f} trial-steps/s ({cpu_wall:.1f} s)")
    print(f"ratio {out['torch_over_compiled']:.2f}; the engines' weights after 2 sequences differ by at most "
          f"{diff:.1e}")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
