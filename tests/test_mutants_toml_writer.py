"""The overlay's TOML compared whole with hand-written text.

Oracles: the TOML 1.0 specification (bare keys are ``A-Za-z0-9_-`` only; a basic string escapes ``"``
and ``\\`` and writes the control characters U+0000-U+001F and U+007F as escapes; an empty inline table is
``{}``), and the standard library's ``tomllib``, which reads back every text written here.
"""

from __future__ import annotations

import sys

import pytest

from envdoctor.refresh.toml_writer import toml_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_an_overlay_is_written_as_hand_checked_text():
    table = {
        "schema": "envdoctor.recipes.torch/2",
        "yanked": False,
        "count": 3,
        "refresh": {"pypi": "https://x.example/pypi", "stale": True},
        "series": {"2.16": {"source": "s", "releases": {"2.16.0": {
            "python": ["3.11", "3.14t"],
            "companion_gaps": {"torchvision": {"linux-x86_64": ["3.14t"]}},
            "variants": {"cu134": {"archs": ["sm_75"]}, "rocm7.3": {}}}}}},
        "extensions": {"xformers": "0.0.33"},
    }
    expected = "\n".join([
        "# line one",
        "# line two",
        'schema = "envdoctor.recipes.torch/2"',
        "yanked = false",
        "count = 3",
        "",
        "[refresh]",
        'pypi = "https://x.example/pypi"',
        "stale = true",
        "",
        "[extensions]",
        'xformers = "0.0.33"',
        "",
        "[series.\"2.16\"]",
        'source = "s"',
        "",
        '[series."2.16".releases."2.16.0"]',
        'python = ["3.11", "3.14t"]',
        'companion_gaps = { torchvision = { linux-x86_64 = ["3.14t"] } }',
        '[series."2.16".releases."2.16.0".variants]',
        'cu134 = { archs = ["sm_75"] }',
        '"rocm7.3" = {}',
        "",
    ])
    assert toml_text(table, "line one\nline two") == expected
    assert tomllib.loads(expected) == table


def test_a_series_with_only_releases_has_no_table_of_its_own_and_no_header_no_comment():
    table = {"series": {"2.9": {"releases": {"2.9.1": {"python": ("3.10",)}}}}}
    expected = ('\n[series."2.9".releases."2.9.1"]\npython = ["3.10"]\n'
                '[series."2.9".releases."2.9.1".variants]\n')
    assert toml_text(table) == expected
    assert tomllib.loads(expected) == {"series": {"2.9": {"releases": {"2.9.1": {"python": ["3.10"], "variants": {}}}}}}


def test_no_series_at_all_is_only_the_top_level():
    assert toml_text({"schema": "s"}) == 'schema = "s"\n'
    assert toml_text({}) == "\n"


def test_strings_escape_quotes_backslashes_and_every_control_character_and_nothing_else():
    text = 'a "q" \\ \x00\x1f \x7f\x80 é~'
    written = toml_text({"k": text})
    assert written == 'k = "a \\"q\\" \\\\ \\u0000\\u001f \\u007f\x80 é~"\n'
    assert tomllib.loads(written) == {"k": text}
    assert toml_text({"k": "\t\n"}) == 'k = "\\u0009\\u000a"\n'


@pytest.mark.parametrize(("key", "written"), [
    ("linux-x86_64", "linux-x86_64"), ("AZaz09_-", "AZaz09_-"), ("cu12.8", '"cu12.8"'), ("a b", '"a b"'),
    ("é", '"é"'), ("", '""'), ("a\n", '"a\\u000a"'), ("\na", '"\\u000aa"'),
])
def test_only_bare_key_characters_are_written_bare(key, written):
    text = toml_text({key: 1})
    assert text == f"{written} = 1\n"
    assert tomllib.loads(text) == {key: 1}


def test_a_value_with_no_toml_form_is_refused_by_its_type():
    with pytest.raises(TypeError) as error:
        toml_text({"k": 1.5})
    assert str(error.value) == "no TOML form for float"
    with pytest.raises(TypeError) as error:
        toml_text({"k": [None]})
    assert str(error.value) == "no TOML form for NoneType"


def test_a_series_without_releases_is_its_own_table_alone():
    written = toml_text({"series": {"2.9": {"source": "s"}}})
    assert written == '\n[series."2.9"]\nsource = "s"\n'
    assert tomllib.loads(written) == {"series": {"2.9": {"source": "s"}}}
