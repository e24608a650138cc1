"""The operating system, the CPU and memory.

Parsers first (``/etc/os-release``, ``/proc/version``, ``/proc/1/cgroup``, ``/proc/cpuinfo``), then
:func:`probe_os` and :func:`probe_cpu`, which read those files through the door and take the rest
from the platform facts Python itself knows.
"""

from __future__ import annotations

import re
from dataclasses import field

from envdoctor.datatypes import datatype
from envdoctor.facts import Attempt, CpuFacts, OsFacts
from envdoctor.i18n import _
from envdoctor.probes import ProbeContext, attempt_from

OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")

#: How much of an os-release file is parsed. Real ones are under 1 KiB (see tests/fixtures/os_release);
#: a bound keeps the work small whatever a recorded machine's file holds.
OS_RELEASE_LIMIT = 64 * 1024

#: os-release IDs spelled two ways, as the ``distro`` package (1.9.0, ``NORMALIZED_OS_ID``) normalises
#: them. Its os-release parser is not used: it opens the files itself (not through the door) and
#: unquotes with shlex, which is quadratic in a value's length.
NORMALIZED_OS_ID = {"ol": "oracle", "opensuse-leap": "opensuse"}

#: The first Windows build numbered as Windows 11 (Microsoft keeps the 10.0 major version).
WINDOWS_11_FIRST_BUILD = 22000

#: CPU implementer and part numbers of ``/proc/cpuinfo`` on aarch64, which has no ``model name``.
#: Names as util-linux ``lscpu`` (sys-utils/lscpu-arm.c) prints them; only the common ones.
ARM_IMPLEMENTERS = {
    "0x41": "ARM",
    "0x42": "Broadcom",
    "0x43": "Cavium",
    "0x48": "HiSilicon",
    "0x4e": "NVIDIA",
    "0x50": "APM",
    "0x51": "Qualcomm",
    "0x61": "Apple",
    "0x70": "Phytium",
    "0xc0": "Ampere",
}
ARM_PARTS = {
    ("0x41", "0xd03"): "Cortex-A53",
    ("0x41", "0xd05"): "Cortex-A55",
    ("0x41", "0xd07"): "Cortex-A57",
    ("0x41", "0xd08"): "Cortex-A72",
    ("0x41", "0xd0b"): "Cortex-A76",
    ("0x41", "0xd0c"): "Neoverse-N1",
    ("0x41", "0xd40"): "Neoverse-V1",
    ("0x41", "0xd49"): "Neoverse-N2",
    ("0x41", "0xd4f"): "Neoverse-V2",
    ("0x43", "0x0af"): "ThunderX2 99xx",
    ("0xc0", "0xac3"): "Ampere-1",
}


_ARCH_WORDS = frozenset({"", "x86_64", "amd64", "aarch64", "arm64", "arm", "i386", "i686"})


# One token of an os-release value: a double-quoted part (backslash escapes inside; the closing quote
# may be missing in a cut-off file), a single-quoted part, an escaped character, blanks, plain text.
_OS_RELEASE_TOKEN = re.compile(
    r""""((?:[^"\\]+|\\.)*)"?|'([^']*)'?|\\(.?)|([ \t]+)|([^"'\\ \t]+)""", re.DOTALL
)
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
# Inside double quotes a backslash escapes only these, as in the shell; before anything else it stays.
_DOUBLE_QUOTED_ESCAPE = r"\\([$\"\\`])"


def unquote_os_release_value(raw: str) -> str:
    """A value as os-release(5) quotes it (shell style), in one pass over the text.

    ``"12 (bookworm)"``, ``'x'`` and ``debian`` are the common forms; inside double quotes ``\\$``,
    ``\\"``, ``\\\\`` and ``\\``` stand for the character; outside quotes a backslash escapes any
    character. Unquoted blanks separate words, which are joined by one space (``NAME=Foo Linux``).
    """
    words: list[str] = []
    word: list[str] = []
    for match in _OS_RELEASE_TOKEN.finditer(raw):
        double, single, escaped, blank, plain = match.groups()
        if blank is not None:
            if word:
                words.append("".join(word))
                word = []
            continue
        if double is not None:
            word.append(re.sub(_DOUBLE_QUOTED_ESCAPE, r"\1", double) if "\\" in double else double)
        else:
            word.append(single if single is not None else escaped if escaped is not None else plain)
        if not word[-1] and match.group(0)[:1] not in "\"'":
            word.pop()  # an escape at the very end of the line stands for nothing
    if word:
        words.append("".join(word))
    return " ".join(words)


