"""The parent side of ``envdoctor verify``: start the smoke script, read its events, judge the result.

The child (``smoke.py``) runs in the target interpreter through ``door.run`` with a timeout, so a
segfault, an abort, a hang or an import error becomes a failed check naming the stage reached and
the signal or error, never a crash or hang of envdoctor. The parent then compares what torch saw
with what the probes saw, puts measured TFLOP/s beside the GPU's peak from ``recipes/gpu_peaks.toml``
and checks the CI expectations.
"""

from __future__ import annotations

import json
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from envdoctor.door import CommandResult, Door
from envdoctor.facts import Check, Facts

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SMOKE_PATH = Path(__file__).with_name("smoke.py")
SMOKE_SCRIPT = SMOKE_PATH.read_text(encoding="utf-8")
MARKER = "@@envdoctor "
DEVICES = ("all", "cpu", "cuda", "mps", "xpu")
PEAK_DTYPES = ("float32", "tf32", "float16", "bfloat16")
WORD_RE = re.compile(r"^[a-z0-9]+$")
ARCH_RE = re.compile(r"^(sm|compute)_(\d+)(\d)([af]?)$")
# Windows reports a crashed process by its NTSTATUS as an unsigned exit code.
WINDOWS_CRASHES = {
    0xC0000005: "access violation (0xC0000005)",
    0xC00000FD: "stack overflow (0xC00000FD)",
    0xC0000409: "stack buffer overrun (0xC0000409)",
    0xC000001D: "illegal instruction (0xC000001D)",
}


@dataclass
class VerifyOptions:
    """What to test and what to expect; every field has a CLI flag."""

    python: str | None = None  # target interpreter; None = the one envdoctor runs on
    timeout: float = 120.0  # the whole child run
    device: str = "all"  # cpu | cuda | mps | xpu | all (cpu + every accelerator found)
    compile: bool = False  # stage 5: torch.compile
    perf_seconds: float = 2.0  # budget of stage 4 over all devices
    expect_gpus: int | None = None
    expect_cuda: str | None = None  # "12.4": torch.version.cuda must match major.minor
    expect_torch: str | None = None  # a PEP 440 specifier, e.g. ">=2.4,<2.6"


# ---------------------------------------------------------------------------- child output


@dataclass
class SmokeOutput:
    """What the child's stdout says happened, in order."""

    checks: list[dict] = field(default_factory=list)
    running: str | None = None  # the check started and never finished
    done: bool = False
    ignored_lines: int = 0  # marker lines that were not valid events (torch printing over us)


def parse_smoke_output(stdout: str) -> SmokeOutput:
    """Read the event lines; anything else (torch's prints, a torn last line) is ignored."""
    output = SmokeOutput()
    for line in stdout.splitlines():
        position = line.find(MARKER)
        if position < 0:
            continue
        try:
            event = json.loads(line[position + len(MARKER):])
        except ValueError:
            output.ignored_lines += 1
            continue
        if not isinstance(event, dict):
            output.ignored_lines += 1
            continue
        kind = event.get("event")
        if kind == "start" and isinstance(event.get("id"), str):
            output.running = event["id"]
        elif kind == "check" and isinstance(event.get("id"), str) and event.get("status") in ("pass", "fail", "skip"):
            output.checks.append(event)
            if output.running == event["id"]:
                output.running = None
        elif kind == "done":
            output.done = True
        else:
            output.ignored_lines += 1
    return output


