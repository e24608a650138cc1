"""The resolver picks the build a machine can run, says why, and says what would fit when nothing does."""

from __future__ import annotations

import json

import pytest

from envdoctor.facts import Facts, Gpu, NvidiaFacts, PythonFacts, RocmFacts, ToolInfo, TorchFacts
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, resolve

RECIPES = load_recipes()
PY = "/opt/venv/bin/python"


def machine(driver=None, gpus=(), system="Linux", arch="x86_64", python="3.11.7", glibc="2.35", macos=None,
            amd=(), abi=""):
    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.glibc, facts.os.macos_version = system, arch, glibc, macos
    facts.python = PythonFacts(executable=PY, version=python, implementation="cpython", abi_flags=abi)
    if driver or gpus:
        facts.nvidia = NvidiaFacts(status="ok", driver_version=driver, source="nvidia-smi",
                                   gpus=[Gpu("nvidia", i, name) for i, name in enumerate(gpus)])
    if amd:
        facts.rocm = RocmFacts(status="ok", version="6.2.0",
                               gpus=[Gpu("amd", i, name, arch=gfx) for i, (name, gfx) in enumerate(amd)])
    return facts


RTX4090, RTX5090, GTX1080 = "NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 5090", "NVIDIA GeForce GTX 1080"
T4, A100, H100 = "Tesla T4", "NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"

CASES = [
    # id, facts, requirements, expected torch, expected variant
    ("no-gpu-linux", machine(), [], "2.15.0", "cpu"),
    ("driver-580-h100", machine("580.65.06", [H100]), [], "2.15.0", "cu130"),
    ("driver-595-h100", machine("595.71.05", [H100]), [], "2.15.0", "cu132"),
    ("driver-570-4090", machine("570.124.06", [RTX4090]), [], "2.14.1", "cu126"),
    ("driver-550-a100", machine("550.54.15", [A100]), [], "2.14.1", "cu126"),
    ("driver-535-t4", machine("535.104.05", [T4]), [], "2.14.1", "cu126"),
    ("driver-535-t4-pinned", machine("535.104.05", [T4]), ["torch==2.5.1"], "2.5.1", "cu121"),
    ("driver-550-pinned-2.5", machine("550.54.15", [A100]), ["torch>=2.4,<2.6"], "2.5.1", "cu124"),
    ("driver-470-t4", machine("470.82.01", [T4]), [], "2.7.1", "cu118"),
    ("driver-450-old-t4", machine("450.80.02", [T4]), [], "2.7.1", "cu118"),
    ("gtx1080-580", machine("580.65.06", [GTX1080]), [], "2.14.1", "cu126"),
    ("rtx5090-570", machine("570.124.06", [RTX5090]), [], "2.11.0", "cu128"),
    ("rtx5090-580", machine("580.65.06", [RTX5090]), [], "2.15.0", "cu130"),
    ("mixed-1080-4090", machine("580.65.06", [GTX1080, RTX4090]), [], "2.14.1", "cu126"),
    # rocm7.14 (2.14) has no measured gfx list, so the newest build known to carry gfx90a wins
    ("rocm-gfx90a", machine(amd=[("AMD Instinct MI250X", "gfx90a")]), [], "2.13.0", "rocm7.2"),
    ("rocm-gfx1100-2.5", machine(amd=[("AMD Radeon RX 7900 XTX", "gfx1100")]), ["torch<2.6"], "2.5.1", "rocm6.2"),
    ("macos-arm64-15", machine(system="Darwin", arch="arm64", macos="15.1", glibc=None), [], "2.15.0", "mps"),
    ("macos-arm64-13", machine(system="Darwin", arch="arm64", macos="13.6", glibc=None), [], "2.11.0", "mps"),
    ("macos-x86_64", machine(system="Darwin", arch="x86_64", macos="13.0", glibc=None, python="3.11.4"), [], "2.2.2", "cpu"),
    ("windows-no-gpu", machine(system="Windows", arch="AMD64", glibc=None), [], "2.15.0", "cpu"),
    ("windows-560-4090", machine("560.94", [RTX4090], system="Windows", arch="AMD64", glibc=None), [], "2.14.1", "cu126"),
    ("aarch64-no-gpu", machine(arch="aarch64"), [], "2.15.0", "cpu"),
    ("aarch64-gh200", machine("580.65.06", ["NVIDIA GH200 480GB"], arch="aarch64"), [], "2.15.0", "cu130"),
    ("old-glibc", machine(glibc="2.17"), [], "2.6.0", "cpu"),
    ("python-3.9", machine(python="3.9.18"), [], "2.8.0", "cpu"),
    ("free-threaded-3.13t", machine(python="3.13.1", abi="t"), [], "2.12.0", "cpu"),
    ("python-3.15", machine(python="3.15.0"), [], "2.15.0", "cpu"),
]


