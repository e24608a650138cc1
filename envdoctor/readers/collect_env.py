"""Read a ``python -m torch.utils.collect_env`` report into the facts ``check`` collects.

Every format the script has printed is read (torch 1.x to today; Linux, Windows in any language,
macOS, WSL; CUDA, ROCm and XPU builds), as people paste it: inside markdown fences or ``<details>``,
behind ``> `` quote marks or indentation, after warnings, hand-edited or cut off. Each fact keeps the
report line it came from as its ``source``; a line that cannot be read is listed, never guessed at.

Pure: text in, :class:`CollectEnvReading` out, in one pass over the lines (linear in the text).
"""

from __future__ import annotations

import re
from dataclasses import field

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.facts import (
    AppleFacts,
    Attempt,
    CpuFacts,
    CudaFacts,
    CudaToolkit,
    CudnnFacts,
    CudnnInstall,
    Distribution,
    Facts,
    Gpu,
    NvidiaFacts,
    OsFacts,
    PythonFacts,
    RocmFacts,
    ToolInfo,
    TorchFacts,
    XpuFacts,
)
from envdoctor.i18n import Text, _
from envdoctor.probes.cudnn import library_version
from envdoctor.probes.system import parse_proc_version_wsl, windows_release
from envdoctor.probes.torch_install import NOT_CUDA_LIBRARIES, RECORDED_BESIDE_TORCH
from envdoctor.rules import variant_tag

MARKER = "collecting environment information..."
#: Field labels as the script prints them (lower case), and the name each is read under.
FIELDS = {
    "pytorch version": "torch_version",
    "is debug build": "debug",
    "cuda used to build pytorch": "cuda_compiled",
    "rocm used to build pytorch": "hip_compiled",
    "os": "os",
    "gcc version": "gcc",
    "clang version": "clang",
    "cmake version": "cmake",
    "libc version": "libc",
    "python version": "python_version",
    "python platform": "python_platform",
    "is cuda available": "cuda_available",
    "cuda runtime version": "cuda_runtime",
    "cuda_module_loading set to": "module_loading",
    "gpu models and configuration": "gpus",
    "nvidia driver version": "driver",
    "cudnn version": "cudnn",
    "is xpu available": "xpu_available",
    "xpu used to build pytorch": "xpu_compiled",
    "intel gpu driver version": "intel_driver",
    "intel gpu models onboard": "intel_onboard",
    "intel gpu models detected": "intel_detected",
    "hip runtime version": "hip_runtime",
    "miopen runtime version": "miopen",
    "is xnnpack available": "xnnpack",
    "caching allocator config": "allocator",
    "cpu": "cpu",
    "versions of relevant libraries": "libraries",
}
LABELS = {name: label for label, name in FIELDS.items()}
#: The issue template's checklist labels, filled in by hand, as older reports give them.
TEMPLATE_FIELDS = {"pytorch version": "torch_version", "os": "os", "python version": "python_version",
                   "gpu models and configuration": "gpus", "pytorch": "torch_version"}
#: Labels read without their colon (a report retyped, or its colons lost): two words or more, only
#: fields whose value is one token or a few words, so a line of prose is not taken for a field.
_BARE_LABELS = {label: name for label, name in FIELDS.items() if " " in label and name not in ("cpu", "libraries")}
_LONGEST_LABEL = max(len(label.split()) for label in _BARE_LABELS)
_EXAMPLE = re.compile(r"\((?:e\.g\.|eg\.?)[^)]*\)", re.IGNORECASE)
_TABLE_CELLS = re.compile(r"\s*\|\s*")
#: Fields only this script prints: two of them make a text a collect_env report.
DISTINCTIVE = frozenset({
    "torch_version", "debug", "cuda_compiled", "hip_compiled", "cuda_available", "cuda_runtime", "module_loading",
    "gpus", "driver", "cudnn", "python_platform", "xnnpack", "hip_runtime", "miopen", "libraries", "xpu_available",
})
#: Words one of which every report holds (lower case), looked for before a text is read field by field.
_TELLING = ("pytorch version", "is debug build", "cuda used to build", "rocm used to build", "is cuda available",
            "gpu models and configuration", "nvidia driver version", "relevant libraries", "cudnn version")
