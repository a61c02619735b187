"""The app in a real browser: `streamlit run app.py` driven by Debian's Chromium through Playwright.

Searches, cards and the partner page, a shared link and Back, the keyboard, a phone
screen, the batch tab's recovery (unknown columns, a second file) and its French
downloads, the selection and the judgements. Screenshots go to a temporary folder, or
to `$MATCHER_SCREENSHOTS` (`make screenshots` sets it to docs/ for the README). Never
downloads a browser: without `chromium` on PATH the tests are skipped, or fail when
the CI variable is set. Every wait is on a condition, none on time.
"""

from __future__ import annotations

import csv
import io
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

import openpyxl
import pytest

from matcher.exports import BATCH_HEADERS
from matcher.feedback import FeedbackStore
from matcher.shortlist import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
DESCRIPTION = "atelier lecture parents-enfants"
OTHER = "Sensibiliser les élèves à l'hygiène bucco-dentaire"
STARTUP_SECONDS = 60
FIRST_RESULTS_MS = 120_000  # the first visitor also waits for the index to be built
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium est introuvable : .ci/run l'installe avec apt-get install chromium")
        pytest.skip("chromium est introuvable (apt-get install chromium) ; le test navigateur est sauté")
    return path


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: docs/ for `make screenshots`, else a temporary folder."""
    folder = Path(os.environ.get("MATCHER_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
def feedback_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback") / "avis.sqlite3"


@pytest.fixture(scope="module")
def app_url(chromium: str, feedback_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {**os.environ, "MATCHER_DB": str(feedback_db)}
    env.pop("MATCHER_FEEDBACK", None)
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
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


def new_page(browser, viewport=DESKTOP, **options):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=viewport, locale="fr-FR", accept_downloads=True, **options)
    page.set_default_timeout(30_000)
    return page


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script run is over (no "running" status, no faded stale elements)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=FIRST_RESULTS_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0)


def first_card(page):  # type: ignore[no-untyped-def]
    """The first card, once its text is drawn (markdown appears after its container)."""
    from playwright.sync_api import expect

    card = page.locator(".st-key-card-1")
    expect(card.locator(".pm-head .pm-name")).to_be_visible(timeout=FIRST_RESULTS_MS)
    expect(card.locator(".pm-why")).to_be_visible()
    return card


def open_results(page, url: str):  # type: ignore[no-untyped-def]
    page.goto(url)
    card = first_card(page)
    wait_idle(page)
    return card


def download(page, name: str, where, suffix: str) -> bytes:  # type: ignore[no-untyped-def]
    """Click a download button; the file's bytes, once its suggested name is checked."""
    with page.expect_download() as event:
        where.get_by_role("button", name=name).click()
    assert event.value.suggested_filename.endswith(suffix), event.value.suggested_filename
    return Path(event.value.path()).read_bytes()


def workbook_rows(data: bytes) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


