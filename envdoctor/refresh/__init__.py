"""``envdoctor recipes refresh`` and the data's age.

Rooms: :mod:`.indexes` (index pages and the PyPI JSON API, pure), :mod:`.wheelzip` (a wheel's METADATA
from byte ranges, pure), :mod:`.reading` (what to read, what a wheel says, pure), :mod:`.inference` (what
no index tells, pure), :mod:`.learn` (listings to an overlay, pure), :mod:`.toml_writer` (the overlay's
text, pure), :mod:`.client` (requests through the door, the page cache), :mod:`.run` (the command),
:mod:`.freshness` (how old the data is, the refresh's report).

The package exports what ``check`` asks on its start-up path (the data's age); the command itself is
imported from :mod:`.run` where it runs, so ``check`` never loads the index client.
"""

from envdoctor.refresh.freshness import data_finding, describe_layers, newer_than_known, refresh_document, refresh_report

__all__ = ["data_finding", "describe_layers", "newer_than_known", "refresh_document", "refresh_report"]
