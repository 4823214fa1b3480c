"""The long version of the RBM page: more epochs, CD-1 against persistent CD, exact likelihoods.

    python benches/rbm_long.py [--epochs 300]

Trains RBM(64, 16) (small enough for the exact log-likelihood) and RBM(64, 64) on the binarised digits and
prints, every few epochs, the mean exact log-likelihood of the validation digits (16 hidden units) and the
mean free energy of validation digits and of noise with as much ink (64 hidden units). The page trains 30
epochs of CD-1. A minute or two on one core.
"""

from __future__ import annotations

import argparse

import numpy as np

from nbcourse.data.binary import load_binary_digits
from nbcourse.models import RBM


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args()
    (X, _), (X_val, _) = load_binary_digits(seed=0)
    noise = (np.random.default_rng(0).random(X_val.shape) < X.mean()) * 1.0
    checkpoints = sorted({e for e in (10, 30, 100, 300, args.epochs) if e <= args.epochs})
    for persistent in (False, True):
        small, big = RBM(64, 16, seed=0), RBM(64, 64, seed=0)
        done = 0
        print(f"{'persistent CD' if persistent else 'CD-1'}:")
        print("epochs  log-lik (H=16)  F(val) (H=64)  F(noise) (H=64)")
        for epoch in checkpoints:
            for rbm in (small, big):
                rbm.fit(X, epochs=epoch - done, k=1, lr=0.05, batch_size=20, persistent=persistent, seed=epoch)
            done = epoch
            print(f"{epoch:6d}  {small.log_likelihood(X_val).mean():14.2f}  {big.free_energy(X_val).mean():13.1f}"
                  f"  {big.free_energy(noise).mean():15.1f}")


if __name__ == "__main__":
    main()
