"""The operator routes live on the admin port only. The public port, the only one the
load balancer forwards to, has no route for them, so no spelling of their paths
(percent-encoded, doubled slashes, dot segments, another case, a trailing slash)
reaches them: uvicorn decodes a path before routing, which is why a path rule at
the balancer cannot hide a route."""
import httpx
import orjson
import pytest

from tests.support import ONE_ROW, running_gateway
from tests.rawhttp import exchange

OPERATOR_PATHS = ("/metrics", "/model")
SPELLINGS = (
    "/metrics", "/%6Detrics", "/%6detrics", "/%2Fmetrics", "/%2fmetrics", "//metrics", "/metrics/", "/METRICS",
    "/Metrics", "/./metrics", "/x/../metrics", "/%2E/metrics", "/metrics%00", "/metrics?x=1", "/metrics;x",
    "/model", "/%6Dodel", "/%6d%6f%64%65%6c", "/MODEL", "/model/", "/%2Fmodel", "/./model",
)
DOCS_SPELLINGS = ("/docs", "/%64ocs", "/DOCS", "/docs/", "/docs/swagger-ui.css", "/%64ocs/swagger-ui.css")


@pytest.fixture(scope="module")
def gateway(repo_root, tmp_path_factory):
    log = tmp_path_factory.mktemp("ports") / "gateway.log"
    with running_gateway(repo_root, log, serve_docs="false") as gateway:
        yield gateway


def raw_get(port: int, path: str) -> tuple[int, bytes]:
    """GET with the path exactly as given: no client library normalises it first."""
    answer = exchange(port, f"GET {path} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n".encode(), wait=10)
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize("path", SPELLINGS + DOCS_SPELLINGS)
def test_no_spelling_reaches_an_operator_route_or_hidden_docs_on_the_public_port(gateway, path):
    status, body = raw_get(gateway.port, path)
    answer = orjson.loads(body)
    assert status == 404, (status, body[:200])
    assert list(answer) == ["error"] and answer["error"].startswith("no route for GET ")


def test_the_admin_port_serves_the_operator_routes(gateway):
    for path in OPERATOR_PATHS:
        assert raw_get(gateway.admin_port, path)[0] == 200, path
    assert b"gateway_requests_total" in raw_get(gateway.admin_port, "/metrics")[1]
    assert orjson.loads(raw_get(gateway.admin_port, "/model")[1])["release"] == "dev"


def test_the_admin_port_serves_no_predictions_and_no_documents(gateway):
    reply = httpx.post(gateway.admin_url + "/predict", json=ONE_ROW, timeout=10)
    assert reply.status_code == 404 and "error" in reply.json()
    assert httpx.get(gateway.admin_url + "/openapi.json", timeout=10).status_code == 404


def test_the_public_document_names_only_public_routes(gateway):
    paths = httpx.get(gateway.url + "/openapi.json", timeout=10).json()["paths"]
    assert "/predict" in paths and "/health" in paths
    assert not {"/metrics", "/model", "/docs", "/docs/{name}"} & set(paths)


def test_probes_answer_on_both_ports(gateway):
    for base in (gateway.url, gateway.admin_url):
        assert httpx.get(base + "/health", timeout=10).status_code == 200
        assert httpx.get(base + "/live", timeout=10).status_code == 200
