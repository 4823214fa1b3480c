r"""Exact resumption: everything a run needs to continue as if it had never stopped.

A run that stops (the notebook's stop button, a NaN, a crash between epochs) and continues must
draw the same batches, the same dropout masks, and record the same History as a run that never
stopped. Three things make that possible, and :class:`ResumeState` keeps all three:

* **the random streams**: the shuffling :class:`torch.Generator` and, for seeded runs, the state
  of PyTorch's global generator (dropout) after the last completed step;
* **the start of the current epoch**: the random states its order was drawn from, and a copy of
  the weights and optimizer state (the safety net a NaN loss falls back to);
* **where an unfinished epoch stopped**: how many steps were done, the running sums of its loss
  and metrics, and the layout of the data it was drawn from (samples, batch size, shuffle), so
  that continuing it with other data is refused instead of silently wrong.

Checkpoint files are here too: :func:`read_checkpoint` checks a file completely (readable,
written by :meth:`~nbcourse.train.Trainer.checkpoint`, the same model structure, the same
optimizer and parameter groups) *before* anything is loaded, and says what does not match.
Files are read with ``torch.load(..., weights_only=True)``: tensors and plain containers only,
never code.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .history import History

__all__ = ["ResumeState", "Layout", "CHECKPOINT_FORMAT", "write_checkpoint", "read_checkpoint", "CheckpointError"]

CHECKPOINT_FORMAT = "nbcourse.train.checkpoint/2"


@dataclass(frozen=True)
class Layout:
    """How an epoch's batches are drawn: an interrupted epoch continues only with the same layout."""

    num_samples: int
    batch_size: int
    shuffle: bool


