"""lstmlib against a public peer implementation on the adding problem.

    python benchmarks/peer_adding.py --peer DIR [--iters 8000] [--json]

``DIR`` is a checkout of https://github.com/cybertronai/schmidhuber-problems (never committed here):
``git clone https://github.com/cybertronai/schmidhuber-problems DIR``.  Without it the script says so
and exits with status 2.

The peer's headline run (its README): its own variant of the adding problem (values U[-1, 1], one
mark in each half, target X1 + X2, squared error), an LSTM of 8 cells with forget gates (no
peepholes, tanh squashing, full BPTT), Adam with learning rate 5e-3 halved every 1500 iterations,
global gradient-norm clipping at 1.0, batches of 32, 8000 iterations, a test on 512 fresh sequences
every 100 iterations.  The script runs it twice, one thread each, one after the other:

1. the peer's own script, ``adding-problem/adding_problem.py``, as its README runs it (timed from
   outside, as a user would see it);
2. the same run through lstmlib: the peer's data generator and initial weights (imported from
   ``DIR``, the weights copied into lstmlib's "np" cell, Greff's no-peephole variant), Adam with
   ``clip_norm=1.0`` and the same schedule, and the same tests; the numba kernels are compiled
   before the clock starts.

It prints both wall times, their ratio (``peer_ratio``: the peer's time over lstmlib's), both final
test MSEs, and the largest difference between the two implementations' first gradients (a check
that the two compute the same thing).  ``--json`` puts these in one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lstmlib  # noqa: E402

SCRIPT = Path("adding-problem") / "adding_problem.py"
GATES = ("input_gate", "forget_gate", "cell", "output_gate")  # the peer's column blocks of Wx, Wh, b: i, f, g, o


def load_peer(folder: Path):
    spec = importlib.util.spec_from_file_location("peer_adding_problem", folder / SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def lstmlib_net(params, hidden):
    """The peer's LSTM as a one-trial lstmlib network: one block per cell, gates and cell inputs fed by
    the input and the cell outputs, every unit biased, the output unit fed by the cells."""
    net = lstmlib.build("np", 2, 1, n_blocks=hidden, cells_per_block=1, trials=1, output_from="cells",
                        biased=("cells", "gates", "outputs"))
    H = hidden
    for g, name in enumerate(GATES):
        cols = slice(g * H, (g + 1) * H)
        net[f"{name}.x"] = params.Wx[:, cols].T[None]
        net[f"{name}.cells"] = params.Wh[:, cols].T[None]
        net[f"{name}.bias"] = params.b[cols][None, :, None]
    net["output.cells"] = params.Wy.T[None]
    net["output.bias"] = params.by[None, :, None]
    return net


def as_lstmlib(X, y):
    """The peer's batch ``X [T, B, 2]``, ``y [B]`` as lstmlib's ``x [1, B, T, 2]``, ``target [1, B, 1]``."""
    return np.ascontiguousarray(X.transpose(1, 0, 2)[None]), y[None, :, None]


def first_gradient_gap(peer, params, hidden, T, batch, seed) -> float:
    """The largest difference between the peer's and lstmlib's gradients on the first training batch."""
    X, y = peer.make_adding_batch(np.random.RandomState(seed), T, batch)
    pred, cache = peer.lstm_forward(params, X)
    g = peer.lstm_backward(params, cache, (pred - y) / batch)
    net = lstmlib_net(params, hidden)
    x, target = as_lstmlib(X, y)
    _, grads = net.loss_and_grad(x, target, gradient="exact")
    theirs = lstmlib_net(peer.LSTMParams(**{k: g[k] for k in ("Wx", "Wh", "b", "Wy", "by")}), hidden)  # same packing
    return float(max(np.abs(grads[k] - theirs.params[k]).max() for k in grads))


def run_lstmlib(peer, args) -> dict:
    """The peer's run through lstmlib (see the module's docstring)."""
    H, T, B = args.hidden, args.T, args.batch
    params = peer.init_lstm(input_dim=2, H=H, rng=np.random.RandomState(args.seed + 7))
    net = lstmlib_net(params, H)
    train_rng, test_rng = np.random.RandomState(args.seed), np.random.RandomState(args.seed + 1_000_003)
    lr = args.lr
    trainer = lstmlib.Trainer(net, lstmlib.Adam(lr, clip_norm=1.0), gradient="exact", batch_size=B)

    def test():
        sse, correct, n = 0.0, 0, 0
        while n < 512:
            X, y = peer.make_adding_batch(test_rng, T, 128)
            x, _ = as_lstmlib(X, y)
            pred = net.forward(x)[0, :, -1, 0]
            sse += float(((pred - y) ** 2).sum())
            correct += int((np.abs(pred - y) < 0.04).sum())
            n += 128
        return sse / n, correct / n

    # the peer tests after iteration 1, every 100 iterations and after the last; it halves the learning
    # rate after every args.decay iterations: train in segments between these points
    stops = {1, args.iters, *range(100, args.iters, 100)}
    if args.decay:
        stops |= set(range(args.decay, args.iters, args.decay))
    t0 = time.perf_counter()
    history, it = [], 0
    for end in sorted(stops):
        batches = [peer.make_adding_batch(train_rng, T, B) for _ in range(it, end)]
        x = np.concatenate([as_lstmlib(X, y)[0] for X, y in batches], axis=1)
        target = np.concatenate([as_lstmlib(X, y)[1] for X, y in batches], axis=1)
        trainer.run(x, target)
        it = end
        if it == 1 or it % 100 == 0 or it == args.iters:
            history.append((it, *test()))
        if args.decay and it % args.decay == 0:
            lr *= 0.5
            trainer.optimizer = lstmlib.Adam(lr, clip_norm=1.0)  # the moments and step counts stay
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "final_mse": history[-1][1], "solve_rate": history[-1][2]}


def run_peer(folder: Path, args) -> dict:
    cmd = [sys.executable, str(SCRIPT), "--seed", str(args.seed), "--T", str(args.T), "--hidden", str(args.hidden),
           "--iters", str(args.iters), "--batch", str(args.batch), "--lr", str(args.lr),
           "--lr-decay-every", str(args.decay)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    m = re.search(r"final test MSE = ([0-9.eE+-]+)\s+solve_rate = ([0-9.]+)", done.stdout)
    if m is None:
        raise RuntimeError(f"could not read the peer's final line from its output:\n{done.stdout[-2000:]}")
    return {"wall_s": wall, "final_mse": float(m.group(1)), "solve_rate": float(m.group(2))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", type=Path, help="a checkout of cybertronai/schmidhuber-problems")
    ap.add_argument("--iters", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--decay", type=int, default=1500, help="halve the learning rate every N iterations (0: never)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.peer is None or not (args.peer / SCRIPT).is_file():
        print("peer_adding.py needs a checkout of the peer's repository:\n"
              "    git clone https://github.com/cybertronai/schmidhuber-problems /some/dir\n"
              "    python benchmarks/peer_adding.py --peer /some/dir\n"
              f"({SCRIPT} was not found under {args.peer})", file=sys.stderr)
        return 2
    if args.iters < 1 or args.decay < 0:
        ap.error("--iters must be >= 1 and --decay >= 0")
    peer = load_peer(args.peer)
    params = peer.init_lstm(input_dim=2, H=args.hidden, rng=np.random.RandomState(args.seed + 7))
    gap = first_gradient_gap(peer, params, args.hidden, args.T, args.batch, args.seed)
    warm = argparse.Namespace(**{**vars(args), "iters": 3})
    run_lstmlib(peer, warm)  # compiles the kernels before the clock starts
    mine = run_lstmlib(peer, args)
    theirs = run_peer(args.peer, args)
    out = {"peer_s": round(theirs["wall_s"], 2), "lstmlib_s": round(mine["wall_s"], 2),
           "peer_ratio": round(theirs["wall_s"] / mine["wall_s"], 2), "peer_final_mse": theirs["final_mse"],
           "lstmlib_final_mse": round(mine["final_mse"], 5), "peer_solve_rate": theirs["solve_rate"],
           "lstmlib_solve_rate": mine["solve_rate"], "first_gradient_gap": gap, "iters": args.iters,
           "dtype": "float64"}
    print(f"peer {out['peer_s']} s, lstmlib {out['lstmlib_s']} s: the peer takes {out['peer_ratio']}x as long; "
          f"final test MSE peer {out['peer_final_mse']}, lstmlib {out['lstmlib_final_mse']}; first gradients "
          f"agree to {gap:.1e}")
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
