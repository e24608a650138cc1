"""Taking the wrapping off pasted lines, line by line and whole: each expected value is the line as the program
printed it, read by hand from the paste. Real lines come from tests/fixtures/pastes (sources in its README);
the others are assembled, and say so."""

from __future__ import annotations

import pytest
from conftest import FIXTURES_DIR

from envdoctor.readers.pastes.unwrap import clean_line, is_binary, unwrap

PASTES = FIXTURES_DIR / "pastes"


def real_line(name: str, number: int) -> str:
    return (PASTES / f"{name}.txt").read_text(encoding="utf-8").split("\n")[number - 1]


#: (paste, line number, the line as printed): each real line's prompt, bold or backtick taken off by hand
REAL = [
    ("040", 1, "python"),  # "$ python"
    ("043", 1, "sudo nvidia-smi"),  # "$ sudo nvidia-smi"
    ("110", 1, "nvcc --version"),  # a root prompt in a container: "root@00921839c781:/anomalib# nvcc --version"
    ("051", 3, "All requested packages already installed."),  # conda's "# All requested ..." comment
    ("050", 17, "conda activate torch data"),  # "❯ conda activate torch data"
    ("023", 5, r".\venv\Scripts\python.exe -m pip uninstall torch torchvision _torchaudio -y"),  # PowerShell
    ("035", 6, "import torch"),  # ">>> import torch"
    ("051", 24, "np.__version__"),  # ">>> np.__version__": a dunder is not markdown bold
    ("026", 1, 'ImportError: lib/python3.10/site-packages/flash_attn/flash_attn_interface.py", line 10, in <module>'),
    ("027", 4, "RuntimeError: No such operator torchvision::nms"),  # the closing backtick of inline code
    ("053", 15, "OMP_NUM_THREADS : [not set]"),  # a tab-indented line of torch's config dump
]


@pytest.mark.parametrize(("name", "number", "printed"), REAL)
def test_a_real_pasted_line_is_read_as_printed(name, number, printed):
    assert clean_line(real_line(name, number)) == printed


#: assembled lines: (pasted, as printed)
ASSEMBLED = [
    # shells and REPLs the real pastes lack
    ("% python3 -c 'import torch'", "python3 -c 'import torch'"),  # zsh
    ("(base) user@box:~/work$ python train.py", "python train.py"),
    (r'C:\Users\me>python -c "import torch"', 'python -c "import torch"'),  # cmd.exe
    ("... print(torch.cuda.is_available())", "print(torch.cuda.is_available())"),  # REPL continuation
    # quotes, fences, bold, inline code
    ("> RuntimeError: CUDA error: no kernel image is available", "RuntimeError: CUDA error: no kernel image is available"),
    ("> > ImportError: DLL load failed", "ImportError: DLL load failed"),
    ("```python", ""),
    ("~~~", ""),
    ("**RuntimeError:** Torch not compiled with CUDA enabled", "RuntimeError: Torch not compiled with CUDA enabled"),
    ("`torch.cuda.is_available()`", "torch.cuda.is_available()"),
    ("GPU: AMD Radeon RX 7900 XTX", "GPU: AMD Radeon RX 7900 XTX"),  # a name ending in X keeps it
    # tabs, carriage returns, full-width punctuation (one character to one)
    ("pytorch\t2.1.0\tpy3.10_cuda11.8_cudnn8.7.0_0\tpytorch", "pytorch 2.1.0 py3.10_cuda11.8_cudnn8.7.0_0 pytorch"),
    ("Collecting torch\r  Downloading torch-2.1.0.tar.gz", "Collecting torch  Downloading torch-2.1.0.tar.gz"),
    ("RuntimeError：CUDA error（no kernel image）", "RuntimeError:CUDA error(no kernel image)"),
]


@pytest.mark.parametrize(("pasted", "printed"), ASSEMBLED)
def test_an_assembled_line_is_read_as_printed(pasted, printed):
    assert clean_line(pasted) == printed


def test_a_crlf_quoted_fenced_paste_keeps_its_line_numbers():
    # assembled: 004's first two lines quoted, fenced, with Windows line ends
    text = "```\r\n> " + real_line("004", 1) + "\r\n> " + real_line("004", 2) + "\r\n```"
    assert unwrap(text) == [
        "",
        "/opt/venv/lib/python3.11/site-packages/torch/cuda/__init__.py:287: UserWarning:",
        "NVIDIA GeForce RTX 5060 Ti with CUDA capability sm_120 is not compatible with the current PyTorch installation.",
        "",
    ]


@pytest.mark.parametrize(("text", "binary"), [
    ("", False),
    ("a" * 100 + "\x00", True),  # one NUL is enough
    ("a\n" * 50, False),  # line ends, tabs and escapes are text
    ("\t\f\v\x1b[31m" * 20, False),
    ("\x01" * 10 + "a" * 90, False),  # exactly a tenth control characters is still text
    ("\x01" * 11 + "a" * 89, True),  # more than a tenth is not
    ("\x01" * 9 + "a" * 91, False),
    ("a" * 8192 + "\x00", False),  # only the first 8192 characters are looked at
    ("a" * 8191 + "\x00", True),
])
def test_binary_text_is_told_by_nul_or_more_than_a_tenth_of_control_characters(text, binary):
    assert is_binary(text) is binary
