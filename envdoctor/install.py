"""Carry out a plan: the guards before any installer runs, then the installer itself.

The guards are pure (plan + facts -> reasons to refuse); running goes through the door, argv lists
only, so nothing is ever parsed by a shell. Every URL an installer would fetch from is judged by
:mod:`envdoctor.urls`, the way pip and uv read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.door import CommandResult, Door
from envdoctor.facts import Facts
from envdoctor.urls import direct_reference_problem, index_url_problem

INSTALL_TIMEOUT = 3600.0
#: Options whose value an installer fetches: pip/uv index and find-links pages, pip's constraints
#: (``-c``) and requirements files, conda's channels (``-c``). A value that is not a URL (a channel
#: name, a local folder) fetches nothing and passes.
URL_FLAGS = frozenset({"--index-url", "--extra-index-url", "-i", "-f", "--find-links", "-c", "--channel",
                       "--constraint", "-r", "--requirement", "--index", "--default-index"})
_SHORT_URL_FLAGS = ("-i", "-f", "-c", "-r")


def _is_url(value: str) -> bool:
    return "://" in value or value[:5].lower() == "file:"


def _flag_values(argv: list[str]) -> tuple[list[str], list[str]]:
    """(values of URL_FLAGS, every other argument) of argv[1:]; ``--flag=value`` and ``-iVALUE`` too."""
    values, others = [], []
    args = iter(argv[1:])
    for arg in args:
        name, equals, attached = arg.partition("=")
        if arg in URL_FLAGS:
            value = next(args, None)
            if value is not None:
                values.append(value)
        elif arg.startswith("--") and equals and name in URL_FLAGS:
            values.append(attached)
        elif arg[:2] in _SHORT_URL_FLAGS and len(arg) > 2 and not arg.startswith("--"):
            values.append(arg[2:])
        else:
            others.append(arg)
    return values, others


def _without_index_name(value: str) -> str:
    """uv's ``--index NAME=URL`` names an index; the URL is what gets fetched."""
    name, equals, url = value.partition("=")
    return url if equals and "://" in url and "://" not in name else value


def _requirement_problem(arg: str) -> str | None:
    """Why a positional argument that names a URL (``name @ URL`` or a bare URL) must not be fetched."""
    try:
        requirement = Requirement(arg)
    except InvalidRequirement:
        if not _is_url(arg):
            return None  # an option or a conda spec such as cuda-version=12.6: nothing to fetch
        try:
            requirement = Requirement(f"package @ {arg}")
        except InvalidRequirement:
            return "it is not a URL envdoctor can judge"
    return direct_reference_problem(requirement)


def url_problems(argv: list[str]) -> list[tuple[str, str]]:
    """(url, why) for every URL in an installer argv that the installer must not be pointed at."""
    values, others = _flag_values(argv)
    found = [(value, problem) for value in map(_without_index_name, values) if _is_url(value)
             for problem in [index_url_problem(value)] if problem]
    found += [(arg, problem) for arg in others if not arg.startswith("-")
              for problem in [_requirement_problem(arg)] if problem]
    return found


@dataclass
class Refusal:
    message: str
    advice: list[str] = field(default_factory=list)


def refusals(facts: Facts, argv: list[str] | None, break_system_packages: bool,
             installer_found: bool = True) -> list[Refusal]:
    """Why this command must not run here; empty when it may.

    ``installer_found`` is False when argv[0] is not an executable on PATH (a missing uv, conda, ...):
    that is a refusal (exit 1), not an installer that ran and failed (exit 4).
    """
    found: list[Refusal] = []
    if argv is None:
        found.append(Refusal("the chosen package manager cannot install this plan",
                             ["pick another with --manager"]))
        return found
    if facts.python.status != "ok":
        found.append(Refusal(f"the target interpreter did not answer ({facts.python.status})",
                             ["pass an existing interpreter with --python PATH"]))
    if not installer_found:
        found.append(Refusal(f"{argv[0]} is not installed (not found on PATH)",
                             [f"install {argv[0]}, or pick another manager with --manager"]))
    manager_is_pip = "pip" in argv[:4]
    if facts.python.externally_managed and manager_is_pip and not break_system_packages:
        found.append(Refusal(
            f"{facts.python.executable} is managed by the OS (PEP 668); installing into it can break "
            "system tools",
            [f"{facts.python.executable or 'python3'} -m venv .venv, then envdoctor install --python .venv/bin/python",
             "or pass --break-system-packages if you really mean it"],
        ))
    for url, problem in url_problems(argv):
        found.append(Refusal(f"refusing to fetch {url}: {problem}",
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
