"""Triplet mining compared at a longer budget and in more dimensions than the book page *Triplet networks*.

The page trains a 2-D embedding for 20 epochs; this script runs the same comparison (random,
semi-hard and hardest negatives; same initial weights, same batches) for other embedding sizes and
budgets, and prints the 1-NN accuracy on the seen test digits and on the unseen 8s and 9s
(leave-one-out), the spread of the embedding (mean distance between test points: 0 is a collapse)
and, as the baselines, the raw pixels::

    python benches/metric_mining.py                         # dims 2 and 8, 20 and 60 epochs: a few minutes
    python benches/metric_mining.py --dims 2 --epochs 100

Measured on 2 shared cores, one thread (2026-12-07), 1-NN accuracy on the seen test digits (raw pixels
0.997), random / semi-hard / hardest: 2-D, 20 epochs 0.859 / 0.931 / 0.776; 2-D, 60 epochs 0.972 / 0.964 /
0.975; 8-D, 20 epochs 0.986 / 0.994 / 0.994. On the unseen 8 vs 9 (raw pixels 0.992): 2-D, 60 epochs
0.785 / 0.811 / 0.650; 8-D, 20 epochs 0.955 / 0.955 / 0.938. No run collapsed (the spread grew in all).
"""

from __future__ import annotations

import argparse

import torch

from nbcourse.data.pairs import load_metric_digits
from nbcourse.metric import MINING, BatchTripletLoss, knn_accuracy, pairwise_distances
from nbcourse.models import TripletNetwork
from nbcourse.train import Trainer


def run(mining: str, *, dim: int, epochs: int, data, seed: int = 0) -> dict:
    net = TripletNetwork(embedding_dim=dim, seed=seed)
    trainer = Trainer(net.embedding, BatchTripletLoss(margin=1.0, mining=mining, seed=seed),
                      torch.optim.Adam(net.parameters(), lr=1e-3), device="cpu", seed=seed)
    trainer.fit((data.X_train, data.y_train), epochs=epochs, batch_size=128)
    with torch.no_grad():
        E_train, E_test, E_new = net.embed(data.X_train), net.embed(data.X_test), net.embed(data.X_new)
    return {"seen": knn_accuracy(E_test, data.y_test, X_ref=E_train, y_ref=data.y_train),
            "unseen": knn_accuracy(E_new, data.y_new), "spread": float(pairwise_distances(E_test).mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--epochs", type=int, nargs="+", default=[20, 60])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)  # a script of its own: small batches run faster on one thread
    data = load_metric_digits(seed=args.seed)
    raw_seen = knn_accuracy(data.X_test, data.y_test, X_ref=data.X_train, y_ref=data.y_train)
    print(f"raw pixels: 1-NN seen {raw_seen:.3f}  unseen {knn_accuracy(data.X_new, data.y_new):.3f}")
    for dim in args.dims:
        for epochs in args.epochs:
            for mining in MINING:
                r = run(mining, dim=dim, epochs=epochs, data=data, seed=args.seed)
                print(f"dim {dim:2d} epochs {epochs:3d} {mining:>9}: 1-NN seen {r['seen']:.3f}  "
                      f"unseen {r['unseen']:.3f}  spread {r['spread']:.2f}", flush=True)


if __name__ == "__main__":
    main()
