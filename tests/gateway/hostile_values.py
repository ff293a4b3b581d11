"""Request parts built to do harm: bodies that would make the gateway allocate or
recurse (a value nested as deep as the JSON parser allows, shapes that make an untyped
numpy array explode) and paths that would forge log lines."""
import orjson

# Percent-encoded paths that decode to a control character (and that character): in a
# log line, a forged entry or a recoloured terminal.
HOSTILE_PATHS = {
    "newline": (b"/predict%0Aforged%20INFO%20gateway.access%20GET%20/admin%20200", "\n"),
    "carriage return": (b"/predict%0D%0Aforged%20200", "\r"),
    "ansi escape": (b"/predict%1B%5B31mred%1B%5B0m", "\x1b"),
}

# orjson refuses documents nested past 1,024 levels; a body's own object and lists
# take a few of those, so this is as deep as a client value can reach the codecs.
DEEP_LEVELS = 1000


def deep(levels: int = DEEP_LEVELS) -> bytes:
    """A JSON list nested `levels` deep around one number."""
    return b"[" * levels + b"1" + b"]" * levels


def infer_tensor(**fields: bytes | None) -> bytes:
    """An OIP infer body with one valid tensor, each given field replaced by raw JSON
    (or left out, for None)."""
    tensor: dict[str, bytes | None] = {
        "name": b'"input"', "datatype": b'"FP32"', "shape": b"[1, 4]", "data": b"[5.1, 3.5, 1.4, 0.2]"
    }
    tensor.update(fields)
    members = b", ".join(b'"%s": %s' % (key.encode(), value) for key, value in tensor.items() if value is not None)
    return b'{"inputs": [{%s}]}' % members


def infer_document(**fields: bytes) -> bytes:
    """An OIP infer body with a valid tensor and top-level fields given as raw JSON."""
    members = b", ".join(b'"%s": %s' % (key.encode(), value) for key, value in fields.items())
    return infer_tensor()[:-1] + (b", " + members if members else b"") + b"}"


def predict(value: object) -> bytes:
    return orjson.dumps({"features": value})
