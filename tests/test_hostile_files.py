"""Hostile input at the file level: nothing lost, nothing overwritten, memory and time bounded.

One section per class of the hostile-input issue; every file is generated here. Refusals
are one French line (`Erreur : …`, exit 2) naming the file, line, cell or option.
"""

from __future__ import annotations

import datetime
import errno
import io
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import openpyxl
import pytest

import matcher.cli as cli
from matcher import files
from matcher.batch import OUTPUT_COLUMNS
from matcher.errors import InputError
from matcher.files import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    TableReader,
    TableWriter,
    check_output,
    label_warnings,
    read_labels,
    read_projects,
    unique_columns,
    unique_output_names,
)
from matcher.index import PartnerMatcher

from .conftest import ROOT, write_csv, write_xlsx

SANTE = "Éducation à la santé : ateliers d'hygiène bucco-dentaire"


@pytest.fixture
def run(matcher: PartnerMatcher, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """`matcher ARGS` in-process with the session's engine: (exit status, stdout, stderr)."""
    monkeypatch.setattr(cli, "_matcher", lambda extra=(): matcher)

    def invoke(*args: object) -> tuple[int, str, str]:
        status = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return status, out, err

    return invoke


def one_french_error(status: int, err: str, *words: str) -> None:
    assert status == 2, err
    assert err.startswith("Erreur : ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def projects_csv(path: Path, n: int) -> list[str]:
    lines = ["project_id,description", *(f"P{i},Atelier de lecture numéro {i}" for i in range(1, n + 1))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


# -- xlsx written by hand: the parts a workbook needs, the sheet streamed in chunks ----------
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS_NS = b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    "_rels/.rels": b"<Relationships " + RELS_NS + b'><Relationship Id="rId1" Type="' + REL
    + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": b"<workbook " + MAIN + b' xmlns:r="' + REL
    + b'"><sheets><sheet name="Projets" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": b"<Relationships " + RELS_NS + b'><Relationship Id="rId1" Type="' + REL
    + b'/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="' + REL
    + b'/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}  # fmt: skip
HEADER_ROW = b'<row r="1"><c t="inlineStr"><is><t>id</t></is></c><c t="inlineStr"><is><t>description</t></is></c></row>'


def raw_xlsx(path: Path, sheet: Iterable[bytes], shared: Iterable[bytes] = (b"",)) -> Path:
    """A minimal workbook whose sheet data and shared texts are streamed in, so gigabytes cost no memory."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in PARTS.items():
            archive.writestr(name, data)
        for name, start, chunks, end in [
            ("xl/worksheets/sheet1.xml", b"<worksheet " + MAIN + b"><sheetData>", sheet, b"</sheetData></worksheet>"),
            ("xl/sharedStrings.xml", b"<sst " + MAIN + b">", shared, b"</sst>"),
        ]:
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in (start, *chunks, end):
                    part.write(chunk)
    return path


def repeated(chunk: bytes, total: int) -> Iterator[bytes]:
    block = chunk * max(1, 1_000_000 // len(chunk))
    for _ in range(total // len(block)):
        yield block


def bounded(fn):  # type: ignore[no-untyped-def]
    """Run `fn` and return (its InputError, peak traced bytes, seconds)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputError) as error:
            fn()
        return error.value, tracemalloc.get_traced_memory()[1], time.perf_counter() - started
    finally:
        tracemalloc.stop()


# == Data lost or overwritten ==================================================================
# -- an unclosed quote ------------------------------------------------------------------------
def test_an_unclosed_quote_is_an_error_naming_its_row_not_a_silent_loss(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    lines = projects_csv(tmp_path / "p.csv", 1000)
    lines[12] = 'P12,"Lire et faire lire, au collège'
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"p\.csv, ligne 13 : un guillemet .* jusqu'à la fin du fichier"):
        sum(1 for _ in TableReader(tmp_path / "p.csv"))
    status, out, err = run("batch", tmp_path / "p.csv", "-o", tmp_path / "r.csv", "--quiet")
    one_french_error(status, err, "p.csv, ligne 13", "refermez-le")
    assert not (tmp_path / "r.csv").exists()


def test_a_quote_closed_by_a_later_row_is_an_error_too(tmp_path: Path) -> None:
    lines = projects_csv(tmp_path / "p.csv", 50)
    lines[12] = 'P12,"Lire et faire lire, au collège'
    lines[20] = 'P20,"Atelier" de théâtre'  # the stray quote above ends here: 8 rows would melt into one cell
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ligne 13 : .* déborde sur 8 ligne\(s\) suivante\(s\)"):
        list(TableReader(tmp_path / "p.csv"))


def test_well_formed_multiline_cells_and_quotes_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text('id,description\n1,"sur\n\ndeux ""lignes"""\n2,"a, b"\n3,fin\n', encoding="utf-8")
    assert [(r.line, r.cells["description"]) for r in TableReader(path)] == [
        (2, 'sur\n\ndeux "lignes"'), (3, "a, b"), (4, "fin"),
    ]  # fmt: skip


def test_a_csv_record_is_bounded_in_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_ROW_CHARS", 10_000)
    path = tmp_path / "p.csv"
    path.write_text('id,description\n1,court\n2,"' + "mot " * 5_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"p\.csv, ligne 3 : plus de 10 000 caractères"):
        list(TableReader(path))


# -- -o is a file the command reads -------------------------------------------------------------
def test_output_equal_to_a_partners_catalogue_is_refused(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    catalogue = tmp_path / "local.csv"
    catalogue.write_text("partner_id,name,description\nx,X,lecture\n", encoding="utf-8")
    before = catalogue.read_bytes()
    write_csv(tmp_path / "p.csv", [["description"], [SANTE]])
    status, _, err = run("batch", tmp_path / "p.csv", "--partners", catalogue, "-o", catalogue, "--quiet")
    one_french_error(status, err, "catalogue --partners", "-o")
    assert catalogue.read_bytes() == before


def test_every_read_file_is_guarded_through_links(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "p.csv", [["description"], [SANTE]])
    (tmp_path / "hard.csv").hardlink_to(source)
    (tmp_path / "soft.csv").symlink_to(source)
    for alias in ("hard.csv", "soft.csv", "./p.csv"):
        with pytest.raises(InputError, match="fichier d'entrée"):
            check_output(tmp_path / alias, [("le fichier d'entrée", source)])
    with pytest.raises(InputError, match="catalogue national"):
        check_output(ROOT / "matcher" / "data" / "partners.csv")
    check_output(tmp_path / "r.csv", [("le fichier d'entrée", source)])  # a new name is fine


# -- -o a device or a FIFO ------------------------------------------------------------------
def test_a_named_pipe_is_written_in_place(tmp_path: Path) -> None:
    pipe = tmp_path / "tube"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    with TableWriter(pipe, ["id"]) as writer:
        writer.write([{"id": "=1"}])
    reader.join(5)
    assert received == ["id\r\n'=1\r\n".encode("utf-8-sig")]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tube"]


def make_device(path: Path, minor: int) -> Path:
    """A character device like /dev/null (minor 3) or /dev/full (minor 7), in the test's own folder."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        path.open("wb").close()
    except OSError:
        pytest.skip("creating a device node needs root and a folder mounted without nodev")
    return path


def test_a_device_is_written_in_place_never_replaced(tmp_path: Path) -> None:
    null = make_device(tmp_path / "null", 3)
    with TableWriter(null, ["id"], "xlsx") as writer:
        writer.write([{"id": "x"}] * 100)
    assert stat.S_ISCHR(null.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_full_device_is_one_french_line(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    full = make_device(tmp_path / "full", 7)
    write_csv(tmp_path / "p.csv", [["description"], [SANTE]])
    status, _, err = run("batch", tmp_path / "p.csv", "-o", full, "--quiet")
    one_french_error(status, err, f"Impossible d'écrire {full} : disque plein")
    assert stat.S_ISCHR(full.stat().st_mode)


# -- the temporary file ----------------------------------------------------------------------
def test_the_temporary_file_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victime.txt"
    victim.write_text("intact", encoding="utf-8")
    for pid in range(os.getpid() - 5, os.getpid() + 5):  # the old predictable names, ours among them
        (tmp_path / f".out.csv.{pid}.part").symlink_to(victim)
    with TableWriter(tmp_path / "out.csv", ["id"]) as writer:
        writer.write([{"id": "1"}])
    assert victim.read_text(encoding="utf-8") == "intact"
    assert (tmp_path / "out.csv").read_bytes().endswith(b"id\r\n1\r\n")


def test_the_output_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    old.write_text("ancien", encoding="utf-8")
    old.chmod(0o640)
    with TableWriter(old, ["id"]) as writer:
        writer.write([{"id": "1"}])
    assert stat.S_IMODE(old.stat().st_mode) == 0o640
    mask = os.umask(0o027)
    try:
        with TableWriter(tmp_path / "new.xlsx", ["id"], "xlsx") as writer:
            writer.write([{"id": "1"}])
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.xlsx").stat().st_mode) == 0o640


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("when", ["writing", "saving"])
def test_a_full_disk_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, when: str
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # openpyxl's sheet files go here
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"r.{fmt}"
    target.write_bytes(b"ancien")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def rows() -> Iterator[dict[str, str]]:
        for i in range(5_000):
            if when == "writing" and i == 4_000:
                full()
            yield {"id": str(i), "texte": "x" * 100}

    if when == "saving":
        monkeypatch.setattr(files.os, "replace", full)
    with pytest.raises(OSError, match="No space"), TableWriter(target, ["id", "texte"], fmt) as writer:
        writer.write(rows())
    assert target.read_bytes() == b"ancien"
    assert [p.name for p in out.iterdir()] == [f"r.{fmt}"]
    assert list(scratch.iterdir()) == []


SIGTERM_SCRIPT = """
import os, signal, sys
from matcher.files import TableWriter
def rows():
    for i in range(100_000):
        if i == 50_000:
            os.kill(os.getpid(), signal.SIGTERM)
        yield {"id": str(i), "texte": "x" * 60}
with TableWriter(sys.argv[1], ["id", "texte"], sys.argv[2]) as writer:
    writer.write(rows())
"""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sigterm_leaves_the_previous_file_and_no_temporary_file(tmp_path: Path, fmt: str) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    target = tmp_path / f"r.{fmt}"
    target.write_bytes(b"ancien")
    done = subprocess.run(
        [sys.executable, "-c", SIGTERM_SCRIPT, str(target), fmt],
        env={**os.environ, "TMPDIR": str(scratch)}, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert target.read_bytes() == b"ancien"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"r.{fmt}", "tmp"]
    assert list(scratch.iterdir()) == []


# -- --keep-columns name clash ------------------------------------------------------------------
def test_unique_output_names_keep_every_kept_column() -> None:
    names = unique_output_names(OUTPUT_COLUMNS, ["status", "status (entrée)", "Porteur"])
    assert names == {"status": "status (entrée) (2)", "status (entrée)": "status (entrée)", "Porteur": "Porteur"}


def test_unique_output_names_in_input_order_without_clash() -> None:
    kept = ["rank", "rank (entrée)", "rank (entrée) (2)", "score"]
    names = unique_output_names(OUTPUT_COLUMNS, kept)
    assert list(names) == kept
    assert len(set(names.values())) == len(kept)
    assert not set(names.values()) & set(OUTPUT_COLUMNS)


def test_keep_columns_with_a_clash_loses_nothing(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    write_csv(tmp_path / "p.csv", [["description", "status", "status (entrée)"], [SANTE, "a", "b"]])
    status, _, err = run("batch", tmp_path / "p.csv", "-o", tmp_path / "r.xlsx", "--keep-columns", "--quiet")
    assert status == 0, err
    header, first = list(openpyxl.load_workbook(tmp_path / "r.xlsx").worksheets[0].iter_rows(values_only=True))[:2]
    assert len(set(header)) == len(header)
    assert {"a", "b"} <= set(first)


# -- xlsx output beyond a sheet's rows -------------------------------------------------------------
def test_xlsx_output_past_a_sheets_rows_goes_on_to_new_sheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert files.XLSX_MAX_ROWS == 1_048_576
    monkeypatch.setattr(files, "XLSX_MAX_ROWS", 5)  # header + 4 rows per sheet
    with TableWriter(tmp_path / "r.xlsx", ["id"], "xlsx") as writer:
        writer.write({"id": str(i)} for i in range(10))
    assert writer.sheets == 3
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["résultats", "résultats 2", "résultats 3"]
    sheets = [[r[0] for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    assert all(s[0] == "id" for s in sheets)
    assert [v for s in sheets for v in s[1:]] == [str(i) for i in range(10)]


# -- formula cells without a cached value --------------------------------------------------------
def test_a_row_of_formulas_without_values_is_kept_with_a_note(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", {"Projets": [
        ["id", "description", "porteur"], ["P1", SANTE, "Mairie"], ["=A2", '=B2&" bis"', None], ["P3", "=B2", "Collège"],
    ]})  # fmt: skip
    rows = list(TableReader(path))
    assert [(r.line, r.cells, r.note) for r in rows] == [
        (2, {"id": "P1", "description": SANTE, "porteur": "Mairie"}, ""),
        (3, {"id": "", "description": "", "porteur": ""}, "formule sans valeur calculée : id, description"),
        (4, {"id": "P3", "description": "", "porteur": "Collège"}, "formule sans valeur calculée : description"),
    ]


# -- encodings --------------------------------------------------------------------------------
def test_a_utf8_line_in_a_cp1252_file_is_read_as_utf8_and_reported(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mix.csv"
    path.write_bytes(
        "id;description\r\n1;Éveil musical à l'école\r\n".encode("cp1252")
        + "2;Atelier théâtre\r\n".encode()
        + "3;Noël des familles\r\n".encode("cp1252")
    )
    reader = TableReader(path)
    assert reader.encoding == "cp1252"
    rows = list(reader)
    assert [r.cells["description"] for r in rows] == ["Éveil musical à l'école", "Atelier théâtre", "Noël des familles"]
    assert [bool(r.note) for r in rows] == [False, True, False] and "UTF-8" in rows[1].note
    assert len(reader.warnings) == 1 and "mix.csv" in reader.warnings[0] and "lignes 3 " in reader.warnings[0]
    status, _, err = run("batch", path, "-o", tmp_path / "r.csv", "--quiet")
    assert status == 0 and err == reader.warnings[0] + "\n"


def test_iso_8859_15_keeps_its_oe(tmp_path: Path) -> None:
    path = tmp_path / "latin9.csv"
    path.write_bytes("id;description\n1;Une œuvre pour le cœur\n2;Théâtre\n".encode("iso8859_15"))
    reader = TableReader(path)
    assert reader.encoding == "iso8859_15"
    assert [r.cells["description"] for r in reader] == ["Une œuvre pour le cœur", "Théâtre"]


def test_cp1252_with_its_own_oe_and_euro_stays_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes("id;description\n1;L’œuvre : 5 € et ½ journée\n".encode("cp1252"))
    assert [r.cells["description"] for r in TableReader(path)] == ["L’œuvre : 5 € et ½ journée"]


def test_xlsx_ids_keep_their_zeros_and_dates_their_date(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "description", "date", "heure"])
    sheet.append([123, SANTE, datetime.date(2024, 3, 1), datetime.datetime(2024, 3, 1, 14, 30)])
    sheet["A2"].number_format = "00000"
    sheet["C2"].number_format = "dd/mm/yyyy"
    sheet.append([4.5, "x", 45352, True])
    book.save(tmp_path / "p.xlsx")
    assert [r.cells for r in TableReader(tmp_path / "p.xlsx")] == [
        {"id": "00123", "description": SANTE, "date": "01/03/2024", "heure": "01/03/2024 14:30"},
        {"id": "4.5", "description": "x", "date": "45352", "heure": "VRAI"},
    ]


# == Memory and time bounded ==================================================================
def test_a_huge_cell_is_refused_before_it_is_held(tmp_path: Path) -> None:
    path = raw_xlsx(tmp_path / "cellule.xlsx", [HEADER_ROW, b'<row r="2"><c t="inlineStr"><is><t>', *repeated(b"a", 60_000_000), b"</t></is></c></row>"])  # fmt: skip
    assert path.stat().st_size < 200_000
    error, peak, seconds = bounded(lambda: list(TableReader(path)))
    assert "cellule.xlsx, cellule A2 : plus de 1 000 000 caractères" in str(error)
    assert peak < 20_000_000 and seconds < 5


def test_a_huge_shared_text_is_refused_before_it_is_held(tmp_path: Path) -> None:
    shared = [b"<si><t>", *repeated(b"a", 60_000_000), b"</t></si>"]
    path = raw_xlsx(tmp_path / "textes.xlsx", [HEADER_ROW, b'<row r="2"><c t="s"><v>0</v></c></row>'], shared)
    error, peak, _ = bounded(lambda: TableReader(path))
    assert f"plus de {MAX_CELL_CHARS:,} caractères".replace(",", " ") in str(error)
    assert peak < 20_000_000


def test_a_header_of_millions_of_empty_cells_is_refused_at_excels_width(tmp_path: Path) -> None:
    path = raw_xlsx(tmp_path / "large.xlsx", [b"<row>", *repeated(b"<c/>", 2_000_000), b"</row>"])
    error, peak, seconds = bounded(lambda: TableReader(path))
    assert "la ligne 1 a plus de 16 384 colonnes" in str(error) and MAX_COLUMNS == 16_384
    assert peak < 5_000_000 and seconds < 5


def test_millions_of_empty_rows_are_refused_at_excels_height(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    far = raw_xlsx(tmp_path / "loin.xlsx", [HEADER_ROW, b'<row r="2"><c><v>1</v></c></row><row r="18000000"/>'])
    error, _, seconds = bounded(lambda: list(TableReader(far)))
    assert "la feuille a plus de 1 048 576 lignes" in str(error) and MAX_ROWS == 1_048_576 and seconds < 1
    monkeypatch.setattr(files, "MAX_ROWS", 50_000)  # the same count, one <row/> at a time, kept quick
    many = raw_xlsx(tmp_path / "vides.xlsx", [HEADER_ROW, b'<row r="2"><c><v>1</v></c></row>', *repeated(b"<row/>", 18_000_000)])  # fmt: skip
    assert many.stat().st_size < 300_000
    error, peak, seconds = bounded(lambda: list(TableReader(many)))
    assert "plus de 50 000 lignes" in str(error) and peak < 5_000_000 and seconds < 5


def test_cells_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_CELLS", 1_000)
    path = raw_xlsx(tmp_path / "cellules.xlsx", [HEADER_ROW, *(b"<row>" + b"<c><v>1</v></c>" * 10 + b"</row>" for _ in range(200))])  # fmt: skip
    with pytest.raises(InputError, match="plus de 1 000 cellules"):
        list(TableReader(path))


def test_header_handling_is_linear(tmp_path: Path) -> None:
    started = time.perf_counter()
    names = unique_columns(["statut"] * 4_000)
    assert len(set(names)) == 4_000 and names[:3] == ("statut", "statut (2)", "statut (3)")
    assert len(unique_columns([""] * 160_000 + ["description"])) == 160_001
    path = tmp_path / "entete.csv"
    path.write_text("description" + "," * 160_000 + "\n" + SANTE + "\n", encoding="utf-8")
    assert TableReader(path).columns == ("description",)
    path.write_text(",".join(["nom"] * 4_000) + "\n" + ",".join(["x"] * 4_000) + "\n", encoding="utf-8")
    assert len(TableReader(path).columns) == 4_000
    assert time.perf_counter() - started < 5


def test_a_csv_wider_than_excel_is_refused_with_the_count(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    path.write_text(",".join(f"c{i}" for i in range(20_000)) + "\n" + "x\n", encoding="utf-8")
    with pytest.raises(InputError, match="large.csv a 20 000 colonnes nommées ; la limite est de 16 384"):
        TableReader(path)


# == Crashes that must be one French line ======================================================
@pytest.mark.parametrize(("output", "words"), [("", "-o) est vide"), (".", "est un dossier"), ("/", "est un dossier")])
def test_impossible_outputs_are_one_line(
    tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch, output: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "p.csv", [["description"], [SANTE]])
    status, out, err = run("batch", "p.csv", "-o", output)
    one_french_error(status, err, words)
    assert out == "" and sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def test_an_xlsx_number_cell_holding_text_is_one_line(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    path = raw_xlsx(tmp_path / "p.xlsx", [HEADER_ROW, b'<row r="2"><c r="A2" t="n"><v>douze</v></c><c r="B2" t="inlineStr"><is><t>lecture</t></is></c></row>'])  # fmt: skip
    status, _, err = run("batch", path, "-o", tmp_path / "r.csv", "--quiet")
    one_french_error(status, err, "p.xlsx, cellule A2 : « douze » est enregistré comme un nombre")


def test_a_full_stdout_is_one_line(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    full = open("/dev/full", "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        monkeypatch.setattr(sys, "stdout", full)
        status, _, err = run("partners")
    finally:
        monkeypatch.undo()
        full.close()
    one_french_error(status, err, "sortie standard : disque plein")


FULL_STDOUT_SCRIPT = """
import sys
from matcher import cli
from matcher.catalogue import Partner
class Catalogue:
    partners_ = [Partner(f"p{i}", f"Partenaire {i}", "lecture", source="local") for i in range(2000)]
cli._matcher = lambda extra=(): Catalogue()
sys.exit(cli.main(["partners"]))
"""


def test_a_full_stdout_in_a_real_process_leaves_nothing_for_pythons_last_flush() -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-c", FULL_STDOUT_SCRIPT], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("Erreur : Impossible d'écrire sur la sortie standard : disque plein")
    assert done.stderr.count("\n") == 1


# == API and option traps ==================================================================
def test_a_nul_byte_anywhere_is_refused_with_its_line(tmp_path: Path) -> None:
    late = tmp_path / "tard.csv"
    late.write_bytes(b"id,description\n" + b"1,lecture partagee\n" * 5_000 + b"2,lec\x00ture\n")
    assert late.stat().st_size > 64 * 1024
    with pytest.raises(InputError, match=r"tard\.csv, ligne 5002 : octet nul.*binaires"):
        TableReader(late)
    early = tmp_path / "tot.csv"
    early.write_bytes(b"id,description\n1,lec\x00ture\n")
    with pytest.raises(InputError, match=r"tot\.csv, ligne 2 : octet nul"):
        TableReader(early)


@pytest.mark.parametrize("ending", [b"\x1a", b"\r\n\x1a", b"\x1a\r\n"])
def test_a_trailing_dos_end_of_file_mark_is_no_project(tmp_path: Path, ending: bytes) -> None:
    path = tmp_path / "dos.csv"
    path.write_bytes(b"id;description\r\n1;lecture\r\n2;jeux" + ending)
    assert [r.cells for r in TableReader(path)] == [
        {"id": "1", "description": "lecture"},
        {"id": "2", "description": "jeux"},
    ]


def test_duplicate_project_ids_are_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "projets.csv", [["project_id", "description"], ["a", "x"], ["b", "y"], ["a", "z"]])
    with pytest.raises(InputError, match=r"projets\.csv, ligne 4 : le projet « a » figure déjà ligne 2"):
        read_projects(path)


def test_duplicate_labels_are_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "labels.csv", [["project_id", "partner_id", "grade"], ["a", "p", "2"], ["a", "p", "1"]])
    with pytest.raises(InputError, match=r"labels\.csv, ligne 3 : .* déjà noté ligne 2"):
        read_labels(path)


@pytest.mark.parametrize("grade", ["99999", "-1", "3", "1.5", "deux", ""])
def test_a_grade_outside_0_1_2_is_refused(tmp_path: Path, run, grade: str) -> None:  # type: ignore[no-untyped-def]
    labels = write_csv(
        tmp_path / "labels.csv", [["project_id", "partner_id", "grade"], ["a", "p", "2"], ["a", "q", grade]]
    )
    with pytest.raises(InputError, match=r"labels\.csv, ligne 3 : la note .* n'est pas 0, 1 ou 2"):
        read_labels(labels)
    projects = write_csv(tmp_path / "projets.csv", [["project_id", "description"], ["a", SANTE]])
    status, _, err = run("evaluate", projects, labels)
    one_french_error(status, err, "ligne 3")


def test_labels_naming_unknown_projects_or_partners_are_warned(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    assert label_warnings({"a": {"ufsbd": 2}}, ["a"], ["ufsbd"]) == []
    warnings = label_warnings({"a": {"ufsbd": 2, "inconnu": 1}, "fantome": {"ufsbd": 1}}, ["a"], ["ufsbd"], "l.csv")
    assert len(warnings) == 2
    assert "l.csv cite 1 projet(s) absent(s)" in warnings[0] and "« fantome »" in warnings[0]
    assert "1 partenaire(s) absent(s) du catalogue" in warnings[1] and "« inconnu »" in warnings[1]
    projects = write_csv(tmp_path / "projets.csv", [["project_id", "description"], ["a", SANTE]])
    labels = write_csv(tmp_path / "labels.csv", [["project_id", "partner_id", "grade"], ["a", "ufsbd", "2"], ["b", "ufsbd", "1"]])  # fmt: skip
    status, out, err = run("evaluate", projects, labels)
    assert status == 0 and out.startswith("ndcg@5=")
    assert err.count("\n") == 1 and "labels.csv cite 1 projet(s) absent(s)" in err and "« b »" in err


def test_uploaded_bytes_get_the_same_checks() -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, part in PARTS.items():
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet " + MAIN + b'><sheetData><row r="2000000"/></sheetData></worksheet>')  # fmt: skip
    with pytest.raises(InputError, match="envoi.xlsx : la feuille a plus de 1 048 576 lignes"):
        TableReader(data.getvalue(), name="envoi.xlsx")
