"""Open Inference Protocol (v2) REST payloads <-> numpy, with the binary tensor
data extension. Pure functions: no HTTP framework, no model session (the card
gives the tensors and the example a message shows).

A request body is a JSON header optionally followed by raw little-endian tensor
bytes; `Inference-Header-Content-Length` says where the JSON ends. Every length
a client states is checked against the bytes actually present, so a lying size
is a 400, never an over-read.
"""
import functools
from dataclasses import dataclass
from math import prod
from typing import Any, Final, Iterable, Sequence

import numpy as np
import orjson

from gateway.codecs.json_values import NUMBER_CELL_TYPES, parse_json, plain_numbers
from gateway.errors import InvalidInput, json_kind, shown
from gateway.model.card import ModelCard
from gateway.model.contract import MISSING_CATEGORY

JSON_CONTENT: Final = b"application/json"
BINARY_CONTENT: Final = b"application/octet-stream"
HEADER_LENGTH: Final = b"inference-header-content-length"
BINARY_EXTENSION: Final = "binary_tensor_data"

# What the input accepts (FP64 is converted) and what each datatype is in bytes.
INPUT_DATATYPES: Final = {"FP32": np.dtype("<f4"), "FP64": np.dtype("<f8")}
DTYPES: Final = {"FP32": np.dtype("<f4"), "FP64": np.dtype("<f8"), "INT64": np.dtype("<i8")}
_NO_PARAMETERS: Final[dict[str, Any]] = {}  # read only


@dataclass(frozen=True)
class TensorSpec:
    name: str
    datatype: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class RequestedOutput:
    name: str
    binary: bool


@dataclass(frozen=True)
class InferRequest:
    id: str | None
    rows: np.ndarray
    """float32, C-contiguous, (n, number columns), finite."""
    outputs: Sequence[RequestedOutput]
    categories: np.ndarray | None = None
    """For a model with one input per column: the BYTES inputs' strings, (n, category columns)."""
    gaps: bool = False
    """Whether a cell may be missing (NaN in FP32, null or "" in BYTES): the model checks where."""


def split_body(body: bytes, header_length: bytes | None) -> tuple[bytes, memoryview]:
    """The JSON header and the binary section that follows it (empty without the header)."""
    if header_length is None:
        return body, memoryview(b"")
    try:
        length = int(header_length)
    except ValueError:
        text = header_length.decode("latin-1")
        raise InvalidInput(f"Inference-Header-Content-Length {shown(text)} is not a number") from None
    if not 0 < length <= len(body):
        raise InvalidInput(f"Inference-Header-Content-Length {length} does not fit a body of {len(body)} bytes")
    return body[:length], memoryview(body)[length:]


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object, got {json_kind(value)}")
    return value


def _flag(parameters: dict[str, Any], key: str, what: str) -> bool:
    value = parameters.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput(f'{what} parameter "{key}" must be true or false, got {json_kind(value)}')
    return value


def _shape(value: Any, name: str, n_features: int, max_rows: int) -> tuple[int, int]:
    if type(value) is list and len(value) == 2:  # the common, valid case, checked without a generator
        rows, columns = value
        if type(rows) is int and type(columns) is int and columns == n_features and 1 <= rows <= max_rows:
            return rows, columns
    if not isinstance(value, list) or not all(type(d) is int and d >= 0 for d in value):
        raise InvalidInput(f'input "{name}" shape must be a list of non-negative integers')
    if len(value) != 2 or value[1] != n_features:
        given = value if len(value) <= 4 else f"of {len(value)} dimensions"
        raise InvalidInput(f'input "{name}" shape {given} does not match the model\'s [-1, {n_features}]')
    if value[0] < 1:
        raise InvalidInput(f'input "{name}" must hold at least one row')
    if value[0] > max_rows:
        raise InvalidInput(f'input "{name}" holds {value[0]} rows; the limit is {max_rows}')
    return value[0], value[1]


def _json_data(data: Any, name: str, shape: tuple[int, int]) -> np.ndarray:
    if not isinstance(data, list):
        raise InvalidInput(f'input "{name}" data must be a list of numbers, got {json_kind(data)}')
    # Types first, then numpy with an explicit dtype: without one, numpy stores every
    # element at the width of the longest string among them (one 20,000-character
    # string in 10,000 numbers: 800 MB), and float64 alone would parse "1.5". A null
    # (a gap) becomes NaN.
    kinds = _kinds(data)
    if kinds:
        raise InvalidInput(f'input "{name}" data must hold only numbers and nulls ({kinds} found)')
    try:
        values = np.array(data, dtype=np.float64)
    except (ValueError, OverflowError):
        raise InvalidInput(f'input "{name}" data is ragged or not all numbers') from None
    if values.size != prod(shape):
        raise InvalidInput(f'input "{name}" shape {list(shape)} needs {prod(shape)} values; data holds {values.size}')
    if values.ndim != 1 and values.shape != shape:
        raise InvalidInput(f'input "{name}" data is nested as {list(values.shape)}, not as its shape {list(shape)}')
    return values.reshape(shape)


