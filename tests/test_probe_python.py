"""The pyinfo script run for real, and the python probe on machine folders."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.door import LiveDoor, RecordedDoor
from envdoctor.probes import ProbeContext
from envdoctor.probes.python import (
    FOLDER_NAMES,
    JSON_WRITER,
    PYINFO_SCRIPT,
    conda_version_from_records,
    parse_pyinfo,
    parse_tool_version,
    probe,
    run_pyinfo,
)

FIXTURES = Path(__file__).parent / "fixtures" / "python"
LINUX = {"system": "Linux", "machine": "x86_64", "python_executable": "/usr/bin/python3"}


def machine(tmp_path: Path, pyinfo: dict | None, python: str = "/usr/bin/python3", **parts) -> ProbeContext:
    """A RecordedDoor whose interpreter answers with the given pyinfo object."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    commands = list(parts.pop("commands", []))
    if pyinfo is not None:
        commands.append({"argv": [python, "-c", "<script envdoctor:pyinfo>"], "status": "ok", "returncode": 0,
                         "stdout": json.dumps({"pyinfo": 1, **pyinfo})})
    which = {"python3": python, **parts.pop("which", {})}
    (tmp_path / "machine.json").write_text(json.dumps(
        {"format": "envdoctor.machine/1", "platform": LINUX, "commands": commands, "which": which, **parts}
    ))
    return ProbeContext(door=RecordedDoor(tmp_path), timeout=2.0, python=python)


def system_python(prefix: str = "/usr", **extra) -> dict:
    return {"executable": f"{prefix}/bin/python3", "version": "3.12.3", "implementation": "cpython",
            "abiflags": "", "prefix": prefix, "base_prefix": prefix, "stdlib": "/usr/lib/python3.12",
            "purelib": f"{prefix}/lib/python3.12/site-packages", "platlib": f"{prefix}/lib/python3.12/site-packages",
            "sys_path": [], "distributions": [], **extra}


def test_script_is_marked_and_never_imports_torch():
    assert PYINFO_SCRIPT.splitlines()[0] == "# envdoctor:pyinfo"
    assert "import torch" not in PYINFO_SCRIPT


@pytest.mark.needs_torch
def test_pyinfo_in_the_current_interpreter():
    result, data = run_pyinfo(ProbeContext(LiveDoor(), timeout=30), sys.executable)
    assert result.succeeded, result.stderr
    assert data["version"] == platform.python_version()
    assert data["prefix"] == sys.prefix and data["base_prefix"] == sys.base_prefix
    torches = [d for d in data["distributions"] if d["name"] == "torch"]
    assert [t["version"] for t in torches] == ["2.13.0+cpu"]
    assert torches[0]["installer"] == "pip"
    assert all(d["name"] != "pytest" for d in data["distributions"])


def test_pyinfo_in_a_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    result, data = run_pyinfo(ProbeContext(LiveDoor(), timeout=30), python)
    assert result.succeeded, result.stderr
    assert Path(data["prefix"]).resolve() == venv.resolve()
    assert data["prefix"] != data["base_prefix"]
    assert [d for d in data["distributions"] if d["name"] == "torch"] == []

    facts = probe(ProbeContext(door=LiveDoor(), timeout=30, python=python))
    assert facts.status == "ok"
    assert facts.in_venv is True
    assert facts.externally_managed is False
    assert facts.tool("pip") is None


def test_missing_interpreter_is_not_found():
    facts = probe(ProbeContext(door=LiveDoor(), timeout=5, python="/nope/python"))
    assert facts.status == "not_found"
    assert facts.attempts[0].status == "not_found"
    assert facts.version is None


@pytest.mark.parametrize(
    ("entry", "status"),
    [({"status": "timed_out"}, "timed_out"),
     ({"status": "ok", "returncode": 0, "stdout": "Traceback (most recent call last):\n"}, "error"),
     ({"status": "ok", "returncode": 1, "stderr": "SyntaxError: invalid syntax"}, "error")],
    ids=["timed-out", "no-json", "crash"],
)
def test_interpreter_that_does_not_answer(tmp_path, entry, status):
    ctx = machine(tmp_path, None, commands=[{"argv": ["/usr/bin/python3", "-c", "<script envdoctor:pyinfo>"], **entry}])
    facts = probe(ctx)
    assert facts.status == status
    assert facts.attempts[0].status == status


