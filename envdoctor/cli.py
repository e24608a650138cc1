"""Command line: wiring only. Probes, rules, resolver and verifier do the work.

Every way a run ends goes through :meth:`EnvdoctorGroup.main`, so the exit-code contract
(:class:`envdoctor.report.ExitCode`) holds for bad flags, bad files, interrupts and bugs alike, and
``--json`` prints exactly one JSON document whatever happens.
"""

from __future__ import annotations

import errno
import math
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from envdoctor import __version__
from envdoctor.report import ExitCode, Report

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
#: The largest --facts report read: a real one is tens of kilobytes.
FACTS_FILE_LIMIT = 8 * 1024 * 1024
#: The longest timeout accepted (a day): beyond it the standard library's waits overflow.
MAX_TIMEOUT = 86400.0


class Failure(Exception):
    """End the command with ``code`` and a one-line ``message`` (a report with --json)."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Run:
    """What the outermost handler needs to know about the run in progress."""

    command: str | None = None
    as_json: bool = False
    emitted: bool = False  # a document went to stdout: never print a second one


_RUN = _Run()


def _printable(text: str) -> str:
    from envdoctor.render import printable

    return printable(text)


def _silence_stdout() -> None:
    """Point a stdout nobody reads at the null device, so the exit flush cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test runner's buffer): nothing is flushed at exit


def write_stdout(text: str, color: bool = False) -> None:
    """Print ``text`` in what stdout's encoding can hold (the rest becomes '?'); a closed or broken
    stdout (``| head -0``, ``>&-``) is not an error: the run still ends with its exit code."""
    _RUN.emitted = True
    stream = sys.stdout
    if stream is None:
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text = text.encode(encoding, "replace").decode(encoding)
    except LookupError:
        text = text.encode("ascii", "replace").decode("ascii")
    try:
        click.echo(text, file=stream, color=color)
        stream.flush()
    except (BrokenPipeError, ValueError):
        _silence_stdout()
    except OSError as exc:
        if exc.errno not in (errno.EPIPE, errno.EINVAL):  # EINVAL: a closed pipe on Windows
            raise
        _silence_stdout()


class Output:
    """How to print: JSON or text, colour, verbosity."""

    def __init__(self, as_json: bool, color: str, verbose: int, quiet: bool) -> None:
        from envdoctor import render

        stream = sys.stdout
        try:
            isatty = stream is not None and stream.isatty()
        except (ValueError, OSError):
            isatty = False
        self.as_json = as_json
        self.facts_in_text = True
        self.verbose = verbose
        self.quiet = quiet
        self.color = (not as_json) and render.use_color(color, os.environ, isatty)
        self.ascii_only = not render.can_encode(stream)

    def emit(self, report: Report) -> NoReturn:
        from envdoctor import render

        if self.as_json:
            write_stdout(render.render_json(report))
        else:
            write_stdout(render.render_text(report, self.color, self.ascii_only, self.verbose, self.quiet,
                                            show_facts=self.facts_in_text), color=self.color)
        raise SystemExit(int(report.exit_code))


class Seconds(click.ParamType):
    """A timeout: a finite number of seconds from ``minimum`` to a day (nan, inf, 0 are usage errors)."""

    name = "seconds"

    def __init__(self, minimum: float) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(number) or not self.minimum <= number <= MAX_TIMEOUT:
            self.fail(f"{value!r} is not a number of seconds from {self.minimum:g} to {MAX_TIMEOUT:g}", param, ctx)
        return number


class Text(click.ParamType):
    """A string that must say something: empty (or blank, with ``blank_ok=False``) is a usage error,
    and so is a NUL, which no path or version can hold."""

    def __init__(self, name: str, blank_ok: bool = False) -> None:
        self.name = name
        self.blank_ok = blank_ok

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        value = str(value)
        if not value or (not self.blank_ok and not value.strip()):
            self.fail("must not be empty", param, ctx)
        if "\0" in value:
            self.fail("must not contain a NUL character", param, ctx)
        return value


