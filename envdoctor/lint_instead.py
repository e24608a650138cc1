"""What lint says of one command (:class:`Judged`), and the command to run instead: the resolver's plan for
the same packages with the same manager, for the machine or the image the command runs in.

Pure: facts, recipes and a read command in, a judgement and a command out.
"""

from __future__ import annotations

import copy
from dataclasses import field

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.facts import Facts, Finding
from envdoctor.i18n import _, joined
from envdoctor.lint_wanted import Wanted, pip_requirement
from envdoctor.readers.install_commands import Install
from envdoctor.recipes import Recipes
from envdoctor.resolver import Plan, Request, resolve


@datatype
class Judged:
    """What lint says of one command line: findings and the command to use instead."""

    source: str
    text: str
    findings: list[Finding] = field(default_factory=list)
    instead: list[str] | None = None
    instead_note: str = ""  # why the command is not the one asked for, or why none fits
    then: list[list[str]] = field(default_factory=list)  # the commands after it (other packages from their own index)


def _finding(install_source: str, text: str, id_: str, severity: str, message: str, source: str,
             fix: str | None = None) -> Finding:
    return Finding(id_, severity, "lint", message, subject=install_source, fix=fix,
                   evidence=[_("source: {source}", source=source), _("line: {line}", line=text)])


def _with_instead(judged: Judged, steps: list[list[str]] | None, note: str) -> Judged:
    """The judgement with the commands to run instead, named by each finding, when there is any finding."""
    if judged.findings:
        judged.instead, judged.instead_note = (steps[0] if steps else None), note
        judged.then = steps[1:] if steps else []
        for finding in judged.findings:
            if steps:
                finding.commands = [list(argv) for argv in steps]
    return judged


def _with_python(facts: Facts, python: str | None) -> Facts:
    """The facts with the Python a conda command creates (``python=3.8``) instead of this one."""
    if python is None or compat.python_tag(facts) == python:
        return facts
    changed = copy.deepcopy(facts)
    changed.python.version = python
    changed.python.status = "unknown" if changed.python.status == "ok" else changed.python.status
    changed.python.executable = None
    return changed


def _replacement(install: Install, wanted: Wanted, facts: Facts,
                 recipes: Recipes) -> tuple[list[list[str]] | None, str, Plan]:
    """The resolver's commands for the same packages with the same manager: with the command's pins where a build
    fits them, else with torch's pin alone, else the newest that fits. Also the plan they come from. The command's
    other packages stay: pip's and uv's are planned with torch (from the user's own index); conda's are conda
    specs, not PyPI names, so they join the conda command as written."""
    names = [n for n in compat.TORCH_FAMILY if n in wanted.specs] or ["torch"]
    manager = install.manager
    conda = install.tool in ("conda", "mamba", "micromamba")
    others = [] if conda else wanted.others
    target = _with_python(facts, wanted.python)
    attempts = [([f"{n}{wanted.specs[n]}" if n in wanted.specs else n for n in names], ""),
                ([f"torch{wanted.specs['torch']}" if n == "torch" and "torch" in wanted.specs else n for n in names],
                 _("the companions' pins do not pair that torch: the companions that do")),
                (names, _("the pinned versions fit no build for this machine: the newest that fits"))]
    distinct = [(requirements, why) for i, (requirements, why) in enumerate(attempts)
                if requirements not in [earlier for earlier, _why in attempts[:i]]]
    for requirements, why in distinct:  # the first attempt is always there, so the loop sets plan and note
        plan, note = _plan(target, requirements + others, manager, recipes), why
        if plan.ok:
            break
    if not plan.ok:  # the resolver gives every plan it could not make an alternative to say
        return None, _alternatives(plan.alternatives), plan
    steps, why = _command_of(plan, install)
    if conda and steps and wanted.others:
        if steps[0][:1] == [install.tool]:
            steps = _with_conda_packages(steps, wanted.others)
        else:  # pip installs it (no conda environment): the other packages by their PyPI names, planned with torch
            with_others = _plan(target, requirements + [r for r in map(pip_requirement, wanted.others) if r],
                                manager, recipes)
            if with_others.ok:
                plan = with_others
                steps, why = _command_of(plan, install)
    return steps, joined(n for n in (note, why) if n), plan


def _with_conda_packages(steps: list[list[str]], packages: list[str]) -> list[list[str]]:
    """The conda command with ``packages`` after its own (before its channels)."""
    first = steps[0]
    last = max(i for i, word in enumerate(first) if i >= 2 and not word.startswith("-")
               and first[i - 1] not in ("-c", "-p"))
    return [[*first[:last + 1], *packages, *first[last + 1:]], *steps[1:]]


def _alternatives(alternatives: list[dict[str, object]]) -> str:
    """What the first two alternatives of a plan that fits nothing say, in one sentence."""
    return joined(message if isinstance(message, str) else str(message)
                  for message in (a.get("message", "") for a in alternatives[:2]))


def _command_of(plan: Plan, install: Install) -> tuple[list[list[str]] | None, str]:
    """The plan's commands for the command's manager (pip's where that manager cannot install the plan), as they
    run where the command runs; and a note when they are not that manager's."""
    steps = plan.steps.get(plan.manager)
    note = ""
    if not steps:
        reason = plan.command_notes.get(plan.manager, "")
        note = _("{manager} cannot install it ({reason}): pip", manager=install.tool, reason=reason)
        steps = plan.steps.get("pip")
    if not steps:
        return None, note
    if install.tool == "micromamba":
        steps = [["micromamba", *argv[1:]] if argv[:1] == ["mamba"] else argv for argv in steps]
    return [_in_image(list(argv)) if install.image is not None else list(argv) for argv in steps], note


def _plan(facts: Facts, requirements: list[str], manager: str, recipes: Recipes) -> Plan:
    try:
        request = Request(requirements=requirements, manager=manager)
    except ValueError:
        family = [r for r in requirements if r.split("=")[0].split("<")[0].split(">")[0] in compat.TORCH_FAMILY]
        request = Request(requirements=family, manager=manager)
    return resolve(facts, request, recipes)


def _in_image(argv: list[str]) -> list[str]:
    """A command as it runs inside an image: its ``python3`` (the name every image with Python has)."""
    if argv[:1] == ["python"]:
        return ["python3", *argv[1:]]
    return argv