def test_parse_pyinfo_takes_the_json_line_after_a_banner():
    data = parse_pyinfo('sitecustomize says hello\n{"pyinfo": 1, "version": "3.11.7", "distributions": [{"x": 1}]}\n')
    assert data["version"] == "3.11.7"
    assert data["distributions"] == []


@pytest.mark.parametrize("text", ["", None, "{", '{"pyinfo": 2}', "[1, 2]", '{"pyinfo": 1, "version": "3.1'])
def test_parse_pyinfo_rejects_other_text(text):
    assert parse_pyinfo(text) is None


@given(st.text())
def test_text_parsers_never_raise(text):
    parse_pyinfo(text)
    parse_tool_version(text)
    conda_version_from_records(text.split())


@pytest.mark.parametrize(
    ("name", "version"),
    [("uv-version.txt", "0.13.9"), ("mamba1-version.txt", "1.4.7"), ("mamba2-version.txt", "2.0.8")],
)
def test_tool_versions_from_real_answers(name, version):
    assert parse_tool_version((FIXTURES / name).read_text()) == version


def test_conda_version_skips_other_conda_packages():
    records = ["conda-build-3.28.1-py312h06a4308_0.json", "conda-content-trust-0.2.0-py312_1.json",
               "conda-24.9.2-py312h06a4308_0.json", "conda-package-handling-2.3.0-py312_0.json"]
    assert conda_version_from_records(records) == "24.9.2"
    assert conda_version_from_records(["history", "python-3.12.7-h5148396_0.json"]) is None


def test_pep668_marker_on_a_system_python(tmp_path):
    ctx = machine(tmp_path, system_python(), exists=["/usr/lib/python3.12/EXTERNALLY-MANAGED"])
    facts = probe(ctx)
    assert facts.in_venv is False
    assert facts.externally_managed is True
    assert facts.externally_managed_path == "/usr/lib/python3.12/EXTERNALLY-MANAGED"


def test_pep668_marker_ignored_in_a_venv(tmp_path):
    info = system_python(prefix="/home/u/venv")
    info["base_prefix"] = "/usr"
    facts = probe(machine(tmp_path, info, python="/home/u/venv/bin/python3",
                          exists=["/usr/lib/python3.12/EXTERNALLY-MANAGED"]))
    assert facts.in_venv is True
    assert facts.externally_managed is False
    assert facts.externally_managed_path is None


def test_conda_env_name_and_version_from_conda_meta(tmp_path):
    prefix = "/opt/conda/envs/ml"
    ctx = machine(
        tmp_path,
        system_python(prefix=prefix),
        python=f"{prefix}/bin/python3",
        which={"conda": "/opt/conda/bin/conda"},
        exists=[f"{prefix}/conda-meta"],
        dirs={"/opt/conda/conda-meta": ["conda-24.9.2-py312h06a4308_0.json", "history"]},
    )
    facts = probe(ctx)
    assert (facts.conda_prefix, facts.conda_env_name) == (prefix, "ml")
    conda = facts.tool("conda")
    assert (conda.path, conda.version) == ("/opt/conda/bin/conda", "24.9.2")


def test_conda_base_env(tmp_path):
    ctx = machine(tmp_path, system_python(prefix="/opt/conda"), python="/opt/conda/bin/python3",
                  exists=["/opt/conda/conda-meta", "/opt/conda/condabin"])
    assert probe(ctx).conda_env_name == "base"


def test_pip_and_uv_tools(tmp_path):
    site = "/usr/lib/python3.12/site-packages"
    info = system_python(distributions=[{"name": "pip", "version": "24.0", "location": site, "installer": None}])
    ctx = machine(
        tmp_path, info, which={"uv": "/usr/local/bin/uv"},
        commands=[{"argv": ["/usr/local/bin/uv", "--version"], "status": "ok", "returncode": 0,
                   "stdout": (FIXTURES / "uv-version.txt").read_text()}],
    )
    facts = probe(ctx)
    assert [t.name for t in facts.tools] == ["pip", "uv"]
    assert facts.tool("pip").version == "24.0"
    assert facts.tool("uv").version == "0.13.9"


