"""Describe a target machine by editing facts: ``install --driver 535.104.05 --gpu sm_86 --dry-run``.

Pure: returns a copy of the facts with the described parts replaced, each recorded in
``facts.overrides`` so a report says which facts were given rather than probed.
"""

from __future__ import annotations

import copy
import re
from typing import Iterable

from packaging.version import InvalidVersion, Version

from envdoctor.facts import Facts, Gpu, NvidiaFacts, RocmFacts, TorchFacts, XpuFacts
from envdoctor.recipes import GFX_RE, Recipes, sm_name

SOURCE = "described"
OS_NAMES = {"linux": "Linux", "windows": "Windows", "macos": "Darwin"}
ARCHES = ("x86_64", "aarch64", "arm64")
PYTHON_RE = re.compile(r"^3\.(\d+)(t?)$")
SM_RE = re.compile(r"^sm_(\d+)(\d)$")


def _gpu(text: str, index: int, recipes: Recipes) -> Gpu:
    """A GPU from ``sm_86``, ``gfx90a`` or a name in the recipes' GPU table."""
    value = text.strip()
    lowered = value.lower()
    match = SM_RE.match(lowered)
    if match:
        cc = f"{int(match.group(1))}.{match.group(2)}"
        return Gpu("nvidia", index, value, compute_capability=cc, arch=lowered, source=SOURCE)
    if GFX_RE.match(lowered):
        return Gpu("amd", index, value, arch=lowered, source=SOURCE)
    cc = recipes.gpu_compute_capability(value)
    if cc is not None:
        return Gpu("nvidia", index, value, compute_capability=cc, arch=sm_name(cc), source=SOURCE)
    gfx = recipes.amd_gfx(value)
    if gfx is not None:
        return Gpu("amd", index, value, arch=gfx, source=SOURCE)
    raise ValueError(f"--gpu {value!r}: not a GPU name in recipes/gpus.toml; give its architecture instead, "
                     "e.g. --gpu sm_86 (NVIDIA) or --gpu gfx90a (AMD)")


def describe_target(
    facts: Facts,
    *,
    driver: str | None = None,
    gpus: Iterable[str] = (),
    no_gpu: bool = False,
    target_os: str | None = None,
    target_arch: str | None = None,
    target_python: str | None = None,
    recipes: Recipes,
) -> Facts:
    """A copy of ``facts`` with the given parts of the target replaced; raises ValueError on bad input."""
    gpus = list(gpus)
    if gpus and no_gpu:
        raise ValueError("--gpu and --no-gpu contradict each other")
    out = copy.deepcopy(facts)
    if target_os is not None:
        if target_os not in OS_NAMES:
            raise ValueError(f"--target-os {target_os!r}: use one of {', '.join(OS_NAMES)}")
        out.os.system = OS_NAMES[target_os]
        out.os.glibc = None if target_os != "linux" else out.os.glibc
        out.os.distro_id = None if target_os != "linux" else out.os.distro_id
        out.os.source = SOURCE
        out.overrides.append(f"--target-os {target_os}")
    if target_arch is not None:
        if target_arch not in ARCHES:
            raise ValueError(f"--target-arch {target_arch!r}: use one of {', '.join(ARCHES)}")
        out.os.arch = target_arch
        out.overrides.append(f"--target-arch {target_arch}")
    if target_python is not None:
        match = PYTHON_RE.match(target_python.strip())
        if not match:
            raise ValueError(f"--target-python {target_python!r}: use X.Y such as 3.11 (3.13t for free-threaded)")
        out.python.version = f"3.{match.group(1)}"
        out.python.abi_flags = "t" if match.group(2) else ""
        out.python.implementation = "cpython"
        out.python.status = "ok"
        out.python.source = SOURCE
        out.overrides.append(f"--target-python {target_python}")
    if target_os is not None or target_arch is not None or target_python is not None:
        out.torch = TorchFacts(status="absent", source=SOURCE)  # this interpreter's torch is not the target's
    if no_gpu:
        out.nvidia = NvidiaFacts(status="no_gpu", source=SOURCE)
        out.rocm = RocmFacts(status="absent", source=SOURCE)
        out.xpu = XpuFacts(present=False, source=SOURCE)
        out.apple.mps_possible = False
        out.overrides.append("--no-gpu")
    if gpus:
        described = [_gpu(text, index, recipes) for index, text in enumerate(gpus)]
        nvidia = [g for g in described if g.vendor == "nvidia"]
        amd = [g for g in described if g.vendor == "amd"]
        for position, gpu in enumerate(nvidia):
            gpu.index = position
        for position, gpu in enumerate(amd):
            gpu.index = position
        out.nvidia = NvidiaFacts(status="ok" if nvidia else "no_gpu", driver_version=out.nvidia.driver_version,
                                 driver_max_cuda=out.nvidia.driver_max_cuda, gpus=nvidia, source=SOURCE)
        out.rocm = RocmFacts(status="ok" if amd else "absent", version=out.rocm.version, gpus=amd, source=SOURCE)
        out.overrides.extend(f"--gpu {text}" for text in gpus)
    if driver is not None:
        try:
            Version(driver)
        except InvalidVersion:
            raise ValueError(f"--driver {driver!r}: not a driver version such as 535.104.05") from None
        system = out.os.system.lower()
        os_name = {"darwin": "macos"}.get(system, system)
        out.nvidia.driver_version = driver
        out.nvidia.driver_max_cuda = recipes.driver_max_cuda(driver, os_name)
        out.nvidia.status = "ok"
        out.nvidia.source = SOURCE
        out.overrides.append(f"--driver {driver}")
    return out
