"""Replaying a machine folder from someone else: it reads only regular files inside the folder,
bounded, checks every field's type, and fails with MachineFolderError naming the entry, never with
another exception, a hang or a silently different verdict.

The folders are built here on purpose (synthesised), from tests/machines/ recordings and by hand.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import stat
import sys
import threading
from pathlib import Path

import pytest
from conftest import MACHINES_DIR
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from envdoctor import door
from envdoctor.door import MACHINE_FORMAT, MANIFEST_ENTRY_LIMIT, LiveDoor, MachineFolderError, RecordedDoor, RecordingDoor
from envdoctor.probes import ProbeContext, apple, collect, cuda, cudnn, nvidia, python, rocm, system, torch_install, xpu

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and symlinks as POSIX has them")


def base_manifest() -> dict:
    """A small valid machine.json with every section filled."""
    return {
        "format": MACHINE_FORMAT,
        "platform": {"system": "Linux", "machine": "x86_64", "release": "6.8.0", "python_executable": "/usr/bin/python3",
                     "cpu_count_logical": 8, "cpu_count_physical": 4, "memory_total_bytes": 17179869184},
        "env": {"PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": "0"},
        "which": {"nvidia-smi": "/usr/bin/nvidia-smi"},
        "commands": [{"argv": ["/usr/bin/nvidia-smi", "-L"], "status": "ok", "returncode": 0,
                      "stdout": "GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-1)\n", "duration_s": 0.05}],
        "dirs": {"/usr/local": ["cuda-12.4"]},
        "exists": ["/dev/nvidiactl"],
        "nvml": {"status": "ok", "data": {"driver_version": "550.54.15", "cuda_driver_version": 12040, "devices": [
            {"index": 0, "name": "NVIDIA GeForce RTX 3090", "uuid": "GPU-1", "memory_total_bytes": 25769803776,
             "compute_capability": [8, 6], "mig_mode": None, "pci_bus_id": "00000000:01:00.0"}]}},
    }


def write_folder(folder: Path, manifest: dict | str, files: dict[str, bytes] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    (folder / "machine.json").write_text(text)
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def open_in_thread(folder: Path) -> RecordedDoor:
    """RecordedDoor(folder), failing after 30 s instead of hanging the test run."""
    box = {}

    def target():
        try:
            box["door"] = RecordedDoor(folder)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), f"opening {folder} hung"
    if "error" in box:
        raise box["error"]
    return box["door"]


def refused(folder: Path) -> str:
    with pytest.raises(MachineFolderError) as caught:
        open_in_thread(folder)
    return str(caught.value)


def test_the_base_manifest_is_valid(tmp_path):
    replay = RecordedDoor(write_folder(tmp_path, base_manifest()))
    assert replay.nvml(1).data["devices"][0]["name"] == "NVIDIA GeForce RTX 3090"


# ---------------------------------------------------------------------------- files outside or not files


@pytest.mark.parametrize("name", ["/etc/passwd", "../outside.txt", "commands/../../outside.txt", "C:\\x.txt",
                                  "commands\\..\\..\\x", "", "commands//x"])
def test_an_output_file_outside_the_folder_is_refused(tmp_path, name):
    (tmp_path / "outside.txt").write_text("a host file\n")
    manifest = base_manifest()
    manifest["commands"][0].pop("stdout")
    manifest["commands"][0]["stdout_file"] = name
    message = refused(write_folder(tmp_path / "m", manifest))
    assert "commands[0].stdout_file" in message and "not a relative path inside the folder" in message


def test_a_missing_output_file_is_an_error_at_once_not_a_vanished_gpu(tmp_path):
    folder = tmp_path / "wsl2"
    shutil.copytree(MACHINES_DIR / "wsl2-rtx4070", folder)
    (folder / "commands" / "01-nvidia-smi.stdout").unlink()
    message = refused(folder)
    assert message.startswith(f"{folder / 'commands' / '01-nvidia-smi.stdout'}: no such file")


@posix_only
@pytest.mark.parametrize("where", ["files/etc/os-release", "commands/00-python.stdout", "notes/link", "files"])
def test_a_symlink_anywhere_in_the_folder_is_refused(tmp_path, where):
    folder = tmp_path / "wsl2"
    shutil.copytree(MACHINES_DIR / "wsl2-rtx4070", folder)
    target = folder / where
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to("/etc/hostname")
    assert refused(folder) == f"{target}: a symbolic link; a machine folder holds regular files and folders only"


@posix_only
def test_a_fifo_in_the_folder_is_refused_without_hanging(tmp_path):
    folder = write_folder(tmp_path, base_manifest())
    (folder / "files" / "proc").mkdir(parents=True)
    os.mkfifo(folder / "files" / "proc" / "cpuinfo")
    assert "files/proc/cpuinfo: a FIFO" in refused(folder)


@posix_only
def test_a_device_node_in_the_folder_is_refused(tmp_path):
    folder = write_folder(tmp_path, base_manifest())
    (folder / "files").mkdir()
    try:
        os.mknod(folder / "files" / "zero", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    assert "files/zero: a character device" in refused(folder)


@posix_only
@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_machine_json_itself_must_be_a_regular_file(tmp_path, kind):
    real = write_folder(tmp_path / "real", base_manifest()) / "machine.json"
    folder = tmp_path / "m"
    folder.mkdir()
    if kind == "symlink":
        (folder / "machine.json").symlink_to(real)
    else:
        os.mkfifo(folder / "machine.json")
    message = refused(folder)
    assert message.startswith(f"{folder / 'machine.json'}: a ")


def test_a_huge_machine_json_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(door.recorded, "MANIFEST_LIMIT", 1000)
    manifest = base_manifest()
    manifest["env"]["PADDING"] = "x" * 2000
    assert "larger than 1000 bytes" in refused(write_folder(tmp_path, manifest))


def test_a_huge_output_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(door.recorded, "FOLDER_FILE_LIMIT", 1000)
    manifest = base_manifest()
    manifest["commands"][0].pop("stdout")
    manifest["commands"][0]["stdout_file"] = "commands/smi.txt"
    folder = write_folder(tmp_path, manifest, {"commands/smi.txt": b"GPU 0\n" * 1000})
    assert "commands/smi.txt: larger than 1000 bytes" in refused(folder)


@pytest.mark.parametrize("part", ["dirs", "listings", "exists"])
def test_a_machine_json_with_too_many_entries_is_refused_before_they_are_checked(tmp_path, monkeypatch, part):
    """500,000 entries took 71 s and 1.2 GB to load. The count is taken first, and no entry is checked
    one by one (the per-entry check is replaced by one that fails the test)."""
    over = MANIFEST_ENTRY_LIMIT + 1
    manifest = base_manifest()
    if part == "dirs":
        manifest["dirs"] = {f"/d/{number}": [] for number in range(over)}
    elif part == "listings":
        manifest["dirs"] = {f"/d/{number}": [f"e{entry}" for entry in range(1000)] for number in range(over // 1000 + 1)}
    else:
        manifest["exists"] = [f"/e/{number}" for number in range(over)]

    def checked_one_by_one(*args, **kwargs):
        raise AssertionError("entries were checked one by one before their number was")

    monkeypatch.setattr(door.recorded._Manifest, "mapping", checked_one_by_one)
    monkeypatch.setattr(door.recorded._Manifest, "strings", checked_one_by_one)
    message = refused(write_folder(tmp_path, manifest))
    field = "exists" if part == "exists" else "dirs"
    assert message == (f"{tmp_path / 'machine.json'}: {field}: more than {MANIFEST_ENTRY_LIMIT} entries in all: "
                       "not a recorded machine")


def test_a_machine_json_just_within_the_entry_limit_loads(tmp_path):
    manifest = base_manifest()
    manifest["exists"] = [f"/e/{number}" for number in range(MANIFEST_ENTRY_LIMIT - 8)]
    assert open_in_thread(write_folder(tmp_path, manifest)).exists("/e/0")


def test_files_recorded_with_hostile_paths_stay_inside(tmp_path):
    folder = write_folder(tmp_path / "m", base_manifest(), {"files/x": b"inside\n", "files/C/y": b"drive\n"})
    (tmp_path / "x").write_text("outside\n")
    replay = RecordedDoor(folder)
    assert replay.read_text("/../../x") == "inside\n"
    assert replay.read_text("C:\\..\\..\\y") == "drive\n"
    assert replay.read_text(str(tmp_path / "x")) is None


# ---------------------------------------------------------------------------- malformed machine.json


def mutated(path: tuple, value) -> dict:
    manifest = base_manifest()
    target = manifest
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return manifest


WRONG = [
    (("platform", "system"), 5, "'system' must be a string"),
    (("platform", "cpu_count_logical"), "8", "'cpu_count_logical' must be an integer or null"),
    (("platform", "memory_total_bytes"), True, "must be an integer or null"),
    (("platform", "bogus"), 1, "unknown key(s) bogus"),
    (("env", "PATH"), 1, "env: must be an object of string -> string"),
    (("env",), ["PATH"], "env: must be an object"),
    (("which", "nvidia-smi"), ["/usr/bin/nvidia-smi"], "which: must be an object"),
    (("dirs", "/usr/local"), "cuda", "dirs: must be an object of string -> list of strings"),
    (("exists",), "/dev/nvidiactl", "exists: must be a list of strings"),
    (("commands",), {"argv": []}, "commands: must be a list"),
    (("commands", 0, "argv"), ["nvidia-smi", 5], "commands[0].argv: must be a list of strings"),
    (("commands", 0, "argv"), [], "commands[0] needs an 'argv' list"),
    (("commands", 0, "status"), "exploded", "commands[0].status: must be one of"),
    (("commands", 0, "returncode"), "0", "commands[0].returncode: must be an integer or null"),
    (("commands", 0, "returncode"), False, "commands[0].returncode: must be an integer or null"),
    (("commands", 0, "stdout"), 5, "commands[0].stdout: must be a string"),
    (("commands", 0, "stdout_fiel"), "x", "commands[0]: unknown key(s) stdout_fiel"),
    (("commands", 0, "duration_s"), "0.05", "commands[0].duration_s: must be a finite number"),
    (("commands", 0, "duration_s"), -1, "commands[0].duration_s: must be a finite number"),
    (("commands", 0, "truncated"), "yes", "commands[0].truncated: must be true or false"),
    (("nvml", "status"), "fine", "nvml.status: must be one of"),
    (("nvml", "data"), [1], "nvml.data: must be an object or null"),
    (("nvml", "data", "devices"), {"0": {}}, "nvml.data.devices: must be a list"),
    (("nvml", "data", "devices", 0, "name"), 42, "nvml.data.devices[0].name: must be a string"),
    (("nvml", "data", "devices", 0, "name"), None, "nvml.data.devices[0].name: must be a string"),
    (("nvml", "data", "devices", 0, "compute_capability"), ["8", "6"], "compute_capability: must be a list of two"),
    (("nvml", "data", "devices", 0, "index"), 0.5, "nvml.data.devices[0].index: must be an integer"),
    (("nvml", "data", "cuda_driver_version"), "12040", "cuda_driver_version: must be an integer or null"),
    (("target_python",), 3, "target_python: must be a non-empty string or null"),
    (("surprise",), {}, "top level: unknown key(s) surprise"),
]


@pytest.mark.parametrize("path, value, problem", WRONG, ids=[".".join(map(str, w[0])) for w in WRONG])
def test_a_wrong_type_anywhere_is_a_machine_folder_error_naming_it(tmp_path, path, value, problem):
    message = refused(write_folder(tmp_path, mutated(path, value)))
    assert message.startswith(f"{tmp_path / 'machine.json'}: ") and problem in message, message


@pytest.mark.parametrize("text, problem", [
    ('{"format": "envdoctor.machine/1", "env": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested deeper"),
    ('{"format": "envdoctor.machine/1", "x": ' + "{\"a\": " * 70 + "1" + "}" * 70 + "}", "nested deeper than 64"),
    ('{"format": "envdoctor.machine/1", "commands": [{"argv": ["x"], "duration_s": NaN}]}', "NaN is not a JSON"),
    ('{"format": "envdoctor.machine/1", "commands": [{"argv": ["x"], "duration_s": -Infinity}]}', "-Infinity"),
    ('{"format": "envdoctor.machine/1", "commands": [{"argv": ["x"], "duration_s": 1e999}]}', "1e999 is out of range"),
    ("\udcff", "not readable JSON"),
])
def test_hostile_json_is_a_machine_folder_error(tmp_path, text, problem):
    (tmp_path / "machine.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    message = refused(tmp_path)
    assert "not readable JSON" in message and problem in message, message


# A JSON value of any shape and type, some deeply nested, for the property below.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
deep_values = st.integers(min_value=1, max_value=300).map(lambda depth: json.loads("[" * depth + "]" * depth))


def paths_in(value, prefix=()):
    """Every (path) to a dict value or list item inside a manifest: the places a mutation can go."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from paths_in(item, (*prefix, index))


