"""The application factory: routes, lifespan, and the one place errors become responses."""
import asyncio
import logging
import os
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Lifespan

from gateway.api import v2
from gateway.api.probes import HEALTH_PATH, LIVE_PATH, admin_routes
from gateway.api.routes import routes
from gateway.core.lifecycle import install_drain_on_sigterm
from gateway.core.periodic import every
from gateway.core.service import Service
from gateway.errors import GatewayError
from gateway.http.front import Front
from gateway.http.limits import WATCHDOG_SECONDS, Admission, BodyDeadlines
from gateway.http.responses import error_body, error_response
from gateway.settings import Settings, from_env
from gateway.signals import access, metrics
from gateway.signals.access import AccessLog
from gateway.signals.emf import EmfTally
from gateway.signals.logs import ACCESS_LOGGER, EMF_LOGGER
from gateway.signals.metrics import Metrics
from gateway.signals.tracing import RequestTracer

logger = logging.getLogger("gateway.app")


async def error_handler(request: Request, exc: Exception) -> Response:
    """A GatewayError or any other exception, through the one mapping (gateway.http.responses);
    the traceback of a real fault is logged by the front door."""
    status, body = error_response(exc)
    return Response(body, status_code=status, media_type="application/json")


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, in the gateway's error shape."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no route for {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return Response(error_body(message), exc.status_code, exc.headers, media_type="application/json")


def starlette(route_list: list[Route], lifespan: Lifespan[Starlette] | None = None) -> Starlette:
    """A Starlette app with the gateway's error shape for every failure."""
    app = Starlette(
        routes=route_list,
        lifespan=lifespan,
        exception_handlers={GatewayError: error_handler, HTTPException: http_error, Exception: error_handler},
    )
    # /predict/ is not /predict: a redirect would turn a client's mistake into a second request.
    app.router.redirect_slashes = False
    return app


def emf_publisher(service: Service) -> Callable[[], None]:
    """Writes the CloudWatch EMF documents of everything since its last call (gateway.signals.emf)."""
    tally = service.metrics.emf = EmfTally(service.model.card, service.settings.emf_namespace,
                                           metrics.LATENCY_BUCKETS)
    emf_log = logging.getLogger(EMF_LOGGER)

    def publish() -> None:
        service.metrics.flush()
        for line in tally.documents():
            emf_log.info(line)

    return publish


def create_app(settings: Settings | None = None, shortcut: bool = True) -> Front:
    """Build the app; nothing is loaded until the lifespan starts. `shortcut=False`
    routes the prediction POSTs through Starlette too (the benchmark's comparison)."""
    settings = settings or Settings()
    service = Service(settings, Metrics())
    # How long a body may take to arrive, for the hot endpoints (gateway.http.limits).
    deadlines = BodyDeadlines(settings.body_timeout_seconds)
    if settings.workers > 1 and not service.metrics.multiprocess_mode:
        logger.warning(
            "GATEWAY_WORKERS=%d but this process was not started by `python -m gateway`:"
            " /metrics counts this worker only", settings.workers,
        )
    access_log = (
        AccessLog(logging.getLogger(ACCESS_LOGGER), json_lines=settings.log_format == "json")
        if settings.access_log
        else None
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.start()
        deadlines.loop = asyncio.get_running_loop()
        restore_signals = install_drain_on_sigterm(service.lifecycle, settings.drain_seconds)
        flushers = [
            asyncio.create_task(every(metrics.FLUSH_SECONDS, service.metrics.flush)),
            asyncio.create_task(every(WATCHDOG_SECONDS, lambda: deadlines.expire(time.perf_counter()))),
        ]
        if access_log is not None:
            flushers.append(asyncio.create_task(every(access.FLUSH_SECONDS, access_log.flush)))
        publish = emf_publisher(service) if settings.emf_seconds > 0 else None
        if publish is not None:
            flushers.append(asyncio.create_task(every(settings.emf_seconds, publish)))
        # Built here, in the process that serves (each worker its own exporting thread).
        if settings.trace_ratio > 0:
            front.tracer = RequestTracer(settings.trace_ratio, service.model.card, settings.release)
        logger.info(
            "ready: serving %s on %s:%d, operator routes on port %d",
            settings.model_path, settings.host, settings.port, settings.admin_port,
        )
        yield
        for flusher in flushers:
            flusher.cancel()
        await asyncio.gather(*flushers, return_exceptions=True)
        if publish is not None:
            publish()  # the last interval's figures
        if front.tracer is not None:
            front.tracer.shutdown()  # the spans still queued
            front.tracer = None
        if restore_signals is not None:
            restore_signals()

    route_list = routes(service, deadlines, v2.routes(service, deadlines))
    app = starlette(route_list, lifespan)
    app.state.service = service
    front = Front(
        app, route_list, service.metrics, access_log, settings.release,
        admin=starlette(admin_routes(service)),
        admin_port=settings.admin_port,
        admission=Admission(settings.max_concurrent_requests, exempt=frozenset({HEALTH_PATH, LIVE_PATH})),
        shortcut=shortcut,
    )
    return front


def create_app_from_environment() -> Front:
    """ASGI factory for `uvicorn --factory gateway.app:create_app_from_environment`."""
    return create_app(from_env(os.environ))
