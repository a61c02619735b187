"""Reading and writing tables: every file the matcher touches goes through here.

CSV files are read with their encoding detected (a BOM's; else UTF-8 when the file is
UTF-8; else Windows-1252 or ISO-8859-15, chosen by charset-normalizer) and their
delimiter taken from the header. A line in another encoding than the file's is read in
its own and reported, never garbled in silence. `.xlsx` files are read by a streaming
parser of their XML (also when named `.csv`), with limits on rows, columns, cells and
characters that hold before anything is expanded. Rows stream: nothing holds a whole
file in memory. Entirely blank rows are skipped; a row's `line` is its row number in a
spreadsheet (header = 1), blank rows included.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import errno
import io
import os
import posixpath
import re
import signal
import stat
import sys
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree
from xml.parsers import expat

from .catalogue import CATALOGUE, EXAMPLES, NATIONAL, Partner, partners_from_rows, split_list
from .errors import InputError
from .thesaurus import THESAURUS, Thesaurus

SAMPLE_BYTES = 64 * 1024
BLOCK_BYTES = 256 * 1024
DELIMITERS = ",;\t|"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx (also .ods, .docx: the workbook parts tell them apart)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or a password-protected workbook
CONTROL_BYTES = bytes(sorted(set(range(32)) - {9, 10, 11, 12, 13, 26}))  # 26: old DOS end-of-file mark
DOS_EOF = "\x1a"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767  # Excel's limit on a cell's characters
OTHER_SPREADSHEETS = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")
SINGLE_BYTE = ("cp1252", "iso8859_15")  # the French legacy encodings told apart by charset-normalizer
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "iso8859_15": "ISO-8859-15"}
HEADER_EXAMPLES = {"projet": "Description", "partenaire": "partner_id"}  # a column name quoted in messages
REPORTED_LINES = 10  # lines named one by one in an encoding report; the rest are counted

# Limits that hold whatever a file claims: a few kilobytes of xlsx can expand to gigabytes.
MAX_ROWS = 1_048_576  # Excel's rows per sheet
MAX_COLUMNS = 16_384  # Excel's columns per sheet
MAX_CELLS = 20_000_000  # cells in one sheet, empty ones included
MAX_CELL_CHARS = 1_000_000  # characters in one cell (30 times Excel's own limit)
MAX_ROW_CHARS = 10_000_000  # characters in one row (CSV: one record, all its lines)
MAX_SHARED_STRINGS = 2_000_000  # distinct texts of a workbook, all held while it is read
MAX_SHARED_CHARS = 100_000_000  # their characters
MAX_PART_BYTES = 64 * 1024 * 1024  # any other part of a workbook (styles, sheet list), uncompressed
XML_CHUNK = 64 * 1024

try:  # long project sheets must never hit the csv module's 128 KiB default
    csv.field_size_limit(sys.maxsize)
except OverflowError:  # pragma: no cover - 32-bit platforms
    csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number (header is row 1), its cells, and a note.

    `note` is empty, or says in French what the reader had to do with this row (a line
    read in another encoding, formulas without a computed value); the batch adds it to
    the row's status.
    """

    line: int
    cells: dict[str, str]
    note: str = ""


