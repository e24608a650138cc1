"""Command line: wiring only. Probes, rules, resolver and verifier do the work.

Every way a run ends goes through :meth:`envdoctor.run_end.EnvdoctorGroup.main`, so the exit-code contract
(:class:`envdoctor.report.ExitCode`) holds for bad flags, bad files, interrupts and bugs alike, and
``--json`` prints exactly one JSON document whatever happens. The options and helpers the commands share
are in :mod:`envdoctor.cli_common`.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import click

from envdoctor import __version__, i18n
from envdoctor.cli_common import (
    apply_policy,
    format_options,
    gate_options,
    load_policy,
    load_recipes,
    machine_options,
    open_door,
    output_options,
    read_facts,
    replay_flags,
    target_interpreter,
)
from envdoctor.i18n import _, message_of, say
from envdoctor.output import RUN, Output, path_text, printable_text, write_stdout
from envdoctor.params import NonEmptyPath, Seconds, Text
from envdoctor.report import ExitCode, Report
from envdoctor.run_end import EXIT_CODES, EnvdoctorGroup, Failure

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=EnvdoctorGroup, context_settings=CONTEXT, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="envdoctor")
@click.option("--lang", metavar="|".join(i18n.CHOICES), expose_value=False,
              help="The language of messages, given anywhere on the command line (default: the locale's).")
def cli() -> None:
    """Get PyTorch installed right for this machine, and prove it works.

    \b
    envdoctor check            what this machine has, and what is wrong with it
    envdoctor install --dry-run   the right torch command for this machine, with reasons
    envdoctor verify           run torch for real on every device and measure it
    envdoctor diagnose FILE    the cause and fix of a pasted error, log or collect_env report
    envdoctor lint COMMAND     what is stale in a copied install command, and what to run instead
    """


@cli.command(context_settings=CONTEXT)
@machine_options
@output_options
@click.option("--record", type=NonEmptyPath(file_okay=False, path_type=Path),
              help="Also write what the probes saw to this new or empty folder (attach it to a bug report).")
@click.option("--force", is_flag=True, help="With --record: replace an earlier recording in that folder.")
@click.option("--verify", "with_verify", is_flag=True, help="Append the results of `envdoctor verify`.")
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
@gate_options
@format_options
def check(machine, python, timeout, recipe_dirs, as_json, verbose, quiet, color, record, force, with_verify, strict,
          requirements, policy_file, output_format, junit):
    """Probe the machine and report what is installed and what is wrong."""
    from envdoctor.probes import Pending, collect

    if force and record is None:
        raise click.UsageError(_("--force only applies to --record"))
    out = Output(as_json, color, verbose, quiet, output_format, junit)
    policy = load_policy(policy_file)
    start = time.monotonic()
    door = open_door(machine)
    python, chosen_because = target_interpreter(door, python)
    if record is not None:
        from envdoctor.door import RecordingDoor

        door = RecordingDoor(door, target_python=python)
    probing = Pending(collect, door, timeout, python, name="envdoctor-collect")
    # the rules are imported while the probes' commands run (the target interpreter is the slowest); the
    # renderers came with Output
    from envdoctor import rules

    facts = probing.result()
    facts.python.chosen_because = chosen_because
    facts.overrides[:0] = replay_flags(machine, python)
    # the rules consult the recipes about an installed torch and about GPUs: skip loading them (tens of ms)
    # on a machine with neither, unless an overlay was asked for and must be checked
    needs_recipes = (recipe_dirs or os.environ.get("ENVDOCTOR_RECIPES") or facts.nvidia.driver_version
                     or facts.torch.status == "ok" or facts.rocm.gpus)
    needs_recipes = needs_recipes or any(r.key == "variant" for r in (*requirements, *(policy.requirements if policy else ())))
    recipes = load_recipes(recipe_dirs) if needs_recipes else None
    report = Report("check", facts, rules.evaluate(facts, recipes), strict=strict)
    report.findings.append(recipes_age(recipes, recipe_dirs))
    if with_verify:
        from envdoctor.verify import VerifyOptions, run_verify

        report.checks = run_verify(door, VerifyOptions(python=python), facts)
    apply_policy(report, requirements, policy, recipes)
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
        report.error = _("cannot record into {folder}: {problem}", folder=path_text(folder), problem=path_text(exc))
        report.exit_override = ExitCode.USAGE
        return
    click.echo(say(_("envdoctor: recorded this machine in {folder}", folder=path_text(written))), err=True)


@cli.command(context_settings=CONTEXT)
@click.option("--python", "python", type=Text("PATH", blank_ok=True), metavar="PATH",
              help="Interpreter whose torch to test (default: this one).")
@click.option("--timeout", type=Seconds(1), default=None,
              help="Seconds the whole smoke test may take (1 to 86400; default 60 quick, 120 standard, 300 full).")
@click.option("--device", type=click.Choice(["all", "cpu", "cuda", "mps", "xpu"]), default="all", show_default=True)
@click.option("--level", type=click.Choice(["quick", "standard", "full"]), default="standard", show_default=True,
              help="quick: import, devices, a matmul and the tutorial's autograd (a CI gate); standard: every check "
                   "and a first training script (SGD/AdamW, autocast, DataLoader workers); full: longer training, "
                   "32 MiB DataLoader batches and longer performance runs.")
@click.option("--compile", "with_compile", is_flag=True, help="Also check that torch.compile works.")
@click.option("--expect-gpus", type=click.IntRange(min=0), help="Fail unless torch sees exactly N GPUs.")
@click.option("--expect-cuda", type=Text("X.Y"), metavar="X.Y", help="Fail unless torch was built for CUDA X.Y.")
@click.option("--expect-torch", type=Text("SPEC"), metavar="SPEC",
              help="Fail unless the torch version matches, e.g. '>=2.4,<2.6'.")
@output_options
@gate_options
@format_options
@click.option("--distributed", is_flag=True,
              help="Fleet check: run under torchrun, srun or mpirun; every rank verifies its node, rank 0 compares "
                   "them, checks all_reduce and measures bus bandwidth, and prints one report.")
@click.option("--fleet-timeout", type=Seconds(1), default=300.0, show_default=True,
              help="With --distributed: seconds each step waits for every rank (1 to 86400).")
def verify(python, timeout, device, level, with_compile, expect_gpus, expect_cuda, expect_torch, as_json, verbose,
           quiet, color, requirements, policy_file, output_format, junit, distributed, fleet_timeout):
    """Run what a first training script runs (matmul, autograd, SGD, autocast, a DataLoader) on every device,
    in a child process."""
    from envdoctor.door import LiveDoor
    from envdoctor.probes import collect
    from envdoctor.verify import VerifyOptions, run_verify

    check_expectations(expect_cuda, expect_torch)
    out = Output(as_json, color, verbose, quiet, output_format, junit)
    policy = load_policy(policy_file)
    launch = read_launch() if distributed else None
    if launch is not None:
        from envdoctor.verify.fleet import stop_children_on_sigterm

        stop_children_on_sigterm()
        if launch.rank != 0:
            RUN.as_json = False  # stdout is rank 0's, even when this rank is interrupted
    start = time.monotonic()
    door = LiveDoor()
    python, chosen_because = target_interpreter(door, python)
    facts = collect(door, python=python)
    facts.python.chosen_because = chosen_because
    options = VerifyOptions(python=python, timeout=timeout, device=device, level=level, compile=with_compile,
                            expect_gpus=expect_gpus, expect_cuda=expect_cuda, expect_torch=expect_torch)
    from envdoctor.verify.progress import terminal_progress

    progress = None if out.as_json else terminal_progress(sys.stderr)
    report = Report("verify", facts, checks=run_verify(door, options, facts, progress))
    apply_policy(report, requirements, policy)
    if launch is not None:
        from envdoctor.verify.fleet import run_fleet

        report = run_fleet(door, launch, report, python=python, timeout=fleet_timeout)
        if launch.rank != 0:  # rank 0 reports for the whole job; this rank only says how its part went
            failed = [check.id for check in report.checks if check.status == "fail"]
            ended = (_("envdoctor: rank {rank}: failed: {checks}; rank 0 reports for the job", rank=launch.rank,
                       checks=", ".join(failed[:5])) if failed
                     else _("envdoctor: rank {rank}: done; rank 0 reports for the job", rank=launch.rank))
            click.echo(say(ended), err=True)
            raise SystemExit(int(ExitCode.OK))
    report.duration_s = round(time.monotonic() - start, 3)
    out.facts_in_text = False
    out.emit(report)


def read_launch():
    """The rank, world size and rendezvous of a distributed run, from the launcher's variables; none
    found (or nonsense) is a usage error saying how to launch."""
    from envdoctor.verify.fleet import LaunchError, launch_from_env

    try:
        return launch_from_env(os.environ)
    except LaunchError as exc:
        raise click.UsageError(_("--distributed: {problem}", problem=message_of(exc)))


def check_expectations(expect_cuda: str | None, expect_torch: str | None) -> None:
    """A malformed --expect-* is a usage error, before anything runs."""
    from packaging.specifiers import InvalidSpecifier

    from envdoctor import compat

    if expect_cuda is not None and compat.parse_cuda(expect_cuda) is None:
        raise click.BadParameter(_("{value} is not a CUDA version like 12.4", value=repr(expect_cuda)),
                                 param_hint="--expect-cuda")
    if expect_torch is not None:
        try:
            compat.parse_specifier(expect_torch)
        except InvalidSpecifier:
            raise click.BadParameter(_("{value} is not a version specifier such as '>=2.4,<2.6'", value=repr(expect_torch)),
                                     param_hint="--expect-torch")


@cli.command(context_settings=CONTEXT)
@click.argument("requirements", nargs=-1, type=Text("REQUIREMENT"))
@machine_options
@output_options
@click.option("--dry-run", is_flag=True,
              help="Print the plan; run no installer (the read-only probes still run, as for check).")
@click.option("--variant", type=Text("NAME"), metavar="NAME", help="Force a build: cpu, cu126, rocm6.4, xpu, ...")
@click.option("--manager", type=click.Choice(["pip", "uv", "conda", "mamba"]),
              help="Package manager (default: the one that installed torch here; conda/mamba in a conda env "
                   "without torch; else pip).")
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
@click.option("-y", "--yes", is_flag=True, help="Run the plan without asking (needed where there is no terminal).")
@click.option("--upgrade", is_flag=True, help="Replace a torch that runs here by the newest that fits.")
@click.option("--mirror", "mirrors", multiple=True, type=Text("NAME|URL"), metavar="NAME|URL",
              help="A mirror preset (sjtu, tuna, ustc; recipes/mirrors.toml), a copy of the PyTorch index (URL), "
                   "or pypi=URL. Repeatable: one for each index.")
@click.option("--no-index-check", is_flag=True, help="Do not ask the chosen index for a page before installing.")
@click.option("--emit", type=click.Choice(["requirements", "uv", "pixi", "conda-env", "dockerfile"]),
              help="With --dry-run: print the plan as a file a project keeps instead of the report.")
@click.option("--command", "command_only", is_flag=True,
              help="With --dry-run: print only the command line that carries out the plan (steps joined), for "
                   "scripts; none (no build fits, nothing to do) prints nothing and says why on stderr.")
@click.option("--shell", type=click.Choice(["posix", "powershell", "cmd"]), default=None,
              help="With --command: the shell the line is written for (default posix).")
def install(requirements, machine, python, timeout, recipe_dirs, as_json, verbose, quiet, color, dry_run, variant,
            manager, driver, gpus, no_gpu, target_os, target_arch, target_python, facts_file, no_verify,
            break_system_packages, yes, upgrade, mirrors, no_index_check, emit, command_only, shell):
    """Pick the torch build for this machine (or a described one), show the plan, ask, run it, check again.

    REQUIREMENTS are PEP 508 strings such as "torch>=2.4,<2.6" torchvision transformers.
    """
    from envdoctor import rules
    from envdoctor.probes import collect
    from envdoctor.resolver import Request, resolve
    from envdoctor.target import describe_target

    out = Output(as_json, color, verbose, quiet)
    start = time.monotonic()
    if gpus and no_gpu:
        raise click.UsageError(_("--gpu and --no-gpu contradict each other"))
    if emit and not dry_run:
        raise click.UsageError(_("--emit writes the plan as a file: add --dry-run"))
    if emit and as_json:
        raise click.UsageError(_("--emit prints a file, --json a report: pick one"))
    if command_only and not dry_run:
        raise click.UsageError(_("--command prints the plan's command line: add --dry-run"))
    if command_only and (emit or as_json):
        raise click.UsageError(_("--command prints a command line, --emit a file: pick one") if emit
                               else _("--command prints a command line, --json a report: pick one"))
    if shell is not None and not command_only:
        raise click.UsageError(_("--shell only applies to --command"))
    elsewhere = machine is not None or facts_file is not None or target_os or target_arch or target_python
    if elsewhere and not dry_run:
        raise click.UsageError(_("a plan for another machine (--machine, --facts, --target-*) can only be "
                                 "printed here: add --dry-run"))
    door, facts, recipes = planned_machine(machine, python, timeout, recipe_dirs, driver, gpus, no_gpu, target_os,
                                           target_arch, target_python, facts_file)
    try:
        from envdoctor.mirrors import choose

        request = Request(requirements=list(requirements), variant=variant, manager=manager, upgrade=upgrade,
                          mirrors=choose(mirrors, recipes) if mirrors else None)
    except ValueError as exc:
        raise click.UsageError(message_of(exc))
    plan = resolve(facts, request, recipes)
    report = Report("install", facts, rules.evaluate(facts, recipes), plan=plan.to_dict(), findings_gate=False)
    warn_newer_than_known(report, requirements, recipes)
    if emit:
        from envdoctor.install import emitted_file

        written, text = emitted_file(report.plan or {}, emit, manager)
        if not written:
            click.echo(f"envdoctor: {say(text)}", err=True)
            raise SystemExit(int(ExitCode.PROBLEMS))
        write_stdout(text)
        raise SystemExit(int(ExitCode.OK))
    if command_only:
        from envdoctor.install import command_line

        line, why = command_line(report.plan or {}, manager, shell or "posix")
        if line is None:
            click.echo(f"envdoctor: {say(printable_text(why))}", err=True)
            raise SystemExit(int(ExitCode.OK if plan.ok and plan.action == "nothing_to_do" else ExitCode.PROBLEMS))
        write_stdout(line)
        raise SystemExit(int(ExitCode.OK))
    if dry_run or not plan.ok or plan.action == "nothing_to_do":
        report.duration_s = round(time.monotonic() - start, 3)
        out.emit(report)
    def probe_again():
        """The target as it is after the installer ran, described by the same flags as before."""
        chosen, chosen_because = target_interpreter(door, python)
        after = collect(door, timeout=timeout, python=chosen)
        after.python.chosen_because = chosen_because
        return describe_target(after, driver=driver, gpus=gpus, no_gpu=no_gpu, recipes=recipes, base_is_host=True)

    from envdoctor.install import Console, carry_out

    def confirm(question: str) -> bool:
        return click.confirm(say(question), default=False, err=True)

    console = Console(say=lambda text: click.echo(say(text), err=True), confirm=confirm if _stdin_is_terminal() else None,
                      again=["envdoctor", *RUN.args], color=out.color, ascii_only=out.ascii_only,
                      progress=progress_writer(sys.stderr, out.as_json), progress_interval=progress_interval())
    report = carry_out(report, facts, door, console, manager=manager, yes=yes, index_check=not no_index_check,
                       verify=not no_verify, break_system_packages=break_system_packages, recipes=recipes,
                       probe_again=probe_again)
    report.duration_s = round(time.monotonic() - start, 3)
    out.emit(report)


def progress_writer(stream, as_json: bool):
    """How "still running" lines reach a person: on ``stream`` when it is a terminal, never for --json, never
    into a log or a pipe (None)."""
    try:
        terminal = stream is not None and stream.isatty()
    except (ValueError, OSError):
        terminal = False
    if as_json or not terminal:
        return None
    return lambda text: click.echo(say(text), file=stream)


def progress_interval() -> float:
    """Seconds between progress lines: ENVDOCTOR_PROGRESS_INTERVAL (0.01 to 86400), else the default."""
    from envdoctor.install import PROGRESS_INTERVAL

    text = os.environ.get("ENVDOCTOR_PROGRESS_INTERVAL")
    if not text:
        return PROGRESS_INTERVAL
    try:
        return Seconds(0.01).convert(text, None, None)
    except click.BadParameter as exc:
        raise click.UsageError(_("ENVDOCTOR_PROGRESS_INTERVAL: {problem}", problem=exc.message))


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def read_stdin(limit: int) -> str:
    """Standard input as text, at most ``limit`` bytes (a usage error beyond, or when it is not UTF-8)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise click.UsageError(_("-: there is no standard input to read"))
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise click.UsageError(_("<stdin>: larger than {limit} bytes", limit=limit))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.UsageError(_("<stdin>: not UTF-8 text (byte {offset})", offset=exc.start))


