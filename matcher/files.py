"""Reading and writing tables: every file the matcher touches goes through here.

CSV files are read with their encoding detected (a BOM's, else UTF-8 when the whole
file is valid UTF-8, else Windows-1252) and their delimiter taken from the header;
`.xlsx` files with openpyxl in read-only mode (also when named `.csv`). Rows stream:
nothing holds a whole file in memory. Entirely blank rows are skipped; a row's `line`
is its row number in a spreadsheet (header = 1), blank rows included.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .catalogue import CATALOGUE, NATIONAL, Partner, partners_from_rows, split_list
from .errors import InputError
from .thesaurus import THESAURUS, Thesaurus

SAMPLE_BYTES = 64 * 1024
BLOCK_BYTES = 256 * 1024
DELIMITERS = ",;\t|"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx (also .ods, .docx: openpyxl tells them apart)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or a password-protected workbook
CONTROL_BYTES = bytes(sorted(set(range(32)) - {9, 10, 11, 12, 13, 26}))  # 26: old DOS end-of-file mark
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767  # Excel's limit on a cell's characters
OTHER_SPREADSHEETS = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")

try:  # long project sheets must never hit the csv module's 128 KiB default
    csv.field_size_limit(sys.maxsize)
except OverflowError:  # pragma: no cover - 32-bit platforms
    csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number (header is row 1) and its cells."""

    line: int
    cells: dict[str, str]


