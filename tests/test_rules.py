"""Each rule fires on the facts it is about, and stays quiet otherwise."""

from __future__ import annotations

import re

import pytest
import strategies as S
from conftest import MACHINES_DIR, load_machine
from hypothesis import given

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
from envdoctor.rules import evaluate as _evaluate

RECIPES = load_recipes()
SEEN: dict[str, tuple[bool, bool]] = {}


def evaluate(facts, recipes=None):
    """The rules, with every finding any test here provokes held to the report's shape."""
    findings = _evaluate(facts, recipes)
    assert_well_placed(findings)
    for finding in findings:
        SEEN[finding.id] = (bool(finding.fix), bool(finding.evidence))
    return findings


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
    assert {f.subject for f in found} == {"cuda.toolkit", "rocm"}  # the lines of the probes that hung
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
    # the interpreter judged is named too: the described GPU is this machine's
    assert finding.commands == [["envdoctor", "install", "--dry-run", "--gpu", "NVIDIA GeForce RTX 4090",
                                 "--driver", "550.54.15", "--python", facts.python.executable]]
    facts.overrides = ["--machine /srv/rec box", "--gpu NVIDIA GeForce RTX 4090"]  # a replay: its interpreter is not here
    finding = ids(evaluate(facts, recipes))["torch.cpu-build-on-gpu"]
    assert finding.commands == [["envdoctor", "install", "--dry-run", "--machine", "/srv/rec box", "--gpu",
                                 "NVIDIA GeForce RTX 4090"]]


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


# ---------------------------------------------------------------------------- the causes people hit
# Each rule: a fact set that triggers it, and near misses that must not.


def conda_record(version: str, build: str, channel: str = "pytorch"):
    from envdoctor.facts import Distribution

    return Distribution("pytorch", version, "/opt/conda", "conda", source=f"conda-meta/pytorch-{version}-{build}.json",
                        build=build, channel=channel)


def pip_torch(version: str):
    from envdoctor.facts import Distribution

    return Distribution("torch", version, "/site", "pip", source="dist-info in /site")


def companion(name: str, version: str, build: str | None = None, installer: str = "pip"):
    from envdoctor.facts import Distribution

    return Distribution(name, version, "/site", installer, source=f"{name} {version}", build=build)


def test_too_new_gpu_too_old_gpu_and_kepler_on_cuda_12(recipes):
    sm120 = with_torch(gpu_box("570.124.04", "12.8", gpus=(("NVIDIA GeForce RTX 5090 D", None),)), "2.6.0+cu126", cuda="12.6")
    assert ids(evaluate(sm120, recipes))["torch.no-kernels-for-gpu"].severity == "error"  # capability from the name
    near = with_torch(gpu_box("570.124.04", "12.8", gpus=(("NVIDIA GeForce RTX 5090 D", None),)), "2.7.0+cu128", cuda="12.8")
    assert "torch.no-kernels-for-gpu" not in ids(evaluate(near, recipes))
    kepler = with_torch(gpu_box("470.256.02", "11.4", gpus=(("Tesla K80", None),)), "2.5.1+cu121", cuda="12.1")
    assert "torch.cuda-newer-than-driver" in ids(evaluate(kepler, recipes))  # R470 runs CUDA 11.4 at most
    kepler_new_driver = with_torch(gpu_box("535.104.05", "12.2", gpus=(("Tesla K80", None),)), "2.5.1+cu121", cuda="12.1")
    assert "torch.no-kernels-for-gpu" in ids(evaluate(kepler_new_driver, recipes))
    kepler_cu118 = with_torch(gpu_box("535.104.05", "12.2", gpus=(("Tesla K80", None),)), "2.5.1+cu118", cuda="11.8")
    assert "torch.no-kernels-for-gpu" not in ids(evaluate(kepler_cu118, recipes))  # cu118 still carries sm_37
    geforce_210 = with_torch(gpu_box("342.01", None, gpus=(("GeForce 210", "1.2"),)), "2.5.1+cu118", cuda="11.8")
    found = ids(evaluate(geforce_210, recipes))
    assert found["torch.cuda-newer-than-driver"].severity == "error"
    assert "older than every CUDA release" in found["torch.cuda-newer-than-driver"].message


def test_a_conda_cpu_build_on_a_gpu_machine_says_so(recipes):
    facts = with_torch(gpu_box(), "2.0.1")
    facts.torch.installs = [conda_record("2.0.1", "cpu_py310hab5cca8_0", "defaults")]
    finding = ids(evaluate(facts, recipes))["torch.cpu-build-on-gpu"]
    assert "conda's CPU-only build" in finding.message and "cpu_py310hab5cca8_0" in finding.message
    gpu_build = with_torch(gpu_box(), "2.0.1", cuda="11.8")
    gpu_build.torch.installs = [conda_record("2.0.1", "py3.10_cuda11.8_cudnn8.7.0_0")]
    assert "torch.cpu-build-on-gpu" not in ids(evaluate(gpu_build, recipes))


