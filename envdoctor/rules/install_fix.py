"""The fix a torch finding offers: ``envdoctor install`` planned for the same target the facts describe."""

from __future__ import annotations

from envdoctor.facts import Facts

#: Overrides that say the facts are not this machine's: its interpreter cannot be named, and the fix can only be
#: planned (``install`` refuses to run for another machine).
ELSEWHERE_FLAGS = ("--machine ", "--facts ", "--target-")


def describing_flags(overrides: list[str]) -> list[str]:
    """The argv words of the flags that described the machine (``--machine DIR`` -> ``--machine``, ``DIR``)."""
    return [part for override in overrides for part in override.split(" ", 1)]


def _install_fix(facts: Facts) -> list[list[str]]:
    """The commands that fix a torch problem, repeating whatever described the machine (--machine, --gpu, ...)
    and the interpreter judged, so the command plans for the same target wherever it is run."""
    described = describing_flags(facts.overrides)
    elsewhere = any(override.startswith(ELSEWHERE_FLAGS) for override in facts.overrides)
    # the interpreter is named: run elsewhere (another working directory, another venv active) the command
    # would otherwise plan for another one
    python = ["--python", facts.python.executable] if facts.python.executable and not elsewhere else []
    if described:
        return [["envdoctor", "install", "--dry-run", *described, *python]]
    return [["envdoctor", "install", "--dry-run", *python], ["envdoctor", "install", *python]]
