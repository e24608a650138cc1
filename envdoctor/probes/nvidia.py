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

import re

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.door import CommandResult, NvmlResult
from envdoctor.facts import Attempt, Gpu, NvidiaFacts
from envdoctor.i18n import _, joined
from envdoctor.probes import ProbeContext, Threads, attempt_from

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
#: CUDA_VISIBLE_DEVICES values that hide every device outright ("-1" does too: an invalid first entry).
HIDE_ALL_VALUES = frozenset({"", "NoDevFiles"})
#: Where the driver's libcuda lives: distribution packages, the NVIDIA container runtime's mounts, WSL 2.
LIBCUDA_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/nvidia/lib64",
    "/usr/lib/wsl/lib",
)
_DEVICE_NODE = re.compile(r"^(?:nvidia(?:[0-9]+|ctl|-uvm|-uvm-tools|-modeset|-caps)?|dxg)$")
_LIBCUDA = re.compile(r"^libcuda\.so(?:\.[0-9]+)*$")

_MISSING = frozenset({"", "n/a", "[n/a]", "[not supported]", "[unknown error]", "[insufficient permissions]"})
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
# a number ends at a blank or the table's border: "535.1٠4.05" is no driver, not driver "535.1"
_HEADER_DRIVER = r"(?:Driver|KMD) Version:\s*([0-9][0-9.]*)(?=[\s|]|$)"
_HEADER_CUDA = r"CUDA (?:UMD )?Version:\s*([0-9]+\.[0-9]+)(?=[\s|]|$)"
_REJECTED_FIELD = r'Field "([^"]+)" is not a valid field to query'
_NVML_LIBRARY = r"NVML library version:\s*([0-9][0-9.]*)"
_DRIVER_VERSION = r"^[0-9]+(?:\.[0-9]+){1,3}$"


@datatype(frozen=True)
class SmiHeader:
    """What the first box of the ``nvidia-smi`` table says."""

    driver_version: str | None
    cuda_version: str | None  # "CUDA Version" (or "CUDA UMD Version" on 610+); None for "ERR!" / "N/A"


def parse_smi_header(text: str | None) -> SmiHeader | None:
    """Driver version and highest CUDA version from the ``nvidia-smi`` table; None without a header."""
    for line in (text or "").splitlines():
        if "NVIDIA-SMI" not in line:
            continue
        driver = re.search(_HEADER_DRIVER, line)
        cuda = re.search(_HEADER_CUDA, line)
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
    import csv  # only where nvidia-smi answered: most machines never need it

    rows = []
    try:
        for record in csv.reader((text or "").splitlines(), skipinitialspace=True):
            if len(record) != len(fields) or [r.strip() for r in record] == list(fields):
                continue  # a wrong-width line, or the header row of --format=csv
            rows.append({name: _value(raw) for name, raw in zip(fields, record, strict=True)})
    except csv.Error:
        return rows
    return rows


_TABLE_GPU = r"^\|\s+([0-9]{1,3})\s+\S"
_TABLE_MEMORY = r"\|\s*([0-9]{1,9})MiB\s*/\s*([0-9]{1,9})MiB\s*\|"


def parse_smi_memory(text: str | None) -> dict[int, tuple[int, int]]:
    """GPU index -> (MiB used, MiB total) from the GPU boxes of the ``nvidia-smi`` table.

    Each box starts with a line ``|   0  NVIDIA A10   Off | ...`` and its next line holds
    ``16MiB / 23028MiB`` in the Memory-Usage column. The MIG and process tables below are not read.
    """
    memory: dict[int, tuple[int, int]] = {}
    index: int | None = None
    for line in (text or "").splitlines():
        if "MIG devices:" in line or "Processes:" in line:
            break
        if index is not None:
            usage = re.search(_TABLE_MEMORY, line)
            if usage:
                memory[index] = (int(usage.group(1)), int(usage.group(2)))
            index = None
            continue
        box = re.match(_TABLE_GPU, line)
        if box:
            index = int(box.group(1))
    return memory


