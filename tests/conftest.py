"""Shared fixtures: the index is built once per test session (about 6 s)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import openpyxl
import pytest

from matcher import PartnerMatcher

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def pytest_configure(config: pytest.Config) -> None:
    """Saved models go to a folder of this session (child processes inherit it), never the user's cache."""
    os.environ["MATCHER_CACHE"] = tempfile.mkdtemp(prefix="matcher-test-cache-")


@pytest.fixture(scope="session")
def matcher() -> PartnerMatcher:
    return PartnerMatcher.from_csv()


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    """Rows as CSV text with Excel's CRLF line ends."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path
