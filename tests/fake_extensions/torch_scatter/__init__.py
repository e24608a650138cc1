import torch  # noqa: F401

__version__ = "2.1.2"
