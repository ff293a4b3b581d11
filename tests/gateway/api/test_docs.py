"""/docs over HTTP: the page, its files, and the headers that keep it to this origin.
The page itself, in a browser, is tests/gateway/served/test_docs_browser.py."""
import re
from html.parser import HTMLParser

import pytest

from gateway.api import docs


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("src", "href"):
            if attributes.get(name):
                self.urls.append(attributes[name])
        if tag == "script" and "src" not in attributes:
            self.inline_scripts += 1


def test_page_is_html_with_a_strict_policy(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "connect-src"):
        assert policy[directive] == "'self'", directive
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_page_loads_only_files_the_gateway_serves(client):
    links = Links()
    links.feed(client.get("/docs").text)
    assert links.inline_scripts == 0
    served = [url for url in links.urls if not url.startswith("data:")]
    assert served, "the page loads no files"
    for url in served:
        assert url.startswith(docs.DOCS_PATH + "/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name, media_type", [
    ("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css"), ("docs.js", "text/javascript"),
    ("LICENSE", "text/plain"),
])
def test_files_have_their_media_type(client, name, media_type):
    response = client.get(f"/docs/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.content


def test_swagger_ui_is_version_5_which_renders_openapi_3_1(client):
    bundle = client.get("/docs/swagger-ui-bundle.js").text
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    # Swagger UI 4 cannot render 3.1 documents; the bundle names its own version.
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle)
    assert version, "the bundle names no version"
    assert int(version.group(1)) >= 5, version.group(0)


@pytest.mark.parametrize("path", ["/docs/nothing.js", "/docs/../models/iris.json", "/docs/%2e%2e%2fsettings.py"])
def test_unknown_files_are_a_404_in_the_error_shape(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "error" in response.json()


def test_a_missing_install_names_the_package(monkeypatch):
    monkeypatch.setattr(docs, "SWAGGER_PACKAGE", "no_such_package_for_docs")
    with pytest.raises(docs.DocsUnavailable, match="no_such_package_for_docs is not installed"):
        docs.load()


def test_a_trimmed_file_stops_start_up(monkeypatch, tmp_path):
    monkeypatch.setattr(docs, "swagger_dist", lambda: tmp_path)
    with pytest.raises(docs.DocsUnavailable, match="swagger-ui-bundle.js"):
        docs.load()
