"""The gradients chapter's jobs: the cost of each way of computing the gradient, the numerical gradient check,
the agreement of the truncated and the exact gradient, and the learning comparisons (:mod:`.protocols`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ....engines.gradcheck import check_gradient
from ....engines.rtrl import rtrl_loss_and_grad, state_size
from ....model import ARCHITECTURES, build
from ....study.jobs import ChapterJob, check_job_options, check_scale, derive_seed, downsample_curve
from ....training import SGD, Adam, OnlineLearner, RecentSequencesRule, evaluate, train
from ....tasks.recall import Adding1997
from .protocols import SCALES, learning_protocols

METHODS = ("exact BPTT", "truncated, backward", "truncated, forward (online)", "full RTRL")


def network_for(protocol, trials, seed, n_blocks=2):
    """The row's networks: H&S 1997's Exp. 4 network (``n_blocks`` blocks of 2 cells) for the rows with
    sequences, Gers et al. 2002's peephole cell for the online row."""
    if protocol.key == "online":
        return build("peephole", 1, 1, 1, 1, trials=trials, seed=seed, output="logistic", cell_input="identity",
                     cell_output="identity", forget_gate_bias=2.0, init_range=0.1)
    return build("vanilla", 2, 1, n_blocks, 2, trials=trials, seed=seed, output=protocol.output,
                 biased=("cells", "gates", "outputs"), init_range=0.1,
                 input_gate_bias=(-3.0, -6.0) if n_blocks == 2 else None)


@dataclass(frozen=True)
class LearningJob(ChapterJob):
    """``trials`` trials of one variant (gradient mode, or update period) of a learning row; ``budget``:
    sequences per trial (online row: MSD events); ``test``: test sequences (events) per trial."""

    variant: object = "truncated"
    test: int = 1000
    architectures: ClassVar = ARCHITECTURES

    @property
    def name(self) -> str:
        return f"{self.protocol.key}/{self.variant}"

    @property
    def unit(self) -> str:
        return "events" if self.protocol.key == "online" else "sequences"

    def cost(self) -> float:
        steps = 11 * self.budget if self.protocol.key == "online" else self.budget * self.protocol.task.max_length
        return self.trials * steps

    def check(self):
        super().check(test=self.test)

    def run(self, progress=None) -> dict:
        t0 = time.perf_counter()
        seed = derive_seed(self.seed, self.protocol.key, "net")
        net = network_for(self.protocol, self.trials, seed)
        trials = (self._online(net) if self.protocol.key == "online" else self._sequences(net))
        return {"job": self.name, "protocol": self.protocol.key, "arch": self.arch, "variant": self.variant,
                "n_weights": net.n_weights, "budget": self.budget, "test": self.test,
                "seeds": {"net": seed}, "wall_time_s": time.perf_counter() - t0, "trials": trials}

    def _sequences(self, net):
        p, task, K = self.protocol, self.protocol.task, self.trials
        rule = RecentSequencesRule(2000, task.tolerance, p.mean_error, 0)
        hist = train(net, task.sampler(K), SGD(p.lr), sequences=self.budget, gradient=self.variant,
                     chunk=min(1000, self.budget), stop=rule, tolerance=task.tolerance,
                     seed=derive_seed(self.seed, p.key, "train"))  # the same sequences for both variants
        test = evaluate(net, task, n=self.test, seed=derive_seed(self.seed, p.key, "test"))
        seen, loss, frac = hist.curve_arrays()
        return [{"status": hist.status[k], "sequences": int(hist.criterion_met_at[k]) if hist.status[k] == "solved"
                 else None, "sequences_seen": int(hist.sequences_seen[k]), "test_wrong": int(test["wrong"][k]),
                 "test_correct": 1.0 - test["wrong"][k] / self.test, "test_mse": float(test["mse"][k]),
                 "curve": downsample_curve(seen[:, k], loss[:, k], frac[:, k], 60)} for k in range(self.trials)]

    def _online(self, net):
        task, K = self.protocol.task, self.trials
        learner = OnlineLearner(net, Adam(self.protocol.lr), update_every=int(self.variant))
        rng = np.random.default_rng(derive_seed(self.seed, "online", "train"))
        done, diverged = 0, np.zeros(K, bool)
        while done < self.budget:
            n = min(500, self.budget - done)
            s = task.stream(rng, K, n)
            diverged |= learner.run(s.x, s.target, s.weights, record=False).diverged
            done += n
        learner.reset()
        s = task.stream(np.random.default_rng(derive_seed(self.seed, "online", "test")), K, self.test)
        r = learner.run(s.x, s.target, s.weights, update=False)
        events = s.correct_events(r.error)
        judged = s.weights > 0
        frac = [float(np.mean(r.error[k][judged[k]] < task.tolerance)) for k in range(K)]
        return [{"status": "diverged" if diverged[k] else ("solved" if events[k] == self.test else "budget"),
                 "events": self.budget if events[k] == self.test else None, "test_events": int(events[k]),
                 "test_correct": frac[k]} for k in range(K)]