def test_a_source_build_without_cuda(recipes):
    facts = with_torch(gpu_box(), "2.1.0a0+git32f93b1")
    found = ids(evaluate(facts, recipes))
    assert found["torch.source-build-without-cuda"].severity == "error"
    assert "torch.cpu-build-on-gpu" not in found
    assert "torch.source-build-without-cuda" not in ids(evaluate(with_torch(gpu_box(gpus=()), "2.1.0a0+git32f93b1"), recipes))
    with_cuda = with_torch(gpu_box(), "2.1.0a0+git32f93b1", cuda="12.2")
    assert "torch.source-build-without-cuda" not in ids(evaluate(with_cuda, recipes))
    nightly = with_torch(gpu_box(), "2.2.0.dev20231010+cpu")  # a nightly CPU wheel: the CPU-build finding
    assert "torch.cpu-build-on-gpu" in ids(evaluate(nightly, recipes))


def test_companions_built_for_another_torch_or_variant(recipes):
    facts = with_torch(gpu_box(), "2.1.0+cu121", cuda="12.1")
    facts.torch.companions = [companion("torchvision", "0.15.2+cu118")]
    finding = ids(evaluate(facts, recipes))["torch.companion-mismatch"]
    assert "built for torch 2.0.1" in finding.message and finding.severity == "error"
    facts.torch.companions = [companion("torchvision", "0.16.0+cpu")]
    assert "the cpu build" in ids(evaluate(facts, recipes))["torch.companion-mismatch"].message
    facts.torch.companions = [companion("torchvision", "0.16.0+cu118")]  # CUDA 11 beside CUDA 12
    assert "the cu118 build" in ids(evaluate(facts, recipes))["torch.companion-mismatch"].message
    same_major = with_torch(gpu_box(), "2.4.0+cu124", cuda="12.4")
    same_major.torch.companions = [companion("torchvision", "0.19.0+cu121")]  # CUDA 12.1 beside 12.4: works
    assert "torch.companion-mismatch" not in ids(evaluate(same_major, recipes))
    facts.torch.companions = [companion("torchvision", "0.16.0")]  # PyPI's Linux build is cu121
    assert "torch.companion-mismatch" not in ids(evaluate(facts, recipes))
    facts.torch.companions = [companion("torchvision", "0.17.0.dev20231010")]  # unknown pairing: no claim
    assert "torch.companion-mismatch" not in ids(evaluate(facts, recipes))


def test_a_pypi_torchvision_beside_a_cuda_torch_on_windows(recipes):
    facts = with_torch(gpu_box("535.98", None), "2.0.1+cu117", cuda="11.7")
    facts.os.system = "Windows"
    facts.python.platform_tag = "win-amd64"
    facts.torch.companions = [companion("torchvision", "0.15.2")]
    assert "the cpu build" in ids(evaluate(facts, recipes))["torch.companion-mismatch"].message
    facts.os.system, facts.python.platform_tag = "Linux", "linux-x86_64"  # PyPI's Linux torchvision is cu117
    assert "torch.companion-mismatch" not in ids(evaluate(facts, recipes))


def test_conda_companions_by_build_string(recipes):
    facts = with_torch(gpu_box(), "1.10.2", cuda="10.2")
    facts.torch.installs = [conda_record("1.10.2", "py3.7_cuda10.2_cudnn7.6.5_0")]
    facts.torch.companions = [companion("torchvision", "0.11.3", "py37_cu102", "conda")]
    assert "torch.companion-mismatch" not in ids(evaluate(facts, recipes))
    facts.torch.companions = [companion("torchvision", "0.11.3", "py37_cpu", "conda")]
    assert "torch.companion-mismatch" in ids(evaluate(facts, recipes))


def test_pip_and_conda_copies_of_different_versions(recipes):
    facts = with_torch(gpu_box(), "2.0.1+cu118", cuda="11.8")
    facts.python.conda_prefix = "/opt/conda"
    facts.torch.conda = True
    facts.torch.installs = [pip_torch("2.0.1+cu118"), conda_record("1.13.1", "py3.10_cuda11.7_cudnn8.5.0_0")]
    found = ids(evaluate(facts, recipes))
    assert found["torch.pip-conda-versions-differ"].severity == "error"
    assert "torch.pip-over-conda" not in found  # the stronger finding says it
    facts.torch.installs = [pip_torch("2.0.1+cu118"), conda_record("2.0.1", "py3.10_cuda11.8_cudnn8.7.0_0")]
    found = ids(evaluate(facts, recipes))
    assert "torch.pip-conda-versions-differ" not in found and "torch.pip-over-conda" in found


