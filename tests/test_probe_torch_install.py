"""torch/version.py read as text, and the installed-torch probe."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.door import LiveDoor, RecordedDoor
from envdoctor.probes import ProbeContext
from envdoctor.probes.torch_install import local_tag, parse_torch_version_py, probe

FIXTURES = Path(__file__).parent / "fixtures" / "torch"
WHEEL_LINES = (FIXTURES / "torch-version-py-from-pypi-wheels.txt").read_text().splitlines()
SITE = "/usr/lib/python3/site-packages"


def version_py_of(line: str) -> str:
    """The assignment lines of one wheel's version.py, as the reference file lists them."""
    return "from typing import Optional\n\n" + "\n".join(line.split(": ", 1)[1].split(" | ")) + "\n"


@pytest.mark.parametrize("line", WHEEL_LINES, ids=[line.split(":")[0] for line in WHEEL_LINES])
def test_every_released_version_py(line):
    values = parse_torch_version_py(version_py_of(line))
    version = values["__version__"]
    assert values["debug"] is False
    assert len(values["git_version"]) == 40
    assert values["hip"] is None
    local = local_tag(version)
    if values["cuda"] is None:
        assert local == "cpu"
    else:
        assert local == "cu" + values["cuda"].replace(".", "")


def test_real_files():
    cpu = parse_torch_version_py((FIXTURES / "version-2.13.0+cpu.py").read_text())
    assert (cpu["__version__"], cpu["cuda"], cpu["xpu"]) == ("2.13.0+cpu", None, None)
    rocm = parse_torch_version_py((FIXTURES / "version-2.3.0.dev20240308+rocm6.0.py").read_text())
    assert rocm["hip"] == "6.0.32830-d62f6a171"
    assert local_tag(rocm["__version__"]) == "rocm6.0"
    plain = parse_torch_version_py((FIXTURES / "version-2.3.0-macos-venv.py").read_text())
    assert local_tag(plain["__version__"]) is None


def test_damaged_version_py():
    text = (FIXTURES / "version-2.13.0+cpu.py").read_text()
    assert parse_torch_version_py(text[: text.index("__version__") + 5]) is None
    assert parse_torch_version_py("") is None
    assert parse_torch_version_py("__version__ = get_version()\n") is None
    computed = parse_torch_version_py("__version__ = '2.5.1'\ncuda = os.environ['X']\n")
    assert "cuda" not in computed


@given(st.text())
def test_parsers_never_raise(text):
    parse_torch_version_py(text)
    local_tag(text)


@pytest.mark.parametrize(
    ("version", "local"),
    [("2.5.1+cu124", "cu124"), ("2.6.0+rocm6.2.4", "rocm6.2.4"), ("2.13.0", None), ("not a version+xyz", "xyz"), ("", None)],
)
def test_local_tag(version, local):
    assert local_tag(version) == local


@pytest.mark.needs_torch
def test_the_real_torch_of_the_dev_venv():
    facts = probe(ProbeContext(door=LiveDoor(), timeout=30, python=sys.executable))
    assert facts.status == "ok"
    assert (facts.version, facts.local, facts.cuda, facts.hip) == ("2.13.0+cpu", "cpu", None, None)
    assert facts.git_version == "cf30153c4c131c8164ee7798e5022d810682e2cb"
    assert facts.installer == "pip" and facts.conda is False
    assert len(facts.copies) == 1


def machine(tmp_path: Path, distributions: list[dict], files: dict | None = None, **parts) -> ProbeContext:
    """A RecordedDoor whose interpreter lists these distributions."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for path, text in (files or {}).items():
        target = tmp_path / "files" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    pyinfo = {"pyinfo": 1, "executable": "/usr/bin/python3", "version": "3.12.3", "prefix": "/opt/env",
              "base_prefix": "/opt/env", "distributions": distributions}
    (tmp_path / "machine.json").write_text(json.dumps({
        "format": "envdoctor.machine/1",
        "platform": {"system": "Linux", "machine": "x86_64", "python_executable": "/usr/bin/python3"},
        "commands": [{"argv": ["/usr/bin/python3", "-c", "<script envdoctor:pyinfo>"], "status": "ok",
                      "returncode": 0, "stdout": json.dumps(pyinfo)}],
        **parts,
    }))
    return ProbeContext(door=RecordedDoor(tmp_path), timeout=2.0)


def dist(name: str, version: str, location: str = SITE, installer: str | None = "pip") -> dict:
    return {"name": name, "version": version, "location": location, "installer": installer}


def test_missing_version_py_is_an_error(tmp_path):
    facts = probe(machine(tmp_path, [dist("torch", "2.5.1+cu124")]))
    assert facts.status == "error"
    assert facts.attempts[-1].status == "not_found"
    assert facts.version == "2.5.1+cu124"


def test_garbled_version_py_is_an_error(tmp_path):
    facts = probe(machine(tmp_path, [dist("torch", "2.5.1+cu124")],
                          files={f"{SITE}/torch/version.py": "\x00\x00 binary junk"}))
    assert facts.status == "error"
    assert facts.attempts[-1].status == "unparsed"


def test_two_copies_companions_and_cuda_wheels(tmp_path):
    user_site = "/home/u/.local/lib/python3.12/site-packages"
    line = next(entry for entry in WHEEL_LINES if entry.startswith("torch-2.5.1-"))
    facts = probe(machine(
        tmp_path,
        [dist("torch", "2.5.1+cu124", user_site), dist("nvidia-ml-py", "12.560.30", user_site),
         dist("nvidia-cudnn-cu12", "9.1.0.70", user_site), dist("triton", "3.1.0", user_site),
         dist("torchvision", "0.20.1+cu124", user_site), dist("torch", "2.4.1", SITE)],
        files={f"{user_site}/torch/version.py": version_py_of(line)},
    ))
    assert facts.status == "ok"
    assert (facts.version, facts.cuda, facts.location) == ("2.5.1+cu124", "12.4", user_site)
    assert facts.copies == [user_site, SITE]
    assert [d.name for d in facts.companions] == ["triton", "torchvision"]
    assert [d.name for d in facts.nvidia_packages] == ["nvidia-cudnn-cu12"]


def test_conda_record_and_installer(tmp_path):
    version_py = (FIXTURES / "version-2.13.0+cpu.py").read_text()
    files = {f"{SITE}/torch/version.py": version_py}
    dirs = {"/opt/env/conda-meta": ["python-3.12.3-h5148396_1.json", "pytorch-2.5.1-py3.12_cpu_0.json"]}
    by_pip = probe(machine(tmp_path / "a", [dist("torch", "2.13.0+cpu")], files, dirs=dirs))
    assert (by_pip.conda, by_pip.installer) == (True, "pip")
    by_conda = probe(machine(tmp_path / "b", [dist("torch", "2.13.0+cpu", installer=None)], files, dirs=dirs))
    assert (by_conda.conda, by_conda.installer) == (True, "conda")


def test_absent_and_unknown(tmp_path):
    absent = probe(machine(tmp_path / "a", [dist("numpy", "2.1.3")]))
    assert absent.status == "absent"
    assert absent.attempts[0].status == "not_found"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "machine.json").write_text(json.dumps(
        {"format": "envdoctor.machine/1", "platform": {"system": "Linux", "machine": "x86_64", "python_executable": "/nope"}}
    ))
    unknown = probe(ProbeContext(door=RecordedDoor(tmp_path / "b"), timeout=2.0))
    assert unknown.status == "absent"
    assert unknown.attempts[0].status == "not_found"