def accelerator_options(func):
    func = click.option("--no-gpu", is_flag=True, help="Describe the target: no GPU.")(func)
    func = click.option("--gpu", "gpus", multiple=True, type=Text("NAME"), metavar="NAME|sm_XY|gfxNNN",
                        help="Describe the target's GPUs (repeatable).")(func)
    func = click.option("--driver", type=Text("VERSION"), metavar="VERSION",
                        help="Describe the target: NVIDIA driver version.")(func)
    return func


@cli.command(context_settings=CONTEXT)
@click.argument("source", type=Text("FILE|-|DIR"), metavar="FILE|-|DIR")
@accelerator_options
@click.option("--here", is_flag=True,
              help="The paste came from this machine: judge it with this machine's probe, so each fix is the "
                   "command for this interpreter.")
@click.option("--python", "python", type=Text("PATH", blank_ok=True), metavar="PATH",
              help="With --here: the interpreter the paste came from (default: the one running envdoctor).")
@click.option("--recipes", "recipe_dirs", multiple=True, type=NonEmptyPath(exists=True, file_okay=False, path_type=Path),
              help="Extra recipe folder overriding the built-in data (repeatable; also ENVDOCTOR_RECIPES).")
@output_options
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
def diagnose(source, driver, gpus, no_gpu, here, python, recipe_dirs, as_json, verbose, quiet, color, strict):
    """Name the cause and the fix of what someone pasted: an error, a warning, a traceback, pip, uv or
    conda output, nvidia-smi output, an extension build log, a collect_env report, in any mix and order.

    FILE is the pasted text (markdown quotes, fences, prompts and prose around it are fine), an
    `envdoctor check --json` report, or a folder `envdoctor check --record` wrote; `-` reads standard
    input. --here adds this machine's probe; --gpu / --driver / --no-gpu add what the paste does not say.
    Text in which nothing is recognised is a warning (exit 0, 1 with --strict); binary input is a
    usage error (exit 2).
    """
    from envdoctor import diagnose as doctor
    from envdoctor.readers import NotAReportError

    if gpus and no_gpu:
        raise click.UsageError(_("--gpu and --no-gpu contradict each other"))
    if python is not None and not here:
        raise click.UsageError(_("--python only applies to --here"))
    out = Output(as_json, color, verbose, quiet)
    start = time.monotonic()
    recipes = load_recipes(recipe_dirs)
    try:
        reading, where = doctor.read_input(source, read_stdin)
    except NotAReportError as exc:
        raise click.UsageError(message_of(exc))
    if here:
        from envdoctor.probes import collect

        doctor.merge_here(reading, collect(open_door(None), python=python))
    try:
        reading.facts = doctor.add_description(reading.facts, recipes, driver=driver, gpus=gpus, no_gpu=no_gpu)
    except ValueError as exc:
        raise click.UsageError(message_of(exc))
    report = doctor.diagnose(reading, recipes, where)
    report.findings.append(recipes_age(recipes, recipe_dirs))  # the data these findings were judged with, as check says
    report.strict = strict
    report.duration_s = round(time.monotonic() - start, 3)
    if not out.as_json:
        write_stdout(say(printable_text(doctor.text_header(reading, where))))
    out.emit(report)


