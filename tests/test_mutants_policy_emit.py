"""Policy gates and emitted files compared whole with hand-written values.

Compute capabilities: NVIDIA's CUDA GPUs table (A100 8.0, T4 7.5, RTX 4090 8.9). The uv settings are
uv's documented ``[[tool.uv.index]]`` (``name``, ``url``, ``explicit``, ``default``, ``format = "flat"``)
and ``[tool.uv.sources]`` (``index``, ``marker``) keys; markers are PEP 508's.
"""

from __future__ import annotations

import pytest

from envdoctor import __version__, policy
from envdoctor.emit import render, uv_pyproject
from envdoctor.facts import Facts, Finding, Gpu, NvidiaFacts
from envdoctor.recipes import load_recipes

RECIPES = load_recipes(refreshed=False)


def nvidia(*gpus: Gpu, status: str = "ok") -> Facts:
    return Facts(nvidia=NvidiaFacts(status=status, gpus=list(gpus), source="nvidia-smi"))


def gate(facts: Facts, text: str = "gpu-arch>=sm_80") -> policy.RequirementResult:
    (result,) = policy.evaluate([policy.parse_requirement(text)], policy.observe(facts, recipes=RECIPES))
    return result


def test_a_gpu_of_unknown_capability_leaves_the_arch_gate_unknown():
    facts = nvidia(Gpu("nvidia", 0, "NVIDIA A100-SXM4-80GB", compute_capability="8.0"),
                   Gpu("nvidia", 1, "Mystery Accelerator 9000"))
    assert policy.observe(facts, recipes=RECIPES)["gpu-arch"] == policy.Observed(
        (), "unknown", "", "a GPU's compute capability is not known")
    result = gate(facts)
    assert (result.status, result.actual, result.reason) == ("unknown", None, "a GPU's compute capability is not known")
    assert result.message == "gpu-arch>=sm_80: gpu-arch is not known: a GPU's compute capability is not known"
    assert policy.findings([result]) == [Finding(
        "policy.requirement-unknown", "error", "policy", result.message, subject="policy",
        fix="change the machine or the requirement", evidence=[])]


def test_every_gpu_must_meet_the_arch_gate():
    facts = nvidia(Gpu("nvidia", 0, "NVIDIA A100-SXM4-80GB", compute_capability="8.0"),
                   Gpu("nvidia", 1, "Tesla T4", compute_capability="7.5"))
    result = gate(facts)
    assert (result.status, result.actual) == ("unmet", "sm_80, sm_75")
    assert result.message == "gpu-arch>=sm_80 is not met: gpu-arch is sm_80, sm_75"
    assert result.evidence == ["gpu-arch from nvidia-smi"]
    one = nvidia(Gpu("nvidia", 0, "NVIDIA GeForce RTX 4090", compute_capability="8.9"))
    assert (gate(one).status, gate(one).actual, gate(one, "gpu-arch>sm_89").status) == ("met", "sm_89", "unmet")


def test_the_arch_comes_from_the_name_table_when_not_probed():
    result = gate(nvidia(Gpu("nvidia", 0, "NVIDIA A100-SXM4-80GB")))
    assert (result.status, result.actual) == ("met", "sm_80")


@pytest.mark.parametrize(("status", "observed"), [
    ("error", policy.Observed((), "unknown", "", "the NVIDIA GPUs could not be listed")),
    ("unknown", policy.Observed((), "unknown", "", "the NVIDIA GPUs could not be listed")),
    ("not_found", policy.Observed((), "none (no NVIDIA GPU)", "probes")),
])
def test_no_listed_gpu(status, observed):
    assert policy.observe(nvidia(status=status), recipes=RECIPES)["gpu-arch"] == observed


WARNING = Finding("torch.old", "warning", "torch", "old", evidence=["e"])
INFO = Finding("recipes.data", "info", "torch", "data")
ERROR = Finding("gpu.bad", "error", "gpu", "bad")


