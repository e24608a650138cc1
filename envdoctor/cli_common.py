"""What the commands share: the option groups (output, machine, gates, formats) and the helpers that read
the machine, the recipes, a --policy file or a --facts report the same way for every command.

Heavy modules are imported where they are used, so ``check`` starts lean.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from envdoctor.i18n import _, message_of
from envdoctor.params import NonEmptyPath, RequirementText, Seconds, Text
from envdoctor.report import ExitCode, Report
from envdoctor.run_end import Failure

#: The largest --facts report read: a real one is tens of kilobytes.
FACTS_FILE_LIMIT = 8 * 1024 * 1024


def output_options(func):
    func = click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
                        envvar="ENVDOCTOR_COLOR", show_default=True, help="Colour the marks.")(func)
    func = click.option("-q", "--quiet", is_flag=True, help="Only warnings, errors and the summary.")(func)
    func = click.option("-v", "--verbose", count=True, help="Show sources, evidence and rejected options.")(func)
    func = click.option("--json", "as_json", is_flag=True, help="One JSON document (schema envdoctor.report/1).")(func)
    return func


def machine_options(func):
    func = click.option("--timeout", type=Seconds(0.1), default=10.0, show_default=True,
                        help="Time budget of each probe, shared by its commands (0.1 to 86400 s).")(func)
    func = click.option("--python", "python", type=Text("PATH", blank_ok=True), metavar="PATH",
                        help="Target interpreter (default: the one running envdoctor).")(func)
    func = click.option("--machine", type=NonEmptyPath(exists=True, file_okay=False, path_type=Path),
                        help="Replay a recorded machine folder instead of probing this machine.")(func)
    func = click.option("--recipes", "recipe_dirs", multiple=True,
                        type=NonEmptyPath(exists=True, file_okay=False, path_type=Path),
                        help="Extra recipe folder overriding the built-in data (repeatable; also ENVDOCTOR_RECIPES).")(func)
    return func


def gate_options(func):
    """--require and --policy: what the machine must have (check and verify)."""
    func = click.option("--policy", "policy_file", type=NonEmptyPath(exists=True, dir_okay=False, path_type=Path),
                        help="A TOML file of requirements (require = [...]) and warning ids that count as "
                             "errors (warnings-as-errors = [...]).")(func)
    func = click.option("--require", "requirements", multiple=True, type=RequirementText(),
                        help="Fail unless the machine meets EXPR (repeatable): torch>=2.5, cuda>=12.4, driver>=535, "
                             "gpus>=8, gpu-arch>=sm_80, cudnn>=9, nccl>=2.20, python>=3.10, variant=cu126, "
                             "tflops.bf16>=600.")(func)
    return func


def format_options(func):
    """--format and --junit: output for people, machines and CI systems (check and verify)."""
    func = click.option("--junit", type=NonEmptyPath(dir_okay=False, path_type=Path), metavar="FILE",
                        help="Also write the results as JUnit XML to FILE (for CI test reports).")(func)
    func = click.option("--format", "output_format", type=click.Choice(["text", "json", "github"]), default="text",
                        show_default=True, help="text, json (as --json), or github: the text plus GitHub Actions "
                        "annotations, and a job summary appended to $GITHUB_STEP_SUMMARY.")(func)
    return func


def load_policy(path: Path | None):
    """The --policy file, read through the door (None without one: the policy module is not even
    imported); any problem with it is a usage error naming it."""
    if path is None:
        return None
    from envdoctor.door import UserFileError, read_user_file
    from envdoctor.policy import POLICY_FILE_LIMIT, PolicyError, parse_policy

    try:
        return parse_policy(read_user_file(str(path), POLICY_FILE_LIMIT), str(path))
    except (UserFileError, PolicyError) as exc:
        raise click.UsageError(_("--policy: {problem}", problem=message_of(exc)))


def apply_policy(report: Report, requirements: tuple, policy, recipes=None) -> None:
    """Judge every requirement against what the report knows (verify's checks over the probes), and
    count the policy's warnings as errors."""
    wanted = list(requirements) + list(policy.requirements if policy is not None else ())
    if not wanted and (policy is None or not policy.warnings_as_errors):
        return
    from envdoctor import policy as gates

    if policy is not None and policy.warnings_as_errors:
        report.findings = gates.escalate_warnings(report.findings, policy.warnings_as_errors, policy.origin)
    if not wanted:
        return
    report.requirements = gates.evaluate(wanted, gates.observe(report.facts, report.checks, recipes))
    report.findings += gates.findings(report.requirements)


def open_door(machine: Path | None):
    if machine is None:
        from envdoctor.door import LiveDoor

        return LiveDoor()
    from envdoctor.door import MachineFolderError, RecordedDoor

    try:
        return RecordedDoor(machine)
    except MachineFolderError as exc:
        raise click.UsageError(message_of(exc))


def target_interpreter(door, python: str | None) -> tuple[str | None, str]:
    """(interpreter, why it is the target): --python, else the environment the user activated, as
    :func:`envdoctor.interpreter.choose_interpreter` finds it; (None, "") on a recorded machine, which keeps
    the interpreter it was recorded with."""
    if python is not None:
        return python, "given with --python"
    cwd = door.cwd()
    if cwd is None:
        return None, ""
    from envdoctor.interpreter import choose_interpreter

    choice = choose_interpreter(door.env(), cwd, door.python_executable(), door.exists)
    return choice.executable, choice.reason


def replay_flags(machine: Path | None, python: str | None) -> list[str]:
    """The flags a replayed machine was named by, kept with its facts so every fix command repeats them."""
    if machine is None:
        return []
    return [f"--machine {machine}", *([f"--python {python}"] if python is not None else [])]


def load_recipes(recipe_dirs: tuple[Path, ...]):
    """Built-in recipes plus overlays; a broken recipe file is envdoctor's failure (exit 3)."""
    from envdoctor.recipes.cache import load_recipes_cached as load
    from envdoctor.recipes.model import RecipeError

    overlays = [Path(p) for p in os.environ.get("ENVDOCTOR_RECIPES", "").split(os.pathsep) if p]
    overlays += list(recipe_dirs)
    try:
        return load(overlays)
    except RecipeError as exc:
        raise Failure(ExitCode.INTERNAL, _("recipe error: {problem}", problem=message_of(exc)))


def read_facts(path: Path):
    """The facts of a saved report: any problem with the file is a usage error naming it."""
    from envdoctor.door import UserFileError, read_user_file
    from envdoctor.report import ReportFormatError, facts_from_report, parse_report

    try:
        return facts_from_report(parse_report(read_user_file(str(path), FACTS_FILE_LIMIT), str(path)), str(path))
    except (UserFileError, ReportFormatError) as exc:
        problem = message_of(exc)
        message = problem if str(path) in problem else _("{path}: {problem}", path=str(path), problem=problem)
        raise click.UsageError(_("--facts: {problem}", problem=message))
