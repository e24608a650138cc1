"""The built wheel carries the recipe data and finds it once installed (not only in a source tree)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_installed_wheel_finds_its_recipes(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(ROOT)],
                   check=True, timeout=600, capture_output=True)
    assert (target / "envdoctor" / "recipe_data" / "torch.toml").is_file()
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import envdoctor.recipes as r, envdoctor.verify.runner as v;"
        "print(r.builtin_dir()); print(v.builtin_peaks_path()); print(len(r.load_recipes().releases))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(target)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=True)
    data_dir, peaks, releases = done.stdout.split()
    assert Path(data_dir) == target / "envdoctor" / "recipe_data"
    assert Path(peaks).is_file() and Path(peaks).parent == Path(data_dir)
    assert int(releases) > 30