def test_a_system_cudnn_on_ld_library_path_shadows_the_wheels(recipes):
    from envdoctor.facts import Distribution, SharedLibrary

    facts = with_torch(gpu_box(), "2.5.1+cu124", cuda="12.4")
    facts.torch.nvidia_packages = [Distribution("nvidia-cudnn-cu12", "9.1.0.70", source="dist-info"),
                                   Distribution("nvidia-cuda-runtime-cu12", "12.4.127", source="dist-info")]
    facts.cuda.ld_library_path_libs = [SharedLibrary("libcudnn", "8.9.2", "/usr/local/cuda/lib64/libcudnn.so.8.9.2",
                                                     "LD_LIBRARY_PATH")]
    finding = ids(evaluate(facts, recipes))["cuda.library-path-shadows-wheel"]
    assert finding.severity == "error" and "/usr/local/cuda/lib64" in finding.fix
    facts.cuda.ld_library_path_libs = [SharedLibrary("libcudart", "12.1.105", "/usr/local/cuda-12.1/lib64/libcudart.so.12.1.105")]
    assert ids(evaluate(facts, recipes))["cuda.library-path-shadows-wheel"].severity == "warning"
    for near in ([SharedLibrary("libcudnn", "9.1.0", "/opt/cudnn/libcudnn.so.9.1.0")],
                 [SharedLibrary("libcudart", "12.6.77", "/usr/local/cuda-12.6/lib64/libcudart.so.12.6.77")],
                 [SharedLibrary("libcudnn", None, "/usr/lib/libcudnn.so")]):
        facts.cuda.ld_library_path_libs = near
        assert "cuda.library-path-shadows-wheel" not in ids(evaluate(facts, recipes))
    facts.torch.nvidia_packages = []  # a wheel that bundles its libraries: nothing to shadow
    facts.cuda.ld_library_path_libs = [SharedLibrary("libcudnn", "8.9.2", "/usr/local/cuda/lib64/libcudnn.so.8.9.2")]
    assert "cuda.library-path-shadows-wheel" not in ids(evaluate(facts, recipes))


def test_a_container_without_the_gpu_runtime(recipes):
    facts = with_torch(gpu_box(gpus=()), "2.5.1+cu124", cuda="12.4")
    facts.nvidia.status = "no_driver"
    facts.os.container = "docker"
    facts.nvidia.device_nodes, facts.nvidia.libcuda = [], []
    assert ids(evaluate(facts, recipes))["nvidia.container-without-gpu-runtime"].severity == "error"
    facts.nvidia.device_nodes = ["/dev/nvidia0", "/dev/nvidiactl"]
    found = ids(evaluate(facts, recipes))
    assert found["nvidia.container-without-libcuda"].severity == "warning"
    assert "nvidia.container-without-gpu-runtime" not in found
    facts.nvidia.libcuda = ["/usr/lib/x86_64-linux-gnu/libcuda.so.1"]
    assert not {"nvidia.container-without-libcuda", "nvidia.container-without-gpu-runtime"} & set(ids(evaluate(facts, recipes)))
    for change in ({"container": None}, {"device_nodes": None}, {"cpu": True}):
        near = with_torch(gpu_box(gpus=()), "2.5.1+cpu" if "cpu" in change else "2.5.1+cu124",
                          cuda=None if "cpu" in change else "12.4")
        near.os.container = change.get("container", "docker")
        near.nvidia.device_nodes = change.get("device_nodes", [])
        near.nvidia.libcuda = []
        assert "nvidia.container-without-gpu-runtime" not in ids(evaluate(near, recipes)), change


def mac(macos: str, machine: str, torch: str) -> Facts:
    from envdoctor import compat

    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.macos_version = "Darwin", "arm64", macos
    facts.python = PythonFacts(status="ok", executable="/opt/homebrew/bin/python3", version="3.11.9",
                               platform_tag=f"macosx-11.0-{machine}", machine=machine, pointer_bits=64)
    possible, reason = compat.mps_possible(compat.target_platform(facts), macos)
    facts.apple.apple_silicon, facts.apple.macos_version = True, macos
    facts.apple.mps_possible, facts.apple.reason = possible, reason
    return with_torch(facts, torch)


def test_mps_unavailable_on_old_macos_or_old_torch(recipes):
    assert "older than 12.3" in ids(evaluate(mac("12.2.1", "arm64", "1.13.1"), recipes))["apple.mps-unavailable"].message
    assert "predates the MPS" in ids(evaluate(mac("13.4", "arm64", "1.11.0"), recipes))["apple.mps-unavailable"].message
    assert "apple.mps-unavailable" not in ids(evaluate(mac("12.3", "arm64", "1.13.1"), recipes))
    rosetta = ids(evaluate(mac("12.2.1", "x86_64", "1.13.1"), recipes))
    assert "python.rosetta" in rosetta and "apple.mps-unavailable" not in rosetta


def test_python_unsupported_by_the_installed_torch(recipes):
    facts = with_torch(gpu_box(), "2.1.0+cu121", cuda="12.1")
    facts.python.version = "3.12.1"
    finding = ids(evaluate(facts, recipes))["torch.python-unsupported"]
    assert "3.12" in finding.message and "3.11" in finding.message
    facts.python.version = "3.11.7"
    assert "torch.python-unsupported" not in ids(evaluate(facts, recipes))
    facts.python.version = "3.12.1"
    facts.torch.conda = True  # conda-forge builds Pythons PyPI never had
    assert "torch.python-unsupported" not in ids(evaluate(facts, recipes))


