"""Seq2Seq and attention: shapes, errors, weights that average, agreement with torch, it learns reversal."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nbcourse.data.sequences import EOS, PAD, alignment, make_sequences
from nbcourse.losses import softmax
from nbcourse.models import Attention, Seq2Seq, Seq2SeqConfig, TeacherForcing, accuracy_by_length, dot_product_attention, sequence_accuracy
from nbcourse.train import Trainer


def _batch(n=4, length=(2, 6), seed=0):
    return make_sequences(n, length=length, seed=seed)


@pytest.mark.parametrize("attention", ["dot", "additive", "none"])
def test_shapes(attention):
    data = _batch()
    model = Seq2Seq(attention=attention, hidden_size=16, embedding_size=8, seed=0)
    logits, weights = model.forward_with_weights(data.src, data.tgt_in)
    assert logits.shape == (4, data.tgt_in.shape[1], 13)
    assert torch.equal(model(data.src, data.tgt_in), logits)
    tokens, w = model.greedy_decode(data.src, max_len=9)
    assert tokens.shape == (4, 9) and tokens.dtype == torch.int64
    if attention == "none":
        assert weights is None and w is None
    else:
        assert weights.shape == (4, data.tgt_in.shape[1], data.src.shape[1])
        assert w.shape == (4, 9, data.src.shape[1])


@pytest.mark.parametrize("attention", ["dot", "additive"])
def test_attention_rows_sum_to_one_and_padding_gets_no_weight(attention):
    data = _batch(8, length=(1, 7), seed=2)
    model = Seq2Seq(attention=attention, hidden_size=16, seed=1)
    _, weights = model.forward_with_weights(data.src, data.tgt_in)
    assert torch.allclose(weights.sum(-1), torch.ones(weights.shape[:2]), atol=1e-6)
    assert (weights >= 0).all()
    pad = (data.src == PAD).unsqueeze(1).expand_as(weights)
    assert (weights[pad] == 0).all()
    _, greedy_w = model.greedy_decode(data.src)
    assert torch.allclose(greedy_w.sum(-1), torch.ones(greedy_w.shape[:2]), atol=1e-6)


def test_greedy_decode_agrees_with_teacher_forcing_on_its_own_output():
    data = _batch(5, length=(3, 6), seed=4)
    model = Seq2Seq(seed=3, hidden_size=16)
    torch.manual_seed(0)
    with torch.no_grad():  # make the untrained model produce EOS rarely: decode full length
        model.out.bias[EOS] -= 10
    tokens, weights = model.greedy_decode(data.src, max_len=6)
    tgt_in = torch.cat([torch.full((5, 1), 1), tokens[:, :-1]], dim=1)
    logits, tf_weights = model.forward_with_weights(data.src, tgt_in)
    assert torch.equal(logits.argmax(-1), tokens)
    assert torch.allclose(tf_weights, weights, atol=1e-6)


def test_padding_does_not_change_a_row():
    """A row decoded alone and inside a padded batch gives the same logits (packing works)."""
    model = Seq2Seq(seed=0, hidden_size=16)
    short = torch.tensor([[5, 7, 4]])
    tgt = torch.tensor([[1, 4, 7, 5]])
    padded_src = torch.tensor([[5, 7, 4, 0, 0], [3, 4, 5, 6, 7]])
    padded_tgt = torch.tensor([[1, 4, 7, 5, 0, 0], [1, 7, 6, 5, 4, 3]])
    alone = model(short, tgt)
    batched = model(padded_src, padded_tgt)[:1, :4]
    assert torch.allclose(alone, batched, atol=1e-5)


def test_dot_product_attention_matches_torch_and_the_formula():
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, s, 8, generator=gen, dtype=torch.float64) for s in (1, 1, 1))
    q, k, v = q.squeeze(2), torch.randn(2, 5, 8, generator=gen, dtype=torch.float64), torch.randn(2, 5, 4, generator=gen, dtype=torch.float64)
    context, weights = dot_product_attention(q, k, v)
    assert torch.allclose(context, F.scaled_dot_product_attention(q, k, v), atol=1e-12)
    assert torch.allclose(weights, softmax(q @ k.transpose(1, 2) / 8 ** 0.5, dim=-1), atol=1e-12)
    mask = torch.tensor([[True, True, False, True, False]] * 2).unsqueeze(1)
    masked, mw = dot_product_attention(q, k, v, mask=mask)
    assert torch.allclose(masked, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-12)
    assert (mw[..., 2] == 0).all() and (mw[..., 4] == 0).all()
    # gradients of the whole computation, in float64
    assert torch.autograd.gradcheck(lambda a, b, c: dot_product_attention(a, b, c)[0],
                                    (q.requires_grad_(), k.requires_grad_(), v.requires_grad_()))


def test_scale_sharpens_the_weights():
    q = torch.tensor([[[1.0, 0.0]]])
    k = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]])
    flat = dot_product_attention(q, k, k, scale=0.0)[1]
    assert torch.allclose(flat, torch.full((1, 1, 3), 1 / 3))
    sharp = dot_product_attention(q, k, k, scale=100.0)[1]
    assert sharp[0, 0, 0] > 0.999


def test_seed_and_global_generator():
    state = torch.get_rng_state()
    a, b = Seq2Seq(seed=5), Seq2Seq(seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert "attention='dot'" in repr(a)
    c = Seq2Seq.from_config(Seq2SeqConfig(seed=5))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m(torch.tensor([[3.0, 4.0]]), torch.tensor([[1, 4]])), TypeError, "'src'.*int64"),
    (lambda m: m(torch.tensor([[3, 40]]), torch.tensor([[1, 4]])), ValueError, "'src'.*0..12"),
    (lambda m: m(torch.tensor([[3, 4]]), torch.tensor([1, 4])), TypeError, "'tgt_in'"),
    (lambda m: m(torch.tensor([[3, 4], [0, 0]]), torch.tensor([[1, 4], [1, 4]])), ValueError, "all PAD"),
    (lambda m: m(torch.tensor([[0, 4]]), torch.tensor([[1, 4]])), ValueError, "PAD .0. before a token"),
    (lambda m: m(torch.tensor([[3, 4]]), torch.tensor([[1, 4], [1, 5]])), ValueError, "1 rows but tgt_in has 2"),
    (lambda m: m.greedy_decode(torch.tensor([[3, 4]]), max_len=0), ValueError, "'max_len'"),
    (lambda m: TeacherForcing(m, src_len=4)(torch.tensor([[3, 4, 5, 6]])), ValueError, "TeacherForcing.pack"),
    (lambda m: sequence_accuracy(TeacherForcing(m, src_len=2), torch.tensor([[3, 4]]), torch.tensor([[4, 3, 2]])),
     TypeError, "unwrap"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(Seq2Seq(hidden_size=8, seed=0))


@pytest.mark.parametrize("kwargs, match", [({"attention": "luong"}, "'attention'"), ({"hidden_size": 0}, "'hidden_size'"),
                                           ({"vocab_size": 2}, "'vocab_size'")])
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Seq2Seq(**kwargs)
    with pytest.raises(ValueError, match="'kind'"):
        Attention(4, 4, kind="cosine")


def test_learns_reversal_and_attends_on_the_anti_diagonal():
    train = make_sequences(1500, length=(3, 6), task="reverse", seed=0)
    test = make_sequences(200, length=(3, 6), task="reverse", seed=1)
    model = Seq2Seq(hidden_size=32, embedding_size=16, seed=0)
    wrapped = TeacherForcing(model, src_len=train.src.shape[1])
    trainer = Trainer(wrapped, torch.nn.CrossEntropyLoss(ignore_index=PAD), torch.optim.Adam(wrapped.parameters(), lr=1e-2),
                      device="cpu", seed=0, metrics="accuracy")
    before = sequence_accuracy(model, test.src, test.tgt_out)
    history = trainer.fit((TeacherForcing.pack(train.src, train.tgt_in), train.tgt_out), epochs=5, batch_size=64)
    assert history["train_loss"][-1] < history["train_loss"][0] / 5
    after = sequence_accuracy(model, test.src, test.tgt_out)
    assert before < 0.05 and after > 0.8, (before, after)
    by_length = accuracy_by_length(model, test.src, test.tgt_out)
    assert sorted(by_length) == [3, 4, 5, 6]
    # the map: each output step puts most weight on the digit it copies
    _, weights = model.greedy_decode(test.src[:50])
    hits = total = 0
    for row, w in zip(test.src[:50], weights):
        L = int((row != PAD).sum())
        ideal = alignment((row[:L] - 3).tolist(), "reverse")
        hits += sum(int(w[t].argmax()) == s for t, s in enumerate(ideal))
        total += L
    assert hits / total > 0.8, hits / total
