"""A Python session that answered ``torch.cuda.is_available()`` False: the finding names what the paste knows of
the build and asks for what tells the causes apart (nvidia-smi), unless a message in the paste already names
the cause. The real session is pytorch/pytorch#31243 (tests/fixtures/repl, whose README gives the source: the
thread found the driver too old); the others are assembled, and say so. Expected values are written by hand."""

from __future__ import annotations

from conftest import FIXTURES_DIR

from envdoctor import paste_rules
from envdoctor.facts import Finding
from envdoctor.readers.pastes import read_paste

COMPAT = "source: https://docs.nvidia.com/deploy/cuda-compatibility/"
CAUSES_UNKNOWN_BUILD = (
    "torch.cuda.is_available() answered False and nothing in the paste says why: the usual causes are a CPU-only "
    "torch, no NVIDIA driver, a driver too old for torch's CUDA, or no GPU visible to the process "
    "(CUDA_VISIBLE_DEVICES, a container started without GPUs)")


def causes(text: str) -> list[Finding]:
    return paste_rules.evaluate(read_paste(text))


def test_the_real_session_with_no_build_shown_asks_for_the_build_and_nvidia_smi():
    found = causes((FIXTURES_DIR / "repl" / "pytorch-31243.txt").read_text(encoding="utf-8"))
    assert found == [Finding(
        "paste.cuda-unavailable", "error", "torch", CAUSES_UNKNOWN_BUILD,
        fix="add to the paste what torch was built with and what nvidia-smi prints on that machine, or run "
            "envdoctor check there",
        commands=[["python", "-c", "import torch; print(torch.__version__, torch.version.cuda)"], ["nvidia-smi"],
                  ["envdoctor", "check"]],
        evidence=["paste line 7: torch.cuda.is_available()", COMPAT], subject="torch")]


def test_a_cuda_build_names_its_cuda_from_the_session_or_the_version():
    # assembled: the session a user types to show their torch
    session = ">>> torch.__version__\n'2.1.0+cu121'\n>>> torch.cuda.is_available()\nFalse\n"
    expected = Finding(
        "paste.cuda-unavailable", "error", "torch",
        "torch 2.1.0+cu121 is built for CUDA 12.1, yet torch.cuda.is_available() answered False and nothing in the "
        "paste says why: the usual causes are no NVIDIA driver, a driver too old for CUDA 12.1, or no GPU visible "
        "to the process (CUDA_VISIBLE_DEVICES, a container started without GPUs)",
        fix="run nvidia-smi on that machine and add what it prints to the paste, or run envdoctor check there",
        commands=[["nvidia-smi"], ["envdoctor", "check"]],
        evidence=["paste line 1: torch.__version__", "paste line 3: torch.cuda.is_available()", COMPAT],
        subject="torch")
    assert causes(session) == [expected]
    # torch.version.cuda printed: its line is evidence too, and its value is the one named
    with_cuda = session + ">>> print(torch.version.cuda)\n12.1\n"
    assert causes(with_cuda) == [Finding(**{**expected.__dict__, "evidence": [
        "paste line 1: torch.__version__", "paste line 5: print(torch.version.cuda)",
        "paste line 3: torch.cuda.is_available()", COMPAT]})]


def test_a_cpu_build_that_found_no_gpu_is_the_cpu_only_build():
    # assembled: a +cpu wheel's session
    found = causes(">>> torch.__version__\n'2.3.1+cpu'\n>>> torch.cuda.is_available()\nFalse\n")
    assert [(f.id, f.message) for f in found] == [(
        "paste.cpu-only-build",
        "the torch that was imported (2.3.1+cpu) is a CPU-only build: it cannot use the GPU (on Windows and macOS "
        "the default PyPI wheel is CPU-only; on Linux a +cpu wheel or conda's cpuonly did it)")]
    assert found[0].evidence[0] == "paste line 3: torch.cuda.is_available()"


def test_a_session_that_found_the_gpu_or_a_message_that_names_the_cause_says_nothing_more():
    # assembled: True is no problem; a driver message in the same paste is the cause, said once
    assert causes(">>> torch.__version__\n'2.1.0+cu121'\n>>> torch.cuda.is_available()\nTrue\n") == []
    driver = ("UserWarning: CUDA initialization: The NVIDIA driver on your system is too old (found version 11040). "
              "Please update your GPU driver by downloading and installing a new version from the URL: "
              "http://www.nvidia.com/Download/index.aspx\n")
    found = causes(">>> import torch\n" + driver + ">>> torch.cuda.is_available()\nFalse\n")
    assert [f.id for f in found] == ["paste.driver-too-old"]


def test_a_session_that_shows_only_torch_s_cuda_names_that_cuda_and_no_version():
    # assembled: the version not asked, the CUDA build printed
    found = causes(">>> print(torch.version.cuda)\n11.8\n>>> torch.cuda.is_available()\nFalse\n")
    assert [(f.id, f.message) for f in found] == [(
        "paste.cuda-unavailable",
        "torch ? is built for CUDA 11.8, yet torch.cuda.is_available() answered False and nothing in the paste says "
        "why: the usual causes are no NVIDIA driver, a driver too old for CUDA 11.8, or no GPU visible to the process "
        "(CUDA_VISIBLE_DEVICES, a container started without GPUs)")]
