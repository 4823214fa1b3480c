"""The architectures of the course, one file each (read them top to bottom).

- :class:`MLP` (``mlp.py``): fully connected layers with an activation between them.
- :class:`SmallCNN` (``cnn.py``): a small convolutional network for 8x8 (or 28x28) images.
- :class:`HopfieldNetwork` (``hopfield.py``): Hebbian storage of -1/+1 patterns, recall by descending an energy.
- :class:`BoltzmannMachine` (``boltzmann.py``): stochastic binary units with hidden units, Gibbs sampling, exact enumeration.
- :class:`RBM` (``rbm.py``): a restricted Boltzmann machine trained by contrastive divergence.

Every model takes ``seed=`` for its initial weights and ``activation=`` by name, so a chapter can
compare activations on the same initial network::

    >>> from nbcourse.models import MLP
    >>> a, b = MLP(64, (32,), 10, seed=0), MLP(64, (32,), 10, seed=0)
    >>> bool((a.layers.fc1.weight == b.layers.fc1.weight).all())
    True
"""

from ._activation import make_activation
from .cnn import SmallCNN, SmallCNNConfig
from .boltzmann import BoltzmannMachine
from .hopfield import HopfieldNetwork
from .rbm import RBM
from .mlp import MLP, MLPConfig
from .residual import ResidualMLP

__all__ = ["MLP", "MLPConfig", "ResidualMLP", "SmallCNN", "SmallCNNConfig", "make_activation"]
__all__ += ["BoltzmannMachine", "HopfieldNetwork", "RBM"]
