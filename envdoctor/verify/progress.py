"""The line ``envdoctor verify`` keeps rewriting on a terminal's stderr while the child runs.

Only for a terminal: a log or a pipe gets nothing (a CI log full of carriage returns helps no one),
and --json never asks for it. Titles come from the child, so each is made printable first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from envdoctor.i18n import _, say
from envdoctor.render.printable import printable
from envdoctor.verify.runner import Progress

CLEAR_LINE = "\r\x1b[K"


def progress_line(progress: Progress, elapsed_s: float) -> str:
    """'verify: [5/23] cpu: matmul float32 · 12 s' (``?`` for the total until the devices are known)."""
    total = "?" if progress.total is None else str(progress.total)
    return say(_("verify: [{step}/{total}] {title} · {seconds:.0f} s", step=progress.step, total=total,
                 title=printable(say(progress.title)), seconds=elapsed_s))


def terminal_progress(stream: TextIO | None) -> Callable[[Progress | None], None] | None:
    """A progress printer for ``stream`` when it is a terminal; None otherwise."""
    try:
        if stream is None or not stream.isatty():
            return None
    except (ValueError, OSError):
        return None
    start = time.monotonic()

    def show(progress: Progress | None) -> None:
        text = CLEAR_LINE if progress is None else CLEAR_LINE + progress_line(progress, time.monotonic() - start)
        try:
            stream.write(text)
            stream.flush()
        except (ValueError, OSError):
            pass

    return show
