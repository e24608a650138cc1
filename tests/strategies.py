"""Hypothesis strategies shaped like real machines, not like random text.

A :class:`Machine` is what a reference model needs to judge a plan (wheel platform, Python, the
driver and the CUDA version it reports, each GPU's compute capability) together with the facts the
probes would collect on it (:meth:`Machine.facts`). Everything here is written from published
tables, never read from envdoctor's recipes, so the properties can use it as an oracle:

- GPU names as nvidia-smi prints them and their compute capabilities: NVIDIA "CUDA GPU Compute
  Capability" and "Legacy CUDA GPU Compute Capability" pages (https://developer.nvidia.com/cuda-gpus).
  ``first_cuda`` / ``last_cuda`` bound the driver branches a GPU appears with (its architecture's
  first CUDA release; R470 the last branch for Kepler, R580 for Maxwell, Pascal and Volta): a
  realism filter so no profile pairs a GPU with a driver that does not drive it, not an oracle.
- Driver numbers and the "CUDA Version" nvidia-smi prints for them: NVIDIA CUDA Toolkit release
  notes, Table 3 (Linux and Windows columns; 13.x has no Windows column, its branches are shared
  with Linux), plus numbers seen in the recorded outputs under tests/fixtures/nvidia and
  shared/reference/real-outputs (537.13 and 546.80 under WSL 2, 591.86, 610.62, 535.183.01,
  570.86.15, 595.80, 610.57.04).
- AMD names as rocminfo's "Marketing Name" prints them and their LLVM gfx targets: AMD GPU
  specifications and the LLVM AMDGPU processor table.
- Interpreters as they describe themselves (``sysconfig.get_platform()``, ``platform.machine()``),
  distributions with the glibc they ship.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from hypothesis import strategies as st

from envdoctor.facts import (
    AppleFacts,
    CudaToolkit,
    Facts,
    Gpu,
    NvidiaFacts,
    OsFacts,
    PythonFacts,
    RocmFacts,
    ToolInfo,
    TorchFacts,
)

X86 = ("linux-x86_64",)
ARM = ("linux-aarch64",)
WIN = ("windows-x86_64",)
SERVER = X86 + ARM
DESKTOP = X86 + WIN


@dataclass(frozen=True)
class NvidiaModel:
    """One NVIDIA GPU model as nvidia-smi names it."""

    name: str
    cc: str
    first_cuda: tuple[int, int]
    last_cuda: tuple[int, int] | None
    platforms: tuple[str, ...]
    jetson: bool = False

    @property
    def capability(self) -> tuple[int, int]:
        major, minor = self.cc.split(".")
        return int(major), int(minor)


NVIDIA_GPUS = (
    NvidiaModel("Tesla K80", "3.7", (10, 0), (11, 4), X86),
    NvidiaModel("Tesla K40m", "3.5", (10, 0), (11, 4), X86),
    NvidiaModel("NVIDIA GeForce GTX 750 Ti", "5.0", (10, 0), (13, 0), DESKTOP),
    NvidiaModel("Tesla M60", "5.2", (10, 0), (13, 0), X86),
    NvidiaModel("NVIDIA GeForce GTX 980", "5.2", (10, 0), (13, 0), DESKTOP),
    NvidiaModel("Tesla P100-PCIE-16GB", "6.0", (10, 0), (13, 0), X86),
    NvidiaModel("Tesla P4", "6.1", (10, 0), (13, 0), X86),
    NvidiaModel("NVIDIA GeForce GTX 1080", "6.1", (10, 0), (13, 0), DESKTOP),
    NvidiaModel("NVIDIA GeForce GTX 1080 Ti", "6.1", (10, 0), (13, 0), DESKTOP),
    NvidiaModel("Tesla V100-SXM2-16GB", "7.0", (10, 0), (13, 0), X86),
    NvidiaModel("Tesla V100S-PCIE-32GB", "7.0", (10, 1), (13, 0), X86),
    NvidiaModel("NVIDIA TITAN V", "7.0", (10, 0), (13, 0), DESKTOP),
    NvidiaModel("Tesla T4", "7.5", (10, 0), None, SERVER),
    NvidiaModel("NVIDIA GeForce RTX 2080 Ti", "7.5", (10, 0), None, DESKTOP),
    NvidiaModel("NVIDIA GeForce RTX 2080 SUPER", "7.5", (10, 1), None, DESKTOP),
    NvidiaModel("NVIDIA GeForce GTX 1660 SUPER", "7.5", (10, 1), None, DESKTOP),
    NvidiaModel("NVIDIA A100-SXM4-80GB", "8.0", (11, 0), None, SERVER),
    NvidiaModel("NVIDIA A100-PCIE-40GB", "8.0", (11, 0), None, SERVER),
    NvidiaModel("NVIDIA A10G", "8.6", (11, 1), None, X86),
    NvidiaModel("NVIDIA A10", "8.6", (11, 2), None, X86),
    NvidiaModel("NVIDIA RTX A6000", "8.6", (11, 1), None, DESKTOP),
    NvidiaModel("NVIDIA GeForce RTX 3090", "8.6", (11, 1), None, DESKTOP),
    NvidiaModel("NVIDIA GeForce RTX 4070", "8.9", (11, 8), None, DESKTOP),
    NvidiaModel("NVIDIA GeForce RTX 4090", "8.9", (11, 8), None, DESKTOP),
    NvidiaModel("NVIDIA L4", "8.9", (12, 0), None, X86),
    NvidiaModel("NVIDIA L40S", "8.9", (12, 0), None, SERVER),
    NvidiaModel("NVIDIA H100 80GB HBM3", "9.0", (11, 8), None, SERVER),
    NvidiaModel("NVIDIA H200", "9.0", (12, 2), None, X86),
    NvidiaModel("NVIDIA GH200 480GB", "9.0", (12, 2), None, ARM),
    NvidiaModel("NVIDIA B200", "10.0", (12, 8), None, X86),
    NvidiaModel("NVIDIA B300 SXM6 AC", "10.3", (12, 9), None, X86),
    NvidiaModel("NVIDIA GeForce RTX 5090", "12.0", (12, 8), None, DESKTOP),
    NvidiaModel("NVIDIA GeForce RTX 5070", "12.0", (12, 8), None, DESKTOP),
    NvidiaModel("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", "12.0", (12, 8), None, DESKTOP),
    NvidiaModel("NVIDIA GB10", "12.1", (13, 0), None, ARM),
    NvidiaModel("NVIDIA Jetson T5000", "11.0", (13, 0), None, ARM, jetson=True),
    NvidiaModel("NVIDIA Thor", "11.0", (13, 0), None, ARM, jetson=True),
    NvidiaModel("Orin (nvgpu)", "8.7", (12, 2), None, ARM, jetson=True),
)


@dataclass(frozen=True)
class Driver:
    """An NVIDIA driver number, the column of Table 3 it belongs to, and the CUDA it reports."""

    version: str
    column: str  # "linux" | "windows"
    cuda: str  # nvidia-smi's "CUDA Version" for this driver

    @property
    def cuda_tuple(self) -> tuple[int, int]:
        major, minor = self.cuda.split(".")
        return int(major), int(minor)


def _drivers(column: str, rows: str) -> tuple[Driver, ...]:
    out = []
    for line in rows.strip().splitlines():
        cuda, numbers = line.split(":")
        out.extend(Driver(number, column, cuda.strip()) for number in numbers.split())
    return tuple(out)


LINUX_DRIVERS = _drivers("linux", """
10.0: 410.48
10.1: 418.39
10.2: 440.33
11.0: 450.51.05 450.51.06 450.80.02
11.1: 455.23 455.32
11.2: 460.27.03 460.32.03
11.3: 465.19.01
11.4: 470.42.01 470.57.02 470.82.01
11.5: 495.29.05
11.6: 510.39.01 510.47.03
11.7: 515.43.04 515.48.07
11.8: 520.61.05
12.0: 525.60.13 525.85.12
12.1: 530.30.02
12.2: 535.54.03 535.86.09 535.104.05 535.183.01
12.3: 545.23.06 545.23.08
12.4: 550.54.14 550.54.15
12.5: 555.42.02 555.42.06
12.6: 560.28.03 560.35.03 560.35.05
12.8: 570.26 570.86.15 570.124.06
12.9: 575.51.03 575.57.08
13.0: 580.65.06 580.82.07 580.95.05
13.1: 590.44.01 590.48.01
13.2: 595.45.04 595.58.03 595.71.05 595.80
13.3: 610.43.02 610.57.04
""")

WINDOWS_DRIVERS = _drivers("windows", """
10.0: 411.31
10.1: 418.96
10.2: 441.22
11.0: 451.48 451.82 452.39
11.1: 456.38 456.81
11.2: 460.82 461.09 461.33
11.3: 465.89
11.4: 471.11 471.41 472.50
11.5: 496.04 496.13
11.6: 511.23 511.65
11.7: 516.01 516.31
11.8: 520.06
12.0: 527.41 528.33
12.1: 531.14
12.2: 536.25 536.67 537.13
12.3: 545.84 546.12 546.80
12.4: 551.61 551.78
12.5: 555.85
12.6: 560.76 560.94 561.17
12.8: 570.65 572.61
12.9: 576.02 576.57
13.1: 591.86
13.3: 610.62
""")


def drives(driver: Driver, gpu: NvidiaModel) -> bool:
    """Whether a driver of this branch drives this GPU at all (the realism filter)."""
    cuda = driver.cuda_tuple
    return gpu.first_cuda <= cuda and (gpu.last_cuda is None or cuda <= gpu.last_cuda)


@dataclass(frozen=True)
class AmdModel:
    name: str  # rocminfo "Marketing Name"
    gfx: str


AMD_GPUS = (
    AmdModel("AMD Instinct MI100", "gfx908"),
    AmdModel("AMD Instinct MI210", "gfx90a"),
    AmdModel("AMD Instinct MI250X", "gfx90a"),
    AmdModel("AMD Instinct MI300X", "gfx942"),
    AmdModel("AMD Instinct MI355X", "gfx950"),
    AmdModel("AMD Radeon VII", "gfx906"),
    AmdModel("AMD Radeon RX 6800 XT", "gfx1030"),
    AmdModel("AMD Radeon RX 7900 XTX", "gfx1100"),
    AmdModel("AMD Radeon PRO W7900", "gfx1100"),
    AmdModel("AMD Radeon RX 7800 XT", "gfx1101"),
    AmdModel("AMD Radeon RX 7600", "gfx1102"),
    AmdModel("AMD Radeon 780M", "gfx1103"),
    AmdModel("AMD Radeon 890M", "gfx1150"),
    AmdModel("AMD Radeon 8060S", "gfx1151"),
    AmdModel("AMD Radeon RX 9070 XT", "gfx1201"),
)

# (os-release ID, VERSION_ID, PRETTY_NAME, glibc) as the distributions ship them; glibc None: musl.
LINUX_DISTROS = (
    ("centos", "7", "CentOS Linux 7 (Core)", "2.17"),
    ("rhel", "8.10", "Red Hat Enterprise Linux 8.10 (Ootpa)", "2.28"),
    ("rhel", "9.4", "Red Hat Enterprise Linux 9.4 (Plow)", "2.34"),
    ("ubuntu", "20.04", "Ubuntu 20.04.6 LTS", "2.31"),
    ("ubuntu", "22.04", "Ubuntu 22.04.5 LTS", "2.35"),
    ("ubuntu", "24.04", "Ubuntu 24.04.1 LTS", "2.39"),
    ("debian", "12", "Debian GNU/Linux 12 (bookworm)", "2.36"),
    ("amzn", "2023", "Amazon Linux 2023.6.20241121", "2.34"),
    ("alpine", "3.20.3", "Alpine Linux v3.20", None),
)
#: CPython releases as ``sys.version`` starts; free-threaded builds exist from 3.13.
PYTHONS = ("3.8.18", "3.9.18", "3.10.12", "3.11.7", "3.12.3", "3.13.1", "3.14.0", "3.15.0")
MACOS_ARM = ("11.7.10", "12.7.6", "13.6.9", "14.7.1", "15.1", "26.0")
MACOS_INTEL = ("10.15.7", "11.7.10", "12.7.6", "13.6.9", "14.7.1", "15.1")
WINDOWS_BUILDS = ("10.0.19045", "10.0.22631", "10.0.26100")  # Windows 10 22H2, 11 23H2, 11 24H2


@dataclass(frozen=True)
class Machine:
    """A real-looking machine: what a reference model needs, and :meth:`facts` as probes would see it."""

    kind: str  # "linux" | "wsl2" | "windows" | "macos" | "rocm"
    platform: str  # the wheel platform of the target interpreter: "linux-x86_64", "macos-x86_64" under Rosetta
    python: str = "3.12.3"
    free_threaded: bool = False
    distro: tuple[str, str, str, str | None] | None = None
    macos: str | None = None
    rosetta: bool = False
    windows_build: str | None = None
    driver: Driver | None = None
    report_cuda: bool = True  # whether the facts carry the driver's own CUDA Version
    report_cc: bool = True  # whether nvidia-smi reported compute_cap (drivers before 510 reject the field)
    gpus: tuple[NvidiaModel, ...] = ()  # visible to CUDA
    hidden: tuple[NvidiaModel, ...] = ()  # hidden by CUDA_VISIBLE_DEVICES
    amd: tuple[AmdModel, ...] = ()

    @property
    def python_tag(self) -> str:
        major, minor = self.python.split(".")[:2]
        return f"{major}.{minor}" + ("t" if self.free_threaded else "")

    @property
    def glibc(self) -> str | None:
        return self.distro[3] if self.distro else None

    def with_driver(self, driver: Driver) -> Machine:
        return dataclasses.replace(self, driver=driver)

    def with_gpus(self, gpus: tuple[NvidiaModel, ...]) -> Machine:
        return dataclasses.replace(self, gpus=gpus, hidden=())

    def facts(self) -> Facts:
        """A new Facts value, as a probe run on this machine collects it."""
        facts = Facts()
        facts.os, facts.python = self._os(), self._python()
        if self.kind == "macos":
            macos = tuple(int(part) for part in (self.macos or "0").split(".")[:2])
            facts.apple = AppleFacts(apple_silicon=self.platform == "macos-arm64" or self.rosetta, macos_version=self.macos,
                                     mps_possible=self.platform == "macos-arm64" and macos >= (12, 3), source="sw_vers")
        if self.driver is not None:
            facts.nvidia = self._nvidia()
        if self.amd:
            facts.rocm = RocmFacts(status="ok", version="6.4.1" if self.kind == "rocm" else None, source="rocminfo",
                                   gpus=[Gpu("amd", i, gpu.name, arch=gpu.gfx, source="rocminfo")
                                         for i, gpu in enumerate(self.amd)])
        return facts

    def _os(self) -> OsFacts:
        system = {"windows": "Windows", "macos": "Darwin"}.get(self.kind, "Linux")
        arch = {"linux-aarch64": "aarch64", "macos-arm64": "arm64"}.get(self.platform, "x86_64")
        if self.rosetta:
            arch = "arm64"
        os = OsFacts(system=system, arch=arch, source="platform")
        if self.distro is not None:
            os.distro_id, os.distro_version, os.distro_name, os.glibc = self.distro
            os.distro_like = ["debian"] if self.distro[0] == "ubuntu" else []
            os.kernel = "5.15.167.4-microsoft-standard-WSL2" if self.kind == "wsl2" else "6.8.0-51-generic"
        if self.kind == "wsl2":
            os.wsl = "wsl2"
        if self.kind == "macos":
            os.macos_version = self.macos
        if self.kind == "windows":
            os.windows_build = self.windows_build
            os.windows_release = "11" if int((self.windows_build or "0.0.0").split(".")[2]) >= 22000 else "10"
        return os

    def _python(self) -> PythonFacts:
        version = self.python
        if self.kind == "windows":
            tag, machine, prefix = "win-amd64", "AMD64", "C:\\Users\\dev\\venv"
            exe = prefix + "\\Scripts\\python.exe"
        elif self.kind == "macos":
            machine = "x86_64" if self.platform == "macos-x86_64" else "arm64"
            tag = f"macosx-{'10.9' if machine == 'x86_64' else '11.0'}-{machine}"
            if self.rosetta:
                tag = "macosx-10.9-universal2"  # python.org's universal2 build run with `arch -x86_64`
            prefix = "/Users/dev/venv"
            exe = prefix + "/bin/python"
        else:
            machine = self.platform.split("-", 1)[1]
            tag, prefix = self.platform, "/home/dev/venv"
            exe = prefix + "/bin/python"
        return PythonFacts(executable=exe, version=version, implementation="cpython",
                           abi_flags="t" if self.free_threaded else "", platform_tag=tag, machine=machine,
                           pointer_bits=64, free_threaded=self.free_threaded, prefix=prefix,
                           in_venv=True, tools=[ToolInfo("pip", version="24.2", source="pip --version")],
                           source="pyinfo")

    def _nvidia(self) -> NvidiaFacts:
        driver = self.driver
        assert driver is not None
        every = list(self.gpus) + list(self.hidden)
        gpus = [Gpu("nvidia", i, gpu.name, uuid=f"GPU-{i:08x}-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
                    compute_capability=gpu.cc if self.report_cc else None,
                    arch=f"sm_{gpu.cc.replace('.', '')}" if self.report_cc else None,
                    pci_bus_id=f"00000000:{i + 1:02X}:00.0", visible=i < len(self.gpus), source="nvidia-smi --query-gpu")
                for i, gpu in enumerate(every)]
        # hidden GPUs sort last; CUDA_VISIBLE_DEVICES names the visible ones by index under PCI_BUS_ID order
        visible = ",".join(str(i) for i in range(len(self.gpus))) if self.hidden else None
        return NvidiaFacts(status="ok" if gpus else "no_gpu", driver_version=driver.version,
                           driver_max_cuda=driver.cuda if self.report_cuda else None, gpus=gpus,
                           cuda_visible_devices=visible, cuda_device_order="PCI_BUS_ID" if visible else None,
                           hidden_gpus=list(range(len(self.gpus), len(every))),
                           source="nvidia-smi")


def gpu(name: str) -> NvidiaModel:
    return next(g for g in NVIDIA_GPUS if g.name == name)


def driver(version: str) -> Driver:
    return next(d for d in LINUX_DRIVERS + WINDOWS_DRIVERS if d.version == version)


def distro(distro_id: str) -> tuple[str, str, str, str | None]:
    return next(d for d in LINUX_DISTROS if d[0] == distro_id)


# ---------------------------------------------------------------------------- strategies


def pythons(*, oldest: str = "3.8") -> st.SearchStrategy[tuple[str, bool]]:
    """(version, free_threaded): free-threaded builds only from 3.13."""
    floor = tuple(int(p) for p in oldest.split("."))
    versions = [v for v in PYTHONS if tuple(int(p) for p in v.split(".")[:2]) >= floor]
    return st.sampled_from(versions).flatmap(
        lambda v: st.tuples(st.just(v), st.booleans() if tuple(int(p) for p in v.split(".")[:2]) >= (3, 13)
                            else st.just(False)))


def gpu_sets(driver: Driver, platform: str, *, min_size: int = 1, max_size: int = 3,
             jetson: bool = True) -> st.SearchStrategy[tuple[NvidiaModel, ...]]:
    """GPUs this driver drives on this platform; a Jetson module is always alone."""
    pool = [g for g in NVIDIA_GPUS if platform in g.platforms and drives(driver, g)]
    regular = [g for g in pool if not g.jetson]
    boards = [g for g in pool if g.jetson] if jetson else []
    options = []
    if regular:
        options.append(st.lists(st.sampled_from(regular), min_size=min_size, max_size=max_size).map(tuple))
    if boards:
        options.append(st.sampled_from(boards).map(lambda g: (g,)))
    return st.one_of(options) if options else st.nothing()


def _column_drivers(column: str, platform: str) -> list[Driver]:
    drivers = LINUX_DRIVERS if column == "linux" else WINDOWS_DRIVERS
    return [d for d in drivers if any(platform in g.platforms and drives(d, g) for g in NVIDIA_GPUS)]


@st.composite
def _nvidia_part(draw, machine: Machine, column: str, hide: bool = True) -> Machine:
    platform = "windows-x86_64" if machine.kind in ("windows", "wsl2") else machine.platform
    driver = draw(st.sampled_from(_column_drivers(column, platform)))
    gpus = draw(gpu_sets(driver, platform))
    hidden: tuple[NvidiaModel, ...] = ()
    if hide and len(gpus) > 1 and draw(st.booleans()):
        cut = draw(st.integers(1, len(gpus) - 1))
        gpus, hidden = gpus[:cut], gpus[cut:]
    report_cc = draw(st.booleans()) if driver.cuda_tuple < (11, 6) else True
    return dataclasses.replace(machine, driver=driver, gpus=gpus, hidden=hidden, report_cc=report_cc,
                               report_cuda=draw(st.booleans()))


@st.composite
def linux_machines(draw, *, arch: str | None = None, gpu: bool | None = None) -> Machine:
    """Linux x86_64 or aarch64 (GH200, Jetson Thor, GB10, Arm servers with PCIe GPUs), with or without NVIDIA."""
    arch = arch or draw(st.sampled_from(["x86_64", "aarch64"]))
    distros = [d for d in LINUX_DISTROS if arch == "x86_64" or d[0] != "centos"]
    python, threaded = draw(pythons())
    machine = Machine("linux", f"linux-{arch}", python=python, free_threaded=threaded,
                      distro=draw(st.sampled_from(distros)))
    if gpu if gpu is not None else draw(st.booleans()):
        machine = draw(_nvidia_part(machine, "linux"))
    return machine


@st.composite
def wsl_machines(draw) -> Machine:
    """WSL 2: Linux facts, and nvidia-smi printing the Windows driver's number."""
    python, threaded = draw(pythons())
    machine = Machine("wsl2", "linux-x86_64", python=python, free_threaded=threaded,
                      distro=draw(st.sampled_from([d for d in LINUX_DISTROS if d[0] == "ubuntu"])))
    return draw(_nvidia_part(machine, "windows", hide=False))


