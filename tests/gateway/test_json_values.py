"""What a client's JSON value is and how a message shows it (gateway/json_values.py)."""
import pytest

from gateway.errors import InvalidInput
from gateway.json_values import EXAMPLE, SHOWN_CHARACTERS, json_kind, parse_json, shown


@pytest.mark.parametrize(("value", "kind"), [(None, "null"), (True, "a boolean"), (1.5, "a number"), ([], "a list")])
def test_json_kind(value, kind):
    assert json_kind(value) == kind


def test_parse_json_accepts_any_json_value():
    assert parse_json(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}


def test_shown_cuts_a_long_string_short():
    text = shown("x" * 10_000)
    assert text == repr("x" * SHOWN_CHARACTERS + "...")


@pytest.mark.parametrize(("value", "text"), [(None, "null"), (True, "a boolean"), (2.5, "2.5"), ({}, "an object")])
def test_shown_names_other_values(value, text):
    assert shown(value) == text


def test_shown_does_not_recurse_into_a_deep_value():
    value: list = [1]
    for _ in range(100_000):  # far past Python's recursion limit
        value = [value]
    assert shown(value) == "a list"


@pytest.mark.parametrize("body", [b"", b"  \n"])
def test_an_empty_body_is_refused_with_the_example_to_copy(body):
    with pytest.raises(InvalidInput, match="request body is empty") as refused:
        parse_json(body)
    assert EXAMPLE in str(refused.value)
