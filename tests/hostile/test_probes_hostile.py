"""The probes against hostile tools and input: a probe that crashes, tools that hang or refuse field
after field, a hung nvcc or rocminfo, output cut off, and parsers fed a megabyte of adversarial text.

Fake tools are small synthesised scripts on a PATH built for the test, run through the live door.
Every such run happens in a child process with a deadline, so a regression fails the test instead
of hanging the suite; the deadlines are hang guards, far above the time a correct run takes, never
measurements of speed.
"""

from __future__ import annotations

import json
import math
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MACHINES_DIR, make_machine

from envdoctor.door import OUTPUT_LIMIT, CommandResult, RecordedDoor
from envdoctor.probes import ProbeContext, attempt_from, collect, nvidia, rocm

REPO = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(os.name != "posix", reason="the fake tools are POSIX shell scripts")


def script(folder: Path, name: str, body: str) -> Path:
    """An executable shell script ``folder/name`` (synthesised: it misbehaves in one known way)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# Runs one probe through a live door without NVML (this host may have a GPU; the fakes must answer)
# and prints its facts as JSON.
PROBE_CHILD = """
import json, sys
from envdoctor.door import LiveDoor, NvmlResult
from envdoctor.facts import to_dict
from envdoctor.probes import ProbeContext, cuda, nvidia, rocm

class WithoutNvml(LiveDoor):
    def nvml(self, timeout):
        return NvmlResult("not_found", error="left out by this test")

probe = {"nvidia": nvidia.probe, "cuda": cuda.probe, "rocm": rocm.probe}[sys.argv[1]]
facts = probe(ProbeContext(WithoutNvml(), timeout=float(sys.argv[2])))
print(json.dumps(to_dict(facts)))
"""


def probe_in_child(name: str, timeout: float, path: Path, **env: str) -> dict:
    """The facts of probe ``name`` run in a child whose PATH starts with ``path``; a hang fails here."""
    child_env = dict(os.environ)
    child_env.update(env)
    child_env["PATH"] = f"{path}{os.pathsep}{child_env.get('PATH', '')}"
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), child_env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", PROBE_CHILD, name, str(timeout)], env=child_env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def attempts(facts: dict, source: str) -> list[dict]:
    return [a for a in facts["attempts"] if a["source"] == source]


# ---------------------------------------------------------------------------- a crashed probe


def failing_door(folder: Path, method: str) -> RecordedDoor:
    """A recorded machine where one door method raises: what a probe bug looks like from outside."""
    def broken(self, *args, **kwargs):
        raise RuntimeError(f"{method} broke")
    return type("FailingDoor", (RecordedDoor,), {method: broken})(folder)


STATUS_SECTIONS = {"python": "error", "nvidia": "error", "rocm": "error", "torch": "error"}


@pytest.mark.parametrize(
    "machine, method, crashed",
    [
        ("macos-arm64", "run", {"python", "torch", "cudnn", "apple", "cpu"}),
        ("ubuntu2204-rtx3090-535", "run", {"python", "torch", "cudnn", "nvidia"}),
        ("ubuntu2204-rtx3090-535", "listdir", {"cuda", "cudnn", "xpu", "torch", "nvidia"}),
        ("ubuntu2204-rtx3090-535", "nvml", {"nvidia"}),
        ("rocm-mi250x", "read_text", {"os", "cpu", "rocm", "torch", "nvidia", "cudnn"}),
    ],
)
def test_a_crashed_probe_is_an_error_never_a_silent_ok(machine, method, crashed):
    facts = collect(failing_door(MACHINES_DIR / machine, method), timeout=5)
    found = set()
    for name in ("os", "cpu", "python", "nvidia", "cuda", "cudnn", "rocm", "xpu", "apple", "torch"):
        holder = facts.os if name == "apple" else getattr(facts, name)
        marks = [a for a in holder.attempts if a.source == f"probe:{name}"]
        if not marks:
            continue
        found.add(name)
        (mark,) = marks
        assert (mark.status, mark.detail) == ("error", f"RuntimeError: {method} broke")
        if name in STATUS_SECTIONS:
            assert getattr(facts, name).status == "error"
    assert found == crashed
    if "python" in crashed:
        assert facts.python.status == "error" and facts.python.version is None
    if "nvidia" in crashed:
        assert facts.nvidia.message == f"the nvidia probe failed: RuntimeError: {method} broke"
    if "apple" in crashed:
        assert (facts.apple.mps_possible, facts.apple.source) == (False, "probe:apple")
        assert "RuntimeError" in facts.apple.reason


# ---------------------------------------------------------------------------- one deadline per probe


def test_bad_timeouts_are_refused():
    door = RecordedDoor(MACHINES_DIR / "debian12-no-gpu")
    for bad in (math.nan, math.inf, 0, -1.0):
        with pytest.raises(ValueError):
            ProbeContext(door, timeout=bad)


def test_a_command_past_the_deadline_is_not_run_and_says_so(tmp_path):
    door = make_machine(tmp_path, which={"uv": "/usr/bin/uv"},
                        commands=[{"argv": ["/usr/bin/uv", "--version"], "returncode": 0, "stdout": "uv 0.13.9\n"}])
    assert ProbeContext(door, timeout=5).run(["/usr/bin/uv", "--version"]).succeeded
    spent = ProbeContext(door, timeout=5, deadline=time.monotonic() - 1)
    result = spent.run(["/usr/bin/uv", "--version"])
    assert (result.status, result.error) == ("timed_out", "not run: the probe's 5 s budget was spent before it")
    assert attempt_from("uv --version", result).detail == result.error


def test_every_section_of_collect_gets_its_own_budget():
    ctx = ProbeContext(RecordedDoor(MACHINES_DIR / "debian12-no-gpu"), timeout=3, deadline=time.monotonic() - 1)
    again = ctx.for_probe()
    assert again.time_left() > 2 and again._shared is ctx._shared


@posix_only
def test_nvidia_smi_refusing_field_after_field_then_hanging_stays_within_one_budget(tmp_path):
    """Each query names a refused field after a pause, so the probe retries with one field fewer each
    time (seven times before): the retries share the probe's one budget instead of getting it each.
    The bare table call hangs."""
    bin_dir = tmp_path / "bin"
    script(bin_dir, "nvidia-smi", """case "$1" in
  --query-gpu=*) fields="${1#--query-gpu=}"; sleep 1.5; echo "Field \\"${fields%%,*}\\" is not a valid field to query."; exit 2;;
  *) exec sleep 1000;;
