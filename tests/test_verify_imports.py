"""verify's NumPy check, its imports of compiled extensions and its progress line, with the real CPU torch.

NumPy missing is the test interpreter itself (it has none); NumPy present is a fresh venv with numpy
from PyPI and the test interpreter's torch on its path. The extensions are the assembled fakes in
tests/fake_extensions (see its README); the progress line is read from a real pseudo-terminal.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import venv_beside_torch

from envdoctor.extensions import builtin_catalog, extension_imports, import_failure, import_name
from envdoctor.facts import Check, ExtensionFacts, Facts, InstalledExtension, TorchFacts
from envdoctor.verify.progress import CLEAR_LINE
from envdoctor.verify.runner import Progress, ProgressFeed, judge_numpy, numpy_requirement

ROOT = Path(__file__).resolve().parent.parent
FAKES = Path(__file__).resolve().parent / "fake_extensions"
PASTES = Path("/work/shared/reference/real-pastes")


def cli_env(*extra_path: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *extra_path])
    return env


def verify_json(*args: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-m", "envdoctor", "verify", "--json", *args], env=env,
                          capture_output=True, text=True, timeout=300)
    return json.loads(done.stdout) | {"stderr": done.stderr}


def by_id(report: dict) -> dict[str, dict]:
    return {check["id"]: check for check in report["checks"]}


# ---------------------------------------------------------------------------- live: fakes beside the real torch


@pytest.fixture(scope="module")
def fakes_run() -> dict:
    """verify --level quick in the test interpreter (no NumPy), the fake extensions on PYTHONPATH; --timeout 60
    gives each import min(60, 60 / 2) = 30 s, and the other checks the other 30 s even on a loaded machine."""
    return verify_json("--level", "quick", "--timeout", "60", env=cli_env(str(FAKES)))


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_missing_numpy_is_a_warning_with_the_fix(fakes_run):
    numpy = by_id(fakes_run)["numpy"]
    assert numpy["status"] == "warn"
    assert numpy["message"] == ("NumPy is not installed: torch works, but tensor.numpy(), DataLoader collation of "
                                "numpy arrays and most tutorials fail -> pip install numpy")
    assert numpy["details"]["error"] == "ModuleNotFoundError: No module named 'numpy'"
    assert numpy["details"]["fix"] == "pip install numpy"
    assert by_id(fakes_run)["cpu.tutorial.autograd"]["status"] == "pass"


@pytest.mark.needs_torch
def test_an_extension_that_loads_passes(fakes_run):
    check = by_id(fakes_run)["extension.torch-scatter"]
    assert (check["status"], check["message"], check["title"]) == ("pass", "import torch_scatter", "import torch_scatter")


@pytest.mark.needs_torch
def test_an_extension_built_for_another_torch_names_the_cause_and_fix(fakes_run):
    check = by_id(fakes_run)["extension.flash-attn"]
    error = ("ImportError: /lib/python3.10/site-packages/flash_attn_2_cuda.cpython-310-x86_64-linux-gnu.so: "
             "undefined symbol: _ZN3c104cuda9SetDeviceEi")
    fix = "flash-attn needs a CUDA torch: install one first, then flash-attn"
    assert check["status"] == "fail"
    assert check["details"]["error"] == error
    assert check["details"]["cause"] == "built for another torch (a libtorch symbol it needs is missing)"
    assert check["details"]["fix"] == fix
    assert check["message"] == (f"flash-attn cannot be loaded: built for another torch (a libtorch symbol it needs "
                                f"is missing) ({error!r}) -> {fix}")


@pytest.mark.needs_torch
def test_an_extension_that_hangs_is_killed_at_its_deadline(fakes_run):
    check = by_id(fakes_run)["extension.xformers"]
    assert check["status"] == "fail"
    assert check["details"]["timed_out"] is True
    assert check["details"]["time_limit_s"] == 30.0
    assert check["message"] == ("import xformers did not finish within 30 s and was killed: it hangs on import; "
                                "reinstall xformers for this torch")
    assert fakes_run["exit_code"] == 1
    assert fakes_run["summary"]["warn"] == 1


@pytest.mark.needs_torch
def test_no_progress_when_stderr_is_not_a_terminal(fakes_run):
    assert "verify: [" not in fakes_run["stderr"]
    assert "\x1b[K" not in fakes_run["stderr"]


# ---------------------------------------------------------------------------- live: NumPy present


@pytest.fixture(scope="module")
def numpy_python(tmp_path_factory) -> str:
    """A venv with numpy from PyPI, the test interpreter's site-packages (torch) after its own."""
    python = venv_beside_torch(tmp_path_factory.mktemp("numpy-venv") / "venv")
    installed = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "numpy"],
                               capture_output=True, text=True, timeout=240)
    if installed.returncode != 0:
        pytest.skip(f"numpy could not be installed from PyPI: {installed.stderr.strip()[-300:]}")
    return python


