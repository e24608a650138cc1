"""What a paste leaves unknown (``paste_rules.facts_missing``), and the Apple GPU's two causes. Every text here is
assembled, and says so; the expected sentences are written by hand."""

from __future__ import annotations

from envdoctor import paste_rules
from envdoctor.facts import Gpu
from envdoctor.readers.pastes import read_paste
from envdoctor.target import unknown_facts

OS = "the OS"
PYTHON = "the Python version (python --version)"
GPU = "the GPU and driver (nvidia-smi)"
TORCH = "the installed torch (python -c 'import torch; print(torch.__version__)')"
MAC = "the processor and macOS version (python -c 'import platform; print(platform.machine(), platform.mac_ver()[0])')"


def test_a_paste_that_says_nothing_lacks_each_fact_with_the_command_that_tells_it():
    assert paste_rules.facts_missing(unknown_facts()) == [OS, PYTHON, GPU, TORCH]
    # about the Apple GPU: a Mac, whose processor and macOS version are asked instead of the OS and nvidia-smi
    assert paste_rules.facts_missing(unknown_facts(), about_mps=True) == [PYTHON, MAC, TORCH]


def test_what_the_paste_told_is_not_asked_again():
    facts = unknown_facts()
    facts.os.system, facts.python.version, facts.torch.version = "Linux", "3.11.7", "2.1.0+cu121"
    assert paste_rules.facts_missing(facts) == [GPU]
    facts.nvidia.status = "ok"
    assert paste_rules.facts_missing(facts) == []
    amd = unknown_facts()
    amd.rocm.gpus = [Gpu(index=0, name="AMD Radeon RX 7900 XTX", vendor="amd")]
    assert GPU not in paste_rules.facts_missing(amd)
    mac = unknown_facts()
    mac.apple.macos_version = "12.2.1"
    assert paste_rules.facts_missing(mac, about_mps=True) == [PYTHON, TORCH]


def test_rosetta_s_macos_10_16_in_the_mps_message_names_the_x86_64_python():
    # assembled: one line holding the macOS version an x86_64 Python sees under Rosetta 2, and MPS built False
    (finding,) = paste_rules.evaluate(read_paste("macOS 10.16 torch.backends.mps.is_built() False\n"))
    assert finding.message == ("torch cannot use the Apple GPU (MPS): the Python runs as x86_64 (Rosetta 2 reports "
                               "macOS as 10.16)")
    (finding,) = paste_rules.evaluate(read_paste("macOS 12.2 torch.backends.mps.is_built() False\n"))
    assert finding.message == ("torch cannot use the Apple GPU (MPS): the process sees an older macOS or no Metal "
                               "device (an x86_64 Python under Rosetta 2 reports 10.16; a sandbox can hide Metal)")


def test_the_torch_a_session_describes_is_shown_on_its_row():
    from envdoctor.render.text import checklist

    # assembled: the session a user types to show their torch
    facts = read_paste(">>> torch.__version__\n'2.1.0+cu121'\n>>> torch.cuda.is_available()\nFalse\n"
                       ">>> print(torch.version.cuda)\n12.1\n").facts
    (row,) = [line for line in checklist(facts) if line.subject == "torch"]
    assert (row.value, row.status, row.evidence) == (
        "2.1.0+cu121 · CUDA 12.1 · torch.cuda.is_available() False", "skip", ["paste line 1"])
    only_version = read_paste(">>> torch.__version__\n'2.3.1'\n").facts
    (row,) = [line for line in checklist(only_version) if line.subject == "torch"]
    assert row.value == "2.3.1"
    nothing = read_paste("RuntimeError: CUDA error: no kernel image is available for execution on the device\n").facts
    (row,) = [line for line in checklist(nothing) if line.subject == "torch"]
    assert (row.value, row.status) == ("not described", "skip")