PROBES = [system.probe_os, system.probe_cpu, python.probe, nvidia.probe, cuda.probe, cudnn.probe, rocm.probe, xpu.probe,
          apple.probe, torch_install.probe]
MUTATION_PATHS = [path for path in paths_in(base_manifest()) if path != ("format",)]


def value_at(path: tuple):
    target = base_manifest()
    for key in path:
        target = target[key]
    return target


def same_type(original):
    """Values of the original's type but any content: what passes the type checks and reaches the probes."""
    if isinstance(original, bool):
        return st.booleans()
    if isinstance(original, int):
        return st.integers()
    if isinstance(original, float):
        return st.floats(min_value=0, max_value=1e6)
    if isinstance(original, str):
        return st.text(max_size=40)
    if isinstance(original, list) and original and all(isinstance(item, str) for item in original):
        return st.lists(st.text(max_size=20), max_size=4)
    if isinstance(original, list) and original and all(isinstance(item, int) for item in original):
        return st.lists(st.integers(), min_size=len(original), max_size=len(original))
    return st.just(copy.deepcopy(original))


mutations = st.sampled_from(MUTATION_PATHS).flatmap(
    lambda path: st.tuples(st.just(path), json_values | deep_values | same_type(value_at(path))))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutation=mutations, extra=st.booleans())
