"""Batch matching: project rows in, one output row per project and rank out, in input order.

Every input row yields at least one output row: a project without usable text keeps a
row with an empty partner and a status saying why. `run` is the one pipeline of the CLI
and the app: rows are read in chunks, each chunk's new texts go through the engine in
one `search_many`, and repeated texts are analysed once.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .files import Row, unique_output_names
from .index import PartnerMatcher
from .results import EMPTY, OK, WEAK, Result
from .text import MAX_CHARS, fold

OUTPUT_COLUMNS = ("project_id", "rank", "partner_id", "partner_name", "score", "confidence", "reason", "status")
TRUNCATED = "texte tronqué"
# Rows read per step: bounds what is held (rows, results) and how often progress moves.
# With several processes, spaCy starts its workers once per chunk, so chunks are larger.
CHUNK_SIZE = 1_000
CHUNK_SIZE_PER_PROCESS = 5_000
CACHE_SIZE = 10_000  # distinct texts whose output rows are kept, for repeats across chunks
# Each output row also carries the project's title (its title column, or first text column,
# cut here) under TITLE; the CLI's files keep OUTPUT_COLUMNS, the app shows it.
TITLE = "title"
TITLE_CHARS = 200

DESCRIPTION_NAMES = (
    "description", "description de l'action", "description du projet", "descriptif", "texte", "text",
    "objectifs", "objectif", "resume", "summary", "contenu", "presentation", "projet", "project", "action",
)  # fmt: skip
TITLE_NAMES = (
    "intitule", "intitule de l'action", "intitule du projet", "titre", "title", "libelle", "nom du projet",
    "nom de l'action",
)  # fmt: skip
DESCRIPTION_HINTS = ("descri", "texte", "objectif", "resume", "contenu")  # inside longer names
TITLE_HINTS = ("intitul", "titre", "libelle")
ID_COLUMN_NAMES = (
    "project_id", "id", "identifiant", "id projet", "id action", "code", "code projet", "code action", "numero",
    "numero projet", "numero action", "n°", "no", "num", "ref", "reference", "project",
)  # fmt: skip
# A header made of one of these words, then words naming the project, is an identifier:
# "N° action", "Réf. projet", "Numéro de la fiche" (but not "Code postal").
ID_PREFIXES = frozenset({"n°", "no", "num", "numero", "ref", "reference", "id", "identifiant", "code"})
ID_SUFFIXES = frozenset({"action", "actions", "projet", "projets", "fiche", "dossier", "de", "du", "la", "l", "d"})


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
    return " ".join(fold(name).replace("_", " ").replace("’", "'").replace(".", " ").split())


ID_KEYS = frozenset(_key(n) for n in ID_COLUMN_NAMES)


def _is_id(name: str) -> bool:
    key = _key(name)
    words = re.findall(r"[\w°]+", key)
    return key in ID_KEYS or (bool(words) and words[0] in ID_PREFIXES and set(words[1:]) <= ID_SUFFIXES)


def _find(
    columns: Sequence[str], names: Sequence[str], hints: Sequence[str], skip: Collection[str | None]
) -> str | None:
    keys = {_key(c): c for c in columns if c not in skip}
    found = next((keys[_key(n)] for n in names if _key(n) in keys), None)
    return found or next((c for key, c in keys.items() if any(h in key for h in hints)), None)


def guess_text_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The description column and the title column ("Intitulé"), either or both, in file order."""
    ids = {c for c in columns if _is_id(c)}  # "ID projet" is no description
    description = _find(columns, DESCRIPTION_NAMES, DESCRIPTION_HINTS, ids)
    title = _find(columns, TITLE_NAMES, TITLE_HINTS, {*ids, description})
    return tuple(c for c in columns if c in (description, title))


