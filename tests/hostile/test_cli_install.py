"""`envdoctor install` against spy installers, a loopback HTTP server that records every request, and
a real Ctrl-C: a refused URL is never fetched, a dry-run runs no installer, a target interpreter that
did not answer gets no installer, a missing installer is a refusal, Ctrl-C stops everything.

Spies are shell scripts first on PATH that log their argv; the throwaway target is a fresh venv, so
nothing real is ever installed into the interpreter running the tests.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from fakes import default_sigint, gone

from envdoctor.cli import cli
from envdoctor.report import ExitCode

pytestmark = pytest.mark.skipif(os.name != "posix", reason="shell-script spies and POSIX signals")

ROOT = Path(__file__).resolve().parents[2]
ENTRY = [sys.executable, "-c", "from envdoctor.entry import main; main()"]
MANAGERS = ("uv", "conda", "mamba", "pip")


def spy(bin_dir: Path, name: str, log: Path, on_install: str = "exit 0") -> None:
    """A fake installer: answers --version, logs every other call, then runs ``on_install``."""
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "{name} 1.0.0"; exit 0; fi\n'
                      f'echo "{name} $*" >> "{log}"\necho $$ > "{log}.pid"\n{on_install}\n')
    script.chmod(0o755)


@pytest.fixture
def spies(tmp_path):
    """Spy uv, conda, mamba and pip first on PATH; returns (bin folder, log file)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "installer.log"
    for name in MANAGERS:
        spy(bin_dir, name, log)
    return bin_dir, log


@pytest.fixture
def target(tmp_path) -> str:
    """A fresh, empty venv: the only interpreter an install here could touch."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    return str(venv / "bin" / "python")


def run(*args: str, path_first: Path | None = None, env: dict | None = None, timeout: float = 300):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "CONDA"))}
    full_env["PYTHONIOENCODING"] = "utf-8"
    if path_first is not None:
        full_env["PATH"] = f"{path_first}{os.pathsep}{os.environ['PATH']}"
    full_env.update(env or {})
    return subprocess.run([*ENTRY, *args], capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=timeout)


def logged(log: Path) -> str:
    return log.read_text() if log.exists() else ""


# ---------------------------------------------------------------------------- a loopback server


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 that records (host header, path) of each request and answers 404, except
    200 for a ``torch/`` project page (what envdoctor asks an index for before a real install)."""
    requests: list[tuple[str, str]] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append((self.headers.get("Host", ""), self.path))
            self.send_response(200 if self.path.endswith("/torch/") else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_pip_reads_a_host_that_urlsplit_does_not_see(server, tmp_path):
    """The hazard is real: for `http://127.0.0.1:PORT\\@localhost/simple` urlsplit names the host
    localhost (which an http-only-to-loopback check lets through), while pip connects to the host
    before the backslash. A remote host there would get the request in plain http."""
    port, requests = server
    url = f"http://127.0.0.1:{port}\\@localhost/simple"
    assert urlsplit(url).hostname == "localhost" and urlsplit(url).port is None
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d", str(tmp_path / "dl"),
                    "--disable-pip-version-check", "--index-url", url, "nosuchpackage"],
                   capture_output=True, timeout=120, env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    assert requests, "pip did not fetch the URL: the oracle below would prove nothing"
    assert requests[0][0] == f"127.0.0.1:{port}"


def test_a_refused_direct_reference_is_never_fetched(server, spies, target):
    port, requests = server
    bin_dir, log = spies
    for url in (f"http://127.0.0.1:{port}\\@localhost/pkg-1.0-py3-none-any.whl",
                f"file:///{port}/pkg-1.0-py3-none-any.whl"):
        done = run("install", "torch==2.12.0", f"pkg @ {url}", "--manager", "uv", "--python", target,
                   "--no-verify", "--json", path_first=bin_dir)
        # refused when the request is read (a usage error) or by the guard before the installer (1)
        assert done.returncode in (ExitCode.USAGE, ExitCode.PROBLEMS), done.stderr
        data = json.loads(done.stdout)
        assert data["ok"] is False and data["error"]
    assert logged(log) == ""
    assert requests == []