def rejected_field(text: str | None) -> str | None:
    """The field an older nvidia-smi refused (``Field "compute_cap" is not a valid field to query.``)."""
    match = re.search(_REJECTED_FIELD, text or "")
    return match.group(1) if match else None


def parse_nvml_library_version(text: str | None) -> str | None:
    """``NVML library version: 535.183`` that newer drivers print below a version mismatch."""
    match = re.search(_NVML_LIBRARY, text or "")
    return match.group(1).rstrip(".") if match else None


def parse_proc_driver_version(text: str | None) -> str | None:
    """Kernel module version from ``/proc/driver/nvidia/version`` (proprietary and open modules).

    ``NVRM version: NVIDIA UNIX x86_64 Kernel Module  384.98  ...`` or ``... Open Kernel Module for
    x86_64  565.57.01  ...``: the first word after ``Kernel Module`` (and its ``for <arch>``).
    """
    for line in (text or "").splitlines():
        _before, marker, rest = line.partition("NVRM version:")
        _before, module, after = rest.partition("Kernel Module")
        if not marker or not module:
            continue
        words = after.split(None, 3)
        if words[:1] == ["for"]:
            words = words[2:]
        if words and re.match(_DRIVER_VERSION, words[0]):
            return words[0]
    return None


def parse_sys_driver_version(text: str | None) -> str | None:
    """``/sys/module/nvidia/version`` holds just the version, e.g. ``535.104.05``."""
    value = (text or "").strip()
    return value if re.match(_DRIVER_VERSION, value) else None


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
    """NVML's ``12040`` -> ``"12.4"``; None for anything that is not an int of at least 1000 (CUDA 1.0)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1000:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def _int(value: object) -> int | None:
    """An int, or the ASCII digits of one (not ``"²"``, ``"١"`` or ``"1_0"``, which int() would take)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


def _text(value: object) -> str | None:
    """A non-empty string, else None: NVML data replayed from a folder may hold anything."""
    return value if isinstance(value, str) and value else None


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
        used = _int(device.get("memory_used_bytes"))
        gpus.append(
            Gpu(
                vendor="nvidia",
                index=_int(device.get("index")),
                name=_text(device.get("name")),
                uuid=_text(device.get("uuid")),
                memory_total_mib=memory // (1024 * 1024) if memory is not None else None,
                memory_used_mib=used // (1024 * 1024) if used is not None else None,
                compute_capability=cc,
                arch=compat.sm_name(cc),
                mig_mode=mig_mode,
                pci_bus_id=_text(device.get("pci_bus_id")),
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
                compute_capability=compat.cc_text(cc),
                arch=compat.sm_name(cc),
                mig_mode=_mig_from_text(row.get("mig.mode.current")),
                pci_bus_id=row.get("pci.bus_id"),
                source="nvidia-smi --query-gpu",
            )
        )
    return gpus


@datatype(frozen=True)
class Visibility:
    """What CUDA_VISIBLE_DEVICES leaves a CUDA program, in nvidia-smi's indices."""

    indices: frozenset[int]  # every GPU that is, or may be, one the program sees
    count: int  # how many devices the program enumerates
    uncertain: bool = False  # which GPUs ``indices`` stand for cannot be known from these facts
    reason: str = ""


def _one_model(gpus: list[Gpu]) -> bool:
    """Whether every GPU is the same model (name and compute capability both known and equal)."""
    models = {(gpu.name, gpu.compute_capability) for gpu in gpus}
    return len(models) <= 1 and all(name and cc for name, cc in models)


def _by_uuid_prefix(prefix: str, gpus: list[Gpu]) -> Gpu | None:
    """The one GPU whose UUID starts with ``prefix`` (any case); None when none or several do."""
    prefix = prefix.lower()
    matches = [gpu for gpu in gpus if gpu.uuid and gpu.uuid.lower().startswith(prefix)]
    return matches[0] if len(matches) == 1 else None


_MIG_LEGACY = r"(?a)MIG-(GPU-[0-9A-Fa-f-]+)/[0-9]+/[0-9]+"


