"""Probes: each module parses text into data and asks the door for that text.

:func:`collect` runs every probe concurrently and returns :class:`~envdoctor.facts.Facts`. A probe
never raises; should one break anyway, its section keeps its defaults and the failure is recorded
as an attempt, so ``check`` always produces a report.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from envdoctor.door import CommandResult, Door
from envdoctor.facts import Attempt, Facts

DEFAULT_TIMEOUT = 10.0


@dataclass
class ProbeContext:
    """What every probe gets: the door, the per-command timeout and the target interpreter."""

    door: Door
    timeout: float = DEFAULT_TIMEOUT
    python: str | None = None  # target interpreter; None = the one envdoctor runs on
    _pyinfo: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def target_python(self) -> str:
        return self.python or self.door.python_executable()

    def pyinfo(self) -> tuple[CommandResult, dict | None]:
        """Run the introspection script in the target interpreter once, shared by every probe."""
        from envdoctor.probes import python as python_probe

        with self._lock:
            if self._pyinfo is None:
                self._pyinfo = python_probe.run_pyinfo(self.door, self.target_python(), self.timeout)
            return self._pyinfo


def attempt_from(source: str, result: CommandResult, ok_detail: str = "") -> Attempt:
    """An Attempt describing one command run."""
    status = "ok" if result.succeeded else ("error" if result.status == "ok" else result.status)
    detail = ok_detail if result.succeeded else result.describe()
    return Attempt(source, status, detail, round(result.duration_s, 4))


def _sections() -> dict[str, Callable[[ProbeContext], Any]]:
    from envdoctor.probes import (
        apple,
        cuda,
        cudnn,
        nvidia,
        python,
        rocm,
        system,
        torch_install,
        xpu,
    )

    return {
        "os": system.probe_os,
        "cpu": system.probe_cpu,
        "python": python.probe,
        "nvidia": nvidia.probe,
        "cuda": cuda.probe,
        "cudnn": cudnn.probe,
        "rocm": rocm.probe,
        "xpu": xpu.probe,
        "apple": apple.probe,
        "torch": torch_install.probe,
    }


def collect(door: Door, timeout: float = DEFAULT_TIMEOUT, python: str | None = None) -> Facts:
    """Probe the machine behind ``door``; every section runs in its own thread."""
    ctx = ProbeContext(door=door, timeout=timeout, python=python)
    facts = Facts()
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=10, thread_name_prefix="envdoctor-probe") as pool:
        # the target interpreter answers slowest: start it before the other probes are imported
        pool.submit(ctx.pyinfo)
        futures = {name: pool.submit(func, ctx) for name, func in _sections().items()}
        for name, future in futures.items():
            try:
                setattr(facts, name, future.result())
            except Exception as exc:  # a probe bug must not cost the user the report
                section = getattr(facts, name)
                if hasattr(section, "attempts"):
                    section.attempts.append(
                        Attempt(f"probe:{name}", "error", f"{type(exc).__name__}: {exc}")
                    )
    facts.probe_duration_s = round(time.monotonic() - start, 4)
    return facts
