r"""Exercises of the page *Fully convolutional networks* (``book/architectures/fully-convolutional.ipynb``).

=======================================  ===========================  ======  ==========================================
exercise                                 the student gives            points  checked against
=======================================  ===========================  ======  ==========================================
``architectures/same-padding``           ``same_padding``              1      a convolution run on odd and even sizes
``architectures/fc-head-sizes``          ``fc_head_sizes``             2      ``SmallCNN``'s layers run on each size
``architectures/upsample-crop``          ``excess_rows``               2      ceil-mode poolings, then doublings
=======================================  ===========================  ======  ==========================================

With stride 1 and dilation :math:`d`, a :math:`k \times k` kernel (odd :math:`k`) keeps the size when
:math:`2p = d(k - 1)`; after :math:`P` poolings that round up and :math:`P` doublings an input of
:math:`n` rows becomes :math:`2^P \lceil n / 2^P \rceil` rows.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/fully-convolutional"


# ------------------------------------------------------------------------- 1. choose the padding

def _same_cases():
    return [
        Case(args=(3,), label="3x3 kernel"),
        Case(args=(5,), label="5x5 kernel"),
        Case(args=(1,), label="1x1 kernel (the per-pixel classifier)", hint="A 1x1 kernel never leaves the image."),
        Case(args=(7,), label="7x7 kernel"),
        Case(args=(3,), kwargs={"dilation": 2}, label="3x3 kernel with dilation 2 (it spans 5 pixels)",
             hint="A dilated kernel of k taps spaced d apart spans d (k - 1) + 1 pixels."),
        Case(args=(5,), kwargs={"dilation": 3}, label="5x5 kernel with dilation 3"),
    ]


def _same_reference(kernel_size, dilation=1):
    w = torch.zeros(1, 1, kernel_size, kernel_size)
    for p in range(kernel_size * dilation):   # the smallest padding that keeps odd and even sizes
        if all(F.conv2d(torch.zeros(1, 1, n, n), w, padding=p, dilation=dilation).shape[-1] == n for n in (21, 22)):
            return p
    raise AssertionError("no padding keeps the size")


register(FunctionExercise(
    name="architectures/same-padding",
    answer="same_padding",
    title="Choose the padding that keeps the size",
    points=1,
    cases=_same_cases,
    reference=_same_reference,
    forbidden=("conv2d", "Conv2d"),
    arg_names=("kernel_size",),
    inputs="odd kernels from 1x1 to 7x7, with dilation 1, 2 and 3",
    hint="At stride 1 the output has n + 2p - span + 1 positions, where span is the width the kernel covers.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. why a fully connected head fixes the size

_SIZES = tuple(range(4, 17))


def _fc_sizes_measure(answer, *, seed):
    from nbcourse.models import SmallCNN

    try:
        given = sorted({int(s) for s in answer})
    except (TypeError, ValueError):
        return {"error": f"expected a collection of image sizes such as {{8, 12}}, got {answer!r}"}
    model = SmallCNN(seed=seed).eval()                  # image_size 8, channels (8, 16), flatten head
    runs, shapes = [], {}
    for size in _SIZES:
        maps = model.features(torch.zeros(1, 1, size, size))
        shapes[size] = list(maps.shape[1:])
        try:
            model.out(maps.flatten(1))                  # the layers themselves, without SmallCNN's own size check
            runs.append(size)
        except RuntimeError:
            pass
    return {"given": given, "runs": runs, "shapes": {str(k): v for k, v in shapes.items()}}


def _fc_sizes_judge(m):
    if "error" in m:
        return False, m["error"]
    given = [s for s in m["given"] if s in _SIZES]
    runs = m["runs"]
    if set(given) == set(runs):
        return True, (f"right: {runs}. The output layer has 16 x 2 x 2 = 64 inputs, and every one of these sizes "
                      "pools down to 2x2 maps (pooling rounds down)")
    for s in sorted(set(given) ^ set(runs)):
        c, h, w = m["shapes"][str(s)]
        if s in runs:
            return False, (f"{s}x{s} runs too: after two 2x2 poolings its maps are {c}x{h}x{w}, i.e. {c * h * w} "
                           "inputs to the output layer. How does a pooling treat an odd size?")
        return False, (f"{s}x{s} does not run: its last maps are {c}x{h}x{w} = {c * h * w} numbers, but the output "
                       "layer's weight matrix has a column for each of the 64 positions-and-channels it was built for")
    return False, f"only sizes 4 to 16 are asked about; your answer holds {m['given']}"


register(BehaviourExercise(
    name="architectures/fc-head-sizes",
    answer="fc_head_sizes",
    title="Which image sizes can a CNN with a fully connected head take?",
    points=2,
    measure=_fc_sizes_measure,
    judge=_fc_sizes_judge,
    answer_is_data=True,
    seed=0,
    hint="Follow the size through SmallCNN(): a 3x3 convolution with padding 1, a 2x2 max pooling (which rounds "
         "down), twice; then flatten into a linear layer built for 8x8 images.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. how much to crop

def _crop_cases():
    return [
        Case(args=(32, 2), label="32 rows, 2 poolings (divisible by 4)", hint="32 is a multiple of 4: nothing is lost."),
        Case(args=(33, 2), label="33 rows, 2 poolings"),
        Case(args=(35, 2), label="35 rows, 2 poolings"),
        Case(args=(40, 3), label="40 rows, 3 poolings"),
        Case(args=(41, 3), label="41 rows, 3 poolings",
             hint="Each pooling rounds up: 41 -> 21 -> 11 -> 6 rows, then three doublings."),
        Case(args=(7, 5), label="7 rows, 5 poolings", hint="Once a map has one row, a pooling keeps one row."),
        Case(args=(1, 1), label="1 row, 1 pooling"),
    ]


def _crop_reference(size, poolings):
    x = torch.zeros(1, 1, size, 1)
    for _ in range(poolings):
        x = F.max_pool2d(x, kernel_size=(2, 1), ceil_mode=True)
    return int(x.shape[2]) * 2 ** poolings - size


register(FunctionExercise(
    name="architectures/upsample-crop",
    answer="excess_rows",
    title="How many rows to crop after upsampling",
    points=2,
    cases=_crop_cases,
    reference=_crop_reference,
    forbidden=("max_pool2d", "MaxPool2d", "interpolate", "conv_transpose2d"),
    arg_names=("size", "poolings"),
    inputs="sizes 1 to 41 rows, 1 to 5 poolings",
    hint="A pooling with ceil_mode keeps ceil(n / 2) rows; the upsampling multiplies by 2 each time. Subtract the "
         "rows the input had.",
    notebook=PAGE,
))
