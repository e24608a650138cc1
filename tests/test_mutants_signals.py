"""The messages recognised in a paste and the facts they give, compared whole. Expected values are read by hand
from the pastes in tests/fixtures/pastes and the nvidia-smi table in tests/fixtures/nvidia (sources in their
READMEs); the pastes built here are assembled, and say so."""

from __future__ import annotations

import re

from conftest import FIXTURES_DIR

from envdoctor.facts import Distribution, Gpu
from envdoctor.readers.pastes import read_paste
from envdoctor.readers.pastes.signals import PER_KIND, _p, scan
from envdoctor.readers.pastes.unwrap import unwrap

PASTES = FIXTURES_DIR / "pastes"


def paste(name: str) -> str:
    return (PASTES / f"{name}.txt").read_text(encoding="utf-8")


def signals(text: str) -> list[tuple[str, int, dict[str, str]]]:
    return [(s.kind, s.line, s.data) for s in scan(unwrap(text))]


def test_a_missing_library_is_named_by_its_file():
    # 032 line 10: "ImportError: libcudnn.so.8: cannot open shared object file: No such file or directory"
    assert ("missing_library", 10, {"lib": "libcudnn.so.8"}) in signals(paste("032"))
    # assembled: the same message with the library's folder (a Jetson's)
    text = "OSError: /usr/lib/aarch64-linux-gnu/libcudnn.so.8: cannot open shared object file: No such file or directory"
    assert signals(text)[0] == ("missing_library", 1, {"lib": "libcudnn.so.8"})


def test_an_undefined_symbol_names_the_extension_by_path_and_file():
    # 106 line 1, torchaudio's library under dist-packages
    assert signals(paste("106"))[:2] == [
        ("undefined_symbol", 1, {"symbol": "_ZNK3c107SymBool10guard_boolEPKcl", "file": "libtorchaudio.so",
                                 "path": "/usr/local/lib/python3.10/dist-packages/torchaudio/lib/libtorchaudio.so"}),
        ("site_path", 1, {"site": "/usr/local/lib/python3.10/dist-packages"}),
    ]


def test_a_site_packages_path_is_read_from_its_start_or_not_at_all():
    # 026 line 1 holds a relative path ("lib/python3.10/site-packages/..."): no site is named; line 3 an absolute one
    found = signals(paste("026"))
    assert ("site_path", 1, {}) in found and ("site_path", 3, {"site": "/lib/python3.10/site-packages"}) in found
    # 032 line 8: torch's own folder under site-packages
    assert ("torch_path", 8, {"site": "/home/hope/miniconda3/envs/langchain/lib/python3.8/site-packages"}) in signals(
        paste("032"))


def test_two_libraries_missing_are_two_messages():
    # assembled: the same fixed words after two different libraries
    text = ("OSError: libcudnn.so.8: cannot open shared object file: No such file or directory\n"
            "OSError: libcublas.so.11: cannot open shared object file: No such file or directory")
    assert signals(text) == [("missing_library", 1, {"lib": "libcudnn.so.8"}),
                             ("missing_library", 2, {"lib": "libcublas.so.11"})]


def test_a_kind_that_reached_its_limit_leaves_the_others_of_its_keyword():
    # assembled: nine lines each naming a shared site-packages, then an environment's torch folder; the ninth
    # names another shared one. torch_path stops at PER_KIND; site_path (the same keyword) still reads line 9
    text = "\n".join(f'/opt/{"b" if n == 8 else "a"}/site-packages/numpy/core.py ("/envs/e{n}/site-packages/torch/x.py")'
                     for n in range(9))
    found = [(kind, line, data.get("site")) for kind, line, data in signals(text) if kind.endswith("_path")]
    assert PER_KIND == 8
    assert [f for f in found if f[0] == "site_path"] == [("site_path", 1, "/opt/a/site-packages"),
                                                         ("site_path", 9, "/opt/b/site-packages")]
    assert [f for f in found if f[0] == "torch_path"] == [("torch_path", n + 1, f"/envs/e{n}/site-packages")
                                                          for n in range(8)]


def test_a_signal_quotes_its_line_up_to_300_characters():
    # 031 line 3 is 301 characters long (the compiler versions message)
    line = paste("031").split("\n")[2]
    (signal,) = [s for s in scan(unwrap(paste("031"))) if s.kind == "compiler_too_new"]
    assert len(line) == 301 and signal.quote == line[:300] and signal.quote.endswith("<=10.0.0)")


