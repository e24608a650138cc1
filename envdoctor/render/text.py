"""Render a Report as a checklist for people.

Colour only repeats the mark, so an uncoloured log reads the same; whether to colour is decided by
:func:`use_color` (``--color``, ``NO_COLOR``, ``FORCE_COLOR``, ``TERM=dumb``, TTY).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

import click

from envdoctor import __version__
from envdoctor.compat import TORCH_FAMILY
from envdoctor.datatypes import datatype
from envdoctor.facts import Check, Facts, Finding
from envdoctor.i18n import Text, _, can_write, display_width, pad, say
from envdoctor.render.printable import format_number, printable, scrub
from envdoctor.report import Report
from envdoctor.toolkit import NONE_NEEDED

MARKS = {"ok": "✓", "warning": "!", "error": "✗", "skip": "-", "info": "i"}
ASCII_MARKS = {"ok": "ok", "warning": "warn", "error": "FAIL", "skip": "skip", "info": "info"}
#: Every non-ASCII symbol the text rendering writes, and what an ASCII-only stream gets instead.
SYMBOLS = {"✓": "ok", "✗": "FAIL", "→": "->", "↳": "why:", "←": "<-", "≤": "<=", "·": "|"}
_ASCII_SYMBOLS = str.maketrans(SYMBOLS)
COLORS = {"ok": "green", "warning": "yellow", "error": "red", "skip": None, "info": "cyan"}
RANK = {"skip": 0, "ok": 1, "info": 1, "warning": 2, "error": 3}
CHECK_STATUS = {"pass": "ok", "fail": "error", "skip": "skip", "warn": "warning"}
AREAS = (
    ("system", _("System")),
    ("python", "Python"),
    ("gpu", _("GPU and driver")),
    ("cuda", _("CUDA toolkit")),
    ("cudnn", "cuDNN"),
    ("torch", "PyTorch"),
)


def use_color(choice: str, env: Mapping[str, str], isatty: bool) -> bool:
    """The first rule that applies wins: flag, NO_COLOR, FORCE_COLOR, TERM=dumb, TTY."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR") or env.get("CLICOLOR_FORCE"):
        return True
    if env.get("TERM") == "dumb":
        return False
    return isatty


@datatype
class Line:
    """One row of the checklist: what it is about, its value and status, and the evidence and findings under it."""

    area: str
    subject: str
    title: str
    value: str
    status: str = "ok"
    evidence: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _gib(value: int | None, unit: int) -> str:
    return f"{value / unit:.1f} GiB" if value else "?"


#: how each attempt went, as -v shows it (the JSON keeps the status word itself)
ATTEMPT_STATUS = {"ok": _("ok"), "not_found": _("not_found"), "timed_out": _("timed_out"), "error": _("error"),
                  "empty": _("empty"), "unparsed": _("unparsed")}


#: what the NVIDIA driver row says beside the version when the probe did not end "ok"
NVIDIA_STATUS = {"gpus_unknown": _("gpus unknown"), "no_gpu": _("no gpu"), "driver_mismatch": _("driver mismatch"),
                 "timed_out": _("timed out"), "error": _("error")}


def _attempts(section) -> list[str]:
    out = []
    for attempt in getattr(section, "attempts", []):
        took = f" ({attempt.duration_s * 1000:.0f} ms)" if attempt.duration_s is not None else ""
        detail = f": {say(attempt.detail)}" if attempt.detail else ""
        out.append(f"{say(attempt.source)} → {say(ATTEMPT_STATUS.get(attempt.status, attempt.status))}{detail}{took}")
    return out


def _dots(parts: list[str]) -> str:
    """The non-empty parts of one checklist value, each said in the run's language, joined by ' · '."""
    return " · ".join(say(part) for part in parts if part)


def _source(source: str) -> Text:
    return _("source ← {source}", source=source)


NOT_DESCRIBED = _("not described")


