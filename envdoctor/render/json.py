"""Render a Report as one JSON document for machines."""

from __future__ import annotations

import json

from envdoctor.redact import redact_data
from envdoctor.render.printable import scrub
from envdoctor.report import Report


def render_json(report: Report) -> str:
    """One JSON document: strict JSON, nesting bounded, every string through redact_data. A NaN or infinity
    (a broken GPU measures them) is written null, and ``non_finite`` lists each: its JSON Pointer and what
    it was (``nan``, ``inf``, ``-inf``), so a null that was measured reads differently from one never measured."""
    non_finite: list[tuple[str, str]] = []
    document = redact_data(scrub(report, str, non_finite).to_dict())
    document["non_finite"] = [{"path": path, "value": value} for path, value in non_finite]
    return json.dumps(document, indent=2, allow_nan=False, default=str)