class NonEmptyPath(click.Path):
    """click.Path that refuses the empty string (click would read it as the current directory)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and not value:
            self.fail("must not be empty", param, ctx)
        if isinstance(value, str) and "\0" in value:
            self.fail("must not contain a NUL character", param, ctx)
        return super().convert(value, param, ctx)


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


def open_door(machine: Path | None):
    from envdoctor.door import LiveDoor, MachineFolderError, RecordedDoor

    if machine is None:
        return LiveDoor()
    try:
        return RecordedDoor(machine)
    except MachineFolderError as exc:
        raise click.UsageError(str(exc))


def load_recipes(recipe_dirs: tuple[Path, ...]):
    """Built-in recipes plus overlays; a broken recipe file is envdoctor's failure (exit 3)."""
    from envdoctor.recipes import RecipeError
    from envdoctor.recipes import load_recipes as load

    overlays = [Path(p) for p in os.environ.get("ENVDOCTOR_RECIPES", "").split(os.pathsep) if p]
    overlays += list(recipe_dirs)
    try:
        return load(overlays)
    except RecipeError as exc:
        raise Failure(ExitCode.INTERNAL, f"recipe error: {exc}")


def read_facts(path: Path):
    """The facts of a saved report: any problem with the file is a usage error naming it."""
    from envdoctor.door import UserFileError, read_user_file
    from envdoctor.report import ReportFormatError, facts_from_report, parse_report

    try:
        return facts_from_report(parse_report(read_user_file(str(path), FACTS_FILE_LIMIT), str(path)), str(path))
    except (UserFileError, ReportFormatError) as exc:
        message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
        raise click.UsageError(f"--facts: {message}")


def _bad_input_errors() -> tuple[type[Exception], ...]:
    """The errors that name a bad file or folder from the user (each a ValueError with a clear message)."""
    from envdoctor.door import MachineFolderError, RecordError, UserFileError
    from envdoctor.report import ReportFormatError

    return MachineFolderError, RecordError, UserFileError, ReportFormatError


