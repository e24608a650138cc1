"""What envdoctor knows: facts, findings, checks and the report, as plain dataclasses.

Every value here serialises to JSON with :func:`to_dict` and back with :func:`from_dict`, so a report
taken on one machine (``check --json``) feeds the rules and the resolver on another (``--facts``).
``None`` means "not asked"; a probe that asked and failed says so in ``status`` and ``attempts``.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import field
from typing import Any, Union

from envdoctor.datatypes import datatype


@datatype
class Attempt:
    """One source a probe asked, and how that went (shown with -v)."""

    source: str  # "nvml", "nvidia-smi --query-gpu", "/proc/driver/nvidia/version", ...
    status: str  # "ok" | "not_found" | "timed_out" | "error" | "empty" | "unparsed"
    detail: str = ""
    duration_s: float | None = None


@datatype
class OsFacts:
    """The operating system, its distribution and what envdoctor runs inside (WSL, a container)."""

    system: str = ""  # "Linux" | "Darwin" | "Windows"
    arch: str = ""  # normalised: "x86_64" | "aarch64" | "arm64"
    kernel: str | None = None
    distro_id: str | None = None  # os-release ID: ubuntu, debian, rhel, ...
    distro_version: str | None = None
    distro_name: str | None = None  # PRETTY_NAME
    distro_like: list[str] = field(default_factory=list)
    glibc: str | None = None
    wsl: str | None = None  # "wsl1" | "wsl2" | None
    container: str | None = None  # "docker" | "podman" | "kubernetes" | "lxc" | None
    macos_version: str | None = None
    windows_build: str | None = None  # "10.0.22631"
    windows_release: str | None = None  # "11" | "10"
    source: str = ""
    attempts: list[Attempt] = field(default_factory=list)


@datatype
class CpuFacts:
    """The processor and memory: what a CPU build and a DataLoader's workers have to work with."""

    model: str | None = None
    physical_cores: int | None = None
    logical_cores: int | None = None
    memory_total_bytes: int | None = None
    avx2: bool | None = None
    avx512: bool | None = None
    source: str = ""
    attempts: list[Attempt] = field(default_factory=list)


@datatype
class ToolInfo:
    """A package manager or tool found for the target interpreter."""

    name: str
    path: str | None = None
    version: str | None = None
    source: str = ""


@datatype
class PythonFacts:
    """The target interpreter as it reported itself: every plan is made for this one."""

    # "ok" | "not_found" | "error" | "timed_out" (the target interpreter did not answer)
    # | "unknown" (a described target whose interpreter was not given)
    status: str = "ok"
    executable: str | None = None
    version: str | None = None  # "3.11.7"
    implementation: str | None = None  # "cpython"
    abi_flags: str = ""  # "t" for free-threaded builds
    # What the target interpreter itself reports, so a Rosetta x86_64 Python on an arm64 Mac, a 32-bit
    # Python on 64-bit Windows or a free-threaded build is planned for as what it is:
    platform_tag: str | None = None  # sysconfig.get_platform(): "linux-x86_64", "macosx-11.0-arm64", "win32"
    machine: str | None = None  # platform.machine() inside the interpreter: "x86_64" under Rosetta 2
    pointer_bits: int | None = None  # 64, or 32 for a 32-bit interpreter
    free_threaded: bool | None = None  # sysconfig Py_GIL_DISABLED
    prefix: str | None = None
    base_prefix: str | None = None
    in_venv: bool | None = None
    conda_prefix: str | None = None  # set when the target interpreter lives in a conda env
    conda_env_name: str | None = None
    externally_managed: bool | None = None  # PEP 668 marker present
    externally_managed_path: str | None = None
    site_packages: list[str] = field(default_factory=list)
    tools: list[ToolInfo] = field(default_factory=list)
    source: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    chosen_because: str = ""  # why this interpreter is the target: "--python", "VIRTUAL_ENV is set: ..."

    def tool(self, name: str) -> ToolInfo | None:
        return next((t for t in self.tools if t.name == name), None)


