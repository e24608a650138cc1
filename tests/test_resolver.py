"""The resolver picks the build a machine can run, says why, and says what would fit when nothing does."""

from __future__ import annotations

import json

import pytest

from envdoctor.facts import Distribution, Facts, Gpu, NvidiaFacts, PythonFacts, RocmFacts, ToolInfo, TorchFacts
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, resolve

RECIPES = load_recipes()
#: The newest release in the data: what a plan without limits picks (read here, so a data update moves it).
NEWEST = RECIPES.releases[0].version
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
    ("no-gpu-linux", machine(), [], f"{NEWEST}", "cpu"),
    ("driver-580-h100", machine("580.65.06", [H100]), [], f"{NEWEST}", "cu130"),
    ("driver-595-h100", machine("595.71.05", [H100]), [], f"{NEWEST}", "cu132"),
    ("driver-570-4090", machine("570.124.06", [RTX4090]), [], "2.14.1", "cu126"),
    ("driver-550-a100", machine("550.54.15", [A100]), [], "2.14.1", "cu126"),
    ("driver-535-t4", machine("535.104.05", [T4]), [], "2.14.1", "cu126"),
    ("driver-535-t4-pinned", machine("535.104.05", [T4]), ["torch==2.5.1"], "2.5.1", "cu121"),
    ("driver-550-pinned-2.5", machine("550.54.15", [A100]), ["torch>=2.4,<2.6"], "2.5.1", "cu124"),
    ("driver-470-t4", machine("470.82.01", [T4]), [], "2.7.1", "cu118"),
    ("driver-450-old-t4", machine("450.80.02", [T4]), [], "2.7.1", "cu118"),
    ("gtx1080-580", machine("580.65.06", [GTX1080]), [], "2.14.1", "cu126"),
    # cu129 for 2.9-2.13 (Linux; generate_binary_build_matrix.py, runpod/containers#162; whl/cu129 ends at
    # 2.13.0+cu129, and vllm-project/vllm#46378: PyTorch dropped cu129 in 2.12's line): R570 runs CUDA 12.9's
    # compiled kernels through minor-version compatibility
    ("rtx5090-570", machine("570.124.06", [RTX5090]), [], "2.13.0", "cu129"),
    ("rtx5090-580", machine("580.65.06", [RTX5090]), [], f"{NEWEST}", "cu130"),
    ("mixed-1080-4090", machine("580.65.06", [GTX1080, RTX4090]), [], "2.14.1", "cu126"),
    # 2.14 builds rocm7.2 as well as rocm7.14 (pytorch/test-infra#8497); rocm7.14 has no measured gfx list
    ("rocm-gfx90a", machine(amd=[("AMD Instinct MI250X", "gfx90a")]), [], "2.14.1", "rocm7.2"),
    ("rocm-gfx1100-2.5", machine(amd=[("AMD Radeon RX 7900 XTX", "gfx1100")]), ["torch<2.6"], "2.5.1", "rocm6.2"),
    # builder release/2.2 manywheel/build_docker.sh: PYTORCH_ROCM_ARCH ends in gfx1030;gfx1100 from ROCm 5.5 images
    ("rocm-gfx1100-2.2", machine(amd=[("AMD Radeon RX 7900 XTX", "gfx1100")]), ["torch<2.3"], "2.2.2", "rocm5.7"),
    ("macos-arm64-15", machine(system="Darwin", arch="arm64", macos="15.1", glibc=None), [], f"{NEWEST}", "mps"),
    ("macos-arm64-13", machine(system="Darwin", arch="arm64", macos="13.6", glibc=None), [], "2.11.0", "mps"),
    ("macos-x86_64", machine(system="Darwin", arch="x86_64", macos="13.0", glibc=None, python="3.11.4"), [], "2.2.2", "cpu"),
    ("windows-no-gpu", machine(system="Windows", arch="AMD64", glibc=None), [], f"{NEWEST}", "cpu"),
    ("windows-560-4090", machine("560.94", [RTX4090], system="Windows", arch="AMD64", glibc=None), [], "2.14.1", "cu126"),
    ("aarch64-no-gpu", machine(arch="aarch64"), [], f"{NEWEST}", "cpu"),
    ("aarch64-gh200", machine("580.65.06", ["NVIDIA GH200 480GB"], arch="aarch64"), [], f"{NEWEST}", "cu130"),
    ("old-glibc", machine(glibc="2.17"), [], "2.6.0", "cpu"),
    ("python-3.9", machine(python="3.9.18"), [], "2.8.0", "cpu"),
    ("free-threaded-3.13t", machine(python="3.13.1", abi="t"), [], "2.12.0", "cpu"),
    ("python-3.15", machine(python="3.15.0"), [], f"{NEWEST}", "cpu"),
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
    assert plan.commands["pip"] == [PY, "-m", "pip", "install", f"torch=={NEWEST}", "torchvision==0.29.2",
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
    assert any(r["torch"] == f"{NEWEST}" and "sm_61" in r["reason"] for r in plan.rejected)


def test_python_too_old_for_the_specifier():
    plan = resolve(machine(python="3.9.18"), Request(requirements=["torch>=2.15"]), RECIPES)
    assert not plan.ok
    by_change = {a["change"]: a for a in plan.alternatives}
    assert "3.11" in by_change["python"]["needs"] and by_change["python"]["torch"] == f"{NEWEST}"
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
    # torchaudio 2.11.1 (py3-none, torch>=2.11) pairs with 2.12-2.15; 2.11.0 with 2.11 alone
    plan = resolve(machine(), Request(requirements=["torch", "torchvision", "torchaudio"]), RECIPES)
    assert plan.torch == f"{NEWEST}"
    assert "torchaudio==2.11.1" in plan.packages
    plan = resolve(machine(), Request(requirements=["torch==2.14.1", "torchaudio"]), RECIPES)
    assert plan.ok and plan.torch == "2.14.1" and "torchaudio==2.11.1" in plan.packages
    plan = resolve(machine(), Request(requirements=["torch<2.12", "torchaudio"]), RECIPES)
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


def conda_env(facts, prefix="/opt/conda/envs/ml"):
    facts.python.conda_prefix = facts.python.prefix = prefix
    return facts


def test_conda_commands_by_era_and_default_manager():
    facts = conda_env(machine("550.54.15", [A100]))
    plan = resolve(facts, Request(requirements=["torch==2.5.1"]), RECIPES)
    assert plan.manager == "conda"
    assert plan.commands["conda"][:5] == ["conda", "install", "-y", "-p", "/opt/conda/envs/ml"]
    assert plan.commands["conda"][-4:] == ["-c", "pytorch", "-c", "nvidia"]
    assert "pytorch-cuda=12.4" in plan.commands["conda"]
    facts.python.tools.append(ToolInfo("mamba", "/opt/conda/bin/mamba"))
    plan = resolve(facts, Request(), RECIPES)
    assert plan.manager == "mamba" and plan.environment["kind"] == "conda"
    assert "cuda-version=12.6" in plan.commands["mamba"] and "-c" in plan.commands["mamba"]
    rocm = resolve(conda_env(machine(amd=[("AMD Instinct MI250X", "gfx90a")])), Request(), RECIPES)
    assert rocm.commands["conda"] is None and "ROCM" in rocm.command_notes["conda"]


def test_conda_is_refused_for_a_venv_or_system_python_with_the_reason():
    venv = machine()
    venv.python.in_venv = True
    plan = resolve(venv, Request(manager="conda"), RECIPES)
    assert plan.commands["conda"] is None and plan.steps["conda"] is None
    assert "is a venv, not a conda environment" in plan.command_notes["conda"]
    assert any("conda cannot install this plan" in w for w in plan.warnings)
    system = resolve(machine(), Request(), RECIPES)
    assert "is a system Python" in system.command_notes["conda"] and system.manager == "pip"


def test_a_pip_torch_in_a_conda_env_is_changed_with_pip_never_conda_over_it():
    facts = conda_env(machine())
    facts.torch = TorchFacts(status="ok", version="2.13.0+cpu", local="cpu", installer="pip")
    plan = resolve(facts, Request(upgrade=True), RECIPES)
    assert plan.manager == "pip" and plan.commands["pip"][:4] == [PY, "-m", "pip", "install"]
    assert any("installed with pip" in n and "never by conda" in n for n in plan.notes)
    assert plan.commands["conda"] is None and "two copies" in plan.command_notes["conda"]
    asked = resolve(facts, Request(upgrade=True, manager="mamba"), RECIPES)
    assert asked.commands["mamba"] is None and asked.manager == "mamba"
    facts.torch = TorchFacts(status="ok", version="2.13.0", installer="conda", conda=True)
    assert resolve(facts, Request(upgrade=True), RECIPES).manager == "conda"  # conda's own torch stays with conda


def test_a_uv_installed_torch_is_changed_with_uv_where_uv_is_there():
    facts = machine()
    facts.torch = TorchFacts(status="ok", version="2.13.0+cpu", local="cpu", installer="uv")
    assert resolve(facts, Request(upgrade=True), RECIPES).manager == "pip"  # no uv found for this interpreter
    facts.python.tools.append(ToolInfo("uv", "/usr/bin/uv", "0.9.0"))
    plan = resolve(facts, Request(upgrade=True), RECIPES)
    assert plan.manager == "uv" and "installed with uv" in plan.notes[-1]


def test_other_requirements_come_from_the_users_index_in_a_second_step():
    plan = resolve(machine(), Request(requirements=["torch", "transformers[torch]>=4.40", "numpy<2; python_version < '3.13'"]),
                   RECIPES)
    first, second = plan.steps["pip"]
    assert first == [PY, "-m", "pip", "install", f"torch=={NEWEST}", "--index-url", "https://download.pytorch.org/whl/cpu"]
    assert second == [PY, "-m", "pip", "install", f"torch=={NEWEST}", "transformers[torch]>=4.40",
                      "numpy<2; python_version < '3.13'"]  # no index flag: the user's pip/uv configuration decides
    assert plan.commands["pip"] == first and plan.action == "install"
    assert plan.indexes["others"] == {"url": None, "from": "your pip/uv configuration"}
    assert [c["package"] for c in plan.changes] == ["torch", "transformers", "numpy"]
    uv_first, uv_second = plan.steps["uv"]
    assert "--index-url" in uv_first and "--index-url" not in uv_second


def test_extras_and_markers_of_the_torch_family_are_kept():
    plan = resolve(machine(), Request(requirements=["torch[opt-einsum]>=2.4; python_version >= '3.10'"]), RECIPES)
    first, second = plan.steps["pip"]
    assert f"torch=={NEWEST}; python_version >= '3.10'" in first  # the PyTorch index step: no extras
    assert f"torch[opt-einsum]=={NEWEST}; python_version >= '3.10'" in second  # the extra's dependencies: user's index
    assert plan.packages == [f"torch[opt-einsum]=={NEWEST}; python_version >= '3.10'"]


def test_pypi_builds_take_everything_in_one_step_from_the_users_index():
    plan = resolve(machine("595.71.05", [H100]), Request(requirements=["torch", "six"]), RECIPES)
    assert plan.index_url is None and plan.steps["pip"] == [[PY, "-m", "pip", "install", f"torch=={NEWEST}", "six"]]


def test_pytorch_is_read_as_torch_with_a_note():
    plan = resolve(machine(), Request(requirements=["pytorch>=2.4"]), RECIPES)
    assert plan.torch == f"{NEWEST}" and plan.packages == [f"torch=={NEWEST}"]
    assert any("PyPI project 'pytorch' is a stub" in note for note in plan.notes)


def test_requirements_beside_a_fitting_torch_are_not_dropped():
    facts = machine()
    facts.torch = TorchFacts(status="ok", version=f"{NEWEST}+cpu", local="cpu")
    assert resolve(facts, Request(requirements=["torch"]), RECIPES).action == "nothing_to_do"
    plan = resolve(facts, Request(requirements=["torch", "transformers"]), RECIPES)
    assert plan.action == "install" and "transformers" in plan.steps["pip"][-1]
    plan = resolve(facts, Request(requirements=["torch", "torchvision"]), RECIPES)  # asked for, not installed
    assert plan.action == "install" and {"package": "torchvision", "current": None, "new": "0.29.2",
                                         "action": "install", "detail": ""} in plan.changes


def test_a_healthy_older_install_is_kept_unless_upgrade_is_asked():
    facts = machine()
    facts.torch = TorchFacts(status="ok", version="2.13.0+cpu", local="cpu")
    kept = resolve(facts, Request(), RECIPES)
    assert (kept.torch, kept.action) == ("2.13.0", "nothing_to_do")
    assert kept.limits[0]["kind"] == "installed" and f"torch {NEWEST} (cpu) is newer: add --upgrade" in kept.limits[0]["message"]
    upgraded = resolve(facts, Request(upgrade=True), RECIPES)
    assert upgraded.torch == f"{NEWEST}" and upgraded.changes[0]["action"] == "upgrade"
    wrong = machine("550.54.15", [A100])  # a CPU build on a GPU machine is not healthy: it is replaced
    wrong.torch = TorchFacts(status="ok", version="2.13.0+cpu", local="cpu")
    assert resolve(wrong, Request(), RECIPES).action == "reinstall"


def test_changes_say_what_is_installed_now_and_what_will_be():
    facts = machine()
    facts.torch = TorchFacts(status="ok", version=f"{NEWEST}+cu126", local="cu126", cuda="12.6",
                             companions=[Distribution("torchvision", "0.28.0+cu126")])
    plan = resolve(facts, Request(requirements=["torch", "torchvision"]), RECIPES)
    torch, vision = plan.changes
    assert torch == {"package": "torch", "current": f"{NEWEST}+cu126", "new": f"{NEWEST}+cpu", "action": "reinstall",
                     "detail": "CUDA 12.6 -> CPU"}
    assert vision["action"] == "upgrade" and vision["current"] == "0.28.0+cu126" and vision["new"] == "0.29.2+cpu"
    facts.torch = TorchFacts(status="ok", version=f"{NEWEST}+cpu", local="cpu")
    down = resolve(facts, Request(requirements=["torch==2.13.0"]), RECIPES)
    assert down.changes[0]["action"] == "downgrade"


@pytest.mark.parametrize("facts, requirements, expected", [
    (machine("470.82.01", [T4]), [],
     f"torch 2.7.1, not {NEWEST}: your driver 470.82.01 supports CUDA 11.4; upgrade the driver to >= 580.65.06 for "
     f"torch up to {NEWEST}"),
    (machine(python="3.9.18"), [],
     f"Python 3.9: torch 2.8.0 is the last release for it (torch {NEWEST} needs Python 3.11 to 3.15)"),
    # what a driver upgrade buys: cu126 (>= 525.60.13, NVIDIA Table 2 '12.x >= 525') reaches 2.14.1; 2.15 has no
    # Pascal kernels (turing_blackwell lists of cu130/cu132)
    (machine("470.82.01", [GTX1080]), [],
     "torch 2.7.1, not 2.8.0: your driver 470.82.01 supports CUDA 11.4; upgrade the driver to >= 525.60.13 for torch "
     "up to 2.14.1 (torch 2.15.0 has no kernels for sm_61)"),
    (machine("580.65.06", [GTX1080]), [], f"torch 2.14.1, not {NEWEST}: torch {NEWEST} has no kernels for your GPU (sm_61)"),
    (machine(glibc="2.17"), [], f"torch 2.6.0, not {NEWEST}: torch {NEWEST} cpu needs glibc >= 2.28, this has 2.17"),
    (machine(), ["torch<2.6"], f"torch 2.5.1, not {NEWEST}: your request 'torch<2.6' excludes it"),
], ids=["driver", "python", "driver-reach", "kernels", "glibc", "request"])
def test_the_plan_says_why_it_is_not_the_newest_torch(facts, requirements, expected):
    plan = resolve(facts, Request(requirements=requirements), RECIPES)
    assert expected in [limit["message"] for limit in plan.limits]


def test_the_newest_torch_has_no_limits():
    assert resolve(machine(), Request(), RECIPES).limits == []


def test_mirror_presets_and_urls_reach_the_plan():
    from envdoctor.mirrors import choose

    plan = resolve(machine(), Request(requirements=["torch", "six"], mirrors=choose(["sjtu", "tuna"], RECIPES)), RECIPES)
    assert plan.index_url == "https://mirror.sjtu.edu.cn/pytorch-wheels/cpu"
    assert plan.indexes["torch"]["mirror"] == "--mirror sjtu"
    assert plan.steps["pip"][1][-2:] == ["--index-url", "https://pypi.tuna.tsinghua.edu.cn/simple"]
    assert plan.indexes["others"] == {"url": "https://pypi.tuna.tsinghua.edu.cn/simple", "from": "--mirror tuna"}
    pypi_build = resolve(machine("595.71.05", [H100]), Request(mirrors=choose(["pypi=https://pypi.example/simple"],
                                                                              RECIPES)), RECIPES)
    assert pypi_build.commands["pip"][-2:] == ["--index-url", "https://pypi.example/simple"]
    url = resolve(machine(), Request(mirrors=choose(["https://torch.example/whl/"], RECIPES)), RECIPES)
    assert url.index_url == "https://torch.example/whl/cpu"


def test_windows_targets_get_powershell_and_cmd_lines():
    facts = machine("560.94", [RTX4090], system="Windows", arch="AMD64", glibc=None)
    facts.python.executable = "C:\\Users\\Dev User\\venv\\Scripts\\python.exe"
    lines = resolve(facts, Request(), RECIPES).command_lines["pip"]
    assert set(lines) == {"powershell", "cmd"}
    assert lines["powershell"][0].startswith("& 'C:\\Users\\Dev User\\venv\\Scripts\\python.exe' -m pip install ")
    assert lines["cmd"][0].startswith('"C:\\Users\\Dev User\\venv\\Scripts\\python.exe" -m pip install ')
    assert set(resolve(machine(), Request(), RECIPES).command_lines["pip"]) == {"posix"}



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
    facts.torch = TorchFacts(status="ok", version=f"{NEWEST}+cpu", local="cpu")
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


#: Commands printed on pytorch.org's "Previous PyTorch Versions" page (pytorch/pytorch.github.io,
#: _get_started/previous-versions.md; sections v2.1.0 "Linux and Windows" and "OSX", v1.12.1 "CUDA 11.6").
#: envdoctor adds only ``-y -p PREFIX``: no prompt, and the environment named rather than assumed.
PUBLISHED_CONDA = [
    ("3.11.7", "Linux", "cu121", ["torch==2.1.0", "torchvision==0.16.0", "torchaudio==2.1.0"],
     "conda install pytorch==2.1.0 torchvision==0.16.0 torchaudio==2.1.0 pytorch-cuda=12.1 -c pytorch -c nvidia"),
    ("3.11.7", "Linux", "cu118", ["torch==2.1.0", "torchvision==0.16.0", "torchaudio==2.1.0"],
     "conda install pytorch==2.1.0 torchvision==0.16.0 torchaudio==2.1.0 pytorch-cuda=11.8 -c pytorch -c nvidia"),
    ("3.11.7", "Linux", "cpu", ["torch==2.1.0", "torchvision==0.16.0", "torchaudio==2.1.0"],
     "conda install pytorch==2.1.0 torchvision==0.16.0 torchaudio==2.1.0 cpuonly -c pytorch"),
    ("3.11.7", "Darwin", None, ["torch==2.1.0", "torchvision==0.16.0", "torchaudio==2.1.0"],
     "conda install pytorch==2.1.0 torchvision==0.16.0 torchaudio==2.1.0 -c pytorch"),
    ("3.10.12", "Linux", "cu116", ["torch==1.12.1", "torchvision==0.13.1", "torchaudio==0.12.1"],
     "conda install pytorch==1.12.1 torchvision==0.13.1 torchaudio==0.12.1 cudatoolkit=11.6 -c pytorch -c conda-forge"),
]


@pytest.mark.parametrize("python, system, variant, requirements, published", PUBLISHED_CONDA)
def test_conda_commands_are_the_published_ones(python, system, variant, requirements, published):
    if system == "Darwin":
        facts = machine(system="Darwin", arch="arm64", macos="14.0", glibc=None, python=python)
    else:
        facts = machine("550.54.15", [A100], python=python)
    plan = resolve(conda_env(facts), Request(requirements=requirements, variant=variant), RECIPES)
    expected = published.split()
    assert plan.commands["conda"] == expected[:2] + ["-y", "-p", "/opt/conda/envs/ml"] + expected[2:]
    assert not plan.command_notes.get("conda")  # nothing to add to a published command


def test_conda_forge_commands_hand_checked():
    # conda-forge's package names: pytorch-gpu / pytorch-cpu pick the build, cuda-version pins the CUDA line
    # (conda-forge "Installing PyTorch" notes); macOS has one build, plain "pytorch"
    note = "conda-forge builds its own CUDA variants; cuda-version pins the CUDA line"
    wanted = ["torch==2.8.0", "torchvision==0.23.0"]
    gpu = resolve(conda_env(machine("550.54.15", [A100])), Request(requirements=wanted, variant="cu126"), RECIPES)
    assert gpu.commands["conda"] == ["conda", "install", "-y", "-p", "/opt/conda/envs/ml", "-c", "conda-forge",
                                     "pytorch-gpu==2.8.0", "torchvision==0.23.0", "cuda-version=12.6"]
    assert gpu.command_notes["conda"] == note
    cpu = resolve(conda_env(machine()), Request(requirements=wanted, variant="cpu"), RECIPES)
    assert cpu.commands["conda"][5:] == ["-c", "conda-forge", "pytorch-cpu==2.8.0", "torchvision==0.23.0"]
    assert cpu.command_notes["conda"] == note
    mac = conda_env(machine(system="Darwin", arch="arm64", macos="14.0", glibc=None))
    assert resolve(mac, Request(requirements=["torch==2.8.0"]), RECIPES).commands["conda"][5:] == [
        "-c", "conda-forge", "pytorch==2.8.0"]


def test_a_conda_reinstall_forces_it_and_rocm_or_xpu_are_refused_by_name():
    facts = conda_env(machine())
    facts.torch = TorchFacts(status="ok", version="2.8.0", installer="conda", conda=True, cuda="12.6")
    plan = resolve(facts, Request(requirements=["torch==2.8.0"], variant="cpu"), RECIPES)
    assert plan.commands["conda"][:6] == ["conda", "install", "-y", "-p", "/opt/conda/envs/ml", "--force-reinstall"]
    fresh = resolve(conda_env(machine()), Request(requirements=["torch==2.8.0"], variant="cpu"), RECIPES)
    assert "--force-reinstall" not in fresh.commands["conda"]
    xpu = resolve(conda_env(machine()), Request(requirements=["torch==2.8.0"], variant="xpu"), RECIPES)
    assert xpu.commands["conda"] is None
    assert xpu.command_notes["conda"] == "conda has no XPU build of torch; use pip or uv"
    only_torch = resolve(conda_env(machine()), Request(requirements=["torch==2.1.0"], variant="cpu"), RECIPES)
    assert only_torch.commands["conda"][5:] == ["pytorch==2.1.0", "cpuonly", "-c", "pytorch"]


def test_same_variant_matches_a_rocm_line_to_its_point_release():
    from envdoctor.recipes import VariantRecipe
    from envdoctor.resolver.choose import _same_variant
    by_name = {v.name: v for r in RECIPES.releases for v in r.variants}
    rocm = next(v for v in by_name.values() if v.kind == "rocm" and v.name.count(".") == 2)  # e.g. rocm6.2.4
    line = rocm.name.rsplit(".", 1)[0]
    assert _same_variant(line, rocm) and _same_variant(rocm.name, rocm)
    assert not _same_variant(line + "0", rocm) and not _same_variant(None, rocm) and not _same_variant("", rocm)
    assert not _same_variant("rocm", rocm)
    cu126 = by_name["cu126"]
    assert _same_variant("cu126", cu126) and not _same_variant("cu12", cu126) and not _same_variant(None, cu126)
    assert isinstance(cu126, VariantRecipe)


@pytest.mark.parametrize("text, written", [
    ("torch[opt-einsum,foo]>=2.4", "torch[foo,opt-einsum]>=2.4"),
    ('numpy<2; python_version < "3.9"', "numpy<2; python_version < '3.9'"),
    ("pkg @ https://example.invalid/pkg-1.0-py3-none-any.whl", "pkg @ https://example.invalid/pkg-1.0-py3-none-any.whl"),
    ('pkg @ https://example.invalid/p.whl ; sys_platform == "linux"',
     "pkg @ https://example.invalid/p.whl ; sys_platform == 'linux'"),
    ("""pkg; platform_machine == "x'86" """.strip(), """pkg; platform_machine == "x'86\""""),  # a quote inside stays
])
def test_requirements_are_written_back_as_pep_508(text, written):
    # PEP 508: a URL requirement's marker needs whitespace before ';' (the URL could contain one)
    from packaging.requirements import Requirement

    from envdoctor.resolver.commands import requirement_text

    assert requirement_text(Requirement(text)) == written


@pytest.mark.parametrize("status, installer, conda, expected", [
    ("ok", "pip", False, True), ("error", None, False, True), ("ok", "uv", False, True),
    ("ok", "conda", False, False), ("ok", None, True, False), ("missing", "pip", False, False),
])
def test_a_torch_pip_put_into_a_conda_env(status, installer, conda, expected):
    from envdoctor.resolver.commands import pip_torch_in_conda

    facts = conda_env(machine())
    facts.torch = TorchFacts(status=status, version="2.5.1", installer=installer, conda=conda)
    assert pip_torch_in_conda(facts) is expected
    facts.python.conda_prefix = None
    assert pip_torch_in_conda(facts) is False


def test_pypy_is_told_to_use_cpython_not_another_python_version():
    facts = machine()
    facts.python.implementation = "pypy"
    plan = resolve(facts, Request(), RECIPES)
    assert not plan.ok
    [alternative] = [a for a in plan.alternatives if a["change"] == "python"]
    assert alternative["message"] == (f"torch {alternative['torch']} has wheels for CPython {alternative['needs']} only; "
                                      "this is pypy 3.11: use a CPython interpreter")


def test_glibc_limit_names_what_the_newer_release_needs():
    plan = resolve(machine(glibc="2.17"), Request(), RECIPES)
    assert plan.torch == "2.6.0"
    assert plan.to_dict()["limits"] == [{"kind": "glibc", "newest": f"{NEWEST}", "message": (
        f"torch 2.6.0, not {NEWEST}: torch {NEWEST} cpu needs glibc >= 2.28, this has 2.17")}]


def test_an_unknown_driver_is_asked_for_in_its_os_column():
    for system, arch, column in (("Linux", "x86_64", "Linux"), ("Windows", "AMD64", "Windows")):
        facts = machine("550.54.15", [A100], system=system, arch=arch, glibc=None if system == "Windows" else "2.35")
        facts.nvidia.driver_version = None
        plan = resolve(facts, Request(), RECIPES)
        [warning] = [w for w in plan.warnings if w.startswith("the NVIDIA driver is not known")]
        assert warning == (f"the NVIDIA driver is not known: this plan needs driver >= "
                           f"{plan.requires['nvidia_driver'][3:]} ({column}); pass --driver VERSION to plan for the one "
                           "you have")


def test_conda_plans_install_the_rest_with_pip_holding_the_torch_family():
    # conda installs the torch family; pip then adds what conda was not asked for, with the family pinned
    # (a conda pytorch carries torch's dist-info, so pip sees it installed and leaves it be)
    plan = resolve(conda_env(machine("550.54.15", [A100])), Request(requirements=["torch==2.5.1", "numpy<2"]), RECIPES)
    assert plan.steps["conda"] == [
        ["conda", "install", "-y", "-p", "/opt/conda/envs/ml", "pytorch==2.5.1", "pytorch-cuda=12.4", "-c", "pytorch",
         "-c", "nvidia"],
        [PY, "-m", "pip", "install", "torch==2.5.1", "numpy<2"]]


@pytest.mark.parametrize("needs, span", [
    ("3.11, 3.12, 3.13, 3.14t", "3.11 to 3.13"), ("3.12", "3.12"), ("3.9, 3.10", "3.9 to 3.10"),
    ("", "another version"), ("3.14t", "3.14t"),
])
def test_python_spans_leave_free_threaded_builds_out(needs, span):
    from envdoctor.resolver.alternatives import _python_span
    assert _python_span(needs) == span


def test_what_a_machine_nothing_fits_would_need():
    # manylinux_2_28 wheels need glibc 2.28 (PEP 600); the rest is the shipped data, read back whole
    glibc = resolve(machine(glibc="2.5"), Request(), RECIPES)
    assert (glibc.ok, glibc.action) == (False, "none")
    assert glibc.alternatives == [{"change": "glibc", "torch": f"{NEWEST}", "variant": "cpu", "needs": "2.28",
                                   "message": f"torch {NEWEST} needs glibc >= 2.28"}]
    mac = resolve(machine(system="Darwin", arch="arm64", macos="10.15", glibc=None), Request(), RECIPES)
    [alternative] = mac.alternatives
    assert alternative["change"] == "macos" and alternative["needs"] == RECIPES.release(f"{NEWEST}").macos_floor(
        "macos-arm64", "3.11")
    old = resolve(machine("390.48", [T4]), Request(), RECIPES)
    assert old.alternatives == [
        {"change": "driver", "needs": "580.65.06", "torch": f"{NEWEST}", "variant": "cu130",
         "message": f"upgrade the NVIDIA driver to >= 580.65.06 for torch {NEWEST} with cu130"},
        {"change": "driver", "needs": "450.80.02", "torch": "2.7.1", "variant": "cu118",
         "message": "upgrade the NVIDIA driver to >= 450.80.02 for torch 2.7.1 with cu118"},
        {"change": "variant", "torch": f"{NEWEST}", "variant": "cpu",
         "message": f"--variant cpu installs torch {NEWEST} without the GPU"}]


def test_the_release_reason_quotes_the_request_only_when_there_is_one():
    pinned = resolve(machine("550.54.15", [A100]), Request(requirements=["torch<2.6"]), RECIPES)
    assert ("torch 2.5.1 is the newest release with a build for this machine within 'torch<2.6'"
            in [r["decision"] for r in pinned.to_dict()["reasons"]])
    free = resolve(machine("550.54.15", [A100]), Request(), RECIPES)
    assert not any("within" in r["decision"] for r in free.to_dict()["reasons"])
    evidence = [r["evidence"] for r in free.to_dict()["reasons"]]
    assert "nvidia: nvidia-smi + driver table (linux column)" in evidence  # nvidia-smi gave no CUDA Version


def test_an_unreadable_installed_version_is_reinstalled():
    facts = machine()
    facts.torch = TorchFacts(status="ok", version="garbage", installer="pip")
    plan = resolve(facts, Request(requirements=["torch==2.13.0"]), RECIPES)
    assert plan.to_dict()["changes"] == [{"package": "torch", "current": "garbage", "new": "2.13.0+cpu",
                                          "action": "reinstall", "detail": ""}]


def test_conda_says_pip_installs_what_conda_was_not_asked_for():
    plan = resolve(conda_env(machine("550.54.15", [A100])), Request(requirements=["torch==2.5.1", "numpy<2"]), RECIPES)
    assert plan.command_notes["conda"] == ("other requirements are PyPI names: pip installs them into the same "
                                           "environment")


def test_a_driver_too_old_for_the_gpu_is_upgraded_first():
    # Blackwell arrived with CUDA 12.8, whose Table-3 driver is 570.26: R560 drives no RTX 5090 (audit 2026-12)
    plan = resolve(machine("560.35.05", [RTX5090]), Request(), RECIPES)
    assert not plan.ok
    assert plan.reasons[2]["decision"] == (
        "upgrade the NVIDIA driver first: GPU 0 NVIDIA GeForce RTX 5090: driver 560.35.05 (R560) predates sm_120: GPUs "
        "of compute capability 12.0 arrived with CUDA 12.8 and need driver branch R570 or newer (>= 570.26); no CUDA "
        "build runs on it until then")
    cuda = [r for r in plan.rejected if r["variant"].startswith("cu")]
    assert cuda and all(r["reason"].startswith("GPU 0 NVIDIA GeForce RTX 5090: driver 560.35.05 (R560) predates")
                        for r in cuda)
    # R570 reaches 2.13.0 cu129 (the last cu129) through minor-version compatibility; R580 reaches 2.15.0
    assert [(a.get("needs"), a.get("torch"), a.get("variant")) for a in plan.alternatives if a["change"] == "driver"] \
        == [("580.65.06", "2.15.0", "cu130"), ("570.26", "2.13.0", "cu129")]


def test_unverified_data_marks_the_plan_only_where_it_concerns_it():
    # 2.15's cu130/cu132 arch lists are presumed as 2.14: a plan for them is [!], never [✓]
    plan = resolve(machine("580.95.05", [H100]), Request(requirements=["torch==2.15.0"]), RECIPES)
    assert plan.ok and plan.mark == "warning"
    [warning] = [w for w in plan.warnings if "UNVERIFIED" in w]
    assert warning == f"torch 2.15.0 {plan.variant}: exact arch list UNVERIFIED, presumed as 2.14"  # not Windows'
    # 2.15 cu132's Windows clause concerns Windows plans only
    plan = resolve(machine("595.97", [RTX5090], system="Windows", arch="AMD64", glibc=None),
                   Request(requirements=["torch==2.15.0"]), RECIPES)
    assert (plan.ok, plan.variant, plan.mark) == (True, "cu132", "warning")
    assert [w for w in plan.warnings if "UNVERIFIED" in w] == [
        "torch 2.15.0 cu132: exact arch list UNVERIFIED, presumed as 2.14; the windows-x86_64 wheel UNVERIFIED: "
        "PyPI's Windows wheel is +cpu and no Windows CUDA wheel of 2.15 was read"]
    # 2.7 cu128 on aarch64 is built for 9.0;10.0;12.0 (pytorch#146378): settled, so the plan is not marked
    plan = resolve(machine("570.124.06", [RTX5090], arch="aarch64"), Request(requirements=["torch==2.7.1"]), RECIPES)
    assert (plan.ok, plan.variant, plan.mark) == (True, "cu128", "ok")
