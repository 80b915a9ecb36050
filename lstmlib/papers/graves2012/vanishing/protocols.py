"""The vanishing-gradient chapter's settings: the networks whose sensitivity is measured, the long-lag task
the learning rows use (H&S 1997 Exp. 2c, :class:`lstmlib.tasks.lags.LongLag`) and the scales.

The LSTM of every learning row is Exp. 2c's network (H&S 1997 §5.2, Table 10): 2 memory blocks of 1 cell,
no other hidden units, no bias weights, the output fed by the cells only, the hidden layer fully connected,
g ∈ [-2, 2] and h ∈ [-1, 1] for the 1997 LSTM, weights drawn from [-0.2, 0.2], logistic outputs.  The plain
RNN has 6 fully connected tanh units (as many as the LSTM has units: 2 cells, 2 input and 2 output gates),
biased, the same initial range.  The number of distractor symbols p equals the minimal lag (the q ≈ p rows
of the paper's Table 3).  The paper trains 2c with learning rate 0.01 and calls it solved after 10,000
successive sequences with both output errors below 0.2; here the rate and the window are the scale's
(:data:`SCALES`), a deviation the chapter states.
"""

from __future__ import annotations

from dataclasses import dataclass

from ....tasks.lags import LongLag

#: The four models of the book, with the settings the sensitivity measurement gives each: the plain RNN at
#: several spectral radii of its recurrent weight matrix, the forget-gate LSTM at several forget-gate biases.
RADII = (0.5, 0.9, 1.0, 1.1, 1.5)
FORGET_BIASES = (0.0, 2.0, 5.0)

#: The papers' statements the chapter's rows test, with their tags.
PAPER = {
    "bound": {"claim": "with |w_ij| ≤ w_max < 4/n the error flow over q steps is bounded by n·τ^q, "
                       "τ = n·w_max/4 < 1: it vanishes exponentially (Hochreiter 1991; H&S 1997 §3.1)",
              "source": "H&S 1997 §3.1", "tag": "P"},
    "learning": {"claim": "BPTT and RTRL \"already fail in case of 10-step minimal time lags\"; LSTM solves "
                          "Exp. 2c up to q = 1000 (mean 30,000 sequences at q = p = 50, 49,000 at q = p = 1000; "
                          "Table 3)", "source": "H&S 1997 §5.2, Table 3", "tag": "P"},
    "guessing": {"claim": "several long-lag benchmarks of the time are solved faster by random weight guessing "
                          "than by the published methods (latch: 6 guesses vs 1,600 trials; parity: 2,906 guesses); "
                          "a benchmark must resist guessing", "source": "Schmidhuber, Hochreiter & Bengio 2001; "
                                                                        "H&S 1997 §5", "tag": "P"},
}


@dataclass(frozen=True)
class LagProtocol:
    """One minimal time lag of the learning rows: the task (q = lag - 1, p = lag distractors)."""

    lag: int

    @property
    def key(self) -> str:
        return f"lag{self.lag}"

    @property
    def task(self) -> LongLag:
        return LongLag(q=self.lag - 1, p=self.lag)

    @property
    def title(self) -> str:
        return f"Exp. 2c, minimal lag {self.lag} (q = {self.lag - 1}, p = {self.lag})"


#: What each scale runs.  ``lags``: the minimal lags of the learning rows; ``trials`` per (model, lag);
#: ``budget``: training sequences per trial; ``window``: successive training sequences with both errors
#: below 0.2 that count as solved; ``lr``: per model; ``test``: fresh sequences each trained net is tested
#: on; ``guess_trials``/``guess_budget``: random searches per (net, lag) and guesses each may draw;
#: ``sens_T``: the longest lag of the sensitivity measurement; ``sens_trials``: random nets per setting;
#: ``sens_lag``: the lag whose trained nets (all four models) are measured as well; ``map_T``: the length
#: of the sensitivity map; ``bound_n``, ``bound_T``: the size and length of the bound's network.
SCALES = {
    "tiny": {"lags": (1, 3), "trials": 2, "budget": 300, "window": 100, "lr": {"rnn": 0.1, "lstm": 0.3},
             "test": 100, "guess_trials": 2, "guess_budget": 50, "sens_T": 40, "sens_trials": 2, "sens_lag": 3,
             "map_T": 12, "bound_n": 3, "bound_T": 12},
    "default": {"lags": (1, 5, 10, 20, 50), "trials": 8, "budget": 20_000, "window": 1_000,
                "lr": {"rnn": 0.1, "lstm": 0.3}, "test": 1_000, "guess_trials": 3, "guess_budget": 1_000,
                "sens_T": 1000, "sens_trials": 16, "sens_lag": 10, "map_T": 30, "bound_n": 4, "bound_T": 60},
    "paper": {"lags": (1, 5, 10, 20, 50, 100, 200, 500, 1000), "trials": 20, "budget": 300_000, "window": 10_000,
              "lr": {"rnn": 0.1, "lstm": 0.3}, "test": 10_000, "guess_trials": 10, "guess_budget": 100_000,
              "sens_T": 1000, "sens_trials": 40, "sens_lag": 50, "map_T": 100, "bound_n": 4, "bound_T": 100},
}

#: The chapter's scorecard rows, each with the papers' statement it tests (the learning jobs' protocols, one
#: per minimal lag, come from :func:`~.jobs.jobs_for` at each scale).
PROTOCOLS = PAPER
