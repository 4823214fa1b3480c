"""Checkpoint files are checked completely before anything is loaded; each failure names the file and why."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch import nn

from nbcourse.models import MLP
from nbcourse.train import Callback, CheckpointError, EarlyStopping, Trainer, TrainerNotice
from nbcourse.train.resume import CHECKPOINT_FORMAT, ResumeState


def make_data(n=101, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 6, generator=g)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    return X, y


def make_trainer(*, hidden=(16,), optimizer="sgd", callbacks=(), seed=0, model_seed=1):
    model = MLP(6, hidden, 3, seed=model_seed)
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return Trainer(model, nn.CrossEntropyLoss(), opt, device="cpu", seed=seed, callbacks=list(callbacks))


def everything(trainer):
    """All the state a load could change."""
    return {"model": {k: v.clone() for k, v in trainer.model.state_dict().items()},
            "optimizer": copy.deepcopy(trainer.optimizer.state_dict()),
            "history": trainer.history.to_dict(),
            "counters": (trainer.epoch, trainer.step, trainer.step_in_epoch, trainer.seed),
            "callbacks": [copy.deepcopy(cb.state_dict()) for cb in trainer.callbacks if hasattr(cb, "state_dict")],
            "generator": None if trainer._resume.generator is None else trainer._resume.generator.get_state()}


def same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    return a == b or (a != a and b != b)


@pytest.fixture()
def trained(tmp_path):
    """A trainer after 2 epochs, and the checkpoint it wrote."""
    X, y = make_data()
    trainer = make_trainer(callbacks=[EarlyStopping(patience=5)])
    trainer.fit((X, y), (X[:20], y[:20]), epochs=2, batch_size=16)
    path = trainer.checkpoint(tmp_path / "run.pt")
    return trainer, path


def loaded_into_fresh(path, **kwargs):
    """Load ``path`` into a trainer that has trained a bit itself; return the error and whether it changed."""
    X, y = make_data(seed=1)
    target = make_trainer(callbacks=[EarlyStopping(patience=5)], model_seed=7, **kwargs)
    target.fit((X, y), (X[:20], y[:20]), epochs=1, batch_size=32)
    before = everything(target)
    with pytest.raises(ValueError) as info:
        target.load_checkpoint(path)
    assert same(before, everything(target)), "a failed load must change nothing"
    message = str(info.value)
    assert str(path) in message, message
    assert "weights_only=False" not in message, message
    return info


def test_a_good_checkpoint_still_loads(trained):
    trainer, path = trained
    other = make_trainer(callbacks=[EarlyStopping(patience=5)], model_seed=7)
    other.load_checkpoint(path)
    assert same(everything(other), everything(trainer))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    info = loaded_into_fresh(path)
    assert "empty (0 bytes)" in str(info.value) and isinstance(info.value, CheckpointError)


@pytest.mark.parametrize("keep", [0.5, 0.95, 0.999])
def test_truncated_file(trained, tmp_path, keep):
    _, path = trained
    data = path.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[:int(len(data) * keep)])
    info = loaded_into_fresh(cut)
    assert "truncated or damaged" in str(info.value)


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(bytes(range(256)) * 40)
    info = loaded_into_fresh(path)
    assert "not a file written by torch.save" in str(info.value)


class Evil:
    def __reduce__(self):
        return (print, ("this would run when loaded",))


def test_a_file_that_would_run_code_is_refused_without_unsafe_advice(tmp_path):
    path = tmp_path / "pickled.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "model": Evil()}, path)
    info = loaded_into_fresh(path)
    message = str(info.value)
    assert "not a checkpoint written by Trainer.checkpoint" in message and "run code" in message
    assert "weights_only" not in message and isinstance(info.value.__cause__, type(None))
    with pytest.raises(pickle.UnpicklingError):  # (what torch itself says about this file)
        torch.load(path, weights_only=True)


def test_a_torch_file_that_is_not_a_checkpoint(tmp_path):
    torch.save({"something": 1}, tmp_path / "other.pt")
    info = loaded_into_fresh(tmp_path / "other.pt")
    assert "not a checkpoint written by Trainer.checkpoint" in str(info.value) and "'something'" in str(info.value)
    torch.save({"format": "nbcourse.train.checkpoint/1"}, tmp_path / "old.pt")
    assert "'nbcourse.train.checkpoint/1'" in str(loaded_into_fresh(tmp_path / "old.pt").value)


def test_an_incomplete_checkpoint(trained, tmp_path):
    _, path = trained
    state = torch.load(path, weights_only=True)
    del state["optimizer"]
    torch.save(state, tmp_path / "incomplete.pt")
    assert "incomplete: it lacks ['optimizer']" in str(loaded_into_fresh(tmp_path / "incomplete.pt").value)


def test_another_model(trained):
    _, path = trained
    info = loaded_into_fresh(path, hidden=(4,))
    message = str(info.value)
    for words in ("does not match this trainer's MLP", "layers.fc1.weight: (16, 6) in the file, (4, 6) in the model",
                  "nothing was loaded"):
        assert words in message, message
    info = loaded_into_fresh(path, hidden=(16, 16))
    assert "the model has layers.fc2.weight, layers.fc2.bias, which the file lacks" in str(info.value)


def test_an_adam_checkpoint_into_an_sgd_trainer(tmp_path):
    X, y = make_data()
    adam = make_trainer(optimizer="adam")
    adam.fit((X, y), epochs=1, batch_size=16)
    path = adam.checkpoint(tmp_path / "adam.pt")
    info = loaded_into_fresh(path, optimizer="sgd")
    message = str(info.value)
    assert "torch.optim.Adam" in message and "torch.optim.SGD" in message, message
    # and the trainer that refused it still trains (the old failure: KeyError 'momentum' at the next fit)
    sgd = make_trainer()
    with pytest.raises(CheckpointError):
        sgd.load_checkpoint(path)
    assert sgd.fit((X, y), epochs=1, batch_size=16).num_epochs == 1


def test_other_parameter_groups(trained):
    _, path = trained
    model = MLP(6, (16,), 3, seed=7)
    groups = [{"params": list(model.layers.fc1.parameters())}, {"params": list(model.layers.out.parameters()), "lr": 0.01}]
    trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(groups, lr=0.1, momentum=0.9), device="cpu")
    before = everything(trainer)
    with pytest.raises(CheckpointError, match=r"parameter groups of \[4\] parameters.*has \[2, 2\]"):
        trainer.load_checkpoint(path)
    assert same(before, everything(trainer))


def test_a_callback_that_fails_to_load_puts_everything_back(trained):
    _, path = trained

    def refuse(self, state):
        raise RuntimeError("cannot take this state")

    fussy = type("EarlyStopping", (EarlyStopping,), {"load_state_dict": refuse})  # matched by class name
    target = make_trainer(model_seed=7)
    target.callbacks = [fussy(patience=5)]
    before = everything(target)
    with pytest.raises(CheckpointError, match="cannot take this state.*nothing was changed"):
        target.load_checkpoint(path)
    assert same(before, everything(target))


def test_resume_with_other_data_changes_nothing(tmp_path):
    X, y = make_data()

    class RaiseAt(Callback):
        def on_batch_end(self, trainer):
            if trainer.step == 3:
                raise KeyboardInterrupt

    first = make_trainer(callbacks=[RaiseAt()])
    with pytest.warns(TrainerNotice):
        first.fit((X, y), epochs=2, batch_size=16)
    path = first.checkpoint(tmp_path / "c.pt")
    fresh = make_trainer(model_seed=7)
    before = everything(fresh)
    with pytest.raises(ValueError, match="same training data"):
        fresh.fit((X[:50], y[:50]), epochs=2, batch_size=16, resume_from=path)
    before["generator"] = None  # (the first fit creates the shuffling generator: not a loaded state)
    after = everything(fresh)
    after["generator"] = None
    assert same(before, after)


def test_missing_file_and_directory(tmp_path):
    trainer = make_trainer()
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        trainer.load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(CheckpointError, match="is a directory"):
        trainer.load_checkpoint(tmp_path)


def test_resume_state_round_trip():
    state = ResumeState(seed=3, device=torch.device("cpu"), dist=None)
    state.ensure_generator()
    torch.randperm(10, generator=state.generator)
    saved = state.state_dict(steps_done=0, totals=[0.0, 0.0])
    other = ResumeState(seed=None, device=torch.device("cpu"), dist=None)
    other.load_state_dict(saved)
    assert other.seed == 3 and torch.equal(other.generator.get_state(), state.generator.get_state())
    assert saved["partial"] is None