class TableReader:
    """A CSV or Excel table: `columns` read at once, rows streamed by iteration.

    `source` is a path, or the bytes of an uploaded file with its `name`. A file that
    cannot be used (missing, binary, old .xls, empty, header only unless `require_rows` is
    false) raises InputError here, before any work starts.
    """

    def __init__(
        self,
        source: str | Path | bytes,
        name: str | None = None,
        sheet: str | None = None,
        *,
        require_rows: bool = True,
    ):
        self.source = source
        self.name = name or (Path(source).name if not isinstance(source, bytes) else "fichier")
        self.sheet = sheet
        if not isinstance(source, bytes) and not Path(source).is_file():
            raise InputError(f"Fichier introuvable : {source} ; vérifiez le chemin.")
        try:
            with self._open_binary() as f:
                head = f.read(SAMPLE_BYTES)
                if head.startswith(OLE_MAGIC):
                    raise InputError(
                        f"{self.name} est un classeur Excel ancien format (.xls) ou protégé par mot de passe ; "
                        "ouvrez-le dans Excel et enregistrez-le sans mot de passe en .xlsx ou en CSV."
                    )
                self.is_excel = head.startswith(ZIP_MAGIC) or Path(self.name).suffix.lower() in EXCEL_SUFFIXES
                if not self.is_excel:
                    f.seek(0)
                    self.encoding = detect_encoding(f, self.name)
                    self.delimiter = sniff_delimiter(head.decode(self.encoding, errors="replace"))
            header, has_rows = self._excel_head() if self.is_excel else self._csv_head()
        except OSError as error:
            raise InputError(
                f"Impossible de lire {self.name} : {error.strerror} ; vérifiez ses droits d'accès."
            ) from None
        self.columns = unique_columns(header)
        where = f"la feuille « {self.sheet} » de {self.name}" if self.sheet and self.is_excel else self.name
        if not self.columns and has_rows:
            raise InputError(
                f"{where} : la première ligne est vide ; elle doit porter les noms des colonnes "
                "(par exemple « Description »)."
            )
        if not self.columns:
            raise InputError(f"{where} est vide : il faut une ligne d'en-tête puis une ligne par projet.")
        if require_rows and not has_rows:
            raise InputError(f"{where} ne contient que la ligne d'en-tête ; ajoutez les lignes à traiter en dessous.")

    def __iter__(self) -> Iterator[Row]:
        return self._excel_rows() if self.is_excel else self._csv_rows()

    def _open_binary(self) -> IO[bytes]:
        return io.BytesIO(self.source) if isinstance(self.source, bytes) else open(self.source, "rb")

    # -- CSV -------------------------------------------------------------------------
    def _open_text(self) -> IO[str]:
        # the encoding fits the whole file: "replace" only meets its few stray bytes
        return io.TextIOWrapper(self._open_binary(), encoding=self.encoding, newline="", errors="replace")

    def _csv_head(self) -> tuple[list[str], bool]:
        """The first record, and whether a non-blank record follows it."""
        with self._open_text() as f:
            records = csv.reader(f, delimiter=self.delimiter)
            try:
                return next(records, []), any(_filled(values) for values in records)
            except csv.Error as error:
                raise InputError(f"{self.name} : CSV mal formé vers la ligne {records.line_num} ({error}).") from None

    def _csv_rows(self) -> Iterator[Row]:
        with self._open_text() as f:
            records = csv.reader(f, delimiter=self.delimiter)
            try:
                next(records, None)
                for number, values in enumerate(records, start=2):
                    if _filled(values):
                        yield Row(number, _cells(self.columns, values))
            except csv.Error as error:
                raise InputError(f"{self.name} : CSV mal formé vers la ligne {records.line_num} ({error}).") from None

    # -- Excel -----------------------------------------------------------------------
    @contextmanager
    def _worksheet(self) -> Iterator[Any]:
        import openpyxl

        with self._open_binary() as f:
            try:
                workbook = openpyxl.load_workbook(f, read_only=True, data_only=True)
            except Exception:  # openpyxl raises many types for a broken archive
                raise InputError(
                    f"{self.name} n'est pas un classeur Excel lisible ; ouvrez-le dans Excel et "
                    "enregistrez-le à nouveau en .xlsx (ou en CSV)."
                ) from None
            try:
                if self.sheet is not None and self.sheet not in workbook.sheetnames:
                    raise InputError(
                        f"{self.name} : pas de feuille « {self.sheet} » ; feuilles présentes : "
                        f"{', '.join(workbook.sheetnames)}."
                    )
                sheet = workbook[self.sheet] if self.sheet is not None else workbook.worksheets[0]
                sheet.reset_dimensions()  # some exporters write a wrong size ("A1"), which would hide rows
                yield sheet
            finally:
                workbook.close()

    def _excel_head(self) -> tuple[list[str], bool]:
        with self._worksheet() as sheet:
            rows = sheet.iter_rows(values_only=True)
            header = [_excel_text(v) for v in next(rows, ())]
            return header, any(_filled([_excel_text(v) for v in values]) for values in rows)

    def _excel_rows(self) -> Iterator[Row]:
        with self._worksheet() as sheet:
            rows = sheet.iter_rows(values_only=True)
            next(rows, None)
            for number, values in enumerate(rows, start=2):
                texts = [_excel_text(v) for v in values]
                if _filled(texts):
                    yield Row(number, _cells(self.columns, texts))


def detect_encoding(stream: IO[bytes] | bytes, name: str = "fichier") -> str:
    """A CSV's encoding: its BOM's, else UTF-8 or Windows-1252, whichever reads the whole file best.

    The whole stream is decoded once, block by block without holding it, so that an accent
    in Windows-1252 far down a file is not met halfway through the run. A file that is
    mostly UTF-8 with a few stray bytes stays UTF-8 (the bytes read as "�"); Latin-1 files
    read as Windows-1252, which agrees with Latin-1 on every printable character.
    """
    stream = io.BytesIO(stream) if isinstance(stream, bytes) else stream
    block = stream.read(SAMPLE_BYTES)
    if block.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    controls = len(block) - len(block.translate(None, CONTROL_BYTES))
    if b"\x00" in block or controls > 1 + len(block) // 100:
        raise InputError(
            f"{name} n'est pas un fichier texte (données binaires) ; fournissez un CSV ou un classeur .xlsx."
        )
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    invalid = accents = 0  # bytes that are not UTF-8; bytes of well-formed multi-byte characters
    while block:
        text = decoder.decode(block)
        bad = text.count("\ufffd")
        invalid += bad
        accents += len(text.encode()) - len(text) - 2 * bad
        block = stream.read(BLOCK_BYTES)
    invalid += decoder.decode(b"", final=True).count("\ufffd")
    return "utf-8" if accents > invalid or not invalid else "cp1252"