def parse_os_release(text: str | None) -> dict[str, str]:
    """``KEY=value`` pairs of an os-release file; comments, blank and malformed lines are skipped.

    Only the first OS_RELEASE_LIMIT characters are read, and a value is unquoted in one pass (shlex
    copies its token on every character, which took 25 s for one 1 MB line).
    """
    values: dict[str, str] = {}
    for line in (text or "")[:OS_RELEASE_LIMIT].splitlines():
        line = line.strip()
        if "=" not in line:
            continue
        key, _sep, raw = line.partition("=")
        key = key.strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            continue  # also a comment: "#" cannot start a name
        values[key] = unquote_os_release_value(raw)
    return values


def normalise_distro_id(raw: str) -> str:
    """The os-release ID as ``distro`` normalises it (``ol`` -> ``oracle``)."""
    lowered = raw.lower().replace(" ", "_")
    return NORMALIZED_OS_ID.get(lowered, lowered)


def parse_proc_version_wsl(text: str | None) -> str | None:
    """"wsl1", "wsl2" or None from /proc/version (or a kernel release).

    WSL2 kernels say ``5.15.153.1-microsoft-standard-WSL2`` (older ones ``4.19.104-microsoft-standard``);
    WSL1 has no Linux kernel and reports ``4.4.0-19041-Microsoft`` with a capital M.
    """
    text = text or ""
    if "microsoft" not in text.lower():
        return None
    if "WSL2" in text or "microsoft-standard" in text.lower():
        return "wsl2"
    if "Microsoft" in text:
        return "wsl1"
    return "wsl2"


def parse_cgroup_container(text: str | None) -> str | None:
    """The container runtime named in ``/proc/1/cgroup`` (cgroup v1 paths), or None."""
    text = (text or "").lower()
    for marker, runtime in (
        ("kubepods", "kubernetes"),
        ("libpod", "podman"),
        ("docker", "docker"),
        ("/lxc/", "lxc"),
        ("containerd", "containerd"),
    ):
        if marker in text:
            return runtime
    return None


def normalise_arch(machine: str, system: str) -> str:
    """One spelling per architecture: x86_64, aarch64 on Linux, arm64 on macOS and Windows."""
    lowered = machine.lower()
    if lowered in ("amd64", "x86_64", "x64", "em64t"):
        return "x86_64"
    if lowered in ("arm64", "aarch64", "armv8l", "arm64e"):
        return "aarch64" if system == "Linux" else "arm64"
    return machine


def windows_release(build: str | None) -> str | None:
    """"11" or "10" from a version like ``10.0.22631``; None when it cannot be read."""
    if not build:
        return None
    parts = build.split(".")
    if len(parts) < 3 or not re.fullmatch(r"[0-9]{1,9}", parts[2]):
        return None
    if parts[0] != "10":
        return None
    return "11" if int(parts[2]) >= WINDOWS_11_FIRST_BUILD else "10"


@datatype
class CpuInfo:
    """What /proc/cpuinfo says about the first processor."""

    model: str | None = None
    flags: set[str] | None = None  # x86 "flags"; None when the file has no such line (aarch64)
    implementer: str | None = None
    part: str | None = None
    processors: int = 0
    features: list[str] = field(default_factory=list)  # aarch64 "Features"


def parse_cpuinfo(text: str | None) -> CpuInfo:
    """The first processor's model and flags; aarch64 gets a model from its implementer and part."""
    info = CpuInfo()
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "processor":
            info.processors += 1
        elif key == "model name" and info.model is None and value:
            info.model = value
        elif key == "flags" and info.flags is None:
            info.flags = set(value.split())
        elif key == "features" and not info.features:
            info.features = value.split()
        elif key == "cpu implementer" and info.implementer is None:
            info.implementer = value.lower()
        elif key == "cpu part" and info.part is None:
            info.part = value.lower()
    if info.model is None and info.implementer:
        vendor = ARM_IMPLEMENTERS.get(info.implementer, f"implementer {info.implementer}")
        part = ARM_PARTS.get((info.implementer, info.part or ""))
        info.model = f"{vendor} {part}" if part else f"{vendor} part {info.part or '?'}"
    return info


