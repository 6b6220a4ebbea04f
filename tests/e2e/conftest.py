"""A real server (`streamlit run` on 127.0.0.1, its own SQLite file with demo data) and Debian's
Chromium driven by Playwright. The server and the browser are stopped by the fixtures."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = PROJECT_ROOT / "test-artifacts" / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError("Chromium is required (REQUIRE_BROWSER=1) but /usr/bin/chromium "
                                "is missing")
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason="Chromium not installed"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(served: tuple[str, str]) -> str:
    """The base URL of this module's server."""
    return served[0]


@pytest.fixture
def server_core(served: tuple[str, str]) -> Iterator[str]:
    """Core opened on the server's own database, to prepare data and check what was saved."""
    from core.database import dispose_engines, set_default_url

    set_default_url(served[1])
    yield served[1]
    set_default_url(None)
    dispose_engines()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of a real server with its own SQLite file of demo data."""
    folder = tmp_path_factory.mktemp("e2e")
    database = f"sqlite:///{folder / 'e2e.sqlite3'}"
    env = dict(os.environ, DATABASE_URL=database,
               AUTH_COOKIE_KEY="e2e-test-cookie-key-" + "x" * 20, DEMO_MODE="1")
    subprocess.run([sys.executable, "-m", "core", "ensure-demo", "--licences", "30"], env=env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True)
    port = _free_port()
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true",
         "--server.fileWatcherType", "none"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("streamlit did not start")
        yield f"http://127.0.0.1:{port}", database
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    folder = SHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def idle(page: Any, pause: float = 0.6) -> None:
    """Wait until the script run is over (and the page has drawn)."""
    time.sleep(0.3)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=30000)
    time.sleep(pause)


def login(page: Any, base: str, username: str, password: str = "licence-demo") -> None:
    page.goto(base)
    idle(page)
    page.get_by_role("textbox", name="Nom d'utilisateur").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    idle(page)
    for _ in range(50):  # the cookie is written by a component, a moment after the run
        if any(c["name"] == "eld_session" for c in page.context.cookies()):
            return
        time.sleep(0.2)
    raise AssertionError("no session cookie after login")


def select(page: Any, scope: str, option: str) -> None:
    """Pick `option` in the selectbox of the widget with key `scope`."""
    box = page.locator(f".st-key-{scope} input[role='combobox']")
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=False).first.click()
    idle(page, 0.3)


def key(page: Any, name: str) -> Any:
    return page.locator(f".st-key-{name}")


def wait_until(check: Any, timeout: float = 20.0, message: str = "condition not met") -> None:
    """Poll `check()` until true: a loaded machine draws canvases and dialogs late."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.25)


def body_text(page: Any) -> str:
    return str(page.inner_text("body"))


def grid_cells(page: Any) -> list[str]:
    return list(page.locator("[data-testid='stDataFrame'] [role='gridcell']").all_inner_texts())
