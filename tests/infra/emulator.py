"""moto, a local AWS emulator, on 127.0.0.1, recording the API calls it answers, and
what the Terraform roots need to be applied to it.

The call log is what a rehearsal asks of AWS: each call as the IAM action it needs
(`ecs:CreateService`), read from the request the way AWS reads it (the signing
service in the Authorization header; the action from X-Amz-Target, the form's
Action, or the path of the RPC v2 protocol)."""
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

REGION = "us-east-1"
REPO = Path(__file__).resolve().parents[2]
ENDPOINT_SERVICES = (
    "appautoscaling", "cloudwatch", "ec2", "ecr", "ecs", "elbv2", "iam", "kms", "logs", "route53", "s3", "sns",
    "sts", "wafv2",
)
# Signing names whose IAM prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch"}
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_RPC_V2_PATH = re.compile(r"/service/[^/]+/operation/([A-Za-z0-9]+)")

# What the bootstrap root is applied with (tests/infra/conftest.py).
GITHUB_REPOSITORY = "example-org/proven-onnx"
ZONE_ID = "Z0123456789ABCDEFGHIJ"
DOMAIN = "predict.example.com"

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
# Marks the test's own look at the emulator, which is nobody's role and is not recorded.
INSPECTION = "rehearsal-inspection"


def action_of(environ: dict[str, Any]) -> str | None:
    """The IAM action a request to AWS needs, or None when it names none (the
    emulator's own API, or a REST-style service this rehearsal does not call)."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        return None
    prefix = IAM_PREFIX.get(scope.group(1), scope.group(1))
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return f"{prefix}:{target.rsplit('.', 1)[-1]}"
    rpc = _RPC_V2_PATH.search(environ.get("PATH_INFO", ""))
    if rpc:
        return f"{prefix}:{rpc.group(1)}"
    form = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        form.update(parse_qs(body.decode()))
    names = form.get("Action")
    return f"{prefix}:{names[0]}" if names else None


class Emulator:
    """moto's server, as `moto_server` runs it, behind a recorder of the actions called."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.calls: list[str] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", port, self._recording(DomainDispatcherApplication(create_backend_app)),
                                   threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _recording(self, app: WSGIApp) -> WSGIApp:
        def recorded(environ: dict, start_response: Callable) -> Iterable[bytes]:
            action = action_of(environ)
            if action is not None and INSPECTION not in environ.get("HTTP_USER_AGENT", ""):
                with self._lock:
                    self.calls.append(action)
            return app(environ, start_response)

        return recorded

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()

    def client(self, service: str):
        """A client for the test's own look at what exists; its calls are not recorded."""
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, aws_access_key_id="rehearsal",
                            aws_secret_access_key="rehearsal", config=Config(user_agent_extra=INSPECTION))


def rehearsal_copy(source: Path, target: Path, endpoint: str) -> Path:
    """The root as is, plus an override file: local state and the emulator's endpoints."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".terraform*", "tests", "*.tfstate*"))
    endpoints = "\n".join(f'    {name} = "{endpoint}"' for name in ENDPOINT_SERVICES)
    (target / "rehearsal_override.tf").write_text(f"""
terraform {{
  backend "local" {{}}
}}

provider "aws" {{
  access_key                  = "rehearsal"
  secret_key                  = "rehearsal"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}
""")
    return target


def aws_state(emulator: Emulator, *args: str, check: bool = True) -> str | subprocess.CompletedProcess:
    """.ci/aws_state.py, as the pipeline runs it, pointed at the emulator: its output,
    or (check=False) the finished process."""
    env = {**os.environ, "AWS_ENDPOINT_URL": emulator.url, "AWS_ACCESS_KEY_ID": "rehearsal",
           "AWS_SECRET_ACCESS_KEY": "rehearsal", "AWS_DEFAULT_REGION": REGION}
    done = subprocess.run([sys.executable, str(REPO / ".ci" / "aws_state.py"), *args], env=env, capture_output=True,
                          text=True, check=check)
    return done.stdout.strip() if check else done
