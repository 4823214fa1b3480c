"""Forward + backward of every nbcourse activation module against torch's built-in equivalent.

The chapters train real networks with the analytic derivatives of :mod:`nbcourse.activations`, so
they must be fast enough: the target is at most 2x the time of torch's fused kernels. Both sides
run in the same process, interleaved, on the same tensor (a million float32 numbers on the CPU by
default); the table reports the median of several repeats and the ratio nbcourse / torch.

Run from the repository root::

    python benches/bench_activations.py                 # the defaults: 1e6 float32 elements, 30 repeats
    python benches/bench_activations.py --numel 100000 --repeats 50 --dtype float64
    python benches/bench_activations.py --threads 0 --malloc system    # torch's threads, plain malloc

Two settings keep the numbers about computation rather than about the machine, and both apply
to both sides alike:

- ``--threads 1`` (the default): on a shared machine, torch's worker threads wait for each other
  whenever another process takes a core, which adds spikes of tens of milliseconds at random.
- ``--malloc keep`` (the default, Linux only): glibc otherwise hands the memory of a freed 4 MB
  tensor back to the kernel and faults it in again on the next allocation; in some virtual machines
  that costs more than the arithmetic (8 ms per 4 MB measured on the course's build machine, against
  0.05 ms for a multiplication). ``mallopt`` keeps freed memory in the process instead.

Baselines: torch has no threshold with a gradient, so ``threshold`` is compared with the forward
``(z >= 0).to(z.dtype)`` alone; ``linear`` (slope 1) with ``nn.Identity``, which does no work at all,
and also with ``z * 1.0``, the cheapest torch expression that computes something.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import ctypes
import platform
import statistics
import sys
import time

import torch
from torch import nn

from nbcourse import activations as A


class _TorchStep(nn.Module):
    """torch's binary step, ``(z >= 0)`` as floats: no gradient flows through it."""

    def forward(self, z):
        return (z >= 0).to(z.dtype)


class _TorchScale(nn.Module):
    """``z * 1.0``: the cheapest torch op that computes the linear activation, with a backward."""

    def forward(self, z):
        return z * 1.0


def baselines() -> list[tuple[str, nn.Module, nn.Module, str]]:
    """(name, nbcourse module, torch module, torch's name) for every activation."""
    return [
        ("linear", A.Linear(), nn.Identity(), "nn.Identity"),
        ("linear", A.Linear(), _TorchScale(), "z * 1.0"),
        ("threshold", A.Threshold(), _TorchStep(), "(z >= 0).float(), forward only"),
        ("sigmoid", A.Sigmoid(), nn.Sigmoid(), "nn.Sigmoid"),
        ("tanh", A.Tanh(), nn.Tanh(), "nn.Tanh"),
        ("relu", A.ReLU(), nn.ReLU(), "nn.ReLU"),
        ("softplus", A.Softplus(), nn.Softplus(), "nn.Softplus"),
        ("leaky_relu", A.LeakyReLU(alpha=0.01), nn.LeakyReLU(0.01), "nn.LeakyReLU"),
        ("prelu", A.PReLU(num_parameters=1, init=0.25), nn.PReLU(1, init=0.25), "nn.PReLU"),
        ("elu", A.ELU(alpha=1.0), nn.ELU(alpha=1.0), "nn.ELU"),
        ("selu", A.SELU(), nn.SELU(), "nn.SELU"),
        ("swish", A.Swish(beta=1.0), nn.SiLU(), "nn.SiLU"),
        ("mish", A.Mish(), nn.Mish(), "nn.Mish"),
    ]


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of returning it to the kernel (Linux only)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from <malloc.h>
    return bool(libc.mallopt(m_trim_threshold, 1 << 30)) and bool(libc.mallopt(m_mmap_threshold, 32 << 20))


def forward_backward(module: nn.Module, x: torch.Tensor, g: torch.Tensor) -> float:
    """Seconds for one forward and (when the output has a gradient) one backward pass."""
    x.grad = None
    for p in module.parameters():
        p.grad = None
    start = time.perf_counter()
    y = module(x)
    if y.requires_grad:
        y.backward(g)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numel", type=int, default=1_000_000, help="elements in the input tensor")
    parser.add_argument("--repeats", type=int, default=30, help="timed repeats per module (median)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None, metavar="NAME", help="only these activations")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    parser.add_argument("--malloc", choices=["keep", "system"], default="keep",
                        help="keep: glibc keeps freed memory (see the docstring); system: leave malloc alone")
    parser.add_argument("--out", default=None, metavar="FILE",
                        help="also write the table as markdown to FILE (the book's performance page includes "
                             "benches/results/activations.md)")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    malloc = "glibc keeps freed memory" if args.malloc == "keep" and keep_freed_memory() else "system malloc"

    dtype = getattr(torch, args.dtype)
    gen = torch.Generator().manual_seed(args.seed)
    x = torch.randn(args.numel, generator=gen, dtype=dtype).requires_grad_()
    g = torch.randn(args.numel, generator=gen, dtype=dtype)

    print(f"forward + backward, {args.numel:,} {args.dtype} elements on the CPU, median of {args.repeats} "
          f"(torch {torch.__version__}, {torch.get_num_threads()} thread(s), {malloc}, {platform.machine()}, "
          f"Python {platform.python_version()})\n")
    header = f"{'activation':<12} {'nbcourse ms':>11} {'torch ms':>9} {'ratio':>6} {'best':>6}  torch baseline"
    print(header)
    print("-" * len(header))
    rows = []
    worst = 0.0
    for name, ours, theirs, label in baselines():
        if args.only and name not in args.only:
            continue
        ours, theirs = ours.to(dtype), theirs.to(dtype)
        for _ in range(args.warmup):
            forward_backward(ours, x, g)
            forward_backward(theirs, x, g)
        t_ours, t_theirs = [], []
        for _ in range(args.repeats):  # interleaved, so a busy moment slows both sides
            t_ours.append(forward_backward(ours, x, g))
            t_theirs.append(forward_backward(theirs, x, g))
        ms_ours, ms_theirs = 1e3 * statistics.median(t_ours), 1e3 * statistics.median(t_theirs)
        ratio, best = ms_ours / ms_theirs, min(t_ours) / min(t_theirs)
        if label != "nn.Identity":  # identity does no work: any ratio against it says nothing
            worst = max(worst, ratio)
        print(f"{name:<12} {ms_ours:>11.3f} {ms_theirs:>9.3f} {ratio:>6.2f} {best:>6.2f}  {label}")
        rows.append(f"| {name} | {label} | {ms_ours:.3f} | {ms_theirs:.3f} | {ratio:.2f} | {best:.2f} |")
    print(f"\nratio: of the medians; best: of the fastest runs, less sensitive to a busy machine."
          f"\nworst median ratio (nn.Identity row aside): {worst:.2f} (target: at most 2)")
    if args.out:
        setting = (f"{args.numel:,} {args.dtype} elements, forward + backward, median of {args.repeats}; "
                   f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {malloc}, {platform.machine()}")
        table = ["| activation | torch baseline | nbcourse ms | torch ms | ratio (medians) | ratio (fastest runs) |",
                 "|---|---|---:|---:|---:|---:|", *rows]
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(f"Measured by `python benches/bench_activations.py --out {args.out}`: {setting}.\n\n"
                                  + "\n".join(table) + f"\n\nWorst median ratio (the `nn.Identity` row aside): "
                                  f"{worst:.2f}.\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
