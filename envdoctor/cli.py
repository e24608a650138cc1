"""Command line: wiring only. Probes, rules, resolver and verifier do the work.

Exit codes (envdoctor.report.ExitCode): 0 fine, 1 problems found, 2 usage error, 3 envdoctor itself
failed, 4 the package installer failed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from envdoctor import __version__
from envdoctor.report import ExitCode, Report

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Output:
    """How to print: JSON or text, colour, verbosity."""

    def __init__(self, as_json: bool, color: str, verbose: int, quiet: bool) -> None:
        from envdoctor import render

        self.as_json = as_json
        self.facts_in_text = True
        self.verbose = verbose
        self.quiet = quiet
        self.color = (not as_json) and render.use_color(color, os.environ, sys.stdout.isatty())
        self.ascii_only = not render.can_encode(sys.stdout)

    def emit(self, report: Report) -> None:
        from envdoctor import render

        if self.as_json:
            click.echo(render.render_json(report))
        else:
            text = render.render_text(report, self.color, self.ascii_only, self.verbose, self.quiet,
                                      show_facts=self.facts_in_text)
            click.echo(text, color=self.color)
        sys.stdout.flush()
        raise SystemExit(int(report.exit_code))


def output_options(func):
    func = click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
                        envvar="ENVDOCTOR_COLOR", show_default=True, help="Colour the marks.")(func)
    func = click.option("-q", "--quiet", is_flag=True, help="Only warnings, errors and the summary.")(func)
    func = click.option("-v", "--verbose", count=True, help="Show sources, evidence and rejected options.")(func)
    func = click.option("--json", "as_json", is_flag=True, help="One JSON document (schema envdoctor.report/1).")(func)
    return func


def machine_options(func):
    func = click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
                        help="Seconds each probe command may take.")(func)
    func = click.option("--python", "python", metavar="PATH",
                        help="Target interpreter (default: the one running envdoctor).")(func)
    func = click.option("--machine", type=click.Path(exists=True, file_okay=False, path_type=Path),
                        help="Replay a recorded machine folder instead of probing this machine.")(func)
    func = click.option("--recipes", "recipe_dirs", multiple=True,
                        type=click.Path(exists=True, file_okay=False, path_type=Path),
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
    from envdoctor.recipes import RecipeError, load_recipes as load

    overlays = [Path(p) for p in os.environ.get("ENVDOCTOR_RECIPES", "").split(os.pathsep) if p]
    overlays += list(recipe_dirs)
    try:
        return load(overlays)
    except RecipeError as exc:
        click.echo(f"envdoctor: recipe error: {exc}", err=True)
        raise SystemExit(int(ExitCode.INTERNAL))


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="envdoctor")
def cli() -> None:
    """Get PyTorch installed right for this machine, and prove it works.

    \b
    envdoctor check            what this machine has, and what is wrong with it
    envdoctor install --dry-run   the right torch command for this machine, with reasons
    envdoctor verify           run torch for real on every device and measure it

    Exit codes: 0 fine, 1 problems found, 2 usage error, 3 envdoctor failed, 4 installer failed.
    """


@cli.command(context_settings=CONTEXT)
@machine_options
@output_options
@click.option("--record", type=click.Path(file_okay=False, path_type=Path),
              help="Also write what the probes saw to this folder (attach it to a bug report).")
@click.option("--verify", "with_verify", is_flag=True, help="Append the results of `envdoctor verify`.")
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
def check(machine, python, timeout, recipe_dirs, as_json, verbose, quiet, color, record, with_verify, strict):
    """Probe the machine and report what is installed and what is wrong."""
    from envdoctor import rules
    from envdoctor.door import RecordingDoor
    from envdoctor.probes import collect

    out = Output(as_json, color, verbose, quiet)
    start = time.monotonic()
    door = open_door(machine)
    if record is not None:
        door = RecordingDoor(door)
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
        folder = door.write(record)
        click.echo(f"envdoctor: recorded this machine in {folder}", err=True)
    report.duration_s = round(time.monotonic() - start, 3)
    out.emit(report)


@cli.command(context_settings=CONTEXT)
@click.option("--python", "python", metavar="PATH", help="Interpreter whose torch to test (default: this one).")
@click.option("--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True,
              help="Seconds the whole smoke test may take.")
@click.option("--device", type=click.Choice(["all", "cpu", "cuda", "mps", "xpu"]), default="all", show_default=True)
@click.option("--compile", "with_compile", is_flag=True, help="Also check that torch.compile works.")
@click.option("--expect-gpus", type=click.IntRange(min=0), help="Fail unless torch sees exactly N GPUs.")
@click.option("--expect-cuda", metavar="X.Y", help="Fail unless torch was built for CUDA X.Y.")
@click.option("--expect-torch", metavar="SPEC", help="Fail unless the torch version matches, e.g. '>=2.4,<2.6'.")
@output_options
def verify(python, timeout, device, with_compile, expect_gpus, expect_cuda, expect_torch, as_json, verbose,
           quiet, color):
    """Run a real matmul + autograd smoke test on every device, in a child process."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from envdoctor.door import LiveDoor
    from envdoctor.probes import collect
    from envdoctor.verify import VerifyOptions, run_verify

    if expect_torch:
        try:
            SpecifierSet(expect_torch)
        except InvalidSpecifier:
            raise click.BadParameter(f"{expect_torch!r} is not a version specifier", param_hint="--expect-torch")
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


