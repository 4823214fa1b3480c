"""Forward + backward of every nbcourse loss module against torch's built-in, on the CPU.

Each loss runs on about a million float32 elements ((10000, 100) by default); both sides are timed
in the same run, alternately, and the table shows the median time of each, their ratio
(nbcourse / torch: below 1 is faster than torch) and the ratio of the fastest runs, which a busy
shared machine disturbs least. The target is a ratio below 2 everywhere.

Run from the repository root::

    python benches/bench_losses.py                 # 50 repeats, one thread, glibc keeps freed memory
    python benches/bench_losses.py --repeats 100 --rows 10000 --cols 100
    python benches/bench_losses.py --threads 0 --malloc system    # torch's threads, plain malloc

Two settings (the same as in ``bench_activations.py``) keep the numbers about computation rather than
about the machine; both apply to both sides alike:

- ``--threads 1`` (the default): on a machine shared with other work, torch's worker threads wait
  for each other whenever another process takes a core, and every operation costs a scheduler tick.
- ``--malloc keep`` (the default, Linux only): glibc otherwise hands a freed 4 MB tensor back to the
  kernel and faults the memory in again at the next allocation, which in some virtual machines costs
  more than the arithmetic. ``mallopt`` keeps freed memory in the process instead.

Baselines: torch has no log-cosh or contrastive loss; they are compared with the torch expressions
``log(cosh(x - y)).mean()`` and the contrastive formula written with ``torch.linalg.vector_norm``,
differentiated by autograd. Softmax and LogSoftmax are compared with ``nn.Softmax`` and
``nn.LogSoftmax``, with a random upstream gradient.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from nbcourse import losses as L


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory instead of returning it to the kernel (see the docstring)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from <malloc.h>
    return bool(libc.mallopt(m_trim_threshold, 1 << 30)) and bool(libc.mallopt(m_mmap_threshold, 32 << 20))


def _forward_backward(loss_fn, inputs, grad_output=None):
    """One training step's worth of loss work: forward, then backward into the leaf inputs."""
    for t in inputs:
        if t.requires_grad:
            t.grad = None
    out = loss_fn(*inputs)
    out.backward(grad_output)


def _time_ms(loss_fn, inputs, grad_output):
    start = time.perf_counter()
    _forward_backward(loss_fn, inputs, grad_output)
    return 1e3 * (time.perf_counter() - start)


def _log_cosh_in_torch(x, y):
    return torch.log(torch.cosh(x - y)).mean()


def _contrastive_in_torch(x1, x2, same, margin=1.0):
    d = torch.linalg.vector_norm(x1 - x2, dim=-1)
    return (0.5 * same * d**2 + 0.5 * (1 - same) * torch.clamp(margin - d, min=0) ** 2).mean()


