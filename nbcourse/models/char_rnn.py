r"""A character-level language model: a recurrent network that reads a text and predicts the next character.

.. math::
    x_t = \text{onehot}(c_t) \ \text{(or an embedding)}, \qquad
    h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h), \qquad
    \hat{y}_t = W_{hy} h_t + b_y, \qquad
    P(c_{t+1} = k \mid c_{\le t}) = \text{softmax}(\hat{y}_t)_k

for ``cell="rnn"`` (Elman's simple recurrent network); ``cell="lstm"`` (Hochreiter and
Schmidhuber, 1997) and ``cell="gru"`` (Cho et al., 2014) replace the tanh update by a gated one
that keeps a memory across many steps. The state :math:`h_t` (and the LSTM's cell
:math:`c_t`) is what the network remembers of everything it has read.

Trained on ``(X, y)`` pairs where ``y`` is ``X`` shifted by one character
(:func:`nbcourse.data.text.char_sequences`), through :class:`NextCharLogits` (which gives the
:class:`~nbcourse.train.Trainer` one tensor in the layout ``nn.CrossEntropyLoss`` takes), it then
writes text one character at a time with :meth:`CharRNN.sample` (Karpathy, 2015, *The
Unreasonable Effectiveness of Recurrent Neural Networks*).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from nbcourse.data.text import Vocabulary

__all__ = ["CharRNN", "CharRNNConfig", "NextCharLogits", "CELLS", "gradient_decay", "temperature_probabilities"]

#: The recurrent cells, by name.
CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


@dataclass
class CharRNNConfig:
    vocab: str = "abc"               # the characters (a Vocabulary, or a str whose distinct characters are used)
    hidden_size: int = 128           # size of the state h_t
    cell: str = "rnn"                # "rnn" (tanh), "gru" or "lstm"
    num_layers: int = 1              # recurrent layers stacked
    embedding_dim: int | None = None  # None: one-hot inputs (W_xh is the embedding); an int: a learned nn.Embedding
    dropout: float = 0.0             # dropout between stacked recurrent layers
    forget_bias: float | None = 1.0  # LSTM only: initial forget-gate bias (None: PyTorch's init)
    seed: int | None = None          # seed of the initial weights


def _as_vocab(vocab) -> Vocabulary:
    if isinstance(vocab, Vocabulary):
        return vocab
    if isinstance(vocab, str):
        return Vocabulary.from_text(vocab)
    if isinstance(vocab, (list, tuple)):
        return Vocabulary(vocab)
    raise TypeError(f"CharRNN: argument 'vocab' got {type(vocab).__name__}, expected a Vocabulary, a str of the "
                    "alphabet (its distinct characters are used, sorted) or a list of characters")


def temperature_probabilities(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    r"""The sampling distribution :math:`\text{softmax}(\hat{y} / \tau)` over the last dimension, in float64.

    :math:`\tau \to 0` puts all the probability on the argmax (greedy decoding), :math:`\tau = 1`
    is the model's own distribution, :math:`\tau \to \infty` the uniform one. Computed as
    :math:`\text{softmax}((\hat{y} - \max \hat{y}) / \tau)`, so that even :math:`\tau = 10^{-300}`
    gives the one-hot argmax, not NaN.

    Raises:
        ValueError: ``temperature`` is not a number > 0.

    Examples::

        >>> temperature_probabilities(torch.tensor([2.0, 1.0, 0.0]), 1e-9).tolist()
        [1.0, 0.0, 0.0]
    """
    _check_temperature(temperature, "temperature_probabilities")
    z = logits.detach().to(torch.float64)
    z = z - z.max(dim=-1, keepdim=True).values
    return torch.softmax(z / float(temperature), dim=-1)


def _check_temperature(temperature, caller: str) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0 \
            or temperature != temperature or temperature == float("inf"):
        raise ValueError(f"{caller}: argument 'temperature' got {temperature!r}, expected a finite number > 0 "
                         "(small values approach greedy decoding, 1 samples the model's own distribution)")


class CharRNN(nn.Module):
    r"""A character-level language model: one-hot (or embedded) characters -> recurrent layers -> logits.

    .. math::
        h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h), \qquad \hat{y}_t = W_{hy} h_t + b_y

    (``cell="rnn"``; PyTorch's ``nn.RNN`` has two biases, :math:`b_h = b_{ih} + b_{hh}`).

    Args:
        vocab: the characters: a :class:`~nbcourse.data.text.Vocabulary`, a str (its distinct
            characters, sorted, as :meth:`Vocabulary.from_text`) or a list of characters.
        hidden_size: size of the state :math:`h_t` (default 128).
        cell: ``"rnn"`` (tanh; default), ``"gru"`` or ``"lstm"``.
        num_layers: stacked recurrent layers (default 1).
        embedding_dim: None (default): one-hot inputs, so :math:`W_{xh}` is the embedding; an int:
            a learned ``nn.Embedding`` of that size in front.
        dropout: dropout between stacked recurrent layers (default 0; needs ``num_layers > 1``).
        forget_bias: LSTM only: the forget gate's initial bias :math:`b_f` (default 1.0, so that
            :math:`f_t = \sigma(\cdot) \approx 0.73` at the start and the cell keeps most of its
            content and gradient from step to step, as Gers, Schmidhuber and Cummins, 2000, and
            Jozefowicz, Zaremba and Sutskever, 2015, recommend; None: PyTorch's initialisation,
            :math:`b_f \approx 0`, :math:`f_t \approx 0.5`). Set in ``bias_ih`` (``bias_hh``'s
            forget slice is zeroed).
        seed: seed of the initial weights (default None: PyTorch's global generator, left as it was otherwise).

    Shape:
        - ``forward`` input ``x``: :math:`(N, T)` int64 character indices (batch first).
        - ``state``: for ``rnn`` / ``gru`` a tensor :math:`(L, N, H)`; for ``lstm`` a pair
          :math:`(h, c)` of such tensors (``L = num_layers``, ``H = hidden_size``); None: zeros.
        - output: ``(logits, state)``, logits :math:`(N, T, V)` (``V = len(vocab)``, the scores
          of the character that follows each position) and the state after the last step.

    Examples::

        >>> model = CharRNN("hello world", hidden_size=16, cell="lstm", seed=0)
        >>> logits, (h, c) = model(model.encode("hello").unsqueeze(0))
        >>> logits.shape, h.shape
        (torch.Size([1, 5, 8]), torch.Size([1, 1, 16]))
        >>> len(model.sample("he", 10, temperature=0.5, seed=0))
        10
    """

    def __init__(self, vocab="abc", *, hidden_size: int = 128, cell: str = "rnn", num_layers: int = 1,
                 embedding_dim: int | None = None, dropout: float = 0.0, forget_bias: float | None = 1.0,
                 seed: int | None = None) -> None:
        super().__init__()
        self.vocab = _as_vocab(vocab)
        for name, value in (("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CharRNN: argument {name!r} got {value!r}, expected a positive integer")
        if embedding_dim is not None and (isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int)
                                          or embedding_dim < 1):
            raise ValueError(f"CharRNN: argument 'embedding_dim' got {embedding_dim!r}, expected a positive integer "
                             "or None (one-hot inputs)")
        if not isinstance(cell, str) or cell.lower() not in CELLS:
            raise ValueError(f"CharRNN: argument 'cell' got {cell!r}, expected one of {sorted(CELLS)}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"CharRNN: argument 'dropout' got {dropout!r}, expected a probability in [0, 1)")
        self.cell = cell.lower()
        self.hidden_size, self.num_layers, self.embedding_dim = hidden_size, num_layers, embedding_dim
        V = len(self.vocab)
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            self.embedding = nn.Embedding(V, embedding_dim) if embedding_dim is not None else None
            input_size = embedding_dim if embedding_dim is not None else V
            self.rnn = CELLS[self.cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                                        dropout=dropout if num_layers > 1 else 0.0)
            self.head = nn.Linear(hidden_size, V)
        self.forget_bias = forget_bias if self.cell == "lstm" else None
        if self.forget_bias is not None:
            H = hidden_size
            with torch.no_grad():
                for layer in range(num_layers):   # PyTorch's gate order: input, forget, cell, output
                    getattr(self.rnn, f"bias_ih_l{layer}")[H:2 * H].fill_(float(forget_bias))
                    getattr(self.rnn, f"bias_hh_l{layer}")[H:2 * H].zero_()

    @classmethod
    def from_config(cls, config: CharRNNConfig) -> "CharRNN":
        """Build from a :class:`CharRNNConfig`."""
        c = config
        return cls(c.vocab, hidden_size=c.hidden_size, cell=c.cell, num_layers=c.num_layers,
                   embedding_dim=c.embedding_dim, dropout=c.dropout, forget_bias=c.forget_bias, seed=c.seed)

    # ------------------------------------------------------------------ text <-> indices
    def encode(self, text: str) -> torch.Tensor:
        """The indices of ``text``'s characters, ``(len(text),)`` int64 (ValueError naming unknown characters)."""
        return self.vocab.encode(text)

    def decode(self, indices) -> str:
        """The characters at ``indices`` (1-d), as a string."""
        return self.vocab.decode(indices)

    # ------------------------------------------------------------------ the model
    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """The vectors :math:`x_t` the recurrent layer reads: one-hot rows or embeddings, ``(N, T, input_size)``."""
        if self.embedding is not None:
            return self.embedding(x)                                   # (N, T, E)
        return F.one_hot(x, len(self.vocab)).to(self.head.weight.dtype)  # (N, T, V)

    def forward(self, x: torch.Tensor, state=None):
        """``(logits (N, T, V), state)`` for character indices ``x`` of shape ``(N, T)``, starting from ``state``."""
        self._check_indices(x)
        out, state = self.rnn(self.inputs(x), state)  # out: (N, T, H), the top layer's h_t at every step
        return self.head(out), state                  # (N, T, V)

    def _check_indices(self, x) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"CharRNN: argument 'x' got {type(x).__name__}, expected an int64 tensor of character "
                            "indices of shape (N, T); use model.encode(text).unsqueeze(0)")
        if x.is_floating_point() or x.dtype == torch.bool:
            raise TypeError(f"CharRNN: argument 'x' has dtype {x.dtype}, expected int64 character indices")
        if x.ndim != 2:
            hint = " (one sequence: x.unsqueeze(0))" if x.ndim == 1 else ""
            raise ValueError(f"CharRNN: argument 'x' has shape {tuple(x.shape)}, expected (N, T): a batch of N "
                             f"sequences of T characters{hint}")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= len(self.vocab)):
            raise ValueError(f"CharRNN: argument 'x' holds indices {int(x.min())}..{int(x.max())}, expected "
                             f"0..{len(self.vocab) - 1} (the vocabulary has {len(self.vocab)} characters)")

    def init_state(self, batch_size: int = 1):
        """The zero state for ``batch_size`` sequences (what ``state=None`` means)."""
        h = torch.zeros(self.num_layers, batch_size, self.hidden_size, device=self.head.weight.device,
                        dtype=self.head.weight.dtype)
        return (h, h.clone()) if self.cell == "lstm" else h

    @torch.no_grad()
    def next_char_probabilities(self, prefix: str, temperature: float = 1.0) -> torch.Tensor:
        """The distribution of the character after ``prefix`` at ``temperature``: ``(V,)`` float64, summing to 1."""
        _check_temperature(temperature, "CharRNN.next_char_probabilities")
        x = self._encode_prefix(prefix, "CharRNN.next_char_probabilities")
        was_training = self.training
        self.eval()
        try:
            logits, _ = self(x.unsqueeze(0))
        finally:
            self.train(was_training)
        return temperature_probabilities(logits[0, -1], temperature).cpu()

    def _encode_prefix(self, prefix, caller: str) -> torch.Tensor:
        if not isinstance(prefix, str):
            raise TypeError(f"{caller}: argument 'prefix' got {type(prefix).__name__}, expected a str")
        if not prefix:
            raise ValueError(f"{caller}: argument 'prefix' is empty, expected at least one character to start from")
        missing = self.vocab.unknown(prefix)
        if missing:
            raise ValueError(f"{caller}: the prefix holds character(s) the model does not know: "
                             f"{', '.join(repr(c) for c in missing)}; its vocabulary has {len(self.vocab)} characters")
        return self.vocab.encode(prefix).to(self.head.weight.device)

    @torch.no_grad()
    def sample(self, prefix: str, length: int, temperature: float = 1.0, *, seed: int | None = None) -> str:
        r"""Write ``length`` characters after ``prefix``, one at a time, carrying the state.

        The prefix is read in one forward pass; then each new character is drawn from
        :math:`\text{softmax}(\hat{y}_t / \tau)` and fed back as the next input, with the state
        of the previous step.

        Args:
            prefix: the text to continue (at least one character, all in the vocabulary).
            length: how many characters to write (>= 0).
            temperature: :math:`\tau > 0` (default 1: the model's distribution; towards 0: greedy,
                always the most likely character; above 1: more uniform, more surprising).
            seed: seed of the draws (default None: PyTorch's global generator).

        Returns:
            the ``length`` new characters (without the prefix).

        Raises:
            ValueError: an empty prefix or characters the model does not know (named), a negative
                ``length``, ``temperature`` not > 0.
        """
        _check_temperature(temperature, "CharRNN.sample")
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise ValueError(f"CharRNN.sample: argument 'length' got {length!r}, expected an integer >= 0")
        x = self._encode_prefix(prefix, "CharRNN.sample")
        generator = None
        if seed is not None:
            generator = torch.Generator(device="cpu").manual_seed(int(seed))
        was_training = self.training
        self.eval()
        out: list[int] = []
        try:
            logits, state = self(x.unsqueeze(0))                # read the prefix: (1, P, V)
            last = logits[0, -1]                                # scores of the next character
            for _ in range(length):
                p = temperature_probabilities(last, temperature).cpu()
                k = int(torch.multinomial(p, 1, generator=generator))
                out.append(k)
                step = torch.tensor([[k]], device=x.device)     # (1, 1): the character just written
                logits, state = self(step, state)               # carry the state
                last = logits[0, -1]
        finally:
            self.train(was_training)
        return self.vocab.decode(out)

    def extra_repr(self) -> str:
        extra = f", forget_bias={self.forget_bias}" if self.forget_bias is not None else ""
        return (f"vocab={len(self.vocab)} characters, cell={self.cell!r}, hidden_size={self.hidden_size}, "
                f"num_layers={self.num_layers}, embedding_dim={self.embedding_dim}{extra}")


