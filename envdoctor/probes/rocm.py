"""AMD ROCm: the installed version and the GPUs the ROCm runtime sees.

Sources, in order: ``<rocm>/.info/version``; ``rocminfo`` (HSA agents; the CPU agents are
skipped); when that fails, ``amd-smi static --asic --json`` and then ``rocm-smi --showproductname``.
An MI250X is two GCDs, and every tool lists each GCD as its own GPU, as torch does.
"""

from __future__ import annotations

import json
import posixpath
import re

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.facts import Attempt, Gpu, RocmFacts
from envdoctor.i18n import _
from envdoctor.probes import ProbeContext, attempt_from

DEFAULT_ROCM_PATH = "/opt/rocm"
# rocm-smi of some releases (ROCm 6.1) prints the target as major, minor and a two-digit decimal stepping:
# ``gfx11003`` for gfx1103, ``gfx9010`` for gfx90a. Kept as text, compiled by re on first use: a `check` on a machine
# without AMD GPUs does not compile it.
_GFX_DECIMAL_STEPPING = r"gfx([6-9]|1[0-9])([0-9])([0-9]{2})"


def gfx_target(value: str) -> str | None:
    """The LLVM target a tool names (rocminfo, amd-smi, rocm-smi), as :func:`envdoctor.compat.gfx_base` reads it;
    ``gfx11003`` read as ``gfx1103``.

    A real target has one hex digit of stepping (``gfx906``, ``gfx1030``, ``gfx1151``), so a target written with two
    decimal ones is told apart by its length: five digits, or four after a one-digit major (6 to 9).
    """
    text = value.strip().lower().partition(":")[0]
    decimal = re.fullmatch(_GFX_DECIMAL_STEPPING, text)
    if decimal is not None:
        major, minor, stepping = decimal.groups()
        text = f"gfx{major}{minor}{int(stepping):x}"
    return compat.gfx_base(text)


@datatype
class RocmAgent:
    """One HSA agent of rocminfo."""

    name: str
    marketing_name: str | None = None
    device_type: str | None = None
    uuid: str | None = None
    node: int | None = None


def parse_rocm_version_file(text: str | None) -> str | None:
    """``6.2.4-120`` (the build number after the dash) -> ``6.2.4``."""
    match = re.match(r"\s*([0-9]+\.[0-9]+(?:\.[0-9]+)?)", text or "")
    return match.group(1) if match else None


def parse_rocminfo(text: str | None) -> list[RocmAgent]:
    """Every agent in rocminfo's ``HSA Agents`` section, CPUs included, in listed order.

    Only the agent's own top-level lines count (two-space indent): the ISA entries further down
    repeat ``Name:`` with values like ``amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-``.
    """
    agents: list[RocmAgent] = []
    current: RocmAgent | None = None
    pending = False  # an "Agent N" header was seen and its Name: line not yet
    for line in (text or "").splitlines():
        stripped = line.strip()
        if re.fullmatch(r"Agent [0-9]+", stripped):
            current = None
            pending = True
            continue
        if not line.startswith("  ") or line.startswith("    "):
            continue
        key, sep, value = stripped.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "Name" and pending:
            current = RocmAgent(name=value)
            agents.append(current)
            pending = False
        elif current is None:
            continue
        elif key == "Marketing Name":
            current.marketing_name = value or None
        elif key == "Device Type":
            current.device_type = value
        elif key == "Uuid":
            current.uuid = value or None
        elif key == "Node" and re.fullmatch(r"[0-9]{1,9}", value):
            current.node = int(value)
    return agents


def gpus_from_rocminfo(agents: list[RocmAgent]) -> list[Gpu]:
    gpus: list[Gpu] = []
    for agent in agents:
        if agent.device_type != "GPU":
            continue
        arch = gfx_target(agent.name)
        gpus.append(
            Gpu(
                vendor="amd",
                index=len(gpus),
                name=agent.marketing_name or agent.name,
                uuid=agent.uuid,
                arch=arch,
                source="rocminfo",
            )
        )
    return gpus


def parse_amd_smi_asic_json(text: str | None) -> list[Gpu]:
    """GPUs from ``amd-smi static --asic --json``: a list, or ``{"gpu_data": [...]}`` in newer releases.

    Python warnings printed before the document (seen with Python 3.14) are skipped; with no line opening a
    document, the whole text is read (a document indented as a whole).
    """
    lines = (text or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(("{", "["))), 0)
    try:
        data = json.loads("\n".join(lines[start:]))
    except (ValueError, RecursionError):
        return []
    if isinstance(data, dict):
        data = data.get("gpu_data")
    if not isinstance(data, list):
        return []
    gpus = []
    for position, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("asic"), dict):
            continue
        asic = entry["asic"]
        arch = gfx_target(str(asic.get("target_graphics_version") or ""))
        index = entry.get("gpu")
        gpus.append(
            Gpu(
                vendor="amd",
                index=index if isinstance(index, int) else position,
                # amd-smi writes "N/A" for a field it could not read (amdsmi_commands.py fills the ASIC fields so)
                name=None if asic.get("market_name") in (None, "", "N/A") else asic.get("market_name"),
                arch=arch,
                source="amd-smi static --asic --json",
            )
        )
    return gpus


