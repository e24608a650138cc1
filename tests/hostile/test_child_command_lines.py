"""Every child envdoctor starts fits a Windows command line (32,767 characters, CreateProcess's limit).

The commands are caught where the door starts them (subprocess.Popen) while the real commands run
in-process: check, install --dry-run, verify (real torch) and refresh's PyPI lookup; the fleet rank's
argv is built as run_fleet builds it. Each is measured as Windows would join it (list2cmdline).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from envdoctor.cli import cli
from envdoctor.verify import fleet, runner

WINDOWS_LIMIT = 32_767


def _windows_length(argv) -> int:
    return len(subprocess.list2cmdline([str(arg) for arg in argv])) + 1  # and the terminating NUL


@pytest.fixture
def started(monkeypatch) -> list[list[str]]:
    seen: list[list[str]] = []
    real = subprocess.Popen

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, args, *rest, **options):
            seen.append(list(args) if not isinstance(args, (str, bytes)) else [args])
            super().__init__(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    return seen


@pytest.mark.needs_torch
@pytest.mark.parametrize("args", [["check", "--json"], ["install", "--dry-run", "torch"],
                                  ["verify", "--device", "cpu", "--level", "quick", "--json"]])
def test_every_child_of_a_command_fits_a_windows_command_line(started, args):
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert started, "the command started no child"
    lengths = {" ".join(str(a) for a in argv)[:80]: _windows_length(argv) for argv in started}
    assert max(lengths.values()) < WINDOWS_LIMIT, lengths


def test_the_script_children_fit_and_name_their_script_by_path():
    launch = fleet.Launch("env", 0, 8, 0, "10.0.0.1", 29500, "r" * 32, False)
    for argv, script in ((runner.smoke_argv(sys.executable, runner.VerifyOptions(level="full")), runner.SMOKE_PATH),
                         (fleet.fleet_argv(sys.executable, launch, 300.0), fleet.FLEET_PATH)):
        assert _windows_length(argv) < 2_000
        assert argv[2:4] == [runner.SCRIPT_LOADER, str(script)] and script.is_absolute()
    assert len(runner.SMOKE_SCRIPT) > WINDOWS_LIMIT  # what went on the command line before
