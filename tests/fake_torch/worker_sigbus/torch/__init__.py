"""The real torch, with every DataLoader worker dying of SIGBUS on its first sample.

A worker that writes a batch into a full /dev/shm gets SIGBUS from the kernel; this one sends the
signal to itself at the same place (fetching a sample), so torch's own handlers report it as they
would the real thing. Workers are forked (Linux's default start method), so they carry the patch.
"""

import importlib
import os
import signal
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")

from torch.utils.data import TensorDataset, get_worker_info  # noqa: E402 - the real torch, imported above

_getitem = TensorDataset.__getitem__


def _bus_error_in_workers(self, index):
    if get_worker_info() is not None:
        os.kill(os.getpid(), signal.SIGBUS)
    return _getitem(self, index)


TensorDataset.__getitem__ = _bus_error_in_workers