#: Fields whose value continues on the following lines.
BLOCKS = frozenset({"gpus", "cudnn", "cpu", "libraries", "intel_driver", "intel_onboard", "intel_detected"})
#: Fields every report since torch 1.0 prints; one missing means the report was cut or edited.
ESSENTIAL = ("torch_version", "cuda_compiled", "os", "python_version", "gpus", "driver", "libraries")
#: What the script prints for a value it did not get.
NOT_COLLECTED = frozenset({"could not collect", "n/a", "no cuda", "none", "", "no relevant packages", "nonetype"})
MAX_LISTED = 20

_ARCH = re.compile(r"-(x86_64|aarch64|arm64|ppc64le|s390x|armv7l|i686|AMD64)(?=-|$)")
_GLIBC = re.compile(r"glibc-?([0-9]+\.[0-9]+)")
_PY_VERSION = re.compile(r"^([0-9]+\.[0-9]+(?:\.[0-9]+)?)")
_BITS = re.compile(r"\(([0-9]{2})-bit runtime\)")
_MSC_MACHINE = re.compile(r"\[MSC v\.[0-9]+ (?:32|64) bit \(([A-Za-z0-9]+)\)\]")
_PARENS_ARCH = re.compile(r"\((x86_64|aarch64|arm64|AMD64|i386|i686|ppc64le|s390x|armv7l)\)$")
_WINDOWS_BUILD = re.compile(r"\b(10\.0\.[0-9]{4,6})\b")
_MAC_VERSION = re.compile(r"(?:macOS|Mac OS ?X|OSX)\s+([0-9]+(?:\.[0-9]+){0,2})", re.IGNORECASE)
_DISTRO_VERSION = re.compile(r"\b([0-9]+(?:\.[0-9]+)?)")
_GPU_LINE = re.compile(r"GPU[ \t]*([0-9]+)[ \t]*:")
_NVIDIA_NAME = re.compile(r"\b(?:NVIDIA|GeForce|Quadro|Tesla|TITAN|RTX|GTX|[AHBLT][0-9]{1,3}0?[A-Z]?\b)")
_GFX = re.compile(r"\((gfx[0-9a-f]{3,4})[^)]{0,64}\)$", re.IGNORECASE)
_XPU_NAME = re.compile(r"name='([^']+)'")
_TAG = re.compile(r"^\[([A-Za-z0-9]+)\]\s*(.*)$")
_PIP_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*={2,3}\s*(\S+)$")
_PIP_OLD = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*\(([^)\s]+)\)$")
_CUDNN_FILE = re.compile(r"libcudnn[a-z_]*\.so\.([0-9]+(?:\.[0-9]+)*)$|cudnn[a-z_]*64_([0-9]+)\.dll$|libcudnn\.([0-9]+)\.dylib$",
                         re.IGNORECASE)
_HTML = re.compile(r"</?(?:details|summary|pre|code|br|p|div|sub|sup|kbd)\b", re.IGNORECASE)
_NAME = re.compile(r"[-_.]+")


@datatype
class Field:
    value: str
    line: int
    text: str  # the line as read (after quote marks and fences were taken off)
    more: list[tuple[int, str]] = field(default_factory=list)  # continuation lines of a block


@datatype
class CollectEnvReading:
    facts: Facts
    lines: int
    unread: list[str] = field(default_factory=list)  # "line 14: <text> (why)"
    missing: list[str] = field(default_factory=list)  # labels of fields the report lacks
    truncated_at: int | None = None  # the last line read, when the report ends early
    notes: list[str] = field(default_factory=list)


def _clean(raw: str) -> tuple[str, bool]:
    """(line, is_markup): a line without quote marks, indentation and backticks; markup is a fence or HTML tag."""
    line = raw.replace("\r", "").replace("\t", " ").strip()
    if line.startswith(">"):
        line = line.lstrip("> ")
    if line.startswith(("```", "~~~")):
        return "", True
    if line.startswith("`"):
        line = line.lstrip("`")
    if line.endswith("`"):
        line = line.rstrip("`")
    if line.startswith("<") and _HTML.match(line):
        return "", True
    return line.strip(), False


