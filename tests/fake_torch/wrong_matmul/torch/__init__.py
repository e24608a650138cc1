"""The real torch, with matmul adding 1e-2 to every result: a wrong answer that runs fine."""

import importlib
import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")
_matmul = _real.matmul


def _wrong_matmul(a, b, *args, **kwargs):
    return _matmul(a, b, *args, **kwargs) + 1e-2


_real.matmul = _wrong_matmul
_real.mm = _wrong_matmul
_real.Tensor.__matmul__ = _wrong_matmul
_real.Tensor.matmul = _wrong_matmul
