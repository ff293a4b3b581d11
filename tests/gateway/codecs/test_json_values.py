"""What a client's JSON value is (gateway/codecs/json_values.py) and how a message shows it (gateway/errors.py)."""
import pytest

from gateway.codecs.json_values import parse_json
from gateway.errors import SHOWN_CHARACTERS, InvalidInput, json_kind, shown

# Any valid request: the codecs pass the one of their protocol and model.
EXAMPLE = '{"features": [1.0, "a"]}'


@pytest.mark.parametrize(("value", "kind"), [(None, "null"), (True, "a boolean"), (1.5, "a number"), ([], "a list")])
def test_json_kind(value, kind):
    assert json_kind(value) == kind


def test_parse_json_accepts_any_json_value():
    assert parse_json(b'{"a": [1, 2.5]}', EXAMPLE) == {"a": [1, 2.5]}


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
        parse_json(body, EXAMPLE)
    assert EXAMPLE in str(refused.value)
