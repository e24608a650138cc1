"""The real torch, with a GradScaler that finds inf/NaN gradients on every step: each optimizer step
is skipped and the scale halves, as when a float16 model overflows on every batch."""

import importlib
import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")

from torch.amp.grad_scaler import GradScaler  # noqa: E402 - the real torch, imported above

_unscale = GradScaler._unscale_grads_


def _always_inf(self, optimizer, inv_scale, found_inf, allow_fp16):
    per_device = _unscale(self, optimizer, inv_scale, found_inf, allow_fp16)
    for found in per_device.values():
        found.fill_(1.0)
    return per_device


GradScaler._unscale_grads_ = _always_inf
