"""envdoctor verify against the real CPU torch, plus its pure parts: event parsing, crash reading,
device diagnosis, GPU peaks and CI expectations.

Channel lines and CommandResults built below are envdoctor's own smoke-script protocol, written by
hand to pin each case; the live runs use the real torch in the test interpreter.
"""

from __future__ import annotations

import importlib.metadata
import sys

import pytest
from conftest import load_machine

from envdoctor.door import CommandResult, LiveDoor
from envdoctor.facts import Check
from envdoctor.recipes import load_recipes
from envdoctor.verify import GpuPeaksError, VerifyOptions, find_peak, load_gpu_peaks, run_verify, runner, smoke, verify_ok
from envdoctor.verify.runner import (
    attach_peaks,
    child_failure,
    expectation_checks,
    judge_devices,
    parse_events,
    parse_gpu_peaks,
)


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {check.id: check for check in checks}


# ---------------------------------------------------------------------------- live, real torch


#: The tests that read the one shared run go to one worker together.
CPU_RUN = pytest.mark.xdist_group("verify-cpu-run")


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory) -> list[Check]:
    """One full run, torch.compile included: every test of the live run reads it.

    Inductor gets an empty cache of its own, so the compile stage really compiles (a cache left by an
    earlier run would skip the C++ compiler), and compiles in the child itself: a pool of compile
    workers, each importing torch, costs more than it saves for one small function on a few cores.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path_factory.mktemp("inductor-cache")))
        patch.setenv("TORCHINDUCTOR_COMPILE_THREADS", "1")
        return run_verify(LiveDoor(), VerifyOptions(perf_seconds=1.0, timeout=240, compile=True))


@CPU_RUN
@pytest.mark.needs_torch
def test_full_cpu_run_passes_with_measured_numbers(cpu_run):
    checks = cpu_run
    found = by_id(checks)
    assert verify_ok(checks), [(c.id, c.message) for c in checks if c.status == "fail"]
    for check_id in ("import", "build", "devices", "cpu.alloc", "cpu.copy", "cpu.matmul.float32",
                     "cpu.matmul.bfloat16", "cpu.matmul.float16", "cpu.autograd", "cpu.gradcheck", "cpu.conv2d",
                     "cpu.tutorial.autograd", "cpu.train.sgd", "cpu.train.amp", "cpu.data.loader",
                     "cpu.perf.matmul.float32", "cpu.perf.matmul.bfloat16"):
        assert found[check_id].status == "pass", (check_id, found[check_id].message)
        assert found[check_id].duration_s > 0, check_id
    assert found["import"].metrics["import_s"] > 0
    assert found["cpu.perf.matmul.float32"].metrics["tflops"] > 0
    assert "peak_tflops" not in found["cpu.perf.matmul.float32"].metrics


@CPU_RUN
@pytest.mark.needs_torch
def test_build_info_reports_the_installed_torch(cpu_run):
    build = by_id(cpu_run)["build"].details
    assert build["torch"] == importlib.metadata.version("torch")
    assert build["cuda"] is None
    assert build["arch_list"] == []
    assert "CPU build" in by_id(cpu_run)["build"].message


@CPU_RUN
@pytest.mark.needs_torch
def test_absent_accelerators_are_skipped_with_a_reason_under_all(cpu_run):
    found = by_id(cpu_run)
    assert found["device.cuda"].status == "skip"
    assert "CPU build" in found["device.cuda"].message
    assert found["device.mps"].status == "skip"
    assert not any(check.id.startswith("cuda:") for check in cpu_run)


@CPU_RUN
@pytest.mark.needs_torch
def test_checks_arrive_in_stage_order(cpu_run):
    ids = [check.id for check in cpu_run]
    assert ids[:4] == ["import", "build", "numpy", "devices"]
    assert (ids.index("cpu.conv2d") < ids.index("cpu.tutorial.autograd") < ids.index("cpu.train.sgd")
            < ids.index("cpu.train.amp") < ids.index("cpu.data.loader") < ids.index("cpu.perf.matmul.float32")
            < ids.index("compile"))


@CPU_RUN
@pytest.mark.needs_torch
def test_compile_stage_matches_eager(cpu_run):
    compiled = by_id(cpu_run)["compile"]
    assert compiled.status == "pass", compiled.message
    assert compiled.details["max_abs_error"] <= 1e-4
    assert compiled.details["device"] == "cpu"


# The runs below look at the device list, the expectations or the compile stage, which every level runs:
# the quick level keeps each child short.


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_asking_for_cuda_on_a_cpu_build_fails_with_the_reason():
    checks = run_verify(LiveDoor(), VerifyOptions(device="cuda", perf_seconds=0.0, level="quick"))
    found = by_id(checks)
    assert found["device.cuda"].status == "fail"
    assert "torch.version.cuda is None" in found["device.cuda"].message
    assert "device.mps" not in found
    assert found["cpu.matmul.float32"].status == "pass"
    assert not verify_ok(checks)


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_expectations_are_checked_against_the_child_report():
    options = VerifyOptions(device="cpu", perf_seconds=0.0, expect_gpus=1, expect_cuda="12.4",
                            expect_torch=">=2.0", level="quick")
    found = by_id(run_verify(LiveDoor(), options))
    assert found["expect.gpus"].status == "fail"
    assert "torch sees 0" in found["expect.gpus"].message
    assert found["expect.cuda"].status == "fail"
    assert found["expect.torch"].status == "pass"


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_compile_is_skipped_without_a_cxx_compiler(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CXX", raising=False)
    options = VerifyOptions(python=sys.executable, device="cpu", perf_seconds=0.0, compile=True, level="quick")
    found = by_id(run_verify(LiveDoor(), options))
    assert found["compile"].status == "skip"
    assert "C++ compiler" in found["compile"].message


def test_unknown_device_is_refused_without_starting_a_child():
    checks = run_verify(LiveDoor(), VerifyOptions(device="tpu"))
    assert [(c.id, c.status) for c in checks] == [("devices", "fail")]


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 0, -1.0])
def test_a_timeout_that_is_not_finite_and_positive_is_refused_without_starting_a_child(timeout):
    checks = run_verify(LiveDoor(), VerifyOptions(timeout=timeout))
    assert [(c.id, c.status) for c in checks] == [("smoke", "fail")]
    assert "not a finite number of seconds above 0" in checks[0].message


def test_a_recorded_machine_cannot_run_the_verifier():
    door, facts = load_machine("debian12-no-gpu")
    checks = run_verify(door, VerifyOptions(device="cpu", expect_gpus=0), facts)
    assert checks[0].id == "smoke" and checks[0].status == "fail"
    assert checks[0].message == "could not run the smoke test: a recorded machine cannot run the verifier"
    assert not verify_ok(checks)


# ---------------------------------------------------------------------------- the device-agnostic path, in process


def accelerator_like_spec(label: str = "cuda:0") -> dict:
    """The spec an accelerator gets, pointed at the CPU: the same code path with every reduced dtype."""
    return {"label": label, "device": "cpu", "dtypes": ["float32", "tf32", "float16", "bfloat16"],
            "perf_dtypes": ["float32", "tf32"], "gradcheck": True, "conv_backend": "cudnn",
            "pin_memory": False}  # pinning needs a real accelerator: a CPU-only torch cannot pin


@pytest.fixture(scope="module")
def torch_module():
    return pytest.importorskip("torch")


@pytest.mark.long_unit
@pytest.mark.parametrize("label", ["cuda:0", "xpu:1", "mps"])
def test_device_path_runs_every_check_under_an_accelerator_label(torch_module, label):
    events: list[dict] = []
    results = smoke.device_checks(torch_module, smoke.Reporter(write=events.append), accelerator_like_spec(label), 0.2)
    ids = [event["id"] for event in results]
    assert ids == [f"{label}.alloc", f"{label}.copy", f"{label}.matmul.float32", f"{label}.matmul.tf32",
                   f"{label}.matmul.float16", f"{label}.matmul.bfloat16", f"{label}.autograd",
                   f"{label}.gradcheck", f"{label}.conv2d", f"{label}.tutorial.autograd", f"{label}.train.sgd",
                   f"{label}.train.amp", f"{label}.data.loader", f"{label}.perf.matmul.float32",
                   f"{label}.perf.matmul.tf32"]
    assert all(event["status"] == "pass" for event in results), [(e["id"], e["message"]) for e in results]
    assert results[-1]["metrics"]["tflops"] > 0
    starts = [event["id"] for event in events if event["event"] == "start"]
    assert starts == ids


def test_matmul_check_catches_a_wrong_cpu_matmul(torch_module, monkeypatch):
    real = torch_module.matmul
    monkeypatch.setattr(torch_module, "matmul", lambda a, b: real(a, b) * (1 + 1e-3))
    result = smoke.check_matmul(torch_module, accelerator_like_spec(), "float32")
    assert result["status"] == "fail"
    assert "wrong answer" in result["message"]


def test_conv2d_check_catches_a_wrong_conv2d(torch_module, monkeypatch):
    functional = torch_module.nn.functional
    real = functional.conv2d
    monkeypatch.setattr(functional, "conv2d", lambda *a, **k: real(*a, **k) + 1e-2)
    result = smoke.check_conv2d(torch_module, accelerator_like_spec())
    assert result["status"] == "fail"
    assert result["details"]["max_relative_error"] > 1e-3


def test_a_failed_allocation_skips_the_rest_of_the_device(torch_module):
    events: list[dict] = []
    spec = dict(accelerator_like_spec(), device="meta")  # meta tensors have no data: .item() raises
    results = smoke.device_checks(torch_module, smoke.Reporter(write=events.append), spec, 0.0)
    assert results[0]["id"] == "cuda:0.alloc" and results[0]["status"] == "fail"
    assert [event["status"] for event in results[1:]] == ["skip"] * (len(results) - 1)
    assert len(results) > 5


def test_conv2d_reference_matches_a_hand_computed_value():
    x = [[[[1.0, 2.0], [3.0, 4.0]]]]
    w = [[[[1.0, 0.0], [0.0, -1.0]]]]
    assert smoke.conv2d_reference(x, w, [0.5], 0) == [[[[1.0 - 4.0 + 0.5]]]]


def test_smoke_script_is_sent_with_its_marker_line():
    assert runner.SMOKE_SCRIPT.splitlines()[0] == "# envdoctor:smoke"
    argv = runner.smoke_argv("/usr/bin/python3", VerifyOptions(device="cpu"))
    assert argv[:4] == ["/usr/bin/python3", "-c", runner.SCRIPT_LOADER, str(runner.SMOKE_PATH)]
    assert '"device": "cpu"' in argv[4] and '"level": "standard"' in argv[4]


# ---------------------------------------------------------------------------- reading the child's output


NONCE = "0123456789abcdef0123456789abcdef"


def event_line(nonce: str = NONCE, **event) -> bytes:
    import json

    return json.dumps(dict(event, nonce=nonce)).encode() + b"\n"


def test_channel_parser_drops_a_torn_last_line_silently():
    data = b"".join([
        event_line(event="start", id="import"),
        event_line(event="check", id="import", status="pass", duration_s=1.2, metrics={"import_s": 1.2}),
        event_line(event="start", id="cpu.matmul.float32"),
        b'{"event": "check", "id": "cpu.matmul.fl',
    ])
    output = parse_events(data, NONCE)
    assert [event["id"] for event in output.checks] == ["import"]
    assert output.running == "cpu.matmul.float32"
    assert output.rejected == [] and not output.done


def test_channel_parser_rejects_what_is_not_an_event_of_this_run():
    data = b"".join([
        event_line(event="check", id="forged", status="pass", nonce="f" * 32),
        b'{"event": "check", "id": "forged", "status": "pass"}\n',
        b"[1, 2]\n",
        b"not json at all\n",
        event_line(event="teleport", id="x"),
        b"[" * 100_000 + b"\n",
        event_line(event="check", id="import", status="pass"),
        event_line(event="done"),
    ])
    output = parse_events(data, NONCE)
    assert [event["id"] for event in output.checks] == ["import"]
    assert output.done
    assert len(output.rejected) == 6
    assert sum("nonce" in reason for reason in output.rejected) == 3


def test_a_check_reported_twice_keeps_the_first_report_and_is_flagged():
    data = (event_line(event="check", id="expect.gpus", status="fail", message="first")
            + event_line(event="check", id="expect.gpus", status="pass", message="second"))
    output = parse_events(data, NONCE)
    assert [(event["status"], event["message"]) for event in output.checks] == [("fail", "first")]
    assert output.rejected == ["event 1: check 'expect.gpus' reported again; the first report stands"]
    failure = runner.protocol_check(output)
    assert failure.id == "smoke.protocol" and failure.status == "fail"


def test_non_finite_numbers_in_events_become_null():
    output = parse_events(b'{"event": "check", "id": "cpu.matmul.float32", "status": "fail", '
                          b'"metrics": {"max_abs_error": NaN, "tflops": 1e999}, "nonce": "' + NONCE.encode() + b'"}\n',
                          NONCE)
    assert output.checks[0]["metrics"] == {"max_abs_error": None, "tflops": None}


def test_parser_handles_empty_and_garbage_output():
    assert parse_events(b"", NONCE).checks == []
    output = parse_events(b"\x00\xff\n\n", NONCE)
    assert output.checks == [] and output.running is None and len(output.rejected) == 2


def crashed(events: list[bytes], **result) -> Check | None:
    output = parse_events(b"".join(events), NONCE)
    defaults = {"argv": ("python",), "status": "ok", "returncode": 0, "stderr": "", "duration_s": 1.0}
    return child_failure(CommandResult(**{**defaults, **result}), output, timeout=3.0)


RUNNING_MATMUL = [event_line(event="start", id="import"),
                  event_line(event="check", id="import", status="pass"),
                  event_line(event="start", id="cpu.matmul.float32")]


@pytest.mark.parametrize("returncode, name", [(-11, "SIGSEGV"), (-6, "SIGABRT"), (-4, "SIGILL"), (-9, "SIGKILL")])
def test_a_signal_names_the_stage_it_hit(returncode, name):
    failure = crashed(RUNNING_MATMUL, returncode=returncode)
    assert failure.id == "cpu.matmul.float32" and failure.status == "fail"
    assert failure.message == f"crashed with {name} during cpu.matmul.float32"
    assert failure.details["signal"] == name


def test_a_windows_access_violation_is_named():
    failure = crashed(RUNNING_MATMUL, returncode=0xC0000005)
    assert "access violation" in failure.message


def test_a_hang_is_reported_with_the_timeout():
    failure = crashed(RUNNING_MATMUL[:1], status="timed_out", returncode=None)
    assert failure.id == "import"
    assert failure.message == "hung during import: no result within 3 s; the child was killed"


def test_a_traceback_gives_its_last_line():
    stderr = 'Traceback (most recent call last):\n  File "<string>", line 1\nRuntimeError: CUDA error: unknown error\n'
    failure = crashed(RUNNING_MATMUL, returncode=1, stderr=stderr)
    assert failure.message == "exited with code 1 during cpu.matmul.float32: RuntimeError: CUDA error: unknown error"


def test_a_child_that_never_started_is_the_smoke_check():
    failure = crashed([], status="not_found", returncode=None, argv=("/opt/missing/python",))
    assert failure.id == "smoke"
    assert "/opt/missing/python" in failure.message


def test_a_death_between_stages_names_the_last_finished_one():
    failure = crashed(RUNNING_MATMUL[:2], returncode=-11)
    assert failure.id == "smoke"
    assert failure.message == "crashed with SIGSEGV after import"


def test_a_finished_child_is_not_a_failure():
    assert crashed(RUNNING_MATMUL + [event_line(event="done")], returncode=0) is None


# ---------------------------------------------------------------------------- devices against the probes


RECIPES = load_recipes()
CUDA_BUILD = {"torch": "2.5.1+cu124", "cuda": "12.4", "hip": None,
              "arch_list": ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]}
CPU_BUILD = {"torch": "2.5.1+cpu", "cuda": None, "hip": None, "arch_list": []}


def devices_check(count: int = 0, devices: list | None = None, visible: str | None = None) -> Check:
    cuda = {"kind": "cuda", "available": count > 0, "count": count, "devices": devices or [],
            "init_warnings": [], "visible_devices": visible}
    return Check("devices", "pass", details={"cuda": cuda})


def test_cpu_build_on_a_gpu_machine_is_the_named_cause():
    _, facts = load_machine("ubuntu2204-rtx3090-535")
    check = judge_devices(devices_check(), CPU_BUILD, facts)
    assert check.status == "fail"
    assert check.message.startswith("nvidia-smi shows 1 GPU(s), torch sees 0")
    assert check.details["causes"] == ["this torch is a CPU build (torch.version.cuda is None)"]


def test_a_driver_older_than_the_build_is_the_named_cause():
    _, facts = load_machine("ubuntu2204-rtx3090-535")  # R535: CUDA 12.2 at most, no CUDA 13 at all
    build = dict(CUDA_BUILD, cuda="13.0", arch_list=["sm_75", "sm_80", "sm_86", "sm_90"])
    check = judge_devices(devices_check(), build, facts, RECIPES)
    assert check.status == "fail"
    assert any("supports CUDA 12.2 at most" in cause and "13.0" in cause for cause in check.details["causes"])


def test_a_gpu_arch_missing_from_the_build_is_the_named_cause():
    _, facts = load_machine("rhel9-a100-525-cuda118")
    build = dict(CUDA_BUILD, cuda="11.8", arch_list=["sm_90"])
    check = judge_devices(devices_check(), build, facts, RECIPES)
    assert any("sm_80" in cause and "sm_90" in cause for cause in check.details["causes"])


def test_cuda_visible_devices_hiding_gpus_is_the_named_cause():
    _, facts = load_machine("ubuntu2404-8xh100-570-mig")
    check = judge_devices(devices_check(visible=""), dict(CUDA_BUILD, cuda="12.8"), facts)
    assert check.status == "fail"
    assert check.details["causes"] == ["CUDA_VISIBLE_DEVICES='' hides them"]


def test_torch_seeing_every_visible_gpu_passes():
    _, facts = load_machine("ubuntu2404-8xh100-570-mig")  # 8 GPUs, CUDA_VISIBLE_DEVICES shows 2
    h100 = {"name": "NVIDIA H100 80GB HBM3", "capability": "9.0"}
    check = judge_devices(devices_check(2, [dict(h100, index=0), dict(h100, index=1)], "2,3,17,4"),
                          dict(CUDA_BUILD, cuda="12.8"), facts)
    assert check.status == "pass"
    assert check.details["probes"]["nvidia_visible"] == 2


def test_a_visible_gpu_without_kernels_fails_even_without_probes():
    device = {"index": 0, "name": "NVIDIA GeForce RTX 5090", "capability": "12.0"}
    check = judge_devices(devices_check(1, [device]), CUDA_BUILD, None)
    assert check.status == "fail"
    assert "no kernel image" in check.message


def test_a_machine_without_nvidia_gpus_is_not_judged():
    _, facts = load_machine("debian12-no-gpu")
    assert judge_devices(devices_check(), CPU_BUILD, facts).status == "pass"


def test_minor_version_compatibility_is_not_blamed_on_the_driver():
    # R535 supports CUDA 12.2; a cu124 build runs its compiled kernels there through minor-version
    # compatibility (NVIDIA CUDA Compatibility guide), so if torch sees no GPU the driver is not the cause
    _, facts = load_machine("ubuntu2204-rtx3090-535")
    check = judge_devices(devices_check(), CUDA_BUILD, facts, RECIPES)
    assert not any("supports CUDA" in cause for cause in check.details["causes"])
    check = judge_devices(devices_check(), dict(CUDA_BUILD, cuda="13.0", torch="2.13.0+cu130",
                                                arch_list=["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]),
                          facts, RECIPES)
    assert any("supports CUDA 12.2 at most" in cause and "580.65.06" in cause for cause in check.details["causes"])


# ---------------------------------------------------------------------------- GPU peaks


def test_builtin_peaks_load_and_cite_a_source():
    peaks = load_gpu_peaks()
    assert len(peaks) >= 9
    for peak in peaks:
        assert peak.source.startswith("https://")
        assert peak.tflops.get("float32", 0) > 0
        assert all(value > 0 for value in peak.tflops.values())


@pytest.mark.parametrize("device_name, row", [
    ("NVIDIA H100 80GB HBM3", "H100 SXM"),  # as nvidia-smi prints it (tests/machines/ubuntu2404-8xh100-570-mig)
    ("NVIDIA H100 PCIe", "H100 PCIe"),
    ("NVIDIA H200", "H200 SXM"),
    ("NVIDIA A100-SXM4-80GB", "A100"),
    ("NVIDIA A100 80GB PCIe", "A100"),
    ("NVIDIA L40S", "L40S"),
    ("NVIDIA L4", "L4"),
    ("Tesla T4", "T4"),
    ("NVIDIA GeForce RTX 4090", "GeForce RTX 4090"),
    ("NVIDIA GeForce RTX 3090", "GeForce RTX 3090"),
    ("NVIDIA GeForce RTX 3090 Ti", None),
    ("NVIDIA GeForce RTX 4080", None),
    ("NVIDIA H200 NVL", None),
    ("NVIDIA GH200 480GB", None),
])
def test_peaks_match_device_names(device_name, row):
    peak = find_peak(load_gpu_peaks(), device_name)
    assert (peak.name if peak else None) == row


@pytest.mark.parametrize("text, problem", [
    ("[[gpu]\nname=", "gpu_peaks.toml: not valid TOML"),
    ("title = 'x'", "gpu_peaks.toml: needs a [[gpu]] list"),
    ('[[gpu]]\nname = "X1"\nmatch = ["x1"]\nfloat32 = 10.0', "gpu_peaks.toml: gpu[0] 'X1': 'source' must be the URL"),
    ('[[gpu]]\nname = "X1"\nmatch = ["x1"]\nfloat32 = -1\nsource = "https://e.x"',
     "gpu[0] 'X1': 'float32' must be a positive"),
    ('[[gpu]]\nname = "X1"\nmatch = ["X 1"]\nfloat32 = 1\nsource = "https://e.x"', "gpu[0] 'X1': 'match' must be"),
    ('[[gpu]]\nname = "X1"\nmatch = ["x1"]\nfp32 = 1\nsource = "https://e.x"', "gpu[0] 'X1': unknown key(s) fp32"),
    ('[[gpu]]\nname = "X1"\nmatch = ["x1"]\nsource = "https://e.x"', "gpu[0] 'X1': gives no peak"),
    ('[[gpu]]\nmatch = ["x1"]\nfloat32 = 1\nsource = "https://e.x"', "gpu[0]: 'name' must be"),
    ('[[gpu]]\nname = "X1"\nmatch = ["x1"]\nfloat32 = 1\nsource = "https://e.x"\n'
     '[[gpu]]\nname = "X1"\nmatch = ["x1"]\nfloat32 = 1\nsource = "https://e.x"', "gpu[1] 'X1': duplicate name"),
])
def test_bad_peak_files_name_file_entry_and_problem(text, problem):
    with pytest.raises(GpuPeaksError) as caught:
        parse_gpu_peaks(text, "gpu_peaks.toml")
    assert any(problem in item for item in caught.value.problems), caught.value.problems


def test_an_unreadable_peaks_file_is_a_peaks_error(tmp_path):
    with pytest.raises(GpuPeaksError, match="cannot read"):
        load_gpu_peaks(tmp_path / "missing.toml")


def test_measured_tflops_get_the_peak_and_fraction():
    checks = [Check("cuda:0.perf.matmul.bfloat16", "pass", metrics={"tflops": 494.75}),
              Check("cuda:0.perf.matmul.tf32", "pass", metrics={"tflops": 200.0}),
              Check("cuda:1.perf.matmul.bfloat16", "pass", metrics={"tflops": 10.0}),
              Check("cpu.perf.matmul.float32", "pass", metrics={"tflops": 0.2})]
    devices = {"cuda": {"devices": [{"index": 0, "name": "NVIDIA H100 80GB HBM3"},
                                    {"index": 1, "name": "NVIDIA GeForce RTX 4080"}]}}
    attach_peaks(checks, devices, load_gpu_peaks())
    assert checks[0].metrics == {"tflops": 494.75, "peak_tflops": 989.5, "fraction_of_peak": 0.5}
    assert checks[0].details["peak_source"].startswith("https://")
    assert checks[1].metrics["peak_tflops"] == 494.5
    assert "peak_tflops" not in checks[2].metrics
    assert "peak_tflops" not in checks[3].metrics


# ---------------------------------------------------------------------------- expectations


def test_expectations_pass_and_fail_on_the_reported_build():
    options = VerifyOptions(expect_gpus=2, expect_cuda="12.4", expect_torch=">=2.4,<2.6")
    devices = {"cuda": {"count": 2}, "mps": {"count": 0}, "xpu": {"count": 0}}
    confirmed = {"cpu", "cuda:0", "cuda:1"}  # the devices whose known-answer products the parent checked
    assert {c.id: c.status for c in expectation_checks(options, CUDA_BUILD, devices, confirmed)} == {
        "expect.gpus": "pass", "expect.cuda": "pass", "expect.torch": "pass"}
    assert {c.id: c.status for c in expectation_checks(options, CUDA_BUILD, devices, {"cpu", "cuda:0"})} == {
        "expect.gpus": "fail", "expect.cuda": "pass", "expect.torch": "pass"}
    options = VerifyOptions(expect_gpus=1, expect_cuda="12.1", expect_torch=">=2.6")
    assert {c.id: c.status for c in expectation_checks(options, CUDA_BUILD, devices, confirmed)} == {
        "expect.gpus": "fail", "expect.cuda": "fail", "expect.torch": "fail"}


def test_expectations_fail_when_the_child_never_answered():
    options = VerifyOptions(expect_gpus=0, expect_cuda="12.4", expect_torch=">=2")
    checks = expectation_checks(options, None, None)
    assert [c.status for c in checks] == ["fail", "fail", "fail"]
    assert all("never" in c.message for c in checks)


@pytest.mark.parametrize("expect_cuda, expect_torch", [("twelve", ">=2"), ("12.4", "not a spec")])
def test_malformed_expectations_fail_with_a_reason(expect_cuda, expect_torch):
    checks = by_id(expectation_checks(VerifyOptions(expect_cuda=expect_cuda, expect_torch=expect_torch),
                                      CUDA_BUILD, {}))
    bad = checks["expect.cuda"] if expect_cuda == "twelve" else checks["expect.torch"]
    assert bad.status == "fail" and "is not a" in bad.message


def test_cuda_expectation_compares_major_minor_only():
    build = dict(CUDA_BUILD, cuda="12.4.1")
    assert expectation_checks(VerifyOptions(expect_cuda="12.4"), build, {})[0].status == "pass"
    assert expectation_checks(VerifyOptions(expect_cuda="12"), build, {})[0].status == "fail"


def test_overall_verdict_ignores_skips():
    assert verify_ok([Check("a", "pass"), Check("b", "skip")])
    assert not verify_ok([Check("a", "pass"), Check("b", "fail")])
