"""Training on several processes with PyTorch's own engine: ``torchrun`` + DistributedDataParallel.

Nothing changes in the notebook or script: launching it with ::

    torchrun --standalone --nproc_per_node 2 train.py

sets the environment variables ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` in each process, and
:class:`~nbcourse.train.Trainer` then

* joins the process group (``nccl`` on CUDA GPUs, ``gloo`` on the CPU),
* wraps the model in :class:`torch.nn.parallel.DistributedDataParallel` (gradients are averaged
  across processes during ``backward``),
* draws the same seeded permutation in every process and gives each its share of every global
  batch (``batch_size`` stays the *global* batch size, so the run matches one process),
* averages the recorded losses and metrics across processes,
* prints, plots and writes checkpoints from rank 0 only.

The process group is left open after ``fit`` so later calls reuse it; a script may call
:func:`cleanup` at its end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["Distributed", "env_world_size", "cleanup"]


def env_world_size() -> int:
    """``WORLD_SIZE`` from the environment (1 when not launched by torchrun)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def cleanup() -> None:
    """Close the default process group if one is open (call it at the end of a torchrun script)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


@dataclass
class Distributed:
    """Who this process is in a distributed run. ``world_size == 1`` means a plain single process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the process that prints, plots and writes files."""
        return self.rank == 0

    @classmethod
    def from_env(cls, mode: bool | str = "auto") -> "Distributed":
        """Read torchrun's variables. ``mode``: ``"auto"`` (use them when present), ``False`` (ignore them)."""
        if mode not in ("auto", True, False):
            raise ValueError(f"Trainer: argument 'distributed' got {mode!r}, expected 'auto', True or False")
        world = env_world_size()
        if mode is False or world <= 1:
            if mode is True:
                raise ValueError(
                    "Trainer: distributed=True but WORLD_SIZE is not set above 1; launch the script with "
                    "`torchrun --nproc_per_node N script.py` or leave distributed='auto'"
                )
            return cls()
        if not dist.is_available():
            raise RuntimeError("Trainer: launched by torchrun, but this PyTorch build has no torch.distributed")
        return cls(rank=int(os.environ.get("RANK", "0")), world_size=world,
                   local_rank=int(os.environ.get("LOCAL_RANK", "0")))

    def setup(self, device: torch.device) -> None:
        """Join the default process group (once per process)."""
        if not self.enabled or dist.is_initialized():
            return
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend, rank=self.rank, world_size=self.world_size)

    def wrap(self, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """The model as DistributedDataParallel (or unchanged on one process)."""
        if not self.enabled:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over processes, in place; returns it."""
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def broadcast_int(self, value: int, device: torch.device) -> int:
        """Rank 0's ``value`` on every process."""
        if not self.enabled:
            return value
        t = torch.tensor([value], dtype=torch.int64, device=device if device.type == "cuda" else "cpu")
        dist.broadcast(t, src=0)
        return int(t.item())

    def shard(self, start: int, stop: int) -> slice:
        """This process's share of the global batch ``[start, stop)``: every ``world_size``-th sample."""
        return slice(start + self.rank, stop, self.world_size)
