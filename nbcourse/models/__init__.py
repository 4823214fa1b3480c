"""The architectures of the course, one file each (read them top to bottom).

- :class:`Perceptron` (``perceptron.py``): Rosenblatt's single threshold unit and its learning rule (numpy, ``fit``).
- :class:`LogisticRegression` (``logistic.py``): the single neuron with a sigmoid, trained by gradient descent.
- :class:`MLP` (``mlp.py``): fully connected layers with an activation between them.
- :class:`ResidualMLP` (``residual.py``): an MLP whose skip connections can be switched on or off.
- :class:`SmallCNN` (``cnn.py``): a small convolutional network for 8x8 (or 28x28) images.
- :class:`FCN` (``fcn.py``): a fully convolutional network that labels every pixel, for images of any size.
- :class:`Autoencoder` (``autoencoder.py``): encoder and decoder MLPs through a small code; linear
  (the principal subspace) and denoising variants.
- :class:`CharRNN` (``char_rnn.py``): a character-level language model (RNN, GRU or LSTM) that samples text.
- :class:`Seq2Seq` (``seq2seq.py``): a GRU encoder–decoder with attention (or a fixed-length
  bottleneck) on token sequences; its attention layer and :func:`dot_product_attention` are in
  ``attention.py``.
- :class:`HopfieldNetwork` (``hopfield.py``): Hebbian storage of -1/+1 patterns, recall by descending an energy.
- :class:`BoltzmannMachine` (``boltzmann.py``): stochastic binary units with hidden units, Gibbs sampling, exact enumeration.
- :class:`RBM` (``rbm.py``): a restricted Boltzmann machine trained by contrastive divergence.
- :class:`GAN` (``gan.py``): a generative adversarial network, a :class:`Generator` and a
  :class:`Discriminator` (two MLPs) and their losses, R1 penalty and training loop.
- :class:`SiameseNetwork` (``siamese.py``): twin branches with shared weights, for pairs (contrastive loss).
- :class:`TripletNetwork` (``triplet.py``): one embedding net on anchor, positive and negative (triplet loss).

Every model with weights takes ``seed=`` for its initial weights, and the networks take
``activation=`` by name, so a chapter can compare activations on the same initial network::

    >>> from nbcourse.models import MLP
    >>> a, b = MLP(64, (32,), 10, seed=0), MLP(64, (32,), 10, seed=0)
    >>> bool((a.layers.fc1.weight == b.layers.fc1.weight).all())
    True
"""

from ._activation import make_activation
from .attention import Attention, dot_product_attention
from .autoencoder import Autoencoder
from .boltzmann import BoltzmannMachine
from .char_rnn import CharRNN, CharRNNConfig, NextCharLogits
from .cnn import SmallCNN, SmallCNNConfig
from .fcn import FCN
from .gan import GAN, Discriminator, Generator
from .hopfield import HopfieldNetwork
from .logistic import LogisticRegression
from .mlp import MLP, MLPConfig
from .perceptron import Perceptron
from .rbm import RBM
from .residual import ResidualMLP
from .seq2seq import Seq2Seq, Seq2SeqConfig, TeacherForcing, accuracy_by_length, sequence_accuracy
from .siamese import SiameseNetwork
from .triplet import TripletNetwork

__all__ = ["Attention", "Autoencoder", "BoltzmannMachine", "CharRNN", "CharRNNConfig",
           "Discriminator", "FCN", "GAN", "Generator", "HopfieldNetwork", "LogisticRegression",
           "MLP", "MLPConfig", "NextCharLogits", "Perceptron", "RBM", "ResidualMLP", "Seq2Seq",
           "Seq2SeqConfig", "SiameseNetwork", "SmallCNN", "SmallCNNConfig", "TeacherForcing",
           "TripletNetwork", "accuracy_by_length", "dot_product_attention", "make_activation",
           "sequence_accuracy"]