# -- search -------------------------------------------------------------------------------------
def test_cards_partner_page_shared_link_and_back(browser, app_url: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = new_page(browser)
    started = time.perf_counter()
    page.goto(app_url)
    page.get_by_label("Description du projet").fill(DESCRIPTION)
    page.get_by_role("button", name="Trouver des partenaires").click()
    card = first_card(page)
    typed = time.perf_counter() - started
    expect(card.locator(".pm-head .pm-name")).to_have_text("Biblionef")
    expect(card.locator("mark").first).to_be_visible()
    expect(card.locator(".pm-why .pm-chip")).to_have_count(4)  # a few terms; the rest in the detail
    expect(card).to_contain_text("dans le détail")
    expect(page.locator(".st-key-understood")).to_contain_text("Ce que nous avons compris")
    assert "q=atelier" in page.url
    wait_idle(page)

    page.get_by_role("button", name="Que veulent dire forte, moyenne, faible ?").click()
    expect(page.get_by_text("des partenaires proposés à ce niveau étaient pertinents").first).to_be_visible()
    page.keyboard.press("Escape")
    card.get_by_text("Fiche du partenaire").click()
    expect(card.get_by_text("Prendre contact")).to_be_visible()
    expect(card.get_by_text("Catalogue national des partenaires des Cités éducatives")).to_be_visible()
    page.set_viewport_size({"width": DESKTOP["width"], "height": 2000})  # the whole card: the app scrolls inside
    expect(card.get_by_text("à jour au")).to_be_in_viewport()
    card.screenshot(path=str(shots / "screenshot-partner.png"))
    page.set_viewport_size(DESKTOP)

    page.get_by_label("Description du projet").fill(OTHER)
    page.get_by_role("button", name="Trouver des partenaires").click()
    expect(first_card(page).locator(".pm-head .pm-name")).to_contain_text("bucco-dentaire")
    wait_idle(page)
    page.go_back()  # the address of the first search: its results, not the second's
    expect(first_card(page).locator(".pm-head .pm-name")).to_have_text("Biblionef")
    expect(page.get_by_label("Description du projet")).to_have_value(DESCRIPTION)
    page.close()

    shared = new_page(browser)  # a colleague opens a shared link with a filter and a number of results
    started = time.perf_counter()
    shared.goto(f"{app_url}/?q={quote('décrochage scolaire au collège')}&type={quote('ministère')}&k=3")
    heads = shared.locator(".pm-head")
    expect(heads.first.locator(".pm-tag").first).to_have_text("ministère", timeout=FIRST_RESULTS_MS)
    linked = time.perf_counter() - started
    wait_idle(shared)
    assert 0 < heads.count() <= 3
    expect(shared.get_by_text("Filtres et nombre de résultats (1 filtre, 3 résultats)")).to_be_visible()
    shared.close()
    print(f"\npremiers résultats : {typed:.2f} s (1re visite, saisie comprise), {linked:.2f} s (lien ?q=)")


FOCUSED = """() => {
  const e = document.activeElement, copy = e.cloneNode(true);
  copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach(icon => icon.remove());
  const text = (e.getAttribute('aria-label') || copy.textContent || e.value || e.tagName).trim().slice(0, 80);
  return (e.closest('[data-testid="stForm"]') ? 'formulaire : ' : '') + text;
}"""


def focused(page) -> str:  # type: ignore[no-untyped-def]
    """The focused control's name without its icon, marked when it is inside the search form."""
    return page.evaluate(FOCUSED)


def test_every_control_is_reachable_by_keyboard_and_ctrl_enter_submits(browser, app_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = new_page(browser)
    page.goto(app_url)
    examples = page.locator(".st-key-examples button")
    expect(examples).to_have_count(4, timeout=FIRST_RESULTS_MS)
    wanted = {name.strip() for name in examples.all_inner_texts()} | {"formulaire : Trouver des partenaires"}
    description = page.get_by_label("Description du projet")
    description.focus()
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.append(focused(page))
        if wanted <= set(reached):
            break
    assert wanted <= set(reached), reached
    assert any(r.startswith("formulaire : ") and "Filtres et nombre de résultats" in r for r in reached), reached

    expect(page.get_by_text("Ctrl+Entrée (⌘+Entrée sur Mac) lance la recherche.")).to_be_visible()
    description.fill(DESCRIPTION)
    description.press("Control+Enter")
    expect(first_card(page).locator(".pm-head .pm-name")).to_have_text("Biblionef")
    card = page.locator(".st-key-card-1")
    card.get_by_role("button", name="Ajouter à ma sélection").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Retirer Biblionef")).to_be_attached()
    page.close()


def test_a_phone_shows_results_in_the_first_screen(browser, app_url: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(app_url)
    examples = page.locator(".st-key-examples button")
    expect(examples).to_have_count(4, timeout=FIRST_RESULTS_MS)
    for box in (examples.nth(i).bounding_box() for i in range(4)):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # none cut

    card = open_results(page, f"{app_url}/?q={quote(DESCRIPTION)}")
    head = card.locator(".pm-head").bounding_box()
    assert head is not None and head["y"] + head["height"] <= PHONE["height"], head  # the first result, unscrolled
    folded = page.locator(".st-key-understood-top")
    expect(folded).to_be_visible()
    expect(page.locator(".st-key-understood")).to_be_hidden()  # the side panel would come after every card
    box = folded.bounding_box()
    assert box is not None and box["y"] < head["y"]
    page.screenshot(path=str(shots / "screenshot-phone.png"))
    folded.get_by_text("Ce que nous avons compris").click()
    expect(folded.get_by_text("Vos mots retenus")).to_be_visible()
    page.close()


# -- batch ------------------------------------------------------------------------------------------
def test_batch_recovers_from_unknown_columns_and_a_second_file(
    browser, app_url: str, tmp_path: Path, shots: Path
) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    unknown = tmp_path / "export.csv"
    unknown.write_text(
        "a;b\n1;Atelier lecture parents-enfants à la médiathèque\n2;Stage de théâtre pour ados\n", "utf-8"
    )
    actions = tmp_path / "actions.csv"
    actions.write_text(
        "N° action;Intitulé;Description de l'action\n"
        "A-1;Lecture en famille;Atelier lecture parents-enfants à la médiathèque\n"
        "A-2;Théâtre;Stage de théâtre pendant les vacances pour des adolescents\n"
        "A-3;;\n"
        "=1+1;Dents;Sensibiliser les élèves à l'hygiène bucco-dentaire\n",
        encoding="utf-8",
    )
    page = new_page(browser)
    page.goto(app_url)
    page.get_by_role("tab", name="Traitement par lot").click()
    panel = page.get_by_role("tabpanel", name="Traitement par lot")
    uploader = page.locator(".st-key-batch_file input[type=file]")
    uploader.set_input_files(str(unknown))
    expect(panel.get_by_text("Aucune colonne de description reconnue")).to_be_visible(timeout=FIRST_RESULTS_MS)
    run = panel.get_by_role("button", name="Lancer le traitement")
    expect(run).to_be_disabled()
    expect(panel.get_by_text("Choisissez au moins une colonne de description")).to_be_visible()
    expect(panel).not_to_contain_text("--text-column")
    page.locator(".st-key-batch_text").get_by_role("combobox").click()
    page.get_by_role("option", name="b", exact=True).click()
    page.keyboard.press("Escape")
    expect(run).to_be_enabled()
    run.click()
    expect(panel.get_by_text("2 projet(s) lu(s)")).to_be_visible(timeout=FIRST_RESULTS_MS)
    wait_idle(page)

    uploader.set_input_files(str(actions))  # a second file: its own columns, guessed
    expect(panel.get_by_text("2 projet(s) lu(s)")).to_have_count(0)
    texts = page.locator(".st-key-batch_text")
    expect(texts).to_contain_text("Intitulé")
    expect(texts).to_contain_text("Description de l'action")
    expect(page.locator(".st-key-batch_id").get_by_role("combobox")).to_have_value("N° action")
    expect(run).to_be_enabled()
    run.click()
    expect(panel.get_by_text("4 projet(s) lu(s)")).to_be_visible(timeout=FIRST_RESULTS_MS)
    wait_idle(page)
    labels = panel.get_by_role("button", name="Télécharger").all_inner_texts()
    labels = [label.splitlines()[-1].strip() for label in labels]  # without the icon's name
    assert labels[:2] == ["Télécharger (Excel .xlsx)", "Télécharger (CSV pour Excel)"]  # .xlsx first

    rows = workbook_rows(download(page, "Télécharger (Excel .xlsx)", panel, "actions-partenaires.xlsx"))
    header = rows[0]
    assert header[: len(BATCH_HEADERS)] == tuple(BATCH_HEADERS.values())  # projet, intitulé, rang, partenaire…
    first = dict(zip(header, rows[1]))
    assert (first["projet"], first["intitulé"], first["partenaire"]) == ("A-1", "Lecture en famille", "Biblionef")
    assert first["statut"] == "partenaires proposés" and isinstance(first["score"], float)
    assert [r[header.index("statut")] for r in rows if r[0] == "A-3"] == ["description vide"]
    assert rows[-1][0] == "'=1+1"

    data = download(page, "Télécharger (CSV pour Excel)", panel, "actions-partenaires.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(lines[0]) == header  # semicolons: French Excel opens it in columns
    assert "," in lines[1][header.index("score")] and "." not in lines[1][header.index("score")]
    page.set_viewport_size({"width": 1400, "height": 1500})  # the whole tab, from the upload to the results
    wait_idle(page)
    page.screenshot(path=str(shots / "screenshot-batch.png"))
    page.close()


# -- selection and judgements ----------------------------------------------------------------------------
def test_judgements_and_the_selection_in_a_browser(browser, app_url: str, feedback_db: Path, shots: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = new_page(browser)
    card = open_results(page, f"{app_url}/?q={quote(DESCRIPTION)}")
    expect(page.get_by_text("sont conservés, sans compte ni donnée personnelle")).to_be_visible()
    card.get_by_role("button", name="Ajouter à ma sélection").click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name="Retirer Biblionef")).to_be_visible()
    expect(card.get_by_role("button", name="Retirer de ma sélection")).to_be_visible()
    wait_idle(page)
    page.screenshot(path=str(shots / "screenshot.png"))

    card.get_by_role("button", name="Utile").click()
    expect(card.get_by_text("Merci : avis « Utile » enregistré.")).to_be_visible()
    second = page.locator(".st-key-card-2")
    second.get_by_role("button", name="Pas pertinent").click()
    expect(second.get_by_text("Merci : avis « Pas pertinent » enregistré.")).to_be_visible()
    second.get_by_role("combobox", name="Pourquoi ? (facultatif)").click()
    page.get_by_role("option", name="Hors sujet").click()
    wait_idle(page)

    with FeedbackStore.open(feedback_db, create=False) as store:
        judged = [(v.partner_id, v.vote, v.reason) for v in store.votes()]
    assert judged[:3] == [
        ("coup-de-pouce", "pas_pertinent", "hors_sujet"),
        ("coup-de-pouce", "pas_pertinent", None),
        ("biblionef", "utile", None),
    ]

    rows = workbook_rows(download(page, "Télécharger (Excel .xlsx)", sidebar, "selection-partenaires.xlsx"))
    assert rows[0] == COLUMNS
    picked = dict(zip(COLUMNS, rows[1]))
    assert (picked["projet"], picked["partenaire"], picked["site"]) == (
        DESCRIPTION,
        "Biblionef",
        "https://www.biblionef.fr",
    )
    assert "lecture" in picked["pourquoi"] and picked["contact"]
    assert len(rows) == 2

    page.get_by_role("tab", name="Qualité").click()
    quality = page.get_by_role("tabpanel", name="Qualité")
    expect(quality.get_by_text("Par niveau de confiance", exact=True)).to_be_visible()
    expect(quality.get_by_test_id("stDataFrame").first).to_be_visible()
    page.close()
