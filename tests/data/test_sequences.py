"""The toy sequence tasks: tokens, targets, padding, seeds and errors (nbcourse/data/sequences.py)."""

from __future__ import annotations

import pytest
import torch

from nbcourse.data.sequences import (BOS, DIGIT_OFFSET, EOS, PAD, VOCAB_SIZE, alignment, decode, encode,
                                     make_sequences, target_for)


@pytest.mark.parametrize("task", ["reverse", "sort"])
def test_targets_are_the_reversed_or_sorted_source(task):
    data = make_sequences(50, length=(2, 9), task=task, seed=3)
    assert data.src.dtype == data.tgt_in.dtype == data.tgt_out.dtype == torch.int64
    assert data.src.shape == (50, 9) and data.tgt_in.shape == data.tgt_out.shape == (50, 10)
    for src, tgt_in, tgt_out, L in zip(data.src, data.tgt_in, data.tgt_out, data.lengths):
        L = int(L)
        digits = (src[:L] - DIGIT_OFFSET).tolist()
        assert (src[L:] == PAD).all() and (src[:L] >= DIGIT_OFFSET).all()
        expected = digits[::-1] if task == "reverse" else sorted(digits)
        assert (tgt_out[:L] - DIGIT_OFFSET).tolist() == expected == target_for(digits, task)
        assert tgt_out[L] == EOS and (tgt_out[L + 1:] == PAD).all()
        # teacher forcing: the decoder reads BOS then the target shifted by one
        assert tgt_in[0] == BOS and torch.equal(tgt_in[1:L + 1], tgt_out[:L]) and (tgt_in[L + 1:] == PAD).all()
    assert int(data.src.max()) < VOCAB_SIZE
    assert set(data.lengths.tolist()) <= set(range(2, 10)) and len(set(data.lengths.tolist())) > 3


def test_seeded_and_fixed_length():
    a, b, c = (make_sequences(20, length=5, seed=s) for s in (0, 0, 1))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a.src, c.src)
    assert (a.lengths == 5).all() and not (a.src == PAD).any()


def test_alignment_points_at_the_copied_digit():
    digits = [7, 2, 9, 4, 2]
    for task in ("reverse", "sort"):
        positions = alignment(digits, task)
        assert [digits[p] for p in positions] == target_for(digits, task)
    assert alignment(digits, "reverse") == [4, 3, 2, 1, 0]
    assert alignment(digits, "sort") == [1, 4, 3, 0, 2], "equal digits keep their order (stable)"


def test_encode_decode_round_trip():
    tokens = encode("3 1 4")
    assert tokens.tolist() == [[6, 4, 7]] and torch.equal(encode([3, 1, 4]), tokens) and torch.equal(encode("314"), tokens)
    assert decode(torch.tensor([BOS, 6, 4, EOS, 5, PAD])) == "<bos> 3 1 <eos>"
    assert decode([6, EOS, 5], stop_at_eos=False) == "3 <eos> 2"


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "'n'"), ({"n": 3, "length": 0}, "'length'"), ({"n": 3, "length": (5, 2)}, "min_length 5"),
    ({"n": 3, "task": "copy"}, "'task'"), ({"n": 3, "n_digits": 11}, "'n_digits'"),
])
def test_errors_name_the_argument(kwargs, match):
    n = kwargs.pop("n")
    with pytest.raises(ValueError, match=match):
        make_sequences(n, **kwargs)


def test_encode_rejects_non_digits():
    with pytest.raises(ValueError, match="digits 0..9"):
        encode("1 12")
    with pytest.raises(ValueError, match="'task'"):
        alignment([1, 2], "shuffle")
