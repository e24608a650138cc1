"""Target flags replace facts, record themselves, and reject what they cannot describe."""

from __future__ import annotations

import pytest

from envdoctor.facts import Facts, Gpu, NvidiaFacts, PythonFacts
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, resolve
from envdoctor.target import describe_target

RECIPES = load_recipes()


def cpu_host() -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.glibc = "Linux", "x86_64", "2.35"
    facts.python = PythonFacts(executable="/usr/bin/python3", version="3.12.3", implementation="cpython")
    return facts


def test_driver_and_gpu_name_describe_an_nvidia_target():
    facts = describe_target(cpu_host(), driver="535.104.05", gpus=["NVIDIA GeForce RTX 3090"], recipes=RECIPES)
    assert facts.nvidia.status == "ok" and facts.nvidia.driver_max_cuda == "12.2"
    assert facts.nvidia.gpus[0].compute_capability == "8.6" and facts.nvidia.gpus[0].arch == "sm_86"
    assert facts.overrides == ["--gpu NVIDIA GeForce RTX 3090", "--driver 535.104.05"]
    plan = resolve(facts, Request(), RECIPES)
    assert (plan.torch, plan.variant) == ("2.14.1", "cu126")


def test_input_facts_are_not_modified():
    original = cpu_host()
    describe_target(original, driver="580.65.06", gpus=["sm_90"], recipes=RECIPES)
    assert original.nvidia.status == "no_driver" and original.overrides == []


def test_sm_and_gfx_architectures():
    facts = describe_target(cpu_host(), gpus=["sm_120", "gfx90a"], recipes=RECIPES)
    assert facts.nvidia.gpus[0].compute_capability == "12.0"
    assert facts.rocm.status == "ok" and facts.rocm.gpus[0].arch == "gfx90a"


def test_amd_name_is_looked_up():
    facts = describe_target(cpu_host(), gpus=["AMD Instinct MI300X"], recipes=RECIPES)
    assert facts.rocm.gpus[0].arch == "gfx942" and facts.nvidia.status == "no_gpu"


def test_unknown_gpu_name_is_a_clear_error():
    with pytest.raises(ValueError, match="sm_86"):
        describe_target(cpu_host(), gpus=["Voodoo 5 6000"], recipes=RECIPES)


def test_windows_driver_number_uses_the_windows_column():
    facts = describe_target(cpu_host(), driver="551.61", target_os="windows", gpus=["sm_89"], recipes=RECIPES)
    assert facts.os.system == "Windows" and facts.os.glibc is None
    assert facts.nvidia.driver_max_cuda == "12.4"


def test_no_gpu_wins_over_a_probed_gpu():
    facts = cpu_host()
    facts.nvidia = NvidiaFacts(status="ok", driver_version="550.54.15", gpus=[Gpu("nvidia", 0, "Tesla T4")])
    described = describe_target(facts, no_gpu=True, recipes=RECIPES)
    assert described.nvidia.status == "no_gpu" and "--no-gpu" in described.overrides
    assert resolve(described, Request(), RECIPES).variant == "cpu"


def test_another_interpreter_or_platform_drops_the_local_torch():
    facts = cpu_host()
    facts.torch.status, facts.torch.version = "ok", "2.13.0+cpu"
    assert describe_target(facts, target_python="3.11", recipes=RECIPES).torch.status == "absent"
    assert describe_target(facts, driver="580.65.06", recipes=RECIPES).torch.status == "ok"


def test_target_python_arch_and_os():
    facts = describe_target(cpu_host(), target_os="macos", target_arch="arm64", target_python="3.13t", recipes=RECIPES)
    assert (facts.os.system, facts.os.arch, facts.python.version, facts.python.abi_flags) == ("Darwin", "arm64", "3.13", "t")
    plan = resolve(facts, Request(), RECIPES)
    assert plan.variant == "mps" and "3.13t" in RECIPES.release(plan.torch).python["macos-arm64"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"driver": "five-fifty"},
        {"target_python": "python3"},
        {"target_os": "beos"},
        {"target_arch": "sparc"},
        {"gpus": ["sm_86"], "no_gpu": True},
    ],
    ids=["driver", "python", "os", "arch", "contradiction"],
)
def test_bad_values_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        describe_target(cpu_host(), recipes=RECIPES, **kwargs)


def test_driver_without_gpus_plans_for_cuda():
    facts = describe_target(cpu_host(), driver="580.65.06", recipes=RECIPES)
    plan = resolve(facts, Request(), RECIPES)
    assert plan.variant == "cu130"
