"""The architectures of the course, one file each (read them top to bottom).

- :class:`MLP` (``mlp.py``): fully connected layers with an activation between them.
- :class:`SmallCNN` (``cnn.py``): a small convolutional network for 8x8 (or 28x28) images.
- :class:`Seq2Seq` (``seq2seq.py``): a GRU encoder–decoder with attention (or a fixed-length
  bottleneck) on token sequences; its attention layer and :func:`dot_product_attention` are in
  ``attention.py``.

Every model takes ``seed=`` for its initial weights and ``activation=`` by name, so a chapter can
compare activations on the same initial network::

    >>> from nbcourse.models import MLP
    >>> a, b = MLP(64, (32,), 10, seed=0), MLP(64, (32,), 10, seed=0)
    >>> bool((a.layers.fc1.weight == b.layers.fc1.weight).all())
    True
"""

from ._activation import make_activation
from .cnn import SmallCNN, SmallCNNConfig
from .mlp import MLP, MLPConfig
from .residual import ResidualMLP
from .attention import Attention, dot_product_attention
from .seq2seq import Seq2Seq, Seq2SeqConfig, TeacherForcing, accuracy_by_length, sequence_accuracy

__all__ = ["MLP", "MLPConfig", "ResidualMLP", "SmallCNN", "SmallCNNConfig", "make_activation",
           "Attention", "dot_product_attention",
           "Seq2Seq", "Seq2SeqConfig", "TeacherForcing", "accuracy_by_length", "sequence_accuracy"]
