"""Hostile command lines and files: every bad input is a usage error (exit 2) with a message naming it,
never a traceback, and ``--json`` always prints exactly one valid JSON document.

The hostile --facts reports are built here from a real ``check --json`` of a recorded machine
(tests/machines/rhel9-a100-525-cuda118, real tool outputs) with parts replaced; the replacements are
synthesised on purpose.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envdoctor.cli import cli
from envdoctor.report import ExitCode, ReportFormatError, facts_from_report, parse_report

ROOT = Path(__file__).resolve().parents[2]
MACHINES = ROOT / "tests" / "machines"
NVIDIA_MACHINE = str(MACHINES / "rhel9-a100-525-cuda118")


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def run(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """envdoctor as users start it, in a process of its own."""
    full_env = dict(os.environ, PYTHONIOENCODING="utf-8", **(env or {}))
    return subprocess.run([sys.executable, "-c", "from envdoctor.entry import main; main()", *args],
                          capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=timeout)


def one_document(stdout: str) -> dict:
    """The single JSON document on stdout (json.loads refuses trailing data and NaN is checked)."""
    return json.loads(stdout, parse_constant=lambda name: pytest.fail(f"{name} in the JSON output"))


def assert_usage_error(result, *mentions: str) -> None:
    output = result.output if hasattr(result, "output") else result.stdout + result.stderr
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code == ExitCode.USAGE, output
    assert "Traceback" not in output
    for mention in mentions:
        assert mention in output, (mention, output)


BAD_TIMEOUTS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "0", "-1", "0.0", "abc", "", "1e9"]


@pytest.mark.parametrize("value", BAD_TIMEOUTS)
@pytest.mark.parametrize("command", [["check", "--machine", NVIDIA_MACHINE],
                                     ["install", "--dry-run", "--machine", NVIDIA_MACHINE],
                                     ["verify", "--device", "cpu"]])
def test_non_finite_and_non_positive_timeouts_are_usage_errors(command, value):
    result = invoke(*command, "--timeout", value)
    assert_usage_error(result, "--timeout")
    data = one_document(invoke(*command, "--timeout", value, "--json").stdout)
    assert data["exit_code"] == 2 and data["ok"] is False and "--timeout" in data["error"]


@pytest.mark.parametrize(
    "args, option",
    [
        (["check", "--machine", NVIDIA_MACHINE, "--python", ""], "--python"),
        (["check", "--machine", NVIDIA_MACHINE, "--record", ""], "--record"),
        (["check", "--machine", ""], "--machine"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--variant", ""], "--variant"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--variant", "  "], "--variant"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--python", ""], "--python"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--driver", ""], "--driver"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--gpu", ""], "--gpu"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--target-python", ""], "--target-python"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--facts", ""], "--facts"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, ""], "REQUIREMENT"),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--python", "py\0thon"], "NUL"),
        (["verify", "--python", ""], "--python"),
        (["verify", "--expect-cuda", ""], "--expect-cuda"),
        (["verify", "--expect-torch", ""], "--expect-torch"),
    ],
)
def test_empty_strings_are_usage_errors_not_ignored(args, option):
    assert_usage_error(invoke(*args), option)
    data = one_document(invoke(*args, "--json").stdout)
    assert data["exit_code"] == 2 and data["error"]


@pytest.mark.parametrize(
    "option, value",
    [("--expect-cuda", "twelve"), ("--expect-cuda", "12"), ("--expect-cuda", "12.4-rc"),
     ("--expect-torch", "2.4"), ("--expect-torch", ">=two")],
)
def test_bad_expectations_are_both_usage_errors_before_anything_runs(option, value):
    result = invoke("verify", option, value, "--json")
    assert result.exit_code == ExitCode.USAGE
    data = one_document(result.stdout)
    assert option in data["error"] and data["checks"] == []


def test_force_needs_record():
    assert_usage_error(invoke("check", "--machine", NVIDIA_MACHINE, "--force"), "--record")


# ---------------------------------------------------------------------------- --facts files


@pytest.fixture(scope="module")
def saved_report() -> dict:
    result = invoke("check", "--machine", NVIDIA_MACHINE, "--json")
    return json.loads(result.stdout)


def _nest(depth: int) -> str:
    return "[" * depth + "]" * depth


def hostile_reports(report: dict) -> dict[str, bytes]:
    def changed(edit) -> bytes:
        data = copy.deepcopy(report)
        edit(data)
        return json.dumps(data).encode()

    return {
        "invalid JSON": b'{"schema": "envdoctor.report/1", ',
        "NaN": json.dumps(report).replace('"probe_duration_s": ', '"probe_duration_s": NaN, "x": ').encode(),
        "Infinity": b'{"schema": "envdoctor.report/1", "facts": {"probe_duration_s": Infinity}}',
        "out-of-range number": b'{"schema": "envdoctor.report/1", "facts": {"probe_duration_s": 1e999}}',
        "100k-deep nesting": ('{"schema": "envdoctor.report/1", "facts": ' + _nest(100_000) + "}").encode(),
        "deep nesting in a field": changed(lambda d: d["facts"]["os"].__setitem__("distro_like", json.loads(_nest(500)))),
        "a list, not a report": b"[]",
        "no schema": b'{"facts": {}}',
        "another schema": b'{"schema": "envdoctor.report/9", "facts": {}}',
        "facts of the wrong type": changed(lambda d: d.__setitem__("facts", "everything is fine")),
        "gpus of the wrong type": changed(lambda d: d["facts"]["nvidia"].__setitem__("gpus", "A100")),
        "non-string GPU name": changed(lambda d: d["facts"]["nvidia"]["gpus"][0].__setitem__("name", 100)),
        "boolean GPU index": changed(lambda d: d["facts"]["nvidia"]["gpus"][0].__setitem__("index", True)),
        "not UTF-8": b'{"schema": "envdoctor.report/1", "facts": {"os": {"distro_name": "\xff\xfe"}}}',
        "empty": b"",
    }


def test_hostile_report_bytes_are_refused_naming_the_file(tmp_path, saved_report):
    for problem, content in hostile_reports(saved_report).items():
        path = tmp_path / f"{problem.replace(' ', '-')}.json"
        path.write_bytes(content)
        result = invoke("install", "--dry-run", "--facts", str(path))
        assert_usage_error(result, path.name)
        data = one_document(invoke("install", "--dry-run", "--facts", str(path), "--json").stdout)
        assert data["exit_code"] == 2 and path.name in data["error"], problem


def test_a_huge_report_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(b'{"schema": "envdoctor.report/1", "pad": "')
        handle.truncate(64 * 1024 * 1024)  # sparse: 64 MiB on paper
    assert_usage_error(invoke("install", "--dry-run", "--facts", str(path)), "huge.json")


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "missing", "symlink"])
def test_special_files_as_facts_are_usage_errors_in_a_real_process(tmp_path, kind):
    path = tmp_path / "report.json"
    if kind == "fifo":
        os.mkfifo(path)  # nobody writes: reading it would block for ever
    elif kind == "dev-zero":
        path = Path("/dev/zero")  # endless: reading it would eat all memory
    elif kind == "directory":
        path.mkdir()
    elif kind == "symlink":
        path.symlink_to("/etc/passwd")
    done = run("install", "--dry-run", "--facts", str(path), "--json", timeout=60)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "Traceback" not in done.stderr
    data = one_document(done.stdout)
    assert data["exit_code"] == 2 and str(path.name) in data["error"]


def test_parse_report_refuses_non_json_numbers():
    for text in ("[NaN]", "[Infinity]", "[-Infinity]", "[1e400]", _nest(100_000)):
        with pytest.raises(ReportFormatError, match="where.json"):
            parse_report(text, "where.json")


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=20))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=12)


def _paths(value, prefix=()):
    """Every key path into a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_anywhere_in_a_report_is_a_clear_error_or_facts(saved_report, data):
    """Structured hostility: a real report with one subtree replaced by any JSON value (wrong types,
    nesting) either gives facts or a ReportFormatError naming the place, never another exception."""
    report = copy.deepcopy(saved_report)
    paths = [p for p in _paths(report["facts"], ("facts",)) if p != ("facts",)]
    path = data.draw(st.sampled_from(paths))
    parent = report
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(JSON_VALUES)
    text = json.dumps(report)
    try:
        facts_from_report(parse_report(text, "r.json"), "r.json")
    except ReportFormatError as exc:
        assert str(exc).startswith("r.json: ")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_reports_through_the_command_line_never_exit_3(saved_report, tmp_path_factory, data):
    report = copy.deepcopy(saved_report)
    paths = [p for p in _paths(report["facts"], ("facts",)) if len(p) > 1]
    path = data.draw(st.sampled_from(paths))
    parent = report
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(JSON_VALUES)
    saved = tmp_path_factory.mktemp("facts") / "report.json"
    saved.write_text(json.dumps(report))
    result = invoke("install", "--dry-run", "--facts", str(saved), "--json")
    assert result.exit_code in (0, 1, 2), result.output
    document = one_document(result.stdout)
    assert document["exit_code"] == result.exit_code


