"""envdoctor: get PyTorch installed right for this machine, and prove it works."""

__version__ = "0.1.0"