#: The largest file lint reads: READMEs and Dockerfiles are kilobytes.
LINT_FILE_LIMIT = 8 * 1024 * 1024


@cli.command(context_settings={**CONTEXT, "ignore_unknown_options": True})
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option("--file", "file_path", type=Text("PATH"), metavar="PATH",
              help="Lint every install line of a README, shell script, Dockerfile, requirements file or environment.yml.")
@machine_options
@output_options
@accelerator_options
@click.option("--target-os", type=click.Choice(["linux", "windows", "macos"]))
@click.option("--target-arch", type=click.Choice(["x86_64", "aarch64", "arm64"]))
@click.option("--target-python", type=Text("X.Y"), metavar="X.Y")
@click.option("--facts", "facts_file", type=NonEmptyPath(exists=True, dir_okay=False, path_type=Path),
              help="Judge for the machine of a saved `envdoctor check --json` report.")
def lint(command, file_path, machine, python, timeout, recipe_dirs, as_json, verbose, quiet, color, driver, gpus,
         no_gpu, target_os, target_arch, target_python, facts_file):
    """Say what is stale or wrong in a torch install command, and what to run instead.

    COMMAND is one install command, quoted ('pip install torch -f URL', 'curl URL | bash'); nothing is
    run. The command is judged for this machine (read-only probes, as for check) or a described one.
    Exit 1 when something is wrong, 0 when the command is current and fits.
    """
    from envdoctor import lint as linter
    from envdoctor.door import read_user_file

    out = Output(as_json, color, verbose, quiet)
    start = time.monotonic()
    if bool(command) == bool(file_path):
        raise click.UsageError(_("give one install command (quoted) or --file PATH, not both") if command
                               else _("give an install command to lint (quoted), or --file PATH"))
    if file_path is not None:
        text = read_user_file(file_path, LINT_FILE_LIMIT)
        installs, scripts, unread = linter.read_file_installs(text, linter.file_kind(file_path, text), file_path)
        what: str = file_path
        nothing = _("{file} holds no torch install command", file=file_path)
    else:
        line = command[0] if len(command) == 1 else shlex.join(command)
        installs, scripts, unread = linter.parse_command(linter.Line("command", line))
        if not installs and not scripts:
            raise click.UsageError(
                _("not an install command envdoctor reads (pip, uv, conda, mamba, or a script piped to a shell): "
                  "{command} ({problem})", command=printable_text(line), problem=unread[0]) if unread
                else _("not an install command envdoctor reads (pip, uv, conda, mamba, or a script piped to a shell): "
                       "{command}", command=printable_text(line)))
        what = _("the command")
        nothing = _("the command holds no torch install command")
    _door, facts, recipes = planned_machine(machine, python, timeout, recipe_dirs, driver, gpus, no_gpu, target_os, target_arch,
                                   target_python, facts_file)
    judged = linter.lint_installs(installs, scripts, facts, recipes)
    report = Report("lint", facts, linter.findings_of(judged), strict=True)
    from envdoctor.facts import Finding

    for problem in unread:
        report.findings.append(Finding("lint.unreadable-line", "info", "lint", problem, subject=problem.split(":")[0]))
    if not judged:
        report.findings.append(Finding("lint.nothing-to-check", "info", "lint", nothing, subject=str(what)))
    report.duration_s = round(time.monotonic() - start, 3)
    if out.as_json:
        out.emit(report)
    counts = report.summary()
    problems = [problem for problem in (_("{n} error(s)", n=counts["error"]) if counts["error"] else None,
                                        _("{n} warning(s)", n=counts["warning"]) if counts["warning"] else None)
                if problem is not None]
    verdict = (_("{errors} · {warnings}", errors=problems[0], warnings=problems[1]) if len(problems) == 2
               else problems[0] if problems else _("current and fitting"))
    summary = _("{verdict}   (-v for evidence, --json for machines)", verdict=verdict)
    header = _("envdoctor lint · {count} command(s) from {what} · for {machine}", count=len(judged), what=what,
               machine=linter.judged_for(installs, facts, recipes))
    write_stdout(linter.render_lint_text(judged, header, summary, out.color, out.ascii_only, verbose, quiet),
                 color=out.color)
    raise SystemExit(int(report.exit_code))