@st.composite
def windows_machines(draw, *, gpu: bool | None = None) -> Machine:
    python, threaded = draw(pythons())
    machine = Machine("windows", "windows-x86_64", python=python, free_threaded=threaded,
                      windows_build=draw(st.sampled_from(WINDOWS_BUILDS)))
    if gpu if gpu is not None else draw(st.booleans()):
        machine = draw(_nvidia_part(machine, "windows"))
    return machine


@st.composite
def amd_without_rocm_wheels(draw) -> Machine:
    """An AMD GPU where torch publishes no ROCm wheel: Windows with a Radeon (the HIP SDK lists it), an Arm
    server with an Instinct card."""
    python, threaded = draw(pythons())
    if draw(st.booleans()):
        return Machine("windows", "windows-x86_64", python=python, free_threaded=threaded,
                       windows_build=draw(st.sampled_from(WINDOWS_BUILDS)),
                       amd=(draw(st.sampled_from([g for g in AMD_GPUS if "Instinct" not in g.name])),))
    return Machine("linux", "linux-aarch64", python=python, free_threaded=threaded,
                   distro=draw(st.sampled_from([d for d in LINUX_DISTROS if d[0] in ("ubuntu", "rhel")])),
                   amd=(draw(st.sampled_from([g for g in AMD_GPUS if "Instinct" in g.name])),))