def test_warnings_as_errors_star_escalates_warnings_only():
    assert policy.escalate_warnings([WARNING, INFO, ERROR], ["*"], "policy.toml") == [
        Finding("torch.old", "error", "torch", "old", evidence=["e", "a warning counted as an error by policy.toml"]),
        INFO, ERROR]


@pytest.mark.parametrize(("patterns", "escalated"), [(["torch.*"], True), (["torch.o?d"], True), (["TORCH.*"], False),
                                                      (["gpu.*"], False), ([], False)])
def test_warnings_as_errors_patterns_are_case_sensitive_globs(patterns, escalated):
    (found,) = policy.escalate_warnings([WARNING], patterns, "p")
    assert found.severity == ("error" if escalated else "warning")


PLAN = {"ok": True, "torch": "2.5.1", "variant": "cu12.1", "platform": "linux-x86_64", "python": "3.12",
        "packages": ["torch==2.5.1+cu121", "torchvision==0.20.1+cu121", "numpy>=1.26"],
        "indexes": {"torch": {"url": "https://download.pytorch.org/whl/cu121"},
                    "others": {"url": "https://mirror.example/simple"}},
        "requires": {"nvidia_driver": ">=525.60.13"}, "warnings": ["a   spaced  warning"]}


def test_uv_pyproject_whole():
    assert uv_pyproject(PLAN) == "\n".join([
        f"# envdoctor {__version__}: torch 2.5.1 (cu12.1) for linux-x86_64, Python 3.12",
        "# needs nvidia driver >=525.60.13",
        "# warning: a spaced warning",
        "# merge into pyproject.toml; the torch family comes from the explicit index, all else from the default",
        "[project]",
        'dependencies = ["torch==2.5.1", "torchvision==0.20.1", "numpy>=1.26"]',
        "",
        "[[tool.uv.index]]",
        'url = "https://mirror.example/simple"',
        "default = true",
        "",
        "[[tool.uv.index]]",
        'name = "pytorch-cu12-1"',
        'url = "https://download.pytorch.org/whl/cu121"',
        "explicit = true",
        "",
        "[tool.uv.sources]",
        "torch = [{ index = \"pytorch-cu12-1\", marker = \"sys_platform == 'linux' and (platform_machine == 'x86_64' "
        "or platform_machine == 'AMD64')\" }]",
        "torchvision = [{ index = \"pytorch-cu12-1\", marker = \"sys_platform == 'linux' and "
        "(platform_machine == 'x86_64' or platform_machine == 'AMD64')\" }]",
        "",
    ])


def test_uv_pyproject_flat_index_unknown_platform():
    plan = {"ok": True, "torch": "2.5.1", "variant": "cpu", "packages": ["torch==2.5.1"],
            "indexes": {"torch": {"url": "https://wheels.example/cpu/", "layout": "find-links"}}}
    assert render(plan, "uv") == "\n".join([
        f"# envdoctor {__version__}: torch 2.5.1 (cpu) for an unknown platform, Python not known",
        "# merge into pyproject.toml; the torch family comes from the explicit index, all else from the default",
        "[project]",
        'dependencies = ["torch==2.5.1"]',
        "",
        "[[tool.uv.index]]",
        'name = "pytorch-cpu"',
        'url = "https://wheels.example/cpu/"',
        "explicit = true",
        'format = "flat"',
        "",
        "[tool.uv.sources]",
        'torch = [{ index = "pytorch-cpu" }]',
        "",
    ])


def test_requirements_whole():
    assert render(PLAN, "requirements") == "\n".join([
        f"# envdoctor {__version__}: torch 2.5.1 (cu12.1) for linux-x86_64, Python 3.12",
        "# needs nvidia driver >=525.60.13",
        "# warning: a spaced warning",
        "--index-url https://mirror.example/simple",
        "# pip prefers the PyTorch index's builds: a +variant version sorts above the same public one",
        "--extra-index-url https://download.pytorch.org/whl/cu121",
        "torch==2.5.1",
        "torchvision==0.20.1",
        "numpy>=1.26",
        "",
    ])
