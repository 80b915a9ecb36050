"""The counting languages: generator pinned to the language's own definition, acceptance rule, scan."""

import itertools

import numpy as np
import pytest

import lstmlib
from lstmlib.tasks.languages import (LANGUAGES, CountingLanguage, accepted, generalisation, get_language,
                                     training_set_accepted)


def brute_force_next_sets(letters, min_n, n, n_limit=12):
    """Legal next symbols after each prefix of the string with count n, from the language itself: the
    symbols σ such that prefix + σ starts some string of the language (strings listed up to n_limit)."""
    strings = ["S" + "".join(c * m for c in letters) + "T" for m in range(min_n, n_limit + 1)]
    word = strings[n - min_n]
    sets = []
    for t in range(1, len(word)):  # prefix word[:t] has been read
        prefix = word[:t]
        sets.append({s[t] for s in strings if s.startswith(prefix)})
    return word, sets


@pytest.mark.parametrize("letters,min_n", [("ab", 1), ("ab", 0), ("abc", 1), ("abc", 0), ("abcd", 1)])
def test_generator_matches_the_language_definition(letters, min_n):
    lang = CountingLanguage(letters, min_n)
    ns = np.arange(min_n, 9)
    x, target, lengths = lang.encode(ns)
    for i, n in enumerate(ns):
        word, sets = brute_force_next_sets(letters, min_n, int(n))
        assert lang.string(int(n)) == word
        assert lengths[i] == len(word) - 1 == lang.length(int(n))  # every symbol but T is read
        read = "".join(lang.inputs[j] for j in x[i, :lengths[i]].argmax(axis=1))
        assert read == word[:-1]
        np.testing.assert_array_equal(x[i, :lengths[i]].sum(axis=1), 1.0)  # one-hot
        got = [{lang.outputs[j] for j in np.flatnonzero(target[i, t])} for t in range(lengths[i])]
        assert got == sets == lang.next_sets(int(n))
        assert not x[i, lengths[i]:].any() and not target[i, lengths[i]:].any()  # padding is zero