def planned_machine(machine, python, timeout, recipe_dirs, driver, gpus, no_gpu, target_os, target_arch, target_python,
                    facts_file):
    """(door, facts, recipes) of the machine install and lint plan for: this machine (read-only probes), a recorded
    or saved one, or a described one (for which nothing of this host is probed, nothing is borrowed)."""
    from envdoctor.facts import Facts
    from envdoctor.probes import collect
    from envdoctor.target import describe_target

    if gpus and no_gpu:
        raise click.UsageError(_("--gpu and --no-gpu contradict each other"))
    another_machine = bool(target_os or target_arch or target_python)
    if another_machine and python is not None:
        raise click.UsageError(_("--python names an interpreter on this machine; --target-* describe another one"))
    door = open_door(machine)
    if facts_file is not None:
        facts = read_facts(facts_file)
        facts.overrides.append(f"--facts {facts_file}")
    elif machine is not None or not another_machine:
        chosen, chosen_because = target_interpreter(door, python)
        facts = collect(door, timeout=timeout, python=chosen)
        facts.python.chosen_because = chosen_because
        facts.overrides[:0] = replay_flags(machine, python)
    else:
        facts = Facts()
    recipes = load_recipes(recipe_dirs)
    try:
        facts = describe_target(facts, driver=driver, gpus=gpus, no_gpu=no_gpu, target_os=target_os,
                                target_arch=target_arch, target_python=target_python, recipes=recipes,
                                base_is_host=facts_file is None and machine is None)
    except ValueError as exc:
        raise click.UsageError(message_of(exc))
    return door, facts, recipes