esac
""")
    timeout = 2.0
    facts = probe_in_child("nvidia", timeout, bin_dir)
    queries = attempts(facts, "nvidia-smi --query-gpu")
    assert facts["status"] == "timed_out"
    assert queries[-1]["status"] == "timed_out"
    assert all(a["status"] == "error" for a in queries[:-1])
    # The old retry loop gave each retry the full timeout: 7 x 1.5 s here. One budget: about 2 s.
    assert sum(a["duration_s"] for a in queries) <= timeout + 2.0
    (table,) = attempts(facts, "nvidia-smi")
    assert table["status"] == "timed_out"


@posix_only
def test_a_hung_nvidia_smi_is_timed_out_with_the_driver_from_proc(tmp_path):
    bin_dir = tmp_path / "bin"
    script(bin_dir, "nvidia-smi", "exec sleep 1000\n")
    facts = probe_in_child("nvidia", 1.0, bin_dir)
    assert facts["status"] == "timed_out"
    for source in ("nvidia-smi", "nvidia-smi --query-gpu"):
        (attempt,) = attempts(facts, source)
        assert attempt["status"] == "timed_out"
        assert attempt["duration_s"] <= 1.0 + 2.0  # the command's own deadline, plus the kill


@posix_only
def test_hung_nvcc_on_path_leaves_the_active_toolkit_unknown(tmp_path):
    """A CUDA_HOME toolkit must not be marked active in place of the nvcc on PATH that hung."""
    bin_dir = tmp_path / "bin"
    script(bin_dir, "nvcc", "exec sleep 1000\n")
    home = tmp_path / "cuda-12.4"
    home.mkdir()
    (home / "version.json").write_text('{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}')
    facts = probe_in_child("cuda", 1.0, bin_dir, CUDA_HOME=str(home))
    (hung,) = attempts(facts, f"{bin_dir / 'nvcc'} --version")
    assert hung["status"] == "timed_out"
    assert "the nvcc on PATH is the active toolkit, and its version is unknown" in hung["detail"]
    assert [(t["version"], t["active"]) for t in facts["toolkits"] if t["path"] == str(home)] == [("12.4.1", False)]
    assert not any(t["active"] for t in facts["toolkits"])


@posix_only
def test_hung_nvcc_inside_a_toolkit_still_names_that_toolkit(tmp_path):
    home = tmp_path / "cuda-12.4"
    script(home / "bin", "nvcc", "exec sleep 1000\n")
    (home / "version.json").write_text('{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}')
    facts = probe_in_child("cuda", 1.0, home / "bin", CUDA_HOME=str(home))
    (hung,) = attempts(facts, f"{home / 'bin' / 'nvcc'} --version")
    assert hung["status"] == "timed_out"
    assert f"the nvcc on PATH is the toolkit at {home}" in hung["detail"]
    (toolkit,) = [t for t in facts["toolkits"] if t["path"] == str(home)]
    assert (toolkit["version"], toolkit["active"], toolkit["nvcc_path"]) == ("12.4.1", True, str(home / "bin" / "nvcc"))


@posix_only
def test_hung_rocminfo_is_a_timed_out_rocm(tmp_path):
    """rocminfo hangs; rocm-smi would answer, but the probe's budget is spent: ROCm is timed_out."""
    bin_dir = tmp_path / "bin"
    script(bin_dir, "rocminfo", "exec sleep 1000\n")
    script(bin_dir, "rocm-smi", "echo 'GPU[0]\t\t: Card series: \t\tAMD Instinct MI250X'\n")
    root = tmp_path / "rocm"
    (root / ".info").mkdir(parents=True)
    (root / ".info" / "version").write_text("6.2.4-120\n")
    facts = probe_in_child("rocm", 1.0, bin_dir, ROCM_PATH=str(root))
    assert (facts["status"], facts["version"], facts["gpus"]) == ("timed_out", "6.2.4", [])
    (hung,) = attempts(facts, "rocminfo")
    assert hung["status"] == "timed_out"
    (skipped,) = attempts(facts, "rocm-smi --showproductname")
    assert skipped["status"] == "timed_out" and skipped["detail"].startswith("not run")


