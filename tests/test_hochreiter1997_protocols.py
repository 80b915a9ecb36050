"""The H&S 1997 Exp. 3-5 protocols, pinned to the paper's text (§5.3-5.5, Tables 7, 8, 10)."""

import pytest

from lstmlib.papers import hochreiter1997 as hs97
from lstmlib.papers.hochreiter1997 import learning_rate, network_for
from lstmlib.study.jobs import MAIN_ARCHITECTURES
from lstmlib.tasks.recall import Adding1997, Multiplication, TwoSequence

P = hs97.PROTOCOLS


def test_every_row_of_the_paper_is_there():
    assert set(P) == {"3a_T100_N3", "3a_T100_N1", "3a_T1000_N3", "3b_T100_N3", "3b_T100_N1", "3b_T1000_N1",
                      "3c_T100_N3", "3c_T100_N1", "4_T100", "4_T500", "4_T1000", "5_T100_n140", "5_T100_n13"}


@pytest.mark.parametrize("key", [k for k in P if k.startswith("3")])
def test_exp3_protocol(key):
    p = P[key]
    assert isinstance(p.task, TwoSequence)
    assert (p.n_blocks, p.cells_per_block) == (3, 1)
    assert p.input_gate_bias == (-1, -3, -5) and p.output_gate_bias == (-2, -4, -6)
    assert p.init_range == 0.1 and p.output == "linear"
    assert network_for(p, "vanilla", 1, 0).n_weights == 102  # "102 weights", hidden units biased
    assert p.stop.kind == "test" and p.stop.n_test == 256
    variant = key[1]
    assert p.task.noise_on_informative == (variant == "b") and p.task.target_noise == (variant == "c")
    if variant == "a":  # ST1: none of 256 wrong; ST2: and mean abs test error < 0.01; lr 1.0
        assert (p.stop.max_wrong, p.stop.mean_error, p.lr) == (0, 0.01, 1.0)
    elif variant == "b":  # ST1: fewer than 6 of 256 wrong; ST2: and mean < 0.04
        assert (p.stop.max_wrong, p.stop.mean_error, p.lr) == (5, 0.04, 1.0)
    else:  # none of 256 wrong and mean |output - clean target| < 0.015; lr 0.1
        assert (p.stop.max_wrong, p.stop.mean_error, p.lr) == (0, 0.015, 0.1)


def test_exp3_published_numbers():
    assert (P["3a_T100_N3"].paper["st1"], P["3a_T100_N3"].paper["sequences"]) == (27_380, 39_850)
    assert (P["3a_T1000_N3"].paper["st1"], P["3a_T1000_N3"].paper["sequences"]) == (446_850, 452_460)
    assert (P["3b_T100_N1"].paper["sequences"], P["3b_T100_N1"].paper["fraction_wrong"]) == (78_430, 0.015)
    assert P["3c_T100_N1"].paper["sequences"] == 565_640
    assert all(p.paper["tag"] == "P" for p in P.values())


@pytest.mark.parametrize("T,sequences,wrong", [(100, 74_000, 1), (500, 209_000, 0), (1000, 853_000, 1)])
def test_exp4_protocol(T, sequences, wrong):
    p = P[f"4_T{T}"]
    assert p.task == Adding1997(T)
    assert (p.n_blocks, p.cells_per_block, p.lr) == (2, 2, 0.5)
    assert p.input_gate_bias == (-3, -6) and p.output_gate_bias is None  # output-gate biases random
    assert network_for(p, "vanilla", 1, 0).n_weights == 93  # all non-input units biased
    assert (p.stop.kind, p.stop.window, p.stop.max_wrong, p.stop.mean_error) == ("recent", 2000, 0, 0.01)  # ST3(0.01)
    assert (p.paper["sequences"], p.paper["wrong"]) == (sequences, wrong)
    assert p.budget >= 2 * sequences


@pytest.mark.parametrize("n_seq,sequences,wrong", [(140, 482_000, 139), (13, 1_273_000, 14)])
def test_exp5_protocol(n_seq, sequences, wrong):
    p = P[f"5_T100_n{n_seq}"]
    assert p.task == Multiplication(100)
    assert (p.n_blocks, p.cells_per_block, p.lr) == (2, 2, 0.1)
    assert p.input_gate_bias is None and p.output_gate_bias is None  # both random (Table 10)
    assert network_for(p, "vanilla", 1, 0).n_weights == 93
    # "less than n_seq of the 2000 most recent training sequences lead to absolute errors exceeding 0.04"
    assert (p.stop.kind, p.stop.window, p.stop.max_wrong, p.stop.mean_error) == ("recent", 2000, n_seq - 1, None)
    assert (p.paper["sequences"], p.paper["wrong"]) == (sequences, wrong)


