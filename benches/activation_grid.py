"""All twelve activations of nbcourse.activations trained in the same network, same data, same budget.

Regenerates the precompute that the book page *Comparing activations* reads::

    python benches/activation_grid.py                 # 12 activations x 3 seeds, about 5 minutes on 2 cores
    python benches/activation_grid.py --seeds 0 1 2 3 4 --out /tmp/grid.json

The network: an MLP 64 -> 64 -> 64 -> 64 -> 10 on the 8x8 digits, PyTorch's default initialisation for
every activation (the same network; no activation gets its own initialisation), Adam with lr 3e-3,
batch size 32, 10 epochs, one thread. Recorded per run, at the end of training, on the training set:

- ``val_acc``: validation accuracy;
- ``dead``: share of hidden units whose pre-activation is <= 0 on every training image;
- ``flat``: share of (image, unit) pairs where the activation's slope |f'(z)| is below 5% of its largest
  slope on [-5, 5] (saturated or switched off: little or no gradient passes);
- ``time_ratio``: wall time of the run divided by the ReLU run's with the same seed (a ratio, as every
  benchmark here; the absolute time depends on the machine).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from nbcourse import activations as A
from nbcourse.data import load_digits
from nbcourse.models import MLP
from nbcourse.train import Trainer

OUT = Path(__file__).resolve().parent.parent / "nbcourse" / "data" / "activation_grid.json"
SETUP = {"hidden_sizes": [64, 64, 64], "init": "default", "optimizer": "adam", "lr": 3e-3, "epochs": 10,
         "batch_size": 32}


def _slope_stats(model, X, name):
    """Dead share (z <= 0 on every sample) and flat share (|f'| < 5% of max) over the hidden layers."""
    z_grid = torch.linspace(-5, 5, 2001, requires_grad=True)
    acts = [m for n, m in model.layers.named_children() if n.startswith("act")]
    fcs = [m for n, m in model.layers.named_children() if n.startswith("fc")]
    dead, flat, a = [], [], X
    for fc, act in zip(fcs, acts):
        z = fc(a).detach()
        g = torch.autograd.grad(act(z_grid).sum(), z_grid)[0].abs().max()
        zr = z.clone().requires_grad_(True)
        slope = torch.autograd.grad(act(zr).sum(), zr)[0].abs()  # elementwise activation: the diagonal
        dead.append((z <= 0).all(dim=0).float().mean().item())
        flat.append((slope < 0.05 * g).float().mean().item() if g > 0 else 1.0)
        a = act(z).detach()
    return float(np.mean(dead)), float(np.mean(flat))


def run(name, seed, data):
    (X, y), (X_val, y_val) = data
    model = MLP(64, tuple(SETUP["hidden_sizes"]), 10, activation=name, init=SETUP["init"], seed=seed)
    trainer = Trainer(model, torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=SETUP["lr"]),
                      seed=seed, metrics=["accuracy"])
    start = time.perf_counter()
    history = trainer.fit((X, y), (X_val, y_val), epochs=SETUP["epochs"], batch_size=SETUP["batch_size"])
    seconds = time.perf_counter() - start
    model.eval()
    dead, flat = _slope_stats(model, X, name)
    return {"activation": name, "seed": seed, "val_acc": float(history["val_accuracy"][-1]),
            "val_loss": float(history["val_loss"][-1]), "dead": dead, "flat": flat, "seconds": seconds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--activations", nargs="+", default=list(A.ACTIVATIONS))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = load_digits(seed=0)
    rows = []
    for seed in args.seeds:
        relu_time = None
        for name in ["relu"] + [n for n in args.activations if n != "relu"]:
            row = run(name, seed, data)
            relu_time = relu_time or row["seconds"]
            row["time_ratio"] = row["seconds"] / relu_time
            del row["seconds"]
            rows.append(row)
            print(f"seed {seed} {name:11s} acc {row['val_acc']:.3f} dead {row['dead']:.2f} "
                  f"flat {row['flat']:.2f} time x{row['time_ratio']:.2f}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"setup": SETUP, "seeds": args.seeds, "rows": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
