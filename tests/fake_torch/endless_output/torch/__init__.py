"""The real torch with a thread that writes to stdout and stderr without end, as a runaway logger would.

It writes with os.write, so no Python stream lock is held when the interpreter exits.
"""

import importlib
import os
import sys
import threading

_LINE = b"W1128 warning from a runaway logger: the same line again and again and again\n" * 800


def _flood() -> None:
    while True:
        for fd in (1, 2):
            try:
                os.write(fd, _LINE)
            except OSError:
                return


threading.Thread(target=_flood, daemon=True).start()

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")
