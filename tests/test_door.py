"""The door: commands never hang or raise, and a recorded machine replays what was recorded."""

from __future__ import annotations

import json
import os
import stat
import sys
import time

import pytest

from envdoctor.door import (
    MACHINE_FORMAT,
    OUTPUT_LIMIT,
    LiveDoor,
    MachineFolderError,
    RecordedDoor,
    RecordingDoor,
    command_key,
    recorded_file_path,
    run_command,
)
from envdoctor.readers.json_text import parse_json_text


def _script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_run_command_captures_output_and_exit_code():
    result = run_command([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"], 10)
    assert result.status == "ok"
    assert result.returncode == 3
    assert result.stdout.strip() == "out"
    assert result.stderr.strip() == "err"
    assert not result.succeeded
    assert result.describe() == "exit code 3: err"


def test_missing_program_is_not_found():
    result = run_command(["envdoctor-no-such-program-xyz"], 5)
    assert result.status == "not_found"
    assert result.describe() == "not found"


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_hung_command_and_its_children_are_killed_within_the_timeout(tmp_path):
    # the child starts a grandchild that keeps the pipe open: a naive timeout would still hang
    hung = _script(tmp_path, "hung", "echo started\nsleep 1000 &\nsleep 1000\n")
    start = time.monotonic()
    result = run_command([hung], 1.0)
    elapsed = time.monotonic() - start
    assert result.status == "timed_out"
    assert elapsed < 3.0
    assert "started" in result.stdout
    assert result.describe().startswith("timed out after")


def test_undecodable_output_is_replaced_not_raised():
    result = run_command([sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'\\xff\\xfeok')"], 10)
    assert result.stdout.endswith("ok")
    assert "\ufffd" in result.stdout


def test_live_door_reads_files_and_tolerates_missing_ones(tmp_path):
    door = LiveDoor()
    (tmp_path / "f.txt").write_text("hello")
    assert door.read_text(str(tmp_path / "f.txt")) == "hello"
    assert door.read_text(str(tmp_path / "missing")) is None
    assert door.listdir(str(tmp_path)) == ["f.txt"]
    assert door.listdir(str(tmp_path / "missing")) is None
    assert door.platform().python_executable == sys.executable
    assert door.platform().system


def test_live_nvml_without_a_driver_is_a_result_not_an_exception():
    result = LiveDoor().nvml(5)
    assert result.status in {"ok", "not_found", "error", "timed_out"}
    if result.status != "ok":
        assert result.error


def test_command_key_matches_scripts_by_marker():
    script = "# envdoctor:pyinfo\nimport json\nprint(json.dumps({}))"
    assert command_key(["/usr/bin/python3", "-c", script]) == ("/usr/bin/python3", "-c", "<script envdoctor:pyinfo>")
    assert command_key(["python", "-c", "x = 1\ny = 2"]) == ("python", "-c", "<script>")
    assert command_key(["nvidia-smi", "-L"]) == ("nvidia-smi", "-L")


def _machine(tmp_path, **manifest):
    data = {"format": MACHINE_FORMAT, "platform": {"system": "Linux", "machine": "x86_64"}}
    data.update(manifest)
    (tmp_path / "machine.json").write_text(json.dumps(data))
    return tmp_path


def test_recorded_door_replays_commands_files_and_dirs(tmp_path):
    (tmp_path / "commands").mkdir()
    (tmp_path / "commands" / "smi.txt").write_text("GPU 0: Tesla T4\n")
    (tmp_path / "files" / "proc" / "driver" / "nvidia").mkdir(parents=True)
    (tmp_path / "files" / "proc" / "driver" / "nvidia" / "version").write_text("NVRM version: 535.104.05\n")
    door = RecordedDoor(_machine(
        tmp_path,
        which={"nvidia-smi": "/usr/bin/nvidia-smi"},
        commands=[
            {"argv": ["nvidia-smi", "-L"], "returncode": 0, "stdout_file": "commands/smi.txt"},
            {"argv": ["nvidia-smi"], "status": "timed_out"},
        ],
        dirs={"/usr/local": ["cuda", "cuda-12.4"]},
        exists=["/dev/dxg"],
        env={"CUDA_VISIBLE_DEVICES": "1"},
    ))
    listed = door.run(["nvidia-smi", "-L"], 5)
    assert listed.succeeded and listed.stdout == "GPU 0: Tesla T4\n"
    hung = door.run(["nvidia-smi"], 7)
    assert hung.status == "timed_out" and hung.duration_s == 7
    assert door.run(["nvcc", "--version"], 5).status == "not_found"
    assert door.run(["nvidia-smi", "-q"], 5).status == "error"
    assert door.read_text("/proc/driver/nvidia/version").startswith("NVRM")
    assert door.read_text("/etc/os-release") is None
    assert door.listdir("/usr/local") == ["cuda", "cuda-12.4"]
    assert door.exists("/dev/dxg") and not door.exists("/dev/nvidia0")
    assert door.env() == {"CUDA_VISIBLE_DEVICES": "1"}
    assert door.nvml(5).status == "not_found"


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "no such file"),
        ("{not json", "not readable JSON"),
        ('{"format": "other"}', "'format' must be"),
        (json.dumps({"format": MACHINE_FORMAT, "platform": {"bogus": 1}}), "bad 'platform'"),
        (json.dumps({"format": MACHINE_FORMAT, "platform": {"system": "Linux", "machine": "x"},
                     "commands": [{"stdout": "x"}]}), "commands[0]"),
    ],
)
def test_bad_machine_folder_names_file_and_problem(tmp_path, content, expected):
    if content is not None:
        (tmp_path / "machine.json").write_text(content)
    with pytest.raises(MachineFolderError) as info:
        RecordedDoor(tmp_path)
    assert "machine.json" in str(info.value)
    assert expected in str(info.value)


