"""Checkpoints inside train(): a run stopped at any chunk and resumed ends exactly as an unstopped run."""

import numpy as np
import pytest

from lstmlib import build
from lstmlib.tasks.recall import Adding1997
from lstmlib.training import SGD, FlatCurveRule, RandomTestSetRule, RecentSequencesRule, train
from lstmlib.training import checkpoints
from lstmlib.training.trainer import format_duration


class Stopped(Exception):
    pass


class Interrupt:
    """An after_chunk callback that stops the run after ``at`` chunks, as a kill would."""

    def __init__(self, at):
        self.at, self.chunks = at, 0

    def __call__(self, net):
        self.chunks += 1
        if self.chunks == self.at:
            raise Stopped


def _setup(rule_kind):
    task = Adding1997(20)
    net = build("vanilla", task.n_inputs, task.n_outputs, 2, 2, trials=3, seed=4, output="linear",
                input_gate_bias=(-3.0, -6.0))
    if rule_kind == "recent":
        rule = RecentSequencesRule(100, 0.48, None)  # lax, so that trials stop at different chunks
    else:
        rule = RandomTestSetRule(net, task, n=30, max_wrong=3, seed=9)
    return task, net, rule


def _run(net, task, rule, flat, **kw):
    return train(net, task.sampler(3), SGD(0.5), sequences=1500, chunk=100, stop=rule, flat=flat,
                 tolerance=task.tolerance, seed=7, **kw)


def _same(h1, h2, n1, n2):
    assert h1.status == h2.status
    assert np.array_equal(h1.sequences_seen, h2.sequences_seen)
    assert np.array_equal(h1.criterion_met_at, h2.criterion_met_at)
    for a, b in zip(h1.curve_arrays(), h2.curve_arrays()):
        np.testing.assert_array_equal(a, b)
    for name in n1.params:
        np.testing.assert_array_equal(n1.params[name], n2.params[name])


@pytest.mark.parametrize("rule_kind", ["recent", "test"])
@pytest.mark.parametrize("stop_after", [1, 4, 9])
def test_a_run_stopped_after_any_chunk_resumes_to_the_unstopped_result(tmp_path, rule_kind, stop_after):
    task, net, rule = _setup(rule_kind)
    flat = FlatCurveRule(1000, task.tolerance)
    whole = _run(net, task, rule, flat)
    if rule_kind == "recent":  # two trials solve at different chunks, one stops flat
        assert whole.status == ["solved", "solved", "flat"]

    task, net2, rule2 = _setup(rule_kind)
    flat2 = FlatCurveRule(1000, task.tolerance)
    path = tmp_path / "run.ckpt"
    with pytest.raises(Stopped):
        _run(net2, task, rule2, flat2, after_chunk=Interrupt(stop_after), checkpoint=path, checkpoint_every=0)
    # saved after each chunk's callbacks: stopped in the first chunk, there is nothing to resume from
    assert path.exists() == (stop_after > 1) and not list(tmp_path.glob("*.part"))
    # a fresh process would build everything again: fresh net, fresh rules
    task, net3, rule3 = _setup(rule_kind)
    flat3 = FlatCurveRule(1000, task.tolerance)
    lines = []
    resumed = _run(net3, task, rule3, flat3, checkpoint=path, checkpoint_every=0, progress=lines.append)
    said = f"resumed from a checkpoint at {100 * (stop_after - 1):,} sequences/trial"
    assert (lines[:1] == [said]) == (stop_after > 1)
    _same(whole, resumed, net, net3)
    if rule_kind == "test":
        np.testing.assert_array_equal(rule.wrong_ok_at, rule3.wrong_ok_at)
        assert rule3.net is net3  # the rule watches the live network, not a copy from the file
    # a finished call's checkpoint is its final state: calling again trains nothing more
    task, net4, rule4 = _setup(rule_kind)
    again = _run(net4, task, rule4, FlatCurveRule(1000, task.tolerance), checkpoint=path)
    _same(whole, again, net, net4)


def test_a_checkpoint_of_another_call_is_ignored(tmp_path):
    task, net, rule = _setup("recent")
    path = tmp_path / "run.ckpt"
    _run(net, task, rule, None, checkpoint=path)
    task, net2, rule2 = _setup("recent")
    other = train(net2, task.sampler(3), SGD(0.5), sequences=300, chunk=100, stop=rule2, tolerance=task.tolerance,
                  seed=8, checkpoint=path)  # another seed: another fingerprint, so it starts afresh
    task, net3, rule3 = _setup("recent")
    fresh = train(net3, task.sampler(3), SGD(0.5), sequences=300, chunk=100, stop=rule3, tolerance=task.tolerance,
                  seed=8)
    _same(other, fresh, net2, net3)


def test_the_context_numbers_train_calls_and_skips_rules_it_cannot_keep(tmp_path):
    task, net, rule = _setup("recent")
    with checkpoints.checkpointing(tmp_path / "job", every=0) as folder:
        _run(net, task, rule, None)
        seen = []
        _run(net, task, RecentSequencesRule(150, task.tolerance, 0.01), None, after_chunk=lambda n: seen.append(1))
        _run(net, task, RecentSequencesRule(150, task.tolerance, 0.01), None)
    assert sorted(p.name for p in folder.iterdir()) == ["train-0.ckpt", "train-2.ckpt"]  # call 1: a closure
    assert seen
    assert checkpoints.claim() is None  # outside the context


def test_bad_checkpoint_arguments_are_refused_before_training(tmp_path):
    task, net, rule = _setup("recent")
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError, match="picklable"):
        _run(net, task, rule, None, after_chunk=lambda n: None, checkpoint=tmp_path / "x.ckpt")
    with pytest.raises(ValueError, match="does not exist"):
        _run(net, task, rule, None, checkpoint=tmp_path / "missing" / "x.ckpt")
    with pytest.raises(ValueError, match="checkpoint_every"):
        _run(net, task, rule, None, checkpoint=tmp_path / "x.ckpt", checkpoint_every=-1)
    with pytest.raises(ValueError, match="every"):
        with checkpoints.checkpointing(tmp_path, every="often"):
            pass
    for k in before:
        np.testing.assert_array_equal(before[k], net.params[k])


def test_progress_says_how_long_at_most_is_left():
    task, net, rule = _setup("recent")
    lines = []
    _run(net, task, rule, None, progress=lines.append, progress_every=0)
    assert lines and all("left" in line for line in lines)
    assert format_duration(42) == "42 s" and format_duration(780) == "13 min" and format_duration(8640) == "2.4 h"
    assert format_duration(float("nan")) == "?"