def _split(line: str) -> tuple[str | None, str]:
    """(field name, value) of a ``Label: value`` line; (None, line) for any other line. The issue template's
    labels (``PyTorch Version (e.g., 1.0): 1.4``), a markdown list or table row, and a label whose colon was
    lost (``PyTorch version 1.5.0``, ``Is debug build No``) are read too."""
    if line[:2] in ("- ", "* ") or line[:1] == "|":
        line = _TABLE_CELLS.sub(": ", line.strip("|-* ").strip(), count=1).rstrip("| ")
    label, colon, value = line.partition(":")
    if colon:
        key = " ".join(_EXAMPLE.sub("", label).split()).lower()
        name = FIELDS.get(key) or TEMPLATE_FIELDS.get(key)
        if name:
            return name, value.strip()
    words = line.split(None, _LONGEST_LABEL)
    for count in range(min(len(words) - 1, _LONGEST_LABEL), 1, -1):
        name = _BARE_LABELS.get(" ".join(words[:count]).lower())
        if name:
            return name, line.split(None, count)[count].strip().rstrip(":").strip()
    return None, line


def parse_fields(text: str) -> tuple[dict[str, Field], list[tuple[int, str, str]], int, int | None]:
    """The report's fields, the lines inside it that are no field (line, text, why), the number of lines,
    and the line where a second report begins (only the first is read)."""
    fields: dict[str, Field] = {}
    unread: list[tuple[int, str, str]] = []
    block: Field | None = None
    block_name = ""
    started = ended = False
    second: int | None = None
    number = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line, markup = _clean(raw)
        lowered = line.lower()
        if MARKER in lowered:
            if started and second is None:
                second = number
            line = line[lowered.index(MARKER) + len(MARKER):].strip()
        if ended or second is not None:
            continue
        if markup or not line:
            if block_name == "libraries" or (markup and started):
                ended = started
            block, block_name = None, ""
            continue
        name, value = _split(line)
        if name is not None:
            if name in fields:
                if name == "torch_version" and "libraries" in fields:
                    second = number
                else:
                    unread.append((number, line, _("a field given twice: the first is read")))
                continue
            fields[name] = Field(value, number, line)
            started = True
            block, block_name = (fields[name], name) if name in BLOCKS else (None, "")
            continue
        if block is not None:
            if block_name == "libraries" and not line.startswith("["):
                ended = True
                continue
            block.more.append((number, line))
        elif started:
            unread.append((number, line, _("not a field of the report")))
    return fields, unread, number, second


def looks_like_collect_env(text: str) -> bool:
    """Whether ``text`` holds a collect_env report: two fields only that script prints, or its library
    lists (``[pip3] ...`` / ``[conda] ...`` under their heading) when only those were pasted."""
    lowered = text.lower()
    if not any(label in lowered for label in _TELLING):
        return False  # a log of any length without one of the script's labels: no field-by-field reading
    fields = parse_fields(text)[0]
    if len(DISTINCTIVE.intersection(fields)) >= 2:
        return True
    libraries = fields.get("libraries")
    return libraries is not None and any(_TAG.match(line) for _number, line in libraries.more)


# ---------------------------------------------------------------------------- values


def _value(fields: dict[str, Field], name: str) -> str | None:
    found = fields.get(name)
    if found is None or found.value.strip().lower() in NOT_COLLECTED:
        return None
    return found.value.strip()


def _where(fields: dict[str, Field], name: str) -> str:
    found = fields.get(name)
    return _line(found.line, found.text) if found else ""


def _line(number: int, text: str) -> Text:
    """Where a fact was read: the report's line, as it was written."""
    return _("report line {line}: {text}", line=number, text=text[:160])


def _truth(text: str | None) -> bool | None:
    lowered = (text or "").strip().lower()
    return True if lowered in ("true", "yes") else False if lowered in ("false", "no") else None


def _attempt(fields: dict[str, Field], name: str, detail: str = "") -> Attempt:
    found = fields.get(name)
    if found is None:
        return Attempt(f"report: {LABELS[name]}", "not_found", _("not in the report"))
    if _value(fields, name) is None:
        return Attempt(f"report line {found.line}", "not_found",
                       _("{label}: {value}", label=LABELS[name], value=found.value) if found.value else
                       _("{label}: empty", label=LABELS[name]))
    return Attempt(f"report line {found.line}", "ok", detail or found.text[:160])


# ---------------------------------------------------------------------------- sections


