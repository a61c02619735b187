"""Feedback on proposed partners: what was shown, what référents judged, and what to learn from it.

A *search* is one description as typed, with the versions of the catalogue and engine
that answered it; its *shown* matches are the cards displayed (partner, rank, score,
confidence, explaining terms); a *vote* is « Utile » or « Pas pertinent » on one shown
card, with an optional reason. Nothing identifies a person: there is no account, no
address, no session id.

Storage goes through SQLAlchemy Core: SQLite by default (a file in the user's data
directory, WAL journal, every transaction `BEGIN IMMEDIATE` so concurrent writers queue
instead of failing), PostgreSQL by URL for a shared deployment (`psycopg` driver, the
`[postgres]` extra). The schema is versioned: `MIGRATIONS` is the ordered list of steps,
applied on open inside one locked transaction; a later release appends to it.

Judgements are resolved per card, then per description–partner pair:

- on one card, the latest vote counts (a référent who changes their mind replaces it);
- for a pair, description compared after normalisation (Unicode NFKC, case, spaces and
  apostrophes), the majority of its cards' judgements wins; on a tie, the latest vote.

"Utile" is grade 2 and "Pas pertinent" grade 0, as in `matcher evaluate`'s labels.
"""

from __future__ import annotations

import csv
import hashlib
import os
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from .errors import InputError
from .results import Contribution, Match

# Vote codes as stored, with the labels the app shows.
USEFUL, NOT_RELEVANT = "utile", "pas_pertinent"
VOTES: Mapping[str, str] = {USEFUL: "Utile", NOT_RELEVANT: "Pas pertinent"}
GRADES: Mapping[str, int] = {USEFUL: 2, NOT_RELEVANT: 0}

# Reasons a référent may give for « Pas pertinent ».
REASONS: Mapping[str, str] = {
    "hors_sujet": "Hors sujet",
    "deja_partenaire": "Déjà partenaire",
    "hors_territoire": "Pas présent sur notre territoire",
    "injoignable": "Partenaire injoignable",
    "autre": "Autre",
}
COMMENT_MAX = 500  # characters kept of the free text that goes with a reason

CONFIDENCE_ORDER = ("forte", "moyenne", "faible")
ENV_DB, ENV_SWITCH = "MATCHER_DB", "MATCHER_FEEDBACK"
DB_FILE = "feedback.sqlite3"
PROJECT_PREFIX = "fb-"
_MIGRATION_LOCK = 0x6D61_7463  # PostgreSQL advisory lock key ("matc"): one migrating process at a time


class FeedbackError(InputError):
    """The feedback database cannot be opened or written; the message says which and why, in French."""


@dataclass(frozen=True)
class Versions:
    """What answered a search: a digest of the catalogue and thesaurus files, and the package version."""

    catalogue: str
    engine: str

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], engine: str) -> Versions:
        """Hash the given data files (catalogue, thesaurus, local catalogues) in order: 12 hex digits."""
        digest = hashlib.sha256()
        for path in paths:
            digest.update(Path(path).read_bytes())
            digest.update(b"\0")
        return cls(digest.hexdigest()[:12], engine)


@dataclass(frozen=True)
class StoredVote:
    """One vote as kept, with the shown card and the search it judges."""

    vote_id: int
    voted_at: datetime  # UTC, naive
    search_id: int
    searched_at: datetime
    description: str
    versions: Versions
    partner_id: str
    rank: int
    score: float
    confidence: str
    terms: tuple[Contribution, ...]
    vote: str
    reason: str | None
    comment: str | None


@dataclass(frozen=True)
class StatsRow:
    """How often partners were shown and judged; `None` in a key column means "all"."""

    partner_id: str | None
    confidence: str | None
    shown: int
    useful: int
    not_relevant: int

    @property
    def share_useful(self) -> float | None:
        """Useful among the judged cards (None when none was judged)."""
        judged = self.useful + self.not_relevant
        return self.useful / judged if judged else None