# A tensor of shape [rows, columns] is nested two deep at most.
_MAX_NESTING: Final = 2


def _kinds(data: list[Any]) -> str:
    """What other than numbers a tensor's data holds ("" for numbers only), nested at
    most as deep as a tensor: walked level by level, never recursively."""
    found: set[str] = set()
    level = [data]
    for depth in range(_MAX_NESTING + 1):
        lists = []
        for values in level:
            types = set(map(type, values))
            if types <= NUMBER_CELL_TYPES:
                continue
            if list in types:
                if depth == _MAX_NESTING:
                    found.add("lists nested deeper than the shape")
                else:
                    lists.extend(value for value in values if type(value) is list)
            found.update(json_kind(value) for value in values if type(value) not in NUMBER_CELL_TYPES
                         and type(value) is not list)
        level = lists
    return ", ".join(sorted(found))


# A BYTES element in the binary extension: a 4-byte little-endian length, then the bytes.
_LENGTH: Final = np.dtype("<u4")


def _strings(values: list[Any], name: str) -> list[str]:
    """A BYTES input's JSON data: one string per row, flat or nested one per row; a
    null (a gap) as MISSING_CATEGORY, the empty string."""
    if all(type(value) is list and len(value) == 1 for value in values):
        values = [value[0] for value in values]
    for position, value in enumerate(values):
        if value is None:
            values[position] = MISSING_CATEGORY
        elif type(value) is not str:
            raise InvalidInput(f'input "{name}" data position {position} must be a string or null, got'
                               f' {json_kind(value)}')
    return values


