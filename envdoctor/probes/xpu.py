"""Intel GPUs, the devices torch's ``xpu`` backend runs on.

The kernel lists every display device under ``/sys/class/drm/cardN/device``; its ``uevent`` names
the PCI vendor, class and slot. Intel integrated graphics always sits at PCI slot ``00:02.0``: it is
listed but not counted as an XPU target, because torch's XPU builds support Arc, Data Center GPU
and recent Core Ultra graphics, not the older UHD/Iris parts. Names come from ``xpu-smi discovery``
or ``sycl-ls`` when either is installed.
"""

from __future__ import annotations

import re

from envdoctor.datatypes import datatype
from envdoctor.facts import Attempt, Gpu, XpuFacts
from envdoctor.i18n import _
from envdoctor.probes import ProbeContext, Threads, attempt_from

DRM_CLASS = "/sys/class/drm"
INTEL_VENDOR = "8086"
INTEGRATED_SLOT = "0000:00:02.0"
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
#: Names of Intel integrated graphics in sycl-ls / xpu-smi output, kept apart from discrete cards.
_INTEGRATED_NAME = r"\b(UHD|Iris|HD Graphics)\b"


@datatype
class PciDevice:
    """What a DRM card's ``device/uevent`` says."""

    vendor: str | None = None  # "8086"
    device: str | None = None  # "56a0"
    pci_class: str | None = None  # "030000"
    slot: str | None = None  # "0000:03:00.0"
    driver: str | None = None  # "i915" | "xe"

    @property
    def is_display(self) -> bool:
        return bool(self.pci_class and self.pci_class.startswith("03"))


def parse_drm_uevent(text: str | None) -> PciDevice:
    """``KEY=value`` lines: ``DRIVER=i915``, ``PCI_CLASS=30000``, ``PCI_ID=8086:591D``, ``PCI_SLOT_NAME=...``."""
    device = PciDevice()
    for line in (text or "").splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep:
            continue
        if key == "DRIVER":
            device.driver = value or None
        elif key == "PCI_CLASS" and re.fullmatch(r"[0-9A-Fa-f]+", value):
            device.pci_class = value.lower().zfill(6)
        elif key == "PCI_ID" and re.fullmatch(r"[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}", value):
            device.vendor, device.device = value.lower().split(":")
        elif key == "PCI_SLOT_NAME":
            device.slot = value or None
    return device


def parse_sysfs_hex(text: str | None) -> str | None:
    """``0x8086\\n`` -> ``8086``; sysfs ``vendor``/``device``/``class`` files."""
    match = re.fullmatch(r"\s*0x([0-9A-Fa-f]+)\s*", text or "")
    return match.group(1).lower() if match else None


_SYCL_LEVEL_ZERO_GPU = r"\[(?:ext_oneapi_)?level_zero:gpu[^\]]*\](?:\[[^\]]*\])?"
_DOTTED_VERSION = r"[0-9]+(?:\.[0-9]+)+"


def _without_trailing_version(text: str) -> str:
    """``Intel(R) Arc(TM) A770 Graphics 1.3 [1.3.28454]`` -> ``Intel(R) Arc(TM) A770 Graphics``."""
    body = text.strip()
    opening = body.rfind("[")
    if not body.endswith("]") or opening < 0:
        return body
    head = body[:opening].rsplit(None, 1)  # split on blanks: neither part keeps a blank at its ends
    if len(head) == 2 and re.fullmatch(_DOTTED_VERSION, head[1]):
        return head[0]
    return body


def parse_sycl_ls(text: str | None) -> list[str]:
    """Level Zero GPU names from ``sycl-ls``.

    Older releases print ``[ext_oneapi_level_zero:gpu:0] Intel(R) Level-Zero, Intel(R) Arc(TM) A770
    Graphics 1.3 [1.3.28454]``, newer ones ``[level_zero:gpu][level_zero:0] Intel(R) Level-Zero, ...``.
    Lines are split by hand rather than by one regex, which backtracked quadratically on long blanks.
    """
    names = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line.startswith("["):  # one leading word (a bullet or a number) may come first
            parts = line.split(None, 1)
            line = parts[1] if len(parts) == 2 else ""
        match = re.match(_SYCL_LEVEL_ZERO_GPU, line)
        if not match:
            continue
        name = _without_trailing_version(line[match.end():].partition(",")[2])  # "" without a comma
        if name:
            names.append(name)
    return names


