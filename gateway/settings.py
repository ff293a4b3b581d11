"""The gateway's only configuration: one frozen object built from an environment mapping.

Nothing else in the gateway reads os.environ; `from_env(os.environ)` is called once,
at the edge (`python -m gateway` or the ASGI factory).
"""
import math
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Final, Literal, Mapping, get_args

PREFIX: Final = "GATEWAY_"

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["plain", "json"]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    model_path: Path = field(default=Path("models/iris.onnx"), metadata={"help": "the ONNX model to serve"})
    card_path: Path = field(default=Path("models/iris.json"), metadata={"help": "the model card beside it"})
    host: str = field(default="127.0.0.1", metadata={"help": "address to bind (0.0.0.0 in the image)"})
    port: int = field(default=8080, metadata={"help": "port of the public routes", "min": 1, "max": 65535})
    admin_port: int = field(
        default=8082,
        metadata={
            "help": "port of the operator routes (/metrics, /model, /health, /live): never the load balancer's",
            "min": 1,
            "max": 65535,
        },
    )
    workers: int = field(
        default=1, metadata={"help": "uvicorn worker processes; in the cloud scale by tasks", "min": 1, "max": 64}
    )
    intra_op_threads: int = field(
        default=1, metadata={"help": "onnxruntime threads per inference", "min": 1, "max": 64}
    )
    max_body_bytes: int = field(
        default=1_048_576, metadata={"help": "largest request body accepted (413 beyond)", "min": 64}
    )
    max_batch_rows: int = field(default=10_000, metadata={"help": "most rows in one request", "min": 1})
    # 256 bodies of at most max_body_bytes (1 MiB) is 256 MiB buffered at worst: a
    # quarter of the default task's memory. Requests answered without waiting never
    # count for long; those a slow client holds (a trickled body, an unread answer) do.
    max_concurrent_requests: int = field(
        default=256,
        metadata={"help": "requests in progress at once on the public port (503 beyond; /health and /live exempt)",
                  "min": 1},
    )
    body_timeout_seconds: float = field(
        default=10.0, metadata={"help": "most seconds to receive a request body (408 beyond)", "min": 0.1}
    )
    serve_docs: bool = field(default=True, metadata={"help": "serve Swagger UI at /docs"})
    drain_seconds: float = field(
        default=5.0,
        metadata={"help": "after SIGTERM: seconds /health answers 503 while requests are still served", "min": 0},
    )
    shutdown_seconds: float = field(
        default=10.0, metadata={"help": "after draining: most seconds to finish requests in flight", "min": 0}
    )
    log_level: LogLevel = field(default="info", metadata={"help": "log level"})
    log_format: LogFormat = field(default="plain", metadata={"help": "plain text or one JSON object per line"})
    access_log: bool = field(default=True, metadata={"help": "one log line per request"})
    emf_seconds: float = field(
        default=0.0,
        metadata={"help": "seconds between CloudWatch Embedded Metric Format documents in the log (0: none)",
                  "min": 0, "max": 3600},
    )
    emf_namespace: str = field(
        default="proven-onnx",
        metadata={"help": "the CloudWatch namespace of those metrics (infra/service sets its project's name)",
                  "pattern": r"[A-Za-z0-9._/#:-]{1,255}"},
    )
    payload_sample: float = field(
        default=0.0,
        metadata={"help": "share of prediction requests logged with their rows and answers (0: none)",
                  "min": 0, "max": 1},
    )
    payload_max_per_second: int = field(
        default=10, metadata={"help": "most payload lines written in a second, whatever the traffic",
                              "min": 1, "max": 1000},
    )
    trace_ratio: float = field(
        default=0.0,
        metadata={"help": "share of requests traced with OpenTelemetry, exported by OTLP/HTTP to"
                          " OTEL_EXPORTER_OTLP_ENDPOINT (0: off; needs tracing.lock)", "min": 0, "max": 1},
    )
    release: str = field(
        default="dev",
        metadata={
            "help": "the release this process serves (the image's commit SHA), sent as X-Release on every response",
            "pattern": r"[A-Za-z0-9._:+-]{1,128}",
        },
    )
    temp_dir: Path = field(
        default=Path("/tmp/gateway"),
        metadata={"help": "writable folder (prometheus multiprocess files when workers > 1)"},
    )

    def __post_init__(self) -> None:
        if self.admin_port == self.port:
            raise SettingsError(
                f"{PREFIX}ADMIN_PORT={self.admin_port} is invalid: it must differ from {PREFIX}PORT,"
                " or the operator routes would be public"
            )


def env_name(setting: str) -> str:
    """The variable that sets a field: env_name("max_body_bytes") is GATEWAY_MAX_BODY_BYTES."""
    return PREFIX + setting.upper()


def describe() -> str:
    """Every variable with its default and meaning: `python -m gateway --help`."""
    return "\n".join(
        f"  {env_name(spec.name):<26} {spec.metadata['help']} (default {spec.default})"
        for spec in fields(Settings)
    )


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _parser(annotation: Any) -> Callable[[str], Any]:
    if annotation is bool:
        return _parse_bool
    choices = get_args(annotation)
    if choices:
        def choice(text: str) -> str:
            if text.lower() not in choices:
                raise ValueError(f"expected one of {', '.join(choices)}")
            return text.lower()
        return choice
    return annotation


def from_env(environ: Mapping[str, str]) -> Settings:
    """Build settings from GATEWAY_* variables; unknown GATEWAY_* names are errors too."""
    known = {env_name(f.name): f for f in fields(Settings)}
    unknown = sorted(name for name in environ if name.startswith(PREFIX) and name not in known)
    if unknown:
        raise SettingsError(f"unknown setting {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in environ:
            continue
        raw = environ[name]
        try:
            value = _parser(spec.type)(raw)
        except ValueError as error:
            raise SettingsError(f"{name}={raw!r} is invalid: {error}") from None
        pattern = spec.metadata.get("pattern")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise SettingsError(f"{name}={raw!r} is invalid: expected letters, digits and ._:+- (at most 128)")
        # float() takes "nan" and "inf"; a drain of nan seconds never ends.
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingsError(f"{name}={raw!r} is invalid: must be a finite number")
        low, high = spec.metadata.get("min"), spec.metadata.get("max")
        if low is not None and value < low:
            raise SettingsError(f"{name}={raw!r} is invalid: must be at least {low}")
        if high is not None and value > high:
            raise SettingsError(f"{name}={raw!r} is invalid: must be at most {high}")
        values[spec.name] = value
    return Settings(**values)