def test_recording_door_writes_a_folder_that_replays_the_same(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("some text\n")
    recorder = RecordingDoor(LiveDoor())
    script = "# envdoctor:demo\nimport sys\nprint('from script')\nsys.exit(2)"
    live = recorder.run([sys.executable, "-c", script], 10)
    recorder.run(["envdoctor-no-such-program-xyz"], 5)
    recorder.read_text(str(data))
    recorder.listdir(str(tmp_path))
    recorder.which("sh")
    folder = recorder.write(tmp_path / "rec")

    replay = RecordedDoor(folder)
    again = replay.run([sys.executable, "-c", script.replace("from script", "changed body")], 10)
    assert (again.status, again.returncode, again.stdout) == (live.status, 2, "from script\n")
    assert replay.run(["envdoctor-no-such-program-xyz"], 5).status == "not_found"
    assert replay.read_text(str(data)) == "some text\n"
    assert "data.txt" in replay.listdir(str(tmp_path))
    assert replay.which("sh") == LiveDoor().which("sh")
    assert replay.platform() == LiveDoor().platform()


@pytest.mark.parametrize("path, stored", [
    ("/proc/driver/nvidia/version", "proc/driver/nvidia/version"),
    ("/../../x", "x"),
    ("//etc//./os-release", "etc/os-release"),
    ("relative/../../y", "y"),
    ("C:\\Program Files\\NVIDIA\\v12.4\\version.json", "C/Program Files/NVIDIA/v12.4/version.json"),
    ("C:/a/../../b", "C/b"),
    ("\\\\server\\share\\..\\..\\x", "UNC/server/share/x"),
    ("/", ""),
])
def test_recorded_file_paths_stay_below_files(path, stored):
    assert recorded_file_path(path) == stored


def test_a_truncated_command_replays_as_truncated(tmp_path):
    door = RecordedDoor(_machine(tmp_path, commands=[
        {"argv": ["nvidia-smi"], "returncode": 0, "stdout": "GPU 0", "truncated": True}]))
    assert door.run(["nvidia-smi"], 5).truncated


def test_output_past_the_limit_is_marked_truncated_and_recorded_so(tmp_path):
    recorder = RecordingDoor(LiveDoor())
    live = recorder.run([sys.executable, "-c", f"print('x' * {OUTPUT_LIMIT + 10})"], 30)
    assert live.truncated and live.stdout == "x" * OUTPUT_LIMIT
    assert RecordedDoor(recorder.write(tmp_path / "rec")).run(live.argv, 5).truncated


@pytest.mark.parametrize("text, problem", [
    ("[" * 65 + "]" * 65, "nested deeper than 64 levels"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper"),
    ("NaN", "NaN is not a JSON number"),
    ("[1e400]", "1e400 is out of range"),
])
def test_untrusted_json_is_refused_with_a_reason(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_json_text(text)
    assert parse_json_text("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)
