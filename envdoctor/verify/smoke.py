# envdoctor:smoke
"""The child side of ``envdoctor verify``: run torch for real and report every step as it happens.

The parent runs this file in the target interpreter as ``python -c`` would, through runner.SCRIPT_LOADER,
in a fresh empty working directory, so it uses the standard library and torch only, and Python 3.8
syntax. Before torch is imported, the first line of stdin says where the private channel is (a file
descriptor; a handle on Windows) and gives this run's nonce; stdin is then closed. Each event is one
JSON line on that channel carrying the nonce: ``start`` before a check runs, ``check`` with its
outcome, ``done`` at the end. stdout and stderr belong to torch. A crash or a hang leaves the last
``start`` unanswered, which is how the parent names the stage that died.

Every accelerator goes through :func:`device_checks`, one code path parameterised by a device
string; the CPU is always tested first.
"""

from __future__ import annotations

import sys

# What `python -P` does (3.11+), by hand for every version: the working directory is not searched
# for imports, so a json.py or a torch/ source tree there cannot stand in for the installed ones.
if sys.path and sys.path[0] == "":
    del sys.path[0]

import json
import math
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
import traceback
import warnings
from typing import Any, Callable

DTYPE_NAMES = ("float32", "tf32", "float16", "bfloat16")
# Largest accepted max(|error| / sum|a_ik * b_kj|) per dtype: a few units of the dtype's rounding.
MATMUL_TOLERANCE = {"float32": 1e-4, "tf32": 5e-3, "float16": 5e-3, "bfloat16": 3e-2}
KNOWN_ANSWER_TOLERANCE = 1e-3  # small-integer products are exact in every dtype tested
CONV_TOLERANCE = {"exact": 1e-5, "tf32": 5e-3}
ALLOC_ELEMENTS = 4 * 1024 * 1024  # 16 MiB of float32
COPY_BYTES = 64 * 1024 * 1024
PERF_SIZES = {"cpu": (128, 256, 512, 1024), "accelerator": (256, 512, 1024, 2048, 4096, 8192)}
HEADER_LIMIT = 4096
# What a first training script runs (stage 3b), sized per --level: the regression (samples x features, hidden
# units, optimizer steps, autocast steps) and the DataLoader's dataset (samples x float32 width, batch size).
# "full" moves 32 MiB batches, so 2 workers keep 128 MiB in /dev/shm at once: more than Docker's default 64 MB.
TRAINING_SIZES = {
    "standard": {"samples": 64, "features": 8, "hidden": 16, "steps": 30, "amp_steps": 20,
                 "loader_samples": 64, "loader_width": 4096, "loader_batch": 16},
    "full": {"samples": 256, "features": 16, "hidden": 128, "steps": 150, "amp_steps": 100,
             "loader_samples": 1024, "loader_width": 32768, "loader_batch": 256},
}
TRAIN_LR = {"sgd": 0.05, "adamw": 0.01}
TRAIN_LOSS_FACTOR = 10.0  # the loss must fall at least this much over the steps (it falls 18x and 150x)
# float32 on the device against the float64 reference, relative to each tensor's largest weight (the CPU's own
# float32 rounding gives 2e-7 to 1.3e-5 here)
TRAIN_TOLERANCE = 1e-3
# weights after autocast steps against the float32 run (the CPU gives 1.4e-3 to 2.4e-3 and 2e-4 to 3e-4)
AMP_TOLERANCE = {"bfloat16": 5e-2, "float16": 1e-2}
AMP_INIT_SCALE = 1024.0
AMP_MAX_SKIPPED = 2  # steps a GradScaler may skip (inf/NaN gradients) before it counts as stuck
LOADER_WORKERS = 2
LOADER_TIMEOUT_S = 60
LEVELS = ("quick", "standard", "full")
IMPORT_OUTPUT_LIMIT = 64 * 1024  # the tail of an extension import's output read back
IMPORT_RESULT_MARK = "envdoctor-import-result "
# Run in a fresh interpreter per extension (the parent names the modules): torch first, as a user's script
# loads it, then the extension; the last line says how the import ended.
IMPORT_PROBE = """import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
import json
try:
    import torch
    __import__(sys.argv[1])
    result = {"ok": True}
except BaseException as exc:
    lines = str(exc).strip().splitlines()
    result = {"ok": False, "error": type(exc).__name__ + (": " + lines[0][:500] if lines else "")}
sys.stdout.flush()
sys.stdout.write("\\n%s%s\\n" % (sys.argv[2], json.dumps(result)))
"""