def test_torch_said_cuda_is_not_available(recipes):
    facts = with_torch(gpu_box(gpus=()), "2.4.0+cu121", cuda="12.1")
    facts.nvidia.status = "no_driver"
    facts.torch.cuda_available = False
    assert "no NVIDIA driver or GPU was found" in ids(evaluate(facts, recipes))["torch.cuda-not-available"].message
    fine_driver = with_torch(gpu_box(), "2.4.0+cu121", cuda="12.1")
    fine_driver.torch.cuda_available = False
    assert "cannot open the GPU" in ids(evaluate(fine_driver, recipes))["torch.cuda-not-available"].message
    old_driver = with_torch(gpu_box("470.82.01", "11.4"), "2.4.0+cu121", cuda="12.1")
    old_driver.torch.cuda_available = False
    found = ids(evaluate(old_driver, recipes))
    assert "torch.cuda-newer-than-driver" in found and "torch.cuda-not-available" not in found
    never_asked = with_torch(gpu_box(gpus=()), "2.4.0+cu121", cuda="12.1")  # check: torch is never imported
    assert "torch.cuda-not-available" not in ids(evaluate(never_asked, recipes))


def test_healthy_machines_get_no_error(recipes):
    facts = with_torch(gpu_box("550.54.15", "12.4"), "2.5.1+cu124", cuda="12.4")
    facts.torch.companions = [companion("torchvision", "0.20.1+cu124"), companion("torchaudio", "2.5.1+cu124")]
    facts.torch.installs = [pip_torch("2.5.1+cu124")]
    facts.torch.cuda_available = True
    facts.os.container = "docker"
    facts.nvidia.device_nodes, facts.nvidia.libcuda = ["/dev/nvidia0"], ["/usr/lib/x86_64-linux-gnu/libcuda.so.1"]
    assert [f.id for f in evaluate(facts, recipes) if f.severity == "error"] == []


# ---------------------------------------------------------------------------- the new facts, probed live


