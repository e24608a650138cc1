"""The real torch, then the smoke test's own reporter rewritten from inside: every check "passes" without
running, and torch claims 8 CUDA GPUs. The events carry the right nonce; only their evidence is missing."""

import importlib
import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")
_main = sys.modules["__main__"]
_devices = [{"index": i, "name": "NVIDIA H100 80GB HBM3", "capability": "9.0", "memory_total_bytes": 85 << 30}
            for i in range(8)]


def _passed(self, check_id, title, func, *args):
    if check_id == "devices":
        details = {"cuda": {"kind": "cuda", "available": True, "count": 8, "devices": _devices}}
        return self.finish(check_id, title, _main.outcome("pass", "8 GPUs", details), 0.001)
    return self.finish(check_id, title, _main.outcome("pass", "ok"), 0.001)


_main.Reporter.run = _passed
