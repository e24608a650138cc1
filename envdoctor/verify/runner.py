"""The parent side of ``envdoctor verify``: start the smoke script, read its events, judge the result.

The child (``smoke.py``) runs in the target interpreter through ``door.run_with_channel`` with a
timeout, so a segfault, an abort, a hang or an import error becomes a failed check naming the stage
reached and the signal or error, never a crash or hang of envdoctor. Its events come over a private
pipe, each carrying a per-run nonce the child read from stdin before importing torch: what torch
prints on stdout or stderr is noise and can never pass for a result. A check id reported twice
keeps its first report and fails ``smoke.protocol``. The parent then compares what torch saw with
what the probes saw, puts measured TFLOP/s beside the GPU's peak from ``recipes/gpu_peaks.toml``
and checks the CI expectations.
"""

from __future__ import annotations

import ast
import functools
import hmac
import json
import math
import random
import re
import secrets
import shlex
import signal
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.door import CommandResult, Door
from envdoctor.extensions import Catalog, ExtensionDataError, builtin_catalog, extension_imports, import_failure
from envdoctor.facts import Check, Facts
from envdoctor.i18n import Text, _
from envdoctor.recipes import RecipeError, Recipes, load_recipes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SMOKE_PATH = Path(__file__).resolve().with_name("smoke.py")
SMOKE_SCRIPT = SMOKE_PATH.read_text(encoding="utf-8")
#: How a child runs a script of envdoctor's: this loader, given the file's path, runs it in ``__main__``
#: as ``python -c SOURCE`` would (sys.argv[1:] its arguments, nothing from the script's folder on
#: sys.path). The source itself never goes on the command line: Windows caps one at 32,767 characters
#: and smoke.py alone is over 50,000.
SCRIPT_LOADER = """# envdoctor:script-loader
import sys
exec(compile(open(sys.argv[1], "rb").read(), sys.argv.pop(1), "exec"))
"""
DEVICES = ("all", "cpu", "cuda", "mps", "xpu")
#: How much each --level runs, in the spirit of NVIDIA DCGM's `dcgmi diag -r 1/2/3` (quick deployment checks
#: in seconds, then medium, then long; https://docs.nvidia.com/datacenter/dcgm/latest/reference/command-line-reference/dcgmi/dcgmi-diag.html):
#: quick is import, devices, one matmul and the tutorial's autograd on each device (a CI gate); standard adds
#: every correctness check, a first training script (SGD/AdamW, autocast, a DataLoader with workers) and a
#: short performance run; full trains longer on a larger model, moves 32 MiB DataLoader batches and measures
#: performance for longer.
LEVELS = ("quick", "standard", "full")
LEVEL_PERF_SECONDS = {"quick": 0.0, "standard": 2.0, "full": 10.0}
LEVEL_TIMEOUT_S = {"quick": 60.0, "standard": 120.0, "full": 300.0}
PEAK_DTYPES = ("float32", "tf32", "float16", "bfloat16")
WORD_RE = re.compile(r"^[a-z0-9]+$")
MAX_EVENTS = 5000  # 8 GPUs with every check is a few hundred
MAX_EVENT_BYTES = 1024 * 1024
MAX_ID_LENGTH = 200
MAX_IMPORTS = 32  # extensions imported by one run; their names must fit the child's 4 KiB header
#: Seconds each extension's import may take, torch's own import in that fresh interpreter included (all run
#: at once); past it the import is killed and reported.
EXTENSION_IMPORT_TIMEOUT_S = 60.0
# Windows reports a crashed process by its NTSTATUS as an unsigned exit code.
WINDOWS_CRASHES = {
    0xC0000005: "access violation (0xC0000005)",
    0xC00000FD: "stack overflow (0xC00000FD)",
    0xC0000409: "stack buffer overrun (0xC0000409)",
    0xC000001D: "illegal instruction (0xC000001D)",
}


