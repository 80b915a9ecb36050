"""How a network is computed: the compiled engine (numba kernels, the fast default), the torch engine
(autograd reference, CUDA-capable) and the online RTRL learner.  Importing this package registers the
first two with :class:`lstmlib.Network` (``engine="numba"`` / ``engine="torch"``); torch itself is
imported only when the torch engine is first used."""

from ..model.network import register_engine
from . import compiled


def _numba(layout, params, output, loss, batch, *, need_grad, gradient, record, trace, device):
    if device != "cpu":
        raise ValueError(f"the compiled engine runs on the CPU only, got device={device!r}")
    return compiled.run(layout, params, output, loss, batch, need_grad=need_grad, gradient=gradient,
                        record=record, trace=trace)


def _torch(layout, params, output, loss, batch, *, need_grad, gradient, record, trace, device):
    from . import torch_engine  # torch loads only when asked for
    if trace:
        raise ValueError("traces come from the compiled engine (engine='numba')")
    return torch_engine.run(layout, params, output, batch.x, batch.lengths, batch.target, batch.weights, loss,
                            gradient if need_grad else None, device=device)


register_engine("numba", _numba)
register_engine("torch", _torch)
