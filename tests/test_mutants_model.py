"""The recipe model (``recipes/model.py``): what a recipe error says, compared whole, and how a GPU name is read."""

from __future__ import annotations

import pytest

from envdoctor.recipes import load_recipes
from envdoctor.recipes.model import RecipeError

RECIPES = load_recipes()


def test_a_recipe_error_says_five_problems_and_counts_the_rest():
    problems = [f"torch.toml: problem {n}" for n in range(1, 8)]
    error = RecipeError(problems)
    assert error.problems == problems
    assert str(error) == ("torch.toml: problem 1; torch.toml: problem 2; torch.toml: problem 3; torch.toml: problem 4; "
                          "torch.toml: problem 5 (and 2 more)")
    assert str(RecipeError(problems[:5])) == "; ".join(problems[:5])


@pytest.mark.parametrize("name, written", [
    ("NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX™ 3090"),  # as NVIDIA's product pages write it
    ("NVIDIA GeForce RTX 3090", "NVIDIA GeForce® RTX 3090"),
    ("NVIDIA GeForce RTX 3090", "NVIDIA(R) GeForce(TM) RTX 3090"),  # as Windows device names write the marks
])
def test_a_gpu_name_with_trademark_signs_reads_as_without(name, written):
    assert RECIPES.gpu_compute_capability(written) == RECIPES.gpu_compute_capability(name) == "8.6"


@pytest.mark.parametrize("name, written", [
    ("AMD Radeon RX 7900 XTX", "AMD Radeon™ RX 7900 XTX"),  # as AMD's product pages write it
    ("AMD Radeon RX 7900 XTX", "AMD Radeon(TM) RX 7900 XTX"),
])
def test_an_amd_gpu_name_with_trademark_signs_reads_as_without(name, written):
    assert RECIPES.amd_gfx(written) == RECIPES.amd_gfx(name) == "gfx1100"