def test_anbn_example_by_hand():
    x, target, lengths = LANGUAGES["anbn"].encode(np.array([2]))
    # outputs a b T; reads S a a b b
    np.testing.assert_array_equal(target[0], [[1, 0, 0], [1, 1, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(x[0].argmax(axis=1), [0, 1, 1, 2, 2])
    x, target, _ = LANGUAGES["anbncn"].encode(np.array([1]))
    np.testing.assert_array_equal(target[0], [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])


def test_sample_draws_counts_in_range_and_is_reproducible():
    lang = LANGUAGES["anbncn"]
    x, target, lengths, loss_at = lang.sample(np.random.default_rng(3), 2, 500, (2, 5))
    assert loss_at == "every" and x.shape[:2] == (2, 500)
    counts = (lengths - 1) // 3
    assert set(np.unique(counts)) == {2, 3, 4, 5}
    x2, _, lengths2, _ = lang.sample(np.random.default_rng(3), 2, 500, (2, 5))
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(lengths, lengths2)


def test_acceptance_rule():
    lang = LANGUAGES["anbn"]
    _, target, lengths = lang.encode(np.array([3]))
    perfect = np.where(target > 0, 0.9, 0.1)
    assert accepted(perfect, target, lengths)[0]
    # one output on the wrong side at one step rejects the string
    for t, o in itertools.product(range(lengths[0]), range(3)):
        y = perfect.copy()
        y[0, t, o] = 0.4 if target[0, t, o] else 0.6
        assert not accepted(y, target, lengths)[0], (t, o)
    # exactly 0.5 is on neither side; NaN is wrong
    y = perfect.copy()
    y[0, 2, 1] = 0.5
    assert not accepted(y, target, lengths)[0]
    y[0, 2, 1] = np.nan
    assert not accepted(y, target, lengths)[0]
    # steps past the end do not count
    short = np.array([lengths[0] - 1])
    y = perfect.copy()
    y[0, -1] = 1 - y[0, -1]
    assert accepted(y, target, short)[0] and not accepted(y, target, lengths)[0]
    # predicting T one step early, or b after the last b, is rejected
    y = perfect.copy()
    y[0, lengths[0] - 2, 2] = 0.7
    assert not accepted(y, target, lengths)[0]


def _counter_net(lang, trials=1, slack=0.0):
    """A hand-set 1997 LSTM that counts: one cell adds 1 per a and subtracts (1 + slack) per b."""
    net = lstmlib.build("vanilla", lang.n_inputs, lang.n_outputs, 1, 1, trials=trials, output="logistic",
                        output_from="cells+inputs", cell_input="identity", cell_output="identity",
                        gate_recurrence="none", init_range=0.0)
    net["cell.x"] = np.array([[[0.0, 1.0, -(1.0 + slack)]]])
    net["input_gate.bias"] = 50.0
    net["output_gate.bias"] = 50.0
    # outputs a, b, T from [cell, S, a, b]: a after S or a; b after a, or while the count is > 0.5; T when it hits 0
    w = np.zeros((lang.n_outputs, 1 + 1 + lang.n_inputs))
    w[0] = [-10, 0, 20, 20, -20]
    w[1] = [-10, 20, -20, 20, 0]
    w[2] = [10, -40, -20, -20, 0]
    net["output.bias"] = w[None, :, :1]
    net["output.cells"] = w[None, :, 1:2]
    net["output.x"] = w[None, :, 2:]
    return net


def test_generalisation_scan_matches_a_per_string_loop():
    lang = LANGUAGES["anbn"]
    exact = _counter_net(lang)
    assert generalisation(exact, lang, 300)["up_to"][0] == 300
    assert generalisation(exact, lang, 300)["first_failure"][0] == -1
    for slack in (0.01, 0.004, 0.2):
        net = _counter_net(lang, slack=slack)
        g = generalisation(net, lang, 400)
        loop = next((n for n in range(1, 401) if not training_set_accepted(net, lang, (n, n))[0]), None)
        assert loop is not None and g["first_failure"][0] == loop and g["up_to"][0] == loop - 1


def test_generalisation_handles_several_trials_and_random_nets():
    lang = LANGUAGES["anbn"]
    net = lstmlib.build("peephole", 3, 3, 1, 1, trials=6, output="logistic", output_from="cells+inputs", seed=4,
                        init_range=2.0)
    g = generalisation(net, lang, 30)
    for k in range(6):
        one = net.trial(k)
        loop = next((n for n in range(1, 31) if not training_set_accepted(one, lang, (n, n))[0]), -1)
        assert g["first_failure"][k] == loop
        assert g["up_to"][k] == (30 if loop < 0 else loop - 1)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="letters"):
        CountingLanguage("a")
    with pytest.raises(ValueError, match="letters"):
        CountingLanguage("aS")
    with pytest.raises(ValueError, match="min_n"):
        CountingLanguage("ab", 2)
    with pytest.raises(ValueError, match="unknown language"):
        get_language("anbm")
    lang = LANGUAGES["anbn"]
    with pytest.raises(ValueError, match="n must be"):
        lang.string(0)
    with pytest.raises(ValueError, match="counts"):
        lang.encode(np.array([0, 1]))
    with pytest.raises(ValueError, match="n_range"):
        lang.sampler(2, (5, 2))
    net = _counter_net(lang)
    with pytest.raises(ValueError, match="n_max"):
        generalisation(net, lang, 0)
    with pytest.raises(ValueError, match="start"):
        generalisation(net, lang, 10, start=11)
    with pytest.raises(ValueError, match="same shape"):
        accepted(np.zeros((1, 3, 3)), np.zeros((1, 3, 2)), np.array([3]))


# --- the thesis' conventions (Pérez-Ortiz 2002, ch. 7, p. 99-101) ----------------------------------------------

THESIS = CountingLanguage("abc", min_n=0, coding="bipolar", marker="$")


def test_thesis_worked_example_n3():
    """p. 99: input ``$ a a a b b b c c c``, desired ``a/$ a/b a/b a/b b b c c c $``; ±1 coding (p. 101)."""
    x, target, lengths = THESIS.encode(np.array([3]))
    assert THESIS.string(3) == "$aaabbbccc$" and THESIS.inputs == ("$", "a", "b", "c")
    assert THESIS.outputs == ("a", "b", "c", "$") and lengths[0] == 10
    read = "".join(THESIS.inputs[j] for j in x[0].argmax(axis=1))
    assert read == "$aaabbbccc"
    assert set(np.unique(x[0])) == set(np.unique(target[0])) == {-1.0, 1.0}
    np.testing.assert_array_equal((x[0] == 1).sum(axis=1), 1)  # one unit on, the rest -1
    desired = "a/$ a/b a/b a/b b b c c c $".split()
    got = ["/".join(o for o, v in zip(THESIS.outputs, row) if v == 1) for row in target[0]]
    assert [set(d.split("/")) for d in desired] == [set(g.split("/")) for g in got]


def test_bipolar_coding_is_the_binary_one_with_minus_one_for_off_and_padding_zero():
    binary = CountingLanguage("abc", min_n=0, marker="$")
    ns = np.array([1, 4, 2])
    xb, tb, lb = binary.encode(ns)
    xp, tp, lp = THESIS.encode(ns)
    valid = (np.arange(xb.shape[1]) < lb[:, None])[..., None]
    np.testing.assert_array_equal(lb, lp)
    np.testing.assert_array_equal(xp, np.where(valid, 2 * xb - 1, 0))
    np.testing.assert_array_equal(tp, np.where(valid, 2 * tb - 1, 0))
    assert (THESIS.off, THESIS.threshold) == (-1.0, 0.0) and (binary.off, binary.threshold) == (0.0, 0.5)


def test_bipolar_acceptance_is_judged_at_zero():
    """A string is accepted iff every output of every step is on the correct side of 0 (p. 99, 101)."""
    _, target, lengths = THESIS.encode(np.array([2]))
    y = 0.3 * target  # right side everywhere, small margin
    assert accepted(y, target, lengths, THESIS.threshold)[0]
    assert not accepted(y, target, lengths)[0]  # judged at 0.5 it would fail: the threshold matters
    for t, o in itertools.product(range(lengths[0]), range(THESIS.n_outputs)):
        wrong = y.copy()
        wrong[0, t, o] = -wrong[0, t, o]
        assert not accepted(wrong, target, lengths, THESIS.threshold)[0], (t, o)
    on_boundary = y.copy()
    on_boundary[0, 0, 0] = 0.0
    assert not accepted(on_boundary, target, lengths, THESIS.threshold)[0]
    with pytest.raises(ValueError, match="threshold"):
        accepted(y, target, lengths, threshold=float("nan"))


def test_bad_coding_or_marker():
    with pytest.raises(ValueError, match="coding"):
        CountingLanguage("ab", coding="ternary")
    with pytest.raises(ValueError, match="marker"):
        CountingLanguage("ab", marker="$$")
    with pytest.raises(ValueError, match="letters"):
        CountingLanguage("a$", marker="$")


def _bipolar_twin(net, lang):
    """The same counter for ±1 inputs and a 4σ - 2 output judged at 0: x01 = (x + 1) / 2, so each unit's input
    weights halve and their half-sum joins its bias; 4σ(a) - 2 > 0 iff σ(a) > 0.5."""
    twin = lstmlib.build("vanilla", lang.n_inputs, lang.n_outputs, 1, 1, trials=net.trials, output="logistic2",
                         output_from="cells+inputs", cell_input="identity", cell_output="identity",
                         gate_recurrence="none", init_range=0.0)
    for unit in ("cell", "input_gate", "output_gate", "output"):
        w = np.array(net[f"{unit}.x"])
        twin[f"{unit}.x"] = w / 2
        twin[f"{unit}.bias"] = np.array(net[f"{unit}.bias"]) + w.sum(axis=-1, keepdims=True) / 2
    twin["output.cells"] = np.array(net["output.cells"])
    return twin


def test_bipolar_scan_and_training_set_judge_at_zero():
    binary, bipolar = LANGUAGES["anbn"], CountingLanguage("ab", coding="bipolar", marker="$")
    for slack in (0.0, 0.01, 0.2):
        net = _counter_net(binary, slack=slack)
        twin = _bipolar_twin(net, bipolar)
        g, g_twin = generalisation(net, binary, 300), generalisation(twin, bipolar, 300)
        assert g_twin["up_to"][0] == g["up_to"][0] and g_twin["first_failure"][0] == g["first_failure"][0]
        assert training_set_accepted(twin, bipolar, (1, 10))[0] == (slack < 0.1)
