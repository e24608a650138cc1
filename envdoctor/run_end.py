"""How every run of envdoctor ends: :class:`EnvdoctorGroup` turns usage errors (click's own too), failures
(:class:`Failure`), interrupts, signals and bugs into an exit code from the contract
(:class:`envdoctor.report.ExitCode`, listed in :data:`EXIT_CODES`), a message on stderr and, with --json,
exactly one JSON document.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from envdoctor.i18n import _, message_of, say
from envdoctor.language import speak
from envdoctor.output import OUTPUT_ERRNOS, RUN, OutputError, printable_text, silence_stdout, write_stdout
from envdoctor.report import ExitCode, Report


class Failure(Exception):
    """End the command with ``code`` and a one-line ``message`` (a report with --json)."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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
        as_json = "--json" in options or "--format=json" in options or any(
            a == "--format" and b == "json" for a, b in zip(options, options[1:], strict=False))
        RUN.start(next((a for a in options if a in self.commands), None), as_json, args)
        from envdoctor.door import Stopped, stop_all_commands, stop_on_signals

        stop_on_signals()  # SIGINT, SIGTERM, SIGHUP, SIGQUIT: every child is killed at once
        try:
            args = speak(args, os.environ, sys.stdout, self, machine_readable=as_json)
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except SystemExit:  # how a command ends with its code: matched first, so no handler's error types get imported
            raise
        except (click.exceptions.Abort, KeyboardInterrupt):
            stop_all_commands()  # probe threads may still be waiting on their commands
            self._end(ExitCode.INTERRUPTED, _("interrupted"))
        except Stopped as exc:
            stop_all_commands()
            self._end(ExitCode(128 + exc.number), _("stopped by {signal}", signal=str(exc)))
        except click.ClickException as exc:
            english = printable_text(exc.message)
            exc.message = english  # type: ignore[misc]  # Final in click's stubs; format_message() reads it
            with_english = exc.format_message()  # what --json's "error" says (click speaks English with --json)
            exc.message = english if RUN.as_json else say(english)  # type: ignore[misc]
            exc.show()
            self._end(ExitCode.USAGE, with_english, quiet=True)
        except Failure as exc:
            self._end(exc.code, exc.message)
        except OutputError as exc:
            self._end(ExitCode.USAGE, message_of(exc))
        except _bad_input_errors() as exc:  # bad input met after the flags were read: still a usage error
            self._end(ExitCode.USAGE, message_of(exc))
        except Exception as exc:  # a bug in envdoctor: one line, the traceback on request
            if isinstance(exc, OSError) and exc.filename is None and exc.errno in OUTPUT_ERRNOS:
                silence_stdout()
                self._end(ExitCode.USAGE, _("cannot write to standard output: {reason}", reason=exc.strerror or str(exc)))
            if os.environ.get("ENVDOCTOR_DEBUG"):
                import traceback

                traceback.print_exc(file=sys.stderr)
            one_line = " ".join(str(exc).split())[:500]
            if os.environ.get("ENVDOCTOR_DEBUG"):
                self._end(ExitCode.INTERNAL, _("internal error: {kind}: {detail}", kind=type(exc).__name__, detail=one_line))
            self._end(ExitCode.INTERNAL, _("internal error: {kind}: {detail} (ENVDOCTOR_DEBUG=1 shows the traceback)",
                                           kind=type(exc).__name__, detail=one_line))
        sys.exit(result if isinstance(result, int) else 0)

    @staticmethod
    def _end(code: ExitCode, message: str, quiet: bool = False) -> None:
        message = printable_text(message)
        if not quiet:
            click.echo(f"envdoctor: {say(message)}", err=True)
        if RUN.as_json and not RUN.emitted:
            from envdoctor.render import render_json

            write_stdout(render_json(Report(RUN.command, error=message, exit_override=code)))
        sys.exit(int(code))


EXIT_CODES = """\b
Exit codes:
  0    fine: no error findings (warnings too with --strict), a plan was found, verify passed
  1    problems found: an error finding, a failed or unmet verify check, no build fits,
       an install refused (PEP 668, an unsafe URL, a missing installer, no target interpreter)
  2    usage error: a bad flag or value, an unreadable machine folder, --facts report or --record folder,
       a standard output that cannot be written (a full disk)
  3    envdoctor itself failed: a malformed recipe file, an internal error
  4    the package installer ran and failed
  130  interrupted (Ctrl-C); the processes envdoctor started are stopped first
  129, 131, 143  stopped by SIGHUP, SIGQUIT or SIGTERM, the same way"""
