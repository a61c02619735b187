"""The app's downloads without Streamlit: French batch tables, French-Excel CSV, the selection and its page."""

from __future__ import annotations

import csv
import io
from datetime import date
from html.parser import HTMLParser

import openpyxl
import pytest

from matcher import InputError, PartnerMatcher
from matcher.batch import BatchJob, run
from matcher.exports import BATCH_HEADERS, batch_table, french_status, table_bytes
from matcher.files import TableReader, read_catalogue_bytes
from matcher.presentation import card_text, partner_sheet, spellings
from matcher.shortlist import COLUMNS, Pick, Shortlist

HOSTILE = '<script>alert("x")</script> & « guillemets »'


def sheet_rows(data: bytes) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows the accents
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


# -- French tables -----------------------------------------------------------------------------------
def test_french_excel_csv_uses_semicolons_and_decimal_commas_and_neutralises_formulas() -> None:
    data = table_bytes([{"projet": "=1+1", "score": 0.3371, "rang": 1}], ["projet", "rang", "score"], "csv")
    assert csv_rows(data) == [["projet", "rang", "score"], ["'=1+1", "1", "0,3371"]]
    assert sheet_rows(table_bytes([{"projet": "@SUM(A1)"}], ["projet"], "xlsx")) == [("projet",), ("'@SUM(A1)",)]


def test_statuses_are_french() -> None:
    assert french_status("ok") == "partenaires proposés"
    assert french_status("ok (texte tronqué)") == "partenaires proposés (texte tronqué)"
    assert french_status("description vide") == "description vide"


def test_a_batch_table_has_french_headers_the_title_and_unique_kept_columns(matcher: PartnerMatcher) -> None:
    data = "N° action;Intitulé;Description;statut\nA-1;Lecture;Atelier lecture parents-enfants;à faire\nA-2;;;x\n"
    reader = TableReader(data.encode(), name="actions.csv")
    job = BatchJob.for_columns(reader.columns, keep_columns=True)
    table = batch_table(run(matcher, reader, job, 2), job, {"biblionef": "https://www.biblionef.fr"})
    assert table.columns[: len(BATCH_HEADERS)] == tuple(BATCH_HEADERS.values())
    assert table.columns[len(BATCH_HEADERS) :] == ("N° action", "Intitulé", "Description", "statut (entrée)")
    first = table.rows[0]
    assert (first["projet"], first["intitulé"], first["partenaire"], first["statut"]) == (
        "A-1", "Lecture", "Biblionef", "partenaires proposés",
    )  # fmt: skip
    assert first["site"] == "https://www.biblionef.fr" and first["statut (entrée)"] == "à faire"
    empty = [r for r in table.rows if r["projet"] == "A-2"]
    assert [(r["statut"], r["intitulé"], r["partenaire"]) for r in empty] == [("description vide", "", "")]
    assert csv_rows(table.csv())[0] == list(table.columns)
    assert sheet_rows(table.xlsx())[0] == table.columns


# -- the selection -----------------------------------------------------------------------------------
def picks(matcher: PartnerMatcher, description: str, n: int = 2) -> list[Pick]:
    result = matcher.search(description, k=n)
    written = spellings(description, matcher.analyzer_.tokens(description))
    partners = {p.partner_id: p for p in matcher.partners_}
    return [
        Pick.of(
            m,
            card_text(m, result.analysis, written, matcher.thresholds_),
            partner_sheet(partners[m.partner_id]),
            description,
        )
        for m in result.matches
    ]


def test_a_selection_keeps_one_pick_per_project_and_partner(matcher: PartnerMatcher) -> None:
    lecture = picks(matcher, "atelier lecture parents-enfants")
    dents = picks(matcher, "prévention bucco-dentaire en maternelle", 1)
    selection = Shortlist().add(lecture[0]).add(lecture[1]).add(dents[0]).add(lecture[0])
    assert [p.name for p in selection] == ["Biblionef", "Association Coup de Pouce", dents[0].name]
    assert selection.projects() == ["atelier lecture parents-enfants", "prévention bucco-dentaire en maternelle"]
    assert lecture[1].key in selection
    assert lecture[1].key not in selection.remove(lecture[1].key) and len(selection.remove(lecture[1].key)) == 2


def test_selection_exports_carry_the_project_the_reason_the_site_and_the_contact(matcher: PartnerMatcher) -> None:
    selection = Shortlist(tuple(picks(matcher, "atelier lecture parents-enfants")))
    rows = sheet_rows(selection.xlsx())
    assert rows[0] == COLUMNS
    first = dict(zip(COLUMNS, rows[1]))
    assert first["projet"] == "atelier lecture parents-enfants" and first["partenaire"] == "Biblionef"
    assert first["site"] == "https://www.biblionef.fr" and first["contact"].startswith("Par son site")
    assert "lecture" in first["pourquoi"] and first["catalogue"].startswith("Catalogue national")
    lines = csv_rows(selection.csv())
    assert lines[0] == list(COLUMNS) and "," in lines[1][COLUMNS.index("score")]  # decimal comma


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_printable_page_escapes_every_text_and_links_only_web_addresses() -> None:
    hostile = Pick(HOSTILE, "x", HOSTILE, "association", 1, "forte", 0.3, HOSTILE, HOSTILE, ("santé",),
                   "javascript:alert(1)", "—", "Catalogue local « <b>.csv »")  # fmt: skip
    good = Pick("Projet 2", "y", "Biblionef", "", 2, "moyenne", 0.15, "vos mots", "", (), "https://www.biblionef.fr",
                "Par son site", "Catalogue national")  # fmt: skip
    page = Page()
    page.feed(Shortlist((hostile, good)).html(today=date(2026, 11, 24)))
    assert "script" not in page.tags and "b" not in page.tags
    assert page.links == ["https://www.biblionef.fr"]  # javascript: is never a link
    text = "".join(page.text)
    assert HOSTILE in text and "24 novembre 2026" in text
    assert text.count("Projet") >= 2  # one section per project


def test_an_empty_selection_still_writes_valid_files() -> None:
    assert sheet_rows(Shortlist().xlsx()) == [COLUMNS]
    assert "Aucun partenaire sélectionné" in Shortlist().html()


# -- catalogue files speak of partners ------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", "une ligne par partenaire"), (b"\n\npartner_id,name\n", "par exemple « partner_id »")],
)
def test_a_local_catalogue_error_speaks_of_partners_not_projects(data: bytes, expected: str) -> None:
    with pytest.raises(InputError, match=expected) as error:
        read_catalogue_bytes(data, "local.csv")
    assert "projet" not in str(error.value)
