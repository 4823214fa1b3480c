r"""The course's figures and interactive explorers, one module per topic, apart from the algorithms.

Each module draws what an algorithm module computes, and is named after it:

- :mod:`nbcourse.figures.landscape`    the lecture's surfaces as contour maps; descent on them (:func:`~nbcourse.figures.landscape.descent_explorer`)
- :mod:`nbcourse.figures.descent`      the line model's cost landscape; the lecture's interactive example; SGD step by step
- :mod:`nbcourse.figures.babysitting`  learning curves titled with their diagnosis
- :mod:`nbcourse.figures.activations`  an activation and its derivative; the activation explorer
- :mod:`nbcourse.figures.losses`       softmax temperature, saturation plateaus, regression losses and the outlier explorer
- :mod:`nbcourse.figures.perceptron`   the perceptron's line update by update (:func:`~nbcourse.figures.perceptron.perceptron_explorer`), mistakes per epoch, Novikoff's bound, margins
- :mod:`nbcourse.figures.feed_forward` depth and width against the decision boundary (:func:`~nbcourse.figures.feed_forward.depth_width_explorer`); hidden representations layer by layer
- :mod:`nbcourse.figures.metric_learning` distances of similar and dissimilar pairs, the contrastive margin explorer, 2-D embeddings, mining compared
- :mod:`nbcourse.figures.convolutional` learned filters, feature maps, accuracy against a shift, segmentation panels
- :mod:`nbcourse.figures.attention`    attention maps (:func:`~nbcourse.figures.attention.attention_explorer`), accuracy against sequence length
- :mod:`nbcourse.figures.recurrent`    char-RNN learning curves, the gradient's decay with distance, the sampling-temperature explorer
- :mod:`nbcourse.figures.energy`       Hopfield recall (the recall explorer), capacity curves, Boltzmann distributions, RBM images
- :mod:`nbcourse.figures.gan`          GAN samples over training with the true modes, loss curves, mode coverage; the snapshot explorer
- :mod:`nbcourse.figures.autoencoders` code space, reconstructions, principal angles; the code-size explorer

A figure is a plain function of keyword parameters that returns a matplotlib figure (or draws on
``ax`` and returns it); an explorer is a function without arguments, decorated with
:func:`nbcourse.widgets.register`, that returns :func:`nbcourse.widgets.interactive` over a figure
(``tests/test_widgets.py`` draws every registered explorer across its whole grid). matplotlib is
imported inside the figure functions, so importing a figure module stays cheap.

The dependency goes one way: figure modules import the algorithms and :mod:`nbcourse.widgets`; no
algorithm module imports a figure module, matplotlib or the widget layer
(``tests/test_imports.py`` holds both). A notebook that needs a figure imports it from here::

    from nbcourse.figures.landscape import descent_explorer
    descent_explorer()

This package imports none of its modules: ``import nbcourse.figures.descent`` loads only that one.
"""