def test_other_architectures_share_the_protocol():
    p = P["4_T100"]
    nets = {a: network_for(p, a, 1, 0) for a in MAIN_ARCHITECTURES}
    assert sorted(set(nets["vanilla"]["input_gate.bias"].ravel().tolist())) == [-6, -3]
    assert sorted(set(nets["peephole"]["input_gate.bias"].ravel().tolist())) == [-6, -3]
    assert set(nets["forget"]["forget_gate.bias"].ravel().tolist()) == {5.0}  # Gers et al. 2000's "large bias"
    assert set(nets["peephole"]["forget_gate.bias"].ravel().tolist()) == {5.0}
    jobs, protocols = hs97.jobs_for("tiny", forget_gate_bias=1.0)
    assert {j.protocol.forget_gate_bias for j in jobs} == {1.0}
    assert set(network_for(protocols["4_T20"], "forget", 1, 0)["forget_gate.bias"].ravel().tolist()) == {1.0}
    # the RNN: the fewest units whose weight count reaches the LSTM's
    assert nets["rnn"].n_weights >= 93 > network_for(p, "rnn", 1, 0).n_weights - 12
    assert learning_rate(p, "rnn") == pytest.approx(0.05) and learning_rate(p, "peephole") == 0.5


def test_jobs_for_scales_and_overrides():
    jobs, protocols = hs97.jobs_for("paper")
    assert len(protocols) == 13 and len(jobs) == 52 and {j.trials for j in jobs} == {10}
    jobs, protocols = hs97.jobs_for("default", experiments=["4"], T=1000, architectures=["vanilla"])
    assert list(protocols) == ["4_T1000"] and protocols["4_T1000"].paper["sequences"] == 853_000  # the paper's row
    assert jobs[0].budget == 10 * hs97.SCALES["default"]["4_T100"][1]
    jobs, protocols = hs97.jobs_for("default", experiments=["3c"], T=200)
    assert list(protocols) == ["3c_T200_N3", "3c_T200_N1"]  # the family's rows: none is in the default scale
    assert protocols["3c_T200_N3"].paper == {}  # no published row at T = 200
    assert protocols["3c_T200_N3"].task == TwoSequence(200, 3, target_noise=True)
    # papermill passes -p experiments 4,3a and -p experiments 4 as a string and an int
    assert [j.name for j in hs97.jobs_for("default", experiments="4,3a", architectures="vanilla")[0]] == \
        ["4_T100/vanilla", "3a_T100_N3/vanilla"]
    assert [j.name for j in hs97.jobs_for("default", experiments=4, architectures='["rnn"]')[0]] == ["4_T100/rnn"]
    jobs, _ = hs97.jobs_for("tiny", trials=3, budget=50, seed=7)
    assert {(j.trials, j.budget, j.seed) for j in jobs} == {(3, 50, 7)}


@pytest.mark.parametrize("kwargs,match", [
    ({"scale": "huge"}, "unknown scale"),
    ({"experiments": ["6a"]}, "unknown experiment"),
    ({"experiments": []}, "experiments must be"),
    ({"experiments": {"4": 1}}, "experiments must be"),
    ({"architectures": ""}, "architectures must be"),
    ({"T": 10}, "T must be"),
    ({"T": 100.0}, "T must be"),
    ({"architectures": ["lstm"]}, "unknown architecture"),
    ({"trials": 0}, "trials must be"),
    ({"budget": -5}, "budget must be"),
    ({"seed": "0"}, "seed must be"),
    ({"forget_gate_bias": "high"}, "forget_gate_bias must be"),
])
def test_jobs_for_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hs97.jobs_for(**kwargs)


def test_lag_plan_defaults_and_errors():
    assert hs97.lag_plan("default") == ([100, 200, 500], 40_000)
    assert hs97.lag_plan("tiny") == ([20, 40], 400)
    assert hs97.lag_plan("paper", "100,300", 5000) == ([100, 300], 5000)
    with pytest.raises(ValueError, match="lag_lengths"):
        hs97.lag_plan("default", [10])
    with pytest.raises(ValueError, match="lag_sequences"):
        hs97.lag_plan("default", None, 5)
