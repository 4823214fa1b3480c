"""CharRNN: shapes, errors, the recurrence against its formula, state carrying, temperature, it learns."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nbcourse.data.text import Vocabulary, char_sequences
from nbcourse.models import CharRNN, NextCharLogits
from nbcourse.models.char_rnn import gradient_decay, temperature_probabilities
from nbcourse.train import Trainer

TEXT = "the cat sat on the mat. " * 20


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embedding_dim", [None, 5])
def test_shapes_of_logits_and_state(cell, embedding_dim):
    model = CharRNN(TEXT, hidden_size=12, cell=cell, num_layers=2, embedding_dim=embedding_dim, seed=0)
    V = len(model.vocab)
    x = torch.randint(0, V, (3, 7), generator=torch.Generator().manual_seed(0))
    logits, state = model(x)
    assert logits.shape == (3, 7, V)
    h = state[0] if cell == "lstm" else state
    assert h.shape == (2, 3, 12)
    if cell == "lstm":
        assert state[1].shape == (2, 3, 12)
    assert NextCharLogits(model)(x).shape == (3, V, 7)
    init = model.init_state(3)
    logits2, _ = model(x, init)
    assert torch.allclose(logits, logits2), "state=None means the zero state"


def test_vocab_forms_and_encode_decode():
    a = CharRNN("hello", hidden_size=4, seed=0)
    b = CharRNN(Vocabulary("ehlo"), hidden_size=4, seed=0)
    c = CharRNN(["e", "h", "l", "o"], hidden_size=4, seed=0)
    assert a.vocab == b.vocab == c.vocab
    assert a.decode(a.encode("hole")) == "hole"
    assert a.encode("eh").tolist() == [0, 1]


def test_rnn_matches_the_recurrence_written_out():
    model = CharRNN("abcd", hidden_size=6, cell="rnn", seed=1)
    rnn, head = model.rnn, model.head
    x = torch.tensor([[0, 3, 1, 2, 2]])
    h = torch.zeros(6)
    expected = []
    for t in range(x.shape[1]):
        x_t = torch.nn.functional.one_hot(x[0, t], 4).float()
        h = torch.tanh(rnn.weight_ih_l0 @ x_t + rnn.weight_hh_l0 @ h + rnn.bias_ih_l0 + rnn.bias_hh_l0)
        expected.append(head.weight @ h + head.bias)
    logits, state = model(x)
    assert torch.allclose(logits[0], torch.stack(expected), atol=1e-6)
    assert torch.allclose(state[0, 0], h, atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_step_by_step_with_carried_state_equals_the_whole_sequence(cell):
    model = CharRNN(TEXT, hidden_size=10, cell=cell, num_layers=2, seed=0)
    x = model.encode("the mat sat").unsqueeze(0)
    full, full_state = model(x)
    state, steps = None, []
    for t in range(x.shape[1]):
        logits, state = model(x[:, t:t + 1], state)
        steps.append(logits[:, 0])
    assert torch.allclose(torch.stack(steps, dim=1), full, atol=1e-6)
    # and forgetting the state gives something else
    forgetful = torch.stack([model(x[:, t:t + 1])[0][:, 0] for t in range(x.shape[1])], dim=1)
    assert not torch.allclose(forgetful, full, atol=1e-3)


def _greedy_by_hand(model, prefix, length):
    x = model.encode(prefix).unsqueeze(0)
    out = []
    with torch.no_grad():
        logits, state = model(x)
        for _ in range(length):
            k = int(logits[0, -1].argmax())
            out.append(k)
            logits, state = model(torch.tensor([[k]]), state)
    return model.decode(out)


def test_sample_length_seed_and_low_temperature_is_greedy():
    model = CharRNN(TEXT, hidden_size=16, cell="lstm", seed=0)
    s = model.sample("the ", 30, temperature=1.0, seed=3)
    assert len(s) == 30 and set(s) <= set(model.vocab.chars)
    assert s == model.sample("the ", 30, temperature=1.0, seed=3)
    assert model.sample("the ", 0) == ""
    greedy = _greedy_by_hand(model, "the ", 30)
    for seed in range(3):
        assert model.sample("the ", 30, temperature=1e-6, seed=seed) == greedy
    assert model.sample("the ", 30, temperature=1e-300, seed=0) == greedy, "no NaN at tiny temperatures"
    assert model.training, "sample restores training mode"


def test_temperature_sharpens_and_flattens():
    logits = torch.tensor([2.0, 1.0, 0.5, -1.0])

    def entropy(p):
        return float(-(p * p.clamp_min(1e-300).log()).sum())

    entropies = [entropy(temperature_probabilities(logits, t)) for t in (0.1, 0.5, 1.0, 2.0, 10.0, 1e4)]
    assert all(a < b for a, b in zip(entropies, entropies[1:])), entropies
    assert entropies[-1] == pytest.approx(torch.log(torch.tensor(4.0)).item(), abs=1e-3)
    assert torch.allclose(temperature_probabilities(logits, 1.0), torch.softmax(logits.double(), 0))
    # sampled texts: more varied (more distinct pairs of characters) at a higher temperature
    model = CharRNN(TEXT, hidden_size=16, seed=0)
    pairs = {t: len({s[i:i + 2] for i in range(len(s) - 1)})
             for t in (0.2, 3.0) for s in [model.sample("t", 300, temperature=t, seed=0)]}
    assert pairs[0.2] < pairs[3.0], pairs


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_bad_temperature(temperature):
    model = CharRNN("abc", hidden_size=4, seed=0)
    with pytest.raises(ValueError, match="temperature"):
        model.sample("a", 5, temperature=temperature)


def test_errors_name_the_argument():
    model = CharRNN("abc", hidden_size=4, seed=0)
    with pytest.raises(ValueError, match=r"'z'.*'!'|'z', '!'"):
        model.sample("az!", 5)
    with pytest.raises(ValueError, match="prefix"):
        model.sample("", 5)
    with pytest.raises(ValueError, match="length"):
        model.sample("a", -1)
    with pytest.raises(ValueError, match="x.unsqueeze"):
        model(torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="int64"):
        model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="0..2"):
        model(torch.tensor([[0, 5]]))
    with pytest.raises(ValueError, match="'cell'"):
        CharRNN("abc", cell="transformer")
    with pytest.raises(ValueError, match="'hidden_size'"):
        CharRNN("abc", hidden_size=0)
    with pytest.raises(TypeError, match="'vocab'"):
        CharRNN(42)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        model.encode("abz")


def test_seed_and_global_generator():
    state = torch.get_rng_state()
    a, b = CharRNN("abc", hidden_size=5, cell="lstm", seed=2), CharRNN("abc", hidden_size=5, cell="lstm", seed=2)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_it_learns_a_repetitive_text(cell):
    X, y = char_sequences(TEXT, seq_len=16, step=4)
    model = CharRNN(TEXT, hidden_size=32, cell=cell, seed=0)
    trainer = Trainer(NextCharLogits(model), nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.02),
                      device="cpu", seed=0)
    history = trainer.fit((X, y), epochs=15, batch_size=32)
    assert history["train_loss"][-1] < 0.25 * history["train_loss"][0]
    assert history["train_loss"][-1] < 0.6
    # it continues the text it learned, greedily
    assert model.sample("the cat sat on the ", 9, temperature=1e-3, seed=0) == "mat. the "


def test_gradient_decays_with_distance_faster_in_a_small_rnn_than_in_an_lstm():
    torch.manual_seed(0)
    x = torch.randint(0, 8, (16, 40))
    rnn = CharRNN("abcdefgh", hidden_size=32, cell="rnn", seed=0)
    lstm = CharRNN("abcdefgh", hidden_size=32, cell="lstm", seed=0)
    g_rnn, g_lstm = gradient_decay(rnn, x), gradient_decay(lstm, x)
    assert g_rnn.shape == (40,) and g_rnn.dtype == torch.float64
    assert g_rnn[-1] > 100 * g_rnn[-21], "the vanilla RNN forgets within 20 steps"
    assert g_rnn[-21] / g_rnn[-1] < g_lstm[-21] / g_lstm[-1]
    # checked against the gradient of the same loss computed through forward()
    inputs = x[:2]
    g = gradient_decay(rnn, inputs)
    assert torch.isfinite(g).all() and (g > 0).all()


def test_lstm_forget_gate_bias_starts_at_one_unless_asked_otherwise():
    model = CharRNN("abc", hidden_size=4, cell="lstm", num_layers=2, seed=0)
    for layer in range(2):
        b = getattr(model.rnn, f"bias_ih_l{layer}") + getattr(model.rnn, f"bias_hh_l{layer}")
        assert torch.equal(b[4:8], torch.ones(4)), "gate order i, f, g, o: the second slice is the forget gate"
    torch_init = CharRNN("abc", hidden_size=4, cell="lstm", forget_bias=None, seed=0)
    b = torch_init.rnn.bias_ih_l0 + torch_init.rnn.bias_hh_l0
    assert not torch.equal(b[4:8], torch.ones(4))
    assert CharRNN("abc", hidden_size=4, cell="rnn", seed=0).forget_bias is None
