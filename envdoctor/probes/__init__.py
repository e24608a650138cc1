"""Probes: each module parses text into data and asks the door for that text.

:func:`collect` runs every probe concurrently and returns :class:`~envdoctor.facts.Facts`. Each probe
has one time budget (the ``timeout``) for everything it runs, so a probe that retries or falls back
still ends in about ``timeout`` seconds. A probe never raises; should one break anyway, its section
says ``error`` (never the default that reads as fine) and an attempt ``probe:<name>`` names the
exception, so ``check`` always produces a report and never a silent "ok".
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import field, replace
from typing import Any, Generic, TypeVar

from envdoctor.datatypes import datatype
from envdoctor.door import OUTPUT_LIMIT, CommandResult, Door, join_thread
from envdoctor.facts import (
    AppleFacts,
    Attempt,
    CpuFacts,
    CudaFacts,
    CudnnFacts,
    ExtensionFacts,
    Facts,
    LimitsFacts,
    NvidiaFacts,
    OsFacts,
    PythonFacts,
    RocmFacts,
    TorchFacts,
    XpuFacts,
)
from envdoctor.i18n import _

DEFAULT_TIMEOUT = 10.0
T = TypeVar("T")


class Pending(Generic[T]):
    """One call running in a thread of its own: :meth:`result` waits for it, then returns its value or
    raises what it raised. The probes' few parallel calls need no more than this, and importing
    concurrent.futures (logging with it) would cost ``check`` several milliseconds."""

    def __init__(self, func: Callable[..., T], *args: Any, name: str = "envdoctor-probe") -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(func, args), name=name)
        self._thread.start()

    def _run(self, func: Callable[..., T], args: tuple[Any, ...]) -> None:
        try:
            self._value = func(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            self._error = exc

    def wait(self) -> None:
        join_thread(self._thread)

    def result(self) -> T:
        join_thread(self._thread)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


class Threads:
    """Start calls in threads; leaving the ``with`` block waits for every one of them, as a thread pool
    as large as its calls would."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started: list[Pending[Any]] = []

    def __enter__(self) -> Threads:
        return self

    def __exit__(self, *exc: object) -> None:
        for pending in self.started:
            pending.wait()

    def submit(self, func: Callable[..., T], *args: Any) -> Pending[T]:
        pending = Pending(func, *args, name=f"{self.name}-{len(self.started)}")
        self.started.append(pending)
        return pending


@datatype
class _Shared:
    """What the probes of one collection share: the target interpreter's one pyinfo answer."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    pyinfo: Any = None
    pyinfo_error: BaseException | None = None


@datatype
class ProbeContext:
    """What every probe gets: the door, its time budget and the target interpreter.

    ``timeout`` is the budget of one probe, not of each command in it: every command the probe runs
    through :meth:`run` gets what is left of it (``deadline``, a ``time.monotonic()`` value set when
    the context is made), so a retry or a fallback cannot stretch a probe past its budget.
    """

    door: Door
    timeout: float = DEFAULT_TIMEOUT
    python: str | None = None  # target interpreter; None = the one envdoctor runs on
    deadline: float | None = None
    _shared: _Shared = field(default_factory=_Shared, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.timeout, (int, float)) or not math.isfinite(self.timeout) or self.timeout <= 0:
            raise ValueError(f"a probe timeout must be a positive number of seconds, not {self.timeout!r}")
        if self.deadline is None:
            self.deadline = time.monotonic() + self.timeout

    def for_probe(self) -> ProbeContext:
        """A context for one probe starting now: a fresh budget, the same shared pyinfo answer."""
        return replace(self, deadline=time.monotonic() + self.timeout)

    def time_left(self) -> float:
        return max(0.0, (self.deadline or 0.0) - time.monotonic())

    def command_timeout(self) -> float:
        """How long the next command may take: the per-command timeout, or less near the deadline."""
        return min(self.timeout, self.time_left())

    def run(self, argv: Sequence[str]) -> CommandResult:
        """Run a command within what is left of this probe's budget; not at all once it is spent."""
        allowed = self.command_timeout()
        if allowed <= 0:
            return CommandResult(
                tuple(str(a) for a in argv),
                "timed_out",
                error=_("not run: the probe's {seconds:g} s budget was spent before it", seconds=self.timeout),
            )
        return self.door.run(argv, allowed)

    def target_python(self) -> str:
        return self.python or self.door.python_executable()

    def pyinfo(self) -> tuple[CommandResult, dict | None]:
        """Run the introspection script in the target interpreter once, shared by every probe."""
        from envdoctor.probes import python as python_probe

        shared = self._shared
        with shared.lock:
            if shared.pyinfo_error is not None:
                raise shared.pyinfo_error
            if shared.pyinfo is None:
                try:
                    shared.pyinfo = python_probe.run_pyinfo(self, self.target_python())
                except Exception as exc:  # re-raised to every probe that asks, not retried by each
                    shared.pyinfo_error = exc
                    raise
            return shared.pyinfo


