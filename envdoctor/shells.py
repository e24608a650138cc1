"""Write an argv as a line that pastes into the target's shell: POSIX sh, PowerShell or cmd. Pure.

envdoctor itself never runs a shell; these lines are for people to copy. Each writer either returns a
line that the shell turns back into exactly ``argv`` (for PowerShell and cmd: the command line the
program receives splits back into ``argv`` by the Microsoft C runtime's rules), or None with the
reason in :func:`windows_problem` when no line would do that on every version of that shell.

PowerShell: every argument that is not a plain word is a single-quoted (verbatim) string, with each
quote character doubled, the typographic ones (U+2018-U+201B) too, which PowerShell also reads as
quotes; a quoted program is invoked with the call operator ``&``. Windows PowerShell 5.1 passes
arguments to programs without escaping embedded double quotes, drops empty ones, and lets a trailing
backslash escape the quote it adds around an argument with a space: such arguments get no line.

cmd: arguments with a space, a tab or one of ``& | < > ^ ( ) , ; = !`` are double-quoted (cmd does not
act on those inside quotes); ``%`` (variable expansion, which quotes do not stop on an interactive
command line) and ``"`` get no line.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence

from envdoctor.i18n import _

SHELLS = ("posix", "powershell", "cmd")
#: Arguments PowerShell passes through as typed: no quotes, no operators, nothing it expands.
_PS_PLAIN = re.compile(r"^[A-Za-z0-9_./:\\+=][A-Za-z0-9_./:\\+=-]*$")
#: Options (``-m``, ``--index-url``): plain, but Windows PowerShell splits ``-a.b`` style tokens, so only
#: letters, digits and dashes stay unquoted after the dash.
_PS_OPTION = re.compile(r"^--?[A-Za-z0-9][A-Za-z0-9-]*$")
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"
_CMD_SPECIAL = set(" \t&|<>^(),;=!")


def shells_for(platform: str | None) -> tuple[str, ...]:
    """The shells a command for this target platform is written for."""
    return ("powershell", "cmd") if (platform or "").startswith("windows") else ("posix",)


def join(argv: Sequence[str], shell: str) -> str | None:
    """``argv`` as one line for ``shell``, or None when that shell cannot be given it exactly."""
    if shell == "posix":
        return shlex.join(argv)
    if windows_problem(argv, shell):
        return None
    if shell == "powershell":
        return _powershell(argv)
    if shell == "cmd":
        return _cmd(argv)
    raise ValueError(f"unknown shell {shell!r} (one of {', '.join(SHELLS)})")


def windows_problem(argv: Sequence[str], shell: str) -> str:
    """Why ``argv`` cannot be written for PowerShell or cmd ('' when it can)."""
    for arg in argv:
        if any(c in arg for c in "\0\r\n"):
            return _("{arg} holds a line break", arg=repr(arg))
        if '"' in arg:
            return _("{arg} holds a double quote, which Windows shells do not pass on intact", arg=repr(arg))
        if not arg:
            return _("an empty argument, which Windows PowerShell drops")
        if arg.endswith("\\") and (" " in arg or "\t" in arg):
            return _("{arg} ends with a backslash and needs quotes: the backslash would escape the quote", arg=repr(arg))
        if shell == "cmd" and "%" in arg:
            return _("{arg} holds %, which cmd expands even inside quotes", arg=repr(arg))
    return ""


def _powershell(argv: Sequence[str]) -> str:
    words = [_ps_word(arg) for arg in argv]
    if words and words[0] != argv[0]:
        words.insert(0, "&")  # a quoted string is a value, not a command, unless called
    return " ".join(words)


def _ps_word(arg: str) -> str:
    if arg != "--%" and (_PS_OPTION.match(arg) or (_PS_PLAIN.match(arg) and not arg.startswith("-"))):
        return arg
    return "'" + "".join(c * 2 if c in _PS_QUOTES else c for c in arg) + "'"


def _cmd(argv: Sequence[str]) -> str:
    return " ".join(_cmd_word(arg) for arg in argv)


def _cmd_word(arg: str) -> str:
    if not any(c in _CMD_SPECIAL for c in arg):
        return arg
    # inside quotes a run of backslashes before the closing quote would escape it: double them
    trailing = len(arg) - len(arg.rstrip("\\"))
    return f'"{arg}{chr(92) * trailing}"'


#: What a variable envdoctor sets for a command is called: a name every shell takes without quotes.
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def join_with_env(argv: Sequence[str], shell: str, env: Mapping[str, str]) -> str | None:
    """``argv`` as one line for ``shell`` with ``env`` set for it: POSIX ``NAME=value cmd`` (for that command
    only), PowerShell ``$env:NAME='value'; cmd`` and cmd ``set "NAME=value" && cmd`` (both for the rest of that
    session: those shells have no per-command form). None where the line or a value cannot be written."""
    line = join(argv, shell)
    if line is None or not env:
        return line
    if any(not _VARIABLE_NAME.match(name) or any(c in value for c in "\0\r\n") for name, value in env.items()):
        return None
    if shell == "posix":
        return " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items()) + " " + line
    if shell == "powershell":
        quoted = {name: "'" + "".join(c * 2 if c in _PS_QUOTES else c for c in value) + "'" for name, value in env.items()}
        return "".join(f"$env:{name}={value}; " for name, value in quoted.items()) + line
    if any(c in value for value in env.values() for c in '%"'):
        return None
    return "".join(f'set "{name}={value}" && ' for name, value in env.items()) + line
