"""nbcourse.figures.gan: every figure draws from a short run, with labelled axes and a title, and closes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nbcourse.data.mixtures import ring  # noqa: E402
from nbcourse.figures import gan as F  # noqa: E402
from nbcourse.models import GAN  # noqa: E402
from nbcourse.models.gan import train_gan  # noqa: E402


@pytest.fixture(scope="module")
def run():
    mixture = ring(8, std=0.05)
    gan = GAN(generator_hidden=(16,), discriminator_hidden=(16,), seed=0)
    return mixture, train_gan(gan, mixture.sample, steps=30, snapshot_steps=(0, 10, 30), n_snapshot=64)


def _labelled(fig):
    texts = [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]
    assert all(ax.get_xlabel() for ax in fig.axes)
    assert any(texts)
    title = fig._suptitle.get_text() if fig._suptitle else " ".join(ax.get_title() for ax in fig.axes)
    assert title
    plt.close(fig)


def test_snapshots_figure_has_one_panel_per_step_titled_with_coverage(run):
    mixture, history = run
    fig = F.snapshots_figure(history["snapshots"], mixture, real=mixture.sample(50, seed=0))
    assert len(fig.axes) == 3
    assert all("modes" in ax.get_title() for ax in fig.axes)
    _labelled(fig)
    with pytest.raises(ValueError, match="snapshots"):
        F.snapshots_figure({}, mixture)


def test_losses_coverage_and_gradient_figures(run):
    mixture, history = run
    _labelled(F.losses_figure(history, window=5))
    _labelled(F.coverage_figure({"a": history, "b": history}, mixture))
    _labelled(F.generator_gradient_figure())


def test_the_explorer_takes_a_page_s_runs_or_the_stored_ones(run):
    mixture, history = run
    view = F.snapshot_explorer({"short": history["snapshots"]}, mixture)
    assert len(view.combinations()) == 3
    stored = F.snapshot_explorer()
    assert len(stored.combinations()) == 18
    assert set(F.load_snapshots()["runs"]) == {"baseline", "fast G", "fast G + R1"}
    with pytest.raises(ValueError, match="mixture"):
        F.snapshot_explorer({"short": history["snapshots"]})