@st.composite
def macos_machines(draw) -> Machine:
    """Apple silicon (native, or an x86_64 Python under Rosetta 2) and Intel Macs."""
    python, threaded = draw(pythons())
    which = draw(st.sampled_from(["arm64", "rosetta", "x86_64"]))
    if which == "x86_64":
        return Machine("macos", "macos-x86_64", python=python, free_threaded=threaded,
                       macos=draw(st.sampled_from(MACOS_INTEL)))
    return Machine("macos", "macos-x86_64" if which == "rosetta" else "macos-arm64", python=python,
                   free_threaded=threaded, macos=draw(st.sampled_from(MACOS_ARM)), rosetta=which == "rosetta")


@st.composite
def rocm_machines(draw) -> Machine:
    python, threaded = draw(pythons())
    amd = draw(st.lists(st.sampled_from(AMD_GPUS), min_size=1, max_size=2).map(tuple))
    return Machine("rocm", "linux-x86_64", python=python, free_threaded=threaded,
                   distro=draw(st.sampled_from([d for d in LINUX_DISTROS if d[3] is not None])), amd=amd)


def machines() -> st.SearchStrategy[Machine]:
    """Every kind of machine, NVIDIA-heavy because that is where the compatibility questions are."""
    return st.one_of(
        linux_machines(arch="x86_64", gpu=True), linux_machines(arch="aarch64", gpu=True), wsl_machines(),
        windows_machines(gpu=True), linux_machines(gpu=False), windows_machines(gpu=False),
        amd_without_rocm_wheels(), macos_machines(), rocm_machines(),
    )