def test_recorded_hung_rocminfo_without_fallback_is_timed_out(tmp_path):
    door = make_machine(tmp_path, files={"/opt/rocm/.info/version": "6.2.4-120\n"},
                        which={"rocminfo": "/opt/rocm/bin/rocminfo"},
                        commands=[{"argv": ["/opt/rocm/bin/rocminfo"], "status": "timed_out"}])
    facts = rocm.probe(ProbeContext(door, timeout=2))
    assert facts.status == "timed_out"
    assert [a.status for a in facts.attempts if a.source == "rocminfo"] == ["timed_out"]


# ---------------------------------------------------------------------------- output cut off


def test_a_truncated_output_is_said_in_the_attempt():
    cut = CommandResult(("nvidia-smi",), "ok", 0, "x", duration_s=0.1, truncated=True)
    attempt = attempt_from("nvidia-smi", cut, "CUDA 12.2")
    assert (attempt.status, attempt.detail) == ("ok", f"CUDA 12.2; output truncated at {OUTPUT_LIMIT} bytes")
    failed = CommandResult(("nvidia-smi",), "timed_out", None, "x", duration_s=2.0, truncated=True)
    assert attempt_from("nvidia-smi", failed).detail == f"timed out after 2.0 s; output truncated at {OUTPUT_LIMIT} bytes"


