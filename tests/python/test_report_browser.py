"""The report pages in a real browser: headless Chromium loads them from disk (file://).

Checked: the scripts ran (``data-js-ok``) with no error recorded, no console error or warning, no
network request (every request the page made is its own file or a ``data:`` URL), the key
sections and numbers are in the rendered DOM, and screenshots are saved under
``.test-output/report/``. Needs the Debian packages ``chromium`` and ``chromium-driver``: the
tests are skipped with a message when they are missing, except under CI (``CI=true``), where that
is a failure.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omphalos.evidence.certify import certify
from omphalos.pipeline.paths import project_root
from omphalos.presentation.certify_page import write_certify_html
from omphalos.presentation.report import REPORT_PATH

OUTPUT = project_root() / ".test-output" / "report"
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
]


def _need(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = (
        f"{' / '.join(names)} not found: install the Debian packages chromium and "
        "chromium-driver (apt-get install -y chromium chromium-driver) to run the browser tests"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: the browser tests may not be skipped)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium() -> str:
    return _need("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def chromedriver() -> str:
    return _need("chromedriver")


# ---------------------------------------------------------------------------------------------
# Chromium on the command line: --dump-dom and --screenshot


def _run_chromium(chromium: str, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="omphalos-chromium-") as profile:
        return subprocess.run(
            [chromium, *CHROME_FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


def test_page_renders_in_chromium(chromium: str, reported_run: Path) -> None:
    page = reported_run / REPORT_PATH
    url = page.resolve().as_uri()
    dom_run = _run_chromium(chromium, url, "--virtual-time-budget=5000", "--dump-dom")
    assert dom_run.returncode == 0, dom_run.stderr[-2000:]
    dom = dom_run.stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body and 'data-js-ok="1"' in body.group(0), "the page's scripts did not run"
    root = re.search(r"<html[^>]*>", dom)
    assert root and "data-js-errors" not in root.group(0), re.findall(
        r'id="js-errors"[^>]*>([^<]*)', dom
    )
    assert '<pre id="js-errors"></pre>' in dom
    for heading in (
        "Overview",
        "Verification and Merkle root",
        "Inputs: admitted and rejected",
        "Matching rules and thresholds",
        "Outputs: for consumption, for review, intermediate",
        "Charts",
        "Review queue",
        "Review packets",
    ):
        assert f"<h2>{heading}</h2>" in dom, heading
    summary = json.loads((reported_run / "reports/summary.json").read_text(encoding="utf-8"))
    assert f'<div class="v">{summary["shipments"]:,}</div>' in dom
    assert f'<span id="rq-shown">{min(100, summary["review_queue"])}</span>' in dom
    assert dom.count("<svg") >= 6

    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "index.png"
    shot.unlink(missing_ok=True)
    shot_run = _run_chromium(
        chromium,
        url,
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        "--virtual-time-budget=5000",
    )
    assert shot_run.returncode == 0, shot_run.stderr[-2000:]
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000, "the screenshot looks blank"


# ---------------------------------------------------------------------------------------------
# Chromium through chromedriver (plain W3C WebDriver over HTTP, no Python dependency):
# console log and network requests


class WebDriver:
    def __init__(self, chromedriver: str, chromium: str, profile: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [chromedriver, f"--port={self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    self.proc.kill()
                    raise
                time.sleep(0.1)
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": [
                            *CHROME_FLAGS,
                            f"--user-data-dir={profile}",
                            "--window-size=1280,1000",
                        ],
                    },
                    "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
                }
            }
        }
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read())["value"]

    def cmd(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def get(self, url: str) -> None:
        self.cmd("POST", "/url", {"url": url})

    def js(self, script: str, *args: Any) -> Any:
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def log(self, kind: str) -> list[dict[str, Any]]:
        return list(self.cmd("POST", "/se/log", {"type": kind}))

    def requests(self, document: str) -> list[str]:
        """URLs of every request issued by the page ``document`` (its own load included)."""
        urls = []
        for entry in self.log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") != "Network.requestWillBeSent":
                continue
            params = message["params"]
            if params.get("documentURL") == document or params["request"]["url"] == document:
                urls.append(params["request"]["url"])
        return urls

    def full_screenshot(self, path: Path) -> None:
        height = int(self.js("return document.documentElement.scrollHeight"))
        shot = self.cmd(
            "POST",
            "/goog/cdp/execute",
            {
                "cmd": "Page.captureScreenshot",
                "params": {
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
                },
            },
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.cmd("DELETE", "")
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def driver(
    chromium: str, chromedriver: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebDriver]:
    d = WebDriver(chromedriver, chromium, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield d
    finally:
        d.close()


def _problems(d: WebDriver) -> list[str]:
    return [
        f"{e['level']}: {e['message']}"
        for e in d.log("browser")
        if e["level"] in ("SEVERE", "WARNING")
    ]


def test_the_harness_sees_errors_and_requests(driver: WebDriver, tmp_path: Path) -> None:
    """A bad page (a remote image, a console error) is caught, so the clean results mean something."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'></head>"
        "<body><img src='http://127.0.0.1:9/x.png'><script>console.error('boom')</script>"
        "</body></html>",
        encoding="utf-8",
    )
    url = bad.resolve().as_uri()
    driver.log("browser")
    driver.log("performance")
    driver.get(url)
    time.sleep(0.5)
    assert any("boom" in p for p in _problems(driver))
    assert "http://127.0.0.1:9/x.png" in driver.requests(url)