def _binary_strings(binary: memoryview, offset: int, size: Any, name: str, rows: int) -> list[str]:
    """A BYTES input in the binary extension, every stated length checked against the bytes present."""
    if type(size) is not int or size < 4 * rows:
        raise InvalidInput(f'input "{name}" binary_data_size {shown(size)} cannot hold {rows} length-prefixed strings')
    if offset + size > len(binary):
        raise InvalidInput(
            f'input "{name}" needs {size} bytes of binary data; the body holds {len(binary) - offset} after its header'
        )
    strings, position, end = [], offset, offset + size
    for index in range(rows):
        if position + 4 > end:
            raise InvalidInput(f'input "{name}" binary data ends before string {index}')
        length = int(np.frombuffer(binary, dtype=_LENGTH, count=1, offset=position)[0])
        position += 4
        if position + length > end:
            raise InvalidInput(f'input "{name}" string {index} claims {length} bytes; {end - position} remain')
        try:
            strings.append(bytes(binary[position:position + length]).decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidInput(f'input "{name}" string {index} is not UTF-8') from None
        position += length
    if position != end:
        raise InvalidInput(f'input "{name}" binary_data_size is {size}; its {rows} strings take {position - offset}')
    return strings


def _bytes_input(
    tensor: dict[str, Any], name: str, binary: memoryview, offset: int, max_rows: int
) -> tuple[np.ndarray, int]:
    """A BYTES input of shape [rows, 1] as an object array, and the binary bytes it took."""
    if tensor.get("datatype") != "BYTES":
        raise InvalidInput(f'input "{name}" datatype {shown(tensor.get("datatype"))} is not supported; send BYTES')
    rows, _ = _shape(tensor.get("shape"), name, 1, max_rows)
    parameters = _object(tensor.get("parameters", {}), f'input "{name}" parameters')
    if "binary_data_size" in parameters:
        if "data" in tensor:
            raise InvalidInput(f'input "{name}" has both "data" and binary_data_size')
        size = parameters["binary_data_size"]
        return np.array(_binary_strings(binary, offset, size, name, rows), dtype=object).reshape(rows, 1), size
    data = tensor.get("data")
    if not isinstance(data, list):
        raise InvalidInput(f'input "{name}" data must be a list of strings, got {json_kind(data)}')
    if len(data) != rows:
        raise InvalidInput(f'input "{name}" shape [{rows}, 1] needs {rows} strings; data holds {len(data)}')
    return np.array(_strings(data, name), dtype=object).reshape(rows, 1), 0


def _binary_data(
    binary: memoryview, offset: int, size: Any, name: str, shape: tuple[int, int], dtype: np.dtype
) -> np.ndarray:
    expected = prod(shape) * dtype.itemsize
    if type(size) is not int or size != expected:
        raise InvalidInput(
            f'input "{name}" binary_data_size is {shown(size)}, '
            f'but shape {list(shape)} of {dtype.name} needs {expected} bytes'
        )
    if offset + size > len(binary):
        raise InvalidInput(
            f'input "{name}" needs {size} bytes of binary data; the body holds {len(binary) - offset} after its header'
        )
    return np.frombuffer(binary, dtype=dtype, count=prod(shape), offset=offset).reshape(shape)


def _float32(values: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    """C-contiguous, aligned float32, and whether it holds NaN (a gap); values beyond
    FP32 overflow to inf and are refused with infinities."""
    if values.dtype != np.float32 or not values.flags.c_contiguous or not values.flags.aligned:
        with np.errstate(over="ignore", invalid="ignore"):
            values = np.require(values, np.float32, ["C", "A"])
    if np.isfinite(values).all():
        return values, False
    if np.isinf(values).any():
        raise InvalidInput(f'input "{name}" holds infinite or out-of-FP32-range values')
    return values, True


def infer_inputs(card: ModelCard, rows: list[list[Any]]) -> list[dict[str, Any]]:
    """Rows as the model's v2 inputs: one FP32 `input`, or one [rows, 1] tensor per column."""
    inputs = card.inputs
    if len(inputs) == 1:
        data = [value for row in rows for value in row]
        return [{"name": inputs[0]["name"], "shape": [len(rows), len(card.features)], "datatype": "FP32",
                 "data": data}]
    return [{"name": tensor["name"], "shape": [len(rows), 1], "datatype": tensor["datatype"],
             "data": [row[position] for row in rows]} for position, tensor in enumerate(inputs)]


def infer_example(card: ModelCard) -> str:
    """A valid inference request, as messages show it: the card's first example row."""
    return orjson.dumps({"inputs": infer_inputs(card, [card.examples[0][1]])}).decode()


def decode_infer(
    body: bytes, header_length: bytes | None, input_specs: dict[str, TensorSpec], output_names: Sequence[str],
    max_rows: int, example: str,
) -> InferRequest:
    """`input_specs`: the model's inputs by name, in order: one FP32 `input`, or one
    [rows, 1] tensor per column (FP32 for numbers, BYTES for categories); `example`:
    a valid request (infer_example), shown when the body is empty."""
    header, binary = split_body(body, header_length)
    document = _object(parse_json(header, example), "the inference request")
    request_id = document.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise InvalidInput(f'"id" must be a string, got {json_kind(request_id)}')
    parameters = document.get("parameters")
    parameters = _NO_PARAMETERS if parameters is None else _object(parameters, '"parameters"')
    inputs = document.get("inputs")
    first = next(iter(input_specs))
    if not isinstance(inputs, list) or not inputs:
        raise InvalidInput(f'"inputs" must be a non-empty list of tensors, such as one named "{first}"')
    decoded: dict[str, np.ndarray] = {}
    offset = 0
    gaps = False
    for item in inputs:
        tensor = _object(item, "each input")
        name = tensor.get("name")
        input_spec = input_specs.get(name) if type(name) is str else None
        if input_spec is None:
            known = f'only input is "{first}"' if len(input_specs) == 1 else f"inputs are {', '.join(input_specs)}"
            raise InvalidInput(f"unknown input {shown(name)}; the model's {known}")
        if name in decoded:
            raise InvalidInput(f'input "{name}" is given more than once')
        if input_spec.datatype == "BYTES":
            decoded[name], taken = _bytes_input(tensor, name, binary, offset, max_rows)
            gaps = gaps or MISSING_CATEGORY in decoded[name]
            offset += taken
            continue
        n_features = input_spec.shape[1]
        datatype = tensor.get("datatype")
        dtype = INPUT_DATATYPES.get(datatype) if isinstance(datatype, str) else None
        if dtype is None:
            raise InvalidInput(f'input "{name}" datatype {shown(datatype)} is not supported; send FP32 (or FP64)')
        shape = _shape(tensor.get("shape"), name, n_features, max_rows)
        tensor_parameters = tensor.get("parameters")
        if tensor_parameters is None:
            tensor_parameters = _NO_PARAMETERS
        else:
            tensor_parameters = _object(tensor_parameters, f'input "{name}" parameters')
        if "binary_data_size" in tensor_parameters:
            if "data" in tensor:
                raise InvalidInput(f'input "{name}" has both "data" and binary_data_size')
            size = tensor_parameters["binary_data_size"]
            values = _binary_data(binary, offset, size, name, shape, dtype)
            offset += size
        elif "data" in tensor:
            data = tensor["data"]
            if plain_numbers(data, prod(shape)):
                decoded[name] = np.array(data, dtype=np.float32).reshape(shape)  # checked element by element
                continue
            values = _json_data(data, name, shape)
        else:
            raise InvalidInput(f'input "{name}" has neither "data" nor a binary_data_size parameter')
        decoded[name], nan = _float32(values, name)
        gaps = gaps or nan
    if offset != len(binary):
        raise InvalidInput(f"{len(binary) - offset} bytes follow the binary tensors the header describes")
    outputs = _requested_outputs(document, parameters, output_names)
    if len(input_specs) == 1:
        return InferRequest(request_id, decoded[first], outputs, None, gaps)
    return _per_column(request_id, decoded, input_specs, outputs, gaps)


def _per_column(
    request_id: str | None, decoded: dict[str, np.ndarray], input_specs: dict[str, TensorSpec],
    outputs: Sequence[RequestedOutput], gaps: bool,
) -> InferRequest:
    """One tensor per column, joined into the number matrix and the category matrix."""
    missing = [name for name in input_specs if name not in decoded]
    if missing:
        raise InvalidInput(f"missing input{'s' if len(missing) > 1 else ''} {', '.join(missing)};"
                           f" the model takes {', '.join(input_specs)}")
    counts = {name: len(values) for name, values in decoded.items()}
    if len(set(counts.values())) != 1:
        raise InvalidInput(f"every input must hold the same number of rows; got {counts}")
    rows = len(next(iter(decoded.values())))
    numbers = [decoded[spec.name] for spec in input_specs.values() if spec.datatype != "BYTES"]
    strings = [decoded[spec.name] for spec in input_specs.values() if spec.datatype == "BYTES"]
    return InferRequest(
        request_id,
        np.ascontiguousarray(np.hstack(numbers) if numbers else np.empty((rows, 0), np.float32), dtype=np.float32),
        outputs,
        np.hstack(strings) if strings else np.empty((rows, 0), dtype=object),
        gaps,
    )


@functools.lru_cache(maxsize=8)
def _all_outputs(output_names: tuple[str, ...], binary: bool) -> tuple[RequestedOutput, ...]:
    return tuple(RequestedOutput(name, binary) for name in output_names)


def _requested_outputs(
    document: dict[str, Any], parameters: dict[str, Any], output_names: Sequence[str]
) -> Sequence[RequestedOutput]:
    default_binary = _flag(parameters, "binary_data_output", "request")
    requested = document.get("outputs")
    if requested is None:
        return _all_outputs(tuple(output_names), default_binary)
    if not isinstance(requested, list):
        raise InvalidInput(f'"outputs" must be a list, got {json_kind(requested)}')
    outputs: list[RequestedOutput] = []
    for item in requested:
        entry = _object(item, "each requested output")
        name = entry.get("name")
        if name not in output_names:
            raise InvalidInput(f"unknown output {shown(name)}; the model's outputs are {', '.join(output_names)}")
        if any(output.name == name for output in outputs):
            raise InvalidInput(f'output "{name}" is requested more than once')
        output_parameters = _object(entry.get("parameters", {}), f'output "{name}" parameters')
        binary = _flag(output_parameters, "binary_data", f'output "{name}"') if "binary_data" in output_parameters \
            else default_binary
        outputs.append(RequestedOutput(name, binary))
    return outputs


def encode_infer(
    model_name: str,
    model_version: str,
    request_id: str | None,
    outputs: Iterable[tuple[RequestedOutput, str, np.ndarray]],
) -> tuple[bytes, bytes, list[tuple[bytes, bytes]]]:
    """(content type, body, extra headers) of an inference response."""
    described = []
    blobs = []
    for output, datatype, array in outputs:
        entry: dict[str, Any] = {"name": output.name, "datatype": datatype, "shape": list(array.shape)}
        if output.binary:
            blob = np.ascontiguousarray(array, dtype=DTYPES[datatype]).tobytes()
            entry["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            entry["data"] = array.reshape(-1)
        described.append(entry)
    document: dict[str, Any] = {"model_name": model_name, "model_version": model_version}
    if request_id is not None:
        document["id"] = request_id
    document["outputs"] = described
    header = orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)
    if not blobs:
        return JSON_CONTENT, header, []
    return BINARY_CONTENT, b"".join([header, *blobs]), [(HEADER_LENGTH, b"%d" % len(header))]
