"""Browser tests: the web UI as a person uses it, in Debian's Chromium driven by Playwright.

``monkeyhouse serve`` runs as a real subprocess on 127.0.0.1 (a free port), the page is the
bundled front end, and Chromium runs headless with no network but loopback. Every test keeps
screenshots in ``test-artifacts/screenshots/`` (a test's own named ones, and one at its end).
A missing Chromium is a failure that says what to install, never a skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from browser.pages import FLAGS, Served, chromium_path, shot


# Module scope, not session: Playwright's sync API holds an event loop on its thread while it
# runs, and other tests on the same pytest-xdist worker use asyncio.run.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=FLAGS
    )
    yield launched
    launched.close()


@pytest.fixture
def page(
    browser: Browser, request: pytest.FixtureRequest, serve: Callable[..., Served]
) -> Iterator[Page]:
    """A fresh page (1400×900); its uncaught errors fail the test; a screenshot at the end.

    It asks for ``serve`` so that servers stop after the page closes (a page whose server
    vanished rightly reports it).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    opened.on("console", console)
    yield opened
    try:
        shot(opened, f"{request.node.name}-end")
    finally:
        context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start ``monkeyhouse serve ARGS...`` on a free port of 127.0.0.1; stopped at the end."""
    started: list[Served] = []

    def start(*args: str) -> Served:
        served = Served(list(args))
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
