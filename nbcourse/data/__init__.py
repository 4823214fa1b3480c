"""The data sets the chapters use: generated ones, scikit-learn's digits, and loaders for larger sets.

No function here downloads anything: larger data sets are read from files the user already has.
"""

# generated data of the gradient-descent chapter (a line with noise; a data set repeated ten times)
from nbcourse.data.synthetic import LINE_SIZES, make_duplicated, make_line  # noqa: E402,F401

# two-dimensional problems of the architectures chapter: separable with a margin, XOR, moons, circles, spirals
from nbcourse.data.planar import make_circles, make_moons, make_separable, make_spirals, make_xor  # noqa: E402,F401

# data with a flaw on purpose: rare classes, wrong labels (shuffling and balancing; the value of one sample)
from nbcourse.data.imbalance import flip_labels, make_imbalanced  # noqa: E402,F401

# scikit-learn's 8x8 digits as split, standardised tensors; MNIST-style IDX files read from disk
from nbcourse.data.digits import load_digits  # noqa: E402,F401
from nbcourse.data.idx import load_idx, load_mnist, read_idx  # noqa: E402,F401

# the digits with three yes/no attributes each (even, above 4, closed loop): a multi-label data set
from nbcourse.data.attributes import ATTRIBUTES, digit_attributes, load_digit_attributes  # noqa: E402,F401

# toy sequence-to-sequence tasks: reverse or sort digits (the attention page)
from nbcourse.data.sequences import make_sequences  # noqa: E402,F401
# text for the character-level language models: a reader's file, or the course's own docstrings
from nbcourse.data.text import Vocabulary, char_sequences, course_text, load_text, split_text  # noqa: E402,F401

__all__ = [
    "LINE_SIZES", "make_line", "make_duplicated",
    "make_separable", "make_xor", "make_moons", "make_circles", "make_spirals",
    "flip_labels", "make_imbalanced",
    "load_digits",
    "load_idx", "load_mnist", "read_idx",
    "ATTRIBUTES", "digit_attributes", "load_digit_attributes",
    "make_sequences",
    "Vocabulary", "load_text", "course_text", "char_sequences", "split_text",
]