@pytest.mark.needs_torch
def test_installed_numpy_passes_with_its_version(numpy_python):
    version = subprocess.run([numpy_python, "-c", "import numpy; print(numpy.__version__)"],
                             capture_output=True, text=True, timeout=60).stdout.strip()
    report = verify_json("--level", "quick", "--python", numpy_python, env=cli_env())
    numpy = by_id(report)["numpy"]
    assert numpy["status"] == "pass", numpy
    assert numpy["details"]["version"] == version
    assert numpy["message"] == f"NumPy {version}: tensor.numpy() and torch.from_numpy() round trip"


# ---------------------------------------------------------------------------- live: the progress line on a pty


def run_on_pty(*args: str) -> tuple[str, str]:
    """(stdout, what the terminal on stderr received) of one CLI run."""
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "envdoctor", "verify", *args], env=cli_env(),
                               stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    received = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal is gone
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    stdout = process.stdout.read().decode() if process.stdout else ""
    process.wait(timeout=300)
    return stdout, received.decode("utf-8", "replace")


def progress_lines(terminal: str) -> list[str]:
    return [part.strip() for part in terminal.split(CLEAR_LINE) if part.strip().startswith("verify: [")]


@pytest.mark.needs_torch
def test_quick_shows_each_stage_n_of_m_on_a_terminal():
    _, terminal = run_on_pty("--level", "quick")
    shown = [line.rsplit(" · ", 1) for line in progress_lines(terminal)]
    # quick, no extensions: import, build, NumPy, devices, then the CPU's matmul and the tutorial's autograd
    assert [text for text, _ in shown] == ["verify: [1/?] import torch", "verify: [2/?] build info",
                                           "verify: [3/?] NumPy", "verify: [4/?] devices",
                                           "verify: [5/6] cpu: matmul float32", "verify: [6/6] cpu: tutorial autograd"]
    assert all(took.endswith(" s") and took[:-2].isdigit() for _, took in shown)
    assert terminal.endswith(CLEAR_LINE)  # the line is cleared before the report


@pytest.mark.needs_torch
def test_standard_counts_every_check_it_runs_on_a_terminal():
    _, terminal = run_on_pty("--level", "standard", "--device", "cpu")
    steps = [line.split("]")[0][len("verify: ["):] for line in progress_lines(terminal)]
    total = steps[-1].split("/")[1]
    assert [step.split("/")[0] for step in steps] == [str(n) for n in range(1, int(total) + 1)]
    # 4 before the devices, then the CPU: alloc, copy, matmul float32/float16/bfloat16, autograd, gradcheck,
    # conv2d, tutorial, sgd, amp, loader, perf float32/bfloat16
    assert total == "18"
    assert steps[:4] == ["1/?", "2/?", "3/?", "4/?"] and steps[4] == "5/18"


@pytest.mark.needs_torch
def test_json_never_shows_progress_even_on_a_terminal():
    stdout, terminal = run_on_pty("--level", "quick", "--json")
    assert json.loads(stdout)["command"] == "verify"
    assert progress_lines(terminal) == [] and CLEAR_LINE not in terminal


# ---------------------------------------------------------------------------- pure parts


def test_progress_feed_keeps_this_runs_progress_events_across_chunks():
    shown: list[Progress | None] = []
    feed = ProgressFeed("n1", shown.append)
    lines = (b'{"event": "progress", "step": 1, "total": null, "title": "import torch", "nonce": "n1"}\n'
             b'{"event": "progress", "step": 2, "total": 9, "title": "forged", "nonce": "other"}\n'
             b'{"event": "start", "id": "import", "nonce": "n1"}\nnot json\n'
             b'{"event": "progress", "step": 3, "total": 9, "title": "devices", "nonce": "n1"}\n')
    for start in range(0, len(lines), 7):  # torn at every 7th byte
        feed.add(lines[start:start + 7])
    assert [(p.step, p.total, p.title) for p in shown if p] == [(1, None, "import torch"), (3, 9, "devices")]


