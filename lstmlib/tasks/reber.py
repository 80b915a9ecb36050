"""The Reber grammar, the embedded Reber grammar (ERG, H&S 1997 Experiment 1) and the continual embedded
Reber grammar stream (CERG, Gers, Schmidhuber & Cummins 2000) as next-symbol prediction.

The grammar (Reber 1967, in the form of Cleeremans et al. 1989 and H&S 1997 Fig. 5) is the graph
:data:`REBER_GRAPH`: from each node two arcs, each taken with probability 1/2, each emitting a symbol;
a string runs from ``B`` to ``E``::

    0 -B-> 1;  1 -T-> 2, 1 -P-> 3;  2 -S-> 2, 2 -X-> 4;  3 -T-> 3, 3 -V-> 5;
    4 -X-> 3, 4 -S-> 6;  5 -P-> 4, 5 -V-> 6;  6 -E-> end

(``BTXSE``, ``BPVVE``, ``BTSSXXTVVE``, ...).  Every node's two arcs carry different symbols, so a string
determines its path, and the set of legal next symbols after every prefix is the set of symbols on the
arcs out of the node reached.  An embedded Reber string (ERG) is ``B c R c E`` with ``c`` ∈ {T, P}
(probability 1/2 each) and ``R`` a Reber string: to predict the symbol before last, a net must remember
``c`` over the whole of ``R``.

Coding (H&S 1997 §5.1 [P]): seven symbols ``B T P S X V E`` (:data:`SYMBOLS`), one-hot inputs and
outputs.  The net reads every symbol but the last and at each step predicts the *set* of symbols that
may come next (the issue's and Gers 2000's target; 0/1 multi-hot); in the ERG after the inner ``E`` that
set is the one symbol ``c``.  In the CERG stream the strings follow one another with no reset and no
mark, so the final ``E`` is read too and is followed by ``{B}``.

Two judgements of a step, one per paper:

* :func:`top_k_correct` (H&S 1997 [P]): "the output unit(s) for the possible next symbol(s) are always
  the most active": with k legal symbols, the k largest outputs are exactly theirs;
* a per-output error below a tolerance (Gers 2000, 0.49 [S]): ``max |y - target| < tol``, what
  :meth:`lstmlib.OnlineLearner.run`'s ``stop_at_error`` tests.

Arrays: :func:`encode` gives ``x [N, T, 7]``, ``target [N, T, 7]``, ``weights [N, T]`` (1 at the steps
with a prediction) and ``lengths [N]`` (steps per string: its length minus one), padded with zeros.
"""

from __future__ import annotations

import functools

import numpy as np

from .._checks import check_count, check_rng

__all__ = ["REBER_GRAPH", "SYMBOLS", "CERGWalk", "draw_strings", "embedded_reber_string", "encode", "in_language",
           "length_distribution", "next_sets", "reber_string", "string_probability", "top_k_correct",
           "train_test_sets"]

SYMBOLS = "BTPSXVE"
INDEX = {s: i for i, s in enumerate(SYMBOLS)}
#: node -> the arcs out of it, (symbol, next node); node 6's E ends the string (next node None).
REBER_GRAPH = {0: (("B", 1),), 1: (("T", 2), ("P", 3)), 2: (("S", 2), ("X", 4)), 3: (("T", 3), ("V", 5)),
               4: (("X", 3), ("S", 6)), 5: (("P", 4), ("V", 6)), 6: (("E", None),)}
#: The two symbols that open (and must close) an embedded Reber string.
EMBEDDING = ("T", "P")


def _walk_table(embedded, continual):
    """The generator as a table automaton: ``(symbol [state, 2], next [state, 2], arcs [state], legal
    [state, 7])`` over the states of the (embedded) grammar, state 0 first; arc 1 equals arc 0 where a
    state has one arc; a next state of -1 ends the string (with ``continual`` the walk goes on at state 0
    instead).  ``legal[state]``: the symbols on the arcs out of the state (the target after reaching it)."""
    return _TABLES[embedded, continual]


