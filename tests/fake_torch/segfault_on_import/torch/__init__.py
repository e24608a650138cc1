"""A torch whose import dies of SIGSEGV, like a binary built for another CPU or a broken driver library."""

import os
import signal

os.kill(os.getpid(), signal.SIGSEGV)
