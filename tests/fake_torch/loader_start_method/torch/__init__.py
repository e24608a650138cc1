"""The real torch, after making ENVDOCTOR_TEST_START_METHOD (spawn, forkserver or fork) the default
start method of multiprocessing: the DataLoader check must work with each, from the fresh empty
directory the smoke test runs in."""

import importlib
import multiprocessing
import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")

if multiprocessing.parent_process() is None:  # the smoke test itself, not a spawned worker
    multiprocessing.set_start_method(os.environ["ENVDOCTOR_TEST_START_METHOD"], force=True)