@datatype
class Gpu:
    """One accelerator as a probe saw it."""

    vendor: str  # "nvidia" | "amd" | "intel" | "apple"
    index: int | None = None
    name: str | None = None
    uuid: str | None = None
    memory_total_mib: int | None = None
    # memory already in use (other processes, the driver's reservation, a display): NVML or nvidia-smi's table
    memory_used_mib: int | None = None
    compute_capability: str | None = None  # NVIDIA "8.6"
    arch: str | None = None  # AMD "gfx90a"; NVIDIA "sm_86" derived from compute_capability
    mig_mode: str | None = None  # "enabled" | "disabled" | None (not supported / unknown)
    pci_bus_id: str | None = None
    visible: bool = True  # False when CUDA_VISIBLE_DEVICES (or HIP_...) hides it
    source: str = ""

    def label(self) -> str:
        """``GPU 0 NVIDIA GeForce RTX 4090``: how every finding names one GPU (``?`` for an unknown index)."""
        return f"GPU {'?' if self.index is None else self.index} {self.name or ''}".rstrip()


@datatype
class NvidiaFacts:
    """The NVIDIA driver, its GPUs and what a process needs to reach them."""

    # "ok" | "no_driver" | "no_gpu" | "driver_mismatch" | "timed_out" | "error"
    # | "gpus_unknown" (kernel module loaded, but neither NVML nor nvidia-smi lists the GPUs)
    # | "unknown" (a described target that says nothing about NVIDIA)
    status: str = "no_driver"
    driver_version: str | None = None
    driver_max_cuda: str | None = None  # highest CUDA the driver supports, "12.4"
    gpus: list[Gpu] = field(default_factory=list)
    cuda_visible_devices: str | None = None  # raw value, None when unset
    cuda_device_order: str | None = None  # raw CUDA_DEVICE_ORDER, None when unset (CUDA: FASTEST_FIRST)
    hidden_gpus: list[int] = field(default_factory=list)
    cuda_visible_count: int | None = None  # devices a CUDA program enumerates; None: CUDA_VISIBLE_DEVICES unset
    # CUDA_VISIBLE_DEVICES names GPUs by CUDA's order, which differs from nvidia-smi's PCI order unless
    # CUDA_DEVICE_ORDER=PCI_BUS_ID; with different GPU models which ones are meant cannot be known, and
    # every GPU that might be meant stays marked visible.
    visibility_uncertain: bool = False
    # What a process needs to reach the GPUs (Linux): the /dev/nvidia* (or WSL's /dev/dxg) nodes and the
    # driver's libcuda. None: not looked at; [] looked, none there (a container started without the GPU runtime).
    device_nodes: list[str] | None = None
    libcuda: list[str] | None = None
    source: str = ""
    message: str = ""  # the tool's own words when it failed
    attempts: list[Attempt] = field(default_factory=list)

    def visible_gpus(self) -> list[Gpu]:
        return [gpu for gpu in self.gpus if gpu.visible]


@datatype
class CudaToolkit:
    """One installed CUDA Toolkit (nvcc and its libraries), which torch's wheels do not need."""

    version: str  # "12.4.131" or "12.4"
    path: str | None = None  # toolkit root, e.g. /usr/local/cuda-12.4
    nvcc_path: str | None = None
    active: bool = False  # the one nvcc on PATH / CUDA_HOME points at
    source: str = ""  # "nvcc --version" | "version.json" | "version.txt"


@datatype
class SharedLibrary:
    """A CUDA library file found in a folder of LD_LIBRARY_PATH, which the loader searches before a
    wheel's own RUNPATH: ``libcudnn.so.8.9.2`` there shadows the ``nvidia-cudnn-cu12`` torch was built with."""

    name: str  # "libcudnn" | "libcudart" | "libcublas" | ...
    version: str | None  # from the file name: "8.9.2", "12" (None: an unversioned libcudnn.so)
    path: str
    source: str = ""


@datatype
class CudaFacts:
    """The CUDA Toolkits found, and the CUDA libraries that could shadow a wheel's own."""

    toolkits: list[CudaToolkit] = field(default_factory=list)
    cuda_home: str | None = None  # CUDA_HOME or CUDA_PATH as set
    # CUDA libraries in the folders LD_LIBRARY_PATH names (None: not looked at, e.g. not Linux)
    ld_library_path_libs: list[SharedLibrary] | None = None
    attempts: list[Attempt] = field(default_factory=list)

    def active(self) -> CudaToolkit | None:
        return next((t for t in self.toolkits if t.active), None)


@datatype
class CudnnInstall:
    """One cuDNN found outside torch: a header, a library file or a pip distribution."""

    version: str | None
    kind: str  # "header" | "library" | "pip"
    path: str | None = None
    package: str | None = None  # pip distribution name, e.g. nvidia-cudnn-cu12
    source: str = ""


