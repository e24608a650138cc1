"""Carry out a plan: the guards before any installer runs, the installer itself, and what it changed.

The guards are pure (plan + facts -> reasons to refuse); running goes through the door, argv lists
only, so nothing is ever parsed by a shell. Every URL an installer would fetch from is judged by
:mod:`envdoctor.urls`, the way pip and uv read it. Before a real install the index pages envdoctor
chose are asked for once, with a short timeout, so a blocked index is said at once instead of after
the installer's own retries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement
from packaging.version import InvalidVersion, Version

from envdoctor.compat import parse_requirement
from envdoctor.door import CommandResult, Door, HttpResult
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
        requirement = parse_requirement(arg)
    except InvalidRequirement:
        if not _is_url(arg):
            return None  # an option or a conda spec such as cuda-version=12.6: nothing to fetch
        try:
            requirement = parse_requirement(f"package @ {arg}")
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


def plan_steps(plan: Mapping[str, Any], manager: str | None) -> tuple[str | None, list[list[str]] | None]:
    """The manager the plan chose (or the one asked for) and every command it runs, in order."""
    name, first = plan_command(plan, manager)
    steps = (plan.get("steps") or {}).get(name) if name else None
    return name, (steps or ([first] if first else None))


def step_refusals(facts: Facts, steps: list[list[str]] | None, break_system_packages: bool,
                  found: Callable[[str], bool]) -> list[Refusal]:
    """:func:`refusals` for every step; ``found(program)`` says whether a step's program exists."""
    if not steps:
        return refusals(facts, None, break_system_packages)
    out: list[Refusal] = []
    for argv in steps:
        out += [r for r in refusals(facts, argv, break_system_packages, installer_found=found(argv[0]))
                if r.message not in {seen.message for seen in out}]
    return out


# ---------------------------------------------------------------------------- does the index answer

INDEX_CHECK_TIMEOUT = 8.0
FAMILY = ("torch", "torchvision", "torchaudio")


@dataclass
class IndexCheck:
    """One index page asked for before the installer runs, and the verdict."""

    what: str  # "the PyTorch index (--mirror sjtu)"
    url: str
    ok: bool
    message: str
    status: str = ""
    code: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "url": self.url, "ok": self.ok, "message": self.message, "status": self.status,
                "code": self.code}


def index_pages(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(what, page URL) for each index envdoctor chose for this plan: the PyTorch index or its mirror (its
    ``torch/`` page, or the find-links page itself) and a PyPI mirror named with --mirror. The user's own
    configured index is the installer's business and is not asked."""
    indexes = plan.get("indexes") or {}
    out = []
    torch = indexes.get("torch")
    if torch and torch.get("url"):
        url = str(torch["url"]).rstrip("/")
        what = "the PyTorch index" + (f" ({torch['mirror']})" if torch.get("mirror") else "")
        out.append((what, url if torch.get("layout") == "find-links" else f"{url}/torch/"))
    others = indexes.get("others") or {}
    if others.get("url"):
        url = str(others["url"]).rstrip("/")
        names = [c["package"] for c in plan.get("changes") or [] if c.get("package") not in FAMILY]
        project = names[0] if names else ("torch" if not (torch and torch.get("url")) else "")
        out.append((f"the PyPI mirror ({others.get('from') or url})", f"{url}/{project}/" if project else f"{url}/"))
    return out


def judge_index(what: str, result: HttpResult) -> IndexCheck:
    """Whether an index answered well enough for the installer to use it."""
    status, code = result.status, result.code
    if status == "answered" and code is not None and 200 <= code < 300:
        return IndexCheck(what, result.url, True, f"{what} answers ({code})", status, code)
    if status == "answered" and code in (401, 403):
        return IndexCheck(what, result.url, True, f"{what} answers {code}: it asks for credentials, which the installer "
                                                   "takes from its own configuration", status, code)
    if status == "answered" and code == 404:
        return IndexCheck(what, result.url, False, f"{what} has no page {result.url} (404): it does not serve this "
                                                    "there; is the mirror's path or layout right?", status, code)
    if status == "answered":
        return IndexCheck(what, result.url, False, f"{what} answers {code} at {result.url}", status, code)
    if status == "tls":
        return IndexCheck(what, result.url, True, f"{what} answers, but its certificate could not be checked here "
                                                   f"({result.error}); the installer uses its own certificate settings",
                          status)
    reason = {"timed_out": "no answer in time", "refused": "refused", "unreachable": "no connection"}.get(status, status)
    return IndexCheck(what, result.url, False, f"{what} does not answer at {result.url}: {reason} ({result.error})",
                      status)


def check_indexes(door: Door, plan: Mapping[str, Any], timeout: float = INDEX_CHECK_TIMEOUT) -> list[IndexCheck]:
    return [judge_index(what, door.http_get(url, timeout)) for what, url in index_pages(plan)]


def mirror_advice(presets: list[str]) -> list[str]:
    names = ", ".join(presets)
    return [f"pick a mirror: --mirror NAME ({names}), --mirror URL (a copy of the PyTorch index) or --mirror pypi=URL",
            "or skip this check with --no-index-check (the installer will try anyway)"]


# ---------------------------------------------------------------------------- after the installer ran


def torch_state(facts: Facts) -> dict[str, Any]:
    """What a report says about the torch family of a target: version and build, per package."""
    torch = facts.torch
    state: dict[str, Any] = {"torch": torch.version if torch.status in ("ok", "error") else None,
                             "status": torch.status, "cuda": torch.cuda, "hip": torch.hip}
    for dist in torch.companions:
        state[dist.name] = dist.version
    return state


def applied(plan: Mapping[str, Any], after: Facts) -> bool:
    """Whether the torch the target now has is the plan's release (and its local build, when pinned)."""
    wanted = next((c["new"] for c in plan.get("changes") or [] if c.get("package") == "torch"), plan.get("torch"))
    have = after.torch.version if after.torch.status == "ok" else None
    if not wanted or not have:
        return False
    try:
        want_v, have_v = Version(str(wanted)), Version(have)
    except InvalidVersion:
        return False
    if want_v.local:
        return want_v == have_v
    return Version(want_v.base_version) == Version(have_v.base_version)


def run_record(name: str, steps: list[tuple[list[str], CommandResult]], confirmed: str, checks: list[IndexCheck],
               before: Facts, after: Facts | None, plan: Mapping[str, Any]) -> dict[str, Any]:
    """``plan.run`` of the report: what ran, how it ended, and the torch before and after."""
    ok = bool(steps) and all(result.succeeded for _, result in steps)
    done = after is not None and applied(plan, after)
    torch_now = after.torch.version if after is not None and after.torch.status == "ok" else None
    if ok and done:
        summary = f"installed torch {torch_now}"
    elif ok:
        summary = (f"the installer succeeded but the target now has torch {torch_now or 'not installed'}, "
                   f"not the planned {plan.get('torch')}")
    else:
        result = next((r for _, r in steps if not r.succeeded), None)
        summary = (f"{name} failed ({result.describe() if result else 'nothing ran'})"
                   f"; the target now has torch {torch_now or 'not installed'}")
    return {
        "confirmed": confirmed,
        "index_checks": [c.to_dict() for c in checks],
        "steps": [{"argv": argv, "status": result.status, "returncode": result.returncode,
                   "duration_s": round(result.duration_s, 3)} for argv, result in steps],
        "succeeded": ok,
        "applied": done,
        "before": torch_state(before),
        "after": torch_state(after) if after is not None else None,
        "summary": summary,
    }
