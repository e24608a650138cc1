"""The real torch, which first starts a helper process in a new session that inherits every open file
(stdout, stderr and the verifier's channel) and sleeps: the smoke test ends, the pipes stay open.

The helper's pid goes to the file named by ENVDOCTOR_TEST_PIDFILE, so a test can check it was killed.
"""

import importlib
import os
import subprocess
import sys

_helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                           start_new_session=True, close_fds=False)
with open(os.environ["ENVDOCTOR_TEST_PIDFILE"], "a") as _pids:
    _pids.write(f"{_helper.pid}\n")

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")
