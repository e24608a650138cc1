"""Describe the machine to plan for: ``install --dry-run --target-os linux --target-arch x86_64 --gpu sm_86``.

Pure. A description never borrows facts from this host:

- ``--target-os``, ``--target-arch``, ``--target-python`` describe another machine: the plan starts from
  nothing known and gets only what the flags say (OS and architecture are both required; Python,
  glibc, macOS version, driver, GPUs stay unknown unless given).
- ``--gpu``, ``--driver``, ``--no-gpu`` describe the accelerators of the machine the install will run
  on, as when a Docker image is built on a GPU-less host: the interpreter is still this one (and may be
  installed into), but every accelerator fact comes from the flags alone (``--gpu`` without
  ``--driver`` leaves the driver unknown, not this host's).
- ``--facts``/``--machine`` bring a whole other machine, which the flags above then edit.

Each described part is recorded in ``facts.overrides`` as the flag that gave it, so reports say which
facts were given rather than probed and fix commands can repeat them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from envdoctor import compat
from envdoctor.facts import (
    AppleFacts,
    CpuFacts,
    CudaFacts,
    CudnnFacts,
    Facts,
    Gpu,
    NvidiaFacts,
    OsFacts,
    PythonFacts,
    RocmFacts,
    TorchFacts,
    XpuFacts,
)
from envdoctor.i18n import _
from envdoctor.recipes import Recipes

SOURCE = "described"
ARCHES = ("x86_64", "aarch64", "arm64")
_PYTHON = re.compile(r"^3\.([0-9]{1,2})(t?)$", re.ASCII)
#: The Intel GPUs torch's XPU build runs on: Arc A- and B-series (and Core Ultra's Arc graphics), Data Center
#: GPU Max (PyTorch's "Getting Started on Intel GPU" page, hardware prerequisites).
_XPU_NAME = re.compile(r"\barc\b|data center gpu max", re.IGNORECASE)


def _gpu(text: str, index: int, recipes: Recipes) -> Gpu:
    """A GPU from ``sm_86``, ``gfx90a`` or a name in the recipes' GPU table."""
    value = text.strip()
    lowered = value.lower()
    if lowered.startswith(("sm_", "compute_")) or re.fullmatch(r"[0-9]+\.[0-9]+", lowered):
        arch = compat.parse_cc(lowered)
        if arch is None:
            raise ValueError(_("--gpu {value}: not a compute capability (sm_50 ... sm_121, or a GPU name)", value=repr(value)))
        return Gpu("nvidia", index, value, compute_capability=arch.cc, arch=arch.sm, source=SOURCE)
    if lowered.startswith("gfx"):
        if not compat.is_gfx(lowered):
            raise ValueError(_("--gpu {value}: not an AMD gfx target such as gfx90a or gfx1100", value=repr(value)))
        return Gpu("amd", index, value, arch=lowered, source=SOURCE)
    cc = compat.cc_text(recipes.gpu_compute_capability(value))
    if cc is not None:
        return Gpu("nvidia", index, value, compute_capability=cc, arch=compat.sm_name(cc), source=SOURCE)
    gfx = recipes.amd_gfx(value)
    if gfx is not None:
        return Gpu("amd", index, value, arch=gfx, source=SOURCE)
    if _XPU_NAME.search(value):
        return Gpu("intel", index, value, source=SOURCE)
    if lowered.startswith("intel"):
        raise ValueError(_("--gpu {value}: torch's XPU build runs on Intel Arc (A- and B-series, Core Ultra's Arc "
                           "graphics) and Data Center GPU Max, not on this Intel GPU; leave --gpu out for the CPU build",
                           value=repr(value)))
    raise ValueError(_("--gpu {value}: not a GPU name in recipes/gpus.toml; give its architecture instead, "
                       "e.g. --gpu sm_86 (NVIDIA) or --gpu gfx90a (AMD)", value=repr(value)))


def unknown_facts() -> Facts:
    """A machine about which nothing is known yet: every probe-able section says so."""
    return Facts(
        os=OsFacts(source=SOURCE),
        cpu=CpuFacts(source=SOURCE),
        python=PythonFacts(status="unknown", source=SOURCE),
        nvidia=NvidiaFacts(status="unknown", source=SOURCE),
        cuda=CudaFacts(),
        cudnn=CudnnFacts(),
        rocm=RocmFacts(status="unknown", source=SOURCE),
        xpu=XpuFacts(source=SOURCE),
        apple=AppleFacts(reason=_("unknown: not described"), source=SOURCE),
        torch=TorchFacts(status="unknown", source=SOURCE),
    )


def _python(text: str) -> tuple[str, str]:
    match = _PYTHON.match(text.strip())
    if not match:
        raise ValueError(_("--target-python {value}: use X.Y such as 3.11 (3.13t for free-threaded)", value=repr(text)))
    return f"3.{int(match.group(1))}", match.group(2)


