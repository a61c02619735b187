"""Batch matching: stream project rows through the index, one output row per project and rank.

Every input row yields at least one output row, in input order: a project without
usable text keeps a row with an empty partner and a status saying why.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from .errors import InputError
from .files import Row
from .index import PartnerMatcher
from .results import EMPTY, OK, WEAK, Result
from .text import fold

OUTPUT_COLUMNS = ("project_id", "rank", "partner_id", "partner_name", "score", "confidence", "reason", "status")
# Texts longer than this are cut for matching (and flagged): a project sheet's first
# 20,000 characters (about 3,000 words) say what it is about; beyond, lemmatising costs
# time and memory without changing the ranking.
MAX_CHARS = 20_000
TRUNCATED = "texte tronqué"
CHUNK_SIZE = 1_000
CACHE_SIZE = 10_000

TEXT_COLUMN_NAMES = (
    "description", "description de l'action", "description du projet", "descriptif", "texte", "text",
    "projet", "project", "intitule", "intitule de l'action", "objectifs", "objectif", "resume", "summary",
    "libelle", "action", "titre", "title", "contenu", "presentation",
)  # fmt: skip
ID_COLUMN_NAMES = (
    "project_id", "id", "identifiant", "id projet", "code", "code projet", "numero", "n°", "no", "ref",
    "reference", "project",
)  # fmt: skip


@dataclass
class Summary:
    """Counts for the closing summary line."""

    read: int = 0
    matched: int = 0
    weak: int = 0
    no_match: int = 0
    empty: int = 0
    truncated: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def line(self) -> str:
        return (
            f"{self.read} projet(s) lu(s) : {self.matched} avec partenaire(s), dont {self.weak} en correspondance "
            f"faible ; {self.no_match} sans correspondance claire ; {self.empty} sans description ; "
            f"{self.truncated} tronqué(s) ; {self.elapsed:.1f} s."
        )


def _key(name: str) -> str:
    return " ".join(fold(name).replace("_", " ").replace("’", "'").split())


def guess_text_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The description column(s) by name; several when title and description both exist."""
    keys = {_key(c): c for c in columns}
    for name in TEXT_COLUMN_NAMES:
        if _key(name) in keys:
            return (keys[_key(name)],)
    fuzzy = [c for c in columns if any(n in _key(c) for n in ("descri", "texte", "intitul", "objectif", "projet", "resume"))]
    return tuple(fuzzy[:1])


def guess_id_column(columns: Sequence[str], text_columns: Sequence[str] = ()) -> str | None:
    keys = {_key(c): c for c in columns if c not in text_columns}
    return next((keys[_key(n)] for n in ID_COLUMN_NAMES if _key(n) in keys), None)


def resolve_columns(
    columns: Sequence[str], text_columns: Sequence[str] = (), id_column: str | None = None
) -> tuple[tuple[str, ...], str | None]:
    """Check explicit choices against the header, or guess them; one clear error otherwise."""
    present = ", ".join(f"« {c} »" for c in columns)
    by_key = {_key(c): c for c in columns}

    def find(name: str, flag: str) -> str:
        if name in columns:
            return name
        if _key(name) in by_key:
            return by_key[_key(name)]
        raise InputError(f"Colonne « {name} » absente ({flag}) ; colonnes présentes : {present}.")

    texts = tuple(find(c, "--text-column") for c in text_columns) or guess_text_columns(columns)
    if not texts:
        raise InputError(
            f"Aucune colonne de description trouvée ; colonnes présentes : {present}. "
            "Indiquez-la avec --text-column NOM."
        )
    ident = find(id_column, "--id-column") if id_column else guess_id_column(columns, texts)
    return texts, ident


def project_text(cells: dict[str, str], text_columns: Sequence[str]) -> str:
    """The description of a row: its text columns joined, blank ones skipped."""
    parts = [str(cells.get(c) or "").strip() for c in text_columns]
    return ". ".join(p for p in parts if p)


def result_rows(project_id: str, result: Result, truncated: bool = False) -> list[dict[str, Any]]:
    """Output rows of one project: one per match, or one row with the status when none."""
    status = result.status
    if truncated and status in (OK, WEAK):
        status = f"{status} ({TRUNCATED})"
    if not result.matches:
        return [{"project_id": project_id, "rank": "", "partner_id": "", "partner_name": "", "score": "",
                 "confidence": "", "reason": result.message, "status": status}]  # fmt: skip
    return [
        {
            "project_id": project_id,
            "rank": m.rank,
            "partner_id": m.partner_id,
            "partner_name": m.name,
            "score": round(m.score, 4),
            "confidence": m.confidence,
            "reason": m.reason,
            "status": status,
        }
        for m in result.matches
    ]


def match_rows(
    matcher: PartnerMatcher,
    rows: Iterable[Row],
    text_columns: Sequence[str],
    id_column: str | None = None,
    k: int = 5,
    keep_columns: Sequence[str] = (),
    summary: Summary | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
    n_process: int = 1,
) -> Iterator[dict[str, Any]]:
    """Stream output rows for project rows, a chunk at a time; repeated texts are analysed once."""
    summary = summary if summary is not None else Summary()
    cache: OrderedDict[str, Result] = OrderedDict()
    iterator = iter(rows)
    while chunk := list(islice(iterator, chunk_size)):
        texts = [project_text(r.cells, text_columns) for r in chunk]
        cut = [t[:MAX_CHARS] for t in texts]
        todo = list(dict.fromkeys(t for t in cut if t not in cache))
        for text, result in zip(todo, matcher.search_many(todo, k, n_process=n_process)):
            cache[text] = result
        for row, text, short in zip(chunk, texts, cut):
            cache.move_to_end(short)
            result = cache[short]
            truncated = len(text) > len(short)
            _count(summary, result, truncated)
            project_id = str(row.cells.get(id_column) or "").strip() if id_column else ""
            extra = {c: row.cells.get(c, "") for c in keep_columns}
            for out in result_rows(project_id or str(row.line), result, truncated):
                yield {**out, **extra}
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
        if progress:
            progress(len(chunk))


def _count(summary: Summary, result: Result, truncated: bool) -> None:
    summary.read += 1
    summary.truncated += truncated
    if result.status == EMPTY:
        summary.empty += 1
    elif result.matches:
        summary.matched += 1
        summary.weak += result.status == WEAK
    else:
        summary.no_match += 1