@datatype
class CudnnFacts:
    """Every cuDNN found on the machine (torch's wheels bring their own)."""

    installs: list[CudnnInstall] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)


@datatype
class RocmFacts:
    """The ROCm stack and its AMD GPUs."""

    status: str = "absent"  # "ok" | "absent" | "no_gpu" | "error" | "timed_out" | "unknown"
    version: str | None = None
    gpus: list[Gpu] = field(default_factory=list)
    source: str = ""
    attempts: list[Attempt] = field(default_factory=list)


@datatype
class XpuFacts:
    """Intel GPUs reachable through torch's XPU backend."""

    present: bool = False
    devices: list[Gpu] = field(default_factory=list)
    source: str = ""
    attempts: list[Attempt] = field(default_factory=list)


@datatype
class AppleFacts:
    """Whether this Mac can run torch's MPS backend, and why not."""

    apple_silicon: bool = False
    macos_version: str | None = None
    mps_possible: bool = False
    reason: str = ""
    source: str = ""


@datatype
class Distribution:
    """One installed Python distribution of interest."""

    name: str
    version: str
    location: str | None = None
    installer: str | None = None  # contents of INSTALLER ("pip", "uv", "conda")
    source: str = ""
    build: str | None = None  # a conda build string: "py3.10_cuda11.8_cudnn8.7.0_0", "cpu_py310h..."
    channel: str | None = None  # the conda channel it came from ("pytorch", "conda-forge"; "defaults" when unnamed)


@datatype
class TorchFacts:
    """The torch installed for the target interpreter, read from its metadata (never imported by check)."""

    status: str = "absent"  # "ok" | "absent" | "error" | "unknown" (a described target)
    version: str | None = None  # "2.5.1+cu124"
    local: str | None = None  # "cu124" | "cpu" | "rocm6.2" | None
    cuda: str | None = None  # torch.version.cuda as compiled
    hip: str | None = None
    xpu: str | None = None
    git_version: str | None = None
    debug: bool | None = None
    location: str | None = None
    installer: str | None = None  # "pip" | "uv" | "conda" | ...
    conda: bool = False  # a conda-meta record owns it
    copies: list[str] = field(default_factory=list)  # every location holding a torch distribution
    companions: list[Distribution] = field(default_factory=list)  # torchvision, torchaudio, triton
    # every torch each manager says is installed: pip's dist-info folders and conda's pytorch records,
    # which disagree once pip installed over conda (or the reverse)
    installs: list[Distribution] = field(default_factory=list)
    # torch.cuda.is_available() as torch itself answered (a pasted report says it; check never imports torch)
    cuda_available: bool | None = None
    nvidia_packages: list[Distribution] = field(default_factory=list)  # nvidia-*-cu12, cuda-toolkit
    source: str = ""
    attempts: list[Attempt] = field(default_factory=list)

    def companion(self, name: str) -> Distribution | None:
        return next((d for d in self.companions if d.name == name), None)


@datatype
class LimitsFacts:
    """What the processes of a training job may use (Linux): shared memory, cgroup limits, open files.

    None is unknown (not Linux, unreadable, a described machine, an older report). With ``cgroup``
    known, ``cpu_limit`` / ``memory_limit_bytes`` None mean the cgroup sets no such limit.
    """

    shm_total_bytes: int | None = None  # size of /dev/shm (statvfs): DataLoader workers hand batches over in it
    shm_free_bytes: int | None = None
    cgroup: str | None = None  # "v1" | "v2"
    cgroup_path: str | None = None  # the process's own cgroup, from /proc/self/cgroup
    cpu_limit: float | None = None  # CPUs the quota allows (cpu.max, or cfs_quota_us / cfs_period_us)
    cpus_allowed: int | None = None  # CPUs this process may be scheduled on (Cpus_allowed_list)
    memory_limit_bytes: int | None = None  # memory.max, or memory.limit_in_bytes
    open_files_soft: int | None = None  # RLIMIT_NOFILE, what `ulimit -n` prints
    open_files_hard: int | None = None
    source: str = ""
    attempts: list[Attempt] = field(default_factory=list)

    def usable_cpus(self, logical_cores: int | None) -> float | None:
        """CPUs a process can really use: the fewest of the cores, the affinity mask and the cgroup quota."""
        counts = [float(c) for c in (logical_cores, self.cpus_allowed, self.cpu_limit) if c]
        return min(counts) if counts else None


