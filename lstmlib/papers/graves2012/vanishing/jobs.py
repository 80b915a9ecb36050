"""The vanishing-gradient chapter's jobs: the sensitivity of the output to past inputs in random networks of
every model, Hochreiter's bound against the measured error flow, learning Exp. 2c at each minimal lag, and
random weight guessing on the same task (:mod:`.protocols`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ....engines.sensitivity import (bound_network, error_scaling, hochreiter_bound, lag_sensitivity,
                                     memory_sensitivity)
from ....model import Network, build
from ....study.jobs import ChapterJob, check_job_options, check_scale, derive_seed, downsample_curve
from ....tasks.lags import LongLag
from ....training import SGD, RecentSequencesRule, evaluate, train
from ....training.guessing import random_guessing
from .protocols import FORGET_BIASES, RADII, SCALES, LagProtocol

#: The distractor symbols of the random networks' probe sequences.
PROBE_P = 10
#: The Exp. 2c success criterion: both output errors below this at the final step.
TOLERANCE = 0.2
#: The forget-gate bias of the trained forget-gate and peephole LSTMs (their gates open at the start).
TRAINED_FORGET_BIAS = 2.0
#: The quantiles the records keep of every sensitivity curve (the spread the figures shade).
QUANTILES = (0.1, 0.5, 0.9)


def lag_grid(T) -> np.ndarray:
    """The lags a sensitivity curve is recorded at: 0, 1, … 10, then about 40 log-spaced up to ``T``."""
    return np.unique(np.r_[np.arange(min(T, 10) + 1), np.geomspace(10, T, 40).round().astype(int)])


def probe(p, T, trials, seed) -> np.ndarray:
    """One Exp. 2c sequence per trial of exactly ``T`` + 1 steps (b, v, T - 2 distractors, e; no random
    extension), ``[trials, 1, T + 1, p + 4]``: lags 0 … T from the trigger step."""
    x, *_ = LongLag(q=T - 2, p=p, max_extra=0).sample(np.random.default_rng(seed), trials, 1)
    return x


def stored_sensitivity(net, p, lags, seed, batch=2) -> tuple[np.ndarray, np.ndarray]:
    """Two ``[trials, batch, len(lags)]`` arrays on Exp. 2c sequences (b, v, lag - 1 distractors, e) of each
    length: ‖∂ŷ(end)/∂x(1)‖ (over inputs and both outputs), how strongly the output at the trigger depends
    on the informative input ``lag`` steps before, and ‖∂s(end)/∂x(1)‖
    (:func:`~lstmlib.engines.sensitivity.memory_sensitivity`), how much of it the state holds; one
    sequence length at a time, so the trigger, which the gates read, always comes at the end."""
    out = np.zeros((net.trials, batch, len(lags)))
    mem = np.zeros_like(out)
    for j, lag in enumerate(lags):
        if lag < 1:
            raise ValueError(f"lags must be >= 1, got {lag}")
        x, *_ = LongLag(q=lag - 1, p=p, max_extra=0).sample(np.random.default_rng(derive_seed(seed, int(lag))),
                                                             net.trials, batch)
        x = x[:, :, :lag + 2]  # b, v, lag - 1 distractors, e: the trigger `lag` steps after v
        out[:, :, j], mem[:, :, j] = memory_sensitivity(net, x, source=1)
    return out, mem


def stored_lags(sens_T, map_T) -> np.ndarray:
    """Every lag 1 … ``map_T`` (the map), then 10 log-spaced up to ``sens_T``."""
    return np.unique(np.r_[np.arange(1, map_T + 1), np.geomspace(map_T, sens_T, 10).round().astype(int)])


def lstm_net(arch, n_inputs, trials, seed, forget_gate_bias=None):
    """Exp. 2c's network (:mod:`.protocols`) for ``arch`` (an LSTM preset); the forget-gate and peephole
    LSTMs have biased gates (the forget-gate bias set to ``forget_gate_bias``), the 1997 LSTM none."""
    biased = () if forget_gate_bias is None else ("gates",)
    return build(arch, n_inputs, 2, 2, 1, trials=trials, seed=seed, output="logistic", biased=biased,
                 init_range=0.2, forget_gate_bias=forget_gate_bias)


def rnn_net(n_inputs, trials, seed, radius=None):
    """The plain RNN of the learning rows (6 tanh units, biased, weights in [-0.2, 0.2]); with ``radius``
    each trial's recurrent matrix is rescaled to that spectral radius."""
    net = build("rnn", n_inputs, 2, 6, 1, trials=trials, seed=seed, output="logistic", init_range=0.2)
    if radius is not None:
        W = net["cell.cells"]
        rho = np.abs(np.linalg.eigvals(W)).max(-1)
        net["cell.cells"] = W * (radius / rho)[:, None, None]
    return net


