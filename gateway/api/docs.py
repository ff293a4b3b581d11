"""/docs: Swagger UI on the gateway's own OpenAPI document.

The UI is swagger-ui-dist as drf-spectacular-sidecar ships it (serve lock); the page
and its start-up script are ours (gateway/api/static). Every file is read once at start,
so a missing asset stops the process (and the image build), not a browser later.
Nothing leaves the page: the Content-Security-Policy it is sent allows this origin only.
"""
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Mapping

DOCS_PATH: Final = "/docs"
SWAGGER_PACKAGE: Final = "drf_spectacular_sidecar"
SWAGGER_DIST: Final = Path("static", SWAGGER_PACKAGE, "swagger-ui-dist")
# What the page loads from swagger-ui-dist, plus its licence; the image keeps only these.
SWAGGER_FILES: Final = ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE")
OWN_DIR: Final = Path(__file__).parent / "static"
OWN_FILES: Final = ("docs.js",)
PAGE: Final = "docs.html"

MEDIA_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    "": "text/plain; charset=utf-8",
}
# Swagger UI needs scripts, styles and fetch() from this origin, and data: images
# (its icons). No inline script or style, no other origin, no framing.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_COMMON_HEADERS: Final = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache", **_COMMON_HEADERS,
}
# The files change only with the image; an hour spares reloads without pinning a stale UI for long.
ASSET_HEADERS: Final = {"Cache-Control": "public, max-age=3600", **_COMMON_HEADERS}


class DocsUnavailable(RuntimeError):
    """The Swagger UI files are not installed (or were trimmed away)."""


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str


def swagger_dist() -> Path:
    # find_spec finds the package without running its __init__, which imports
    # Django (for its Django app); only its files are used here.
    spec = importlib.util.find_spec(SWAGGER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DocsUnavailable(f"{SWAGGER_PACKAGE} is not installed: /docs has no Swagger UI (see serve.lock)")
    return Path(list(spec.submodule_search_locations)[0]) / SWAGGER_DIST


def _read(path: Path) -> Asset:
    try:
        body = path.read_bytes()
    except OSError as error:
        raise DocsUnavailable(f"cannot read {path}: {error.strerror}") from None
    return Asset(body, MEDIA_TYPES.get(path.suffix, MEDIA_TYPES[""]))


def load() -> tuple[Asset, Mapping[str, Asset]]:
    """The page, and the files it loads by name (served under /docs/)."""
    dist = swagger_dist()
    assets = {name: _read(dist / name) for name in SWAGGER_FILES}
    assets.update({name: _read(OWN_DIR / name) for name in OWN_FILES})
    return _read(OWN_DIR / PAGE), assets