def checklist(facts: Facts) -> list[Line]:
    """One line per fact, grouped by area; findings are attached later by subject.

    For a described machine (``--target-*``) what the description did not give reads "not described",
    never "none found" or an error: nothing was looked for. A value of several parts is said here, in
    the run's language; a title or a one-part value is a Text, said where it is shown.
    """
    lines: list[Line] = []
    described = facts.python.status == "unknown"
    os_ = facts.os
    parts: list[str] = [os_.distro_name or " ".join(p for p in (os_.system, os_.macos_version or os_.windows_build) if p)]
    parts.append(os_.arch or ("" if described else "?"))
    if os_.kernel and os_.system == "Linux":
        parts.append(_("kernel {version}", version=os_.kernel))
    if os_.glibc:
        parts.append(f"glibc {os_.glibc}")
    if os_.wsl:
        parts.append(os_.wsl.upper())
    if os_.container:
        parts.append(_("in a {container} container", container=os_.container))
    os_value = _dots(parts)
    lines.append(Line("system", "os", _("OS"), os_value or (NOT_DESCRIBED if described else "?"),
                      "ok" if os_value or not described else "skip", evidence=_attempts(os_)))
    cpu = facts.cpu
    cpu_parts: list[str] = [cpu.model or (NOT_DESCRIBED if described else _("unknown CPU"))]
    if cpu.physical_cores or cpu.logical_cores:
        cpu_parts.append(_("{cores} cores / {threads} threads", cores=cpu.physical_cores or "?",
                           threads=cpu.logical_cores or "?"))
    if cpu.memory_total_bytes:
        cpu_parts.append(_("{size} RAM", size=_gib(cpu.memory_total_bytes, 1 << 30)))
    flags = [name for name, on in (("AVX2", cpu.avx2), ("AVX-512", cpu.avx512)) if on]
    if flags:
        cpu_parts.append(", ".join(flags))
    lines.append(Line("system", "cpu", "CPU", _dots(cpu_parts), "skip" if cpu_parts == [NOT_DESCRIBED] else "ok",
                      evidence=_attempts(cpu)))
    lines.extend(_limits_lines(facts))

    py = facts.python
    value: str
    if py.status == "ok":
        where: str = ("venv" if py.in_venv else (_("conda env {name}", name=py.conda_env_name) if py.conda_prefix
                                                  else _("system")))
        # a pasted report (diagnose) says neither where the interpreter is nor whether it is a venv
        where = where if py.executable or py.in_venv is not None else ""
        value = _dots([f"{py.version} ({py.implementation}{py.abi_flags})", where, py.executable or ""])
        status = "ok"
    elif described:
        value, status = (_("{version} (the interpreter is not described)", version=f"{py.version}{py.abi_flags}")
                         if py.version else NOT_DESCRIBED), "skip"
    else:
        value, status = f"{py.executable or '?'}: {py.status}", "error"
    lines.append(Line("python", "python", "Python", value, status, _attempts(py)))
    tools = [f"{t.name} {t.version or '?'}" for t in py.tools]
    lines.append(Line("python", "python.tools", _("Installers"),
                      _dots(tools) or (NOT_DESCRIBED if described else _("none found")),
                      "ok" if tools else "skip" if described else "warning"))

    nv = facts.nvidia
    driver = _("NVIDIA driver")
    if nv.status == "unknown":
        lines.append(Line("gpu", "nvidia.driver", driver, NOT_DESCRIBED, "skip"))
    elif nv.status == "no_driver":
        lines.append(Line("gpu", "nvidia.driver", driver, _("not found"), "skip", _attempts(nv)))
    else:
        value = say(nv.driver_version or _("unknown version"))
        if nv.driver_max_cuda:
            value += " " + say(_("(supports CUDA ≤ {cuda})", cuda=nv.driver_max_cuda))
        if nv.status not in ("ok",):
            value += f" · {say(NVIDIA_STATUS.get(nv.status, nv.status.replace('_', ' ')))}"
        source = _source(nv.source) if nv.source else _("source")
        lines.append(Line("gpu", "nvidia.driver", driver, value, evidence=[say(source)] + _attempts(nv)))
    for gpu in nv.gpus:
        bits: list[str] = [gpu.name or "?"]
        if gpu.compute_capability:
            bits.append(_("compute capability {capability}", capability=gpu.compute_capability))
        if gpu.memory_total_mib:
            bits.append(_gib(gpu.memory_total_mib, 1024))
        if gpu.memory_used_mib is not None:
            bits.append(_("{size} in use", size=_size(gpu.memory_used_mib << 20)))
        if gpu.mig_mode == "enabled":
            bits.append(_("MIG on"))
        if not gpu.visible:
            bits.append(_("hidden by CUDA_VISIBLE_DEVICES"))
        lines.append(Line("gpu", "nvidia.gpus", f"GPU {gpu.index}", _dots(bits),
                          "ok" if gpu.visible else "skip", [say(_source(gpu.source))] if gpu.source else []))
    rocm = facts.rocm
    if rocm.status not in ("absent", "unknown") or rocm.gpus:
        value = f"ROCm {rocm.version or '?'}"
        if rocm.gpus:
            value += " · " + ", ".join(f"{g.name or '?'} ({g.arch})" for g in rocm.gpus)
        lines.append(Line("gpu", "rocm", "AMD ROCm", value, "ok" if rocm.status == "ok" else "warning", _attempts(rocm)))
    if facts.xpu.present:
        names = ", ".join(d.name or "?" for d in facts.xpu.devices) or _("present")
        lines.append(Line("gpu", "xpu", _("Intel GPU"), names, evidence=_attempts(facts.xpu)))
    if facts.os.system == "Darwin":
        apple = facts.apple
        value = (_("possible") if apple.mps_possible else NOT_DESCRIBED if described
                 else _("not available: {reason}", reason=apple.reason))
        lines.append(Line("gpu", "apple", "Apple MPS", value, "ok" if apple.mps_possible else "skip"))
    if nv.status != "unknown" and not (nv.gpus or rocm.gpus or facts.xpu.present or facts.apple.mps_possible):
        lines.append(Line("gpu", "gpu.none", _("Accelerator"), _("none found: torch will run on the CPU"), "skip"))

    toolkits = facts.cuda.toolkits
    toolkit = _("CUDA toolkit")
    for kit in toolkits:
        value = say(_("{version} (active)", version=kit.version) if kit.active else f"{kit.version}")
        value += f" · {kit.path}" if kit.path else ""
        lines.append(Line("cuda", "cuda.toolkit", toolkit, value, evidence=[say(_source(kit.source))]))
    if not toolkits:
        lines.append(Line("cuda", "cuda.toolkit", toolkit,
                          NOT_DESCRIBED if described else NONE_NEEDED, "skip",
                          _attempts(facts.cuda)))
    for install in facts.cudnn.installs:
        where = install.package or install.path or ""
        lines.append(Line("cudnn", "cudnn", "cuDNN", f"{install.version or '?'} · {install.kind} · {where}",
                          evidence=[say(_source(install.source))] if install.source else []))
    if not facts.cudnn.installs:
        lines.append(Line("cudnn", "cudnn", "cuDNN", NOT_DESCRIBED if described else NONE_NEEDED, "skip",
                          _attempts(facts.cudnn)))

    torch = facts.torch
    if torch.status == "ok":
        build = (f"CUDA {torch.cuda}" if torch.cuda else f"ROCm {torch.hip}" if torch.hip
                 else f"XPU {torch.xpu}" if torch.xpu else say(_("CPU-only build")))
        value = f"{torch.version} · {build} · {'conda' if torch.conda else torch.installer or '?'}"
        lines.append(Line("torch", "torch", "torch", value,
                          evidence=[say(torch.location or torch.source)] + _attempts(torch)))
    elif torch.status == "unknown" and torch.version:  # what a paste told, not probed
        parts = [torch.version] + ([f"CUDA {torch.cuda}"] if torch.cuda else [])
        if torch.cuda_available is not None:
            parts.append(f"torch.cuda.is_available() {torch.cuda_available}")
        lines.append(Line("torch", "torch", "torch", _dots(parts), "skip",
                          [say(torch.source)] if torch.source else []))
    else:
        text = {"absent": _("not installed"), "unknown": NOT_DESCRIBED}.get(torch.status, torch.status)
        lines.append(Line("torch", "torch", "torch", text, "skip" if torch.status in ("absent", "unknown") else "error",
                          _attempts(torch)))
    companions = [f"{d.name} {d.version}" for d in torch.companions]
    if companions:
        lines.append(Line("torch", "torch.companions", _("Companions"), " · ".join(companions)))
    return lines


