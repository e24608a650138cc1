"""A described machine is the whole machine: flags give facts, nothing is borrowed from this host."""

from __future__ import annotations

import pytest

from envdoctor.facts import CudaToolkit, Facts, Gpu, NvidiaFacts, PythonFacts
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, resolve
from envdoctor.target import describe_target

RECIPES = load_recipes()
#: The newest release in the data: what a plan without limits picks (read here, so a data update moves it).
NEWEST = RECIPES.releases[0].version


def debian_xeon_host() -> Facts:
    """This host as a probe sees it: Debian, a Xeon, a venv, nvcc 13.0, a CPU torch, no GPU."""
    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.glibc = "Linux", "x86_64", "2.36"
    facts.os.distro_id, facts.os.distro_name = "debian", "Debian GNU/Linux 12 (bookworm)"
    facts.cpu.model = "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"
    facts.python = PythonFacts(executable="/home/dev/venv/bin/python", version="3.12.3", implementation="cpython",
                               platform_tag="linux-x86_64", machine="x86_64", pointer_bits=64, in_venv=True)
    facts.cuda.toolkits = [CudaToolkit("13.0.88", "/usr/local/cuda-13.0", active=True)]
    facts.torch.status, facts.torch.version, facts.torch.local = "ok", "2.13.0+cpu", "cpu"
    return facts


def describe(**kwargs) -> Facts:
    return describe_target(debian_xeon_host(), recipes=RECIPES, **kwargs)


def test_another_machine_borrows_nothing_from_this_host():
    facts = describe(target_os="macos", target_arch="arm64")
    assert (facts.os.system, facts.os.arch) == ("Darwin", "arm64")
    assert facts.os.distro_name is None and facts.os.glibc is None
    assert facts.cpu.model is None and facts.cuda.toolkits == []
    assert facts.python.executable is None and facts.python.version is None
    assert facts.torch.status == "unknown"
    assert "MPS" not in facts.apple.reason and not facts.apple.mps_possible
    plan = resolve(facts, Request(), RECIPES)
    assert plan.ok and plan.variant == "mps"
    assert plan.commands["pip"][:3] == ["python", "-m", "pip"]
    assert "/home/dev/venv/bin/python" not in str(plan.to_dict())
    assert plan.requires["macos"] == ">= 14.0" and "python" in plan.requires


def test_windows_target_uses_the_py_launcher():
    facts = describe(target_os="windows", target_arch="x86_64", target_python="3.12", no_gpu=True)
    plan = resolve(facts, Request(), RECIPES)
    assert plan.commands["pip"][:4] == ["py", "-3.12", "-m", "pip"]
    assert plan.commands["uv"][:5] == ["uv", "pip", "install", "--python", "3.12"]


def test_a_machine_description_needs_os_and_arch():
    with pytest.raises(ValueError, match="--target-os and --target-arch"):
        describe(target_python="3.11")
    with pytest.raises(ValueError, match="--target-os and --target-arch"):
        describe(target_os="linux")


def test_gpus_of_a_described_machine_are_unknown_until_given():
    facts = describe(target_os="linux", target_arch="x86_64")
    assert facts.nvidia.status == "unknown"
    plan = resolve(facts, Request(), RECIPES)
    assert not plan.ok
    assert {a["change"] for a in plan.alternatives} >= {"gpu", "variant"}


def test_gpu_without_driver_leaves_the_driver_unknown_and_the_plan_says_what_it_needs():
    facts = describe(gpus=["NVIDIA H100 80GB HBM3"])
    assert facts.nvidia.driver_version is None and facts.nvidia.status == "ok"
    plan = resolve(facts, Request(), RECIPES)
    assert plan.ok and plan.torch == f"{NEWEST}"
    assert plan.requires["nvidia_driver"].startswith(">= 5")
    assert any("driver is not known" in w for w in plan.warnings)


def test_driver_and_gpu_describe_an_image_build_target_on_this_interpreter():
    facts = describe(driver="535.104.05", gpus=["NVIDIA GeForce RTX 3090"])
    assert facts.nvidia.status == "ok" and facts.nvidia.driver_max_cuda == "12.2"
    assert facts.nvidia.gpus[0].compute_capability == "8.6" and facts.nvidia.gpus[0].arch == "sm_86"
    assert facts.overrides == ["--gpu NVIDIA GeForce RTX 3090", "--driver 535.104.05"]
    assert facts.python.executable == "/home/dev/venv/bin/python"  # the install runs here, into this venv
    plan = resolve(facts, Request(), RECIPES)
    assert (plan.torch, plan.variant) == ("2.14.1", "cu126")


