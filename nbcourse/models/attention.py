r"""Attention: a softmax-weighted average of values, weighted by how well each key matches a query.

For a query :math:`q` and source positions :math:`s = 1 \dots S` with keys :math:`k_s` and values
:math:`v_s`:

.. math::
    e_s = \operatorname{score}(q, k_s), \qquad
    \alpha_s = \operatorname{softmax}(e)_s = \frac{e^{e_s}}{\sum_{s'} e^{e_{s'}}}, \qquad
    c = \sum_s \alpha_s v_s

The weights :math:`\alpha` are positive and sum to one (over the *source* axis), so the context
:math:`c` is an average of the values. Two scores are implemented:

- scaled dot product (Luong, Pham and Manning, 2015; the scaling by Vaswani et al., 2017):
  :math:`e_s = q^\top k_s / \sqrt{d}` (:func:`dot_product_attention`);
- additive (Bahdanau, Cho and Bengio, 2015): :math:`e_s = w^\top \tanh(W_q q + W_k k_s)`
  (:func:`additive_scores`).

The softmax is :func:`nbcourse.losses.softmax`'s function (computed here with
:func:`torch.softmax`, the same numbers; see the chapter on losses).

:class:`Attention` is the layer with learnable projections that :class:`~nbcourse.models.Seq2Seq`
uses.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["dot_product_attention", "additive_scores", "Attention"]


def _check_qkv(query, key, value, mask, caller: str) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.ndim < 2:
            what = f"a {t.dtype} tensor of shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__
            raise TypeError(f"{caller}: argument {name!r} got {what}, expected a floating-point tensor of shape "
                            "(..., positions, features)")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"{caller}: query has {query.shape[-1]} features but key has {key.shape[-1]}; a dot "
                         "product needs the same number (project one of them first)")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{caller}: key has {key.shape[-2]} source positions but value has {value.shape[-2]}; "
                         "each key needs its value")
    if mask is not None:
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            raise TypeError(f"{caller}: argument 'mask' got {getattr(mask, 'dtype', type(mask).__name__)}, "
                            "expected a bool tensor (True where a source position may be attended)")
        if mask.shape[-1] != key.shape[-2]:
            raise ValueError(f"{caller}: mask has {mask.shape[-1]} source positions, key has {key.shape[-2]}")


def _weights(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the source axis (the last), masked positions set to zero weight."""
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1)


def dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, *,
                          mask: torch.Tensor | None = None, scale: float | None = None
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Scaled dot-product attention: :math:`\operatorname{softmax}(QK^\top \cdot \text{scale})\, V`.

    .. math::
        A = \operatorname{softmax}_{\text{rows}}\!\left(\frac{Q K^\top}{\sqrt{d}}\right), \qquad
        C = A V

    Each row of :math:`A` (one query) sums to one over the source positions. The default scale
    :math:`1/\sqrt{d}` keeps the scores' variance near 1 when the entries of :math:`q` and
    :math:`k` have variance 1, so that the softmax is neither uniform nor an argmax at
    initialisation. It is the computation of :func:`torch.nn.functional.scaled_dot_product_attention`,
    which returns only :math:`C`.

    Args:
        query: :math:`Q`, shape :math:`(..., T, d)`: one row per query (decoder step).
        key: :math:`K`, shape :math:`(..., S, d)`: one row per source position.
        value: :math:`V`, shape :math:`(..., S, d_v)`.
        mask: optional bool, broadcastable to :math:`(..., T, S)`, True where a position may be
            attended (e.g. ``src != PAD`` as ``(N, 1, S)``). Every query needs one True.
        scale: multiplies the scores (default None: :math:`1/\sqrt{d}`).

    Returns:
        ``(context, weights)``: :math:`C` of shape :math:`(..., T, d_v)` and :math:`A` of shape
        :math:`(..., T, S)`.

    Examples::

        >>> q, k = torch.tensor([[[1.0, 0.0]]]), torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
        >>> context, weights = dot_product_attention(q, k, k, scale=10.0)
        >>> weights
        tensor([[[9.9995e-01, 4.5398e-05]]])
    """
    _check_qkv(query, key, value, mask, "dot_product_attention")
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = query @ key.transpose(-2, -1) * scale     # (..., T, S)
    weights = _weights(scores, mask)                    # (..., T, S), rows sum to 1
    return weights @ value, weights                     # (..., T, d_v), (..., T, S)


def additive_scores(query: torch.Tensor, key: torch.Tensor, w_query: nn.Linear, w_key: nn.Linear,
                    v: nn.Linear) -> torch.Tensor:
    r"""Bahdanau's additive scores :math:`e_{ts} = v^\top \tanh(W_q q_t + W_k k_s)`.

    Args:
        query: shape :math:`(N, T, d_q)`; key: shape :math:`(N, S, d_k)`.
        w_query, w_key: linear maps to a common size :math:`h`; v: a linear map :math:`h \to 1`.

    Returns:
        the scores, shape :math:`(N, T, S)`.
    """
    hidden = torch.tanh(w_query(query).unsqueeze(2) + w_key(key).unsqueeze(1))   # (N, T, S, h)
    return v(hidden).squeeze(-1)                                                  # (N, T, S)


class Attention(nn.Module):
    r"""Attention layer: queries attend over keys (which are also the values).

    ``kind="dot"`` (Luong's *general* score, scaled): :math:`e_{ts} = (W q_t)^\top k_s / \sqrt{d_k}`;
    ``kind="additive"`` (Bahdanau's): :math:`e_{ts} = v^\top \tanh(W_q q_t + W_k k_s)`. Then
    :math:`\alpha_t = \operatorname{softmax}(e_t)` over the source positions and
    :math:`c_t = \sum_s \alpha_{ts} k_s`.

    Args:
        query_size: features :math:`d_q` of a query (the decoder's hidden size).
        key_size: features :math:`d_k` of a key (the encoder's output size).
        kind: ``"dot"`` (default) or ``"additive"``.
        hidden_size: size :math:`h` of the additive score's hidden layer (default: ``query_size``).

    Shape:
        - query: :math:`(N, T, d_q)`; keys: :math:`(N, S, d_k)`; mask: :math:`(N, S)` bool, optional.
        - Output: context :math:`(N, T, d_k)` and weights :math:`(N, T, S)`, rows summing to one.

    Examples::

        >>> layer = Attention(4, 6)
        >>> context, weights = layer(torch.randn(2, 3, 4), torch.randn(2, 5, 6))
        >>> context.shape, weights.shape
        (torch.Size([2, 3, 6]), torch.Size([2, 3, 5]))
    """

    KINDS = ("dot", "additive")

    def __init__(self, query_size: int, key_size: int, *, kind: str = "dot", hidden_size: int | None = None):
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"Attention: argument 'kind' got {kind!r}, expected one of {self.KINDS}")
        self.kind, self.query_size, self.key_size = kind, query_size, key_size
        if kind == "dot":
            self.w_query = nn.Linear(query_size, key_size, bias=False)
        else:
            hidden_size = hidden_size or query_size
            self.w_query = nn.Linear(query_size, hidden_size, bias=False)
            self.w_key = nn.Linear(key_size, hidden_size, bias=True)
            self.v = nn.Linear(hidden_size, 1, bias=False)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if query.ndim != 3 or keys.ndim != 3 or query.shape[-1] != self.query_size or keys.shape[-1] != self.key_size:
            raise ValueError(f"Attention: expected query (N, T, {self.query_size}) and keys (N, S, {self.key_size}), "
                             f"got {tuple(query.shape)} and {tuple(keys.shape)}")
        mask3 = None if mask is None else mask.unsqueeze(1)                   # (N, 1, S)
        if self.kind == "dot":
            return dot_product_attention(self.w_query(query), keys, keys, mask=mask3)
        scores = additive_scores(query, keys, self.w_query, self.w_key, self.v)  # (N, T, S)
        weights = _weights(scores, mask3)
        return weights @ keys, weights

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}, kind={self.kind!r}"