def test_patterns_ignore_case():
    assert _p(r"Torch not compiled with CUDA enabled").flags & re.IGNORECASE


# --- what the signals become (readers/pastes/__init__.py) ---

def test_a_gpu_named_by_torchs_warning_is_a_whole_gpu():
    # 004 line 2: "NVIDIA GeForce RTX 5060 Ti with CUDA capability sm_120 is not compatible ..."
    reading = read_paste(paste("004"))
    assert reading.facts.nvidia.gpus == [Gpu("nvidia", 0, "NVIDIA GeForce RTX 5060 Ti", compute_capability="12.0",
                                             arch="sm_120", source="paste line 2")]
    assert reading.said == ["OS Linux", "Python 3.11 (line 1)",
                            "GPU NVIDIA GeForce RTX 5060 Ti (compute capability 12.0, line 2)"]


def test_an_architecture_suffix_is_not_part_of_the_compute_capability():
    # assembled: sm_90a is compute capability 9.0 with its architecture-specific features
    text = "NVIDIA H100 80GB HBM3 with CUDA capability sm_90a is not compatible with the current PyTorch installation."
    (gpu,) = read_paste(text).facts.nvidia.gpus
    assert (gpu.name, gpu.compute_capability) == ("NVIDIA H100 80GB HBM3", "9.0")


def test_nvidia_smis_header_gives_the_driver_and_its_cuda():
    # a real 4x A10 table, pasted alone: its line 3 reads "Driver Version: 535.183.01   CUDA Version: 12.2"
    reading = read_paste((FIXTURES_DIR / "nvidia" / "smi-table-535.183.01-4xA10.txt").read_text(encoding="utf-8"))
    nvidia = reading.facts.nvidia
    assert (nvidia.driver_version, nvidia.driver_max_cuda, nvidia.status) == ("535.183.01", "12.2", "unknown")
    assert reading.said == ["OS Linux", "driver 535.183.01 (line 3)"]  # Linux: its process list's /usr/lib/xorg/Xorg


def test_the_os_of_a_paste():
    # 051 (sidecar: macos) names /Users/ and no MPS
    assert read_paste(paste("051")).facts.os.system == "Darwin"
    # assembled: 040's paste with the thread's fix line above it
    reading = read_paste("LD_LIBRARY_PATH=/usr/lib/wsl/lib python\n" + paste("040"))
    assert (reading.facts.os.system, reading.facts.os.wsl) == ("Linux", "wsl2")
    assert reading.said[0] == "OS Linux (WSL 2)"
    # assembled: a Jetson's library folder is Linux on aarch64
    jetson = read_paste("OSError: /usr/lib/aarch64-linux-gnu/libcudnn.so.8: cannot open shared object file")
    assert (jetson.facts.os.system, jetson.facts.os.arch) == ("Linux", "aarch64")


WINDOWS_REPL = r"""PS C:\Users\me> .\venv\Scripts\python.exe
Python 3.11.4 (tags/v3.11.4:d2340ef, Jun  7 2023, 05:45:37) [MSC v.1934 64 bit (AMD64)] on win32
Type "help", "copyright", "credits" or "license" for more information.
>>> exit()
PS C:\Users\me> .\venv\Scripts\pip.exe list
Package    Version
---------- ---------
torch      2.1.0+cpu"""


def test_a_windows_repl_gives_the_os_the_python_and_torch():
    # assembled: CPython's Windows banner, then pip's list
    reading = read_paste(WINDOWS_REPL)
    facts = reading.facts
    assert (facts.os.system, facts.os.arch) == ("Windows", "x86_64")
    assert (facts.python.version, facts.python.source) == ("3.11.4", "paste line 2")
    assert (facts.torch.version, facts.torch.local, facts.torch.source) == ("2.1.0+cpu", "cpu", "paste line 8")
    assert reading.said == ["OS Windows", "Python 3.11.4 (line 2)", "torch 2.1.0+cpu (paste line 8)"]


def test_a_wheel_name_gives_the_python_and_torch():
    # assembled: pip refusing a wheel for another Python
    reading = read_paste(r"ERROR: torch-2.1.0+cu121-cp311-cp311-win_amd64.whl is not a supported wheel on this platform.")
    assert (reading.facts.python.version, reading.facts.torch.version) == ("3.11", "2.1.0+cu121")


