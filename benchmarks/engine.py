"""Speed of the compiled engine, measured against torch.nn.LSTM in the same run.

    python benchmarks/engine.py            # table
    python benchmarks/engine.py --json     # table, then one JSON object on the last line

P1: `peephole`, H cells (1 per block), batch 32, full-BPTT training step (forward, backward, SGD
    update), one thread: time per trial / time of torch.nn.LSTM + Linear readout (same sizes, dtype).
P2: the 1997 adding network (`vanilla`, 2 blocks x 2 cells, 93 weights), online (batch 1, an update
    after every sequence, lengths in [T, T + T/10]), K = 10 trials: microseconds per trial per step.
RNN: the same for the plain RNN of the noisy-recall chapter's adding row (exact BPTT, a tenth of the
    learning rate), the baseline that runs to its full budget in every chapter.
Online: the online RTRL learner against the engine's truncated BPTT per step (benchmarks/online.py),
    the worse of its two nets in float64.
Each number is the median of several repeats after a warm-up; ratios come from one process.  The
last line of --json holds p1_ratio, p1_ratio_h32_t1000 (not with --quick), p2_us_per_step,
rnn_us_per_step and online_ratio (issue 12's targets: <= 0.30, <= 1.0, <= 0.12 us, at most the
LSTM's and <= 1.3).
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

torch.set_num_threads(1)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def torch_lstm_step_time(H, T, B, dtype, repeats):
    tdt = {"float32": torch.float32, "float64": torch.float64}[dtype]
    lstm = torch.nn.LSTM(2, H, batch_first=True).to(tdt)
    readout = torch.nn.Linear(H, 1).to(tdt)
    opt = torch.optim.SGD(list(lstm.parameters()) + list(readout.parameters()), lr=0.01)
    x = torch.randn(B, T, 2, dtype=tdt)
    y = torch.randn(B, 1, dtype=tdt)

    def step():
        opt.zero_grad()
        h, _ = lstm(x)
        loss = 0.5 * ((readout(h[:, -1]) - y) ** 2).sum() / B
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    return median_time(step, repeats)


def lstmlib_step_time(H, T, B, dtype, repeats, K=1):
    net = lstmlib.build("peephole", 2, 1, H, 1, trials=K, dtype=dtype)
    trainer = lstmlib.Trainer(net, lstmlib.SGD(0.01), gradient="exact", batch_size=B)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(K, B, T, 2))
    y = rng.normal(size=(K, B, 1))
    for _ in range(2):
        trainer.run(x, y)
    return median_time(lambda: trainer.run(x, y), repeats) / K


def online_us_per_step(T, dtype, sequences, repeats, K=10, arch="vanilla"):
    if arch == "rnn":  # the chapter's own baseline network and learning rate for the adding row
        from lstmlib.papers.hochreiter1997 import PROTOCOLS, learning_rate, network_for
        net = network_for(PROTOCOLS["4_T100"], "rnn", K, 0)  # float64, as the chapter runs it
        trainer = lstmlib.Trainer(net, lstmlib.SGD(learning_rate(PROTOCOLS["4_T100"], "rnn")))
    else:
        net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=K, input_gate_bias=(-3, -6), dtype=dtype)
        assert net.n_weights == 93
        trainer = lstmlib.Trainer(net, lstmlib.SGD(0.5))
    task = Adding1997(T)
    rng = np.random.default_rng(0)
    trainer.run(*task.sample(rng, K, 20))
    x, y, lengths, loss_at = task.sample(rng, K, sequences)
    t = median_time(lambda: trainer.run(x, y, lengths, loss_at), repeats)
    return t / lengths.sum() * 1e6  # per trial per step: K trials run side by side


def lane_counts(counts, rounds=5, sequences=100):
    """The P2 net's cost per time step of all its trials, K = each of ``counts``, with the trainer's
    lane padding (:func:`lstmlib.training.trainer.padding`) and without: the minimum over ``rounds``
    interleaved rounds, in ns."""
    from lstmlib.training import trainer as trainer_module
    task = Adding1997(100)
    padding = trainer_module.padding
    setups = {}
    for K in counts:
        net = lstmlib.build("vanilla", 2, 1, 2, 2, trials=K, input_gate_bias=(-3, -6), dtype="float64")
        x, y, lengths, loss_at = task.sample(np.random.default_rng(0), K, sequences)
        setups[K] = (net, (x, y, lengths, loss_at), lengths.sum() / K)
    best = {(K, p): np.inf for K in counts for p in (True, False)}
    try:
        for _ in range(rounds):
            for K in counts:
                for pad in (True, False):
                    trainer_module.padding = padding if pad else (lambda *a: 0)
                    net, data, steps = setups[K]
                    trainer = lstmlib.Trainer(net, lstmlib.SGD(0.5))
                    t0 = time.perf_counter()
                    trainer.run(*data)
                    best[K, pad] = min(best[K, pad], (time.perf_counter() - t0) / steps * 1e9)
    finally:
        trainer_module.padding = padding
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    ap.add_argument("--quick", action="store_true", help="fewer repeats, skip the H=32/T=1000 rows")
    ap.add_argument("--lanes", action="store_true",
                    help="only: the P2 net's ns per step of all trials for 1-32 trials, with and without padding")
    args = ap.parse_args()
    if args.lanes:
        counts = list(range(1, 17)) + [20, 24, 28, 32]
        lanes_ns = lane_counts(counts)
        print("P2 net, float64, batch 1: ns per time step of all K trials (min of 5 rounds)")
        print(f"{'K':>4}{'padded':>10}{'unpadded':>10}{'ratio':>8}")
        for K in counts:
            print(f"{K:>4}{lanes_ns[K, True]:>10.0f}{lanes_ns[K, False]:>10.0f}"
                  f"{lanes_ns[K, True] / lanes_ns[K, False]:>8.2f}")
        if args.json:
            print(json.dumps({f"{K}": [lanes_ns[K, True], lanes_ns[K, False]] for K in counts}))
        return
    reps = 5 if args.quick else 15
    rows, p1 = [], {}
    print(f"# lstmlib {lstmlib.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}, 1 thread")
    print("P1  peephole training step (forward + full BPTT + SGD), batch 32, per trial")
    print(f"{'config':<22}{'lstmlib ms':>12}{'nn.LSTM ms':>12}{'ratio':>8}")
    configs = [(8, 100, "float32"), (8, 100, "float64")]
    if not args.quick:
        configs += [(32, 1000, "float32"), (32, 1000, "float64")]
    for H, T, dt in configs:
        r = max(3, reps // (5 if T >= 1000 else 1))
        ours = lstmlib_step_time(H, T, 32, dt, r)
        theirs = torch_lstm_step_time(H, T, 32, dt, r)
        key = f"H={H} T={T} {dt}"
        p1[key] = ours / theirs
        rows.append({"bench": "P1", "config": key, "lstmlib_ms": ours * 1e3, "torch_ms": theirs * 1e3,
                     "ratio": ours / theirs})
        print(f"{key:<22}{ours * 1e3:>12.3f}{theirs * 1e3:>12.3f}{ours / theirs:>8.2f}")
    print("P2  1997 adding net (93 weights), online SGD, batch 1, K=10 trials: us per trial per step")
    p2 = {}
    for T, dt in [(100, "float64"), (100, "float32")] + ([] if args.quick else [(1000, "float64")]):
        us = online_us_per_step(T, dt, 2000 if T == 100 else 200, max(3, reps // 3))
        key = f"T={T} {dt}"
        p2[key] = us
        rows.append({"bench": "P2", "config": key, "us_per_step": us})
        print(f"{key:<22}{us:>12.3f}")
    rnn = online_us_per_step(100, "float64", 2000, max(3, reps // 3), arch="rnn")
    rows.append({"bench": "RNN", "config": "T=100 float64", "us_per_step": rnn})
    print(f"RNN  the noisy-recall chapter's plain RNN on the adding row: {rnn:.3f} us per trial per step")
    import online  # the sibling benchmark (run as python benchmarks/engine.py)
    ratios = {}
    for name, cfg in online.NETS.items():
        on, _ = online.online_us(cfg, 10, "float64", 20000, max(3, reps // 3))
        ratios[name] = on / online.engine_us(cfg, 10, "float64", 100, 200, max(3, reps // 3))
        rows.append({"bench": "online", "config": f"{name} float64", "ratio": ratios[name]})
    print("online learner / engine per step, float64: " + ", ".join(f"{n} {r:.2f}" for n, r in ratios.items()))
    summary = {"p1_ratio": p1["H=8 T=100 float32"], "p2_us_per_step": p2["T=100 float64"],
               "p2_us_per_step_float32": p2["T=100 float32"], "rnn_us_per_step": rnn,
               "online_ratio": max(ratios.values()), "rows": rows}
    if "H=32 T=1000 float32" in p1:
        summary["p1_ratio_h32_t1000"] = p1["H=32 T=1000 float32"]
    print(f"P1 ratio (target <= 0.30): {summary['p1_ratio']:.2f}"
          + (f", at H=32 T=1000 (target <= 1.0): {summary['p1_ratio_h32_t1000']:.2f}" if "p1_ratio_h32_t1000" in summary
             else "") + f";  P2 us/step (target <= 0.12): {summary['p2_us_per_step']:.3f} (float64), "
          f"{summary['p2_us_per_step_float32']:.3f} (float32);  RNN us/step (target <= P2): {rnn:.3f};  "
          f"online ratio (target <= 1.3): {summary['online_ratio']:.2f}")
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