def check_from_event(event: Mapping[str, Any]) -> Check:
    duration = event.get("duration_s")
    return Check(
        id=str(event["id"]),
        status=str(event["status"]),
        title=str(event.get("title") or ""),
        message=str(event.get("message") or ""),
        duration_s=float(duration) if isinstance(duration, (int, float)) and not isinstance(duration, bool) else None,
        details=dict(event.get("details") or {}) if isinstance(event.get("details"), dict) else {},
        metrics=dict(event.get("metrics") or {}) if isinstance(event.get("metrics"), dict) else {},
    )


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def last_error_line(text: str) -> str:
    """The last non-empty line of stderr: for a traceback, the exception itself."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def tail(text: str, count: int = 20) -> str:
    return "\n".join(text.splitlines()[-count:])


def child_failure(result: CommandResult, output: SmokeOutput, timeout: float) -> Check | None:
    """A failed check for a child that did not finish: the stage it reached and what stopped it."""
    if output.done and result.status == "ok":
        return None
    stage = output.running or ("smoke" if not output.checks else None)
    where = f"during {stage}" if stage else f"after {output.checks[-1]['id']}"
    details: dict[str, Any] = {"stage": stage, "returncode": result.returncode, "status": result.status,
                               "stderr_tail": tail(result.stderr)}
    if result.status == "not_found":
        message = f"interpreter not found: {result.argv[0] if result.argv else '?'}"
    elif result.status == "error":
        message = f"could not run the smoke test: {result.error}"
    elif result.status == "timed_out":
        message = f"hung {where}: no result within {timeout:g} s; the child was killed"
        details["timed_out"] = True
    elif result.returncode is not None and result.returncode < 0:
        name = signal_name(-result.returncode)
        details["signal"] = name
        message = f"crashed with {name} {where}"
    elif result.returncode in WINDOWS_CRASHES:
        details["signal"] = WINDOWS_CRASHES[result.returncode]
        message = f"crashed with {WINDOWS_CRASHES[result.returncode]} {where}"
    else:
        error = last_error_line(result.stderr)
        message = f"exited with code {result.returncode} {where}" + (f": {error}" if error else "")
        if error:
            details["error"] = error
    return Check(id=stage or "smoke", status="fail", title="smoke test", message=message,
                 duration_s=round(result.duration_s, 6), details=details)


# ---------------------------------------------------------------------------- devices vs probes


def capability_of(text: Any) -> tuple[int, int] | None:
    match = re.match(r"^(\d+)\.(\d+)$", str(text or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def arch_covers(arch_list: Iterable[str], capability: tuple[int, int]) -> bool:
    """Whether any compiled kernel runs on this compute capability.

    SASS ``sm_XY`` runs on X.Z for Z >= Y (same major); ``sm_XYa`` only on X.Y itself; PTX
    ``compute_XY`` is JIT-compiled on X.Y and anything newer.
    """
    for arch in arch_list:
        match = ARCH_RE.match(str(arch).strip())
        if not match:
            continue
        kind, major, minor, suffix = match.group(1), int(match.group(2)), int(match.group(3)), match.group(4)
        if kind == "compute" and (major, minor) <= capability:
            return True
        if kind == "sm" and suffix == "a" and (major, minor) == capability:
            return True
        if kind == "sm" and suffix != "a" and major == capability[0] and minor <= capability[1]:
            return True
    return False


def hidden_by_env(visible: str | None) -> bool:
    """CUDA_VISIBLE_DEVICES values that hide every GPU."""
    return visible is not None and visible.strip() in ("", "-1", "none", "NoDevFiles")


def missing_gpu_causes(build: Mapping[str, Any], cuda: Mapping[str, Any], facts: Facts) -> list[str]:
    """Why torch sees fewer NVIDIA GPUs than the driver shows: each cause that applies, most certain first."""
    causes = []
    torch_cuda = build.get("cuda")
    if not torch_cuda and not build.get("hip"):
        causes.append("this torch is a CPU build (torch.version.cuda is None)")
    elif build.get("hip"):
        causes.append(f"this torch is a ROCm build (HIP {build['hip']}); it cannot drive NVIDIA GPUs")
    visible = cuda.get("visible_devices")
    if visible is None:
        visible = facts.nvidia.cuda_visible_devices
    if visible is not None and (hidden_by_env(visible) or facts.nvidia.hidden_gpus):
        causes.append(f"CUDA_VISIBLE_DEVICES={visible!r} hides them")
    driver_max = facts.nvidia.driver_max_cuda
    if torch_cuda and driver_max:
        try:
            if Version(str(torch_cuda)) > Version(str(driver_max)):
                causes.append(f"the driver ({facts.nvidia.driver_version or '?'}) supports CUDA {driver_max} at most; "
                              f"this torch was built for CUDA {torch_cuda}")
        except InvalidVersion:
            pass
    arch_list = build.get("arch_list") or []
    if torch_cuda and arch_list:
        for gpu in facts.nvidia.gpus:
            capability = capability_of(gpu.compute_capability)
            if capability and not arch_covers(arch_list, capability):
                causes.append(f"{gpu.name or 'GPU'} is sm_{capability[0]}{capability[1]}; this torch carries kernels "
                              f"for {' '.join(arch_list)} only")
    warnings = cuda.get("init_warnings") or []
    if not causes:
        causes.append("cause unknown" + (f"; torch says: {warnings[0]}" if warnings else ""))
    return causes


def judge_devices(check: Check, build: Mapping[str, Any], facts: Facts | None) -> Check:
    """Fail the devices check when torch sees fewer GPUs than the probes, or cannot run on one it sees."""
    cuda = check.details.get("cuda") or {}
    problems = []
    torch_count = int(cuda.get("count") or 0) if cuda.get("kind", "cuda") == "cuda" else 0
    if facts is not None and facts.nvidia.gpus:
        shown = len(facts.nvidia.gpus)
        visible = len(facts.nvidia.visible_gpus())
        check.details["probes"] = {"nvidia_gpus": shown, "nvidia_visible": visible,
                                   "driver_max_cuda": facts.nvidia.driver_max_cuda}
        if torch_count == 0 or torch_count < visible:
            causes = missing_gpu_causes(build, cuda, facts)
            check.details["causes"] = causes
            problems.append(f"nvidia-smi shows {shown} GPU(s), torch sees {torch_count}: " + "; ".join(causes))
    arch_list = build.get("arch_list") or []
    if build.get("cuda") and arch_list:
        for device in cuda.get("devices") or []:
            capability = capability_of(device.get("capability"))
            if capability and not arch_covers(arch_list, capability):
                problems.append(f"{device.get('name')} is sm_{capability[0]}{capability[1]}; this torch carries "
                                f"kernels for {' '.join(arch_list)} only (no kernel image for this GPU)")
    if problems:
        check.status = "fail"
        check.message = "; ".join(problems)
    return check


# ---------------------------------------------------------------------------- GPU peaks


@dataclass(frozen=True)
class GpuPeak:
    """Dense peak TFLOP/s of one GPU model per dtype, from the vendor's spec sheet."""

    name: str
    match: tuple[str, ...]  # every word must be in the device name
    exclude: tuple[str, ...]  # none of these may be
    tflops: Mapping[str, float]
    source: str
    note: str = ""

    def matches(self, device_name: str) -> bool:
        words = set(re.split(r"[^a-z0-9]+", device_name.lower()))
        return all(word in words for word in self.match) and not any(word in words for word in self.exclude)