def attempt_from(source: str, result: CommandResult, ok_detail: str = "") -> Attempt:
    """An Attempt describing one command run; a cut-off output says so."""
    status = "ok" if result.succeeded else ("error" if result.status == "ok" else result.status)
    if result.succeeded:
        detail = ok_detail
    elif result.status == "timed_out" and result.error:
        detail = result.error
    else:
        detail = result.describe()
    if result.truncated:
        if detail:
            detail = _("{detail}; output truncated at {limit} bytes", detail=detail, limit=OUTPUT_LIMIT)
        else:
            detail = _("output truncated at {limit} bytes", limit=OUTPUT_LIMIT)
    return Attempt(source, status, detail, round(result.duration_s, 4))


def _sections() -> dict[str, Callable[[ProbeContext], Any]]:
    from envdoctor.probes import (
        apple,
        cuda,
        cudnn,
        extensions,
        limits,
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
        "limits": limits.probe,
        "extensions": extensions.probe,
    }


#: Each section's facts after its probe raised: explicit errors, never a default that reads as fine.
_CRASHED: dict[str, Callable[[str], Any]] = {
    "os": lambda message: OsFacts(),
    "cpu": lambda message: CpuFacts(),
    "python": lambda message: PythonFacts(status="error"),
    "nvidia": lambda message: NvidiaFacts(status="error", message=message),
    "cuda": lambda message: CudaFacts(),
    "cudnn": lambda message: CudnnFacts(),
    "rocm": lambda message: RocmFacts(status="error"),
    "xpu": lambda message: XpuFacts(),
    "apple": lambda message: AppleFacts(reason=message, source="probe:apple"),
    "torch": lambda message: TorchFacts(status="error"),
    "limits": lambda message: LimitsFacts(),
    "extensions": lambda message: ExtensionFacts(status="error"),
}


def record_crash(facts: Facts, name: str, exc: BaseException) -> None:
    """Replace section ``name`` with an explicit error naming the exception.

    AppleFacts has no attempts: its crash is told in its ``reason`` and recorded among the OS
    section's attempts, where every ``probe:*`` attempt is looked for.
    """
    detail = f"{type(exc).__name__}: {exc}"
    attempt = Attempt(f"probe:{name}", "error", detail)
    section = _CRASHED[name](_("the {name} probe failed: {detail}", name=name, detail=detail))
    setattr(facts, name, section)
    holder = section if hasattr(section, "attempts") else facts.os
    holder.attempts.append(attempt)


def collect(door: Door, timeout: float = DEFAULT_TIMEOUT, python: str | None = None) -> Facts:
    """Probe the machine behind ``door``; every section runs in its own thread with its own budget."""
    ctx = ProbeContext(door=door, timeout=timeout, python=python)
    facts = Facts()
    start = time.monotonic()
    with Threads("envdoctor-probe") as pool:
        # the target interpreter answers slowest: start it before the other probes are imported
        pool.submit(ctx.pyinfo)
        sections = _sections()
        futures = {name: pool.submit(lambda func: func(ctx.for_probe()), func) for name, func in sections.items()}
        crashed: list[tuple[str, BaseException]] = []
        for name, future in futures.items():
            try:
                setattr(facts, name, future.result())
            except Exception as exc:  # noqa: BLE001 - a probe bug must not cost the user the report
                crashed.append((name, exc))
    # after every section is in place, so an apple crash lands in the os section that stays
    for name, error in crashed:
        record_crash(facts, name, error)
    facts.probe_duration_s = round(time.monotonic() - start, 4)
    return facts