def test_hung_uv_is_an_attempt_not_a_hang(tmp_path):
    ctx = machine(tmp_path, system_python(), which={"uv": "/usr/local/bin/uv"},
                  commands=[{"argv": ["/usr/local/bin/uv", "--version"], "status": "timed_out"}])
    facts = probe(ctx)
    assert facts.tool("uv").version is None
    assert any(a.source == "uv --version" and a.status == "timed_out" for a in facts.attempts)


# ---------------------------------------------------------------- every interpreter pyenv keeps here

PYENV = Path.home() / ".pyenv" / "versions"
PYENV_PYTHONS = sorted(PYENV.glob("*/bin/python")) if PYENV.is_dir() else []


@pytest.mark.skipif(not PYENV_PYTHONS, reason="needs interpreters installed by pyenv")
@pytest.mark.parametrize("python", PYENV_PYTHONS, ids=[p.parts[-3] for p in PYENV_PYTHONS])
def test_pyinfo_answers_in_every_cpython_from_2_7(python):
    """2.7 and 3.6 are reported as what they are, not as an interpreter that did not answer.

    The oracle is independent of the script: the version is pyenv's folder name, and the platform is
    this host's (pyenv builds native 64-bit CPython; sysconfig names Linux "linux-<machine>").
    """
    facts = probe(ProbeContext(door=LiveDoor(), timeout=60, python=str(python)))
    assert facts.status == "ok", facts.attempts
    assert facts.version == python.parts[-3]
    assert facts.implementation == "cpython"
    assert facts.machine == platform.machine()
    assert facts.pointer_bits == 64
    assert facts.free_threaded is False
    if sys.platform == "linux":
        assert facts.platform_tag == f"linux-{platform.machine()}"
    assert Path(facts.prefix).resolve() == python.parents[1].resolve()
    assert facts.in_venv is False


#: A folder name the interpreters must write back exactly: JSON's two escaped characters, controls, DEL,
#: Latin-1, CJK and a character beyond the BMP.
UNUSUAL = 'q"uote \\ back\ttab\x7fdel caf\u00e9 \u5e93 \U0001f600'


@pytest.mark.skipif(not PYENV_PYTHONS, reason="needs interpreters installed by pyenv")
@pytest.mark.parametrize("python", PYENV_PYTHONS, ids=[p.parts[-3] for p in PYENV_PYTHONS])
def test_pyinfo_writes_unusual_paths_and_reads_folder_names_in_every_cpython_from_2_7(python, tmp_path, monkeypatch):
    """The oracle is the folders made here: each metadata folder's name is read as PEP 427's wheel
    folders and the egg-info folders setuptools writes are named, and the path comes back as it was made."""
    site = tmp_path / UNUSUAL
    for folder, files in {
        "torch-2.5.1+cu121.dist-info": {"INSTALLER": "pip\n"},
        "Nvidia_CUDNN.cu12-9.1.0.70-py3.9.egg-info": {"PKG-INFO": "Name: nvidia-cudnn-cu12\nVersion: 9.1.0.70\n"},
        "numpy-1.0-py3-extra.dist-info": {},  # four parts: no metadata folder name
        "triton-3.0.0-cp311.dist-info": {},  # a third part that is no Python tag
        "pip.dist-info": {},  # no version in the name and no metadata file to read it from
        "setuptools-75.1.0.dist-info.bak": {},
    }.items():
        (site / folder).mkdir(parents=True)
        for name, text in files.items():
            (site / folder / name).write_text(text)
    monkeypatch.setenv("PYTHONPATH", str(site))
    result, data = run_pyinfo(ProbeContext(door=LiveDoor(), timeout=60), str(python))
    assert data is not None, result
    assert str(site) in data["sys_path"]
    assert [d for d in data["distributions"] if d["location"] == str(site)] == [
        {"name": "nvidia-cudnn-cu12", "version": "9.1.0.70", "location": str(site), "installer": None},
        {"name": "torch", "version": "2.5.1+cu121", "location": str(site), "installer": "pip"}]


def _run_text(text: str) -> dict:
    namespace: dict = {}
    exec(text, namespace)  # the script's own text, as the target interpreter runs it
    return namespace


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 63), max_value=2 ** 63) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@given(JSON_VALUES)
def test_the_json_writer_s_text_reads_back_as_the_value_it_wrote(value):
    """The oracle is the standard library's JSON reader: any text (lone surrogates too), number, list and
    object comes back equal."""
    assert json.loads(_run_text(JSON_WRITER)["dumps"](value)) == value


