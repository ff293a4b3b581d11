"""The OpenAPI 3.1 document for every route, with request, response and error schemas."""
from typing import Any, Final

N_FEATURES: Final = 4
N_CLASSES: Final = 3

_FLOAT32 = {"type": "number", "minimum": -3.4028234663852886e38, "maximum": 3.4028234663852886e38}
_ROW = {
    "type": "array", "items": _FLOAT32, "minItems": N_FEATURES, "maxItems": N_FEATURES,
    "description": "sepal length, sepal width, petal length, petal width (cm)",
    "example": [5.1, 3.5, 1.4, 0.2],
}
_PROBABILITIES = {"type": "array", "items": {"type": "number"}, "minItems": N_CLASSES, "maxItems": N_CLASSES}
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
    "Error": {
        "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}},
        "example": {"error": '"features" must hold 4 numbers, got 3'},
    },
    "PredictRequest": {
        "type": "object",
        "description": 'Exactly one of "features" (one row) or "instances" (many rows); other keys are ignored.',
        "properties": {"features": _ROW, "instances": {"type": "array", "items": _ROW, "minItems": 1}},
        "oneOf": [
            {"required": ["features"], "not": {"required": ["instances"]}},
            {"required": ["instances"], "not": {"required": ["features"]}},
        ],
    },
    "Prediction": {
        "type": "object", "required": ["prediction", "class_name", "probabilities"],
        "properties": {
            "prediction": {"type": "integer", "minimum": 0, "maximum": N_CLASSES - 1},
            "class_name": {"type": "string"},
            "probabilities": _PROBABILITIES,
        },
    },
    "Predictions": {
        "type": "object", "required": ["predictions", "class_names", "probabilities"],
        "properties": {
            "predictions": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": N_CLASSES - 1}},
            "class_names": {"type": "array", "items": {"type": "string"}},
            "probabilities": {"type": "array", "items": _PROBABILITIES},
        },
    },
    "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
    "NotReady": {
        "type": "object", "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "string", "enum": ["starting", "draining"]}},
    },
    "ModelCard": {
        "type": "object", "required": ["release"],
        "description": "models/iris.json as written by the export stage, plus the release serving it",
        "properties": {"release": {"type": "string", "description": "the image's release (its commit SHA)"}},
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
    "V2InferRequest": {
        "type": "object", "required": ["inputs"],
        "properties": {
            "id": {"type": "string"},
            "parameters": _ref("V2Parameters"),
            "inputs": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["name", "shape", "datatype"],
                "properties": {
                    "name": {"type": "string", "enum": ["input"]},
                    "shape": {
                        "type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2,
                    },
                    "datatype": {"type": "string", "enum": ["FP32", "FP64"]},
                    "parameters": _ref("V2Parameters"),
                    "data": _ref("V2TensorData"),
                },
            }},
            "outputs": {"type": "array", "items": {
                "type": "object", "required": ["name"],
                "properties": {
                    "name": {"type": "string", "enum": ["label", "probabilities"]},
                    "parameters": _ref("V2Parameters"),
                },
            }},
        },
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
            "summary": "Predict the class of one row (features) or many (instances)",
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
    "/metrics": _get("Prometheus metrics", {
        "200": {"description": "text exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}},
    }),
    "/model": _get("The model card", {"200": _json(_ref("ModelCard"), "the card"), "503": error("not loaded yet")}),
    "/openapi.json": _get("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")}),
}

_NAME = {"name": "model_name", "in": "path", "required": True, "schema": {"type": "string"}, "example": "iris"}
_VERSION = {"name": "model_version", "in": "path", "required": True, "schema": {"type": "string"}, "example": "1"}
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
    "/v2/models/{model_name}/infer": {"parameters": [_NAME], "post": _INFER},
    "/v2/models/{model_name}/versions/{model_version}/infer": {"parameters": [_NAME, _VERSION], "post": _INFER},
})


def document(max_batch_rows: int | None = None) -> dict[str, Any]:
    schemas = SCHEMAS
    if max_batch_rows is not None:
        # The batch limit is a setting; the document states the one in force.
        predict = {**SCHEMAS["PredictRequest"]}
        predict["properties"] = {**predict["properties"], "instances": {
            **predict["properties"]["instances"], "maxItems": max_batch_rows,
        }}
        schemas = {**SCHEMAS, "PredictRequest": predict}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Iris ONNX gateway",
            "version": "1.0.0",
            "description": "Every client error is a 4xx with a JSON body {\"error\": \"...\"} saying what is wrong.",
        },
        "paths": PATHS,
        "components": {"schemas": schemas},
    }
