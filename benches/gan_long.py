"""The GAN page's three runs, for longer: how mode coverage develops past the page's 500 live steps.

The page ``book/architectures/gan.ipynb`` trains each run for 500 generator steps (its time budget) and reads
the rest of each run (steps 1000 to 5000) from the snapshots this script stores. This
script trains the same three settings on the same 8-mode ring (radius 2, sigma 0.05) for longer and prints
the mode coverage (``nbcourse.data.mixtures.mode_coverage`` on 2000 samples) at each snapshot, and the wall
time of each run as a ratio to the baseline run's (the absolute time depends on the machine)::

    python benches/gan_long.py                                # 5000 steps x 3 runs, about 1-2 minutes on a quiet core
    python benches/gan_long.py --steps 20000 --seeds 0 1 2    # the runs of the page, longer, three seeds
    python benches/gan_long.py --write-snapshots              # also rewrite nbcourse/data/gan_snapshots.json

The runs (Adam, betas (0.5, 0.999), batch 128, generator and discriminator 2 -> 64 -> 64 -> out):

- ``baseline``: lr 1e-3 for both players;
- ``fast G``: the generator's lr 5x the discriminator's (5e-3): the discriminator cannot follow, and the
  generator chases it from mode to mode (mode collapse and mode hopping);
- ``fast G + R1``: the same, with the R1 gradient penalty (gamma = 1) on the discriminator (Mescheder et al., 2018).

``--write-snapshots`` stores 256 generated samples of each run (seed 0) at steps 0, 250, 500, 1000, 2500 and 5000
(``--steps`` must then be 5000): the precomputed frames of ``nbcourse.figures.gan.snapshot_explorer``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from nbcourse.data.mixtures import mode_coverage, ring
from nbcourse.models.gan import GAN, train_gan

RUNS = {
    "baseline": dict(lr_g=1e-3, lr_d=1e-3, r1=0.0),
    "fast G": dict(lr_g=5e-3, lr_d=1e-3, r1=0.0),
    "fast G + R1": dict(lr_g=5e-3, lr_d=1e-3, r1=1.0),
}
MIXTURE = dict(n_modes=8, radius=2.0, std=0.05)
STORED_STEPS = (0, 250, 500, 1000, 2500, 5000)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: small matrices)")
    parser.add_argument("--write-snapshots", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    mixture = ring(MIXTURE["n_modes"], radius=MIXTURE["radius"], std=MIXTURE["std"])
    snap_steps = sorted({0, *[s for s in (250, 500, 1000, 2500, 5000, 10000, 20000) if s <= args.steps], args.steps})
    stored = {}
    print(f"{'run':14s} {'seed':>4s} {'time/baseline':>13s}  " + "  ".join(f"{s:>9d}" for s in snap_steps))
    for seed in args.seeds:
        base_time = None
        for name, setting in RUNS.items():
            gan = GAN(latent_dim=2, generator_hidden=(64, 64), discriminator_hidden=(64, 64), seed=seed)
            start = time.perf_counter()
            history = train_gan(gan, mixture.sample, steps=args.steps, batch_size=128, seed=seed,
                                snapshot_steps=snap_steps, n_snapshot=2000, **setting)
            elapsed = time.perf_counter() - start
            base_time = base_time or elapsed
            cov = [mode_coverage(history["snapshots"][s], mixture) for s in snap_steps]
            print(f"{name:14s} {seed:4d} {elapsed / base_time:13.2f}  "
                  + "  ".join(f"{c.modes}/8 {100 * c.high_quality:3.0f}%" for c in cov), flush=True)
            if args.write_snapshots and seed == args.seeds[0]:
                stored[name] = {str(s): [[round(float(v), 3) for v in row] for row in history["snapshots"][s][:256]]
                                for s in STORED_STEPS if s in history["snapshots"]}
    if args.write_snapshots:
        if args.steps != STORED_STEPS[-1]:
            raise SystemExit(f"--write-snapshots stores steps {STORED_STEPS}: run it with --steps {STORED_STEPS[-1]}")
        out = Path(__file__).resolve().parents[1] / "nbcourse" / "data" / "gan_snapshots.json"
        out.write_text(json.dumps({"mixture": MIXTURE, "settings": RUNS, "seed": args.seeds[0], "runs": stored},
                                  separators=(",", ":")))
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