@dataclass(frozen=True)
class MeasureJob(ChapterJob):
    """A measurement (no training to solve): ``protocol.key`` names it ("cost", "gradcheck", "agreement");
    ``grid`` holds its settings."""

    grid: tuple = ()
    unit: ClassVar[str] = "checks"
    solvable: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return f"{self.protocol.key}/{self.arch}"

    def cost(self) -> float:
        return {"cost": 2e7, "agreement": 1e7, "gradcheck": 1e6}[self.protocol.key]

    def run(self, progress=None) -> dict:
        t0 = time.perf_counter()
        rows = {"cost": measure_cost, "gradcheck": gradient_checks, "agreement": agreement}[self.protocol.key](
            dict(self.grid), self.seed)
        return {"job": self.name, "protocol": self.protocol.key, "arch": self.arch, "n_weights": None,
                "budget": self.budget, "seeds": {"seed": self.seed}, "wall_time_s": time.perf_counter() - t0,
                "trials": [], "rows": rows}


@dataclass(frozen=True)
class _Named:
    key: str


def floats_kept(method, layout, T) -> int:
    """What each method keeps per sequence, in floats, counted from the library's buffers: BPTT (exact or
    truncated, backward) every step's activations (s, y, every net input's unit and the outputs: T·(2C + R
    + O)); the online truncated gradient its state and the partials ∂s/∂W of the cells' and input and forget
    gates' rows and of the peepholes (3·C·S + 2·C·n + 2C + R); full RTRL its sensitivity matrix and state
    (N·W + N)."""
    C, R, O = layout.n_cells, layout.n_rows, layout.n_outputs
    if method in METHODS[:2]:
        return T * (2 * C + R + O)
    if method == METHODS[2]:
        return 3 * C * layout.n_sources + 2 * C * layout.cells_per_block + 2 * C + R
    N = state_size(layout)
    return N * layout.n_weights() + N


def _best_time(fn, repeats=3):
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def time_per_step(method, n_blocks, T, seed=0, batch=8) -> float:
    """Seconds per sequence step of one way of computing the gradient (the best of 3 runs) for the Exp. 4
    network with ``n_blocks`` blocks of 2 cells on adding sequences of length about ``T``."""
    proto = learning_protocols(adding_T=max(T, 20))["adding"]
    net = network_for(proto, 1, seed, n_blocks)
    x, target, lengths, _ = Adding1997(max(T, 20)).sample(np.random.default_rng(seed), 1, batch)
    x, lengths = x[:, :, :T], np.minimum(lengths, T)
    steps = int(lengths.sum())
    if method in METHODS[:2]:
        mode = "exact" if method == METHODS[0] else "truncated"
        return _best_time(lambda: net.loss_and_grad(x, target, lengths, gradient=mode)) / steps
    if method == METHODS[3]:
        return _best_time(lambda: rtrl_loss_and_grad(net, x[:, :1], target[:, :1], lengths[:, :1]), 1) / lengths[0, 0]
    learner = OnlineLearner(net, SGD(0.1))  # no targets: the partials are computed, no weight moves
    stream_x = x[0].reshape(-1, 2)
    weights = np.zeros(len(stream_x))
    stream_target = np.zeros((len(stream_x), 1))

    def run():
        learner.reset()
        learner.run(stream_x, stream_target, weights, record=False)
    return _best_time(run) / len(stream_x)


def measure_cost(grid, seed) -> list[dict]:
    """Time per step (measured) and floats kept (counted) of every method against T (2 blocks) and
    against the number of weights (``cost_blocks`` blocks, T = 100)."""
    rows = []
    for T in grid["cost_T"]:
        for m in METHODS:
            rows.append(_cost_row(m, 2, T, seed, "T"))
    for blocks in grid["cost_blocks"]:
        for m in METHODS:
            rows.append(_cost_row(m, blocks, 100, seed, "W"))
    return rows


