"""Shared test helpers: the recorded machines under tests/machines/, and the Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) makes every property test deterministic: the same
examples on every run, no example database. Locally the ``dev`` profile draws new examples each run.
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from envdoctor.door import RecordedDoor, recorded_file_path
from envdoctor.facts import Facts
from envdoctor.probes import collect

# Bytecode is written for the test files even where PYTHONDONTWRITEBYTECODE is set: otherwise every xdist
# worker compiles and assertion-rewrites all of them anew (about 5 s of CPU each). Children started by the
# tests keep the setting they inherit.
sys.dont_write_bytecode = False

MACHINES_DIR = Path(__file__).parent / "machines"
FIXTURES_DIR = Path(__file__).parent / "fixtures"

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# mutation runs execute the suite once per mutant: fewer examples, the same deterministic draw
settings.register_profile("mutmut", parent=settings.get_profile("ci"), max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The suite reads English: a developer's Chinese locale must not change what the CLI writes. Tests of
# the language itself pass their own variables or --lang.
os.environ.pop("LANGUAGE", None)
for _name in ("LC_ALL", "LC_MESSAGES", "LANG"):
    if os.environ.get(_name, "").lower().startswith("zh"):
        os.environ[_name] = "C.UTF-8"


@pytest.fixture(autouse=True, scope="session")
def _no_user_data(tmp_path_factory):
    """Keep a developer's own refreshed recipes (platformdirs' user data and cache folders) out of every test."""
    saved = {name: os.environ.get(name) for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME")}
    base = tmp_path_factory.mktemp("user-dirs")
    os.environ["XDG_DATA_HOME"], os.environ["XDG_CACHE_HOME"] = str(base / "data"), str(base / "cache")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def load_machine(name: str, timeout: float = 5.0) -> tuple[RecordedDoor, Facts]:
    """The recorded machine ``tests/machines/<name>`` and the facts every probe collects from it."""
    door = RecordedDoor(MACHINES_DIR / name)
    return door, collect(door, timeout=timeout)


@pytest.fixture
def machines_dir() -> Path:
    return MACHINES_DIR


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES_DIR


def venv_beside_torch(folder: Path) -> str:
    """A fresh venv, without a pip of its own, that finds the test interpreter's torch (and the pip beside it)
    through a .pth file; returns its python. What a test installs into it is its own, while torch, the one
    large install, is shared: a venv of its own per test costs a second, not a minute of unpacking torch.
    Tests using it are marked ``needs_torch``."""
    from importlib.util import find_spec

    spec = find_spec("torch")
    if spec is None or spec.origin is None:
        pytest.skip("torch is not installed in this interpreter")
    torch_site = Path(spec.origin).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, capture_output=True,
                   timeout=120)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    Path(site, "envdoctor-test-torch.pth").write_text(f"{torch_site}\n", encoding="utf-8")
    return str(python)


def make_machine(
    folder: Path,
    *,
    system: str = "Linux",
    env: dict | None = None,
    which: dict | None = None,
    commands: list[dict] | None = None,
    files: dict[str, str] | None = None,
    dirs: dict[str, list[str]] | None = None,
    exists: list[str] | None = None,
    nvml: dict | None = None,
) -> RecordedDoor:
    """A small machine folder written on the spot, for probe tests that need one situation each.

    ``commands`` entries are machine.json command entries (argv, returncode, stdout, stderr, status).
    """
    import json

    for path, text in (files or {}).items():
        target = folder / "files" / recorded_file_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    manifest = {
        "format": "envdoctor.machine/1",
        "platform": {"system": system, "machine": "x86_64", "python_executable": "/usr/bin/python3"},
        "env": env or {},
        "which": which or {},
        "commands": commands or [],
        "dirs": dirs or {},
        "exists": exists or [],
        "nvml": nvml or {"status": "not_found", "error": "NVML Shared Library Not Found"},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machine.json").write_text(json.dumps(manifest), encoding="utf-8")
    return RecordedDoor(folder)


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers, which import envdoctor too
def pytest_sessionstart(session):
    """Byte-compile envdoctor once, before any test starts it in a child process. Where
    PYTHONDONTWRITEBYTECODE is set (as on the machines this suite runs on), nothing else writes its
    bytecode, and each of the suite's some 300 envdoctor commands would compile it anew: about 90 ms of
    CPU each."""
    if not hasattr(session.config, "workerinput"):  # the xdist controller, or a run without workers
        import envdoctor

        compileall.compile_dir(Path(envdoctor.__file__).parent, quiet=1)


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` starts one worker more than the machine has CPUs: the long tests spend much of their time
    waiting on a child (a pip install's downloads, a torchrun rank that must time out, a hung import killed at
    its deadline), and the extra worker runs short files meanwhile."""
    return (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(config, items):
    """Files holding long tests (marked ``long_unit``, or sharing one expensive fixture through an
    ``xdist_group`` mark) are handed out first: with ``-n`` and pyproject's ``--dist loadfile
    --no-loadscope-reorder`` a file is one unit, so the workers start the longest work first and the short
    files fill the gaps at the end.

    Tests marked ``needs_torch`` run the real torch: skip them, saying why, where it is not installed
    (the torch-free suite on the oldest supported Python).
    """
    from importlib.util import find_spec

    def long(item):
        return item.get_closest_marker("long_unit") is not None or item.get_closest_marker("xdist_group") is not None

    long_files = {item.nodeid.split("::", 1)[0] for item in items if long(item)}
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in long_files)  # stable: file order kept

    if find_spec("torch") is None:
        skip = pytest.mark.skip(reason="torch is not installed in this interpreter")
        for item in items:
            if "needs_torch" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _english():
    """Each test starts in English: a CLI run with --lang zh_CN leaves its language in force for the
    renderers a later test calls directly."""
    from envdoctor import i18n

    i18n.use(i18n.ENGLISH_LANGUAGE)

