"""The OpenAPI 3.1 document for every route, with request, response and error schemas."""
from typing import Any, Final

N_FEATURES: Final = 4
N_CLASSES: Final = 3

_ROW = {
    "type": "array", "items": {"type": "number"}, "minItems": N_FEATURES, "maxItems": N_FEATURES,
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

SCHEMAS: Final[dict[str, Any]] = {
    "Error": {
        "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}},
        "example": {"error": '"features" must hold 4 numbers, got 3'},
    },
    "PredictRequest": {
        "type": "object",
        "description": 'Exactly one of "features" (one row) or "instances" (many rows); other keys are ignored.',
        "properties": {"features": _ROW, "instances": {"type": "array", "items": _ROW, "minItems": 1}},
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
    "ModelCard": {"type": "object", "description": "models/iris.json as written by the export stage"},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


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


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Iris ONNX gateway",
            "version": "1.0.0",
            "description": "Every client error is a 4xx with a JSON body {\"error\": \"...\"} saying what is wrong.",
        },
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