def nvidia_machines() -> st.SearchStrategy[Machine]:
    """Machines with an NVIDIA driver and GPUs: Linux x86_64, aarch64, WSL 2, Windows."""
    return st.one_of(linux_machines(arch="x86_64", gpu=True), linux_machines(arch="aarch64", gpu=True),
                     wsl_machines(), windows_machines(gpu=True))


@st.composite
def host_facts(draw) -> Facts:
    """This host as probed, with everything a description might wrongly borrow: a torch install,
    a CUDA toolkit, CUDA_VISIBLE_DEVICES, a CPU model, overrides of its own."""
    machine = draw(machines())
    facts = machine.facts()
    facts.cpu.model = draw(st.sampled_from(["Intel(R) Xeon(R) Platinum 8480+", "AMD EPYC 9654 96-Core Processor",
                                            "Apple M3 Max", "Neoverse-V2"]))
    facts.cpu.logical_cores = draw(st.sampled_from([8, 64, 224]))
    if draw(st.booleans()):
        facts.torch = TorchFacts(status="ok", version="2.5.1+cu124", local="cu124", cuda="12.4",
                                 location="/home/dev/venv/lib/python3.12/site-packages", installer="pip",
                                 copies=["/home/dev/venv/lib/python3.12/site-packages"], source="dist-info")
    if draw(st.booleans()):
        facts.cuda.toolkits = [CudaToolkit("12.4.131", "/usr/local/cuda-12.4", "/usr/local/cuda-12.4/bin/nvcc",
                                           active=True, source="nvcc --version")]
        facts.cuda.cuda_home = "/usr/local/cuda-12.4"
    facts.probe_duration_s = draw(st.sampled_from([0.08, 0.4]))
    return facts