@pytest.mark.parametrize("facts, requirements, torch, variant", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_profiles_get_the_expected_build(facts, requirements, torch, variant):
    plan = resolve(facts, Request(requirements=requirements), RECIPES)
    assert plan.ok, plan.alternatives
    assert (plan.torch, plan.variant) == (torch, variant)
    assert plan.action == "install"
    json.dumps(plan.to_dict())


def test_cpu_plan_uses_the_cpu_index_not_the_cuda_default():
    plan = resolve(machine(), Request(), RECIPES)
    assert plan.index_url == "https://download.pytorch.org/whl/cpu"
    assert plan.commands["pip"] == [PY, "-m", "pip", "install", "torch==2.15.0", "torchvision==0.29.2",
                                    "--index-url", "https://download.pytorch.org/whl/cpu"]
    assert plan.commands["uv"][:5] == ["uv", "pip", "install", "--python", PY]


def test_pypi_default_has_no_index_url():
    plan = resolve(machine("595.71.05", [H100]), Request(), RECIPES)
    assert plan.variant == "cu132" and plan.index_url is None
    assert "--index-url" not in plan.commands["pip"]


def test_minor_version_compatibility_is_a_warning():
    plan = resolve(machine("535.104.05", [T4]), Request(), RECIPES)
    assert any("minor-version" in w for w in plan.warnings)
    plan = resolve(machine("580.65.06", [H100]), Request(), RECIPES)
    assert not any("minor-version" in w for w in plan.warnings)


def test_old_driver_and_cuda13_only_request_says_which_driver():
    plan = resolve(machine("535.104.05", [H100]), Request(requirements=["torch>=2.15"]), RECIPES)
    assert not plan.ok
    messages = [a["message"] for a in plan.alternatives]
    assert any("upgrade the NVIDIA driver to >= 580.65.06" in m for m in messages)


def test_driver_below_every_floor_offers_the_smallest_upgrade_too():
    plan = resolve(machine("450.51.06", [T4]), Request(), RECIPES)
    assert not plan.ok
    needs = {a.get("needs") for a in plan.alternatives if a["change"] == "driver"}
    assert {"580.65.06", "450.80.02"} <= needs


def test_pascal_with_a_too_new_specifier_names_the_last_release_that_works():
    plan = resolve(machine("580.65.06", [GTX1080]), Request(requirements=["torch>=2.15"]), RECIPES)
    assert not plan.ok
    assert any("torch <= 2.14.1 supports your GPU (sm_61) with cu126" in a["message"] for a in plan.alternatives)
    assert any(r["torch"] == "2.15.0" and "sm_61" in r["reason"] for r in plan.rejected)


def test_python_too_old_for_the_specifier():
    plan = resolve(machine(python="3.9.18"), Request(requirements=["torch>=2.15"]), RECIPES)
    assert not plan.ok
    by_change = {a["change"]: a for a in plan.alternatives}
    assert "3.11" in by_change["python"]["needs"] and by_change["python"]["torch"] == "2.15.0"
    assert by_change["torch"]["torch"] == "2.8.0"


def test_python_too_new_for_the_specifier():
    plan = resolve(machine(python="3.15.0"), Request(requirements=["torch==2.13.*"]), RECIPES)
    assert not plan.ok
    by_change = {a["change"]: a for a in plan.alternatives}
    assert by_change["python"]["torch"] == "2.13.0" and "3.14" in by_change["python"]["needs"]


def test_jetson_is_not_served():
    plan = resolve(machine("540.4.0", ["Orin (nvgpu)"], arch="aarch64"), Request(), RECIPES)
    assert not plan.ok
    assert any("Jetson" in a["message"] for a in plan.alternatives)


def test_macos_x86_64_with_new_torch_points_at_2_2_2():
    facts = machine(system="Darwin", arch="x86_64", macos="13.0", glibc=None)
    plan = resolve(facts, Request(requirements=["torch>=2.3"]), RECIPES)
    assert not plan.ok
    assert any(a.get("torch") == "2.2.2" for a in plan.alternatives)


def test_explicit_variant_on_a_gpu_less_host_is_honoured():
    plan = resolve(machine(), Request(variant="cu126"), RECIPES)
    assert plan.ok and plan.variant == "cu126" and plan.torch == "2.14.1"
    assert plan.index_url == "https://download.pytorch.org/whl/cu126"
    assert any("driver" in w for w in plan.warnings)


def test_unknown_variant_is_not_ok():
    plan = resolve(machine(), Request(variant="cu999"), RECIPES)
    assert not plan.ok and "known variants" in plan.alternatives[0]["message"]


def test_torchaudio_request_limits_to_releases_that_have_it():
    # torchaudio 2.11.1 (py3-none, torch>=2.11) pairs with 2.15.0; nothing pairs with 2.12-2.14
    plan = resolve(machine(), Request(requirements=["torch", "torchvision", "torchaudio"]), RECIPES)
    assert plan.torch == "2.15.0"
    assert "torchaudio==2.11.1" in plan.packages
    plan = resolve(machine(), Request(requirements=["torch<2.15", "torchaudio"]), RECIPES)
    assert plan.torch == "2.11.0" and "torchaudio==2.11.0" in plan.packages


def test_rdna4_is_not_given_a_rocm_build_without_its_kernels():
    # rocm6.2 wheels (torch 2.5) carry gfx900..gfx1100 only (uv's measured get_arch_list table, audit #1)
    plan = resolve(machine(amd=[("AMD Radeon RX 9070 XT", "gfx1201")]), Request(requirements=["torch<2.6"]), RECIPES)
    assert not plan.ok
    assert any("gfx1201" in r["reason"] for r in plan.rejected if r["variant"] == "rocm6.2")
    assert all(not a.get("variant", "").startswith("cu") for a in plan.alternatives)


def test_old_eras_use_their_own_index_form():
    plan = resolve(machine("470.82.01", [T4], python="3.8.10"), Request(requirements=["torch==1.9.1"]), RECIPES)
    assert plan.variant == "cu111"
    assert plan.commands["pip"][-2:] == ["-f", "https://download.pytorch.org/whl/torch_stable.html"]
    assert "torch==1.9.1+cu111" in plan.packages
    plan = resolve(machine("470.82.01", [T4], python="3.8.10"), Request(requirements=["torch==1.12.1"]), RECIPES)
    assert plan.variant == "cu113"  # fully supported by CUDA 11.4 beats cu116 through compatibility
    assert plan.commands["pip"][-2:] == ["--extra-index-url", "https://download.pytorch.org/whl/cu113"]
    assert "torch==1.12.1+cu113" in plan.packages


def test_conda_commands_by_era_and_default_manager():
    facts = machine("550.54.15", [A100])
    facts.python.conda_prefix = "/opt/conda/envs/ml"
    plan = resolve(facts, Request(requirements=["torch==2.5.1"]), RECIPES)
    assert plan.manager == "conda"
    assert plan.commands["conda"][-4:] == ["-c", "pytorch", "-c", "nvidia"]
    assert "pytorch-cuda=12.4" in plan.commands["conda"]
    facts.python.tools.append(ToolInfo("mamba", "/opt/conda/bin/mamba"))
    plan = resolve(facts, Request(), RECIPES)
    assert plan.manager == "mamba"
    assert "cuda-version=12.6" in plan.commands["mamba"] and "-c" in plan.commands["mamba"]
    rocm = resolve(machine(amd=[("AMD Instinct MI250X", "gfx90a")]), Request(), RECIPES)
    assert rocm.commands["conda"] is None and "ROCM" in rocm.command_notes["conda"]


def test_installed_matching_build_is_nothing_to_do():
    facts = machine("550.54.15", [A100])
    facts.torch = TorchFacts(status="ok", version="2.5.1+cu124", local="cu124", cuda="12.4")
    plan = resolve(facts, Request(requirements=["torch==2.5.1"]), RECIPES)
    assert plan.action == "nothing_to_do"


def test_cpu_build_on_gpu_box_is_reinstalled_with_a_local_pin():
    facts = machine("550.54.15", [A100])
    facts.torch = TorchFacts(status="ok", version="2.4.1+cpu", local="cpu")
    plan = resolve(facts, Request(requirements=["torch==2.4.1", "torchvision"]), RECIPES)
    assert plan.action == "reinstall"
    assert plan.packages[:2] == ["torch==2.4.1+cu124", "torchvision==0.19.1+cu124"]
    assert "--force-reinstall" not in plan.commands["pip"]
    assert any("cpu build" in r["decision"] for r in plan.reasons)


def test_same_version_reinstall_from_pypi_forces_it():
    facts = machine("595.71.05", [H100])
    facts.torch = TorchFacts(status="ok", version="2.15.0+cpu", local="cpu")
    plan = resolve(facts, Request(), RECIPES)
    assert plan.action == "reinstall" and plan.index_url is None
    assert "--force-reinstall" in plan.commands["pip"]
    assert plan.commands["uv"].count("--reinstall-package") == 2


def test_mirror_rewrite_reaches_the_plan():
    from pathlib import Path

    recipes = load_recipes([Path(__file__).parent / "fixtures" / "recipes" / "mirror"])
    plan = resolve(machine(), Request(), recipes)
    assert plan.index_url == "https://mirror.example.internal/pytorch-whl/cpu"
    assert plan.commands["pip"][-1] == plan.index_url


def test_bad_requirement_is_a_value_error():
    with pytest.raises(ValueError):
        Request(requirements=["torch>>2"])
    with pytest.raises(ValueError):
        Request(manager="brew")