def test_a_recorded_truncated_query_reaches_the_nvidia_attempts(tmp_path):
    smi = "/usr/bin/nvidia-smi"
    query = [smi, f"--query-gpu={','.join(nvidia.QUERY_FIELDS)}", "--format=csv,noheader,nounits"]
    row = "0, NVIDIA GeForce RTX 3090, GPU-1, 24576, 8.6, 535.183.01, [N/A], 00000000:01:00.0\n"
    door = make_machine(tmp_path, which={"nvidia-smi": smi},
                        commands=[{"argv": [smi], "returncode": 0, "stdout": ""},
                                  {"argv": query, "returncode": 0, "stdout": row, "truncated": True}])
    facts = nvidia.probe(ProbeContext(door, timeout=2))
    (attempt,) = [a for a in facts.attempts if a.source == "nvidia-smi --query-gpu"]
    assert attempt.detail == f"1 GPU(s); output truncated at {OUTPUT_LIMIT} bytes"


# ---------------------------------------------------------------------------- parsers stay linear

MEGABYTE = 1024 * 1024

# (module, parser, text builder): the worst shape found for each parser, including the ones that were
# quadratic (os-release through shlex; backtracking regexes in rocm-smi, cuDNN headers, sycl-ls,
# xpu-smi, --version answers, torch/version.py and /proc/driver/nvidia/version).
ADVERSARIAL = [
    ("system", "parse_os_release", "'A=\"' + '\"' * M"),
    ("system", "parse_os_release", "'A=' + '\\\\$' * M"),
    ("system", "parse_os_release", "'A=\"' + '\\\\$' * M"),
    ("system", "parse_cpuinfo", "'flags\\t: ' + 'avx ' * (M // 4)"),
    ("nvidia", "parse_smi_header", "'NVIDIA-SMI Driver Version: ' * (M // 27)"),
    ("nvidia", "parse_smi_query", "'\"' + 'a,' * (M // 2)"),
    ("nvidia", "rejected_field", "'Field \"' * (M // 7)"),
    ("nvidia", "parse_nvml_library_version", "'NVML library version: ' * (M // 22)"),
    ("nvidia", "parse_proc_driver_version", "'NVRM version: ' * (M // 14)"),
    ("nvidia", "classify_smi_failure", "'x' * M"),
    ("rocm", "parse_rocminfo", "'Agent 1\\n  Name: ' + ' ' * M"),
    ("rocm", "parse_rocm_smi_product", "'GPU[0]: ' + ' ' * M"),
    ("rocm", "parse_amd_smi_asic_json", "'[' * M"),
    ("cuda", "parse_nvcc_version", "'release ' * (M // 8)"),
    ("cuda", "parse_version_json", "'[' * M"),
    ("cudnn", "parse_cudnn_header", "'#define CUDNN_MAJOR ' + '\\n' * M"),
    ("xpu", "parse_sycl_ls", "'[level_zero:gpu] a, b' + ' ' * M + 'x'"),
    ("xpu", "parse_xpu_smi_discovery", "'Device Name: a' + ' ' * M + 'x'"),
    ("python", "parse_tool_version", "'uv ' + '1' * M"),
    ("python", "parse_pyinfo", "'{\"pyinfo\": 1, \"x\": ' + '[' * M"),
    ("torch_install", "parse_torch_version_py", "\"__version__ = '\" + ' ' * M + 'x'"),
]


@pytest.mark.parametrize("module, parser, builder", ADVERSARIAL, ids=[f"{m}.{p}" for m, p, _ in ADVERSARIAL])
def test_parsers_are_linear_on_a_megabyte_of_adversarial_text(module, parser, builder):
    """A quadratic parser takes minutes to hours here (parse_os_release took 25 s per megabyte before);
    a linear one a second at most. The child's deadline turns the first into a failure."""
    code = (f"from envdoctor.probes import {module} as m\nM = {MEGABYTE}\n"
            f"m.{parser}({builder})\nprint('done')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=20,
                          check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "done"), done.stderr[-2000:]