def parse_xpu_smi_discovery(text: str | None) -> list[str]:
    """Device names from the ``xpu-smi discovery`` table (``| Device Name: Intel(R) ... |``)."""
    names = []
    for line in (text or "").splitlines():
        _before, label, value = line.partition("Device Name:")
        if not label:
            continue
        value = value.strip()
        if value.endswith("|"):
            value = value[:-1].rstrip()
        if value:
            names.append(value)
    return names


def _cards(ctx: ProbeContext) -> list[tuple[str, PciDevice]]:
    door = ctx.door
    found = []
    for entry in door.listdir(DRM_CLASS) or []:
        if not re.fullmatch(r"card[0-9]+", entry):
            continue
        base = f"{DRM_CLASS}/{entry}/device"
        device = parse_drm_uevent(door.read_text(f"{base}/uevent"))
        if device.vendor is None:
            device.vendor = parse_sysfs_hex(door.read_text(f"{base}/vendor"))
            device.device = device.device or parse_sysfs_hex(door.read_text(f"{base}/device"))
        if device.pci_class is None:
            device.pci_class = parse_sysfs_hex(door.read_text(f"{base}/class"))
        found.append((entry, device))
    return found


def _tool_names(ctx: ProbeContext, facts: XpuFacts) -> list[str]:
    """Names from xpu-smi and sycl-ls, asked side by side; an empty list when neither answers."""
    commands = {
        "xpu-smi discovery": (ctx.door.which("xpu-smi"), ["discovery"], parse_xpu_smi_discovery),
        "sycl-ls": (ctx.door.which("sycl-ls"), [], parse_sycl_ls),
    }
    runnable = {label: (path, args, parse) for label, (path, args, parse) in commands.items() if path}
    if not runnable:
        return []
    with Threads("envdoctor-xpu") as pool:
        futures = {label: pool.submit(ctx.run, [path, *args]) for label, (path, args, _parse) in runnable.items()}
        answers = {label: future.result() for label, future in futures.items()}
    for label, result in answers.items():
        names = runnable[label][2](result.stdout) if result.succeeded else []
        facts.attempts.append(attempt_from(label, result, ", ".join(names) or _("no GPU listed")))
        if names:
            return names
    return []


def probe(ctx: ProbeContext) -> XpuFacts:
    """Intel GPUs; ``present`` only for discrete or data-centre parts; never raises."""
    facts = XpuFacts()
    if ctx.door.platform().system != "Linux":
        return facts
    cards = _cards(ctx)
    if not cards:
        facts.attempts.append(Attempt(DRM_CLASS, "not_found", _("no DRM cards")))
        return facts
    intel = [(entry, device) for entry, device in cards if device.vendor == INTEL_VENDOR and device.is_display]
    facts.attempts.append(Attempt(DRM_CLASS, "ok", _("{cards} card(s), {intel} Intel", cards=len(cards), intel=len(intel))))
    if not intel:
        return facts
    names = [name for name in _tool_names(ctx, facts) if not re.search(_INTEGRATED_NAME, name)]
    discrete = 0
    for index, (entry, device) in enumerate(intel):
        integrated = device.slot == INTEGRATED_SLOT
        source = f"{DRM_CLASS}/{entry} (PCI 8086:{device.device or '?'}, driver {device.driver or '?'})"
        if integrated:
            source = _("{source}: integrated graphics, not counted as an XPU target", source=source)
            name = None
        else:
            name = names[discrete] if discrete < len(names) else None
            discrete += 1
        facts.devices.append(Gpu(vendor="intel", index=index, name=name, pci_bus_id=device.slot, source=source))
    facts.present = discrete > 0
    facts.source = DRM_CLASS
    return facts