def open_channel():
    """Read the header line from stdin, close stdin, and return a function that writes one event, and the
    header: the known-answer inputs (see :func:`check_matmul`) and the extensions to import.

    The nonce stays inside the returned function; nothing in argv or the environment names it.
    """
    line = sys.stdin.buffer.readline(HEADER_LIMIT) if sys.stdin is not None else b""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    header = json.loads(line.decode("ascii"))
    token, nonce = int(header.pop("channel")), str(header.pop("nonce"))
    if sys.platform == "win32":
        import msvcrt

        fd = msvcrt.open_osfhandle(token, os.O_WRONLY)
    else:
        fd = token
    os.set_inheritable(fd, False)

    def write(event: dict) -> None:
        """One event line, written whole before returning, so a crash right after still leaves it."""
        data = (json.dumps(dict(event, nonce=nonce), default=str, sort_keys=True) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    return write, header


class Said(str):
    """An English sentence that keeps the template and fields it was filled from, so that the parent can say
    it in the reader's language (envdoctor's catalogue cannot be imported here; the parent looks it up)."""

    template = ""
    fields: dict = {}


def _(template: str, **fields) -> Said:
    """A sentence for the parent's catalogue: the English text, with its template and fields beside it on
    the channel (the same call as ``envdoctor.i18n._``, so the catalogue tools find these templates too)."""
    said = Said(template.format(**fields))
    said.template, said.fields = template, fields
    return said


def said(key: str, text: object) -> dict:
    """The event keys for one sentence: ``key`` holds its English; a :class:`Said` adds its template and fields."""
    if not isinstance(text, Said):
        return {key: text}
    return {key: text, key + "_template": text.template, key + "_fields": text.fields}


def outcome(status: str, message: str = "", details: dict | None = None, metrics: dict | None = None) -> dict:
    return {"status": status, **said("message", message), "details": details or {}, "metrics": metrics or {}}


def error_text(exc: BaseException) -> str:
    """'Type: first line of the message', short enough for one report line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


class Reporter:
    """Runs checks and emits their events; a check that raises is a failed check, not a crash."""

    def __init__(self, write) -> None:
        self.write = write
        self.results: dict[str, dict] = {}
        self.step = 0
        self.total: int | None = None  # the checks this run will run, once the devices are known

    def run(self, check_id: str, title: str, func, *args) -> dict:
        self.step += 1
        self.write({"event": "progress", "step": self.step, "total": self.total, **said("title", title)})
        self.write({"event": "start", "id": check_id})
        start = time.perf_counter()
        try:
            result = func(*args)
        except Exception as exc:
            result = outcome("fail", error_text(exc), {"traceback": traceback.format_exc(limit=-4)})
        return self.finish(check_id, title, result, time.perf_counter() - start)

    def finish(self, check_id: str, title: str, result: dict, duration_s: float | None) -> dict:
        event = {"event": "check", "id": check_id, **said("title", title), **result}
        event["duration_s"] = None if duration_s is None else round(duration_s, 6)
        self.write(event)
        self.results[check_id] = event
        return event

    def skip(self, check_id: str, title: str, reason: str) -> dict:
        return self.finish(check_id, title, outcome("skip", reason), None)


# ---------------------------------------------------------------------------- stage 1: import, build


def import_torch(reporter: Reporter):
    """Import torch, timing it; None when the import fails (reported as the failed ``import``)."""
    reporter.step += 1
    reporter.write({"event": "progress", "step": reporter.step, "total": reporter.total, "title": "import torch"})
    reporter.write({"event": "start", "id": "import"})
    start = time.perf_counter()
    try:
        import torch
    except BaseException as exc:  # an import that raises SystemExit or KeyboardInterrupt is still a finding
        took = time.perf_counter() - start
        failed = {"traceback": traceback.format_exc(limit=-6)}
        reporter.finish("import", "import torch", outcome("fail", error_text(exc), failed), took)
        return None
    took = time.perf_counter() - start
    found = {"version": getattr(torch, "__version__", None), "location": getattr(torch, "__file__", None)}
    reporter.finish("import", "import torch", outcome("pass", "", found, {"import_s": round(took, 4)}), took)
    return torch


def cuda_arch_list(torch) -> list:
    """Kernel architectures compiled in, also when no GPU can be used (get_arch_list then says [])."""
    try:
        arches = list(torch.cuda.get_arch_list())
    except Exception:
        arches = []
    if not arches and hasattr(torch._C, "_cuda_getArchFlags"):
        try:
            arches = str(torch._C._cuda_getArchFlags() or "").split()
        except Exception:
            arches = []
    return arches


def build_info(torch) -> dict:
    version = getattr(torch, "version", None)
    details = {
        "torch": getattr(torch, "__version__", None),
        "cuda": getattr(version, "cuda", None),
        "hip": getattr(version, "hip", None),
        "xpu": getattr(version, "xpu", None),
        "git_version": getattr(version, "git_version", None),
        "debug": getattr(version, "debug", None),
        "arch_list": cuda_arch_list(torch),
        "cudnn": None,
        "nccl": None,
        "python": platform.python_version(),
        "cpu_capability": None,
        "threads": None,
    }
    try:
        details["cudnn"] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    except Exception:
        details["cudnn"] = None
    try:
        nccl = torch.cuda.nccl.version()
        details["nccl"] = ".".join(str(part) for part in nccl) if isinstance(nccl, tuple) else str(nccl)
    except Exception:
        details["nccl"] = None
    try:
        details["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    except Exception:
        details["cpu_capability"] = None
    details["threads"] = torch.get_num_threads()
    if details["hip"]:
        message = _("torch {torch} · ROCm {hip} build", torch=details["torch"], hip=details["hip"])
    elif details["cuda"]:
        message = _("torch {torch} · CUDA {cuda} build", torch=details["torch"], cuda=details["cuda"])
    elif details["xpu"]:
        message = _("torch {torch} · XPU build ({xpu})", torch=details["torch"], xpu=details["xpu"])
    else:
        message = _("torch {torch} · CPU build", torch=details["torch"])
    return outcome("pass", message, details)


def torch_numpy_requirements() -> list:
    """The Requires-Dist lines of torch's metadata that name numpy (none in most wheels)."""
    try:
        from importlib import metadata

        lines = metadata.requires("torch") or []
    except Exception:
        return []
    return [line for line in lines if re.match(r"\s*numpy\b", line, re.IGNORECASE)]


def check_numpy(torch) -> dict:
    """NumPy beside torch: torch imports without it, but tensor.numpy(), DataLoader collation of numpy arrays
    and most tutorials need it; then a round trip through the bridge."""
    details = {"torch_requires": torch_numpy_requirements(), "platform": sys.platform, "version": None}
    try:
        import numpy  # type: ignore[import-not-found]
    except Exception as exc:
        details["error"] = error_text(exc)
        return outcome("fail", error_text(exc), details)
    details["version"] = getattr(numpy, "__version__", None)
    array = torch.arange(6, dtype=torch.float32).reshape(2, 3).numpy()
    back = torch.from_numpy(array * 2).tolist()
    if back != [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]:
        return outcome("fail", _("tensor.numpy() and torch.from_numpy() gave {back}", back=back), details)
    return outcome("pass", _("NumPy {version}: tensor.numpy() and torch.from_numpy() round trip",
                             version=details["version"]), details)


def start_import(module: str):
    """A fresh interpreter importing torch, then ``module``, in its own process group; output to a temp file."""
    output = tempfile.TemporaryFile()
    kwargs: dict = {"start_new_session": True} if os.name == "posix" else {}
    process = subprocess.Popen([sys.executable, "-c", IMPORT_PROBE, module, IMPORT_RESULT_MARK],
                               stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, **kwargs)
    return process, output


def finish_import(module: str, process, output, deadline: float, limit: float) -> dict:
    """Wait for one import until the shared deadline; past it the import and all it started are killed."""
    details: dict = {"module": module, "time_limit_s": limit}
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            os.killpg(process.pid, 9)
        else:
            process.kill()
        process.wait()
        output.close()
        details["timed_out"] = True
        return outcome("fail", _("import {module} did not finish within {limit:g} s and was killed",
                                 module=module, limit=limit), details)
    output.seek(max(0, output.seek(0, 2) - IMPORT_OUTPUT_LIMIT))
    text = output.read().decode("utf-8", "replace")
    output.close()
    marked = [line[len(IMPORT_RESULT_MARK):] for line in text.splitlines() if line.startswith(IMPORT_RESULT_MARK)]
    result = json.loads(marked[-1]) if marked else None
    if isinstance(result, dict) and result.get("ok") is True:
        return outcome("pass", _("import {module}", module=module), details)
    if isinstance(result, dict) and isinstance(result.get("error"), str):
        details["error"] = result["error"]
        return outcome("fail", result["error"], details)
    code = process.returncode
    details["error"] = (_("the import crashed with signal {signal}", signal=-code) if code < 0
                        else _("the import ended with exit status {code} and no result", code=code))
    details["output_tail"] = text[-2000:]
    return outcome("fail", details["error"], details)


def import_extensions(reporter: Reporter, imports: list, limit: float) -> None:
    """Import each extension the parent named, all at once, each in its own interpreter with one deadline."""
    wanted = [item for item in imports if isinstance(item, dict) and isinstance(item.get("module"), str)
              and re.match(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$", item["module"])]
    started = [(item, start_import(item["module"])) for item in wanted]
    deadline = time.monotonic() + limit
    for item, (process, output) in started:
        reporter.run(f"extension.{item.get('dist')}", _("import {module}", module=item["module"]), finish_import,
                     item["module"], process, output, deadline, limit)


# ---------------------------------------------------------------------------- stage 2: devices


def discover_cuda(torch) -> dict:
    info: dict[str, Any] = {"kind": "rocm" if getattr(torch.version, "hip", None) else "cuda", "available": False,
            "count": 0, "devices": [], "init_warnings": [],
            "visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "hip_visible_devices": os.environ.get("HIP_VISIBLE_DEVICES")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info["available"] = bool(torch.cuda.is_available())
    info["init_warnings"] = [str(w.message).strip()[:500] for w in caught]
    if not info["available"]:
        return info
    info["count"] = int(torch.cuda.device_count())
    for index in range(info["count"]):
        props = torch.cuda.get_device_properties(index)
        device = {"index": index, "name": props.name,
                  "capability": f"{props.major}.{props.minor}",
                  "memory_total_bytes": int(props.total_memory),
                  "multiprocessors": getattr(props, "multi_processor_count", None)}
        arch = getattr(props, "gcnArchName", None)
        if arch:
            device["arch"] = arch
        info["devices"].append(device)
    return info


def discover_mps(torch) -> dict:
    backend = getattr(torch.backends, "mps", None)
    built = bool(backend is not None and backend.is_built())
    available = bool(backend is not None and backend.is_available())
    info: dict[str, Any] = {"kind": "mps", "built": built, "available": available, "count": 1 if available else 0,
                            "devices": []}
    if available:
        info["devices"].append({"index": 0, "name": f"Apple {platform.machine()} GPU (MPS)"})
    return info


def discover_xpu(torch) -> dict:
    xpu = getattr(torch, "xpu", None)
    available = bool(xpu is not None and xpu.is_available())
    info: dict[str, Any] = {"kind": "xpu", "available": available, "count": 0, "devices": []}
    if xpu is not None and available:
        info["count"] = int(xpu.device_count())
        for index in range(info["count"]):
            props = xpu.get_device_properties(index)
            info["devices"].append({"index": index, "name": props.name,
                                    "memory_total_bytes": int(getattr(props, "total_memory", 0)) or None})
    return info


def discover(torch) -> dict:
    details = {}
    errors = {}
    for name, func in (("cuda", discover_cuda), ("mps", discover_mps), ("xpu", discover_xpu)):
        try:
            details[name] = func(torch)
        except Exception as exc:
            errors[name] = error_text(exc)
            details[name] = {"kind": name, "available": False, "count": 0, "devices": [], "error": errors[name]}
    names = [d["name"] for kind in ("cuda", "xpu", "mps") for d in details[kind]["devices"]]
    found = _("{count} accelerator(s): {names}", count=len(names), names=", ".join(names)) if names \
        else _("no accelerator visible to torch")
    message = _("{found}; discovery failed for {kinds}", found=found, kinds=", ".join(sorted(errors))) if errors else found
    return outcome("fail" if errors else "pass", message, details)


def absence_reason(torch, kind: str, found: dict) -> str:
    """Why torch shows no device of this kind, in the user's terms."""
    if found.get("error"):
        return _("discovery failed: {error}", error=found["error"])
    if kind == "cuda":
        if not getattr(torch.version, "cuda", None) and not getattr(torch.version, "hip", None):
            return _("this torch is a CPU build (torch.version.cuda is None)")
        if found.get("init_warnings"):
            return _("torch.cuda.is_available() is False: {warning}", warning=found["init_warnings"][0])
        return "torch.cuda.is_available() is False"
    if kind == "mps":
        if platform.system() != "Darwin":
            return _("MPS exists only on macOS")
        if found.get("built"):
            return "torch.backends.mps.is_available() is False"
        return _("torch.backends.mps.is_available() is False (torch built without MPS)")
    if getattr(torch, "xpu", None) is None:
        return _("this torch has no XPU support")
    return "torch.xpu.is_available() is False"


def device_specs(torch, discovered: dict, wanted: str, reporter: Reporter) -> list:
    """The devices to test: the CPU, then every accelerator asked for; absent ones are reported."""
    specs = [cpu_spec()]
    for kind in ("cuda", "xpu", "mps"):
        if wanted not in ("all", kind):
            continue
        found = discovered.get(kind) or {}
        if not found.get("count"):
            status = "skip" if wanted == "all" else "fail"
            reason = absence_reason(torch, kind, found)
            reporter.finish(f"device.{kind}", _("{kind} device", kind=kind), outcome(status, reason), None)
            continue
        for device in found.get("devices", []):
            specs.append(accelerator_spec(torch, kind, found, device))
    return specs


def cpu_spec() -> dict:
    return {"label": "cpu", "device": "cpu", "dtypes": ["float32", "bfloat16", "float16"],
            "perf_dtypes": ["float32", "bfloat16"], "gradcheck": True, "conv_backend": "cpu", "pin_memory": False}


def supports_dtype(torch, device: str, dtype) -> bool:
    """Whether a tensor of this dtype can live on the device (bfloat16 on MPS needs macOS 14)."""
    try:
        torch.ones(2, dtype=dtype, device=device).sum().item()
    except Exception:
        return False
    return True


def accelerator_spec(torch, kind: str, found: dict, device: dict) -> dict:
    label = "mps" if kind == "mps" else f"{kind}:{device['index']}"
    dtypes = ["float32", "float16"]
    if kind == "cuda":
        major = int(str(device.get("capability", "0.0")).split(".")[0])
        if found.get("kind") == "rocm" or major >= 8:
            dtypes.append("bfloat16")
        if found.get("kind") == "cuda" and major >= 8:
            dtypes.append("tf32")
        if found.get("kind") == "rocm":
            backend = "miopen"
        elif torch.backends.cudnn.is_available():
            backend = f"cudnn {torch.backends.cudnn.version()}"
        else:
            backend = "cuda (no cuDNN)"
    else:
        if supports_dtype(torch, label, torch.bfloat16):
            dtypes.append("bfloat16")
        backend = kind
    return {"label": label, "device": label, "dtypes": dtypes, "perf_dtypes": list(dtypes),
            "gradcheck": kind != "mps", "conv_backend": backend, "pin_memory": kind in ("cuda", "xpu")}


# ---------------------------------------------------------------------------- stage 3: per device


def synchronizer(torch, device: str):
    """A function that waits for the device's queued work, so timings measure work, not launches."""
    kind = torch.device(device).type
    if kind == "cuda":
        return lambda: torch.cuda.synchronize(device)
    if kind == "xpu":
        return lambda: torch.xpu.synchronize(device)
    if kind == "mps":
        return torch.mps.synchronize
    return lambda: None


class Tf32Mode:
    """Turn TF32 matmuls on or off for one check, restoring the previous setting after."""

    def __init__(self, torch, enabled: bool) -> None:
        self.matmul = torch.backends.cuda.matmul
        self.enabled = enabled
        self.saved: tuple[str, Any] | None = None

    def __enter__(self):
        if hasattr(self.matmul, "fp32_precision"):
            self.saved = ("fp32_precision", self.matmul.fp32_precision)
            self.matmul.fp32_precision = "tf32" if self.enabled else "ieee"
        else:
            self.saved = ("allow_tf32", self.matmul.allow_tf32)
            self.matmul.allow_tf32 = self.enabled
        return self

    def __exit__(self, *exc) -> None:
        if self.saved is not None:
            name, value = self.saved
            setattr(self.matmul, name, value)


def torch_dtype(torch, name: str):
    return torch.float32 if name == "tf32" else getattr(torch, name)


def reference_product(a, b):
    """a @ b in float64 by elementwise multiply and sum, so a broken matmul cannot fix its own answer."""
    return (a.unsqueeze(2) * b.unsqueeze(0)).sum(dim=1)


def check_alloc(torch, spec: dict) -> dict:
    tensor = torch.empty(ALLOC_ELEMENTS, dtype=torch.float32, device=spec["device"])
    tensor.fill_(1.5)
    total = float(tensor.sum().item())
    expected = 1.5 * ALLOC_ELEMENTS
    details = {"bytes": ALLOC_ELEMENTS * 4}
    if total != expected:
        return outcome("fail", _("a tensor filled with 1.5 sums to {total}, not {expected}", total=total, expected=expected),
                       details)
    return outcome("pass", f"{ALLOC_ELEMENTS * 4 // (1024 * 1024)} MiB", details)


def check_copy(torch, spec: dict) -> dict:
    generator = torch.Generator().manual_seed(7)
    host = torch.randint(0, 256, (1024 * 1024,), dtype=torch.uint8, generator=generator)
    back = host.to(spec["device"], copy=True).to("cpu", copy=True)
    mismatched = int((back != host).sum().item())
    details = {"bytes": host.numel()}
    if mismatched:
        return outcome("fail", _("{changed} of {total} bytes changed on the round trip", changed=mismatched,
                                 total=host.numel()), details)
    return outcome("pass", _("1 MiB host -> device -> host, bit-exact"), details)


def check_matmul(torch, spec: dict, dtype_name: str) -> dict:
    """A known-answer product of small integers (exact in every dtype) and a random product.

    The small integers are the parent's (``spec["known_answer"]``, fresh each run), and the product goes
    back whole: the parent computes its own and judges the check, whatever this side says.
    """
    dtype = torch_dtype(torch, dtype_name)
    device = spec["device"]
    generator = torch.Generator().manual_seed(1234)
    with Tf32Mode(torch, dtype_name == "tf32"):
        inputs = spec.get("known_answer") or {}
        if inputs:
            ints_a = torch.tensor(inputs["a"], dtype=torch.float64)
            ints_b = torch.tensor(inputs["b"], dtype=torch.float64)
        else:
            ints_a = torch.randint(-4, 5, (16, 16), generator=generator).to(torch.float64)
            ints_b = torch.randint(-4, 5, (16, 24), generator=generator).to(torch.float64)
        got = torch.matmul(ints_a.to(device, dtype), ints_b.to(device, dtype)).to("cpu", torch.float64)
        known_error = float((got - reference_product(ints_a, ints_b)).abs().max().item())
        product = got.tolist()

        a = (torch.rand(64, 48, generator=generator, dtype=torch.float64) * 2 - 1).to(dtype).to(torch.float64)
        b = (torch.rand(48, 40, generator=generator, dtype=torch.float64) * 2 - 1).to(dtype).to(torch.float64)
        got = torch.matmul(a.to(device, dtype), b.to(device, dtype)).to("cpu", torch.float64)
    expected = reference_product(a, b)
    scale = reference_product(a.abs(), b.abs()).clamp_min(1e-30)
    error = (got - expected).abs()
    relative = float((error / scale).max().item())
    details = {"known_answer_max_abs_error": known_error, "max_relative_error": relative,
               "tolerance": MATMUL_TOLERANCE[dtype_name], "shape": [64, 48, 40], "known_answer_product": product}
    metrics = {"max_abs_error": float(error.max().item())}
    if not known_error <= KNOWN_ANSWER_TOLERANCE:  # written so that NaN fails
        return outcome("fail", _("wrong answer: a small-integer product is off by {error:.3g} (exact expected)",
                                 error=known_error), details, metrics)
    if not relative <= MATMUL_TOLERANCE[dtype_name]:
        return outcome("fail", _("wrong answer: relative error {error:.3g} exceeds {tolerance:g}", error=relative,
                                 tolerance=MATMUL_TOLERANCE[dtype_name]), details, metrics)
    return outcome("pass", _("matches float64 reference (relative error {error:.2g})", error=relative), details, metrics)


def check_autograd(torch, spec: dict) -> dict:
    x = torch.tensor(3.0, device=spec["device"], requires_grad=True)
    y = x * x + 2 * x
    y.backward()
    grad = float(x.grad.item())
    if grad != 8.0:
        return outcome("fail", _("d/dx (x**2 + 2x) at 3 came out {grad}, not 8", grad=grad), {"grad": grad})
    return outcome("pass", "d/dx (x**2 + 2x) at 3 = 8", {"grad": grad})


def check_gradcheck(torch, spec: dict) -> dict:
    if not spec.get("gradcheck"):
        return outcome("skip", _("this device has no float64"))
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(3, 4, dtype=torch.float64, generator=generator).to(spec["device"]).requires_grad_()
    ok = torch.autograd.gradcheck(lambda t: (t.sin() * t.exp()).cumsum(0), (x,), raise_exception=False)
    if not ok:
        return outcome("fail", _("analytical and numerical gradients differ"))
    return outcome("pass", _("analytical gradients match numerical ones (float64)"))


def conv2d_reference(x, w, bias, padding: int) -> list:
    """conv2d (stride 1) by explicit loops over plain Python floats: no tensor op involved."""
    batch, channels, height, width = len(x), len(x[0]), len(x[0][0]), len(x[0][0][0])
    out_channels, kernel_h, kernel_w = len(w), len(w[0][0]), len(w[0][0][0])
    out_h, out_w = height + 2 * padding - kernel_h + 1, width + 2 * padding - kernel_w + 1
    result = []
    for n in range(batch):
        planes = []
        for o in range(out_channels):
            rows = []
            for i in range(out_h):
                row = []
                for j in range(out_w):
                    total = bias[o]
                    for c in range(channels):
                        for u in range(kernel_h):
                            for v in range(kernel_w):
                                yy, xx = i + u - padding, j + v - padding
                                if 0 <= yy < height and 0 <= xx < width:
                                    total += x[n][c][yy][xx] * w[o][c][u][v]
                    row.append(total)
                rows.append(row)
            planes.append(rows)
        result.append(planes)
    return result


def check_conv2d(torch, spec: dict) -> dict:
    generator = torch.Generator().manual_seed(11)
    x = torch.rand(1, 2, 5, 6, generator=generator) * 2 - 1
    w = torch.rand(3, 2, 3, 3, generator=generator) * 2 - 1
    bias = torch.rand(3, generator=generator) * 2 - 1
    device = spec["device"]
    got = torch.nn.functional.conv2d(x.to(device), w.to(device), bias.to(device), padding=1).to("cpu", torch.float64)
    expected = torch.tensor(conv2d_reference(x.tolist(), w.tolist(), bias.tolist(), 1), dtype=torch.float64)
    scale = torch.tensor(conv2d_reference(x.abs().tolist(), w.abs().tolist(), bias.abs().tolist(), 1),
                         dtype=torch.float64).clamp_min(1e-30)
    relative = float(((got - expected).abs() / scale).max().item())
    tf32 = torch.device(device).type == "cuda" and bool(torch.backends.cudnn.allow_tf32)
    tolerance = CONV_TOLERANCE["tf32" if tf32 else "exact"]
    details = {"backend": spec.get("conv_backend"), "max_relative_error": relative, "tolerance": tolerance}
    if tuple(got.shape) != tuple(expected.shape) or not relative <= tolerance:
        return outcome("fail", _("wrong answer: relative error {error:.3g} exceeds {tolerance:g}", error=relative,
                                 tolerance=tolerance), details)
    return outcome("pass", _("matches a loop reference ({backend})", backend=spec.get("conv_backend")), details)


# ---------------------------------------------------------------------------- stage 3b: a first training script


def check_tutorial_autograd(torch, spec: dict) -> dict:
    """The autograd example of PyTorch's "60 Minute Blitz", whose answers are known: out = mean(3 (x + 2)^2)
    at x = ones(2, 2) is 27 and d(out)/dx = 3/2 (x + 2) is 4.5 everywhere; then its vector-Jacobian product,
    y = x * 2 doubled until its norm passes 1000, y.backward(v), gives x.grad = v * 2^k (here with
    x = (1, 2, 3) for torch.randn(3), so k = 9). The tutorial's text: pytorch/tutorials
    beginner_source/blitz/autograd_tutorial.py as it read until 2020 (https://github.com/pytorch/tutorials/pull/926)."""
    device = spec["device"]
    x = torch.ones(2, 2, device=device, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    value = float(out.item())
    grad = x.grad.to("cpu").tolist()
    details: dict = {"out": value, "grad": grad}
    if value != 27.0 or any(g != 4.5 for row in grad for g in row):
        return outcome("fail", _("out = ((x + 2) * (x + 2) * 3).mean() gave {value} and x.grad {grad}; "
                                 "27 and 4.5 everywhere expected", value=value, grad=grad), details)
    x = torch.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = x * 2
    doublings = 1
    while float(y.detach().norm().item()) < 1000:
        y = y * 2
        doublings += 1
    v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float32)
    y.backward(v.to(device))
    expected = v * float(2 ** doublings)  # a power of two: exact in float32
    got = x.grad.to("cpu")
    details.update(doublings=doublings, vector_grad=got.tolist())
    if doublings != 9 or not torch.equal(got, expected):
        return outcome("fail", _("y.backward(v) with y = x * 2^{doublings} gave x.grad {got}, "
                                 "not v * 2^{doublings} = {expected}", doublings=doublings, got=got.tolist(),
                                 expected=expected.tolist()), details)
    return outcome("pass", "out = 27, x.grad = 4.5; y.backward(v) gives v * 512", details)


def regression_data(torch, samples: int, features: int):
    """A seeded synthetic regression in float64: y = sin(X a) + 0.5 X b, X uniform in [-1, 1]."""
    generator = torch.Generator().manual_seed(2024)
    x = torch.rand(samples, features, generator=generator, dtype=torch.float64) * 2 - 1
    a = torch.rand(features, generator=generator, dtype=torch.float64) * 2 - 1
    b = torch.rand(features, generator=generator, dtype=torch.float64) * 2 - 1
    y = torch.sin((x * a).sum(dim=1, keepdim=True)) + 0.5 * (x * b).sum(dim=1, keepdim=True)
    return x, y


def initial_parameters(torch, features: int, hidden: int) -> list:
    """Seeded float64 weights in nn.Linear's own range (uniform in +-1/sqrt(fan_in)): w1, b1, w2, b2."""
    generator = torch.Generator().manual_seed(7)

    def uniform(shape, fan_in):
        return (torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1) / fan_in ** 0.5

    return [uniform((hidden, features), features), uniform((hidden,), features),
            uniform((1, hidden), hidden), uniform((1,), hidden)]


def two_layer_model(torch, parameters: list, device: str):
    """nn.Linear -> Tanh -> nn.Linear in float32 on the device, starting from the given weights."""
    hidden, features = parameters[0].shape
    model = torch.nn.Sequential(torch.nn.Linear(features, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    with torch.no_grad():
        for index, param in enumerate(model.parameters()):
            param.copy_(parameters[index].to(torch.float32))
    return model.to(device)


def make_optimizer(torch, name: str, params):
    if name == "sgd":
        return torch.optim.SGD(params, lr=TRAIN_LR["sgd"], momentum=0.9)
    return torch.optim.AdamW(params, lr=TRAIN_LR["adamw"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)


def reference_gradients(x, y, params: list) -> tuple:
    """MSE loss of Linear -> Tanh -> Linear and its gradients, by hand (no autograd, nn or matmul)."""
    w1, b1, w2, b2 = params
    hidden = (x.unsqueeze(1) * w1.unsqueeze(0)).sum(dim=2) + b1
    h = hidden.tanh()
    prediction = (h.unsqueeze(1) * w2.unsqueeze(0)).sum(dim=2) + b2
    error = prediction - y
    loss = float((error * error).mean().item())
    d_prediction = 2 * error / error.numel()
    grad_w2 = (d_prediction.unsqueeze(2) * h.unsqueeze(1)).sum(dim=0)
    grad_b2 = d_prediction.sum(dim=0)
    d_hidden = (d_prediction.unsqueeze(2) * w2.unsqueeze(0)).sum(dim=1) * (1 - h * h)
    grad_w1 = (d_hidden.unsqueeze(2) * x.unsqueeze(1)).sum(dim=0)
    grad_b1 = d_hidden.sum(dim=0)
    return loss, [grad_w1, grad_b1, grad_w2, grad_b2]


def reference_training(torch, name: str, x, y, start: list, steps: int) -> tuple:
    """The same training in float64 on the CPU, the optimizer written out from PyTorch's documented algorithms
    (SGD with momentum: b = 0.9 b + g, p -= lr b; AdamW: p *= 1 - lr wd, then Adam's bias-corrected step)."""
    params = [p.clone() for p in start]
    state = [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params]
    losses = []
    for step in range(1, steps + 1):
        loss, grads = reference_gradients(x, y, params)
        losses.append(loss)
        for i, param in enumerate(params):
            grad = grads[i]
            if name == "sgd":
                state[0][i] = grad.clone() if step == 1 else 0.9 * state[0][i] + grad
                param -= TRAIN_LR["sgd"] * state[0][i]
                continue
            lr = TRAIN_LR["adamw"]
            param *= 1 - lr * 0.01
            state[0][i] = 0.9 * state[0][i] + 0.1 * grad
            state[1][i] = 0.999 * state[1][i] + 0.001 * grad * grad
            denominator = (state[1][i] / (1 - 0.999 ** step)).sqrt() + 1e-8
            param -= lr / (1 - 0.9 ** step) * state[0][i] / denominator
    losses.append(reference_gradients(x, y, params)[0])
    return params, losses


def device_training(torch, name: str, device: str, x, y, start: list, steps: int) -> tuple:
    """What a tutorial's training loop does: nn.Module, MSELoss, backward, optimizer.step, on the device."""
    model = two_layer_model(torch, start, device)
    optimizer = make_optimizer(torch, name, model.parameters())
    loss_function = torch.nn.MSELoss()
    inputs, targets = x.to(device, torch.float32), y.to(device, torch.float32)
    losses = []
    with Tf32Mode(torch, False):  # IEEE float32, whatever the user's TF32 setting: the reference is exact
        for _step in range(steps):
            optimizer.zero_grad()
            loss = loss_function(model(inputs), targets)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
        with torch.no_grad():
            losses.append(float(loss_function(model(inputs), targets).item()))
    return [p.detach().to("cpu", torch.float64) for p in model.parameters()], losses


def parameter_error(torch, got: list, expected: list) -> float:
    """Largest difference of any parameter, relative to the largest magnitude in its tensor."""
    if len(got) != len(expected) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(got, expected)):  # noqa: B905
        return float("inf")
    worst = 0.0
    for index, b in enumerate(expected):
        scale = max(float(b.abs().max().item()), 1e-12)
        worst = max(worst, float((got[index] - b).abs().max().item()) / scale)
    return worst


def check_train_sgd(torch, spec: dict, size: dict) -> dict:
    """Train a two-layer nn.Module with optim.SGD and optim.AdamW; the loss must fall by TRAIN_LOSS_FACTOR and
    the weights must match the float64 CPU reference within TRAIN_TOLERANCE."""
    x, y = regression_data(torch, size["samples"], size["features"])
    start = initial_parameters(torch, size["features"], size["hidden"])
    details: dict = {"steps": size["steps"], "samples": size["samples"], "hidden": size["hidden"],
                     "tolerance": TRAIN_TOLERANCE, "loss_factor": TRAIN_LOSS_FACTOR}
    problems = []
    for name in ("sgd", "adamw"):
        got, losses = device_training(torch, name, spec["device"], x, y, start, size["steps"])
        expected, reference_losses = reference_training(torch, name, x, y, start, size["steps"])
        error = parameter_error(torch, got, expected)
        details[name] = {"first_loss": losses[0], "last_loss": losses[-1], "reference_last_loss": reference_losses[-1],
                         "max_relative_error": error}
        label = "SGD" if name == "sgd" else "AdamW"
        if not all(math.isfinite(loss) for loss in losses):
            problems.append(f"{label}: the loss became {losses[-1]}")
        elif not losses[-1] * TRAIN_LOSS_FACTOR <= losses[0]:
            problems.append(f"{label}: the loss fell from {losses[0]:.4g} to {losses[-1]:.4g} in {size['steps']} steps, "
                            f"not by {TRAIN_LOSS_FACTOR:g}x")
        if not error <= TRAIN_TOLERANCE:
            problems.append(f"{label}: after {size['steps']} steps the weights differ from the float64 CPU reference "
                            f"by {error:.3g} (relative; {TRAIN_TOLERANCE:g} allowed)")
    if problems:
        return outcome("fail", "; ".join(problems), details)
    return outcome("pass", _("SGD loss {sgd_first:.3g} -> {sgd_last:.3g}, AdamW {adamw_first:.3g} -> {adamw_last:.3g} in "
                             "{steps} steps; weights match the float64 reference ({error:.2g})",
                             sgd_first=details["sgd"]["first_loss"], sgd_last=details["sgd"]["last_loss"],
                             adamw_first=details["adamw"]["first_loss"], adamw_last=details["adamw"]["last_loss"],
                             steps=size["steps"],
                             error=max(details["sgd"]["max_relative_error"], details["adamw"]["max_relative_error"])),
                   details)


def grad_scaler(torch, device_type: str):
    """torch.amp.GradScaler for this device (torch >= 2.3), torch.cuda.amp's before; None when there is none."""
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        try:
            return amp.GradScaler(device_type, init_scale=AMP_INIT_SCALE)
        except Exception:
            return None
    if device_type == "cuda":
        return torch.cuda.amp.GradScaler(init_scale=AMP_INIT_SCALE)
    return None


def amp_training(torch, device: str, x, y, start: list, steps: int, dtype, scaler) -> dict:
    """SGD under torch.autocast (dtype None: plain float32), with a GradScaler when given."""
    device_type = torch.device(device).type
    model = two_layer_model(torch, start, device)
    optimizer = make_optimizer(torch, "sgd", model.parameters())
    inputs, targets = x.to(device, torch.float32), y.to(device, torch.float32)
    losses, skipped, computed_in = [], 0, None
    with Tf32Mode(torch, False):
        for _step in range(steps):
            optimizer.zero_grad()
            if dtype is None:
                loss = torch.nn.functional.mse_loss(model(inputs), targets)
            else:
                with torch.autocast(device_type=device_type, dtype=dtype):
                    prediction = model(inputs)
                computed_in = str(prediction.dtype).replace("torch.", "")
                loss = torch.nn.functional.mse_loss(prediction.float(), targets)
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                before = float(scaler.get_scale())
                scaler.step(optimizer)
                scaler.update()
                if float(scaler.get_scale()) < before:  # the step was skipped for inf/NaN gradients
                    skipped += 1
            losses.append(float(loss.item()))
    result = {"losses": losses, "skipped": skipped, "computed_in": computed_in,
              "params": [p.detach().to("cpu", torch.float64) for p in model.parameters()]}
    if scaler is not None:
        result["final_scale"] = float(scaler.get_scale())
    return result


def check_train_amp(torch, spec: dict, size: dict) -> dict:
    """Mixed precision as PyTorch's AMP recipe teaches it (https://docs.pytorch.org/tutorials/recipes/recipes/
    amp_recipe.html): autocast in bfloat16, and float16 with a GradScaler, each close to the same steps in
    float32, with finite losses and a scaler that does not keep skipping steps. An autocast that silently
    computed in float32 (it warns and falls back where a dtype is unsupported) is skipped, not passed."""
    if not hasattr(torch, "autocast"):
        return outcome("skip", _("this torch has no torch.autocast (added in 1.10)"))
    device, steps = spec["device"], size["amp_steps"]
    device_type = torch.device(device).type
    x, y = regression_data(torch, size["samples"], size["features"])
    start = initial_parameters(torch, size["features"], size["hidden"])
    plain = amp_training(torch, device, x, y, start, steps, None, None)
    details: dict = {"steps": steps, "float32_last_loss": plain["losses"][-1], "tolerance": AMP_TOLERANCE,
                     "max_skipped": AMP_MAX_SKIPPED}
    problems, ran, skipped_dtypes = [], [], {}
    for name in ("bfloat16", "float16"):
        if name not in spec["dtypes"]:
            skipped_dtypes[name] = f"{spec['label']} has no {name}"
            continue
        scaler = None
        if name == "float16":
            scaler = grad_scaler(torch, device_type)
            if scaler is None:
                skipped_dtypes[name] = f"no GradScaler for {device_type} in this torch"
                continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # autocast warns, and falls back to float32, where a dtype is unsupported
            run = amp_training(torch, device, x, y, start, steps, getattr(torch, name), scaler)
        if run["computed_in"] != name:
            skipped_dtypes[name] = f"autocast on {device_type} computed in {run['computed_in']}, not {name}"
            continue
        ran.append(name)
        error = parameter_error(torch, run["params"], plain["params"])
        losses = run["losses"]
        details[name] = {"last_loss": losses[-1], "max_relative_error": error, "skipped_steps": run["skipped"]}
        if "final_scale" in run:
            details[name]["final_scale"] = run["final_scale"]
        label = f"{name}" + (" + GradScaler" if scaler is not None else "")
        if run["skipped"] > AMP_MAX_SKIPPED:
            problems.append(f"{label}: the GradScaler skipped {run['skipped']} of {steps} steps (scale fell to "
                            f"{run.get('final_scale', 0):g}): it finds inf/NaN gradients on every step")
        elif not all(math.isfinite(loss) for loss in losses):
            problems.append(f"{label}: the loss became {losses[-1]}")
        elif not error <= AMP_TOLERANCE[name]:
            problems.append(f"{label}: after {steps} steps the weights differ from the float32 run by {error:.3g} "
                            f"(relative; {AMP_TOLERANCE[name]:g} allowed)")
    details["skipped_dtypes"] = skipped_dtypes
    if problems:
        return outcome("fail", "; ".join(problems), details)
    if not ran:
        return outcome("skip", "; ".join(f"{k}: {v}" for k, v in skipped_dtypes.items()), details)
    shown = ", ".join(f"{name} {details[name]['max_relative_error']:.2g}" for name in ran)
    return outcome("pass", _("autocast {dtypes} track float32 over {steps} steps (relative error {errors})",
                             dtypes=" and ".join(ran), steps=steps, errors=shown), details)


def shm_free_bytes():
    """Free space of /dev/shm, where DataLoader workers put each batch; None where there is none."""
    try:
        info = os.statvfs("/dev/shm")
    except (AttributeError, OSError):
        return None
    return info.f_bavail * info.f_frsize


def exception_chain(exc: BaseException) -> list:
    """The exception and those it was raised from: torch reports a dead worker as "exited unexpectedly",
    raised from the error that says which signal killed it."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def loader_failure_cause(text: str) -> tuple:
    """(cause, what to do) for a failed DataLoader, from torch's own messages (torch/csrc/DataLoader.cpp,
    torch/utils/data/dataloader.py)."""
    lowered = text.lower()
    if "bus error" in lowered or "shared memory" in lowered or "no space left on device" in lowered:
        return "shared memory", ("/dev/shm is too small or full for the batches in flight: give the container more "
                                 "(docker run --shm-size=16g or --ipc=host; Kubernetes: an emptyDir with medium: "
                                 "Memory at /dev/shm)")
    if "killed by signal: killed" in lowered:
        return "killed", "a worker was killed (SIGKILL): usually the out-of-memory killer or a cgroup memory limit"
    if "too many open files" in lowered or "ancdata" in lowered:
        return "open files", "raise `ulimit -n`, or torch.multiprocessing.set_sharing_strategy('file_system')"
    if "timed out" in lowered:
        return "timeout", f"a worker delivered no batch within {LOADER_TIMEOUT_S} s"
    if "killed by signal" in lowered or "exited unexpectedly" in lowered:
        return "worker died", "a worker process died"
    return "error", "the DataLoader raised"


def check_data_loader(torch, spec: dict, size: dict) -> dict:
    """A DataLoader with 2 worker processes (the platform's default start method), pinned memory where the
    device has it, batches moved with non_blocking=True: every batch must arrive, in order, bit-exact.

    Workers hand batches over in shared memory (/dev/shm on Linux), "Multi-process data loading" in
    https://docs.pytorch.org/docs/stable/data.html; the dataset is a TensorDataset, which every start
    method can pickle to a worker (this script runs as ``python -c``, so nothing defined here could be)."""
    import multiprocessing

    from torch.utils.data import DataLoader, TensorDataset

    device = spec["device"]
    pin = bool(spec.get("pin_memory"))
    samples, width, batch = size["loader_samples"], size["loader_width"], size["loader_batch"]
    generator = torch.Generator().manual_seed(31)
    data = torch.rand(samples, width, generator=generator)
    order = torch.arange(samples)
    details: dict = {"workers": LOADER_WORKERS, "start_method": multiprocessing.get_start_method(),
                     "pin_memory": pin, "batch_bytes": batch * width * 4, "batches_expected": -(-samples // batch),
                     "shm_free_bytes": shm_free_bytes()}
    loader = DataLoader(TensorDataset(data, order), batch_size=batch, shuffle=False, num_workers=LOADER_WORKERS,
                        pin_memory=pin, timeout=LOADER_TIMEOUT_S)
    received, unpinned = [], 0
    try:
        for values, indices in loader:
            if pin and not values.is_pinned():
                unpinned += 1
            received.append((values.to(device, non_blocking=True), indices.to(device, non_blocking=True)))
        synchronizer(torch, device)()
    except Exception as exc:
        chain = exception_chain(exc)
        cause, advice = loader_failure_cause(" ".join(str(item) for item in chain))
        errors = [error_text(item) for item in chain]
        details.update(cause=cause, errors=errors)
        free = details["shm_free_bytes"]
        shm = f" (/dev/shm: {free // (1024 * 1024)} MiB free)" if cause == "shared memory" and free is not None else ""
        return outcome("fail", f"{errors[-1]}{shm} -> {advice}", details)
    finally:
        del loader
    details["batches"] = len(received)
    got_values = torch.cat([v.to("cpu") for v, _i in received]) if received else data[:0]
    got_order = torch.cat([i.to("cpu") for _v, i in received]) if received else order[:0]
    if len(received) != details["batches_expected"] or not torch.equal(got_order, order):
        in_order = torch.equal(got_order, order[:len(got_order)])
        return outcome("fail", (_("{count} of {expected} batches arrived, in order", count=len(received),
                                  expected=details["batches_expected"]) if in_order
                                else _("{count} of {expected} batches arrived, out of order", count=len(received),
                                       expected=details["batches_expected"])), details)
    if not torch.equal(got_values, data):
        changed = int((got_values != data).sum().item())
        return outcome("fail", _("{count} value(s) changed between the workers and {device}", count=changed,
                                 device=device), details)
    if unpinned:
        return outcome("fail", _("pin_memory=True, yet {count} batch(es) came back unpinned", count=unpinned), details)
    arrived = dict(count=len(received), workers=LOADER_WORKERS, method=details["start_method"])
    return outcome("pass", _("{count} batches from {workers} workers ({method}, pinned), in order, bit-exact", **arrived)
                   if pin else _("{count} batches from {workers} workers ({method}), in order, bit-exact", **arrived),
                   details)


# ---------------------------------------------------------------------------- stage 4: performance


def seconds_per_call(sync, func, budget: float) -> float:
    """Median seconds per call over batches filling ``budget``; one warm-up call first."""
    sync()
    start = time.perf_counter()
    func()
    sync()
    first = max(time.perf_counter() - start, 1e-7)
    reps = max(1, min(1000, int(budget / 8 / first)))
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    while not samples or time.perf_counter() < deadline:
        sync()
        start = time.perf_counter()
        for _step in range(reps):
            func()
        sync()
        samples.append((time.perf_counter() - start) / reps)
    samples.sort()
    return samples[len(samples) // 2]


def perf_matmul(torch, spec: dict, dtype_name: str, budget: float) -> dict:
    """TFLOP/s of a square matmul, growing the size until one call is a noticeable part of the budget."""
    device = spec["device"]
    dtype = torch_dtype(torch, dtype_name)
    sync = synchronizer(torch, device)
    sizes = PERF_SIZES["cpu" if torch.device(device).type == "cpu" else "accelerator"]
    with Tf32Mode(torch, dtype_name == "tf32"):
        for n in sizes:
            a = torch.rand(n, n, device=device).to(dtype)
            b = torch.rand(n, n, device=device).to(dtype)
            torch.matmul(a, b)  # the first call of a size pays for library setup and kernel choice
            sync()
            start = time.perf_counter()
            torch.matmul(a, b)
            sync()
            if time.perf_counter() - start > budget / 20 or n == sizes[-1]:
                break
        seconds = seconds_per_call(sync, lambda: torch.matmul(a, b), budget)
    tflops = 2.0 * n ** 3 / seconds / 1e12
    return outcome("pass", _("{n}x{n} matmul", n=n), {"size": n, "seconds_per_matmul": seconds},
                   {"tflops": round(tflops, 6)})


def perf_copy(torch, spec: dict, budget: float) -> dict:
    """Host -> device and device -> host bandwidth, pinned host memory where the device has it."""
    device = spec["device"]
    sync = synchronizer(torch, device)
    host = torch.empty(COPY_BYTES, dtype=torch.uint8)
    pinned = False
    if torch.device(device).type == "cuda":
        host = host.pin_memory()
        pinned = True
    on_device = torch.empty(COPY_BYTES, dtype=torch.uint8, device=device)
    h2d = seconds_per_call(sync, lambda: on_device.copy_(host, non_blocking=pinned), budget / 2)
    d2h = seconds_per_call(sync, lambda: host.copy_(on_device, non_blocking=pinned), budget / 2)
    to_device, to_host = COPY_BYTES / h2d / 1e9, COPY_BYTES / d2h / 1e9
    details = {"bytes": COPY_BYTES, "pinned": pinned, "d2h_gb_per_s": round(to_host, 3)}
    message = _("host->device {to_device:.3g} GB/s, device->host {to_host:.3g} GB/s", to_device=to_device, to_host=to_host)
    return outcome("pass", message, details, {"gb_per_s": round(to_device, 3)})


# ---------------------------------------------------------------------------- the per-device path


def device_check_list(torch, spec: dict, perf_budget: float, level: str = "standard") -> list:
    """(id, title, function, args) for every check of one device, in order, as many as the level asks."""
    label = spec["label"]
    checks: list[tuple[str, str, Callable[..., dict], tuple[Any, ...]]]
    tutorial = (f"{label}.tutorial.autograd", _("{label}: tutorial autograd", label=label), check_tutorial_autograd,
                (torch, spec))
    if level == "quick":
        return [(f"{label}.matmul.float32", _("{label}: matmul {dtype}", label=label, dtype="float32"), check_matmul,
                 (torch, spec, "float32")), tutorial]
    size = TRAINING_SIZES[level]
    checks = [(f"{label}.alloc", _("{label}: allocate", label=label), check_alloc, (torch, spec)),
              (f"{label}.copy", _("{label}: copy round trip", label=label), check_copy, (torch, spec))]
    for name in DTYPE_NAMES:
        if name in spec["dtypes"]:
            checks.append((f"{label}.matmul.{name}", _("{label}: matmul {dtype}", label=label, dtype=name), check_matmul,
                           (torch, spec, name)))
    checks += [(f"{label}.autograd", f"{label}: autograd", check_autograd, (torch, spec)),
               (f"{label}.gradcheck", f"{label}: gradcheck", check_gradcheck, (torch, spec)),
               (f"{label}.conv2d", f"{label}: conv2d", check_conv2d, (torch, spec)),
               tutorial,
               (f"{label}.train.sgd", _("{label}: train with SGD and AdamW", label=label), check_train_sgd,
                (torch, spec, size)),
               (f"{label}.train.amp", _("{label}: train with autocast", label=label), check_train_amp, (torch, spec, size)),
               (f"{label}.data.loader", _("{label}: DataLoader with workers", label=label), check_data_loader,
                (torch, spec, size))]
    perf_dtypes = [name for name in DTYPE_NAMES if name in spec["perf_dtypes"]]
    has_copy = torch.device(spec["device"]).type != "cpu"
    share = perf_budget / max(1, len(perf_dtypes) + (1 if has_copy else 0))
    for name in perf_dtypes:
        checks.append((f"{label}.perf.matmul.{name}", _("{label}: matmul {dtype} TFLOP/s", label=label, dtype=name),
                       perf_matmul, (torch, spec, name, share)))
    if has_copy:
        checks.append((f"{label}.perf.copy", _("{label}: copy GB/s", label=label), perf_copy, (torch, spec, share)))
    return checks


def device_checks(torch, reporter: Reporter, spec: dict, perf_budget: float, level: str = "standard") -> list:
    """Every check of one device; after a failed allocation the rest are skipped, not attempted."""
    events = []
    checks = device_check_list(torch, spec, perf_budget, level)
    for position, (check_id, title, func, args) in enumerate(checks):
        event = reporter.run(check_id, title, func, *args)
        events.append(event)
        if check_id.endswith(".alloc") and event["status"] == "fail":
            for later_id, later_title, _func, _args in checks[position + 1:]:
                events.append(reporter.skip(later_id, later_title, _("skipped: allocation failed on this device")))
            break
    return events


# ---------------------------------------------------------------------------- stage 5: torch.compile


def find_cxx_compiler() -> str | None:
    names = [os.environ.get("CXX", "")] + ["c++", "g++", "clang++", "cl"]
    for name in names:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def check_compile(torch, device: str) -> dict:
    compiler = find_cxx_compiler()
    if compiler is None:
        return outcome("skip", _("no C++ compiler found (torch.compile's inductor backend needs one)"))

    def function(t):
        return torch.sin(t) * 2 + torch.cos(t) * t

    x = torch.rand(256, device=device)
    try:
        compiled = torch.compile(function)
        got = compiled(x)
    except Exception as exc:
        if re.search(r"not supported on (Python|Windows)", str(exc)):
            return outcome("skip", error_text(exc))
        raise
    error = float((got - function(x)).abs().max().item())
    details = {"device": device, "compiler": compiler, "max_abs_error": error}
    if not error <= 1e-4:
        return outcome("fail", _("compiled result differs from eager by {error:.3g}", error=error), details)
    return outcome("pass", _("compiled function matches eager on {device}", device=device), details)


# ---------------------------------------------------------------------------- main


def run(options: dict, reporter: Reporter) -> int:
    torch = import_torch(reporter)
    if torch is None:
        reporter.write({"event": "done"})
        return 1
    reporter.run("build", _("build info"), build_info, torch)
    reporter.run("numpy", "NumPy", check_numpy, torch)
    import_extensions(reporter, options.get("imports") or [], float(options.get("import_timeout") or 60.0))
    devices = reporter.run("devices", _("devices"), discover, torch)
    specs = device_specs(torch, devices.get("details") or {}, options.get("device", "all"), reporter)
    budget = max(0.0, float(options.get("perf_seconds", 2.0))) / len(specs)
    level = options.get("level", "standard")
    level = level if level in LEVELS else "standard"
    reporter.total = reporter.step + sum(len(device_check_list(torch, spec, budget, level)) for spec in specs)
    reporter.total += 1 if options.get("compile") else 0
    for spec in specs:
        spec["known_answer"] = options.get("known_answer")
        device_checks(torch, reporter, spec, budget, level)
    if options.get("compile"):
        reporter.run("compile", "torch.compile", check_compile, torch, specs[-1]["device"])
    reporter.write({"event": "done"})
    return 0


def main(argv: list) -> int:
    options = json.loads(argv[1]) if len(argv) > 1 else {}
    write, header = open_channel()
    options.update(known_answer=header.get("known_answer"), imports=header.get("imports"),
                   import_timeout=header.get("import_timeout"))
    return run(options, Reporter(write))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