@datatype
class _Platform:
    system: str = ""  # "Linux" | "Windows" | "Darwin"
    machine: str | None = None  # of the Python process
    kernel: str | None = None
    glibc: str | None = None
    windows_build: str | None = None
    macos: str | None = None


def _platform(fields: dict[str, Field]) -> _Platform:
    """What ``platform.platform()`` (the 'Python platform' line) says; older reports lack the line."""
    out = _Platform()
    text = _value(fields, "python_platform") or ""
    head, _dash, rest = text.partition("-")
    arch = _ARCH.search(text)
    out.machine = arch.group(1) if arch else None
    glibc = _GLIBC.search(text)
    out.glibc = glibc.group(1) if glibc else None
    if head == "Linux":
        out.system = "Linux"
        out.kernel = rest[: arch.start() - len(head) - 1] if arch else None
    elif head == "Windows":
        out.system = "Windows"
        build = _WINDOWS_BUILD.search(rest)
        out.windows_build = build.group(1) if build else None
    elif head in ("macOS", "Darwin"):
        out.system = "Darwin"
        version = rest.split("-", 1)[0]
        out.macos = version if head == "macOS" and compat.parse_version(version) and version != "10.16" else None
    return out


def _os(fields: dict[str, Field], plat: _Platform, cpu_model: str | None) -> tuple[OsFacts, bool, str | None]:
    """OS facts, whether the machine is Apple silicon (the CPU line says so, whatever the Python runs as), and
    the architecture the Python process reported (the OS line's parentheses are ``platform.machine()``)."""
    facts = OsFacts(source=_where(fields, "os") or _where(fields, "python_platform"))
    text = (_value(fields, "os") or "").rstrip()
    parens = _PARENS_ARCH.search(text[-16:])
    name = text[: len(text) - len(text[-16:]) + parens.start()].strip() if parens else text
    lowered = name.lower()
    system = plat.system
    if not system:
        if "windows" in lowered:
            system = "Windows"
        elif "mac" in lowered or "osx" in lowered:
            system = "Darwin"
        elif text or _value(fields, "libc"):
            system = "Linux"
    facts.system = system
    # an arm64 process on macOS runs on Apple silicon only; an x86_64 one may run there under Rosetta 2,
    # which the CPU line ("Apple M2", "VirtualApple") tells
    apple_silicon = system == "Darwin" and (
        (cpu_model or "").startswith(("Apple M", "Apple A", "VirtualApple"))
        or (plat.machine or (parens.group(1) if parens else "")) == "arm64")
    machine = "arm64" if apple_silicon else (parens.group(1) if parens else plat.machine)
    if machine:
        lowered_machine = machine.lower()
        facts.arch = ("x86_64" if lowered_machine in ("x86_64", "amd64") else
                      ("aarch64" if system == "Linux" else "arm64") if lowered_machine in ("aarch64", "arm64")
                      else machine)
    elif system == "Windows" and _BITS.search(_value(fields, "python_version") or ""):
        facts.arch = "x86_64"  # a 64-bit Python on Windows; torch wheels exist for x86_64 only
    if system == "Linux":
        facts.kernel = plat.kernel
        libc = _GLIBC.search(_value(fields, "libc") or "")
        facts.glibc = plat.glibc or (libc.group(1) if libc else None)
        facts.wsl = parse_proc_version_wsl(plat.kernel) if plat.kernel else None
        if name and name.lower() != "linux":
            facts.distro_name = name
            facts.distro_id = name.split()[0].lower()
            version = _DISTRO_VERSION.search(name)
            facts.distro_version = version.group(1) if version else None
    elif system == "Windows":
        build = _WINDOWS_BUILD.search(text)
        facts.windows_build = plat.windows_build or (build.group(1) if build else None)
        facts.windows_release = windows_release(facts.windows_build) or (
            "11" if "windows 11" in lowered else "10" if "windows 10" in lowered else None)
        facts.distro_name = name or None
    elif system == "Darwin":
        version = _MAC_VERSION.search(text)
        facts.macos_version = (version.group(1) if version else None) or plat.macos
        facts.distro_id = "macos"
        facts.distro_version = facts.macos_version
        facts.distro_name = f"macOS {facts.macos_version}" if facts.macos_version else "macOS"
    facts.attempts.append(_attempt(fields, "os"))
    return facts, apple_silicon, plat.machine or (parens.group(1) if parens else None)


