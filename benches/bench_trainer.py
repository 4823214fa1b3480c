"""Benchmark: nbcourse's Trainer against a hand-written PyTorch loop and a DataLoader loop.

The same model (same initial weights), data, optimizer, seed and number of epochs, trained by

  (a) a minimal hand-written loop that batches in-memory tensors by index and records its epoch loss,
  (b) the same loop over a torch.utils.data.DataLoader (per-sample indexing and collation),
  (c) nbcourse.train.Trainer (default settings, seed=...).

on an MLP and a small CNN on scikit-learn's digits. Times are medians of interleaved repeats; the
table reports ratios measured in the same run. On a CUDA GPU it also times (c) with mixed precision
(amp=True) against full precision (amp=False).

    python benches/bench_trainer.py                  # prints the table, writes benches/results/trainer.md
    python benches/bench_trainer.py --quick          # a fast smoke run (not written unless --out is given)

Targets on the CPU: (c)/(a) <= 1.05 and (b)/(c) >= 1.5.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nbcourse.data import load_digits
from nbcourse.models import MLP, SmallCNN
from nbcourse.train import Trainer

LR, MOMENTUM = 0.05, 0.9


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def loop_index(model, X, y, *, epochs, batch_size, seed, device):
    """(a) The minimal loop: tensors on the device, a seeded permutation per epoch, batches by index."""
    model = model.to(device)
    X, y = X.to(device), y.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator).to(device)
        total = torch.zeros((), dtype=torch.float64, device=device)  # summed on the device, read once per epoch
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            xb, yb = X[idx], y[idx]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.detach().double() * len(idx)
        losses.append(total.item() / len(X))
    return losses


def loop_dataloader(model, X, y, *, epochs, batch_size, seed, device):
    """(b) The same loop over a DataLoader of a TensorDataset (the tutorial way)."""
    model = model.to(device)
    pin = device.type == "cuda"
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed), pin_memory=pin)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        total = torch.zeros((), dtype=torch.float64, device=device)
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=pin), yb.to(device, non_blocking=pin)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.detach().double() * len(yb)
        losses.append(total.item() / len(X))
    return losses


def loop_trainer(model, X, y, *, epochs, batch_size, seed, device, amp="auto"):
    """(c) nbcourse's Trainer with its defaults."""
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, device=device, seed=seed, amp=amp)
    return trainer.fit((X, y), epochs=epochs, batch_size=batch_size)["train_loss"]


def time_run(fn, model0, X, y, device, **kwargs):
    model = copy.deepcopy(model0)
    sync(device)
    start = time.perf_counter()
    losses = fn(model, X, y, device=device, **kwargs)
    sync(device)
    return time.perf_counter() - start, losses


def bench(name, model0, X, y, *, device, epochs, batch_size, repeats, seed):
    methods = {"a": loop_index, "b": loop_dataloader, "c": loop_trainer}
    if device.type == "cuda":
        methods["c_fp32"] = lambda *a, **k: loop_trainer(*a, amp=False, **k)
        methods["c_amp"] = lambda *a, **k: loop_trainer(*a, amp=True, **k)
    kwargs = dict(epochs=epochs, batch_size=batch_size, seed=seed)
    for fn in methods.values():  # warm-up: allocator, kernels, lazy imports
        time_run(fn, model0, X, y, device, epochs=1, batch_size=batch_size, seed=seed)
    times = {key: [] for key in methods}
    losses = {}
    keys = list(methods)
    for r in range(repeats):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:  # rotate the order: interleaved
            seconds, losses[key] = time_run(methods[key], model0, X, y, device, **kwargs)
            times[key].append(seconds)
    med = {key: statistics.median(v) for key, v in times.items()}

    def ratio(top, bottom):
        """Median and quartiles of the ratio within each repeat (the runs of a repeat are back to back)."""
        r = sorted(t / b for t, b in zip(times[top], times[bottom]))
        q = statistics.quantiles(r, n=4, method="inclusive") if len(r) > 1 else [r[0], r[0], r[0]]
        return statistics.median(r), q[0], q[2]

    row = {
        "model": name, "batch_size": batch_size,
        "a_ms_per_epoch": 1000 * med["a"] / epochs,
        "b_over_a": ratio("b", "a"),
        "c_over_a": ratio("c", "a"),
        "b_over_c": ratio("b", "c"),
        "loader_us_per_sample": 1e6 * (med["b"] - med["a"]) / (epochs * len(X)),
        "same_losses": losses["a"] == list(losses["c"]),
        "max_loss_diff": max(abs(p - q) for p, q in zip(losses["a"], losses["c"])),
    }
    if device.type == "cuda":
        row["amp_speedup"] = ratio("c_fp32", "c_amp")
    return row


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: torch.device) -> str:
    threads = torch.get_num_threads()
    text = (f"{os.cpu_count()} CPU cores ({cpu_name()}), {threads} torch thread{'s' if threads != 1 else ''}, "
            f"{platform.system()}, Python {platform.python_version()}, torch {torch.__version__}")
    if device.type == "cuda":
        text += f", GPU {torch.cuda.get_device_name(device)}"
    return text


