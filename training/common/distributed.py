"""Generic torch.distributed helpers for data-parallel training.

:func:`init_distributed` sets up the process group under torchrun (gloo on CPU, NCCL with
CUDA); :func:`rank_and_world` is ``(rank, world_size)``; :func:`gather_with_grad` all-gathers
rows of unequal counts with gradients (:class:`_GatherWithGrad`), so every rank can compute a
loss on the whole global batch; :class:`GlobalBatchNorm2d` and :func:`convert_global_batchnorm` give
BatchNorm global-batch statistics on CPU, where torch's ``SyncBatchNorm`` refuses CPU tensors.
"""

from __future__ import annotations

import torch
from torch import distributed as dist
from torch import nn


def init_distributed() -> tuple[int, int]:
    """Initialise the default process group when launched by torchrun (``WORLD_SIZE`` > 1).

    gloo on CPU, NCCL when CUDA is available. Returns ``(rank, world_size)``; (0, 1) when not
    distributed.
    """
    import os

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend)
    return dist.get_rank(), dist.get_world_size()


def rank_and_world() -> tuple[int, int]:
    """``(rank, world_size)`` of the default process group; (0, 1) outside one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class _GatherWithGrad(torch.autograd.Function):
    """All-gather rows of unequal counts; the backward sums the gradient over ranks and
    returns this rank's rows (every rank computes the same loss on the gathered batch, and
    DDP then averages: the result is the one-process gradient)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, counts: list[int], group: object) -> torch.Tensor:
        ctx.counts, ctx.group = counts, group
        rank = dist.get_rank(group)
        pad = max(counts)
        padded = x.new_zeros((pad, *x.shape[1:]))
        padded[: len(x)] = x
        parts = [torch.empty_like(padded) for _ in counts]
        dist.all_gather(parts, padded.contiguous(), group=group)
        parts[rank] = x  # bitwise the same; keeps the local rows' values exact
        return torch.cat([p[:c] for p, c in zip(parts, counts, strict=True)])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, group=ctx.group)
        rank = dist.get_rank(ctx.group)
        start = sum(ctx.counts[:rank])
        return grad[start : start + ctx.counts[rank]], None, None


def gather_with_grad(x: torch.Tensor, counts: list[int], group: object) -> torch.Tensor:
    """All-gather ``x`` (this rank's ``counts[rank]`` rows) into the whole batch, with
    gradients flowing back to this rank's rows (see :class:`_GatherWithGrad`)."""
    return _GatherWithGrad.apply(x, counts, group)


class _AllReduceSum(torch.autograd.Function):
    """Differentiable sum over ranks (its adjoint is again a sum over ranks)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, group: object) -> torch.Tensor:
        ctx.group = group
        x = x.clone()
        dist.all_reduce(x, group=group)
        return x

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, group=ctx.group)
        return grad, None


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics cover the whole global batch of all ranks.

    For CPU (gloo) runs, where ``nn.SyncBatchNorm`` only accepts GPU tensors. Two-pass mean
    and variance through differentiable all-reduces; same state_dict keys as BatchNorm2d, and
    plain BatchNorm in eval mode or outside a process group.
    """

    group: object = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise with the global batch statistics (training) or running ones (eval)."""
        if not self.training or not dist.is_initialized():
            return super().forward(x)
        group = self.group or dist.group.WORLD
        c = x.shape[1]
        count = torch.tensor([x.numel() / c], dtype=x.dtype, device=x.device)
        s = _AllReduceSum.apply(torch.cat([x.sum(dim=(0, 2, 3)), count]), group)
        n = s[c]
        mean = s[:c] / n
        sq = _AllReduceSum.apply(((x - mean[None, :, None, None]) ** 2).sum(dim=(0, 2, 3)),
                                 group)
        var = sq / n
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                m = self.momentum if self.momentum is not None else \
                    1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                self.running_var.mul_(1 - m).add_(var.detach() * n / (n - 1), alpha=m)
        y = (x - mean[None, :, None, None]) * torch.rsqrt(var + self.eps)[None, :, None, None]
        if self.affine:
            y = y * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        return y


def convert_global_batchnorm(module: nn.Module, group: object = None) -> nn.Module:
    """Replace every BatchNorm2d of ``module`` by a :class:`GlobalBatchNorm2d` (in place),
    keeping parameters and running statistics."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d) and not isinstance(child, GlobalBatchNorm2d):
            new = GlobalBatchNorm2d(child.num_features, child.eps, child.momentum, child.affine,
                                    child.track_running_stats)
            new.load_state_dict(child.state_dict())
            new.train(child.training)
            new.group = group
            setattr(module, name, new)
        else:
            convert_global_batchnorm(child, group)
    return module
