"""torch's GPU architecture warnings read from a paste: ``named_gpu`` (the GPU the warning names) and the rule
``gpu_architecture`` (the GPU is newer than the build's newest kernels, or older than its oldest).

The warnings are torch's own text (torch/cuda/__init__.py in the PyTorch repository):

- ``_check_cubins``: "{name} with CUDA capability sm_{XY} is not compatible with the current PyTorch installation.
  The current PyTorch install supports CUDA capabilities {arch list}." (the same words from torch 1.x on);
- ``_check_capability`` up to torch 2.7: "Found GPU{i} {name} which is of cuda capability {X.Y}. PyTorch no longer
  supports this GPU because it is too old. The minimum cuda capability that we support is 3.5." (torch 1.x), later
  "... supported by this library is {X.Y}." (torch 2.7.0+cu128 in turboderp-org/exllamav2#786);
- ``_check_capability`` in torch 2.9: "Found GPU{i} {name} which is of cuda capability {X.Y}. Minimum and Maximum
  cuda capability supported by this version of PyTorch is ({min}) - ({max})", said when the GPU is below the
  minimum or above the maximum.

The pastes are the real ones of tests/fixtures/pastes (sources in its README) and real logs cited beside each
text; a text assembled by hand says so and what it stands for. Each finding is compared whole.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES_DIR

from envdoctor import paste_rules
from envdoctor.facts import Finding
from envdoctor.readers.pastes import read_paste

PASTES = FIXTURES_DIR / "pastes"
INSTALL = [["envdoctor", "install", "--dry-run"], ["envdoctor", "install"]]
LOCALLY = "source: https://pytorch.org/get-started/locally/"
PREVIOUS = "source: https://pytorch.org/get-started/previous-versions/"
BINARY = "source: https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#binary-compatibility"
NEWER_FIX = "install a torch build for a CUDA new enough to have kernels for this GPU"
OLDER_FIX = ("install an older torch release whose wheels still include this architecture, build torch from source "
             "with TORCH_CUDA_ARCH_LIST naming it, or run on the CPU")


def architecture(text: str) -> list[Finding]:
    return list(paste_rules.gpu_architecture(read_paste(text), None))


def too_new(message: str, evidence: list[str]) -> Finding:
    return Finding("paste.gpu-too-new", "error", "gpu", message, subject="torch", fix=NEWER_FIX, commands=INSTALL,
                   evidence=[*evidence, LOCALLY])


def harmless(message: str, evidence: list[str]) -> Finding:
    return Finding("paste.gpu-warning-harmless", "info", "gpu", message, subject="torch",
                   fix="nothing to do; `envdoctor verify` on that machine shows the GPU at work",
                   commands=[["envdoctor", "verify"]], evidence=[*evidence, BINARY])


def too_old(message: str, evidence: list[str]) -> Finding:
    return Finding("paste.gpu-too-old", "error", "gpu", message, subject="torch", fix=OLDER_FIX, commands=INSTALL,
                   evidence=[*evidence, PREVIOUS])


# ---------------------------------------------------------------------------- named_gpu

#: Janrupf/stable-diffusion-webui-nix#9 (2025-10-04): torch's warning as journald logs it, each line after the
#: unit's "name[pid]: " prefix; the GPU's name starts after that colon.
JOURNALD = (
    "Oct 04 13:19:39 llm sd-webui-forge-start[394]: /nix/store/a1jmpf3hja9g4rx7lwxza4gwng9vscj5-python3-3.11.13-env/"
    "lib/python3.11/site-packages/torch/cuda/__init__.py:209: UserWarning:\n"
    "Oct 04 13:19:39 llm sd-webui-forge-start[394]: NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not "
    "compatible with the current PyTorch installation.\n"
    "Oct 04 13:19:39 llm sd-webui-forge-start[394]: The current PyTorch install supports CUDA capabilities sm_50 sm_60 "
    "sm_70 sm_75 sm_80 sm_86 sm_90.\n"
)

#: prakritishetty/Synthetic_IMU_Generation_for_Human_Activity_Recognition, "Reading Implementation Plan
#: Artifact.md": a training run's log on a GTX TITAN X (Maxwell, 5.2) with a torch built for sm_75 and newer.
#: The name ends in "X", which no stripping of the quotes around a name may take.
TITAN_X = (
    "/gypsum/work1/zamani/prakriti/Synthetic_IMU_Generation_for_Human_Activity_Recognition/myvenv/lib/python3.12/"
    "site-packages/torch/cuda/__init__.py:489: UserWarning: \n"
    "NVIDIA GeForce GTX TITAN X with CUDA capability sm_52 is not compatible with the current PyTorch installation.\n"
    "The current PyTorch install supports CUDA capabilities sm_75 sm_80 sm_86 sm_90 sm_100 sm_120.\n"
    "If you want to use the NVIDIA GeForce GTX TITAN X GPU with PyTorch, please check the instructions at "
    "https://pytorch.org/get-started/locally/\n"
)

#: Assembled: paste 012's first line with the GPU's name in quotes, as a reporter quoting the name writes it.
QUOTED_NAME = "    Found GPU0 'GeForce GTX 660 Ti' which is of cuda capability 3.0.\n"


@pytest.mark.parametrize(("name", "gpu"), [
    ("002", "RTX A6000"),
    ("003", "NVIDIA GeForce RTX 3090"),  # the reporter's opening quote is not part of the name
    ("004", "NVIDIA GeForce RTX 5060 Ti"),
    ("012", "GeForce GTX 660 Ti"),
    ("013", "NVIDIA GTX TITAN Black"),  # the message inside a sentence of prose
    ("111", "NVIDIA GeForce GTX 1070 Ti"),  # torch 2.9: the "Found GPU0" message comes first
    ("058", None),  # an NCCL error: no GPU architecture message
])
def test_the_gpu_a_real_paste_names(name, gpu):
    text = (PASTES / f"{name}.txt").read_text(encoding="utf-8")
    assert paste_rules.named_gpu(read_paste(text)) == gpu


@pytest.mark.parametrize(("text", "gpu"), [
    (JOURNALD, "NVIDIA GeForce RTX 5090"),
    (TITAN_X, "NVIDIA GeForce GTX TITAN X"),
    (QUOTED_NAME, "GeForce GTX 660 Ti"),
])
def test_the_gpu_a_log_names(text, gpu):
    assert paste_rules.named_gpu(read_paste(text)) == gpu


# ---------------------------------------------------------------------------- gpu_architecture


def test_torch_2_9_s_found_gpu_message_for_a_gpu_above_the_maximum_is_too_new():
    # mikecastrodemaria/v2up-video-upscaler-pro, SETUP_COMPLETE.md: an RTX 5090 (12.0) under torch 2.9.1+cu126,
    # whose kernels end at sm_90. torch 2.9 says "Found GPU0 ..." on either side of its range: 12.0 is above it.
    text = ("Found GPU0 NVIDIA GeForce RTX 5090 which is of cuda capability 12.0.\n"
            "Minimum and Maximum cuda capability supported by this version of PyTorch is (5.0) - (9.0)\n")
    assert architecture(text) == [too_new(
        "NVIDIA GeForce RTX 5090 (compute capability 12.0) is newer than every architecture this torch build has "
        "kernels for (its newest is sm_90): 'no kernel image is available' at run time",
        ["paste line 1: Found GPU0 NVIDIA GeForce RTX 5090 which is of cuda capability 12.0.",
         "paste line 2: Minimum and Maximum cuda capability supported by this version of PyTorch is (5.0) - (9.0)"])]


def test_a_gpu_below_the_oldest_listed_kernel_in_the_cubins_wording_is_too_old():
    assert architecture(TITAN_X) == [too_old(
        "NVIDIA GeForce GTX TITAN X (compute capability 5.2) is older than the oldest architecture this torch build "
        "was compiled for (7.5) (this build has kernels for sm_75 sm_80 sm_86 sm_90 sm_100 sm_120): its kernels "
        "cannot run there",
        ["paste line 2: NVIDIA GeForce GTX TITAN X with CUDA capability sm_52 is not compatible with the current "
         "PyTorch installation.",
         "paste line 3: The current PyTorch install supports CUDA capabilities sm_75 sm_80 sm_86 sm_90 sm_100 sm_120."])]


def test_a_too_new_warning_cut_off_before_its_kernel_list_names_no_newest_kernel():
    # Assembled: paste 004 (lmoe/wyoming-xtts#1) cut off after its second line, so the build's list is missing.
    text = ("/opt/venv/lib/python3.11/site-packages/torch/cuda/__init__.py:287: UserWarning:\n"
            "NVIDIA GeForce RTX 5060 Ti with CUDA capability sm_120 is not compatible with the current PyTorch "
            "installation.\n")
    assert architecture(text) == [too_new(
        "NVIDIA GeForce RTX 5060 Ti (compute capability 12.0) is newer than every architecture this torch build has "
        "kernels for: 'no kernel image is available' at run time",
        ["paste line 2: NVIDIA GeForce RTX 5060 Ti with CUDA capability sm_120 is not compatible with the current "
         "PyTorch installation."])]


def test_a_too_old_warning_cut_off_before_its_minimum_says_the_oldest_is_unknown():
    # Assembled: paste 012 (alievk/avatarify-python#58) cut off after its first line, so the minimum is missing.
    text = "    Found GPU0 GeForce GTX 660 Ti which is of cuda capability 3.0.\n"
    assert architecture(text) == [too_old(
        "GeForce GTX 660 Ti (compute capability 3.0) is older than the oldest architecture this torch build was "
        "compiled for (?): its kernels cannot run there",
        ["paste line 1: Found GPU0 GeForce GTX 660 Ti which is of cuda capability 3.0."])]


def test_a_quoted_gpu_name_is_said_without_its_quotes():
    assert architecture(QUOTED_NAME) == [too_old(
        "GeForce GTX 660 Ti (compute capability 3.0) is older than the oldest architecture this torch build was "
        "compiled for (?): its kernels cannot run there",
        ["paste line 1: Found GPU0 'GeForce GTX 660 Ti' which is of cuda capability 3.0."])]


def test_a_warning_whose_gpu_name_is_blank_says_the_gpu():
    # Assembled: paste 004's warning on one line with the GPU's name left out (nothing between "UserWarning:" and
    # "with CUDA capability"), as in a paste whose name was cut away.
    line = ("/opt/venv/lib/python3.11/site-packages/torch/cuda/__init__.py:287: UserWarning: with CUDA capability "
            "sm_120 is not compatible with the current PyTorch installation.")
    assert paste_rules.named_gpu(read_paste(line)) == ""
    assert architecture(line) == [too_new(
        "the GPU (compute capability 12.0) is newer than every architecture this torch build has kernels for: "
        "'no kernel image is available' at run time",
        [f"paste line 1: {line}"])]


def test_an_arch_specific_target_keeps_its_letter_in_the_capability():
    # Assembled: torch prints the GPU's sm as a number; this stands for a message naming an arch-specific target
    # (sm_90a, CUDA's "compute capability 9.0a") against the arch list of torch 1.13's CUDA 11.7 wheels.
    text = ("NVIDIA H100 80GB HBM3 with CUDA capability sm_90a is not compatible with the current PyTorch "
            "installation.\n"
            "The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70 sm_75 sm_80 sm_86.\n")
    assert architecture(text) == [too_new(
        "NVIDIA H100 80GB HBM3 (compute capability 9.0a) is newer than every architecture this torch build has "
        "kernels for (its newest is sm_86): 'no kernel image is available' at run time",
        ["paste line 1: NVIDIA H100 80GB HBM3 with CUDA capability sm_90a is not compatible with the current PyTorch "
         "installation.",
         "paste line 2: The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70 sm_75 sm_80 "
         "sm_86."])]


def test_a_paste_without_an_architecture_message_gets_no_finding():
    text = (PASTES / "058.txt").read_text(encoding="utf-8")
    assert architecture(text) == []


def test_torch_2_9_s_found_gpu_message_for_a_gpu_inside_its_range_is_harmless():
    # pytorch/pytorch#164708: a source build (TORCH_CUDA_ARCH_LIST="8.9 9.0+PTX") warns of the RTX 6000 Ada it was
    # built for, at the bottom of its own range; the same session then prints a CUDA tensor.
    text = ("/path/to/torch/cuda/__init__.py:284: UserWarning:\n"
            "    Found GPU0 NVIDIA RTX 6000 Ada Generation which is of cuda capability 8.9.\n"
            "    Minimum and Maximum cuda capability supported by this version of PyTorch is\n"
            "    (8.9) - (9.0)\n"
            "\n"
            "  warnings.warn(\n"
            "tensor([1.], device='cuda:0')\n")
    assert architecture(text) == [harmless(
        "NVIDIA RTX 6000 Ada Generation (compute capability 8.9) runs this torch build's kernels (built for 8.9 - 9.0): "
        "torch's warning about it does not stop it",
        ["paste line 2: Found GPU0 NVIDIA RTX 6000 Ada Generation which is of cuda capability 8.9.",
         "paste line 3: Minimum and Maximum cuda capability supported by this version of PyTorch is"])]


def test_torch_2_9_s_found_gpu_message_at_the_top_of_its_range_is_harmless():
    # Assembled: pytorch/pytorch#164708's warning with the GPU at the top of the range instead (an H100, 9.0, with
    # the same 8.9 - 9.0 build): its kernels are in the build as well.
    text = ("    Found GPU0 NVIDIA H100 80GB HBM3 which is of cuda capability 9.0.\n"
            "    Minimum and Maximum cuda capability supported by this version of PyTorch is\n"
            "    (8.9) - (9.0)\n")
    assert architecture(text) == [harmless(
        "NVIDIA H100 80GB HBM3 (compute capability 9.0) runs this torch build's kernels (built for 8.9 - 9.0): torch's "
        "warning about it does not stop it",
        ["paste line 1: Found GPU0 NVIDIA H100 80GB HBM3 which is of cuda capability 9.0.",
         "paste line 2: Minimum and Maximum cuda capability supported by this version of PyTorch is"])]


def test_torch_2_9_s_warning_for_a_gpu_of_the_maximum_s_family_is_harmless():
    # Ultralytics' "Quick Start Guide: NVIDIA DGX Spark" quotes torch 2.9.1's warning on a GB10 (12.1) and says to
    # ignore it: compiled kernels for 12.0 run on 12.x, and pytorch/pytorch#164590 drops the warning in torch 2.10.
    text = ("UserWarning: Found GPU0 NVIDIA GB10 which is of cuda capability 12.1.\n"
            "Minimum and Maximum cuda capability supported by this version of PyTorch is (8.0) - (12.0)\n")
    assert architecture(text) == [harmless(
        "NVIDIA GB10 (compute capability 12.1) runs this torch build's kernels (built for 8.0 - 12.0): torch's warning "
        "about it does not stop it",
        ["paste line 1: UserWarning: Found GPU0 NVIDIA GB10 which is of cuda capability 12.1.",
         "paste line 2: Minimum and Maximum cuda capability supported by this version of PyTorch is (8.0) - (12.0)"])]


def test_a_too_new_gpu_pasted_before_another_gpu_s_old_minimum_takes_its_newest_from_the_kernel_list():
    # Assembled: a two-GPU machine under torch 2.7 with the CUDA 12.6 arch list (an RTX 5090 and a GTX 770), its
    # warnings pasted out of torch's order: GPU0's cubins warning (xorbitsai/inference#3603's lines) first, then
    # GPU1's capability warning in torch 2.7's words. That minimum names no maximum: the newest kernel is the list's.
    text = ("NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch "
            "installation.\n"
            "The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.\n"
            "\n"
            "    Found GPU1 NVIDIA GeForce GTX 770 which is of cuda capability 3.0.\n"
            "    PyTorch no longer supports this GPU because it is too old.\n"
            "    The minimum cuda capability supported by this library is 5.0.\n")
    assert architecture(text) == [too_new(
        "NVIDIA GeForce RTX 5090 (compute capability 12.0) is newer than every architecture this torch build has "
        "kernels for (its newest is sm_90): 'no kernel image is available' at run time",
        ["paste line 1: NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current "
         "PyTorch installation.",
         "paste line 2: The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 "
         "sm_90."])]


# ---------------------------------------------------------------------------- torch 2.11's wording

#: torch 2.11.0+cu130 on a Tesla V100 (Volta, dropped from that release's wheels), as a public GitHub markdown note
#: about a CERN HTCondor pool quotes it (index id 62008026651)
V100_2_11 = ("Found GPU0 Tesla V100-PCIE-32GB which is of compute capability (CC) 7.0.\n"
             "This version of PyTorch was built for: 7.5, 8.0, 8.6, 9.0\n")
#: torch on Windows with the CUDA 12.6 architectures and an RTX 5090 Laptop GPU, from a training log in a public
#: repository (index id 57437726257), as printed up to the instructions line
RTX_5090_LAPTOP = (
    "C:\\projects\\mlm-training\\.venv\\Lib\\site-packages\\torch\\cuda\\__init__.py:374: UserWarning: Found GPU0 "
    "NVIDIA GeForce RTX 5090 Laptop GPU which is of compute capability (CC) 12.0.\n"
    "The following list shows the CCs this version of PyTorch was built for and the hardware CCs it supports:\n"
    "- 5.0 which supports hardware CC >=5.0,<6.0 except {5.3}\n"
    "- 6.0 which supports hardware CC >=6.0,<7.0 except {6.2}\n"
    "- 6.1 which supports hardware CC >=6.1,<7.0 except {6.2}\n"
    "- 7.0 which supports hardware CC >=7.0,<8.0 except {7.2}\n"
    "- 7.5 which supports hardware CC >=7.5,<8.0\n"
    "- 8.0 which supports hardware CC >=8.0,<9.0 except {8.7}\n"
    "- 8.6 which supports hardware CC >=8.6,<9.0 except {8.7}\n"
    "- 9.0 which supports hardware CC >=9.0,<10.0\n"
    "Please follow the instructions at https://pytorch.org/get-started/locally/\n")
#: torch 2.13.0+cu130 (the SBSA wheel) on a Jetson AGX Orin, as a public troubleshooting guide quotes it (index id
#: 57926040656), which calls it cosmetic: the wheel's sm_80 kernels run on the Orin (8.7)
ORIN_2_13 = (
    "UserWarning: Found GPU0 Orin which is of compute capability (CC) 8.7.\n"
    "The following list shows the CCs this version of PyTorch was built for and the hardware CCs it supports:\n"
    "- 8.0 which supports hardware CC >=8.0,<9.0 except {8.7}\n"
    "- 9.0 which supports hardware CC >=9.0,<10.0\n"
    "- 10.0 which supports hardware CC >=10.0,<11.0 except {10.1}\n"
    "- 11.0 which supports hardware CC >=11.0,<12.0\n"
    "- 12.0 which supports hardware CC >=12.0,<13.0\n"
    "No published PyTorch CUDA builds for release 2.13.0+cu130 support this GPU.\n")


def test_torch_2_11_s_one_line_list_below_the_gpu_is_too_old():
    assert architecture(V100_2_11) == [too_old(
        "Tesla V100-PCIE-32GB (compute capability 7.0) is older than the oldest architecture this torch build was "
        "compiled for (7.5) (this build has kernels for 7.5, 8.0, 8.6, 9.0): its kernels cannot run there",
        ["paste line 1: Found GPU0 Tesla V100-PCIE-32GB which is of compute capability (CC) 7.0.",
         "paste line 2: This version of PyTorch was built for: 7.5, 8.0, 8.6, 9.0"])]


def test_torch_2_11_s_list_of_a_line_each_above_the_gpu_is_too_new():
    lines = RTX_5090_LAPTOP.splitlines()
    assert architecture(RTX_5090_LAPTOP) == [too_new(
        "NVIDIA GeForce RTX 5090 Laptop GPU (compute capability 12.0) is newer than every architecture this torch build "
        "has kernels for (its newest is sm_90): 'no kernel image is available' at run time",
        [f"paste line 1: {lines[0]}", *(f"paste line {n}: {lines[n - 1]}" for n in range(3, 11))])]


def test_torch_2_11_s_warning_for_a_gpu_the_build_s_kernels_run_on_is_harmless():
    lines = ORIN_2_13.splitlines()
    assert architecture(ORIN_2_13) == [harmless(
        "Orin (compute capability 8.7) runs this torch build's kernels (built for 8.0, 9.0, 10.0, 11.0, 12.0): torch's "
        "warning about it does not stop it",
        [f"paste line {n}: {lines[n - 1]}" for n in (1, 3, 4, 5, 6, 7)])]


def test_torch_2_11_s_warning_cut_before_its_list_tells_no_direction():
    # assembled: the V100's first line alone
    assert architecture(V100_2_11.splitlines()[0]) == []


def test_the_older_wording_says_more_than_torch_2_11_s_and_is_judged_first():
    # torch 2.13.0+cu126 on an RTX 5060 Ti prints both, the 2.11 one first, as a public note records (index id
    # 69720335902); the note elides the list and cuts its last line, completed here (assembled) from 004.txt's,
    # the same GPU and build
    text = ("UserWarning: Found GPU0 NVIDIA GeForce RTX 5060 Ti which is of compute capability (CC) 12.0.\n"
            "...\n"
            "UserWarning:\n"
            "NVIDIA GeForce RTX 5060 Ti with CUDA capability sm_120 is not compatible with the current PyTorch "
            "installation.\n"
            "The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.\n")
    (finding,) = architecture(text)
    assert finding.message == ("NVIDIA GeForce RTX 5060 Ti (compute capability 12.0) is newer than every architecture "
                               "this torch build has kernels for (its newest is sm_90): 'no kernel image is available' "
                               "at run time")


def test_the_older_warning_without_its_kernel_line_takes_the_newest_from_torch_2_11_s_list():
    # assembled: the RTX 5090 Laptop log above followed by the older warning torch prints after it, cut before its
    # "The current PyTorch install supports" line
    text = RTX_5090_LAPTOP + ("NVIDIA GeForce RTX 5090 Laptop GPU with CUDA capability sm_120 is not compatible with the "
                              "current PyTorch installation.\n")
    lines = text.splitlines()
    assert architecture(text) == [too_new(
        "NVIDIA GeForce RTX 5090 Laptop GPU (compute capability 12.0) is newer than every architecture this torch build "
        "has kernels for (its newest is sm_90): 'no kernel image is available' at run time",
        [f"paste line 12: {lines[11]}", *(f"paste line {n}: {lines[n - 1]}" for n in range(3, 11))])]


def test_the_older_warning_with_its_kernel_line_is_judged_by_that_line_alone():
    # assembled: as above, with the older warning's kernel line (004.txt's wording) after it
    text = RTX_5090_LAPTOP + ("NVIDIA GeForce RTX 5090 Laptop GPU with CUDA capability sm_120 is not compatible with the "
                              "current PyTorch installation.\n"
                              "The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 "
                              "sm_90.\n")
    lines = text.splitlines()
    assert architecture(text) == [too_new(
        "NVIDIA GeForce RTX 5090 Laptop GPU (compute capability 12.0) is newer than every architecture this torch build "
        "has kernels for (its newest is sm_90): 'no kernel image is available' at run time",
        [f"paste line 12: {lines[11]}", f"paste line 13: {lines[12]}"])]
