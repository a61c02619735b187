"""The app in a real browser: `streamlit run app.py` driven by Debian's Chromium through Playwright.

Types a description, checks the first card, opens a shared `?q=` link, runs a batch file,
and saves the README's screenshots to docs/. Never downloads a browser: without
`chromium` on PATH the test is skipped, or fails when the CI variable is set.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from matcher.batch import OUTPUT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
DESCRIPTION = "atelier lecture parents-enfants"
STARTUP_SECONDS = 60
FIRST_RESULTS_MS = 120_000  # the first visitor also waits for the index to be built

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium est introuvable : .ci/run l'installe avec apt-get install chromium")
        pytest.skip("chromium est introuvable (apt-get install chromium) ; le test navigateur est sauté")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:  # the pause between polls doubles as a check that the server is still alive
            server.wait(timeout=0.2)
            pytest.fail(f"streamlit s'est arrêté au démarrage :\n{log.read_text(errors='replace')}")
        except subprocess.TimeoutExpired:
            pass
    pytest.fail(f"streamlit ne répond pas après {STARTUP_SECONDS} s :\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def app_url(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def new_page(browser, **options):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR", **options)
    page.set_default_timeout(30_000)
    return page


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script run is over (no "running" status, no faded stale elements)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=FIRST_RESULTS_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0)


def test_search_shared_link_and_batch(browser, app_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    DOCS.mkdir(exist_ok=True)
    page = new_page(browser, accept_downloads=True)
    started = time.perf_counter()
    page.goto(app_url)
    page.get_by_label("Description du projet").fill(DESCRIPTION)
    page.get_by_role("button", name="Trouver des partenaires").click()
    first = page.locator(".st-key-card-1")
    expect(first).to_be_visible(timeout=FIRST_RESULTS_MS)
    typed = time.perf_counter() - started
    expect(first.locator(".pm-name")).to_have_text("Biblionef")
    expect(first.locator("mark").first).to_be_visible()
    expect(page.locator(".st-key-understood")).to_contain_text("Ce que nous avons compris")
    assert "q=atelier" in page.url
    wait_idle(page)
    page.screenshot(path=str(DOCS / "screenshot.png"))

    shared = new_page(browser)  # a colleague opens the shared link: same results, nothing typed
    started = time.perf_counter()
    shared.goto(f"{app_url}/?q={quote(DESCRIPTION)}")
    expect(shared.locator(".st-key-card-1 .pm-name")).to_have_text("Biblionef")
    linked = time.perf_counter() - started
    shared.close()
    print(f"\npremiers résultats : {typed:.2f} s (1re visite, saisie comprise), {linked:.2f} s (lien ?q=)")

    projects = tmp_path / "projets.csv"
    projects.write_text(
        "id;description\n"
        "P1;Atelier lecture parents-enfants à la médiathèque\n"
        "P2;Stage de théâtre pendant les vacances pour des adolescents\n"
        "P3;\n"
        "=1+1;Sensibiliser les élèves à l'hygiène bucco-dentaire\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="Traitement par lot").click()
    page.locator(".st-key-batch_file input[type=file]").set_input_files(str(projects))
    page.get_by_role("button", name="Lancer le traitement").click()
    summary = page.get_by_text("4 projet(s) lu(s)")
    expect(summary).to_be_visible(timeout=FIRST_RESULTS_MS)
    table = page.get_by_role("tabpanel", name="Traitement par lot").get_by_test_id("stDataFrame").last
    expect(table).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger (CSV)").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == OUTPUT_COLUMNS  # the columns of `matcher batch`
    assert (rows[0]["project_id"], rows[0]["partner_name"]) == ("P1", "Biblionef")
    assert [r["status"] for r in rows if r["project_id"] == "P3"] == ["description vide"]  # every row is kept
    assert rows[-1]["project_id"] == "'=1+1"  # a formula-like cell is neutralised
    wait_idle(page)
    page.set_viewport_size({"width": 1400, "height": 1500})  # the whole tab, from the upload to the results
    page.screenshot(path=str(DOCS / "screenshot-batch.png"))
    page.close()
