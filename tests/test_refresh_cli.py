"""`envdoctor recipes refresh`, `check` and `install` as users run them: real processes, a real pip asked
for its configuration, the loopback index of the refresh fixtures, and the user folders in tmp."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from install_servers import RefreshIndex

ROOT = Path(__file__).resolve().parent.parent


def envdoctor(tmp_path: Path, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "ENVDOCTOR_"))}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONPATH=str(ROOT))
    env.update(extra or {})
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tmp_path)


def test_refresh_writes_the_overlay_that_check_then_dates(tmp_path):
    with RefreshIndex() as index:
        index.listing = index.listing + [("rocm7.1", "torch-2.14.1+rocm7.1-cp312-cp312-manylinux_2_28_x86_64.whl")]
        done = envdoctor(tmp_path, "recipes", "refresh", "--pypi", index.pypi_url, "--index", index.index_url)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "data" / "envdoctor" / "recipes" / "torch.toml"
    assert f"wrote 0 release(s) to {written}" in done.stdout  # the built-in data has every release served
    assert "the PyTorch index lists rocm7.1, which the data lacks" in done.stdout
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert f'checked = "{today}"' in written.read_text()
    checked = envdoctor(tmp_path, "check", "--machine", str(ROOT / "tests" / "machines" / "debian12-no-gpu"), "--json")
    findings = [f for f in json.loads(checked.stdout)["findings"] if f["id"] == "recipes.data"]
    assert len(findings) == 1 and findings[0]["severity"] == "info"
    assert findings[0]["message"].startswith("recipes: built-in ") and findings[0]["message"].endswith(f" + refreshed {today}")
    text = envdoctor(tmp_path, "check", "--machine", str(ROOT / "tests" / "machines" / "debian12-no-gpu"))
    assert f"+ refreshed {today}" in text.stdout


def test_the_pypi_service_is_the_one_pip_is_configured_with(tmp_path):
    with RefreshIndex() as index:
        config = tmp_path / "pip.conf"
        config.write_text(f"[global]\nindex-url = {index.pypi_url}/simple\n")
        done = envdoctor(tmp_path, "recipes", "refresh", "--index", index.index_url, "--dry-run",
                         extra={"PIP_CONFIG_FILE": str(config)})
        asked = {path for path, _ in index.server.requests}
    assert done.returncode == 0, done.stderr
    assert "dry run: nothing written" in done.stdout and not (tmp_path / "data").exists()
    assert {"/pypi/pypi/torch/json", "/pypi/simple/torch/", "/pypi/simple/torchvision/"} <= asked


def test_credentials_in_the_configured_index_are_never_written(tmp_path):
    with RefreshIndex() as index:
        config = tmp_path / "pip.conf"
        config.write_text(f"[install]\nindex-url = {index.pypi_url.replace('//', '//me:s3cret@')}/simple\n")
        done = envdoctor(tmp_path, "recipes", "refresh", "--index", index.index_url, extra={"PIP_CONFIG_FILE": str(config)})
    assert done.returncode == 0, done.stderr
    written = (tmp_path / "data" / "envdoctor" / "recipes" / "torch.toml").read_text()
    assert "s3cret" not in written and "me:****@" in written and "(pip config install.index-url)" in written


def test_refresh_refuses_what_the_url_guard_refuses_and_says_what_offline_lacks(tmp_path):
    refused = envdoctor(tmp_path, "recipes", "refresh", "--index", "http://mirror.example/whl", "--dry-run")
    assert refused.returncode == 2 and "plain http is allowed only to 127.0.0.1" in refused.stderr
    offline = envdoctor(tmp_path, "recipes", "refresh", "--offline", "--pypi", "https://pypi.example",
                        "--index", "https://whl.example/whl")
    assert offline.returncode == 1
    assert "not in the cache of the last refresh" in offline.stderr and "nothing was changed" in offline.stderr


def test_install_warns_when_the_requested_torch_is_newer_than_the_data(tmp_path):
    done = envdoctor(tmp_path, "install", "--dry-run", "--json", "--target-os", "linux", "--target-arch", "x86_64",
                     "--target-python", "3.12", "--no-gpu", "torch==2.99.0")
    plan = json.loads(done.stdout)["plan"]
    assert done.returncode == 1 and not plan["ok"]
    assert any("asks for a torch newer than every release the recipes know (the newest is 2.15.0" in w
               and "envdoctor recipes refresh" in w for w in plan["warnings"])
