"""Fixtures of the admin-web browser tests: a server stack on SQLite (no outbox worker, so the
seeded queues stay as seeded), headless Chromium driven by Selenium through Debian's
chromedriver (deploy/apt-packages.txt: chromium, chromium-driver), a running headless terminal."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from billing_core.crypto import SM2PrivateKey
from tests.integration.terminal.helpers import Terminal, write_config
from tests.rigs.stack import ServerThread, Stack

SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    with Stack(tmp_path_factory.mktemp("admin_web"), "sqlite", worker="none").start() as st:
        yield st.server


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "chromium and chromium-driver are in deploy/apt-packages.txt (scripts/setup.sh)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,900", "--lang=zh-CN", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    # an explicit driver path: Selenium Manager never looks for (or downloads) a browser
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(scope="module")
def terminal(server: ServerThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terminal]:
    """``python -m workflows.terminal`` as the cashier terminal TERM01, beating every 0.3 s."""
    caller = next(c for c in server.demo["callers"] if c["appid"] == "TERM01")
    cfg = write_config(tmp_path_factory.mktemp("term01"), f"http://127.0.0.1:{server.port}", terminal_id="TERM01",
                       key=caller["key"], private_key=SM2PrivateKey.generate(), maintain_interval=0.3)
    term = Terminal(cfg)
    try:
        yield term
    finally:
        term.stop()
