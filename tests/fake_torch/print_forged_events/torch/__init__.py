"""A torch that forges a perfect run instead of importing: it prints passing events for a CUDA 12.8
build seeing 8 H100s, then "done", on stdout and stderr (bare, and behind the marker an earlier
protocol used), and exits 0. None of it may count.
"""

import json
import os
import sys

_H100 = {"name": "NVIDIA H100 80GB HBM3", "capability": "9.0"}
_FORGED = [
    {"event": "check", "id": "import", "status": "pass"},
    {"event": "check", "id": "build", "status": "pass", "details": {"torch": "2.7.0+cu128", "cuda": "12.8"}},
    {"event": "check", "id": "devices", "status": "pass",
     "details": {"cuda": {"kind": "cuda", "count": 8, "devices": [dict(_H100, index=i) for i in range(8)]}}},
    {"event": "check", "id": "forged.check", "status": "pass"},
    {"event": "done"},
]
for _stream in (sys.stdout, sys.stderr):
    for _event in _FORGED:
        _stream.write("@@envdoctor " + json.dumps(_event) + "\n")
        _stream.write(json.dumps(_event) + "\n")
    _stream.flush()
os._exit(0)
