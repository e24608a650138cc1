"""verify runs what a first training script runs: the tutorial's autograd, SGD/AdamW, autocast with a
GradScaler and a DataLoader with worker processes; and --level chooses how much.

The stages run in process through the device-agnostic path (smoke.device_checks with an accelerator's
label pointed at the CPU, as no GPU is at hand), and for real in the smoke child with fake torch builds
(tests/fake_torch/) that break one thing each. The oracles are independent of the code under test:
the tutorial's published answers, finite differences for the hand-written gradients, the first step
of SGD and AdamW worked out from their documented update rules, and torch's own error texts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile.fakes import gone

from envdoctor.door import LiveDoor
from envdoctor.facts import Check
from envdoctor.verify import VerifyOptions, run_verify, runner, smoke, verify_ok

FAKES = Path(__file__).parent / "fake_torch"
STANDARD = smoke.TRAINING_SIZES["standard"]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def spec(label: str = "cuda:0", **changes) -> dict:
    """An accelerator's spec pointed at the CPU (a CPU-only torch cannot pin memory)."""
    return dict({"label": label, "device": "cpu", "dtypes": ["float32", "tf32", "float16", "bfloat16"],
                 "perf_dtypes": ["float32"], "gradcheck": True, "conv_backend": "cudnn", "pin_memory": False}, **changes)


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {check.id: check for check in checks}


def run_with_fake(monkeypatch, case: str, **options) -> dict[str, Check]:
    monkeypatch.setenv("PYTHONPATH", str(FAKES / case))
    return by_id(run_verify(LiveDoor(), VerifyOptions(device="cpu", perf_seconds=0.0, timeout=120.0, **options)))


# ---------------------------------------------------------------------------- the tutorial's known answers


def test_the_tutorial_autograd_gives_the_published_numbers(torch):
    result = smoke.check_tutorial_autograd(torch, spec())
    assert result["status"] == "pass", result["message"]
    assert result["details"]["out"] == 27.0  # "You should have got a matrix of 4.5" and out = 27 (60 Minute Blitz)
    assert result["details"]["grad"] == [[4.5, 4.5], [4.5, 4.5]]
    assert result["details"]["doublings"] == 9  # |x * 2^9| = 1915 for x = (1, 2, 3): the first past 1000
    assert result["details"]["vector_grad"] == pytest.approx([51.2, 512.0, 0.0512], rel=1e-6)


def test_a_wrong_mean_in_the_tutorial_is_caught(torch, monkeypatch):
    real_mean = torch.Tensor.mean
    monkeypatch.setattr(torch.Tensor, "mean", lambda self, *a, **k: real_mean(self, *a, **k) * 1.001)
    result = smoke.check_tutorial_autograd(torch, spec())
    assert result["status"] == "fail" and "27 and 4.5 everywhere expected" in result["message"]


# ---------------------------------------------------------------------------- training: the oracles first


def test_the_hand_written_gradients_match_finite_differences(torch):
    x, y = smoke.regression_data(torch, 12, 3)
    params = smoke.initial_parameters(torch, 3, 5)
    loss, grads = smoke.reference_gradients(x, y, params)
    step = 1e-6
    for tensor, grad in zip(params, grads, strict=True):
        for index in range(tensor.numel()):
            flat = tensor.view(-1)
            saved = float(flat[index])
            flat[index] = saved + step
            up = smoke.reference_gradients(x, y, params)[0]
            flat[index] = saved - step
            down = smoke.reference_gradients(x, y, params)[0]
            flat[index] = saved
            assert grad.view(-1)[index].item() == pytest.approx((up - down) / (2 * step), abs=1e-7)
    assert loss > 0


