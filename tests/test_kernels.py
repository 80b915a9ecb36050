"""The compiled kernels' codes and squash functions: the named constants are the codes of the name
dicts, every squash kind computes its function and derivative, and no configuration holds a code the
kernels do not know."""

import copy

import numpy as np
import pytest

import lstmlib
from lstmlib.engines import compiled, kernels
from lstmlib.model import layout, network, spec

CODE_TABLES = {
    "SQUASH_CODES": ({"tanh": "TANH", "logistic": "LOGISTIC", "logistic2": "LOGISTIC2", "logistic1": "LOGISTIC1",
                      "identity": "IDENTITY"}, spec.SQUASHES),
    "FORGET_CODES": ({"none": "FORGET_NONE", "gate": "FORGET_GATE", "coupled": "FORGET_COUPLED",
                      "zero": "FORGET_ZERO", "decay": "FORGET_DECAY"}, spec.FORGET_MODES),
    "OUTPUT_CODES": ({"linear": "OUT_LINEAR", "logistic": "OUT_LOGISTIC", "logistic2": "OUT_LOGISTIC2",
                      "softmax": "OUT_SOFTMAX"},
                     layout.OUTPUT_ACTIVATIONS),
    "LOSS_CODES": ({"mse": "LOSS_MSE", "ce": "LOSS_CE"}, network.LOSSES),
    "OPT_CODES": ({"none": "OPT_NONE", "sgd": "OPT_SGD", "momentum": "OPT_MOMENTUM", "adam": "OPT_ADAM"},
                  ["none", *lstmlib.OPTIMIZERS]),
}


@pytest.mark.parametrize("table", CODE_TABLES)
def test_named_constants_are_the_codes_of_the_name_dicts(table):
    """Each dict maps every name the model accepts to its constant, and the codes are 0, 1, ..."""
    constants, model_names = CODE_TABLES[table]
    codes = getattr(kernels, table)
    assert codes == {name: getattr(kernels, const) for name, const in constants.items()}
    assert sorted(codes.values()) == list(range(len(codes)))
    assert set(codes) == set(model_names)


def test_every_optimiser_has_a_code():
    for name, cls in lstmlib.OPTIMIZERS.items():
        assert cls.code == name and kernels.OPT_CODES[name] != kernels.OPT_NONE


def sigma(x):
    return 1.0 / (1.0 + np.exp(-x))


# squash(x) and squash'(x) in numpy, by name
NP_SQUASH = {
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "logistic": (sigma, lambda x: sigma(x) * (1.0 - sigma(x))),
    "logistic2": (lambda x: 4.0 * sigma(x) - 2.0, lambda x: 4.0 * sigma(x) * (1.0 - sigma(x))),
    "logistic1": (lambda x: 2.0 * sigma(x) - 1.0, lambda x: 2.0 * sigma(x) * (1.0 - sigma(x))),
    "identity": (lambda x: x, np.ones_like),
}
POINTS = np.r_[-60.0, -40.0, -25.0, np.linspace(-12.0, 12.0, 97), 1e-8, -3e-5, 25.0, 40.0, 60.0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(kernels.SQUASH_CODES))
def test_squash_rows_match_numpy(name, dtype):
    """squash_row and squash_deriv_row (from the output y) of each kind against numpy."""
    kind = kernels.SQUASH_CODES[name]
    f, df = NP_SQUASH[name]
    x = POINTS.astype(dtype)
    L = x.size
    src = x.reshape(1, 1, L).copy()
    y = np.full((2, 2, L), np.nan, dtype)
    kernels.squash_row(kind, src, 0, 0, y, 1, 0, L, dtype)
    d = np.full(L, np.nan, dtype)
    kernels.squash_deriv_row(kind, y, 1, 0, d, L, dtype)
    atol, rtol = (1e-15, 1e-14) if dtype == np.float64 else (2e-7, 2e-6)
    np.testing.assert_allclose(y[1, 0], f(POINTS), rtol=rtol, atol=atol)
    np.testing.assert_allclose(d, df(POINTS), rtol=rtol, atol=(40 if name == "logistic2" else 10) * atol)
    assert y.dtype == dtype and np.isnan(y[0]).all()  # one row written, in the network's dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exp_matches_numpy_where_the_logistic_functions_use_it(dtype):
    x = np.linspace(-40.0, 40.0, 801)
    got = np.array([kernels.exp(dtype(v), dtype) for v in x])
    np.testing.assert_allclose(got, np.exp(x.astype(dtype)), rtol=3 * np.finfo(dtype).eps)
    assert kernels.exp(dtype(100.0), dtype) == kernels.exp(dtype(40.0), dtype)  # clamped


def test_every_preset_configures_known_codes_only():
    for name in lstmlib.ARCHITECTURES:
        for output in layout.OUTPUT_ACTIVATIONS:
            net = lstmlib.build(name, 2, 2, 2, 1, output=output)
            for gradient in ("exact",) + (("truncated",) if net.spec.has_memory else ()):
                cfg = compiled.network_config(net, gradient)
                assert cfg[kernels.G_KIND] in kernels.SQUASH_CODES.values()
                assert cfg[kernels.H_KIND] in kernels.SQUASH_CODES.values()
                assert cfg[kernels.FORGET] in kernels.FORGET_CODES.values()
                assert cfg[kernels.OUT_KIND] == kernels.OUTPUT_CODES[output]
                assert cfg[kernels.LOSS_KIND] == kernels.LOSS_CODES[net.loss]
                assert cfg[kernels.TRUNC] == (gradient == "truncated")


@pytest.mark.parametrize("field,value", [("cell_input", "relu"), ("cell_output", "sin"), ("forget", "sometimes")])
def test_a_spec_with_an_unknown_name_builds_no_configuration(field, value):
    with pytest.raises(ValueError, match=field):
        spec.ArchSpec("bad", **{field: value})
    lay = copy.copy(lstmlib.build("peephole", 2, 1).layout)
    bad = copy.copy(lay.spec)
    object.__setattr__(bad, field, value)  # past the spec's own check: the engine still refuses it
    object.__setattr__(lay, "spec", bad)
    with pytest.raises(ValueError, match=f"compiled engine has no {field} {value!r}"):
        compiled.config(lay, "linear", "mse")


@pytest.mark.parametrize("kw", [dict(output="tanh"), dict(loss="hinge"), dict(gradient="approximate")])
def test_an_unknown_output_loss_or_gradient_builds_no_configuration(kw):
    args = dict(output="linear", loss="mse", gradient="exact") | kw
    with pytest.raises(ValueError, match="compiled engine has no"):
        compiled.config(lstmlib.build("peephole", 2, 1).layout, **args)