def parse_rocm_smi_product(text: str | None) -> list[Gpu]:
    """GPUs from ``rocm-smi --showproductname``: ``GPU[0]\t\t: Card series: \t\tAMD Instinct MI250X``."""
    by_index: dict[int, Gpu] = {}
    for line in (text or "").splitlines():
        # split by hand: a regex with spaces on both sides of a group backtracks quadratically
        head, _sep, rest = line.strip().partition("]")
        number = head[4:] if head.startswith("GPU[") else ""
        rest = rest.lstrip()
        if not re.fullmatch(r"[0-9]{1,9}", number) or not rest.startswith(":"):
            continue
        key, sep, value = rest[1:].partition(":")
        if not sep or not key.strip():
            continue
        index, key, value = int(number), key.strip().lower(), value.strip()
        gpu = by_index.setdefault(index, Gpu(vendor="amd", index=index, source="rocm-smi --showproductname"))
        if key == "card series" and value:
            gpu.name = value
        elif key == "gfx version" and (gfx := gfx_target(value)):
            gpu.arch = gfx
    return [by_index[i] for i in sorted(by_index)]


def parse_visible_devices(value: str | None) -> set[int] | None:
    """Indices listed in HIP_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES; None when unset or not plain indices."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not all(re.fullmatch(r"[0-9]{1,9}", p) for p in parts):
        return None
    return {int(p) for p in parts}


def _find_tool(ctx: ProbeContext, root: str, name: str) -> str | None:
    found = ctx.door.which(name)
    if found:
        return found
    candidate = posixpath.join(root, "bin", name)
    return candidate if ctx.door.exists(candidate) else None


def _apply_visibility(ctx: ProbeContext, facts: RocmFacts) -> None:
    env = ctx.door.env()
    for variable in ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"):
        visible = parse_visible_devices(env.get(variable))
        if visible is None:
            continue
        for gpu in facts.gpus:
            if gpu.index not in visible:
                gpu.visible = False
        facts.attempts.append(Attempt(f"env {variable}", "ok", env[variable]))


def probe(ctx: ProbeContext) -> RocmFacts:
    """ROCm version and AMD GPUs; ``absent`` when there is no trace of ROCm; never raises."""
    door = ctx.door
    facts = RocmFacts()
    root = door.env().get("ROCM_PATH") or DEFAULT_ROCM_PATH
    version_file = posixpath.join(root, ".info", "version")
    text = door.read_text(version_file)
    if text is not None:
        facts.version = parse_rocm_version_file(text)
        facts.attempts.append(Attempt(version_file, "ok" if facts.version else "unparsed", facts.version or text[:60]))
        facts.source = version_file

    failure = None
    rocminfo = _find_tool(ctx, root, "rocminfo")
    if rocminfo:
        result = ctx.run([rocminfo])
        agents = parse_rocminfo(result.stdout) if result.succeeded else []
        facts.gpus = gpus_from_rocminfo(agents)
        facts.attempts.append(attempt_from("rocminfo", result, _("{count} GPU agent(s)", count=len(facts.gpus))))
        if not result.succeeded:
            failure = result.status if result.status == "timed_out" else "error"
        elif not agents:
            facts.attempts[-1] = Attempt("rocminfo", "unparsed", _("no HSA agents in the output"), round(result.duration_s, 4))

    if not facts.gpus:
        amd_smi = _find_tool(ctx, root, "amd-smi")
        if amd_smi:
            result = ctx.run([amd_smi, "static", "--asic", "--json"])
            facts.gpus = parse_amd_smi_asic_json(result.stdout) if result.succeeded else []
            found = _("{count} GPU(s)", count=len(facts.gpus))
            facts.attempts.append(attempt_from("amd-smi static --asic --json", result, found))
    if not facts.gpus:
        rocm_smi = _find_tool(ctx, root, "rocm-smi")
        if rocm_smi:
            result = ctx.run([rocm_smi, "--showproductname"])
            facts.gpus = parse_rocm_smi_product(result.stdout) if result.succeeded else []
            facts.attempts.append(attempt_from("rocm-smi --showproductname", result, _("{count} GPU(s)", count=len(facts.gpus))))

    if facts.gpus:
        facts.status = "ok"
        facts.source = facts.gpus[0].source
        _apply_visibility(ctx, facts)
    elif failure:
        facts.status = failure
    elif facts.version or rocminfo:
        facts.status = "no_gpu"
    return facts