def _size(value: int) -> str:
    return f"{value / (1 << 30):.1f} GiB" if value >= (1 << 30) else f"{value / (1 << 20):.0f} MiB"


SHM_SOURCE, LIMITS_SOURCE = "/dev/shm", "/proc/self/limits"


def _limits_lines(facts: Facts) -> list[Line]:
    """/dev/shm, cgroup limits and open files, each only when it was read (Linux)."""
    limits, lines = facts.limits, []
    # one probe reads all three: each line shows the reads behind it, not every read of the probe
    shm_read = [a for a in _attempts(limits) if a.startswith(SHM_SOURCE)]
    limits_read = [a for a in _attempts(limits) if a.startswith(LIMITS_SOURCE)]
    cgroup_read = [a for a in _attempts(limits) if a not in shm_read and a not in limits_read]
    if limits.shm_total_bytes is not None and limits.shm_free_bytes is not None:
        lines.append(Line("system", "limits.shm", _("Shared memory"),
                          _("/dev/shm {total} · {free} free", total=_size(limits.shm_total_bytes),
                            free=_size(limits.shm_free_bytes)), evidence=shm_read))
    if limits.cgroup:
        parts = [_("{cpus:g} CPU(s)", cpus=limits.cpu_limit) if limits.cpu_limit is not None else _("no CPU quota"),
                 _("{size} memory", size=_size(limits.memory_limit_bytes)) if limits.memory_limit_bytes is not None
                 else _("no memory limit"), f"cgroup {limits.cgroup}"]
        lines.append(Line("system", "limits.cgroup", "cgroup", _dots(parts), evidence=cgroup_read))
    if limits.open_files_soft is not None:
        hard = limits.open_files_hard if limits.open_files_hard is not None else _("unlimited")
        lines.append(Line("system", "limits.open-files", _("Open files"),
                          _("ulimit -n {soft} (hard {hard})", soft=limits.open_files_soft, hard=hard),
                          evidence=limits_read))
    return lines


