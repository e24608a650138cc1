"""The NVIDIA driver and its GPUs.

Sources, best first: NVML (through the door), ``nvidia-smi`` (the CSV query and the table header,
run concurrently), then the kernel module's own version files. Parsers come first and never raise;
:func:`probe` decides the status:

- ``ok``: the driver answered and listed at least one GPU.
- ``no_gpu``: the driver answered but sees no GPU (``No devices were found``).
- ``driver_mismatch``: the loaded kernel module and the user-space library differ.
- ``timed_out``: nvidia-smi (or NVML) did not answer in time; the driver version still comes from /proc.
- ``error``: nvidia-smi failed otherwise; ``message`` holds its first line.
- ``gpus_unknown``: a kernel module is loaded (``/proc/driver/nvidia/version``) but nothing that
  lists GPUs is available (no NVML, no nvidia-smi), so the driver version is known and the GPUs are not.
- ``no_driver``: no NVML, no nvidia-smi and no kernel module version file.
"""

from __future__ import annotations

import csv
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from envdoctor.door import CommandResult, NvmlResult
from envdoctor.facts import Attempt, Gpu, NvidiaFacts
from envdoctor.probes import ProbeContext, attempt_from

QUERY_FIELDS = (
    "index",
    "name",
    "uuid",
    "memory.total",
    "compute_cap",
    "driver_version",
    "mig.mode.current",
    "pci.bus_id",
)
PROC_VERSION_PATH = "/proc/driver/nvidia/version"
SYS_VERSION_PATH = "/sys/module/nvidia/version"
WSL_SMI_PATH = "/usr/lib/wsl/lib/nvidia-smi"
WINDOWS_SMI_PATHS = (
    "C:\\Windows\\System32\\nvidia-smi.exe",
    "C:\\Program Files\\NVIDIA Corporation\\NVSMI\\nvidia-smi.exe",
)
#: CUDA_VISIBLE_DEVICES values that hide every device outright.
HIDE_ALL_VALUES = frozenset({"", "NoDevFiles"})

_MISSING = frozenset({"", "n/a", "[n/a]", "[not supported]", "[unknown error]", "[insufficient permissions]"})
_HEADER_DRIVER = re.compile(r"(?:Driver|KMD) Version:\s*([0-9][0-9.]*)")
_HEADER_CUDA = re.compile(r"CUDA (?:UMD )?Version:\s*([0-9]+\.[0-9]+)")
_REJECTED_FIELD = re.compile(r'Field "([^"]+)" is not a valid field to query')
_NVML_LIBRARY = re.compile(r"NVML library version:\s*([0-9][0-9.]*)")
_PROC_VERSION = re.compile(r"NVRM version:.*?Kernel Module(?: for \S+)?\s+([0-9]+(?:\.[0-9]+)+)")
_DRIVER_VERSION = re.compile(r"^[0-9]+(?:\.[0-9]+){1,3}$")


@dataclass(frozen=True)
class SmiHeader:
    """What the first box of the ``nvidia-smi`` table says."""

    driver_version: str | None
    cuda_version: str | None  # "CUDA Version" (or "CUDA UMD Version" on 610+); None for "ERR!" / "N/A"


def parse_smi_header(text: str | None) -> SmiHeader | None:
    """Driver version and highest CUDA version from the ``nvidia-smi`` table; None without a header."""
    for line in (text or "").splitlines():
        if "NVIDIA-SMI" not in line:
            continue
        driver = _HEADER_DRIVER.search(line)
        cuda = _HEADER_CUDA.search(line)
        if driver or cuda:
            return SmiHeader(driver.group(1) if driver else None, cuda.group(1) if cuda else None)
    return None


def _value(raw: str) -> str | None:
    raw = raw.strip()
    return None if raw.lower() in _MISSING else raw


def parse_smi_query(text: str | None, fields: tuple[str, ...] = QUERY_FIELDS) -> list[dict[str, str | None]]:
    """Rows of ``--format=csv,noheader,nounits`` output; rows with the wrong field count are skipped.

    ``[N/A]`` and ``[Not Supported]`` become None. Names may contain commas only inside quotes.
    """
    rows = []
    try:
        for record in csv.reader((text or "").splitlines(), skipinitialspace=True):
            if len(record) != len(fields) or [r.strip() for r in record] == list(fields):
                continue  # a wrong-width line, or the header row of --format=csv
            rows.append({name: _value(raw) for name, raw in zip(fields, record)})
    except csv.Error:
        return rows
    return rows


