r"""Toy sequence-to-sequence tasks generated in code: reverse or sort a sequence of digits.

A source sequence is a row of digits :math:`x_1 \dots x_L` (each 0..9); the target is the same
digits reversed, :math:`x_L \dots x_1`, or sorted in increasing order. Both tasks have a known
answer and a known *alignment*: for reversal, output step :math:`t` copies input position
:math:`L + 1 - t` (an anti-diagonal); for sorting, output step :math:`t` copies the position
where the :math:`t`-th smallest digit sits. That is what an attention map should show.

Tokens (one vocabulary for source and target):

=========  ======  =============================================
token      id      meaning
=========  ======  =============================================
``PAD``    0       fills a row up to the longest sequence
``BOS``    1       start of the target (the decoder's first input)
``EOS``    2       end of the target (the decoder must emit it)
digit d    d + 3   the digits 0..9 are the ids 3..12
=========  ======  =============================================

:func:`make_sequences` returns a :class:`SequenceData` of three int64 tensors: ``src``
:math:`(N, L_{max})`, the decoder's inputs ``tgt_in`` :math:`(N, L_{max} + 1)` (``BOS`` then the
target) and the targets ``tgt_out`` :math:`(N, L_{max} + 1)` (the target then ``EOS``): the
decoder reads ``tgt_in[:, t]`` and must predict ``tgt_out[:, t]`` (*teacher forcing*).

Examples::

    >>> from nbcourse.data.sequences import make_sequences, decode
    >>> data = make_sequences(2, length=4, task="reverse", seed=0)
    >>> data.src.shape, data.tgt_in.shape, data.tgt_out.shape
    (torch.Size([2, 4]), torch.Size([2, 5]), torch.Size([2, 5]))
    >>> decode(data.src[0]), decode(data.tgt_out[0])
    ('8 6 5 2', '2 5 6 8 <eos>')
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

__all__ = ["PAD", "BOS", "EOS", "DIGIT_OFFSET", "VOCAB_SIZE", "TASKS", "SequenceData", "make_sequences",
           "target_for", "alignment", "encode", "decode"]

PAD, BOS, EOS = 0, 1, 2
DIGIT_OFFSET = 3          # digit d has token id d + 3
VOCAB_SIZE = 13           # PAD, BOS, EOS and ten digits
TASKS = ("reverse", "sort")

_NAMES = {PAD: "<pad>", BOS: "<bos>", EOS: "<eos>"}


class SequenceData(NamedTuple):
    """Source rows, decoder inputs and decoder targets of a sequence task (int64 tensors)."""

    src: torch.Tensor       # (N, L_max): digit tokens, PAD after the end of a shorter row
    tgt_in: torch.Tensor    # (N, L_max + 1): BOS, then the target's digit tokens, then PAD
    tgt_out: torch.Tensor   # (N, L_max + 1): the target's digit tokens, EOS, then PAD

    @property
    def lengths(self) -> torch.Tensor:
        """Number of digits in each source row, shape (N,)."""
        return (self.src != PAD).sum(dim=1)


def _check_task(task: str, caller: str) -> None:
    if task not in TASKS:
        raise ValueError(f"{caller}: argument 'task' got {task!r}, expected one of {TASKS}")


def target_for(digits, task: str) -> list[int]:
    """The target digits of one source row of digits (plain ints 0..9): reversed or sorted."""
    _check_task(task, "target_for")
    digits = [int(d) for d in digits]
    return digits[::-1] if task == "reverse" else sorted(digits)


def alignment(digits, task: str) -> list[int]:
    """For each output step, the source position (0-based) the output digit is copied from.

    Reversal: ``[L-1, ..., 1, 0]``. Sorting: a stable argsort (equal digits keep their order).

        >>> alignment([7, 2, 9, 4], "sort")
        [1, 3, 0, 2]
    """
    _check_task(task, "alignment")
    digits = [int(d) for d in digits]
    if task == "reverse":
        return list(range(len(digits)))[::-1]
    return [int(i) for i in np.argsort(digits, kind="stable")]


def _check_length(length) -> tuple[int, int]:
    if isinstance(length, (tuple, list)) and len(length) == 2:
        lo, hi = length
    else:
        lo = hi = length
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"make_sequences: argument 'length' got {length!r}, expected a positive int or a "
                             "pair (min_length, max_length) of positive ints")
    if lo > hi:
        raise ValueError(f"make_sequences: argument 'length' got {length!r}: min_length {lo} > max_length {hi}")
    return int(lo), int(hi)


def make_sequences(n: int, *, length: int | tuple[int, int] = 8, task: str = "reverse", seed: int = 0,
                   n_digits: int = 10) -> SequenceData:
    r"""``n`` random digit sequences and their reversed (or sorted) targets, tokenised and padded.

    Args:
        n: number of sequences.
        length: digits per sequence, an int, or a pair ``(min_length, max_length)`` to draw each
            row's length uniformly from (rows are padded with ``PAD`` to the longest). Default 8.
        task: ``"reverse"`` (default) or ``"sort"``.
        seed: seeds the generator: the same seed gives the same data. Default 0.
        n_digits: digits are drawn uniformly from ``0 .. n_digits - 1`` (default 10, at most 10).

    Returns:
        :class:`SequenceData` ``(src, tgt_in, tgt_out)``, int64 tensors of shapes
        :math:`(n, L_{max})`, :math:`(n, L_{max}+1)`, :math:`(n, L_{max}+1)`.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"make_sequences: argument 'n' got {n!r}, expected a positive int")
    lo, hi = _check_length(length)
    _check_task(task, "make_sequences")
    if isinstance(n_digits, bool) or not isinstance(n_digits, (int, np.integer)) or not 1 <= n_digits <= 10:
        raise ValueError(f"make_sequences: argument 'n_digits' got {n_digits!r}, expected an int in 1..10")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(lo, hi + 1, size=n)
    digits = rng.integers(0, n_digits, size=(n, hi))
    src = np.full((n, hi), PAD, dtype=np.int64)
    tgt_in = np.full((n, hi + 1), PAD, dtype=np.int64)
    tgt_out = np.full((n, hi + 1), PAD, dtype=np.int64)
    tgt_in[:, 0] = BOS
    for i, L in enumerate(lengths):
        row = digits[i, :L]
        target = np.asarray(target_for(row, task), dtype=np.int64)
        src[i, :L] = row + DIGIT_OFFSET
        tgt_in[i, 1:L + 1] = target + DIGIT_OFFSET
        tgt_out[i, :L] = target + DIGIT_OFFSET
        tgt_out[i, L] = EOS
    return SequenceData(torch.from_numpy(src), torch.from_numpy(tgt_in), torch.from_numpy(tgt_out))


def encode(digits) -> torch.Tensor:
    """Digits (ints 0..9, or a string such as ``"3 1 4"`` or ``"314"``) as a row of source tokens, shape (1, L)."""
    if isinstance(digits, str):
        digits = digits.split() if any(c.isspace() for c in digits.strip()) else list(digits.strip())
    values = [int(d) for d in digits]
    if not values or any(not 0 <= d <= 9 for d in values):
        raise ValueError(f"encode: argument 'digits' got {digits!r}, expected one or more digits 0..9")
    return torch.tensor([values], dtype=torch.int64) + DIGIT_OFFSET


def decode(tokens, *, stop_at_eos: bool = True) -> str:
    """A row of tokens as text: digits, ``<bos>``, ``<eos>``; ``PAD`` is dropped; stops after ``EOS``."""
    out = []
    for t in (tokens.tolist() if hasattr(tokens, "tolist") else list(tokens)):
        t = int(t)
        if t == PAD:
            continue
        out.append(_NAMES.get(t, str(t - DIGIT_OFFSET)))
        if t == EOS and stop_at_eos:
            break
    return " ".join(out)
