"""Install commands read out of text: a README (inside code), a shell script, a Dockerfile, a requirements
file or a conda ``environment.yml``; and one command line split into the installs and piped scripts it runs.

Each line is split with ``shlex`` (POSIX rules) into its commands; nothing is ever run and no shell is involved.
Pure: text in, data out (:mod:`envdoctor.lint` judges what was read).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import field

from envdoctor.datatypes import datatype
from envdoctor.i18n import _
from envdoctor.readers.images import Image, parse_from, python_of

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "python", "python3", "sudo"})
SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")"})
PREFIXES = frozenset({"sudo", "time", "nohup", "exec", "command", "env", "run", "RUN"})
#: pip options that take a value (the next word unless written ``--opt=value``).
PIP_VALUE_OPTIONS = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-f", "--find-links", "-i", "--index-url",
    "--extra-index-url", "-t", "--target", "--prefix", "--root", "--platform", "--python-version", "--implementation",
    "--abi", "--src", "--upgrade-strategy", "--progress-bar", "--trusted-host", "--cache-dir", "--log", "--proxy",
    "--retries", "--timeout", "--exists-action", "--cert", "--client-cert", "--global-option", "--install-option",
    "-C", "--config-settings", "--only-binary", "--no-binary", "--report", "--python", "-p", "--torch-backend",
    "--index", "--default-index", "--index-strategy", "--keyring-provider",
})
CONDA_VALUE_OPTIONS = frozenset({"-c", "--channel", "-n", "--name", "-p", "--prefix", "--file", "--solver",
                                 "--repodata-fn", "--experimental", "--platform", "--subdir"})
_INSTALL_HINT = re.compile(r"\b(?:pip3?(?:\.[0-9]+)?|uv|conda|mamba|micromamba|apt(?:-get)?|dnf|yum)\s+(?:-y\s+)?"
                           r"(?:install|add|create)\b|\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b|\.(?:run|deb|rpm|exe)\b")
_CODE_SPAN = re.compile(r"`([^`]+)`")
#: The longest command line read: shlex copies its word on every character (quadratic), and no install
#: command is anywhere near this long.
MAX_LINE = 16 * 1024
#: The most lines of one file split into words (those that mention an installer at all).
MAX_CANDIDATES = 2000
_CANDIDATE = re.compile(r"\b(?:install|add|create)\b|\||\.(?:run|deb|rpm|exe)\b")
#: System package managers: their installs are read for the CUDA toolkit and cuDNN (and a Dockerfile's Python).
SYSTEM_MANAGERS = {"apt": "apt", "apt-get": "apt", "aptitude": "apt", "dnf": "dnf", "yum": "dnf", "microdnf": "dnf",
                   "zypper": "dnf"}
#: Installer files run or installed directly: NVIDIA's runfile, local repository packages, Windows installers.
_INSTALLER_FILE = re.compile(r"\.(?:run|deb|rpm|exe|msi)$", re.IGNORECASE)


# ---------------------------------------------------------------------------- reading commands out of text


@datatype
class Line:
    """One logical command line and where it was found (``README.md:12``)."""

    source: str
    text: str


def lines_of(text: str, kind: str, name: str) -> list[Line]:
    """The command lines of a file: ``kind`` is ``shell``, ``dockerfile``, ``markdown``, ``requirements`` or
    ``conda-env`` (see :func:`file_kind`); the last two are read by :func:`read_file_installs` instead."""
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[Line] = []
    if kind == "markdown":
        fence = False
        for number, raw in enumerate(physical, start=1):
            stripped = raw.strip()
            if stripped.startswith(("```", "~~~")):
                fence = not fence
                continue
            if len(raw) > MAX_LINE:
                continue
            if fence or raw.startswith(("    ", "\t")):
                out.extend(_logical([(number, raw)], name))
            else:
                out.extend(Line(f"{name}:{number}", span) for span in _CODE_SPAN.findall(raw) if _INSTALL_HINT.search(span))
        return out
    return _logical(list(enumerate(physical, start=1)), name)


def _logical(numbered: list[tuple[int, str]], name: str) -> list[Line]:
    """Physical lines joined at trailing backslashes; comments and blank lines dropped."""
    out: list[Line] = []
    pending: list[str] = []
    start = 0
    for number, raw in numbered:
        line = raw.rstrip() if len(raw) <= MAX_LINE else "#"  # too long to be a command: skipped like a comment
        if not pending:
            start = number
            if line.lstrip().startswith("#") or not line.strip():
                continue
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        out.append(Line(f"{name}:{start}", " ".join(part.strip() for part in pending)))
        pending = []
    if pending:
        out.append(Line(f"{name}:{start}", " ".join(part.strip() for part in pending)))
    return out


def file_kind(name: str, text: str) -> str:
    """How to read a file, from its name and, failing that, its first lines."""
    base = posixpath.basename(name.replace("\\", "/")).lower()
    if base.startswith(("dockerfile", "containerfile")) or base.endswith((".dockerfile", ".containerfile")):
        return "dockerfile"
    if base.endswith((".md", ".markdown", ".rst", ".txt")) and base.startswith("readme"):
        return "markdown"
    if base.endswith((".md", ".markdown", ".rst", ".ipynb")):
        return "markdown"
    if base.endswith((".yml", ".yaml")) and re.search(r"^dependencies\s*:", text, re.MULTILINE):
        return "conda-env"
    if base.endswith(".txt") or base.endswith(".in"):
        return "requirements"
    return "shell"


# ---------------------------------------------------------------------------- splitting commands


@datatype
class Install:
    """One install command as written: which tool, which packages, which indexes and channels."""

    source: str
    text: str
    tool: str  # "pip" | "uv" | "conda" | "mamba" | "micromamba" | "apt" | "dnf" | "installer" (a file run directly)
    requirements: list[str] = field(default_factory=list)  # requirement strings, conda specs, packages or files
    indexes: list[tuple[str, str]] = field(default_factory=list)  # ("--index-url", url), ("-f", url), ...
    channels: list[str] = field(default_factory=list)
    pre: bool = False
    redirected: list[str] = field(default_factory=list)  # words the shell would take as a redirection target
    files: list[str] = field(default_factory=list)  # -r requirements.txt, --file env.txt: read separately
    image: Image | None = None  # the Dockerfile stage it runs in; None: the machine it is judged for

    @property
    def manager(self) -> str:
        """The resolver's name for the tool (micromamba speaks mamba's command line)."""
        return "mamba" if self.tool == "micromamba" else self.tool


@datatype
class Script:
    """``curl URL | bash``: a script fetched from the network and run by a shell."""

    source: str
    text: str
    url: str
    shell: str


def _tokens(text: str) -> list[str] | None:
    """Shell words and operators of one line, split by POSIX rules; None when the quotes do not balance
    (or the line is longer than :data:`MAX_LINE`)."""
    if len(text) > MAX_LINE:
        return None
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        words = list(lexer)
    except ValueError:
        return None
    # a comment starts with '#' at the start of a word
    for index, word in enumerate(words):
        if word.startswith("#"):
            return words[:index]
    return words


def _segments(words: list[str]) -> list[tuple[list[str], str]]:
    """(command words, the operator that follows it)."""
    out: list[tuple[list[str], str]] = []
    current: list[str] = []
    for word in words:
        if word in SEPARATORS:
            out.append((current, word))
            current = []
        else:
            current.append(word)
    out.append((current, ""))
    return out


def _strip_prefix(words: list[str]) -> list[str]:
    """A command without what runs it: env assignments, sudo, ``!`` / ``%`` of notebooks, ``$`` prompts."""
    words = list(words)
    while words:
        head = words[0]
        if head in ("$", ">", "-") or head in PREFIXES or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", head):
            words.pop(0)
            if head == "sudo":
                while words and words[0].startswith("-"):
                    words.pop(0)
            continue
        if head[:1] in ("!", "%") and len(head) > 1:
            words[0] = head[1:]
        break
    return words


def _program(word: str) -> str:
    return posixpath.basename(word.replace("\\", "/")).lower().removesuffix(".exe")


def parse_command(line: Line) -> tuple[list[Install], list[Script], list[str]]:
    """The install commands and piped scripts of one line, and what could not be read."""
    words = _tokens(line.text)
    if words is None:
        if len(line.text) > MAX_LINE:
            return [], [], [_("{where}: longer than {n} characters", where=line.source, n=MAX_LINE)]
        return [], [], [_("{where}: the quotes do not balance", where=line.source)]
    installs: list[Install] = []
    scripts: list[Script] = []
    segments = _segments(words)
    for position, (segment, operator) in enumerate(segments):
        command = _strip_prefix(segment)
        if not command:
            continue
        program = _program(command[0])
        if program in ("curl", "wget") and operator == "|" and position + 1 < len(segments):
            shell = _strip_prefix(segments[position + 1][0])
            if shell and _program(shell[0]) in SHELLS:
                url = next((w for w in command[1:] if "://" in w), None)
                if url:
                    scripts.append(Script(line.source, line.text, url, _program(shell[0])))
            continue
        install = _install(command, line, segment)
        if install is not None:
            installs.append(install)
    return installs, scripts, []


def _install(command: list[str], line: Line, segment: list[str]) -> Install | None:
    program = _program(command[0])
    rest: list[str] | None = None
    tool = ""
    if re.fullmatch(r"pip[0-9.]*", program) and len(command) > 1 and command[1] == "install":
        tool, rest = "pip", command[2:]
    elif re.fullmatch(r"(python[0-9.]*|py|pypy3?)", program):
        if "-m" in command[1:]:
            at = command.index("-m", 1)
            if command[at + 1:at + 3] == ["pip", "install"]:
                tool, rest = "pip", command[at + 3:]
    elif program == "uv" and command[1:3] == ["pip", "install"]:
        tool, rest = "uv", command[3:]
    elif program == "uv" and command[1:2] == ["add"]:
        tool, rest = "uv", command[2:]
    elif program in ("conda", "mamba", "micromamba") and len(command) > 1 and command[1] in ("install", "create"):
        tool, rest = program, command[2:]
    elif program in SYSTEM_MANAGERS and "install" in command[1:]:
        words = command[command.index("install", 1) + 1:]
        return Install(line.source, line.text, SYSTEM_MANAGERS[program], [w for w in words if not w.startswith("-")])
    elif program in ("dpkg", "rpm") and any(w in ("-i", "--install", "-U", "-ivh", "-Uvh") for w in command[1:]):
        files = [w for w in command[1:] if _INSTALLER_FILE.search(w)]
        return Install(line.source, line.text, "installer", files) if files else None
    else:
        run = command[1:] if program in ("sh", "bash") else command
        if run and _INSTALLER_FILE.search(run[0]):
            return Install(line.source, line.text, "installer", [run[0]])
    if rest is None:
        return None
    install = Install(line.source, line.text, tool)
    values = CONDA_VALUE_OPTIONS if tool in ("conda", "mamba", "micromamba") else PIP_VALUE_OPTIONS
    index = 0
    while index < len(rest):
        word = rest[index]
        index += 1
        if word in (">", "<", ">>", ">&", "<&", "&>"):
            if index < len(rest):
                target = rest[index]
                index += 1
                if target[:1] in ("=",) or target[:1].isdigit():
                    install.redirected.append(f"{word}{target}")
            continue
        if word.startswith("-") and len(word) > 1:
            name, equals, value = word.partition("=")
            if name in values and not equals:
                value = rest[index] if index < len(rest) else ""
                index += 1
            _option(install, name, value)
            continue
        install.requirements.append(word)
    return install


def _option(install: Install, name: str, value: str) -> None:
    if name in ("-f", "--find-links", "-i", "--index-url", "--extra-index-url", "--index", "--default-index"):
        install.indexes.append((name, value))
    elif name in ("-c", "--channel") and install.tool in ("conda", "mamba", "micromamba"):
        install.channels.append(value)
    elif name in ("-r", "--requirement", "--file"):
        install.files.append(value)
    elif name == "--pre":
        install.pre = True


# ---------------------------------------------------------------------------- files that are not shell


def read_file_installs(text: str, kind: str, name: str) -> tuple[list[Install], list[Script], list[str]]:
    """Every install command of a file."""
    if kind == "requirements":
        return [_requirements_file(text, name)], [], []
    if kind == "conda-env":
        return _conda_env(text, name), [], []
    installs: list[Install] = []
    scripts: list[Script] = []
    unread: list[str] = []
    lines = lines_of(text, kind, name)
    candidates = [line for line in lines if _CANDIDATE.search(line.text)]
    if len(candidates) > MAX_CANDIDATES:
        unread.append(_("{where}: {n} more lines that may install something are not read (only the first {first} are)",
                        where=candidates[MAX_CANDIDATES].source, n=len(candidates) - MAX_CANDIDATES, first=MAX_CANDIDATES))
    if kind == "dockerfile":
        return _dockerfile(lines, set(id(line) for line in candidates[:MAX_CANDIDATES]), unread)
    for line in candidates[:MAX_CANDIDATES]:
        found, piped, problems = parse_command(line)
        installs += found
        scripts += piped
        unread += problems
    return installs, scripts, unread


def _dockerfile(lines: list[Line], candidates: set[int], unread: list[str]) -> tuple[list[Install], list[Script], list[str]]:
    """A Dockerfile's RUN commands, each with the image of its stage (FROM, with ARG defaults filled in)."""
    installs: list[Install] = []
    scripts: list[Script] = []
    args: dict[str, str] = {}
    stages: dict[str, Image] = {}
    image: Image | None = None
    apt: list[str] = []
    for line in lines:
        head, _space, body = line.text.strip().partition(" ")
        instruction = head.upper()
        if instruction == "ARG" and image is None:
            for word in _tokens(body) or []:
                key, equals, value = word.partition("=")
                if equals:
                    args[key] = value
        elif instruction == "FROM":
            if image is not None:
                python_of(image, apt)
            image, apt = parse_from(line.source, _tokens(body) or [], args, stages), []
        elif instruction == "RUN" and id(line) in candidates:
            command = re.sub(r"^(?:--[a-z]+=\S*\s+)+", "", body.strip())  # RUN --mount=... --network=...
            found, piped, problems = parse_command(Line(line.source, _exec_form(command)))
            for install in found:
                install.image = image
                if install.tool == "apt":
                    apt += install.requirements
            installs += found
            scripts += piped
            unread += problems
    if image is not None:
        python_of(image, apt)
    return installs, scripts, unread


