"""``--junit FILE``: the report as JUnit XML, the test-report format Jenkins, GitLab and others render.

The document follows the JUnit schema of Jenkins' xUnit plugin (``junit-10.xsd``, which GitLab's
unit-test reports also read): one ``<testsuites>`` holding a suite per kind of result, and one
``<testcase>`` per requirement, finding and verify check, plus one for the run itself:

- ``envdoctor.run``: the command; fails only when it could not do its job (``error`` in the JSON);
- ``envdoctor.requirements``: each ``--require`` / ``--policy`` requirement, failing when unmet or unknown;
- ``envdoctor.findings``: each finding, failing when it fails the run (an error; a warning with --strict);
- ``envdoctor.verify``: each verify check: ``<failure>`` when it failed, ``<skipped>`` when skipped.

Every string is made printable and has secrets masked first, and characters XML 1.0 cannot hold are
dropped, so any report gives a well-formed document.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from envdoctor.render.printable import finding_text, printable_report
from envdoctor.report import Report

#: Characters outside XML 1.0's ``Char`` production (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _seconds(value: float | None) -> str:
    """A ``time`` attribute: the schema wants a decimal, so a NaN, infinite or negative time reads 0."""
    return f"{value:.3f}" if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0 else "0"


class _Suite:
    """One ``<testsuite>`` being filled, with its counts."""

    def __init__(self, parent: ET.Element, name: str) -> None:
        self.element = ET.SubElement(parent, "testsuite", name=name)
        self.tests = self.failures = self.skipped = 0
        self.time = 0.0
        self.names: dict[str, int] = {}

    def case(self, classname: str, name: str, time: float | None = None) -> ET.Element:
        count = self.names.get(name, 0) + 1
        self.names[name] = count
        unique = name if count == 1 else f"{name} #{count}"
        self.tests += 1
        self.time += time if isinstance(time, (int, float)) and math.isfinite(time) and time > 0 else 0.0
        attributes = {"classname": classname, "name": _text(unique)}
        if time is not None:
            attributes["time"] = _seconds(time)
        return ET.SubElement(self.element, "testcase", attributes)

    def fail(self, case: ET.Element, message: str, kind: str, body: str = "") -> None:
        self.failures += 1
        failure = ET.SubElement(case, "failure", message=_text(message), type=_text(kind))
        failure.text = _text(body or message)

    def skip(self, case: ET.Element, message: str) -> None:
        self.skipped += 1
        ET.SubElement(case, "skipped", message=_text(message))

    def close(self) -> tuple[int, int, float]:
        self.element.set("tests", str(self.tests))
        self.element.set("failures", str(self.failures))
        self.element.set("errors", "0")
        self.element.set("skipped", str(self.skipped))
        self.element.set("time", _seconds(self.time))
        return self.tests, self.failures, self.time


def render_junit(report: Report) -> bytes:
    """The JUnit XML document for ``report``, UTF-8 with an XML declaration."""
    report = printable_report(report)
    command = report.command or "envdoctor"
    root = ET.Element("testsuites", name=f"envdoctor {command}")
    suites = []

    run = _Suite(root, "envdoctor.run")
    suites.append(run)
    case = run.case("envdoctor.run", f"envdoctor {command}", report.duration_s)
    if report.error:
        run.fail(case, report.error, "envdoctor.error")
    else:
        out = ET.SubElement(case, "system-out")
        counts = report.summary()
        names = {"error": "error(s)", "warning": "warning(s)", "info": "note(s)", "pass": "passed", "fail": "failed",
                 "skip": "skipped"}
        out.text = _text(", ".join(f"{count} {names.get(key, key)}" for key, count in counts.items() if count)
                         or "nothing to report")

    if report.requirements:
        suite = _Suite(root, "envdoctor.requirements")
        suites.append(suite)
        for result in report.requirements:
            case = suite.case("envdoctor.requirements", result.requirement)
            if not result.met:
                body = "\n".join([result.message, *result.evidence])
                suite.fail(case, result.message, f"policy.requirement-{result.status}", body)

    findings = [finding for finding in report.findings if finding.area != "policy"]
    if findings:
        suite = _Suite(root, "envdoctor.findings")
        suites.append(suite)
        for finding in findings:
            case = suite.case(f"envdoctor.findings.{finding.area}", finding.id)
            if finding.severity == "error" or (finding.severity == "warning" and report.strict):
                suite.fail(case, finding.message, finding.id, finding_text(finding, evidence=True))
            else:
                ET.SubElement(case, "system-out").text = _text(f"{finding.severity}: {finding_text(finding, evidence=True)}")

    if report.checks:
        suite = _Suite(root, "envdoctor.verify")
        suites.append(suite)
        for check in report.checks:
            case = suite.case("envdoctor.verify", check.id, check.duration_s)
            if check.status == "fail":
                suite.fail(case, check.message or "failed", "envdoctor.verify")
            elif check.status == "skip":
                suite.skip(case, check.message or "skipped")
            elif check.message or check.metrics:
                metrics = ", ".join(f"{key}={value}" for key, value in check.metrics.items())
                ET.SubElement(case, "system-out").text = _text(" · ".join(p for p in (check.message, metrics) if p))

    totals = [suite.close() for suite in suites]
    root.set("tests", str(sum(t[0] for t in totals)))
    root.set("failures", str(sum(t[1] for t in totals)))
    root.set("errors", "0")
    root.set("time", _seconds(report.duration_s if report.duration_s is not None else sum(t[2] for t in totals)))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
