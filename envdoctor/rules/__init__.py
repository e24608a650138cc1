"""Diagnosis rules: pure functions from facts to findings.

Each rule is a small function returning findings with a stable id (``area.kebab-name``); ids never
change once released, so CI scripts and ``--skip`` lists can rely on them. Rules that need
compatibility data take it from the recipes; without recipes they still run on the facts alone.

The rules live by what they judge: :mod:`.system` (the machine and its Python), :mod:`.gpu` (GPUs and their
driver), :mod:`.installed_torch`, :mod:`.cuda` (toolkit, cuDNN, library path), :mod:`.limits` (what a training
job may use), :mod:`.probe_failures`; torch's extensions are judged in :mod:`envdoctor.extensions`.
:mod:`.builds` reads what an installed build is, :mod:`.install_fix` writes the fix command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from envdoctor.extensions import torch_extensions_match
from envdoctor.facts import Facts, Finding
from envdoctor.rules.builds import is_source_build, variant_tag
from envdoctor.rules.cuda import (
    cuda_library_path_shadows_wheel,
    cuda_toolkit_not_needed_by_torch,
    cuda_toolkit_vs_driver,
    cuda_toolkit_vs_torch,
    cudnn_system_not_used_by_torch,
)
from envdoctor.rules.gpu import (
    apple_mps_unavailable,
    nvidia_container_without_gpu_runtime,
    nvidia_container_without_uvm,
    nvidia_driver_older_than_gpu,
    nvidia_driver_state,
    nvidia_hidden_gpus,
    nvidia_visible_devices_order,
)
from envdoctor.rules.install_fix import ELSEWHERE_FLAGS, describing_flags
from envdoctor.rules.installed_torch import (
    torch_absent,
    torch_companions_match,
    torch_cpu_build_on_gpu,
    torch_cuda_not_available,
    torch_cuda_on_this_machine,
    torch_multiple_copies,
    torch_pip_conda_versions_differ,
    torch_pip_in_conda,
    torch_python_supported,
    torch_rocm_without_amd,
    torch_source_build_without_cuda,
)
from envdoctor.rules.limits import (
    limits_cpu_quota,
    limits_memory,
    limits_open_files,
    limits_shared_memory,
    nvidia_gpu_memory_in_use,
)
from envdoctor.rules.probe_failures import probe_crashed, probe_timed_out
from envdoctor.rules.system import python_externally_managed, python_platform, python_runs, wsl1_has_no_gpu

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes

__all__ = ["ELSEWHERE_FLAGS", "RULES", "describing_flags", "evaluate", "is_source_build", "variant_tag"]


RULES: tuple[Callable[[Facts, Recipes | None], Iterable[Finding]], ...] = (
    probe_crashed,
    probe_timed_out,
    python_runs,
    python_platform,
    python_externally_managed,
    wsl1_has_no_gpu,
    nvidia_driver_state,
    nvidia_driver_older_than_gpu,
    nvidia_hidden_gpus,
    nvidia_visible_devices_order,
    torch_absent,
    torch_cpu_build_on_gpu,
    torch_rocm_without_amd,
    torch_cuda_on_this_machine,
    torch_multiple_copies,
    torch_pip_in_conda,
    torch_pip_conda_versions_differ,
    torch_companions_match,
    torch_extensions_match,
    torch_source_build_without_cuda,
    torch_python_supported,
    torch_cuda_not_available,
    apple_mps_unavailable,
    nvidia_container_without_gpu_runtime,
    nvidia_container_without_uvm,
    nvidia_gpu_memory_in_use,
    limits_shared_memory,
    limits_cpu_quota,
    limits_memory,
    limits_open_files,
    cuda_toolkit_vs_driver,
    cuda_toolkit_vs_torch,
    cuda_toolkit_not_needed_by_torch,
    cudnn_system_not_used_by_torch,
    cuda_library_path_shadows_wheel,
)


def evaluate(facts: Facts, recipes: Recipes | None = None) -> list[Finding]:
    """Every finding the rules draw from these facts, in rule order."""
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(facts, recipes))
    return findings
