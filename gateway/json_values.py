"""A client's decoded JSON values: parsing a body, telling what a value is, and
showing it in a message. Shared by the /predict and v2 codecs; pure functions."""
from typing import Any, Final

import numpy as np
import orjson

from gateway.errors import InvalidInput
from gateway.tensors import ORIGINAL_ROW

FLOAT32_MAX: Final = float(np.finfo(np.float32).max)
# What a message shows as a request to copy when no model card is at hand (the
# original service's example); with one, the card's first example row (Layout).
EXAMPLE: Final = orjson.dumps({"features": ORIGINAL_ROW}).decode()
# The JSON number types, as orjson decodes them (bool is not one of them).
NUMBER_TYPES: Final = frozenset({int, float})
# What a number column's cell may be: a number, or null for a missing value (a gap).
NUMBER_CELL_TYPES: Final = NUMBER_TYPES | {type(None)}


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


# A client's string is quoted in a message up to this many characters.
SHOWN_CHARACTERS: Final = 40


def shown(value: Any) -> str:
    """A client's value as a message shows it: a string quoted and cut short, a number
    as written, anything else by its kind. Never recursive: a decoded JSON value may be
    nested 1,000 deep, past what repr() survives."""
    if isinstance(value, str):
        return repr(value if len(value) <= SHOWN_CHARACTERS else value[:SHOWN_CHARACTERS] + "...")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return json_kind(value)


def parse_json(body: bytes, example: str = EXAMPLE) -> Any:
    if not body.strip():
        raise InvalidInput(f"request body is empty; send a JSON object such as {example}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"request body is not valid JSON: {error}") from None


# Above this many values numpy's bulk checks beat an element walk.
PLAIN_CHECK_LIMIT: Final = 64


def plain_numbers(value: Any, count: int) -> bool:
    """True when value is a flat list of exactly count finite float32-range numbers
    (booleans excluded), for short lists only.

    Checked in plain Python because for one row that is cheaper than numpy's set-up."""
    if type(value) is not list or len(value) != count or count > PLAIN_CHECK_LIMIT:
        return False
    for item in value:
        kind = type(item)
        if (kind is not float and kind is not int) or not -FLOAT32_MAX <= item <= FLOAT32_MAX:
            return False
    return True
