from __future__ import annotations

import json

from conftest import FIXTURES_DIR, make_machine
from hypothesis import given
from hypothesis import strategies as st

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


def context(folder, distributions=None, **parts) -> ProbeContext:
    """A machine whose target interpreter answers pyinfo with these distributions (None: it hangs)."""
    pyinfo = ["/usr/bin/python3", "-c", "<script envdoctor:pyinfo>"]
    if distributions is None:
        answer = {"argv": pyinfo, "status": "timed_out"}
    else:
        answer = {"argv": pyinfo, "returncode": 0, "stdout": json.dumps({"pyinfo": 1, "distributions": distributions})}
    return ProbeContext(make_machine(folder, commands=[answer], **parts), timeout=1)


def test_system_header_library_and_pip_are_reported_apart(tmp_path):
    dists = [
        {"name": "nvidia-cudnn-cu12", "version": "9.1.0.70", "location": "/venv/site-packages"},
        {"name": "nvidia-cudnn-cu12", "version": "9.1.0.70", "location": "/venv/site-packages"},
        {"name": "nvidia-cublas-cu12", "version": "12.4.5.8", "location": "/venv/site-packages"},
    ]
    facts = cudnn.probe(context(
        tmp_path, dists,
        files={"/usr/include/x86_64-linux-gnu/cudnn_version.h": HEADER},
        dirs={"/usr/lib/x86_64-linux-gnu": ["libc.so.6", "libcudnn.so.8", "libcudnn.so.8.9.7"]},
    ))
    assert [(i.kind, i.version) for i in facts.installs] == [
        ("header", "8.9.7"),
        ("library", "8.9.7"),
        ("pip", "9.1.0.70"),
    ]
    assert facts.installs[1].path == "/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.7"
    assert facts.installs[2].package == "nvidia-cudnn-cu12"


def test_cudnn7_defines_in_cudnn_h_and_toolkit_folders(tmp_path):
    facts = cudnn.probe(context(
        tmp_path, [],
        dirs={"/usr/local": ["cuda-10.2"], "/usr/local/cuda-10.2/lib64": ["libcudnn.so.7", "libcudnn.so.7.6.5"]},
        files={"/usr/local/cuda-10.2/include/cudnn.h":
               "#define CUDNN_MAJOR 7\n#define CUDNN_MINOR 6\n#define CUDNN_PATCHLEVEL 5\n"},
    ))
    assert [(i.kind, i.version, i.source) for i in facts.installs] == [
        ("header", "7.6.5", "cudnn.h"),
        ("library", "7.6.5", "file name"),
    ]


def test_nothing_found_and_interpreter_silent(tmp_path):
    facts = cudnn.probe(context(tmp_path, None))
    assert facts.installs == []
    assert {a.status for a in facts.attempts} == {"timed_out", "not_found"}