def _build_table(embedded, continual):
    states = {}  # (branch, node) -> index; branch None: the plain grammar; "head"/"tail" states of the ERG

    def index(key):
        return states.setdefault(key, len(states))

    arcs = {}
    if embedded:
        arcs[index(("head", 0))] = [("B", ("head", 1))]
        arcs[index(("head", 1))] = [(c, (c, 0)) for c in EMBEDDING]
        for c in EMBEDDING:
            for node, out in REBER_GRAPH.items():
                arcs[index((c, node))] = [(sym, (c, nxt) if nxt is not None else ("tail", c)) for sym, nxt in out]
            arcs[index(("tail", c))] = [(c, ("end", 0))]
        arcs[index(("end", 0))] = [("E", None)]
    else:
        for node, out in REBER_GRAPH.items():
            arcs[index((None, node))] = [(sym, (None, nxt) if nxt is not None else None) for sym, nxt in out]
    n = len(states)
    symbol, nxt = np.zeros((n, 2), np.int64), np.zeros((n, 2), np.int64)
    count, legal = np.zeros(n, np.int64), np.zeros((n, 7), np.bool_)
    for state, out in arcs.items():
        out = out * (3 - len(out))  # one arc: both columns the same
        for j, (sym, to) in enumerate(out[:2]):
            symbol[state, j] = INDEX[sym]
            nxt[state, j] = -1 if to is None else states[to]
            legal[state, INDEX[sym]] = True
        count[state] = len(arcs[state])
    if continual:
        nxt[nxt == -1] = 0
    return symbol, nxt, count, legal


_TABLES = {(e, c): _build_table(e, c) for e in (False, True) for c in (False, True)}


def draw_strings(rng, n, embedded=True) -> list[str]:
    """``n`` strings of the (embedded, with ``embedded``) Reber grammar, every branch with probability 1/2,
    drawn together (one random bit per string and step)."""
    check_rng(rng)
    check_count("n", n)
    symbol, nxt, _, _ = _walk_table(embedded, False)
    state, out = np.zeros(n, np.int64), []
    alive = np.ones(n, np.bool_)
    while alive.any():
        bit = rng.integers(2, size=n)
        sym = np.where(alive, symbol[state, bit], -1)
        out.append(sym)
        state = np.where(alive, nxt[state, bit], -1)
        alive = state >= 0
        state = np.maximum(state, 0)
    table = np.array(out).T  # [n, longest]
    letters = np.array(list(SYMBOLS))
    return ["".join(letters[row[row >= 0]]) for row in table]


def reber_string(rng) -> str:
    """One Reber string, every branch with probability 1/2."""
    return draw_strings(rng, 1, embedded=False)[0]


def embedded_reber_string(rng) -> str:
    """One embedded Reber string ``B c R c E``: ``c`` T or P with probability 1/2, ``R`` a Reber string."""
    return draw_strings(rng, 1, embedded=True)[0]


def _reber_sets(string) -> list[frozenset] | None:
    """The legal next symbols after each symbol of the Reber string ``string`` (after the final E: the
    empty set), or None if ``string`` is not one."""
    node, sets = 0, []
    for symbol in string:
        if node is None:
            return None
        arc = dict(REBER_GRAPH[node]).get(symbol, -1)
        if arc == -1:
            return None
        node = arc
        sets.append(frozenset(s for s, _ in REBER_GRAPH[node]) if node is not None else frozenset())
    return sets if node is None else None


def next_sets(string, embedded=True, continual=False) -> list[frozenset]:
    """The legal next symbols after each symbol of ``string`` (a Reber string, or an embedded one with
    ``embedded``); the set after the final E is empty, or ``{B}`` with ``continual`` (the next string of
    a stream).  Raises ValueError if ``string`` is not in the language."""
    sets = None
    if not embedded:
        sets = _reber_sets(string)
    elif len(string) >= 9 and string[0] == "B" and string[1] in EMBEDDING and string[-2] == string[1] \
            and string[-1] == "E":
        inner = _reber_sets(string[2:-2])
        if inner is not None:
            c = string[1]
            sets = [frozenset(EMBEDDING), frozenset("B")] + inner[:-1] + [frozenset(c), frozenset("E"), frozenset()]
    if sets is None:
        kind = "an embedded Reber string" if embedded else "a Reber string"
        raise ValueError(f"{string!r} is not {kind}")
    if continual:
        sets[-1] = frozenset("B")
    return sets


def in_language(string, embedded=True) -> bool:
    """Whether ``string`` is a (embedded, with ``embedded``) Reber string."""
    try:
        next_sets(string, embedded)
    except ValueError:
        return False
    return True


def string_probability(string, embedded=True) -> float:
    """The probability that the generator draws ``string``: 1/2 for every binary branch on its path."""
    sets = next_sets(string, embedded)
    return float(np.prod([0.5 if len(s) == 2 else 1.0 for s in sets[:-1]]))


