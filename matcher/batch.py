"""Batch matching: stream project rows through the index, one output row per project and rank.

Every input row yields at least one output row, in input order: a project without
usable text keeps a row with an empty partner and a status saying why.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .files import Row
from .index import PartnerMatcher
from .results import EMPTY, OK, WEAK, Result
from .text import fold

OUTPUT_COLUMNS = ("project_id", "rank", "partner_id", "partner_name", "score", "confidence", "reason", "status")
# Texts longer than this are cut for matching, and their status says "(texte tronqué)";
# kept columns stay whole. A project sheet's first 20,000 characters (about 3,000 words)
# say what it is about; beyond, lemmatising costs time and memory without changing the ranking.
MAX_CHARS = 20_000
TRUNCATED = "texte tronqué"
CHUNK_SIZE = 1_000
# Texts per `nlp.pipe` batch: spaCy's default; larger batches cost memory (1,000 took
# 1.2 GB on the benchmark's 10,000 projects, 256 takes 650 MB) and no time.
PIPE_BATCH = 256
FLUSH = object()  # marks an empty text sent only to move the pipe along
CACHE_SIZE = 10_000

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


ID_KEYS = frozenset(_key(n) for n in ID_COLUMN_NAMES)


def _find(
    columns: Sequence[str], names: Sequence[str], hints: Sequence[str], skip: Collection[str | None]
) -> str | None:
    keys = {_key(c): c for c in columns if c not in skip}
    found = next((keys[_key(n)] for n in names if _key(n) in keys), None)
    return found or next((c for key, c in keys.items() if any(h in key for h in hints)), None)


def guess_text_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The description column and the title column ("Intitulé"), either or both, in file order."""
    ids = {c for c in columns if _key(c) in ID_KEYS}  # "ID projet" is no description
    description = _find(columns, DESCRIPTION_NAMES, DESCRIPTION_HINTS, ids)
    title = _find(columns, TITLE_NAMES, TITLE_HINTS, {*ids, description})
    return tuple(c for c in columns if c in (description, title))


def guess_id_column(columns: Sequence[str], text_columns: Sequence[str] = ()) -> str | None:
    """The project identifier column by name ("Identifiant", "N°", "Réf"…), if any."""
    keys = {_key(c): c for c in columns if c not in text_columns}
    return next((keys[_key(n)] for n in ID_COLUMN_NAMES if _key(n) in keys), None)


def kept_column(name: str) -> str:
    """The output name of an input column carried along (--keep-columns): renamed if it clashes."""
    return f"{name} (entrée)" if name in OUTPUT_COLUMNS else name


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
    """Stream output rows for project rows, in input order.

    All new texts go through one `nlp.pipe` (batches of at most PIPE_BATCH texts,
    `n_process` processes), which reads only a few batches ahead; progress is reported
    every `chunk_size` rows. Repeated texts are analysed once:
    the output rows of the last CACHE_SIZE distinct texts are kept, under a digest of the
    text so that long texts are not held. `keep_columns` are copied under `kept_column`
    names.
    """
    summary = summary if summary is not None else Summary()
    Outcome = tuple[str, list[dict[str, Any]]]  # (status, output rows without project fields)
    cache: OrderedDict[bytes, Outcome] = OrderedDict()  # digest of a text → its outcome
    in_flight: dict[bytes, list[Outcome]] = {}  # texts sent to the pipe: a box filled on arrival
    pending: deque[Any] = deque()  # (row, truncated, box, digest if the row's text is new); or FLUSH

    def new_texts() -> Iterator[str]:
        """Read rows, queue them, and hand the pipe the texts it has not seen.

        The pipe reads `batch` texts before it answers; after `flush_every` rows in a row
        that need no analysis, an empty text is sent along, so that at most about
        `chunk_size` rows are read ahead of writing. Each queued row holds its outcome's
        box, so evicting a text from the cache never strands a row read ahead.
        """
        backlog = 0
        for row in rows:
            text = project_text(row.cells, text_columns)
            key = _digest(text[:MAX_CHARS])
            new = None
            if key in cache:
                cache.move_to_end(key)
                box = [cache[key]]
            elif key in in_flight:
                box = in_flight[key]
            else:
                box = in_flight[key] = []
                new = key
            pending.append((row, len(text) > MAX_CHARS, box, new))
            if new is not None:
                backlog = 0
                yield text[:MAX_CHARS]
            elif (backlog := backlog + 1) >= flush_every:
                pending.append(FLUSH)
                backlog = 0
                yield ""

    batch = min(chunk_size, PIPE_BATCH)
    flush_every = max(1, chunk_size // batch)
    results = matcher.search_many(new_texts(), k, batch_size=batch, n_process=n_process)
    ready: deque[Result] = deque()  # results that arrived before their row was reached
    written = 0
    while True:
        if not pending:
            result = next(results, None)  # reads more rows into `pending`
            if result is None and not pending:
                break
            if result is not None:
                ready.append(result)
            continue
        entry = pending.popleft()
        if entry is FLUSH:
            _ = ready.popleft() if ready else next(results)
            continue
        row, truncated, box, new = entry
        if new is not None:
            result = ready.popleft() if ready else next(results)
            box.append((result.status, result_rows("", result)))
            cache[new] = box[0]
            del in_flight[new]
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        status, template = box[0]
        _count(summary, status, truncated)
        project_id = (str(row.cells.get(id_column) or "").strip() if id_column else "") or str(row.line)
        fields = {
            "project_id": project_id,
            "status": f"{status} ({TRUNCATED})" if truncated else status,
            **{kept_column(c): row.cells.get(c, "") for c in keep_columns},
        }
        for out in template:
            yield {**out, **fields}
        written += 1
        if progress and written % chunk_size == 0:
            progress(chunk_size)
    if progress and written % chunk_size:
        progress(written % chunk_size)


@dataclass(frozen=True)
class BatchJob:
    """One batch run's column choices; the CLI and the app both run batches through it."""

    text_columns: tuple[str, ...]
    id_column: str | None
    keep: tuple[str, ...] = ()

    @classmethod
    def for_columns(
        cls, columns: Sequence[str], text_columns: Sequence[str] = (), id_column: str | None = None, keep_columns: bool = False
    ) -> BatchJob:
        """Check or guess the columns of a table; `keep_columns` carries all input columns."""
        texts, ident = resolve_columns(columns, text_columns, id_column)
        return cls(tuple(texts), ident, tuple(columns) if keep_columns else ())

    @property
    def output_columns(self) -> tuple[str, ...]:
        return (*OUTPUT_COLUMNS, *map(kept_column, self.keep))

    def rows(self, matcher: PartnerMatcher, rows: Iterable[Row], k: int = 5, **options: Any) -> Iterator[dict[str, Any]]:
        """Output rows for the input rows (see `match_rows` for the options)."""
        return match_rows(matcher, rows, self.text_columns, self.id_column, k, self.keep, **options)


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
