r"""An encoder–decoder (sequence to sequence) with attention, or with a fixed-length bottleneck.

Encoder: a bidirectional GRU reads the source tokens :math:`x_1 \dots x_S` and gives one vector per
position, :math:`h_s = [\overrightarrow{h}_s; \overleftarrow{h}_s]` (the *keys* and *values*), and a
summary of the whole sequence, the last states of both directions.

Decoder: a GRU started from the summary reads the target so far (``BOS``, then the previous output
tokens :math:`y_{<t}`) and gives a state :math:`s_t` at every step. With attention (Luong, Pham and
Manning, 2015; Bahdanau, Cho and Bengio, 2015) each step looks back at the source:

.. math::
    \alpha_{t} = \operatorname{softmax}_s\big(\operatorname{score}(s_t, h_s)\big), \qquad
    c_t = \sum_{s} \alpha_{ts} h_s, \qquad
    p(y_t \mid y_{<t}, x) = \operatorname{softmax}\big(W_o \tanh(W_c [s_t; c_t])\big)

Without attention (``attention="none"``, the encoder–decoder of Cho et al., 2014, *Learning phrase
representations using RNN encoder–decoder*, and Sutskever, Vinyals and Le, 2014) :math:`c_t` is the
encoder's summary at every step: everything the decoder knows about the source passes through that
one fixed-length vector.

:class:`TeacherForcing` wraps the model so that :class:`nbcourse.train.Trainer` can train it with
cross-entropy over the target tokens; :func:`sequence_accuracy` and :func:`accuracy_by_length`
measure whole sequences decoded greedily. The tokens are those of :mod:`nbcourse.data.sequences`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from nbcourse.data.sequences import BOS, EOS, PAD, VOCAB_SIZE

from .attention import Attention

__all__ = ["Seq2Seq", "Seq2SeqConfig", "TeacherForcing", "sequence_accuracy", "accuracy_by_length"]


@dataclass
class Seq2SeqConfig:
    vocab_size: int = VOCAB_SIZE    # PAD, BOS, EOS and ten digits (nbcourse.data.sequences)
    embedding_size: int = 32        # size of a token's embedding
    hidden_size: int = 64           # decoder state; each encoder direction has this size too
    attention: str = "dot"          # "dot" (Luong, scaled), "additive" (Bahdanau) or "none" (bottleneck)
    seed: int | None = None         # seed of the initial weights (None: the global generator)


def _check_tokens(name: str, t, vocab_size: int, caller: str) -> None:
    if not isinstance(t, torch.Tensor) or t.dtype != torch.int64 or t.ndim != 2:
        what = f"a {t.dtype} tensor of shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__
        raise TypeError(f"{caller}: argument {name!r} got {what}, expected an int64 tensor of token ids of shape "
                        "(N, length)" + (" (use .long())" if isinstance(t, torch.Tensor) and t.ndim == 2 else ""))
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= vocab_size):
        raise ValueError(f"{caller}: argument {name!r} holds token ids from {int(t.min())} to {int(t.max())}, "
                         f"expected ids in 0..{vocab_size - 1} (the model's vocab_size is {vocab_size})")


class Seq2Seq(nn.Module):
    r"""GRU encoder–decoder with attention (``attention="dot"`` or ``"additive"``) or without (``"none"``).

    Args:
        vocab_size: tokens in the vocabulary, shared by source and target (default 13:
            :data:`nbcourse.data.sequences.VOCAB_SIZE`). Token 0 is ``PAD``.
        embedding_size: size of a token embedding (default 32).
        hidden_size: size :math:`H` of the decoder state and of each encoder direction (default 64).
        attention: ``"dot"`` (default: scaled Luong score :math:`(W s_t)^\top h_s / \sqrt{2H}`),
            ``"additive"`` (Bahdanau's :math:`v^\top \tanh(W_q s_t + W_k h_s)`) or ``"none"``.
        seed: seed for the initial weights (default None: PyTorch's global generator, which is
            otherwise left as it was).

    Shape:
        - src: :math:`(N, S)` int64 token ids, ``PAD`` (0) after the end of a shorter row; every row
          holds at least one token.
        - tgt_in: :math:`(N, T)` int64: ``BOS`` then the target tokens (teacher forcing).
        - Output of ``forward``: logits :math:`(N, T, V)`; :meth:`forward_with_weights` also returns the
          attention weights :math:`(N, T, S)` (None for ``"none"``).
        - :meth:`greedy_decode`: tokens :math:`(N, T_{max})` and weights :math:`(N, T_{max}, S)`.

    Examples::

        >>> model = Seq2Seq(attention="dot", seed=0)
        >>> src = torch.tensor([[5, 3, 9, 4]])
        >>> model(src, torch.tensor([[1, 4, 9, 3, 5]])).shape
        torch.Size([1, 5, 13])
        >>> tokens, weights = model.greedy_decode(src, max_len=5)
        >>> tokens.shape, weights.shape, bool(torch.allclose(weights.sum(-1), torch.ones(1, 5)))
        (torch.Size([1, 5]), torch.Size([1, 5, 4]), True)
    """

    ATTENTION = ("dot", "additive", "none")

    def __init__(self, vocab_size: int = VOCAB_SIZE, *, embedding_size: int = 32, hidden_size: int = 64,
                 attention: str = "dot", seed: int | None = None) -> None:
        super().__init__()
        for name, v in (("vocab_size", vocab_size), ("embedding_size", embedding_size), ("hidden_size", hidden_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"Seq2Seq: argument {name!r} got {v!r}, expected a positive int")
        if vocab_size <= EOS:
            raise ValueError(f"Seq2Seq: argument 'vocab_size' got {vocab_size}, expected more than {EOS} "
                             "(PAD, BOS and EOS take the ids 0, 1, 2)")
        if attention not in self.ATTENTION:
            raise ValueError(f"Seq2Seq: argument 'attention' got {attention!r}, expected one of {self.ATTENTION}")
        self.vocab_size, self.hidden_size, self.attention = vocab_size, hidden_size, attention
        H = hidden_size
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            self.src_embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=PAD)
            self.encoder = nn.GRU(embedding_size, H, batch_first=True, bidirectional=True)
            self.bridge = nn.Linear(2 * H, H)                 # encoder summary -> decoder's first state
            self.tgt_embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=PAD)
            self.decoder = nn.GRU(embedding_size, H, batch_first=True)
            self.attend = Attention(H, 2 * H, kind=attention) if attention != "none" else None
            self.combine = nn.Linear(H + 2 * H, H)            # [s_t; c_t] -> attentional state
            self.out = nn.Linear(H, vocab_size)               # -> logits over the vocabulary

    @classmethod
    def from_config(cls, config: Seq2SeqConfig) -> "Seq2Seq":
        """Build from a :class:`Seq2SeqConfig`."""
        c = config
        return cls(c.vocab_size, embedding_size=c.embedding_size, hidden_size=c.hidden_size,
                   attention=c.attention, seed=c.seed)

    # ---------------------------------------------------------------------------------- encoder
    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encoder outputs (keys/values) ``(N, S, 2H)``, summary ``(N, 2H)`` and source mask ``(N, S)``."""
        _check_tokens("src", src, self.vocab_size, "Seq2Seq")
        mask = src != PAD                                                  # (N, S)
        lengths = mask.sum(dim=1)                                          # (N,)
        if src.shape[1] == 0 or bool((lengths == 0).any()):
            raise ValueError("Seq2Seq: argument 'src' has a row without tokens (all PAD); every source row "
                             "needs at least one token")
        if bool((mask[:, :-1] < mask[:, 1:]).any()):
            raise ValueError("Seq2Seq: argument 'src' has PAD (0) before a token; pad rows at the end only")
        x = self.src_embedding(src)                                        # (N, S, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, last = self.encoder(packed)                               # last: (2, N, H)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])  # (N, S, 2H)
        summary = torch.cat([last[0], last[1]], dim=-1)                   # (N, 2H)
        return outputs, summary, mask

    # ---------------------------------------------------------------------------------- decoder
    def _readout(self, states, outputs, summary, mask):
        """Logits and weights for decoder states ``(N, T, H)``."""
        if self.attend is None:
            context, weights = summary.unsqueeze(1).expand(-1, states.shape[1], -1), None   # (N, T, 2H)
        else:
            context, weights = self.attend(states, outputs, mask)          # (N, T, 2H), (N, T, S)
        attentional = torch.tanh(self.combine(torch.cat([states, context], dim=-1)))  # (N, T, H)
        return self.out(attentional), weights                              # (N, T, V)

    def forward_with_weights(self, src: torch.Tensor, tgt_in: torch.Tensor
                             ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher forcing: logits ``(N, T, V)`` and attention weights ``(N, T, S)`` (None without attention)."""
        outputs, summary, mask = self.encode(src)
        _check_tokens("tgt_in", tgt_in, self.vocab_size, "Seq2Seq")
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"Seq2Seq: src has {src.shape[0]} rows but tgt_in has {tgt_in.shape[0]}; they must match")
        h0 = torch.tanh(self.bridge(summary)).unsqueeze(0)                # (1, N, H)
        states, _ = self.decoder(self.tgt_embedding(tgt_in), h0)          # (N, T, H)
        return self._readout(states, outputs, summary, mask)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, T, V)`` of the next token at each step, given ``BOS`` and the true previous tokens."""
        return self.forward_with_weights(src, tgt_in)[0]

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        r"""Generate from ``BOS``, feeding back the most probable token, for ``max_len`` steps.

        Args:
            src: :math:`(N, S)` source tokens.
            max_len: steps to generate (default :math:`S + 1`: the digits and ``EOS``).

        Returns:
            ``(tokens, weights)``: tokens :math:`(N, T_{max})`, with ``PAD`` after a row's first
            ``EOS``; the attention weights :math:`(N, T_{max}, S)` of every step (each row sums to one;
            rows after ``EOS`` are what the model would have attended), or None without attention.
        """
        if max_len is None:
            max_len = src.shape[1] + 1 if isinstance(src, torch.Tensor) and src.ndim == 2 else 1
        if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
            raise ValueError(f"Seq2Seq.greedy_decode: argument 'max_len' got {max_len!r}, expected a positive int")
        was_training = self.training
        self.eval()
        try:
            outputs, summary, mask = self.encode(src)
            h = torch.tanh(self.bridge(summary)).unsqueeze(0)             # (1, N, H)
            token = torch.full((src.shape[0], 1), BOS, dtype=torch.int64, device=src.device)
            tokens, weights = [], []
            for _ in range(max_len):
                state, h = self.decoder(self.tgt_embedding(token), h)      # (N, 1, H)
                logits, w = self._readout(state, outputs, summary, mask)  # (N, 1, V), (N, 1, S)
                token = logits.argmax(dim=-1)                              # (N, 1)
                tokens.append(token)
                if w is not None:
                    weights.append(w)
            tokens = torch.cat(tokens, dim=1)                              # (N, T_max)
            ended = (tokens == EOS).long().cumsum(dim=1)                   # > 0 from the first EOS on
            after = ended - (tokens == EOS).long() > 0                     # strictly after the first EOS
            tokens = tokens.masked_fill(after, PAD)
            return tokens, (torch.cat(weights, dim=1) if weights else None)
        finally:
            self.train(was_training)

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, hidden_size={self.hidden_size}, attention={self.attention!r}"


class TeacherForcing(nn.Module):
    r"""The model as :class:`~nbcourse.train.Trainer` calls it: one input tensor, logits with classes on axis 1.

    The trainer passes one tensor ``X`` per batch; this wrapper takes ``X = [src | tgt_in]`` (the two
    token rows side by side, made by :meth:`pack`), splits it and returns the logits as
    :math:`(N, V, T)`, the layout :class:`torch.nn.CrossEntropyLoss` and the ``"accuracy"`` metric
    expect for targets ``tgt_out`` of shape :math:`(N, T)`. Use ``ignore_index=PAD`` in the loss so
    that padding is not counted.

    Examples::

        >>> from nbcourse.data.sequences import make_sequences
        >>> data = make_sequences(4, length=3, seed=0)
        >>> wrapped = TeacherForcing(Seq2Seq(seed=0), src_len=data.src.shape[1])
        >>> wrapped(TeacherForcing.pack(data.src, data.tgt_in)).shape
        torch.Size([4, 13, 4])
    """

    def __init__(self, model: Seq2Seq, *, src_len: int):
        super().__init__()
        self.model, self.src_len = model, int(src_len)

    @staticmethod
    def pack(src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """``[src | tgt_in]``: shape :math:`(N, S + T)`."""
        return torch.cat([src, tgt_in], dim=1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.ndim != 2 or X.shape[1] <= self.src_len:
            raise ValueError(f"TeacherForcing: expected X = [src | tgt_in] of shape (N, {self.src_len} + T), "
                             f"got {tuple(X.shape)}; build it with TeacherForcing.pack(src, tgt_in)")
        src, tgt_in = X[:, :self.src_len], X[:, self.src_len:]
        return self.model(src, tgt_in).transpose(1, 2)                    # (N, V, T)

    def extra_repr(self) -> str:
        return f"src_len={self.src_len}"


@torch.no_grad()
def _correct_rows(model: Seq2Seq, src: torch.Tensor, tgt_out: torch.Tensor, batch_size: int) -> torch.Tensor:
    correct = []
    for i in range(0, len(src), batch_size):
        s, t = src[i:i + batch_size], tgt_out[i:i + batch_size]
        tokens, _ = model.greedy_decode(s, max_len=t.shape[1])
        correct.append(((tokens == t) | (t == PAD)).all(dim=1))
    return torch.cat(correct)


def sequence_accuracy(model: Seq2Seq, src: torch.Tensor, tgt_out: torch.Tensor, *, batch_size: int = 512) -> float:
    r"""Fraction of source rows whose greedy decoding is the whole target, ``EOS`` included.

    Stricter than the per-token accuracy the trainer records: one wrong digit makes the row wrong.

    Args:
        model: a :class:`Seq2Seq` (evaluated with :meth:`Seq2Seq.greedy_decode`).
        src: :math:`(N, S)` source tokens; tgt_out: :math:`(N, T)` targets (digits, ``EOS``, ``PAD``).
    """
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"sequence_accuracy: argument 'model' got {type(model).__name__}, expected a Seq2Seq "
                        "(unwrap a TeacherForcing with .model)")
    if len(src) != len(tgt_out):
        raise ValueError(f"sequence_accuracy: src has {len(src)} rows but tgt_out has {len(tgt_out)}")
    return float(_correct_rows(model, src, tgt_out, batch_size).float().mean())


def accuracy_by_length(model: Seq2Seq, src: torch.Tensor, tgt_out: torch.Tensor, *,
                       batch_size: int = 512) -> dict[int, float]:
    """Sequence accuracy for each source length present: ``{length: accuracy}``, lengths in order."""
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"accuracy_by_length: argument 'model' got {type(model).__name__}, expected a Seq2Seq")
    correct = _correct_rows(model, src, tgt_out, batch_size)
    lengths = (src != PAD).sum(dim=1)
    return {int(L): float(correct[lengths == L].float().mean()) for L in torch.unique(lengths)}