def cuda_visibility(value: str | None, gpus: list[Gpu], device_order: str | None = None) -> Visibility:
    """The GPUs a CUDA program sees under ``CUDA_VISIBLE_DEVICES=value`` (None: unset).

    As the CUDA Programming Guide, "CUDA Environment Variables"
    (https://docs.nvidia.com/cuda/cuda-programming-guide/05-appendices/environment-variables.html)
    describes them: entries are integer indices, ``GPU-<uuid>`` or a unique prefix of it (any case),
    ``MIG-<uuid>`` and the older ``MIG-GPU-<uuid>/<GPU instance>/<compute instance>``; CUDA stops at
    the first entry that names no device, and an empty value hides every device. Integer indices count
    in CUDA's own order, fastest first unless ``CUDA_DEVICE_ORDER=PCI_BUS_ID``, while nvidia-smi and
    NVML number GPUs by PCI bus id: an index names nvidia-smi's GPU of that number only under
    PCI_BUS_ID. When every GPU is the same model an index still maps to nvidia-smi's: which of
    identical GPUs is meant changes no compatibility answer (same compute capability, same kernels,
    same count). Otherwise every GPU an index might mean stays visible and the result is uncertain.
    A ``MIG-<uuid>`` cannot be tied to its GPU from NVML's GPU list, so it keeps every MIG-enabled GPU.
    """
    known = [gpu for gpu in gpus if gpu.index is not None]
    every = frozenset(gpu.index for gpu in known if gpu.index is not None)
    if value is None:
        return Visibility(every, len(known))
    value = value.strip()
    if value in HIDE_ALL_VALUES:
        return Visibility(frozenset(), 0)
    index_is_smi_index = (device_order or "").strip() == "PCI_BUS_ID" or _one_model(known)
    visible: set[int] = set()
    devices: set[tuple[str, object]] = set()  # one key per device CUDA enumerates
    reasons: list[str] = []
    for raw in value.split(","):
        entry = raw.strip()
        upper = entry.upper()
        if re.fullmatch(r"[0-9]{1,9}", entry):
            number = int(entry)
            if number not in every:
                break
            if index_is_smi_index:
                visible.add(number)
                devices.add(("gpu", number))
            else:
                visible |= every
                devices.add(("cuda", number))
                reason = _("integer entries count in CUDA's fastest-first order, not nvidia-smi's, with different "
                           "GPU models and CUDA_DEVICE_ORDER not PCI_BUS_ID")
                if reason not in reasons:
                    reasons.append(reason)
        elif upper.startswith("MIG-GPU-"):
            match = re.fullmatch(_MIG_LEGACY, entry)
            parent = _by_uuid_prefix(match.group(1), known) if match else None
            if parent is None or parent.index is None or parent.mig_mode == "disabled":
                break
            visible.add(parent.index)
            devices.add(("mig", upper))
        elif upper.startswith("GPU-") and len(entry) > 4:
            gpu = _by_uuid_prefix(entry, known)
            if gpu is None or gpu.index is None:
                break
            visible.add(gpu.index)
            devices.add(("gpu", gpu.index))
        elif upper.startswith("MIG-") and len(entry) > 4:
            enabled = {gpu.index for gpu in known if gpu.mig_mode == "enabled" and gpu.index is not None}
            unknown = {gpu.index for gpu in known if gpu.mig_mode is None and gpu.index is not None}
            candidates = enabled or unknown
            if not candidates:
                break
            visible |= candidates
            devices.add(("mig", upper))
            if len(candidates) > 1 or not enabled:
                reason = _("a MIG-<uuid> entry cannot be tied to its GPU from NVML's GPU list")
                if reason not in reasons:
                    reasons.append(reason)
        else:
            break
    return Visibility(frozenset(visible), len(devices), bool(reasons), joined(reasons[:2]))