@dataclass(frozen=True)
class Judgement:
    """The resolved judgement of one description–partner pair (see the module's rule)."""

    project_id: str
    description: str
    partner_id: str
    grade: int
    useful: int  # cards judged useful
    not_relevant: int  # cards judged not relevant


@dataclass(frozen=True)
class Deleted:
    """What `delete_before` removed."""

    searches: int
    shown: int
    votes: int


@dataclass(frozen=True)
class Exported:
    """What `export` wrote."""

    projects: int
    labels: int
    left_out: int  # judged descriptions without any « Utile »: nDCG cannot score them


# -- schema ----------------------------------------------------------------------------
def _define_v1(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    """The tables as created by migration 1 (times are naive UTC)."""
    searches = sa.Table(
        "feedback_searches",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("catalogue_version", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(64), nullable=False),
    )
    shown = sa.Table(
        "feedback_shown",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("search_id", sa.ForeignKey("feedback_searches.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("partner_id", sa.String(200), nullable=False, index=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("confidence", sa.String(20), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.UniqueConstraint("search_id", "partner_id"),
    )
    votes = sa.Table(
        "feedback_votes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shown_id", sa.ForeignKey("feedback_shown.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("vote", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("comment", sa.Text),
    )
    return searches, shown, votes


# The current schema, for queries. A later release that changes a table adds a migration
# and, if migration 1 must no longer create today's shape, freezes a copy of `_define_v1`.
METADATA = sa.MetaData()
SEARCH_TABLE, SHOWN_TABLE, VOTE_TABLE = _define_v1(METADATA)
SCHEMA = sa.Table(
    "feedback_schema",
    sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True)
class Migration:
    """One step of the schema's history: `apply` runs inside the migrating transaction."""

    version: int
    summary: str
    apply: Callable[[Connection], None]


def _create_v1(conn: Connection) -> None:
    metadata = sa.MetaData()
    _define_v1(metadata)
    metadata.create_all(conn)


MIGRATIONS: tuple[Migration, ...] = (Migration(1, "searches, shown matches and votes", _create_v1),)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: Connection) -> int:
    """The database's schema version: 0 for a database without feedback tables."""
    if not sa.inspect(conn).has_table(SCHEMA.name):
        return 0
    return int(conn.execute(sa.select(sa.func.max(SCHEMA.c.version))).scalar() or 0)


def migrate(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS, where: str = "") -> list[int]:
    """Bring the database to the last of `migrations`, in one transaction; the versions applied.

    A database already newer than `migrations` raises FeedbackError: an older matcher must
    not write into a schema it does not know.
    """
    if [m.version for m in migrations] != list(range(1, len(migrations) + 1)):
        raise ValueError("migrations must be numbered 1, 2, 3… in order")
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        current = schema_version(conn)
        if current > len(migrations):
            raise FeedbackError(
                f"La base des avis {where} est au schéma {current}, plus récent que celui de ce matcher "
                f"({len(migrations)}) ; mettez matcher à jour."
            )
        SCHEMA.create(conn, checkfirst=True)
        applied = []
        for step in migrations[current:]:
            step.apply(conn)
            conn.execute(SCHEMA.insert().values(version=step.version, applied_at=_utc(None)))
            applied.append(step.version)
    return applied


# -- where the database is ---------------------------------------------------------------
def feedback_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when `MATCHER_FEEDBACK` is 0, false, non, no or off: then the app records nothing."""
    value = (os.environ if environ is None else environ).get(ENV_SWITCH, "")
    return value.strip().lower() not in ("0", "false", "non", "no", "off")


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/matcher/feedback.sqlite3`, else `~/.local/share/…` (`%LOCALAPPDATA%` on Windows)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or (env.get("LOCALAPPDATA") if sys.platform == "win32" else None)
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return Path(base or home / ".local" / "share") / "matcher" / DB_FILE


def database_url(value: str | Path | None = None, environ: Mapping[str, str] | None = None) -> URL:
    """The database to use: `value`, else `$MATCHER_DB`, else the default file.

    A value with `://` is a SQLAlchemy URL (`postgresql://` means the psycopg driver);
    anything else is the path of a SQLite file.
    """
    env = os.environ if environ is None else environ
    raw = str(value) if value else env.get(ENV_DB, "").strip()
    if not raw:
        return sa.URL.create("sqlite", database=str(default_path(env)))
    if "://" not in raw:
        return sa.URL.create("sqlite", database=str(Path(raw).expanduser().absolute()))
    try:
        url = sa.make_url(raw)
    except ArgumentError:
        raise FeedbackError(
            f"« {raw} » n'est pas une adresse de base de données valide ; donnez un chemin de fichier "
            "ou une URL comme postgresql://utilisateur@serveur/base."
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def describe(url: URL) -> str:
    """The database as shown in messages: a SQLite file's path, else the URL without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def _create_engine(url: URL) -> Engine:
    try:
        backend = url.get_backend_name()
        if backend == "sqlite":
            engine = sa.create_engine(url, connect_args={"timeout": 60})
            sa.event.listen(engine, "connect", _sqlite_connect)
            sa.event.listen(engine, "begin", _sqlite_begin)
            return engine
        connect_args = {"connect_timeout": 10} if backend == "postgresql" else {}
        return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except NoSuchModuleError:
        raise FeedbackError(
            f"Type de base de données inconnu « {url.drivername} » ; utilisez un fichier SQLite ou postgresql://…"
        ) from None
    except ImportError as error:
        raise FeedbackError(
            f"Le pilote de base de données {error.name or url.drivername} n'est pas installé ; "
            'pour PostgreSQL : pip install "matcher[postgres]".'
        ) from None


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is turned off; `_sqlite_begin` opens each one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at once: a writer waits its turn (busy timeout) rather
    # than failing when it upgrades a read transaction another writer got ahead of.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _utc(clock: Callable[[], datetime] | None) -> datetime:
    now = clock() if clock else datetime.now(timezone.utc)
    return _naive_utc(now)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


# -- the store -------------------------------------------------------------------------------
class FeedbackStore:
    """Records searches, shown matches and votes; answers stats, exports and judgements.

    Thread-safe: every method runs in its own transaction on a pooled connection.
    Open it with `FeedbackStore.open()`; `close()` (or a `with` block) releases it.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None):
        self.engine = engine
        self.clock = clock
        self.location = describe(engine.url)

    @classmethod
    def open(
        cls,
        url: str | Path | None = None,
        *,
        create: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> FeedbackStore:
        """Connect to `url` (see `database_url`), creating or migrating the schema.

        With `create=False` a database that does not exist yet is an error instead of being
        created (the CLI's read commands: a mistyped path must not answer "no feedback").
        Raises FeedbackError, in French, when the database cannot be used.
        """
        address = database_url(url)
        where = describe(address)
        if address.get_backend_name() == "sqlite" and address.database not in (None, "", ":memory:"):
            path = Path(address.database)
            if not create and not path.exists():
                raise FeedbackError(f"Base des avis introuvable : {where} ; vérifiez le chemin (--db ou MATCHER_DB).")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise FeedbackError(
                    f"Impossible de créer le dossier {path.parent} : {error.strerror} ; choisissez un autre "
                    "emplacement (--db ou MATCHER_DB)."
                ) from None
        engine = _create_engine(address)
        try:
            with _storage_errors(where, opening=True):
                if not create:
                    with engine.connect() as conn:
                        if schema_version(conn) == 0:
                            raise FeedbackError(
                                f"La base {where} ne contient pas d'avis ; vérifiez l'adresse (--db ou MATCHER_DB)."
                            )
                migrate(engine, where=where)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with _storage_errors(self.location), self.engine.begin() as conn:
            yield conn

    # -- writing
    def record_search(self, description: str, matches: Iterable[Match], versions: Versions) -> int:
        """Keep a search and the matches shown for it; returns its id, for `record_vote`."""
        if not isinstance(description, str):
            raise TypeError(f"description must be a str, not {type(description).__name__}")
        rows = [
            {
                "rank": m.rank,
                "partner_id": m.partner_id,
                "score": float(m.score),
                "confidence": m.confidence,
                "terms": [
                    {"term": t.term, "share": round(float(t.share), 6), "origin": t.origin, "source": t.source}
                    for t in m.terms
                ],
            }
            for m in matches
        ]
        with self._transaction() as conn:
            search_id = _new_id(
                conn.execute(
                    SEARCH_TABLE.insert().values(
                        created_at=_utc(self.clock),
                        description=description,
                        catalogue_version=versions.catalogue,
                        engine_version=versions.engine,
                    )
                )
            )
            if rows:
                conn.execute(SHOWN_TABLE.insert(), [{"search_id": search_id, **row} for row in rows])
        return search_id

    def record_vote(
        self,
        search_id: int,
        partner_id: str,
        vote: str,
        reason: str | None = None,
        comment: str | None = None,
    ) -> int:
        """Keep a vote on a partner shown by `search_id`; returns the vote's id.

        `vote` is USEFUL or NOT_RELEVANT; `reason` (a key of REASONS) and `comment` (cut at
        COMMENT_MAX characters) only go with NOT_RELEVANT. A later vote on the same card
        replaces the earlier one in stats and exports; both are kept.
        """
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {sorted(VOTES)}, not {vote!r}")
        if vote == USEFUL and (reason or comment):
            raise ValueError("a reason or comment only goes with a « Pas pertinent » vote")
        if reason is not None and reason not in REASONS:
            raise ValueError(f"reason must be one of {sorted(REASONS)}, not {reason!r}")
        comment = (comment or "").strip()[:COMMENT_MAX] or None
        with self._transaction() as conn:
            shown_id = conn.execute(
                sa.select(SHOWN_TABLE.c.id).where(
                    SHOWN_TABLE.c.search_id == search_id, SHOWN_TABLE.c.partner_id == partner_id
                )
            ).scalar()
            if shown_id is None:
                raise ValueError(f"partner {partner_id!r} was not shown by search {search_id}")
            return _new_id(
                conn.execute(
                    VOTE_TABLE.insert().values(
                        shown_id=shown_id, created_at=_utc(self.clock), vote=vote, reason=reason, comment=comment
                    )
                )
            )

    def delete_before(self, when: date | datetime) -> Deleted:
        """Delete the searches made before `when` (a date means 0:00 UTC), with their cards and votes."""
        cutoff = _naive_utc(when) if isinstance(when, datetime) else datetime(when.year, when.month, when.day)
        old = sa.select(SEARCH_TABLE.c.id).where(SEARCH_TABLE.c.created_at < cutoff)
        old_shown = sa.select(SHOWN_TABLE.c.id).where(SHOWN_TABLE.c.search_id.in_(old))
        with self._transaction() as conn:
            votes = conn.execute(VOTE_TABLE.delete().where(VOTE_TABLE.c.shown_id.in_(old_shown))).rowcount
            shown = conn.execute(SHOWN_TABLE.delete().where(SHOWN_TABLE.c.search_id.in_(old))).rowcount
            searches = conn.execute(SEARCH_TABLE.delete().where(SEARCH_TABLE.c.created_at < cutoff)).rowcount
        return Deleted(searches=searches, shown=shown, votes=votes)

    # -- reading
    def votes(self, limit: int | None = None) -> list[StoredVote]:
        """Every vote kept, latest first, with its card and search (`limit`: the latest few)."""
        query = (
            sa.select(
                VOTE_TABLE.c.id.label("vote_id"),
                VOTE_TABLE.c.created_at.label("voted_at"),
                SEARCH_TABLE.c.id.label("search_id"),
                SEARCH_TABLE.c.created_at.label("searched_at"),
                SEARCH_TABLE.c.description,
                SEARCH_TABLE.c.catalogue_version,
                SEARCH_TABLE.c.engine_version,
                SHOWN_TABLE.c.partner_id,
                SHOWN_TABLE.c.rank,
                SHOWN_TABLE.c.score,
                SHOWN_TABLE.c.confidence,
                SHOWN_TABLE.c.terms,
                VOTE_TABLE.c.vote,
                VOTE_TABLE.c.reason,
                VOTE_TABLE.c.comment,
            )
            .select_from(VOTE_TABLE.join(SHOWN_TABLE).join(SEARCH_TABLE))
            .order_by(VOTE_TABLE.c.id.desc())
            .limit(limit)
        )
        with self._transaction() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            StoredVote(
                **{k: v for k, v in row.items() if k not in ("catalogue_version", "engine_version", "terms")},
                versions=Versions(row["catalogue_version"], row["engine_version"]),
                terms=tuple(Contribution(**term) for term in row["terms"]),
            )
            for row in rows
        ]

    def stats(self, by: Sequence[str] = ("partner_id", "confidence")) -> list[StatsRow]:
        """Cards shown, judged useful and judged not relevant, grouped `by` partner_id and/or confidence.

        Each card counts once, with its latest vote. Rows come sorted by partner, then
        confidence from forte to faible.
        """
        unknown = set(by) - {"partner_id", "confidence"}
        if unknown:
            raise ValueError(f"stats can be grouped by partner_id and confidence, not {sorted(unknown)}")
        latest = (
            sa.select(VOTE_TABLE.c.shown_id, sa.func.max(VOTE_TABLE.c.id).label("vote_id"))
            .group_by(VOTE_TABLE.c.shown_id)
            .subquery()
        )
        keys = [SHOWN_TABLE.c[name] for name in by]
        query = (
            sa.select(
                *keys,
                sa.func.count(SHOWN_TABLE.c.id),
                sa.func.count(sa.case((VOTE_TABLE.c.vote == USEFUL, 1))),
                sa.func.count(sa.case((VOTE_TABLE.c.vote == NOT_RELEVANT, 1))),
            )
            .select_from(
                SHOWN_TABLE.outerjoin(latest, latest.c.shown_id == SHOWN_TABLE.c.id).outerjoin(
                    VOTE_TABLE, VOTE_TABLE.c.id == latest.c.vote_id
                )
            )
            .group_by(*keys)
        )
        with self._transaction() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            values = dict(zip(by, row[: len(by)]))
            shown, useful, not_relevant = row[len(by) :]
            out.append(
                StatsRow(values.get("partner_id"), values.get("confidence"), int(shown), int(useful), int(not_relevant))
            )
        return sorted(out, key=_stats_order)

    def judgements(self) -> list[Judgement]:
        """Every judged description–partner pair, resolved by the module's rule (grade 2 or 0).

        For the learning step; descriptions judged only « Pas pertinent » are included.
        """
        latest = sa.select(sa.func.max(VOTE_TABLE.c.id)).group_by(VOTE_TABLE.c.shown_id)
        query = (
            sa.select(
                VOTE_TABLE.c.id,
                VOTE_TABLE.c.vote,
                SHOWN_TABLE.c.partner_id,
                SEARCH_TABLE.c.id,
                SEARCH_TABLE.c.description,
            )
            .select_from(VOTE_TABLE.join(SHOWN_TABLE).join(SEARCH_TABLE))
            .where(VOTE_TABLE.c.id.in_(latest))
            .order_by(VOTE_TABLE.c.id)
        )
        with self._transaction() as conn:
            rows = conn.execute(query).all()
        texts: dict[str, tuple[int, str]] = {}  # project id → (first search id, description as typed)
        cards: dict[tuple[str, str], list[str]] = defaultdict(list)  # in vote order
        for _vote_id, vote, partner_id, search_id, description in rows:
            project_id = project_id_for(description)
            if project_id not in texts or search_id < texts[project_id][0]:
                texts[project_id] = (search_id, description)
            cards[project_id, partner_id].append(vote)
        out = []
        for (project_id, partner_id), votes in sorted(cards.items()):
            useful, not_relevant = votes.count(USEFUL), votes.count(NOT_RELEVANT)
            winner = votes[-1] if useful == not_relevant else (USEFUL if useful > not_relevant else NOT_RELEVANT)
            out.append(Judgement(project_id, texts[project_id][1], partner_id, GRADES[winner], useful, not_relevant))
        return out

    def export(self, directory: str | Path) -> Exported:
        """Write `projects.csv` and `labels.csv` in `directory`, as `matcher evaluate` reads them.

        Only descriptions with at least one « Utile » judgement become projects: a project
        whose labels are all 0 has no ideal ranking, and nDCG cannot score it. Their
        « Pas pertinent » pairs are exported as grade 0.
        """
        judgements = self.judgements()
        evaluable = {j.project_id for j in judgements if j.grade > 0}
        kept = [j for j in judgements if j.project_id in evaluable]
        projects = {j.project_id: j.description for j in kept}
        target = Path(directory)
        try:
            target.mkdir(parents=True, exist_ok=True)
            _write_csv(target / "projects.csv", ["project_id", "description"], projects.items())
            _write_csv(
                target / "labels.csv",
                ["project_id", "partner_id", "grade"],
                ((j.project_id, j.partner_id, j.grade) for j in kept),
            )
        except OSError as error:
            raise FeedbackError(
                f"Impossible d'écrire dans {target} : {error.strerror} ; choisissez un autre dossier."
            ) from None
        return Exported(len(projects), len(kept), len({j.project_id for j in judgements}) - len(projects))


def normalize_description(text: str) -> str:
    """The form under which two descriptions are the same project: NFKC, case, spaces, apostrophes."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("ʼ", "'")
    return " ".join(text.casefold().split())


def project_id_for(description: str) -> str:
    """A stable project id for a description: `fb-` and 10 hex digits of its normalised form's SHA-256."""
    return PROJECT_PREFIX + hashlib.sha256(normalize_description(description).encode("utf-8")).hexdigest()[:10]


def format_stats(rows: Sequence[StatsRow]) -> str:
    """A plain-text table of `stats()` rows, French headers; a key column no row uses is left out."""
    keys = [i for i, name in enumerate(("partner_id", "confidence")) if any(getattr(r, name) for r in rows)]
    header = ("partenaire", "confiance", "montré", "utile", "pas pertinent", "part utile")
    table = [header] + [
        (
            r.partner_id or "",
            r.confidence or "",
            str(r.shown),
            str(r.useful),
            str(r.not_relevant),
            "—" if r.share_useful is None else f"{r.share_useful:.0%}".replace("%", " %"),
        )
        for r in rows
    ]
    columns = keys + list(range(2, len(header)))
    widths = {i: max(len(line[i]) for line in table) for i in columns}
    lines = [
        "  ".join(line[i].ljust(widths[i]) if i < 2 else line[i].rjust(widths[i]) for i in columns) for line in table
    ]
    return "\n".join(line.rstrip() for line in lines)


def _stats_order(row: StatsRow) -> tuple[str, int, str]:
    confidence = row.confidence or ""
    rank = CONFIDENCE_ORDER.index(confidence) if confidence in CONFIDENCE_ORDER else len(CONFIDENCE_ORDER)
    return (row.partner_id or "", rank, confidence)


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """UTF-8 with a BOM like the other outputs; written aside, then renamed over `path`."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(partial, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _storage_errors(where: str, opening: bool = False) -> Iterator[None]:
    """Turn a database failure into one French FeedbackError naming the database."""
    try:
        yield
    except SQLAlchemyError as error:
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        action = "ouvrir" if opening else "utiliser"
        raise FeedbackError(
            f"Impossible d'{action} la base des avis {where} : {detail} ; vérifiez l'adresse (--db ou MATCHER_DB)."
        ) from None
