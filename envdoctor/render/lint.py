"""Render ``envdoctor lint``'s judgements: each command as written, its findings, and what to run instead."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from envdoctor.i18n import _, say
from envdoctor.render.printable import printable
from envdoctor.render.text import SYMBOLS, Painter

if TYPE_CHECKING:
    from envdoctor.lint_instead import Judged

_RANK = {"info": 0, "warning": 1, "error": 2}


def render_lint_text(judged: list[Judged], header: str, summary: str, color: bool, ascii_only: bool,
                     verbose: int = 0, quiet: bool = False) -> str:
    """Each command as written, its findings with reason and source, and the command to use instead."""
    paint = Painter(color, ascii_only)
    out = [printable(say(header))]
    for item in judged:
        if quiet and not item.findings:
            continue
        mark = paint.mark(max((f.severity for f in item.findings), key=_RANK.__getitem__) if item.findings else "ok")
        out.append(f"{mark} {printable(item.source)}  {printable(item.text)}")
        for finding in item.findings:
            out.append(f"    {paint.mark(finding.severity)} {printable(say(finding.message))}  ({finding.id})")
            for evidence in finding.evidence:
                if evidence.startswith("source:") or verbose:
                    out.append(f"        {paint.why} {printable(say(evidence))}")
        if item.instead:
            instead = (_("instead ({note})", note=item.instead_note) if item.instead_note else _("instead"))
            out.append(f"    {paint.arrow} {printable(say(instead))}")
            out.extend(f"        $ {printable(shlex.join(argv))}" for argv in (item.instead, *item.then))
        elif item.findings and item.instead_note:
            none_fits = _("no command fits: {note}", note=item.instead_note)
            out.append(f"    {paint.arrow} {printable(say(none_fits))}")
    out.append("")
    out.append(say(summary))
    text = "\n".join(out)
    table: dict[str, str | int | None] = dict(SYMBOLS)
    return text.translate(str.maketrans(table)) if ascii_only else text
