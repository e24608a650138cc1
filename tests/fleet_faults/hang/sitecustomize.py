"""Imported by every interpreter started on the faulty rank of the fleet hang test (it is first on
PYTHONPATH there). In envdoctor's fleet rank script only (recognised by its options, the last
argument), ``random.Random.uniform``, which that script calls for its local reference between two
collectives, writes this process's pid to FLEET_TEST_PIDS and never returns: a rank stuck in local
work while the others wait in the next collective. Synthesised for the tests."""

import os
import sys

if len(sys.argv) > 1 and '"bandwidth"' in sys.argv[-1] and '"prefix"' in sys.argv[-1]:
    import random
    import time

    def stuck(self, low, high):
        with open(os.environ["FLEET_TEST_PIDS"], "a", encoding="ascii") as pids:
            pids.write(f"{os.getpid()}\n")
        while True:
            time.sleep(1)

    random.Random.uniform = stuck
