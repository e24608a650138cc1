"""Each rule fires on the facts it is about, and stays quiet otherwise."""

from __future__ import annotations

import pytest

from envdoctor.facts import (
    Attempt,
    CudaToolkit,
    Facts,
    Gpu,
    NvidiaFacts,
    PythonFacts,
    RocmFacts,
    TorchFacts,
)
from envdoctor.recipes import load_recipes
from envdoctor.rules import evaluate


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def gpu_box(driver="550.54.15", max_cuda="12.4", gpus=(("NVIDIA GeForce RTX 4090", "8.9"),)) -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch = "Linux", "x86_64"
    facts.python = PythonFacts(status="ok", executable="/usr/bin/python3", version="3.11.7")
    facts.nvidia = NvidiaFacts(
        status="ok", driver_version=driver, driver_max_cuda=max_cuda, source="nvidia-smi",
        gpus=[Gpu("nvidia", i, name, compute_capability=cc) for i, (name, cc) in enumerate(gpus)],
    )
    return facts


def with_torch(facts: Facts, version: str, cuda: str | None = None, hip: str | None = None) -> Facts:
    local = version.partition("+")[2] or None
    facts.torch = TorchFacts(status="ok", version=version, local=local, cuda=cuda, hip=hip,
                             installer="pip", copies=["/site"], location="/site", source="torch/version.py")
    return facts


def ids(findings):
    return {f.id: f for f in findings}


def test_cpu_build_on_a_gpu_box_is_an_error_with_a_fix(recipes):
    found = ids(evaluate(with_torch(gpu_box(), "2.13.0+cpu"), recipes))
    finding = found["torch.cpu-build-on-gpu"]
    assert finding.severity == "error"
    assert "RTX 4090" in finding.message
    assert any("install" in argv for argv in finding.commands)


def test_cuda_build_on_a_gpu_box_is_not_flagged_as_cpu(recipes):
    found = ids(evaluate(with_torch(gpu_box(), "2.4.1+cu124", cuda="12.4"), recipes))
    assert "torch.cpu-build-on-gpu" not in found
    assert "torch.cuda-newer-than-driver" not in found


def test_cpu_build_without_a_gpu_is_fine(recipes):
    facts = with_torch(gpu_box(gpus=()), "2.13.0+cpu")
    facts.nvidia.status = "no_driver"
    assert not [f for f in evaluate(facts, recipes) if f.severity == "error"]


def test_cuda_major_newer_than_driver_is_an_error(recipes):
    found = ids(evaluate(with_torch(gpu_box("535.104.05", "12.2"), "2.13.0+cu130", cuda="13.0"), recipes))
    finding = found["torch.cuda-newer-than-driver"]
    assert finding.severity == "error"
    assert "13.0" in finding.message and "12.2" in finding.message


def test_cuda_minor_newer_than_driver_is_a_warning(recipes):
    found = ids(evaluate(with_torch(gpu_box("535.104.05", "12.2"), "2.5.1+cu124", cuda="12.4"), recipes))
    assert found["torch.cuda-minor-newer-than-driver"].severity == "warning"
    assert "torch.cuda-newer-than-driver" not in found


def test_driver_max_cuda_comes_from_recipes_when_only_proc_gave_the_driver(recipes):
    facts = with_torch(gpu_box("525.147.05", None), "2.5.1+cu124", cuda="12.4")
    found = ids(evaluate(facts, recipes))
    assert "torch.cuda-minor-newer-than-driver" in found
    facts = with_torch(gpu_box("470.82.01", None), "2.5.1+cu124", cuda="12.4")
    assert "torch.cuda-newer-than-driver" in ids(evaluate(facts, recipes))


def test_missing_kernels_for_a_new_gpu(recipes):
    facts = with_torch(gpu_box("570.124.06", "12.8", gpus=(("NVIDIA GeForce RTX 5090", "12.0"),)), "2.5.1+cu124", cuda="12.4")
    found = ids(evaluate(facts, recipes))
    assert found["torch.no-kernels-for-gpu"].severity == "error"
    assert "12.0" in found["torch.no-kernels-for-gpu"].message


def test_missing_kernels_for_an_old_gpu(recipes):
    facts = with_torch(gpu_box("580.65.06", "13.0", gpus=(("NVIDIA GeForce GTX 1080", "6.1"),)), "2.13.0+cu130", cuda="13.0")
    assert "torch.no-kernels-for-gpu" in ids(evaluate(facts, recipes))
    facts = with_torch(gpu_box("580.65.06", "13.0", gpus=(("NVIDIA GeForce RTX 3090", "8.6"),)), "2.13.0+cu130", cuda="13.0")
    assert "torch.no-kernels-for-gpu" not in ids(evaluate(facts, recipes))


