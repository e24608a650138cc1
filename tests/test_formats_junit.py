"""--junit FILE: JUnit XML validated against the schema Jenkins' xUnit plugin publishes (tests/fixtures/junit,
with its source), with a real schema validator (the ``xmlschema`` package)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_DIR, MACHINES_DIR

from envdoctor.cli import cli
from envdoctor.facts import Check, Facts, Finding
from envdoctor.policy import RequirementResult
from envdoctor.render.junit import render_junit
from envdoctor.report import Report

xmlschema = pytest.importorskip("xmlschema", reason="xmlschema (a test dependency) validates the JUnit XML")
SCHEMA = xmlschema.XMLSchema(str(FIXTURES_DIR / "junit" / "junit-10.xsd"))


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {f"{case.get('classname')}/{case.get('name')}": case for case in root.iter("testcase")}


def test_check_writes_valid_junit_with_a_case_per_finding_and_requirement(tmp_path):
    out = tmp_path / "envdoctor.xml"
    result = invoke("check", "--machine", str(MACHINES_DIR / "wsl2-rtx4070"), "--junit", str(out),
                    "--require", "torch>=2.5", "--require", "gpus>=8")
    assert result.exit_code == 1
    SCHEMA.validate(str(out))
    root = ET.parse(out).getroot()
    found = cases(root)
    assert set(found) == {"envdoctor.run/envdoctor check", "envdoctor.requirements/torch>=2.5",
                          "envdoctor.requirements/gpus>=8", "envdoctor.findings.torch/torch.cpu-build-on-gpu",
                          "envdoctor.findings.torch/recipes.data"}
    assert found["envdoctor.requirements/torch>=2.5"].find("failure") is None
    assert "gpus is 1" in found["envdoctor.requirements/gpus>=8"].find("failure").get("message")
    assert found["envdoctor.findings.torch/torch.cpu-build-on-gpu"].find("failure") is not None
    assert (root.get("tests"), root.get("failures")) == ("5", "2")


def test_warnings_fail_only_under_strict(tmp_path):
    machine = str(MACHINES_DIR / "rhel9-a100-525-cuda118")  # two warnings, no error
    for strict, failures in ((False, "0"), (True, "2")):
        out = tmp_path / f"{strict}.xml"
        invoke("check", "--machine", machine, "--junit", str(out), *(["--strict"] if strict else []))
        SCHEMA.validate(str(out))
        assert ET.parse(out).getroot().get("failures") == failures


def test_verify_checks_become_passed_failed_and_skipped_cases():
    report = Report("verify", Facts(), checks=[
        Check("import", "pass", duration_s=1.25, metrics={"import_s": 1.25}),
        Check("cuda:0.matmul.float16", "fail", message="wrong answer", duration_s=0.5),
        Check("device.mps", "skip", message="MPS exists only on macOS")])
    document = render_junit(report)
    SCHEMA.validate(ET.fromstring(document))
    suite = next(s for s in ET.fromstring(document) if s.get("name") == "envdoctor.verify")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    assert suite.find("testcase[@name='import']").get("time") == "1.250"


def test_hostile_text_still_gives_a_valid_document():
    nasty = "a\x00b\x01c\x1b[31m]]></failure><x>\ud800\ufffe&amp;\u202e ghp_abcdefghijklmnopqrstuvwxyz0123"
    report = Report("check", Facts(), [Finding(nasty, "error", "torch", nasty, fix=nasty, evidence=[nasty]),
                                       Finding(nasty, "error", "torch", nasty)],
                    checks=[Check(nasty, "fail", message=nasty)], error=nasty,
                    requirements=[RequirementResult(nasty, "torch", ">=", "2", "unmet", nasty, message=nasty)])
    document = render_junit(report)
    root = ET.fromstring(document)
    SCHEMA.validate(root)
    text = document.decode("utf-8")
    assert "ghp_" not in text and "\x1b" not in text and "<x>" not in text
    names = [case.get("name") for case in root.iter("testcase") if case.get("classname") == "envdoctor.findings.torch"]
    assert len(names) == 2 and len(set(names)) == 2  # the same id twice stays two cases


def test_junit_refuses_a_symlink_and_leaves_its_target_alone(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "report.xml"
    link.symlink_to(target)
    result = invoke("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--junit", str(link))
    assert result.exit_code == 2
    assert "symbolic link" in result.output
    assert target.read_text() == "keep me" and link.is_symlink()


@pytest.mark.parametrize("kind", ["fifo", "missing-folder"])
def test_junit_that_cannot_be_written_is_a_usage_error_with_the_report_still_printed(tmp_path, kind):
    path = tmp_path / "out.xml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path = tmp_path / "no" / "such" / "out.xml"
    result = invoke("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--junit", str(path))
    assert result.exit_code == 2
    assert "--junit" in result.output and "System" in result.output
    assert not any(p.name.startswith(".envdoctor-") for p in tmp_path.iterdir())


def test_junit_replaces_an_earlier_report(tmp_path):
    out = tmp_path / "envdoctor.xml"
    out.write_text("old")
    assert invoke("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--junit", str(out)).exit_code == 0
    SCHEMA.validate(str(out))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["envdoctor.xml"]


#: Every number a verify check carries (README's JSON table names the metrics).
CHECK_METRICS = ("tflops", "peak_tflops", "fraction_of_peak", "gb_per_s", "max_abs_error", "algbw_gb_per_s",
                 "busbw_gb_per_s", "import_s")


@pytest.mark.parametrize("value, shown", [(float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf")])
def test_a_broken_gpus_nan_and_infinities_give_a_valid_document_that_shows_them(value, shown):
    report = Report("verify", Facts(), checks=[
        Check("matmul", "pass", message="measured", duration_s=value, metrics=dict.fromkeys(CHECK_METRICS, value)),
        Check("memcpy", "fail", message="wrong answer", duration_s=value, metrics=dict.fromkeys(CHECK_METRICS, value))],
        duration_s=value)
    root = ET.fromstring(render_junit(report))
    SCHEMA.validate(root)  # a time is a decimal: what cannot be one reads 0
    suite = next(s for s in root if s.get("name") == "envdoctor.verify")
    assert [c.get("time") for c in suite.findall("testcase")] == ["0", "0"] and suite.get("time") == "0.000"
    assert root.get("time") == "0"
    assert suite.find("testcase[@name='matmul']/system-out").text == "measured · " + ", ".join(
        f"{name}={shown}" for name in CHECK_METRICS)
    assert suite.find("testcase[@name='memcpy']/failure").get("message") == "wrong answer"