def describe_target(
    facts: Facts,
    *,
    recipes: Recipes,
    base_is_host: bool = True,
    driver: str | None = None,
    gpus: Iterable[str] = (),
    no_gpu: bool = False,
    target_os: str | None = None,
    target_arch: str | None = None,
    target_python: str | None = None,
) -> Facts:
    """The facts to plan for. ``facts`` is this host's (``base_is_host``) or another machine's (--facts,
    --machine); the result is a new value. Raises ValueError for what cannot describe a machine."""
    gpu_texts = list(gpus)
    if gpu_texts and no_gpu:
        raise ValueError(_("--gpu and --no-gpu contradict each other"))
    if target_os is not None and target_os not in compat.SYSTEM_NAMES:
        raise ValueError(_("--target-os {value}: use one of {choices}", value=repr(target_os),
                             choices=", ".join(compat.SYSTEM_NAMES)))
    if target_arch is not None and target_arch not in ARCHES:
        raise ValueError(_("--target-arch {value}: use one of {choices}", value=repr(target_arch), choices=", ".join(ARCHES)))
    parsed_driver = None
    if driver is not None:
        parsed_driver = compat.parse_driver(driver)
        if parsed_driver is None:
            raise ValueError(_("--driver {value}: not an NVIDIA driver version such as 535.104.05 or 591.86", value=repr(driver)))
    python = _python(target_python) if target_python is not None else None
    described = [_gpu(text, index, recipes) for index, text in enumerate(gpu_texts)]
    jetsons = [g for g in described if compat.jetson_kind(g.name, g.compute_capability, recipes)]
    if jetsons:
        name = jetsons[0].name
        if target_arch not in (None, "aarch64", "arm64"):
            raise ValueError(_("--gpu {value} is an NVIDIA Jetson module, an aarch64 Linux machine: "
                               "--target-arch {arch} contradicts it", value=repr(name), arch=target_arch))
        if target_os not in (None, "linux"):
            raise ValueError(_("--gpu {value} is an NVIDIA Jetson module, an aarch64 Linux machine: "
                               "--target-os {os} contradicts it", value=repr(name), os=target_os))
        on_a_jetson = base_is_host and compat.target_platform(facts) == "linux-aarch64"
        if target_os is not None or target_arch is not None or (base_is_host and not on_a_jetson):
            target_os, target_arch = target_os or "linux", target_arch or "aarch64"
    if described and target_os == "macos" and any(g.vendor in ("nvidia", "amd") for g in described):
        raise ValueError(_("--target-os macos: Macs have no NVIDIA or AMD GPU that torch can use; drop --gpu"))

    machine_level = target_os is not None or target_arch is not None or python is not None
    if machine_level and base_is_host:
        if target_os is None or target_arch is None:
            raise ValueError(_("a described machine needs both --target-os and --target-arch "
                               "(nothing is taken from this host)"))
        out = unknown_facts()
    else:
        out = copy.deepcopy(facts)
    if target_os is not None:
        out.os.system = compat.SYSTEM_NAMES[target_os]
        out.os.source = SOURCE
        if target_os != "linux":
            out.os.glibc = out.os.distro_id = out.os.wsl = None
        if target_os != "macos":
            out.os.macos_version = None
        out.overrides.append(f"--target-os {target_os}")
    if target_arch is not None:
        os_name = compat.os_key(out.os.system) or "linux"
        out.os.arch = compat.arch_name(target_arch, os_name) or target_arch
        out.python.platform_tag = out.python.machine = None
        out.overrides.append(f"--target-arch {target_arch}")
    if python is not None:
        out.python.version, flags = python
        out.python.abi_flags = flags
        out.python.free_threaded = flags == "t"
        out.python.implementation = "cpython"
        out.python.source = SOURCE
        if out.python.status == "ok":
            out.python.status = "unknown"  # another interpreter than the one probed
            out.python.executable = None
        out.overrides.append(f"--target-python {target_python}")
    if machine_level and not base_is_host:
        out.torch = TorchFacts(status="unknown", source=SOURCE)
    if no_gpu or described or parsed_driver is not None:
        _describe_accelerators(out, described, parsed_driver, no_gpu, recipes)
        out.overrides.extend(f"--gpu {text}" for text in gpu_texts)
        if parsed_driver is not None:
            out.overrides.append(f"--driver {driver}")
        if no_gpu:
            out.overrides.append("--no-gpu")
    return out


def _describe_accelerators(out: Facts, described: list[Gpu], driver: compat.DriverVersion | None, no_gpu: bool,
                           recipes: Recipes) -> None:
    """Replace every accelerator fact with what the flags say; what they do not say is unknown."""
    nvidia = [g for g in described if g.vendor == "nvidia"]
    amd = [g for g in described if g.vendor == "amd"]
    intel = [g for g in described if g.vendor == "intel"]
    for position, gpu in enumerate(intel):
        gpu.index = position
    for position, gpu in enumerate(nvidia):
        gpu.index = position
    for position, gpu in enumerate(amd):
        gpu.index = position
    driver_cuda = None
    if driver is not None:
        table_os = compat.driver_table_os(out.os.system, out.os.wsl)
        found = compat.driver_max_cuda(driver, table_os, recipes.toolkits, recipes.families)
        driver_cuda = f"{found.major}.{found.minor}" if found else None
    if nvidia:
        status = "ok"
    elif driver is not None and not (described or no_gpu):
        status = "gpus_unknown"  # a driver, and nothing said about the GPUs it drives
    else:
        status = "no_gpu" if (described or no_gpu) else "unknown"
    out.nvidia = NvidiaFacts(status=status, driver_version=str(driver) if driver else None,
                             driver_max_cuda=driver_cuda, gpus=nvidia, source=SOURCE)
    if status == "gpus_unknown":
        out.nvidia.message = _("the GPUs were not described (--gpu)")
    out.rocm = RocmFacts(status="ok" if amd else "absent", gpus=amd, source=SOURCE)
    out.xpu = XpuFacts(present=bool(intel), devices=intel, source=SOURCE)
    platform = compat.target_platform(out)
    possible, reason = compat.mps_possible(platform, out.os.macos_version)
    out.apple = AppleFacts(apple_silicon=platform == "macos-arm64", macos_version=out.os.macos_version,
                           mps_possible=possible and not no_gpu, reason="--no-gpu" if no_gpu else reason,
                           source=SOURCE)
