"""The CUDA probe's readers, each judged on whole values.

They read what a CUDA Toolkit leaves on disk and prints: ``nvcc --version`` (the compiler's banner),
``version.json`` (CUDA 11.1 on) or ``version.txt`` (older toolkits) in the toolkit root, the toolkit
roots themselves (``/usr/local/cuda-12.4``, ``C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.4``,
the folder of the ``nvidia-cuda-nvcc-cu12`` wheel from PyPI) and the file names of the CUDA libraries in
a folder of ``LD_LIBRARY_PATH``. The real outputs come from tests/fixtures/cuda/ (sources in its README)
or are quoted below with their source.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES_DIR
from packaging.version import Version

from envdoctor.facts import CudaToolkit
from envdoctor.probes.cuda import (
    _merge,
    _sort_key,
    _specific,
    parse_library_name,
    parse_nvcc_version,
    parse_version_json,
    parse_version_txt,
)

FIX = FIXTURES_DIR / "cuda"

# The folder the nvidia-cuda-nvcc-cu12 wheel (PyPI) unpacks to: site-packages/nvidia/cuda_nvcc/bin/nvcc,
# which setups name with CUDA_HOME=$VIRTUAL_ENV/lib/python3.10/site-packages/nvidia/cuda_nvcc.
WHEEL_ROOT = "/home/user/venv/lib/python3.10/site-packages/nvidia/cuda_nvcc"


# --- nvcc --version, version.json, version.txt: absent text ----------------------------------------------


@pytest.mark.parametrize("reader", [parse_nvcc_version, parse_version_json, parse_version_txt])
@pytest.mark.parametrize("text", [None, ""], ids=["no-file", "empty-file"])
def test_no_text_has_no_version(reader, text):
    assert reader(text) is None


def test_nvcc_banner_of_a_real_toolkit():
    # tests/fixtures/cuda/nvcc-11.8.txt: the whole `nvcc --version` of CUDA 11.8
    assert parse_nvcc_version((FIX / "nvcc-11.8.txt").read_text(encoding="utf-8")) == "11.8.89"


# --- _specific: does the root's own folder name carry its release? ---------------------------------------


@pytest.mark.parametrize(
    ("path", "specific"),
    [
        ("/usr/local/cuda-12.4", True),  # the runfile's and the .deb's versioned folder
        ("/usr/local/cuda", False),  # the alias the installers link to it
        ("/opt/cuda", False),  # Arch Linux's cuda package
        ("C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.4", True),  # Windows installer
        # the pip wheel's folder: "python3.10" higher up names Python's release, not CUDA's
        (WHEEL_ROOT, False),
        # assembled: a Windows root written with forward slashes, as CUDA_PATH may be
        ("C:/Program Files/NVIDIA GPU Computing Toolkit/CUDA/v11.8", True),
        (None, False),  # a toolkit found without a root
        ("", False),
    ],
)
def test_specific_reads_only_the_last_folder_name(path, specific):
    assert _specific(CudaToolkit(version="12.4.131", path=path)) is specific


# --- _sort_key ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "key"),
    [
        ("12.4.131", Version("12.4.131")),  # nvcc's V12.4.131
        ("11.8.20220929", Version("11.8.20220929")),  # version.json of CUDA 11.8 (fixture excerpt)
        # assembled: a version.json whose cuda.version starts like a release but is not a version;
        # parse_version_json keeps it, and it sorts below every real one
        ("12.4.x", Version("0")),
    ],
)
def test_sort_key(version, key):
    assert _sort_key(version) == key


# --- _merge: one entry per release ---------------------------------------------------------------------------


def test_merge_sorts_the_newest_release_first():
    # /usr/local listed in name order: cuda-11.8 before cuda-12.4 (versions as their version.json give them)
    toolkits = [
        CudaToolkit(version="11.8.20220929", path="/usr/local/cuda-11.8", source="version.json"),
        CudaToolkit(version="12.4.1", path="/usr/local/cuda-12.4", source="version.json"),
    ]
    assert _merge(toolkits) == [
        CudaToolkit(version="12.4.1", path="/usr/local/cuda-12.4", source="version.json"),
        CudaToolkit(version="11.8.20220929", path="/usr/local/cuda-11.8", source="version.json"),
    ]


def test_merge_puts_an_unreadable_version_last():
    toolkits = [
        # assembled: the version.json value of test_sort_key, then a real 11.8 toolkit
        CudaToolkit(version="12.4.x", path="/opt/cuda-12.4", source="version.json"),
        CudaToolkit(version="11.8.89", path="/usr/local/cuda-11.8", source="version.txt"),
    ]
    assert _merge(toolkits) == [
        CudaToolkit(version="11.8.89", path="/usr/local/cuda-11.8", source="version.txt"),
        CudaToolkit(version="12.4.x", path="/opt/cuda-12.4", source="version.json"),
    ]


def test_merge_keeps_the_versioned_folder_with_the_active_entry_s_nvcc():
    """CUDA_ROOT=/opt/cuda-12.4 is listed first; /usr/local/cuda, another copy of 12.4, is the active one
    (no CUDA_HOME, so /usr/local/cuda is what builds use). Neither has a version file, so each version came
    from its own nvcc."""
    toolkits = [
        CudaToolkit(version="12.4.131", path="/opt/cuda-12.4", nvcc_path="/opt/cuda-12.4/bin/nvcc",
                    source="nvcc --version"),
        CudaToolkit(version="12.4.131", path="/usr/local/cuda", nvcc_path="/usr/local/cuda/bin/nvcc", active=True,
                    source="nvcc --version"),
    ]
    assert _merge(toolkits) == [
        CudaToolkit(version="12.4.131", path="/opt/cuda-12.4", nvcc_path="/usr/local/cuda/bin/nvcc", active=True,
                    source="nvcc --version"),
    ]


def test_merge_takes_the_versioned_folder_that_comes_second():
    # the nvcc on PATH answered first (the probe puts it first); the same toolkit's folder came from the listing
    toolkits = [
        CudaToolkit(version="12.4.131", path="/usr/local/cuda", nvcc_path="/usr/local/cuda/bin/nvcc", active=True,
                    source="nvcc --version"),
        CudaToolkit(version="12.4.1", path="/usr/local/cuda-12.4", source="version.json"),
    ]
    assert _merge(toolkits) == [
        CudaToolkit(version="12.4.1", path="/usr/local/cuda-12.4", nvcc_path="/usr/local/cuda/bin/nvcc", active=True,
                    source="version.json"),
    ]


def test_merge_of_two_generic_folders_keeps_the_first():
    """CUDA_HOME=/usr/local/cuda (active) and Arch Linux's /opt/cuda, both CUDA 12.4 by their version.json:
    neither name says its release, so the first one found stays."""
    toolkits = [
        CudaToolkit(version="12.4.1", path="/usr/local/cuda", active=True, source="version.json"),
        CudaToolkit(version="12.4.1", path="/opt/cuda", source="version.json"),
    ]
    assert _merge(toolkits) == [CudaToolkit(version="12.4.1", path="/usr/local/cuda", active=True, source="version.json")]


def test_merge_of_two_versioned_folders_keeps_the_first():
    # the Windows installer's folder (through CUDA_PATH_V12_4) and the same release unpacked elsewhere by hand
    first = "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.4"
    toolkits = [
        CudaToolkit(version="12.4.1", path=first, source="version.json"),
        CudaToolkit(version="12.4.131", path="D:\\cuda-12.4", nvcc_path="D:\\cuda-12.4\\bin\\nvcc.exe",
                    source="nvcc --version"),
    ]
    assert _merge(toolkits) == [
        CudaToolkit(version="12.4.1", path=first, nvcc_path="D:\\cuda-12.4\\bin\\nvcc.exe", source="version.json"),
    ]


@pytest.mark.parametrize(
    ("first_nvcc", "second_nvcc", "kept"),
    [
        ("/usr/local/cuda-12.4/bin/nvcc", None, "/usr/local/cuda-12.4/bin/nvcc"),
        (None, "/opt/cuda-12.4/bin/nvcc", "/opt/cuda-12.4/bin/nvcc"),
        ("/usr/local/cuda-12.4/bin/nvcc", "/opt/cuda-12.4/bin/nvcc", "/usr/local/cuda-12.4/bin/nvcc"),
        (None, None, None),
    ],
    ids=["first", "second", "both", "neither"],
)
def test_merge_with_no_active_entry_keeps_whichever_nvcc_is_known(first_nvcc, second_nvcc, kept):
    """Two copies of 12.4, neither active: the merged entry names the first nvcc known (an entry has one
    when its version came from its own nvcc rather than from version.json)."""
    toolkits = [
        CudaToolkit(version="12.4.131", path="/usr/local/cuda-12.4", nvcc_path=first_nvcc, source="nvcc --version"),
        CudaToolkit(version="12.4.131", path="/opt/cuda-12.4", nvcc_path=second_nvcc, source="nvcc --version"),
    ]
    assert _merge(toolkits) == [
        CudaToolkit(version="12.4.131", path="/usr/local/cuda-12.4", nvcc_path=kept, source="nvcc --version"),
    ]


def test_merge_of_the_wheel_s_nvcc_and_a_system_toolkit():
    """The nvcc of the PyPI wheel on PATH (its folder name says no release) and /usr/local/cuda-12.4 of the
    same release: the versioned folder names the toolkit, the wheel's nvcc stays the one that runs."""
    toolkits = [
        CudaToolkit(version="12.4.131", path=WHEEL_ROOT, nvcc_path=f"{WHEEL_ROOT}/bin/nvcc", active=True,
                    source="nvcc --version"),
        CudaToolkit(version="12.4.1", path="/usr/local/cuda-12.4", source="version.json"),
    ]
    assert _merge(toolkits) == [
        CudaToolkit(version="12.4.1", path="/usr/local/cuda-12.4", nvcc_path=f"{WHEEL_ROOT}/bin/nvcc", active=True,
                    source="version.json"),
    ]


