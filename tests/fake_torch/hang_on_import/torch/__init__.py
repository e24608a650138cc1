"""A torch whose import never returns, like a driver call stuck on a wedged GPU."""

import time

time.sleep(3600)
