"""The real torch, with optim.SGD's step moving every parameter 1% too far: training still converges,
to the wrong weights."""

import importlib
import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")

_step = _real.optim.SGD.step


def _wrong_step(self, *args, **kwargs):
    loss = _step(self, *args, **kwargs)
    with _real.no_grad():
        for group in self.param_groups:
            for param in group["params"]:
                param.mul_(1.01)
    return loss


_real.optim.SGD.step = _wrong_step