@cli.group(context_settings=CONTEXT)
def recipes() -> None:
    """Inspect the compatibility data."""


@recipes.command("validate", context_settings=CONTEXT)
@click.argument("folder", required=False, type=NonEmptyPath(exists=True, file_okay=False, path_type=Path))
def recipes_validate(folder):
    """Validate the built-in recipes, or the recipe files in FOLDER."""
    from envdoctor.door import UserFileError, read_user_file
    from envdoctor.recipes import validate
    from envdoctor.recipes.folders import MAX_FILE_BYTES
    from envdoctor.verify import GpuPeaksError, load_gpu_peaks
    from envdoctor.verify.runner import parse_gpu_peaks

    problems = validate(folder)
    peaks = folder / "gpu_peaks.toml" if folder is not None else None
    try:
        if peaks is None:
            load_gpu_peaks()
        elif os.path.lexists(peaks):  # someone else's folder: bounded, a regular file, never a link out of it
            parse_gpu_peaks(read_user_file(str(peaks), MAX_FILE_BYTES), peaks.name)
    except UserFileError as exc:
        problems.append(_("{file}: cannot read: {problem}", file=str(peaks), problem=str(exc).removeprefix(f"{peaks}: ")))
    except GpuPeaksError as exc:
        problems.extend(exc.problems)
    from envdoctor.extensions import ExtensionDataError, load_catalog

    extensions = folder / "extensions.toml" if folder is not None else None
    if extensions is None or extensions.is_file():
        try:
            load_catalog(extensions)
        except ExtensionDataError as exc:
            problems.extend(exc.problems)
    for problem in problems:
        click.echo(say(_("error: {problem}", problem=printable_text(problem))), err=True)
    counted = (_("{count} problem(s) in {folder}", count=len(problems), folder=printable_text(str(folder))) if folder
               else _("{count} problem(s) in the built-in recipes", count=len(problems)))
    click.echo(say(counted))
    raise SystemExit(int(ExitCode.PROBLEMS if problems else ExitCode.OK))


