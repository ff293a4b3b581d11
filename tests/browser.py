"""Headless Chromium from Debian (`make chromium`), driven by Playwright, for pages
served on 127.0.0.1. Every request the page makes is recorded; one to any other host
is refused before it leaves (and fails the test through `Browser.foreign`)."""
import json
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

    def assert_stayed_clean(self) -> None:
        """No request left 127.0.0.1, the page threw nothing and kept its own
        Content-Security-Policy. Every browser test ends with it."""
        assert self.foreign == [], f"requests left 127.0.0.1: {self.foreign}"
        assert self.errors == [], f"the page threw: {self.errors}"
        assert self.csp_violations() == [], "the page broke its own Content-Security-Policy"


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


# Generous bounds for a busy machine; each wait ends as soon as the page is there.
TIMEOUT_MS = 60_000


def execute(browser, url: str, tag: str, operation_id: str, example: str | None = None) -> tuple[dict, dict]:
    from playwright.sync_api import expect

    """Open /docs at the operation's deep link, pick an example, press Execute; the
    request body the page sent and the response it rendered, both as JSON."""
    page = browser.page
    page.goto(f"{url}/docs#/{tag}/{operation_id}")
    operation = page.locator(f"#operations-{tag}-{operation_id}")
    if example is not None:
        operation.locator(".examples-select select").select_option(label=example, timeout=TIMEOUT_MS)
    sent = json.loads(operation.locator(".body-param textarea").input_value(timeout=TIMEOUT_MS))
    # The button's own click handler runs, as a press would run it. Not `click()`: its
    # "stable" check counts animation frames, and a CI run once saw none arrive for the
    # whole 60 s while the button was there and enabled; visible and enabled are
    # checked here by polling, which needs no frame.
    button = operation.locator("button.execute")
    button.wait_for(state="visible", timeout=TIMEOUT_MS)
    expect(button).to_be_enabled(timeout=TIMEOUT_MS)
    button.dispatch_event("click", timeout=TIMEOUT_MS)
    rendered = operation.locator(".live-responses-table .response-col_description pre").first
    rendered.wait_for(timeout=TIMEOUT_MS)
    return sent, json.loads(rendered.inner_text())
