"""The long version of the page *Fully convolutional networks*: the same FCN, more data and more epochs.

The page trains ``FCN()`` for 20 epochs on 512 shape images of 32x32 (a few seconds). This script
trains the same network, with the same optimizer and seed, for longer and on more images, and prints
the per-class IoU on test images of the page's five sizes after each stage::

    python benches/fcn_long.py                       # 20, 40, 80 epochs on 512 and 2048 images, minutes on 2 cores
    python benches/fcn_long.py --epochs 20 --images 512   # the page's run alone

Each line: images, epochs, then for each test size the mean IoU over the four classes.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from nbcourse.data.shapes import make_shapes
from nbcourse.models import FCN
from nbcourse.models.fcn import per_class_iou
from nbcourse.train import Trainer

SIZES = [(32, 32), (48, 48), (40, 56), (33, 35), (27, 61)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--epochs", type=int, nargs="+", default=[20, 40, 80])
    args = parser.parse_args()
    tests = {size: make_shapes(64, size=size, seed=2) for size in SIZES}
    print("images epochs " + " ".join(f"{h}x{w}" for h, w in SIZES))
    for n in args.images:
        X, y = make_shapes(n, size=32, seed=0)
        for epochs in args.epochs:
            model = FCN(1, 4, seed=0)
            trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-2), device="cpu",
                              seed=0)
            trainer.fit((X, y), epochs=epochs, batch_size=32)
            model.eval()
            with torch.no_grad():
                ious = [float(per_class_iou(model(Xt), yt).mean()) for Xt, yt in tests.values()]
            print(f"{n:>6} {epochs:>6} " + " ".join(f"{v:.3f}" for v in ious), flush=True)


if __name__ == "__main__":
    main()