def test_device_nodes_libcuda_and_ld_library_path_are_probed(tmp_path):
    from conftest import make_machine

    from envdoctor.probes import collect

    door = make_machine(tmp_path, env={"LD_LIBRARY_PATH": "/usr/local/cuda/lib64:relative:/missing"},
                        dirs={"/dev": ["null", "nvidia0", "nvidiactl", "nvidia-uvm", "tty"],
                              "/usr/lib/x86_64-linux-gnu": ["libc.so.6", "libcuda.so", "libcuda.so.1"],
                              "/usr/local/cuda/lib64": ["libcudnn.so", "libcudnn.so.8", "libcudnn.so.8.9.2",
                                                        "libcudart.so.12", "libcudnn_ops_infer.so.8"]})
    facts = collect(door, timeout=5)
    assert facts.nvidia.device_nodes == ["/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"]
    assert facts.nvidia.libcuda == ["/usr/lib/x86_64-linux-gnu/libcuda.so", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"]
    found = {(lib.name, lib.version, lib.path) for lib in facts.cuda.ld_library_path_libs or []}
    assert found == {("libcudnn", "8.9.2", "/usr/local/cuda/lib64/libcudnn.so.8.9.2"),
                     ("libcudart", "12", "/usr/local/cuda/lib64/libcudart.so.12")}


def test_nothing_listed_means_not_known(tmp_path):
    from conftest import make_machine

    from envdoctor.probes import collect

    facts = collect(make_machine(tmp_path), timeout=5)
    assert facts.nvidia.device_nodes is None and facts.nvidia.libcuda is None
    assert facts.cuda.ld_library_path_libs == []


def test_conda_records_of_pytorch_are_read(tmp_path):
    import json

    from conftest import make_machine

    from envdoctor.probes import collect
    from envdoctor.probes.torch_install import parse_conda_record_name

    assert parse_conda_record_name("pytorch-2.0.1-py3.10_cuda11.8_cudnn8.7.0_0.json") == (
        "pytorch", "2.0.1", "py3.10_cuda11.8_cudnn8.7.0_0")
    assert parse_conda_record_name("pytorch-cuda-11.8-h7e8668a_5.json") == ("pytorch-cuda", "11.8", "h7e8668a_5")
    pyinfo = {"pyinfo": 1, "executable": "/opt/conda/bin/python", "version": "3.10.13", "implementation": "cpython",
              "prefix": "/opt/conda", "base_prefix": "/opt/conda", "platform_tag": "linux-x86_64", "machine": "x86_64",
              "pointer_bits": 64, "sys_path": ["/opt/conda/lib/python3.10/site-packages"],
              "distributions": [{"name": "torch", "version": "2.0.1+cu118",
                                 "location": "/opt/conda/lib/python3.10/site-packages", "installer": "pip"}]}
    door = make_machine(tmp_path, commands=[{"argv": ["/usr/bin/python3", "-c", "<script envdoctor:pyinfo>"], "returncode": 0,
                                             "stdout": json.dumps(pyinfo), "status": "ok"}],
                        files={"/opt/conda/lib/python3.10/site-packages/torch/version.py":
                               "__version__ = '2.0.1+cu118'\ncuda = '11.8'\n"},
                        dirs={"/opt/conda/conda-meta": ["pytorch-1.13.1-py3.10_cuda11.7_cudnn8.5.0_0.json",
                                                        "pytorch-cuda-11.7-h778d358_5.json", "python-3.10.13-h1.json"]})
    torch = collect(door, timeout=5).torch
    assert torch.conda
    assert [(d.name, d.version, d.installer, d.build) for d in torch.installs] == [
        ("torch", "2.0.1+cu118", "pip", None), ("pytorch", "1.13.1", "conda", "py3.10_cuda11.7_cudnn8.5.0_0")]


# ---------------------------------------------------------------------------- what a training job may use


def limited(container: str | None = "docker", cores: int = 32, **limits) -> Facts:
    facts = gpu_box()
    facts.os.container = container
    facts.cpu.logical_cores, facts.cpu.memory_total_bytes = cores, 128 << 30
    for name, value in limits.items():
        setattr(facts.limits, name, value)
    return facts


def test_recorded_containers_produce_the_limit_warnings(recipes):
    from conftest import load_machine

    _, facts = load_machine("docker-a10-shm64-cgroup2")
    found = ids(evaluate(facts, recipes))
    assert {k: f.severity for k, f in found.items() if k.startswith("system.")} == {
        "system.shm-small": "warning", "system.cpu-limit": "warning", "system.memory-limit": "info",
        "system.open-files-low": "info"}
    assert "--shm-size" in found["system.shm-small"].fix and "--ipc=host" in found["system.shm-small"].fix
    assert "64 MiB" in found["system.shm-small"].message
    assert "num_workers=4" in found["system.cpu-limit"].fix and "OMP_NUM_THREADS=4" in found["system.cpu-limit"].fix
    assert "ulimit -n 65536" in found["system.open-files-low"].fix
    assert "nvidia.gpu-memory-in-use" not in found and "nvidia.container-without-uvm" not in found

    _, facts = load_machine("docker-cgroup1-gpu-busy-no-uvm")
    found = ids(evaluate(facts, recipes))
    assert {"system.shm-small", "system.cpu-limit", "system.memory-limit", "nvidia.gpu-memory-in-use",
            "nvidia.container-without-uvm"} <= set(found)
    assert "system.open-files-low" not in found
    assert "1.5 CPU(s)" in found["system.cpu-limit"].message and "num_workers=1" in found["system.cpu-limit"].fix
    assert found["nvidia.gpu-memory-in-use"].severity == "warning"
    assert "GPU 0: 19.0 GiB of 24.0 GiB in use" in found["nvidia.gpu-memory-in-use"].message


def test_the_shm_fix_fits_where_it_runs():
    kubernetes = ids(evaluate(limited("kubernetes", shm_total_bytes=64 << 20, shm_free_bytes=64 << 20)))
    assert "emptyDir" in kubernetes["system.shm-small"].fix and "medium: Memory" in kubernetes["system.shm-small"].fix
    host = ids(evaluate(limited(None, shm_total_bytes=512 << 20, shm_free_bytes=512 << 20)))
    assert "remount" in host["system.shm-small"].fix
    full = ids(evaluate(limited(None, shm_total_bytes=16 << 30, shm_free_bytes=100 << 20)))
    assert "100 MiB free of 16.0 GiB" in full["system.shm-small"].message
    assert "system.shm-small" not in ids(evaluate(limited(shm_total_bytes=8 << 30, shm_free_bytes=8 << 30)))
    assert "system.shm-small" not in ids(evaluate(limited()))  # not known: nothing said


def test_a_cpu_quota_warns_only_below_the_cpus_the_machine_shows():
    assert "system.cpu-limit" not in ids(evaluate(limited(cgroup="v2", cpu_limit=None)))
    assert "system.cpu-limit" not in ids(evaluate(limited(cores=8, cgroup="v2", cpu_limit=8.0)))
    # the affinity mask is what os.sched_getaffinity and torch see already; the quota below it still counts
    assert "system.cpu-limit" not in ids(evaluate(limited(cgroup="v2", cpu_limit=4.0, cpus_allowed=4)))
    found = ids(evaluate(limited(cgroup="v2", cpu_limit=0.5, cpus_allowed=8)))["system.cpu-limit"]
    assert "of the 8 the machine shows" in found.message and "num_workers=0" in found.fix
    assert "OMP_NUM_THREADS=1" in found.fix


def test_a_memory_limit_at_or_above_the_ram_is_no_limit():
    assert "system.memory-limit" not in ids(evaluate(limited(cgroup="v1", memory_limit_bytes=128 << 30)))
    assert ids(evaluate(limited(cgroup="v1", memory_limit_bytes=8 << 30)))["system.memory-limit"].severity == "info"


@pytest.mark.parametrize("soft, hard, severity, fix", [
    (256, 256, "warning", "set_sharing_strategy('file_system')"),  # the hard limit allows no more
    (1024, 524288, "info", "ulimit -n 65536"),
    (1024, 4096, "info", "ulimit -n 4096"),
    (4096, 4096, None, None),
])
def test_open_files(soft, hard, severity, fix):
    found = ids(evaluate(limited(open_files_soft=soft, open_files_hard=hard))).get("system.open-files-low")
    assert (found.severity if found else None) == severity
    if fix:
        assert fix in found.fix


def test_gpu_memory_in_use_is_said_from_1_gib_and_warned_from_half():
    facts = gpu_box(gpus=(("NVIDIA A10", "8.6"), ("NVIDIA A10", "8.6")))
    for gpu, used in zip(facts.nvidia.gpus, (16, 2048), strict=True):
        gpu.memory_total_mib, gpu.memory_used_mib = 23028, used
    found = ids(evaluate(facts))["nvidia.gpu-memory-in-use"]
    assert found.severity == "info" and "GPU 1: 2.0 GiB of 22.5 GiB in use" in found.message
    assert "GPU 0" not in found.message
    facts.nvidia.gpus[0].memory_used_mib = 12000
    assert ids(evaluate(facts))["nvidia.gpu-memory-in-use"].severity == "warning"
    facts.nvidia.gpus[0].visible = facts.nvidia.gpus[1].visible = False  # hidden GPUs are not the job's
    assert "nvidia.gpu-memory-in-use" not in ids(evaluate(facts))


def test_a_missing_uvm_node_matters_in_a_container_only():
    facts = gpu_box()
    facts.nvidia.device_nodes = ["/dev/nvidia0", "/dev/nvidiactl"]
    assert "nvidia.container-without-uvm" not in ids(evaluate(facts))  # a host creates it on first CUDA use
    facts.os.container = "docker"
    assert ids(evaluate(facts))["nvidia.container-without-uvm"].severity == "warning"
    facts.nvidia.device_nodes = ["/dev/dxg"]  # WSL 2 has no /dev/nvidia* at all
    assert "nvidia.container-without-uvm" not in ids(evaluate(facts))
    facts.nvidia.device_nodes = ["/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"]
    assert "nvidia.container-without-uvm" not in ids(evaluate(facts))


# ---------------------------------------------------------------------------- cases mutation testing asked for


def test_fix_commands_for_this_machine_name_its_interpreter(recipes):
    facts = with_torch(gpu_box(), "2.13.0+cpu")
    finding = ids(evaluate(facts, recipes))["torch.cpu-build-on-gpu"]
    assert finding.commands == [["envdoctor", "install", "--dry-run", "--python", "/usr/bin/python3"],
                                ["envdoctor", "install", "--python", "/usr/bin/python3"]]
    facts.python.executable = None
    finding = ids(evaluate(facts, recipes))["torch.cpu-build-on-gpu"]
    assert finding.commands == [["envdoctor", "install", "--dry-run"], ["envdoctor", "install"]]


def test_an_interpreter_that_did_not_answer_says_its_last_attempt(recipes):
    facts = Facts()
    facts.python = PythonFacts(status="timed_out", executable="/opt/py/bin/python", attempts=[
        Attempt("pyinfo", "error", "first try"), Attempt("pyinfo", "timed_out", "no answer within 10 s")])
    finding = ids(evaluate(facts, recipes))["python.not-runnable"]
    assert finding.message == "the target interpreter /opt/py/bin/python did not answer: no answer within 10 s"
    facts.python = PythonFacts(status="not_found")
    assert ids(evaluate(facts, recipes))["python.not-runnable"].message == (
        "the target interpreter did not answer: not_found")
    facts.python = PythonFacts(status="unknown")
    assert "python.not-runnable" not in ids(evaluate(facts, recipes))


@pytest.mark.parametrize("variant, kind", [
    ("cu118", ("cuda", 11)), ("cu121", ("cuda", 12)), ("cu130", ("cuda", 13)), ("cu92", ("cuda", 9)),
    ("rocm6.2", ("rocm", 6)), ("rocm6.2.4", ("rocm", 6)), ("rocm7.0", ("rocm", 7)),
    ("rocm5", ("rocm5", 0)),  # no ROCm variant is named without its minor (compat.variant_rocm)
    ("cpu", ("cpu", 0)), ("mps", ("cpu", 0)), ("xpu", ("xpu", 0)), (None, None), ("", None),
])
def test_what_two_builds_must_share(variant, kind):
    # torchvision's ops load against torch's CUDA (or ROCm) runtime: the major must agree, the minor need not
    from envdoctor.rules.builds import _variant_kind
    assert _variant_kind(variant) == kind


@pytest.mark.parametrize("version, build, tag", [
    ("2.1.0+cu118", None, "cu118"), ("2.1.0", "py3.10_cuda11.8_cudnn8.7.0_0", "cu118"),  # pytorch channel
    ("1.8.1", "py3.7_cuda10.2_cudnn7.6.5_0", "cu102"), ("1.8.1", "py37_cu102", "cu102"),
    ("2.1.0", "py3.10_cpu_0", "cpu"), ("2.5.1", "cpu_mkl_py312h1234567_100", "cpu"),
    ("2.5.1", None, None), ("2.5.1", "", None), ("2.5.1+git1234", "py3.10_0", None),
])
def test_the_variant_a_distribution_names(version, build, tag):
    from envdoctor.rules import variant_tag
    assert variant_tag(version, build) == tag


@pytest.mark.parametrize("value, text", [
    ((1 << 30) - (1 << 20), "1023 MiB"), (1 << 30, "1.0 GiB"), ((1 << 31) - (1 << 20), "2.0 GiB"),
    (64 << 20, "64 MiB"), (3 << 29, "1.5 GiB"),
])
def test_sizes_in_binary_units(value, text):
    from envdoctor.rules.limits import _mib
    assert _mib(value) == text


def test_conda_s_record_is_of_the_imported_pytorch_only():
    from envdoctor.facts import Distribution
    from envdoctor.rules.builds import _conda_record
    facts = Facts()
    facts.torch = TorchFacts(status="ok", version="2.1.0")
    ours = Distribution("pytorch", "2.1.0", installer="conda", build="py3.10_cuda11.8_cudnn8.7.0_0")
    facts.torch.installs = [Distribution("torch", "2.1.0", installer="pip"),
                            Distribution("pytorch", "2.0.1", installer="conda"),
                            Distribution("pytorch-cuda", "2.1.0", installer="conda"), ours]
    assert _conda_record(facts) is ours
    facts.torch.installs = [Distribution("pytorch", "2.1.0", installer="pip"),
                            Distribution("pytorch", "not-a-version", installer="conda")]
    assert _conda_record(facts) is None
    facts.torch.version = None
    facts.torch.installs = [ours]
    assert _conda_record(facts) is None


def test_the_installed_build_is_found_from_its_version_and_platform(recipes):
    from envdoctor.rules.builds import _installed_build
    facts = with_torch(gpu_box(), "2.5.1+cu124", cuda="12.4")
    assert _installed_build(facts, recipes).name == "cu124"
    assert _installed_build(facts, None) is None
    # PyPI's plain 2.5.1 for Linux aarch64 is its CPU build, whatever version.py is silent about
    arm = with_torch(gpu_box(), "2.5.1")
    arm.os.arch = "aarch64"
    arm.python.platform_tag, arm.python.machine = "linux-aarch64", "aarch64"
    assert _installed_build(arm, recipes).name == "cpu"
    arm.torch.version = None
    assert _installed_build(arm, recipes) is None


def test_shared_memory_fixes_are_commands_that_paste(recipes):
    # docker run --shm-size and Compose shm_size (Docker reference), a Memory emptyDir (Kubernetes volumes)
    from envdoctor.rules.limits import _shm_fix
    assert _shm_fix("kubernetes") == (
        "mount a memory-backed emptyDir at /dev/shm (volumes: - name: dshm, emptyDir: {medium: Memory, "
        "sizeLimit: 16Gi}; volumeMounts: - name: dshm, mountPath: /dev/shm)")
    assert _shm_fix("docker") == ("restart the docker container with a larger /dev/shm: docker run --shm-size=16g ... "
                                  "(or --ipc=host to share the host's); in Compose, shm_size: 16gb")
    assert _shm_fix(None) == "enlarge it: sudo mount -o remount,size=16G /dev/shm (or lower num_workers / batch size)"


#: The checklist lines `check` prints (envdoctor/render/text.py makes one per fact) and the area of each; a
#: finding is shown on the line its subject names, so a subject outside this table, or in another area,
#: would print a stray line.
LINES = {"os": "system", "cpu": "system", "limits.shm": "system", "limits.cgroup": "system",
         "limits.open-files": "system", "python": "python", "python.tools": "python", "nvidia.driver": "gpu",
         "nvidia.gpus": "gpu", "rocm": "gpu", "xpu": "gpu", "apple": "gpu", "gpu.none": "gpu",
         "cuda.toolkit": "cuda", "cudnn": "cudnn", "torch": "torch", "torch.companions": "torch"}
#: README's finding ids start with the thing they are about
ID_AREAS = {"system": "system", "python": "python", "nvidia": "gpu", "rocm": "gpu", "xpu": "gpu", "apple": "gpu",
            "cuda": "cuda", "cudnn": "cudnn", "torch": "torch", "recipes": "torch"}

#: findings whose message already is the whole evidence (a state the probe reported, or an absence)
WITHOUT_EVIDENCE = {"probe.crashed", "python.not-runnable", "system.wsl1", "nvidia.no-gpu-visible", "nvidia.driver-mismatch",
                    "nvidia.gpus-unknown",
                    "nvidia.query-failed", "nvidia.smi-timed-out", "torch.not-installed", "torch.install-broken",
                    "torch.pip-over-conda", "torch.rocm-build-on-nvidia", "cuda.toolkit-newer-than-driver",
                    "cuda.toolkit-torch-major-differs"}


def assert_well_placed(findings):
    for finding in findings:
        assert finding.severity in ("error", "warning", "info"), finding
        if finding.id.startswith("probe."):  # a probe that failed is a system matter, shown on the probe's line
            assert finding.area == "system" and finding.subject in LINES, finding
        else:
            assert LINES.get(finding.subject) == finding.area, finding
            assert ID_AREAS[finding.id.split(".")[0]] == finding.area, finding
        assert re.fullmatch(r"[a-z]+\.[a-z0-9-]+", finding.id), finding
        assert finding.message and finding.message == finding.message.strip(), finding
        assert finding.fix, finding  # the checklist promises a fix for everything it flags
        assert finding.evidence or finding.id in WITHOUT_EVIDENCE, finding


@pytest.mark.parametrize("name", sorted(p.name for p in MACHINES_DIR.iterdir()))
def test_findings_of_recorded_machines_sit_on_their_lines(name, recipes):
    assert_well_placed(evaluate(load_machine(name)[1], recipes))


@given(S.machines())
def test_findings_of_generated_machines_sit_on_their_lines(machine):
    assert_well_placed(evaluate(machine.facts(), RECIPES))
    assert_well_placed(evaluate(machine.facts(), None))


@given(S.host_facts())
def test_findings_of_generated_hosts_sit_on_their_lines(facts):
    assert_well_placed(evaluate(facts, RECIPES))


def test_shadowing_copies_and_pip_over_conda_say_what_they_saw(recipes):
    facts = with_torch(gpu_box("535.104.05", "12.2"), "2.1.2+cu121", cuda="12.1")
    facts.torch.copies = ["/usr/lib/python3/dist-packages", "/home/u/.local/lib/python3.10/site-packages"]
    copies = ids(evaluate(facts, recipes))["torch.multiple-copies"]
    assert copies.message == ("2 copies of torch are on sys.path; the first, in /usr/lib/python3/dist-packages, "
                              "shadows the others")
    assert copies.evidence == facts.torch.copies
    facts.python.conda_prefix, facts.torch.conda = "/opt/conda", True
    over = ids(evaluate(facts, recipes))["torch.pip-over-conda"]
    assert over.message == ("torch was installed with pip over a conda-managed torch in this environment: "
                            "conda and pip now disagree about what is installed")



def test_a_64_bit_python_on_a_platform_without_wheels_is_not_called_32_bit(recipes):
    facts = Facts()
    facts.os.system, facts.os.arch = "Linux", "riscv64"
    facts.python = PythonFacts(status="ok", executable="/usr/bin/python3", version="3.12.3",
                               platform_tag="linux-riscv64", machine="riscv64", pointer_bits=64)
    finding = ids(evaluate(facts, recipes))["python.no-torch-wheels"]
    assert finding.message == "torch publishes no wheels for linux-riscv64: it cannot be installed into this interpreter"


def test_a_cpu_build_on_amd_gpus_and_conda_s_cpu_build_on_nvidia(recipes):
    from envdoctor.facts import Distribution
    amd = with_torch(Facts(), "2.5.1+cpu")
    amd.os.system, amd.os.arch = "Linux", "x86_64"
    amd.python = PythonFacts(status="ok", executable="/usr/bin/python3", version="3.11.7")
    amd.rocm = RocmFacts(status="ok", version="6.2.0", gpus=[Gpu("amd", 0, "AMD Instinct MI250X", arch="gfx90a")])
    finding = ids(evaluate(amd, recipes))["torch.cpu-build-on-gpu"]
    assert finding.message == "torch 2.5.1+cpu is a CPU-only build on a machine with AMD GPU(s): it will never use them"
    assert finding.fix == "reinstall the ROCm build"
    conda = with_torch(gpu_box(), "2.1.0")
    conda.torch.conda, conda.torch.installer = True, "conda"
    conda.torch.installs = [Distribution("pytorch", "2.1.0", installer="conda", build="py3.10_cpu_0", channel="pytorch",
                                         source="conda-meta/pytorch-2.1.0-py3.10_cpu_0.json")]
    finding = ids(evaluate(conda, recipes))["torch.cpu-build-on-gpu"]
    assert finding.message == ("torch 2.1.0 is conda's CPU-only build (pytorch 2.1.0 py3.10_cpu_0, channel pytorch) on a "
                               "machine with 1 NVIDIA GPU(s) (NVIDIA GeForce RTX 4090): it will never use them")
    assert finding.fix == ("reinstall the CUDA build for this driver (conda-forge's pytorch-gpu, or the CUDA wheel "
                           "with pip)")
    assert finding.evidence[-1] == "conda-meta/pytorch-2.1.0-py3.10_cpu_0.json: build py3.10_cpu_0"


def test_a_driver_older_than_the_gpu_is_an_error_naming_the_upgrade(recipes):
    # R570 is the first branch for Blackwell (CUDA 12.8, Table 3: 570.26): an RTX 5090 on R560 runs nothing
    found = ids(evaluate(gpu_box("560.35.05", "12.6", (("NVIDIA GeForce RTX 5090", "12.0"),)), recipes))
    finding = found["nvidia.driver-older-than-gpu"]
    assert finding.severity == "error" and finding.subject == "nvidia.driver"
    assert finding.message == ("NVIDIA driver 560.35.05 cannot drive GPU 0 NVIDIA GeForce RTX 5090: driver 560.35.05 "
                               "(R560) predates sm_120: GPUs of compute capability 12.0 arrived with CUDA 12.8 and "
                               "need driver branch R570 or newer (>= 570.26)")
    assert finding.fix.startswith("upgrade the NVIDIA driver to >= 570.26 (branch R570 or newer)")


def test_a_driver_that_drives_the_gpu_draws_no_floor_finding(recipes):
    for driver, cuda, gpu in (("570.124.06", "12.8", ("NVIDIA GeForce RTX 5090", "12.0")),
                              ("470.82.01", "11.4", ("NVIDIA GeForce GTX 1080", "6.1")),
                              ("520.61.05", "11.8", ("NVIDIA H100 80GB HBM3", "9.0"))):
        assert "nvidia.driver-older-than-gpu" not in ids(evaluate(gpu_box(driver, cuda, (gpu,)), recipes))
