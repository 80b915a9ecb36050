"""Gers & Schmidhuber 2001: the protocol table and its variants."""

import pytest

import lstmlib
from lstmlib.papers import gers2001 as gs01


def test_protocols_pin_the_chosen_setup():
    a, c = gs01.PROTOCOLS["anbn"], gs01.PROTOCOLS["anbncn"]
    assert a.language.letters == "ab" and c.language.letters == "abc"
    assert (a.n_blocks, a.cells_per_block, c.n_blocks, c.cells_per_block) == (1, 1, 2, 1)
    for p in (a, c):
        assert p.train_range == (1, 10) and p.n_max == 1000 and p.language.min_n == 1
        assert (p.optimizer, p.lr, p.loss) == ("adam", 0.01, "ce")
        assert p.forget_gate_bias == 10.0 and p.init_range == 0.1 and p.output_from == "cells+inputs"
        assert p.paper["tag"] == "U"  # the paper's numbers could not be read


def test_learning_rule_variants_change_only_the_rule():
    p = gs01.PROTOCOLS["anbn"]
    variants = gs01.learning_rule_variants(p)
    assert list(variants) == ["anbn_adam_mse", "anbn_momentum_ce", "anbn_sgd_ce"]
    assert [(q.optimizer, q.lr, q.loss) for q in variants.values()] == [("adam", 0.01, "mse"), ("momentum", 1e-4, "ce"),
                                                                        ("sgd", 0.05, "ce")]
    for q in variants.values():
        assert q.replace(key="anbn", optimizer="adam", lr=0.01, loss="ce", momentum=0.99) == p
    assert variants["anbn_momentum_ce"].rule() == "SGD with momentum 0.99, lr 0.0001, cross-entropy"


def test_a_protocol_rejects_bad_settings():
    p = gs01.PROTOCOLS["anbn"]
    assert p.describe() == ("n ∈ [1, 10], 1 block(s) × 1 cell, Adam lr 0.01, cross-entropy, scan to n = 1,000")
    for change, message in [({"optimizer": "rmsprop"}, "unknown optimizer"), ({"lr": 0}, "lr must be"),
                            ({"lr": True}, "lr must be"), ({"check_every": 0}, "check_every"),
                            ({"n_max": 2.5}, "n_max"), ({"n_max": 9}, "at least the largest training count"),
                            ({"train_range": (0, 10)}, "n_range")]:
        with pytest.raises(ValueError, match=message):
            p.replace(**change)
    assert isinstance(p.replace(optimizer="momentum").make_optimizer(), lstmlib.Momentum)
