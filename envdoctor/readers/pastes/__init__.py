"""Read whatever someone pasted when torch went wrong: errors, warnings and tracebacks, pip / uv / conda
output, nvidia-smi and its failures, extension builds, loader errors, in any mix and order.

The recognised messages (:mod:`.signals`) stay as evidence for the causes, and what they tell about the
machine (a GPU and its compute capability, the driver's CUDA, the Python, the OS, the torch release)
becomes :class:`~envdoctor.facts.Facts`, so the rules and the resolver judge a paste as they judge a
machine. Whatever a paste does not say stays unknown.

Pure: text in, :class:`PasteReading` out, linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import field

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.facts import Attempt, Distribution, Facts, Gpu
from envdoctor.i18n import _
from envdoctor.readers.pastes.signals import Signal, scan
from envdoctor.readers.pastes.unwrap import repl_prompts, unwrap
from envdoctor.target import unknown_facts

SOURCE = "paste"
_WINDOWS_PATH = re.compile(r"(?:^|[\s\"'(=])[A-Za-z]:\\|WinError|\.dll\b|\\(?:Lib|Scripts)\\", re.IGNORECASE)
_MAC_PATH = re.compile(r"/Users/|/opt/homebrew/|\bmacOS\b|\bDarwin\b|\.dylib\b")
_LINUX_PATH = re.compile(r"/home/|/opt/|/(?:site|dist)-packages/|/usr/(?:local/)?lib/|/root/|\.so(?:\.[0-9]+)*\b"
                         r"|linux-gnu|\bUbuntu\b")
_ARCH = re.compile(r"(x86_64|aarch64|arm64|AMD64|win_amd64|win32)", re.IGNORECASE)
#: Lines looked at for the OS and architecture: the paths near the top say it.
OS_LINES = 400


@datatype
class PasteReading:
    """What the paste says: the recognised messages, the facts they give, and the lines read."""

    facts: Facts
    signals: list[Signal] = field(default_factory=list)
    lines: int = 0
    said: list[str] = field(default_factory=list)  # facts the paste gave, as "python 3.11 (line 4)"

    def first(self, *kinds: str) -> Signal | None:
        return next((s for s in self.signals if s.kind in kinds), None)

    def all(self, *kinds: str) -> list[Signal]:
        return [s for s in self.signals if s.kind in kinds]


def _cuda_of(found: str) -> str | None:
    """The CUDA version in torch's "found version 11040" (CUDA's 1000 * major + 10 * minor)."""
    if not found.isdigit():
        return None
    number = int(found)
    return f"{number // 1000}.{number % 1000 // 10}" if 1000 <= number < 100000 else None


def _os(lines: list[str], reading: PasteReading) -> None:
    facts = reading.facts
    head = "\n".join(lines[:OS_LINES])
    if reading.first("wsl"):
        facts.os.system, facts.os.wsl = "Linux", "wsl2"
    elif _WINDOWS_PATH.search(head):
        facts.os.system = "Windows"
    elif _MAC_PATH.search(head) or reading.first("mps"):
        facts.os.system = "Darwin"
    elif _LINUX_PATH.search(head):
        facts.os.system = "Linux"
    if facts.os.system:
        facts.os.source = _("paths in the paste")
        reading.said.append(_("OS {os} (WSL 2)", os=facts.os.system) if facts.os.wsl else _("OS {os}", os=facts.os.system))
    arch = _ARCH.search(head)
    if arch and facts.os.system:
        value = arch.group(1).lower()
        facts.os.arch = ("x86_64" if value in ("x86_64", "amd64", "win_amd64") else "x86" if value == "win32"
                         else "aarch64" if facts.os.system == "Linux" else "arm64")


def _python(reading: PasteReading) -> None:
    found = reading.first("python_version", "python_path", "wheel")
    if found is None:
        return
    text = found.get("python")
    if found.kind == "wheel" or found.kind == "python_path" and "." not in text:
        text = f"{text.lstrip('cp')[:1]}.{text.lstrip('cp')[1:]}" if text else ""
    if compat.parse_version(text) is None:
        return
    python = reading.facts.python
    python.version, python.source = text, _("paste line {line}", line=found.line)
    reading.said.append(_("Python {version} (line {line})", version=text, line=found.line))


def _nvidia(reading: PasteReading) -> None:
    nvidia = reading.facts.nvidia
    for signal in reading.all("gpu_incompatible", "gpu_too_old"):
        if signal.kind == "gpu_incompatible":
            sm = signal.get("sm").rstrip("abcdefghijklmnopqrstuvwxyz")
            cc = f"{sm[:-1]}.{sm[-1]}"
        else:
            cc = signal.get("cc")
        name = signal.get("name").strip().strip("\"'")
        if any(gpu.name == name for gpu in nvidia.gpus):
            continue
        nvidia.gpus.append(Gpu("nvidia", len(nvidia.gpus), name, compute_capability=cc,
                               arch=compat.sm_name(cc), source=_("paste line {line}", line=signal.line)))
        reading.said.append(_("GPU {name} (compute capability {cc}, line {line})", name=name, cc=cc, line=signal.line))
    header = reading.first("smi_header")
    if header is not None:
        nvidia.driver_version = header.get("driver")
        nvidia.driver_max_cuda = header.get("cuda") or None
        reading.said.append(_("driver {version} (line {line})", version=nvidia.driver_version, line=header.line))
    too_old = next((s for s in reading.all("driver_too_old") if s.get("found")), None)
    if too_old is not None and nvidia.driver_max_cuda is None:
        nvidia.driver_max_cuda = _cuda_of(too_old.get("found"))
        reading.said.append(_("the driver supports CUDA {cuda} (line {line})", cuda=nvidia.driver_max_cuda, line=too_old.line))
    if nvidia.gpus or nvidia.driver_version:
        nvidia.status = "ok" if nvidia.gpus and nvidia.driver_version else "unknown"
        nvidia.source = SOURCE


def _torch(reading: PasteReading) -> None:
    torch = reading.facts.torch
    version = ""
    for signal in reading.signals:
        if signal.kind in ("found_existing", "wheel") and signal.get("package") == "torch":
            version = signal.get("version")
        elif signal.kind in ("torch_version", "cpu_version") and signal.get("version"):
            version = signal.get("version") + ("+cpu" if signal.kind == "cpu_version" else "")
        elif signal.kind == "built_for" and signal.get("torch"):
            version = signal.get("torch")  # xformers' "(you have 2.5.1+cu124)"
        elif signal.kind == "conda_package" and signal.get("package") == "pytorch":
            torch.installs.append(Distribution("torch", signal.get("version"), source=_("paste line {line}", line=signal.line),
                                               build=signal.get("build"), channel=signal.get("channel") or None,
                                               installer="conda"))
        if version:
            torch.source = _("paste line {line}", line=signal.line)
            break
    if version:
        torch.version = version
        torch.local = version.partition("+")[2] or None
        reading.said.append(_("torch {version} ({source})", version=version, source=torch.source))
    _session(reading)
    if reading.first("cpu_build"):
        torch.cuda = None
        torch.local = torch.local or "cpu"
        torch.cuda_available = False


def _session(reading: PasteReading) -> None:
    """What a Python session answered about the torch it imported: the CUDA it was built with and whether it
    found a GPU. (The cuDNN it loaded stays a signal: the facts' cuDNN installs are the machine's, which torch's
    own wheels do not use.)"""
    torch = reading.facts.torch
    cuda = reading.first("torch_cuda")
    if cuda is not None:
        torch.cuda = cuda.get("cuda")
        reading.said.append(_("torch built with CUDA {cuda} (line {line})", cuda=torch.cuda, line=cuda.line))
    available = reading.first("cuda_available")
    if available is not None:
        torch.cuda_available = available.get("available") == "True"
        reading.said.append(_("torch.cuda.is_available() {value} (line {line})", value=available.get("available"),
                              line=available.line))


def _rocm(reading: PasteReading) -> None:
    """The AMD GPU a ROCm error names by its gfx target (and model): its status stays unknown, as nothing
    in a paste says the GPU is usable."""
    gfx = reading.first("gfx") if reading.first("hip_no_binary", "hip_no_gpu", "hsa_override") else None
    if gfx is None:
        return
    card = reading.first("radeon")
    target = gfx.get("gfx").lower()
    name = f"AMD Radeon {card.get('model')}" if card else target
    reading.facts.rocm.gpus.append(Gpu("amd", 0, name, arch=target, source=_("paste line {line}", line=gfx.line)))
    reading.facts.rocm.source = SOURCE
    reading.said.append(_("GPU {name} ({target}, line {line})", name=name, target=target, line=gfx.line))


def read_paste(text: str) -> PasteReading:
    """The messages and facts of a paste (see the module's docstring)."""
    lines = unwrap(text)
    # a text ending in a newline has no line after it (``echo`` adds one; editors do too)
    count = len(lines) - text.endswith("\n")
    reading = PasteReading(unknown_facts(), scan(lines, repl_prompts(text)), count)
    for section in (reading.facts.os, reading.facts.python, reading.facts.nvidia, reading.facts.torch):
        section.source = SOURCE
    reading.facts.python.status = "unknown"
    _os(lines, reading)
    _python(reading)
    _nvidia(reading)
    _torch(reading)
    _rocm(reading)
    reading.facts.os.attempts.append(Attempt(SOURCE, "ok" if reading.signals else "empty",
                                             _("{n} message(s) recognised", n=len(reading.signals))))
    return reading