def guess_id_column(columns: Sequence[str], text_columns: Sequence[str] = ()) -> str | None:
    """The project identifier column by name ("Identifiant", "N°", "Réf"…), if any."""
    keys = {_key(c): c for c in columns if c not in text_columns}
    named = next((keys[_key(n)] for n in ID_COLUMN_NAMES if _key(n) in keys), None)
    return named or next((c for c in columns if c not in text_columns and _is_id(c)), None)


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
    status = f"{result.status} ({TRUNCATED})" if truncated else result.status
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


@dataclass(frozen=True)
class BatchJob:
    """One batch run's column choices; the CLI and the app both run batches through it."""

    text_columns: tuple[str, ...]
    id_column: str | None
    keep: tuple[str, ...] = ()

    @property
    def title_column(self) -> str:
        """The column that names a project in the results: its title ("Intitulé"), else its first text column."""
        titles = [c for c in self.text_columns if any(h in _key(c) for h in TITLE_HINTS)]
        return (titles or list(self.text_columns))[0]

    @classmethod
    def for_columns(
        cls,
        columns: Sequence[str],
        text_columns: Sequence[str] = (),
        id_column: str | None = None,
        keep_columns: bool = False,
    ) -> BatchJob:
        """Check or guess the columns of a table; `keep_columns` carries all input columns."""
        texts, ident = resolve_columns(columns, text_columns, id_column)
        return cls(tuple(texts), ident, tuple(columns) if keep_columns else ())

    @property
    def output_columns(self) -> tuple[str, ...]:
        return (*OUTPUT_COLUMNS, *unique_output_names(OUTPUT_COLUMNS, self.keep).values())


Outcome = tuple[str, tuple[dict[str, Any], ...]]  # (status, output rows without the project's own fields)


def run(
    matcher: PartnerMatcher,
    rows: Iterable[Row],
    job: BatchJob,
    k: int = 5,
    *,
    n_process: int = 1,
    summary: Summary | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Output rows for `rows`, in order, lazily: a chunk of rows is read, matched and written at a time.

    Texts are cut at MAX_CHARS for matching (their status says so); the outcomes of the
    last CACHE_SIZE distinct texts are kept under a digest, so a repeated text is analysed
    once and a long text is not held. `progress` is called with each chunk's row count.
    """
    summary = summary if summary is not None else Summary()
    size = chunk_size or (CHUNK_SIZE if n_process == 1 else CHUNK_SIZE_PER_PROCESS * n_process)
    kept = unique_output_names(OUTPUT_COLUMNS, job.keep)
    title_column = job.title_column
    cache: OrderedDict[bytes, Outcome] = OrderedDict()
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        texts = [project_text(row.cells, job.text_columns) for row in chunk]
        keys = [_digest(text[:MAX_CHARS]) for text in texts]
        outcomes = {key: cache[key] for key in keys if key in cache}
        new = {key: text[:MAX_CHARS] for key, text in zip(keys, texts) if key not in outcomes}
        for key, result in zip(new, matcher.search_many(new.values(), k, n_process=n_process, snippets=False)):
            outcomes[key] = (result.status, tuple(result_rows("", result)))
        for key in keys:
            cache[key] = outcomes[key]
            cache.move_to_end(key)
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
        for row, text, key in zip(chunk, texts, keys):
            status, template = outcomes[key]
            truncated = len(text) > MAX_CHARS
            _count(summary, status, truncated)
            own = {
                "project_id": (str(row.cells.get(job.id_column) or "").strip() if job.id_column else "")
                or str(row.line),
                TITLE: " ".join(str(row.cells.get(title_column) or "").split())[:TITLE_CHARS],
                "status": "".join(
                    (status, f" ({TRUNCATED})" if truncated else "", f" ({row.note})" if row.note else "")
                ),
                **{kept[c]: row.cells.get(c, "") for c in job.keep},
            }
            for out in template:
                yield {**out, **own}
        if progress:
            progress(len(chunk))


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _count(summary: Summary, status: str, truncated: bool) -> None:
    summary.read += 1
    summary.truncated += truncated
    if status == EMPTY:
        summary.empty += 1
    elif status in (OK, WEAK):
        summary.matched += 1
        summary.weak += status == WEAK
    else:
        summary.no_match += 1
