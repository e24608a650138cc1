"""Renderings of a Report: :mod:`.text` (the checklist), :mod:`.json`, :mod:`.github` (annotations and a job
summary), :mod:`.junit` (JUnit XML), :mod:`.lint` (lint's judgements); :mod:`.printable` is what each does first.
"""

from envdoctor.render.json import render_json
from envdoctor.render.printable import MAX_DEPTH, TOO_DEEP, printable, printable_report, strip_controls
from envdoctor.render.text import (
    AREAS,
    ASCII_MARKS,
    CHECK_STATUS,
    COLORS,
    MARKS,
    NOT_DESCRIBED,
    RANK,
    SYMBOLS,
    Line,
    Painter,
    attach,
    can_encode,
    checklist,
    render_checklist,
    render_checks,
    render_fleet_header,
    render_plan,
    render_preview,
    render_requirements,
    render_text,
    use_color,
)

__all__ = [
    "AREAS", "ASCII_MARKS", "CHECK_STATUS", "COLORS", "MARKS", "MAX_DEPTH", "NOT_DESCRIBED", "RANK", "SYMBOLS", "TOO_DEEP",
    "Line", "Painter", "attach", "can_encode", "checklist", "printable", "printable_report", "render_checklist",
    "render_checks", "render_fleet_header", "render_json", "render_plan", "render_preview", "render_requirements",
    "render_text", "strip_controls", "use_color",
]