def _apply_visibility(ctx: ProbeContext, facts: NvidiaFacts) -> None:
    env = ctx.door.env()
    value = env.get("CUDA_VISIBLE_DEVICES")
    facts.cuda_visible_devices = value
    facts.cuda_device_order = env.get("CUDA_DEVICE_ORDER")
    if value is None or not facts.gpus:
        return
    seen = cuda_visibility(value, facts.gpus, facts.cuda_device_order)
    for gpu in facts.gpus:
        gpu.visible = gpu.index in seen.indices
    facts.hidden_gpus = [gpu.index for gpu in facts.gpus if not gpu.visible and gpu.index is not None]
    facts.visibility_uncertain = seen.uncertain
    facts.cuda_visible_count = seen.count
    if seen.uncertain:
        detail = _("CUDA enumerates {count} device(s); which of GPUs {indices} is uncertain: {reason}",
                   count=seen.count, indices=sorted(seen.indices), reason=seen.reason)
    else:
        detail = _("CUDA enumerates {count} device(s)", count=seen.count)
    facts.attempts.append(Attempt("env CUDA_VISIBLE_DEVICES", "ok", detail))


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
        facts.attempts.append(Attempt(path, "ok" if version else "unparsed", version or _("no version in the file")))
        if version:
            return version, path
    return None, ""


def _from_nvml(result: NvmlResult, facts: NvidiaFacts) -> bool:
    """Fill facts from an NVML answer; True when NVML settled the question."""
    if result.status != "ok" or not isinstance(result.data, dict):
        facts.attempts.append(Attempt("nvml", result.status if result.status != "ok" else "unparsed", result.error))
        return False
    data = result.data
    facts.driver_version = _text(data.get("driver_version"))
    facts.driver_max_cuda = cuda_version_from_int(data.get("cuda_driver_version"))
    facts.gpus = gpus_from_nvml(data)
    facts.status = "ok" if facts.gpus else "no_gpu"
    facts.source = "nvml"
    facts.attempts.append(Attempt("nvml", "ok", _("driver {version}, {count} GPU(s)", version=facts.driver_version,
                                                                count=len(facts.gpus))))
    return True


