"""Every table (or results passage) of the papers the book covers or will cover, with what it publishes,
the tag of its source and the chapter that reruns it: the coverage the book claims, in one place.

The scorecard lists every table no chapter reruns as *not attempted yet* (:func:`not_attempted`); the
"Published numbers" page (``summary/published.ipynb``) shows the whole list (:func:`coverage_rows`) and,
chapter by chapter, the rows each compares with (the packages' ``PROTOCOLS``); the intro's coverage table
names the same experiments (``tests/test_book.py`` checks that the two agree).  Tags as in
:data:`lstmlib.study.scorecard.SOURCE_TAGS`.  The numbers here are the papers' (read in the project's
reference notes, each with its tag), never ours.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PAPERS", "TABLES", "PaperTable", "coverage_rows", "not_attempted"]

#: The papers by bibliography key (``book/references.bib``), as the scorecard names them.
PAPERS = {"hochreiter1997": "Hochreiter & Schmidhuber 1997", "gers2000": "Gers, Schmidhuber & Cummins 2000",
          "gers2001": "Gers & Schmidhuber 2001", "gers2002": "Gers, Schraudolph & Schmidhuber 2002",
          "greff2017": "Greff et al. 2017", "graves2012": "Graves 2012", "bengio1994": "Bengio, Simard & Frasconi 1994",
          "hochreiter1997nips": "Hochreiter & Schmidhuber 1997 (NIPS 9)",
          "schmidhuber2001": "Schmidhuber, Hochreiter & Bengio 2001"}


@dataclass(frozen=True)
class PaperTable:
    """One table or results passage of a paper."""

    #: Bibliography key of the paper (a key of :data:`PAPERS`).
    paper: str
    #: Where in the paper: "Table 1", "§4.5", ...
    where: str
    #: The experiment, as the intro's coverage table names it.
    experiment: str
    #: What the paper publishes there (the numbers a rerun is compared with), in a sentence.
    published: str
    #: The provenance tag of ``published`` (P, P-abs, S or U).
    tag: str
    #: The chapter that reruns it (a key of :data:`lstmlib.papers.CHAPTERS`); None: not attempted yet.
    chapter: str | None = None

    def __post_init__(self):
        if self.paper not in PAPERS:
            raise ValueError(f"unknown paper {self.paper!r}; valid: {list(PAPERS)}")
        if self.tag not in ("P", "P-abs", "S", "U"):
            raise ValueError(f"unknown tag {self.tag!r} for {self.paper} {self.where}")


_H97, _G00, _G01, _G02, _GRF = "hochreiter1997", "gers2000", "gers2001", "gers2002", "greff2017"

#: The tables, paper by paper in the order of the papers.
TABLES = (
    PaperTable(_H97, "§3.1", "Hochreiter's bound on the error flowing back in time",
               "with |w_ij| ≤ w_max < 4/n, |∂ϑ_v(t−q)/∂ϑ_u(t)| ≤ n·τ^q, τ = n·w_max/4 < 1: the error vanishes "
               "exponentially in q (from Hochreiter 1991)", "P", "vanishing_gradient"),
    PaperTable(_H97, "§5.2 (2c, text)", "gradient-trained RNNs against the minimal time lag",
               "BPTT and RTRL \"already fail in case of 10-step minimal time lags\"; no numbers for 2c", "P",
               "vanishing_gradient"),
    PaperTable(_H97, "Table 1 (§5.1)", "Exp. 1, embedded Reber grammar",
               "% of 30 trials that learn the grammar and sequences until success: LSTM 3 blocks × 2 cells, "
               "lr 0.5: 100 %, 8,440; LSTM 4 blocks × 1, lr 0.1: 100 %, 39,740; RTRL, Elman net and RCC: at "
               "most 50 %", "P", "forgetting"),
    PaperTable(_H97, "Table 2 (§5.2)", "Exp. 2a, noise-free sequences with long minimal time lags",
               "% of 18 trials successful and sequences until success at p = 100: LSTM 100 %, 5,040; "
               "neural sequence chunker 33 %, 32,400; RTRL and BPTT 0 % within 5,000,000", "P"),
    PaperTable(_H97, "§5.2 (2b)", "Exp. 2b, no local regularities",
               "LSTM always succeeds, mean 5,680 sequences at p = 100 (18 trials); chunker, BPTT and RTRL fail",
               "P"),
    PaperTable(_H97, "Table 3 (§5.2)", "Exp. 2c, very long time lags (q up to 1000)",
               "mean sequences until success over 20 trials: 30,000 at q = p = 50 up to 49,000 at q = p = 1000; "
               "203,000 at q = 1000 with p = 50 distractors", "P"),
    PaperTable(_H97, "Table 4 (§5.3)", "Exp. 3a, the 2-sequence problem",
               "sequences to ST1 and ST2 and fraction misclassified of 2560, at (T, N) = (100, 3), (100, 1), "
               "(1000, 3)", "P", "noisy_recall"),
    PaperTable(_H97, "Table 5 (§5.3)", "Exp. 3b, noise on the informative elements",
               "sequences to ST1 and ST2 and fraction misclassified, at (T, N) = (100, 3), (100, 1), (1000, 1)",
               "P", "noisy_recall"),
    PaperTable(_H97, "Table 6 (§5.3)", "Exp. 3c, noisy real-valued targets",
               "sequences to the stopping rule, fraction misclassified and mean difference to the target "
               "mean, at (T, N) = (100, 3), (100, 1)", "P", "noisy_recall"),
    PaperTable(_H97, "Table 7 (§5.4)", "Exp. 4, the adding problem",
               "sequences to ST3 and wrong test sequences of 2560, at T = 100, 500, 1000", "P", "noisy_recall"),
    PaperTable(_H97, "Table 8 (§5.5)", "Exp. 5, the multiplication problem",
               "sequences to the stopping rule and wrong test sequences, at n_seq = 140 and 13", "P",
               "noisy_recall"),
    PaperTable(_H97, "Table 10", "the weight count of each experiment's network",
               "264 / 276 (Exp. 1), 10,504 (2a, 2b), 364 … 6,064 (2c), 102 (3), 93 (4, 5), 156 (6a), 308 (6b), "
               "with each experiment's blocks, connectivity and biased units", "P", "equations"),
    PaperTable(_H97, "Table 9 (§5.6)", "Exp. 6, temporal order",
               "6a: 31,390 sequences, 1 wrong of 2560 (mean of 20 trials); 6b: 571,100 sequences, 2 wrong "
               "(mean of 10); chance levels 25 % and 12.5 %", "P"),
    PaperTable(_H97, "§6 / App. A.1", "truncated vs full gradient",
               "\"a few experiments with non-truncated LSTM\": \"no significant difference\"; \"strongly delayed XOR\" "
               "named as the truncated gradient's limitation", "P", "gradients"),
    PaperTable(_G00, "Table 2 (§4)", "continual embedded Reber grammar",
               "% of 100 nets with a perfect solution (streams until it): standard LSTM with external resets "
               "74 (7,441); standard LSTM 0; with state decay 0; with forget gates 18 (18,889); with forget "
               "gates and learning-rate decay 62 (14,087)", "P", "forgetting"),
    PaperTable(_G00, "§4 (network)", "the weight count of the CERG network",
               "424 weights: 7 inputs, 4 blocks of 2 cells, 7 outputs with input shortcuts (the number from a "
               "reading note, the topology quoted)", "S", "equations"),
    PaperTable(_G00, "§4.5", "noisy temporal order with forget gates",
               "with a forget-gate bias of 5.0 the forget-gate LSTM \"solved the task as quickly as standard "
               "LSTM\"; with 1.0 it took about three times longer (p. 17)", "P"),
    PaperTable(_G00, "Table 3 (§4.6)", "continual noisy temporal order",
               "values not read [U]; standard LSTM fails, the forget-gate LSTM solves it [S]", "U"),
    PaperTable(_G01, "abstract", "aⁿbⁿ and aⁿbⁿcⁿ",
               "LSTM learns them from short strings and generalises to far longer ones, where traditional RNNs "
               "do worse; the first RNNs to learn aⁿbⁿcⁿ (the text and its tables could not be read)", "P-abs",
               "languages"),
    PaperTable(_G01, "tables not read", "aⁿbᵐBᵐAⁿ and the comparison RNNs' numbers",
               "training and generalisation ranges, success rates and the numbers of the earlier RNNs it "
               "compares with: not read", "U"),
    PaperTable(_G02, "Table 1 (§4.2)", "MSD and NMSD, measuring spike delays",
               "% of trials solved with and without peepholes per F and delay set (values not read); the text: "
               "continual MSD at F = 10 \"is solved with or without peephole connections\"", "P", "timing"),
    PaperTable(_G02, "GTS results", "GTS, generating timed spikes",
               "the peephole LSTM learns \"stable streams of precisely timed spikes\" (abstract); the numbers "
               "were not read", "P-abs", "timing"),
    PaperTable(_G02, "PFG results", "PFG, periodic function generation",
               "the peephole LSTM learns \"highly nonlinear periodic patterns\" (abstract); the numbers were "
               "not read", "P-abs", "timing"),
    PaperTable(_G02, "§4 (network)", "the weight count of the timing network",
               "about 17 weights: 1 input, 1 block of 1 cell with peepholes, 1 output (reading notes)", "S",
               "equations"),
    PaperTable(_GRF, "Fig. 3-4", "the eight variants on TIMIT, IAM Online and JSB Chorales",
               "test performance of 200 random-search trials per variant and dataset; no variant improves on "
               "the vanilla LSTM significantly, the forget gate and the output activation matter most", "P"),
    PaperTable("schmidhuber2001", "results (web version, nodes 3-4)",
               "random weight guessing on the latch, parity and 2-sequence problems",
               "guessing solves the latch in 6 guesses (Bengio et al.'s methods: 1,600 trials) and parity in "
               "2,906 (simulated annealing: about 810,000 trials); the 2-sequence counts were not read", "P"),
    PaperTable("graves2012", "§4.6", "the forward and backward equations of the LSTM",
               "the forward pass and the exact BPTT backward pass of the LSTM with forget gates and peepholes, "
               "in Graves' notation (read from secondary sources)", "S", "equations"),
)


def not_attempted(tables=TABLES) -> list[tuple]:
    """``(paper, experiment, published)`` of every table no chapter reruns yet, as the scorecard lists
    them (:func:`lstmlib.study.scorecard.not_attempted_rows`): the experiment named with its table, and
    what the table publishes with its tag."""
    return [(PAPERS[t.paper], f"{t.where}: {t.experiment}", f"{t.published} [{t.tag}]")
            for t in tables if t.chapter is None]


def coverage_rows(tables=TABLES, chapter_titles=None) -> list[dict]:
    """One row per table for the "Published numbers" page: paper, where, experiment, what it publishes
    with its tag, and the chapter that reruns it (``chapter_titles``: chapter -> its title) or "not
    attempted yet"."""
    titles = chapter_titles or {}
    return [{"paper": PAPERS[t.paper], "where": t.where, "experiment": t.experiment,
             "what the paper publishes": f"{t.published} [{t.tag}]",
             "in this book": titles.get(t.chapter, t.chapter) if t.chapter else "not attempted yet"}
            for t in tables]