@datatype
class VerifyOptions:
    """What to test and what to expect; every field has a CLI flag."""

    python: str | None = None  # target interpreter; None = the one envdoctor runs on
    timeout: float | None = None  # the whole child run; finite and above 0; None: the level's (LEVEL_TIMEOUT_S)
    device: str = "all"  # cpu | cuda | mps | xpu | all (cpu + every accelerator found)
    compile: bool = False  # stage 5: torch.compile
    perf_seconds: float | None = None  # budget of stage 4 over all devices; None: the level's (LEVEL_PERF_SECONDS)
    level: str = "standard"  # quick | standard | full (LEVELS)
    expect_gpus: int | None = None
    expect_cuda: str | None = None  # "12.4": torch.version.cuda must match major.minor
    expect_torch: str | None = None  # a PEP 440 specifier, e.g. ">=2.4,<2.6"


# ---------------------------------------------------------------------------- child output


@datatype
class SmokeOutput:
    """What the child reported on its channel, in order."""

    checks: list[dict] = field(default_factory=list)
    running: str | None = None  # the check started and never finished
    done: bool = False
    rejected: list[str] = field(default_factory=list)  # events refused, and why
    data: list[dict] = field(default_factory=list)  # "data" events (the fleet check's gathered summaries)


def _event_json(line: bytes) -> Any:
    """One event; NaN and infinities (a broken GPU's numbers) become null, as JSON has no such values."""

    def finite(text: str) -> float | None:
        value = float(text)
        return value if math.isfinite(value) else None

    return json.loads(line.decode("utf-8"), parse_constant=lambda name: None, parse_float=finite)


def parse_events(data: bytes, nonce: str) -> SmokeOutput:
    """Read the channel: one JSON event per line, each with this run's nonce.

    A torn last line (the child died mid-write) is dropped silently; anything else that is not a
    well-formed event of this run, and a second report of a check id, is kept in ``rejected``.
    ``data`` events (named payloads, sent by the fleet check's rank script) are kept in order.
    """
    output = SmokeOutput()
    lines = data.split(b"\n")
    lines.pop()  # the part after the last newline: empty, or torn
    finished: set[str] = set()
    for number, line in enumerate(lines):
        if number >= MAX_EVENTS:
            output.rejected.append(f"more than {MAX_EVENTS} events; the rest were dropped")
            break
        if len(line) > MAX_EVENT_BYTES:
            output.rejected.append(f"event {number}: longer than {MAX_EVENT_BYTES} bytes")
            continue
        try:
            event = _event_json(line)
        except (ValueError, RecursionError):
            output.rejected.append(f"event {number}: not JSON")
            continue
        if not isinstance(event, dict) or not hmac.compare_digest(str(event.get("nonce", "")), nonce):
            output.rejected.append(f"event {number}: not from this run (wrong or missing nonce)")
            continue
        kind, raw_id = event.get("event"), event.get("id")
        valid_id = isinstance(raw_id, str) and 0 < len(raw_id) <= MAX_ID_LENGTH
        check_id = str(raw_id)
        if kind == "start" and valid_id:
            if check_id not in finished:
                output.running = check_id
        elif kind == "check" and valid_id and event.get("status") in ("pass", "fail", "skip"):
            if check_id in finished:
                output.rejected.append(f"event {number}: check {check_id!r} reported again; the first report stands")
                continue
            finished.add(check_id)
            output.checks.append(event)
            if output.running == check_id:
                output.running = None
        elif kind == "done":
            output.done = True
        elif kind == "progress":
            continue  # shown while the child runs (ProgressFeed); nothing to judge
        elif kind == "data" and isinstance(event.get("name"), str):
            output.data.append(event)
        else:
            output.rejected.append(f"event {number}: not a start, progress, check or done event")
    return output


def protocol_check(output: SmokeOutput) -> Check | None:
    """A failed check when the channel carried anything but this run's own events."""
    if not output.rejected:
        return None
    shown = "; ".join(output.rejected[:3])
    count = len(output.rejected)
    message = (_("{count} event(s) rejected: {shown}; and {more} more", count=count, shown=shown, more=count - 3)
               if count > 3 else _("{count} event(s) rejected: {shown}", count=count, shown=shown))
    return Check("smoke.protocol", "fail", _("smoke test channel"), message, details={"rejected": output.rejected[:50]})


