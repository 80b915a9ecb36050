"""The Reber, embedded Reber (H&S 1997 Exp. 1) and continual embedded Reber (Gers et al. 2000) generators,
pinned to the grammar of the papers' figure and to its statistics over many strings."""

from collections import Counter

import numpy as np
import pytest

from lstmlib.tasks import reber

RNG = np.random.default_rng


def test_the_graph_is_the_papers_figure():
    assert reber.SYMBOLS == "BTPSXVE"
    assert reber.REBER_GRAPH == {0: (("B", 1),), 1: (("T", 2), ("P", 3)), 2: (("S", 2), ("X", 4)),
                                 3: (("T", 3), ("V", 5)), 4: (("X", 3), ("S", 6)), 5: (("P", 4), ("V", 6)),
                                 6: (("E", None),)}
    for s in ("BTXSE", "BPVVE", "BTSSXXTVVE", "BPTVPSE", "BTXXVVE"):  # the classic examples
        assert reber.in_language(s, embedded=False) and not reber.in_language(s)
    for s in ("BTE", "BPVE", "BTXS", "TXSE", "BTXSEE", "BTSSSSE", ""):
        assert not reber.in_language(s, embedded=False)
    assert reber.in_language("BTBTXSETE") and reber.in_language("BPBPVVEPE")
    for s in ("BTBTXSEPE", "BPBTXSETE", "BTBTXSET", "TBTXSETE", "BTBTXSTE", "BTTXSETE"):  # c must close as it opened
        assert not reber.in_language(s)


def test_next_sets_are_the_arcs_out_of_the_node_reached():
    sets = reber.next_sets("BTBTXSETE")
    assert ["".join(sorted(s)) for s in sets] == ["PT", "B", "PT", "SX", "SX", "E", "T", "E", ""]
    assert reber.next_sets("BTBTXSETE", continual=True)[-1] == {"B"}
    assert [sorted(s) for s in reber.next_sets("BPTVPSE", embedded=False)] == \
        [["P", "T"], ["T", "V"], ["T", "V"], ["P", "V"], ["S", "X"], ["E"], []]
    with pytest.raises(ValueError, match="is not an embedded Reber string"):
        reber.next_sets("BTXSE")
    with pytest.raises(ValueError, match="is not a Reber string"):
        reber.next_sets("BTBTXSETE", embedded=False)


@pytest.mark.parametrize("embedded", [False, True])
def test_every_generated_string_is_in_the_language_and_the_seed_fixes_them(embedded):
    strings = reber.draw_strings(RNG(0), 3000, embedded)
    assert all(reber.in_language(s, embedded) for s in strings)
    assert strings == reber.draw_strings(RNG(0), 3000, embedded) != reber.draw_strings(RNG(1), 3000, embedded)


def test_every_branch_is_taken_with_probability_one_half():
    counts = Counter()  # (node, symbol) over every binary branch the strings take
    for s in reber.draw_strings(RNG(1), 4000, embedded=False):
        node = 0
        for symbol in s:
            arcs = dict(reber.REBER_GRAPH[node])
            if len(arcs) == 2:
                counts[node, symbol] += 1
            node = arcs[symbol]
    for node, arcs in reber.REBER_GRAPH.items():
        if len(arcs) == 2:
            a, b = (counts[node, sym] for sym, _ in arcs)
            n = a + b
            assert n > 3000 and abs(a - n / 2) < 4 * np.sqrt(n / 4), (node, a, b)


@pytest.mark.parametrize("embedded,mean,shortest", [(False, 8.0, 5), (True, 12.0, 9)])
def test_the_length_distribution_matches_the_exact_one(embedded, mean, shortest):
    exact = reber.length_distribution(200, embedded)
    # exact: the mean length (8 for a Reber string by hand from the graph's first-step equations, 4 more
    # for the embedding), the shortest strings (BTXSE and BPVVE: 2 × 1/8), the whole mass
    assert min(exact) == shortest and exact[shortest] == pytest.approx(0.25)
    assert sum(n * p for n, p in exact.items()) == pytest.approx(mean, abs=1e-9)
    assert sum(exact.values()) == pytest.approx(1.0, abs=1e-12)
    assert set(exact) == set(range(shortest, shortest + len(exact)))  # every length from the shortest on
    n = 20_000
    seen = Counter(len(s) for s in reber.draw_strings(RNG(2), n, embedded))
    for length, p in exact.items():
        if n * p > 30:
            assert abs(seen[length] - n * p) < 4.5 * np.sqrt(n * p * (1 - p)), (length, seen[length], n * p)
    assert np.mean([length for length, c in seen.items() for _ in range(c)]) == pytest.approx(mean, abs=0.15)


def test_string_probability_is_one_half_per_branch():
    assert reber.string_probability("BTXSE", embedded=False) == 1 / 8
    assert reber.string_probability("BTSSXXTVVE", embedded=False) == 0.5 ** 8  # 8 branches after B
    assert reber.string_probability("BTBTXSETE") == 1 / 16
    strings = set(reber.draw_strings(RNG(3), 5000))
    by_length = Counter()
    for s in strings:
        by_length[len(s)] += reber.string_probability(s)
    exact = reber.length_distribution()
    assert by_length[9] == pytest.approx(exact[9]) and by_length[10] == pytest.approx(exact[10])  # all drawn


