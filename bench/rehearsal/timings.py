"""The deploy timings, read from infra/service/variables.tf (never retyped), scaled."""
from dataclasses import dataclass, fields, replace
from pathlib import Path

import hcl2
from hcl2 import SerializationOptions

VARIABLES = Path(__file__).resolve().parents[2] / "infra" / "service" / "variables.tf"


@dataclass(frozen=True)
class Timings:
    health_check_path: str
    health_check_interval: float
    health_check_timeout: float
    healthy_threshold: int
    unhealthy_threshold: int
    deregistration_delay: float
    drain_seconds: float
    shutdown_seconds: float
    stop_timeout: float

    def scaled(self, factor: float) -> "Timings":
        """Every duration times `factor`: faster, in the same order. Counts stay."""
        durations = ("health_check_interval", "health_check_timeout", "deregistration_delay", "drain_seconds",
                     "shutdown_seconds", "stop_timeout")
        return replace(self, **{name: getattr(self, name) * factor for name in durations})

    def as_dict(self) -> dict[str, float | int | str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def terraform_defaults(path: Path = VARIABLES) -> Timings:
    document = hcl2.loads(path.read_text(), serialization_options=SerializationOptions(
        strip_string_quotes=True, explicit_blocks=False,
    ))
    values = {name: body["default"] for block in document["variable"] for name, body in block.items()
              if "default" in body}
    return Timings(**{f.name: values[f.name] for f in fields(Timings)})