def _python(fields: dict[str, Field], process_machine: str | None, os_facts: OsFacts) -> PythonFacts:
    text = _value(fields, "python_version")
    if text and text[:6].lower() == "python":
        text = text[6:].strip()  # "python 3.6.7", as a filled-in template gives it
    version = _PY_VERSION.match(text or "")
    if version is None:  # cut off, or a value no Python prints: the interpreter is not known
        return PythonFacts(status="unknown", source=_where(fields, "python_version"),
                           attempts=[_attempt(fields, "python_version")])
    bits = _BITS.search(text or "")
    msc = _MSC_MACHINE.search(text or "")
    machine = process_machine or (msc.group(1) if msc else None)
    pointer_bits = compat.parse_count(bits.group(1)) if bits else None
    system = os_facts.system
    if system == "Windows":
        tag = ("win32" if pointer_bits == 32 or (machine or "").lower() in ("intel", "x86")
               else "win-arm64" if (machine or "").lower() == "arm64" else "win-amd64")
        machine = {"win32": "x86", "win-arm64": "ARM64"}.get(tag, "AMD64")
    elif system == "Darwin" and machine:
        tag = f"macosx-{os_facts.macos_version or '11.0'}-{machine}"
    elif system == "Linux" and machine:
        tag = f"linux-{machine}"
    else:
        tag = None
    return PythonFacts(
        status="ok", version=version.group(1), implementation="pypy" if "pypy" in (text or "").lower() else "cpython",
        platform_tag=tag, machine=machine, pointer_bits=pointer_bits, source=_where(fields, "python_version"),
        attempts=[_attempt(fields, "python_version"), _attempt(fields, "python_platform")],
    )


def _cpu(fields: dict[str, Field]) -> CpuFacts:
    facts = CpuFacts(source=_where(fields, "cpu"))
    block = fields.get("cpu")
    if block is None:
        return facts
    lines = ([block.value] if block.value else []) + [text for _number, text in block.more]
    for line in lines:
        key, sep, value = line.partition(":") if ":" in line else line.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep:
            facts.model = facts.model or line.strip()
        elif key in ("model name", "name") and value:
            facts.model = facts.model or value
        elif key == "cpu(s)" and compat.parse_count(value) is not None:
            facts.logical_cores = compat.parse_count(value)
        elif key == "flags":
            flags = set(value.split())
            facts.avx2, facts.avx512 = "avx2" in flags, "avx512f" in flags
    return facts


def _gpus(fields: dict[str, Field], amd: bool, driver: bool = False) -> tuple[list[Gpu], list[Gpu]]:
    """(NVIDIA GPUs, AMD GPUs) of the 'GPU models and configuration' field and the lines under it."""
    block = fields.get("gpus")
    if block is None or _value(fields, "gpus") is None and not block.more:
        return [], []
    entries = ([(block.line, block.value)] if _value(fields, "gpus") else []) + block.more
    nvidia: list[Gpu] = []
    others: list[Gpu] = []
    for number, line in entries:
        source = _line(number, line)
        match = _GPU_LINE.match(line)
        name = line[match.end():].strip() if match else line.strip()
        if "(UUID:" in name:
            name = name[: name.index("(UUID:")].strip()
        tail = name[-80:]
        gfx = _GFX.search(tail)
        if amd or gfx or any(word in name for word in ("AMD", "Radeon", "Instinct")):
            clean = name[: len(name) - len(tail) + gfx.start()].strip() if gfx else name
            others.append(Gpu("amd", len(others), clean, arch=gfx.group(1).lower() if gfx else None, source=source))
        elif match and name:
            index = compat.parse_count(match.group(1))
            nvidia.append(Gpu("nvidia", len(nvidia) if index is None else index, name, source=source))
        elif name and name.lower() not in NOT_COLLECTED and (driver or _NVIDIA_NAME.search(name)):
            # one GPU named bare (older reports, ROCm-less hand edits): with an NVIDIA driver it is an NVIDIA GPU
            nvidia.append(Gpu("nvidia", len(nvidia), name, source=source))
    return nvidia, others