class GpuPeaksError(ValueError):
    """A gpu_peaks.toml that cannot be used; ``problems`` lists every 'file: entry: problem'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def builtin_peaks_path() -> Path:
    from envdoctor.recipes import builtin_dir

    return builtin_dir() / "gpu_peaks.toml"


def parse_gpu_peaks(text: str, origin: str = "gpu_peaks.toml") -> list[GpuPeak]:
    """Validate the peaks table; every problem names the file, the entry and what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise GpuPeaksError([f"{origin}: not valid TOML: {exc}"])
    rows = data.get("gpu")
    if not isinstance(rows, list) or not rows:
        raise GpuPeaksError([f"{origin}: needs a [[gpu]] list"])
    problems: list[str] = []
    peaks: list[GpuPeak] = []
    seen: set[str] = set()
    for number, row in enumerate(rows):
        entry = f"gpu[{number}]"
        if not isinstance(row, dict):
            problems.append(f"{origin}: {entry}: must be a table")
            continue
        name = row.get("name")
        if isinstance(name, str) and name.strip():
            entry = f"gpu[{number}] {name!r}"
            if name in seen:
                problems.append(f"{origin}: {entry}: duplicate name")
            seen.add(name)
        else:
            problems.append(f"{origin}: {entry}: 'name' must be a non-empty string")
        unknown = sorted(set(row) - {"name", "match", "exclude", "source", "note", *PEAK_DTYPES})
        if unknown:
            problems.append(f"{origin}: {entry}: unknown key(s) {', '.join(unknown)}")
        words = {}
        for key, required in (("match", True), ("exclude", False)):
            value = row.get(key, [] if not required else None)
            if not isinstance(value, list) or (required and not value) or not all(
                    isinstance(word, str) and WORD_RE.match(word) for word in value):
                problems.append(f"{origin}: {entry}: {key!r} must be a {'non-empty ' if required else ''}"
                                f"list of lowercase words (a-z, 0-9)")
                value = []
            words[key] = tuple(value)
        tflops = {}
        for dtype in PEAK_DTYPES:
            if dtype in row:
                value = row[dtype]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 100_000:
                    problems.append(f"{origin}: {entry}: {dtype!r} must be a positive number of TFLOP/s")
                else:
                    tflops[dtype] = float(value)
        if not tflops and not any(dtype in row for dtype in PEAK_DTYPES):
            problems.append(f"{origin}: {entry}: gives no peak (one of {', '.join(PEAK_DTYPES)})")
        source = row.get("source")
        if not isinstance(source, str) or not source.startswith(("https://", "http://")):
            problems.append(f"{origin}: {entry}: 'source' must be the URL of the spec sheet")
        note = row.get("note", "")
        if not isinstance(note, str):
            problems.append(f"{origin}: {entry}: 'note' must be a string")
        if isinstance(name, str) and name.strip():
            peaks.append(GpuPeak(name, words["match"], words["exclude"], tflops, str(source), str(note)))
    if problems:
        raise GpuPeaksError(problems)
    return peaks


