"""The guards in front of a real install: PEP 668, unsafe URLs anywhere in the argv, missing commands."""

from __future__ import annotations

import pytest

from envdoctor.facts import Facts, PythonFacts
from envdoctor.install import plan_command, refusals, url_problems, with_break_system_packages

PIP = ["/usr/bin/python3", "-m", "pip", "install", "torch==2.13.0"]


@pytest.mark.parametrize(
    "url, refused",
    [
        ("https://download.pytorch.org/whl/cpu", False),
        ("http://127.0.0.1:8000/simple", False),
        ("http://localhost:8000/simple", False),
        ("http://[::1]:8000/simple", False),
        ("http://download.pytorch.org/whl/cpu", True),
        ("http://10.0.0.5/simple", True),
        ("ftp://example.org/simple", True),
        # urlsplit reads the host "localhost"; pip and uv read "example.org" (a backslash ends an http authority)
        ("http://example.org\\@localhost/whl", True),
        ("http://localhost\t/simple", True),
        ("file:///opt/wheels", True),
    ],
)
def test_index_urls_must_be_https_or_loopback(url, refused):
    for argv in (PIP + ["--index-url", url], PIP + ["-f", url], PIP + [f"--extra-index-url={url}"],
                 PIP + ["-i" + url], ["uv", "pip", "install", "torch", "--index", f"pytorch={url}"]):
        assert (url_problems(argv) != []) is refused, argv
        if refused:
            assert url_problems(argv)[0][0].endswith(url)


def test_conda_channels_are_judged_only_when_they_are_urls():
    conda = ["conda", "install", "-y", "-c", "conda-forge", "pytorch-gpu==2.6.0", "cuda-version=12.6"]
    assert url_problems(conda) == []
    assert url_problems(conda + ["-c", "https://conda.example.org/pytorch"]) == []
    assert [u for u, _ in url_problems(conda + ["--channel", "http://mirror.example/conda"])] == ["http://mirror.example/conda"]


@pytest.mark.parametrize(
    "requirement, refused",
    [
        ("torch==2.13.0", False),
        ("torch @ https://download.pytorch.org/whl/cpu/torch-2.13.0.whl", False),
        ("torch @ http://127.0.0.1:8000/torch-2.13.0.whl", False),
        ("torch @ http://evil.example/torch-2.13.0.whl", True),
        ("torch @ file:///tmp/torch-2.13.0.whl", True),
        ("torch @ git+http://evil.example/pytorch", True),
        ("torch @ git+ssh://git@github.com/pytorch/pytorch", True),
        ("http://evil.example/torch-2.13.0.whl", True),  # a bare URL is a direct reference too
        ("file:///tmp/torch-2.13.0.whl", True),
    ],
)
def test_direct_references_in_the_argv_are_judged(requirement, refused):
    assert (url_problems(PIP[:4] + [requirement]) != []) is refused


def test_the_interpreter_path_and_conda_specs_are_not_urls():
    uv = ["uv", "pip", "install", "--python", "/home/dev/venv/bin/python", "torch==2.13.0+cpu",
          "--index-url", "https://download.pytorch.org/whl/cpu"]
    assert url_problems(uv) == []
    assert url_problems(["C:\\venv\\Scripts\\python.exe", "-m", "pip", "install", "torch"]) == []


def facts(**python) -> Facts:
    f = Facts()
    f.python = PythonFacts(status="ok", executable="/usr/bin/python3", version="3.12.3", **python)
    return f


def test_externally_managed_interpreter_is_refused_with_venv_advice():
    found = refusals(facts(externally_managed=True, externally_managed_path="/usr/lib/python3.12/EXTERNALLY-MANAGED"), PIP, False)
    assert len(found) == 1
    assert "PEP 668" in found[0].message
    assert any("venv" in advice for advice in found[0].advice)
    assert refusals(facts(externally_managed=True), PIP, True) == []
    assert with_break_system_packages(PIP)[-1] == "--break-system-packages"