def model_net(arch, setting, n_inputs, trials, seed):
    """A network of one sensitivity setting: the RNN at spectral radius ``setting``, an LSTM with forget-gate
    bias ``setting`` (None for the 1997 LSTM)."""
    if arch == "rnn":
        return rnn_net(n_inputs, trials, seed, setting)
    return lstm_net(arch, n_inputs, trials, seed, setting)


def sensitivity_settings() -> dict[str, tuple]:
    """The settings whose random networks are measured, per model: the RNN at each of :data:`RADII`, the 1997
    LSTM as it is, the forget-gate and the peephole LSTM at each of :data:`FORGET_BIASES`."""
    return {"rnn": RADII, "vanilla": (None,), "forget": FORGET_BIASES, "peephole": FORGET_BIASES}


def setting_label(arch, setting) -> str:
    if arch == "rnn":
        return f"RNN, ρ = {setting:g}"
    names = {"vanilla": "1997 LSTM", "forget": "forget-gate LSTM", "peephole": "peephole LSTM"}
    return names[arch] + ("" if setting is None else f", b_f = {setting:+g}")


def _quantiles(flat, lags) -> dict:
    q = np.quantile(flat, QUANTILES, axis=0)
    return {"lags": np.asarray(lags).tolist(), **{f"q{int(100 * a)}": q[i].tolist() for i, a in enumerate(QUANTILES)}}


def curve_quantiles(sens, T) -> dict:
    """``sens [trials, batch, time]`` (index = lag) -> the :data:`QUANTILES` over trials and sequences at
    :func:`lag_grid`'s lags."""
    lags = lag_grid(T)
    return _quantiles(sens.reshape(-1, sens.shape[-1])[:, lags], lags)


@dataclass(frozen=True)
class _Named:
    key: str


def stacked(nets):
    """One network holding the trials of ``nets`` (same layout, output and loss) one after the other, so that
    one torch run measures them all (trials never mix: every number is the same as in separate runs)."""
    first = nets[0]
    params = {k: np.concatenate([n.params[k] for n in nets]) for k in first.params}
    return Network(first.layout, params, first.output, first.loss)


@dataclass(frozen=True)
class SensitivityJob(ChapterJob):
    """``trials`` random networks of ``arch`` at each of ``settings`` (:func:`model_net`), measured together:
    ‖∂ŷ(T)/∂x(T - lag)‖ for lags 0 … ``budget`` on an Exp. 2c probe sequence (:func:`probe`, p =
    :data:`PROBE_P`), and for the LSTMs the median |s| of the cell states at its end."""

    settings: tuple = (None,)
    unit: ClassVar[str] = "steps"
    solvable: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return f"sensitivity/{self.arch}"

    def cost(self) -> float:
        return 2.0 * self.trials * self.budget * 30 * len(self.settings)

    def _seed(self, setting):
        return derive_seed(self.seed, "sensitivity", self.arch, str(setting))

    def run(self, progress=None) -> dict:
        t0 = time.perf_counter()
        K = self.trials
        net = stacked([model_net(self.arch, v, PROBE_P + 4, K, self._seed(v)) for v in self.settings])
        x = np.concatenate([probe(PROBE_P, self.budget, K, derive_seed(self._seed(v), "probe")) for v in self.settings])
        sens = lag_sensitivity(net, x)
        # how far the cell states drift over the probe (a saturated h hides the state from the output)
        drift = np.abs(net.trace(x)["states"][:, :, -1]) if net.spec.has_memory else None
        rows = [{"setting": v, "label": setting_label(self.arch, v), "n_weights": net.n_weights,
                 "seeds": {"net": self._seed(v)}, "curve": curve_quantiles(sens[i * K:(i + 1) * K], self.budget),
                 "final_abs_state": None if drift is None else float(np.median(drift[i * K:(i + 1) * K]))}
                for i, v in enumerate(self.settings)]
        return {"job": self.name, "protocol": "sensitivity", "arch": self.arch, "n_weights": net.n_weights,
                "budget": self.budget, "seeds": {"seed": self.seed}, "wall_time_s": time.perf_counter() - t0,
                "trials": [], "settings": rows}


