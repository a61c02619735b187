"""Reading and writing tables: every file the matcher touches goes through here.

CSV files are read with their encoding detected (UTF-8, UTF-8 with BOM, UTF-16 with
BOM, else Windows-1252) and their delimiter sniffed; `.xlsx` files with openpyxl in
read-only mode. Rows stream: nothing holds a whole file in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .catalogue import CATALOGUE_PATH, NATIONAL, Partner, partners_from_rows, split_list
from .errors import InputError
from .thesaurus import THESAURUS_PATH, Thesaurus

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

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

    `source` is a path, or the bytes of an uploaded file with its `name`.
    """

    def __init__(self, source: str | Path | bytes, name: str | None = None, sheet: str | None = None):
        self.source = source
        self.name = name or (Path(source).name if not isinstance(source, bytes) else "fichier")
        self.sheet = sheet
        self.is_excel = Path(self.name).suffix.lower() in EXCEL_SUFFIXES
        if not isinstance(source, bytes):
            path = Path(source)
            if not path.is_file():
                raise InputError(f"Fichier introuvable : {source} ; vérifiez le chemin.")
        head = self._head()
        if self.is_excel:
            self.columns = self._excel_columns()
        else:
            if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
                raise InputError(
                    f"{self.name} est un classeur Excel mais son nom ne finit pas par .xlsx ; "
                    "renommez-le en .xlsx ou enregistrez-le en CSV."
                )
            self.encoding = detect_encoding(head, self.name)
            self.delimiter = sniff_delimiter(head.decode(self.encoding, errors="replace"))
            self.columns = self._csv_columns()
        if not self.columns:
            raise InputError(f"{self.name} est vide : il faut une ligne d'en-tête puis une ligne par projet.")

    def __iter__(self) -> Iterator[Row]:
        return self._excel_rows() if self.is_excel else self._csv_rows()

    # -- CSV -------------------------------------------------------------------------
    def _open_binary(self) -> IO[bytes]:
        return io.BytesIO(self.source) if isinstance(self.source, bytes) else open(self.source, "rb")

    def _head(self) -> bytes:
        with self._open_binary() as f:
            return f.read(SAMPLE_BYTES)

    def _open_text(self) -> IO[str]:
        return io.TextIOWrapper(self._open_binary(), encoding=self.encoding, newline="", errors="strict")

    def _csv_columns(self) -> tuple[str, ...]:
        with self._open_text() as f:
            try:
                header = next(csv.reader(f, delimiter=self.delimiter), [])
            except (UnicodeDecodeError, csv.Error) as error:
                raise InputError(f"{self.name} : en-tête illisible ({error}) ; enregistrez le fichier en CSV UTF-8.") from None
        return unique_columns(header)

    def _csv_rows(self) -> Iterator[Row]:
        with self._open_text() as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            try:
                next(reader, None)
                for number, values in enumerate(reader, start=2):
                    if values:
                        yield Row(number, _cells(self.columns, values))
            except UnicodeDecodeError:
                raise InputError(
                    f"{self.name} : encodage illisible après la ligne {number} ; "
                    "enregistrez le fichier en CSV UTF-8."
                ) from None
            except csv.Error as error:
                raise InputError(f"{self.name} : CSV mal formé vers la ligne {reader.line_num} ({error}).") from None

    # -- Excel -----------------------------------------------------------------------
    def _workbook(self) -> Any:
        import openpyxl

        try:
            source = io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source
            return openpyxl.load_workbook(source, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many types for a broken archive
            raise InputError(
                f"{self.name} n'est pas un classeur Excel lisible ; ouvrez-le dans Excel et "
                "enregistrez-le à nouveau en .xlsx (ou en CSV)."
            ) from None

    def _worksheet(self, workbook: Any) -> Any:
        if self.sheet is None:
            return workbook.worksheets[0]
        if self.sheet not in workbook.sheetnames:
            raise InputError(
                f"{self.name} : pas de feuille « {self.sheet} » ; feuilles présentes : "
                f"{', '.join(workbook.sheetnames)}."
            )
        return workbook[self.sheet]

    def _excel_columns(self) -> tuple[str, ...]:
        workbook = self._workbook()
        try:
            first = next(self._worksheet(workbook).iter_rows(values_only=True), ())
        finally:
            workbook.close()
        return unique_columns(["" if v is None else str(v) for v in first])

    def _excel_rows(self) -> Iterator[Row]:
        workbook = self._workbook()
        try:
            rows = self._worksheet(workbook).iter_rows(values_only=True)
            next(rows, None)
            for number, values in enumerate(rows, start=2):
                texts = [_excel_text(v) for v in values]
                if any(texts):
                    yield Row(number, _cells(self.columns, texts))
        finally:
            workbook.close()


def detect_encoding(head: bytes, name: str = "fichier") -> str:
    """The encoding of a CSV from its first bytes: a BOM, else UTF-8 if it decodes, else cp1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise InputError(
            f"{name} n'est pas un fichier texte (données binaires) ; fournissez un CSV ou un classeur .xlsx."
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut by the sample's end
            return "cp1252" if _decodes(head, "cp1252") else "latin-1"
    return "utf-8"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(sample: str) -> str:
    """The delimiter among `, ; tab |` that best splits the sample; a comma when in doubt."""
    try:
        return csv.Sniffer().sniff(sample[:SAMPLE_BYTES], delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def unique_columns(header: Sequence[str]) -> tuple[str, ...]:
    """Strip header names and make them unique ("Nom", "Nom (2)"), naming blanks by position."""
    names: list[str] = []
    for i, raw in enumerate(header, start=1):
        name = str(raw).replace("\ufeff", "").strip() or f"colonne {i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base} ({n})", n + 1
        names.append(name)
    while names and names[-1].startswith("colonne ") and names[-1] == f"colonne {len(names)}":
        names.pop()  # trailing empty header cells from spreadsheet exports
    return tuple(names)


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
    path = Path(path) if path is not None else CATALOGUE_PATH
    reader = TableReader(path)
    rows = ((row.line, row.cells) for row in reader)
    label = source or (NATIONAL if path == CATALOGUE_PATH else path.name)
    return partners_from_rows(rows, reader.columns, path.name, label)


def read_catalogue_bytes(data: bytes, name: str) -> tuple[Partner, ...]:
    """Load a catalogue uploaded as bytes (the app's local catalogue)."""
    reader = TableReader(data, name=name)
    return partners_from_rows(((r.line, r.cells) for r in reader), reader.columns, name, name)


def read_thesaurus(path: str | Path | None = None) -> Thesaurus:
    """Load `expression,related` rows ("a ; b ; c" lists) into a Thesaurus."""
    reader = TableReader(Path(path) if path else THESAURUS_PATH)
    if len(reader.columns) < 2:
        raise InputError(f"{reader.name} : il faut deux colonnes, « expression » et « related ».")
    first, second = reader.columns[:2]
    entries: dict[str, list[str]] = {}
    for row in reader:
        expression = row.cells[first].strip().lower()
        if expression:
            entries.setdefault(expression, []).extend(split_list(row.cells[second]))
    return Thesaurus(entries)


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
            raise InputError(f"{reader.name}, ligne {row.line} : la note « {row.cells['grade']} » n'est pas un entier.") from None
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
    """Write rows to CSV (UTF-8 with BOM, so Excel shows accents) or .xlsx, streaming.

    `excel=True` uses `;` as CSV delimiter, which French-locale Excel splits on double-click.
    """

    def __init__(self, target: str | Path | IO[bytes], columns: Sequence[str], fmt: str = "csv", excel: bool = False):
        self.columns = list(columns)
        self.fmt = fmt
        self._target = target
        if fmt == "xlsx":
            import openpyxl

            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet("résultats")
            self._sheet.append(self.columns)
        elif fmt == "csv":
            binary = open(target, "wb") if isinstance(target, (str, Path)) else target
            self._binary = binary
            self._text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", write_through=True)
            self._csv = csv.writer(self._text, delimiter=";" if excel else ",")
            self._csv.writerow(self.columns)
        else:
            raise InputError(f"Format de sortie inconnu « {fmt} » ; choisissez csv ou xlsx.")

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            values = [neutralize(row.get(c, "")) for c in self.columns]
            if self.fmt == "xlsx":
                self._sheet.append(["" if v is None else v for v in values])
            else:
                self._csv.writerow(values)

    def close(self) -> None:
        if self.fmt == "xlsx":
            self._book.save(self._target)
        else:
            self._text.flush()
            self._text.detach()
            if isinstance(self._target, (str, Path)):
                self._binary.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def output_format(path: str | Path, fmt: str | None = None) -> str:
    """`fmt` if given, else from the output file's extension (csv by default)."""
    if fmt:
        return fmt
    return "xlsx" if Path(path).suffix.lower() in EXCEL_SUFFIXES else "csv"
