"""Run by tests/train/test_distributed.py under `torchrun --nproc_per_node 2` (and imported by it for
the single-process reference). Not a test file itself.

    torchrun --standalone --nproc_per_node 2 tests/train/ddp_script.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

from nbcourse.models import MLP
from nbcourse.train import Trainer
from nbcourse.train.distributed import cleanup

EPOCHS, BATCH_SIZE = 3, 16


def data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(101 + 40, 6, generator=g)  # 101 training samples: the last batch (5) splits 3 + 2
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    return (X[:101], y[:101]), (X[101:], y[101:])


def run(out: Path | None = None):
    train, val = data()
    model = MLP(6, (16,), 3, seed=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, device="cpu", seed=3, metrics="accuracy")
    history = trainer.fit(train, val, epochs=EPOCHS, batch_size=BATCH_SIZE, val_batch_size=7, eval_train=True)
    if out is not None:
        written = trainer.checkpoint(out / "checkpoint.pt")  # rank 0 only
        torch.save({"rank": trainer.rank, "world_size": trainer.world_size, "history": history.to_dict(),
                    "state": model.state_dict(), "wrote_checkpoint": written is not None},
                   out / f"rank{trainer.rank}.pt")
    return trainer, history


if __name__ == "__main__":
    run(Path(sys.argv[1]))
    cleanup()
