"""Render a Report as one JSON document for machines."""

from __future__ import annotations

import json

from envdoctor.redact import redact_data
from envdoctor.render.printable import scrub
from envdoctor.report import Report


def render_json(report: Report) -> str:
    """One JSON document: strict JSON (no NaN), nesting bounded, every string through redact_data."""
    document = redact_data(scrub(report, str, finite=True).to_dict())
    return json.dumps(document, indent=2, allow_nan=False, default=str)