@dataclass(frozen=True)
class Description:
    """What ``install --dry-run --target-os ... --target-arch ...`` flags say."""

    target_os: str
    target_arch: str
    target_python: str | None = None
    driver: str | None = None
    gpus: tuple[str, ...] = field(default_factory=tuple)
    no_gpu: bool = False

    def kwargs(self) -> dict[str, object]:
        return {"target_os": self.target_os, "target_arch": self.target_arch, "target_python": self.target_python,
                "driver": self.driver, "gpus": self.gpus, "no_gpu": self.no_gpu}


@st.composite
def descriptions(draw) -> Description:
    """Target flags as a user types them: names, ``sm_XY``, ``gfxNNN``; some contradict each other."""
    target_os = draw(st.sampled_from(["linux", "windows", "macos"]))
    target_arch = draw(st.sampled_from(["x86_64", "aarch64", "arm64"]))
    python, threaded = draw(pythons(oldest="3.9"))
    target_python = draw(st.none() | st.just(".".join(python.split(".")[:2]) + ("t" if threaded else "")))
    column = WINDOWS_DRIVERS if target_os == "windows" else LINUX_DRIVERS
    driver = draw(st.none() | st.sampled_from(column).map(lambda d: d.version))
    gpu_text = st.one_of(
        st.sampled_from(NVIDIA_GPUS).map(lambda g: g.name),
        st.sampled_from(NVIDIA_GPUS).map(lambda g: f"sm_{g.cc.replace('.', '')}"),
        st.sampled_from(AMD_GPUS).map(lambda g: g.gfx),
        st.sampled_from(AMD_GPUS).map(lambda g: g.name),
    )
    gpus = tuple(draw(st.lists(gpu_text, max_size=2)))
    no_gpu = not gpus and draw(st.booleans())
    return Description(target_os, target_arch, target_python, driver, gpus, no_gpu)