def fmt(ratio) -> str:
    median, low, high = ratio
    return f"**{median:.2f}** ({low:.2f}–{high:.2f})"


def markdown(rows, *, device, command, epochs, repeats) -> str:
    lines = [
        f"Measured on {device.type.upper()}: {machine(device)}.",
        f"Command: `{command}` ({epochs} epochs, {repeats} interleaved repeats, SGD with momentum, "
        "1,437 training digits). (a) minimal loop batching by index, (b) the same loop over a DataLoader, "
        "(c) nbcourse's Trainer. Ratios: the median over repeats, in brackets the middle half of the repeats "
        "(25th to 75th percentile). DataLoader's cost: the time (b) adds to (a), per training sample.",
        "",
        "| model | batch | (a) ms / epoch | (c) / (a) | (b) / (c) | DataLoader's cost, µs / sample "
        "| losses of (c) = (a) |" + (" amp speed-up |" if device.type == "cuda" else ""),
        "|---|---:|---:|---:|---:|---:|:---:|" + ("---:|" if device.type == "cuda" else ""),
    ]
    for r in rows:
        same = "exactly" if r["same_losses"] else f"to {r['max_loss_diff']:.0e}"
        line = (f"| {r['model']} | {r['batch_size']} | {r['a_ms_per_epoch']:.1f} | {fmt(r['c_over_a'])} | "
                f"{fmt(r['b_over_c'])} | {r['loader_us_per_sample']:.1f} | {same} |")
        if "amp_speedup" in r:
            line += f" {fmt(r['amp_speedup'])} |"
        lines.append(line)
    lines += [
        "",
        "Targets: (c) / (a) at most 1.05 (the Trainer costs no more than the minimal loop) and (b) / (c) at least "
        "1.5 (the Trainer is at least 1.5 times faster than the DataLoader loop). Ratios below 1 mean faster than "
        "the baseline.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: steadier timings on a shared machine)")
    parser.add_argument("--quick", action="store_true", help="2 epochs, 2 repeats, batch 64; nothing written")
    parser.add_argument("--out", default=None, help="markdown file (default benches/results/trainer.md, or "
                                                    "trainer-<device>.md off the CPU)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats, args.batch_sizes = 2, 2, [64]
    from nbcourse.train import resolve_device

    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    (X, y), _ = load_digits(flatten=True, seed=args.seed)
    images = X.view(-1, 1, 8, 8)
    # torch's own ReLU: the network runs as fast as PyTorch makes it, so the loops' own costs weigh the most
    models = [("MLP (128, 128)", MLP(64, (128, 128), 10, activation=nn.ReLU, seed=args.seed), X),
              ("SmallCNN (8, 16)", SmallCNN(activation=nn.ReLU, seed=args.seed), images)]
    rows = []
    for batch_size in args.batch_sizes:
        for name, model0, data in models:
            row = bench(name, model0, data, y, device=device, epochs=args.epochs, batch_size=batch_size,
                        repeats=args.repeats, seed=args.seed)
            rows.append(row)
            print(f"{name:28s} batch {batch_size:4d}: (a) {row['a_ms_per_epoch']:6.1f} ms/epoch, "
                  f"(c)/(a) {fmt(row['c_over_a'])}, (b)/(c) {fmt(row['b_over_c'])}, (b)/(a) {fmt(row['b_over_a'])}, "
                  f"losses equal: {row['same_losses']}"
                  + (f", amp speed-up {fmt(row['amp_speedup'])}" if "amp_speedup" in row else ""), flush=True)
    command = "python benches/bench_trainer.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(rows, device=device, command=command.strip(), epochs=args.epochs, repeats=args.repeats)
    print()
    print(text)
    out = args.out
    if out is None and not args.quick:
        out = "benches/results/trainer.md" if device.type == "cpu" else f"benches/results/trainer-{device.type}.md"
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
