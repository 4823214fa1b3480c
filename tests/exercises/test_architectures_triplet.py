"""The exercises of the page Triplet networks (nbcourse/exercises/architectures/triplet.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nbcourse.exercises import check, get, names

NAMES = ["architectures/mining-budget", "architectures/triplet-categories", "architectures/triplet-grad"]


# the instructor's solutions, as in book/architectures/triplet.ipynb
def my_triplet_grad(anchor, positive, negative, margin):
    a, p, n = (torch.as_tensor(t) for t in (anchor, positive, negative))
    d_ap = torch.linalg.vector_norm(a - p, dim=-1, keepdim=True)
    d_an = torch.linalg.vector_norm(a - n, dim=-1, keepdim=True)
    active = (margin + d_ap - d_an > 0).to(a.dtype)
    return active * ((a - p) / d_ap - (a - n) / d_an) / len(a)


SOLUTIONS = {
    "architectures/triplet-categories": ["easy", "hard", "semi-hard", "easy", "semi-hard", "hard"],
    "architectures/mining-budget": {"most_easy": "random", "highest_loss": "hardest"},
    "architectures/triplet-grad": my_triplet_grad,
}


def test_the_page_registers_its_exercises():
    ours = [n for n in names("architectures") if get(n).notebook == "architectures/triplet"]
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


def test_categories_feedback_names_the_first_wrong_triplet_not_the_answer():
    _fails("architectures/triplet-categories", ["easy", "semi-hard", "semi-hard", "easy", "semi-hard", "hard"],
           "triplet 1 is not semi-hard")
    _fails("architectures/triplet-categories", ["easy", "hard", "semi-hard", "easy", "easy", "hard"],
           "triplet 4 is not easy")
    _fails("architectures/triplet-categories", ["easy"] * 5, "there are 6 triplets")
    _fails("architectures/triplet-categories", ["easy", "hard", "medium", "easy", "semi-hard", "hard"], "'medium'")


def test_mining_prediction_feedback():
    _fails("architectures/mining-budget", {"most_easy": "hardest", "highest_loss": "hardest"}, "most_easy")
    _fails("architectures/mining-budget", {"most_easy": "random", "highest_loss": "random"}, "closest negative")
    _fails("architectures/mining-budget", {"most_easy": "random"}, "highest_loss")


def test_triplet_grad_mistakes_fail_where_they_first_go_wrong():
    def sign_flipped(anchor, positive, negative, margin):      # pushes the anchor towards the negative
        a, p, n = (torch.as_tensor(t) for t in (anchor, positive, negative))
        d_ap = torch.linalg.vector_norm(a - p, dim=-1, keepdim=True)
        d_an = torch.linalg.vector_norm(a - n, dim=-1, keepdim=True)
        return (margin + d_ap - d_an > 0) * ((a - p) / d_ap + (a - n) / d_an) / len(a)

    def no_hinge(anchor, positive, negative, margin):          # forgets max(0, .)
        a, p, n = (torch.as_tensor(t) for t in (anchor, positive, negative))
        d_ap = torch.linalg.vector_norm(a - p, dim=-1, keepdim=True)
        d_an = torch.linalg.vector_norm(a - n, dim=-1, keepdim=True)
        return ((a - p) / d_ap - (a - n) / d_an) / len(a)

    def summed(anchor, positive, negative, margin):            # forgets the mean over triplets
        return my_triplet_grad(anchor, positive, negative, margin) * len(torch.as_tensor(anchor))

    _fails("architectures/triplet-grad", sign_flipped, "semi-hard")
    _fails("architectures/triplet-grad", no_hinge, "easy triplet")
    _fails("architectures/triplet-grad", summed, "mean over N")


def test_triplet_grad_rejects_autograd():
    def by_autograd(anchor, positive, negative, margin):
        a = torch.as_tensor(anchor).clone().requires_grad_(True)
        loss = torch.nn.functional.relu(margin + (a - torch.as_tensor(positive)).norm(dim=-1)
                                        - (a - torch.as_tensor(negative)).norm(dim=-1)).mean()
        loss.backward()
        return a.grad

    result = check("architectures/triplet-grad", by_autograd, raise_on_failure=False)
    assert not result.points