# ---------------------------------------------------------------------------- text as tools print it

#: Digits that are not ASCII: Arabic-Indic, superscripts (str.isdigit() is True, int() refuses them),
#: fullwidth, NKo, Bengali, Devanagari, mathematical double-struck.
NON_ASCII_DIGITS = "٠١٢٣٤٥٦٧٨٩²³¹０１２３９߀৩४𝟘"


def non_ascii_digits() -> st.SearchStrategy[str]:
    return st.sampled_from(NON_ASCII_DIGITS) | st.characters(categories=["Nd", "No"]).filter(
        lambda c: not c.isascii())


def with_non_ascii_digit(text: str) -> st.SearchStrategy[str]:
    """``text`` with one of its ASCII digits replaced by (or, without any, followed by) a non-ASCII one."""
    positions = [i for i, c in enumerate(text) if c.isascii() and c.isdigit()]
    if not positions:
        return non_ascii_digits().map(lambda d: text + d)
    return st.tuples(st.sampled_from(positions), non_ascii_digits()).map(
        lambda pair: text[: pair[0]] + pair[1] + text[pair[0] + 1:])


@dataclass(frozen=True)
class SmiRow:
    """One GPU as ``nvidia-smi --query-gpu=index,name,uuid,memory.total,compute_cap,driver_version,
    mig.mode.current,pci.bus_id --format=csv,noheader,nounits`` prints it."""

    index: int
    name: str
    uuid: str
    memory_mib: int
    cc: str | None  # None: printed as [N/A]
    driver: str
    mig: str  # "Disabled" | "Enabled" | "[N/A]"
    pci_bus_id: str

    def line(self) -> str:
        return ", ".join([str(self.index), self.name, self.uuid, str(self.memory_mib), self.cc or "[N/A]",
                          self.driver, self.mig, self.pci_bus_id])