# --- parse_library_name: the CUDA libraries of a folder on LD_LIBRARY_PATH --------------------------------


@pytest.mark.parametrize(
    ("file_name", "parsed"),
    [
        # lib/ollama/ of ollama v0.5.7's ollama-linux-amd64.tgz (release asset,
        # https://github.com/ollama/ollama/releases/tag/v0.5.7), as `tar -tvf` lists it in a public note
        # (index id 36015974502)
        ("libcudart.so.12", ("libcudart", "12")),
        ("libcudart.so.12.4.127", ("libcudart", "12.4.127")),
        ("libcudart.so.11.0", ("libcudart", "11.0")),
        ("libcublas.so.12.4.5.8", ("libcublas", "12.4.5.8")),
        ("libcublasLt.so.12", ("libcublasLt", "12")),
        ("libcublasLt.so.11.5.1.109", ("libcublasLt", "11.5.1.109")),
        ("libggml_cuda_v11.so", None),  # not a CUDA library (and an underscore in its name)
        ("runners", None),  # a folder beside them
        # the unversioned development link of a toolkit's lib64 (/usr/local/cuda-12.4/lib64/libcudart.so)
        ("libcudart.so", ("libcudart", None)),
        # the driver's own library (/usr/lib/x86_64-linux-gnu/libcuda.so.1): not one a wheel brings
        ("libcuda.so.1", None),
        ("libcudart_static.a", None),  # the static runtime in a toolkit's lib64
        ("libcudart.so.12.bak", None),  # assembled: a renamed copy is not loaded by its soname
    ],
)
def test_parse_library_name(file_name, parsed):
    assert parse_library_name(file_name) == parsed
