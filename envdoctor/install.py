"""Carry out a plan: the guards before any installer runs, the installer itself, and what it changed.

The guards are pure (plan + facts -> reasons to refuse); running goes through the door, argv lists
only, so nothing is ever parsed by a shell. Every URL an installer would fetch from is judged by
:mod:`envdoctor.urls`, the way pip and uv read it. Before a real install the index pages envdoctor
chose are asked for once, with a short timeout, so a blocked index is said at once instead of after
the installer's own retries.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement
from packaging.version import InvalidVersion, Version

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.door import CommandResult, Door, HttpResult
from envdoctor.facts import Facts
from envdoctor.i18n import Text, _, message_of
from envdoctor.resolver.commands import also, installer_of
from envdoctor.urls import direct_reference_problem, index_url_problem

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes
    from envdoctor.report import Report

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
        requirement = compat.parse_requirement(arg)
    except InvalidRequirement:
        if not _is_url(arg):
            return None  # an option or a conda spec such as cuda-version=12.6: nothing to fetch
        try:
            requirement = compat.parse_requirement(f"package @ {arg}")
        except InvalidRequirement:
            return _("it is not a URL envdoctor can judge")
    return direct_reference_problem(requirement)


def url_problems(argv: list[str]) -> list[tuple[str, str]]:
    """(url, why) for every URL in an installer argv that the installer must not be pointed at."""
    values, others = _flag_values(argv)
    found = [(value, problem) for value in map(_without_index_name, values) if _is_url(value)
             for problem in [index_url_problem(value)] if problem]
    found += [(arg, problem) for arg in others if not arg.startswith("-")
              for problem in [_requirement_problem(arg)] if problem]
    return found


@datatype
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
        found.append(Refusal(_("the chosen package manager cannot install this plan"),
                             [_("pick another with --manager")]))
        return found
    if facts.python.status != "ok":
        found.append(Refusal(_("the target interpreter did not answer ({status})", status=facts.python.status),
                             [_("pass an existing interpreter with --python PATH")]))
    if not installer_found:
        found.append(Refusal(_("{program} is not installed (not found on PATH)", program=argv[0]),
                             [_("install {program}, or pick another manager with --manager", program=argv[0])]))
    manager_is_pip = installer_of(argv) in ("pip", "uv")
    if facts.python.externally_managed and manager_is_pip and not break_system_packages:
        found.append(Refusal(
            _("{python} is managed by the OS (PEP 668); installing into it can break system tools",
              python=facts.python.executable),
            [_("{python} -m venv .venv, then envdoctor install --python .venv/bin/python",
               python=facts.python.executable or "python3"),
             _("or pass --break-system-packages if you really mean it")],
        ))
    for url, problem in url_problems(argv):
        found.append(Refusal(_("refusing to fetch {url}: {problem}", url=url, problem=problem),
                             [_("use https, or an http server on 127.0.0.1 / ::1 / localhost")]))
    return found


def with_break_system_packages(argv: list[str]) -> list[str]:
    return argv + ["--break-system-packages"] if installer_of(argv) in ("pip", "uv") else argv


#: Seconds between two progress lines while an installer step runs (on a terminal only).
PROGRESS_INTERVAL = 15.0


def run_installer(door: Door, argv: list[str], timeout: float = INSTALL_TIMEOUT,
                  progress: Callable[[float], None] | None = None, interval: float = PROGRESS_INTERVAL,
                  clock: Callable[[], float] = time.monotonic, env: Mapping[str, str] | None = None) -> CommandResult:
    """Run the installer with its output streaming to the user; ``env`` is set for this step only. With
    ``progress``, it is called with the seconds elapsed (by ``clock``) every ``interval`` seconds while the
    installer runs: a long download shows that envdoctor is still waiting on it."""
    if progress is None:
        return door.run_live(argv, timeout, env or None)
    finished = threading.Event()
    start = clock()

    def tick() -> None:
        while not finished.wait(interval):
            progress(clock() - start)

    ticker = threading.Thread(target=tick, name="envdoctor-progress", daemon=True)
    ticker.start()
    try:
        return door.run_live(argv, timeout, env or None)
    finally:
        finished.set()
        ticker.join()


def elapsed_text(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


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


def command_line(plan: Mapping[str, Any], manager: str | None, shell: str) -> tuple[str | None, str]:
    """(the one line that carries out the plan in ``shell``, '') or (None, why there is none). Steps are
    chained so each runs only when the one before succeeded. A line that would need a credential or a
    control character printed is not given: what is printed is exactly what runs."""
    from envdoctor.render import printable
    from envdoctor.shells import join, windows_problem

    if not plan.get("ok"):
        alternatives = [a if isinstance(a, str) else a.get("message", "") for a in plan.get("alternatives") or []]
        if alternatives:
            return None, _("no torch build fits this machine: {why}", why=alternatives[0])
        return None, _("no torch build fits this machine")
    if plan.get("action") == "nothing_to_do":
        return None, _("nothing to do: the installed torch already fits")
    name, steps = plan_steps(plan, manager)
    if not steps:
        note = (plan.get("command_notes") or {}).get(name, "") if name else ""
        return None, cannot_install(name or _("no manager"), note)
    lines = [join(argv, shell) for argv in steps]
    for argv, line in zip(steps, lines, strict=True):
        if line is None:
            return None, _("no {shell} line for {program}: {why}", shell=shell, program=argv[0],
                           why=windows_problem(argv, shell))
    words = [line for line in lines if line is not None]
    if shell == "powershell":  # Windows PowerShell 5.1 has no &&
        text = words[-1]
        for line in reversed(words[:-1]):
            text = f"{line}; if ($?) {{ {text} }}"
    else:
        text = " && ".join(words)
    if printable(text) != text:
        return None, _("the command holds a credential or a control character, which envdoctor does not print "
                       "(the plan shows it masked: envdoctor install --dry-run)")
    return text, ""


def cannot_install(name: str, note: str) -> str:
    """Why ``name`` gives no command for this plan, with the plan's note for it when there is one."""
    if note:
        return _("{manager} cannot install this plan: {note}", manager=name, note=note)
    return _("{manager} cannot install this plan", manager=name)


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