@st.composite
def smi_outputs(draw) -> tuple[str, list[SmiRow]]:
    """A whole query output (LF, or CRLF as nvidia-smi.exe writes it) and the rows in it."""
    driver = draw(st.sampled_from(LINUX_DRIVERS + WINDOWS_DRIVERS))
    platform = "windows-x86_64" if driver.column == "windows" else "linux-x86_64"
    pool = [g for g in NVIDIA_GPUS if platform in g.platforms and drives(driver, g)] or list(NVIDIA_GPUS)
    models = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=8))
    rows = []
    for index, gpu in enumerate(models):
        uuid = "GPU-" + "-".join(draw(st.text("0123456789abcdef", min_size=n, max_size=n)) for n in (8, 4, 4, 4, 12))
        mig = draw(st.sampled_from(["Disabled", "Enabled"])) if gpu.name.startswith(("NVIDIA A100", "NVIDIA H")) else "[N/A]"
        rows.append(SmiRow(index, gpu.name, uuid, draw(st.sampled_from([8192, 12282, 16384, 24564, 81559, 143771])),
                           gpu.cc if draw(st.integers(0, 9)) else None, driver.version, mig,
                           f"00000000:{draw(st.integers(1, 0xFE)):02X}:00.0"))
    newline = "\r\n" if driver.column == "windows" else "\n"
    return newline.join(row.line() for row in rows) + newline, rows


def visible_devices_entries(count: int) -> st.SearchStrategy[list[str]]:
    """Distinct ASCII index entries of CUDA_VISIBLE_DEVICES, with the spaces people put around them."""
    return st.lists(st.integers(0, max(count - 1, 0)), unique=True, max_size=count).flatmap(
        lambda numbers: st.tuples(*[st.sampled_from([str(n), f" {n}", f"{n} "]) for n in numbers]).map(list))
