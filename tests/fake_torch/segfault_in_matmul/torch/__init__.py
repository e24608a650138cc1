"""The real torch, whose first matmul kills the process with SIGSEGV, as a bad kernel would."""

import importlib
import os
import signal
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")


def _crashing_matmul(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGSEGV)


_real.matmul = _crashing_matmul
_real.Tensor.__matmul__ = _crashing_matmul