class NextCharLogits(nn.Module):
    r"""The :class:`CharRNN` as the :class:`~nbcourse.train.Trainer` calls it: logits only, in the class-second layout.

    ``forward(x)`` runs ``model`` from the zero state over the whole sequence (teacher forcing:
    the input at each step is the true character, not the model's guess) and returns
    ``logits.transpose(1, 2)``, of shape :math:`(N, V, T)`: the layout ``nn.CrossEntropyLoss``
    takes with targets :math:`(N, T)`. It holds the same parameters (training it trains ``model``).

    Examples::

        >>> model = CharRNN("abc", hidden_size=8, seed=0)
        >>> NextCharLogits(model)(torch.zeros(2, 5, dtype=torch.long)).shape
        torch.Size([2, 3, 5])
    """

    def __init__(self, model: CharRNN):
        super().__init__()
        if not isinstance(model, CharRNN):
            raise TypeError(f"NextCharLogits: argument 'model' got {type(model).__name__}, expected a CharRNN")
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits, _ = self.model(x)        # (N, T, V)
        return logits.transpose(1, 2)    # (N, V, T)


def gradient_decay(model: CharRNN, x: torch.Tensor, *, y: torch.Tensor | None = None) -> torch.Tensor:
    r"""How much the loss at the last step depends on each earlier input: :math:`\lVert \partial L_T / \partial x_t \rVert`.

    Backpropagation through time carries :math:`\partial L_T/\partial h_T` back one step at a time,
    multiplying by :math:`\partial h_{s}/\partial h_{s-1}` at each; for the tanh RNN that is
    :math:`\text{diag}(1 - h_s^2)\, W_{hh}`, so the gradient shrinks (or grows) roughly
    geometrically with the distance :math:`T - t` (Bengio, Simard and Frasconi, 1994; Pascanu,
    Mikolov and Bengio, 2013). The LSTM's additive cell update lets it travel further (at
    initialisation; after a short run its long-memory cells can saturate, and the page *Recurrent
    networks* measures a shorter reach than the RNN's).

    Args:
        model: the :class:`CharRNN`.
        x: ``(N, T)`` character indices.
        y: ``(N,)`` the character after each sequence, the target of the loss
            :math:`L_T = \text{CE}(\hat{y}_T, y)` (default None: the loss is the log-probability
            of the model's own top guess, so no target is needed).

    Returns:
        ``(T,)`` float64: entry ``t`` is the norm of the gradient of :math:`L_T` with respect to the
        input vector :math:`x_t`, averaged over the batch; entry ``T - 1`` is distance 0.
    """
    model._check_indices(x)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            inputs = model.inputs(x).detach().requires_grad_(True)   # (N, T, input_size)
            out, _ = model.rnn(inputs)                               # (N, T, H)
            logits = model.head(out[:, -1])                          # (N, V): the last step only
            target = logits.argmax(dim=1) if y is None else y
            loss = F.cross_entropy(logits, target, reduction="sum")  # sum: per-sequence gradients
            (grad,) = torch.autograd.grad(loss, inputs)              # (N, T, input_size)
    finally:
        model.train(was_training)
    return grad.to(torch.float64).norm(dim=2).mean(dim=0)