@functools.cache
def child_templates(source: str = SMOKE_SCRIPT) -> frozenset[str]:
    """The sentences a child script may send for translation: the literal templates of its ``_()`` calls
    (the same calls the catalogue is extracted from), so a child can never have the parent format its own."""
    return frozenset(node.args[0].value for node in ast.walk(ast.parse(source))
                     if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
                     and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


def child_text(event: Mapping[str, Any], key: str, templates: frozenset[str] | None = None) -> str:
    """``event[key]`` as the child wrote it in English; a :class:`Text` the reader's language can say when the
    child sent one of its own templates and plain fields beside it (see smoke.py's ``_``)."""
    english = str(event.get(key) or "")
    template, fields = event.get(f"{key}_template"), event.get(f"{key}_fields")
    if (isinstance(template, str) and template in (child_templates() if templates is None else templates)
            and isinstance(fields, dict)
            and all(isinstance(v, (str, int, float, list)) or v is None for v in fields.values())):
        return Text(english, template, {str(k): v for k, v in fields.items()})
    return english


def check_from_event(event: Mapping[str, Any]) -> Check:
    duration = event.get("duration_s")
    return Check(
        id=str(event["id"]),
        status=str(event["status"]),
        title=child_text(event, "title"),
        message=child_text(event, "message"),
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
    where = _("during {stage}", stage=stage) if stage else _("after {check}", check=output.checks[-1]["id"])
    details: dict[str, Any] = {"stage": stage, "returncode": result.returncode, "status": result.status,
                               "stderr_tail": tail(result.stderr)}
    if result.status == "not_found":
        message = _("interpreter not found: {python}", python=result.argv[0] if result.argv else "?")
    elif result.status == "error":
        message = _("could not run the smoke test: {error}", error=result.error)
    elif result.status == "timed_out":
        message = _("hung {where}: no result within {timeout:g} s; the child was killed", where=where, timeout=timeout)
        details["timed_out"] = True
    elif result.returncode is not None and result.returncode < 0:
        name = signal_name(-result.returncode)
        details["signal"] = name
        message = _("crashed with {signal} {where}", signal=name, where=where)
    elif result.returncode in WINDOWS_CRASHES:
        details["signal"] = WINDOWS_CRASHES[result.returncode]
        message = _("crashed with {signal} {where}", signal=WINDOWS_CRASHES[result.returncode], where=where)
    else:
        error = last_error_line(result.stderr)
        message = (_("exited with code {code} {where}: {error}", code=result.returncode, where=where, error=error)
                   if error else _("exited with code {code} {where}", code=result.returncode, where=where))
        if error:
            details["error"] = error
    return Check(id=stage or "smoke", status="fail", title=_("smoke test"), message=message,
                 duration_s=round(result.duration_s, 6), details=details)


# ---------------------------------------------------------------------------- devices vs probes


def _fit(torch_cuda: Any, facts: Facts, recipes: Recipes | None) -> compat.CudaFit | None:
    """compat's minor-version verdict for this build on the probed driver; None when undecidable."""
    nvidia = facts.nvidia
    if recipes is None or not torch_cuda or not nvidia.driver_version:
        return None
    return compat.cuda_fit(str(torch_cuda), None, nvidia.driver_version, nvidia.driver_max_cuda,
                           compat.driver_table_os(facts.os.system, facts.os.wsl), recipes.toolkits, recipes.families)


def _kernel_problem(name: str, capability: Any, build: Mapping[str, Any], fit: compat.CudaFit | None,
                    recipes: Recipes | None) -> str | None:
    """Why this build cannot run on one GPU (compat.gpu_fit over torch's own arch list), or None."""
    arch_list = build.get("arch_list") or []
    if not build.get("cuda") or not arch_list:
        return None
    sass, ptx = compat.split_arch_list(arch_list)
    newest = recipes.newest_cc(str(build.get("cuda"))) if recipes is not None else None
    verdict = compat.gpu_fit(capability, sass, ptx, fit, newest)
    if verdict.runs is not False:
        return None
    if verdict.how == "":
        return _("{gpu} is {sm}; this torch carries kernels for {archs} only (no kernel image for this GPU)",
                 gpu=name, sm=compat.sm_name(capability), archs=" ".join(arch_list))
    return _("{gpu}: {reason}", gpu=name, reason=verdict.reason)


def missing_gpu_causes(build: Mapping[str, Any], cuda: Mapping[str, Any], facts: Facts,
                       recipes: Recipes | None = None) -> list[str]:
    """Why torch sees fewer NVIDIA GPUs than the driver shows: each cause that applies, most certain first."""
    causes: list[str] = []
    torch_cuda = build.get("cuda")
    if not torch_cuda and not build.get("hip"):
        causes.append(_("this torch is a CPU build (torch.version.cuda is None)"))
    elif build.get("hip"):
        causes.append(_("this torch is a ROCm build (HIP {hip}); it cannot drive NVIDIA GPUs", hip=build["hip"]))
    visible = cuda.get("visible_devices")
    if visible is None:
        visible = facts.nvidia.cuda_visible_devices
    if visible is not None and (facts.nvidia.hidden_gpus or not facts.nvidia.visible_gpus()):
        causes.append(_("CUDA_VISIBLE_DEVICES={visible} hides them", visible=repr(visible)))
    fit = _fit(torch_cuda, facts, recipes)
    if fit is not None and fit.level == "none":
        needs = fit.needs()
        facts_of = dict(driver=facts.nvidia.driver_version, driver_cuda=fit.driver_cuda, cuda=torch_cuda)
        causes.append(_("the driver ({driver}) supports CUDA {driver_cuda} at most; this torch was built for CUDA "
                        "{cuda} (driver >= {needs} runs it)", needs=needs, **facts_of) if needs
                      else _("the driver ({driver}) supports CUDA {driver_cuda} at most; this torch was built for CUDA "
                             "{cuda}", **facts_of))
    for gpu in facts.nvidia.gpus:
        problem = _kernel_problem(gpu.name or "GPU", gpu.compute_capability, build, fit, recipes)
        if problem:
            causes.append(problem)
    warnings = cuda.get("init_warnings") or []
    if not causes:
        causes.append(_("cause unknown; torch says: {warning}", warning=warnings[0]) if warnings else _("cause unknown"))
    return causes


def judge_devices(check: Check, build: Mapping[str, Any], facts: Facts | None, recipes: Recipes | None = None) -> Check:
    """Fail the devices check when torch sees fewer GPUs than the probes, or cannot run on one it sees.

    Causes come from the same compatibility model as check's rules (envdoctor.compat), so a build
    running through CUDA minor-version compatibility is not blamed on the driver.
    """
    cuda = check.details.get("cuda") or {}
    problems: list[str] = []
    torch_count = (compat.parse_count(cuda.get("count")) or 0) if cuda.get("kind", "cuda") == "cuda" else 0
    if facts is not None and facts.nvidia.gpus:
        shown = len(facts.nvidia.gpus)
        visible = (facts.nvidia.cuda_visible_count if facts.nvidia.cuda_visible_count is not None
                   else len(facts.nvidia.visible_gpus()))
        check.details["probes"] = {"nvidia_gpus": shown, "nvidia_visible": visible,
                                   "driver_max_cuda": facts.nvidia.driver_max_cuda}
        if torch_count == 0 or torch_count < visible:
            causes = missing_gpu_causes(build, cuda, facts, recipes)
            check.details["causes"] = causes
            problems.append(_("nvidia-smi shows {shown} GPU(s), torch sees {seen}: {causes}", shown=shown, seen=torch_count,
                              causes=_joined(causes)))
    fit = _fit(build.get("cuda"), facts, recipes) if facts is not None else None
    for device in cuda.get("devices") or []:
        problem = _kernel_problem(str(device.get("name")), device.get("capability"), build, fit, recipes)
        if problem:
            problems.append(problem)
    if problems:
        check.status = "fail"
        check.message = _joined(problems)
    return check


def _joined(sentences: list[str]) -> str:
    """Sentences joined by '; ', each still said in the reader's language (a Text whose fields are the sentences)."""
    if len(sentences) == 1:
        return sentences[0]
    return Text("; ".join(sentences), "; ".join(f"{{s{n}}}" for n in range(len(sentences))),
                {f"s{n}": sentence for n, sentence in enumerate(sentences)})


# ---------------------------------------------------------------------------- GPU peaks


@datatype(frozen=True)
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
                       devices: Mapping[str, Any] | None, confirmed: set[str] | None = None,
                       facts: Facts | None = None) -> list[Check]:
    """One check per CI expectation; an expectation the smoke test could not answer fails.

    A GPU counts for --expect-gpus only when envdoctor confirmed its known-answer product (``confirmed``)
    and, where the probes could count the machine's GPUs without torch, no more than they saw.
    """
    checks = []
    if options.expect_gpus is not None:
        if devices is None:
            message = _("expected {count} GPU(s); the smoke test never reached device discovery", count=options.expect_gpus)
            checks.append(Check("expect.gpus", "fail", _("expected GPUs"), message))
        else:
            claimed = sum(compat.parse_count((devices.get(kind) or {}).get("count") or 0) or 0
                          for kind in ("cuda", "xpu", "mps"))
            checked = len([label for label in (confirmed or set()) if label != "cpu"])
            probed = _probed_gpus(facts)
            seen = min(checked, probed) if probed is not None else checked
            status = "pass" if seen == claimed == options.expect_gpus else "fail"
            counts = dict(count=options.expect_gpus, seen=claimed)
            if seen == claimed:
                message = _("expected {count} GPU(s), torch sees {seen}", **counts)
            elif probed is None:
                message = _("expected {count} GPU(s), torch sees {seen}; the results of {checked} were confirmed",
                            checked=checked, **counts)
            else:
                message = _("expected {count} GPU(s), torch sees {seen}; the results of {checked} were confirmed and "
                            "the probes found {probed}", checked=checked, probed=probed, **counts)
            checks.append(Check("expect.gpus", status, _("expected GPUs"), message,
                                details={"expected": options.expect_gpus, "seen": claimed, "confirmed": checked,
                                         "probed": probed}))
    if options.expect_cuda is not None:
        checks.append(expect_cuda_check(options.expect_cuda, build))
    if options.expect_torch is not None:
        checks.append(expect_torch_check(options.expect_torch, build))
    return checks


def _probed_gpus(facts: Facts | None) -> int | None:
    """The GPUs the probes saw without torch (see policy's ``gpus``); None when they could not tell."""
    if facts is None:
        return None
    from envdoctor.policy import observe

    gpus = observe(facts)["gpus"]
    if gpus.unknown:
        return None
    return compat.parse_count(gpus.values[0]) if gpus.values else 0


def expect_cuda_check(expected: str, build: Mapping[str, Any] | None) -> Check:
    def fail(message: str) -> Check:
        return Check("expect.cuda", "fail", _("expected CUDA build"), message, details={"expected": expected})

    want = compat.parse_cuda(expected)
    if want is None:
        return fail(_("{expected} is not a CUDA version like 12.4", expected=repr(expected)))
    if build is None:
        return fail(_("expected CUDA {expected}; the smoke test never reported torch's build", expected=expected))
    actual = build.get("cuda")
    if not actual:
        return fail(_("expected CUDA {expected}, torch is not a CUDA build (torch.version.cuda is None)", expected=expected))
    have = compat.major_minor(str(actual))
    if have is None:
        return fail(_("expected CUDA {expected}, torch reports an unreadable CUDA version {actual}", expected=expected,
                      actual=repr(actual)))
    status = "pass" if have == want else "fail"
    message = _("expected CUDA {expected}, torch was built for {actual}", expected=expected, actual=actual)
    details = {"expected": expected, "actual": actual}
    return Check("expect.cuda", status, _("expected CUDA build"), message, details=details)


def expect_torch_check(spec: str, build: Mapping[str, Any] | None) -> Check:
    def fail(message: str) -> Check:
        return Check("expect.torch", "fail", _("expected torch version"), message, details={"expected": spec})

    try:
        specifier = compat.parse_specifier(spec)
    except InvalidSpecifier:
        return fail(_("{spec} is not a version specifier", spec=repr(spec)))
    if build is None or not build.get("torch"):
        return fail(_("expected torch {spec}; the smoke test never reported torch's version", spec=spec))
    version = compat.parse_version(str(build["torch"]))
    if version is None:
        return fail(_("expected torch {spec}, torch reports an unreadable version {actual}", spec=spec,
                      actual=repr(build["torch"])))
    status = "pass" if specifier.contains(version, prereleases=True) else "fail"
    return Check("expect.torch", status, _("expected torch version"),
                 _("expected torch {spec}, found {actual}", spec=spec, actual=build["torch"]),
                 details={"expected": spec, "actual": build["torch"]})


# ---------------------------------------------------------------------------- entry point


def smoke_argv(python: str, options: VerifyOptions) -> list[str]:
    perf = LEVEL_PERF_SECONDS.get(options.level, 2.0) if options.perf_seconds is None else float(options.perf_seconds)
    args = {"device": options.device, "compile": bool(options.compile), "perf_seconds": perf, "level": options.level}
    return script_argv(python, SMOKE_PATH, json.dumps(args, sort_keys=True))


def script_argv(python: str, script: Path, *args: str) -> list[str]:
    """The argv that runs ``script`` (an absolute path) in ``python`` through :data:`SCRIPT_LOADER`."""
    return [python, "-c", SCRIPT_LOADER, str(script), *args]


def smoke_stdin(channel: int, nonce: str, known_answer: Mapping[str, Any] | None = None,
                imports: Iterable[tuple[str, str]] = (), import_timeout: float | None = None) -> bytes:
    """The one line the child reads before importing torch: where its channel is, the nonce and, for the
    smoke test, the known-answer inputs and the extensions to import ((distribution, module) pairs)."""
    header: dict[str, Any] = {"channel": channel, "nonce": nonce}
    if known_answer is not None:
        header["known_answer"] = known_answer
    wanted = [{"dist": dist, "module": module} for dist, module in imports][:MAX_IMPORTS]
    if wanted:
        header.update(imports=wanted, import_timeout=import_timeout)
    return (json.dumps(header) + "\n").encode("ascii")


# ---------------------------------------------------------------------------- the parent's verdict

#: The checks every device must report at each level, whatever else it reports (the dtypes beyond
#: float32 depend on the device; its perf checks are measurements, not verdicts).
REQUIRED_CHECKS = {
    "quick": ("matmul.float32", "tutorial.autograd"),
    "standard": ("alloc", "copy", "matmul.float32", "autograd", "gradcheck", "conv2d", "tutorial.autograd",
                 "train.sgd", "train.amp", "data.loader"),
}
REQUIRED_CHECKS["full"] = REQUIRED_CHECKS["standard"]
MAX_DEVICES = 1024  # of one kind in one process: more than any machine has
_MATMUL_ID = re.compile(r"^(?P<label>[a-z]+(?::[0-9]+)?)\.matmul\.[a-z0-9]+$")


def known_answer_inputs(seed: int) -> dict[str, list[list[int]]]:
    """This run's small-integer matrices (8x8 and 8x12, entries -4..4): every dtype holds their product exactly."""
    rng = random.Random(seed)
    return {"a": [[rng.randint(-4, 4) for _column in range(8)] for _row in range(8)],
            "b": [[rng.randint(-4, 4) for _column in range(12)] for _row in range(8)]}


def known_answer_product(inputs: Mapping[str, list[list[int]]]) -> list[list[int]]:
    """a @ b in pure Python: the parent's own reference, computed without the child's torch."""
    a, b = inputs["a"], inputs["b"]
    return [[sum(row[k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for row in a]


def device_labels(options: VerifyOptions, devices: Mapping[str, Any] | None) -> list[str]:
    """The devices the child had to test: the CPU, then each accelerator torch reported and --device asked for."""
    labels = ["cpu"]
    for kind in ("cuda", "xpu", "mps"):
        if options.device not in ("all", kind):
            continue
        count = min(MAX_DEVICES, compat.parse_count(((devices or {}).get(kind) or {}).get("count") or 0) or 0)
        if kind == "mps":
            labels += ["mps"] if count else []
        else:
            labels += [f"{kind}:{index}" for index in range(count)]
    return labels


def judge_results(checks: list[Check], options: VerifyOptions, inputs: Mapping[str, list[list[int]]],
                  devices: Mapping[str, Any] | None, finished: bool = True) -> set[str]:
    """The parent's verdict on what the child reported; returns the devices whose products it confirmed.

    A matmul passes only with the product of this run's inputs, checked here; a check the child calls
    passed without its evidence fails; a child that imported torch and says it ``finished`` must have
    reported every check of the level on every device (one that crashed or hung has already failed).
    """
    expected = known_answer_product(inputs)
    confirmed: set[str] = set()
    for check in checks:
        match = _MATMUL_ID.match(check.id)
        if match is None or check.status != "pass":
            continue
        product = check.details.get("known_answer_product")
        if product == expected:  # floats equal to the integers compare equal; NaN never does
            if check.id.endswith(".float32"):
                confirmed.add(match.group("label"))
            continue
        check.status = "fail"
        check.message = (_("the product of this run's small integers is not the one envdoctor computed itself")
                         if product is not None else _("no product of this run's small integers came back to check"))
    reported = {check.id for check in checks}
    missing = [f"{label}.{name}" for label in device_labels(options, devices)
               for name in REQUIRED_CHECKS.get(options.level, ()) if f"{label}.{name}" not in reported]
    imported = any(check.id == "import" and check.status == "pass" for check in checks)
    if missing and finished and imported:  # a failed import fails the run already
        checks.append(Check("smoke.complete", "fail", _("every check reported"),
                            _("{count} check(s) of --level {level} never reported: {checks}", count=len(missing),
                              level=options.level, checks=", ".join(missing[:10])),
                            details={"missing": missing[:200]}))
    return confirmed


def run_verify(door: Door, options: VerifyOptions, facts: Facts | None = None,
               progress: Callable[[Progress | None], None] | None = None) -> list[Check]:
    """Run the smoke test in a child of the target interpreter and return every check, in order.

    ``progress`` sees each stage as the child starts it, and None once the child is gone.
    """
    if options.device not in DEVICES:
        return [Check("devices", "fail", _("devices"), _("unknown device {device} (one of {choices})",
                                                        device=repr(options.device), choices=", ".join(DEVICES)))]
    if options.level not in LEVELS:
        return [Check("smoke", "fail", _("smoke test"), _("unknown level {level} (one of {choices})",
                                                          level=repr(options.level), choices=", ".join(LEVELS)))]
    timeout = LEVEL_TIMEOUT_S[options.level] if options.timeout is None else options.timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
        return [Check("smoke", "fail", _("smoke test"), _("timeout {timeout} is not a finite number of seconds above 0",
                                                          timeout=repr(timeout)))]
    python = options.python or door.python_executable()
    nonce = secrets.token_hex(16)
    inputs = known_answer_inputs(secrets.randbits(64))
    catalog = _catalog()
    imports = extension_imports(facts, catalog) if catalog is not None else []
    import_timeout = min(EXTENSION_IMPORT_TIMEOUT_S, timeout / 2)
    feed = ProgressFeed(nonce, progress) if progress is not None else None
    run = door.run_with_channel(smoke_argv(python, options), timeout,
                                lambda channel: smoke_stdin(channel, nonce, inputs, imports, import_timeout),
                                feed.add if feed is not None else None)
    if progress is not None:
        progress(None)
    output = parse_events(run.channel, nonce)
    if run.channel_truncated:
        output.rejected.append("the channel carried more than the door keeps; later events were dropped")
    checks = [check_from_event(event) for event in output.checks]
    failure = child_failure(run.result, output, timeout)
    if failure is not None:
        checks.append(failure)
    protocol = protocol_check(output)
    if protocol is not None:
        checks.append(protocol)
    by_id = {check.id: check for check in checks}
    if "import" in by_id:
        point_to_install(by_id["import"], python)
    if "numpy" in by_id:
        judge_numpy(by_id["numpy"], by_id["build"].details if "build" in by_id else {})
    for check in checks:
        if check.id.startswith("extension.") and check.status == "fail" and catalog is not None:
            judge_extension(check, facts, catalog)
    build = by_id["build"].details if "build" in by_id else None
    devices = by_id["devices"].details if "devices" in by_id else None
    confirmed = judge_results(checks, options, inputs, devices, finished=failure is None)
    if "devices" in by_id:
        judge_devices(by_id["devices"], build or {}, facts, _recipes())
    if devices is not None:
        try:
            attach_peaks(checks, devices, load_gpu_peaks())
        except GpuPeaksError as exc:
            for check in checks:
                if ".perf.matmul." in check.id and not check.id.startswith("cpu."):
                    check.details["peaks_error"] = str(exc)
    checks.extend(expectation_checks(options, build, devices, confirmed, facts))
    return checks


#: NumPy pins that no wheel metadata states: (torch release, sys.platform prefix, requirement, source).
NUMPY_PINS = (
    ("2.4.0", "win", "numpy<2", "https://github.com/pytorch/pytorch/issues/131668 (the 2.4.0 Windows wheels were "
                                "compiled against NumPy 1.x; later builds against NumPy 2, pytorch/builder#1945)"),
)


def numpy_requirement(build: Mapping[str, Any], details: Mapping[str, Any]) -> tuple[str, str]:
    """(requirement, where it comes from): torch's own Requires-Dist on numpy, else a known pin, else numpy."""
    for line in details.get("torch_requires") or []:
        text = str(line).split(";")[0].replace(" ", "")
        if re.match(r"^numpy[<>=!~,.0-9a-z*]*$", text, re.IGNORECASE):
            return text, "torch's Requires-Dist"
    release = compat.parse_version(str(build.get("torch") or ""))
    platform = str(details.get("platform") or "")
    for version, prefix, requirement, source in NUMPY_PINS:
        if release is not None and release.public == version and platform.startswith(prefix):
            return requirement, source
    return "numpy", ""


def judge_numpy(check: Check, build: Mapping[str, Any]) -> None:
    """A missing NumPy is a warning, not a failed smoke test: torch runs, but tensor.numpy(), DataLoader
    collation of numpy arrays and most tutorials fail ("Failed to initialize NumPy" at import)."""
    requirement, source = numpy_requirement(build, check.details)
    check.details["fix"] = f"pip install {shlex.quote(requirement)}"
    if source:
        check.details["requirement_source"] = source
    if check.status == "fail" and check.details.get("version") is None:
        check.status = "warn"
        check.message = _("NumPy is not installed: torch works, but tensor.numpy(), DataLoader collation of numpy "
                          "arrays and most tutorials fail -> {fix}", fix=check.details["fix"])
    elif check.status == "fail":
        check.message = _("{message} -> {fix}", message=check.message, fix=check.details["fix"])


def judge_extension(check: Check, facts: Facts | None, catalog: Catalog) -> None:
    """A failed extension import names its cause (another torch's build, a missing CUDA runtime) and the fix."""
    dist = check.id[len("extension."):]
    error = str(check.details.get("error") or check.message)
    if check.details.get("timed_out"):
        check.message = _("{message}: it hangs on import; reinstall {dist} for this torch", message=check.message, dist=dist)
        return
    cause, fix = import_failure(dist, error, facts, catalog)
    check.details.update(cause=cause, fix=fix)
    check.message = _("{dist} cannot be loaded: {cause} ({error}) -> {fix}", dist=dist, cause=cause, error=repr(error), fix=fix)


class Progress:
    """One stage the child started: step n of total (None until the devices are known), its title."""

    def __init__(self, step: int, total: int | None, title: str) -> None:
        self.step, self.total, self.title = step, total, title


class ProgressFeed:
    """Reads the channel as it arrives and hands each of this run's progress events to ``show``."""

    def __init__(self, nonce: str, show: Callable[[Progress | None], None]) -> None:
        self.nonce, self.show, self.pending = nonce, show, b""

    def add(self, chunk: bytes) -> None:
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()
        if len(self.pending) > MAX_EVENT_BYTES:
            self.pending = b""
        for line in lines:
            try:
                event = _event_json(line)
            except (ValueError, RecursionError):
                continue
            if (isinstance(event, dict) and event.get("event") == "progress"
                    and hmac.compare_digest(str(event.get("nonce", "")), self.nonce)):
                step, total = event.get("step"), event.get("total")
                if isinstance(step, int) and (total is None or isinstance(total, int)):
                    title = child_text(event, "title")
                    self.show(Progress(step, total, title if len(title) <= MAX_ID_LENGTH else title[:MAX_ID_LENGTH]))


def point_to_install(check: Check, python: str) -> None:
    """A failed ``import torch`` because torch is not there says so and what installs it, not only the error."""
    if check.status == "fail" and check.message.startswith("ModuleNotFoundError: No module named 'torch'"):
        check.message = _("torch is not installed in {python}: {command} installs the build for this machine ({error})",
                          python=python, command=f"envdoctor install --python {shlex.quote(python)}", error=check.message)


def _catalog() -> Catalog | None:
    """The extensions catalogue; a broken one only loses the extension imports."""
    try:
        return builtin_catalog()
    except ExtensionDataError:
        return None


def _recipes() -> Recipes | None:
    """The built-in compatibility data for the cause analysis; a broken recipe file only loses the causes."""
    try:
        return load_recipes()
    except RecipeError:
        return None


def verify_ok(checks: Iterable[Check]) -> bool:
    """Overall verdict: no check failed (skips and warnings are fine)."""
    return all(check.status != "fail" for check in checks)
