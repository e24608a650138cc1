"""The guards in front of a real install: PEP 668, insecure index URLs, missing commands."""

from __future__ import annotations

import pytest

from envdoctor.facts import Facts, PythonFacts
from envdoctor.install import insecure_urls, plan_command, refusals, with_break_system_packages

PIP = ["/usr/bin/python3", "-m", "pip", "install", "torch==2.13.0"]


@pytest.mark.parametrize(
    "url, insecure",
    [
        ("https://download.pytorch.org/whl/cpu", False),
        ("http://127.0.0.1:8000/simple", False),
        ("http://localhost:8000/simple", False),
        ("http://[::1]:8000/simple", False),
        ("http://download.pytorch.org/whl/cpu", True),
        ("http://10.0.0.5/simple", True),
        ("ftp://example.org/simple", True),
    ],
)
def test_index_urls_must_be_https_or_loopback(url, insecure):
    assert (insecure_urls(PIP + ["--index-url", url]) == [url]) is insecure
    assert (insecure_urls(PIP + ["-f", url]) == [url]) is insecure


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


def test_plan_command_picks_the_plan_manager_or_the_requested_one():
    plan = {"manager": "pip", "commands": {"pip": PIP, "uv": ["uv", "pip", "install"], "conda": None}}
    assert plan_command(plan, None) == ("pip", PIP)
    assert plan_command(plan, "uv") == ("uv", ["uv", "pip", "install"])
    assert plan_command(plan, "conda") == ("conda", None)