class TableReader:
    """A CSV or Excel table: `columns` read at once, rows streamed by iteration.

    `source` is a path, or the bytes of an uploaded file with its `name`. A file that
    cannot be used (missing, binary, old .xls, empty, header only unless `require_rows` is
    false, beyond the limits) raises InputError here, before any work starts; a fault
    found further down (an unclosed quote) raises it while rows are read. `warnings`
    holds, after an iteration, the French lines reporting what was read with care.
    `row_kind` names what a row is in the messages: "projet", or "partenaire" for a catalogue.
    """

    def __init__(
        self,
        source: str | Path | bytes,
        name: str | None = None,
        sheet: str | None = None,
        *,
        require_rows: bool = True,
        row_kind: str = "projet",
    ):
        self.source = source
        self.name = name or (Path(source).name if not isinstance(source, bytes) else "fichier")
        self.sheet = sheet
        self.warnings: list[str] = []
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
                f"Impossible de lire {self.name} : {os_reason(error)} ; vérifiez ses droits d'accès."
            ) from None
        self.columns = unique_columns(header)
        where = f"la feuille « {self.sheet} » de {self.name}" if self.sheet and self.is_excel else self.name
        if len(self.columns) > MAX_COLUMNS:
            raise InputError(
                f"{where} a {_n(len(self.columns))} colonnes nommées ; la limite est de {_n(MAX_COLUMNS)} (celle "
                "d'Excel) : gardez seulement les colonnes utiles."
            )
        if not self.columns and has_rows:
            raise InputError(
                f"{where} : la première ligne est vide ; elle doit porter les noms des colonnes "
                f"(par exemple « {HEADER_EXAMPLES.get(row_kind, 'Description')} »)."
            )
        if not self.columns:
            raise InputError(f"{where} est vide : il faut une ligne d'en-tête puis une ligne par {row_kind}.")
        if require_rows and not has_rows:
            raise InputError(f"{where} ne contient que la ligne d'en-tête ; ajoutez les lignes à traiter en dessous.")

    def __iter__(self) -> Iterator[Row]:
        return self._excel_rows() if self.is_excel else self._csv_rows()

    def _open_binary(self) -> IO[bytes]:
        return io.BytesIO(self.source) if isinstance(self.source, bytes) else open(self.source, "rb")

    # -- CSV -------------------------------------------------------------------------
    def _records(self, report: list[str] | None = None) -> Iterator[tuple[int, list[str], str]]:
        """(row number, values, note) of every CSV record, header included.

        A quoted cell that is still open at the end of the file, or that closes only
        to run into the next row's text, is an error naming the row where it opened:
        without it, every row after that one would vanish into a single cell.
        """
        with self._open_binary() as binary:
            text = io.TextIOWrapper(binary, encoding=self.encoding, newline="", errors=_errors(self.encoding))
            lines = _Lines(text, self.encoding, self.name)
            records = csv.reader(lines, delimiter=self.delimiter)
            number = 0
            while True:
                try:
                    values = next(records)
                except StopIteration:
                    break
                except csv.Error as error:
                    raise InputError(
                        f"{self.name}, ligne {number + 1} : CSV mal formé ({error}) ; corrigez cette ligne."
                    ) from None
                number += 1
                cut_by_the_end = lines.exhausted and bool(lines.record)  # csv hands back an open cell at EOF
                if cut_by_the_end or (len(lines.record) > 1 and not _well_formed(lines.record, self.delimiter)):
                    raise InputError(_open_quote_message(self.name, number, lines))
                note = lines.end_record(number, report)
                yield number, values, note

    def _csv_head(self) -> tuple[list[str], bool]:
        """The first record, and whether a non-blank record follows it."""
        with closing(self._records()) as records:
            header = next(records, (1, [], ""))[1]
            return header, any(_filled(values) for _, values, _ in records)

    def _csv_rows(self) -> Iterator[Row]:
        self.warnings = []
        report: list[str] = []
        records = self._records(report)
        next(records, None)
        for number, values, note in records:
            if _filled(values):
                yield Row(number, _cells(self.columns, values), note)
        self.warnings = _encoding_report(self.name, self.encoding, report)

    # -- Excel -----------------------------------------------------------------------
    @contextmanager
    def _worksheet(self) -> Iterator[Iterator[tuple[int, dict[int, str], tuple[int, ...]]]]:
        with self._open_binary() as f:
            try:
                with zipfile.ZipFile(f) as archive:
                    book = _Workbook(archive, self.name)
                    yield book.rows(self.sheet)
            except InputError:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, ElementTree.ParseError,
                    expat.ExpatError, NotImplementedError, RuntimeError):  # fmt: skip
                raise InputError(
                    f"{self.name} n'est pas un classeur Excel lisible ; ouvrez-le dans Excel et "
                    "enregistrez-le à nouveau en .xlsx (ou en CSV)."
                ) from None

    def _excel_head(self) -> tuple[list[str], bool]:
        with self._worksheet() as rows:
            first = next(rows, None)
            if first is None:
                return [], False
            number, cells, uncomputed = first
            if number > 1:  # row 1 is blank: this row is data
                return [], bool(cells or uncomputed)
            header = [""] * max(cells, default=0)
            for column, value in cells.items():
                header[column - 1] = value
            return header, any(any(v.strip() for v in c.values()) or u for _, c, u in rows)

    def _excel_rows(self) -> Iterator[Row]:
        positions = {i: name for i, name in enumerate(self.columns, start=1)}
        with self._worksheet() as rows:
            for number, cells, uncomputed in rows:
                if number == 1:
                    continue
                values = {name: cells.get(i, "") for i, name in positions.items()}
                missing = [positions[i] for i in uncomputed if i in positions]
                if missing or any(v.strip() for v in values.values()):
                    note = f"formule sans valeur calculée : {', '.join(missing)}" if missing else ""
                    yield Row(number, values, note)


class _Lines:
    """The physical lines of a CSV for `csv.reader`, watched for what the reader cannot see.

    Each line read in another encoding than the file's (a UTF-8 line in a Windows-1252
    file, or the reverse) is decoded in its own and remembered for the row's note; a
    DOS end-of-file mark (Ctrl-Z) ending the file is dropped; a record longer than
    MAX_ROW_CHARS stops the reading. `record` holds the lines of the record being read.
    """

    def __init__(self, text: IO[str], encoding: str, name: str):
        self._text = text
        self._encoding = encoding
        self._name = name
        self._repair = encoding in ("utf-8", "utf-8-sig", *SINGLE_BYTE)
        self._next: str | None = None
        self.line = 0  # physical lines read
        self.start = 1  # physical line where the current record starts
        self.record: list[str] = []
        self.record_chars = 0
        self.exhausted = False
        self._odd: list[tuple[int, str]] = []  # (physical line, how it was read) in the current record
        self._fallback: str | None = None  # the single-byte encoding of a UTF-8 file's odd lines

    def __iter__(self) -> _Lines:
        return self

    def _readline(self) -> str:
        line = self._text.readline(MAX_ROW_CHARS + 1 - self.record_chars)
        if len(line) > MAX_ROW_CHARS - self.record_chars:
            raise InputError(
                f"{self._name}, ligne {self.start} : plus de {_n(MAX_ROW_CHARS)} caractères dans une seule ligne "
                "du tableau ; vérifiez les guillemets de cette ligne ou découpez son texte."
            )
        return line

    def __next__(self) -> str:
        line = self._readline() if self._next is None else self._next
        if not line:
            self.exhausted = True
            raise StopIteration
        self._next = None
        self.line += 1
        if line.rstrip("\r\n").endswith(DOS_EOF):
            self._next = self._readline()
            if not self._next:
                line = line.rstrip("\r\n").rstrip(DOS_EOF)
        if self._repair and not line.isascii():
            line = self._decode_alone(line)
        self.record.append(line)
        self.record_chars += len(line)
        return line

    def _decode_alone(self, line: str) -> str:
        codec = "utf-8" if self._encoding.startswith("utf-8") else self._encoding
        raw = line.encode(codec, errors="surrogateescape")
        if codec == "utf-8":
            if not _SURROGATES.search(line):
                return line
            if self._fallback is None:
                self._fallback = _single_byte(raw)
            self._odd.append((self.line, ENCODING_NAMES[self._fallback]))
            return raw.decode(self._fallback, errors="replace")
        try:  # a non-ASCII line that is well-formed UTF-8 is UTF-8: cp1252 text almost never is
            fixed = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            self._odd.append((self.line, "UTF-8"))
            return fixed
        if _SURROGATES.search(line):  # a byte that the encoding leaves undefined
            self._odd.append((self.line, "?"))
            return _SURROGATES.sub("\ufffd", line)
        return line

    def end_record(self, number: int, report: list[str] | None) -> str:
        """Close the current record (row `number`); its note, if a line was read with care."""
        note = ""
        if self._odd:
            readings = sorted({how for _, how in self._odd})
            if readings == ["?"]:
                note = "caractères illisibles remplacés par « � »"
            else:
                note = f"ligne lue en {' et '.join(r for r in readings if r != '?')}, pas dans l'encodage du fichier"
            if report is not None:
                report.append(f"{number}")
        self._odd = []
        self.record = []
        self.record_chars = 0
        self.start = self.line + 1
        return note


