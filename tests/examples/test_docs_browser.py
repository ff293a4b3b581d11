"""/docs for the mixed example in a real browser: the page's Execute button sends the
card's example rows (numbers and category strings, by position and by name) to /predict
and v2 infer, and renders the gateway's answers."""
import json

import pytest

from tests.browser import execute
from tests.support import running_gateway

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def churn(repo_root, built_examples, tmp_path_factory):
    folder = built_examples["churn"]
    card = json.loads((folder / "churn.json").read_text())
    with running_gateway(repo_root, tmp_path_factory.mktemp("docs") / "gateway.log",
                         model_path=str(folder / "churn.onnx"), card_path=str(folder / "churn.json")) as gateway:
        yield card, gateway


def test_the_mixed_examples_rows_are_executed_from_the_page(churn, browser):
    card, gateway = churn
    first = card["examples"][0]
    sent, answer = execute(browser, gateway.url, "prediction", "predict")
    assert sent == {"features": first["features"]}
    assert answer["prediction"] == first["prediction"] and answer["class_name"] == first["class"]
    sent, answer = execute(browser, gateway.url, "prediction", "predict",
                           example=f"one row by feature name: a typical {first['class']}")
    assert sent == {"features": dict(zip(card["features"], first["features"]))}
    assert answer["prediction"] == first["prediction"]
    browser.assert_stayed_clean()


def test_the_mixed_examples_v2_infer_with_bytes_tensors_from_the_page(churn, browser):
    card, gateway = churn
    sent, answer = execute(browser, gateway.url, "v2", "v2_infer")
    assert [tensor["datatype"] for tensor in sent["inputs"]] == [t["datatype"] for t in card["tensors"]["inputs"]]
    (label,) = [output for output in answer["outputs"] if output["name"] == "label"]
    assert label["data"] == [card["examples"][0]["prediction"]]
    browser.assert_stayed_clean()
