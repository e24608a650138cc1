from __future__ import annotations

import json
import shutil

import pytest
from conftest import FIXTURES_DIR, make_machine
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.door import LiveDoor
from envdoctor.probes import ProbeContext, cuda
from envdoctor.probes.cuda import (
    parse_nvcc_version,
    parse_version_json,
    parse_version_txt,
    release_of,
)

FIX = FIXTURES_DIR / "cuda"


def fixture(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, version",
    [
        ("nvcc-13.0-local.txt", "13.0.88"),
        ("nvcc-11.8.txt", "11.8.89"),
        ("nvcc-11.0.txt", "11.0.221"),
        ("nvcc-10.1.txt", "10.1.243"),
    ],
)
def test_nvcc_version(name, version):
    assert parse_nvcc_version(fixture(name)) == version


def test_nvcc_version_without_build_number_and_garbage():
    assert parse_nvcc_version("Cuda compilation tools, release 9.0") == "9.0"
    assert parse_nvcc_version("bash: nvcc: command not found") is None


def test_version_json():
    assert parse_version_json(fixture("version-11.8-excerpt.json")) == "11.8.20220929"
    # A file cut off mid-way is not JSON: no version rather than a guess.
    assert parse_version_json(fixture("version-11.5.2-head.json")) is None
    assert parse_version_json('{"cuda": {"version": 12}}') is None
    assert parse_version_json("[1, 2]") is None


def test_version_txt():
    assert parse_version_txt("CUDA Version 10.2.89\n") == "10.2.89"
    assert parse_version_txt("") is None


def test_release_of():
    assert release_of("11.8.20220929") == "11.8"
    assert release_of("12.4.131") == "12.4"
    assert release_of("not a version") is None


@given(st.text())
def test_parsers_never_raise(text):
    parse_nvcc_version(text)
    parse_version_json(text)
    parse_version_txt(text)
    release_of(text)


def version_json(version: str) -> str:
    return json.dumps({"cuda": {"name": "CUDA SDK", "version": version}})


def test_symlink_and_versioned_folder_are_one_toolkit_marked_by_nvcc(tmp_path):
    door = make_machine(
        tmp_path,
        which={"nvcc": "/usr/local/cuda/bin/nvcc"},
        dirs={"/usr/local": ["bin", "cuda", "cuda-11.8", "cuda-12.4"]},
        files={
            "/usr/local/cuda/version.json": version_json("12.4.1"),
            "/usr/local/cuda-12.4/version.json": version_json("12.4.1"),
            "/usr/local/cuda-11.8/version.json": fixture("version-11.8-excerpt.json"),
        },
        commands=[{"argv": ["/usr/local/cuda/bin/nvcc", "--version"], "returncode": 0,
                   "stdout": "Cuda compilation tools, release 12.4, V12.4.131\n"}],
    )
    facts = cuda.probe(ProbeContext(door, timeout=2))
    assert [(t.version, t.path, t.active) for t in facts.toolkits] == [
        ("12.4.1", "/usr/local/cuda-12.4", True),
        ("11.8.20220929", "/usr/local/cuda-11.8", False),
    ]
    assert facts.active().nvcc_path == "/usr/local/cuda/bin/nvcc"


def test_cuda_home_marks_active_without_nvcc_on_path(tmp_path):
    door = make_machine(
        tmp_path,
        env={"CUDA_HOME": "/usr/local/cuda-11.8"},
        dirs={"/usr/local": ["cuda", "cuda-11.8", "cuda-12.4"]},
        files={
            "/usr/local/cuda/version.json": version_json("12.4.1"),
            "/usr/local/cuda-12.4/version.json": version_json("12.4.1"),
            "/usr/local/cuda-11.8/version.txt": "CUDA Version 11.8.89\n",
        },
    )
    facts = cuda.probe(ProbeContext(door, timeout=2))
    assert facts.cuda_home == "/usr/local/cuda-11.8"
    assert (facts.active().version, facts.active().source) == ("11.8.89", "version.txt")
    assert len(facts.toolkits) == 2


def test_windows_toolkit_folders_and_versioned_variable(tmp_path):
    base = cuda.WINDOWS_TOOLKIT_DIR
    door = make_machine(
        tmp_path,
        system="Windows",
        env={"CUDA_PATH": f"{base}\\v12.4", "CUDA_PATH_V12_4": f"{base}\\v12.4"},
        dirs={base: ["v11.8", "v12.4"]},
        files={f"{base}\\v12.4\\version.json": version_json("12.4.1"),
               f"{base}\\v11.8\\version.json": fixture("version-11.8-excerpt.json")},
    )
    facts = cuda.probe(ProbeContext(door, timeout=2))
    assert [t.version for t in facts.toolkits] == ["12.4.1", "11.8.20220929"]
    assert facts.active().path == f"{base}\\v12.4"


@pytest.mark.parametrize("entry", [{"status": "timed_out"}, {"returncode": 1, "stderr": "Segmentation fault\n"}],
                         ids=["hung", "crashed"])
def test_an_unanswered_nvcc_on_path_is_never_replaced_by_another_toolkit(tmp_path, entry):
    """Without its version, the nvcc on PATH stays the active toolkit, unknown: CUDA_HOME and
    /usr/local/cuda do not stand in for it."""
    nvcc = "/opt/other/bin/nvcc"
    door = make_machine(
        tmp_path,
        which={"nvcc": nvcc},
        env={"CUDA_HOME": "/usr/local/cuda-12.4"},
        dirs={"/usr/local": ["cuda", "cuda-12.4"]},
        files={"/usr/local/cuda/version.json": version_json("12.4.1"),
               "/usr/local/cuda-12.4/version.json": version_json("12.4.1")},
        commands=[{"argv": [nvcc, "--version"], **entry}],
    )
    facts = cuda.probe(ProbeContext(door, timeout=2))
    assert facts.active() is None
    assert [t.version for t in facts.toolkits] == ["12.4.1"]
    (attempt,) = [a for a in facts.attempts if a.source == f"{nvcc} --version"]
    assert attempt.status == ("timed_out" if "status" in entry else "error")
    assert attempt.detail.endswith("the nvcc on PATH is the active toolkit, and its version is unknown")


def test_no_toolkit_is_an_empty_list_with_attempts(tmp_path):
    facts = cuda.probe(ProbeContext(make_machine(tmp_path), timeout=1))
    assert facts.toolkits == []
    assert any(a.source == "nvcc" and a.status == "not_found" for a in facts.attempts)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs an nvcc on PATH")
def test_live_machine_nvcc_is_the_active_toolkit():
    facts = cuda.probe(ProbeContext(LiveDoor(), timeout=10))
    active = facts.active()
    assert active is not None
    assert active.nvcc_path == shutil.which("nvcc")
    assert release_of(active.version) is not None
