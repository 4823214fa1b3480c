"""The exercises of the page Siamese networks (nbcourse/exercises/architectures/siamese.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from nbcourse.exercises import check, get, names
from nbcourse.losses import contrastive
from nbcourse.models.siamese import make_embedding_net

NAMES = ["architectures/beyond-the-margin", "architectures/choose-margin", "architectures/contrastive-grad",
         "architectures/shared-weights-bug"]


# the instructor's solutions, as in book/architectures/siamese.ipynb
def my_contrastive_grad(x1, x2, same, margin):
    x1, x2 = torch.as_tensor(x1), torch.as_tensor(x2)
    same = torch.as_tensor(same).to(x1.dtype)
    diff = x1 - x2
    d = diff.norm(dim=-1)
    push = torch.where(d > 0, torch.clamp(margin - d, min=0) / d.clamp(min=1e-300), torch.zeros_like(d))
    return (same - (1 - same) * push)[:, None] * diff / len(x1)


def twin_step(x1, x2, same, seed):
    x1, x2 = torch.as_tensor(x1, dtype=torch.float64), torch.as_tensor(x2, dtype=torch.float64)
    branch = make_embedding_net(4, (6,), 2, seed=int(seed)).double()
    optimizer = torch.optim.SGD(branch.parameters(), lr=0.5)
    loss = contrastive(branch(x1), branch(x2), torch.as_tensor(same), margin=1.0)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        return torch.stack([branch(x1), branch(x2)])


SOLUTIONS = {
    "architectures/beyond-the-margin": [0.0, 0.0],
    "architectures/contrastive-grad": my_contrastive_grad,
    "architectures/choose-margin": 3.0,
    "architectures/shared-weights-bug": twin_step,
}


def test_the_page_registers_its_exercises():
    ours = [n for n in names("architectures") if get(n).notebook == "architectures/siamese"]
    assert sorted(ours) == NAMES
    book = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        assert get(name).title and get(name).hint
        assert (book / f"{get(name).notebook}.ipynb").exists(), name


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


def _fails(name, answer, *words):
    result = check(name, answer, raise_on_failure=False)
    assert not result
    text = " ".join(str(result).split())
    for word in words:
        assert word in text, (word, text)


def test_beyond_the_margin_feedback():
    _fails("architectures/beyond-the-margin", [3.0, 4.0], "similar")
    _fails("architectures/beyond-the-margin", [-3.0, -4.0], "similar")
    _fails("architectures/beyond-the-margin", [0.6, 0.8], "max(0, m - d)")
    _fails("architectures/beyond-the-margin", [0.0], "two entries")


def test_gradient_mistakes_fail_where_they_go_wrong():
    def no_margin_clamp(x1, x2, same, margin):      # forgets max(0, .): pushes pairs beyond the margin back in
        x1, x2 = torch.as_tensor(x1), torch.as_tensor(x2)
        same = torch.as_tensor(same).to(x1.dtype)
        diff = x1 - x2
        d = diff.norm(dim=-1).clamp(min=1e-300)
        return (same - (1 - same) * (margin - d) / d)[:, None] * diff / len(x1)

    def sum_not_mean(x1, x2, same, margin):
        return my_contrastive_grad(x1, x2, same, margin) * len(torch.as_tensor(x1))

    def nan_at_zero(x1, x2, same, margin):
        x1, x2 = torch.as_tensor(x1), torch.as_tensor(x2)
        same = torch.as_tensor(same).to(x1.dtype)
        diff = x1 - x2
        d = diff.norm(dim=-1)
        return (same - (1 - same) * torch.clamp(margin - d, min=0) / d)[:, None] * diff / len(x1)

    _fails("architectures/contrastive-grad", no_margin_clamp, "beyond the margin")
    _fails("architectures/contrastive-grad", sum_not_mean, "two similar pairs")
    _fails("architectures/contrastive-grad", nan_at_zero, "d = 0")


def test_the_gradient_by_autograd_is_refused():
    def by_autograd(x1, x2, same, margin):
        x1 = torch.as_tensor(x1).clone().requires_grad_(True)
        contrastive(x1, torch.as_tensor(x2), torch.as_tensor(same), margin=margin).backward()
        return x1.grad

    def by_the_package(x1, x2, same, margin):
        return contrastive.grad(torch.as_tensor(x1), torch.as_tensor(x2), torch.as_tensor(same), margin=margin)

    for answer in (by_autograd, by_the_package):
        result = check("architectures/contrastive-grad", answer, raise_on_failure=False)
        assert not result.points, answer.__name__


def test_choose_margin_says_which_way_to_go():
    _fails("architectures/choose-margin", 1.0, "too close")
    _fails("architectures/choose-margin", 8.0, "too far")


def test_the_buggy_twins_of_the_page_fail():
    def buggy(x1, x2, same, seed):
        x1, x2 = torch.as_tensor(x1, dtype=torch.float64), torch.as_tensor(x2, dtype=torch.float64)
        branch1 = make_embedding_net(4, (6,), 2, seed=int(seed)).double()
        branch2 = copy.deepcopy(branch1)
        optimizer = torch.optim.SGD([*branch1.parameters(), *branch2.parameters()], lr=0.5)
        loss = contrastive(branch1(x1), branch2(x2), torch.as_tensor(same), margin=1.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            return torch.stack([branch1(x1), branch2(x2)])

    _fails("architectures/shared-weights-bug", buggy, "seed 0", "its own input")