@cli.command(context_settings=CONTEXT)
@click.argument("requirements", nargs=-1)
@machine_options
@output_options
@click.option("--dry-run", is_flag=True, help="Print the plan; execute nothing.")
@click.option("--variant", metavar="NAME", help="Force a build: cpu, cu126, rocm6.4, xpu, ...")
@click.option("--manager", type=click.Choice(["pip", "uv", "conda", "mamba"]),
              help="Package manager (default: conda/mamba in an active conda env, else pip).")
@click.option("--driver", metavar="VERSION", help="Describe the target: NVIDIA driver version.")
@click.option("--gpu", "gpus", multiple=True, metavar="NAME|sm_XY|gfxNNN", help="Describe the target's GPUs (repeatable).")
@click.option("--no-gpu", is_flag=True, help="Describe the target: no GPU.")
@click.option("--target-os", type=click.Choice(["linux", "windows", "macos"]))
@click.option("--target-arch", type=click.Choice(["x86_64", "aarch64", "arm64"]))
@click.option("--target-python", metavar="X.Y")
@click.option("--facts", "facts_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
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
    from envdoctor.facts import Finding
    from envdoctor.probes import collect
    from envdoctor.report import facts_from_report
    from envdoctor.resolver import Request, resolve
    from envdoctor.target import describe_target

    out = Output(as_json, color, verbose, quiet)
    start = time.monotonic()
    if gpus and no_gpu:
        raise click.UsageError("--gpu and --no-gpu contradict each other")
    door = open_door(machine)
    if facts_file is not None:
        try:
            facts = facts_from_report(json.loads(facts_file.read_text(encoding="utf-8")), str(facts_file))
        except (OSError, ValueError) as exc:
            raise click.UsageError(str(exc))
        facts.overrides.append(f"--facts {facts_file}")
    else:
        facts = collect(door, timeout=timeout, python=python)
    recipes = load_recipes(recipe_dirs)
    try:
        facts = describe_target(facts, driver=driver, gpus=gpus, no_gpu=no_gpu, target_os=target_os,
                                target_arch=target_arch, target_python=target_python, recipes=recipes)
        request = Request(requirements=list(requirements), variant=variant, manager=manager)
    except ValueError as exc:
        raise click.UsageError(str(exc))
    plan = resolve(facts, request, recipes)
    report = Report("install", facts, rules.evaluate(facts, recipes), plan=plan.to_dict(), findings_gate=False)
    elsewhere = machine is not None or facts_file is not None or target_os or target_arch or target_python
    if dry_run or not plan.ok or plan.action == "nothing_to_do":
        report.duration_s = round(time.monotonic() - start, 3)
        out.emit(report)
    if elsewhere:
        raise click.UsageError("a plan for another machine (--machine, --facts, --target-*) can only be "
                               "printed here: add --dry-run")
    name, argv = installer.plan_command(report.plan, manager)
    refused = installer.refusals(facts, argv, break_system_packages)
    if refused:
        report.findings_gate = True
        report.error = "; ".join(r.message for r in refused)
        report.findings += [Finding("install.refused", "error", "python", r.message,
                                         fix=" / ".join(r.advice), subject="python") for r in refused]
        out.emit(report)
    if break_system_packages and facts.python.externally_managed:
        argv = installer.with_break_system_packages(argv)
    click.echo(f"envdoctor: running {name}: {' '.join(argv)}", err=True)
    result = installer.run_installer(door, argv)
    if not result.succeeded:
        report.error = f"{name} failed: {result.describe()}"
        report.exit_override = ExitCode.INSTALLER
        out.emit(report)
    if not no_verify:
        from envdoctor.verify import VerifyOptions, run_verify

        report.checks = run_verify(door, VerifyOptions(python=facts.python.executable))
    report.duration_s = round(time.monotonic() - start, 3)
    out.emit(report)


@cli.group(context_settings=CONTEXT)
def recipes() -> None:
    """Inspect the compatibility data."""


@recipes.command("validate", context_settings=CONTEXT)
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
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
        click.echo(f"error: {problem}", err=True)
    click.echo(f"{len(problems)} problem(s) in {folder or 'the built-in recipes'}")
    raise SystemExit(int(ExitCode.PROBLEMS if problems else ExitCode.OK))


def main() -> None:
    """Console entry point: a bug in envdoctor is exit code 3 with a message, not a bare traceback."""
    try:
        cli.main(prog_name="envdoctor")
    except KeyboardInterrupt:
        click.echo("envdoctor: interrupted", err=True)
        raise SystemExit(130)
    except SystemExit:
        raise
    except Exception as exc:
        import traceback

        traceback.print_exc(file=sys.stderr)
        click.echo(f"envdoctor: internal error: {type(exc).__name__}: {exc}", err=True)
        raise SystemExit(int(ExitCode.INTERNAL))
