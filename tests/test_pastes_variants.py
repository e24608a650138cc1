"""The other wordings of each category's message: real lines from public threads (each cited where used),
read into the cause, the fact and the fix the thread established, and the messages that are no
environment problem at all."""

from __future__ import annotations

import pytest
from conftest import FIXTURES_DIR

from envdoctor.diagnose import diagnose
from envdoctor.readers import read_text
from envdoctor.readers.pastes import read_paste
from envdoctor.recipes import load_recipes

PASTES = FIXTURES_DIR / "pastes"


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def findings_of(text, recipes):
    return {f.id: f for f in diagnose(read_text(text, "paste.txt"), recipes, "paste.txt").findings}


def paste(name):
    return (PASTES / f"{name}.txt").read_text(encoding="utf-8")


# CUDA's out-of-memory message in three torch generations (pytorch/pytorch#16417 title and comment of 2024-03-13,
# carolchenyx/MGFN.#35): the GPU works, the workload is too large
OUT_OF_MEMORY = [
    "RuntimeError: CUDA out of memory. Tried to allocate 12.50 MiB (GPU 0; 10.92 GiB total capacity; 8.57 MiB "
    "already allocated; 9.28 GiB free; 4.68 MiB cached)",
    "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.70 GiB. GPU 0 has a total capacty of "
    "6.00 GiB of which 0 bytes is free. Of the allocated memory 2.93 GiB is allocated by PyTorch, and 2.30 GiB is "
    "reserved by PyTorch but unallocated.",
    "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 22.00 MiB. GPU 0 has a total capacity of "
    "23.65 GiB of which 11.06 MiB is free. Including non-PyTorch memory, this process has 23.60 GiB memory in use.",
]


@pytest.mark.parametrize("text", OUT_OF_MEMORY)
def test_out_of_memory_is_said_to_be_no_environment_problem(text, recipes):
    found = findings_of(text, recipes)
    (cause,) = [f for f in found.values() if f.id.startswith("paste.")]
    assert cause.id == "paste.out-of-memory" and cause.severity == "info"
    assert "not an environment problem" in cause.message
    assert not [f for f in found.values() if f.severity == "error"]
    assert "diagnose.paste-lacks" not in found and "diagnose.nothing-recognised" not in found


def test_a_rocblas_tensile_error_names_the_gfx_target_and_its_override(recipes):
    # 101 (brknsoul/ROCmLibs#4): gfx1103 is RDNA3, whose override is 11.0.0
    reading = read_paste(paste("101"))
    (gpu,) = reading.facts.rocm.gpus
    assert (gpu.vendor, gpu.arch) == ("amd", "gfx1103")
    cause = findings_of(paste("101"), recipes)["paste.rocm"]
    assert cause.commands[0] == ["export", "HSA_OVERRIDE_GFX_VERSION=11.0.0"] and cause.subject == "rocm"
    # 102: the first word cut off ("ocBLAS error: Cannot read ..."), gfx1201 (RDNA4) has no override of its family
    assert "gfx1201" in findings_of(paste("102"), recipes)["paste.rocm"].message


@pytest.mark.parametrize("name", ["103", "104"])
def test_a_dll_that_fails_to_initialise_is_c10_and_the_fix_is_the_runtime(name, recipes):
    cause = findings_of(paste(name), recipes)["paste.missing-library"]
    assert "(c10.dll)" in cause.message and "Visual C++ Redistributable" in (cause.fix or "")
    assert read_paste(paste(name)).facts.os.system == "Windows"


def test_a_missing_cudnn_says_where_cudnn_comes_from(recipes):
    cause = findings_of(paste("105"), recipes)["paste.missing-library"]
    assert "(libcudnn.so.9)" in cause.message and (cause.fix or "").startswith("libcudnn.so.9 comes with")


@pytest.mark.parametrize("name, extension", [("106", "torchaudio"), ("107", "torchaudio"), ("026", "flash_attn"),
                                             ("027", "torchvision")])
def test_an_undefined_symbol_names_the_extension_it_is_in(name, extension, recipes):
    cause = findings_of(paste(name), recipes)["paste.abi-mismatch"]
    assert cause.message.startswith(f"{extension} was built against another torch release")


def test_flash_attn_is_rebuilt_against_the_installed_torch(recipes):
    cause = findings_of(paste("026"), recipes)["paste.abi-mismatch"]
    assert cause.commands == [["python", "-m", "pip", "install", "--force-reinstall", "--no-build-isolation",
                               "--no-cache-dir", "flash-attn"]]