_SURROGATES = re.compile("[\udc80-\udcff]")


def _errors(encoding: str) -> str:
    return "surrogateescape" if encoding in ("utf-8", "utf-8-sig", *SINGLE_BYTE) else "replace"


def _single_byte(raw: bytes) -> str:
    """Windows-1252 or ISO-8859-15 for bytes that are not UTF-8, as charset-normalizer judges them.

    On short French text both often score the same; then a 0xBC/0xBD byte inside a word
    is ISO-8859-15's Œ/œ ("\xbduvre" is "œuvre", not "½uvre").
    """
    from charset_normalizer import from_bytes

    scores = {m.encoding: (m.chaos, -m.coherence) for m in from_bytes(raw, cp_isolation=list(SINGLE_BYTE))}
    candidates = [e for e in SINGLE_BYTE if e in scores]
    if len(candidates) == 2 and scores[candidates[0]] == scores[candidates[1]]:
        return "iso8859_15" if _LATIN9_OE.search(raw) else "cp1252"
    return min(candidates, key=scores.__getitem__) if candidates else "cp1252"


_LATIN9_OE = re.compile(rb"[A-Za-z\xc0-\xff][\xbc\xbd]|[\xbc\xbd][A-Za-z\xc0-\xff]")


def _well_formed(lines: Sequence[str], delimiter: str) -> bool:
    """Whether lines read as one record follow the CSV rules strictly (quotes closed where they should)."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return False
    return True


def _open_quote_message(name: str, number: int, lines: _Lines) -> str:
    where = f"ligne {number}" if number == lines.start else f"ligne {number} (ligne {lines.start} du texte)"
    reach = "jusqu'à la fin du fichier" if lines.exhausted else f"sur {len(lines.record) - 1} ligne(s) suivante(s)"
    return (
        f"{name}, {where} : un guillemet ouvert dans cette ligne n'est pas refermé et sa cellule déborde {reach} ; "
        'refermez-le, ou doublez-le ("") s\'il fait partie du texte, puis relancez.'
    )


def _encoding_report(name: str, encoding: str, rows: Sequence[str]) -> list[str]:
    if not rows:
        return []
    listed = ", ".join(rows[:REPORTED_LINES]) + (
        f" et {len(rows) - REPORTED_LINES} autre(s)" if len(rows) > REPORTED_LINES else ""
    )
    return [
        f"Attention : {name} est en {ENCODING_NAMES.get(encoding, encoding)}, mais les lignes {listed} ne le sont "
        "pas ; elles ont été lues dans leur propre encodage et leur statut le signale : vérifiez leurs accents."
    ]


def detect_encoding(stream: IO[bytes] | bytes, name: str = "fichier") -> str:
    """A CSV's encoding: its BOM's, else UTF-8, else Windows-1252 or ISO-8859-15.

    The whole stream is read once, block by block without holding it: a NUL byte
    anywhere means the file is not text (an error naming its line), and an accent far
    down a file is seen before the run starts. A file whose non-ASCII bytes are mostly
    well-formed UTF-8 is UTF-8 (its other lines are read one by one in their own
    encoding, see `_Lines`); otherwise charset-normalizer chooses between Windows-1252
    and ISO-8859-15 (`œ` is 0x9C in one, 0xBD in the other) on the lines that are not UTF-8.
    """
    stream = io.BytesIO(stream) if isinstance(stream, bytes) else stream
    block = stream.read(SAMPLE_BYTES)
    if block.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    controls = len(block) - len(block.translate(None, CONTROL_BYTES))
    if controls > 1 + len(block) // 100:
        raise InputError(
            f"{name} n'est pas un fichier texte (données binaires) ; fournissez un CSV ou un classeur .xlsx."
        )
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    invalid = accents = lines = 0  # bytes that are not UTF-8; bytes of well-formed multi-byte characters
    sample = bytearray()  # lines that are not UTF-8, for charset-normalizer
    tail = b""
    while block:
        if b"\x00" in block:
            line = lines + block[: block.index(b"\x00")].count(b"\n") + 1
            raise InputError(
                f"{name}, ligne {line} : octet nul, ce n'est pas un fichier texte (données binaires) ; "
                "enregistrez-le à nouveau en CSV depuis le tableur."
            )
        text = decoder.decode(block)
        bad = text.count("\ufffd")
        invalid += bad
        accents += len(text.encode()) - len(text) - 2 * bad
        if bad and len(sample) < SAMPLE_BYTES:
            for raw in (tail + block).split(b"\n")[:-1]:
                if not raw.isascii() and len(sample) < SAMPLE_BYTES:
                    try:
                        raw.decode("utf-8")
                    except UnicodeDecodeError:
                        sample += raw + b"\n"
        tail = (tail + block).rsplit(b"\n", 1)[-1][-SAMPLE_BYTES:]
        lines += block.count(b"\n")
        block = stream.read(BLOCK_BYTES)
    invalid += decoder.decode(b"", final=True).count("\ufffd")
    if not invalid or accents > invalid:
        return "utf-8"
    if not tail.isascii():
        sample += tail
    return _single_byte(bytes(sample))


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
    """Header names on one line and unique ("Nom", "Nom (2)"), blanks named by position.

    Linear in the header's length, however many names repeat or are blank.
    """
    header = list(header)
    while header and not " ".join(str(header[-1]).replace("\ufeff", "").split()):
        header.pop()  # trailing empty header cells from spreadsheet exports
    return unique_names(
        [" ".join(str(raw).replace("\ufeff", "").split()) or f"colonne {i}" for i, raw in enumerate(header, 1)]
    )


def unique_names(names: Iterable[str], taken: Iterable[str] = ()) -> tuple[str, ...]:
    """`names` made unique, among themselves and against `taken`: a repeat becomes "Nom (2)", "Nom (3)"…"""
    used = set(taken)
    next_suffix: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        unique = name
        if unique in used:
            n = next_suffix.get(name, 2)
            while f"{name} ({n})" in used:
                n += 1
            next_suffix[name] = n + 1
            unique = f"{name} ({n})"
        used.add(unique)
        out.append(unique)
    return tuple(out)


def unique_output_names(fixed: Sequence[str], kept: Sequence[str], suffix: str = " (entrée)") -> dict[str, str]:
    """Output names for input columns carried along next to `fixed` columns (--keep-columns).

    `kept` are an input's column names (unique, as `unique_columns` makes them). A kept
    column keeps its name unless a fixed column has it; then it takes `suffix`
    ("status" → "status (entrée)"), and a number if that is taken too ("status (entrée)"
    also in the input → "status (entrée) (2)"). No two output columns share a name, so
    no value is lost.
    """
    plain = [name for name in kept if name not in fixed]
    renamed = iter(unique_names([f"{name}{suffix}" for name in kept if name in fixed], taken=[*fixed, *plain]))
    return {name: next(renamed) if name in fixed else name for name in kept}


def _filled(values: Iterable[str]) -> bool:
    return any(v and v.strip() for v in values)


def _cells(columns: Sequence[str], values: Sequence[str]) -> dict[str, str]:
    return {c: (values[i] if i < len(values) and values[i] is not None else "") for i, c in enumerate(columns)}


def _n(number: int) -> str:
    """1 048 576: thousands grouped the French way."""
    return f"{number:,}".replace(",", " ")


OS_REASONS = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota de disque dépassé",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "disque en lecture seule",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.ENXIO: "aucun lecteur à l'autre bout",
    errno.EFBIG: "fichier trop gros pour ce disque",
    errno.ENAMETOOLONG: "nom trop long",
}


def os_reason(error: OSError) -> str:
    """A system error's cause in French ("disque plein"), else the system's own words."""
    return OS_REASONS.get(error.errno or 0) or error.strerror or str(error)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's last flush of a full or closed stdout cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def stdout_error(error: OSError) -> str | None:
    """The French line for a failed write to stdout (`matcher partners > /dev/full`), or None if `error` is another."""
    if error.errno is None or error.filename is not None:
        return None
    return (
        f"Impossible d'écrire sur la sortie standard : {os_reason(error)} ; libérez de la place ou redirigez "
        "la sortie vers un autre fichier."
    )


# -- catalogue -----------------------------------------------------------------------
def read_catalogue(path: str | Path | None = None, source: str | None = None) -> tuple[Partner, ...]:
    """Load and validate a catalogue file (the bundled national one by default)."""
    if path is None:
        reader = TableReader(CATALOGUE.read_bytes(), name=CATALOGUE.name, require_rows=False, row_kind="partenaire")
        label = source or NATIONAL
    else:
        reader = TableReader(path, require_rows=False, row_kind="partenaire")  # "aucun partenaire" is said below
        label = source or Path(path).name
    return partners_from_rows(((row.line, row.cells) for row in reader), reader.columns, reader.name, label)


def read_catalogue_bytes(data: bytes, name: str) -> tuple[Partner, ...]:
    """Load a catalogue uploaded as bytes (the app's local catalogue)."""
    reader = TableReader(data, name=name, require_rows=False, row_kind="partenaire")
    return partners_from_rows(((r.line, r.cells) for r in reader), reader.columns, name, name)


def read_thesaurus(path: str | Path | None = None) -> Thesaurus:
    """Load `expression,related` rows ("a ; b ; c" lists) into a Thesaurus; other columns (sources) are notes."""
    reader = TableReader(THESAURUS.read_bytes(), name=THESAURUS.name) if path is None else TableReader(path)
    if len(reader.columns) < 2:
        raise InputError(f"{reader.name} : il faut deux colonnes, « expression » et « related ».")
    first, second = (
        ("expression", "related") if {"expression", "related"} <= set(reader.columns) else reader.columns[:2]
    )
    entries: dict[str, list[str]] = {}
    for row in reader:
        expression = row.cells[first].strip().lower()
        if expression:
            entries.setdefault(expression, []).extend(split_list(row.cells[second]))
    return Thesaurus({k: tuple(v) for k, v in entries.items()})


GRADES = (0, 1, 2)


def read_examples(path: str | Path | None = None) -> tuple[tuple[str, str, int], ...]:
    """Judged projects, `description,partner_id,grade` (the bundled ones by default), as the matcher learns them."""
    reader = TableReader(EXAMPLES.read_bytes(), name=EXAMPLES.name) if path is None else TableReader(path)
    _require(reader, ("description", "partner_id", "grade"))
    out = []
    for row in reader:
        raw = row.cells["grade"].strip()
        if raw not in ("0", "1", "2"):
            raise InputError(
                f"{reader.name}, ligne {row.line} : la note « {raw[:20]} » n'est pas 0, 1 ou 2 "
                "(0 : pas pertinent, 1 : en partie, 2 : pertinent) ; corrigez-la."
            )
        out.append((row.cells["description"], row.cells["partner_id"].strip(), int(raw)))
    return tuple(out)


def read_projects(path: str | Path) -> dict[str, str]:
    """A labelled set's projects: `project_id` → `description`; an id given twice is an error naming both lines."""
    reader = TableReader(path)
    _require(reader, ("project_id", "description"))
    projects: dict[str, str] = {}
    lines: dict[str, int] = {}
    for row in reader:
        project = row.cells["project_id"].strip()
        if not project:
            raise InputError(
                f"{reader.name}, ligne {row.line} : project_id est vide ; donnez un identifiant au projet."
            )
        if project in projects:
            raise InputError(
                f"{reader.name}, ligne {row.line} : le projet « {project} » figure déjà ligne {lines[project]} ; "
                "gardez une seule ligne par projet."
            )
        projects[project], lines[project] = row.cells["description"], row.line
    return projects


def read_labels(path: str | Path) -> dict[str, dict[str, int]]:
    """Graded labels: `project_id` → {`partner_id`: grade}, grades 0, 1 or 2, each pair once."""
    reader = TableReader(path)
    _require(reader, ("project_id", "partner_id", "grade"))
    labels: dict[str, dict[str, int]] = {}
    lines: dict[tuple[str, str], int] = {}
    for row in reader:
        raw = row.cells["grade"].strip()
        grade = int(raw) if re.fullmatch(r"[0-9]", raw) else None
        if grade not in GRADES:
            raise InputError(
                f"{reader.name}, ligne {row.line} : la note « {raw[:20]} » n'est pas 0, 1 ou 2 "
                "(0 : pas pertinent, 1 : en partie, 2 : pertinent) ; corrigez-la."
            )
        project, partner = row.cells["project_id"].strip(), row.cells["partner_id"].strip()
        if (project, partner) in lines:
            raise InputError(
                f"{reader.name}, ligne {row.line} : le couple « {project} », « {partner} » est déjà noté ligne "
                f"{lines[project, partner]} ; gardez une seule note par couple."
            )
        lines[project, partner] = row.line
        labels.setdefault(project, {})[partner] = grade
    return labels


def label_warnings(
    labels: Mapping[str, Mapping[str, int]],
    projects: Iterable[str],
    partners: Iterable[str],
    name: str = "le fichier d'étiquettes",
) -> list[str]:
    """French lines for labels that name a project or a partner the run does not know (they score 0 or never match)."""
    known_projects, known_partners = set(projects), set(partners)
    warnings = []
    unknown = sorted(p for p in labels if p not in known_projects)
    if unknown:
        warnings.append(
            f"Attention : {name} cite {len(unknown)} projet(s) absent(s) du fichier de projets "
            f"({_listing(unknown)}) ; ils comptent pour 0, vérifiez leurs identifiants."
        )
    strangers = sorted({p for grades in labels.values() for p in grades if p not in known_partners})
    if strangers:
        warnings.append(
            f"Attention : {name} cite {len(strangers)} partenaire(s) absent(s) du catalogue "
            f"({_listing(strangers)}) ; ils ne peuvent jamais être proposés, vérifiez leurs identifiants."
        )
    return warnings


def _listing(items: Sequence[str], shown: int = 5) -> str:
    more = f" et {len(items) - shown} autre(s)" if len(items) > shown else ""
    return ", ".join(f"« {i} »" for i in items[:shown]) + more


def _require(reader: TableReader, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in reader.columns]
    if missing:
        raise InputError(
            f"{reader.name} : colonne(s) manquante(s) {', '.join(missing)} ; colonnes présentes : "
            f"{', '.join(reader.columns)}."
        )


# -- xlsx ------------------------------------------------------------------------------
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DATE_PARTS = re.compile(r"[dmyhs]", re.I)
_PADDED = re.compile(r"^(0+)(?:\.(0+))?$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


class _Workbook:
    """The parts of an .xlsx that reading needs, parsed with limits before anything expands.

    Sheet list, number formats and shared texts are read at once (the texts with limits on
    their count and length, counted while they stream); a sheet's rows stream from
    `rows()`, with limits on rows, columns, cells and characters.
    """

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.archive = archive
        self.name = name
        self.parts = {info.filename: info for info in archive.infolist()}
        package = self._relations("_rels/.rels")
        workbook = next((p for kind, p in package.values() if kind == "officeDocument"), "xl/workbook.xml")
        root = self._xml(workbook)
        base, file = posixpath.split(workbook)
        rels = self._relations(posixpath.join(base, "_rels", file + ".rels"))
        self.sheets: dict[str, str] = {}
        self.epoch_1904 = False
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "sheet":
                rid = next((v for k, v in element.attrib.items() if k.endswith("}id") or k == "id"), "")
                if rid in rels:
                    self.sheets[element.get("name", "")] = rels[rid][1]
            elif tag == "workbookPr":
                self.epoch_1904 = element.get("date1904", "").lower() in ("1", "true")
        by_type = {kind: path for kind, path in rels.values()}
        self.formats = self._styles(by_type.get("styles"))
        self.strings = self._shared_strings(by_type.get("sharedStrings"))

    def _relations(self, path: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type's last word, part path)."""
        if path not in self.parts:
            return {}
        base = posixpath.dirname(posixpath.dirname(path))
        rels = {}
        for element in self._xml(path).iter():
            if _local(element.tag) == "Relationship":
                target = element.get("Target", "")
                target = (
                    target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
                )
                rels[element.get("Id", "")] = (element.get("Type", "").rsplit("/", 1)[-1], target)
        return rels

    def _xml(self, path: str) -> ElementTree.Element:
        info = self.parts[path]
        if info.file_size > MAX_PART_BYTES:
            raise InputError(
                f"{self.name} : la partie {path} du classeur fait {info.file_size // 2**20} Mo une fois décompressée "
                f"(limite {MAX_PART_BYTES // 2**20} Mo) ; enregistrez le classeur à nouveau depuis Excel, ou en CSV."
            )
        return ElementTree.fromstring(self.archive.read(path))

    def _styles(self, path: str | None) -> list[str]:
        """The number format of each cell style, by style index."""
        if not path or path not in self.parts:
            return []
        from openpyxl.styles.numbers import BUILTIN_FORMATS

        custom: dict[int, str] = {}
        formats: list[str] = []
        root = self._xml(path)
        for element in root.iter():
            if _local(element.tag) == "numFmt":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "General")
        for element in root.iter():
            if _local(element.tag) == "cellXfs":
                for xf in element:
                    number = int(xf.get("numFmtId", "0"))
                    formats.append(custom.get(number) or BUILTIN_FORMATS.get(number, "General"))
        return formats

    def _shared_strings(self, path: str | None) -> list[str]:
        if not path or path not in self.parts:
            return []
        strings: list[str] = []
        parts: list[str] = []
        state = {"chars": 0, "total": 0, "text": False, "phonetic": False}

        def start(tag: str, attrs: object) -> None:
            tag = _local(tag)
            if tag == "si":
                if len(strings) >= MAX_SHARED_STRINGS:
                    raise self._limit(f"plus de {_n(MAX_SHARED_STRINGS)} textes différents", "")
                parts.clear()
                state["chars"] = 0
            elif tag == "t":
                state["text"] = True
            elif tag == "rPh":
                state["phonetic"] = True

        def end(tag: str) -> None:
            tag = _local(tag)
            if tag == "si":
                strings.append("".join(parts))
            elif tag == "t":
                state["text"] = False
            elif tag == "rPh":
                state["phonetic"] = False

        def data(text: str) -> None:
            if state["text"] and not state["phonetic"]:
                state["chars"] += len(text)
                state["total"] += len(text)
                if state["chars"] > MAX_CELL_CHARS:
                    raise self._limit(
                        f"un texte de plus de {_n(MAX_CELL_CHARS)} caractères (texte n° {len(strings) + 1})", ""
                    )
                if state["total"] > MAX_SHARED_CHARS:
                    raise self._limit(f"plus de {_n(MAX_SHARED_CHARS)} caractères de texte", "")
                parts.append(text)

        self._parse(path, start, end, data)
        return strings

    def _parse(
        self, path: str, start: Callable[..., None], end: Callable[[str], None], data: Callable[[str], None]
    ) -> Iterator[None]:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        with self.archive.open(path) as stream:
            while chunk := stream.read(XML_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)

    def _limit(self, what: str, where: str) -> InputError:
        return InputError(
            f"{self.name}{where} : {what} ; ce classeur dépasse ce qu'un tableur produit, enregistrez-le à "
            "nouveau depuis Excel ou en CSV, ou découpez-le."
        )

    def rows(self, sheet: str | None) -> Iterator[tuple[int, dict[int, str], tuple[int, ...]]]:
        """(row number, column number → text of non-empty cells, columns of formulas never computed)."""
        if sheet is not None and sheet not in self.sheets:
            raise InputError(
                f"{self.name} : pas de feuille « {sheet} » ; feuilles présentes : {', '.join(self.sheets)}."
            )
        if not self.sheets:
            raise KeyError("no sheet")
        path = self.sheets[sheet] if sheet is not None else next(iter(self.sheets.values()))
        return _SheetParser(self, path).rows()


class _SheetParser:
    """A worksheet's rows, streamed from its XML with expat; limits are checked as it goes."""

    def __init__(self, book: _Workbook, path: str):
        self.book = book
        self.path = path
        self.done: list[tuple[int, dict[int, str], tuple[int, ...]]] = []
        self.row = 0
        self.column = 0
        self.cells = 0
        self.in_data = False
        self.cell: dict[str, Any] | None = None
        self.values: dict[int, str] = {}
        self.uncomputed: list[int] = []
        self.row_chars = 0
        self.text: str | None = None  # the element whose text is collected: "v", "t", or None

    def rows(self) -> Iterator[tuple[int, dict[int, str], tuple[int, ...]]]:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        with self.book.archive.open(self.path) as stream:
            while chunk := stream.read(XML_CHUNK):
                parser.Parse(chunk, False)
                yield from self.done
                self.done.clear()
        parser.Parse(b"", True)
        yield from self.done

    def _where(self) -> str:
        from openpyxl.utils.cell import get_column_letter

        return f", cellule {get_column_letter(min(self.column, MAX_COLUMNS))}{self.row}"

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = _local(tag)
        if tag == "sheetData":
            self.in_data = True
        elif not self.in_data:
            return
        elif tag == "row":
            self.row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row + 1
            if self.row > MAX_ROWS:
                raise self.book._limit(f"la feuille a plus de {_n(MAX_ROWS)} lignes (la limite d'Excel)", "")
            self.values, self.uncomputed, self.column, self.row_chars = {}, [], 0, 0
        elif tag == "c":
            self.column = _column_number(attrs.get("r", "")) or self.column + 1
            self.cells += 1
            if self.column > MAX_COLUMNS:
                raise self.book._limit(
                    f"la ligne {self.row} a plus de {_n(MAX_COLUMNS)} colonnes (la limite d'Excel)", ""
                )
            if self.cells > MAX_CELLS:
                raise self.book._limit(f"la feuille a plus de {_n(MAX_CELLS)} cellules", "")
            self.cell = {"t": attrs.get("t", "n"), "s": attrs.get("s", "0"), "f": False, "parts": [], "chars": 0}
        elif self.cell is None:
            return
        elif tag == "v":
            self.text = "v"
        elif tag == "f":
            self.cell["f"] = True
        elif tag == "t" and self.cell["t"] == "inlineStr" and self.text != "rPh":
            self.text = "t"
        elif tag == "rPh":
            self.text = "rPh"

    def data(self, text: str) -> None:
        if self.text not in ("v", "t") or self.cell is None:
            return
        self.cell["chars"] += len(text)
        self.row_chars += len(text)
        if self.cell["chars"] > MAX_CELL_CHARS:
            raise self.book._limit(f"plus de {_n(MAX_CELL_CHARS)} caractères dans une cellule", self._where())
        if self.row_chars > MAX_ROW_CHARS:
            raise self.book._limit(f"plus de {_n(MAX_ROW_CHARS)} caractères dans la ligne {self.row}", "")
        self.cell["parts"].append(text)

    def end(self, tag: str) -> None:
        tag = _local(tag)
        if tag == "sheetData":
            self.in_data = False
        elif not self.in_data:
            return
        elif tag in ("v", "t", "rPh"):
            self.text = None
        elif tag == "c" and self.cell is not None:
            raw = "".join(self.cell["parts"])
            if self.cell["f"] and not raw and self.cell["t"] != "str":
                self.uncomputed.append(self.column)
            elif raw:
                value = _cell_text(self.book, self.cell["t"], self.cell["s"], raw, self._where)
                if value:
                    self.values[self.column] = value
            self.cell = None
        elif tag == "row" and (self.values or self.uncomputed):  # blank rows are skipped anyway
            self.done.append((self.row, self.values, tuple(self.uncomputed)))


def _column_number(reference: str) -> int:
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
        if number > MAX_COLUMNS:
            return MAX_COLUMNS + 1
    return number


def _cell_text(book: _Workbook, kind: str, style: str, raw: str, where: Callable[[], str]) -> str:
    """A cell's text as a spreadsheet shows it: ids formatted `00000` keep their zeros, dates read as dates."""
    if kind == "s":
        try:
            return book.strings[int(raw)]
        except (ValueError, IndexError):
            raise InputError(
                f"{book.name}{where()} : la cellule renvoie au texte n° {raw}, absent du classeur ; "
                "enregistrez le classeur à nouveau depuis Excel."
            ) from None
    if kind == "b":
        return "VRAI" if raw.strip() in ("1", "true") else "FAUX"
    if kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        try:
            return _date_text(from_ISO8601(raw))
        except ValueError:
            return raw
    if kind != "n":  # str (a formula's text), inlineStr, e (#N/A…)
        return raw
    try:
        number = float(raw)
    except ValueError:
        raise InputError(
            f"{book.name}{where()} : « {raw[:40]} » est enregistré comme un nombre mais n'en est pas un ; "
            "corrigez cette cellule dans le tableur (format Texte) puis enregistrez à nouveau."
        ) from None
    index = int(style) if style.isdigit() else 0
    fmt = book.formats[index] if index < len(book.formats) else "General"
    return _number_text(number, fmt, book.epoch_1904, raw)


def _number_text(number: float, fmt: str, epoch_1904: bool, raw: str) -> str:
    from openpyxl.styles.numbers import is_date_format, is_timedelta_format
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    section = fmt.split(";", 1)[0]
    if section != "General" and is_date_format(section) and _DATE_PARTS.search(section):
        try:
            value = from_excel(
                number,
                CALENDAR_MAC_1904 if epoch_1904 else CALENDAR_WINDOWS_1900,
                timedelta=is_timedelta_format(section),
            )
            return _date_text(value)
        except (OverflowError, ValueError):
            return raw
    padded = _PADDED.match(section)
    if padded and number >= 0 and number < 1e15:
        width, decimals = len(section), len(padded.group(2) or "")
        return f"{number:0{width}.{decimals}f}"
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return str(number)


def _date_text(value: Any) -> str:
    """A date as French spreadsheets show it: 01/03/2024, 01/03/2024 14:30, 14:30."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M:%S" if value.second else "%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return str(value)


# -- writing -------------------------------------------------------------------------
XLSX_MAX_ROWS = MAX_ROWS  # rows per sheet, header included; more results go on to a new sheet


def neutralize(value: Any) -> Any:
    """Make a cell inert in spreadsheets (OWASP CSV injection): prefix formula starters with '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def check_output(target: str | Path, reads: Iterable[tuple[str, str | Path]] = ()) -> None:
    """Refuse an output path that cannot be a results file, or that is a file the command reads.

    `reads` are (what it is, path) pairs; the bundled catalogue and thesaurus are always
    among them. The same file is found through links and relative paths alike.
    """
    text = str(target)
    if not text.strip():
        raise InputError("Le nom du fichier de sortie (-o) est vide ; indiquez-en un, par exemple -o resultats.csv.")
    path = Path(text)
    if path.is_dir():
        raise InputError(
            f"La sortie {text} est un dossier ; indiquez un nom de fichier, par exemple -o {path / 'resultats.csv'}."
        )
    parent = Path(os.path.realpath(path)).parent
    if not parent.is_dir():
        raise InputError(
            f"Impossible d'écrire {text} : le dossier {path.parent} n'existe pas ; créez-le ou choisissez un autre chemin."
        )
    bundled = [
        ("le catalogue national fourni", Path(str(CATALOGUE))),
        ("le dictionnaire de synonymes fourni", Path(str(THESAURUS))),
        ("le fichier des projets jugés fourni", Path(str(EXAMPLES))),
    ]
    for what, read in [*reads, *bundled]:
        if _same_file(path, Path(read)):
            raise InputError(f"Le fichier de sortie {text} est aussi {what} ; choisissez un autre nom pour -o.")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class TableWriter:
    """Write rows to CSV or .xlsx as they come, every cell neutralised against formulas.

    CSV is UTF-8 with a BOM, so that Excel shows accents when the file is double-clicked;
    `excel=True` also uses `;` and decimal commas, which French-locale Excel splits into
    columns and numbers. In .xlsx, control characters are dropped, cells cut at Excel's
    32,767 characters, and rows beyond a sheet's 1,048,576 go on to the next sheet
    (`sheets` counts them). A regular file is written through a temporary file created
    exclusively beside it, with its permissions, and renamed at the end: a failed or
    terminated run (SIGTERM included) leaves the previous file as it was and no
    temporary file. A device or named pipe (/dev/null, a FIFO) is written in place.
    """

    def __init__(self, target: str | Path | IO[bytes], columns: Sequence[str], fmt: str = "csv", excel: bool = False):
        if fmt not in ("csv", "xlsx"):
            raise InputError(f"Format de sortie inconnu « {fmt} » ; choisissez csv ou xlsx.")
        self.columns = list(columns)
        self.fmt = fmt
        self.excel = excel
        self.sheets = 0
        self._partial: Path | None = None
        self._final: Path | None = None
        self._owned = isinstance(target, (str, Path))
        self._previous_handler: Any = None
        self._binary: IO[bytes] = self._open(target) if isinstance(target, (str, Path)) else target
        try:
            if fmt == "xlsx":
                import openpyxl

                self._book = openpyxl.Workbook(write_only=True)
                self._new_sheet()
            else:
                self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="", write_through=True)
                self._csv = csv.writer(self._text, delimiter=";" if excel else ",")
                self._csv.writerow(self.columns)
        except BaseException:
            self._discard()
            raise

    def _open(self, target: str | Path) -> IO[bytes]:
        check_output(target)
        path = Path(os.path.realpath(target))  # a symbolic link keeps pointing at the new content
        try:
            info: os.stat_result | None = path.stat()
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISREG(info.st_mode):
            return open(path, "wb")  # a device or a named pipe: written in place, never replaced
        fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)  # O_EXCL
        self._partial, self._final = Path(partial), path
        try:
            os.fchmod(fd, stat.S_IMODE(info.st_mode) if info else 0o666 & ~_umask())
            if info is not None and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(fd, info.st_uid, info.st_gid)
        except OSError:
            pass  # not the owner: the file keeps its mode, and becomes ours as any editor would make it
        self._catch_sigterm()
        return os.fdopen(fd, "wb")

    def _catch_sigterm(self) -> None:
        """Turn SIGTERM into SystemExit while the temporary file exists, so that it is removed."""
        if threading.current_thread() is not threading.main_thread():
            return
        current = signal.getsignal(signal.SIGTERM)
        if current not in (signal.SIG_DFL, None):
            return  # someone else handles it
        owner = os.getpid()

        def terminate(signum: int, frame: object) -> None:
            if os.getpid() != owner:  # a worker forked while the file was open: die as usual
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
                return
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, terminate)
        self._previous_handler = current

    def _release_sigterm(self) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGTERM, self._previous_handler)
            self._previous_handler = None

    def _new_sheet(self) -> None:
        self.sheets += 1
        self._sheet = self._book.create_sheet("résultats" if self.sheets == 1 else f"résultats {self.sheets}")
        self._sheet.append(self.columns)
        self._sheet_rows = 1

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if self.fmt == "xlsx":
                if self._sheet_rows >= XLSX_MAX_ROWS:
                    self._new_sheet()
                self._sheet.append([_xlsx_cell(row.get(c, "")) for c in self.columns])
                self._sheet_rows += 1
            else:
                self._csv.writerow([self._csv_cell(row.get(c, "")) for c in self.columns])

    def _csv_cell(self, value: Any) -> Any:
        if self.excel and isinstance(value, float):
            value = str(value).replace(".", ",")
        return neutralize(value)

    def close(self) -> None:
        """Finish the file; a path target replaces the previous file only now."""
        try:
            if self.fmt == "xlsx":
                self._book.save(self._binary)
            else:
                self._text.flush()
                self._text.detach()
            if self._owned:
                self._binary.close()
            if self._partial is not None and self._final is not None:
                os.replace(self._partial, self._final)
                self._partial = None
        except BaseException:
            self._discard()
            raise
        finally:
            self._release_sigterm()

    def abort(self) -> None:
        """Give up: a path target keeps its previous content, the temporary files go."""
        try:
            if self.fmt == "csv" and hasattr(self, "_text"):
                try:
                    self._text.detach()
                except (OSError, ValueError):
                    pass
        finally:
            self._discard()
            self._release_sigterm()

    def _discard(self) -> None:
        """Remove every temporary file: openpyxl's sheet files, and ours beside the target."""
        book = getattr(self, "_book", None)
        if book is not None:
            from openpyxl.worksheet._writer import ALL_TEMP_FILES

            for sheet in book.worksheets:
                writer = getattr(sheet, "_writer", None)
                if writer is None or not isinstance(writer.out, str):
                    continue
                try:
                    if not sheet.closed:
                        sheet.close()  # ends openpyxl's row generator before its file goes
                except Exception:
                    writer.close()
                Path(writer.out).unlink(missing_ok=True)
                if writer.out in ALL_TEMP_FILES:
                    ALL_TEMP_FILES.remove(writer.out)
        if self._owned:
            try:
                self._binary.close()
            except OSError:
                pass
        if self._partial is not None:
            self._partial.unlink(missing_ok=True)
            self._partial = None

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
