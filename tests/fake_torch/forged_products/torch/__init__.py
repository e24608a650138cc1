"""The real torch, then a cleverer liar: torch claims 8 CUDA GPUs, and every matmul check of every
device "passes" with the right product of the run's inputs, worked out in pure Python on the CPU."""

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
_run = _main.Reporter.run


def _forged(self, check_id, title, func, *args):
    if check_id == "devices":
        details = {"cuda": {"kind": "cuda", "available": True, "count": 8, "devices": _devices}}
        return self.finish(check_id, title, _main.outcome("pass", "8 GPUs", details), 0.001)
    if not check_id.startswith("cuda:"):
        return _run(self, check_id, title, func, *args)
    details = {}
    if ".matmul." in check_id:
        inputs = args[1]["known_answer"]
        a, b = inputs["a"], inputs["b"]
        details["known_answer_product"] = [[float(sum(r[k] * b[k][j] for k in range(len(b)))) for j in range(len(b[0]))]
                                           for r in a]
    return self.finish(check_id, title, _main.outcome("pass", "ok", details), 0.001)


_main.Reporter.run = _forged
