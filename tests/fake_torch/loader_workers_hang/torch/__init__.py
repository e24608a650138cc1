"""The real torch, then, still inside `import torch`, a DataLoader whose workers never deliver a
batch: the smoke test hangs with a forkserver and two worker processes running, and envdoctor must
kill all of them with the child. Their pids go to the file ENVDOCTOR_TEST_PIDS names."""

import importlib
import multiprocessing
import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")
# the workers import the dataset from here: forkserver and spawn hand them this process's sys.path
sys.path.append(os.path.join(_here, "helpers"))

if multiprocessing.parent_process() is None:
    from slow_dataset import SlowDataset

    from torch.utils.data import DataLoader

    multiprocessing.set_start_method("forkserver", force=True)
    _loader = iter(DataLoader(SlowDataset(), batch_size=1, num_workers=2))
    from multiprocessing import forkserver

    _pids = [worker.pid for worker in _loader._workers] + [forkserver._forkserver._forkserver_pid]
    with open(os.environ["ENVDOCTOR_TEST_PIDS"], "w") as _file:
        _file.write("\n".join(str(pid) for pid in _pids) + "\n")
    next(_loader)  # never returns: the workers sleep