def _exec_form(body: str) -> str:
    """``RUN ["pip", "install", "torch"]`` as the shell words it stands for."""
    if body.startswith("["):
        from envdoctor.readers.json_text import parse_json_text

        try:
            words = parse_json_text(body)
        except ValueError:
            return body
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return shlex.join(words)
    return body


def _requirements_file(text: str, name: str) -> Install:
    """A requirements file is one ``pip install -r``: its options apply to every line."""
    install = Install(f"{name}:1", f"pip install -r {name}", "pip")
    for line in _logical(list(enumerate(text.replace("\r", "").split("\n"), start=1)), name):
        words = _tokens(line.text) or []
        index = 0
        while index < len(words):
            word = words[index]
            index += 1
            if word.startswith("-"):
                option, equals, value = word.partition("=")
                if option in PIP_VALUE_OPTIONS and not equals:
                    value = words[index] if index < len(words) else ""
                    index += 1
                _option(install, option, value)
            elif word not in ("\\",):
                install.requirements.append(word)
                break  # the rest of a requirement line is its markers and hashes
    return install


def _conda_env(text: str, name: str) -> list[Install]:
    """``environment.yml``: its channels and dependencies, the ``pip:`` list as a pip install of its own.

    Read line by line (the file's own simple YAML: lists under ``channels:`` and ``dependencies:``).
    """
    conda = Install(f"{name}:1", f"conda env create -f {name}", "conda")
    pip = Install(f"{name}:1", _("pip install (the pip: list of {file})", file=name), "pip")
    section = ""
    pip_indent: int | None = None
    for number, raw in enumerate(text.replace("\r", "").split("\n"), start=1):
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        stripped = line.strip()
        if indent == 0 and stripped.endswith(":"):
            section, pip_indent = stripped[:-1], None
            continue
        if indent == 0:
            section = ""
            continue
        if not stripped.startswith("- "):
            continue
        item = stripped[2:].strip().strip("'\"")
        if pip_indent is not None and indent > pip_indent:
            words = item.split()
            if words and words[0].startswith("-"):
                option, equals, value = words[0].partition("=")
                _option(pip, option, value if equals else (words[1] if len(words) > 1 else ""))
            elif words:
                pip.requirements.append(item)
                pip.source = pip.source if pip.requirements[:-1] else f"{name}:{number}"
            continue
        pip_indent = None
        if section == "channels":
            conda.channels.append(item)
        elif section == "dependencies":
            if item.rstrip(":") == "pip" and item.endswith(":"):
                pip_indent = indent
                continue
            conda.requirements.append(item)
            if len(conda.requirements) == 1:
                conda.source = f"{name}:{number}"
    return [i for i in (conda, pip) if i.requirements]
