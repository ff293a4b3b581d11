"""/docs in a real browser (Debian's headless Chromium, driven by Playwright): the
page's own Execute button runs the documented examples against a real gateway, and
no request leaves 127.0.0.1."""
import os
import shutil
from pathlib import Path

import pytest

from tests.browser import execute

pytestmark = pytest.mark.browser

# `make screenshots` sets this to refresh docs/serving.md's picture.
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture(scope="module")
def gateway(repo_root, tmp_path_factory):
    from tests.support import running_gateway

    with running_gateway(repo_root, tmp_path_factory.mktemp("docs") / "gateway.log") as process:
        yield process


def test_predict_example_through_the_page(gateway, browser, tmp_path):
    sent, answer = execute(browser, gateway.url, "prediction", "predict")
    assert list(sent) == ["features"]
    assert answer["prediction"] == 0
    assert answer["class_name"] == "setosa"
    # What the page rendered is the gateway's own answer to what the page sent.
    rendered = browser.page.locator("#operations-prediction-predict .live-responses-table").inner_text()
    assert '"prediction": 0' in rendered
    # The picture: from the example to the rendered answer.
    shot = tmp_path / "docs.png"
    top = browser.page.locator("#operations-prediction-predict").bounding_box()
    bottom = browser.page.locator("#operations-prediction-predict .live-responses-table").bounding_box()
    scrolled = browser.page.evaluate("window.scrollY")  # boxes are in the viewport; the clip, in the page
    height = bottom["y"] + bottom["height"] - top["y"]
    clip = {"x": top["x"], "y": top["y"] + scrolled, "width": top["width"], "height": height}
    browser.page.screenshot(path=shot, clip=clip, full_page=True)
    if SCREENSHOT_DIR:
        shutil.copy(shot, Path(SCREENSHOT_DIR) / "docs.png")
    paths = {"/" + url.split("/", 3)[3].split("#")[0] for url in browser.requests}
    assert {"/docs", "/openapi.json", "/predict"} <= paths
    browser.assert_stayed_clean()


def test_predict_batch_example(gateway, browser):
    sent, answer = execute(
        browser, gateway.url, "prediction", "predict", example="a batch (instances): setosa, versicolor, virginica"
    )
    assert len(sent["instances"]) == 3
    assert answer["predictions"] == [0, 1, 2]
    assert answer["class_names"] == ["setosa", "versicolor", "virginica"]
    browser.assert_stayed_clean()


def test_v2_infer_example(gateway, browser):
    sent, answer = execute(browser, gateway.url, "v2", "v2_infer", example="a batch: setosa, versicolor, virginica")
    assert sent["inputs"][0]["shape"] == [3, 4]
    outputs = {output["name"]: output for output in answer["outputs"]}
    assert outputs["label"]["data"] == [0, 1, 2]
    assert answer["model_name"] == "iris"
    browser.assert_stayed_clean()