@dataclass(frozen=True)
class BoundJob(ChapterJob):
    """Hochreiter's bound n·τ^q beside the measured max |∂net_u(t)/∂net_v(t - q)| of ``trials`` fully
    connected logistic nets of ``n`` units (:func:`~lstmlib.engines.sensitivity.bound_network`) with
    w_max = ``factor`` · 4/n, for q = 0 … ``budget`` - 1."""

    n: int = 4
    factor: float = 1.0
    unit: ClassVar[str] = "steps"
    solvable: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return f"bound/{self.factor:g}"

    def cost(self) -> float:
        return 1.0 * self.trials * self.budget * self.n * 30

    def run(self, progress=None) -> dict:
        t0 = time.perf_counter()
        w_max = self.factor * 4.0 / self.n
        seed = derive_seed(self.seed, "bound", str(self.factor))
        scale = error_scaling(bound_network(self.n, w_max, self.trials, seed), self.budget)
        q = np.arange(self.budget)
        return {"job": self.name, "protocol": "bound", "arch": "rnn", "n": self.n, "w_max": w_max,
                "factor": self.factor, "n_weights": self.n * self.n, "budget": self.budget, "seeds": {"net": seed},
                "wall_time_s": time.perf_counter() - t0, "trials": [], "q": q.tolist(),
                "bound": hochreiter_bound(self.n, w_max, q).tolist(),
                "median": np.median(scale, 0).tolist(), "max": scale.max(0).tolist(), "min": scale.min(0).tolist()}


@dataclass(frozen=True)
class LearningJob(ChapterJob):
    """``trials`` trials of ``arch`` on Exp. 2c at one minimal lag (``protocol``, a
    :class:`~.protocols.LagProtocol`), at most ``budget`` sequences each: the plain RNN with the exact
    gradient, the LSTMs with the 1997 truncated one; solved when ``window`` successive training sequences
    have both errors below 0.2; then tested on ``test`` fresh sequences.  With ``sens_T`` the trained nets'
    :func:`stored_sensitivity` is recorded too, at every lag up to ``map_T`` (the map) and on the log grid up
    to ``sens_T``."""

    lr: float = 0.3
    window: int = 1000
    test: int = 1000
    sens_T: int = 0
    map_T: int = 0

    @property
    def gradient(self) -> str:
        return "exact" if self.arch == "rnn" else "truncated"

    def cost(self) -> float:
        return self.trials * self.budget * (self.protocol.lag + 12) * (0.5 if self.arch == "rnn" else 1.0)

    def check(self):
        super().check(window=self.window, test=self.test)
        if not self.lr > 0:
            raise ValueError(f"{self.name}: lr must be > 0, got {self.lr!r}")

    def network(self, seed):
        task = self.protocol.task
        if self.arch == "rnn":
            return rnn_net(task.n_inputs, self.trials, seed)
        bias = None if self.arch == "vanilla" else TRAINED_FORGET_BIAS
        return lstm_net(self.arch, task.n_inputs, self.trials, seed, bias)

    def run(self, progress=None) -> dict:
        t0 = time.perf_counter()
        task = self.protocol.task
        seed = derive_seed(self.seed, self.protocol.key, self.arch, "net")
        net = self.network(seed)
        rule = RecentSequencesRule(self.window, TOLERANCE, None, 0)
        hist = train(net, task.sampler(self.trials), SGD(self.lr), sequences=self.budget, gradient=self.gradient,
                     chunk=min(100, self.budget), stop=rule, tolerance=TOLERANCE,
                     seed=derive_seed(self.seed, self.protocol.key, "train"))  # the same sequences for every model
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged trial is scored, not a warning
            wrong = evaluate(net, task, n=self.test, seed=derive_seed(self.seed, self.protocol.key, "test"))["wrong"]
        seen, loss, frac = hist.curve_arrays()
        trials = [{"status": hist.status[k], "sequences": int(hist.criterion_met_at[k])
                   if hist.status[k] == "solved" else None, "sequences_seen": int(hist.sequences_seen[k]),
                   "test_wrong": int(wrong[k]), "curve": downsample_curve(seen[:, k], loss[:, k], frac[:, k], 40)}
                  for k in range(self.trials)]
        record = {"job": self.name, "protocol": self.protocol.key, "lag": self.protocol.lag, "arch": self.arch,
                  "gradient": self.gradient, "n_weights": net.n_weights, "budget": self.budget, "lr": self.lr,
                  "window": self.window, "test": self.test, "seeds": {"net": seed}, "trials": trials}
        if self.sens_T:
            lags = stored_lags(self.sens_T, self.map_T)
            with np.errstate(over="ignore", invalid="ignore"):
                sens, mem = stored_sensitivity(net, task.p, lags, derive_seed(seed, "probe"))
            record["curve"], record["memory"] = (_quantiles(a.reshape(-1, len(lags)), lags) for a in (sens, mem))
            record["map"] = {"median": np.median(sens.reshape(-1, len(lags))[:, :self.map_T], 0).tolist(),
                             "memory": np.median(mem.reshape(-1, len(lags))[:, :self.map_T], 0).tolist(),
                             "lags": lags[:self.map_T].tolist()}
        record["wall_time_s"] = time.perf_counter() - t0
        return record


