r"""Exercises of the page *Convolutional networks* (``book/architectures/convolutional.ipynb``).

=======================================  ===========================  ======  ==========================================
exercise                                 the student gives            points  checked against
=======================================  ===========================  ======  ==========================================
``architectures/conv-parameters``        ``conv_parameters``           1      the parameters of a ``torch.nn.Conv2d``
``architectures/conv-output-size``       ``conv_output_size``          1      the output of ``torch.nn.functional.conv2d``
``architectures/shift-prediction``       ``loses_more_at_one_pixel``   1      an MLP and a CNN trained and shifted
=======================================  ===========================  ======  ==========================================

The formulas, for a square input of size :math:`n`, kernel :math:`k`, padding :math:`p`, stride :math:`s`:

.. math::
    \#\text{params} = C_{out}(C_{in} k^2 + 1), \qquad n_{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1 .
"""

from __future__ import annotations

import functools

import torch

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/convolutional"


# ------------------------------------------------------------------------- 1. parameters of a conv layer

def _params_cases():
    return [
        Case(args=(1, 8, 3), label="the first layer of SmallCNN: 1 -> 8 channels, 3x3"),
        Case(args=(8, 16, 3), label="8 -> 16 channels, 3x3",
             hint="Each output channel has one k x k kernel per *input* channel, and one bias."),
        Case(args=(3, 64, 7), label="an RGB image, 64 filters of 7x7"),
        Case(args=(16, 32, 1), label="a 1x1 convolution, 16 -> 32 channels"),
        Case(args=(3, 10, 5), kwargs={"bias": False}, label="no bias, 3 -> 10 channels, 5x5",
             hint="With bias=False there is no +1 per output channel."),
    ]


def _params_reference(in_channels, out_channels, kernel_size, bias=True):
    layer = torch.nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)
    return sum(p.numel() for p in layer.parameters())


register(FunctionExercise(
    name="architectures/conv-parameters",
    answer="conv_parameters",
    title="The parameters of a convolution layer",
    points=1,
    cases=_params_cases,
    reference=_params_reference,
    forbidden=("Conv2d", "conv2d", "parameters", "numel"),
    arg_names=("in_channels", "out_channels", "kernel_size"),
    inputs="five layers, from 1x1 to 7x7 kernels, with and without bias",
    hint="A filter spans all input channels: C_in * k * k weights, plus one bias; there is one filter per output "
         "channel. The image size does not appear: the weights are shared across positions.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. output size of a conv layer

def _size_cases():
    return [
        Case(args=(8, 3), label="8x8 digits, 3x3 kernel, no padding"),
        Case(args=(8, 3), kwargs={"padding": 1}, label="8x8, 3x3, padding 1 (SmallCNN's layers)"),
        Case(args=(28, 5), kwargs={"stride": 1, "padding": 2}, label="28x28, 5x5, padding 2"),
        Case(args=(32, 3), kwargs={"stride": 2, "padding": 1}, label="32x32, 3x3, stride 2, padding 1"),
        Case(args=(33, 3), kwargs={"stride": 2}, label="33x33, 3x3, stride 2, no padding"),
        Case(args=(10, 4), kwargs={"stride": 3}, label="10x10, 4x4, stride 3: the last window does not fit exactly",
             hint="A window that would stick out past the border is not computed: round down."),
        Case(args=(224, 7), kwargs={"stride": 2, "padding": 3}, label="224x224, 7x7, stride 2, padding 3 (ResNet's stem)"),
    ]


def _size_reference(size, kernel_size, stride=1, padding=0):
    x = torch.zeros(1, 1, size, size)
    w = torch.zeros(1, 1, kernel_size, kernel_size)
    return int(torch.nn.functional.conv2d(x, w, stride=stride, padding=padding).shape[-1])


register(FunctionExercise(
    name="architectures/conv-output-size",
    answer="conv_output_size",
    title="The output size of a convolution",
    points=1,
    cases=_size_cases,
    reference=_size_reference,
    forbidden=("conv2d", "Conv2d"),
    arg_names=("size", "kernel_size"),
    inputs="sizes 8 to 224, kernels 3 to 7, strides 1 to 3, with and without padding",
    hint="Pad the input on both sides (n + 2p), count the positions where a k-wide window fits (n + 2p - k + 1 "
         "at stride 1), and with stride s keep one in s of them, starting at the first.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. predict, then run: which loses more?

@functools.lru_cache(maxsize=4)
def _shift_run(seed: int) -> tuple:
    """Train the page's MLP and CNN (fewer epochs) and measure them on digits moved by 0 and 1 pixel."""
    from torch import nn

    from nbcourse.data import load_digits
    from nbcourse.data.shifts import shifted_accuracy
    from nbcourse.models import MLP, SmallCNN
    from nbcourse.train import Trainer

    (X, y), (X_test, y_test) = load_digits(flatten=False, seed=seed)
    out = []
    for model in (MLP(64, (28,), 10, seed=seed), SmallCNN(seed=seed)):
        trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-2), device="cpu",
                          seed=seed, channels_last=False)
        trainer.fit((X, y), epochs=6, batch_size=64)
        acc = shifted_accuracy(model.cpu(), X_test, y_test, shifts=(0, 1))
        out.append((acc[0], acc[1]))
    return tuple(out)


def _shift_measure(answer, *, seed):
    choice = str(answer).strip().lower() if isinstance(answer, str) else None
    if choice not in ("mlp", "cnn", "same"):
        return {"error": f"expected 'mlp', 'cnn' or 'same', got {answer!r}"}
    (mlp0, mlp1), (cnn0, cnn1) = _shift_run(seed)
    return {"choice": choice, "mlp": [mlp0, mlp1], "cnn": [cnn0, cnn1]}


def _shift_judge(m):
    if "error" in m:
        return False, m["error"]
    drop = {k: m[k][0] - m[k][1] for k in ("mlp", "cnn")}
    facts = (f"a 1-pixel shift takes the MLP from {m['mlp'][0]:.1%} to {m['mlp'][1]:.1%} "
             f"(-{drop['mlp']:.1%}) and the CNN from {m['cnn'][0]:.1%} to {m['cnn'][1]:.1%} (-{drop['cnn']:.1%})")
    truth = "same" if abs(drop["mlp"] - drop["cnn"]) < 0.05 else max(drop, key=drop.get)
    if m["choice"] == truth:
        return True, f"right: {facts}"
    if m["choice"] == "same":
        return False, (f"not the same: {facts}. One of the two has a weight for every pixel position; what does it "
                       "see when the strokes land on pixels it never saw ink on?")
    return False, (f"measured: {facts}. Which model reuses the same detectors at every position, and pools over "
                   "neighbouring positions?")


register(BehaviourExercise(
    name="architectures/shift-prediction",
    answer="loses_more_at_one_pixel",
    title="Predict, then run: which model loses more when the digits move by one pixel?",
    points=1,
    measure=_shift_measure,
    judge=_shift_judge,
    answer_is_data=True,
    seed=0,
    hint="Answer 'mlp', 'cnn' or 'same' (within 5 points of accuracy). Think of where each model's weights are tied "
         "to a pixel position.",
    notebook=PAGE,
))