def sniff_delimiter(sample: str) -> str:
    """The delimiter among `, ; tab |` that splits the header into the most columns.

    Only the header is trusted: descriptions are full of commas and semicolons. A file of
    one column gets a delimiter its text does not use, so that its cells stay whole.
    """

    def width(delimiter: str) -> int:
        records = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            return len(next((r for r in records if _filled(r)), []))
        except csv.Error:
            return 0

    widths = {d: width(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: widths[d])
    return best if widths[best] > 1 else min(DELIMITERS, key=sample.count)


def unique_columns(header: Sequence[str]) -> tuple[str, ...]:
    """Header names on one line and unique ("Nom", "Nom (2)"), blanks named by position."""
    names: list[str] = []
    for i, raw in enumerate(header, start=1):
        name = " ".join(str(raw).replace("\ufeff", "").split()) or f"colonne {i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base} ({n})", n + 1
        names.append(name)
    while names and names[-1] == f"colonne {len(names)}":
        names.pop()  # trailing empty header cells from spreadsheet exports
    return tuple(names)


def _filled(values: Iterable[str]) -> bool:
    return any(v and v.strip() for v in values)


def _cells(columns: Sequence[str], values: Sequence[str]) -> dict[str, str]:
    return {c: (values[i] if i < len(values) and values[i] is not None else "") for i, c in enumerate(columns)}


def _excel_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- catalogue -----------------------------------------------------------------------
def read_catalogue(path: str | Path | None = None, source: str | None = None) -> tuple[Partner, ...]:
    """Load and validate a catalogue file (the bundled national one by default)."""
    if path is None:
        reader = TableReader(CATALOGUE.read_bytes(), name=CATALOGUE.name, require_rows=False)
        label = source or NATIONAL
    else:
        reader = TableReader(path, require_rows=False)  # the catalogue says "aucun partenaire" itself
        label = source or Path(path).name
    return partners_from_rows(((row.line, row.cells) for row in reader), reader.columns, reader.name, label)


def read_catalogue_bytes(data: bytes, name: str) -> tuple[Partner, ...]:
    """Load a catalogue uploaded as bytes (the app's local catalogue)."""
    reader = TableReader(data, name=name, require_rows=False)
    return partners_from_rows(((r.line, r.cells) for r in reader), reader.columns, name, name)


def read_thesaurus(path: str | Path | None = None) -> Thesaurus:
    """Load `expression,related` rows ("a ; b ; c" lists) into a Thesaurus; other columns (sources) are notes."""
    reader = TableReader(THESAURUS.read_bytes(), name=THESAURUS.name) if path is None else TableReader(path)
    if len(reader.columns) < 2:
        raise InputError(f"{reader.name} : il faut deux colonnes, « expression » et « related ».")
    first, second = ("expression", "related") if {"expression", "related"} <= set(reader.columns) else reader.columns[:2]
    entries: dict[str, list[str]] = {}
    for row in reader:
        expression = row.cells[first].strip().lower()
        if expression:
            entries.setdefault(expression, []).extend(split_list(row.cells[second]))
    return Thesaurus({k: tuple(v) for k, v in entries.items()})


def read_projects(path: str | Path) -> dict[str, str]:
    """A labelled set's projects: `project_id` → `description`."""
    reader = TableReader(path)
    _require(reader, ("project_id", "description"))
    return {row.cells["project_id"].strip(): row.cells["description"] for row in reader}


def read_labels(path: str | Path) -> dict[str, dict[str, int]]:
    """Graded labels: `project_id` → {`partner_id`: grade}."""
    reader = TableReader(path)
    _require(reader, ("project_id", "partner_id", "grade"))
    labels: dict[str, dict[str, int]] = {}
    for row in reader:
        try:
            grade = int(row.cells["grade"])
        except ValueError:
            raise InputError(
                f"{reader.name}, ligne {row.line} : la note « {row.cells['grade']} » n'est pas un entier."
            ) from None
        labels.setdefault(row.cells["project_id"].strip(), {})[row.cells["partner_id"].strip()] = grade
    return labels


def _require(reader: TableReader, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in reader.columns]
    if missing:
        raise InputError(
            f"{reader.name} : colonne(s) manquante(s) {', '.join(missing)} ; colonnes présentes : "
            f"{', '.join(reader.columns)}."
        )


# -- writing -------------------------------------------------------------------------
def neutralize(value: Any) -> Any:
    """Make a cell inert in spreadsheets (OWASP CSV injection): prefix formula starters with '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class TableWriter:
    """Write rows to CSV or .xlsx as they come, every cell neutralised against formulas.

    CSV is UTF-8 with a BOM, so that Excel shows accents when the file is double-clicked;
    `excel=True` also uses `;` and decimal commas, which French-locale Excel splits into
    columns and numbers. In .xlsx, control characters are dropped and cells cut at Excel's
    32,767 characters. A path is written through a temporary file renamed at the end:
    a failed run leaves the previous file as it was, never half a file.
    """

    def __init__(self, target: str | Path | IO[bytes], columns: Sequence[str], fmt: str = "csv", excel: bool = False):
        if fmt not in ("csv", "xlsx"):
            raise InputError(f"Format de sortie inconnu « {fmt} » ; choisissez csv ou xlsx.")
        self.columns = list(columns)
        self.fmt = fmt
        self.excel = excel
        self._target = target
        self._partial: Path | None = None
        if isinstance(target, (str, Path)):
            path = Path(target)
            self._partial = path.with_name(f".{path.name}.{os.getpid()}.part")
            self._binary: IO[bytes] = open(self._partial, "wb")
        else:
            self._binary = target
        if fmt == "xlsx":
            import openpyxl

            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet("résultats")
            self._sheet.append(self.columns)
        else:
            self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="", write_through=True)
            self._csv = csv.writer(self._text, delimiter=";" if excel else ",")
            self._csv.writerow(self.columns)

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if self.fmt == "xlsx":
                self._sheet.append([_xlsx_cell(row.get(c, "")) for c in self.columns])
            else:
                self._csv.writerow([self._csv_cell(row.get(c, "")) for c in self.columns])

    def _csv_cell(self, value: Any) -> Any:
        if self.excel and isinstance(value, float):
            value = str(value).replace(".", ",")
        return neutralize(value)

    def close(self) -> None:
        """Finish the file; a path target replaces the previous file only now."""
        if self.fmt == "xlsx":
            self._book.save(self._binary)
        else:
            self._text.flush()
            self._text.detach()
        if self._partial is not None:
            self._binary.close()
            try:
                os.replace(self._partial, self._target)
            except OSError:
                self._partial.unlink(missing_ok=True)
                raise

    def abort(self) -> None:
        """Give up: a path target keeps its previous content, the temporary file goes."""
        if self.fmt == "csv":
            self._text.detach()
        else:
            self._sheet.close()  # ends openpyxl's temporary sheet file cleanly
        if self._partial is not None:
            self._binary.close()
            self._partial.unlink(missing_ok=True)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _xlsx_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):  # control characters first, so none hides a formula from neutralize
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = neutralize(ILLEGAL_CHARACTERS_RE.sub("", value))[:XLSX_CELL_LIMIT]
    return value


def output_format(path: str | Path, fmt: str | None = None) -> str:
    """`fmt` if given, else from the output file's extension: .xlsx, or CSV for any other."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in OTHER_SPREADSHEETS:
        raise InputError(
            f"Les résultats ne peuvent pas être écrits en {suffix} ; nommez le fichier de sortie en .csv ou .xlsx."
        )
    return "xlsx" if suffix == ".xlsx" else "csv"
