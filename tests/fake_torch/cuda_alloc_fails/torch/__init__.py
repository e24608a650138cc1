"""The real CPU torch claiming one CUDA GPU: discovery succeeds, the first allocation on it fails.

Allocating on "cuda:0" in a CPU build raises "Torch not compiled with CUDA enabled", which stands in
for a GPU that is listed but unusable.
"""

import importlib
import os
import sys
import types

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _here]
del sys.modules["torch"]
_real = importlib.import_module("torch")

_properties = types.SimpleNamespace(name="NVIDIA A100-SXM4-80GB", major=8, minor=0,
                                    total_memory=85899345920, multi_processor_count=108)
_real.version.cuda = "12.4"
_real.cuda.is_available = lambda: True
_real.cuda.device_count = lambda: 1
_real.cuda.get_device_properties = lambda index: _properties
_real.cuda.get_arch_list = lambda: ["sm_80", "sm_86", "sm_90"]
