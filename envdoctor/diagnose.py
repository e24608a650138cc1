"""``envdoctor diagnose``: judge a machine from what someone pasted or recorded.

The input (any pasted error, warning or log, a ``torch.utils.collect_env`` report, an ``envdoctor check
--json`` report or a recorded machine folder) becomes the facts ``check`` collects, the same rules judge
them, the messages the paste holds name their causes (:mod:`envdoctor.paste_rules`), and each finding that
says "install another build" gets the resolver's command for *that* machine, or the flags the user
must add when the report does not say enough (the driver, the GPUs).

Pure apart from :func:`read_input`, which reads the file, folder or standard input through the door.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Callable
from pathlib import Path

from envdoctor import compat, paste_rules, rules
from envdoctor.facts import Facts, Finding
from envdoctor.i18n import _, joined, listed
from envdoctor.readers import Reading, read_folder, read_text
from envdoctor.readers.pastes import PasteReading
from envdoctor.recipes import Recipes
from envdoctor.report import Report
from envdoctor.resolver import Plan, Request, resolve
from envdoctor.resolver.commands import installer_of

#: The largest report read (a real one is a few kilobytes; a 10,000-line one about 600 kB).
INPUT_LIMIT = 8 * 1024 * 1024
#: Lines of a report listed as not read; the rest are counted.
MAX_LISTED = 20


def read_input(source: str, read_stdin: Callable[[int], str], timeout: float = 10.0) -> tuple[Reading, str]:
    """(what was read, how to name the input): ``-`` is standard input, a folder a recorded machine,
    anything else a file, read bounded through the door."""
    from envdoctor.door import read_user_file

    if source == "-":
        return read_text(read_stdin(INPUT_LIMIT), "<stdin>"), "-"
    path = Path(source)
    if path.is_dir() and not path.is_symlink():
        return read_folder(path, timeout), source
    return read_text(read_user_file(source, INPUT_LIMIT), source), source


#: A paste's cause and the rule on the facts (of a report in the same paste, or --here) that tells the same cause
#: more precisely, from the report's own numbers.
TOLD_BY_THE_FACTS = {
    "paste.mps-unavailable": "apple.mps-unavailable",
    "paste.gpu-too-new": "torch.no-kernels-for-gpu",
    "paste.gpu-too-old": "torch.no-kernels-for-gpu",
    "paste.no-kernel-image": "torch.no-kernels-for-gpu",
    "paste.driver-too-old": "torch.cuda-newer-than-driver",
    "paste.cpu-only-build": "torch.cpu-build-on-gpu",
}


def diagnose(reading: Reading, recipes: Recipes, where: str) -> Report:
    """The report of ``diagnose``: the rules' findings with concrete fixes, and what was not read."""
    facts = reading.facts
    findings = rules.evaluate(facts, recipes)
    if reading.paste is not None:
        reading.paste.facts = facts  # what --driver / --gpu / --here added
        for finding in paste_rules.evaluate(reading.paste, recipes):
            same = _telling_the_same(finding, findings, reading.paste, facts)
            if same is None:
                findings.append(finding)
            else:  # one finding per cause: the paste's quoted lines become evidence of the facts' finding
                same.evidence.extend(line for line in finding.evidence if line not in same.evidence)
    concrete_fixes(findings, facts, recipes, where)
    findings.extend(reading_findings(reading))
    findings.extend(unjudged_build(facts, recipes))
    findings.extend(paste_gaps(reading, findings, where))
    return Report("diagnose", facts, findings)


def _telling_the_same(pasted: Finding, findings: list[Finding], paste: PasteReading, facts: Facts) -> Finding | None:
    """The facts' finding that tells the cause of ``pasted``, or None. torch's message about one GPU is told only
    by the finding about that GPU (by name, among the facts' GPUs): a paste from one GPU and a report listing
    another are two findings."""
    told = [finding for finding in findings if finding.id == TOLD_BY_THE_FACTS.get(pasted.id)]
    name = paste_rules.named_gpu(paste) if pasted.id in ("paste.gpu-too-new", "paste.gpu-too-old") else None
    if name:
        labels = [gpu.label() for gpu in facts.nvidia.visible_gpus() if gpu.name == name]
        told = [finding for finding in told if any(label in finding.message for label in labels)]
    return told[0] if told else None