class ResumeState:
    """The random streams, the start of the current epoch and where an unfinished epoch stopped.

    One per :class:`~nbcourse.train.Trainer` (``trainer._resume``); the trainer calls it at the
    start of each epoch, after each step, and when a fit ends inside an epoch.

    Attributes:
        seed: the run's seed (None: not repeatable).
        generator: the shuffling generator (created at the first fit).
        rng: the global random state after the last completed step (seeded runs), or None.
        partial: where an unfinished epoch stopped (a dict), or None.
    """

    def __init__(self, *, seed: int | None, device: torch.device, dist) -> None:
        self.seed = seed
        self.device = device
        self._dist = dist
        self.generator: torch.Generator | None = None
        self.rng: dict | None = None
        self.partial: dict | None = None
        self.layout: Layout | None = None  # of the current fit's training data
        # the start of the current epoch
        self._order_from: dict = {"generator": None, "rng": None, "loader_generator": None}
        self._snapshot: dict | None = None

    # --- the random streams -------------------------------------------------------------------------
    def ensure_generator(self) -> torch.Generator:
        """The shuffling generator: seeded with ``seed``, or from the global generator (same on every process)."""
        if self.generator is None:
            seed = self.seed
            if seed is None:
                seed = self._dist.broadcast_int(int(torch.randint(0, 2**62, ()).item()), self.device)
            self.generator = torch.Generator().manual_seed(seed)
        return self.generator

    @contextlib.contextmanager
    def random_scope(self):
        """Seeded runs draw dropout & co. from a forked global generator: the caller's state is untouched."""
        if self.seed is None:
            yield
            return
        with self.forked_rng():
            if self.rng is None:
                _seed_rng(_derive_seed(self.seed, 1), self.device)
                self.after_step()
            else:
                _set_rng(self.rng, self.device)
            yield

    def forked_rng(self):
        """A block that leaves the global random state as it found it (for evaluation)."""
        devices = [self.device.index or 0] if self.device.type in ("cuda", "mps") else []
        kind = self.device.type if self.device.type in ("cuda", "mps") else "cuda"
        return torch.random.fork_rng(devices=devices, device_type=kind)

    def after_step(self) -> None:
        """Remember the global random state at this point (seeded runs), to resume from it."""
        if self.seed is not None:
            self.rng = _get_rng(self.device)

    # --- epochs -------------------------------------------------------------------------------------
    def begin_epoch(self, *, tensors: list[torch.Tensor], optimizer, step: int, num_steps: int,
                    loader_generator: torch.Generator | None) -> None:
        """At the start of a fresh epoch: remember the random states its order is drawn from, and
        the weights and optimizer state (plain tensor copies, cheaper than ``state_dict()``)."""
        self._order_from = {
            "generator": self.ensure_generator().get_state(),
            "rng": _get_rng(self.device) if self.seed is not None else None,
            "loader_generator": None if loader_generator is None else loader_generator.get_state(),
        }
        self._snapshot = {
            "tensors": [t.detach().clone() for t in tensors],
            "optimizer": {param: _clone(state) for param, state in optimizer.state.items()},
            "groups": [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups],
            "step": step,
            "num_steps": num_steps,
        }

    def continue_epoch(self, loader_generator: torch.Generator | None) -> list[float]:
        """Before continuing an interrupted epoch: the same order as when it began.
        Returns the running sums of the steps it had done (loss and metrics, then the sample count)."""
        partial, self.partial = self.partial, None
        self._order_from = {k: partial[k] for k in ("generator", "rng", "loader_generator")}
        self.ensure_generator().set_state(partial["generator"])
        if loader_generator is not None and partial["loader_generator"] is not None:
            loader_generator.set_state(partial["loader_generator"])
        return list(partial["totals"])

    def rewind_rng(self) -> dict | None:
        """Before a DataLoader replays the steps an interrupted epoch had done: the global random state
        as when the epoch began (a sampler seeded from it draws the same order). Returns the state
        where the interrupted step began, to set with :meth:`set_rng` once the replay is done."""
        resume_at = self.rng
        if self._order_from["rng"] is not None:
            _set_rng(self._order_from["rng"], self.device)
        return resume_at

    def set_rng(self, state: dict | None) -> None:
        if state is not None:
            _set_rng(state, self.device)

    def stop_inside_epoch(self, *, steps_done: int, totals: list[float]) -> None:
        """A fit ends inside an epoch: record where, so a later fit (or a checkpoint) can continue it."""
        self.partial = {**self._order_from, "steps_done": steps_done, "totals": list(totals),
                        **_layout_dict(self.layout)}

    def restore_epoch_start(self, tensors: list[torch.Tensor], optimizer) -> tuple[int, int] | None:
        """Back to the start of the current epoch: weights, optimizer state and random states.
        Returns ``(step, num_steps)`` of the epoch start, or None when there is nothing to go back to."""
        snapshot = self._snapshot
        if snapshot is None:
            return None
        with torch.no_grad():
            for tensor, saved in zip(tensors, snapshot["tensors"]):
                tensor.copy_(saved)
        optimizer.state.clear()
        for param, state in snapshot["optimizer"].items():
            optimizer.state[param] = _clone(state)
        for group, saved in zip(optimizer.param_groups, snapshot["groups"]):
            group.update(saved)
        self.partial = None
        if self._order_from["generator"] is not None:
            self.ensure_generator().set_state(self._order_from["generator"])
        if self._order_from["rng"] is not None:
            self.rng = self._order_from["rng"]
        return snapshot["step"], snapshot["num_steps"]

    def can_continue(self, *, from_checkpoint: bool, epoch: int) -> bool:
        """Before a fit that starts inside an epoch: True when the interrupted epoch can be continued
        with this fit's data (``self.layout``). From a checkpoint other data is an error (raised before
        anything is loaded); in memory the epoch starts again."""
        return can_continue(self.partial, self.layout, from_checkpoint=from_checkpoint, epoch=epoch)

    # --- in a checkpoint ----------------------------------------------------------------------------
    def state_dict(self, *, steps_done: int, totals: list[float]) -> dict:
        """What a checkpoint keeps; ``steps_done`` > 0 when written inside an epoch."""
        partial = None
        if steps_done > 0:
            partial = self.partial or {**self._order_from, "steps_done": steps_done, "totals": list(totals),
                                       **_layout_dict(self.layout)}
        return {"seed": self.seed, "generator": None if self.generator is None else self.generator.get_state(),
                "rng": self.rng, "partial": partial}

    def load_state_dict(self, state: dict) -> None:
        self.seed = state["seed"]
        if state["generator"] is not None:  # the same object: a DataLoader built around it keeps it
            if self.generator is None:
                self.generator = torch.Generator()
            self.generator.set_state(state["generator"])
        self.rng = state["rng"]
        self.partial = state["partial"]
        self._snapshot = None


