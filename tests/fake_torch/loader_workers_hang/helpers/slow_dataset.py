"""A map-style dataset whose items never come: each worker sleeps an hour on its first one."""

import time


class SlowDataset:
    def __len__(self):
        return 4

    def __getitem__(self, index):
        time.sleep(3600)
