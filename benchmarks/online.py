"""Speed of the online RTRL learner (:class:`lstmlib.OnlineLearner`) against the engine's truncated BPTT.

    python benchmarks/online.py            # table
    python benchmarks/online.py --json     # table, then one JSON object on the last line

Both sides train K = 10 trials side by side, one thread, SGD, a target at every step:
* online: one weight update per time step (RTRL partials, the Gers 2000/2002 scheme), one call per
  stream chunk;
* engine: ``Trainer(batch_size=1, gradient="truncated")`` on sequences of T = 100 steps, one
  update per sequence (forward, truncated backward pass, update);
* online/100: the online learner with ``update_every=100`` (the RTRL cost without 99 of the 100
  optimiser steps).
Reported: microseconds per trial per step (wall time / (steps x K); the K trials run side by side),
steps per second per trial, and the ratio online / engine.
Nets: the Gers 2002 17-weight net (``peephole``, 1 input, 1 block x 1 cell, 1 output, g = h = identity,
logistic output) and a mid-size ``forget`` net (fully recurrent hidden layer, 4 blocks x 2 cells).
Each number is the median of several repeats after a warm-up (which also compiles).

    python benchmarks/online.py --streams  # only the second table: many short training streams

Second table, many short training streams (the Gers et al. 2002 timing protocol: every training
stream starts from a reset state and ends at its first wrong step): GTS streams (F = 10) of 1 and
100 events, K = 10 trials of the 17-weight net, momentum 0.9999 with lr 1e-5, stop_at_error = 0.49,
each repeat from the same fresh net (so every variant does the same work):
* per call: one ``run(..., stop_at_error=tol)`` call per stream, microseconds per call;
* one call: 500 streams concatenated (``reset`` at each stream's first step) in one
  ``run(..., stop_at_error=tol, resume_at_reset=True)`` call, with and without ``record``;
reported as streams per second per trial (all K trials train side by side, each on its own copy of
the stream) and the speed-up of one call over per-stream calls.
"""

from __future__ import annotations

import argparse
import json
import os
import platform

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from engine import median_time  # noqa: E402  (the sibling benchmark; run as python benchmarks/online.py)

import lstmlib  # noqa: E402

NETS = {
    "gers2002 17w": dict(arch="peephole", n_inputs=1, n_outputs=1, n_blocks=1, cells_per_block=1,
                         cell_input="identity", cell_output="identity", output="logistic",
                         forget_gate_bias=-2.0, output_gate_bias=2.0),
    "forget 4x2": dict(arch="forget", n_inputs=2, n_outputs=2, n_blocks=4, cells_per_block=2, output="logistic"),
}




def make(cfg, K, dtype):
    cfg = dict(cfg)
    return lstmlib.build(cfg.pop("arch"), trials=K, dtype=dtype, init_range=0.1, seed=0, **cfg)


def online_us(cfg, K, dtype, steps, repeats, every=1):
    net = make(cfg, K, dtype)
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(K, steps, net.layout.n_inputs)) < 0.1).astype(float)
    y = rng.uniform(size=(K, steps, net.layout.n_outputs))
    learner = lstmlib.OnlineLearner(net, lstmlib.SGD(1e-3), update_every=every)
    learner.run(x[:, :100], y[:, :100])
    return median_time(lambda: learner.run(x, y), repeats) / (steps * K) * 1e6, net.n_weights


def engine_us(cfg, K, dtype, T, sequences, repeats):
    net = make(cfg, K, dtype)
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(K, sequences, T, net.layout.n_inputs)) < 0.1).astype(float)
    y = rng.uniform(size=(K, sequences, T, net.layout.n_outputs))
    trainer = lstmlib.Trainer(net, lstmlib.SGD(1e-3), gradient="truncated", batch_size=1)
    trainer.run(x[:, :2], y[:, :2], loss_at="every")
    return median_time(lambda: trainer.run(x, y, loss_at="every"), repeats) / (sequences * T * K) * 1e6


GERS17 = dict(arch="peephole", n_inputs=1, n_outputs=1, n_blocks=1, cells_per_block=1, output="logistic",
              cell_input="identity", cell_output="identity", gate_recurrence="none", forget_gate_bias=-2.0,
              input_gate_bias=0.0, output_gate_bias=2.0)


