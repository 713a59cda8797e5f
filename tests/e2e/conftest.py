"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("PEYVAND_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told the test knows what it is doing.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    settings.AXES_ENABLED = False
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


# One daphne per test process (xdist worker): twisted's reactor runs once per process, so
# every test that needs WebSockets shares this one server.
ASGI_PORT = int(os.environ.get("PEYVAND_E2E_ASGI_PORT", "8150")) + int(
    os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0
)


def _wait_until_serving(url: str, timeout: float = 60.0) -> None:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10):  # noqa: S310 (our own server)
                return
        except urllib.error.HTTPError:
            return  # it answers (the database is not the test's yet: pytest-django blocks it)
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"nothing answers at {url}")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def asgi_server_url() -> Iterator[str]:
    """The whole ASGI application (HTTP and WebSockets) served by daphne in a thread of
    this process, so it shares the test database (SQLite's in-memory one included) and the
    in-memory channel layer with the test. pytest-django's live server speaks WSGI only."""
    import threading

    from daphne.server import Server

    from peyvand.config.asgi import application

    ready = threading.Event()
    server = Server(
        application,
        endpoints=[f"tcp:port={ASGI_PORT}:interface=127.0.0.1"],
        signal_handlers=False,
        ready_callable=ready.set,
        verbosity=0,
    )
    thread = threading.Thread(target=server.run, name="daphne", daemon=True)
    thread.start()
    if not ready.wait(30):
        pytest.fail(f"daphne did not start on port {ASGI_PORT}")
    _wait_until_serving(f"http://127.0.0.1:{ASGI_PORT}/healthz")
    yield f"http://127.0.0.1:{ASGI_PORT}"
    from twisted.internet import reactor

    reactor.callFromThread(reactor.stop)  # type: ignore[attr-defined]
    thread.join(10)


@pytest.fixture
def asgi_context(browser: Any, asgi_server_url: str, transactional_db: Any, settings: Any) -> Any:
    """`asgi_context()` opens a fresh browser context (its own cookies) on the daphne server."""
    settings.AXES_ENABLED = False
    contexts: list[Any] = []

    def make(locale: str = "en-US") -> Any:
        context = browser.new_context(
            base_url=asgi_server_url, locale=locale, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    yield make
    for context in contexts:
        context.close()
