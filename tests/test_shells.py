"""Commands paste into the target's shell: each written line turns back into exactly the argv.

The oracles are tokenizers written here from Microsoft's documented rules, not from the writer:

- PowerShell, argument mode: about_Parsing ("Argument mode": the metacharacters ``$ @ ( ) , ; { } | & < >``,
  ``'``, ``"`` and the backtick, ``#`` starting a comment, ``--%`` stopping parsing) and about_Quoting_Rules
  (a single-quoted string is verbatim; a quote inside it is written twice; the typographic single quotes
  U+2018-U+201B count as quotes), https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_parsing
  and .../about_quoting_rules; a quoted command is run with the call operator ``&`` (about_Operators).
  How PowerShell hands the arguments to a program: about_Parsing, "Passing arguments that contain quote
  characters" and $PSNativeCommandArgumentPassing (Legacy: an argument with whitespace is wrapped in
  double quotes, nothing escaped, empty arguments dropped; Standard: quoted and escaped for the C runtime).
- cmd: the cmd reference (https://learn.microsoft.com/windows-server/administration/windows-commands/cmd):
  ``& | < > ( )`` are special and must be escaped with ``^`` or quoted; ``%VAR%`` expands.
- The program's side, for both: "Parsing C command-line arguments"
  (https://learn.microsoft.com/cpp/c-language/parsing-c-command-line-arguments): white space separates
  arguments, double quotes group, 2n backslashes + quote give n backslashes and a delimiter, 2n+1 give n and
  a literal quote, other backslashes are literal, argv[0] is read up to the next quote or white space.

POSIX lines are checked by a real /bin/sh.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.shells import join, shells_for, windows_problem

PS_QUOTES = "'\u2018\u2019\u201a\u201b"
PS_META = set("$@(),;{}|&<>\"`") | set(PS_QUOTES)


class Refused(Exception):
    """The shell would not read the line as one plain command with these arguments."""


# ---------------------------------------------------------------------------- PowerShell


def powershell_arguments(line: str) -> list[str]:
    """The values PowerShell's argument-mode parser gives a command: [command, arg, ...]."""
    tokens: list[str] = []
    i, n = 0, len(line)
    called = False
    first = True
    while i < n:
        if line[i] in " \t":
            i += 1
            continue
        if first and line.startswith("& ", i):
            called, i = True, i + 2
            continue
        if line[i] in PS_QUOTES:
            if first and not called:
                raise Refused("a quoted string in command position is a value, not a command")
            value, i = _ps_single_quoted(line, i + 1)
        else:
            end = i
            while end < n and line[end] not in " \t":
                end += 1
            value = line[i:end]
            if value == "--%" or value.startswith("#") or any(c in PS_META for c in value):
                raise Refused(f"bare word {value!r} holds a PowerShell metacharacter")
            if value.startswith("-") and any(c in value for c in ".:"):
                raise Refused(f"Windows PowerShell splits the parameter-like token {value!r}")
            i = end
        if i < n and line[i] not in " \t":
            raise Refused("a token goes on after its closing quote")
        tokens.append(value)
        first = False
    return tokens


def _ps_single_quoted(line: str, i: int) -> tuple[str, int]:
    value = []
    while i < len(line):
        if line[i] in PS_QUOTES:
            if i + 1 < len(line) and line[i + 1] in PS_QUOTES:
                value.append(line[i])  # a doubled quote is one literal quote
                i += 2
                continue
            return "".join(value), i + 1
        value.append(line[i])
        i += 1
    raise Refused("unterminated single-quoted string")


def native_command_line(arguments: list[str], mode: str) -> str:
    """The command line PowerShell builds for a program (Legacy: Windows PowerShell 5.1)."""
    parts = []
    for arg in arguments:
        if mode == "legacy":
            if not arg:
                continue  # dropped
            parts.append(f'"{arg}"' if any(c in arg for c in " \t") else arg)
        else:
            parts.append(crt_quote(arg))
    return " ".join(parts)


def crt_quote(arg: str) -> str:
    """Quote one argument so the C runtime reads it back (the Standard passing mode's rule)."""
    if arg and not any(c in arg for c in ' \t"'):
        return arg
    out, backslashes = ['"'], 0
    for c in arg:
        if c == "\\":
            backslashes += 1
            continue
        if c == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + c)
        backslashes = 0
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


