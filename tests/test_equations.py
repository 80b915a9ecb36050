"""The written-once equations: the squashing policies against the compiled kernels, and the unit-by-unit
reference :func:`lstmlib.model.equations.forward` and :func:`~lstmlib.model.equations.backward` against both
engines (forward, exact and truncated gradients), with the labelled lines the equations chapter shows."""

import numpy as np
import pytest
import torch

import lstmlib
from lstmlib.engines import kernels, torch_engine
from lstmlib.model.equations import forward
from lstmlib.model.layout import GATE_ROWS, OUTPUT_ACTIVATIONS, OUTPUT_SOURCES
from lstmlib.model.spec import ARCHITECTURES, SQUASHES, ArchSpec

# The kernel functions are being renamed to public names; accept either spelling.
squash_row = getattr(kernels, "squash_row", None) or kernels._squash_row
squash_deriv_row = getattr(kernels, "squash_deriv_row", None) or kernels._squash_deriv_row

X = np.concatenate([np.linspace(-8.0, 8.0, 161), [-30.0, -1e-3, 1e-3, 30.0]])  # sample points


def kernel_squash(name, x):
    """The compiled kernel's squash of ``x`` and its derivative from the output, by the kernel's code."""
    code, L = kernels.SQUASH_CODES[name], x.size
    y = np.zeros((1, 1, L))
    squash_row(code, x.reshape(1, 1, L).copy(), 0, 0, y, 0, 0, L, np.float64)
    dy = np.zeros(L)
    squash_deriv_row(code, y, 0, 0, dy, L, np.float64)
    return y[0, 0], dy


def test_the_kernels_know_every_squash_by_name():
    assert set(kernels.SQUASH_CODES) == set(SQUASHES)
    for name in SQUASHES:  # the spec's validation goes by the same names
        assert ArchSpec("x", cell_input=name, cell_output=name).cell_input == name
    with pytest.raises(ValueError, match="valid choices"):
        ArchSpec("x", cell_input="relu")


@pytest.mark.parametrize("name", sorted(SQUASHES))
def test_squash_policy_matches_the_compiled_kernel(name):
    policy = SQUASHES[name]
    y_kernel, dy_kernel = kernel_squash(name, X)
    y = policy.fn(X)
    np.testing.assert_allclose(y, y_kernel, rtol=0, atol=1e-15)  # the kernel's exp is within ~1 ulp of libm's
    np.testing.assert_allclose(policy.deriv(y_kernel), dy_kernel, rtol=0, atol=1e-15)
    np.testing.assert_allclose(policy.deriv(y), dy_kernel, rtol=0, atol=1e-14)