@datatype
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
    out: list[tuple[str, str]] = []
    torch = indexes.get("torch")
    if torch and torch.get("url"):
        url = str(torch["url"]).rstrip("/")
        what = _("the PyTorch index ({mirror})", mirror=torch["mirror"]) if torch.get("mirror") else _("the PyTorch index")
        out.append((what, url if torch.get("layout") == "find-links" else f"{url}/torch/"))
    others = indexes.get("others") or {}
    if others.get("url"):
        url = str(others["url"]).rstrip("/")
        names = [c["package"] for c in plan.get("changes") or [] if c.get("package") not in compat.TORCH_FAMILY]
        project = names[0] if names else ("torch" if not (torch and torch.get("url")) else "")
        out.append((_("the PyPI mirror ({mirror})", mirror=others.get("from") or url),
                    f"{url}/{project}/" if project else f"{url}/"))
    return out


def judge_index(what: str, result: HttpResult) -> IndexCheck:
    """Whether an index answered well enough for the installer to use it."""
    status, code = result.status, result.code
    if status == "answered" and code is not None and 200 <= code < 300:
        return IndexCheck(what, result.url, True, _("{what} answers ({code})", what=what, code=code), status, code)
    if status == "answered" and code in (401, 403):
        return IndexCheck(what, result.url, True, _("{what} answers {code}: it asks for credentials, which the installer "
                                                    "takes from its own configuration", what=what, code=code),
                          status, code)
    if status == "answered" and code == 404:
        return IndexCheck(what, result.url, False, _("{what} has no page {url} (404): it does not serve this "
                                                     "there; is the mirror's path or layout right?", what=what,
                                                     url=result.url), status, code)
    if status == "answered":
        return IndexCheck(what, result.url, False, _("{what} answers {code} at {url}", what=what, code=code,
                                                     url=result.url), status, code)
    if status == "tls":
        return IndexCheck(what, result.url, True, _("{what} answers, but its certificate could not be checked here "
                                                    "({error}); the installer uses its own certificate settings",
                                                    what=what, error=result.error), status)
    reasons = {"timed_out": _("no answer in time"), "refused": _("refused"), "unreachable": _("no connection")}
    return IndexCheck(what, result.url, False, _("{what} does not answer at {url}: {reason} ({error})", what=what,
                                                 url=result.url, reason=reasons.get(status, status),
                                                 error=result.error), status)