# ---------------------------------------------------------------------------- --record folders


def test_record_refuses_a_non_empty_folder_unless_forced(tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = invoke("check", "--machine", NVIDIA_MACHINE, "--record", str(folder), "--json")
    assert result.exit_code == ExitCode.USAGE
    data = one_document(result.stdout)
    assert data["exit_code"] == 2 and "rec" in data["error"]
    assert data["facts"]["nvidia"]["driver_version"]  # the report itself is not lost
    assert (folder / "notes.txt").read_text() == "mine"
    assert not (folder / "machine.json").exists()
    first = tmp_path / "first"
    assert invoke("check", "--machine", NVIDIA_MACHINE, "--record", str(first)).exit_code == 0
    assert invoke("check", "--machine", NVIDIA_MACHINE, "--record", str(first)).exit_code == ExitCode.USAGE
    assert invoke("check", "--machine", NVIDIA_MACHINE, "--record", str(first), "--force").exit_code == 0
    assert (first / "machine.json").is_file()


def test_a_record_path_with_controls_is_printed_escaped_on_one_line(tmp_path):
    folder = tmp_path / "a\nb\x1b[31mc"
    result = invoke("check", "--machine", NVIDIA_MACHINE, "--record", str(folder), "-q")
    assert result.exit_code == 0, result.stderr
    assert (folder / "machine.json").is_file()
    line = next(line for line in result.stderr.splitlines() if line.startswith("envdoctor: recorded"))
    assert line == f"envdoctor: recorded this machine in {tmp_path}/a\\nb\\x1b[31mc"
    again = invoke("check", "--machine", NVIDIA_MACHINE, "--record", str(folder), "--json")
    assert again.exit_code == ExitCode.USAGE
    assert one_document(again.stdout)["error"].startswith(f"cannot record into {tmp_path}/a\\nb\\x1b[31mc: ")


def test_record_onto_a_file_is_a_usage_error(tmp_path):
    in_the_way = tmp_path / "file"
    in_the_way.write_text("keep me")
    assert_usage_error(invoke("check", "--machine", NVIDIA_MACHINE, "--record", str(in_the_way)), "file")
    assert in_the_way.read_text() == "keep me"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_record_where_nothing_can_be_written_is_a_usage_error(tmp_path):
    if os.geteuid() == 0:
        target = Path("/sys/envdoctor-record")  # not even root may create folders in sysfs
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "rec"
    done = run("check", "--machine", NVIDIA_MACHINE, "--record", str(target), "--json")
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "Traceback" not in done.stderr
    assert str(target) in one_document(done.stdout)["error"]


# ---------------------------------------------------------------------------- one document, one contract


@pytest.mark.parametrize(
    "args, code",
    [
        (["check", "--bogus"], ExitCode.USAGE),  # click's own usage error
        (["check", "--timeout", "nan"], ExitCode.USAGE),
        (["install", "--dry-run", "--machine", NVIDIA_MACHINE, "--gpu", "sm_86", "--no-gpu"], ExitCode.USAGE),
        (["install", "--machine", NVIDIA_MACHINE, "--driver", "535.104.05"], ExitCode.USAGE),
        (["check", "--machine", NVIDIA_MACHINE, "--recipes", str(ROOT / "tests" / "fixtures" / "recipes" / "bad_toml")],
         ExitCode.INTERNAL),
    ],
)
def test_json_is_one_document_whatever_the_ending(args, code):
    done = run(*args, "--json")
    assert done.returncode == code, done.stderr
    data = one_document(done.stdout)
    assert data["exit_code"] == code and data["ok"] is False and data["error"]
    assert "Traceback" not in done.stderr


def test_a_bug_is_exit_3_with_one_line_and_one_document(monkeypatch):
    from envdoctor import rules

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(rules, "evaluate", broken)
    result = invoke("check", "--machine", NVIDIA_MACHINE, "--json")
    assert result.exit_code == ExitCode.INTERNAL
    assert one_document(result.stdout)["error"].startswith("internal error: RuntimeError: a bug in a rule")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    text = invoke("check", "--machine", NVIDIA_MACHINE)
    assert text.exit_code == ExitCode.INTERNAL and text.stdout == ""