def _cases(rows, cols, seed):
    """(name, nbcourse callable, torch callable, inputs, grad_output or None)."""
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, grad=False):
        return torch.randn(*shape, generator=g).requires_grad_(grad)

    x, y = randn(rows, cols, grad=True), randn(rows, cols)
    p = (0.01 + 0.98 * torch.rand(rows, cols, generator=g)).requires_grad_(True)
    labels = (torch.rand(rows, cols, generator=g) > 0.5).float()
    classes = torch.randint(0, cols, (rows,), generator=g)
    soft = torch.rand(rows, cols, generator=g).softmax(1)
    log_probs = torch.log_softmax(randn(rows, cols), 1).requires_grad_(True)
    upstream = randn(rows, cols)
    same = (torch.rand(rows, generator=g) > 0.5).float()
    a, pos, neg = randn(rows, cols, grad=True), randn(rows, cols, grad=True), randn(rows, cols, grad=True)
    return [
        ("MSELoss", L.MSELoss(), nn.MSELoss(), (x, y), None),
        ("MAELoss (L1Loss)", L.MAELoss(), nn.L1Loss(), (x, y), None),
        ("HuberLoss", L.HuberLoss(), nn.HuberLoss(), (x, y), None),
        ("LogCoshLoss", L.LogCoshLoss(), _log_cosh_in_torch, (x, y), None),
        ("BCELoss", L.BCELoss(), nn.BCELoss(), (p, labels), None),
        ("BCEWithLogitsLoss", L.BCEWithLogitsLoss(), nn.BCEWithLogitsLoss(), (x, labels), None),
        ("CrossEntropyLoss", L.CrossEntropyLoss(), nn.CrossEntropyLoss(), (x, classes), None),
        ("CrossEntropyLoss (probs)", L.CrossEntropyLoss(), nn.CrossEntropyLoss(), (x, soft), None),
        ("NLLLoss", L.NLLLoss(), nn.NLLLoss(), (log_probs, classes), None),
        ("ContrastiveLoss", L.ContrastiveLoss(), _contrastive_in_torch, (a, pos, same), None),
        ("TripletLoss", L.TripletLoss(), nn.TripletMarginLoss(), (a, pos, neg), None),
        ("Softmax", L.Softmax(dim=1), nn.Softmax(dim=1), (x,), upstream),
        ("LogSoftmax", L.LogSoftmax(dim=1), nn.LogSoftmax(dim=1), (x,), upstream),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--malloc", choices=["keep", "system"], default="keep",
                        help="keep: glibc keeps freed memory (see the docstring); system: leave malloc alone")
    parser.add_argument("--out", default=None, metavar="FILE",
                        help="also write the table as markdown to FILE (the book's performance page includes "
                             "benches/results/losses.md)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    malloc = "glibc keeps freed memory" if args.malloc == "keep" and keep_freed_memory() else "system malloc"

    print(f"forward + backward, float32, CPU, ({args.rows}, {args.cols}) = {args.rows * args.cols:,} "
          f"elements, median of {args.repeats}\n(torch {torch.__version__}, {torch.get_num_threads()} "
          f"thread(s), {malloc})\n")
    print(f"{'loss':<26}{'nbcourse ms':>12}{'torch ms':>10}{'ratio':>8}{'best/best':>11}")
    ratios, rows = [], []
    for name, ours, theirs, inputs, grad_output in _cases(args.rows, args.cols, args.seed):
        for fn in (ours, theirs, ours, theirs):  # warm-up
            _forward_backward(fn, inputs, grad_output)
        mine, reference = [], []
        for _ in range(args.repeats):  # alternate, so a busy moment on a shared CPU hits both
            mine.append(_time_ms(ours, inputs, grad_output))
            reference.append(_time_ms(theirs, inputs, grad_output))
        ratio = statistics.median(mine) / statistics.median(reference)
        ratios.append(ratio)
        flag = "" if ratio <= 2 else "  > 2x"
        print(f"{name:<26}{statistics.median(mine):>12.2f}{statistics.median(reference):>10.2f}"
              f"{ratio:>8.2f}{min(mine) / min(reference):>11.2f}{flag}")
        rows.append(f"| {name} | {statistics.median(mine):.2f} | {statistics.median(reference):.2f} | {ratio:.2f} "
                    f"| {min(mine) / min(reference):.2f} |")
    geomean = math.exp(statistics.fmean(map(math.log, ratios)))
    print(f"{'geometric mean of the ratios':<48}{geomean:>8.2f}")
    if args.out:
        setting = (f"({args.rows}, {args.cols}) float32, forward + backward, median of {args.repeats}; "
                   f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {malloc}")
        table = ["| loss | nbcourse ms | torch ms | ratio (medians) | ratio (fastest runs) |",
                 "|---|---:|---:|---:|---:|", *rows]
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(f"Measured by `python benches/bench_losses.py --out {args.out}`: {setting}.\n\n"
                                  + "\n".join(table) + f"\n\nWorst median ratio: {max(ratios):.2f}; geometric mean "
                                  f"{geomean:.2f}.\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
