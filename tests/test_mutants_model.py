"""The recipe model (``recipes/model.py``): what a recipe error says, compared whole."""

from __future__ import annotations

from envdoctor.recipes.model import RecipeError


def test_a_recipe_error_says_five_problems_and_counts_the_rest():
    problems = [f"torch.toml: problem {n}" for n in range(1, 8)]
    error = RecipeError(problems)
    assert error.problems == problems
    assert str(error) == ("torch.toml: problem 1; torch.toml: problem 2; torch.toml: problem 3; torch.toml: problem 4; "
                          "torch.toml: problem 5 (and 2 more)")
    assert str(RecipeError(problems[:5])) == "; ".join(problems[:5])
