"""Figures of the attention page: maps computed from a model, drawn with the ideal alignment, errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbcourse.figures.attention import (EXAMPLES, accuracy_by_length_figure, attention_map_figure,  # noqa: E402
                                        attention_maps, load_maps, weights_figure)
from nbcourse.models import Seq2Seq  # noqa: E402


def test_maps_from_a_model_are_plain_data_with_rows_summing_to_one():
    maps = attention_maps({"reverse": Seq2Seq(hidden_size=8, seed=0)}, {"reverse": ("3 1 4", "2 7 1 8")})
    assert list(maps) == ["reverse"] and len(maps["reverse"]) == 2
    for row in maps["reverse"]:
        w = np.asarray(row["weights"])
        assert w.shape == (len(row["output"].split()), len(row["src"].split()))
        assert np.allclose(w.sum(1), 1.0, atol=1e-3)
    with pytest.raises(ValueError, match="no attention"):
        attention_maps({"reverse": Seq2Seq(hidden_size=8, attention="none", seed=0)}, {"reverse": ("3 1",)})


def test_the_shipped_maps_follow_the_alignment():
    """The long run's maps (the explorer's default): right outputs, and the steps mostly peak on their digit.

    Reversal is sharp (28 of 29 digit steps when written); sorting is more diffuse on long rows
    (22 of 29), where the decoder also relies on its state."""
    maps = load_maps()
    assert set(maps) == {"reverse", "sort"} and all(len(maps[t]) == len(EXAMPLES[t]) for t in maps)
    for task, least in (("reverse", 0.9), ("sort", 0.65)):
        hits = total = 0
        for row in maps[task]:
            src = row["src"].split()
            expected = src[::-1] if task == "reverse" else sorted(src)
            assert row["output"].split() == expected + ["<eos>"], row
            for t, digit in enumerate(expected):
                hits += src[int(np.argmax(row["weights"][t]))] == digit
                total += 1
        assert hits / total >= least, (task, hits, total)


def test_map_figure_outlines_and_checks_shapes():
    fig = attention_map_figure("6 1 8", "8 1 6 <eos>", np.full((4, 3), 1 / 3), task="reverse")
    ax = fig.axes[0]
    assert len(ax.patches) == 3 and ax.get_xlabel().startswith("source") and "anti-diagonal" in ax.get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="expected \\(4 output steps, 3 source positions\\)"):
        attention_map_figure("6 1 8", "8 1 6 <eos>", np.ones((3, 3)) / 3)


def test_other_figures_draw():
    fig = weights_figure([1.0, 0.0, -1.0], scales=(1.0, 10.0))
    assert "max weight" in fig.axes[1].get_title()
    plt.close(fig)
    fig = accuracy_by_length_figure({"a": {3: 1.0, 4: 0.5}, "b": {3: 0.9, 4: 0.1}}, train_lengths=(3, 4))
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)