def test_the_two_embedded_sub_grammars():
    strings = reber.draw_strings(RNG(4), 20_000)
    inner = {c: [s[2:-2] for s in strings if s[1] == c] for c in "TP"}
    assert all(s[1] == s[-2] and s[0] == "B" and s[-1] == "E" for s in strings)
    assert abs(len(inner["T"]) - 10_000) < 4 * np.sqrt(5000)
    # each branch embeds a plain Reber string, with the plain grammar's lengths on both sides
    exact = reber.length_distribution(200, embedded=False)
    for body in inner.values():
        assert all(reber.in_language(s, embedded=False) for s in body)
        assert np.mean([len(s) for s in body]) == pytest.approx(8.0, abs=0.15)
        assert Counter(len(s) for s in body)[5] / len(body) == pytest.approx(exact[5], abs=0.02)


def test_encode_reads_all_but_the_last_symbol_and_targets_the_legal_next_ones():
    x, target, weights, lengths = reber.encode(["BTBTXSETE", "BPBPVVEPE", "BTBTSSXXTVVETE"])
    assert x.shape == target.shape == (3, 13, 7) and weights.shape == (3, 13) and list(lengths) == [8, 8, 13]
    idx = {s: i for i, s in enumerate(reber.SYMBOLS)}
    assert [reber.SYMBOLS[i] for i in x[0, :8].argmax(1)] == list("BTBTXSET") and not x[0, 8:].any()
    assert x[0, :8].sum(axis=1).tolist() == [1.0] * 8
    assert target[0, 0, [idx["T"], idx["P"]]].tolist() == [1, 1] and target[0, 0].sum() == 2
    assert target[0, 6].tolist() == [0, 1, 0, 0, 0, 0, 0]  # after the inner E: only the remembered T
    assert target[1, 6].tolist() == [0, 0, 1, 0, 0, 0, 0]  # ... or P
    assert weights[0].tolist() == [1] * 8 + [0] * 5 and weights[2].sum() == 13
    xc, tc, wc, lc = reber.encode(["BTBTXSETE"], continual=True)
    assert lc.tolist() == [9] and tc[0, 8].tolist() == [1, 0, 0, 0, 0, 0, 0] and xc[0, 8, idx["E"]] == 1
    with pytest.raises(ValueError, match="at least one string"):
        reber.encode([])
    with pytest.raises(ValueError, match="not an embedded Reber string"):
        reber.encode(["BTXSE"])


def test_top_k_correct_is_the_1997_criterion():
    target = np.zeros((1, 3, 7))
    target[0, 0, [1, 2]] = 1  # {T, P}
    target[0, 1, 0] = 1       # {B}
    target[0, 2, 6] = 1       # {E}
    out = np.full((1, 3, 7), 0.1)
    out[0, 0, [1, 2]] = [0.3, 0.2]  # both legal above every illegal: right, however small
    out[0, 1, [0, 4]] = [0.9, 0.9]  # a tie with an illegal unit: wrong
    out[0, 2, 6] = np.nan           # NaN: wrong
    assert reber.top_k_correct(out, target, np.ones((1, 3))).tolist() == [[True, False, False]]
    assert reber.top_k_correct(out, target, np.array([[1, 0, 0]])).tolist() == [[True, True, True]]


def test_train_and_test_sets_are_disjoint():
    train, test = reber.train_test_sets(RNG(5))
    assert len(train) == len(test) == 256 and not set(train) & set(test)
    assert all(reber.in_language(s) for s in train + test)
    assert len(set(train)) < 256  # repeats stay, as drawn: the short strings are frequent
    assert reber.train_test_sets(RNG(5)) == (train, test)
    for bad, message in (({"n_train": 0}, "n_train"), ({"n_test": 1.5}, "n_test")):
        with pytest.raises(ValueError, match=message):
            reber.train_test_sets(RNG(0), **bad)
    with pytest.raises(ValueError, match="Generator"):
        reber.train_test_sets(0)


def test_the_continual_stream_is_strings_back_to_back_with_no_mark():
    walk = reber.CERGWalk(RNG(6), 3)
    chunks = [walk.chunk(T) for T in (50, 1, 149)]
    x, target, starts = (np.concatenate([c[i] for c in chunks], axis=1) for i in range(3))
    assert x.shape == target.shape == (3, 200, 7) and starts.shape == (3, 200)
    for k in range(3):
        text = "".join(reber.SYMBOLS[i] for i in x[k].argmax(axis=1))
        cuts = list(np.flatnonzero(starts[k])) + [200]
        assert cuts[0] == 0 and text[0] == "B"
        pieces = [text[a:b] for a, b in zip(cuts, cuts[1:])]
        assert all(reber.in_language(s) for s in pieces[:-1])  # whole strings, one after the other
        legal = [s for piece in pieces[:-1] for s in reber.next_sets(piece, continual=True)]
        want = np.zeros((len(legal), 7))
        for t, s in enumerate(legal):
            want[t, [reber.SYMBOLS.index(c) for c in s]] = 1
        np.testing.assert_array_equal(target[k, :len(legal)], want)
        begins = np.flatnonzero(starts[k])
        assert (x[k, begins, 0] == 1).all() and (x[k, begins - 1, 6] == 1)[1:].all()  # B after each E ...
        assert (target[k, begins[1:] - 1] == np.eye(7)[0]).all()  # ... and it is what the E predicts
    again = reber.CERGWalk(RNG(6), 3)
    np.testing.assert_array_equal(again.chunk(50)[0], chunks[0][0])  # the seed fixes the stream
    with pytest.raises(ValueError, match="T must be a positive integer"):
        walk.chunk(0)
    with pytest.raises(ValueError, match="trials"):
        reber.CERGWalk(RNG(0), 0)