@datatype
class InstalledExtension:
    """A compiled extension of the torch ecosystem as its dist-info tells it (flash-attn, torch-scatter, ...)."""

    name: str  # normalised distribution name: "flash-attn"
    version: str  # with its local label: "2.6.3+cu123torch2.4cxx11abiFALSE"
    location: str | None = None
    requires: list[str] = field(default_factory=list)  # its Requires-Dist values naming torch
    installer: str | None = None


@datatype
class ExtensionFacts:
    """The torch ecosystem's compiled extensions in the target interpreter, and the triton torch pins."""

    status: str = "unknown"  # "ok" | "error" | "unknown" (not looked at: a described target, an older report)
    installed: list[InstalledExtension] = field(default_factory=list)
    torch_requires: list[str] = field(default_factory=list)  # torch's own Requires-Dist values naming triton
    source: str = ""
    attempts: list[Attempt] = field(default_factory=list)


@datatype
class Facts:
    """Everything the probes learned, or what a description of a target machine says."""

    os: OsFacts = field(default_factory=OsFacts)
    cpu: CpuFacts = field(default_factory=CpuFacts)
    python: PythonFacts = field(default_factory=PythonFacts)
    nvidia: NvidiaFacts = field(default_factory=NvidiaFacts)
    cuda: CudaFacts = field(default_factory=CudaFacts)
    cudnn: CudnnFacts = field(default_factory=CudnnFacts)
    rocm: RocmFacts = field(default_factory=RocmFacts)
    xpu: XpuFacts = field(default_factory=XpuFacts)
    apple: AppleFacts = field(default_factory=AppleFacts)
    torch: TorchFacts = field(default_factory=TorchFacts)
    limits: LimitsFacts = field(default_factory=LimitsFacts)
    extensions: ExtensionFacts = field(default_factory=ExtensionFacts)
    overrides: list[str] = field(default_factory=list)  # facts replaced by target flags, e.g. "--driver"
    probe_duration_s: float | None = None


@datatype
class Finding:
    """A conclusion of a rule. ``id`` is stable once released; ``commands`` are argv lists."""

    id: str
    severity: str  # "error" | "warning" | "info"
    area: str  # "system" | "python" | "gpu" | "cuda" | "cudnn" | "torch"
    message: str
    subject: str = ""  # the checklist line it marks: "torch", "nvidia.driver", "cuda.toolkit", ...
    fix: str | None = None
    commands: list[list[str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


@datatype
class Check:
    """One verify stage or sub-check and its outcome."""

    id: str
    status: str  # "pass" | "fail" | "skip" | "warn" (verify's judgement only: the child never reports it)
    title: str = ""
    message: str = ""
    duration_s: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- serialisation


def to_dict(value: Any) -> Any:
    """A dataclass (or list / dict of them) as JSON-ready data; every field is kept."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_dict(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_dict(v) for k, v in value.items()}
    return value


class FactsFormatError(ValueError):
    """Data that does not fit a facts type; the message names the path that is wrong."""


def from_dict(cls: type, data: Any, where: str = "$") -> Any:
    """Rebuild a dataclass from :func:`to_dict` output; unknown keys are ignored, wrong types named."""
    return _convert(cls, data, where)


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    """A dataclass's resolved field types, worked out once per class (a report may hold thousands of GPUs)."""
    return typing.get_type_hints(cls)


def _convert(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, data, where)
            except FactsFormatError as exc:
                errors.append(str(exc))
        raise FactsFormatError(errors[0] if errors else f"{where}: unexpected null")
    if origin is list:
        if not isinstance(data, list):
            raise FactsFormatError(f"{where}: expected a list, got {type(data).__name__}")
        (item,) = typing.get_args(tp) or (Any,)
        return [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(data)]
    if origin is dict:
        if not isinstance(data, dict):
            raise FactsFormatError(f"{where}: expected an object, got {type(data).__name__}")
        return dict(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise FactsFormatError(f"{where}: expected an object for {tp.__name__}")
        hints = _field_types(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _convert(hints[f.name], data[f.name], f"{where}.{f.name}")
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise FactsFormatError(f"{where}: {exc}")
    if tp is Any:
        return data
    if tp is float and isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    if tp in (str, int, bool) and (type(data) is tp):
        return data
    if tp is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    raise FactsFormatError(f"{where}: expected {getattr(tp, '__name__', tp)}, got {type(data).__name__}")