def can_continue(partial: dict | None, layout: Layout | None, *, from_checkpoint: bool, epoch: int) -> bool:
    """True when an epoch stopped as ``partial`` records can be continued with data of this ``layout``."""
    partial = partial or {}
    if _layout_dict(layout).items() <= partial.items():
        return True
    if from_checkpoint:
        raise ValueError(
            f"Trainer.fit: the checkpoint stopped inside epoch {epoch}, with {partial.get('num_samples')} "
            f"training samples, batch_size={partial.get('batch_size')}, shuffle={partial.get('shuffle')}; resume "
            "with the same training data, batch_size and shuffle"
        )
    return False


def _layout_dict(layout: Layout | None) -> dict:
    if layout is None:
        return {"num_samples": None, "batch_size": None, "shuffle": None}
    return {"num_samples": layout.num_samples, "batch_size": layout.batch_size, "shuffle": layout.shuffle}


# ------------------------------------------------------------------------------------------------
# random states
# ------------------------------------------------------------------------------------------------

def _derive_seed(seed: int, stream: int) -> int:
    """A second, independent seed from ``seed`` (shuffling uses ``seed`` itself)."""
    return (seed * 6364136223846793005 + 1442695040888963407 * stream) % (2**63 - 1)


def _seed_rng(seed: int, device: torch.device) -> None:
    torch.random.default_generator.manual_seed(seed)
    if device.type == "cuda":
        with torch.cuda.device(device):
            torch.cuda.manual_seed(seed)  # this GPU only
    elif device.type == "mps":
        torch.mps.manual_seed(seed)


