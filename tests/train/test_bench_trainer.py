"""The benchmark script runs and compares like with like (no timing is asserted here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from nbcourse.models import MLP

BENCH = Path(__file__).parents[2] / "benches" / "bench_trainer.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_trainer", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_three_loops_train_the_same_way():
    bench = load_bench()
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(100, 64, generator=g), torch.randint(0, 10, (100,), generator=g)
    model = MLP(64, (16,), 10, seed=0)
    cpu = torch.device("cpu")
    kwargs = dict(epochs=2, batch_size=32, seed=0, device=cpu)
    a = bench.loop_index(MLP(64, (16,), 10, seed=0), X, y, **kwargs)
    b = bench.loop_dataloader(MLP(64, (16,), 10, seed=0), X, y, **kwargs)
    c = bench.loop_trainer(MLP(64, (16,), 10, seed=0), X, y, **kwargs)
    assert a == list(c), "the Trainer does exactly what the minimal loop does"
    assert len(b) == 2 and b[-1] < b[0] + 1.0  # another order of batches, the same kind of run
    row = bench.bench("tiny", model, X, y, device=cpu, epochs=1, batch_size=32, repeats=1, seed=0)
    assert row["same_losses"] and row["c_over_a"][0] > 0 and row["b_over_c"][0] > 0
    low, high = row["c_over_a"][1:]
    assert low <= row["c_over_a"][0] <= high
    text = bench.markdown([row], device=cpu, command="python benches/bench_trainer.py", epochs=1, repeats=1)
    assert "| tiny | 32 |" in text and "| exactly |" in text
