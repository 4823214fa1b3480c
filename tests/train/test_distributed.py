"""Distributed training: torchrun with two CPU processes (gloo) matches one process with the same global batch."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from nbcourse.train.distributed import Distributed

SCRIPT = Path(__file__).with_name("ddp_script.py")


def _torchrun_missing() -> str | None:
    if not dist.is_available():
        return "this PyTorch build has no torch.distributed"
    if not dist.is_gloo_available():
        return "this PyTorch build has no gloo backend"
    if importlib.util.find_spec("torch.distributed.run") is None:
        return "torchrun (torch.distributed.run) not found"
    return None


def load_script():
    spec = importlib.util.spec_from_file_location("ddp_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_environment_switches_distributed_on(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert not Distributed.from_env().enabled
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "0")
    d = Distributed.from_env()
    assert d.enabled and d.rank == 2 and d.world_size == 4 and not d.is_main
    assert d.shard(0, 10) == slice(2, 10, 4)
    assert not Distributed.from_env(False).enabled
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(ValueError, match="torchrun"):
        Distributed.from_env(True)


@pytest.mark.skipif(_torchrun_missing() is not None, reason=str(_torchrun_missing()))
def test_torchrun_two_processes_match_one_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT")}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               str(SCRIPT), str(tmp_path)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env,
                                cwd=Path(__file__).parents[2])
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"torchrun did not finish in 120 s: {e.stderr}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert [r["wrote_checkpoint"] for r in ranks] == [True, False], "only rank 0 writes"
    assert (tmp_path / "checkpoint.pt").exists()
    # both processes hold the same model and History
    assert ranks[0]["history"] == ranks[1]["history"]
    assert all(torch.equal(ranks[0]["state"][k], ranks[1]["state"][k]) for k in ranks[0]["state"])

    trainer, history = load_script().run()  # the same run in one process
    assert trainer.world_size == 1
    multi = ranks[0]["history"]
    for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "train_eval_loss", "train_eval_accuracy"):
        assert multi["epochs"][key] == pytest.approx(history[key], rel=1e-5, abs=1e-6), key
    assert multi["steps"]["batch_size"] == history.steps["batch_size"]  # global batches, the last one 5
    assert multi["steps"]["train_loss"] == pytest.approx(history.steps["train_loss"], rel=1e-5, abs=1e-6)
    state = trainer.model.state_dict()
    for k in state:
        assert torch.allclose(ranks[0]["state"][k], state[k], rtol=1e-5, atol=1e-6), k