@functools.cache
def length_distribution(max_length=200, embedded=True) -> dict:
    """``{length: probability}`` of the generator's strings, exactly (over the graph), for lengths up to
    ``max_length`` (the rest of the mass, about 2^-(max_length/4), is left out)."""
    check_count("max_length", max_length)
    # p[node][n]: probability that the walk from node emits n more symbols (its final E included)
    p = {node: np.zeros(max_length + 1) for node in REBER_GRAPH}
    p[6][1] = 1.0
    for n in range(1, max_length + 1):
        for node in (5, 4, 3, 2, 1, 0):
            arcs = REBER_GRAPH[node]
            p[node][n] = sum(p[nxt][n - 1] for _, nxt in arcs) / len(arcs) if n > 1 else 0.0
    extra = 4 if embedded else 0
    return {n + extra: float(p[0][n]) for n in range(1, max_length + 1 - extra) if p[0][n] > 0}


def encode(strings, continual=False) -> tuple:
    """``(x, target, weights, lengths)`` for ``strings`` (see the module docstring): string i is read up to
    its symbol before last (with ``continual``: to its last, whose next symbol is B), one step per symbol,
    with the legal next symbols as the multi-hot target."""
    if not strings:
        raise ValueError("encode needs at least one string")
    sets = [next_sets(s, embedded=True, continual=continual) for s in strings]
    lengths = np.array([len(s) - (0 if continual else 1) for s in strings], np.int64)
    T, N = int(lengths.max()), len(strings)
    x, target, weights = np.zeros((N, T, 7)), np.zeros((N, T, 7)), np.zeros((N, T))
    for i, (s, legal) in enumerate(zip(strings, sets)):
        n = lengths[i]
        x[i, np.arange(n), [INDEX[c] for c in s[:n]]] = 1.0
        for t in range(n):
            target[i, t, [INDEX[c] for c in legal[t]]] = 1.0
        weights[i, :n] = 1.0
    return x, target, weights, lengths


def top_k_correct(outputs, target, weights) -> np.ndarray:
    """H&S 1997's criterion per step: with k legal next symbols (the target's ones), the k most active
    outputs are exactly theirs (ties against an illegal unit count as wrong).  ``outputs``, ``target``
    ``[..., T, 7]``, ``weights [..., T]``; returns booleans ``[..., T]``, True at steps without a
    prediction."""
    outputs, target = np.asarray(outputs, float), np.asarray(target, float)
    legal = target > 0.5
    lowest_legal = np.where(legal, outputs, np.inf).min(axis=-1)
    highest_illegal = np.where(legal, -np.inf, outputs).max(axis=-1)
    ok = lowest_legal > highest_illegal  # NaN outputs compare False: wrong
    return np.where(np.asarray(weights) > 0, ok, True)


def train_test_sets(rng, n_train=256, n_test=256) -> tuple[list, list]:
    """H&S 1997 Exp. 1's data: ``n_train`` embedded Reber strings drawn at random (repeats allowed, as
    drawn) and ``n_test`` further ones, each drawn until it is not among the training strings ("no
    test string appears in the training set"; repeats among the test strings allowed)."""
    check_rng(rng)
    check_count("n_train", n_train)
    check_count("n_test", n_test)
    train = draw_strings(rng, n_train)
    seen, test = set(train), []
    while len(test) < n_test:
        test += [s for s in draw_strings(rng, 2 * (n_test - len(test))) if s not in seen][:n_test - len(test)]
    return train, test


class CERGWalk:
    """K independent continual embedded-Reber streams (Gers et al. 2000 §4): embedded Reber strings one
    after the other with no reset and no segmentation mark, drawn chunk by chunk (:meth:`chunk`) so that
    a stream can run on for as long as a net keeps predicting it (the walk's position carries over)."""

    def __init__(self, rng, trials):
        check_rng(rng)
        self.rng, self.trials = rng, check_count("trials", trials)
        self.state = np.zeros(self.trials, np.int64)  # every stream begins with a string's B

    def chunk(self, T) -> tuple:
        """The next ``T`` steps of every stream: ``(x [K, T, 7], target [K, T, 7], starts [K, T])``; the
        target is the legal next symbols (``{B}`` after a string's final E), ``starts`` is True where a
        string begins (its B is read at that step: the segmentation that the "external reset" row gets)."""
        check_count("T", T)
        symbol, nxt, _, legal = _walk_table(True, True)
        K = self.trials
        bits = self.rng.integers(2, size=(T, K))
        read, after = np.empty((T, K), np.int64), np.empty((T, K), np.int64)
        state = self.state
        for t in range(T):
            read[t], state = symbol[state, bits[t]], nxt[state, bits[t]]
            after[t] = state
        starts = (np.vstack([self.state[None], after[:-1]]) == 0).T
        self.state = state
        x = np.zeros((K, T, 7))
        x[np.arange(K)[:, None], np.arange(T)[None], read.T] = 1.0
        return x, legal[after.T].astype(np.float64), starts
