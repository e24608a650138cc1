"""Carry out a plan: the guards before any installer runs, then the installer itself.

The guards are pure (plan + facts -> reasons to refuse); running goes through the door, argv lists
only, so nothing is ever parsed by a shell.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

from envdoctor.door import CommandResult, Door
from envdoctor.facts import Facts

INSTALL_TIMEOUT = 3600.0
URL_FLAGS = ("--index-url", "--extra-index-url", "-i", "-f", "--find-links", "-c", "--channel")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_urls(argv: list[str]) -> list[str]:
    """Index URLs in argv that are neither https nor http on the loopback interface."""
    bad = []
    for flag, value in zip(argv, argv[1:]):
        if flag not in URL_FLAGS or "://" not in value:
            continue
        parts = urlsplit(value)
        if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname or "")):
            continue
        bad.append(value)
    return bad


@dataclass
class Refusal:
    message: str
    advice: list[str] = field(default_factory=list)


def refusals(facts: Facts, argv: list[str] | None, break_system_packages: bool) -> list[Refusal]:
    """Why this command must not run here; empty when it may."""
    found: list[Refusal] = []
    if argv is None:
        found.append(Refusal("the chosen package manager cannot install this plan",
                             ["pick another with --manager"]))
        return found
    if facts.python.status != "ok":
        found.append(Refusal(f"the target interpreter did not answer ({facts.python.status})",
                             ["pass an existing interpreter with --python PATH"]))
    manager_is_pip = "pip" in argv[:4]
    if facts.python.externally_managed and manager_is_pip and not break_system_packages:
        found.append(Refusal(
            f"{facts.python.executable} is managed by the OS (PEP 668); installing into it can break "
            "system tools",
            [f"{facts.python.executable or 'python3'} -m venv .venv, then envdoctor install --python .venv/bin/python",
             "or pass --break-system-packages if you really mean it"],
        ))
    for url in insecure_urls(argv):
        found.append(Refusal(f"refusing a non-https index URL: {url}",
                             ["use https, or an http server on 127.0.0.1 / ::1 / localhost"]))
    return found


def with_break_system_packages(argv: list[str]) -> list[str]:
    return argv + ["--break-system-packages"] if "pip" in argv[:4] else argv


def run_installer(door: Door, argv: list[str], timeout: float = INSTALL_TIMEOUT) -> CommandResult:
    """Run the installer with its output streaming to the user."""
    return door.run_live(argv, timeout)


def plan_command(plan: Mapping[str, Any], manager: str | None) -> tuple[str | None, list[str] | None]:
    """The manager the plan chose (or the one asked for) and its argv."""
    commands = plan.get("commands") or {}
    name = manager or plan.get("manager") or next((m for m, a in commands.items() if a), None)
    return name, commands.get(name) if name else None
