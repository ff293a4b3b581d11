"""The OpenAPI 3.1 document for every route, with request, response and error schemas.

What depends on the model (features, classes, tensor names, the model's name and
version) is read from its card by `document`; the rest is static.
"""
from typing import Any, Final, Iterable

from gateway.codecs.v2 import infer_inputs
from gateway.model.card import Column, ModelCard

_FLOAT32 = {"type": "number", "minimum": -3.4028234663852886e38, "maximum": 3.4028234663852886e38}
_MODEL_HEADERS = {
    name: {"schema": {"type": "string"}, "description": description}
    for name, description in (
        ("X-Model-Name", "name of the model that answered"),
        ("X-Model-Version", "its version, from the model card"),
        ("X-Model-Sha256", "sha256 of the ONNX file"),
    )
}
_REQUEST_ID = {"X-Request-ID": {"schema": {"type": "string"}, "description": "the client's id, or a new one"}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: Final[dict[str, Any]] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
    "NotReady": {
        "type": "object", "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "string", "enum": ["starting", "draining"]}},
    },
    # Open Inference Protocol (v2), after kserve/open-inference-protocol's
    # open_inference_rest.yaml, narrowed to what this server accepts and returns.
    "V2ServerMetadata": {
        "type": "object", "required": ["name", "version", "extensions"],
        "properties": {
            "name": {"type": "string"}, "version": {"type": "string"},
            "extensions": {"type": "array", "items": {"type": "string"}},
        },
    },
    "V2Live": {"type": "object", "required": ["live"], "properties": {"live": {"type": "boolean"}}},
    "V2Ready": {"type": "object", "required": ["ready"], "properties": {"ready": {"type": "boolean"}}},
    "V2ModelReady": {
        "type": "object", "required": ["name", "ready"],
        "properties": {"name": {"type": "string"}, "ready": {"type": "boolean"}},
    },
    "V2ModelNotReady": {
        "type": "object", "required": ["name", "ready", "error"],
        "properties": {"name": {"type": "string"}, "ready": {"type": "boolean"}, "error": {"type": "string"}},
    },
    "V2Tensor": {
        "type": "object", "required": ["name", "datatype", "shape"],
        "properties": {
            "name": {"type": "string"}, "datatype": {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "V2ModelMetadata": {
        "type": "object", "required": ["name", "platform", "inputs", "outputs"],
        "properties": {
            "name": {"type": "string"},
            "versions": {"type": "array", "items": {"type": "string"}},
            "platform": {"type": "string"},
            "inputs": {"type": "array", "items": _ref("V2Tensor")},
            "outputs": {"type": "array", "items": _ref("V2Tensor")},
        },
    },
    "V2Parameters": {
        "type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]},
        "description": "binary_data_size on tensors; binary_data on outputs; binary_data_output on the request",
    },
    "V2TensorData": {
        "type": "array", "items": {"anyOf": [{"type": "number"}, {"$ref": "#/components/schemas/V2TensorData"}]},
        "description": "row-major values, flat or nested",
    },
    "V2InferResponse": {
        "type": "object", "required": ["model_name", "outputs"],
        "properties": {
            "model_name": {"type": "string"},
            "model_version": {"type": "string"},
            "id": {"type": "string"},
            "outputs": {"type": "array", "items": {
                "type": "object", "required": ["name", "shape", "datatype"],
                "properties": {
                    "name": {"type": "string"}, "datatype": {"type": "string"},
                    "shape": {"type": "array", "items": {"type": "integer"}},
                    "parameters": _ref("V2Parameters"),
                    "data": {"type": "array", "items": {"type": "number"}},
                },
            }},
        },
    },
}


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    response["headers"] = {**_REQUEST_ID, **(headers or {})}
    return response


def error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _get(summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": {**responses, "405": error("wrong method")}}}


PATHS: Final[dict[str, Any]] = {
    "/predict": {
        "post": {
            "operationId": "predict",
            "summary": "Predict one row (features) or many (instances), by position or by feature name",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PredictRequest")}}},
            "responses": {
                "200": _json({"oneOf": [_ref("Prediction"), _ref("Predictions")]}, "the prediction(s)", _MODEL_HEADERS),
                "400": error("the body is not a valid prediction request; the message says why"),
                "405": error("wrong method"),
                "413": error("the body exceeds the size limit"),
                "415": error("the Content-Type is not application/json"),
                "503": error("the model is not loaded yet"),
            },
        }
    },
    "/health": _get("Readiness: 200 once the model is warmed up, 503 while starting or draining", {
        "200": _json(_ref("Status"), "ready"), "503": _json(_ref("NotReady"), "starting or draining"),
    }),
    "/live": _get("Liveness: 200 whenever the process answers", {"200": _json(_ref("Status"), "alive")}),
    "/openapi.json": _get("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")}),
    "/docs": _get("This document in a browser (Swagger UI), with Try it out", {
        "200": {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}},
    }),
    "/docs/{name}": {
        "parameters": [{
            "name": "name", "in": "path", "required": True, "schema": {"type": "string"}, "example": "swagger-ui.css",
        }],
        **_get("A file the page loads: Swagger UI's script, style and licence, and the page's own script", {
            "200": {"description": "the file", "content": {"*/*": {"schema": {"type": "string"}}}},
            "404": error("no such file"),
        }),
    },
}

_NAME = {"name": "model_name", "in": "path", "required": True, "schema": {"type": "string"}}
_VERSION = {"name": "model_version", "in": "path", "required": True, "schema": {"type": "string"}}
_UNKNOWN = error("unknown model or version")
_INFER = {
    "summary": "Open Inference Protocol inference: JSON tensors, or a JSON header and binary tensor data",
    "description": (
        "With binary tensor data, the JSON header is followed by raw little-endian tensors and "
        "Inference-Header-Content-Length gives the header's length (binary_tensor_data extension)."
    ),
    "parameters": [{
        "name": "Inference-Header-Content-Length", "in": "header", "required": False,
        "schema": {"type": "integer", "minimum": 1},
    }],
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": _ref("V2InferRequest")},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    }},
    "responses": {
        "200": {
            "description": "the outputs asked for (all by default)",
            "headers": {**_REQUEST_ID, **_MODEL_HEADERS},
            "content": {
                "application/json": {"schema": _ref("V2InferResponse")},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        "400": error("the request is not valid for this model; the message says why"),
        "404": _UNKNOWN,
        "405": error("wrong method"),
        "413": error("the body exceeds the size limit"),
        "415": error("the Content-Type is neither JSON nor octet-stream with a header length"),
        "503": error("the model is not loaded yet"),
    },
}


def _v2_model(parameters: list[dict[str, Any]], summary: str, schema: str) -> dict[str, Any]:
    not_ready = _json(_ref("V2ModelNotReady"), "not ready") if schema == "V2ModelReady" else error("not loaded yet")
    item = _get(summary, {"200": _json(_ref(schema), "ok"), "404": _UNKNOWN, "503": not_ready})
    item["parameters"] = parameters
    return item


PATHS.update({
    "/v2": _get("Server metadata (extensions supported)", {"200": _json(_ref("V2ServerMetadata"), "ok")}),
    "/v2/health/live": _get("Server liveness", {"200": _json(_ref("V2Live"), "alive")}),
    "/v2/health/ready": _get("Server readiness", {
        "200": _json(_ref("V2Ready"), "ready"), "503": error("starting or draining"),
    }),
    "/v2/models/{model_name}": _v2_model([_NAME], "Model metadata", "V2ModelMetadata"),
    "/v2/models/{model_name}/versions/{model_version}": _v2_model(
        [_NAME, _VERSION], "Model metadata, one version", "V2ModelMetadata"
    ),
    "/v2/models/{model_name}/ready": _v2_model([_NAME], "Model readiness", "V2ModelReady"),
    "/v2/models/{model_name}/versions/{model_version}/ready": _v2_model(
        [_NAME, _VERSION], "Model readiness, one version", "V2ModelReady"
    ),
    "/v2/models/{model_name}/infer": {"parameters": [_NAME], "post": {**_INFER, "operationId": "v2_infer"}},
    "/v2/models/{model_name}/versions/{model_version}/infer": {
        "parameters": [_NAME, _VERSION], "post": {**_INFER, "operationId": "v2_infer_version"},
    },
})


def _request_examples(card: ModelCard) -> tuple[dict[str, Any], dict[str, Any]]:
    """Named examples for /predict and v2 infer, which /docs offers in "Try it out":
    one row, the same row by name, and all the card's example rows. The first is also
    the schemas' example."""
    rows = card.examples
    (first_class, first), batch = rows[0], [row for _, row in rows]
    shown = ", ".join(name for name, _ in rows)
    what = first_class if first_class.startswith("the ") else f"a typical {first_class}"

    def v2(rows: list[list[Any]]) -> dict[str, Any]:
        return {"inputs": infer_inputs(card, rows)}

    predict = {
        "one_row": {"summary": f"one row (features): {what}", "value": {"features": first}},
        "by_name": {"summary": f"one row by feature name: {what}",
                    "value": {"features": dict(zip(card.features, first))}},
        "batch": {"summary": f"a batch (instances): {shown}", "value": {"instances": batch}},
    }
    infer = {
        "one_row": {"summary": f"one row: {what}", "value": v2([first])},
        "batch": {"summary": f"a batch: {shown}", "value": v2(batch)},
    }
    return predict, infer


def _cell(column: Column) -> dict[str, Any]:
    """A column's value; null too where the card says the model takes a gap there."""
    kind = _FLOAT32 if column.kind == "number" else {"type": "string"}
    return {"anyOf": [kind, {"type": "null"}]} if column.takes_gaps else kind


def _rows(card: ModelCard, example: list[Any]) -> dict[str, Any]:
    """A row by position (numbers, or numbers and category strings) or by feature name."""
    kinds = [_cell(c) for c in card.columns]
    description = ", ".join(f"{c.name} ({c.kind}{', null when missing' if c.takes_gaps else ''})"
                            for c in card.columns)
    if card.has_categories or any(c.takes_gaps for c in card.columns):
        positional: dict[str, Any] = {"type": "array", "prefixItems": kinds, "items": False}
    else:
        positional = {"type": "array", "items": _FLOAT32}
    n = len(card.columns)
    positional.update({"minItems": n, "maxItems": n, "description": description, "example": example})
    named = {
        "type": "object", "properties": dict(zip(card.features, kinds)), "required": list(card.features),
        "additionalProperties": False, "description": "the same row by feature name",
    }
    return {"anyOf": [positional, named], "example": example}


def _answers(card: ModelCard) -> dict[str, Any]:
    """/predict's answers: a class with its probabilities, or a regressor's value."""
    if card.regression:
        value = {"type": "number", "description": f"predicted {card.document['value']['target']}"}
        return {
            "Prediction": {"type": "object", "required": ["prediction"], "properties": {"prediction": value}},
            "Predictions": {
                "type": "object", "required": ["predictions"],
                "properties": {"predictions": {"type": "array", "items": value}},
            },
        }
    n_classes = len(card.classes)
    probabilities = {"type": "array", "items": {"type": "number"}, "minItems": n_classes, "maxItems": n_classes}
    label = {"type": "integer", "minimum": 0, "maximum": n_classes - 1}
    class_name = {"type": "string", "enum": list(card.classes)}
    return {
        "Prediction": {
            "type": "object", "required": ["prediction", "class_name", "probabilities"],
            "properties": {"prediction": label, "class_name": class_name, "probabilities": probabilities},
        },
        "Predictions": {
            "type": "object", "required": ["predictions", "class_names", "probabilities"],
            "properties": {
                "predictions": {"type": "array", "items": label},
                "class_names": {"type": "array", "items": class_name},
                "probabilities": {"type": "array", "items": probabilities},
            },
        },
    }


def _model_schemas(
    card: ModelCard, max_batch_rows: int | None, predict: dict[str, Any], infer: dict[str, Any]
) -> dict[str, Any]:
    example = predict["one_row"]["value"]["features"]
    row = _rows(card, example)
    instances: dict[str, Any] = {"type": "array", "items": row, "minItems": 1}
    if max_batch_rows is not None:
        instances["maxItems"] = max_batch_rows  # the setting in force
    # FP64 is converted where the model takes one FP32 input (gateway.codecs.v2).
    fp64 = set() if card.has_categories else {"FP64"}
    datatypes = sorted({tensor["datatype"] for tensor in card.inputs} | fp64)
    # null (a gap) where the card says some column takes one (gateway.codecs.v2).
    gaps = any(column.takes_gaps for column in card.columns)
    tensors = [_ref("V2TensorData")]
    if gaps:
        tensors.append({"type": "array", "items": {"type": ["number", "null"]}})
    if card.has_categories:
        tensors.append({"type": "array", "items": {"type": ["string", "null"] if gaps else "string"}})
    data = tensors[0] if len(tensors) == 1 else {"anyOf": tensors}
    return {
        "PredictRequest": {
            "type": "object",
            "description": 'Exactly one of "features" (one row) or "instances" (many rows); other keys are ignored.',
            "properties": {"features": row, "instances": instances},
            "oneOf": [
                {"required": ["features"], "not": {"required": ["instances"]}},
                {"required": ["instances"], "not": {"required": ["features"]}},
            ],
            "example": {"features": example},
        },
        **_answers(card),
        # Open Inference Protocol (v2), after kserve/open-inference-protocol's
        # open_inference_rest.yaml, narrowed to what this model accepts.
        "V2InferRequest": {
            "type": "object", "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "parameters": _ref("V2Parameters"),
                "inputs": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["name", "shape", "datatype"],
                    "properties": {
                        "name": {"type": "string", "enum": [tensor["name"] for tensor in card.inputs]},
                        "shape": {
                            "type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2,
                        },
                        "datatype": {"type": "string", "enum": datatypes},
                        "parameters": _ref("V2Parameters"),
                        "data": data,
                    },
                }},
                "outputs": {"type": "array", "items": {
                    "type": "object", "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "enum": [output["name"] for output in card.outputs]},
                        "parameters": _ref("V2Parameters"),
                    },
                }},
            },
            "example": infer["one_row"]["value"],
        },
    }


