"""The trainer on the torch engine: K trials of one network trained at once on a torch device (``"cpu"``,
``"cuda"``), with the contract of :class:`lstmlib.Trainer` (``run(x, target, lengths, loss_at)`` returns
per-sequence loss and max error, before each update), so that :func:`lstmlib.train` can use either
(``engine="torch", device="cuda"``).

The compiled engine is the fast one on this project's CPUs; this one exists for many trials at once on a
GPU, where the trials are the parallel axis (every step is one batched matrix product over K x batch
lanes).  The weights, the optimiser's moments and the batch stay on the device during an update; the
arithmetic is the compiled engine's (the same optimiser formulas, divergence rule and per-trial
gradient-norm clipping), so on the CPU in float64 the two give the same weights up to rounding
(``tests/test_torch_trainer.py``).  Not supported here: training streams cut at their first error
(``stop_at_error``), which stays with the compiled engine.
"""

from __future__ import annotations

import numpy as np

from .optimisers import SGD, Adam, Momentum


def check_device(device) -> str:
    """``device`` must be a torch device name this machine has (``"cpu"``, ``"cuda"``, ``"cuda:1"``)."""
    import torch
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda', got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: this machine has no CUDA device (torch {torch.__version__})")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or a CUDA device, got {device!r}")
    return str(dev)


class TorchTrainer:
    """Applies an optimiser to a :class:`~lstmlib.Network` in place, one batch of sequences per update, on
    the torch engine and ``device``; ``active``, ``steps`` as for :class:`lstmlib.Trainer`."""

    def __init__(self, net, optimizer, gradient=None, batch_size=1, device="cpu"):
        import torch

        from ..engines import torch_engine as te
        if not isinstance(optimizer, (SGD, Momentum, Adam)):
            raise ValueError(f"optimizer must be SGD, Momentum or Adam (lstmlib.SGD(...), ...), got {optimizer!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.torch, self.te = torch, te
        self.net, self.optimizer, self.batch_size = net, optimizer, int(batch_size)
        self.gradient = net.gradient_mode(gradient)
        self.device = torch.device(check_device(device))
        self.dtype = torch.float64 if net.dtype == np.float64 else torch.float32
        masks = net.layout.masks()
        self.masks = {n: self._t(masks[n]) for n in te.PARAMS}
        self.weights = {n: self._t(net.params[n]) for n in te.PARAMS}
        self.moments = {n: (torch.zeros_like(w), torch.zeros_like(w)) for n, w in self.weights.items()}
        self.steps = np.zeros(net.trials, np.int64)
        self.active = np.ones(net.trials, np.int64)

    def _t(self, a):
        return self.torch.tensor(np.asarray(a), dtype=self.dtype, device=self.device)

    def run(self, x, target, lengths=None, loss_at="end", stop_at_error=None):
        """Train on ``n`` sequences per trial, ``n / batch_size`` updates in order (as
        :meth:`lstmlib.Trainer.run`)."""
        if stop_at_error is not None:
            raise ValueError("stop_at_error (streams cut at their first error) needs the compiled engine")
        torch, net, B = self.torch, self.net, self.batch_size
        b = net.batch(x, target, lengths, loss_at)
        K, n, T, _ = b.x.shape
        if n % B:
            raise ValueError(f"the number of sequences per trial ({n}) must be a multiple of batch_size ({B})")
        loss_out, err_out = np.full((K, n), np.nan), np.full((K, n), np.nan)
        live_at_start = self.active == 1
        xs, ys, ws = self._t(b.x), self._t(b.target), self._t(b.weights)
        lens = torch.as_tensor(np.asarray(b.lengths), device=self.device)
        for u in range(n // B):
            if not np.any(self.active == 1):
                break
            sl = slice(u * B, (u + 1) * B)
            trained = self.active == 1
            loss, err = self._update(xs[:, sl], lens[:, sl], ys[:, sl], ws[:, sl])
            loss_out[trained, sl] = loss[trained]
            err_out[trained, sl] = err[trained]
        for name in self.te.PARAMS:
            net.params[name][...] = self.weights[name].cpu().numpy()
        loss_out[~live_at_start] = np.nan
        err_out[~live_at_start] = np.nan
        return loss_out, err_out

    def _update(self, x, lengths, target, weights):
        """One update of every active trial on one batch; returns its per-sequence loss and max error."""
        torch, te, net = self.torch, self.te, self.net
        leaves = {name: w.clone().requires_grad_(True) for name, w in self.weights.items()}
        valid, out, _, per_step, trial_loss, *_ = te.forward_loss(
            net.layout, leaves, self.masks, net.output, x, lengths, target, weights, net.loss, self.gradient)
        grads = torch.autograd.grad(trial_loss.sum(), [leaves[n] for n in te.PARAMS], allow_unused=True,
                                    materialize_grads=True)
        grads = {name: g.detach() * self.masks[name] for name, g in zip(te.PARAMS, grads)}
        seq_loss = per_step.detach().sum(-1)  # [K, B]: Σ_t w ℓ per sequence
        carries = valid & (weights > 0)
        diff = (out.detach() - target).abs().amax(-1)  # [K, B, T]
        seq_err = torch.where(carries, diff, torch.zeros_like(diff)).amax(-1)
        seq_err = torch.where(torch.isnan(diff).any(-1) & carries.any(-1), float("nan"), seq_err)
        loss_np, err_np = seq_loss.cpu().numpy(), seq_err.cpu().numpy()
        # the compiled engine's rule: a trial whose loss or hidden-weight gradient is not finite diverges
        finite = np.isfinite(loss_np).all(1) & torch.isfinite(grads["hidden"]).flatten(1).all(1).cpu().numpy()
        self.active[(self.active == 1) & ~finite] = -1
        act = self.active == 1
        self.steps[act] += 1
        if not act.any():
            return loss_np, err_np
        self._step(grads, torch.as_tensor(act, device=self.device))
        return loss_np, err_np

    def _step(self, grads, act):
        """The optimiser step of :func:`lstmlib.engines.kernels.opt_step` on every active trial."""
        torch, opt = self.torch, self.optimizer
        shape = lambda w: (-1,) + (1,) * (w.dim() - 1)  # noqa: E731  a per-trial factor against [K, ...]
        if opt.clip_norm is not None:
            norm = torch.sqrt(sum((g * g).flatten(1).sum(1) for g in grads.values()))
            scale = torch.where(norm > opt.clip_norm, opt.clip_norm / norm, torch.ones_like(norm))
            grads = {name: g * scale.view(shape(g)) for name, g in grads.items()}
        step = torch.as_tensor(self.steps, dtype=self.dtype, device=self.device)
        for name, w in self.weights.items():
            g, (m, v), on = grads[name], self.moments[name], act.view(shape(w)) & (self.masks[name] != 0)
            if isinstance(opt, SGD):
                d = opt.lr * g
            elif isinstance(opt, Momentum):
                m_new = opt.momentum * m - opt.lr * g
                d = -m_new
                m.copy_(torch.where(on, m_new, m))
            else:
                m_new = opt.beta1 * m + (1.0 - opt.beta1) * g
                v_new = opt.beta2 * v + (1.0 - opt.beta2) * g * g
                c1 = (1.0 - opt.beta1 ** step).view(shape(w))
                c2 = (1.0 - opt.beta2 ** step).view(shape(w))
                d = opt.lr * (m_new / c1) / (torch.sqrt(v_new / c2) + opt.eps)
                m.copy_(torch.where(on, m_new, m))
                v.copy_(torch.where(on, v_new, v))
            w.copy_(torch.where(on, w - d, w))