def _nvidia(fields: dict[str, Field], gpus: list[Gpu]) -> NvidiaFacts:
    facts = NvidiaFacts(gpus=gpus, source=_where(fields, "driver"))
    driver = compat.parse_driver(_value(fields, "driver"))
    facts.driver_version = str(driver) if driver else None
    facts.attempts = [_attempt(fields, "driver"), _attempt(fields, "gpus", _("{n} NVIDIA GPU(s)", n=len(gpus)))]
    if "driver" not in fields and "gpus" not in fields:
        facts.status, facts.message = "unknown", _("the report does not reach its driver and GPU lines")
    elif gpus:
        facts.status = "ok"
        facts.source = facts.source or gpus[0].source
    elif driver:
        facts.status, facts.message = "gpus_unknown", _("the report names the driver but lists no GPU")
    else:
        facts.status = "no_driver"
        facts.message = (_("the report names no NVIDIA driver ({value})", value=fields["driver"].value)
                         if "driver" in fields else _("the report names no NVIDIA driver (no line)"))
    return facts


def _cudnn(fields: dict[str, Field]) -> CudnnFacts:
    block = fields.get("cudnn")
    facts = CudnnFacts(attempts=[_attempt(fields, "cudnn")])
    if block is None or _value(fields, "cudnn") is None and not block.more:
        return facts
    entries = [(block.line, block.value)] + block.more
    seen: set[str] = set()
    for number, text in entries:
        path = text.strip()
        name = re.split(r"[\\/]", path)[-1][-255:]  # a file name is at most 255 bytes
        match = _CUDNN_FILE.search(name)
        version = library_version(name) or (next(g for g in match.groups() if g) if match else None)
        if version is None and compat.parse_version(path) is not None and path[:1].isdigit():
            version = path
        if version is None or version in seen:
            continue
        seen.add(version)
        facts.installs.append(CudnnInstall(version, "library", path if path != version else None,
                                           source=_line(number, text)))
    return facts


def _distribution_name(name: str) -> str:
    return _NAME.sub("-", name).lower()


@datatype
class _Libraries:
    pip: list[Distribution] = field(default_factory=list)
    conda: list[Distribution] = field(default_factory=list)
    unread: list[tuple[int, str, str]] = field(default_factory=list)
    pip_listed: bool = False
    conda_listed: bool = False


def _libraries(fields: dict[str, Field]) -> _Libraries:
    """The ``[pip3]`` / ``[pip]`` and ``[conda]`` lines: name, version and, for conda, build and channel."""
    out = _Libraries()
    block = fields.get("libraries")
    for number, line in block.more if block else []:
        match = _TAG.match(line)
        if match is None:
            out.unread.append((number, line, _("not a [pip] or [conda] line")))
            continue
        tag, rest = match.group(1).lower(), match.group(2).strip()
        source = _line(number, line)
        if rest.lower() in NOT_COLLECTED:
            continue
        if tag.startswith("pip"):
            pin = _PIP_PIN.match(rest) or _PIP_OLD.match(rest)
            if pin is None:
                if "@" not in rest:
                    out.unread.append((number, line, _("not name==version")))
                continue
            out.pip_listed = True
            out.pip.append(Distribution(_distribution_name(pin.group(1)), pin.group(2), installer="pip", source=source))
        elif tag == "conda":
            parts = rest.split()
            if len(parts) < 2:
                out.unread.append((number, line, _("not 'name version build channel'")))
                continue
            out.conda_listed = True
            channel = parts[3] if len(parts) > 3 else "defaults"
            out.conda.append(Distribution(_distribution_name(parts[0]), parts[1],
                                          installer="pip" if channel == "pypi" else "conda", source=source,
                                          build=parts[2] if len(parts) > 2 else None, channel=channel))
    return out


def _listed_torch(libraries: _Libraries) -> Distribution | None:
    """The torch the library lists name: conda's pytorch record, else pip's torch."""
    return next((d for d in libraries.conda if d.name == "pytorch" and d.installer == "conda"),
                next((d for d in libraries.pip if d.name == "torch"), None))


def _build_versions(listed: Distribution) -> tuple[str | None, str | None]:
    """(CUDA, ROCm) a listed torch was built for, from its local label or conda build string."""
    tag = variant_tag(listed.version, listed.build) or ""
    rocm = re.fullmatch(r"rocm([0-9.]+)", tag)
    return compat.variant_cuda(tag), (rocm.group(1) if rocm else None)