# ---------------------------------------------------------------------------- cmd


def cmd_command_line(line: str) -> str:
    """What cmd hands CreateProcess for an interactive line: escape carets removed, quotes kept."""
    out, quoted, i = [], False, 0
    while i < len(line):
        c = line[i]
        if c == "%":
            raise Refused("% starts a variable expansion on the command line")
        if c == '"':
            quoted = not quoted
            out.append(c)
        elif not quoted and c == "^":
            if i + 1 >= len(line):
                raise Refused("a caret at the end continues the line")
            out.append(line[i + 1])
            i += 1
        elif not quoted and c in "&|<>()":
            raise Refused(f"unquoted {c!r} is a cmd operator")
        else:
            out.append(c)
        i += 1
    if quoted:
        raise Refused("unterminated quote")
    return "".join(out)


# ---------------------------------------------------------------------------- the C runtime


def crt_argv(command_line: str) -> list[str]:
    """argv as the Microsoft C runtime splits a command line."""
    i, n = 0, len(command_line)
    while i < n and command_line[i] in " \t":
        i += 1
    # argv[0]: up to the next quote pair or white space, no escapes
    program = []
    quoted = False
    while i < n and (quoted or command_line[i] not in " \t"):
        if command_line[i] == '"':
            quoted = not quoted
        else:
            program.append(command_line[i])
        i += 1
    argv = ["".join(program)]
    while True:
        while i < n and command_line[i] in " \t":
            i += 1
        if i >= n:
            return argv
        arg, quoted = [], False
        while i < n and (quoted or command_line[i] not in " \t"):
            c = command_line[i]
            if c == "\\":
                start = i
                while i < n and command_line[i] == "\\":
                    i += 1
                count = i - start
                if i < n and command_line[i] == '"':
                    arg.append("\\" * (count // 2))
                    if count % 2:
                        arg.append('"')
                        i += 1
                    continue
                arg.append("\\" * count)
                continue
            if c == '"':
                if quoted and i + 1 < n and command_line[i + 1] == '"':
                    arg.append('"')  # "" inside quotes: one literal quote
                    i += 2
                    continue
                quoted = not quoted
                i += 1
                continue
            arg.append(c)
            i += 1
        argv.append("".join(arg))


def through_powershell(line: str, mode: str) -> list[str]:
    return crt_argv(native_command_line(powershell_arguments(line), mode))


def through_cmd(line: str) -> list[str]:
    return crt_argv(cmd_command_line(line))


# ---------------------------------------------------------------------------- the oracles themselves


def test_the_c_runtime_oracle_reads_microsofts_own_examples():
    """The table in "Parsing C command-line arguments" (input -> argv[1..])."""
    examples = [
        ('"a b c" d e', ["a b c", "d", "e"]),
        ('"ab\\"c" "\\\\" d', ['ab"c', "\\", "d"]),
        ('a\\\\\\b d"e f"g h', ["a\\\\\\b", "de fg", "h"]),
        ('a\\\\\\"b c d', ['a\\"b', "c", "d"]),
        ('a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]),
        ('a"b"" c d', ['ab" c d']),
    ]
    for line, expected in examples:
        assert crt_argv("prog " + line)[1:] == expected, line


def test_the_powershell_oracle_refuses_what_powershell_would_read_otherwise():
    for line in ["py -3.12 -m pip install numpy<2", "python -m pip install a;b", "'C:\\x y\\python.exe' -m pip",
                 "python -m pip install $HOME", "python -c 'unterminated"]:
        with pytest.raises(Refused):
            powershell_arguments(line)
    assert powershell_arguments("& 'C:\\a b\\python.exe' -m pip 'it''s'") == ["C:\\a b\\python.exe", "-m", "pip", "it's"]
    stop = join(["python", "--%", "x"], "powershell")  # the stop-parsing token is passed quoted
    assert stop is not None and through_powershell(stop, "standard") == ["python", "--%", "x"]


def test_the_cmd_oracle_refuses_operators_and_expansion():
    for line in ["pip install numpy<2", "pip install a&b", "echo %PATH%", 'pip "open']:
        with pytest.raises(Refused):
            cmd_command_line(line)
    assert through_cmd('"C:\\a b\\python.exe" -m pip install "numpy<2"') == ["C:\\a b\\python.exe", "-m", "pip", "install",
                                                                               "numpy<2"]


# ---------------------------------------------------------------------------- the writer against them

WINDOWS_ARGV = [
    ["C:\\Users\\Dev User\\venv\\Scripts\\python.exe", "-m", "pip", "install", "torch==2.7.1+cu126",
     "--index-url", "https://download.pytorch.org/whl/cu126"],
    ["py", "-3.12", "-m", "pip", "install", "torch[opt-einsum]==2.7.1", "numpy<2; python_version < '3.13'"],
    ["uv", "pip", "install", "--python", "C:\\Program Files\\Python312\\python.exe", "transformers[torch]>=4.40,<5"],
    ["conda", "install", "-y", "-p", "C:\\Users\\Dev User\\miniforge3\\envs\\ml", "pytorch-gpu==2.6.0",
     "cuda-version=12.6", "-c", "conda-forge"],
    ["python", "-m", "pip", "install", "it's", "a\u2019b", "$HOME", "@list", "x,y", "a(b)", "#tag", "-a.b"],
    ["C:\\tools\\python.exe", "-m", "pip", "install", "C:\\wheels dir\\pkg-1.0-py3-none-any.whl", "trailing\\"],
]


@pytest.mark.parametrize("argv", WINDOWS_ARGV, ids=range(len(WINDOWS_ARGV)))
def test_windows_lines_round_trip_through_powershell_and_cmd(argv):
    powershell, cmd = join(argv, "powershell"), join(argv, "cmd")
    assert powershell is not None and cmd is not None, windows_problem(argv, "cmd")
    for mode in ("legacy", "standard"):
        assert through_powershell(powershell, mode) == argv, (mode, powershell)
    assert through_cmd(cmd) == argv, cmd


def test_the_posix_quoting_of_a_windows_path_is_what_fails_and_is_not_used():
    """`'C:\\...\\python.exe' -m pip` is a string, not a command, in PowerShell, and cmd passes the quotes on."""
    argv = WINDOWS_ARGV[0]
    posix = join(argv, "posix")
    assert posix is not None and posix.startswith("'C:")
    with pytest.raises(Refused):
        powershell_arguments(posix)
    assert through_cmd(posix)[0] != argv[0]
    assert shells_for("windows-x86_64") == ("powershell", "cmd") and shells_for("linux-x86_64") == ("posix",)


@pytest.mark.parametrize("arg, shell", [('say "hi"', "powershell"), ("", "powershell"), ("C:\\a b\\", "cmd"),
                                        ("100%", "cmd"), ("two\nlines", "powershell")])
def test_arguments_no_windows_line_can_carry_get_none(arg, shell):
    argv = ["python", "-m", "pip", "install", arg]
    assert join(argv, shell) is None and windows_problem(argv, shell)


_PIECES = st.sampled_from(["torch", "==", "2.7.1", "+cu126", "[opt-einsum]", "<", ">=", ";", " ", "'", "\u2018",
                           "\\", "C:", "/", "$", "@", ",", "(", ")", "&", "|", "^", "!", "=", "-", "--", ".", "#",
                           "python_version", "https://example.org/simple", "%", '"', "\t", "a"])
_ARGS = st.lists(_PIECES, min_size=0, max_size=6).map("".join)


@given(st.lists(_ARGS, min_size=1, max_size=5))
def test_any_argv_round_trips_or_gets_no_line(args):
    argv = ["C:\\Program Files\\Python312\\python.exe", *args]
    for shell in ("powershell", "cmd"):
        line = join(argv, shell)
        assert (line is None) == bool(windows_problem(argv, shell))
        if line is None:
            continue
        if shell == "cmd":
            assert through_cmd(line) == argv, line
        else:
            for mode in ("legacy", "standard"):
                assert through_powershell(line, mode) == argv, (mode, line)


@pytest.mark.skipif(shutil.which("sh") is None or os.name != "posix", reason="needs a POSIX sh")
def test_posix_lines_round_trip_through_a_real_sh():
    argv = ["/home/dev user/venv/bin/python", "-m", "pip", "install", "numpy<2; python_version < '3.13'",
            "torch==2.7.1+cu126", "$HOME", "a\"b", "it's", "*.whl", ""]
    line = join(["printf", "%s\\0", *argv], "posix")
    done = subprocess.run(["sh", "-c", line], capture_output=True, timeout=30, check=True)
    assert done.stdout.split(b"\0")[:-1] == [a.encode() for a in argv]
