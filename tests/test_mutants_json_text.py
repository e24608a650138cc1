"""parse_json_text's answers and refusals compared whole; depths counted by hand (a bare scalar is at
depth 1 and is never judged, ``[]`` is one level, ``{"a": []}`` two)."""

from __future__ import annotations

import pytest

from envdoctor.readers.json_text import JSON_DEPTH_LIMIT, parse_json_text


def refusal(text: str, **limit: int) -> str:
    with pytest.raises(ValueError) as refused:
        parse_json_text(text, **limit)
    return str(refused.value)


def test_the_limit_is_sixty_four_levels():
    assert JSON_DEPTH_LIMIT == 64
    assert parse_json_text("[" * 64 + "]" * 64) == eval("[" * 64 + "]" * 64)
    assert refusal("[" * 65 + "]" * 65) == "nested deeper than 64 levels"


@pytest.mark.parametrize(("text", "max_depth", "expected"), [
    ("7", 0, 7),
    ('"x"', 0, "x"),
    ("[]", 1, []),
    ('{"a": []}', 2, {"a": []}),
    ('{"a": {"b": 1.5}, "c": [1, [2]]}', 3, {"a": {"b": 1.5}, "c": [1, [2]]}),
    ('[{"a": [true, null]}]', 3, [{"a": [True, None]}]),
])
def test_nesting_up_to_the_limit_is_read(text, max_depth, expected):
    assert parse_json_text(text, max_depth=max_depth) == expected


@pytest.mark.parametrize(("text", "max_depth", "message"), [
    ("[]", 0, "nested deeper than 0 levels"),
    ('{"a": []}', 1, "nested deeper than 1 levels"),
    ('[1, {"b": {"c": 2}}]', 2, "nested deeper than 2 levels"),
    ('{"a": 1, "b": [[[]]]}', 3, "nested deeper than 3 levels"),
    ('[[], [[[]]]]', 3, "nested deeper than 3 levels"),
])
def test_deeper_nesting_is_refused(text, max_depth, message):
    assert refusal(text, max_depth=max_depth) == message


def test_recursion_in_the_decoder_is_refused_with_the_limit_named():
    assert refusal("[" * 5_000 + "]" * 5_000, max_depth=5) == "nested deeper than 5 levels"


@pytest.mark.parametrize(("text", "message"), [
    ("NaN", "NaN is not a JSON number"),
    ("[Infinity]", "Infinity is not a JSON number"),
    ('{"a": -Infinity}', "-Infinity is not a JSON number"),
    ("[1e400]", "1e400 is out of range"),
    ("-1.0e999", "-1.0e999 is out of range"),
])
def test_non_finite_numbers_are_refused(text, message):
    assert refusal(text) == message


def test_finite_floats_and_integers_keep_their_values():
    assert parse_json_text('[1.5e300, -0.25, 12345678901234567890]') == [1.5e300, -0.25, 12345678901234567890]
