"""Gers & Schmidhuber 2001: networks, jobs and records."""

import numpy as np
import pytest

import lstmlib
from lstmlib.papers import gers2001 as gs01
from lstmlib.study.jobs import run_jobs
from lstmlib.tasks import languages as langs


def test_networks_for_each_architecture():
    p = gs01.PROTOCOLS["anbncn"]
    vanilla = gs01.network_for(p, "vanilla", 1, 0)
    rnn = gs01.network_for(p, "rnn", 1, 0)
    # the RNN: the fewest tanh units with at least the 1997 LSTM's weight count
    fewer = lstmlib.build("rnn", 4, 4, rnn.layout.n_blocks - 1, 1, output_from="cells+inputs")
    assert rnn.n_weights >= vanilla.n_weights > fewer.n_weights
    assert (vanilla.layout.n_blocks, vanilla.layout.n_inputs, vanilla.layout.n_outputs) == (2, 4, 4)
    assert vanilla.output == "logistic" and vanilla.loss == "ce" and vanilla.layout.output_from == "cells+inputs"
    for arch in ("forget", "peephole"):
        np.testing.assert_array_equal(gs01.network_for(p, arch, 3, 1)["forget_gate.bias"], 10.0)
    with pytest.raises(ValueError, match="unknown architecture"):
        gs01.network_for(p, "gru", 1, 0)


def test_jobs_for_validates_before_any_work():
    jobs, protocols = gs01.jobs_for("default")
    assert [j.name for j in jobs] == [f"{lang}/{a}" for lang in ("anbn", "anbncn")
                                      for a in ("rnn", "vanilla", "forget", "peephole")]
    assert {j.part for j in jobs} == {"main"}
    assert all(j.trials == 10 and j.budget == 100_000 for j in jobs)
    jobs, protocols = gs01.jobs_for("tiny", "anbncn", "peephole,vanilla", trials=3, n_max=50, train_max=5,
                                    optimizer="momentum", lr=1e-4)
    assert [j.name for j in jobs] == ["anbncn/peephole", "anbncn/vanilla"]
    p = protocols["anbncn"]
    assert (p.n_max, p.train_range, p.optimizer, p.lr) == (50, (1, 5), "momentum", 1e-4)
    for kwargs, message in [({"scale": "huge"}, "unknown scale"), ({"languages": "dyck"}, "unknown language"),
                            ({"architectures": "gru"}, "unknown architecture"), ({"trials": 0}, "trials"),
                            ({"budget": 1.5}, "budget"), ({"optimizer": "rmsprop"}, "unknown optimizer"),
                            ({"lr": -1.0}, "lr"), ({"n_max": 5}, "n_max"), ({"seed": "0"}, "seed"),
                            ({"greff_variants": "yes"}, "greff_variants must be True or False"),
                            ({"learning_rules": 1}, "learning_rules must be True or False")]:
        with pytest.raises(ValueError, match=message):
            gs01.jobs_for(**kwargs)


def test_run_job_is_deterministic_and_its_record_rebuilds_the_networks():
    p = gs01.PROTOCOLS["anbn"].replace(n_max=40)
    job = gs01.LanguageJob(p, "peephole", 3, 3000, seed=5)
    r1, r2 = gs01.run_job(job), gs01.run_job(job)
    for t1, t2 in zip(r1["trials"], r2["trials"]):
        assert t1["weights"] == t2["weights"] and t1["up_to"] == t2["up_to"] and t1["sequences"] == t2["sequences"]
    nets = gs01.networks_from_record(p, r1)
    scan = langs.generalisation(nets, p.language, p.n_max)
    assert scan["up_to"].tolist() == [t["up_to"] for t in r1["trials"]]
    np.testing.assert_array_equal(langs.training_set_accepted(nets, p.language, p.train_range),
                                  [t["train_accepted"] for t in r1["trials"]])
    one = gs01.network_from_record(p, r1, 2)
    x, _, lengths = p.language.encode(np.arange(1, 6))
    np.testing.assert_array_equal(one.forward(x, lengths)[0], nets.forward(x, lengths)[2])
    for t in r1["trials"]:
        if t["sequences"] is not None:
            assert t["sequences"] % p.check_every == 0 and t["up_to_at_solution"] >= p.train_range[1]


def test_run_jobs_runs_language_jobs_the_same_on_one_or_two_workers():
    p = gs01.PROTOCOLS["anbn"].replace(n_max=30)
    jobs = [gs01.LanguageJob(p, a, 2, 1000) for a in ("vanilla", "rnn")]
    one, two = run_jobs(jobs, workers=1, progress=None), run_jobs(jobs, workers=2, progress=None)
    assert [r["job"] for r in one] == ["anbn/vanilla", "anbn/rnn"]
    for a, b in zip(one, two):
        assert [t["weights"] for t in a["trials"]] == [t["weights"] for t in b["trials"]]


def test_a_diverging_trial_is_reported():
    p = gs01.PROTOCOLS["anbn"].replace(n_max=20, optimizer="sgd", lr=1e300, check_every=100)
    r = gs01.run_job(gs01.LanguageJob(p, "vanilla", 2, 300))
    assert {t["status"] for t in r["trials"]} == {"diverged"}
    assert all(t["up_to"] == 0 for t in r["trials"])


def test_jobs_for_adds_the_greff_variants_and_learning_rules_on_anbn():
    jobs, protocols = gs01.jobs_for("tiny", architectures="peephole", trials=3, budget=500, seed=4,
                                    greff_variants=True, learning_rules=True)
    assert [j.name for j in jobs[:2]] == ["anbn/peephole", "anbncn/peephole"] and list(protocols) == ["anbn", "anbncn"]
    greff, rules = [j for j in jobs if j.part == "greff"], [j for j in jobs if j.part == "rules"]
    assert [j.arch for j in greff] == list(gs01.GREFF_VARIANTS) and all(j.protocol is protocols["anbn"] for j in greff)
    assert [j.protocol.key for j in rules] == list(gs01.learning_rule_variants(protocols["anbn"]))
    assert {j.arch for j in rules} == {"peephole"} and len(jobs) == 2 + len(greff) + len(rules)
    assert {(j.trials, j.budget, j.seed) for j in jobs} == {(3, 500, 4)}
    assert all(r.protocol.n_max == 60 for r in rules)  # the variants keep the run's changes
    # the extras are run on aⁿbⁿ only; their seeds depend on their names, not on the part
    assert gs01.jobs_for("tiny", "anbncn", greff_variants=True, learning_rules=True)[0] == \
        gs01.jobs_for("tiny", "anbncn")[0]
    v = next(j for j in greff if j.arch == "greff_v")
    assert v.seeds() == gs01.LanguageJob(protocols["anbn"], "greff_v", 3, 500, 4).seeds()
    with pytest.raises(ValueError, match="unknown part"):
        gs01.LanguageJob(protocols["anbn"], "peephole", 1, 1, part="extra").check()
