"""The app's downloads, in French: headers, statuses and numbers as a French spreadsheet reads them.

The CLI keeps its stable machine column names (`batch.OUTPUT_COLUMNS`, "ok"); the files
a référent downloads from the app have French headers and values, and their CSV uses
semicolons and decimal commas, which French-locale Excel opens in columns. Every cell
goes through `files.TableWriter`, so none can run as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .batch import OUTPUT_COLUMNS, TITLE, BatchJob
from .files import TableWriter, unique_output_names
from .results import OK

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
HTML_MIME = "text/html"

# Batch output columns (the CLI's names) -> the app's French headers, in the app's order.
BATCH_HEADERS: Mapping[str, str] = {
    "project_id": "projet",
    TITLE: "intitulé",
    "rank": "rang",
    "partner_name": "partenaire",
    "confidence": "confiance",
    "score": "score",
    "reason": "raison",
    "status": "statut",
    "partner_id": "identifiant du partenaire",
    "url": "site",
}
OK_LABEL = "partenaires proposés"


def french_status(status: str) -> str:
    """ "ok" -> "partenaires proposés" (also "ok (texte tronqué)"); the other statuses are already French."""
    if status == OK or status.startswith(f"{OK} ("):
        return OK_LABEL + status[len(OK) :]
    return status


@dataclass(frozen=True)
class Table:
    """Rows keyed by their French headers, in `columns` order."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]

    def xlsx(self) -> bytes:
        return table_bytes(self.rows, self.columns, "xlsx")

    def csv(self) -> bytes:
        return table_bytes(self.rows, self.columns, "csv")


def table_bytes(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], fmt: str) -> bytes:
    """`rows` as .xlsx, or as CSV for French Excel (UTF-8 BOM, `;`, decimal commas); formulas neutralised."""
    buffer = io.BytesIO()
    with TableWriter(buffer, columns, fmt, excel=True) as writer:
        writer.write(dict(row) for row in rows)
    return buffer.getvalue()


def batch_table(rows: Iterable[Mapping[str, Any]], job: BatchJob, urls: Mapping[str, str] = {}) -> Table:  # noqa: B006
    """`batch.run` rows with French headers and statuses, the project's title always, and the partner's site."""
    fixed = tuple(BATCH_HEADERS.values())
    kept_in = unique_output_names(OUTPUT_COLUMNS, job.keep)  # how `batch.run` named the copied columns
    kept_out = unique_output_names(fixed, job.keep)
    out = []
    for row in rows:
        french = {header: row.get(name, "") for name, header in BATCH_HEADERS.items()}
        french["statut"] = french_status(str(row.get("status", "")))
        french["site"] = urls.get(str(row.get("partner_id", "")), "")
        french.update({kept_out[c]: row.get(kept_in[c], "") for c in job.keep})
        out.append(french)
    return Table((*fixed, *kept_out.values()), tuple(out))