def test_driver_mismatch_and_hang_are_errors(recipes):
    facts = gpu_box(gpus=())
    facts.nvidia.status, facts.nvidia.message = "driver_mismatch", "NVML library version: 535.183"
    assert ids(evaluate(facts, recipes))["nvidia.driver-mismatch"].severity == "error"
    facts.nvidia.status = "timed_out"
    assert ids(evaluate(facts, recipes))["nvidia.smi-timed-out"].severity == "error"


def test_cuda_visible_devices_hiding_every_gpu_is_a_warning(recipes):
    facts = gpu_box(gpus=(("NVIDIA H100 80GB HBM3", "9.0"), ("NVIDIA H100 80GB HBM3", "9.0")))
    for gpu in facts.nvidia.gpus:
        gpu.visible = False
    facts.nvidia.hidden_gpus, facts.nvidia.cuda_visible_devices = [0, 1], ""
    finding = ids(evaluate(facts, recipes))["nvidia.gpus-hidden"]
    assert finding.severity == "warning" and "2 of 2" in finding.message
    facts.nvidia.gpus[0].visible = True
    facts.nvidia.hidden_gpus = [1]
    assert ids(evaluate(facts, recipes))["nvidia.gpus-hidden"].severity == "info"


def test_multiple_copies_and_toolkit_mismatches(recipes):
    facts = with_torch(gpu_box("535.104.05", "12.2"), "2.1.2+cu121", cuda="12.1")
    facts.torch.copies = ["/usr/lib/python3/dist-packages", "/home/u/.local/lib/python3.10/site-packages"]
    facts.cuda.toolkits = [CudaToolkit("13.0.88", "/usr/local/cuda-13.0", active=True)]
    found = ids(evaluate(facts, recipes))
    assert found["torch.multiple-copies"].severity == "warning"
    assert found["cuda.toolkit-newer-than-driver"].severity == "warning"
    assert found["cuda.toolkit-torch-major-differs"].severity == "warning"


def test_rocm_build_on_nvidia_and_not_installed(recipes):
    found = ids(evaluate(with_torch(gpu_box(), "2.5.1+rocm6.2", hip="6.2.41133"), recipes))
    assert "torch.rocm-build-on-nvidia" in found
    facts = gpu_box()
    facts.rocm = RocmFacts(status="absent")
    assert ids(evaluate(facts, recipes))["torch.not-installed"].severity == "info"


def test_unrunnable_interpreter_is_an_error(recipes):
    facts = Facts()
    facts.python = PythonFacts(status="not_found", executable="/nope/python")
    found = ids(evaluate(facts, recipes))
    assert found["python.not-runnable"].severity == "error"
    assert "torch.not-installed" not in found


def test_rules_run_without_recipes():
    findings = evaluate(with_torch(gpu_box(), "2.13.0+cpu"))
    assert "torch.cpu-build-on-gpu" in ids(findings)


def test_driver_states_without_gpus(recipes):
    facts = gpu_box(gpus=())
    facts.nvidia.status = "error"
    facts.nvidia.message = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
    assert "couldn't communicate" in ids(evaluate(facts, recipes))["nvidia.query-failed"].message
    facts.nvidia.status = "no_gpu"
    assert ids(evaluate(facts, recipes))["nvidia.no-gpu-visible"].severity == "warning"
    facts.nvidia.status = "gpus_unknown"
    found = ids(evaluate(facts, recipes))
    assert found["nvidia.gpus-unknown"].severity == "warning"
    assert "nvidia.no-gpu-visible" not in found


def test_wsl1_externally_managed_and_pip_over_conda(recipes):
    facts = with_torch(gpu_box(gpus=()), "2.5.1", cuda="12.4")
    facts.os.wsl = "wsl1"
    facts.python.externally_managed = True
    facts.python.externally_managed_path = "/usr/lib/python3.12/EXTERNALLY-MANAGED"
    facts.python.conda_prefix = "/opt/conda"
    facts.torch.conda = True
    found = ids(evaluate(facts, recipes))
    assert found["system.wsl1"].severity == "warning"
    assert found["python.externally-managed"].severity == "info"
    assert found["torch.pip-over-conda"].severity == "warning"
    facts.torch.installer = "conda"
    assert "torch.pip-over-conda" not in ids(evaluate(facts, recipes))


def test_unreadable_torch_install_is_an_error(recipes):
    facts = gpu_box()
    facts.torch = TorchFacts(status="error")
    assert ids(evaluate(facts, recipes))["torch.install-broken"].severity == "error"


