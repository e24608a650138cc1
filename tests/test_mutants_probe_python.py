"""The python probe's readers, case by case: the pyinfo JSON line the target interpreter writes on stdout
(envdoctor's PYINFO_SCRIPT run inside it), a conda environment's name from its prefix, and a conda root from
the conda executable's path (``CONDA_EXE``, or conda found on PATH).

The pyinfo line below is the script's real answer in a venv made by ``python -m venv`` (CPython 3.11.7, pip and
setuptools from ensurepip) on the development host; Windows paths are quoted from the public issue threads
named beside them; inputs assembled by hand say so.
"""

from __future__ import annotations

import pytest

from envdoctor.probes.python import _root_of, conda_env_name, parse_pyinfo

VENV_PYINFO = (
    '{"pyinfo": 1, "executable": "/tmp/venv/bin/python", "version": "3.11.7", "implementation": "cpython", '
    '"abiflags": "", "platform_tag": "linux-x86_64", "machine": "x86_64", "pointer_bits": 64, "free_threaded": false, '
    '"prefix": "/tmp/venv", "base_prefix": "/root/.pyenv/versions/3.11.7", '
    '"stdlib": "/root/.pyenv/versions/3.11.7/lib/python3.11", "purelib": "/tmp/venv/lib/python3.11/site-packages", '
    '"platlib": "/tmp/venv/lib/python3.11/site-packages", "sys_path": ["/root/.pyenv/versions/3.11.7/lib/python311.zip", '
    '"/root/.pyenv/versions/3.11.7/lib/python3.11", "/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload", '
    '"/tmp/venv/lib/python3.11/site-packages"], "distributions": [{"name": "pip", "version": "23.2.1", '
    '"location": "/tmp/venv/lib/python3.11/site-packages", "installer": "pip"}, {"name": "setuptools", '
    '"version": "65.5.0", "location": "/tmp/venv/lib/python3.11/site-packages", "installer": "pip"}]}'
)
SITE = "/tmp/venv/lib/python3.11/site-packages"
VENV_DATA = {
    "pyinfo": 1,
    "executable": "/tmp/venv/bin/python",
    "version": "3.11.7",
    "implementation": "cpython",
    "abiflags": "",
    "platform_tag": "linux-x86_64",
    "machine": "x86_64",
    "pointer_bits": 64,
    "free_threaded": False,
    "prefix": "/tmp/venv",
    "base_prefix": "/root/.pyenv/versions/3.11.7",
    "stdlib": "/root/.pyenv/versions/3.11.7/lib/python3.11",
    "purelib": SITE,
    "platlib": SITE,
    "sys_path": ["/root/.pyenv/versions/3.11.7/lib/python311.zip", "/root/.pyenv/versions/3.11.7/lib/python3.11",
                 "/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload", SITE],
    "distributions": [{"name": "pip", "version": "23.2.1", "location": SITE, "installer": "pip"},
                      {"name": "setuptools", "version": "65.5.0", "location": SITE, "installer": "pip"}],
}
#: What parse_pyinfo makes of an answer that holds nothing but the marker: every key there, each unknown.
EMPTY_DATA = {"pyinfo": 1, "executable": None, "version": None, "implementation": None, "abiflags": None,
              "platform_tag": None, "machine": None, "pointer_bits": None, "free_threaded": None, "prefix": None,
              "base_prefix": None, "stdlib": None, "purelib": None, "platlib": None, "sys_path": [], "distributions": []}


def test_a_real_venv_answer_is_read_whole():
    assert parse_pyinfo(VENV_PYINFO + "\n") == VENV_DATA


def test_a_line_printed_after_the_answer_does_not_hide_it():
    # Assembled: the real answer, then a line an atexit hook of a sitecustomize printed after the script ended.
    assert parse_pyinfo(VENV_PYINFO + "\nsitecustomize: bye\n") == VENV_DATA


@pytest.mark.parametrize("bits, expected", [
    (64, 64),
    (1, 1),  # assembled: any positive number of bits is taken as the interpreter said it
    (0, None),  # assembled: no pointer has zero bits
    (-64, None),  # assembled
])
def test_pointer_bits_must_be_a_positive_number(bits, expected):
    assert parse_pyinfo(f'{{"pyinfo": 1, "pointer_bits": {bits}}}') == {**EMPTY_DATA, "pointer_bits": expected}


def test_a_distribution_without_a_text_version_gets_an_empty_one():
    # Assembled from the real answer: pip's version given as null, setuptools' as a number.
    text = VENV_PYINFO.replace('"version": "23.2.1"', '"version": null').replace('"version": "65.5.0"', '"version": 65')
    assert parse_pyinfo(text) == {**VENV_DATA, "distributions": [
        {"name": "pip", "version": "", "location": SITE, "installer": "pip"},
        {"name": "setuptools", "version": "", "location": SITE, "installer": "pip"},
    ]}


@pytest.mark.parametrize("prefix, is_base, name", [
    # CONDA_PREFIX of an environment on Windows (gqmelo/exec-wrappers issue #10).
    ("C:\\conda\\py27", False, "py27"),
    ("/opt/conda/envs/ml", False, "ml"),
    ("/opt/conda/envs/ml/", False, "ml"),  # assembled: a prefix written with a trailing slash
    ("C:\\conda\\py27\\", False, "py27"),  # assembled: the same on Windows
    ("/opt/conda/envs/TeX", False, "TeX"),  # assembled: a name ending in X
    ("/opt/conda", True, "base"),
])
def test_conda_env_name_from_the_prefix(prefix, is_base, name):
    assert conda_env_name(prefix, is_base) == name


@pytest.mark.parametrize("executable, root", [
    # CONDA_EXE of a Miniconda install on Windows (cjrh/vim-conda issue #38).
    ("C:\\Users\\adrian\\Miniconda3\\Scripts\\conda.exe", "C:/Users/adrian/Miniconda3"),
    ("/opt/conda/bin/conda", "/opt/conda"),
    ("/opt/conda/condabin/conda", "/opt/conda"),
])
def test_the_conda_root_from_the_conda_executable(executable, root):
    assert _root_of(executable) == root
