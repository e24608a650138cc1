"""``check --record`` writes a folder users attach to bug reports: only into a fresh folder (or over
an earlier recording with force), never through a symlink, never outside, and never a secret.

The folders and planted files are built here (synthesised); recordings are made of this machine.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from fakes import fake_tool

from envdoctor.door import LiveDoor, RecordedDoor, RecordError, RecordingDoor
from envdoctor.probes import collect

posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks and permissions as POSIX has them")


def recording(tmp_path: Path) -> RecordingDoor:
    """A recording of a few real reads and one command."""
    data = tmp_path / "input" / "data.txt"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("some text\n")
    recorder = RecordingDoor(LiveDoor())
    recorder.run([sys.executable, "-c", "print('hello')"], 30)
    recorder.read_text(str(data))
    recorder.exists(str(data))
    return recorder


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry below folder: file contents, 'dir', or 'link -> target'."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = f"link -> {os.readlink(path)}"
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = path.read_bytes()
    return found


def test_a_fresh_folder_is_created_and_replays(tmp_path):
    folder = recording(tmp_path).write(tmp_path / "new" / "rec")
    replay = RecordedDoor(folder)
    assert replay.run([sys.executable, "-c", "print('hello')"], 5).stdout == "hello\n"
    manifest = json.loads((folder / "machine.json").read_text())
    assert sorted(manifest["recorded_files"]) == sorted(
        name for name in tree(folder) if name != "machine.json" and tree(folder)[name] != "dir")


def test_an_empty_path_is_refused():
    with pytest.raises(RecordError, match="empty path"):
        recording_door = RecordingDoor(LiveDoor())
        recording_door.write("")


def test_a_non_empty_folder_is_refused_without_force(tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    with pytest.raises(RecordError, match="not empty; .*--force"):
        recording(tmp_path).write(folder)
    assert tree(folder) == {"notes.txt": b"mine\n"}


def test_force_replaces_only_what_an_earlier_recording_wrote(tmp_path):
    folder = tmp_path / "rec"
    recording(tmp_path).write(folder)
    (folder / "notes.txt").write_text("mine\n")
    (folder / "commands" / "my-own.txt").write_text("also mine\n")
    first = tree(folder)
    recorder = RecordingDoor(LiveDoor())
    recorder.run([sys.executable, "-c", "print('second')"], 30)
    recorder.write(folder, force=True)
    second = tree(folder)
    assert second["notes.txt"] == b"mine\n" and second["commands/my-own.txt"] == b"also mine\n"
    assert not any(name.startswith("files/") for name in second)  # the first recording's files are gone
    assert any(name.startswith("files/") for name in first)
    assert RecordedDoor(folder).run([sys.executable, "-c", "print('second')"], 5).stdout == "second\n"


def test_force_refuses_to_overwrite_a_file_no_recording_wrote(tmp_path):
    folder = tmp_path / "rec"
    (folder / "commands").mkdir(parents=True)
    (folder / "commands" / "00-python3.stdout").write_text("not envdoctor's\n")
    before = tree(folder)
    recorder = RecordingDoor(LiveDoor())
    recorder.run(["python3", "-c", "print(1)"], 30)
    with pytest.raises(RecordError, match="00-python3.stdout: already exists"):
        recorder.write(folder, force=True)
    assert tree(folder) == before


def test_force_refuses_a_machine_json_envdoctor_did_not_write(tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "machine.json").write_text('{"some": "other tool"}')
    with pytest.raises(RecordError, match="not a recording envdoctor can replace"):
        recording(tmp_path).write(folder, force=True)
    assert (folder / "machine.json").read_text() == '{"some": "other tool"}'


def test_force_leaves_a_file_whose_content_changed_since_it_was_recorded(tmp_path):
    """machine.json may be forged: a named file goes only while it still holds what envdoctor wrote."""
    folder = recording(tmp_path).write(tmp_path / "rec")
    manifest = json.loads((folder / "machine.json").read_text())
    edited = next(name for name in manifest["recorded_sha256"] if name.startswith("files/"))
    (folder / edited).write_text("the user's notes now\n")
    recorder = RecordingDoor(LiveDoor())
    recorder.read_text(str(tmp_path / "input" / "data.txt"))  # the same file again
    with pytest.raises(RecordError, match=f"{edited}: already exists"):
        recorder.write(folder, force=True)
    assert (folder / edited).read_text() == "the user's notes now\n"
    assert not (folder / "machine.json").exists()  # the rest of the first recording is gone
    assert [name for name in tree(folder) if tree(folder)[name] != "dir"] == [edited]


@pytest.mark.parametrize("named", ["../outside.txt", "mine.txt"])
def test_force_with_a_forged_manifest_deletes_nothing_else(tmp_path, named):
    """A forged machine.json naming a file outside the folder, or one inside with a made-up hash."""
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "mine.txt").write_text("mine\n")
    forged = {"format": "envdoctor.machine/1", "platform": {"system": "Linux", "machine": "x86_64"},
              "recorded_files": [named], "recorded_sha256": {named: "0" * 64}}
    (folder / "machine.json").write_text(json.dumps(forged))
    if named.startswith(".."):
        with pytest.raises(RecordError, match="'../outside.txt', which is not inside the folder"):
            recording(tmp_path).write(folder, force=True)
    else:
        recording(tmp_path).write(folder, force=True)
        assert RecordedDoor(folder).read_text(str(tmp_path / "input" / "data.txt")) == "some text\n"
    assert outside.read_text() == "precious\n"
    assert (folder / "mine.txt").read_text() == "mine\n"


@posix_only
@pytest.mark.parametrize("planted", ["commands", "files", "machine.json", "files/tmp"])
def test_a_planted_symlink_is_never_followed(tmp_path, planted):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("do not touch\n")
    folder = tmp_path / "rec"
    folder.mkdir()
    link = folder / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside / "precious.txt" if planted == "machine.json" else outside)
    before = tree(outside)
    with pytest.raises(RecordError, match="symbolic link"):
        recording(tmp_path).write(folder, force=True)
    assert tree(outside) == before


@posix_only
def test_the_folder_itself_may_not_be_a_symlink(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(RecordError, match="link: is a symbolic link"):
        recording(tmp_path).write(tmp_path / "link")
    assert tree(tmp_path / "real") == {}


def test_file_paths_climbing_out_are_kept_inside(tmp_path):
    secret = tmp_path / "data" / "x.txt"
    secret.parent.mkdir()
    secret.write_text("read through a hostile CUDA_HOME\n")
    recorder = RecordingDoor(LiveDoor())
    hostile = "/../../.." + str(secret)  # CUDA_HOME=/../../x
    assert recorder.read_text(hostile) == "read through a hostile CUDA_HOME\n"
    outside_before = {name: value for name, value in tree(tmp_path).items()}
    folder = recorder.write(tmp_path / "rec")
    outside_after = {name: value for name, value in tree(tmp_path).items() if not name.startswith("rec")}
    assert outside_after == outside_before
    stored = folder / "files" / str(secret).lstrip("/")
    assert stored.read_text() == "read through a hostile CUDA_HOME\n"
    assert RecordedDoor(folder).read_text(hostile) == "read through a hostile CUDA_HOME\n"


def test_windows_drive_paths_are_kept_inside(tmp_path):
    source = tmp_path / "windows"
    (source / "files" / "C" / "Program Files").mkdir(parents=True)
    (source / "files" / "C" / "Program Files" / "version.json").write_text('{"cuda": "12.4"}')
    (source / "machine.json").write_text(json.dumps({
        "format": "envdoctor.machine/1", "platform": {"system": "Windows", "machine": "AMD64"}}))
    recorder = RecordingDoor(RecordedDoor(source))
    hostile = "C:\\Windows\\..\\..\\..\\Program Files\\version.json"
    assert recorder.read_text(hostile) == '{"cuda": "12.4"}'
    folder = recorder.write(tmp_path / "rec")
    assert (folder / "files" / "C" / "Program Files" / "version.json").is_file()
    assert set(os.listdir(tmp_path)) == {"windows", "rec"}
    assert RecordedDoor(folder).read_text("C:\\Program Files\\version.json") == '{"cuda": "12.4"}'


def test_a_file_where_a_folder_should_be_is_a_record_error(tmp_path):
    (tmp_path / "plain").write_text("a file\n")
    with pytest.raises(RecordError, match="plain/rec: something that is not a folder is in the way"):
        recording(tmp_path).write(tmp_path / "plain" / "rec")
    with pytest.raises(RecordError, match="plain: exists and is not a folder"):
        recording(tmp_path).write(tmp_path / "plain")


@posix_only
@pytest.mark.skipif(os.name == "posix" and os.geteuid() == 0, reason="root writes through any permission")
def test_an_unwritable_folder_is_a_record_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(RecordError, match="permission denied"):
        recording(tmp_path).write(locked / "rec")


# ---------------------------------------------------------------------------- secrets

INDEX_URL = "https://user:s3cret-index-pw@mirror.example/simple"
HF_TOKEN = "hf_" + "Q7x" * 10
TOOL_TOKEN = "ghp_" + "Zk9" * 12
SECRETS = ["s3cret-index-pw", HF_TOKEN, TOOL_TOKEN, "t00l-pw"]


def test_no_planted_secret_reaches_the_folder(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "nvidia-smi", f"print('token {TOOL_TOKEN}')\nprint('mirror https://ci:t00l-pw@host/x')\n"
                                     f"import sys\nprint('{HF_TOKEN}', file=sys.stderr)\nsys.exit(9)\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PIP_INDEX_URL", INDEX_URL)
    monkeypatch.setenv("UV_INDEX_URL", INDEX_URL)
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", f"https://{HF_TOKEN}@hf-mirror.example/simple")
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nindex-url = {INDEX_URL}\ntoken = {TOOL_TOKEN}\n")
    recorder = RecordingDoor(LiveDoor())
    collect(recorder, timeout=30)
    smi = recorder.run([str(bin_dir / "nvidia-smi")], 30)
    assert TOOL_TOKEN in smi.stdout  # the live result is untouched; only what is written is redacted
    recorder.read_text(str(config))
    folder = recorder.write(tmp_path / "rec")
    written = {name: value for name, value in tree(folder).items() if value != "dir"}
    for name, data in written.items():
        for secret in SECRETS:
            assert secret.encode() not in data, (secret, name)
            assert secret not in name
    everything = b"\n".join(written.values())
    assert b"****" in everything  # the redacted values are there, masked
    manifest = json.loads(written["machine.json"])
    assert manifest["env"]["PIP_INDEX_URL"] == "https://user:****@mirror.example/simple"
    assert "HF_TOKEN" not in manifest["env"]
