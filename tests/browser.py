"""Headless Chromium from Debian (`make chromium`), driven by Playwright, for pages
served on 127.0.0.1. Every request the page makes is recorded; one to any other host
is refused before it leaves (and fails the test through `Browser.foreign`)."""
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

import pytest

# A command or a path (make exports CHROMIUM; GitHub's runners name their Chrome).
CHROMIUM = os.environ.get("CHROMIUM", "chromium")
# As the machine notes say: without the background-networking flags Chromium calls
# Google's hosts at start; --no-sandbox because CI runs as root.
FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
)
LOCAL_HOSTS = {"127.0.0.1"}
# Schemes that are not network requests.
INTERNAL_SCHEMES = {"data", "blob", "about"}

# Recorded in the page before any of its scripts run.
_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@dataclass
class Browser:
    page: object
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations || []")


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in INTERNAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@contextmanager
def chromium(viewport: tuple[int, int] = (1280, 900)) -> Iterator[Browser]:
    executable = shutil.which(CHROMIUM)
    if executable is None:
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(FLAGS))
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            page = context.new_page()
            recorded = Browser(page)

            def record(request) -> None:
                recorded.requests.append(request.url)
                if not _local(request.url):
                    recorded.foreign.append(request.url)

            def route(route) -> None:
                if _local(route.request.url):
                    route.continue_()
                else:
                    route.abort("blockedbyclient")

            context.on("request", record)
            context.route("**/*", route)
            page.on("pageerror", lambda error: recorded.errors.append(str(error)))
            page.add_init_script(_RECORD_CSP_VIOLATIONS)
            yield recorded
        finally:
            browser.close()