def attach(lines: list[Line], findings: list[Finding]) -> list[Line]:
    """Give each finding to the first line of its subject (or a new line in its area)."""
    for finding in findings:
        target = next((line for line in lines if line.subject == finding.subject), None)
        if target is None:
            target = Line(finding.area, finding.subject or finding.id, finding.id, "", "ok")
            lines.append(target)
        target.findings.append(finding)
        if RANK[finding.severity] > RANK[target.status]:
            target.status = finding.severity
    return lines


class Painter:
    def __init__(self, color: bool, ascii_only: bool) -> None:
        self.color = color
        self.marks = ASCII_MARKS if ascii_only else MARKS
        self.arrow, self.why = ("->", "why:") if ascii_only else ("→", "↳")

    def mark(self, status: str) -> str:
        text = f"[{self.marks[status]}]"
        if self.color and COLORS.get(status):
            return click.style(text, fg=COLORS[status], bold=status == "error")
        if self.color and status == "skip":
            return click.style(text, dim=True)
        return text


def _command(argv: list[str]) -> str:
    import shlex

    return shlex.join(argv)


def _finding_lines(finding: Finding, paint: Painter, verbose: int) -> list[str]:
    out = [f"      {paint.mark(finding.severity)} {say(finding.message)}  ({finding.id})"]
    if finding.fix:
        out.append(f"          {paint.arrow} {say(finding.fix)}")
    for argv in finding.commands:
        out.append(f"          $ {_command(argv)}")
    if verbose:
        out.extend(f"          {paint.why} {say(item)}" for item in finding.evidence)
    return out


def render_checklist(lines: list[Line], paint: Painter, verbose: int, quiet: bool) -> list[str]:
    out: list[str] = []
    width = max((display_width(say(line.title)) for line in lines), default=10) + 2
    for area, heading in AREAS:
        area_lines = [line for line in lines if line.area == area]
        if quiet:
            area_lines = [line for line in area_lines if line.status in ("warning", "error")]
        if not area_lines:
            continue
        out.append(say(heading))
        for line in area_lines:
            out.append(f"  {paint.mark(line.status)} {pad(say(line.title), width)}{say(line.value)}".rstrip())
            if verbose:
                out.extend(f"        {paint.why} {say(item)}" for item in line.evidence)
            for finding in line.findings:
                if quiet and finding.severity not in ("warning", "error"):
                    continue
                out.extend(_finding_lines(finding, paint, verbose))
    return out