def rejected_field(text: str | None) -> str | None:
    """The field an older nvidia-smi refused (``Field "compute_cap" is not a valid field to query.``)."""
    match = _REJECTED_FIELD.search(text or "")
    return match.group(1) if match else None


def parse_nvml_library_version(text: str | None) -> str | None:
    """``NVML library version: 535.183`` that newer drivers print below a version mismatch."""
    match = _NVML_LIBRARY.search(text or "")
    return match.group(1).rstrip(".") if match else None


def parse_proc_driver_version(text: str | None) -> str | None:
    """Kernel module version from ``/proc/driver/nvidia/version`` (proprietary and open modules)."""
    match = _PROC_VERSION.search(text or "")
    return match.group(1) if match else None


def parse_sys_driver_version(text: str | None) -> str | None:
    """``/sys/module/nvidia/version`` holds just the version, e.g. ``535.104.05``."""
    value = (text or "").strip()
    return value if _DRIVER_VERSION.match(value) else None


def classify_smi_failure(text: str | None) -> tuple[str, str]:
    """(status, message) for nvidia-smi output that lists no GPU."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    joined = "\n".join(lines)
    if "No devices were found" in joined:
        return "no_gpu", "No devices were found"
    if "Driver/library version mismatch" in joined:
        mismatch = next(line for line in lines if "Driver/library version mismatch" in line)
        return "driver_mismatch", mismatch
    return "error", lines[0] if lines else ""


def cuda_version_from_int(value: object) -> str | None:
    """NVML's ``12040`` -> ``"12.4"``; None for anything that is not a positive int."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def arch_from_compute_capability(capability: str | None) -> str | None:
    """``"8.6"`` -> ``"sm_86"``, ``"12.0"`` -> ``"sm_120"``."""
    match = re.fullmatch(r"(\d+)\.(\d+)", capability or "")
    return f"sm_{match.group(1)}{match.group(2)}" if match else None


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _mig_from_text(value: str | None) -> str | None:
    lowered = (value or "").lower()
    return lowered if lowered in ("enabled", "disabled") else None


def gpus_from_nvml(data: dict) -> list[Gpu]:
    """Gpu entries from the raw NVML data the door returns; odd entries are skipped, not fatal."""
    gpus = []
    devices = data.get("devices") if isinstance(data, dict) else None
    for device in devices if isinstance(devices, list) else []:
        if not isinstance(device, dict):
            continue
        capability = device.get("compute_capability")
        cc = None
        if isinstance(capability, (list, tuple)) and len(capability) == 2 and all(_int(v) is not None for v in capability):
            cc = f"{_int(capability[0])}.{_int(capability[1])}"
        mig = device.get("mig_mode")
        mig_mode = None
        if isinstance(mig, (list, tuple)) and mig and _int(mig[0]) in (0, 1):
            mig_mode = "enabled" if _int(mig[0]) == 1 else "disabled"
        memory = _int(device.get("memory_total_bytes"))
        gpus.append(
            Gpu(
                vendor="nvidia",
                index=_int(device.get("index")),
                name=device.get("name") or None,
                uuid=device.get("uuid") or None,
                memory_total_mib=memory // (1024 * 1024) if memory is not None else None,
                compute_capability=cc,
                arch=arch_from_compute_capability(cc),
                mig_mode=mig_mode,
                pci_bus_id=device.get("pci_bus_id") or None,
                source="nvml",
            )
        )
    return gpus


def gpus_from_query(rows: list[dict[str, str | None]]) -> list[Gpu]:
    """Gpu entries from parsed ``--query-gpu`` rows."""
    gpus = []
    for row in rows:
        cc = row.get("compute_cap")
        gpus.append(
            Gpu(
                vendor="nvidia",
                index=_int(row.get("index")),
                name=row.get("name"),
                uuid=row.get("uuid"),
                memory_total_mib=_int(row.get("memory.total")),
                compute_capability=cc if arch_from_compute_capability(cc) else None,
                arch=arch_from_compute_capability(cc),
                mig_mode=_mig_from_text(row.get("mig.mode.current")),
                pci_bus_id=row.get("pci.bus_id"),
                source="nvidia-smi --query-gpu",
            )
        )
    return gpus