def test_page_has_no_console_errors_and_no_network(driver: WebDriver, reported_run: Path) -> None:
    url = (reported_run / REPORT_PATH).resolve().as_uri()
    driver.log("browser")
    driver.log("performance")
    driver.get(url)
    assert driver.js("return document.body.getAttribute('data-js-ok')") == "1"
    assert driver.js("return window.__omphalosErrors") == []
    assert _problems(driver) == []
    requests = driver.requests(url)
    assert url in requests
    outside = [u for u in requests if not (u == url or u.startswith("data:"))]
    assert outside == [], f"network requests from the page: {outside}"

    # the review-queue filter works
    cards = driver.js("return document.querySelectorAll('article.rq').length")
    assert cards > 0
    first = driver.js("return document.querySelector('article.rq').getAttribute('data-search')")
    term = first.split()[0]
    shown = driver.js(
        "var q=document.getElementById('rq-filter');q.value=arguments[0];"
        "q.dispatchEvent(new Event('input'));"
        "return Number(document.getElementById('rq-shown').textContent)",
        term,
    )
    assert 1 <= shown <= cards
    hidden = driver.js(
        "var q=document.getElementById('rq-filter');q.value='zzzz-no-such-name-zzzz';"
        "q.dispatchEvent(new Event('input'));"
        "return Number(document.getElementById('rq-shown').textContent)"
    )
    assert hidden == 0
    driver.js(
        "var q=document.getElementById('rq-filter');q.value='';q.dispatchEvent(new Event('input'));"
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    driver.full_screenshot(OUTPUT / "index-full.png")
    assert (OUTPUT / "index-full.png").stat().st_size > 50_000
    assert _problems(driver) == []


def test_certify_page_in_the_browser(
    driver: WebDriver, sealed_run: Path, sealed_run_twin: Path
) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = write_certify_html(certify(sealed_run, sealed_run_twin).report, OUTPUT / "certify.html")
    url = page.resolve().as_uri()
    driver.log("browser")
    driver.log("performance")
    driver.get(url)
    assert driver.js("return document.body.getAttribute('data-js-ok')") == "1"
    assert _problems(driver) == []
    assert [u for u in driver.requests(url) if u != url and not u.startswith("data:")] == []
    text = driver.js("return document.body.innerText")
    assert "EQUIVALENT" in text and "Substantive differences" in text
    driver.full_screenshot(OUTPUT / "certify.png")