def _metric_text(check: Check) -> str:
    bits = []
    metrics = check.metrics
    if "tflops" in metrics:
        text = f"{format_number(metrics['tflops'], '.3g')} TFLOP/s"
        if metrics.get("peak_tflops"):
            fraction = metrics.get("fraction_of_peak", 0)
            percent = fraction * 100 if isinstance(fraction, (int, float)) else None
            text += " " + say(_("of {peak} peak ({percent}%)", peak=format_number(metrics["peak_tflops"], "g"),
                                  percent=format_number(percent, ".0f")))
        bits.append(text)
    if "gb_per_s" in metrics:
        bits.append(f"{format_number(metrics['gb_per_s'], '.3g')} GB/s")
    if "max_abs_error" in metrics:
        bits.append(say(_("max err {error}", error=format_number(metrics["max_abs_error"], ".2g"))))
    if "import_s" in metrics:
        bits.append(say(_("import {seconds} s", seconds=format_number(metrics["import_s"], ".2f"))))
    return " · ".join(bits)


def render_checks(checks: list[Check], paint: Painter, verbose: int, quiet: bool) -> list[str]:
    if not checks:
        return []
    out = [say(_("Verify"))]
    width = max(len(c.id) for c in checks) + 2
    for check in checks:
        status = CHECK_STATUS.get(check.status, "error")
        if quiet and status != "error":
            continue
        took = f"{format_number(check.duration_s * 1000, '8.1f')} ms" if isinstance(check.duration_s, (int, float)) else " " * 11
        extra = " · ".join(p for p in (say(check.message), _metric_text(check)) if p)
        out.append(f"  {paint.mark(status)} {pad(check.id, width)}{took}  {extra}".rstrip())
        if verbose and check.details:
            for key, value in check.details.items():
                out.append(f"        {paint.why} {key}: {say(value) if isinstance(value, str) else value}")
    return out if len(out) > 1 else []  # -q with nothing failed: no heading over nothing


#: The area of the findings that say why an install did not run: shown with the plan, not on a fact's row.
INSTALL_AREA = "install"


def render_plan(plan: Mapping[str, Any], paint: Painter, verbose: int, refusals: list[Finding] | None = None) -> list[str]:
    out = [say(_("Plan"))]
    if plan.get("ok"):
        action = {"nothing_to_do": _("nothing to do: the installed torch already fits"),
                  "reinstall": _("reinstall the torch family"),
                  "install": _("install")}.get(str(plan.get("action")), plan.get("action"))
        out.append(f"  {paint.mark(plan.get('mark', 'ok'))} torch {plan.get('torch')} · {plan.get('variant')} · {_said(action)}")
        out.extend(_environment_lines(plan))
        out.extend(_change_lines(plan, paint))
        # nothing to run: the installer lines would read as something to do
        commands = {} if plan.get("action") == "nothing_to_do" else plan.get("commands") or {}
        out.extend(_index_lines(plan) if commands else [])
        for manager, argv in commands.items():
            if argv:
                out.extend(_step_lines(plan, manager))
            elif verbose or manager == plan.get("manager"):
                note = (plan.get("command_notes") or {}).get(manager, _("not available"))
                none = say(_("(none: {note})", note=note))
                out.append(f"      {pad(manager, 6)} {none}")
    else:
        out.append(f"  {paint.mark('error')} " + say(_("no torch build fits this machine")))
        for alternative in plan.get("alternatives") or []:
            message = alternative if isinstance(alternative, str) else alternative.get("message", alternative)
            out.append(f"      {paint.arrow} {_said(message)}")
    out.extend(_context_lines(plan, paint))
    out.extend(_run_lines(plan, paint))
    if refusals:
        out.append("  " + say(_("Not run")))
        for finding in refusals:
            out.extend(_finding_lines(finding, paint, verbose))
    out.append("  " + say(_("Why")))
    for reason in plan.get("reasons") or []:
        if isinstance(reason, Mapping):
            text = say(reason.get("decision", ""))
            if verbose and reason.get("evidence"):
                text += f"  [{say(reason['evidence'])}]"
        else:
            text = say(str(reason) if not isinstance(reason, str) else reason)
        out.append(f"      {paint.why} {text}")
    rejected = plan.get("rejected") or []
    if rejected:
        out.append("  " + say(_("Rejected ({count})", count=len(rejected)) if verbose
                              else _("Rejected ({count}): -v lists them", count=len(rejected))))
        if verbose:
            for item in rejected:
                text = say(item) if isinstance(item, str) else " ".join(_said(v) for v in item.values())
                out.append(f"      - {text}")
    return out