@recipes.command("refresh", context_settings=CONTEXT)
@click.option("--index", "index_url", type=Text("URL"), metavar="URL",
              help="Root of the PyTorch wheel index (URL/torch/, URL/<variant>/torch/); default: the --mirror serving "
                   "it, else the recipes' index base with the mirror table applied.")
@click.option("--mirror", "mirrors", multiple=True, type=Text("NAME|URL"), metavar="NAME|URL",
              help="A mirror preset (sjtu, tuna, ustc; recipes/mirrors.toml), a copy of the PyTorch index (URL), "
                   "or pypi=URL, as install takes them. Repeatable: one for each index.")
@click.option("--pypi", "pypi_url", type=Text("URL"), metavar="URL",
              help="Base of a PyPI-compatible service (URL/pypi/NAME/json, URL/simple/NAME/); default: the index the "
                   "target's pip is configured with, else pip's own default.")
@click.option("--offline", is_flag=True, help="Build the data again from the pages the last refresh fetched.")
@click.option("--dry-run", is_flag=True, help="Print what would change (new releases, variants, defaults); write nothing.")
@click.option("--python", "python", type=Text("PATH", blank_ok=True), metavar="PATH",
              help="The interpreter whose pip configuration names the PyPI service (default: this one).")
@click.option("--timeout", type=Seconds(0.1), default=30.0, show_default=True,
              help="Seconds each request may take (0.1 to 86400).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (schema envdoctor.refresh/1).")