def _get_rng(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    elif device.type == "mps":
        state["mps"] = torch.mps.get_rng_state()
    return state


def _set_rng(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)
    elif device.type == "mps" and "mps" in state:
        torch.mps.set_rng_state(state["mps"])


def _clone(obj):
    """A copy of a (nested) optimizer state with every tensor cloned."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_clone(v) for v in obj)
    return obj


# ------------------------------------------------------------------------------------------------
# checkpoint files
# ------------------------------------------------------------------------------------------------

class CheckpointError(ValueError):
    """A checkpoint file that cannot be loaded into this trainer; the message names the file and why."""


def write_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` atomically: an interrupted write never leaves half a checkpoint under ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": CHECKPOINT_FORMAT, **state}, tmp)
    os.replace(tmp, path)
    return path


def optimizer_class_name(optimizer) -> str:
    cls = type(optimizer)
    module = "torch.optim" if cls.__module__.startswith("torch.optim.") else cls.__module__
    return f"{module}.{cls.__qualname__}"


_REQUIRED = {"model": dict, "optimizer": dict, "optimizer_class": str, "callbacks": list, "history": dict,
             "epoch": int, "step": int, "step_in_epoch": int, "fit_start_epoch": int, "complete": bool,
             "resume": dict}


def read_checkpoint(path: str | os.PathLike, *, model: nn.Module, optimizer,
                    caller: str = "Trainer.load_checkpoint") -> dict:
    """Read and check a checkpoint file completely; change nothing.

    Returns the checkpoint, with ``"history"`` already a :class:`History`. Raises
    :class:`FileNotFoundError` for a missing file and :class:`CheckpointError` (a ``ValueError``) for
    a file that is empty, truncated, not a checkpoint, or written for another model or optimizer.
    """
    path = Path(path)
    where = f"{caller}: {str(path)!r}"
    if not path.exists():
        raise FileNotFoundError(f"{caller}: no file {str(path)!r}")
    if path.is_dir():
        raise CheckpointError(f"{where} is a directory, expected a checkpoint file written by Trainer.checkpoint")
    state = _load(path, where)
    _check_contents(state, where)
    _check_model(state["model"], model, where)
    _check_optimizer(state["optimizer"], state["optimizer_class"], optimizer, where)
    try:
        state["history"] = History.from_dict(state["history"])
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise CheckpointError(f"{where}: its History is damaged ({e})") from None
    return state


def _load(path: Path, where: str) -> dict:
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"{where} is empty (0 bytes): it is not a checkpoint (was its writing cut short?)")
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] != b"PK":  # torch.save writes a zip archive
        raise CheckpointError(f"{where} is not a checkpoint: it is not a file written by torch.save "
                              f"(its {size} bytes start with {head!r}, a torch.save file starts with b'PK')")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{where} is truncated or damaged: it starts like a checkpoint, but its end is "
                              f"missing ({size} bytes); write it again, or use an earlier checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - every failure becomes one clear message
        if isinstance(e, pickle.UnpicklingError) or "weights_only" in str(e):
            found = re.search(r"GLOBAL ([\w.]+)", str(e))
            what = f" (it holds a {found.group(1)} object)" if found else ""
            raise CheckpointError(
                f"{where} is not a checkpoint written by Trainer.checkpoint: it holds Python objects other than "
                f"tensors, numbers, strings and containers{what}. Checkpoints are read safely, as data only, "
                "so a file that would run code when loaded is refused; load a file written by Trainer.checkpoint"
            ) from None
        raise CheckpointError(f"{where} is damaged and cannot be read ({type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else 'no details'})") from None
    if not isinstance(state, dict) or not str(state.get("format", "")).startswith("nbcourse.train.checkpoint/"):
        raise CheckpointError(f"{where} is not a checkpoint written by Trainer.checkpoint "
                              f"(it holds a {type(state).__name__}{_keys(state)})")
    if state["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{where} was written in the format {state['format']!r}; this version of nbcourse "
                              f"reads {CHECKPOINT_FORMAT!r}. Train again from the start (or with the older version)")
    return state


def _keys(obj) -> str:
    if isinstance(obj, dict):
        return " with keys " + ", ".join(map(repr, list(obj)[:8])) + (", ..." if len(obj) > 8 else "")
    return ""


def _check_contents(state: dict, where: str) -> None:
    missing = [key for key in _REQUIRED if key not in state]
    if missing:
        raise CheckpointError(f"{where} is incomplete: it lacks {missing}")
    for key, kind in _REQUIRED.items():
        value = state[key]
        if not isinstance(value, kind) or (kind is int and (isinstance(value, bool) or value < 0)):
            raise CheckpointError(f"{where} is damaged: {key!r} is {value!r}, expected a {kind.__name__}")
    resume = state["resume"]
    for key in ("seed", "generator", "rng", "partial"):
        if key not in resume:
            raise CheckpointError(f"{where} is incomplete: its resume state lacks {key!r}")
    if resume["generator"] is not None and not isinstance(resume["generator"], torch.Tensor):
        raise CheckpointError(f"{where} is damaged: the shuffling generator's state is not a tensor")
    if resume["rng"] is not None and not (isinstance(resume["rng"], dict) and "cpu" in resume["rng"]):
        raise CheckpointError(f"{where} is damaged: the random state is not a dict of tensors")
    partial = resume["partial"]
    needed = ("generator", "rng", "loader_generator", "steps_done", "totals", "num_samples", "batch_size", "shuffle")
    if partial is not None and not (isinstance(partial, dict) and all(k in partial for k in needed)):
        raise CheckpointError(f"{where} is damaged: the record of its unfinished epoch is incomplete")
    if (partial is None) != (state["step_in_epoch"] == 0):
        raise CheckpointError(f"{where} is damaged: step_in_epoch={state['step_in_epoch']} but "
                              f"{'no' if partial is None else 'a'} record of an unfinished epoch")
    if not all(isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)
               and isinstance(item[1], dict) for item in state["callbacks"]):
        raise CheckpointError(f"{where} is damaged: its callback states are not (name, state) pairs")


def _check_model(saved: dict, model: nn.Module, where: str) -> None:
    """Same parameter and buffer names, same shapes."""
    current = model.state_dict()
    missing = [k for k in current if k not in saved]
    unexpected = [k for k in saved if k not in current]
    shapes = [f"{k}: {tuple(saved[k].shape)} in the file, {tuple(v.shape)} in the model" for k, v in current.items()
              if k in saved and isinstance(saved[k], torch.Tensor) and saved[k].shape != v.shape]
    not_tensors = [k for k in saved if k in current and not isinstance(saved[k], torch.Tensor)]
    if not (missing or unexpected or shapes or not_tensors):
        return
    parts = []
    if missing:
        parts.append(f"the model has {_few(missing)}, which the file lacks")
    if unexpected:
        parts.append(f"the file has {_few(unexpected)}, which the model lacks")
    if shapes:
        parts.append("shapes differ: " + "; ".join(shapes[:4]) + ("; ..." if len(shapes) > 4 else ""))
    if not_tensors:
        parts.append(f"{_few(not_tensors)} are not tensors in the file")
    raise CheckpointError(f"{where} holds a model that does not match this trainer's {type(model).__name__}: "
                          + "; ".join(parts) + ". Build the same architecture (same sizes) before loading; "
                          "nothing was loaded")


def _few(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _check_optimizer(saved: dict, saved_class: str, optimizer, where: str) -> None:
    """Same optimizer class, same parameter groups (number, sizes), state shaped like the parameters."""
    this = optimizer_class_name(optimizer)
    if saved_class != this:
        raise CheckpointError(f"{where} was written with the optimizer {saved_class}, but this trainer's optimizer "
                              f"is {this}; build the trainer with a {saved_class.rsplit('.', 1)[-1]} optimizer to "
                              "load it (nothing was loaded)")
    groups = saved.get("param_groups")
    states = saved.get("state")
    if not isinstance(groups, list) or not isinstance(states, dict):
        raise CheckpointError(f"{where} is damaged: its optimizer state has no parameter groups")
    sizes = [len(g.get("params", ())) if isinstance(g, dict) else -1 for g in groups]
    ours = [len(g["params"]) for g in optimizer.param_groups]
    if sizes != ours:
        raise CheckpointError(f"{where}: its optimizer has parameter groups of {sizes} parameters, this trainer's "
                              f"has {ours}; build the optimizer over the same parameters, grouped the same way "
                              "(nothing was loaded)")
    params = [p for g in optimizer.param_groups for p in g["params"]]
    for index, state in states.items():
        if not isinstance(index, int) or not 0 <= index < len(params) or not isinstance(state, dict):
            raise CheckpointError(f"{where} is damaged: its optimizer state refers to parameter {index!r}")
        for name, value in state.items():
            if isinstance(value, torch.Tensor) and value.ndim > 0 and value.shape != params[index].shape:
                raise CheckpointError(
                    f"{where}: the optimizer's {name!r} for parameter {index} has shape {tuple(value.shape)}, but "
                    f"that parameter has shape {tuple(params[index].shape)}; the optimizer holds the model's "
                    "parameters in another order or another model (nothing was loaded)")