def test_the_json_writer_writes_ascii_only():
    dumps = _run_text(JSON_WRITER)["dumps"]
    assert dumps({"a": [1, None, True, False], "p": UNUSUAL}) == (
        '{"a": [1, null, true, false], "p": "q\\"uote \\\\ back\\u0009tab\\u007fdel caf\\u00e9 \\u5e93 '
        '\\ud83d\\ude00"}')
    assert dumps(UNUSUAL.encode("utf-8")) == dumps(UNUSUAL)  # Python 2's byte strings, read as UTF-8
    with pytest.raises(ValueError):
        dumps(b"\xff")
    with pytest.raises(TypeError):
        dumps(1.5)


#: The names of metadata folders as a regular expression: the oracle for the script's reader, which
#: works without ``re`` (an ASCII digit after "py"; the name ends at the end, newline or not).
FOLDER_PATTERN = re.compile(r"(?P<name>[^-]+)(?:-(?P<version>[^-]+?))?(?:-py[0-9][^-]*)?\.(?:dist|egg)-info\Z")


@given(st.text(alphabet="ab1.-_py9+\n", max_size=14), st.sampled_from([".dist-info", ".egg-info", ".dist-inf", ""]))
def test_folder_names_are_read_as_the_pattern_reads_them(stem, suffix):
    names = _run_text(FOLDER_NAMES)
    match = FOLDER_PATTERN.fullmatch(stem + suffix)
    assert names["folder_parts"](stem + suffix) == (match and (match["name"], match["version"]))
    assert names["normalise"](stem) == re.sub(r"[-_.]+", "-", stem).lower()


def test_new_platform_fields_come_from_the_target_not_from_envdoctor(tmp_path):
    """A Rosetta 2 Python on an arm64 Mac: envdoctor's platform says arm64, the interpreter x86_64."""
    info = system_python(platform_tag="macosx-10.9-x86_64", machine="x86_64", pointer_bits=64, free_threaded=False)
    facts = probe(machine(tmp_path, info))
    assert (facts.platform_tag, facts.machine, facts.pointer_bits, facts.free_threaded) == (
        "macosx-10.9-x86_64", "x86_64", 64, False)


def test_32_bit_and_free_threaded_interpreters(tmp_path):
    facts = probe(machine(tmp_path / "a", system_python(platform_tag="win32", machine="AMD64", pointer_bits=32)))
    assert (facts.platform_tag, facts.machine, facts.pointer_bits) == ("win32", "AMD64", 32)
    facts = probe(machine(tmp_path / "b", system_python(version="3.13.0", abiflags="t", free_threaded=True)))
    assert (facts.free_threaded, facts.abi_flags) == (True, "t")


def test_an_old_answer_without_the_new_keys_leaves_them_unknown(tmp_path):
    facts = probe(machine(tmp_path, system_python()))
    assert (facts.platform_tag, facts.machine, facts.pointer_bits, facts.free_threaded) == (None, None, None, None)


@pytest.mark.parametrize(
    "values",
    [{"version": 3.12, "machine": ["x86_64"], "pointer_bits": "64", "free_threaded": "yes", "prefix": 1,
      "sys_path": "not a list"},
     {"pointer_bits": True, "free_threaded": 1, "sys_path": [1, None, "/usr/lib/python3/dist-packages"],
      "distributions": [{"name": "torch", "version": 2, "location": 7}, {"name": 5}, "pip"]}],
)
def test_a_hostile_answer_gets_the_types_its_readers_expect(values):
    data = parse_pyinfo(json.dumps({"pyinfo": 1, **values}))
    assert all(data[key] is None or isinstance(data[key], str) for key in ("version", "machine", "prefix"))
    assert data["pointer_bits"] is None and data["free_threaded"] is None
    assert all(isinstance(p, str) for p in data["sys_path"])
    for entry in data["distributions"]:
        assert isinstance(entry["name"], str) and isinstance(entry["version"], str)
        assert entry["location"] is None or isinstance(entry["location"], str)


def test_deeply_nested_answer_is_no_answer():
    assert parse_pyinfo('{"pyinfo": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}") is None
