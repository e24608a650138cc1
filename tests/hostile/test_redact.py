"""Redaction: no planted password or token survives, wherever it sits in text or data.

pip's own ``redact_auth_from_url`` is the oracle for single URLs (envdoctor must mask at least what
pip masks); the secrets themselves are synthesised.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envdoctor.redact import MASK, redact_data, redact_env, redact_text

pip_misc = pytest.importorskip("pip._internal.utils.misc")

#: What may stand in a password between ``user:`` and ``@`` (percent-escapes, sub-delims, even a raw @).
PASSWORD_CHARS = "abcXYZ0123456789-._~!$&'()*+,;=%:@"
MARK = "S3CR"  # every generated secret starts with it, so "the secret is gone" is a plain search


@st.composite
def urls_with_password(draw) -> tuple[str, str]:
    password = MARK + draw(st.text(alphabet=PASSWORD_CHARS, max_size=16))
    user = draw(st.text(alphabet="abcdefgh0123._-", min_size=1, max_size=8))
    scheme = draw(st.sampled_from(["https", "http", "git+https", "HTTPS"]))
    host = draw(st.sampled_from(["mirror.example", "127.0.0.1:8080", "[::1]", "pkgs.example:443"]))
    path = draw(st.sampled_from(["", "/", "/simple/", "/whl/cu126?x=1", "#frag"]))
    return f"{scheme}://{user}:{password}@{host}{path}", password


@settings(max_examples=400, deadline=None)
@given(urls_with_password(), st.sampled_from(["{}", "pip install -i {} torch", "'{}'", '"{}"', "<{}>", "x={}\nnext line",
                                              "PIP_INDEX_URL={} PIP_EXTRA_INDEX_URL={}"]))
def test_no_password_survives_in_text(url_and_password, template):
    url, _ = url_and_password
    shown = redact_text(template.format(url, url))
    assert MARK not in shown
    assert MASK in shown


@settings(max_examples=400, deadline=None)
@given(urls_with_password())
def test_masks_at_least_what_pip_masks(url_and_password):
    url, _ = url_and_password
    ours = redact_text(url)
    assert MARK not in ours
    pip_view = pip_misc.redact_auth_from_url(url)
    if MARK not in pip_view:  # pip writes the scheme in lower case; envdoctor also masks every query value
        assert ours.lower().partition("?")[0] == pip_view.lower().partition("?")[0]


@pytest.mark.parametrize(
    "url",
    ["https://user:pass@host/x", "https://token@host/x", "https://user:@host", "https://user:p%40ss@host:8080/simple",
     "https://host/x", "https://a:b:c@host/", "https://u:p@ss@host/"],
)
def test_single_urls_read_as_pip_shows_them(url):
    assert redact_text(url) == pip_misc.redact_auth_from_url(url)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("token ghp_" + "a1B2" * 9, "a1B2a1B2"),
        ("hf_" + "x" * 34, "xxxxxxxx"),
        ("pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoaWprbG1ub3A", "AgEIcHlw"),
        ("glpat-" + "Zz_-" * 6, "Zz_-Zz_-"),
        ("AKIA" + "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP"),
        ("sk-" + "proj_" + "q" * 40, "qqqqqqqq"),
        ("https://mirror.example/simple?token=abc123secret&x=1", "abc123secret"),
        ("https://blob.example/torch.whl?sv=2024&sig=AbCdEf%2Bsecret", "AbCdEf"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("http://user:pw\\@host/x", "pw"),
        ("ghp_" + "a" * 400 + "_tail", "aaaaaaaa"),  # longer than usual and followed by a word character
    ],
)
def test_token_shapes_and_query_secrets(text, secret):
    assert secret not in redact_text(text)


@pytest.mark.parametrize(
    "text",
    ["torch==2.6.0+cu126", "https://download.pytorch.org/whl/cu126", "/home/dev/task-abcdefghijklmnopqrstuvwxyz/x",
     "mask-abcdefghijklmnopqrstuvwxyz0123", "a user@example.org wrote", "NVIDIA GeForce RTX 4090", ""],
)
def test_ordinary_text_is_left_alone(text):
    assert redact_text(text) == text


def test_redact_env_masks_by_name_and_by_value():
    env = {"HF_TOKEN": "hf_short", "MY_API_KEY": "abc", "AWS_SECRET_ACCESS_KEY": "x", "EMPTY_TOKEN": "",
           "PIP_INDEX_URL": "https://u:S3CRpw@mirror.example/simple", "UV_INDEX_URL": "https://S3CRtok@m.example/",
           "PATH": "/usr/bin:/bin", "CUDA_HOME": "/usr/local/cuda"}
    shown = redact_env(env)
    assert shown["HF_TOKEN"] == shown["MY_API_KEY"] == shown["AWS_SECRET_ACCESS_KEY"] == MASK
    assert shown["EMPTY_TOKEN"] == ""
    assert MARK not in json.dumps(shown)
    assert shown["PATH"] == "/usr/bin:/bin" and shown["CUDA_HOME"] == "/usr/local/cuda"
    assert env["PIP_INDEX_URL"].startswith("https://u:S3CR")  # the input is not changed


JSON_DATA = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.sampled_from(["https://u:S3CRx@h.example/", "plain", "ghp_S3CR" + "a" * 30])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.sampled_from(["k", "https://S3CRkey@h.example/", "n"]), inner, max_size=3)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_DATA)
def test_redact_data_masks_every_string_and_keeps_the_shape(value):
    shown = redact_data(value)
    assert MARK not in json.dumps(shown)

    def shape(v):
        if isinstance(v, dict):
            return ["dict", len(v), [shape(x) for x in v.values()]]
        if isinstance(v, (list, tuple)):
            return ["list", [shape(x) for x in v]]
        return "str" if isinstance(v, str) else v

    assert repr(shape(shown)) == repr(shape(value))


def test_redact_data_survives_any_depth():
    deep: object = {"url": "https://u:S3CRpw@h.example/"}
    for _ in range(200_000):
        deep = [deep]
    shown = redact_data(deep)
    for _ in range(200_000):
        shown = shown[0]
    assert shown == {"url": f"https://u:{MASK}@h.example/"}


def test_large_hostile_text_is_masked_whole():
    """Linear patterns: long runs that almost match are scanned once (quadratic ones would not finish)."""
    for text in ("a" * 300_000, "https://" + "a" * 300_000, "sk-" * 100_000, "x://" * 100_000, "?token=" * 50_000):
        assert len(redact_text(text)) <= len(text)
    long_password = "https://user:" + "S3CR" * 50_000 + "@h.example/"
    assert MARK not in redact_text(long_password)


def test_urls_inside_json_text_mask_only_their_own_password():
    text = json.dumps({"a": "https://u:S3CRpw@h.example/", "b": "x@y", "c": "https://host.example"}, separators=(",", ":"))
    shown = redact_text(text)
    assert MARK not in shown
    assert json.loads(shown) == {"a": f"https://u:{MASK}@h.example/", "b": "x@y", "c": "https://host.example"}


@pytest.mark.parametrize("text, shown", [
    # anaconda.org's private channels carry the token as the path segment after /t/ (its documentation)
    ("https://conda.anaconda.org/t/abc123/pytorch", "https://conda.anaconda.org/t/****/pytorch"),
    ("https://host.example/T/abc123/x", "https://host.example/T/****/x"),  # the parent word in any case
    ("https://host.example/t/x/abc123", "https://host.example/t/****/abc123"),  # only the segment right after it
    ("https://host.example/token/", "https://host.example/token/"),  # nothing after it: nothing to mask
    # a credential-shaped segment anywhere: 16+ token characters mixing letters and digits, or both cases
    ("https://host.example/simple/Ab3dEf9hIj2kLm4nOp/torch", "https://host.example/simple/****/torch"),
    ("https://host.example/whl/cu126/torch-2.6.0+cu126-cp312-cp312-linux_x86_64.whl",
     "https://host.example/whl/cu126/torch-2.6.0+cu126-cp312-cp312-linux_x86_64.whl"),  # a file name has dots
    ("https://host.example/simple/abcdefghijklmnopqrst/", "https://host.example/simple/abcdefghijklmnopqrst/"),
    ("https://host.example/x/eyJhbGciOi/y", "https://host.example/x/****/y"),  # a JWT's start, however short
    ("https://host.example/x/EYJhbGciOi/y", "https://host.example/x/EYJhbGciOi/y"),
    # every query value masked, its keys kept; a key without a value is masked whole, an empty value kept
    ("https://host.example/simple?user=bob&token=abc&flag&empty=",
     "https://host.example/simple?user=****&token=****&****&empty="),
    ("https://host.example/s?user=a=b", "https://host.example/s?user=****"),  # the value runs to the end, "=" too
    ("https://host.example/s?", "https://host.example/s?"),
    # outside a URL: query secrets and bearer tokens
    ("see ?token=abc123 and &password=hunter22", "see ?token=**** and &password=****"),
    ("Authorization: Bearer abcdefgh12345678", "Authorization: Bearer ****"),
    ("no scheme here: host.example/t/abc123", "no scheme here: host.example/t/abc123"),
])
def test_what_a_url_or_text_shows_once_masked(text, shown):
    """Whole values, read by hand from the rules in ``envdoctor/redact.py``'s comments."""
    assert redact_text(text) == shown