def test_driver_alone_leaves_the_gpus_unknown():
    facts = describe(driver="580.65.06")
    assert facts.nvidia.status == "gpus_unknown" and facts.nvidia.gpus == []
    plan = resolve(facts, Request(), RECIPES)
    assert not plan.ok and any(a["change"] == "gpu" for a in plan.alternatives)


def test_input_facts_are_not_modified():
    original = debian_xeon_host()
    describe_target(original, driver="580.65.06", gpus=["sm_90"], recipes=RECIPES)
    assert original.nvidia.status == "no_driver" and original.overrides == []


def test_sm_and_gfx_architectures():
    facts = describe(gpus=["sm_120", "gfx90a"])
    assert facts.nvidia.gpus[0].compute_capability == "12.0"
    assert facts.rocm.status == "ok" and facts.rocm.gpus[0].arch == "gfx90a"


def test_amd_name_is_looked_up():
    facts = describe(gpus=["AMD Instinct MI300X"])
    assert facts.rocm.gpus[0].arch == "gfx942" and facts.nvidia.status == "no_gpu"


def test_windows_driver_number_uses_the_windows_column():
    facts = describe(driver="551.61", target_os="windows", target_arch="x86_64", gpus=["sm_89"])
    assert facts.os.system == "Windows" and facts.os.glibc is None
    assert facts.nvidia.driver_max_cuda == "12.4"


def test_no_gpu_wins_over_a_probed_gpu():
    facts = debian_xeon_host()
    facts.nvidia = NvidiaFacts(status="ok", driver_version="550.54.15", gpus=[Gpu("nvidia", 0, "Tesla T4")])
    described = describe_target(facts, no_gpu=True, recipes=RECIPES)
    assert described.nvidia.status == "no_gpu" and "--no-gpu" in described.overrides
    assert resolve(described, Request(), RECIPES).variant == "cpu"


def test_only_a_machine_description_drops_the_local_torch():
    assert describe(target_os="linux", target_arch="x86_64", target_python="3.11").torch.status == "unknown"
    assert describe(driver="580.65.06").torch.status == "ok"


def test_free_threaded_target_python():
    facts = describe(target_os="macos", target_arch="arm64", target_python="3.13t")
    assert (facts.os.system, facts.os.arch, facts.python.version, facts.python.abi_flags) == ("Darwin", "arm64", "3.13", "t")
    plan = resolve(facts, Request(), RECIPES)
    assert plan.variant == "mps" and plan.python == "3.13t"
    assert "3.13t" in RECIPES.release(plan.torch).python["macos-arm64"]


@pytest.mark.parametrize("name", ["Jetson Orin", "Jetson AGX Orin", "NVIDIA Jetson T5000"])
def test_jetson_names_resolve_and_imply_aarch64_linux(name):
    facts = describe(gpus=[name])
    assert facts.os.system == "Linux" and facts.os.arch == "aarch64"
    assert facts.nvidia.gpus[0].compute_capability in ("8.7", "11.0")


def test_jetson_with_another_architecture_is_a_usage_error():
    with pytest.raises(ValueError, match="Jetson"):
        describe(gpus=["Jetson AGX Orin"], target_os="linux", target_arch="x86_64")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"driver": "five-fifty"},
        {"driver": "1!535.104.05"},
        {"driver": "535.１04.05"},
        {"target_os": "linux", "target_arch": "x86_64", "target_python": "python3"},
        {"target_os": "linux", "target_arch": "x86_64", "target_python": "3.١١"},
        {"target_os": "beos", "target_arch": "x86_64"},
        {"target_os": "linux", "target_arch": "sparc"},
        {"gpus": ["sm_86"], "no_gpu": True},
        {"gpus": ["sm_999"]},
        {"gpus": ["gfx9z9"]},
        {"gpus": ["Voodoo 5 6000"]},
        {"gpus": ["NVIDIA GeForce RTX 4090"], "target_os": "macos", "target_arch": "arm64"},
    ],
    ids=["driver-words", "driver-epoch", "driver-fullwidth-digit", "python-word", "python-arabic-digits", "os", "arch",
         "contradiction", "sm-999", "bad-gfx", "unknown-name", "nvidia-on-mac"],
)
def test_what_cannot_describe_a_machine_is_a_value_error(kwargs):
    with pytest.raises(ValueError):
        describe(**kwargs)