def recipes_refresh(index_url, mirrors, pypi_url, offline, dry_run, python, timeout, as_json):
    """Learn torch releases newer than the built-in data from PyPI and the PyTorch wheel index.

    Writes torch.toml to the user's data folder, which check and install then load on top of the
    built-in data. What the indexes cannot tell (kernel lists, gfx targets, companions pinned only by
    a range) is inferred from the nearest known release and marked `inferred`; plans built on it say so.
    With the PyTorch index unreachable, releases are learnt from PyPI alone (PyPI's own builds only) and
    the output and overlay say what was not learnt; with PyPI unreachable too, nothing changes (exit 1).
    """
    from envdoctor.door import LiveDoor, user_cache_path
    from envdoctor.mirrors import choose
    from envdoctor.refresh import refresh_document, refresh_report
    from envdoctor.refresh.run import RefreshError, run_refresh
    from envdoctor.urls import index_url_problem

    for flag, url in (("--index", index_url), ("--pypi", pypi_url)):
        problem = index_url_problem(url) if url is not None else None
        if problem:
            raise click.BadParameter(_("{url}: {problem}", url=repr(url), problem=problem), param_hint=flag)
    recipes = load_recipes_without_refresh()
    try:
        chosen = choose(mirrors, recipes) if mirrors else None
    except ValueError as exc:
        raise click.UsageError(message_of(exc))
    if chosen is not None and chosen.pytorch is not None and index_url is not None:
        raise click.UsageError(_("--index and {mirror} both name the PyTorch wheel index: pick one",
                                 mirror=chosen.pytorch_from))
    if chosen is not None and chosen.pypi is not None and pypi_url is not None:
        raise click.UsageError(_("--pypi and {mirror} both name the PyPI service: pick one", mirror=chosen.pypi_from))
    try:
        run = run_refresh(LiveDoor(), recipes, pypi=pypi_url, index=index_url, offline=offline, dry_run=dry_run,
                          python=python, timeout=timeout, cache_folder=user_cache_path() / "refresh", mirrors=chosen)
    except RefreshError as exc:
        raise Failure(ExitCode.PROBLEMS, message_of(exc))
    if as_json:
        import json

        from envdoctor.redact import redact_data

        document = refresh_document(run.outcome, dry_run=dry_run, target=str(run.target), written=run.written,
                                    requests=run.requests, fetched_bytes=run.fetched_bytes, offline=offline)
        write_stdout(json.dumps(redact_data(document), indent=2))
        raise SystemExit(int(ExitCode.OK))
    write_stdout(printable_text(refresh_report(run.outcome, dry_run=dry_run, target=str(run.target), requests=run.requests,
                                           fetched_bytes=run.fetched_bytes, offline=offline)))
    raise SystemExit(int(ExitCode.OK))