@pytest.mark.parametrize(("torch", "platform", "requires", "expected"), [
    # pytorch/pytorch#131668: the 2.4.0 Windows wheels were compiled against NumPy 1.x (fixed after 2.4.0)
    ("2.4.0+cu121", "win32", [], ("numpy<2", "pytorch/pytorch/issues/131668")),
    ("2.4.0", "win32", [], ("numpy<2", "pytorch/pytorch/issues/131668")),
    ("2.4.1", "win32", [], ("numpy", "")),
    ("2.4.0", "linux", [], ("numpy", "")),
    ("2.13.0", "linux", ["numpy<3,>=1.22; extra == 'numpy'"], ("numpy<3,>=1.22", "torch's Requires-Dist")),
])
def test_numpy_requirement_comes_from_metadata_or_the_known_pin(torch, platform, requires, expected):
    requirement, source = numpy_requirement({"torch": torch}, {"platform": platform, "torch_requires": requires})
    assert requirement == expected[0]
    assert expected[1] in source and (source == "") == (expected[1] == "")


def test_a_windows_2_4_0_torch_without_numpy_is_told_numpy_below_2():
    check = Check("numpy", "fail", "NumPy", "ModuleNotFoundError: No module named 'numpy'",
                  details={"version": None, "platform": "win32", "torch_requires": []})
    judge_numpy(check, {"torch": "2.4.0+cpu"})
    assert check.status == "warn"
    assert check.details["fix"] == "pip install 'numpy<2'"
    assert check.message.endswith("-> pip install 'numpy<2'")


def test_a_broken_numpy_bridge_stays_a_failure():
    check = Check("numpy", "fail", "NumPy", "RuntimeError: Numpy is not available",
                  details={"version": "2.0.1", "platform": "win32", "torch_requires": []})
    judge_numpy(check, {"torch": "2.4.0"})
    assert check.status == "fail"
    assert check.message == "RuntimeError: Numpy is not available -> pip install 'numpy<2'"


def torch_facts(version: str, cuda: str | None, *installed: InstalledExtension) -> Facts:
    facts = Facts()
    facts.torch = TorchFacts(status="ok", version=version, cuda=cuda)
    facts.extensions = ExtensionFacts(status="ok", installed=list(installed))
    return facts


def test_the_parent_imports_each_compiled_extension_once_by_its_module_name():
    catalog = builtin_catalog()
    facts = torch_facts("2.5.1+cu124", "12.4",
                        InstalledExtension("torch-scatter", "2.1.2+pt25cu124"),
                        InstalledExtension("torch-sparse", "0.6.18+pt25cu124"),
                        InstalledExtension("deepspeed", "0.15.0"),  # compiled = false: kernels built when used
                        InstalledExtension("pytorch-triton", "3.1.0"),
                        InstalledExtension("triton", "3.1.0"))
    assert extension_imports(facts, catalog) == [("torch-scatter", "torch_scatter"), ("torch-sparse", "torch_sparse"),
                                                 ("pytorch-triton", "triton")]
    assert import_name(catalog.by_dist("mmcv-full"), "mmcv-full") == "mmcv"
    assert extension_imports(None, catalog) == []


def test_import_failures_are_read_for_their_cause():
    catalog = builtin_catalog()
    facts = torch_facts("2.5.1+cu124", "12.4", InstalledExtension("torch-scatter", "2.1.2+pt24cu121"))
    symbol = (PASTES / "026.txt").read_text(encoding="utf-8").splitlines()[2] if PASTES.exists() else (
        "ImportError: /lib/python3.10/site-packages/flash_attn_2_cuda.cpython-310-x86_64-linux-gnu.so: "
        "undefined symbol: _ZN3c104cuda9SetDeviceEi")
    fix = ("pip install --force-reinstall --no-deps torch-scatter -f https://data.pyg.org/whl/torch-2.5.0+cu124.html "
           "(the PyG wheels built for torch 2.5.1+cu124)")
    assert import_failure("torch-scatter", symbol, facts, catalog) == (
        "built for another torch (a libtorch symbol it needs is missing)", fix)
    # /work/shared/reference/real-pastes/032.txt
    cause, cuda_fix = import_failure("torch-scatter", "ImportError: libcudnn.so.8: cannot open shared object file: "
                                     "No such file or directory", facts, catalog)
    assert cause == "a CUDA runtime library it was built against cannot be loaded (libcudnn.so.8)"
    assert cuda_fix == f"install the torch-scatter build for this torch (CUDA 12.4), or the CUDA runtime it names; {fix}"
    # libcuda.so is the driver's library (real-pastes/040.txt), not a runtime one
    assert import_failure("torch-scatter", "OSError: libcuda.so: cannot open shared object file: No such file or "
                          "directory", facts, catalog) == ("it cannot be imported", fix)
