"""A client's decoded JSON values: parsing a body and checking numbers. Shared by
the /predict and v2 codecs; pure functions."""
from typing import Any, Final

import numpy as np
import orjson

from gateway.errors import InvalidInput

FLOAT32_MAX: Final = float(np.finfo(np.float32).max)
_LOWEST: Final = -FLOAT32_MAX
# The JSON number types, as orjson decodes them (bool is not one of them).
NUMBER_TYPES: Final = frozenset({int, float})
# What a number column's cell may be: a number, or null for a missing value (a gap).
NUMBER_CELL_TYPES: Final = NUMBER_TYPES | {type(None)}


def parse_json(body: bytes, example: str) -> Any:
    """The decoded body; `example` is a valid request of the protocol and model at
    hand, shown when the body is empty."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        # Only a refused body is looked at again: an empty one gets the example.
        if not body.strip():
            raise InvalidInput(f"request body is empty; send a JSON object such as {example}") from None
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
        if (kind is not float and kind is not int) or not _LOWEST <= item <= FLOAT32_MAX:
            return False
    return True