def _detect_container(ctx: ProbeContext, facts: OsFacts) -> str | None:
    door = ctx.door
    env = door.env()
    if env.get("KUBERNETES_SERVICE_HOST"):
        facts.attempts.append(Attempt("env KUBERNETES_SERVICE_HOST", "ok"))
        return "kubernetes"
    if door.exists("/run/.containerenv"):
        facts.attempts.append(Attempt("/run/.containerenv", "ok"))
        return "podman"
    if door.exists("/.dockerenv"):
        facts.attempts.append(Attempt("/.dockerenv", "ok"))
        return "docker"
    if env.get("container"):
        facts.attempts.append(Attempt("env container", "ok", env["container"]))
        return env["container"]
    cgroup = door.read_text("/proc/1/cgroup")
    if cgroup is not None:
        runtime = parse_cgroup_container(cgroup)
        facts.attempts.append(Attempt("/proc/1/cgroup", "ok", runtime or _("no container runtime named")))
        return runtime
    return None


def _linux_details(ctx: ProbeContext, facts: OsFacts) -> None:
    door = ctx.door
    for path in OS_RELEASE_PATHS:
        text = door.read_text(path)
        if text is None:
            facts.attempts.append(Attempt(path, "not_found"))
            continue
        values = parse_os_release(text)
        if "ID" not in values:
            facts.attempts.append(Attempt(path, "unparsed", _("no ID= line")))
            continue
        facts.distro_id = normalise_distro_id(values["ID"])
        facts.distro_version = values.get("VERSION_ID")
        facts.distro_name = values.get("PRETTY_NAME") or values.get("NAME")
        facts.distro_like = values.get("ID_LIKE", "").split()
        facts.source = path
        facts.attempts.append(Attempt(path, "ok", f"{facts.distro_id} {facts.distro_version or ''}".strip()))
        break

    proc_version = door.read_text("/proc/version")
    wsl = parse_proc_version_wsl(proc_version if proc_version is not None else facts.kernel)
    if wsl == "wsl1" and (door.exists("/dev/dxg") or door.env().get("WSL_INTEROP")):
        wsl = "wsl2"
    if wsl:
        facts.attempts.append(Attempt("/proc/version", "ok", wsl))
    facts.wsl = wsl
    facts.container = _detect_container(ctx, facts)


def probe_os(ctx: ProbeContext) -> OsFacts:
    """Operating system facts; never raises."""
    plat = ctx.door.platform()
    facts = OsFacts(
        system=plat.system,
        arch=normalise_arch(plat.machine, plat.system),
        kernel=plat.release or None,
        glibc=plat.glibc or None,
        source="platform",
    )
    if plat.system == "Linux":
        _linux_details(ctx, facts)
    elif plat.system == "Darwin":
        facts.macos_version = plat.mac_ver or None
        facts.distro_id = "macos"
        facts.distro_version = facts.macos_version
        facts.distro_name = f"macOS {plat.mac_ver}" if plat.mac_ver else "macOS"
    elif plat.system == "Windows":
        facts.windows_build = plat.win_ver or None
        facts.windows_release = windows_release(plat.win_ver)
        if facts.windows_release:
            edition = f" {plat.win_edition}" if plat.win_edition else ""
            facts.distro_name = f"Windows {facts.windows_release}{edition} (build {plat.win_ver})"
    return facts


def probe_cpu(ctx: ProbeContext) -> CpuFacts:
    """CPU model, cores, memory and the vector extensions torch's CPU kernels use; never raises."""
    door = ctx.door
    plat = door.platform()
    facts = CpuFacts(
        physical_cores=plat.cpu_count_physical,
        logical_cores=plat.cpu_count_logical,
        memory_total_bytes=plat.memory_total_bytes,
        source="platform",
    )
    if plat.system == "Linux":
        text = door.read_text("/proc/cpuinfo")
        if text is None:
            facts.attempts.append(Attempt("/proc/cpuinfo", "not_found"))
        else:
            info = parse_cpuinfo(text)
            facts.model = info.model
            if info.flags is not None:
                facts.avx2 = "avx2" in info.flags
                facts.avx512 = "avx512f" in info.flags
            facts.source = "/proc/cpuinfo"
            facts.attempts.append(
                Attempt("/proc/cpuinfo", "ok" if info.processors else "unparsed", info.model or "")
            )
    elif plat.system == "Darwin":
        argv = ["sysctl", "-n", "machdep.cpu.brand_string"]
        result = ctx.run(argv)
        facts.attempts.append(attempt_from("sysctl -n machdep.cpu.brand_string", result))
        if result.succeeded and result.stdout.strip():
            facts.model = result.stdout.strip().splitlines()[0]
            facts.source = "sysctl machdep.cpu.brand_string"
    # platform.processor() is a model name only on Windows ("Intel64 Family 6 Model 154 ..."); on
    # Linux and macOS it repeats the architecture.
    if facts.model is None and plat.processor.lower() not in _ARCH_WORDS | {plat.machine.lower()}:
        facts.model = plat.processor
    return facts