def merge_here(reading: Reading, here: Facts) -> None:
    """Judge the paste on this machine: the live probe's facts replace what the paste let envdoctor infer
    (the paste's messages stay the evidence), so every fix is the command for this interpreter."""
    if reading.kind == "paste":
        pasted_gpus = reading.facts.nvidia.gpus
        reading.facts = copy.deepcopy(here)
        if not reading.facts.nvidia.gpus and pasted_gpus and reading.facts.nvidia.status == "unknown":
            reading.facts.nvidia.gpus = pasted_gpus
    reading.here = True


def unjudged_build(facts: Facts, recipes: Recipes) -> list[Finding]:
    """A torch the data cannot judge (a nightly, a source build, a variant not in the recipes) is said to be
    one, so no silence reads as "no problems found"."""
    torch = facts.torch
    if torch.status != "ok" or not torch.version:
        return []
    public = torch.version.split("+")[0]
    if rules.is_source_build(torch.version):
        what = _("built from source")
    elif ".dev" in public or re.search(r"[0-9](?:a|b|rc)[0-9]", public):
        what = _("a nightly or pre-release")
    elif not any(r.version == public for r in recipes.releases):
        what = _("a release not in envdoctor's data")
    elif compat.installed_variant_name(facts, recipes) is None:
        what = _("a build variant not in envdoctor's data")
    else:
        return []
    return [Finding(
        "diagnose.build-not-judged", "warning", "torch",
        _("torch {version} is {what}: which GPUs and drivers it supports cannot be judged from the data, "
          "so its absence of errors here proves nothing", version=torch.version, what=what),
        fix=_("run `envdoctor verify` on that machine, which runs torch for real on every device"),
        commands=[["envdoctor", "verify"]], evidence=[torch.source] if torch.source else [], subject="torch")]


def paste_gaps(reading: Reading, findings: list[Finding], where: str) -> list[Finding]:
    """For a paste: nothing recognised (say so, and what to paste), or the facts its fix depends on that it lacks."""
    if reading.kind != "paste" or reading.paste is None:
        return []
    again = shlex.join(["envdoctor", "diagnose", where])
    if not reading.paste.signals:
        return [Finding(
            "diagnose.nothing-recognised", "warning", "system",
            _("nothing in these {n} line(s) is an error, warning or report envdoctor knows", n=reading.lines),
            fix=_("paste the whole error with its traceback, and the output of `python -m torch.utils.collect_env` "
                  "(and `nvidia-smi` on an NVIDIA machine) with it"),
            commands=[["python", "-m", "torch.utils.collect_env"]], subject="os")]
    causes = [f for f in findings if f.id.startswith("paste.") and f.severity != "info"]
    if reading.here or not causes:
        return []
    lacking = paste_rules.facts_missing(reading.facts, about_mps=causes[0].id == "paste.mps-unavailable")
    said = reading.paste.said
    if not lacking:
        return []
    return [Finding(
        "diagnose.paste-lacks", "info", "system",
        _("the paste does not say {facts}; the fixes above are judged without them", facts=listed(lacking)),
        fix=_("run `{command} --here` on that machine (it adds what this machine's probe sees), or paste "
              "`python -m torch.utils.collect_env` too", command=again),
        commands=[["envdoctor", "diagnose", where, "--here"]],
        evidence=[_("the paste says: {said}", said=joined(said))] if said else [], subject=causes[0].subject)]


