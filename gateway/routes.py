"""The HTTP routes of both ports. /predict speaks ASGI directly (it is the hot
path); the rest are ordinary Starlette endpoints.

The public port (the load balancer's) serves predictions, health, the OpenAPI
document and /docs. The operator routes, /metrics and /model, exist only on the
admin port: no path a client can spell, percent-encoded or not, reaches them
through the public one (a path rule at the balancer matches the raw path, which
uvicorn decodes before routing)."""
from typing import Final, Iterable

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from gateway import docs, openapi
from gateway.asgi import JSON, header, is_json, media_type
from gateway.endpoint import HotEndpoint, PerModel, model_headers
from gateway.errors import UnsupportedMediaType
from gateway.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from gateway.predict_codec import decode_predict, encode_predict, encode_values
from gateway.responses import not_ready_body
from gateway.service import Service

PREDICT_PATH: Final = "/predict"
HEALTH_PATH: Final = "/health"
LIVE_PATH: Final = "/live"
METRICS_PATH: Final = "/metrics"
MODEL_PATH: Final = "/model"
OPENAPI_PATH: Final = "/openapi.json"


def require_json(scope: Scope) -> None:
    if not is_json(media_type(scope)):
        content_type = header(scope, b"content-type")
        shown = content_type.decode("latin-1") if content_type else "none"
        raise UnsupportedMediaType(f"Content-Type must be application/json, got {shown}")


class PredictEndpoint(HotEndpoint):
    """POST /predict: the original service's contract, plus batches."""

    def __init__(self, service: Service) -> None:
        super().__init__(service)
        self.headers = PerModel(model_headers)

    def handle(self, scope: Scope, body: bytes) -> tuple[bytes, bytes, Iterable[tuple[bytes, bytes]]]:
        service = self.service
        model = service.model
        # No body at all is a 400 whatever the Content-Type (the original answered
        # a bare POST /predict so); 415 is for a body of the wrong type.
        if body:
            require_json(scope)
        request = decode_predict(body, model.n_features, service.settings.max_batch_rows, model.layout)
        prediction = service.predict(model, request.rows, request.categories, scope, request.gaps)
        if prediction.values is not None:
            return JSON, encode_values(prediction.values, request.single), self.headers.of(model.card)
        payload = encode_predict(prediction.labels, prediction.probabilities, model.card.classes, request.single)
        return JSON, payload, self.headers.of(model.card)


def probes(service: Service) -> list[Route]:
    """Readiness and liveness: on both ports (the balancer checks the public one, the
    container's own health check the admin one)."""
    async def health(request: Request) -> Response:
        """Readiness, for the load balancer: 200 only while serving is wanted."""
        phase = service.lifecycle.phase.value
        if service.lifecycle.ready:
            return JSONResponse({"status": phase})
        return Response(not_ready_body(phase, status=phase), 503, media_type="application/json")

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    return [
        Route(HEALTH_PATH, health, methods=["GET"], name="health"),
        Route(LIVE_PATH, live, methods=["GET"], name="live"),
    ]


def admin_routes(service: Service) -> list[Route]:
    """The admin port's routes: for operators and scrapers inside the network."""
    async def metrics(request: Request) -> Response:
        return Response(service.metrics.exposition(), media_type=METRICS_CONTENT_TYPE)

    async def model_card(request: Request) -> Response:
        document = {**service.model.card.document, "release": service.settings.release}
        return Response(orjson.dumps(document), media_type="application/json")

    return [
        *probes(service),
        Route(METRICS_PATH, metrics, methods=["GET"], name="metrics"),
        Route(MODEL_PATH, model_card, methods=["GET"], name="model"),
    ]


def routes(service: Service, extra: Iterable[Route] = ()) -> list[Route]:
    """The public port's routes; `extra` (the v2 routes) join them, and the OpenAPI
    document describes exactly the list."""
    # Built from the loaded model's card (its shapes are in it), once per model, on
    # first request: by then `public` below is the whole list.
    documents = PerModel(
        lambda card: orjson.dumps(
            openapi.document(card, [route.path for route in public], service.settings.max_batch_rows)
        )
    )

    async def openapi_json(request: Request) -> Response:
        return Response(documents.of(service.model.card), media_type="application/json")

    page, assets = docs.load()

    async def docs_page(request: Request) -> Response:
        return Response(page.body, headers=docs.PAGE_HEADERS, media_type=page.media_type)

    async def docs_asset(request: Request) -> Response:
        asset = assets.get(request.path_params["name"])
        if asset is None:
            raise HTTPException(404)
        return Response(asset.body, headers=docs.ASSET_HEADERS, media_type=asset.media_type)

    # /predict first: the router tries routes in order.
    public = [
        Route(PREDICT_PATH, PredictEndpoint(service), methods=["POST"], name="predict"),
        *probes(service),
        Route(OPENAPI_PATH, openapi_json, methods=["GET"], name="openapi"),
    ]
    if service.settings.serve_docs:
        public += [
            Route(docs.DOCS_PATH, docs_page, methods=["GET"], name="docs"),
            Route(docs.DOCS_PATH + "/{name}", docs_asset, methods=["GET"], name="docs_asset"),
        ]
    public += extra
    return public
