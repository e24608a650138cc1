"""``envdoctor lint``: what is stale or wrong in a copied torch install command, and what to run instead.

Commands come from the command line or from a file: every install line of a README (inside code), a
shell script, a Dockerfile, a requirements file or a conda ``environment.yml``. Each is split with
``shlex`` (POSIX rules) into its commands; nothing is ever run and no shell is involved. A finding names
the reason and its source (the recipe row, the release that ended an era); the replacement comes from
the resolver, for this machine or a described one, with the same packages and the same manager where
that manager still works.

Pure: text, facts and recipes in, findings out.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from envdoctor import compat
from envdoctor.facts import Facts, Finding
from envdoctor.recipes import Recipes, Release, VariantRecipe
from envdoctor.resolver import Plan, Request, resolve

FAMILY = ("torch", "torchvision", "torchaudio")
CONDA_FAMILY = {"pytorch": "torch", "torchvision": "torchvision", "torchaudio": "torchaudio",
                "pytorch-gpu": "torch", "pytorch-cpu": "torch"}
#: conda packages that only pair torch with a CUDA line or the CPU: the resolver picks its own.
CONDA_PAIRING = frozenset({"cudatoolkit", "pytorch-cuda", "cpuonly", "cuda-version", "pytorch-mutex"})
PYTORCH_HOSTS = ("pytorch.org",)
WHEEL_HOST = "download.pytorch.org"
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
_VARIANT_IN_URL = re.compile(r"/whl/(?:lts/[0-9.]+/|nightly/|test/)?(cu[0-9]{2,4}|cpu|rocm[0-9.]+|xpu)(?:/|$)")
_LOCAL = re.compile(r"^(cu[0-9]{2,4}|cpu|rocm[0-9.]+|xpu)$")
_WHEEL_FILE = re.compile(r"^(torch|torchvision|torchaudio)-([0-9][^-]*)-")
_CONDA_SPEC = re.compile(r"^(?:([A-Za-z0-9_./-]+)::)?([A-Za-z0-9_.-]+)\s*(.*)$")
_INSTALL_HINT = re.compile(r"\b(?:pip3?(?:\.[0-9]+)?|uv|conda|mamba|micromamba)\s+(?:install|add|create)\b"
                           r"|\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b")
_CODE_SPAN = re.compile(r"`([^`]+)`")
#: The longest command line read: shlex copies its word on every character (quadratic), and no install
#: command is anywhere near this long.
MAX_LINE = 16 * 1024
#: The most install commands of one file judged (each asks the resolver); the rest are counted.
MAX_COMMANDS = 200
#: The most lines of one file split into words (those that mention an installer at all).
MAX_CANDIDATES = 2000
_CANDIDATE = re.compile(r"\b(?:install|add|create)\b|\|")


# ---------------------------------------------------------------------------- reading commands out of text


@dataclass
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


@dataclass
class Install:
    """One install command as written: which tool, which packages, which indexes and channels."""

    source: str
    text: str
    tool: str  # "pip" | "uv" | "conda" | "mamba" | "micromamba"
    requirements: list[str] = field(default_factory=list)  # pip/uv requirement strings or conda specs, as written
    indexes: list[tuple[str, str]] = field(default_factory=list)  # ("--index-url", url), ("-f", url), ...
    channels: list[str] = field(default_factory=list)
    pre: bool = False
    redirected: list[str] = field(default_factory=list)  # words the shell would take as a redirection target
    files: list[str] = field(default_factory=list)  # -r requirements.txt, --file env.txt: read separately

    @property
    def manager(self) -> str:
        """The resolver's name for the tool (micromamba speaks mamba's command line)."""
        return "mamba" if self.tool == "micromamba" else self.tool


@dataclass
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
        why = f"longer than {MAX_LINE} characters" if len(line.text) > MAX_LINE else "the quotes do not balance"
        return [], [], [f"{line.source}: {why}"]
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
    candidates = [line for line in lines_of(text, kind, name) if _CANDIDATE.search(line.text)]
    if len(candidates) > MAX_CANDIDATES:
        unread.append(f"{candidates[MAX_CANDIDATES].source}: {len(candidates) - MAX_CANDIDATES} more lines that may "
                      f"install something are not read (only the first {MAX_CANDIDATES} are)")
    for line in candidates[:MAX_CANDIDATES]:
        command = line.text
        if kind == "dockerfile":
            head, _, body = command.partition(" ")
            if head.upper() != "RUN":
                continue
            command = _exec_form(body.strip())
        found, piped, problems = parse_command(Line(line.source, command))
        installs += found
        scripts += piped
        unread += problems
    return installs, scripts, unread


def _exec_form(body: str) -> str:
    """``RUN ["pip", "install", "torch"]`` as the shell words it stands for."""
    if body.startswith("["):
        from envdoctor.door import parse_json_text

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
    pip = Install(f"{name}:1", f"pip install (the pip: list of {name})", "pip")
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


# ---------------------------------------------------------------------------- what a command asks for


@dataclass
class Wanted:
    """What one install command asks of the torch family."""

    specs: dict[str, SpecifierSet] = field(default_factory=dict)  # torch/torchvision/torchaudio -> as pinned
    pins: dict[str, str] = field(default_factory=dict)  # an exact version (no local label)
    locals: dict[str, str] = field(default_factory=dict)  # name -> local label of a pin (+cu110)
    variant: str | None = None  # from an index URL, a local pin or a conda CUDA pairing
    variant_from: str = ""
    stub: bool = False  # pip's "pytorch"
    others: list[str] = field(default_factory=list)  # packages outside the torch family
    python: str | None = None  # conda: python=3.8 in the same command
    unreadable: list[str] = field(default_factory=list)
    cudatoolkit: str | None = None
    pytorch_cuda: str | None = None
    cpuonly: bool = False
    wheel_urls: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.specs or self.stub or self.wheel_urls)


def wanted_of(install: Install) -> Wanted:
    if install.tool in ("conda", "mamba", "micromamba"):
        return _wanted_conda(install)
    return _wanted_pip(install)


def _wanted_pip(install: Install) -> Wanted:
    wanted = Wanted()
    for text in install.requirements:
        if "://" in text and text.endswith(".whl"):
            wheel = _WHEEL_FILE.match(posixpath.basename(text).replace("%2B", "+").replace("%2b", "+"))
            if wheel:
                wanted.wheel_urls.append(text)
                _add_pin(wanted, wheel.group(1), wheel.group(2), text)
            continue
        if text in (".", "..") or text.startswith(("./", "/", "git+", "-")):
            continue
        try:
            requirement = compat.parse_requirement(text)
        except InvalidRequirement:
            wanted.unreadable.append(text)
            continue
        name = canonicalize_name(requirement.name)
        if name == "pytorch":
            wanted.stub = True
            continue
        if name not in FAMILY:
            wanted.others.append(text)
            continue
        wanted.specs[name] = wanted.specs.get(name, SpecifierSet()) & _public_specifier(requirement.specifier)
        for spec in requirement.specifier:
            if spec.operator in ("==", "===") and "+" in spec.version:
                _add_pin(wanted, name, spec.version, text)
            elif spec.operator in ("==", "===") and "*" not in spec.version:
                wanted.pins[name] = spec.version
    for _, url in install.indexes:
        match = _VARIANT_IN_URL.search(urlsplit(url).path)
        if match and wanted.variant is None:
            wanted.variant, wanted.variant_from = match.group(1), url
    return wanted


def _public_specifier(specifier: SpecifierSet) -> SpecifierSet:
    """The specifier without local labels (``==2.0.1+cu118`` -> ``==2.0.1``): what the resolver can plan for."""
    parts = []
    for spec in specifier:
        version = spec.version.split("+", 1)[0]
        parts.append(f"{'==' if spec.operator == '===' else spec.operator}{version}")
    try:
        return SpecifierSet(",".join(parts))
    except InvalidSpecifier:
        return SpecifierSet()


def _add_pin(wanted: Wanted, name: str, version: str, text: str) -> None:
    public, _, local = version.partition("+")
    wanted.specs.setdefault(name, SpecifierSet(f"=={public}") if compat.parse_version(public) else SpecifierSet())
    if compat.parse_version(public):
        wanted.pins[name] = public
    if local:
        wanted.locals[name] = local
        if _LOCAL.match(local) and wanted.variant is None:
            wanted.variant, wanted.variant_from = local, text


def _wanted_conda(install: Install) -> Wanted:
    wanted = Wanted()
    for text in install.requirements:
        match = _CONDA_SPEC.match(text.strip())
        if match is None:
            wanted.unreadable.append(text)
            continue
        channel, name, rest = match.group(1), match.group(2).lower(), match.group(3).strip()
        if channel and channel not in install.channels:
            install.channels.append(channel)
        rest = rest.replace(" ", "")
        pinned = rest.lstrip("=").split("=")[0] if rest.startswith("=") else None
        if name == "python":
            wanted.python = ".".join((pinned or "").split(".")[:2]) or None
        elif name == "cudatoolkit":
            wanted.cudatoolkit = ".".join((pinned or "").split(".")[:2]) or "any"
        elif name == "pytorch-cuda":
            wanted.pytorch_cuda = ".".join((pinned or "").split(".")[:2]) or "any"
        elif name == "cpuonly":
            wanted.cpuonly = True
        elif name in CONDA_FAMILY:
            family = CONDA_FAMILY[name]
            spec = _conda_specifier(rest)
            wanted.specs[family] = wanted.specs.get(family, SpecifierSet()) & spec
            if pinned and compat.parse_version(pinned) and len(pinned.split(".")) >= 3:
                wanted.pins[family] = pinned
        elif name not in CONDA_PAIRING:
            wanted.others.append(text)
    cuda = wanted.pytorch_cuda or wanted.cudatoolkit
    if cuda and cuda != "any" and compat.major_minor(cuda):
        major, minor = compat.major_minor(cuda) or (0, 0)
        wanted.variant, wanted.variant_from = f"cu{major}{minor}", ("pytorch-cuda=" if wanted.pytorch_cuda else
                                                                   "cudatoolkit=") + cuda
    elif wanted.cpuonly:
        wanted.variant, wanted.variant_from = "cpu", "cpuonly"
    return wanted


def _conda_specifier(rest: str) -> SpecifierSet:
    """conda's version spec as PEP 440: ``=1.12`` is 1.12.*, ``=1.12.1`` and ``==1.12.1`` that release, ``>=1.8`` as
    written; a build string after a second ``=`` is left out."""
    try:
        if rest.startswith("="):
            version = rest.lstrip("=").split("=")[0]
            if "*" in version or version.count(".") >= 2:
                return compat.parse_specifier(f"=={version}")
            return compat.parse_specifier(f"=={version}.*") if version else SpecifierSet()
        return compat.parse_specifier(rest) if rest else SpecifierSet()
    except InvalidSpecifier:
        return SpecifierSet()


# ---------------------------------------------------------------------------- judging


@dataclass
class Judged:
    """What lint says of one command line: findings and the command to use instead."""

    source: str
    text: str
    findings: list[Finding] = field(default_factory=list)
    instead: list[str] | None = None
    instead_note: str = ""


def _finding(install_source: str, text: str, id_: str, severity: str, message: str, source: str,
             fix: str | None = None) -> Finding:
    return Finding(id_, severity, "lint", message, subject=install_source, fix=fix,
                   evidence=[f"source: {source}", f"line: {text}"])


def _newest(recipes: Recipes) -> Release:
    return recipes.releases[0]


def _releases_with(recipes: Recipes, variant: str) -> list[Release]:
    return [r for r in recipes.releases if r.variant(variant) is not None]


def judge_script(script: Script) -> Judged | None:
    """A script piped to a shell from a PyTorch address (there is none to pipe); None for other scripts."""
    judged = Judged(script.source, script.text)
    host = (urlsplit(script.url).hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in PYTORCH_HOSTS):
        return None
    judged.findings.append(_finding(
        script.source, script.text, "lint.no-such-installer", "error",
        f"PyTorch has no installer script: {script.url} is not one (pytorch.org hosts the documentation and "
        f"{WHEEL_HOST} the wheels), and piping it to {script.shell} would run whatever that address returns. "
        "envdoctor never runs it.",
        "PyTorch's install page (https://pytorch.org/get-started/locally/) gives pip, uv and conda commands only",
        fix="install torch with pip, uv or conda (the command below)"))
    return judged


def judge(install: Install, facts: Facts, recipes: Recipes) -> Judged | None:
    """Findings for one install command, and the resolver's command for the same intent; None for a command
    that installs nothing of the torch family."""
    judged = Judged(install.source, install.text)
    wanted = wanted_of(install)
    if not wanted.any and not wanted.pytorch_cuda:
        return None
    conda = install.tool in ("conda", "mamba", "micromamba")
    out = judged.findings
    add = out.append
    src, text = install.source, install.text
    for word in install.redirected:
        add(_finding(src, text, "lint.unquoted-specifier", "error",
                     f"'{word}' reaches the shell unquoted: it is a redirection, so the installer gets the bare name and "
                     "the shell writes a file", "POSIX shell redirection operators (> and <)",
                     fix="quote each requirement with a version: 'torch>=2.4'"))
    if wanted.stub:
        add(_finding(src, text, "lint.pytorch-stub", "error",
                     "'pytorch' on PyPI is a placeholder that fails to install ('You tried to install \"pytorch\". "
                     "The package named for PyTorch is \"torch\"'): the package is 'torch'",
                     "the PyPI project 'pytorch' (setup.py raises that exception; pytorch/pytorch#939, #42353)",
                     fix="install 'torch'"))
    for text_ in wanted.unreadable:
        add(_finding(src, text, "lint.unreadable-requirement", "error",
                     f"'{text_}' is not a requirement the installer can read", "PEP 508 / conda match specs"))
    instead, note, plan = _replacement(install, wanted, facts, recipes)
    _judge_indexes(install, wanted, recipes, out)
    if conda:
        _judge_conda(install, wanted, recipes, out)
    variant_known = _judge_variant(install, wanted, recipes, out, plan)
    if not conda and wanted.locals and not install.indexes:
        pinned = ", ".join(f"{n}+{local}" for n, local in wanted.locals.items())
        add(_finding(src, text, "lint.local-pin-without-index", "error",
                     f"{pinned}: PyPI has no wheels with a local version (+{next(iter(wanted.locals.values()))}); "
                     "without the PyTorch index or find-links page no such version is found",
                     "PEP 440 local versions; PyPI accepts no uploads with a local version",
                     fix="use the plain version with the variant's index URL (the command below)"))
    _judge_companions(install, wanted, recipes, out)
    chosen = _what_it_installs(install, wanted, facts, recipes, conda, variant_known, out)
    if chosen is not None:
        _judge_fit(install, wanted, chosen, facts, recipes, out)
    if out:
        judged.instead, judged.instead_note = instead, note
        for finding in out:
            if instead:
                finding.commands = [instead]
    return judged


def _judge_indexes(install: Install, wanted: Wanted, recipes: Recipes, out: list[Finding]) -> None:
    for flag, url in install.indexes:
        path = urlsplit(url).path
        if path.endswith(("torch_stable.html", "torch_lts.html", "torch_nightly.html")):
            era = [r for r in recipes.releases if r.index_style == "find-links"]
            last = era[0].version if era else "1.10.2"
            nxt = [r for r in recipes.releases if r.index_style != "find-links" and r.parsed > era[0].parsed] if era else []
            since = nxt[-1].version if nxt else "1.11.0"
            out.append(_finding(
                install.source, install.text, "lint.find-links-page", "warning",
                f"{flag} {url} is the find-links page of the torch 1.x era: the newest release installed that way is "
                f"{last}; since {since} wheels come from a per-variant index (--index-url "
                f"{recipes.index_url('cu126')}), and +cuXYZ pins are no longer needed",
                f"recipes/torch.toml: index_style 'find-links' up to {last} ({era[0].source if era else ''})",
                fix="use the variant's index URL (the command below)"))


def _judge_conda(install: Install, wanted: Wanted, recipes: Recipes, out: list[Finding]) -> None:
    on_channel = [r for r in recipes.releases if r.conda is not None and r.conda.style in ("cudatoolkit", "pytorch-cuda")]
    last = on_channel[0] if on_channel else None
    channels = [c.lower().rstrip("/").rsplit("/", 1)[-1] for c in install.channels]
    if "pytorch" in channels and "torch" in wanted.specs and last is not None:
        pinned = wanted.pins.get("torch")
        pinned_version = compat.parse_version(pinned)
        beyond = pinned_version is not None and pinned_version > last.parsed
        pairing = (f" pytorch-cuda={wanted.pytorch_cuda} is that channel's CUDA pairing (with -c nvidia)."
                   if wanted.pytorch_cuda else "")
        out.append(_finding(
            install.source, install.text, "lint.pytorch-conda-channel", "error" if beyond else "warning",
            f"the pytorch conda channel got no builds after torch {last.version}: this installs {last.version} at the "
            f"newest{f', and pytorch {pinned} is not there at all' if beyond else ''}.{pairing} "
            "conda-forge builds current releases",
            f"recipes/torch.toml: {last.conda.note if last.conda and last.conda.note else 'conda style per release'}",
            fix="install from conda-forge (or with pip): the command below"))
    era = [r for r in recipes.releases if r.conda is not None and r.conda.style == "cudatoolkit"]
    spec = wanted.specs.get("torch", SpecifierSet())
    beyond_era = not era or any(spec.contains(r.parsed, prereleases=True) for r in recipes.releases if r.parsed > era[0].parsed)
    if wanted.cudatoolkit is not None and "torch" in wanted.specs and beyond_era:
        until = era[0].version if era else "1.12.1"
        out.append(_finding(
            install.source, install.text, "lint.cudatoolkit", "warning",
            f"cudatoolkit={wanted.cudatoolkit} is how the pytorch channel paired a CUDA line up to torch {until}; later "
            "releases used pytorch-cuda, and current ones are not on that channel",
            f"recipes/torch.toml: conda style 'cudatoolkit' up to {until}",
            fix="drop cudatoolkit: the command below pairs the CUDA line itself"))


def _judge_variant(install: Install, wanted: Wanted, recipes: Recipes, out: list[Finding], plan: Plan | None) -> bool:
    """Whether the variant asked for (if any) exists in some release; findings when it does not, or when only old
    releases have it and this machine is better served by another (a legacy variant that is still the one for the
    machine's driver is no finding)."""
    variant = wanted.variant
    if variant is None or variant == "cpu":
        return True
    having = _releases_with(recipes, variant)
    newest = _newest(recipes)
    oldest = recipes.releases[-1]
    if not having:
        out.append(_finding(
            install.source, install.text, "lint.variant-gone", "error",
            f"no torch release from {oldest.version} to {newest.version} has a {variant} build (from "
            f"{wanted.variant_from}); current releases are built for "
            f"{', '.join(v.name for v in newest.variants if v.kind == 'cuda')}",
            "recipes/torch.toml: the variants of every release since 1.8.0",
            fix="use a variant your driver runs (the command below picks one)"))
        return False
    still_the_one = plan is not None and plan.ok and plan.variant == variant and plan.torch == having[0].version
    pinned = recipes.release(wanted.pins["torch"]) if "torch" in wanted.pins else None
    chosen_with_its_release = pinned is not None and pinned.variant(variant) is not None
    if newest.variant(variant) is None and not still_the_one and not chosen_with_its_release:
        out.append(_finding(
            install.source, install.text, "lint.variant-outdated", "warning",
            f"{variant} (from {wanted.variant_from}) is not built any more: the newest release with it is torch "
            f"{having[0].version}, the newest release is {newest.version}",
            f"recipes/torch.toml: series {having[0].series} ({having[0].source})",
            fix="use a current variant (the command below)"))
    return True


def _judge_companions(install: Install, wanted: Wanted, recipes: Recipes, out: list[Finding]) -> None:
    torch = wanted.pins.get("torch")
    release = recipes.release(torch) if torch else None
    if release is None:
        return
    for name in ("torchvision", "torchaudio"):
        pinned = wanted.pins.get(name)
        paired = release.companion(name)
        if pinned and paired and compat.parse_version(pinned) != compat.parse_version(paired):
            out.append(_finding(
                install.source, install.text, "lint.companion-mismatch", "error",
                f"{name}=={pinned} does not pair torch=={torch}: torch {torch} pairs {name} {paired}",
                f"recipes/torch.toml: series {release.series} ({release.source})",
                fix=f"pin {name}=={paired}, or leave it unpinned"))


def _what_it_installs(install: Install, wanted: Wanted, facts: Facts, recipes: Recipes, conda: bool,
                      variant_known: bool, out: list[Finding]) -> tuple[Release, VariantRecipe] | None:
    """The release and variant this command installs on the machine, the way the installer picks: the newest
    release matching the pins that the index (or PyPI, or the conda channel) has for this platform and Python."""
    if not variant_known or wanted.stub:
        return None
    platform = compat.target_platform(facts)
    python = wanted.python or compat.python_tag(facts)
    spec = wanted.specs.get("torch", SpecifierSet())
    channels = [c.lower().rstrip("/").rsplit("/", 1)[-1] for c in install.channels]
    if conda and "pytorch" not in channels:
        return None  # conda-forge (or defaults) pick their own build: not modelled here
    plain_pypi = not conda and not install.indexes and not wanted.variant
    custom_index = not conda and any(WHEEL_HOST not in (urlsplit(u).hostname or "") for _, u in install.indexes)
    if custom_index and not wanted.variant:
        return None  # a mirror or private index: what it holds is not known
    candidates = []
    for release in recipes.releases:
        if not spec.contains(release.parsed, prereleases=install.pre or None):
            continue
        if conda and (release.conda is None or release.conda.style == "conda-forge"):
            continue
        if platform is not None and platform not in release.platforms:
            continue
        name = (release.pypi.get(platform or "") if plain_pypi else wanted.variant or
                (release.pypi.get(platform or "") if conda else None))
        variant = release.variant(name) if name else None
        if variant is None:
            continue
        if platform is not None and platform not in variant.platforms:
            continue
        if python is not None and platform is not None and python not in release.python.get(platform, ()):
            continue
        candidates.append((release, variant))
    if candidates:
        return candidates[0]
    pinned = wanted.pins.get("torch")
    pinned_version = compat.parse_version(pinned)
    if pinned and recipes.release(pinned) is None and pinned_version is not None and (
            pinned_version < recipes.releases[-1].parsed):
        out.append(_finding(
            install.source, install.text, "lint.release-too-old", "warning",
            f"torch {pinned} is older than every release envdoctor knows ({recipes.releases[-1].version} on): whether "
            "its wheels install on this Python and run on these GPUs is not checked",
            "recipes/torch.toml: releases from 1.8.0", fix="use a current release (the command below)"))
        return None
    pinned_release = recipes.release(pinned) if pinned else None
    if pinned_release is not None and wanted.variant and pinned_release.variant(wanted.variant) is None:
        out.append(_finding(
            install.source, install.text, "lint.index-lacks-version", "error",
            f"torch {pinned} has no {wanted.variant} build (it has {', '.join(v.name for v in pinned_release.variants)}): "
            f"{wanted.variant_from} offers no such wheel",
            f"recipes/torch.toml: series {pinned_release.series} ({pinned_release.source})",
            fix="pick a variant the release has, or the release the variant has (the command below)"))
    elif spec != SpecifierSet() or python is not None:
        why = f" for Python {python}" if python else ""
        out.append(_finding(
            install.source, install.text, "lint.nothing-installs", "error",
            f"no torch release{' matching ' + str(spec) if str(spec) else ''} has a "
            f"{wanted.variant or 'PyPI'} build for {platform or 'this platform'}{why}: the installer finds nothing",
            "recipes/torch.toml: platforms, Pythons and variants per release",
            fix="the command below picks a release that installs here"))
    return None


def _judge_fit(install: Install, wanted: Wanted, chosen: tuple[Release, VariantRecipe], facts: Facts,
               recipes: Recipes, out: list[Finding]) -> None:
    """The build the command installs, checked against the machine by the resolver (driver, kernels, Python)."""
    release, variant = chosen
    plan = resolve(_with_python(facts, wanted.python), Request([f"torch=={release.version}"], variant=variant.name),
                   recipes)
    if plan.ok:
        return
    reasons = [r["reason"] for r in plan.rejected if r.get("torch") == release.version and r.get("variant") == variant.name]
    if not reasons:
        reasons = [str(a.get("message", "")) for a in plan.alternatives if a.get("message")]
    default = not install.indexes and not wanted.variant and install.tool not in ("conda", "mamba", "micromamba")
    what = (f"torch {release.version} from PyPI (its default wheel here is {variant.name})" if default else
            f"torch {release.version} {variant.name}")
    out.append(_finding(
        install.source, install.text, "lint.default-build-does-not-fit" if default else "lint.variant-does-not-fit",
        "error", f"this installs {what}, which does not run on this machine: {'; '.join(reasons[:2]) or 'no fit'}",
        f"the resolver (recipes/torch.toml series {release.series}; {variant.source or release.source})",
        fix="the command below picks the build for this machine"))


def _with_python(facts: Facts, python: str | None) -> Facts:
    """The facts with the Python a conda command creates (``python=3.8``) instead of this one."""
    if python is None or compat.python_tag(facts) == python:
        return facts
    import copy

    changed = copy.deepcopy(facts)
    changed.python.version = python
    changed.python.status = "unknown" if changed.python.status == "ok" else changed.python.status
    changed.python.executable = None
    return changed


def _replacement(install: Install, wanted: Wanted, facts: Facts,
                 recipes: Recipes) -> tuple[list[str] | None, str, Plan | None]:
    """The resolver's command for the same packages with the same manager: with the command's pins where a build
    fits them, else with torch's pin alone, else the newest that fits. Also the plan it comes from."""
    names = [n for n in FAMILY if n in wanted.specs] or ["torch"]
    manager = install.manager
    others = [] if install.tool in ("conda", "mamba", "micromamba") else wanted.others
    target = _with_python(facts, wanted.python)
    attempts = [([f"{n}{wanted.specs[n]}" if n in wanted.specs else n for n in names], ""),
                ([f"torch{wanted.specs['torch']}" if n == "torch" and "torch" in wanted.specs else n for n in names],
                 "the companions' pins do not pair that torch: the companions that do"),
                (names, "the pinned versions fit no build for this machine: the newest that fits")]
    plan: Plan | None = None
    note = ""
    tried: list[list[str]] = []
    for requirements, why in attempts:
        if requirements in tried:
            continue
        tried.append(requirements)
        plan = _plan(target, requirements + others, manager, recipes)
        note = why
        if plan.ok:
            break
    if plan is None or not plan.ok:
        why = "; ".join(str(a.get("message", "")) for a in (plan.alternatives if plan else [])[:2])
        return None, why or "no build fits this machine", plan
    argv = plan.commands.get(plan.manager)
    if argv is None:
        reason = plan.command_notes.get(plan.manager, "")
        note = (note + "; " if note else "") + f"{plan.manager} cannot install it ({reason}): pip"
        argv = plan.commands.get("pip")
    if argv is not None and install.tool == "micromamba" and argv[:1] == ["mamba"]:
        argv = ["micromamba", *argv[1:]]
    return (list(argv) if argv else None), note, plan


def _plan(facts: Facts, requirements: list[str], manager: str, recipes: Recipes) -> Plan:
    try:
        request = Request(requirements=requirements, manager=manager)
    except ValueError:
        request = Request(requirements=[r for r in requirements if r.split("=")[0].split("<")[0].split(">")[0] in FAMILY],
                          manager=manager)
    return resolve(facts, request, recipes)


# ---------------------------------------------------------------------------- the whole input


def lint_installs(installs: Iterable[Install], scripts: Iterable[Script], facts: Facts, recipes: Recipes) -> list[Judged]:
    """Every command judged (the first :data:`MAX_COMMANDS`; a repeated command once), in the order of the input."""
    seen: dict[tuple[str, str], Judged | None] = {}
    judged: list[Judged] = []
    installs = list(installs)
    for position, install in enumerate(installs):
        key = (install.tool, install.text)
        if key not in seen:
            if len(seen) >= MAX_COMMANDS:
                left = len(installs) - position
                judged.append(Judged(install.source, install.text, [Finding(
                    "lint.too-many-commands", "info", "lint",
                    f"only the first {MAX_COMMANDS} different install commands are judged: {left} more from here on "
                    "are not", subject=install.source)]))
                break
            seen[key] = judge(install, facts, recipes)
        first = seen[key]
        if first is not None:
            judged.append(first if first.source == install.source else _again(first, install.source))
    judged += [j for j in (judge_script(s) for s in scripts) if j is not None]
    for item in judged:
        if item.instead is None and any(f.id == "lint.no-such-installer" for f in item.findings):
            item.instead, item.instead_note, _ = _replacement(Install(item.source, item.text, "pip", ["torch"]),
                                                             Wanted(specs={"torch": SpecifierSet()}), facts, recipes)
            for finding in item.findings:
                finding.commands = [item.instead] if item.instead else []
    return sorted(judged, key=lambda j: _order(j.source))


def _again(judged: Judged, source: str) -> Judged:
    """The judgement of a command repeated at another line."""
    findings = [dataclasses.replace(f, subject=source, evidence=list(f.evidence), commands=list(f.commands))
                for f in judged.findings]
    return Judged(source, judged.text, findings, judged.instead, judged.instead_note)


def _order(source: str) -> tuple[str, int]:
    name, _, number = source.rpartition(":")
    return (name, int(number)) if number.isdigit() else (source, 0)


# ---------------------------------------------------------------------------- the report


def machine_summary(facts: Facts) -> str:
    """One line naming the machine the commands were judged for."""
    parts = [compat.target_platform(facts) or "platform not known"]
    python = compat.python_tag(facts)
    parts.append(f"Python {python}" if python else "Python not known")
    gpus = [g.name or "?" for g in facts.nvidia.visible_gpus()] + [g.name or g.arch or "?" for g in facts.rocm.gpus]
    if gpus:
        parts.append(", ".join(gpus))
    elif facts.nvidia.status not in ("unknown", "gpus_unknown"):
        parts.append("no NVIDIA or AMD GPU")
    if facts.nvidia.driver_version:
        parts.append(f"driver {facts.nvidia.driver_version}")
    described = f" (described by {', '.join(facts.overrides)})" if facts.overrides else ""
    return " · ".join(parts) + described


def findings_of(judged: list[Judged]) -> list[Finding]:
    """Every finding, with the note on the replacement command in its evidence."""
    out = []
    for item in judged:
        for finding in item.findings:
            if item.instead_note:
                finding.evidence.append(f"instead: {item.instead_note}")
            out.append(finding)
    return out


def render_lint_text(judged: list[Judged], header: str, summary: str, color: bool, ascii_only: bool,
                     verbose: int = 0, quiet: bool = False) -> str:
    """Each command as written, its findings with reason and source, and the command to use instead."""
    from envdoctor.render import SYMBOLS, Painter, printable

    paint = Painter(color, ascii_only)
    out = [printable(header)]
    for item in judged:
        if quiet and not item.findings:
            continue
        mark = paint.mark(max((f.severity for f in item.findings), key=_RANK.__getitem__) if item.findings else "ok")
        out.append(f"{mark} {printable(item.source)}  {printable(item.text)}")
        for finding in item.findings:
            out.append(f"    {paint.mark(finding.severity)} {printable(finding.message)}  ({finding.id})")
            for evidence in finding.evidence:
                if evidence.startswith("source:") or verbose:
                    out.append(f"        {paint.why} {printable(evidence)}")
        if item.instead:
            out.append(f"    {paint.arrow} instead" + (f" ({printable(item.instead_note)})" if item.instead_note else ""))
            out.append(f"        $ {printable(shlex.join(item.instead))}")
        elif item.findings and item.instead_note:
            out.append(f"    {paint.arrow} no command fits: {printable(item.instead_note)}")
    out.append("")
    out.append(summary)
    text = "\n".join(out)
    table: dict[str, str | int | None] = dict(SYMBOLS)
    return text.translate(str.maketrans(table)) if ascii_only else text


_RANK = {"info": 0, "warning": 1, "error": 2}