def load_recipes_without_refresh():
    """The built-in data alone: what a refresh compares the indexes with (it replaces the refreshed layer)."""
    from envdoctor.recipes import RecipeError
    from envdoctor.recipes import load_recipes as load

    try:
        return load(refreshed=False)
    except RecipeError as exc:
        raise Failure(ExitCode.INTERNAL, _("recipe error: {problem}", problem=message_of(exc)))


def recipes_age(recipes, recipe_dirs: tuple[Path, ...]):
    """The info finding that says how old the recipes are and where they came from."""
    from envdoctor.refresh import data_finding

    if recipes is not None:
        return data_finding(recipes.layers)
    from envdoctor.recipes import data_layers

    overlays = [Path(p) for p in os.environ.get("ENVDOCTOR_RECIPES", "").split(os.pathsep) if p] + list(recipe_dirs)
    return data_finding(data_layers(overlays))


def warn_newer_than_known(report: Report, requirements: tuple[str, ...], recipes) -> None:
    """A plan warning when a requested torch is newer than every release the recipes know."""
    from envdoctor.refresh import newer_than_known

    warning = newer_than_known(list(requirements), recipes)
    if warning and report.plan is not None:
        report.plan.setdefault("warnings", []).append(warning)


def main() -> None:
    """The CLI, as :func:`envdoctor.entry.main` starts it (see EnvdoctorGroup.main for how every run ends)."""
    cli.main(prog_name="envdoctor")
