"""Open Inference Protocol (v2) routes: server and model metadata, health, infer.

The model name and version come from the model card; a path naming another model
or version is a 404. Infer is a hot endpoint (answered by the front door)."""
from typing import Any, Final, Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from gateway import PRODUCT, VERSION
from gateway.api.per_model import PerModel, model_headers
from gateway.codecs.v2 import (
    BINARY_CONTENT, BINARY_EXTENSION, HEADER_LENGTH, TensorSpec, decode_infer, encode_infer, infer_example,
)
from gateway.core.context import RequestContext
from gateway.core.service import Service
from gateway.errors import UnknownModel, UnsupportedMediaType, shown
from gateway.http.asgi import header, is_json, media_type
from gateway.http.endpoint import HotEndpoint
from gateway.http.limits import BodyDeadlines
from gateway.http.responses import not_ready_body
from gateway.model.card import ModelCard
from gateway.model.contract import LABEL_NAME, PROBABILITIES_NAME
from gateway.model.inference import Model

PLATFORM: Final = "onnx_onnxv1"
MODEL: Final = "/v2/models/{model_name}"
VERSIONED: Final = "/v2/models/{model_name}/versions/{model_version}"


def resolve(service: Service, path_params: dict[str, Any]) -> Model:
    """The model a path names, or 404 saying which model and version are served."""
    model = service.model
    card = model.card
    name = path_params.get("model_name")
    if name != card.name:
        raise UnknownModel(f"unknown model {shown(name)}; this server serves {card.name!r}")
    wanted = path_params.get("model_version")
    if wanted is not None and wanted != card.version:
        raise UnknownModel(f"model {card.name!r} has no version {shown(wanted)}; it serves version {card.version!r}")
    return model


def tensors(card: ModelCard) -> tuple[dict[str, TensorSpec], dict[str, str], str]:
    """The model's inputs by name, in order, its outputs' datatypes, and the request
    a message shows, from the card."""
    inputs = {spec["name"]: TensorSpec(spec["name"], spec["datatype"], tuple(spec["shape"]))
              for spec in card.inputs}
    return inputs, {output["name"]: output["datatype"] for output in card.outputs}, infer_example(card)


def require_oip_content(content_type: bytes | None, binary: bool) -> None:
    media = media_type(content_type)
    if media is None or is_json(media) or (media == BINARY_CONTENT and binary):
        return  # no Content-Type: tritonclient sends none; the body's framing says what it is
    if media == BINARY_CONTENT:
        raise UnsupportedMediaType("an application/octet-stream body needs an Inference-Header-Content-Length header")
    shown = content_type.decode("latin-1")  # type: ignore[union-attr]
    raise UnsupportedMediaType(f"Content-Type must be application/json or application/octet-stream, got {shown}")


class InferEndpoint(HotEndpoint):
    """POST /v2/models/{name}[/versions/{version}]/infer"""

    def __init__(self, service: Service, deadlines: BodyDeadlines) -> None:
        super().__init__(service, deadlines)
        # Read from the card once per loaded model, not per request.
        self.tensors = PerModel(tensors)
        self.headers = PerModel(model_headers)

    def handle(self, scope: Scope, body: bytes, content_type: bytes | None,
               context: RequestContext) -> tuple[bytes, bytes, Iterable[tuple[bytes, bytes]]]:
        service = self.service
        model = resolve(service, scope["path_params"])
        header_length = header(scope, HEADER_LENGTH)
        require_oip_content(content_type, binary=header_length is not None)
        input_specs, output_types, example = self.tensors.of(model.card)
        request = decode_infer(body, header_length, input_specs, model.output_names, service.settings.max_batch_rows,
                               example)
        prediction = service.predict(model, request.rows, request.categories, context, request.gaps)
        if prediction.values is not None:
            arrays = {model.output_names[0]: prediction.values.reshape(-1, 1)}
        else:
            arrays = {LABEL_NAME: prediction.labels, PROBABILITIES_NAME: prediction.probabilities}
        content_type, payload, extra = encode_infer(
            model.card.name,
            model.card.version,
            request.id,
            [(output, output_types[output.name], arrays[output.name]) for output in request.outputs],
        )
        return content_type, payload, [*extra, *self.headers.of(model.card)]


def routes(service: Service, deadlines: BodyDeadlines) -> list[Route]:
    async def server_metadata(request: Request) -> Response:
        return JSONResponse({"name": PRODUCT, "version": VERSION, "extensions": [BINARY_EXTENSION]})

    async def server_live(request: Request) -> Response:
        return JSONResponse({"live": True})

    async def server_ready(request: Request) -> Response:
        if service.lifecycle.ready:
            return JSONResponse({"ready": True})
        phase = service.lifecycle.phase.value
        return Response(not_ready_body(phase, ready=False), 503, media_type="application/json")

    async def model_metadata(request: Request) -> Response:
        model = resolve(service, request.path_params)
        return JSONResponse({
            "name": model.card.name,
            "versions": [model.card.version],
            "platform": PLATFORM,
            "inputs": model.card.inputs,
            "outputs": model.card.outputs,
        })

    async def model_ready(request: Request) -> Response:
        model = resolve(service, request.path_params)
        if service.lifecycle.ready:
            return JSONResponse({"name": model.card.name, "ready": True})
        phase = service.lifecycle.phase.value
        return Response(not_ready_body(phase, name=model.card.name, ready=False), 503, media_type="application/json")

    infer = InferEndpoint(service, deadlines)
    return [
        Route(f"{MODEL}/infer", infer, methods=["POST"], name="v2_infer"),
        Route(f"{VERSIONED}/infer", infer, methods=["POST"], name="v2_infer_versioned"),
        Route("/v2", server_metadata, methods=["GET"], name="v2_server_metadata"),
        Route("/v2/health/live", server_live, methods=["GET"], name="v2_server_live"),
        Route("/v2/health/ready", server_ready, methods=["GET"], name="v2_server_ready"),
        Route(MODEL, model_metadata, methods=["GET"], name="v2_model_metadata"),
        Route(VERSIONED, model_metadata, methods=["GET"], name="v2_model_metadata_versioned"),
        Route(f"{MODEL}/ready", model_ready, methods=["GET"], name="v2_model_ready"),
        Route(f"{VERSIONED}/ready", model_ready, methods=["GET"], name="v2_model_ready_versioned"),
    ]