def add_description(facts: Facts, recipes: Recipes, driver: str | None = None, gpus: tuple[str, ...] = (),
                    no_gpu: bool = False) -> Facts:
    """The report's facts with what the user adds: ``--driver`` fills in the driver and keeps the GPUs the
    report lists; ``--gpu`` / ``--no-gpu`` replace the GPUs (keeping the report's driver unless one is given).
    Raises ValueError for what cannot describe a machine."""
    from envdoctor.target import describe_target

    if gpus or no_gpu:
        keep = driver or (facts.nvidia.driver_version if not no_gpu else None)
        out = describe_target(facts, recipes=recipes, base_is_host=False, driver=keep, gpus=gpus, no_gpu=no_gpu)
        if keep and not driver:
            out.overrides.remove(f"--driver {keep}")  # the report's own driver, not a flag
        return out
    if driver is None:
        return facts
    parsed = compat.parse_driver(driver)
    if parsed is None:
        raise ValueError(_("--driver {value}: not an NVIDIA driver version such as 535.104.05 or 591.86", value=repr(driver)))
    out = copy.deepcopy(facts)
    nvidia = out.nvidia
    found = compat.driver_max_cuda(parsed, compat.driver_table_os(out.os.system, out.os.wsl), recipes.toolkits,
                                   recipes.families)
    nvidia.driver_version, nvidia.driver_max_cuda = str(parsed), (f"{found.major}.{found.minor}" if found else None)
    if nvidia.status in ("no_driver", "unknown"):
        nvidia.status = "ok" if nvidia.gpus else "gpus_unknown"
        nvidia.message = "" if nvidia.gpus else _("the GPUs were not described (--gpu)")
    nvidia.source = "described"
    out.overrides.append(f"--driver {driver}")
    return out


# ---------------------------------------------------------------------------- what could not be read


def reading_findings(reading: Reading) -> list[Finding]:
    """What the report did not let envdoctor read: lines not understood, fields missing, a cut-off end."""
    out = []
    if reading.unread or reading.notes:
        shown = reading.unread[:MAX_LISTED]
        more = len(reading.unread) - len(shown)
        out.append(Finding(
            "diagnose.unread", "info", "system",
            _("{n} line(s) of the report could not be read and were left out", n=len(reading.unread))
            if reading.unread else joined(reading.notes),
            fix=_("if these lines matter, paste the report unedited (`python -m torch.utils.collect_env`)"),
            evidence=shown + ([_("... and {n} more", n=more)] if more > 0 else []) + reading.notes, subject="report"))
    if reading.truncated_at is not None or reading.missing:
        cut = reading.truncated_at is not None
        missing = ", ".join(f"'{label}'" for label in reading.missing) or _("nothing essential")
        out.append(Finding(
            "diagnose.incomplete", "warning" if cut else "info", "system",
            _("the report ends at line {line}, before its library lists: missing {missing}",
              line=reading.truncated_at, missing=missing) if cut else
            _("the report lacks fields every collect_env report prints: missing {missing}", missing=missing),
            fix=_("paste the whole report; what it does not say is unknown, not assumed"), subject="report"))
    return out


# ---------------------------------------------------------------------------- concrete fixes


def _plan_facts(facts: Facts) -> Facts:
    """The facts to plan with. An interpreter whose path the report does not give is named the way its OS
    runs one (``python -m pip``, ``py -3.12 -m pip``), as for a described machine."""
    if facts.python.executable or facts.python.status != "ok":
        return facts
    planned = copy.deepcopy(facts)
    planned.python.status = "unknown"
    return planned


def _request(facts: Facts) -> Request:
    """The same packages (torch and the companions installed beside it), with the same manager where it works."""
    names = ["torch"] + [name for name in compat.COMPANIONS if facts.torch.companion(name) is not None]
    return Request(requirements=names, manager="conda" if facts.torch.conda else None)