def test_xformers_built_for_another_torch_names_the_release_for_this_one(recipes):
    # 108: built for 2.2.0+cu121, 2.3.0+cu121 installed; xformers' CHANGELOG pins 0.0.26 to torch 2.3.0
    reading = read_paste(paste("108"))
    assert reading.facts.torch.version == "2.3.0+cu121"
    cause = findings_of(paste("108"), recipes)["paste.abi-mismatch"]
    assert cause.message == ("xformers was built for torch 2.2.0+cu121 but torch 2.3.0+cu121 is installed: its "
                             "compiled extensions do not load")
    assert cause.commands == [["python", "-m", "pip", "install", "--no-deps", "xformers==0.0.26", "--index-url",
                               "https://download.pytorch.org/whl/cu121"]]
    # 109: no xformers release in the data pins torch 2.1.0: the torch the installed xformers was built for
    cause = findings_of(paste("109"), recipes)["paste.abi-mismatch"]
    assert cause.commands == [["python", "-m", "pip", "install", "torch==2.0.1", "--index-url",
                               "https://download.pytorch.org/whl/cu118"]]


def test_xformers_saying_another_torch_than_pip_lists_is_two_installs(recipes):
    # invoke-ai/InvokeAI#6590: xformers sees torch 2.0.1+cu118, pip lists 2.3.0+cu121 (two torches)
    text = ("WARNING:xformers:WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:\n"
            "    PyTorch 2.1.2+cu121 with CUDA 1201 (you have 2.0.1+cu118)\n"
            "    Python  3.10.11 (you have 3.10.11)\n"
            " Here are versions from pip:\n"
            " torch                  2.3.0+cu121\n"
            " xformers               0.0.26.post1\n")
    found = findings_of(text, recipes)
    assert {"paste.abi-mismatch", "paste.multiple-installs"} <= set(found)
    assert "2.3.0 and 2.0.1" in found["paste.multiple-installs"].message


def test_conda_list_with_pips_torch_beside_condas_pytorch_is_two_installs(recipes):
    # assembled from two real `conda list` lines: pytorch from meta-pytorch/data#315, and the pip-installed torch
    # record as conda lists it (name, version, build pypi_0, channel pypi)
    text = ("pytorch                   1.11.0              py3.8_cpu_0    pytorch\n"
            "torch                     2.1.0                    pypi_0    pypi\n")
    assert "pip's torch and conda's pytorch" in findings_of(text, recipes)["paste.multiple-installs"].message


def test_nvidia_smi_missing_in_a_container_is_the_runtime(recipes):
    cause = findings_of(paste("110"), recipes)["paste.container"]
    assert cause.message.startswith("nvidia-smi is not there") and "--gpus" in cause.message


def test_nvidia_smi_missing_beside_its_own_output_blames_no_container(recipes):
    # assembled: 110's missing nvidia-smi, then the host's nvidia-smi header of anibali/docker-pytorch#27
    text = paste("110") + ("| NVIDIA-SMI 435.21       Driver Version: 435.21       CUDA Version: 10.1     |\n")
    assert "paste.container" not in findings_of(text, recipes)


def test_a_long_hostile_line_is_read_in_one_pass():
    # every message's fixed words inside 4,000 characters that almost match: read, not retried at each column
    for filler in ("a." * 2000, "/" * 4000, "x" * 4000, "0." * 2000):
        line = filler[:2000] + ": undefined symbol: _Z" + filler[:1900]
        (signal,) = [s for s in read_paste(line).signals if s.kind == "undefined_symbol"]
        assert signal.get("symbol").startswith("_Z")


def test_the_paste_findings_sit_under_checklist_rows(recipes):
    from envdoctor.paste_rules import SUBJECTS
    from envdoctor.render.text import checklist

    rows = {line.subject for line in checklist(read_paste(paste("026")).facts)}
    assert {"torch", "nvidia.driver", "python", "python.tools", "cuda.toolkit", "os"} <= rows
    assert set(SUBJECTS.values()) <= rows | {"rocm", "apple"}


@pytest.mark.parametrize("text", [
    # grenlayk/deep-text-edit#38 (a cp37 wheel pinned in requirements.txt), render-examples/fastai-v3#4 (a Linux
    # wheel on a Mac)
    "ERROR: torch-1.11.0+cu113-cp37-cp37m-linux_x86_64.whl is not a supported wheel on this platform.",
    "`torch-1.0.0-cp37-cp37m-linux_x86_64.whl is not a supported wheel on this platform.`",
])
def test_a_wheel_for_another_python_or_platform_is_no_matching_wheel(text, recipes):
    cause = findings_of(text, recipes)["paste.no-matching-wheel"]
    assert cause.message.startswith("pip could not install torch-1.")