def test_conda_commands_are_not_refused_by_pep668_and_missing_commands_are():
    conda = ["conda", "install", "-y", "pytorch"]
    assert refusals(facts(externally_managed=True), conda, False) == []
    assert "cannot install" in refusals(facts(), None, False)[0].message
    assert with_break_system_packages(conda) == conda


def test_a_missing_installer_and_a_silent_interpreter_are_refusals():
    uv = ["uv", "pip", "install", "torch"]
    assert ["uv is not installed (not found on PATH)"] == [r.message for r in refusals(facts(), uv, False, installer_found=False)]
    silent = Facts()
    silent.python = PythonFacts(status="timed_out", executable="/usr/bin/python3")
    assert any("did not answer" in r.message for r in refusals(silent, uv, False))


def test_plan_command_picks_the_plan_manager_or_the_requested_one():
    plan = {"manager": "pip", "commands": {"pip": PIP, "uv": ["uv", "pip", "install"], "conda": None}}
    assert plan_command(plan, None) == ("pip", PIP)
    assert plan_command(plan, "uv") == ("uv", ["uv", "pip", "install"])
    assert plan_command(plan, "conda") == ("conda", None)


def test_every_step_is_guarded_and_named_once():
    from envdoctor.install import plan_steps, step_refusals

    second = ["/usr/bin/python3", "-m", "pip", "install", "six", "--index-url", "http://mirror.example/simple"]
    plan = {"manager": "pip", "commands": {"pip": PIP}, "steps": {"pip": [PIP, second]}}
    assert plan_steps(plan, None) == ("pip", [PIP, second])
    found = step_refusals(facts(externally_managed=True), [PIP, second], False, lambda program: True)
    assert [r.message.split(":")[0] for r in found] == [
        "/usr/bin/python3 is managed by the OS (PEP 668); installing into it can break system tools",
        "refusing to fetch http"]
    assert "not installed" in step_refusals(facts(), [["uv", "pip", "install"]], False, lambda program: False)[0].message


def test_applied_compares_the_new_state_with_the_plan():
    from envdoctor.facts import TorchFacts
    from envdoctor.install import applied

    after = facts()
    after.torch = TorchFacts(status="ok", version="2.13.0+cpu")
    assert applied({"torch": "2.13.0", "changes": [{"package": "torch", "new": "2.13.0"}]}, after)
    assert applied({"torch": "2.13.0", "changes": [{"package": "torch", "new": "2.13.0+cpu"}]}, after)
    assert not applied({"torch": "2.13.0", "changes": [{"package": "torch", "new": "2.13.0+cu126"}]}, after)
    assert not applied({"torch": "2.15.0", "changes": []}, after)
    after.torch = TorchFacts(status="absent")
    assert not applied({"torch": "2.13.0", "changes": []}, after)


def test_the_run_record_never_calls_a_failed_or_unapplied_run_a_success():
    from envdoctor.door import CommandResult
    from envdoctor.facts import TorchFacts
    from envdoctor.install import run_record

    before, after = facts(), facts()
    after.torch = TorchFacts(status="ok", version="2.13.0+cpu")
    plan = {"torch": "2.13.0", "changes": [{"package": "torch", "new": "2.13.0"}]}
    good = CommandResult(tuple(PIP), "ok", 0)
    bad = CommandResult(tuple(PIP), "ok", 1, stderr="ERROR: No matching distribution found for six")
    assert run_record("pip", [(PIP, good)], "--yes", [], before, after, plan)["summary"] == "installed torch 2.13.0+cpu"
    failed = run_record("pip", [(PIP, good), (PIP, bad)], "--yes", [], before, after, plan)
    assert failed["succeeded"] is False and failed["summary"].startswith("pip failed (exit code 1: ERROR: No matching")
    unapplied = run_record("pip", [(PIP, good)], "terminal", [], before, before, plan)
    assert unapplied["applied"] is False and "not the planned 2.13.0" in unapplied["summary"]