def _said(value: Any) -> str:
    """A value of a plan (a Text, another string, a number) as shown."""
    return say(value) if isinstance(value, str) else f"{value}"


def _context_lines(plan: Mapping[str, Any], paint: Painter) -> list[str]:
    """The plan's limits, notes and warnings, one mark each."""
    out = []
    for limit in plan.get("limits") or []:
        out.append(f"  {paint.mark('info')} {_said(limit.get('message') if isinstance(limit, Mapping) else limit)}")
    for note in plan.get("notes") or []:
        out.append(f"  {paint.mark('info')} {_said(note)}")
    for warning in plan.get("warnings") or []:
        out.append(f"  {paint.mark('warning')} {_said(warning)}")
    return out


_ENVIRONMENTS = {"conda": _("conda environment"), "venv": "venv", "system": _("system Python")}


def _environment(plan: Mapping[str, Any]) -> str | None:
    """Where the plan installs ('conda environment /opt/env'), as shown; None when the plan does not say."""
    env = plan.get("environment") or {}
    kind = env.get("kind")
    if kind not in _ENVIRONMENTS:
        return None
    where = env.get("prefix") if kind == "conda" else env.get("python")
    return f"{say(_ENVIRONMENTS[kind])} {where or '?'}"


def _environment_lines(plan: Mapping[str, Any]) -> list[str]:
    environment = _environment(plan)
    return [] if environment is None else ["      " + pad(say(_("into")), 6) + f" {environment}"]


def _change_lines(plan: Mapping[str, Any], paint: Painter) -> list[str]:
    """What is installed now -> what will be, one package a line."""
    changes = [c for c in plan.get("changes") or [] if isinstance(c, Mapping)]
    if not changes:
        return []
    width = max(display_width(str(change.get("package"))) for change in changes) + 2
    rows = []
    for change in changes:
        action = str(change.get("action"))
        if action == "keep":
            text = say(_("{version} (kept)", version=change.get("current")))
            shown_action = ""
        else:
            current = say(change.get("current") or _("not installed"))
            text = f"{current} {paint.arrow} {change.get('new')}"
            detail = change.get("detail")
            shown_action = say(_CHANGE_ACTIONS.get(action, action))
            if detail:
                shown_action = say(_("{action} ({detail})", action=shown_action, detail=detail)
                                   if change.get("package") in TORCH_FAMILY
                                   else _("{action}, {detail}", action=shown_action, detail=detail))
        rows.append((str(change.get("package")), text, shown_action))
    text_width = max(display_width(text) for _name, text, _action in rows) + 2
    return [f"      {pad(name, width)}{pad(text, text_width)}{action}".rstrip() for name, text, action in rows]


#: What a plan does to one package, as a person reads it (the plan's JSON keeps the word).
_CHANGE_ACTIONS = {"install": _("install"), "upgrade": _("upgrade"), "downgrade": _("downgrade"),
                   "reinstall": _("reinstall")}


def _index_lines(plan: Mapping[str, Any]) -> list[str]:
    indexes = plan.get("indexes") or {}
    torch = indexes.get("torch")
    out = []
    index = pad(say(_("index")), 6)
    if torch and torch.get("url"):
        via = f" ({say(torch['mirror'])})" if torch.get("mirror") else ""
        layout = " · " + say(_("find-links page")) if torch.get("layout") == "find-links" else ""
        out.append(f"      {index} {torch['url']}{layout}{via}")
    elif plan.get("index_url"):
        out.append(f"      {index} {plan['index_url']}")
    others = indexes.get("others") or {}
    has_others = any(c.get("package") not in TORCH_FAMILY for c in plan.get("changes") or []
                     if isinstance(c, Mapping))
    if has_others or others.get("url"):
        source = (f"{others['url']} ({_said(others.get('from'))})" if others.get("url")
                  else say(others.get("from") or _("your own index")))
        out.append("      " + say(_("others from {source}", source=source)))
    return out