def visible_indices(value: str | None, gpus: list[Gpu]) -> set[int]:
    """Indices of the GPUs a CUDA program sees under CUDA_VISIBLE_DEVICES=value (None: unset).

    Entries are indices, ``GPU-<uuid prefix>`` or ``MIG-<uuid>``; parsing stops at the first entry
    that names no device, as CUDA does. A MIG entry cannot be tied to its parent from these facts, so
    it keeps every MIG-enabled GPU visible.
    """
    known = {gpu.index for gpu in gpus if gpu.index is not None}
    if value is None:
        return known
    value = value.strip()
    if value in HIDE_ALL_VALUES:
        return set()
    visible: set[int] = set()
    for entry in value.split(","):
        entry = entry.strip()
        if re.fullmatch(r"\d+", entry):
            if int(entry) not in known:
                break
            visible.add(int(entry))
        elif entry.upper().startswith("GPU-") and len(entry) > 4:
            matches = [g.index for g in gpus if g.uuid and g.uuid.lower().startswith(entry.lower()) and g.index is not None]
            if len(matches) != 1:
                break
            visible.add(matches[0])
        elif entry.upper().startswith("MIG-"):
            mig_gpus = {g.index for g in gpus if g.mig_mode == "enabled" and g.index is not None}
            if not mig_gpus:
                break
            visible |= mig_gpus
        else:
            break
    return visible


def _apply_visibility(ctx: ProbeContext, facts: NvidiaFacts) -> None:
    value = ctx.door.env().get("CUDA_VISIBLE_DEVICES")
    facts.cuda_visible_devices = value
    if value is None or not facts.gpus:
        return
    visible = visible_indices(value, facts.gpus)
    for gpu in facts.gpus:
        gpu.visible = gpu.index in visible
    facts.hidden_gpus = [gpu.index for gpu in facts.gpus if not gpu.visible and gpu.index is not None]


def _find_smi(ctx: ProbeContext) -> str | None:
    door = ctx.door
    found = door.which("nvidia-smi")
    if found:
        return found
    system = door.platform().system
    candidates = WINDOWS_SMI_PATHS if system == "Windows" else (WSL_SMI_PATH,) if system == "Linux" else ()
    return next((path for path in candidates if door.exists(path)), None)


def _kernel_module_version(ctx: ProbeContext, facts: NvidiaFacts) -> tuple[str | None, str]:
    """Driver version from the kernel module's files (Linux), recorded as attempts."""
    if ctx.door.platform().system != "Linux":
        return None, ""
    for path, parse in ((PROC_VERSION_PATH, parse_proc_driver_version), (SYS_VERSION_PATH, parse_sys_driver_version)):
        text = ctx.door.read_text(path)
        if text is None:
            facts.attempts.append(Attempt(path, "not_found"))
            continue
        version = parse(text)
        facts.attempts.append(Attempt(path, "ok" if version else "unparsed", version or "no version in the file"))
        if version:
            return version, path
    return None, ""


def _from_nvml(result: NvmlResult, facts: NvidiaFacts) -> bool:
    """Fill facts from an NVML answer; True when NVML settled the question."""
    if result.status != "ok" or not isinstance(result.data, dict):
        facts.attempts.append(Attempt("nvml", result.status if result.status != "ok" else "unparsed", result.error))
        return False
    data = result.data
    facts.driver_version = str(data.get("driver_version") or "") or None
    facts.driver_max_cuda = cuda_version_from_int(data.get("cuda_driver_version"))
    facts.gpus = gpus_from_nvml(data)
    facts.status = "ok" if facts.gpus else "no_gpu"
    facts.source = "nvml"
    facts.attempts.append(Attempt("nvml", "ok", f"driver {facts.driver_version}, {len(facts.gpus)} GPU(s)"))
    return True


