"""Readings of loader and xFormers messages checked whole against hand-read lines (assembled in the wording of
cuDNN's loader, torch's Windows DLL loader and xFormers' build check, as the real pastes of
tests/fixtures/pastes print them)."""

from __future__ import annotations

import pytest

from envdoctor import compat, paste_rules
from envdoctor.facts import Finding
from envdoctor.readers.pastes import read_paste
from envdoctor.readers.pastes.signals import scan

INSTALL = [["envdoctor", "install", "--dry-run"], ["envdoctor", "install"]]
LOCALLY = "source: https://pytorch.org/get-started/locally/"
WINDOWS_FIX = ("install the Microsoft Visual C++ Redistributable (x64) and reinstall torch in this environment; make "
               "sure no other CUDA or torch folder on PATH shadows the wheel's DLLs")


def test_the_library_cudnn_could_not_load_is_read_without_the_full_stop_after_it():
    # cuDNN 8 on Windows ends the sentence after the file name, then gives the error code
    line = "Could not load library cudnn_ops_infer64_8.dll. Error code 126"
    (signal,) = scan([line])
    assert (signal.kind, signal.data) == ("could_not_load", {"lib": "cudnn_ops_infer64_8.dll"})
    (finding,) = paste_rules.evaluate(read_paste(line))
    assert finding == Finding(
        "paste.missing-library", "error", "torch",
        "a shared library could not be loaded (cudnn_ops_infer64_8.dll): it, or one it depends on, is not installed "
        "where the loader looks",
        subject="torch", fix=WINDOWS_FIX, commands=INSTALL, evidence=[f"paste line 1: {line}", LOCALLY])


def test_a_library_name_with_dots_inside_is_read_whole():
    (signal,) = scan(["Could not load library libcudnn_cnn_infer.so.8"])
    assert signal.data == {"lib": "libcudnn_cnn_infer.so.8"}


def test_a_bare_dll_file_name_keeps_its_first_character():
    line = 'OSError: [WinError 126] Error loading "_C.pyd" or one of its dependencies.'
    signals = scan([line])
    assert [(s.kind, s.data) for s in signals if s.kind == "dll_path"] == [
        ("dll_path", {"path": "_C.pyd", "lib": "_C.pyd"})]
    (finding,) = paste_rules.evaluate(read_paste(line))
    assert finding.message == ("a shared library could not be loaded (_C.pyd): it, or one it depends on, is not "
                               "installed where the loader looks")


def test_a_dll_path_names_its_last_file_whole():
    line = r'Error loading "C:\Program Files\Python311\Lib\site-packages\torch\lib\fbgemm.dll" or one of its'
    (signal,) = [s for s in scan([line]) if s.kind == "dll_path"]
    assert signal.data == {"path": r"C:\Program Files\Python311\Lib\site-packages\torch\lib\fbgemm.dll",
                           "lib": "fbgemm.dll"}


@pytest.mark.parametrize(("written", "cuda"), [
    # xFormers prints CUDA_VERSION // 10: CUDA 12.1 is CUDA_VERSION 12010 (cuda_runtime_api.h: 1000 * major + 10 * minor)
    ("1201", "12.1"), ("1108", "11.8"), ("1210", "12.10"), ("902", "9.2"), ("1180", "11.80"),
    ("12.1", "12.1"), ("12.4.1", "12.4"), ("", None), ("12a", None), (None, None),
])
def test_a_cuda_build_number_is_said_as_major_minor(written, cuda):
    assert compat.cuda_from_build_number(written) == cuda


def test_xformers_fix_says_the_cuda_it_was_built_with_as_a_version():
    # xformers 0.0.27 pins torch==2.3.1 (recipes/extensions.toml, torch_pins, from xformers' CHANGELOG)
    line = "xFormers was built for: PyTorch 2.2.0+cu118 with CUDA 1108 (you have 2.3.1+cu121)"
    (finding,) = paste_rules.evaluate(read_paste(line))
    assert finding.fix == ("xformers was built for torch 2.2.0+cu118 (CUDA 11.8), this environment has torch "
                           "2.3.1+cu121: install the xformers release built for torch 2.3.1 (xformers==0.0.27), or "
                           "torch==2.2.0 that xformers needs")