def _target_flags(facts: Facts) -> tuple[list[str], list[str]]:
    """(flags that describe this machine to ``install --dry-run``, what the report does not say and must be added)."""
    given: list[str] = []
    missing: list[str] = []
    os_name = compat.os_key(facts.os.system)
    arch = compat.target_platform(facts)
    if os_name is None:
        missing.append("--target-os linux|windows|macos")
    else:
        given += ["--target-os", os_name]
    if arch is None or arch.split("-", 1)[1] not in ("x86_64", "aarch64", "arm64"):
        missing.append("--target-arch x86_64|aarch64|arm64")
    else:
        given += ["--target-arch", arch.split("-", 1)[1]]
    tag = compat.python_tag(facts)
    if tag:
        given += ["--target-python", tag]
    for gpu in facts.nvidia.visible_gpus():
        if gpu.name:
            given += ["--gpu", gpu.name]
    for gpu in facts.rocm.gpus:
        if gpu.arch or gpu.name:
            given += ["--gpu", gpu.arch or gpu.name or ""]
    if facts.nvidia.driver_version:
        given += ["--driver", facts.nvidia.driver_version]
    nvidia_gpus = bool(facts.nvidia.visible_gpus())
    if nvidia_gpus and not facts.nvidia.driver_version:
        missing.append("--driver VERSION (the version nvidia-smi prints)")
    if facts.nvidia.status in ("gpus_unknown", "unknown") or (
            facts.torch.cuda and not nvidia_gpus and facts.torch.cuda_available is not True):
        missing.append("--gpu NAME (or --no-gpu)")
    return given, missing


def plan_for(facts: Facts, recipes: Recipes) -> Plan:
    """The resolver's plan for the machine a report describes."""
    return resolve(_plan_facts(facts), _request(facts), recipes)


def concrete_fixes(findings: list[Finding], facts: Facts, recipes: Recipes, where: str) -> None:
    """Give every finding whose fix is "install another build" the resolver's command for this machine,
    or say which flags the report leaves out."""
    targets = [f for f in findings if any(argv[:2] == ["envdoctor", "install"] for argv in f.commands)]
    if not targets:
        return
    plan = plan_for(facts, recipes)
    given, missing = _target_flags(facts)
    argv = plan.commands.get(plan.manager) if plan.ok else None
    if plan.ok and argv is None:
        argv = plan.commands.get("pip")
    again = shlex.join(["envdoctor", "diagnose", where])
    if argv is not None and plan.action == "nothing_to_do":
        argv = _forced(argv)  # the same versions are installed: the installer must replace them (a companion's build)
    for finding in targets:
        if argv is not None:
            finding.commands = [list(argv)]
            finding.evidence.append(_("plan: torch {torch} {variant} for {platform}, Python {python} "
                                      "(the resolver of `envdoctor install`)", torch=plan.torch, variant=plan.variant,
                                      platform=plan.platform, python=plan.python))
            needs = plan.requires.get("nvidia_driver")
            if needs:
                finding.fix = _("{fix}; the report does not name the driver: this build needs driver {needs} "
                                "(add --driver VERSION to `{command}` to check)", fix=finding.fix, needs=needs,
                                command=again) if finding.fix else finding.fix
        else:
            finding.commands = [["envdoctor", "install", "--dry-run", *given]]
            reasons = [a["message"] for a in plan.alternatives[:2] if a.get("message")]
            why = joined(reasons) if reasons else ""
            addition = _("the report does not say enough to pick a build: add {flags} "
                         "(to `{command}` or to the command below)", flags=", ".join(missing),
                         command=again) if missing else _("no build fits: {why}", why=why)
            finding.fix = joined([finding.fix, addition]) if finding.fix else addition


def _forced(argv: list[str]) -> list[str]:
    """The command with its installer's flag to reinstall what is already there at the same version."""
    flag = {"pip": "--force-reinstall", "uv": "--reinstall", "conda": "--force-reinstall", "mamba": "--force-reinstall"}
    at = argv.index("install") if "install" in argv else -1
    tool = installer_of(argv)
    if at < 0 or tool not in flag or flag[tool] in argv:
        return argv
    return [*argv[: at + 1], flag[tool], *argv[at + 1:]]


def text_header(reading: Reading, where: str) -> str:
    """The first line of the text output: what was read."""
    if reading.here:
        return _("read {what} from {where}, judged with this machine's probe (--here)", what=reading.describe(),
                 where=where)
    return _("read {what} from {where}", what=reading.describe(), where=where)
