"""Rules about the machine and its interpreter: a Python that does not answer, is managed by the OS, or is
one torch publishes no wheels for; WSL 1."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from envdoctor import compat
from envdoctor.facts import Facts, Finding
from envdoctor.i18n import _

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes


def python_runs(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    python = facts.python
    if python.status not in ("ok", "unknown"):
        detail = python.attempts[-1].detail if python.attempts else python.status
        yield Finding(
            "python.not-runnable",
            "error",
            "python",
            _("the target interpreter {python} did not answer: {detail}", python=python.executable, detail=detail)
            if python.executable else _("the target interpreter did not answer: {detail}", detail=detail),
            fix=_("pass an existing interpreter with --python PATH"),
            subject="python",
        )


def python_platform(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """The target interpreter's own platform: one torch publishes no wheels for, or Rosetta 2 on Apple silicon."""
    if facts.python.status != "ok":
        return
    platform = compat.target_platform(facts)
    if platform is None:
        return
    rosetta = platform == "macos-x86_64" and (facts.apple.apple_silicon or facts.os.arch in ("arm64", "aarch64"))
    if rosetta:
        yield Finding(
            "python.rosetta", "warning", "python",
            _("this Python is an x86_64 build running under Rosetta 2 on Apple silicon: torch cannot use the GPU (MPS) "
              "from it, and torch stopped publishing macOS x86_64 wheels after 2.2.2"),
            fix=_("use a native arm64 Python (python.org universal2 installer, Homebrew under /opt/homebrew, conda "
                  "osx-arm64)"),
            evidence=[_("platform tag {tag}, machine {machine}", tag=facts.python.platform_tag,
                        machine=facts.python.machine)], subject="python")
    elif platform not in compat.WHEEL_PLATFORMS:
        yield Finding(
            "python.no-torch-wheels", "error", "python",
            _("torch publishes no wheels for {platform} (a 32-bit Python): it cannot be installed into this "
              "interpreter", platform=platform) if facts.python.pointer_bits == 32 else
            _("torch publishes no wheels for {platform}: it cannot be installed into this interpreter",
              platform=platform),
            fix=_("use a 64-bit CPython on Linux (x86_64, aarch64), Windows (x86_64) or macOS (arm64)"),
            evidence=[_("platform tag {tag}, {bits}-bit", tag=facts.python.platform_tag,
                        bits=facts.python.pointer_bits)], subject="python")


def python_externally_managed(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    if facts.python.externally_managed:
        yield Finding(
            "python.externally-managed",
            "info",
            "python",
            _("this interpreter is managed by the OS (PEP 668): pip refuses to install into it"),
            fix=_("create a virtual environment: python3 -m venv .venv && . .venv/bin/activate"),
            commands=[[facts.python.executable or "python3", "-m", "venv", ".venv"]],
            evidence=[_("marker {path}", path=facts.python.externally_managed_path)],
            subject="python",
        )


def wsl1_has_no_gpu(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    if facts.os.wsl == "wsl1":
        yield Finding(
            "system.wsl1",
            "warning",
            "system",
            _("WSL 1 cannot use the GPU: CUDA in WSL needs WSL 2"),
            fix="wsl --set-version <distro> 2",
            subject="os",
        )
