"""The command line's value types: a number of seconds, a non-empty text, a path that is not blank, a
--require expression; each turns a bad value into click's usage error (exit 2), never a traceback."""

from __future__ import annotations

import math
from typing import Any

import click

from envdoctor.i18n import _, message_of

#: The longest timeout accepted (a day): beyond it the standard library's waits overflow.
MAX_TIMEOUT = 86400.0


class Seconds(click.ParamType):
    """A timeout: a finite number of seconds from ``minimum`` to a day (nan, inf, 0 are usage errors)."""

    name = "seconds"

    def __init__(self, minimum: float) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(_("{value} is not a number of seconds", value=repr(value)), param, ctx)
        if not math.isfinite(number) or not self.minimum <= number <= MAX_TIMEOUT:
            self.fail(_("{value} is not a number of seconds from {minimum:g} to {maximum:g}", value=repr(value),
                        minimum=self.minimum, maximum=MAX_TIMEOUT), param, ctx)
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
            self.fail(_("must not be empty"), param, ctx)
        if "\0" in value:
            self.fail(_("must not contain a NUL character"), param, ctx)
        return value


class NonEmptyPath(click.Path):
    """click.Path that refuses the empty string (click would read it as the current directory)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and not value:
            self.fail(_("must not be empty"), param, ctx)
        if isinstance(value, str) and "\0" in value:
            self.fail(_("must not contain a NUL character"), param, ctx)
        return super().convert(value, param, ctx)


class RequirementText(click.ParamType):
    """A --require expression (``torch>=2.5``); a malformed one is a usage error pointing at the bad part."""

    name = "EXPR"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from envdoctor.policy import PolicyError, Requirement, parse_requirement

        if isinstance(value, Requirement):
            return value
        try:
            return parse_requirement(str(value))
        except PolicyError as exc:
            self.fail(message_of(exc), param, ctx)