def load_gpu_peaks(path: str | Path | None = None) -> list[GpuPeak]:
    path = Path(path) if path is not None else builtin_peaks_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GpuPeaksError([f"{path}: cannot read ({exc})"])
    return parse_gpu_peaks(text, path.name)


def find_peak(peaks: Iterable[GpuPeak], device_name: str) -> GpuPeak | None:
    """The first row whose words all appear in the device name (rows go most specific first)."""
    return next((peak for peak in peaks if peak.matches(device_name)), None)


def device_names(devices: Mapping[str, Any]) -> dict[str, str]:
    """Check-id label ('cuda:0', 'xpu:1', 'mps') -> device name as torch reports it."""
    names = {}
    for kind in ("cuda", "xpu"):
        for device in (devices.get(kind) or {}).get("devices") or []:
            names[f"{kind}:{device.get('index')}"] = str(device.get("name") or "")
    for device in (devices.get("mps") or {}).get("devices") or []:
        names["mps"] = str(device.get("name") or "")
    return names


def attach_peaks(checks: list[Check], devices: Mapping[str, Any], peaks: list[GpuPeak]) -> None:
    """Put the spec-sheet peak and the fraction reached beside every measured TFLOP/s."""
    names = device_names(devices)
    for check in checks:
        match = re.match(r"^(.+)\.perf\.matmul\.(\w+)$", check.id)
        if not match or "tflops" not in check.metrics:
            continue
        label, dtype = match.groups()
        name = names.get(label)
        peak = find_peak(peaks, name) if name else None
        if peak is None or dtype not in peak.tflops:
            continue
        value = peak.tflops[dtype]
        check.metrics["peak_tflops"] = value
        check.metrics["fraction_of_peak"] = round(check.metrics["tflops"] / value, 4)
        check.details["peak_source"] = peak.source
        check.details["peak_row"] = peak.name


# ---------------------------------------------------------------------------- expectations


def expectation_checks(options: VerifyOptions, build: Mapping[str, Any] | None,
                       devices: Mapping[str, Any] | None) -> list[Check]:
    """One check per CI expectation; an expectation the smoke test could not answer fails."""
    checks = []
    if options.expect_gpus is not None:
        if devices is None:
            message = f"expected {options.expect_gpus} GPU(s); the smoke test never reached device discovery"
            checks.append(Check("expect.gpus", "fail", "expected GPUs", message))
        else:
            seen = sum(int((devices.get(kind) or {}).get("count") or 0) for kind in ("cuda", "xpu", "mps"))
            status = "pass" if seen == options.expect_gpus else "fail"
            checks.append(Check("expect.gpus", status, "expected GPUs",
                                f"expected {options.expect_gpus} GPU(s), torch sees {seen}",
                                details={"expected": options.expect_gpus, "seen": seen}))
    if options.expect_cuda is not None:
        checks.append(expect_cuda_check(options.expect_cuda, build))
    if options.expect_torch is not None:
        checks.append(expect_torch_check(options.expect_torch, build))
    return checks


