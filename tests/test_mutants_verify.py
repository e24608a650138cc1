"""verify's training gate: the loss must fall by TRAIN_LOSS_FACTOR (10x), checked at and around the bound.

The device's training is replaced by the float64 CPU reference (so the weights match) with a loss curve
written by hand; only the loss decides the outcome.
"""

from __future__ import annotations

import pytest

from envdoctor.verify import smoke

SIZE = {"samples": 64, "features": 4, "hidden": 8, "steps": 5}
SPEC = {"label": "cuda:0", "device": "cpu"}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def train_with_losses(torch, monkeypatch, curves: dict[str, list[float]]) -> dict:
    def device_training(torch, name, device, x, y, start, steps):
        params, _ = smoke.reference_training(torch, name, x, y, start, steps)
        return params, curves[name]

    monkeypatch.setattr(smoke, "device_training", device_training)
    return smoke.check_train_sgd(torch, SPEC, SIZE)


def test_the_factor_is_ten():
    assert smoke.TRAIN_LOSS_FACTOR == 10.0


def test_a_loss_that_falls_exactly_tenfold_passes(torch, monkeypatch):
    result = train_with_losses(torch, monkeypatch, {"sgd": [2.0, 1.0, 0.2], "adamw": [5.0, 0.5]})
    assert result["status"] == "pass"
    assert result["message"].startswith("SGD loss 2 -> 0.2, AdamW 5 -> 0.5 in 5 steps; weights match the float64 "
                                        "reference (")
    assert (result["details"]["sgd"]["first_loss"], result["details"]["sgd"]["last_loss"]) == (2.0, 0.2)
    assert result["details"]["loss_factor"] == 10.0


def test_a_loss_that_falls_less_than_tenfold_fails_naming_the_optimizer(torch, monkeypatch):
    result = train_with_losses(torch, monkeypatch, {"sgd": [2.0, 0.21], "adamw": [5.0, 0.4]})
    assert (result["status"], result["message"]) == (
        "fail", "SGD: the loss fell from 2 to 0.21 in 5 steps, not by 10x")
    result = train_with_losses(torch, monkeypatch, {"sgd": [2.0, 0.1], "adamw": [5.0, 5.0]})
    assert (result["status"], result["message"]) == (
        "fail", "AdamW: the loss fell from 5 to 5 in 5 steps, not by 10x")


def test_a_loss_that_is_not_finite_fails(torch, monkeypatch):
    result = train_with_losses(torch, monkeypatch, {"sgd": [2.0, float("nan"), 0.0], "adamw": [5.0, 0.1]})
    assert (result["status"], result["message"]) == ("fail", "SGD: the loss became 0.0")