def test_a_refused_mirror_url_is_never_fetched(server, spies, target, tmp_path):
    port, requests = server
    bin_dir, log = spies
    overlay = tmp_path / "recipes"
    overlay.mkdir()
    (overlay / "mirrors.toml").write_text(
        'schema = "envdoctor.recipes.mirrors/1"\nsource = "a hostile overlay (synthesised)"\n'
        f'mirror = [{{ prefix = "https://download.pytorch.org/whl", '
        f'replacement = "http://127.0.0.1:{port}\\\\@localhost/whl" }}]\n')
    done = run("install", "torch==2.12.0", "--manager", "uv", "--python", target, "--recipes", str(overlay),
               "--no-verify", "--json", path_first=bin_dir)
    # refused before the installer (1) or when the overlay is loaded (3): either way nothing is fetched
    assert done.returncode in (ExitCode.PROBLEMS, ExitCode.INTERNAL), done.stderr
    assert json.loads(done.stdout)["ok"] is False
    assert "pip install" not in logged(log)
    assert requests == []


def test_an_allowed_loopback_mirror_reaches_the_installer(server, spies, target, tmp_path):
    """The positive control for the two tests above: the same path with a clean URL runs the spy, after
    asking that mirror (and nothing else) for the torch page."""
    port, requests = server
    bin_dir, log = spies
    overlay = tmp_path / "recipes"
    overlay.mkdir()
    (overlay / "mirrors.toml").write_text(
        'schema = "envdoctor.recipes.mirrors/1"\nsource = "a loopback mirror (synthesised)"\n'
        f'mirror = [{{ prefix = "https://download.pytorch.org/whl", replacement = "http://127.0.0.1:{port}/whl" }}]\n')
    done = run("install", "torch==2.12.0", "--manager", "uv", "--python", target, "--recipes", str(overlay),
               "--no-verify", "--yes", "--json", path_first=bin_dir)
    assert f"--index-url http://127.0.0.1:{port}/whl/cpu" in logged(log)
    assert requests == [(f"127.0.0.1:{port}", "/whl/cpu/torch/")]
    # the spy installed nothing: the re-check says so, and the run is not called a success
    data = json.loads(done.stdout)
    assert done.returncode == ExitCode.PROBLEMS and data["plan"]["run"]["applied"] is False


# ---------------------------------------------------------------------------- what runs and what does not


@pytest.mark.parametrize("manager", MANAGERS)
def test_a_dry_run_runs_probes_but_never_an_installer(spies, target, manager):
    bin_dir, log = spies
    done = run("install", "--dry-run", "torch==2.12.0", "--manager", manager, "--python", target, "--json",
               path_first=bin_dir)
    assert done.returncode == ExitCode.OK, done.stderr
    plan = json.loads(done.stdout)["plan"]
    if manager in ("conda", "mamba"):  # the target is a venv: conda is refused for it, with the reason
        assert plan["commands"][manager] is None and "not a conda environment" in plan["command_notes"][manager]
    else:
        assert plan["commands"][manager]
    assert logged(log) == "", "an installer ran during a dry-run"


def test_a_dry_run_never_calls_the_live_installer_door(monkeypatch, target):
    """In-process: the one door method that runs installers is never reached by a dry-run."""
    from envdoctor.door import LiveDoor

    def refuse(self, argv, timeout):
        raise AssertionError(f"installer started during a dry-run: {argv}")

    monkeypatch.setattr(LiveDoor, "run_live", refuse)
    for manager in MANAGERS:
        result = CliRunner().invoke(cli, ["install", "--dry-run", "torch==2.12.0", "--manager", manager,
                                          "--python", target], catch_exceptions=False)
        assert result.exit_code == ExitCode.OK, result.output


@pytest.mark.parametrize("python", ["missing", "hangs"])
def test_no_installer_runs_when_the_target_interpreter_did_not_answer(spies, tmp_path, python):
    bin_dir, log = spies
    if python == "missing":
        interpreter = tmp_path / "no-such-python"
    else:
        interpreter = tmp_path / "python-that-hangs"
        interpreter.write_text("#!/bin/sh\nexec sleep 600\n")
        interpreter.chmod(0o755)
    for manager in ("uv", "pip"):
        done = run("install", "torch==2.12.0", "--manager", manager, "--python", str(interpreter), "--timeout", "1",
                   "--no-verify", "--json", path_first=bin_dir)
        assert done.returncode == ExitCode.PROBLEMS, done.stderr
        data = json.loads(done.stdout)
        assert data["ok"] is False
        assert "install.refused" in {f["id"] for f in data["findings"]} or not data["plan"]["ok"]
    assert logged(log) == ""


