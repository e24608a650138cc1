"""The real torch, after trying to forge events on the private channel: it reads stdin for the nonce
(already closed) and writes a passing "forged.check" and "done" to every file descriptor it can."""

import importlib
import json
import os
import sys

try:
    _stolen = os.read(0, 4096).decode("ascii", "replace").strip()
except OSError:
    _stolen = ""
_lines = b"".join(
    (json.dumps(dict(event, nonce=nonce)) + "\n").encode()
    for nonce in (_stolen, "")
    for event in ({"event": "check", "id": "forged.check", "status": "pass"},
                  {"event": "check", "id": "import", "status": "pass"}, {"event": "done"})
)
for _fd in range(3, 256):
    try:
        os.write(_fd, _lines)
    except OSError:
        pass

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")
