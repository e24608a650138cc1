"""A torch whose import aborts (SIGABRT), like a failed C++ assertion while loading its libraries."""

import os

os.abort()