def test_a_crashed_probe_is_an_error_not_a_silent_ok(recipes):
    facts = gpu_box()
    facts.cuda.attempts.append(Attempt("probe:cuda", "error", "RuntimeError: boom"))
    finding = ids(evaluate(facts, recipes))["probe.crashed"]
    assert finding.severity == "error" and "cuda" in finding.message and "boom" in finding.message


def test_every_timeout_is_a_finding(recipes):
    facts = gpu_box()
    facts.cuda.attempts.append(Attempt("/usr/bin/nvcc --version", "timed_out", "timed out after 2.0 s"))
    facts.rocm.attempts.append(Attempt("/opt/rocm/bin/rocminfo", "timed_out", "timed out after 2.0 s"))
    found = [f for f in evaluate(facts, recipes) if f.id == "probe.timed-out"]
    assert {f.subject for f in found} == {"cuda", "rocm"}
    facts = gpu_box()
    facts.nvidia.status = "timed_out"
    facts.nvidia.attempts.append(Attempt("nvidia-smi", "timed_out"))
    found = ids(evaluate(facts, recipes))
    assert "nvidia.smi-timed-out" in found and "probe.timed-out" not in found


def test_uncertain_device_order_is_a_warning(recipes):
    facts = gpu_box(gpus=(("NVIDIA GeForce GTX 1080", "6.1"), ("NVIDIA GeForce RTX 4090", "8.9")))
    facts.nvidia.cuda_visible_devices, facts.nvidia.visibility_uncertain = "0", True
    finding = ids(evaluate(facts, recipes))["nvidia.visible-devices-order"]
    assert finding.severity == "warning" and "PCI_BUS_ID" in finding.fix


def test_rosetta_and_wheel_less_interpreters(recipes):
    facts = Facts()
    facts.os.system, facts.os.arch = "Darwin", "arm64"
    facts.apple.apple_silicon = True
    facts.python = PythonFacts(status="ok", executable="/usr/local/bin/python3", version="3.11.9",
                               platform_tag="macosx-10.9-universal2", machine="x86_64", pointer_bits=64)
    assert ids(evaluate(facts, recipes))["python.rosetta"].severity == "warning"
    facts.python.machine = "arm64"
    assert "python.rosetta" not in ids(evaluate(facts, recipes))
    windows = Facts()
    windows.os.system, windows.os.arch = "Windows", "x86_64"
    windows.python = PythonFacts(status="ok", executable="C:\\Python311-32\\python.exe", version="3.11.9",
                                 platform_tag="win32", machine="AMD64", pointer_bits=32)
    finding = ids(evaluate(windows, recipes))["python.no-torch-wheels"]
    assert finding.severity == "error" and "32-bit" in finding.message


def test_fix_commands_repeat_the_description_of_the_machine(recipes):
    facts = with_torch(gpu_box(), "2.13.0+cpu")
    facts.overrides = ["--gpu NVIDIA GeForce RTX 4090", "--driver 550.54.15"]
    finding = ids(evaluate(facts, recipes))["torch.cpu-build-on-gpu"]
    assert finding.commands == [["envdoctor", "install", "--dry-run", "--gpu", "NVIDIA GeForce RTX 4090",
                                 "--driver", "550.54.15"]]


def test_minor_version_compatibility_runs_compiled_kernels_and_ptx_stops_where_its_cuda_stops(recipes):
    # 2.8 cu129 on Linux: 7.0 ... 12.0 SASS + 12.0 PTX. A GPU newer than anything CUDA 12.9 targets
    # (12.1 is its newest) gets no kernels from that PTX; an H100 runs its SASS through minor-version
    # compatibility on a 12.8 driver (the PTX-needs-the-full-driver case is in tests/test_compat.py).
    facts = with_torch(gpu_box("570.124.06", "12.8", gpus=(("future GPU", "13.0"),)), "2.8.0+cu129", cuda="12.9")
    assert ids(evaluate(facts, recipes))["torch.no-kernels-for-gpu"].severity == "error"
    facts = with_torch(gpu_box("570.124.06", "12.8", gpus=(("NVIDIA H100 80GB HBM3", "9.0"),)), "2.8.0+cu129", cuda="12.9")
    assert ids(evaluate(facts, recipes))["torch.cuda-minor-newer-than-driver"].severity == "warning"


def test_a_pypi_build_without_local_tag_is_its_releases_default(recipes):
    # torch 2.5.1 from PyPI on Linux x86_64 is the cu124 build (its version.py says cuda 12.4)
    facts = with_torch(gpu_box("580.65.06", "13.0", gpus=(("NVIDIA GeForce RTX 5090", "12.0"),)), "2.5.1", cuda="12.4")
    assert "torch.no-kernels-for-gpu" in ids(evaluate(facts, recipes))