def _step_lines(plan: Mapping[str, Any], manager: str) -> list[str]:
    """A manager's commands, one per step, as they paste into the target's shell(s)."""
    lines = (plan.get("command_lines") or {}).get(manager)
    steps = (plan.get("steps") or {}).get(manager) or [(plan.get("commands") or {}).get(manager)]
    if not lines:
        lines = {"posix": [_command(argv) for argv in steps if argv]}
    out = []
    label = manager
    prompts = {"posix": "$", "powershell": "PS>", "cmd": "cmd>"}
    for shell, texts in lines.items():
        for number, text in enumerate(texts, 1):
            step = f"{number}. " if len(texts) > 1 else ""
            shown = text if text is not None else say(_("(this argv cannot be written for {shell}; see --json)", shell=shell))
            out.append(f"      {pad(label, 6)} {prompts.get(shell, '$')} {step}{shown}")
            label = ""
    return out


def _run_lines(plan: Mapping[str, Any], paint: Painter) -> list[str]:
    """What a real install did: the index checks, each step, the torch before and after."""
    run = plan.get("run")
    if not isinstance(run, Mapping):
        return []
    out = ["  " + say(_("Ran"))]
    for check in run.get("index_checks") or []:
        out.append(f"      {paint.mark('ok' if check.get('ok') else 'error')} {_said(check.get('message'))}")
    for step in run.get("steps") or []:
        ok = step.get("status") == "ok" and step.get("returncode") == 0
        took = f" · {step['duration_s']:.1f} s" if isinstance(step.get("duration_s"), (int, float)) else ""
        ended = "" if ok else f" · {step.get('status')} {step.get('returncode') if step.get('returncode') is not None else ''}"
        out.append(f"      {paint.mark('ok' if ok else 'error')} {_command(step.get('argv') or [])}{took}{ended.rstrip()}")
    before = say((run.get("before") or {}).get("torch") or _("not installed"))
    after = say(((run.get("after") or {}).get("torch") if run.get("after") else None) or _("not installed"))
    out.append(f"      {paint.mark('ok' if run.get('applied') else 'error')} torch {before} {paint.arrow} "
               f"{after} · {_said(run.get('summary'))}")
    return out


def render_preview(plan: Mapping[str, Any], manager: str, color: bool, ascii_only: bool) -> str:
    """The plan as shown before asking for confirmation: what changes, why not newer, what will run."""
    paint = Painter(color, ascii_only)
    plan = scrub(plan, printable)
    environment = _environment(plan)
    torch, variant = plan.get("torch"), plan.get("variant")
    out = [say(_("envdoctor will install torch {torch} · {variant}", torch=torch, variant=variant) if environment is None
               else _("envdoctor will install torch {torch} · {variant} into the {environment}",
                      torch=torch, variant=variant, environment=environment))]
    out.extend(_change_lines(plan, paint))
    out.extend(_index_lines(plan))
    out.extend(_context_lines(plan, paint))
    steps = (plan.get("steps") or {}).get(manager) or []
    out.append(say(_("It runs ({manager}):", manager=manager)))
    out.extend(f"  $ {_command(argv)}" for argv in steps)
    text = "\n".join(out)
    return text.translate(_ASCII_SYMBOLS) if ascii_only else text


def render_requirements(results: list[Any], paint: Painter, verbose: int, quiet: bool) -> list[str]:
    """One line per --require / --policy requirement: its mark, the expression and the actual value."""
    if not results:
        return []
    out = [say(_("Requirements"))]
    width = max(display_width(result.requirement) for result in results) + 2
    for result in results:
        status = {"met": "ok", "unmet": "error"}.get(result.status, "error")
        if quiet and status == "ok":
            continue
        actual = (say(result.actual or _("unknown")) + f": {say(result.reason)}" if result.reason
                  else _said(result.actual))
        out.append(f"  {paint.mark(status)} {pad(result.requirement, width)}{actual}".rstrip())
        if verbose:
            out.extend(f"        {paint.why} {say(item)}" for item in result.evidence)
    return out if len(out) > 1 else []  # -q with every requirement met: no heading over nothing


