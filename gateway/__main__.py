"""`python -m gateway`: settings from the environment, then uvicorn."""
import logging
import os
import shutil
import socket
import sys
from typing import Callable, Final, Mapping

import uvicorn
from starlette.types import ASGIApp
from uvicorn.supervisors import Multiprocess

from gateway.app import create_app
from gateway.core.lifecycle import exit_0_after_a_drained_shutdown
from gateway.settings import Settings, SettingsError, describe, from_env
from gateway.signals import logs, tracing

EXIT_OK: Final = 0
EXIT_BAD_SETTINGS: Final = 2
EXIT_START_FAILED: Final = 3
FACTORY: Final = "gateway.app:create_app_from_environment"

logger = logging.getLogger("gateway")


AppFactory = Callable[[Settings], ASGIApp]


def uvicorn_config(settings: Settings, app_factory: AppFactory = create_app) -> uvicorn.Config:
    # Several workers need an import string (each worker builds its own app);
    # one worker gets the app object itself.
    return uvicorn.Config(
        FACTORY if settings.workers > 1 else app_factory(settings),
        factory=settings.workers > 1,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=logs.logging_config(settings),
        access_log=False,
        server_header=False,
        # Nothing here reads the client address, so uvicorn's X-Forwarded-For
        # rewriting would be work for nothing on every request.
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_seconds,
        # An ALB keeps idle connections for 60 s; the server must keep them longer,
        # or it closes one just as the balancer sends a request on it (a 502).
        timeout_keep_alive=65,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket as uvicorn binds its own (Config.bind_socket), for either port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)  # workers are spawned with it
    return sock


def prepare_multiprocess_metrics(settings: Settings) -> None:
    directory = settings.temp_dir / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    # prometheus-client reads this in every worker at import; workers inherit it.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def main(argv: list[str] | None = None) -> int:
    if {"-h", "--help"} & set(sys.argv[1:] if argv is None else argv):
        print(f"python -m gateway: serve the ONNX model; configured by environment variables only\n\n{describe()}")
        return EXIT_OK
    return run(os.environ)


def run(environ: Mapping[str, str], app_factory: AppFactory = create_app) -> int:
    """Serve the app `app_factory` builds from the settings `environ` gives (one
    worker; several always build the gateway's own app from FACTORY)."""
    try:
        settings = from_env(environ)
    except SettingsError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if settings.trace_ratio > 0 and not tracing.available():
        print(f"gateway: {tracing.INSTALL_HINT}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    logs.configure(settings)
    if settings.workers > 1:
        prepare_multiprocess_metrics(settings)
    config = uvicorn_config(settings, app_factory)
    exit_0_after_a_drained_shutdown()
    try:
        # Both ports are one server's: the front door tells them apart by the port
        # a connection arrived on (gateway.http.front).
        sockets = [bind(settings.host, settings.port), bind(settings.host, settings.admin_port)]
    except OSError as error:
        logger.error("cannot listen on %s ports %d and %d: %s", settings.host, settings.port, settings.admin_port,
                     error)
        return EXIT_START_FAILED
    if settings.workers > 1:
        supervisor = Multiprocess(config, sockets=sockets)
        supervisor.run()
        return EXIT_OK
    server = uvicorn.Server(config)
    server.run(sockets=sockets)
    return EXIT_OK if server.started else EXIT_START_FAILED


if __name__ == "__main__":
    sys.exit(main())
