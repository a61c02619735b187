"""Reading and writing project tables: encodings, delimiters, Excel, hostile cells, broken files."""

from __future__ import annotations

import codecs
import csv
import io
import random
import re
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from matcher import files
from matcher.errors import InputError
from matcher.files import (
    FORMULA_PREFIXES,
    XLSX_CELL_LIMIT,
    TableReader,
    TableWriter,
    neutralize,
    output_format,
    sniff_delimiter,
    unique_columns,
)

from .conftest import csv_text, write_csv, write_xlsx

SANTE = "Éducation à la santé"
HOSTILE = ['=HYPERLINK("http://x","clic")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def read_rows(path: Path, **kwargs: object) -> list[tuple[int, dict[str, str]]]:
    return [(row.line, row.cells) for row in TableReader(path, **kwargs)]  # type: ignore[arg-type]


# -- encodings and delimiters -----------------------------------------------------------
FRENCH = [["Intitulé", "Description de l'action", "Porteur"], ["Santé", SANTE, "Collège Jean-Moulin"], ["Théâtre", "Atelier théâtre, parents-enfants", "Mairie"]]  # fmt: skip


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ","), ("cp1252", ";"), ("latin-1", ";"), ("utf-8", "\t"), ("cp1252", "\t"),
     ("utf-8-sig", ";"), ("utf-16", ",")],
)  # fmt: skip
def test_reads_each_encoding_and_delimiter(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = write_csv(tmp_path / "projets.csv", FRENCH, encoding, delimiter)
    reader = TableReader(path)
    assert reader.columns == ("Intitulé", "Description de l'action", "Porteur")
    assert reader.delimiter == delimiter
    assert read_rows(path) == [
        (2, {"Intitulé": "Santé", "Description de l'action": SANTE, "Porteur": "Collège Jean-Moulin"}),
        (
            3,
            {"Intitulé": "Théâtre", "Description de l'action": "Atelier théâtre, parents-enfants", "Porteur": "Mairie"},
        ),
    ]


def test_cp1252_accent_after_the_first_64_kib_is_read_not_rejected(tmp_path: Path) -> None:
    rows = [["id", "description"], *([str(i), "Atelier de lecture au college, sans accent"] for i in range(3000))]
    rows.append(["fin", SANTE])
    path = write_csv(tmp_path / "long.csv", rows, "cp1252", ";")
    assert path.stat().st_size > 100_000
    assert max(path.read_bytes()[:70_000]) < 128  # plain ASCII for longer than the sniffing sample
    reader = TableReader(path)
    assert reader.encoding == "cp1252"
    cells = [row.cells for row in reader]
    assert len(cells) == 3001
    assert cells[-1] == {"id": "fin", "description": SANTE}


def test_utf8_with_a_cp1252_line_stays_utf8_and_the_line_is_read_in_its_own(tmp_path: Path) -> None:
    data = csv_text([["id", "description"], *([str(i), SANTE] for i in range(50))]).encode("utf-8")
    path = tmp_path / "concat.csv"
    path.write_bytes(data + "99,Théâtre\r\n".encode("cp1252"))
    reader = TableReader(path)
    assert reader.encoding == "utf-8"
    rows = list(reader)
    assert [r.cells["description"] for r in rows[:50]] == [SANTE] * 50 and rows[-1].cells["description"] == "Théâtre"
    assert rows[-1].note and not rows[0].note
    assert len(reader.warnings) == 1 and "52" in reader.warnings[0]


def test_utf8_character_cut_by_the_sample_is_still_utf8(tmp_path: Path) -> None:
    prefix = "id,description\n1," + "a" * (64 * 1024 - 18)  # "é" straddles the 64 KiB sample's end
    path = tmp_path / "cut.csv"
    path.write_bytes((prefix + "é\n").encode("utf-8"))
    assert TableReader(path).encoding == "utf-8"
    assert [row.cells["description"][-1] for row in TableReader(path)] == ["é"]


def test_semicolons_win_over_commas_inside_descriptions(tmp_path: Path) -> None:
    rows = [["id", "description"], *([str(i), "Lecture, écriture, calcul, sorties, jeux"] for i in range(20))]
    path = write_csv(tmp_path / "p.csv", rows, delimiter=";")
    assert TableReader(path).delimiter == ";"
    assert next(iter(TableReader(path))).cells["description"] == "Lecture, écriture, calcul, sorties, jeux"


def test_a_single_column_file_keeps_its_commas(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("description\nLecture, écriture et calcul\n", encoding="utf-8")
    assert [row.cells for row in TableReader(path)] == [{"description": "Lecture, écriture et calcul"}]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("a,b,c\n1,2,3\n", ","), ("a;b;c\n1;2,5;3\n", ";"), ("a\tb\n1, 2\t3\n", "\t"), ("a|b\n1|2\n", "|"),
     ('"Nom, prénom";Description\n"A, B";x\n', ";"), ("", ",")],
)  # fmt: skip
def test_sniff_delimiter(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


def test_a_300000_character_field_is_read_whole(tmp_path: Path) -> None:
    huge = "théâtre " * 37_500
    path = write_csv(tmp_path / "huge.csv", [["id", "description"], ["1", huge], ["2", "court"]])
    assert [(row.line, len(row.cells["description"])) for row in TableReader(path)] == [(2, 300_000), (3, 5)]


def test_line_numbers_follow_the_spreadsheet_rows(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text('id,description\n,premier\n\nb,"sur\ndeux lignes"\n,,\nc,\n', encoding="utf-8")
    # a blank line is a spreadsheet row; a row of empty cells is not a project
    assert read_rows(path) == [
        (2, {"id": "", "description": "premier"}),
        (4, {"id": "b", "description": "sur\ndeux lignes"}),
        (6, {"id": "c", "description": ""}),
    ]


def test_short_and_long_rows_are_fitted_to_the_header(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("id;description;porteur\n1;lecture\n2;jeux;mairie;en trop\n", encoding="utf-8")
    assert [row.cells for row in TableReader(path)] == [
        {"id": "1", "description": "lecture", "porteur": ""},
        {"id": "2", "description": "jeux", "porteur": "mairie"},
    ]


def test_unique_columns() -> None:
    assert unique_columns(["\ufeffNom", "Nom", " ", "Description\nde l'action ", "", ""]) == (
        "Nom", "Nom (2)", "colonne 3", "Description de l'action",
    )  # fmt: skip


# -- Excel -------------------------------------------------------------------------------
def test_xlsx_first_sheet_by_default_and_sheet_by_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", {
        "Projets": [["Identifiant", "Description"], [101, SANTE], [None, "Jardin partagé"], [None, None], [3.5, "x"]],
        "Autres": [["code", "texte"], ["A", "Lecture"]],
    })  # fmt: skip
    assert TableReader(path).columns == ("Identifiant", "Description")
    assert read_rows(path) == [
        (2, {"Identifiant": "101", "Description": SANTE}),
        (3, {"Identifiant": "", "Description": "Jardin partagé"}),
        (5, {"Identifiant": "3.5", "Description": "x"}),
    ]
    assert read_rows(path, sheet="Autres") == [(2, {"code": "A", "texte": "Lecture"})]


def test_xlsx_with_a_wrong_dimension_is_read_whole(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", {"Projets": [["id", "description"], [1, SANTE], [2, "Jardin", "en trop"]]})
    with zipfile.ZipFile(path) as archive:
        parts = {item.filename: archive.read(item.filename) for item in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet], count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', parts[sheet])
    assert count == 1
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert read_rows(path) == [(2, {"id": "1", "description": SANTE}), (3, {"id": "2", "description": "Jardin"})]


def test_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", {"Projets": [["id", "description"], [1, "x"]], "Bilan 2024": [["a"], [1]]})
    with pytest.raises(InputError, match="« Résumé ».*Projets, Bilan 2024"):
        TableReader(path, sheet="Résumé")


def test_an_xlsx_named_csv_is_read_as_a_workbook(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "p.xlsx", {"Projets": [["id", "description"], [1, SANTE]]})
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(xlsx.read_bytes())
    assert read_rows(renamed) == [(2, {"id": "1", "description": SANTE})]


def test_uploaded_bytes_are_read_like_files(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "p.xlsx", {"Projets": [["id", "description"], [1, SANTE]]})
    assert [r.cells for r in TableReader(xlsx.read_bytes(), name="p.xlsx")] == [{"id": "1", "description": SANTE}]
    data = csv_text(FRENCH, ";").encode("cp1252")
    assert next(iter(TableReader(data, name="p.csv"))).cells["Description de l'action"] == SANTE


# -- files that cannot be read: one clear sentence ----------------------------------------
def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="introuvable"):
        TableReader(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("vide.csv", b"", "est vide"),
        ("blanc.csv", b"\r\n\r\n  \n", "est vide"),
        ("bruit.csv", random.Random(1).randbytes(4096), "binaire"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binaire"),
        ("ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), r"ancien format \(\.xls\)"),
        ("ancien.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), r"ancien format \(\.xls\)"),
        ("faux.xlsx", b"id,description\n1,x\n", "pas un classeur Excel lisible"),
        ("casse.xlsx", b"PK\x03\x04" + bytes(100), "pas un classeur Excel lisible"),
        ("entete.csv", "Intitulé;Description\r\n".encode("cp1252"), "que la ligne d'en-tête"),
        ("entete-vide.csv", b"\r\n1,lecture\r\n", "première ligne est vide"),
        ("points-virgules.csv", b";;;\r\n1;lecture;;\r\n", "première ligne est vide"),
    ],
)
def test_unreadable_files_raise_one_sentence(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as error:
        TableReader(path)
    assert "\n" not in str(error.value) and name in str(error.value)


def test_sheet_without_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", {"Projets": [["id", "description"], [1, "x"]], "Vide": [], "Entête": [["id", "description"]]})  # fmt: skip
    with pytest.raises(InputError, match="feuille « Vide ».*est vide"):
        TableReader(path, sheet="Vide")
    with pytest.raises(InputError, match="feuille « Entête ».*que la ligne d'en-tête"):
        TableReader(path, sheet="Entête")


def test_xlsx_sheet_with_a_blank_first_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", {"Projets": [[None], ["id", "description"], [1, "x"]]})
    with pytest.raises(InputError, match="première ligne est vide"):
        TableReader(path)


def test_unreadable_file_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "secret.csv", FRENCH)

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "open", denied, raising=False)
    with pytest.raises(InputError, match="Impossible de lire secret.csv : permission refusée"):
        TableReader(path)


# -- memory ------------------------------------------------------------------------------
def test_reading_streams_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "description"])
        for i in range(40_000):
            writer.writerow([i, f"Projet {i} : accompagnement à la scolarité des élèves du quartier, " * 3])
    assert path.stat().st_size > 8_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in TableReader(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 40_000
    assert peak < 3_000_000, f"peak {peak:,} bytes: the reader holds the file"


# -- writing -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", HOSTILE)
def test_neutralize_prefixes_formula_starters(value: str) -> None:
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize("value", ["Théâtre", "", " =1", "a=b", "'déjà", 0.5, -3, None])
def test_neutralize_leaves_other_values(value: object) -> None:
    assert neutralize(value) == value


def test_formula_prefixes_are_owasps() -> None:
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


ROWS = [{"id": h, "texte": f"{h} suite", "score": 0.5} for h in HOSTILE] + [{"id": "ok", "texte": SANTE, "score": 0.25}]


def test_csv_output_has_a_bom_commas_and_inert_cells(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with TableWriter(path, ["id", "texte", "score"]) as writer:
        writer.write(ROWS)
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["id", "texte", "score"]
    assert rows[1:] == [["'" + h, f"'{h} suite", "0.5"] for h in HOSTILE] + [["ok", SANTE, "0.25"]]


def test_excel_csv_uses_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with TableWriter(path, ["id", "texte", "score"], excel=True) as writer:
        writer.write(ROWS[-1:])
    assert path.read_bytes().decode("utf-8-sig") == f"id;texte;score\r\nok;{SANTE};0,25\r\n"


def test_xlsx_output_has_inert_cells(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    with TableWriter(path, ["id", "texte", "score"], "xlsx") as writer:
        writer.write(ROWS)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["id", "texte", "score"]
    hostile = [h.replace("\r", "\n") for h in HOSTILE]  # XML reads a carriage return back as a line feed
    assert values[1:] == [["'" + h, f"'{h} suite", 0.5] for h in hostile] + [["ok", SANTE, 0.25]]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_output_drops_control_characters_and_caps_cells(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    with TableWriter(path, ["texte"], "xlsx") as writer:
        writer.write([{"texte": "ligne\x0bsuivante\x01"}, {"texte": "x" * 40_000}])
    values = [r[0] for r in openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)]
    assert values[1] == "lignesuivante"
    assert len(values[2]) == XLSX_CELL_LIMIT


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_failed_write_leaves_the_previous_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(b"ancien")

    def rows():  # type: ignore[no-untyped-def]
        yield {"id": "1"}
        raise InputError("coupé")

    with pytest.raises(InputError), TableWriter(path, ["id"], fmt) as writer:
        writer.write(rows())
    assert path.read_bytes() == b"ancien"
    assert [p.name for p in tmp_path.iterdir()] == [f"out.{fmt}"]


def test_writer_to_a_buffer(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with TableWriter(buffer, ["id"], "csv") as writer:
        writer.write([{"id": "=1"}])
    assert buffer.getvalue().decode("utf-8-sig") == "id\r\n'=1\r\n"


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [("r.csv", None, "csv"), ("r.xlsx", None, "xlsx"), ("R.XLSX", None, "xlsx"), ("r.txt", None, "csv"),
     ("r", None, "csv"), ("r.csv", "xlsx", "xlsx"), ("r.xlsx", "csv", "csv")],
)  # fmt: skip
def test_output_format(name: str, fmt: str | None, expected: str) -> None:
    assert output_format(name, fmt) == expected


@pytest.mark.parametrize("name", ["r.xls", "r.ods", "r.xlsm"])
def test_output_format_refuses_other_spreadsheets(name: str) -> None:
    with pytest.raises(InputError, match=r"\.csv ou \.xlsx"):
        output_format(name)