def render_fleet_header(fleet: Mapping[str, Any]) -> list[str]:
    """The line above a distributed verify's checks: how many ranks and hosts, which backend."""
    hosts = fleet.get("hosts") or []
    missing = fleet.get("missing_ranks") or []
    text = say(_("Fleet: {ranks} rank(s) on {hosts} host(s) · backend {backend} · launched by {launcher}",
                 ranks=fleet.get("world_size"), hosts=len(hosts), backend=fleet.get("backend") or "?",
                 launcher=fleet.get("launcher") or "?"))
    if missing:
        text += " · " + say(_("{count} rank(s) missing", count=len(missing)))
    return [text]


def _summary_line(report: Report) -> str:
    """The last line. For an install plan the findings are context (the plan decides the exit code),
    and the line says so instead of counting them as the run's errors."""
    counts = report.summary()
    problems = [say(text) for key, text in (("error", _("{count} error(s)", count=counts["error"])),
                                            ("warning", _("{count} warning(s)", count=counts["warning"])))
                if counts[key]]
    checks = [say(text) for key, text in (("fail", _("{count} failed", count=counts.get("fail"))),
                                          ("warn", _("{count} warned", count=counts.get("warn"))),
                                          ("pass", _("{count} passed", count=counts.get("pass"))))
              if counts.get(key)]
    plan = report.plan
    run = plan.get("run") if plan is not None else None
    if isinstance(run, Mapping):  # a real install: what it did, then the state it left
        parts = [_said(run.get("summary"))] + problems + checks
    elif plan is None:
        parts = problems + checks
    elif not plan.get("ok"):
        parts = [say(_("no build fits"))] + _context(problems, report) + checks
    elif report.findings_gate:
        parts = problems + checks
    else:
        head = _("nothing to do") if plan.get("action") == "nothing_to_do" else _("plan found")
        parts = [say(head)] + _context(problems, report) + checks
    if not parts and report.error:  # a run that could not do its job never reads "no problems found"
        parts = [say(_("failed (see above)"))]
    return say(_("{summary}   (-v for evidence, --json for machines)",
                 summary=" · ".join(parts) if parts else say(_("no problems found"))))


def _context(problems: list[str], report: Report) -> list[str]:
    if not problems:
        return []
    if report.findings_gate:
        return problems
    return [say(_("the environment as probed has {problems} (context for the plan, see above)",
                  problems=", ".join(problems)))]


def render_text(report: Report, color: bool, ascii_only: bool, verbose: int = 0, quiet: bool = False,
                show_facts: bool = True) -> str:
    """The checklist. Every value is made printable first (controls stripped, secrets masked); an
    ASCII-only stream gets ASCII for every symbol."""
    report = scrub(report, printable)
    paint = Painter(color, ascii_only)
    out: list[str] = []
    facts = report.facts
    if facts is not None:
        platform_tag = f"{facts.os.system.lower()}-{facts.os.arch}"
        took = f" · {format_number(report.duration_s, '.2f')} s" if report.duration_s is not None else ""
        out.append(f"envdoctor {__version__} · {platform_tag} · python {facts.python.version or '?'}{took}")
        if facts.python.chosen_because and facts.python.status != "unknown":
            out.append(say(_("judging {python}: {because}", python=facts.python.executable or "?",
                              because=facts.python.chosen_because)))
        if facts.overrides:
            out.append(say(_("target described by: {overrides}", overrides=", ".join(facts.overrides))))
        if show_facts:
            out.extend(render_checklist(attach(checklist(facts), report.findings), paint, verbose, quiet))
    if report.fleet is not None:
        out.extend(render_fleet_header(report.fleet))
    out.extend(render_checks(report.checks, paint, verbose, quiet))
    out.extend(render_requirements(report.requirements, paint, verbose, quiet))
    if report.plan is not None:
        refusals = [finding for finding in report.findings if finding.area == INSTALL_AREA]
        out.extend(render_plan(report.plan, paint, verbose, refusals))
    if report.error:
        out.append(f"{paint.mark('error')} {say(report.error)}")
    out.append("")
    out.append(_summary_line(report))
    text = "\n".join(out)
    return text.translate(_ASCII_SYMBOLS) if ascii_only else text


def can_encode(stream: Any, text: str = "".join(SYMBOLS)) -> bool:
    """Whether ``stream`` can hold every symbol the text rendering uses (else: ASCII fallbacks)."""
    return can_write(stream, text)
