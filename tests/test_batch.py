"""Batch matching end to end: `matcher batch` on every kind of input, row accounting, inert outputs."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

import matcher.batch as batch_module
import matcher.cli as cli
from matcher.batch import (
    OUTPUT_COLUMNS,
    TRUNCATED,
    BatchJob,
    Summary,
    guess_id_column,
    guess_text_columns,
    resolve_columns,
)
from matcher.batch import run as run_batch
from matcher.errors import InputError
from matcher.files import Row
from matcher.index import PartnerMatcher
from matcher.results import EMPTY
from matcher.text import MAX_CHARS

from .conftest import write_csv, write_xlsx

SANTE = "Éducation à la santé : ateliers d'hygiène bucco-dentaire et de nutrition pour les collégiens"
THEATRE = "Atelier de théâtre pour les parents et les enfants de l'école élémentaire"
HOSTILE = ['=HYPERLINK("http://x","clic")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="session")
def engine(matcher: PartnerMatcher) -> PartnerMatcher:
    """The index shared by the whole session (conftest.py), built once."""
    return matcher


@pytest.fixture
def run(engine: PartnerMatcher, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """`matcher batch ARGS` in-process with the shared engine: (exit status, stdout, stderr)."""
    built: list[object] = []

    def shared(extra: object = ()) -> PartnerMatcher:
        built.append(extra)
        return engine

    monkeypatch.setattr(cli, "_matcher", shared)

    def invoke(*args: object) -> tuple[int, str, str]:
        status = cli.main(["batch", *map(str, args)])
        out, err = capsys.readouterr()
        return status, out, err

    invoke.built = built  # type: ignore[attr-defined]
    return invoke


def read_output(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    header = next(reader)
    assert header[0] == "\ufeffproject_id"
    header[0] = "project_id"
    return [dict(zip(header, values)) for values in reader]


def read_xlsx(path: Path) -> list[dict[str, object]]:
    values = list(
        openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    return [dict(zip(values[0], ("" if v is None else v for v in row))) for row in values[1:]]


def ranked(engine: PartnerMatcher, text: str, k: int) -> list[str]:
    """The oracle: partner ids that a single search gives for `text`."""
    return [m.partner_id for m in engine.search(text, k).matches]


def project_order(rows: list[dict[str, str]]) -> list[str]:
    """Project ids in output order, each once."""
    return [key for key, _ in itertools.groupby(r["project_id"] for r in rows)]


# -- column guessing ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("columns", "texts", "ident"),
    [
        (["Intitulé", "Description de l'action", "Porteur"], ("Intitulé", "Description de l'action"), None),
        (["N°", "Porteur", "Description de l’action"], ("Description de l’action",), "N°"),
        (["project_id", "description"], ("description",), "project_id"),
        (["Identifiant", "Texte"], ("Texte",), "Identifiant"),
        (["ID projet", "Porteur du projet", "Texte du projet"], ("Texte du projet",), "ID projet"),
        (["code", "title", "summary"], ("title", "summary"), "code"),
        (["Code postal", "Objectifs de l'action"], ("Objectifs de l'action",), None),
        (["Projet"], ("Projet",), None),
        (["N° action", "Intitulé", "Description"], ("Intitulé", "Description"), "N° action"),
        (["Numéro", "Description"], ("Description",), "Numéro"),
        (["Réf.", "Texte du projet"], ("Texte du projet",), "Réf."),
    ],
)
def test_columns_are_guessed_from_french_and_english_names(
    columns: list[str], texts: tuple[str, ...], ident: str | None
) -> None:
    assert guess_text_columns(columns) == texts
    assert guess_id_column(columns, texts) == ident
    assert resolve_columns(columns) == (texts, ident)


def test_every_output_row_carries_the_projects_title(engine: PartnerMatcher) -> None:
    rows = [Row(2, {"Réf.": "A1", "Intitulé": "Club lecture", "Description": THEATRE})]
    job = BatchJob.for_columns(["Réf.", "Intitulé", "Description"])
    out = list(run_batch(engine, rows, job, k=2))
    assert {r["title"] for r in out} == {"Club lecture"} and {r["project_id"] for r in out} == {"A1"}


def test_explicit_columns_override_the_guess() -> None:
    columns = ["Intitulé", "Description", "Porteur", "Réf"]
    assert resolve_columns(columns, ["porteur", "intitule"], "réf") == (("Porteur", "Intitulé"), "Réf")


def test_unknown_explicit_column_lists_the_columns() -> None:
    with pytest.raises(InputError, match="« Résumé » absente.*« Intitulé », « Porteur »"):
        resolve_columns(["Intitulé", "Porteur"], ["Résumé"])
    with pytest.raises(InputError, match="--id-column"):
        resolve_columns(["Description"], id_column="numéro")


def test_no_text_column_lists_the_columns_and_the_flag() -> None:
    with pytest.raises(InputError, match="colonnes présentes : « Porteur », « Budget ».*--text-column") as error:
        resolve_columns(["Porteur", "Budget"])
    assert "\n" not in str(error.value)


# -- run: streaming, accounting, deduplication ----------------------------------------------
def rows_of(texts: list[str]) -> list[Row]:
    return [Row(line, {"id": "", "texte": text}) for line, text in enumerate(texts, start=2)]


def test_rows_stream_a_chunk_at_a_time(engine: PartnerMatcher) -> None:
    pulled = 0

    def endless() -> Iterator[Row]:
        nonlocal pulled
        for line in itertools.count(2):
            pulled += 1
            yield Row(line, {"texte": THEATRE if line % 2 else SANTE})

    output = run_batch(engine, endless(), BatchJob(("texte",), None), k=1, chunk_size=4)
    first = list(itertools.islice(output, 6))
    assert [r["project_id"] for r in first] == ["2", "3", "4", "5", "6", "7"]
    assert pulled == 8  # two chunks of four rows, no more


def test_repeated_descriptions_are_analysed_once(engine: PartnerMatcher, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    search_many = engine.search_many

    def spy(texts, *args, **kwargs):  # type: ignore[no-untyped-def]
        def recorded():  # type: ignore[no-untyped-def]
            for text in texts:
                seen.append(text)
                yield text

        return search_many(recorded(), *args, **kwargs)

    monkeypatch.setattr(engine, "search_many", spy)
    texts = [SANTE, THEATRE, SANTE, "", SANTE, THEATRE, "", SANTE]
    summary = Summary()
    out = list(run_batch(engine, rows_of(texts), BatchJob(("texte",), "id"), k=2, summary=summary, chunk_size=3))
    assert seen == [SANTE, THEATRE, ""]
    assert project_order(out) == [str(n) for n in range(2, 10)]
    assert (summary.read, summary.empty, summary.matched) == (8, 2, 6)
    by_id = {r["project_id"]: r for r in out}
    assert by_id["5"]["status"] == EMPTY and by_id["5"]["partner_id"] == "" and by_id["5"]["rank"] == ""


# -- the CLI on every kind of input -----------------------------------------------------------
FRENCH_HEADER = ["Intitulé", "Description de l'action", "Porteur"]


def test_cp1252_semicolon_file_with_french_columns(tmp_path: Path, run, engine: PartnerMatcher) -> None:  # type: ignore[no-untyped-def]
    rows = [
        FRENCH_HEADER,
        ["Santé", SANTE, "Collège Jean-Moulin"],
        ["", "", "Mairie"],  # no text at all
        ["Théâtre", THEATRE, ""],
        ["Santé", SANTE, "Collège Jean-Moulin"],  # duplicate
        ["Plop", "xyzzy flurbo", ""],
    ]
    source = write_csv(tmp_path / "actions.csv", rows, "cp1252", ";")
    output = tmp_path / "résultats.csv"
    status, out, err = run(source, "-o", output, "-k", 3)
    assert (status, out) == (0, "")
    result = read_output(output)
    assert list(result[0]) == list(OUTPUT_COLUMNS)
    assert list(OUTPUT_COLUMNS) == ["project_id", "rank", "partner_id", "partner_name", "score", "confidence", "reason", "status"]  # fmt: skip
    assert project_order(result) == ["2", "3", "4", "5", "6"]  # no id column: spreadsheet line numbers
    empty = [r for r in result if r["project_id"] == "3"]
    assert len(empty) == 1 and empty[0]["status"] == "description vide"
    assert (empty[0]["partner_id"], empty[0]["rank"], empty[0]["score"]) == ("", "", "")
    first = [r for r in result if r["project_id"] == "2"]
    assert [r["rank"] for r in first] == ["1", "2", "3"][: len(first)] and first[0]["status"] == "ok"
    assert [r["partner_id"] for r in first] == ranked(engine, f"Santé. {SANTE}", 3)  # title and description joined
    assert [r["partner_name"] for r in first] == [m.name for m in engine.search(f"Santé. {SANTE}", 3).matches]
    assert [r["partner_id"] for r in first] == [r["partner_id"] for r in result if r["project_id"] == "5"]
    assert [r["status"] for r in result if r["project_id"] == "6"] == ["aucun mot exploitable"]
    assert any("é" in r["partner_name"] for r in result)
    assert err.count("\n") == 1
    assert "5 projet(s) lu(s)" in err and "1 sans description" in err and "1 sans correspondance claire" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", "\t"), ("latin-1", ";")])
def test_encodings_and_delimiters_end_to_end(
    tmp_path: Path, run, engine: PartnerMatcher, encoding: str, delimiter: str
) -> None:  # type: ignore[no-untyped-def]
    source = write_csv(
        tmp_path / "p.txt", [["identifiant", "texte"], ["A-1", SANTE], ["A-2", THEATRE]], encoding, delimiter
    )
    status, _, err = run(source, "-o", tmp_path / "r.csv", "-k", 1, "--quiet")
    assert (status, err) == (0, "")
    result = read_output(tmp_path / "r.csv")
    assert [(r["project_id"], r["partner_id"]) for r in result] == [
        ("A-1", *ranked(engine, SANTE, 1)),
        ("A-2", *ranked(engine, THEATRE, 1)),
    ]


def test_ids_default_to_line_numbers_when_missing(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    source = write_csv(
        tmp_path / "p.csv", [["id", "description"], ["P1", SANTE], ["", THEATRE], ["P3", ""], ["  ", SANTE]]
    )
    assert run(source, "-o", tmp_path / "r.csv", "-k", 1, "--quiet")[0] == 0
    assert project_order(read_output(tmp_path / "r.csv")) == ["P1", "3", "P3", "5"]


def test_xlsx_in_xlsx_out_matches_csv_out(tmp_path: Path, run, engine: PartnerMatcher) -> None:  # type: ignore[no-untyped-def]
    source = write_xlsx(tmp_path / "p.xlsx", {
        "Synthèse": [["Nombre"], [3]],
        "Actions": [["N°", "Intitulé", "Description de l'action"], [1, "Santé", SANTE], [None, None, None], [2, "", ""], [3, "Théâtre", THEATRE]],
    })  # fmt: skip
    assert run(source, "--sheet", "Actions", "-o", tmp_path / "r.xlsx", "-k", 2, "--quiet")[0] == 0
    assert run(source, "--sheet", "Actions", "-o", tmp_path / "r.csv", "-k", 2, "--quiet")[0] == 0
    xlsx, text = read_xlsx(tmp_path / "r.xlsx"), read_output(tmp_path / "r.csv")
    assert list(xlsx[0]) == list(OUTPUT_COLUMNS)
    assert [{k: str(v) for k, v in r.items()} for r in xlsx] == text
    assert project_order(text) == ["1", "2", "3"]
    assert [r["partner_id"] for r in text[:2]] == ranked(engine, f"Santé. {SANTE}", 2)
    assert [r["partner_id"] for r in text[-2:]] == ranked(engine, f"Théâtre. {THEATRE}", 2)


def test_format_flag_overrides_the_extension(tmp_path: Path, run, engine: PartnerMatcher) -> None:  # type: ignore[no-untyped-def]
    source = write_csv(tmp_path / "p.csv", [["description"], [SANTE]])
    assert run(source, "-o", tmp_path / "r.dat", "--format", "xlsx", "--quiet")[0] == 0
    assert read_xlsx(tmp_path / "r.dat")[0]["partner_id"] == ranked(engine, SANTE, 1)[0]


def test_excel_flag_writes_semicolons(tmp_path: Path, run, engine: PartnerMatcher) -> None:  # type: ignore[no-untyped-def]
    source = write_csv(tmp_path / "p.csv", [["description"], [SANTE]])
    assert run(source, "-o", tmp_path / "r.csv", "--excel", "-k", 1, "--quiet")[0] == 0
    text = (tmp_path / "r.csv").read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(OUTPUT_COLUMNS)
    row = read_output(tmp_path / "r.csv", ";")[0]
    assert row["partner_id"] == ranked(engine, SANTE, 1)[0] and "," in row["score"] and "." not in row["score"]


def test_keep_columns_and_joined_text_columns(
    tmp_path: Path, run, engine: PartnerMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    search_many = engine.search_many
    monkeypatch.setattr(
        engine, "search_many", lambda texts, *a, **kw: search_many((seen.append(t) or t for t in texts), *a, **kw)
    )
    rows = [
        ["Réf", "Intitulé", "Description", "Porteur", "status"],
        ["R1", "Théâtre", "avec les parents", "Mairie", "en cours"],
    ]
    source = write_csv(tmp_path / "p.csv", rows)
    args = (
        source,
        "-o",
        tmp_path / "r.csv",
        "--text-column",
        "intitulé",
        "--text-column",
        "Description",
        "--id-column",
        "Réf",
    )
    assert run(*args, "--keep-columns", "-k", 2, "--quiet")[0] == 0
    assert seen == ["Théâtre. avec les parents"]
    result = read_output(tmp_path / "r.csv")
    assert list(result[0]) == [*OUTPUT_COLUMNS, "Réf", "Intitulé", "Description", "Porteur", "status (entrée)"]
    assert all((r["project_id"], r["Porteur"], r["status (entrée)"]) == ("R1", "Mairie", "en cours") for r in result)
    assert result[0]["status"] == "ok"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_hostile_cells_are_inert_in_the_output(tmp_path: Path, run, suffix: str) -> None:  # type: ignore[no-untyped-def]
    rows = [["id", "description", "commentaire"]]
    rows += [[h, f"{h} {SANTE}" if i % 2 else h, h] for i, h in enumerate(HOSTILE)]
    source = write_csv(tmp_path / "hostile.csv", rows)
    output = tmp_path / f"r.{suffix}"
    assert run(source, "-o", output, "--keep-columns", "-k", 2, "--quiet")[0] == 0
    result = read_output(output) if suffix == "csv" else read_xlsx(output)
    cells = [str(v) for r in result for v in r.values()]
    assert not [c for c in cells if c.startswith(PREFIXES)]
    projects = [
        key for key, _ in itertools.groupby((r["project_id"], r["description"], r["commentaire"]) for r in result)
    ]
    expected = [("'" + h.strip(), "'" + description, "'" + h) for h, description, _ in rows[1:]]  # ids are stripped
    if suffix == "xlsx":  # XML reads a carriage return back as a line feed
        expected = [tuple(v.replace("\r", "\n") for v in row) for row in expected]
    assert projects == expected
    if suffix == "xlsx":
        sheet = openpyxl.load_workbook(output).worksheets[0]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_huge_field_is_matched_truncated_and_flagged(tmp_path: Path, run, engine: PartnerMatcher) -> None:  # type: ignore[no-untyped-def]
    huge = (SANTE + " ") * (300_000 // (len(SANTE) + 1) + 1)
    huge = huge[:300_000]
    source = write_csv(tmp_path / "p.csv", [["id", "description"], ["long", huge], ["court", THEATRE]])
    status, _, err = run(source, "-o", tmp_path / "r.csv", "--keep-columns", "-k", 1)
    assert status == 0
    result = read_output(tmp_path / "r.csv")
    assert [r["project_id"] for r in result] == ["long", "court"]
    assert result[0]["status"] == f"ok ({TRUNCATED})"
    assert result[0]["partner_id"] == ranked(engine, huge[:MAX_CHARS], 1)[0]
    assert result[1]["status"] == "ok"
    assert len(result[0]["description"]) == 300_000 > MAX_CHARS
    assert "1 tronqué(s)" in err


def test_jobs_2_gives_the_same_rows(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    source = write_csv(tmp_path / "p.csv", [["description"], [SANTE], [THEATRE], [""]])
    assert run(source, "-o", tmp_path / "one.csv", "--quiet")[0] == 0
    assert run(source, "-o", tmp_path / "two.csv", "--jobs", 2, "--quiet")[0] == 0
    assert read_output(tmp_path / "two.csv") == read_output(tmp_path / "one.csv")


# -- stderr: summary, progress, quiet ----------------------------------------------------------
class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    source = write_csv(tmp_path / "p.csv", [["description"], [SANTE]])
    _, _, err = run(source, "-o", tmp_path / "r.csv")
    assert "Projets traités" not in err and err.startswith("1 projet(s) lu(s)")
    terminal = FakeTTY()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["batch", str(source), "-o", str(tmp_path / "r.csv")]) == 0
    assert "Projets traités" in terminal.getvalue() and "1 projet(s) lu(s)" in terminal.getvalue()
    quiet = FakeTTY()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert cli.main(["batch", str(source), "-o", str(tmp_path / "r.csv"), "--quiet"]) == 0
    assert quiet.getvalue() == ""


# -- errors: one line on stderr, exit 2, no traceback ------------------------------------------
def error_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Name → (arguments, expected words) for each broken input."""
    (tmp / "vide.csv").write_bytes(b"")
    (tmp / "binaire.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (tmp / "ancien.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    (tmp / "entete.csv").write_text("id;description\n", encoding="utf-8")
    (tmp / "sans-texte.csv").write_text("Porteur;Budget\nMairie;100\n", encoding="utf-8")
    (tmp / "ok.csv").write_text(f"description\n{SANTE}\n", encoding="utf-8")
    write_xlsx(tmp / "classeur.xlsx", {"Projets": [["description"], [SANTE]], "Vide": [["id", "description"]]})
    return {
        "missing": (["absent.csv"], "introuvable"),
        "empty": (["vide.csv"], "est vide"),
        "binary": (["binaire.csv"], "binaire"),
        "xls": (["ancien.xls"], "ancien format (.xls)"),
        "header only": (["entete.csv"], "que la ligne d'en-tête"),
        "sheet without rows": (["classeur.xlsx", "--sheet", "Vide"], "que la ligne d'en-tête"),
        "unknown sheet": (["classeur.xlsx", "--sheet", "Bilan"], "feuilles présentes : Projets, Vide"),
        "no text column": (
            ["sans-texte.csv"],
            "colonnes présentes : « Porteur », « Budget ». Indiquez-la avec --text-column",
        ),
        "unknown text column": (["ok.csv", "--text-column", "résumé"], "« résumé » absente (--text-column)"),
        "output is input": (["ok.csv", "-o", "ok.csv"], "fichier d'entrée"),
        "output directory": (["ok.csv", "-o", "nulle/part/r.csv"], "Impossible d'écrire"),
        "output extension": (["ok.csv", "-o", "r.xls"], ".csv ou .xlsx"),
    }


ERROR_CASES = [
    "missing", "empty", "binary", "xls", "header only", "sheet without rows", "unknown sheet", "no text column",
    "unknown text column", "output is input", "output directory", "output extension",
]  # fmt: skip


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_are_one_line_and_exit_2(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch, case: str) -> None:  # type: ignore[no-untyped-def]
    args, words = error_inputs(tmp_path)[case]
    monkeypatch.chdir(tmp_path)
    if "-o" not in args:
        args = [*args, "-o", "r.csv"]
    status, out, err = run(*args)
    assert status == 2 and out == ""
    assert err.startswith("Erreur : ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in err
    assert run.built == []  # errors come before the engine is built
    assert not (tmp_path / "r.csv").exists()
    assert (tmp_path / "ok.csv").read_text(encoding="utf-8") == f"description\n{SANTE}\n"


def test_repeats_survive_the_cache_limit(engine: PartnerMatcher, monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts evicted from the repeat cache are analysed again, never lost."""
    monkeypatch.setattr(batch_module, "CACHE_SIZE", 2)
    texts = [f"atelier numéro {i % 5} de théâtre" for i in range(40)]
    out = list(run_batch(engine, rows_of(texts), BatchJob(("texte",), "id"), k=1, chunk_size=4))
    assert project_order(out) == [str(n) for n in range(2, 42)]
