"""Browser tests: a real `kpiwatch` server process with the demo data, and Debian's chromium.

They need /usr/bin/chromium (installed by .ci/run); without it they are skipped unless
KPIWATCH_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
KPIWATCH = str(Path(sys.executable).parent / "kpiwatch")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kpiwatch demo` on a fresh SQLite file, served on a free port; yields the base URL."""
    folder = tmp_path_factory.mktemp("demo")
    port = _free_port()
    env = os.environ | {
        "KPIWATCH_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/kpiwatch.db",
        "KPIWATCH_PORT": str(port),
        "KPIWATCH_DEMO_PASSWORD": "demo-password",
        "KPIWATCH_LOG_LEVEL": "WARNING",
    }
    log = (folder / "server.log").open("w")
    server = subprocess.Popen([KPIWATCH, "demo"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "server.log").read_text())
            time.sleep(0.25)
        yield base
    finally:
        server.terminate()
        server.wait(10)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module: Playwright's sync API holds an event loop while open,
    which must not outlive the module (other tests call ``asyncio.run``)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("KPIWATCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required (KPIWATCH_REQUIRE_BROWSER=1)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
