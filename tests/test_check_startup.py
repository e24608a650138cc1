"""What `check` loads: its start-up stays lean (modules a plain run never needs are not imported).

The oracle is the list of modules below, each one that check's own work does not use: psutil is for
walking a child's process tree (a replayed machine runs no command), the recording code for --record,
packaging's specifier parser for --require and lint, hashlib for a recording's hashes and refresh's HTTP
cache (the cache of validated data is keyed by Python's own source hash), and torch is never imported in-process. Each run
is a fresh interpreter, the modules read at its exit; the first run fills the cache of validated data
(a miss validates the TOML files and writes the entry), the second is the run every later check makes.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import MACHINES_DIR

NEVER_LOADED = ("psutil", "envdoctor.door.recording", "packaging.specifiers", "hashlib", "torch")

#: Runs check as the console script does, and prints the loaded modules once the run has ended.
PROGRAM = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["envdoctor", *sys.argv[1:]]
from envdoctor.entry import main
main()
"""


def loaded_modules(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_replayed_check_loads_none_of_the_modules_it_does_not_use():
    args = ("check", "--json", "--machine", str(MACHINES_DIR / "debian12-no-gpu"))
    loaded_modules(*args)
    modules = loaded_modules(*args)
    assert "envdoctor.door.recorded" in modules  # the run did replay the machine
    assert sorted(name for name in NEVER_LOADED if name in modules) == []


def test_recording_loads_the_recording_code(tmp_path):
    modules = loaded_modules("check", "--json", "--machine", str(MACHINES_DIR / "debian12-no-gpu"),
                             "--record", str(tmp_path / "again"))
    assert "envdoctor.door.recording" in modules