def _with_examples(
    paths: dict[str, Any], card: ModelCard, predict: dict[str, Any], infer: dict[str, Any]
) -> dict[str, Any]:
    """This model's examples: the v2 path parameters (its name and version) and the
    request bodies of /predict and v2 infer."""
    examples = {"model_name": card.name, "model_version": card.version}

    def fill(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**p, "example": examples[p["name"]]} if p["name"] in examples else p for p in parameters]

    def with_body_examples(operation: dict[str, Any], named: dict[str, Any]) -> dict[str, Any]:
        body = operation["requestBody"]
        content = {**body["content"], "application/json": {**body["content"]["application/json"], "examples": named}}
        return {**operation, "requestBody": {**body, "content": content}}

    filled = {
        path: {key: fill(value) if key == "parameters" else value for key, value in item.items()}
        for path, item in paths.items()
    }
    for path, item in filled.items():
        if "post" in item:
            item["post"] = with_body_examples(item["post"], predict if path == "/predict" else infer)
    return filled


# How /docs groups the routes.
TAGS: Final = (
    ("prediction", "The original service's /predict, grown batches", ("/predict",)),
    ("v2", "The Open Inference Protocol (KServe v2, Triton) over REST", ("/v2",)),
    ("operations", "Health and this document", ("/",)),
)


def _tagged(paths: dict[str, Any]) -> dict[str, Any]:
    def tag_of(path: str) -> str:
        return next(name for name, _, prefixes in TAGS if path.startswith(prefixes))

    return {
        path: {
            key: {**value, "tags": [tag_of(path)]} if key in ("get", "post") else value
            for key, value in item.items()
        }
        for path, item in paths.items()
    }


def document(card: ModelCard, served: Iterable[str], max_batch_rows: int | None = None) -> dict[str, Any]:
    """The OpenAPI document of the routes `served` (paths as routed: the public port's)."""
    predict, infer = _request_examples(card)
    wanted = set(served)
    paths = {path: item for path, item in PATHS.items() if path in wanted}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{card.name} ONNX gateway",
            "version": "1.0.0",
            "description": "Every client error is a 4xx with a JSON body {\"error\": \"...\"} saying what is wrong.",
        },
        "tags": [{"name": name, "description": description} for name, description, _ in TAGS],
        "paths": _tagged(_with_examples(paths, card, predict, infer)),
        "components": {"schemas": {**SCHEMAS, **_model_schemas(card, max_batch_rows, predict, infer)}},
    }
