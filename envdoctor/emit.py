"""``install --dry-run --emit FORM``: the plan as a file a project keeps. Pure: plan dict -> text.

- ``requirements``: a pip requirements file with its index line (``--extra-index-url`` for the
  PyTorch index, so the reader's own index stays first; ``--find-links`` for a find-links mirror).
- ``uv``: a pyproject.toml snippet: the dependencies, a named ``explicit`` ``[[tool.uv.index]]`` for the
  PyTorch index and ``[tool.uv.sources]`` routing only the torch family to it, on the plan's platform.
- ``pixi``: a pixi manifest fragment: ``[pypi-dependencies]``, the torch family with its ``index``.
- ``conda-env``: an environment.yml: the conda plan's channels and packages (or pip's, under ``pip:``).
- ``dockerfile``: RUN lines in exec form (no shell parses them) installing the plan into an image's
  ``python3``, for a Linux target such as one described with --gpu/--driver.

Every form says in its comments what the plan needs of the machine (driver, glibc, ...). A plan a form
cannot hold (a marker pixi cannot express, a Dockerfile for Windows) is an :class:`EmitError`, never a
file with a requirement dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from envdoctor import __version__, compat
from envdoctor.extension_plan import step_env
from envdoctor.i18n import _

FORMS = ("requirements", "uv", "pixi", "conda-env", "dockerfile")


class EmitError(ValueError):
    """The plan cannot be written in this form; the message says why."""


def render(plan: Mapping[str, Any], form: str, manager: str | None = None) -> str:
    if not plan.get("ok"):
        raise EmitError(_("no torch build fits this machine and request, so there is no plan to write"))
    if form == "conda-env":
        return conda_environment(plan, manager)
    writer = {"requirements": requirements, "uv": uv_pyproject, "pixi": pixi_manifest, "dockerfile": dockerfile}.get(form)
    if writer is None:
        raise EmitError(_("unknown form {form} (one of {forms})", form=repr(form), forms=", ".join(FORMS)))
    return writer(plan)


# ---------------------------------------------------------------------------- pieces of the plan


def _split(plan: Mapping[str, Any]) -> tuple[list[Requirement], list[Requirement]]:
    """(torch family pins with their extras, every other requirement), as the plan installs them.

    A family pin loses its local label (``==2.14.1+cu126`` -> ``==2.14.1``): the plan pins it only to
    replace a build installed on this machine, which a file for a fresh environment must not depend on;
    the index the file names still serves the variant (its ``+cu126`` sorts above PyPI's ``2.14.1``)."""
    family: list[Requirement] = []
    others: list[Requirement] = []
    for text in plan.get("packages") or []:
        requirement = Requirement(str(text))
        if canonicalize_name(requirement.name) in compat.TORCH_FAMILY:
            requirement.specifier = SpecifierSet(",".join(
                f"{spec.operator}{spec.version.split('+')[0]}" if spec.operator == "==" else str(spec)
                for spec in requirement.specifier))
            family.append(requirement)
        else:
            others.append(requirement)
    return family, others


def _torch_index(plan: Mapping[str, Any]) -> Mapping[str, Any] | None:
    index = (plan.get("indexes") or {}).get("torch")
    return index if index and index.get("url") else None


def _pypi_mirror(plan: Mapping[str, Any]) -> str | None:
    return ((plan.get("indexes") or {}).get("others") or {}).get("url")


def _header(plan: Mapping[str, Any], comment: str = "#") -> list[str]:
    lines = [f"{comment} envdoctor {__version__}: torch {plan.get('torch')} ({plan.get('variant')}) for "
             f"{plan.get('platform') or 'an unknown platform'}, Python {plan.get('python') or 'not known'}"]
    for key, value in (plan.get("requires") or {}).items():
        lines.append(f"{comment} needs {key.replace('_', ' ')} {value}")
    for limit in plan.get("limits") or []:
        lines.append(f"{comment} {limit.get('message') if isinstance(limit, Mapping) else limit}")
    for warning in plan.get("warnings") or []:
        lines.append(f"{comment} warning: {warning}")
    return [" ".join(line.split()) for line in lines]


def _index_name(plan: Mapping[str, Any]) -> str:
    return f"pytorch-{plan.get('variant')}".replace(".", "-")


def _platform_marker(platform: str | None) -> str:
    """A PEP 508 marker true on the plan's platform only (empty when it is not known)."""
    system, _dash, machine = (platform or "").partition("-")
    sys_platform = compat.SYS_PLATFORMS.get(system)
    if not sys_platform:
        return ""
    machines = {"x86_64": ("x86_64", "AMD64"), "aarch64": ("aarch64", "arm64"), "arm64": ("arm64", "aarch64")}
    names = machines.get(machine, (machine,))
    machine_part = " or ".join(f"platform_machine == '{name}'" for name in names)
    return f"sys_platform == '{sys_platform}' and ({machine_part})"


def _without_local(argument: str) -> str:
    """``torch==2.14.1+cu126`` -> ``torch==2.14.1`` for the torch family (see :func:`_split`); anything else as is."""
    name, equals, version = argument.partition("==")
    return f"{name}=={version.split('+')[0]}" if equals and canonicalize_name(name) in compat.TORCH_FAMILY else argument


def _requirement_text(requirement: Requirement) -> str:
    text = str(requirement)
    return text.replace('"', "'") if "'" not in text else text


# ---------------------------------------------------------------------------- the forms


def requirements(plan: Mapping[str, Any]) -> str:
    family, others = _split(plan)
    lines = _header(plan)
    index = _torch_index(plan)
    mirror = _pypi_mirror(plan)
    if mirror:
        lines.append(f"--index-url {mirror}")
    if index:
        if index.get("layout") == "find-links" or index.get("flag") == "-f":
            lines.append(f"--find-links {index['url']}")
        else:
            lines.append("# pip prefers the PyTorch index's builds: a +variant version sorts above the same public one")
            lines.append(f"--extra-index-url {index['url']}")
    lines.extend(_requirement_text(r) for r in family + others)
    return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of printable text is a TOML basic string


def _toml_array(values: list[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


def uv_pyproject(plan: Mapping[str, Any]) -> str:
    family, others = _split(plan)
    index = _torch_index(plan)
    mirror = _pypi_mirror(plan)
    lines = _header(plan)
    lines.append("# merge into pyproject.toml; the torch family comes from the explicit index, all else from the default")
    lines.append("[project]")
    lines.append(f"dependencies = {_toml_array([_requirement_text(r) for r in family + others])}")
    if mirror:
        lines += ["", "[[tool.uv.index]]", f"url = {_toml_string(mirror)}", "default = true"]
    if index:
        name = _index_name(plan)
        lines += ["", "[[tool.uv.index]]", f"name = {_toml_string(name)}", f"url = {_toml_string(index['url'])}",
                  "explicit = true"]
        if index.get("layout") == "find-links" or index.get("flag") == "-f":
            lines.append('format = "flat"')
        marker = _platform_marker(plan.get("platform"))
        lines += ["", "[tool.uv.sources]"]
        for requirement in family:
            entry = f"{{ index = {_toml_string(name)}" + (f", marker = {_toml_string(marker)}" if marker else "") + " }"
            lines.append(f"{canonicalize_name(requirement.name)} = [{entry}]")
    return "\n".join(lines) + "\n"


def pixi_manifest(plan: Mapping[str, Any]) -> str:
    family, others = _split(plan)
    index = _torch_index(plan)
    for requirement in family + others:
        if requirement.marker is not None:
            raise EmitError(_("'{requirement}': a pixi [pypi-dependencies] entry has no environment marker; write "
                              "the requirement without it, or use another form", requirement=str(requirement)))
        if requirement.url:
            raise EmitError(_("'{requirement}': direct references are left to the requirements form",
                                requirement=str(requirement)))
    lines = _header(plan)
    mirror = _pypi_mirror(plan)
    if mirror or (index and index.get("layout") == "find-links"):
        lines.append("[pypi-options]")
        if mirror:
            lines.append(f"index-url = {_toml_string(mirror)}")
        if index and index.get("layout") == "find-links":
            lines.append(f"find-links = [{{ url = {_toml_string(index['url'])} }}]")
        lines.append("")
    lines.append("[pypi-dependencies]")
    for requirement in family + others:
        fields = [f"version = {_toml_string(str(requirement.specifier) or '*')}"]
        if requirement.extras:
            fields.append(f"extras = {_toml_array(sorted(requirement.extras))}")
        if index and requirement in family and index.get("layout") != "find-links":
            fields.append(f"index = {_toml_string(index['url'])}")
        lines.append(f"{canonicalize_name(requirement.name)} = {{ {', '.join(fields)} }}")
    return "\n".join(lines) + "\n"


def _yaml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar


def conda_environment(plan: Mapping[str, Any], manager: str | None = None) -> str:
    """environment.yml from the conda/mamba command of the plan, or, where conda has no build (ROCm, XPU)
    or no recipe, the pip plan under ``pip:`` with its index line."""
    steps = plan.get("steps") or {}
    name = manager if manager in ("conda", "mamba") else next((m for m in ("conda", "mamba") if steps.get(m)), None)
    conda_steps = steps.get(name) if name else None
    channels: list[str] = []
    dependencies: list[str] = []
    if conda_steps:
        args = iter(conda_steps[0][2:])
        for arg in args:
            if arg in ("-c", "--channel"):
                channels.append(next(args, ""))
            elif arg in ("-p", "--prefix", "-n", "--name"):
                next(args, None)
            elif not arg.startswith("-"):
                dependencies.append(arg)
    _family, others = _split(plan)
    pip_lines: list[str] = []
    if not conda_steps:
        channels = ["conda-forge"]
        mirror = _pypi_mirror(plan)
        index = _torch_index(plan)
        if mirror:
            pip_lines.append(f"--index-url {mirror}")
        if index:
            flag = "--find-links" if index.get("layout") == "find-links" or index.get("flag") == "-f" else "--extra-index-url"
            pip_lines.append(f"{flag} {index['url']}")
        pip_lines += [_requirement_text(r) for r in _split(plan)[0] + others]
    else:
        pip_lines += [_requirement_text(r) for r in others]
    python = plan.get("python")
    lines = _header(plan)
    lines.append("channels:")
    lines += [f"  - {_yaml_string(channel)}" for channel in dict.fromkeys(channels)]
    lines.append("dependencies:")
    if python:
        lines.append(f"  - {_yaml_string('python=' + str(python).rstrip('t'))}")
    lines += [f"  - {_yaml_string(dep)}" for dep in dependencies]
    if pip_lines:
        lines.append('  - "pip"')
        lines.append("  - pip:")
        lines += [f"      - {_yaml_string(line)}" for line in pip_lines]
    return "\n".join(lines) + "\n"


def dockerfile(plan: Mapping[str, Any]) -> str:
    platform = str(plan.get("platform") or "")
    if not platform.startswith("linux"):
        raise EmitError(_("a Dockerfile runs Linux images; this plan is for {platform}", platform=platform) if platform else
                        _("a Dockerfile runs Linux images; this plan is for an unknown platform"))
    steps = (plan.get("steps") or {}).get("pip")
    if not steps:
        raise EmitError(_("pip cannot install this plan: {note}", note=(plan.get("command_notes") or {}).get("pip", "")))
    lines = _header(plan)
    python = str(plan.get("python") or "")
    if python and python[-1].isdigit():  # the official python images have no free-threaded tag
        lines.append(f"ARG BASE_IMAGE=python:{python}-slim")
    else:
        lines.append(f"# pass --build-arg BASE_IMAGE=<a Linux image with Python {python or 'the plan needs'}>")
        lines.append("ARG BASE_IMAGE")
    lines.append("FROM ${BASE_IMAGE}")
    lines.append("# exec-form RUN: no shell parses these arguments; the image's python3 is the target")
    for argv in steps:
        # a build's variables as build arguments: RUN sees them, --build-arg overrides them, the image keeps none
        env = step_env(plan.get("extensions") or [], argv)
        lines += [f"ARG {name}={json.dumps(value)}" for name, value in env.items()]
        position = argv.index("install") + 1
        command = ["python3", *argv[argv.index("-m"):position], "--no-cache-dir", *map(_without_local, argv[position:])]
        lines.append("RUN " + json.dumps(command))
    return "\n".join(lines) + "\n"
