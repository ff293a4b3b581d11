"""`make netron`: the committed model in Netron, offline, in Debian's headless Chromium."""
import os
import shutil
import sys
from pathlib import Path

import httpx
import onnx
import pytest

from export import netron_viewer
from tests.browser import chromium
from tests.support import free_port, running_make
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def netron(tmp_path):
    """`make netron` on a free port, as a developer runs it; its URL, once it prints it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with running_make(["netron", f"NETRON_PORT={port}"], tmp_path / "netron.log") as make:
        def printed_url() -> bool:
            make.raise_if_exited()
            return url in make.output()

        wait_until(printed_url, 120, "make netron to print its URL")
        yield url


def test_every_response_keeps_the_page_offline(netron):
    response = httpx.get(netron, timeout=10)
    assert response.status_code == 200
    # What the browser is told, read from the response: no source names a host, so the
    # page can load nothing from anywhere but 127.0.0.1.
    policy = response.headers["content-security-policy"]
    directives = {words[0]: words[1:] for words in (part.split() for part in policy.split(";"))}
    assert set(directives["default-src"]) <= {"'self'", "'unsafe-inline'", "data:", "blob:"}, directives
    assert not {"script-src", "connect-src", "img-src", "style-src", "font-src"} & set(directives), directives
    assert directives["base-uri"] == directives["form-action"] == ["'none'"]
    # Netron asks ipinfo.io for a cookie notice unless it has this cookie.
    assert response.cookies.get("consent")


def test_the_graph_renders_offline(netron, repo_root, tmp_path):
    model = onnx.load(repo_root / "models" / "iris.onnx")
    expected = {node.op_type for node in model.graph.node}
    expected |= {tensor.name for tensor in [*model.graph.input, *model.graph.output]}

    with chromium(viewport=(720, 560)) as browser:
        browser.page.goto(netron)
        canvas = browser.page.locator("#canvas")
        try:
            canvas.locator("text", has_text="probabilities").first.wait_for(timeout=TIMEOUT_MS)
        except Exception:
            # Netron shows a message instead of the graph when something is wrong
            # (a release older than 180 days asks to be updated, for one).
            page_text = " ".join(browser.page.locator("body").text_content().split())
            pytest.fail(f"no graph; the page says: {page_text!r}")
        shown = canvas.text_content()
        shot = tmp_path / "netron.png"
        browser.page.screenshot(path=shot)
        if SCREENSHOT_DIR:
            shutil.copy(shot, Path(SCREENSHOT_DIR) / "netron.png")
        assert browser.foreign == [], f"requests left 127.0.0.1: {browser.foreign}"
        assert browser.errors == []
    missing = sorted(name for name in expected if name not in shown)
    assert not missing, f"not in the rendered graph: {missing}"


def test_a_missing_model_is_named(tmp_path, capsys):
    assert netron_viewer.main([str(tmp_path / "none.onnx")]) == netron_viewer.EXIT_MISSING_INPUT
    assert "none.onnx" in capsys.readouterr().err


def test_the_private_handler_is_still_there():
    """The one private API of netron used (export/netron_viewer.py): fails naming the version."""
    handler = netron_viewer._request_handler()
    assert callable(handler.end_headers)
    assert sys.modules["netron"].__version__