@dataclass(frozen=True)
class GuessJob(ChapterJob):
    """``trials`` random searches (:func:`~lstmlib.training.guessing.random_guessing`, weights uniform in
    [-100, 100]) of at most ``budget`` guesses each, for the network of ``arch`` (the plain RNN's or the
    1997 LSTM's) on Exp. 2c at one minimal lag; a guess must get 20 screening and then 1,000 test
    sequences right."""

    unit: ClassVar[str] = "guesses"

    @property
    def name(self) -> str:
        return f"{self.protocol.key}/guessing/{self.arch}"

    def cost(self) -> float:
        return self.trials * self.budget * 20 * (self.protocol.lag + 12) * 0.3

    def run(self, progress=None) -> dict:
        t0 = time.perf_counter()
        task = self.protocol.task
        n_in = task.n_inputs

        def make(K, s):
            return rnn_net(n_in, K, s) if self.arch == "rnn" else lstm_net("vanilla", n_in, K, s)
        seed = derive_seed(self.seed, self.protocol.key, "guessing", self.arch)
        r = random_guessing(make, task, self.budget, trials=self.trials, seed=seed)
        return {"job": self.name, "protocol": self.protocol.key, "lag": self.protocol.lag, "arch": self.arch,
                "method": "guessing", "n_weights": make(1, 0).n_weights, "budget": self.budget,
                "seeds": {"search": seed}, "wall_time_s": time.perf_counter() - t0,
                "trials": [{"status": "budget" if g is None else "solved", "guesses": g} for g in r["guesses"]]}


def jobs_for(scale="default", trials=None, budget=None, seed=0) -> tuple[list, dict]:
    """The chapter's jobs at ``scale`` (:data:`~.protocols.SCALES`), every parameter checked first:
    ``trials`` and ``budget`` (sequences) override the learning rows' (the measurements and the guessing
    keep the scale's).  Returns ``(jobs, protocols)``, protocols keyed by lag."""
    check_scale(scale, SCALES)
    check_job_options(seed, trials=trials, budget=budget)
    s = SCALES[scale]
    K, n = trials or s["trials"], budget or s["budget"]
    protocols = {p.key: p for p in map(LagProtocol, s["lags"])}
    jobs = [SensitivityJob(_Named("sensitivity"), arch, s["sens_trials"], s["sens_T"], seed, settings=v)
            for arch, v in sensitivity_settings().items()]
    jobs += [BoundJob(_Named("bound"), "rnn", s["sens_trials"], s["bound_T"], seed, n=s["bound_n"], factor=f)
             for f in (0.5, 1.0, 2.0)]
    for p in protocols.values():
        archs = ("rnn", "vanilla") + (("forget", "peephole") if p.lag == s["sens_lag"] else ())
        for arch in archs:
            sens = p.lag == s["sens_lag"]
            jobs.append(LearningJob(p, arch, K, n, seed, lr=s["lr"]["rnn" if arch == "rnn" else "lstm"],
                                    window=min(s["window"], n), test=s["test"], sens_T=s["sens_T"] if sens else 0,
                                    map_T=s["map_T"] if sens else 0))
        jobs += [GuessJob(p, arch, s["guess_trials"], s["guess_budget"], seed) for arch in ("rnn", "vanilla")]
    return jobs, protocols
