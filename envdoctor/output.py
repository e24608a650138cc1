"""Where a command's report goes: standard output (in what its encoding can hold, a closed or full one
handled), the --junit file and GitHub's job summary, and what the outermost handler must know of the run."""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import field
from pathlib import Path
from typing import NoReturn

import click

from envdoctor.datatypes import datatype
from envdoctor.i18n import Text, _, message_of, say
from envdoctor.report import ExitCode, Report

#: What a write to a full or failing standard output raises (click writes --help itself, unbuffered).
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


class OutputError(Exception):
    """Standard output refused the report (a full disk, ``> /dev/full``): exit 2, as for a --junit or
    --record destination that cannot be written."""


@datatype
class Run:
    """What the outermost handler needs to know about the run in progress."""

    command: str | None = None
    as_json: bool = False
    emitted: bool = False  # a document went to stdout: never print a second one
    args: list[str] = field(default_factory=list)  # the command line as given (for "run it again with ...")

    def start(self, command: str | None, as_json: bool, args: list[str]) -> None:
        """A new run: ``main`` may be called more than once in one process (tests do)."""
        self.command, self.as_json, self.emitted, self.args = command, as_json, False, args


RUN = Run()


def printable_text(text: str) -> str:
    """``text`` fit for a terminal (controls stripped, secrets masked); a :class:`Text` stays one, its
    fields cleaned alike, so it can still be said in the reader's language."""
    from envdoctor.render import printable

    return text.map(printable) if isinstance(text, Text) else printable(text)


def path_text(path: object) -> str:
    """A path on one line: controls (a newline too) escaped as Python writes them, then made printable."""
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(path))
    return printable_text(text)


def silence_stdout() -> None:
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
    RUN.emitted = True
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
        silence_stdout()
    except OSError as exc:
        silence_stdout()
        if exc.errno not in (errno.EPIPE, errno.EINVAL):  # EINVAL: a closed pipe on Windows
            raise OutputError(_("cannot write to standard output: {reason}", reason=exc.strerror or str(exc))) from exc


class Output:
    """How to print: JSON or text, colour, verbosity."""

    def __init__(self, as_json: bool, color: str, verbose: int, quiet: bool, fmt: str = "text",
                 junit: Path | None = None) -> None:
        from envdoctor import render

        stream = sys.stdout
        try:
            isatty = stream is not None and stream.isatty()
        except (ValueError, OSError):
            isatty = False
        if as_json and fmt not in ("text", "json"):
            raise click.UsageError(_("--json and --format {format} contradict each other", format=fmt))
        as_json = as_json or fmt == "json"
        self.as_json = as_json
        self.github = fmt == "github"
        self.junit = junit
        self.facts_in_text = True
        self.verbose = verbose
        self.quiet = quiet
        self.color = (not as_json) and not self.github and render.use_color(color, os.environ, isatty)
        self.ascii_only = not render.can_encode(stream)

    def emit(self, report: Report) -> NoReturn:
        from envdoctor import render

        if self.junit is not None:
            write_junit(report, self.junit)
        if self.as_json:
            write_stdout(render.render_json(report))
        elif self.github:
            from envdoctor.render.github import render_github

            append_job_summary(report, os.environ.get("GITHUB_STEP_SUMMARY"))
            write_stdout(render_github(report, self.ascii_only, self.verbose, self.quiet,
                                       show_facts=self.facts_in_text))
        else:
            write_stdout(render.render_text(report, self.color, self.ascii_only, self.verbose, self.quiet,
                                            show_facts=self.facts_in_text), color=self.color)
        raise SystemExit(int(report.exit_code))


def write_junit(report: Report, path: Path) -> None:
    """Write the --junit file; one that cannot be written makes the run a usage error (exit 2), with
    the report still printed, as for --record."""
    from envdoctor.door import UserFileError, write_user_file
    from envdoctor.render.junit import render_junit

    try:
        write_user_file(str(path), render_junit(report))
    except UserFileError as exc:
        report.error = _("--junit: {problem}", problem=message_of(exc))
        report.exit_override = ExitCode.USAGE


def append_job_summary(report: Report, path: str | None) -> None:
    """Append the Markdown job summary where GitHub Actions asks for it (``GITHUB_STEP_SUMMARY``); a
    file that cannot take it costs the summary only, with a warning on stderr."""
    from envdoctor.door import UserFileError, append_user_file
    from envdoctor.render.github import job_summary

    if not path:
        return
    try:
        append_user_file(path, job_summary(report).encode("utf-8"))
    except UserFileError as exc:
        click.echo(say(_("envdoctor: no job summary written: {problem}", problem=printable_text(message_of(exc)))),
                   err=True)
