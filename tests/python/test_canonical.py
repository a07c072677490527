"""omphalos canonical JSON as docs/formats.md specifies it, byte for byte."""

from __future__ import annotations

import pytest

from omphalos.evidence.canonical import CanonicalJSONError, canonical_bytes, loads_strict


def test_the_documented_example() -> None:
    value = {"b": [1, -2, "0.5"], "a": "é\u0001\n"}
    assert canonical_bytes(value) == '{"a":"é\\u0001\\n","b":[1,-2,"0.5"]}'.encode()


def test_string_escapes() -> None:
    text = '"\\\b\t\n\f\r\x1f\x7f/\u2028é'
    assert (
        canonical_bytes(text) == b'"\\"\\\\\\b\\t\\n\\f\\r\\u001f\x7f/' + "\u2028é".encode() + b'"'
    )


def test_keys_in_code_point_order_not_utf16() -> None:
    # U+FFFF < U+1F600 by code point; UTF-16 (RFC 8785) would put the emoji (0xD83D...) first
    assert canonical_bytes({"\U0001f600": 1, "\uffff": 2}) == '{"\uffff":2,"\U0001f600":1}'.encode()


def test_integers_of_any_size_and_literals() -> None:
    assert canonical_bytes([2**64, -(2**53), True, False, None]) == (
        b"[18446744073709551616,-9007199254740992,true,false,null]"
    )


@pytest.mark.parametrize("bad", [1.5, float("nan"), {1: "x"}, "\ud800", object()])
def test_refused_values(bad: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_bytes(bad)


@pytest.mark.parametrize("text", ['{"a":1,"a":2}', "[1.0]", "[NaN]"])
def test_strict_reading(text: str) -> None:
    with pytest.raises(ValueError):
        loads_strict(text)
