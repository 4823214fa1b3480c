"""History: a mapping of per-epoch lists, per-step records, saving and plotting."""

from __future__ import annotations

import json
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nbcourse.train import History  # noqa: E402


def sample() -> History:
    h = History()
    for epoch in (1, 2, 3):
        h.extend_steps(step=[2 * epoch - 1, 2 * epoch], epoch=[epoch, epoch], batch_size=[8, 4],
                       train_loss=[1.0 / epoch, 0.9 / epoch], train_accuracy=[0.5, 0.6])
        h.append_epoch(epoch=epoch, train_loss=1.0 / epoch, val_loss=1.2 / epoch, train_accuracy=0.55,
                       val_accuracy=0.5 + 0.1 * epoch, lr=0.1)
    return h


def test_mapping_of_per_epoch_lists():
    h = sample()
    assert h["train_loss"] == [1.0, 0.5, 1 / 3]
    assert h["val_loss"] == pytest.approx([1.2, 0.6, 0.4])
    assert set(h) == {"epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr"}
    assert len(h) == 6 and "val_loss" in h and dict(h)["epoch"] == [1.0, 2.0, 3.0]
    assert h.num_epochs == 3 and h.num_steps == 6
    assert h.steps["train_loss"][:2] == [1.0, 0.9]
    assert h.last()["val_accuracy"] == pytest.approx(0.8)
    assert h.best("val_loss") == (3, pytest.approx(0.4))
    assert h.best("val_accuracy", mode="max")[0] == 3
    assert h.metric_names() == ["accuracy"]


def test_missing_key_says_what_to_do():
    h = History()
    h.append_epoch(epoch=1, train_loss=1.0)
    with pytest.raises(KeyError, match="val_data"):
        h["val_loss"]
    with pytest.raises(ValueError, match="mode"):
        h.best("train_loss", mode="lowest")


def test_new_keys_are_back_filled_with_nan():
    h = History()
    h.append_epoch(epoch=1, train_loss=1.0)
    h.append_epoch(epoch=2, train_loss=0.5, val_loss=0.7)
    h.append_epoch(epoch=3, train_loss=0.4)
    assert math.isnan(h["val_loss"][0]) and h["val_loss"][1] == 0.7 and math.isnan(h["val_loss"][2])
    with pytest.raises(ValueError, match="different lengths"):
        h.extend_steps(step=[1, 2], train_loss=[1.0])


def test_to_dict_from_dict_round_trip_and_equality():
    h = sample()
    h.interrupted, h.stop_reason = True, "interrupted during epoch 4"
    data = h.to_dict()
    json.dumps(data)  # plain lists and numbers
    back = History.from_dict(data)
    assert back == h and back.interrupted and back.stop_reason == h.stop_reason
    other = History.from_dict(data)
    other.steps["train_loss"][0] = 2.0
    assert other != h
    assert sample() == {k: v for k, v in sample().items()}
    with pytest.raises(TypeError, match="to_dict"):
        History.from_dict([1, 2])


def test_truncate_steps():
    h = sample()
    h.truncate_steps(4)
    assert h.num_steps == 4 and all(len(v) == 4 for v in h.steps.values())


def test_plot_in_one_call_is_labelled():
    fig, axes = sample().plot()
    assert len(axes) == 2  # loss and accuracy
    assert axes[0].get_xlabel() == "epoch" and axes[0].get_ylabel() == "loss"
    assert axes[1].get_ylabel() == "accuracy"
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert labels == ["training loss (per step)", "training loss", "validation loss"]
    # per-step losses sit between the epochs: step k of n in epoch e at e - 1 + k/n
    assert list(axes[0].get_lines()[0].get_xdata()) == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert "after 3 epochs" in fig._suptitle.get_text()
    plt.close(fig)
    fig, axes = sample().plot(steps=False, metrics=False, log_loss=True)
    assert len(axes) == 1 and axes[0].get_yscale() == "log" and len(axes[0].get_lines()) == 2
    plt.close(fig)
    fig, given = plt.subplots(1, 2)
    _, axes = sample().plot(axes=given)
    assert axes[0] is given[0]
    with pytest.raises(ValueError, match="needs 2 axes"):
        sample().plot(axes=given[:1])
    plt.close("all")


def test_repr():
    assert repr(History()) == "History(0 epochs, 0 steps)"
    assert "3 epochs, 6 steps" in repr(sample()) and "val_loss=0.4" in repr(sample())


def test_train_eval_keys_are_a_split_not_a_metric():
    h = History()
    h.append_epoch(epoch=1, train_loss=1.0, train_accuracy=0.5, train_eval_loss=0.9, train_eval_accuracy=0.6,
                   val_loss=1.1, val_accuracy=0.4)
    assert h.metric_names() == ["accuracy"]
    fig, axes = h.plot()
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert "training loss (end of epoch, eval mode)" in labels and "validation loss" in labels
    assert "training (end of epoch) accuracy" in [line.get_label() for line in axes[1].get_lines()]
    plt.close(fig)
    with pytest.raises(KeyError, match="eval_train=True"):
        h2 = History()
        h2.append_epoch(epoch=1, train_loss=1.0)
        h2["train_eval_loss"]


def test_the_docstring_table_names_every_key_fit_records():
    import nbcourse.train.history as module

    for key in ("train_loss", "train_eval_loss", "val_loss", "lr", "train_<m>", "train_eval_<m>", "val_<m>"):
        assert f'``"{key}"``' in module.__doc__, key