def _run_query(ctx: ProbeContext, smi: str) -> tuple[CommandResult, tuple[str, ...], list[Attempt]]:
    """The CSV query, retried without a field an older nvidia-smi rejects (``compute_cap``)."""
    fields = QUERY_FIELDS
    attempts = []
    while True:
        argv = [smi, f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"]
        result = ctx.door.run(argv, ctx.timeout)
        refused = rejected_field(result.stdout + "\n" + result.stderr) if not result.succeeded else None
        if refused and refused in fields and len(fields) > 1:
            attempts.append(attempt_from("nvidia-smi --query-gpu", result))
            fields = tuple(f for f in fields if f != refused)
            continue
        return result, fields, attempts


def _from_smi(ctx: ProbeContext, smi: str, facts: NvidiaFacts) -> None:
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="envdoctor-nvidia-smi") as pool:
        pending_table = pool.submit(ctx.door.run, [smi], ctx.timeout)
        pending_query = pool.submit(_run_query, ctx, smi)
        table = pending_table.result()
        query, fields, retries = pending_query.result()
    facts.attempts.extend(retries)
    header = parse_smi_header(table.stdout) if table.status == "ok" else None
    rows = parse_smi_query(query.stdout, fields) if query.succeeded else []
    facts.gpus = gpus_from_query(rows)
    facts.attempts.append(attempt_from("nvidia-smi --query-gpu", query, f"{len(rows)} GPU(s)"))
    facts.attempts.append(
        attempt_from("nvidia-smi", table, f"CUDA {header.cuda_version}" if header and header.cuda_version else "")
    )
    if header is not None:
        facts.driver_max_cuda = header.cuda_version
    if facts.gpus:
        facts.status = "ok"
        facts.driver_version = next((r["driver_version"] for r in rows if r.get("driver_version")), None) or (
            header.driver_version if header else None
        )
        facts.source = "nvidia-smi"
        return
    if header is not None and header.driver_version:
        facts.driver_version = header.driver_version
    if "timed_out" in (query.status, table.status):
        facts.status = "timed_out"
        facts.message = "nvidia-smi did not answer within {:.1f} s".format(ctx.timeout)
        return
    output = "\n".join(t for r in (query, table) for t in (r.stdout, r.stderr) if t.strip())
    if query.succeeded and not output.strip():
        facts.status, facts.message = "no_gpu", "nvidia-smi listed no GPU"
        return
    facts.status, facts.message = classify_smi_failure(output)
    if facts.status == "error" and not facts.message:
        facts.message = query.describe()
    if facts.status == "driver_mismatch":
        library = parse_nvml_library_version(output)
        if library:
            facts.message += f" (NVML library version: {library})"


def probe(ctx: ProbeContext) -> NvidiaFacts:
    """NVIDIA driver, GPUs and CUDA_VISIBLE_DEVICES; never raises."""
    facts = NvidiaFacts()
    nvml = ctx.door.nvml(ctx.timeout)
    if not _from_nvml(nvml, facts):
        smi = _find_smi(ctx)
        if smi is None:
            facts.attempts.append(Attempt("nvidia-smi", "not_found", "not on PATH nor in the usual places"))
        else:
            _from_smi(ctx, smi, facts)
        if facts.status != "ok" or facts.driver_version is None:
            module_version, module_source = _kernel_module_version(ctx, facts)
            _settle_without_gpus(facts, smi, nvml, module_version, module_source)
    _apply_visibility(ctx, facts)
    return facts


def _settle_without_gpus(
    facts: NvidiaFacts, smi: str | None, nvml: NvmlResult, module_version: str | None, module_source: str
) -> None:
    """Status and driver version when neither NVML nor nvidia-smi listed GPUs."""
    if facts.driver_version is None and module_version:
        facts.driver_version = module_version
        facts.source = facts.source or module_source
    if facts.status == "driver_mismatch" and module_version:
        facts.message += f"; kernel module {module_version}"
    if smi is not None or facts.status == "ok":
        return
    if "mismatch" in nvml.error.lower():
        facts.status, facts.message = "driver_mismatch", nvml.error
        if module_version:
            facts.message += f"; kernel module {module_version}"
    elif nvml.status == "timed_out":
        facts.status, facts.message = "timed_out", f"NVML: {nvml.error}"
    elif module_version:
        facts.status = "gpus_unknown"
        facts.message = "the kernel module is loaded but neither NVML nor nvidia-smi is available to list GPUs"
    else:
        facts.status = "no_driver"