class EnvdoctorGroup(click.Group):
    """The one place a run ends: usage errors (click's own too), failures, interrupts and bugs all
    become an exit code from the contract, a message on stderr and, with --json, one JSON document."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        options = args[: args.index("--")] if "--" in args else args
        global _RUN
        _RUN = _Run(command=next((a for a in options if a in self.commands), None), as_json="--json" in options)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except (click.exceptions.Abort, KeyboardInterrupt):
            from envdoctor.door import stop_all_commands

            stop_all_commands()  # probe threads may still be waiting on their commands
            self._end(ExitCode.INTERRUPTED, "interrupted")
        except click.ClickException as exc:
            exc.message = _printable(exc.message)  # type: ignore[misc]  # Final in click's stubs; show() reads it
            exc.show()
            self._end(ExitCode.USAGE, exc.format_message(), quiet=True)
        except Failure as exc:
            self._end(exc.code, exc.message)
        except _bad_input_errors() as exc:  # bad input met after the flags were read: still a usage error
            self._end(ExitCode.USAGE, str(exc))
        except Exception as exc:  # a bug in envdoctor: one line, the traceback on request
            if os.environ.get("ENVDOCTOR_DEBUG"):
                import traceback

                traceback.print_exc(file=sys.stderr)
            hint = "" if os.environ.get("ENVDOCTOR_DEBUG") else " (ENVDOCTOR_DEBUG=1 shows the traceback)"
            one_line = " ".join(str(exc).split())[:500]
            self._end(ExitCode.INTERNAL, f"internal error: {type(exc).__name__}: {one_line}{hint}")
        sys.exit(result if isinstance(result, int) else 0)

    @staticmethod
    def _end(code: ExitCode, message: str, quiet: bool = False) -> None:
        message = _printable(message)
        if not quiet:
            click.echo(f"envdoctor: {message}", err=True)
        if _RUN.as_json and not _RUN.emitted:
            from envdoctor.render import render_json

            write_stdout(render_json(Report(_RUN.command, error=message, exit_override=code)))
        sys.exit(int(code))


EXIT_CODES = """\b
Exit codes:
  0    fine: no error findings (warnings too with --strict), a plan was found, verify passed
  1    problems found: an error finding, a failed or unmet verify check, no build fits,
       an install refused (PEP 668, an unsafe URL, a missing installer, no target interpreter)
  2    usage error: a bad flag or value, an unreadable machine folder, --facts report or --record folder
  3    envdoctor itself failed: a malformed recipe file, an internal error
  4    the package installer ran and failed
  130  interrupted (Ctrl-C); the processes envdoctor started are stopped first"""


@click.group(cls=EnvdoctorGroup, context_settings=CONTEXT, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="envdoctor")
def cli() -> None:
    """Get PyTorch installed right for this machine, and prove it works.

    \b
    envdoctor check            what this machine has, and what is wrong with it
    envdoctor install --dry-run   the right torch command for this machine, with reasons
    envdoctor verify           run torch for real on every device and measure it
    """


@cli.command(context_settings=CONTEXT)
@machine_options
@output_options
@click.option("--record", type=NonEmptyPath(file_okay=False, path_type=Path),
              help="Also write what the probes saw to this new or empty folder (attach it to a bug report).")
@click.option("--force", is_flag=True, help="With --record: replace an earlier recording in that folder.")
@click.option("--verify", "with_verify", is_flag=True, help="Append the results of `envdoctor verify`.")
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
def check(machine, python, timeout, recipe_dirs, as_json, verbose, quiet, color, record, force, with_verify, strict):
    """Probe the machine and report what is installed and what is wrong."""
    from envdoctor import rules
    from envdoctor.door import RecordingDoor
    from envdoctor.probes import collect

    if force and record is None:
        raise click.UsageError("--force only applies to --record")
    out = Output(as_json, color, verbose, quiet)
    start = time.monotonic()
    door = open_door(machine)
    if record is not None:
        door = RecordingDoor(door, target_python=python)
    facts = collect(door, timeout=timeout, python=python)
    # the rules consult the recipes only about NVIDIA drivers and CUDA builds: skip loading them
    # (about 40 ms) where there are none, unless an overlay was asked for and must be checked
    needs_recipes = recipe_dirs or os.environ.get("ENVDOCTOR_RECIPES") or facts.nvidia.driver_version or facts.torch.cuda
    recipes = load_recipes(recipe_dirs) if needs_recipes else None
    report = Report("check", facts, rules.evaluate(facts, recipes), strict=strict)
    if with_verify:
        from envdoctor.verify import VerifyOptions, run_verify

        report.checks = run_verify(door, VerifyOptions(python=python), facts)
    if record is not None:
        record_machine(door, record, force, report)
    report.duration_s = round(time.monotonic() - start, 3)
    out.emit(report)


def record_machine(door, folder: Path, force: bool, report: Report) -> None:
    """Write the machine folder; a folder that cannot take it makes the run a usage error (exit 2),
    with the report still printed."""
    from envdoctor.door import RecordError

    try:
        written = door.write(folder, force=force)
    except (RecordError, OSError) as exc:
        report.error = f"cannot record into {folder}: {exc}"
        report.exit_override = ExitCode.USAGE
        return
    click.echo(f"envdoctor: recorded this machine in {_printable(str(written))}", err=True)


@cli.command(context_settings=CONTEXT)
@click.option("--python", "python", type=Text("PATH", blank_ok=True), metavar="PATH",
              help="Interpreter whose torch to test (default: this one).")
@click.option("--timeout", type=Seconds(1), default=120.0, show_default=True,
              help="Seconds the whole smoke test may take (1 to 86400).")
@click.option("--device", type=click.Choice(["all", "cpu", "cuda", "mps", "xpu"]), default="all", show_default=True)
@click.option("--compile", "with_compile", is_flag=True, help="Also check that torch.compile works.")
@click.option("--expect-gpus", type=click.IntRange(min=0), help="Fail unless torch sees exactly N GPUs.")
@click.option("--expect-cuda", type=Text("X.Y"), metavar="X.Y", help="Fail unless torch was built for CUDA X.Y.")
@click.option("--expect-torch", type=Text("SPEC"), metavar="SPEC",
              help="Fail unless the torch version matches, e.g. '>=2.4,<2.6'.")
@output_options
def verify(python, timeout, device, with_compile, expect_gpus, expect_cuda, expect_torch, as_json, verbose,
           quiet, color):
    """Run a real matmul + autograd smoke test on every device, in a child process."""
    from envdoctor.door import LiveDoor
    from envdoctor.probes import collect
    from envdoctor.verify import VerifyOptions, run_verify

    check_expectations(expect_cuda, expect_torch)
    out = Output(as_json, color, verbose, quiet)
    start = time.monotonic()
    door = LiveDoor()
    facts = collect(door, python=python)
    options = VerifyOptions(python=python, timeout=timeout, device=device, compile=with_compile,
                            expect_gpus=expect_gpus, expect_cuda=expect_cuda, expect_torch=expect_torch)
    report = Report("verify", facts, checks=run_verify(door, options, facts))
    report.duration_s = round(time.monotonic() - start, 3)
    out.facts_in_text = False
    out.emit(report)


def check_expectations(expect_cuda: str | None, expect_torch: str | None) -> None:
    """A malformed --expect-* is a usage error, before anything runs."""
    import re

    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if expect_cuda is not None and not re.fullmatch(r"[0-9]+\.[0-9]+(\.[0-9]+)?", expect_cuda):
        raise click.BadParameter(f"{expect_cuda!r} is not a CUDA version like 12.4", param_hint="--expect-cuda")
    if expect_torch is not None:
        try:
            SpecifierSet(expect_torch)
        except InvalidSpecifier:
            raise click.BadParameter(f"{expect_torch!r} is not a version specifier such as '>=2.4,<2.6'",
                                     param_hint="--expect-torch")


@cli.command(context_settings=CONTEXT)
@click.argument("requirements", nargs=-1, type=Text("REQUIREMENT"))
@machine_options
@output_options
@click.option("--dry-run", is_flag=True,
              help="Print the plan; run no installer (the read-only probes still run, as for check).")
@click.option("--variant", type=Text("NAME"), metavar="NAME", help="Force a build: cpu, cu126, rocm6.4, xpu, ...")
@click.option("--manager", type=click.Choice(["pip", "uv", "conda", "mamba"]),
              help="Package manager (default: conda/mamba in an active conda env, else pip).")
@click.option("--driver", type=Text("VERSION"), metavar="VERSION", help="Describe the target: NVIDIA driver version.")
@click.option("--gpu", "gpus", multiple=True, type=Text("NAME"), metavar="NAME|sm_XY|gfxNNN",
              help="Describe the target's GPUs (repeatable).")
@click.option("--no-gpu", is_flag=True, help="Describe the target: no GPU.")
@click.option("--target-os", type=click.Choice(["linux", "windows", "macos"]))
@click.option("--target-arch", type=click.Choice(["x86_64", "aarch64", "arm64"]))
@click.option("--target-python", type=Text("X.Y"), metavar="X.Y")
@click.option("--facts", "facts_file", type=NonEmptyPath(exists=True, dir_okay=False, path_type=Path),
              help="Use the facts of a saved `envdoctor check --json` report.")
@click.option("--no-verify", is_flag=True, help="Skip `envdoctor verify` after installing.")
@click.option("--break-system-packages", is_flag=True, help="Install into an OS-managed (PEP 668) interpreter anyway.")
def install(requirements, machine, python, timeout, recipe_dirs, as_json, verbose, quiet, color, dry_run, variant,
            manager, driver, gpus, no_gpu, target_os, target_arch, target_python, facts_file, no_verify,
            break_system_packages):
    """Pick the torch build for this machine (or a described one), print the command, run it.

    REQUIREMENTS are PEP 508 strings such as "torch>=2.4,<2.6" torchvision.
    """
    from envdoctor import install as installer
    from envdoctor import rules
    from envdoctor.facts import Facts
    from envdoctor.probes import collect
    from envdoctor.resolver import Request, resolve
    from envdoctor.target import describe_target

    out = Output(as_json, color, verbose, quiet)
    start = time.monotonic()
    if gpus and no_gpu:
        raise click.UsageError("--gpu and --no-gpu contradict each other")
    elsewhere = machine is not None or facts_file is not None or target_os or target_arch or target_python
    if elsewhere and not dry_run:
        raise click.UsageError("a plan for another machine (--machine, --facts, --target-*) can only be "
                               "printed here: add --dry-run")
    another_machine = bool(target_os or target_arch or target_python)
    if another_machine and python is not None:
        raise click.UsageError("--python names an interpreter on this machine; --target-* describe another one")
    door = open_door(machine)
    if facts_file is not None:
        facts = read_facts(facts_file)
        facts.overrides.append(f"--facts {facts_file}")
    elif machine is not None or not another_machine:
        facts = collect(door, timeout=timeout, python=python)
    else:
        facts = Facts()  # a described machine: nothing of this host is probed, nothing is borrowed
    recipes = load_recipes(recipe_dirs)
    try:
        facts = describe_target(facts, driver=driver, gpus=gpus, no_gpu=no_gpu, target_os=target_os,
                                target_arch=target_arch, target_python=target_python, recipes=recipes,
                                base_is_host=facts_file is None and machine is None)
        request = Request(requirements=list(requirements), variant=variant, manager=manager)
    except ValueError as exc:
        raise click.UsageError(str(exc))
    plan = resolve(facts, request, recipes)
    report = Report("install", facts, rules.evaluate(facts, recipes), plan=plan.to_dict(), findings_gate=False)
    if dry_run or not plan.ok or plan.action == "nothing_to_do":
        report.duration_s = round(time.monotonic() - start, 3)
        out.emit(report)
    name, argv = installer.plan_command(report.plan or {}, manager)
    refused = installer.refusals(facts, argv, break_system_packages,
                                 installer_found=argv is not None and door.which(argv[0]) is not None)
    if refused or argv is None:  # refusals() names a missing command too
        refuse(report, [(r.message, r.advice) for r in refused], out)
    if break_system_packages and facts.python.externally_managed:
        argv = installer.with_break_system_packages(argv)
    click.echo(f"envdoctor: running {name}: {_printable(shlex.join(argv))}", err=True)
    result = installer.run_installer(door, argv)
    if result.status in ("not_found", "error"):  # it never started: not an installer failure
        refuse(report, [(f"{name} could not be started: {result.describe()}", ["pick another with --manager"])], out)
    if not result.succeeded:
        report.error = f"{name} failed: {result.describe()}"
        report.exit_override = ExitCode.INSTALLER
        out.emit(report)
    if not no_verify:
        from envdoctor.verify import VerifyOptions, run_verify

        report.checks = run_verify(door, VerifyOptions(python=facts.python.executable))
    report.duration_s = round(time.monotonic() - start, 3)
    out.emit(report)


def refuse(report: Report, reasons: list[tuple[str, list[str]]], out: Output) -> NoReturn:
    """End an install that must not run: one ``install.refused`` finding per reason, exit 1."""
    from envdoctor.facts import Finding

    report.findings_gate = True
    report.error = "; ".join(message for message, _ in reasons)
    report.findings += [Finding("install.refused", "error", "python", message, fix=" / ".join(advice),
                                subject="python") for message, advice in reasons]
    out.emit(report)


@cli.group(context_settings=CONTEXT)
def recipes() -> None:
    """Inspect the compatibility data."""


@recipes.command("validate", context_settings=CONTEXT)
@click.argument("folder", required=False, type=NonEmptyPath(exists=True, file_okay=False, path_type=Path))
def recipes_validate(folder):
    """Validate the built-in recipes, or the recipe files in FOLDER."""
    from envdoctor.recipes import validate
    from envdoctor.verify import GpuPeaksError, load_gpu_peaks

    problems = validate(folder)
    peaks = folder / "gpu_peaks.toml" if folder is not None else None
    if peaks is None or peaks.is_file():
        try:
            load_gpu_peaks(peaks)
        except GpuPeaksError as exc:
            problems.extend(exc.problems)
    for problem in problems:
        click.echo(f"error: {_printable(problem)}", err=True)
    click.echo(f"{len(problems)} problem(s) in {_printable(str(folder or 'the built-in recipes'))}")
    raise SystemExit(int(ExitCode.PROBLEMS if problems else ExitCode.OK))


def main() -> None:
    """Console entry point (see EnvdoctorGroup.main for how every run ends)."""
    cli.main(prog_name="envdoctor")
