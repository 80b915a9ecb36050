"""The torch engine's trainer against the compiled engine's: the same weights, losses, errors, steps and
statuses after the same updates (float64, CPU), for every architecture and optimiser; on CUDA too when
this machine has a GPU (skipped otherwise)."""

import numpy as np
import pytest
import torch

from lstmlib import build
from lstmlib.tasks.recall import Adding1997
from lstmlib.training import SGD, Adam, Momentum, RecentSequencesRule, Trainer, train
from lstmlib.training.torch_trainer import TorchTrainer, check_device

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _net(arch, trials=3, seed=1):
    task = Adding1997(20)
    kw = {} if arch == "rnn" else {"input_gate_bias": (-1.0, -2.0)}
    return task, build(arch, task.n_inputs, task.n_outputs, 4 if arch == "rnn" else 2, 1 if arch == "rnn" else 2,
                       trials=trials, seed=seed, output="linear", **kw)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("arch", ["rnn", "vanilla", "forget", "peephole"])
@pytest.mark.parametrize("opt", [SGD(0.5), Momentum(0.1, 0.9), Adam(0.01), SGD(0.5, clip_norm=0.05)],
                         ids=["sgd", "momentum", "adam", "sgd-clip"])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_the_torch_trainer_makes_the_compiled_engines_updates(device, arch, opt, batch_size):
    task, net_a = _net(arch)
    _, net_b = _net(arch)
    a, b = Trainer(net_a, opt, batch_size=batch_size), TorchTrainer(net_b, opt, batch_size=batch_size, device=device)
    rng = np.random.default_rng(3)
    for _ in range(3):  # three calls: the optimiser state carries over between them
        x, target, lengths, loss_at = task.sample(rng, 3, 8)
        la, ea = a.run(x, target, lengths, loss_at)
        lb, eb = b.run(x, target, lengths, loss_at)
        np.testing.assert_allclose(lb, la, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(eb, ea, rtol=1e-9, atol=1e-12)
    for name in net_a.params:
        np.testing.assert_allclose(net_b.params[name], net_a.params[name], rtol=1e-9, atol=1e-11, err_msg=name)
    assert np.array_equal(a.steps, b.steps) and np.array_equal(a.active, b.active)
    assert not np.allclose(net_a.params["output"], _net(arch)[1].params["output"])  # it did train


def test_a_diverging_trial_is_frozen_in_both_at_the_same_update():
    task, net_a = _net("vanilla")
    _, net_b = _net("vanilla")
    net_a.params["output"][1] *= 1e200  # trial 1 overflows at once
    net_b.params["output"][1] *= 1e200
    a, b = Trainer(net_a, SGD(1.0)), TorchTrainer(net_b, SGD(1.0))
    x, target, lengths, loss_at = task.sample(np.random.default_rng(0), 3, 4)
    with np.errstate(all="ignore"):
        a.run(x, target, lengths, loss_at)
        b.run(x, target, lengths, loss_at)
    assert list(a.active) == list(b.active) == [1, -1, 1] and np.array_equal(a.steps, b.steps)
    for name in net_a.params:
        np.testing.assert_allclose(net_b.params[name][[0, 2]], net_a.params[name][[0, 2]], rtol=1e-9, atol=1e-11)


def test_train_on_the_torch_engine_gives_the_compiled_engines_history():
    task, net_a = _net("vanilla")
    _, net_b = _net("vanilla")
    kw = dict(sequences=400, chunk=100, tolerance=task.tolerance, seed=5)
    ha = train(net_a, task.sampler(3), SGD(0.5), stop=RecentSequencesRule(50, 0.45, None), **kw)
    hb = train(net_b, task.sampler(3), SGD(0.5), stop=RecentSequencesRule(50, 0.45, None), engine="torch", **kw)
    assert ha.status == hb.status and np.array_equal(ha.sequences_seen, hb.sequences_seen)
    for ca, cb in zip(ha.curve_arrays(), hb.curve_arrays()):
        np.testing.assert_allclose(cb, ca, rtol=1e-8, atol=1e-12)


def test_bad_engine_device_and_unsupported_options_are_refused():
    task, net = _net("vanilla")
    with pytest.raises(ValueError, match="unknown engine"):
        train(net, task.sampler(3), SGD(0.5), sequences=10, engine="jax")
    with pytest.raises(ValueError, match="CPU only"):
        train(net, task.sampler(3), SGD(0.5), sequences=10, device="cuda")
    with pytest.raises(ValueError, match="no checkpoints"):
        train(net, task.sampler(3), SGD(0.5), sequences=10, engine="torch", checkpoint="/tmp/x.ckpt")
    with pytest.raises(ValueError, match="device must be"):
        check_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            check_device("cuda")
    x, target, lengths, loss_at = task.sample(np.random.default_rng(0), 3, 4)
    with pytest.raises(ValueError, match="compiled engine"):
        TorchTrainer(net, SGD(0.5)).run(x, target, lengths, loss_at, stop_at_error=0.3)
    with pytest.raises(ValueError, match="multiple of batch_size"):
        TorchTrainer(net, SGD(0.5), batch_size=3).run(x, target, lengths, loss_at)