def _same_interpreter(fields: dict[str, Field], listed: Distribution) -> bool:
    """Whether a library line describes the reporting interpreter: conda's list always does; a ``[pip3]`` list
    beside a Python 2 (or ``[pip]`` beside Python 3) came from another pip."""
    if listed.installer == "conda":
        return True
    python = _PY_VERSION.match(_value(fields, "python_version") or "")
    tag = _TAG.match(listed.source.split(": ", 1)[-1])
    if python is None or tag is None:
        return True
    major = python.group(1).split(".")[0]
    return tag.group(1).lower() == ("pip3" if major == "3" else "pip") or tag.group(1).lower() == "pip"


def _torch(fields: dict[str, Field], libraries: _Libraries) -> TorchFacts:
    version = _value(fields, "torch_version")
    facts = TorchFacts(source=_where(fields, "torch_version"), attempts=[_attempt(fields, "torch_version")])
    listed = _listed_torch(libraries)
    if "torch_version" not in fields and listed is not None:
        # a report pasted from its library lists on: torch as pip or conda records it
        version = listed.version
        facts.source = listed.source
        facts.cuda, facts.hip = _build_versions(listed)
        facts.attempts.append(Attempt(listed.source, "ok",
                                      _("torch read from the library lists: the report's top is missing")))
    if "torch_version" not in fields and listed is None:
        facts.status = "unknown"  # the report is cut above its first line: nothing is known about torch
        return facts
    if version is None or compat.parse_version(version) is None:
        facts.status = "absent" if version is None else "error"
        if version is not None:
            facts.attempts.append(Attempt(_where(fields, "torch_version"), "unparsed",
                                          _("{value} is not a version", value=repr(version))))
        elif listed is not None and _same_interpreter(fields, listed):
            facts.status = "error"  # collect_env could not import torch, yet its interpreter's pip lists it
            facts.attempts.append(Attempt(listed.source, "error", _(
                "the report could not import torch, but {installer} lists {name} {version}",
                installer=listed.installer, name=listed.name, version=listed.version)))
        return facts
    parsed = compat.parse_version(version)
    assert parsed is not None  # checked above
    facts.status, facts.version = "ok", version
    facts.local = parsed.local if parsed else None
    if "torch_version" in fields:
        facts.cuda = _value(fields, "cuda_compiled") if compat.parse_version(_value(fields, "cuda_compiled")) else None
        facts.hip = _value(fields, "hip_compiled")
    facts.xpu = _value(fields, "xpu_compiled")
    facts.debug = _truth(_value(fields, "debug"))
    facts.cuda_available = _truth(_value(fields, "cuda_available"))
    conda_torch = [d for d in libraries.conda if d.name == "pytorch" and d.installer == "conda"]
    pip_torch = [d for d in libraries.pip if d.name == "torch"]
    same = [d for d in conda_torch if (compat.parse_version(d.version) or parsed).public == parsed.public]
    facts.conda = bool(same)
    facts.installer = "conda" if same else "pip" if pip_torch else None
    facts.installs = pip_torch + conda_torch
    companions: dict[str, Distribution] = {}
    for dist in libraries.pip + [d for d in libraries.conda if d.installer == "conda"]:
        if dist.name in RECORDED_BESIDE_TORCH:
            known = companions.get(dist.name)
            same_version = known is not None and (compat.parse_version(known.version) or parsed).public == (
                compat.parse_version(dist.version) or parsed).public
            if known is None or (same_version and dist.installer == "conda"):
                companions[dist.name] = dist
    facts.companions = list(companions.values())
    facts.nvidia_packages = [d for d in libraries.pip
                             if (d.name.startswith("nvidia-") and d.name not in NOT_CUDA_LIBRARIES) or d.name == "cuda-toolkit"]
    return facts


def _xpu(fields: dict[str, Field]) -> XpuFacts:
    present = _truth(_value(fields, "xpu_available")) is True
    devices: list[Gpu] = []
    for name in ("intel_detected", "intel_onboard"):
        block = fields.get(name)
        for number, line in block.more if block else []:
            found = _XPU_NAME.search(line)
            label = found.group(1) if found else line.lstrip("* ").strip()
            if label and label.lower() != "n/a" and (name == "intel_detected" or not devices):
                devices.append(Gpu("intel", len(devices), label, source=_line(number, line)))
        if devices:
            break
    return XpuFacts(present=present or bool(devices), devices=devices, source=_where(fields, "xpu_available"))


