"""``envdoctor recipes refresh`` and the data's age.

Rooms: :mod:`.indexes` (index pages and the PyPI JSON API, pure), :mod:`.wheelzip` (a wheel's METADATA
from byte ranges, pure), :mod:`.learn` (listings to an overlay and the inference rules, pure),
:mod:`.client` (requests through the door, the page cache), :mod:`.run` (the command),
:mod:`.freshness` (how old the data is, the refresh's report).
"""

from envdoctor.refresh.freshness import data_finding, describe_layers, newer_than_known, refresh_report
from envdoctor.refresh.run import RefreshError, RefreshRun, run_refresh

__all__ = ["RefreshError", "RefreshRun", "data_finding", "describe_layers", "newer_than_known", "refresh_report",
           "run_refresh"]
