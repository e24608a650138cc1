"""What is asked (:class:`Request`) and what is decided (:class:`Plan`, the JSON contract of ``install``)."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from envdoctor.compat import TORCH_FAMILY, parse_requirement
from envdoctor.datatypes import datatype
from envdoctor.facts import to_dict
from envdoctor.i18n import _
from envdoctor.mirrors import MirrorChoice
from envdoctor.urls import direct_reference_problem

DEFAULT_REQUIREMENTS = ("torch", "torchvision")
MANAGERS = ("pip", "uv", "conda", "mamba")
#: Names people type for torch. The PyPI project "pytorch" is a stub whose install only fails.
ALIASES = {"pytorch": "torch"}


def torch_family(name: str) -> bool:
    """Whether ``name`` is torch, a companion, an alias of one, or a project torch's wheels pin (its Triton
    build, NVIDIA's CUDA libraries): the names a direct reference (``name @ URL``) may not take, since the
    build chosen for this machine decides them."""
    name = canonicalize_name(name)
    return (ALIASES.get(name, name) in TORCH_FAMILY or name == "triton"
            or name.startswith(("pytorch-triton", "nvidia-")))


class ResolveError(ValueError):
    """A request that cannot be understood (a bad requirement string, an unknown manager)."""


@datatype
class Request:
    """What to install. ``requirements`` empty means torch + torchvision (the getting-started pair)."""

    requirements: list[str] = field(default_factory=list)
    variant: str | None = None  # None: pick for the machine; else "cpu", "cu126", "rocm6.4", "xpu", ...
    manager: str | None = None  # None: how torch is installed now; conda/mamba in a conda env; else pip
    allow_prerelease: bool = False
    upgrade: bool = False  # replace a torch that runs here by a newer one
    mirrors: MirrorChoice | None = None

    def __post_init__(self) -> None:
        if self.manager is not None and self.manager not in MANAGERS:
            raise ValueError(_("unknown package manager {manager} (use one of {managers})", manager=repr(self.manager),
                               managers=", ".join(MANAGERS)))
        if self.variant is not None and not self.variant.strip():
            raise ValueError(_("--variant needs a name such as cpu, cu126 or rocm6.4"))
        parsed = []
        self._notes: list[str] = []
        for text in self.requirements or DEFAULT_REQUIREMENTS:
            try:
                requirement = parse_requirement(text)
            except InvalidRequirement as exc:
                raise ValueError(_("not a PEP 508 requirement: {text} ({error})", text=repr(text), error=str(exc))) from None
            if requirement.url is not None and torch_family(requirement.name):
                name = ALIASES.get(canonicalize_name(requirement.name), requirement.name)
                instead = (_("name a version instead (e.g. {example})", example=f"{name}>=2.4") if name in TORCH_FAMILY
                           else _("torch's build pins it: leave it out and name torch's version"))
                raise ValueError(_("{text}: a direct reference installs whatever lies at that URL, not the build chosen "
                                   "for this machine or what it was made with; {instead}", text=repr(text),
                                   instead=instead))
            alias = ALIASES.get(canonicalize_name(requirement.name))
            if alias is not None:
                self._notes.append(_("'{name}' is read as '{alias}': the PyPI project '{name}' is a stub that installs "
                                     "nothing usable", name=requirement.name, alias=alias))
                requirement.name = alias
            if requirement.url is not None:
                problem = direct_reference_problem(requirement)
                if problem:
                    raise ValueError(_("{text}: refused: {problem}", text=repr(text), problem=problem))
            parsed.append(requirement)
        self._parsed = parsed

    def parsed(self) -> list[Requirement]:
        return list(self._parsed)

    def notes(self) -> list[str]:
        return list(self._notes)

    @property
    def explicit(self) -> bool:
        """Whether the requirements were given (the default torch + torchvision pair was not asked for)."""
        return bool(self.requirements)


@datatype
class Plan:
    """The decision and how to carry it out. ``to_dict`` is the JSON contract of ``install``."""

    ok: bool
    action: str  # "install" | "reinstall" | "nothing_to_do" | "none"
    manager: str
    torch: str | None = None
    variant: str | None = None
    index_url: str | None = None
    packages: list[str] = field(default_factory=list)
    # compiled extensions asked for (flash-attn, torch-scatter, ...): how each is made to agree with this torch
    extensions: list[dict[str, Any]] = field(default_factory=list)
    commands: dict[str, list[str] | None] = field(default_factory=dict)
    command_notes: dict[str, str] = field(default_factory=dict)
    reasons: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    platform: str | None = None
    python: str | None = None
    # what the plan needs of the machine that the facts could not confirm: {"nvidia_driver": ">= 580.65.06"}
    requires: dict[str, str] = field(default_factory=dict)
    # every command a manager runs, in order (commands[m] is the first); None: it cannot install the plan
    steps: dict[str, list[list[str]] | None] = field(default_factory=dict)
    # per package: {"package", "current", "new", "action" (install/upgrade/downgrade/reinstall/keep), "detail"}
    changes: list[dict[str, Any]] = field(default_factory=list)
    # why not a newer torch: {"kind", "newest", "message"}, said in the default output
    limits: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # the environment installed into: {"kind" (conda/venv/system/described/unknown), "prefix", "python",
    # "manager_reason"}
    environment: dict[str, Any] = field(default_factory=dict)
    # where packages come from: {"torch": {"url", "layout", "flag", "mirror"} | None, "others": {"url", "from"}}
    indexes: dict[str, Any] = field(default_factory=dict)
    # manager -> shell ("posix", or "powershell" and "cmd" for a Windows target) -> one line per step (None:
    # that shell cannot be given the argv exactly)
    command_lines: dict[str, dict[str, list[str | None]]] = field(default_factory=dict)
    run: dict[str, Any] | None = None  # what a real install did (set by `install`, not the resolver)
    mark: str = "ok"  # "warning" (shown [!], never [✓]) when the chosen build rests on data marked UNVERIFIED

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = to_dict(self)
        return result


@datatype
class Wanted:
    """The request, split: the torch family's specifiers, extras and markers, and everything else."""

    specs: dict[str, SpecifierSet]
    extras: dict[str, set[str]]
    markers: dict[str, Marker]
    others: list[Requirement]
