from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES_DIR, make_machine
from envdoctor.door import CommandResult
from envdoctor.probes import ProbeContext, cudnn
from envdoctor.probes.cudnn import library_version, parse_cudnn_header

FIX = FIXTURES_DIR / "cudnn"
HEADER = (FIX / "cudnn_version-8.9.7.h").read_text(encoding="utf-8")


def test_header_versions():
    assert parse_cudnn_header(HEADER) == "8.9.7"
    assert parse_cudnn_header((FIX / "grep-cudnn_version_v8-8.9.2.txt").read_text()) == "8.9.2"
    assert parse_cudnn_header((FIX / "grep-major-only-8.txt").read_text()) == "8"
    assert parse_cudnn_header("#define CUDNN_VERSION 8907") is None


def test_library_names():
    assert library_version("libcudnn.so.8.9.7") == "8.9.7"
    assert library_version("libcudnn.so.9") == "9"
    assert library_version("libcudnn.so") is None
    assert library_version("libcudnn_ops_infer.so.8") is None
    assert library_version("cudnn64_8.dll") == "8"


@given(st.text())
def test_parsers_never_raise(text):
    parse_cudnn_header(text)
    library_version(text)


def context(door, distributions=None) -> ProbeContext:
    """A probe context whose target interpreter already answered (or did not, with None)."""
    if distributions is None:
        answer = (CommandResult(("python3",), "timed_out"), None)
    else:
        answer = (CommandResult(("python3",), "ok", 0), {"pyinfo": 1, "distributions": distributions})
    return ProbeContext(door, timeout=1, _pyinfo=answer)


def test_system_header_library_and_pip_are_reported_apart(tmp_path):
    door = make_machine(
        tmp_path,
        files={"/usr/include/x86_64-linux-gnu/cudnn_version.h": HEADER},
        dirs={"/usr/lib/x86_64-linux-gnu": ["libc.so.6", "libcudnn.so.8", "libcudnn.so.8.9.7"]},
    )
    dists = [
        {"name": "nvidia-cudnn-cu12", "version": "9.1.0.70", "location": "/venv/site-packages"},
        {"name": "nvidia-cudnn-cu12", "version": "9.1.0.70", "location": "/venv/site-packages"},
        {"name": "nvidia-cublas-cu12", "version": "12.4.5.8", "location": "/venv/site-packages"},
    ]
    facts = cudnn.probe(context(door, dists))
    assert [(i.kind, i.version) for i in facts.installs] == [
        ("header", "8.9.7"),
        ("library", "8.9.7"),
        ("pip", "9.1.0.70"),
    ]
    assert facts.installs[1].path == "/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.7"
    assert facts.installs[2].package == "nvidia-cudnn-cu12"


def test_cudnn7_defines_in_cudnn_h_and_toolkit_folders(tmp_path):
    door = make_machine(
        tmp_path,
        dirs={"/usr/local": ["cuda-10.2"], "/usr/local/cuda-10.2/lib64": ["libcudnn.so.7", "libcudnn.so.7.6.5"]},
        files={"/usr/local/cuda-10.2/include/cudnn.h": "#define CUDNN_MAJOR 7\n#define CUDNN_MINOR 6\n#define CUDNN_PATCHLEVEL 5\n"},
    )
    facts = cudnn.probe(context(door, []))
    assert [(i.kind, i.version, i.source) for i in facts.installs] == [
        ("header", "7.6.5", "cudnn.h"),
        ("library", "7.6.5", "file name"),
    ]


def test_nothing_found_and_interpreter_silent(tmp_path):
    facts = cudnn.probe(context(make_machine(tmp_path), None))
    assert facts.installs == []
    assert {a.status for a in facts.attempts} == {"timed_out", "not_found"}