def check_indexes(door: Door, plan: Mapping[str, Any], timeout: float = INDEX_CHECK_TIMEOUT) -> list[IndexCheck]:
    return [judge_index(what, door.http_get(url, timeout)) for what, url in index_pages(plan)]


def mirror_advice(presets: list[str]) -> list[str]:
    names = ", ".join(presets)
    return [_("pick a mirror: --mirror NAME ({names}), --mirror URL (a copy of the PyTorch index) or --mirror pypi=URL",
              names=names),
            _("or skip this check with --no-index-check (the installer will try anyway)")]


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
    ok = bool(steps) and all(result.succeeded for _argv, result in steps)
    done = after is not None and applied(plan, after)
    torch_now = after.torch.version if after is not None and after.torch.status == "ok" else None
    if ok and done:
        summary = _("installed torch {version}", version=torch_now)
    elif ok:
        summary = (_("the installer succeeded but the target now has torch {version}, not the planned {planned}",
                     version=torch_now, planned=plan.get("torch")) if torch_now else
                   _("the installer succeeded but the target now has torch not installed, not the planned {planned}",
                     planned=plan.get("torch")))
    else:
        result = next((r for _argv, r in steps if not r.succeeded), None)
        how = result.describe() if result else _("nothing ran")
        summary = (_("{installer} failed ({how}); the target now has torch {version}", installer=name, how=how,
                     version=torch_now) if torch_now else
                   _("{installer} failed ({how}); the target now has torch not installed", installer=name, how=how))
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


# ---------------------------------------------------------------------------- the whole install


@datatype
class Console:
    """How an install talks to the person at the terminal; the CLI supplies it, so this module prints nothing.

    ``confirm`` is None where there is no terminal to ask on; ``again`` is the command line that runs the
    same install with ``--yes`` (offered when there is none).
    """

    say: Callable[[str], None]
    confirm: Callable[[str], bool] | None
    again: list[str]
    color: bool = False
    ascii_only: bool = False
    #: Where "still running" lines go while an installer step runs (None: no terminal to show them on).
    progress: Callable[[str], None] | None = None
    progress_interval: float = PROGRESS_INTERVAL


def refuse(report: Report, reasons: list[tuple[str, list[str]]], commands: list[list[str]] | None = None) -> Report:
    """An install that must not run: one ``install.refused`` finding per reason, exit 1. They belong to the
    install step (area ``install``), not to the interpreter, whose own state the Python row still shows."""
    from envdoctor.facts import Finding

    report.findings_gate = True
    report.error = functools.reduce(also, [message for message, _advice in reasons])
    report.findings += [Finding("install.refused", "error", "install", message, fix=_either(advice),
                                commands=list(commands or []), subject="install") for message, advice in reasons]
    return report


def _either(advice: list[str]) -> str | None:
    """Ways out of a refusal, as one fix: ``a / b``."""
    if not advice:
        return None
    text = advice[0]
    for more in advice[1:]:
        text = _("{earlier} / {later}", earlier=text, later=more)
    return text


