"""The ``envdoctor`` command: the settings of a short-lived process, then the CLI.

A run creates some 100,000 objects while it imports, and nearly all of them live until it ends. With
Python's default thresholds the garbage collector walks them again and again as they are made, and once
more at exit (together about 40 ms of ``check``); a first threshold of 50,000 allocations makes that rare, and freezing
what is alive at exit spares the interpreter's final pass over it. Memory is still collected: a long
``verify``, ``install`` or ``recipes refresh`` keeps the collector, only less eager.
"""

from __future__ import annotations

import atexit
import gc


def main() -> None:
    gc.set_threshold(50_000)
    atexit.register(gc.freeze)
    from envdoctor.cli import main as cli_main

    cli_main()