def test_a_missing_installer_is_a_refusal_not_an_installer_failure(tmp_path, target):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    done = run("install", "torch==2.12.0", "--manager", "uv", "--python", target, "--no-verify", "--json",
               env={"PATH": str(empty)})
    assert done.returncode == ExitCode.PROBLEMS, done.stderr
    data = json.loads(done.stdout)
    assert data["exit_code"] == 1 and "uv is not installed" in data["error"]
    assert [f["id"] for f in data["findings"] if f["severity"] == "error"][-1] == "install.refused"


def test_an_installer_that_fails_is_exit_4(tmp_path, target):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "uv.log"
    spy(bin_dir, "uv", log, on_install="echo 'error: no space left on device' >&2; exit 2")
    done = run("install", "torch==2.12.0", "--manager", "uv", "--python", target, "--no-verify", "--yes",
               "--no-index-check", "--json", path_first=bin_dir)
    assert done.returncode == ExitCode.INSTALLER, done.stderr
    data = json.loads(done.stdout)
    assert data["exit_code"] == 4 and data["error"].startswith("uv failed: exit code 2")
    assert "uv pip install" in logged(log)


def test_a_dry_run_with_errors_in_the_environment_says_the_plan_decides(target):
    """The findings describe the current environment; the plan decides ok and the exit code, and
    both the text and the JSON say so instead of printing "1 error(s)" next to exit 0."""
    machine = str(ROOT / "tests" / "machines" / "wsl2-rtx4070")  # a CPU torch on a GPU machine: an error
    done = run("install", "--dry-run", "--machine", machine)
    assert done.returncode == ExitCode.OK, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("plan found · the environment as probed has 1 error(s) (context for the plan")
    data = json.loads(run("install", "--dry-run", "--machine", machine, "--json").stdout)
    assert data["ok"] is True and data["exit_code"] == 0
    assert data["findings_gate"] is False and data["summary"]["error"] == 1


# ---------------------------------------------------------------------------- Ctrl-C


def _wait_for(path: Path, proc: subprocess.Popen, what: str) -> int:
    deadline = time.monotonic() + 300
    while not path.exists() or not path.read_text().strip():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"envdoctor ended before {what} started: {proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} never started")
        time.sleep(0.05)
    return int(path.read_text().split()[0])


def _interrupt(args: list[str], pid_file: Path, what: str, env: dict) -> None:
    proc = subprocess.Popen([*ENTRY, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=default_sigint)
    try:
        child = _wait_for(pid_file, proc, what)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "Aborted" not in err and "Traceback" not in err
    assert "interrupted" in err
    assert json.loads(out)["exit_code"] == ExitCode.INTERRUPTED
    if not gone(child, within=60):
        os.kill(child, signal.SIGKILL)
        pytest.fail(f"{what} (pid {child}) kept running after envdoctor was interrupted")


def test_ctrl_c_during_an_install_exits_130_and_stops_the_installer(tmp_path, target):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "uv.log"
    spy(bin_dir, "uv", log, on_install="exec sleep 600")  # exec: the logged pid is the sleeping process
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    _interrupt(["install", "torch==2.12.0", "--manager", "uv", "--python", target, "--no-verify", "--yes",
                "--no-index-check", "--json"],
               Path(f"{log}.pid"), "the installer", env)


def test_ctrl_c_during_verify_exits_130_and_stops_the_smoke_child(tmp_path):
    fake = tmp_path / "fake" / "torch"
    fake.mkdir(parents=True)
    pid_file = tmp_path / "torch.pid"
    (fake / "__init__.py").write_text(  # synthesised: a torch whose import hangs after saying who it is
        f"import os, time\nwith open({str(pid_file)!r}, 'w') as f:\n    f.write(str(os.getpid()))\ntime.sleep(600)\n")
    env = dict(os.environ, PYTHONPATH=str(fake.parent))
    _interrupt(["verify", "--device", "cpu", "--timeout", "600", "--json"], pid_file, "the smoke child", env)