def carry_out(report: Report, facts: Facts, door: Door, console: Console, *, manager: str | None,
              index_check: bool, verify: bool, break_system_packages: bool, recipes: Recipes,
              probe_again: Callable[[], Facts], yes: bool) -> Report:
    """Plan -> guards -> index check -> confirmation -> the installer's steps streamed -> the target probed
    and verified again. The report returned shows the state the install left (or why nothing ran)."""
    import shlex

    from envdoctor import rules
    from envdoctor.extension_plan import step_env
    from envdoctor.mirrors import preset_names
    from envdoctor.render import printable, render_preview
    from envdoctor.report import ExitCode
    from envdoctor.shells import join_with_env

    plan = report.plan or {}
    found_name, steps = plan_steps(plan, manager)
    name = found_name or _("the installer")
    refused = step_refusals(facts, steps, break_system_packages, lambda program: door.which(program) is not None)
    if not steps:
        note = (plan.get("command_notes") or {}).get(name, "")
        return refuse(report, [(cannot_install(name, note), [_("pick another with --manager")])])
    if refused:  # step_refusals() names a missing command too
        return refuse(report, [(r.message, r.advice) for r in refused])
    if break_system_packages and facts.python.externally_managed:
        steps = [with_break_system_packages(argv) for argv in steps]
    checks = check_indexes(door, plan) if index_check else []
    dead = [check for check in checks if not check.ok]
    if dead:
        return refuse(report, [(check.message, mirror_advice(preset_names(recipes))) for check in dead])
    console.say(render_preview(plan, name, console.color, console.ascii_only))
    if yes:
        confirmed = "--yes"
    elif console.confirm is None:
        return refuse(report, [(_("there is no terminal to confirm the plan on and --yes was not given: nothing was "
                                  "installed"), [_("run the first command (envdoctor installs, then checks the result), "
                                                   "or the installer's own commands after it yourself")])],
                      commands=[[*console.again, "--yes"], *steps])
    elif console.confirm(_("Proceed?")):
        confirmed = "terminal"
    else:
        return refuse(report, [(_("not confirmed: nothing was installed"), [])])
    ran: list[tuple[list[str], CommandResult]] = []
    for number, argv in enumerate(steps, 1):
        env = step_env(plan.get("extensions") or [], argv)  # an extension build's MAX_JOBS, TORCH_CUDA_ARCH_LIST
        line = printable(join_with_env(argv, "posix", env) or shlex.join(argv))
        if len(steps) > 1:
            console.say(_("envdoctor: running {installer}, step {number}/{count}: {command}", installer=name,
                          number=number, count=len(steps), command=line))
        else:
            console.say(_("envdoctor: running {installer}: {command}", installer=name, command=line))
        result = run_installer(door, argv, progress=_progress_line(console, name, number, len(steps)),
                               interval=console.progress_interval, env=env)
        ran.append((argv, result))
        if result.status in ("not_found", "error") and number == 1:  # never started: not an installer failure
            return refuse(report, [(_("{installer} could not be started: {why}", installer=name, why=result.describe()),
                                    [_("pick another with --manager")])])
        if not result.succeeded:
            break
    console.say(_("envdoctor: checking the target again"))
    after = probe_again()
    plan["run"] = run_record(name, ran, confirmed, checks, facts, after, plan)
    report.facts = after
    report.findings = rules.evaluate(after, recipes)
    report.findings_gate = True  # the state the install left is what the report answers for
    if not plan["run"]["succeeded"]:
        report.error = _("{installer} failed: {why}", installer=name, why=ran[-1][1].describe())
        report.exit_override = ExitCode.INSTALLER
    elif not plan["run"]["applied"]:
        report.error = plan["run"]["summary"]
    elif verify:
        from envdoctor.verify import VerifyOptions, run_verify

        report.checks = run_verify(door, VerifyOptions(python=after.python.executable or facts.python.executable), after)
    return report


def _progress_line(console: Console, name: str, number: int, count: int) -> Callable[[float], None] | None:
    say = console.progress
    if say is None:
        return None
    return lambda seconds: say(_("envdoctor: {installer} is still running (step {number}/{count}) · {elapsed} elapsed",
                                 installer=name, number=number, count=count, elapsed=elapsed_text(seconds)))


def emitted_file(plan: Mapping[str, Any], form: str, manager: str | None) -> tuple[bool, str]:
    """(True, the plan as a file a project keeps) or (False, why it cannot be written in that form: a plan
    that did not fit, or one the form cannot hold)."""
    from envdoctor.emit import EmitError, render
    from envdoctor.render import printable

    try:
        return True, printable(render(plan, form, manager)).rstrip("\n")
    except EmitError as exc:
        why = message_of(exc)
        return False, _("--emit {form}: {why}", form=form, why=why.map(printable) if isinstance(why, Text) else printable(why))
