"""Tokens in URL paths and queries never reach any output form of the real CLI.

The URLs follow the shapes real private indexes use (anaconda.org's ``/t/<token>/``, Cloudsmith's
``https://host/<token>/org/repo/python/simple/``, GitLab's ``?private_token=``, an ``X-Api-Key`` query,
a JWT in the path, an S3-style presigned query with an ``ASIA`` key); every token is synthesised.
Each example runs every form that can echo a URL: check --json and --record (the index from
``PIP_INDEX_URL``/``PIP_EXTRA_INDEX_URL``), install --dry-run as text, -v, --json and every --emit
form (the index from --mirror, a PEP 508 direct reference), and lint. The index host stays readable.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from envdoctor.redact import redact_text

REPO = Path(__file__).resolve().parents[2]
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B64URL = ALNUM + "-_"


def _token(alphabet: str, size: int) -> st.SearchStrategy[str]:
    """A random token of ``size`` characters holding at least one digit and one letter, as issued tokens do."""
    return st.text(alphabet=alphabet, min_size=size, max_size=size).filter(
        lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t))


@st.composite
def secret_urls(draw) -> tuple[str, str, str]:
    """(index URL, the secret in it, its host)."""
    kind = draw(st.sampled_from(["anaconda", "cloudsmith", "gitlab", "api-key", "jwt", "presigned"]))
    if kind == "anaconda":
        secret = "ab-" + draw(_token("0123456789abcdef", 8)) + "-" + draw(_token("0123456789abcdef", 12))
        return f"https://conda.anaconda.example/t/{secret}/pytorch/simple/", secret, "conda.anaconda.example"
    if kind == "cloudsmith":
        secret = draw(_token(ALNUM, draw(st.integers(16, 24))))
        return f"https://dl.cloudsmith.example/{secret}/acme/ml/python/simple/", secret, "dl.cloudsmith.example"
    if kind == "gitlab":
        secret = "glpat-" + draw(_token(B64URL, 20))
        return (f"https://gitlab.example/api/v4/projects/42/packages/pypi/simple?private_token={secret}", secret,
                "gitlab.example")
    if kind == "api-key":
        secret = draw(_token(ALNUM, draw(st.integers(12, 40))))
        name = draw(st.sampled_from(["X-Api-Key", "apikey", "access", "k", "session"]))
        return f"https://pkgs.example/simple/?{name}={secret}&region=eu", secret, "pkgs.example"
    if kind == "jwt":
        payload = draw(_token(B64URL, 24))
        secret = f"eyJhbGciOiJIUzI1NiJ9.{payload}.{draw(_token(B64URL, 20))}"
        return f"https://pkgs.example/{secret}/simple/", payload, "pkgs.example"
    secret = "ASIA" + draw(_token("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))
    return (f"https://bucket.s3.example/simple/?X-Amz-Credential={secret}%2F20260101&X-Amz-Signature=ab12",
            secret, "bucket.s3.example")


def _cli(args: list[str], env_extra: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    done = subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=cwd, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


@settings(max_examples=400, deadline=None)
@given(secret_urls())
def test_the_redactor_masks_every_shape_and_keeps_the_host(drawn):
    url, secret, host = drawn
    for text in (url, f"pip install -i {url} torch", f"'{url}'", json.dumps({"index": url}), f"torch @ {url}x.whl"):
        shown = redact_text(text)
        assert secret not in shown
        assert f"https://{host}/" in shown


@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.generate],  # each example runs the CLI 10 times
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret_urls(), secret_urls())
def test_no_output_form_of_the_cli_shows_a_token(tmp_path, index, extra):
    (url, secret, host), (extra_url, extra_secret, _) = index, extra
    wheel = f"{extra_url.partition('?')[0]}numpy-2.0.0-py3-none-any.whl"
    install = ["install", "--dry-run", "--mirror", url, "torch", f"numpy @ {wheel}"]
    outputs = [_cli(install), _cli([*install, "-v"]), _cli([*install, "--json"]),
               *(_cli([*install, "--emit", form]) for form in ("requirements", "uv", "pixi", "dockerfile")),
               _cli(["lint", f"pip install --index-url {shlex.quote(url)} --extra-index-url {shlex.quote(extra_url)} torch"])]
    assert all(host in text for text in outputs[:3] + outputs[-1:])
    environment = {"PIP_INDEX_URL": url, "PIP_EXTRA_INDEX_URL": extra_url}
    folder = tmp_path / f"record-{len(list(tmp_path.iterdir()))}"
    outputs += [_cli(["check", "--json"], environment), _cli(["check", "--record", str(folder)], environment)]
    recorded = [path.read_text(errors="replace") for path in folder.rglob("*") if path.is_file()]
    assert host in "".join(recorded)  # the environment recorded, its host readable
    outputs += recorded
    for text in outputs:
        assert secret not in text and extra_secret not in text