def expect_cuda_check(expected: str, build: Mapping[str, Any] | None) -> Check:
    def fail(message: str) -> Check:
        return Check("expect.cuda", "fail", "expected CUDA build", message, details={"expected": expected})

    try:
        want = Version(expected).release[:2]
    except InvalidVersion:
        return fail(f"{expected!r} is not a CUDA version like 12.4")
    if build is None:
        return fail(f"expected CUDA {expected}; the smoke test never reported torch's build")
    actual = build.get("cuda")
    if not actual:
        return fail(f"expected CUDA {expected}, torch is not a CUDA build (torch.version.cuda is None)")
    try:
        have = Version(str(actual)).release[:2]
    except InvalidVersion:
        return fail(f"expected CUDA {expected}, torch reports an unreadable CUDA version {actual!r}")
    status = "pass" if have == want else "fail"
    message = f"expected CUDA {expected}, torch was built for {actual}"
    details = {"expected": expected, "actual": actual}
    return Check("expect.cuda", status, "expected CUDA build", message, details=details)


def expect_torch_check(spec: str, build: Mapping[str, Any] | None) -> Check:
    def fail(message: str) -> Check:
        return Check("expect.torch", "fail", "expected torch version", message, details={"expected": spec})

    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return fail(f"{spec!r} is not a version specifier")
    if build is None or not build.get("torch"):
        return fail(f"expected torch {spec}; the smoke test never reported torch's version")
    try:
        version = Version(str(build["torch"]))
    except InvalidVersion:
        return fail(f"expected torch {spec}, torch reports an unreadable version {build['torch']!r}")
    status = "pass" if specifier.contains(version, prereleases=True) else "fail"
    return Check("expect.torch", status, "expected torch version", f"expected torch {spec}, found {build['torch']}",
                 details={"expected": spec, "actual": build["torch"]})


# ---------------------------------------------------------------------------- entry point


def smoke_argv(python: str, options: VerifyOptions) -> list[str]:
    args = {"device": options.device, "compile": bool(options.compile), "perf_seconds": float(options.perf_seconds)}
    return [python, "-c", SMOKE_SCRIPT, json.dumps(args, sort_keys=True)]


def run_verify(door: Door, options: VerifyOptions, facts: Facts | None = None) -> list[Check]:
    """Run the smoke test in a child of the target interpreter and return every check, in order."""
    if options.device not in DEVICES:
        return [Check("devices", "fail", "devices", f"unknown device {options.device!r} (one of {', '.join(DEVICES)})")]
    python = options.python or door.platform().python_executable
    result = door.run(smoke_argv(python, options), timeout=options.timeout)
    output = parse_smoke_output(result.stdout)
    checks = [check_from_event(event) for event in output.checks]
    failure = child_failure(result, output, options.timeout)
    if failure is not None:
        checks.append(failure)
    by_id = {check.id: check for check in checks}
    build = by_id["build"].details if "build" in by_id else None
    devices = by_id["devices"].details if "devices" in by_id else None
    if "devices" in by_id:
        judge_devices(by_id["devices"], build or {}, facts)
    if devices is not None:
        try:
            attach_peaks(checks, devices, load_gpu_peaks())
        except GpuPeaksError as exc:
            for check in checks:
                if ".perf.matmul." in check.id and not check.id.startswith("cpu."):
                    check.details["peaks_error"] = str(exc)
    checks.extend(expectation_checks(options, build, devices))
    return checks


def verify_ok(checks: Iterable[Check]) -> bool:
    """Overall verdict: no check failed (skips are fine)."""
    return all(check.status != "fail" for check in checks)
