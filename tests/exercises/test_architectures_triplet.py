"""The exercises of the page Triplet networks (nbcourse/exercises/architectures/triplet.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nbcourse.exercises import check, get, names

NAMES = ["architectures/mining-budget", "architectures/semi-hard-negative", "architectures/triplet-categories"]


# the instructor's solutions, as in book/architectures/triplet.ipynb
def my_semi_hard_negative(E, y, a, p, margin):
    E, y = torch.as_tensor(E), torch.as_tensor(y)
    d = torch.linalg.vector_norm(E - E[a], dim=1)
    negatives = (y != y[a]).nonzero().flatten()
    farther = negatives[d[negatives] >= d[p]]
    if len(farther):
        return int(farther[d[farther].argmin()])
    return int(negatives[d[negatives].argmax()])


SOLUTIONS = {
    "architectures/triplet-categories": ["easy", "hard", "semi-hard", "easy", "semi-hard", "hard"],
    "architectures/mining-budget": {"most_easy": "random", "highest_loss": "hardest"},
    "architectures/semi-hard-negative": my_semi_hard_negative,
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


def test_semi_hard_mistakes_fail():
    def hardest_instead(E, y, a, p, margin):
        E, y = torch.as_tensor(E), torch.as_tensor(y)
        d = torch.linalg.vector_norm(E - E[a], dim=1)
        negatives = (y != y[a]).nonzero().flatten()
        return int(negatives[d[negatives].argmin()])

    def any_other_sample(E, y, a, p, margin):   # forgets that a negative must have another label
        E = torch.as_tensor(E)
        d = torch.linalg.vector_norm(E - E[a], dim=1)
        candidates = [n for n in range(len(E)) if n not in (a, p) and d[n] >= d[p]]
        return min(candidates, key=lambda n: float(d[n]))

    _fails("architectures/semi-hard-negative", hardest_instead)
    _fails("architectures/semi-hard-negative", any_other_sample, "samples of another class")
