"""One name for the product: pyproject.toml's project, gateway.PRODUCT and VERSION,
what GET /v2 reports, and the CloudWatch namespace a gateway outside infra/ writes to."""
import tomllib

from starlette.testclient import TestClient

import gateway
from gateway.app import create_app
from gateway.settings import Settings
from tests.support import REPO_ROOT


def test_the_project_is_named_and_versioned_as_the_gateway_says():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["version"]) == (gateway.PRODUCT, gateway.VERSION)


def test_v2_server_metadata_reports_the_product_and_its_version():
    settings = Settings(model_path=REPO_ROOT / "models" / "iris.onnx", card_path=REPO_ROOT / "models" / "iris.json")
    with TestClient(create_app(settings)) as client:
        answer = client.get("/v2")
    assert answer.status_code == 200
    assert (answer.json()["name"], answer.json()["version"]) == (gateway.PRODUCT, gateway.VERSION)


def test_the_default_metrics_namespace_is_the_products_name():
    # infra/service passes its own (var.project), which its alarms and dashboard read.
    assert Settings().emf_namespace == gateway.PRODUCT


def test_the_serving_page_names_the_product_as_v2_reports_it():
    assert f"server metadata (name `{gateway.PRODUCT}`" in (REPO_ROOT / "docs" / "serving.md").read_text()
