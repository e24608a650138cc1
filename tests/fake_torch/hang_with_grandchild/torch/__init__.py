"""A torch whose import starts a helper in a new session (no pipes inherited), then never returns.

Both pids go to the file named by ENVDOCTOR_TEST_PIDFILE (helper first), so a test can check that
the timeout killed both.
"""

import os
import subprocess
import sys
import time

_helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
with open(os.environ["ENVDOCTOR_TEST_PIDFILE"], "a") as _pids:
    _pids.write(f"{_helper.pid}\n{os.getpid()}\n")
time.sleep(3600)