def _run_query(ctx: ProbeContext, smi: str) -> tuple[CommandResult, tuple[str, ...], list[Attempt]]:
    """The CSV query, retried without a field an older nvidia-smi rejects (``compute_cap``).

    Retries share the probe's one budget (:meth:`ProbeContext.run`), so an nvidia-smi that refuses
    field after field and then hangs cannot multiply the timeout.
    """
    fields: tuple[str, ...] = QUERY_FIELDS
    attempts = []
    while True:
        argv = [smi, f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"]
        result = ctx.run(argv)
        # only an nvidia-smi that exited refused a field; one killed mid-answer says nothing about it
        exited_with_error = result.status == "ok" and result.returncode != 0
        refused = rejected_field(result.stdout + "\n" + result.stderr) if exited_with_error else None
        if refused and refused in fields and len(fields) > 1:
            attempts.append(attempt_from("nvidia-smi --query-gpu", result))
            fields = tuple(f for f in fields if f != refused)
            continue
        return result, fields, attempts


def _from_smi(ctx: ProbeContext, smi: str, facts: NvidiaFacts) -> None:
    with Threads("envdoctor-nvidia-smi") as pool:
        pending_table = pool.submit(ctx.run, [smi])
        pending_query = pool.submit(_run_query, ctx, smi)
        table = pending_table.result()
        query, fields, retries = pending_query.result()
    facts.attempts.extend(retries)
    header = parse_smi_header(table.stdout) if table.status == "ok" else None
    rows = parse_smi_query(query.stdout, fields) if query.succeeded else []
    facts.gpus = gpus_from_query(rows)
    facts.attempts.append(attempt_from("nvidia-smi --query-gpu", query, _("{count} GPU(s)", count=len(rows))))
    facts.attempts.append(
        attempt_from("nvidia-smi", table, f"CUDA {header.cuda_version}" if header and header.cuda_version else "")
    )
    if header is not None:
        facts.driver_max_cuda = header.cuda_version
    usage = parse_smi_memory(table.stdout) if table.status == "ok" else {}
    for gpu in facts.gpus:
        if gpu.index in usage:
            gpu.memory_used_mib = usage[gpu.index][0]
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
        facts.message = _("nvidia-smi did not answer within {seconds:.1f} s", seconds=ctx.timeout)
        return
    output = "\n".join(t for r in (query, table) for t in (r.stdout, r.stderr) if t.strip())
    if query.succeeded and not output.strip():
        facts.status, facts.message = "no_gpu", _("nvidia-smi listed no GPU")
        return
    facts.status, facts.message = classify_smi_failure(output)
    if facts.status == "error" and not facts.message:
        facts.message = query.describe()
    if facts.status == "driver_mismatch":
        library = parse_nvml_library_version(output)
        if library:
            facts.message = _("{message} (NVML library version: {library})", message=facts.message,
                              library=library)


def probe(ctx: ProbeContext) -> NvidiaFacts:
    """NVIDIA driver, GPUs and CUDA_VISIBLE_DEVICES; never raises."""
    facts = NvidiaFacts()
    nvml = ctx.door.nvml(ctx.command_timeout())
    if not _from_nvml(nvml, facts):
        smi = _find_smi(ctx)
        if smi is None:
            facts.attempts.append(Attempt("nvidia-smi", "not_found", _("not on PATH nor in the usual places")))
        else:
            _from_smi(ctx, smi, facts)
        if facts.status != "ok" or facts.driver_version is None:
            module_version, module_source = _kernel_module_version(ctx, facts)
            _settle_without_gpus(facts, smi, nvml, module_version, module_source)
    _apply_visibility(ctx, facts)
    if ctx.door.platform().system == "Linux":
        _gpu_runtime(ctx, facts)
    return facts


def parse_device_nodes(entries: list[str] | None) -> list[str] | None:
    """The GPU device nodes among the names in ``/dev``: ``nvidia0``, ``nvidiactl``, ``nvidia-uvm``, WSL's ``dxg``."""
    if entries is None:
        return None
    return sorted(f"/dev/{name}" for name in entries if _DEVICE_NODE.match(name))


def _gpu_runtime(ctx: ProbeContext, facts: NvidiaFacts) -> None:
    """What a process needs to reach the GPUs: the device nodes and the driver's libcuda.

    A folder that cannot be listed tells nothing, so a fact stays None unless some folder was listed.
    """
    facts.device_nodes = parse_device_nodes(ctx.door.listdir("/dev"))
    found: list[str] = []
    listed = False
    for folder in LIBCUDA_DIRS:
        entries = ctx.door.listdir(folder)
        if entries is None:
            continue
        listed = True
        found.extend(f"{folder}/{name}" for name in sorted(entries) if _LIBCUDA.match(name))
    facts.libcuda = found if listed else None
    if listed or facts.device_nodes is not None:
        nodes = ", ".join(facts.device_nodes or []) or _("none")
        libraries = ", ".join(facts.libcuda or []) or _("none")
        facts.attempts.append(Attempt(_("/dev and libcuda folders"), "ok",
                                      _("device nodes: {nodes}; libcuda: {libraries}", nodes=nodes, libraries=libraries)))


def _settle_without_gpus(
    facts: NvidiaFacts, smi: str | None, nvml: NvmlResult, module_version: str | None, module_source: str
) -> None:
    """Status and driver version when neither NVML nor nvidia-smi listed GPUs."""
    if facts.driver_version is None and module_version:
        facts.driver_version = module_version
        facts.source = facts.source or module_source
    if facts.status == "driver_mismatch" and module_version:
        facts.message = _("{message}; kernel module {version}", message=facts.message, version=module_version)
    if smi is not None or facts.status == "ok":
        return
    if "mismatch" in nvml.error.lower():
        facts.status, facts.message = "driver_mismatch", nvml.error
        if module_version:
            facts.message = _("{message}; kernel module {version}", message=facts.message, version=module_version)
    elif nvml.status == "timed_out":
        facts.status, facts.message = "timed_out", _("NVML: {error}", error=nvml.error)
    elif module_version:
        facts.status = "gpus_unknown"
        facts.message = _("the kernel module is loaded but neither NVML nor nvidia-smi is available to list GPUs")
    else:
        facts.status = "no_driver"