@pytest.mark.parametrize("name", sorted(SQUASHES))
def test_squash_derivative_from_the_output_matches_finite_differences(name):
    policy, h = SQUASHES[name], 1e-5
    x = np.linspace(-6.0, 6.0, 121)
    numeric = (policy.fn(x + h) - policy.fn(x - h)) / (2 * h)
    np.testing.assert_allclose(policy.deriv(policy.fn(x)), numeric, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", sorted(SQUASHES))
def test_squash_stays_in_its_range_and_works_on_torch_tensors(name):
    policy = SQUASHES[name]
    lo, hi = policy.range
    y = policy.fn(X)
    assert np.all((lo <= y) & (y <= hi))
    if np.isfinite(lo):  # a squash reaches both ends of its range
        assert y.min() < lo + 1e-9 and y.max() > hi - 1e-9
    t = torch.tensor(X, requires_grad=True)
    yt = policy.fn(t)
    assert torch.is_tensor(yt)
    np.testing.assert_allclose(yt.detach().numpy(), y, rtol=0, atol=1e-15)
    (dx,) = torch.autograd.grad(yt.sum(), t)
    np.testing.assert_allclose(dx.numpy(), policy.deriv(y), rtol=1e-12, atol=1e-15)


def cases():
    """Every preset, each also with peepholes where it has gates and lacks them, every output
    activation and both output-layer sources."""
    for name, spec in sorted(ARCHITECTURES.items()):
        for peepholes in sorted({spec.peepholes, spec.has_gates}):
            for output in OUTPUT_ACTIVATIONS:
                for output_from in OUTPUT_SOURCES:
                    yield pytest.param(name, peepholes, output, output_from,
                                       id=f"{name}-{'peep' if peepholes else 'nopeep'}-{output}-{output_from}")


def reference_network(name, peepholes, output, output_from):
    cells = 1 if name == "rnn" else 2
    net = lstmlib.build(name, 2, 3, 2, cells, trials=2, output=output, output_from=output_from, init_range=0.5,
                        seed=4, peepholes=peepholes)
    for n in ("hidden", "peephole"):  # make every free weight matter (biases, peepholes ...)
        net.params[n] += 0.3 * net.layout.masks()[n]
    return net


@pytest.mark.parametrize("name,peepholes,output,output_from", cases())
def test_reference_equations_match_both_engines(name, peepholes, output, output_from):
    net = reference_network(name, peepholes, output, output_from)
    rng = np.random.default_rng(5)
    K, B, T = 2, 3, 7
    x = rng.normal(size=(K, B, T, 2))
    lengths = rng.integers(1, T + 1, size=(K, B))
    lengths[0, 0] = T
    numba_trace = net.trace(x, lengths)
    engines = {"numba": net.forward(x, lengths), "torch": net.forward(x, lengths, engine="torch")}
    target = np.zeros((K, B, T, 3))
    torch_run = torch_engine.run(net.layout, net.params, output, x, lengths, target, np.ones((K, B, T)),
                                 net.loss, None)
    C = net.layout.n_cells
    gate_names = [g for g in GATE_ROWS if g in net.layout.rows]
    assert set(numba_trace) == {"outputs", "cell_input", "states", "cells", *gate_names}
    for k in range(K):
        for b in range(B):
            L = lengths[k, b]
            ref = forward(net.layout, {n: p[k] for n, p in net.params.items()}, x[k, b, :L], output)
            assert set(ref) == set(numba_trace)
            got = [(f"numba trace {key}", key, numba_trace[key][k, b]) for key in ref]
            got += [(f"{engine} forward", "outputs", outputs[k, b]) for engine, outputs in engines.items()]
            got += [(f"torch run {key}", key, torch_run[key][k, b]) for key in ("outputs", "cells", "states")]
            got += [(f"torch run {g}", g, torch_run["gates"][k, b][:, rows.start - C:rows.stop - C])
                    for g, rows in net.layout.rows.items() if g != "cell"]  # gate units follow the C cell rows
            for what, key, values in got:
                np.testing.assert_allclose(values[:L], ref[key], rtol=0, atol=1e-12,
                                           err_msg=f"{what}, trial {k}, sequence {b}")
            for engine, outputs in engines.items():
                assert np.all(outputs[k, b, L:] == 0), engine


def test_reference_equations_in_words():
    """The fixed forget factors and absent gates of the spec, on one cell with hand-set weights."""
    net = lstmlib.build("cifg", 1, 1, 1, 1, init_range=0.0)
    net["cell.x"] = [[1.0]]
    x = np.array([[0.5], [-1.0], [2.0]])
    ref = forward(net.layout, {n: p[0] for n, p in net.params.items()}, x, "linear")
    i = ref["input_gate"][:, 0]
    np.testing.assert_allclose(i, 0.5)  # σ(0) with every gate weight 0
    s = np.zeros(4)
    for t in range(3):  # s = (1 - i) s(t-1) + i tanh(x)
        s[t + 1] = (1 - i[t]) * s[t] + i[t] * np.tanh(x[t, 0])
    np.testing.assert_allclose(ref["states"][:, 0], s[1:], rtol=1e-15)
    np.testing.assert_allclose(ref["cells"][:, 0], 0.5 * np.tanh(s[1:]), rtol=1e-15)
    assert "forget_gate" not in ref
    with pytest.raises(ValueError, match="output_activation"):
        forward(net.layout, {n: p[0] for n, p in net.params.items()}, x, "relu")


# ---------------------------------------------------------------- the reference backward pass

from lstmlib.model.equations import EQUATIONS, backward, equation_lines  # noqa: E402

LOSS_CASES = [("linear", "mse"), ("logistic", "mse"), ("softmax", "mse"), ("logistic", "ce"), ("softmax", "ce")]


def backward_cases():
    for name, spec in sorted(ARCHITECTURES.items()):
        for gradient in ("exact", "truncated") if spec.has_memory else ("exact",):
            for output, loss in LOSS_CASES:
                yield pytest.param(name, gradient, output, loss, id=f"{name}-{gradient}-{output}-{loss}")


@pytest.mark.parametrize("name,gradient,output,loss", backward_cases())
def test_reference_backward_matches_both_engines(name, gradient, output, loss):
    net = lstmlib.build(name, 2, 3, 2, 1 if name == "rnn" else 2, trials=2, output=output, loss=loss,
                        output_from="cells+inputs", init_range=0.5, seed=4)
    for n in ("hidden", "peephole"):  # make every free weight matter (biases, peepholes ...)
        net.params[n] += 0.3 * net.layout.masks()[n]
    rng = np.random.default_rng(1)
    B, T = 3, 6
    x = rng.normal(size=(B, T, 2))
    target = np.eye(3)[rng.integers(0, 3, size=(B, T))] if output == "softmax" else rng.uniform(size=(B, T, 3))
    weights = rng.uniform(0.5, 1.5, size=(B, T))
    for engine in ("numba", "torch"):
        losses, grads = net.loss_and_grad(x, target, loss_at=weights, gradient=gradient, engine=engine)
        for k in range(2):
            params = {n: p[k] for n, p in net.params.items()}
            refs = [backward(net.layout, params, x[b], target[b], weights[b], output, loss, gradient) for b in range(B)]
            assert np.isclose(sum(r["loss"] for r in refs) / B, losses[k], rtol=1e-13, atol=0)
            for n in grads:  # the engines' loss is the batch mean
                np.testing.assert_allclose(sum(r[n] for r in refs) / B, grads[n][k], rtol=0, atol=1e-12,
                                           err_msg=f"{engine} {n}, trial {k}")


def test_truncated_differs_from_exact_where_the_recurrence_matters():
    """The truncation is not a no-op: with recurrent weights and peepholes the two gradients differ,
    and they agree on the output weights of the last step's error alone."""
    net = lstmlib.build("peephole", 1, 1, 1, 1, init_range=0.5, seed=2)
    x, target = np.random.default_rng(0).normal(size=(5, 1)), np.ones((5, 1))
    params = {n: p[0] for n, p in net.params.items()}
    exact = backward(net.layout, params, x, target, gradient="exact")
    truncated = backward(net.layout, params, x, target, gradient="truncated")
    assert exact["loss"] == truncated["loss"]
    np.testing.assert_array_equal(exact["output"], truncated["output"])
    assert np.abs(exact["hidden"] - truncated["hidden"]).max() > 1e-4
    assert np.abs(exact["peephole"] - truncated["peephole"]).max() > 1e-4


def test_every_equation_maps_to_exactly_one_labelled_line():
    import inspect
    import re

    from lstmlib.model import equations
    source = inspect.getsource(equations)
    labels = re.findall(r"\S.*  # eq: ([a-z-]+)$", source, flags=re.MULTILINE)  # code lines ending in a label
    assert sorted(labels) == sorted(set(labels))  # each label once
    assert set(labels) == set(EQUATIONS)
    for label in EQUATIONS:
        lines = equation_lines(label)
        assert len(lines) == 1, label
        assert "# eq:" not in lines[0] and ("=" in lines[0]), label  # a whole statement, label removed
    assert equation_lines("cell-state") == ["s[c] = f * s_prev[c] + i * z[c]"]
    with pytest.raises(ValueError, match="label"):
        equation_lines("cell")


def test_reference_backward_checks_its_arguments():
    net = lstmlib.build("vanilla", 1, 1)
    params = {n: p[0] for n, p in net.params.items()}
    for bad, message in [({"gradient": "full"}, "gradient"), ({"loss": "l1"}, "loss"),
                         ({"output_activation": "relu"}, "output_activation")]:
        with pytest.raises(ValueError, match=message):
            backward(net.layout, params, np.zeros((2, 1)), np.zeros((2, 1)), **bad)
    for x, target, weights, message in [(np.zeros((2, 2)), np.zeros((2, 1)), None, "x must have shape"),
                                        (np.zeros((0, 1)), np.zeros((0, 1)), None, "x must have shape"),
                                        (np.zeros((2, 1)), np.zeros((3, 1)), None, "target must have shape"),
                                        (np.zeros((2, 1)), np.zeros((2, 1)), np.ones(3), "weights")]:
        with pytest.raises(ValueError, match=message):
            backward(net.layout, params, x, target, weights)