def test_any_wrong_shape_is_refused_cleanly_or_replays_without_a_probe_crash(tmp_path_factory, mutation, extra):
    path, value = mutation
    manifest = mutated(path, value)
    if extra:  # a sibling key besides the mutated one
        target = manifest
        for key in path[:-1]:
            target = target[key]
        if isinstance(target, dict):
            target["zz_extra"] = copy.deepcopy(value)
    folder = write_folder(tmp_path_factory.mktemp("m"), manifest)
    try:
        replay = RecordedDoor(folder)
    except MachineFolderError as exc:
        assert str(exc).startswith(str(folder / "machine.json"))
        event("refused")
        return
    event("opened")
    ctx = ProbeContext(replay, timeout=1)
    for probe in PROBES:
        probe(ctx)  # raises if a value that passed the checks still trips a probe


# ---------------------------------------------------------------------------- --python is recorded


def test_a_recording_made_for_another_interpreter_replays_with_it(tmp_path):
    other = next((p for p in sorted(Path.home().glob(".pyenv/versions/3.1[0-3]*/bin/python"))
                  if p.resolve() != Path(sys.executable).resolve()), None)
    if other is None:
        pytest.skip("needs a second interpreter (pyenv)")
    recorder = RecordingDoor(LiveDoor(), target_python=str(other))
    live = collect(recorder, timeout=30, python=str(other))
    folder = recorder.write(tmp_path / "rec")
    assert json.loads((folder / "machine.json").read_text())["target_python"] == str(other)
    replay = RecordedDoor(folder)
    assert replay.python_executable() == str(other)
    again = collect(replay, timeout=30)
    assert again.python.executable == live.python.executable
    assert again.python.version == live.python.version and again.python.version != f"{sys.version_info[0]}."
    assert again.python.attempts[0].status == "ok"
