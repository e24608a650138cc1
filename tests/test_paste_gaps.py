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


def diagnosed(text: str) -> list[tuple[str, list[list[str]], list[str]]]:
    from envdoctor.diagnose import diagnose
    from envdoctor.readers import read_text
    from envdoctor.recipes import load_recipes

    return [(f.id, f.commands, f.evidence) for f in diagnose(read_text(text, "p.txt"), load_recipes(refreshed=False),
                                                               "p.txt").findings]


def test_a_toolkit_mismatch_points_at_the_index_of_a_variant_that_exists():
    # assembled in the words of torch.utils.cpp_extension's check: CUDA 12.5 has no torch variant of its own; the
    # newest 12.x at or below it in recipes/torch.toml is cu124
    (build, lacks) = diagnosed("RuntimeError: The detected CUDA version (12.5) mismatches the version that was used to "
                               "compile PyTorch (11.8). Please make sure to use the same CUDA versions.\n")
    assert build[:2] == ("paste.extension-build", [
        ["python", "-m", "pip", "install", "torch", "--index-url", "https://download.pytorch.org/whl/cu124"],
        ["export", "CUDA_HOME=/usr/local/cuda-11.8"]])
    # nothing the paste said about the machine: no evidence line saying what it said
    assert lacks == ("diagnose.paste-lacks", [["envdoctor", "diagnose", "p.txt", "--here"]], [])


def test_an_information_alone_asks_for_nothing_more():
    # assembled in torch's words: running out of GPU memory is no environment problem, so no fact is lacking
    assert [f[0] for f in diagnosed("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.70 GiB.\n")
            ] == ["paste.out-of-memory"]


def signals(text: str) -> list[tuple[str, int, dict[str, str]]]:
    return [(s.kind, s.line, s.data) for s in read_paste(text).signals]


def test_only_a_value_of_the_expression_s_kind_is_read():
    # assembled: answers that are no version, no truth value, no number
    assert signals(">>> torch.__version__\n'v2.1.0'\n>>> numpy.__version__\n'2.x'\n") == []
    assert signals(">>> torch.cuda.is_available()\nmaybe\n>>> torch.backends.cudnn.version()\nNone\n") == []


def test_the_last_line_of_a_paste_is_an_answer_and_a_last_prompt_has_none():
    # assembled: no newline after the answer; then a prompt as the very last line
    assert signals(">>> torch.__version__\n'2.1.0'") == [("torch_version", 1, {"version": "2.1.0"})]
    assert signals("'2.1.0'\n>>> torch.__version__") == []
    assert signals('>>> print(f"torch {torch.__version__}")') == []


def test_an_f_string_s_answer_must_carry_its_frame_on_both_sides():
    # assembled: output that does not start, or does not end, with the f-string's own text around the value
    assert signals('>>> print(f"cuda: {torch.cuda.is_available()}!")\nother False!\n') == []
    assert signals('>>> print(f"cuda: {torch.cuda.is_available()}!")\ncuda: False?\n') == []
    assert signals('>>> print(f"cuda: {torch.cuda.is_available()}!")\nxxxxxxxx False!\n') == []


def test_a_line_that_only_mentions_a_version_does_not_end_the_reading():
    # assembled: "version" in prose before the session
    assert signals("my Python version is new\n>>> torch.__version__\n'2.1.0'\n") == [
        ("torch_version", 2, {"version": "2.1.0"})]
    # a script's line that prints the version, with no output after it, then the session
    assert signals("print(torch.__version__)\n>>> torch.__version__\n'2.1.0'\n") == [
        ("torch_version", 2, {"version": "2.1.0"})]


def test_only_a_paste_s_own_warning_asks_for_the_facts_it_lacks():
    from envdoctor.diagnose import paste_gaps
    from envdoctor.facts import Finding
    from envdoctor.readers import read_text

    # assembled: one recognised message, in torch's words
    reading = read_text("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.70 GiB.\n", "p.txt")
    rule = Finding("torch.cpu-build-on-gpu", "warning", "torch", "torch is a CPU build on a machine with an NVIDIA GPU",
                   subject="torch")
    paste_info = Finding("paste.out-of-memory", "info", "gpu", "the GPU ran out of memory", subject="gpu")
    assert paste_gaps(reading, [rule, paste_info], "p.txt") == []
    paste_warning = Finding("paste.cuda-unavailable", "warning", "torch", "torch.cuda.is_available() is False",
                            subject="torch.cuda")
    (lacks,) = paste_gaps(reading, [rule, paste_warning], "p.txt")
    assert (lacks.id, lacks.severity, lacks.subject, lacks.commands) == (
        "diagnose.paste-lacks", "info", "torch.cuda", [["envdoctor", "diagnose", "p.txt", "--here"]])
    assert lacks.message == ("the paste does not say the OS, the Python version (python --version), the GPU and "
                             "driver (nvidia-smi), the installed torch (python -c 'import torch; "
                             "print(torch.__version__)'); the fixes above are judged without them")
