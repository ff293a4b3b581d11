"""Readiness and liveness on both ports, and the operator routes of the admin port.

The operator routes, /metrics and /model, exist only on the admin port: no path a
client can spell, percent-encoded or not, reaches them through the public one (a
path rule at the balancer matches the raw path, which uvicorn decodes before
routing)."""
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.core.service import Service
from gateway.http.responses import not_ready_body
from gateway.signals.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE

HEALTH_PATH: Final = "/health"
LIVE_PATH: Final = "/live"
METRICS_PATH: Final = "/metrics"
MODEL_PATH: Final = "/model"


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