def _apple(os_facts: OsFacts, apple_silicon: bool, facts: Facts) -> AppleFacts:
    if os_facts.system != "Darwin":
        return AppleFacts(reason=_("not macOS"))
    possible, reason = compat.mps_possible(compat.target_platform(facts), os_facts.macos_version)
    return AppleFacts(apple_silicon=apple_silicon, macos_version=os_facts.macos_version, mps_possible=possible,
                      reason=reason, source=os_facts.source)


# ---------------------------------------------------------------------------- the whole report


def read_collect_env(text: str) -> CollectEnvReading:
    """The facts of a collect_env report, what could not be read, and what the report does not hold."""
    fields, unread_lines, total, second = parse_fields(text)
    libraries = _libraries(fields)
    plat = _platform(fields)
    cpu = _cpu(fields)
    os_facts, apple_silicon, process_machine = _os(fields, plat, cpu.model)
    python = _python(fields, process_machine, os_facts)
    torch = _torch(fields, libraries)
    amd = bool(torch.hip) or _value(fields, "hip_runtime") is not None
    nvidia_gpus, amd_gpus = _gpus(fields, amd and not torch.cuda, compat.parse_driver(_value(fields, "driver")) is not None)
    facts = Facts(os=os_facts, cpu=cpu, python=python, nvidia=_nvidia(fields, nvidia_gpus), cudnn=_cudnn(fields),
                  xpu=_xpu(fields), torch=torch)
    runtime = _value(fields, "cuda_runtime")
    facts.cuda = CudaFacts(attempts=[_attempt(fields, "cuda_runtime")])
    if compat.parse_version(runtime) is not None:
        # collect_env's "CUDA runtime version" is `nvcc --version`: the toolkit on PATH, not torch's runtime
        facts.cuda.toolkits.append(CudaToolkit(str(runtime), active=True,
                                               source=_("nvcc --version, as {where}",
                                                        where=_where(fields, "cuda_runtime"))))
    if amd or amd_gpus:
        status = "ok" if amd_gpus else "no_gpu" if "gpus" in fields else "unknown"
        facts.rocm = RocmFacts(status=status, version=_value(fields, "hip_runtime"), gpus=amd_gpus,
                               source=_where(fields, "gpus"), attempts=[_attempt(fields, "hip_runtime")])
    facts.apple = _apple(os_facts, apple_silicon, facts)
    if libraries.pip_listed:
        python.tools.append(ToolInfo("pip", source=_where(fields, "libraries")))
    if libraries.conda_listed:
        python.tools.append(ToolInfo("conda", source=_where(fields, "libraries")))

    reading = CollectEnvReading(facts, total)
    problems = sorted(unread_lines + libraries.unread)
    for number, line, why in problems:
        reading.unread.append(_("line {line}: {text} ({why})", line=number, text=line[:160], why=why))
    for name in ("torch_version", "driver", "python_version", "cuda_compiled"):
        value = fields.get(name)
        if value is not None and _value(fields, name) is not None and not _readable(name, _value(fields, name)):
            reading.unread.append(_("line {line}: {text} ({why})", line=value.line, text=value.text[:160],
                                    why=_NOT_A[name]))
    reading.missing = [LABELS[name] for name in ESSENTIAL if name not in fields]
    if "libraries" not in fields and fields:
        reading.truncated_at = max(f.more[-1][0] if f.more else f.line for f in fields.values())
    if second is not None:
        reading.notes.append(_("a second report starts at line {line}: only the first is read", line=second))
    return reading


#: Why a field's value was not read.
_NOT_A = {"torch_version": _("not a torch version"), "driver": _("not a driver version"),
          "python_version": _("not a Python version"), "cuda_compiled": _("not a CUDA version")}


def _readable(name: str, value: str | None) -> bool:
    if name == "driver":
        return compat.parse_driver(value) is not None
    if name == "python_version":
        return _PY_VERSION.match(value or "") is not None
    return compat.parse_version(value) is not None