def _cost_row(method, blocks, T, seed, against):
    net = network_for(learning_protocols()["adding"], 1, seed, blocks)
    return {"against": against, "method": method, "T": T, "blocks": blocks, "weights": net.n_weights,
            "seconds_per_step": time_per_step(method, blocks, T, seed),
            "floats_kept": floats_kept(method, net.layout, T)}


def gradient_checks(grid, seed) -> list[dict]:
    """:func:`~lstmlib.engines.gradcheck.check_gradient` for every preset and both gradient modes (the plain
    RNN has no truncated mode), each on a 2-input, 2-output network of 2 blocks of 2 cells (1 cell for the
    RNN), logistic outputs, weights in [-0.5, 0.5], 3 sequences of 3-6 steps with random loss weights."""
    rows = []
    rng = np.random.default_rng(derive_seed(seed, "gradcheck"))
    for name in ARCHITECTURES:
        for mode in ("exact", "truncated"):
            if mode == "truncated" and not ARCHITECTURES[name].has_memory:
                continue
            net = build(name, 2, 2, 2, 1 if name == "rnn" else 2, output="logistic", init_range=0.5,
                        seed=derive_seed(seed, name))
            x = rng.normal(size=(1, 3, 6, 2))
            lengths = rng.integers(3, 7, size=(1, 3))
            weights = (np.arange(6) < lengths[..., None]) * rng.uniform(0.2, 1.0, size=(1, 3, 6))
            target = rng.uniform(size=(1, 3, 6, 2))
            r = check_gradient(net, x, target, lengths, weights, gradient=mode)
            rows.append({"preset": name, "gradient": mode, "weights": r["weights"], "min_figures": r["min_figures"],
                         "median_figures": float(np.median(r["figures"])), "passed": r["passed"]})
    return rows


def agreement(grid, seed, trials=5, batch=32) -> list[dict]:
    """The angle between the truncated and the exact gradient of the hidden weights, and the ratio of their
    norms, per trial and sequence length, for untrained Exp. 4 networks and for networks trained with the
    truncated gradient on adding sequences (T = 100, ``agree_train`` sequences)."""
    proto = learning_protocols()["adding"]
    rows = []
    random_net = network_for(proto, trials, derive_seed(seed, "agree"))
    trained = random_net.copy()
    train(trained, proto.task.sampler(trials), SGD(proto.lr), sequences=grid["agree_train"], gradient="truncated",
          chunk=1000, seed=derive_seed(seed, "agree", "train"))
    for label, net in (("untrained", random_net), ("trained", trained)):
        for T in grid["agree_T"]:
            x, target, lengths, _ = Adding1997(T).sample(np.random.default_rng(derive_seed(seed, T)), trials, batch)
            exact = net.loss_and_grad(x, target, lengths, gradient="exact")[1]["hidden"].reshape(trials, -1)
            trunc = net.loss_and_grad(x, target, lengths, gradient="truncated")[1]["hidden"].reshape(trials, -1)
            for k in range(trials):
                ne, nt = np.linalg.norm(exact[k]), np.linalg.norm(trunc[k])
                cos = float(exact[k] @ trunc[k] / (ne * nt)) if ne * nt > 0 else float("nan")
                angle = float(np.degrees(np.arccos(np.clip(cos, -1, 1))))
                rows.append({"net": label, "T": T, "trial": k, "angle_deg": angle,
                             "norm_ratio": float(nt / ne) if ne > 0 else float("nan")})
    return rows


def jobs_for(scale="default", trials=None, budget=None, seed=0) -> tuple[list, dict]:
    """The chapter's jobs at ``scale`` (:data:`~.protocols.SCALES`), every parameter checked first: the three
    measurements and, per learning row, one job per variant with the same ``trials`` and ``budget``."""
    check_scale(scale, SCALES)
    check_job_options(seed, trials=trials, budget=budget)
    s = SCALES[scale]
    K, n = trials or s["trials"], budget or s["budget"]
    protocols = learning_protocols(s["adding_T"], s["xor_T"])
    grid = tuple((k, s[k]) for k in ("cost_T", "cost_blocks", "agree_T", "agree_train"))
    jobs = [MeasureJob(_Named(key), "vanilla", 1, 1, seed, grid=grid) for key in ("cost", "gradcheck", "agreement")]
    for p in protocols.values():
        arch = "peephole" if p.key == "online" else "vanilla"
        b = (budget or s["online_events"]) if p.key == "online" else n
        jobs += [LearningJob(p, arch, K, b, seed, variant=v, test=s["test"]) for v in p.variants]
    return jobs, protocols
