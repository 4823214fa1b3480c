"""The architectures of the course, one file each (read them top to bottom).

- :class:`MLP` (``mlp.py``): fully connected layers with an activation between them.
- :class:`SmallCNN` (``cnn.py``): a small convolutional network for 8x8 (or 28x28) images.
- :class:`Autoencoder` (``autoencoder.py``): encoder and decoder MLPs through a small code; linear
  (the principal subspace) and denoising variants.

Every model takes ``seed=`` for its initial weights and ``activation=`` by name, so a chapter can
compare activations on the same initial network::

    >>> from nbcourse.models import MLP
    >>> a, b = MLP(64, (32,), 10, seed=0), MLP(64, (32,), 10, seed=0)
    >>> bool((a.layers.fc1.weight == b.layers.fc1.weight).all())
    True
"""

from ._activation import make_activation
from .autoencoder import Autoencoder
from .cnn import SmallCNN, SmallCNNConfig
from .mlp import MLP, MLPConfig
from .residual import ResidualMLP

__all__ = ["Autoencoder", "MLP", "MLPConfig", "ResidualMLP", "SmallCNN", "SmallCNNConfig", "make_activation"]
