"""Data-parallel training on PyTorch's own engine (``torchrun``): process group set-up and rank facts.

Under ``torchrun --nproc-per-node N -m lstmkit ...`` every process runs the same command;
:func:`init_from_env` joins them into one group (gloo on CPU, nccl on GPU). The trainer then
splits each global batch across ranks and averages gradients with DistributedDataParallel;
only rank 0 writes files and shows progress.
"""

from __future__ import annotations

import atexit
import gc
import os

import torch
import torch.distributed as dist


def world() -> tuple[int, int]:
    """``(rank, world_size)`` of this process; ``(0, 1)`` outside a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process() -> bool:
    """True on rank 0, or when not distributed: the one process that writes files."""
    return world()[0] == 0


def init_from_env(device: torch.device | None = None) -> bool:
    """Join the process group ``torchrun`` describes in the environment; False when run alone."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if not dist.is_initialized():
        use_nccl = device is not None and device.type == "cuda"
        if use_nccl:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if use_nccl else "gloo")
        atexit.register(shutdown)  # a group left to the interpreter's exit can abort a rank (gloo's threads)
    return True


def shutdown() -> None:
    """Leave the process group, if any, once every rank is done with it (a rank that tears its side down while
    another still talks to it can die with "terminate called without an active exception")."""
    if dist.is_available() and dist.is_initialized():
        gc.collect()  # DistributedDataParallel wrappers left in reference cycles go while their group lives
        dist.barrier()
        dist.destroy_process_group()


def local_rows(index: torch.Tensor) -> tuple[torch.Tensor, float]:
    """This rank's share of a global batch and the factor that makes averaged gradients exact.

    Each rank's loss is a mean over its own rows; DDP averages gradients over ranks. Scaling the
    local loss by ``local_rows * world / global_rows`` makes that average the gradient of the
    mean over the whole global batch, even when the batch does not split evenly. A rank left
    without rows reuses one row with weight 0, so every rank takes the same steps.
    """
    rank, size = world()
    if size == 1:
        return index, 1.0
    mine = index.tensor_split(size)[rank]
    if len(mine) == 0:
        return index[:1], 0.0
    return mine, len(mine) * size / len(index)