def streams_case(n_events, n_streams, repeats, concat, record=True, K=10):
    """Seconds per stream (median over repeats) to train K trials of the 17-weight net on n_streams
    GTS streams of n_events events, one call per stream or ``concat`` streams per call."""
    from lstmlib.tasks import timing
    s = timing.GTS(10).stream(np.random.default_rng(0), K, n_events)
    reset = np.zeros(s.T, bool)
    reset[0] = True
    if concat > 1:
        x, y, w = (np.concatenate([a] * concat, axis=1) for a in (s.x, s.target, s.weights))
        reset = np.tile(reset, concat)

    def train():
        net = make(GERS17, K, "float64")
        learner = lstmlib.OnlineLearner(net, lstmlib.Momentum(1e-5, 0.9999))
        if concat > 1:
            for _ in range(n_streams // concat):
                learner.run(x, y, w, reset=reset, stop_at_error=s.tolerance, resume_at_reset=True, record=record)
        else:
            for _ in range(n_streams):
                learner.run(s.x, s.target, s.weights, reset=reset, stop_at_error=s.tolerance)
        return learner

    train()
    return median_time(train, repeats) / n_streams


def empty_call_us(n_events, repeats, K=10, calls=2000):
    """Microseconds per run call on one GTS stream when every trial is paused (active = 0): the
    fixed cost of a call (checks, allocation, dispatch, the skipped steps), no network step."""
    from lstmlib.tasks import timing
    s = timing.GTS(10).stream(np.random.default_rng(0), K, n_events)
    reset = np.zeros(s.T, bool)
    reset[0] = True
    learner = lstmlib.OnlineLearner(make(GERS17, K, "float64"), lstmlib.Momentum(1e-5, 0.9999))
    learner.active[:] = 0

    def calls_():
        for _ in range(calls):
            learner.run(s.x, s.target, s.weights, reset=reset, stop_at_error=s.tolerance)

    calls_()
    return median_time(calls_, repeats) / calls * 1e6


def streams_table(repeats):
    print(f"{'events':>6}{'steps':>7}{'empty call us':>15}{'per call us':>13}{'streams/s':>11}"
          f"{'one call: streams/s':>21}{'speed-up':>9}{'no record: streams/s':>22}{'speed-up':>9}")
    rows = []
    for n_events in (1, 100):
        empty = empty_call_us(n_events, repeats)
        per = streams_case(n_events, 2000, repeats, 1)
        one = streams_case(n_events, 2000, repeats, 500)
        bare = streams_case(n_events, 2000, repeats, 500, record=False)
        rows.append({"events": n_events, "steps": 10 * n_events + 1, "empty_call_us": empty,
                     "per_call_us": per * 1e6, "per_call_streams_per_s": 1 / per, "one_call_streams_per_s": 1 / one,
                     "one_call_no_record_streams_per_s": 1 / bare})
        print(f"{n_events:>6}{10 * n_events + 1:>7}{empty:>15.1f}{per * 1e6:>13.1f}{1 / per:>11,.0f}"
              f"{1 / one:>21,.0f}{per / one:>9.1f}{1 / bare:>22,.0f}{per / bare:>9.1f}")
    print("empty call: every trial paused (active = 0), the fixed cost of a call; per call: one run per "
          "stream;\nstreams/s: training streams per second per trial (K = 10 trials side by side); one call: 500 "
          "concatenated streams per run(..., resume_at_reset=True)")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--streams", action="store_true", help="only the table of many short training streams")
    args = ap.parse_args()
    K, T = 10, 100
    print(f"# lstmlib {lstmlib.__version__}, numpy {np.__version__}, {platform.processor() or platform.machine()}, "
          f"1 thread, K={K} trials side by side")
    if args.streams:
        rows = streams_table(args.repeats)
        if args.json:
            print(json.dumps({"streams": rows}))
        return
    print(f"{'net':<14}{'dtype':<9}{'weights':>8}{'online us':>11}{'steps/s':>11}{'engine us':>11}{'ratio':>7}"
          f"{'online/100 us':>15}{'ratio':>7}")
    rows = []
    for name, cfg in NETS.items():
        for dtype in ("float64", "float32"):
            on, nw = online_us(cfg, K, dtype, 20000, args.repeats)
            en = engine_us(cfg, K, dtype, T, 200, args.repeats)
            on100, _ = online_us(cfg, K, dtype, 20000, args.repeats, every=T)
            rows.append({"net": name, "dtype": dtype, "weights": nw, "online_us_per_step": on,
                         "online_steps_per_s": 1e6 / on, "engine_us_per_step": en, "ratio": on / en,
                         "online_every100_us_per_step": on100, "ratio_every100": on100 / en})
            print(f"{name:<14}{dtype:<9}{nw:>8}{on:>11.3f}{1e6 / on:>11,.0f}{en:>11.3f}{on / en:>7.2f}"
                  f"{on100:>15.3f}{on100 / en:>7.2f}")
    print("us = microseconds per trial per time step; ratio = online / engine (target: same order).\n"
          f"online/100: the online learner with update_every={T}, i.e. as many updates as the engine\n")
    streams = streams_table(args.repeats)
    if args.json:
        print(json.dumps({"rows": rows, "streams": streams}))


if __name__ == "__main__":
    main()