def test_conda_lists_pytorch_as_a_whole_install():
    # 050 line 23: "pytorch  1.11.0  py3.8_cpu_0  pytorch"; 051 line 6: "pytorch  0.2.0  py36_4cu75  soumith"
    assert read_paste(paste("050")).facts.torch.installs == [
        Distribution("torch", "1.11.0", source="paste line 23", build="py3.8_cpu_0", channel="pytorch", installer="conda")]
    assert read_paste(paste("051")).facts.torch.installs == [
        Distribution("torch", "0.2.0", source="paste line 6", build="py36_4cu75", channel="soumith", installer="conda")]


def test_a_rocm_gpu_is_named_by_its_gfx_target():
    # 101 line 1: rocBLAS "... for GPU arch : gfx1103"
    assert read_paste(paste("101")).facts.rocm.gpus == [Gpu("amd", 0, "gfx1103", arch="gfx1103", source="paste line 1")]
    # assembled: rocminfo's lines above torch's error
    text = ("  Name:                    gfx1031\n  Marketing Name:          AMD Radeon RX 6700 XT\n"
            "RuntimeError: No HIP GPUs are available")
    assert read_paste(text).facts.rocm.gpus == [Gpu("amd", 0, "AMD Radeon 6700 XT", arch="gfx1031",
                                                    source="paste line 1")]


def test_torch_2_11_s_list_keeps_every_architecture_and_stops_at_its_own_limit():
    # assembled: torch 2.11's "which supports hardware CC" lines (tests/test_mutants_gpu_architecture.py quotes real
    # ones) for 40 architectures, more than any build has: the first 32 are kept, where any other kind keeps 8
    text = "\n".join(f"- {major}.{minor} which supports hardware CC >={major}.{minor},<{major + 1}.0"
                     for major in range(5, 13) for minor in range(5))
    found = [(kind, line, data) for kind, line, data in signals(text)]
    assert found == [("cc_built", n + 1, {"list": f"{5 + n // 5}.{n % 5}"}) for n in range(32)]


def test_one_expression_answered_twice_differently_is_two_signals():
    # assembled: a session that asks again after installing another build
    text = (">>> torch.cuda.is_available()\nFalse\n>>> # pip install torch --index-url .../cu126, restart\n"
            ">>> torch.cuda.is_available()\nTrue\n")
    assert [(s.kind, s.line, s.data) for s in read_paste(text).signals if s.kind == "cuda_available"] == [
        ("cuda_available", 1, {"available": "False"}), ("cuda_available", 4, {"available": "True"})]


def test_a_message_already_seen_on_a_line_leaves_the_other_messages_of_that_line():
    # assembled: torch's message that no driver was found, then a line repeating it beside the CPU build's assertion
    text = ("RuntimeError: Found no NVIDIA driver on your system.\n"
            "Found no NVIDIA driver on your system; AssertionError: Torch not compiled with CUDA enabled\n")
    assert [(kind, line) for kind, line, _data in signals(text)] == [("no_driver", 1), ("cpu_build", 2)]


def test_a_session_s_answers_are_kept_up_to_the_limit_too():
    # assembled: a session asking torch.__version__ after each of ten installs; only the first PER_KIND answers are kept
    text = "".join(f">>> torch.__version__\n'2.{n}.0+cpu'\n" for n in range(10))
    assert [(s.line, s.data) for s in read_paste(text).signals if s.kind == "torch_version"] == [
        (2 * n + 1, {"version": f"2.{n}.0+cpu"}) for n in range(PER_KIND)]


def test_torch_2_11_s_list_lines_are_read_back_from_their_fixed_words():
    # assembled hostile paste: 2,000 lines of 3,900 digits before the list line's fixed words (8 MB, the input limit).
    # The architecture is read backwards from " which supports hardware CC", at most BEFORE characters: a pattern
    # that tried a number at every column would backtrack over each line's digits from each of them (about a minute)
    line = "1" * 3900 + " which supports hardware CC >=8.0,<9.0"
    assert [(kind, number, data) for kind, number, data in signals("\n".join([line] * 2000))] == [
        ("cc_built", 1, {"list": "1" * 300})]