def test_one_reference_step_is_the_documented_update(torch):
    x, y = smoke.regression_data(torch, 12, 3)
    start = smoke.initial_parameters(torch, 3, 5)
    _, grads = smoke.reference_gradients(x, y, start)
    sgd, _ = smoke.reference_training(torch, "sgd", x, y, start, 1)
    lr = smoke.TRAIN_LR["sgd"]
    for got, p0, g in zip(sgd, start, grads, strict=True):  # the first momentum buffer is the gradient itself
        assert torch.allclose(got, p0 - lr * g, rtol=0, atol=1e-15)
    adamw, _ = smoke.reference_training(torch, "adamw", x, y, start, 1)
    lr = smoke.TRAIN_LR["adamw"]
    for got, p0, g in zip(adamw, start, grads, strict=True):  # Adam's first bias-corrected step is g / (|g| + eps)
        assert torch.allclose(got, p0 * (1 - lr * 0.01) - lr * g / (g.abs() + 1e-8), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- training on the device path


def test_sgd_and_adamw_train_and_match_the_float64_reference(torch):
    result = smoke.check_train_sgd(torch, spec(), STANDARD)
    assert result["status"] == "pass", result["message"]
    for name in ("sgd", "adamw"):
        numbers = result["details"][name]
        assert numbers["last_loss"] * smoke.TRAIN_LOSS_FACTOR <= numbers["first_loss"]
        assert numbers["max_relative_error"] <= smoke.TRAIN_TOLERANCE
        assert numbers["last_loss"] == pytest.approx(numbers["reference_last_loss"], rel=1e-4)


@pytest.mark.parametrize("optimizer, label", [("SGD", "SGD"), ("AdamW", "AdamW")])
def test_an_optimizer_step_that_returns_wrong_weights_fails(torch, monkeypatch, optimizer, label):
    cls = getattr(torch.optim, optimizer)
    real_step = cls.step

    def wrong_step(self, *args, **kwargs):
        loss = real_step(self, *args, **kwargs)
        with torch.no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    param.add_(1e-3)
        return loss

    monkeypatch.setattr(cls, "step", wrong_step)
    result = smoke.check_train_sgd(torch, spec(), STANDARD)
    assert result["status"] == "fail"
    assert f"{label}: after {STANDARD['steps']} steps the weights differ from the float64 CPU reference" in result["message"]
    other = "adamw" if optimizer == "SGD" else "sgd"
    assert result["details"][other]["max_relative_error"] <= smoke.TRAIN_TOLERANCE


def test_a_wrong_backward_fails_training(torch, monkeypatch):
    """tanh's gradient 10% too large: the forward pass and the loss look fine, the weights drift."""

    class SkewedTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.tanh()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * (1 - y * y) * 1.1

    monkeypatch.setattr(torch.nn.Tanh, "forward", lambda self, x: SkewedTanh.apply(x))
    result = smoke.check_train_sgd(torch, spec(), STANDARD)
    assert result["status"] == "fail" and "differ from the float64 CPU reference" in result["message"]


def test_autocast_tracks_float32(torch):
    result = smoke.check_train_amp(torch, spec(), STANDARD)
    assert result["status"] == "pass", result["message"]
    assert result["details"]["bfloat16"]["max_relative_error"] <= smoke.AMP_TOLERANCE["bfloat16"]
    assert result["details"]["float16"]["skipped_steps"] == 0
    assert result["details"]["float16"]["final_scale"] == smoke.AMP_INIT_SCALE


def test_a_stuck_grad_scaler_fails(torch, monkeypatch):
    scaler_class = torch.amp.GradScaler
    real_unscale = scaler_class._unscale_grads_

    def always_inf(self, *args):
        found = real_unscale(self, *args)
        for flag in found.values():
            flag.fill_(1.0)
        return found

    monkeypatch.setattr(scaler_class, "_unscale_grads_", always_inf)
    result = smoke.check_train_amp(torch, spec(), STANDARD)
    assert result["status"] == "fail"
    assert f"the GradScaler skipped {STANDARD['amp_steps']} of {STANDARD['amp_steps']} steps" in result["message"]
    assert result["details"]["bfloat16"]["skipped_steps"] == 0  # bfloat16 needs no scaler and still passes


def test_autocast_is_skipped_with_the_reason_where_a_device_has_neither_dtype(torch):
    result = smoke.check_train_amp(torch, spec(dtypes=["float32"]), STANDARD)
    assert result["status"] == "skip"
    assert "cuda:0 has no bfloat16" in result["message"] and "cuda:0 has no float16" in result["message"]


def test_autocast_that_silently_falls_back_to_float32_is_not_a_pass(torch, monkeypatch):
    """torch.autocast warns and computes in float32 where a dtype is unsupported: that proves nothing."""
    import contextlib

    monkeypatch.setattr(torch, "autocast", lambda **kwargs: contextlib.nullcontext())
    result = smoke.check_train_amp(torch, spec(), STANDARD)
    assert result["status"] == "skip"
    assert "autocast on cpu computed in float32, not bfloat16" in result["message"]


# ---------------------------------------------------------------------------- the DataLoader


def test_the_data_loader_delivers_every_batch_in_order_bit_exact(torch):
    result = smoke.check_data_loader(torch, spec(), STANDARD)
    assert result["status"] == "pass", result["message"]
    details = result["details"]
    assert details["batches"] == details["batches_expected"] == 4
    assert details["workers"] == 2 and details["pin_memory"] is False
    assert details["start_method"] in ("fork", "spawn", "forkserver")


def test_a_worker_that_changes_a_value_fails_the_loader(torch, monkeypatch):
    from torch.utils.data import TensorDataset, get_worker_info

    real_getitem = TensorDataset.__getitem__

    def off_by_one_in_workers(self, index):
        values, order = real_getitem(self, index)
        return (values + 1 if get_worker_info() is not None and index == 5 else values), order

    monkeypatch.setattr(TensorDataset, "__getitem__", off_by_one_in_workers)
    result = smoke.check_data_loader(torch, spec(), STANDARD)
    assert result["status"] == "fail" and "changed between the workers and cpu" in result["message"]


@pytest.mark.parametrize("text, cause", [
    # the texts torch raises (torch/csrc/DataLoader.cpp, torch/utils/data/dataloader.py, the shared-memory manager)
    ("DataLoader worker (pid 4242) is killed by signal: Bus error. It is possible that dataloader's workers are out "
     "of shared memory. Please try to raise your shared memory limit.", "shared memory"),
    ("unable to write to file </torch_4242_1794164395_0>: No space left on device (28)", "shared memory"),
    ("DataLoader worker (pid 4242) is killed by signal: Killed. ", "killed"),
    ("received 0 items of ancdata", "open files"),
    ("[Errno 24] Too many open files", "open files"),
    ("DataLoader timed out after 60 seconds", "timeout"),
    ("DataLoader worker (pid(s) 4242) exited unexpectedly", "worker died"),
    ("something else", "error"),
])
def test_loader_failures_are_named_by_their_cause(text, cause):
    assert smoke.loader_failure_cause(text)[0] == cause


def test_the_cause_is_found_in_the_error_a_failure_was_raised_from():
    try:
        try:
            raise RuntimeError("DataLoader worker (pid 7) is killed by signal: Bus error. ")
        except RuntimeError as inner:
            raise RuntimeError("DataLoader worker (pid(s) 7) exited unexpectedly") from inner
    except RuntimeError as outer:
        chain = smoke.exception_chain(outer)
    assert [str(e) for e in chain][1].startswith("DataLoader worker (pid 7) is killed by signal: Bus error")


# ---------------------------------------------------------------------------- in the smoke child, with broken torch builds


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_a_worker_killed_by_sigbus_fails_the_loader_with_the_shared_memory_cause(monkeypatch):
    found = run_with_fake(monkeypatch, "worker_sigbus")
    loader = found["cpu.data.loader"]
    assert loader.status == "fail"
    assert "killed by signal: Bus error" in loader.message and "--shm-size" in loader.message
    assert loader.details["cause"] == "shared memory"
    assert [check.id for check in found.values() if check.status == "fail"] == ["cpu.data.loader"]


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_a_wrong_optimizer_step_fails_training_in_the_child(monkeypatch):
    found = run_with_fake(monkeypatch, "wrong_optimizer_step")
    assert found["cpu.train.sgd"].status == "fail"
    assert found["cpu.train.sgd"].message.startswith("SGD: after")
    # the autocast stage compares with a float32 run of the same optimizer: only train.sgd, whose reference is
    # written by hand, can tell a broken optimizer
    assert [check.id for check in found.values() if check.status == "fail"] == ["cpu.train.sgd"]


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_a_stuck_grad_scaler_fails_autocast_in_the_child(monkeypatch):
    found = run_with_fake(monkeypatch, "stuck_grad_scaler")
    assert found["cpu.train.amp"].status == "fail"
    assert "GradScaler skipped 20 of 20 steps" in found["cpu.train.amp"].message
    assert [check.id for check in found.values() if check.status == "fail"] == ["cpu.train.amp"]


@pytest.mark.long_unit
@pytest.mark.needs_torch
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_workers_start_from_the_fresh_directory_with_every_start_method(monkeypatch, method):
    monkeypatch.setenv("ENVDOCTOR_TEST_START_METHOD", method)
    loader = run_with_fake(monkeypatch, "loader_start_method", level="standard")["cpu.data.loader"]
    assert loader.status == "pass", loader.message
    assert loader.details["start_method"] == method


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_hanging_workers_and_their_forkserver_are_killed_with_the_child(monkeypatch, tmp_path):
    pids_file = tmp_path / "pids"
    monkeypatch.setenv("ENVDOCTOR_TEST_PIDS", str(pids_file))
    monkeypatch.setenv("PYTHONPATH", str(FAKES / "loader_workers_hang"))
    checks = run_verify(LiveDoor(), VerifyOptions(device="cpu", timeout=15.0))
    assert [(c.id, c.status) for c in checks] == [("import", "fail")]
    assert checks[0].message == "hung during import: no result within 15 s; the child was killed"
    pids = [int(line) for line in pids_file.read_text().split()]
    assert len(pids) == 3  # two workers and the forkserver

    assert all(gone(pid) for pid in pids)


# ---------------------------------------------------------------------------- levels


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_quick_runs_a_matmul_and_the_tutorial_on_each_device_only():
    checks = run_verify(LiveDoor(), VerifyOptions(device="cpu", level="quick"))
    assert [c.id for c in checks] == ["import", "build", "numpy", "devices", "cpu.matmul.float32",
                                      "cpu.tutorial.autograd"]
    assert verify_ok(checks)


@pytest.mark.long_unit
def test_full_trains_longer_on_more_and_moves_batches_larger_than_dockers_shm(torch):
    full = smoke.TRAINING_SIZES["full"]
    assert full["steps"] > STANDARD["steps"] and full["hidden"] > STANDARD["hidden"]
    in_flight = 2 * smoke.LOADER_WORKERS * full["loader_batch"] * full["loader_width"] * 4  # prefetch_factor 2
    assert in_flight == 128 << 20  # more than Docker's 64 MB /dev/shm
    result = smoke.check_train_sgd(torch, spec(), full)
    assert result["status"] == "pass", result["message"]
    assert result["details"]["steps"] == full["steps"]


def test_each_level_has_its_budget_and_an_unknown_one_is_refused():
    assert runner.LEVEL_PERF_SECONDS == {"quick": 0.0, "standard": 2.0, "full": 10.0}
    assert runner.LEVEL_TIMEOUT_S == {"quick": 60.0, "standard": 120.0, "full": 300.0}
    assert '"perf_seconds": 10.0' in runner.smoke_argv("python", VerifyOptions(level="full"))[-1]
    assert '"perf_seconds": 0.5' in runner.smoke_argv("python", VerifyOptions(level="full", perf_seconds=0.5))[-1]
    checks = run_verify(LiveDoor(), VerifyOptions(level="exhaustive"))
    assert [(c.id, c.status) for c in checks] == [("smoke", "fail")]
    assert "unknown level 'exhaustive'" in checks[0].message
