"""Feedback storage and its CLI, the same tests on SQLite and on a real PostgreSQL server.

The PostgreSQL server is `$MATCHER_TEST_POSTGRES` (a SQLAlchemy URL; `.ci/run` starts one),
else a throwaway server started here when PostgreSQL's binaries are installed, else those
tests are skipped with the reason. Each PostgreSQL test works in a schema of its own.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from matcher import PartnerMatcher, cli
from matcher.feedback import (
    COMMENT_MAX,
    MIGRATIONS,
    NOT_RELEVANT,
    SCHEMA_VERSION,
    USEFUL,
    FeedbackError,
    FeedbackStore,
    Migration,
    StatsRow,
    Versions,
    database_url,
    feedback_enabled,
    migrate,
    project_id_for,
    schema_version,
)
from matcher.files import read_labels, read_projects
from matcher.results import SYNONYM, Contribution, Match, Snippet

from .throwaway_postgres import ThrowawayPostgres, find_bindir

VERSIONS = Versions(catalogue="3f2a9c1d0b7e", engine="0.1.0")


def card(rank: int, partner_id: str, confidence: str = "forte", score: float = 0.3) -> Match:
    terms = (Contribution("lecture", score * 2 / 3), Contribution("livre", score / 3, SYNONYM, "lire"))
    return Match(
        rank=rank,
        partner_id=partner_id,
        name=partner_id.title(),
        score=score,
        confidence=confidence,
        reason="Correspond sur : lecture",
        terms=terms,
        themes=(),
        snippet=Snippet(""),
        source="national",
    )


class Clock:
    """The store's clock, set by the test: no sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    url = os.environ.get("MATCHER_TEST_POSTGRES")
    if url:
        yield url
        return
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL absent: set MATCHER_TEST_POSTGRES=postgresql+psycopg://… or install Debian's postgresql package"
        )
    server = ThrowawayPostgres(bindir)
    try:
        url = server.start()
    except Exception as error:  # noqa: BLE001 - any failure to start means: skip, saying why
        server.stop()
        detail = getattr(error, "stderr", "") or error
        pytest.skip(f"could not start a throwaway PostgreSQL from {bindir}: {detail}")
    yield url
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for one test: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "data" / "feedback.sqlite3")
        return
    server = request.getfixturevalue("postgres_server")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield (
        sa.make_url(server)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[FeedbackStore]:
    with FeedbackStore.open(db_url, clock=clock) as opened:
        yield opened


def test_a_vote_is_kept_with_its_search_card_terms_and_versions(store: FeedbackStore, clock: Clock) -> None:
    search = store.record_search(
        "Atelier lecture parents-enfants", [card(1, "biblionef"), card(2, "afev", "moyenne", 0.12)], VERSIONS
    )
    clock.now += timedelta(minutes=2)
    store.record_vote(search, "afev", NOT_RELEVANT, reason="autre", comment="  Nous travaillons déjà avec eux.  ")
    (vote,) = store.votes()
    assert (vote.description, vote.partner_id, vote.rank, vote.confidence) == (
        "Atelier lecture parents-enfants",
        "afev",
        2,
        "moyenne",
    )
    assert vote.score == pytest.approx(0.12)
    assert [(t.term, t.share, t.origin, t.source) for t in vote.terms] == [
        ("lecture", pytest.approx(0.08), "mot", ""),
        ("livre", pytest.approx(0.04), SYNONYM, "lire"),
    ]
    assert vote.versions == VERSIONS
    assert (vote.vote, vote.reason, vote.comment) == (NOT_RELEVANT, "autre", "Nous travaillons déjà avec eux.")
    assert vote.searched_at == datetime(2026, 3, 2, 9, 30) and vote.voted_at == datetime(2026, 3, 2, 9, 32)


def test_nothing_is_lost_when_the_store_is_closed_and_reopened(db_url: str) -> None:
    with FeedbackStore.open(db_url) as first:
        search = first.record_search("prévention bucco-dentaire", [card(1, "ufsbd")], VERSIONS)
        first.record_vote(search, "ufsbd", USEFUL)
    with FeedbackStore.open(db_url) as again:
        assert [(v.description, v.partner_id, v.vote) for v in again.votes()] == [
            ("prévention bucco-dentaire", "ufsbd", USEFUL)
        ]
        assert again.stats() == [StatsRow("ufsbd", "forte", shown=1, useful=1, not_relevant=0)]


def test_stats_count_each_shown_card_once_with_its_latest_vote(store: FeedbackStore) -> None:
    first = store.record_search("lecture", [card(1, "biblionef"), card(2, "afev", "moyenne")], VERSIONS)
    second = store.record_search("club de lecture", [card(1, "biblionef"), card(2, "afev", "faible")], VERSIONS)
    store.record_search("livres", [card(1, "biblionef")], VERSIONS)
    store.record_vote(first, "biblionef", USEFUL)
    store.record_vote(first, "afev", USEFUL)
    store.record_vote(first, "afev", NOT_RELEVANT, reason="hors_sujet")  # changed their mind
    store.record_vote(second, "biblionef", NOT_RELEVANT)
    assert store.stats() == [
        StatsRow("afev", "moyenne", shown=1, useful=0, not_relevant=1),
        StatsRow("afev", "faible", shown=1, useful=0, not_relevant=0),
        StatsRow("biblionef", "forte", shown=3, useful=1, not_relevant=1),
    ]
    assert store.stats(by=("confidence",)) == [
        StatsRow(None, "forte", shown=3, useful=1, not_relevant=1),
        StatsRow(None, "moyenne", shown=1, useful=0, not_relevant=1),
        StatsRow(None, "faible", shown=1, useful=0, not_relevant=0),
    ]
    assert store.stats()[2].share_useful == 0.5 and store.stats()[1].share_useful is None
    assert len(store.votes()) == 4  # the replaced vote is kept, only not counted


def test_export_writes_what_matcher_evaluate_reads(store: FeedbackStore, tmp_path: Path) -> None:
    reading = store.record_search("Atelier lecture", [card(1, "biblionef"), card(2, "afev")], VERSIONS)
    store.record_vote(reading, "biblionef", USEFUL)
    store.record_vote(reading, "afev", NOT_RELEVANT, reason="hors_territoire")
    teeth = store.record_search("brossage des dents", [card(1, "ufsbd")], VERSIONS)
    store.record_vote(teeth, "ufsbd", NOT_RELEVANT)  # no « Utile »: not evaluable
    done = store.export(tmp_path / "out")
    assert (done.projects, done.labels, done.left_out) == (1, 2, 1)
    projects, labels = read_projects(tmp_path / "out" / "projects.csv"), read_labels(tmp_path / "out" / "labels.csv")
    reading_id = project_id_for("Atelier lecture")
    assert projects == {reading_id: "Atelier lecture"}
    assert labels == {reading_id: {"biblionef": 2, "afev": 0}}


def test_a_description_keeps_its_project_id_across_exports_and_spellings(store: FeedbackStore, tmp_path: Path) -> None:
    assert project_id_for("Atelier  LECTURE\u00a0parents’enfants") == project_id_for("atelier lecture parents'enfants")
    assert project_id_for("atelier lecture") != project_id_for("atelier théâtre")
    first = store.record_search("Atelier lecture", [card(1, "biblionef")], VERSIONS)
    store.record_vote(first, "biblionef", USEFUL)
    store.export(tmp_path / "a")
    again = store.record_search("atelier  lecture ", [card(1, "biblionef"), card(2, "lire-et-faire-lire")], VERSIONS)
    store.record_vote(again, "lire-et-faire-lire", USEFUL)
    store.export(tmp_path / "b")
    before, after = read_projects(tmp_path / "a" / "projects.csv"), read_projects(tmp_path / "b" / "projects.csv")
    assert before == after == {project_id_for("Atelier lecture"): "Atelier lecture"}  # the first wording is kept
    assert read_labels(tmp_path / "b" / "labels.csv")[project_id_for("Atelier lecture")] == {
        "biblionef": 2,
        "lire-et-faire-lire": 2,
    }


def test_a_pair_judged_several_times_goes_to_the_majority_and_a_tie_to_the_latest_vote(store: FeedbackStore) -> None:
    def judge(partner_id: str, vote: str) -> None:
        store.record_vote(store.record_search("Soutien scolaire", [card(1, partner_id)], VERSIONS), partner_id, vote)

    for vote in (USEFUL, NOT_RELEVANT, NOT_RELEVANT):
        judge("afev", vote)
    for vote in (NOT_RELEVANT, USEFUL):
        judge("zupdeco", vote)
    grades = {j.partner_id: (j.grade, j.useful, j.not_relevant) for j in store.judgements()}
    assert grades == {"afev": (0, 1, 2), "zupdeco": (2, 1, 1)}


def test_judgements_for_learning_include_descriptions_judged_only_not_relevant(store: FeedbackStore) -> None:
    search = store.record_search("réfection de la toiture", [card(1, "ufsbd", "faible")], VERSIONS)
    store.record_vote(search, "ufsbd", NOT_RELEVANT, reason="hors_sujet")
    (judgement,) = store.judgements()
    assert (judgement.description, judgement.partner_id, judgement.grade) == ("réfection de la toiture", "ufsbd", 0)
    assert judgement.project_id == project_id_for("réfection de la toiture")


def test_delete_before_removes_older_searches_with_their_cards_and_votes(store: FeedbackStore, clock: Clock) -> None:
    clock.now = datetime(2025, 12, 31, 23, 59, tzinfo=timezone.utc)
    old = store.record_search("vieille recherche", [card(1, "afev"), card(2, "ufsbd")], VERSIONS)
    store.record_vote(old, "afev", USEFUL)
    clock.now = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
    recent = store.record_search("recherche récente", [card(1, "afev")], VERSIONS)
    store.record_vote(recent, "afev", NOT_RELEVANT)
    done = store.delete_before(date(2026, 1, 1))
    assert (done.searches, done.shown, done.votes) == (1, 2, 1)
    assert [v.description for v in store.votes()] == ["recherche récente"]
    assert store.stats() == [StatsRow("afev", "forte", shown=1, useful=0, not_relevant=1)]
    assert store.delete_before(date(2026, 1, 1)).searches == 0


def test_writes_from_eight_threads_at_once_lose_nothing(store: FeedbackStore) -> None:
    start, errors = threading.Barrier(8), []

    def write(worker: int) -> None:
        start.wait()
        try:
            for i in range(25):  # 50 writes: a search, then a vote on it
                search = store.record_search(f"projet {worker}-{i}", [card(1, f"partenaire-{worker}")], VERSIONS)
                store.record_vote(search, f"partenaire-{worker}", USEFUL if i % 2 else NOT_RELEVANT)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.votes()) == 200
    assert store.stats() == [
        StatsRow(f"partenaire-{n}", "forte", shown=25, useful=12, not_relevant=13) for n in range(8)
    ]


def test_a_vote_needs_a_shown_partner_a_known_vote_and_a_reason_from_the_list(store: FeedbackStore) -> None:
    search = store.record_search("lecture", [card(1, "biblionef")], VERSIONS)
    with pytest.raises(ValueError, match="'afev' was not shown by search"):
        store.record_vote(search, "afev", USEFUL)
    with pytest.raises(ValueError, match="vote must be one of"):
        store.record_vote(search, "biblionef", "bof")
    with pytest.raises(ValueError, match="reason must be one of"):
        store.record_vote(search, "biblionef", NOT_RELEVANT, reason="trop cher")
    with pytest.raises(ValueError, match="only goes with a « Pas pertinent »"):
        store.record_vote(search, "biblionef", USEFUL, reason="autre")
    store.record_vote(search, "biblionef", NOT_RELEVANT, reason="autre", comment="x" * (COMMENT_MAX + 50))
    assert store.votes()[0].comment == "x" * COMMENT_MAX


def test_a_new_database_is_created_at_the_current_schema_version(db_url: str) -> None:
    with FeedbackStore.open(db_url) as store, store.engine.connect() as conn:
        assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)


def test_an_older_database_is_migrated_by_a_later_release_and_keeps_its_data(store: FeedbackStore) -> None:
    search = store.record_search("lecture", [card(1, "biblionef")], VERSIONS)
    store.record_vote(search, "biblionef", USEFUL)

    def add_weight(conn: sa.Connection) -> None:
        conn.execute(sa.text("ALTER TABLE feedback_votes ADD COLUMN weight FLOAT DEFAULT 1.0"))

    later = (*MIGRATIONS, Migration(SCHEMA_VERSION + 1, "votes get a weight", add_weight))
    assert migrate(store.engine, later) == [SCHEMA_VERSION + 1]
    assert migrate(store.engine, later) == []  # already there
    with store.engine.connect() as conn:
        assert schema_version(conn) == SCHEMA_VERSION + 1
        assert conn.execute(sa.text("SELECT weight FROM feedback_votes")).scalars().all() == [1.0]
    assert [(v.description, v.vote) for v in store.votes()] == [("lecture", USEFUL)]
    with pytest.raises(FeedbackError, match=f"au schéma {SCHEMA_VERSION + 1}, plus récent .* mettez matcher à jour"):
        FeedbackStore.open(store.engine.url.render_as_string(hide_password=False))


# -- where the database is ----------------------------------------------------------------
def test_the_database_is_matcher_db_else_a_file_in_the_users_data_folder(tmp_path: Path) -> None:
    assert database_url(environ={"XDG_DATA_HOME": str(tmp_path)}).database == str(
        tmp_path / "matcher" / "feedback.sqlite3"
    )
    assert database_url(environ={"HOME": "/home/ana"}).database == "/home/ana/.local/share/matcher/feedback.sqlite3"
    assert database_url(environ={"MATCHER_DB": str(tmp_path / "avis.db")}).database == str(tmp_path / "avis.db")
    url = database_url(environ={"MATCHER_DB": "postgresql://matcher:secret@db.local/avis"})
    assert url.drivername == "postgresql+psycopg" and url.database == "avis"
    assert database_url("sqlite:///x.db", environ={"MATCHER_DB": "ignored.db"}).database == "x.db"


def test_the_store_creates_its_folder_on_first_use(tmp_path: Path) -> None:
    with FeedbackStore.open(tmp_path / "new" / "folder" / "feedback.sqlite3") as store:
        store.record_search("lecture", [], VERSIONS)
    assert (tmp_path / "new" / "folder" / "feedback.sqlite3").is_file()


def test_matcher_feedback_zero_turns_feedback_off() -> None:
    assert feedback_enabled({}) and feedback_enabled({"MATCHER_FEEDBACK": "1"})
    assert not any(feedback_enabled({"MATCHER_FEEDBACK": v}) for v in ("0", "false", "non", "OFF"))


# -- the command line ---------------------------------------------------------------------
def test_cli_prints_stats_exports_and_deletes(
    db_url: str,
    clock: Clock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    matcher: PartnerMatcher,
) -> None:
    monkeypatch.setattr(cli, "_matcher", lambda extra=(): matcher)  # the session's index, for `evaluate`
    with FeedbackStore.open(db_url, clock=clock) as store:
        search = store.record_search("Atelier lecture", [card(1, "biblionef"), card(2, "afev", "moyenne")], VERSIONS)
        store.record_vote(search, "biblionef", USEFUL)
        store.record_vote(search, "afev", NOT_RELEVANT, reason="deja_partenaire")
    assert cli.main(["feedback", "stats", "--db", db_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Par niveau de confiance"
    assert out[1].split() == ["confiance", "montré", "utile", "pas", "pertinent", "part", "utile"]
    assert out[2].split() == ["forte", "1", "1", "0", "100", "%"]
    assert "Par partenaire et niveau de confiance" in out
    assert ["afev", "moyenne", "1", "0", "1", "0", "%"] in [line.split() for line in out]

    assert cli.main(["feedback", "export", "-o", str(tmp_path / "out"), "--db", db_url]) == 0
    assert capsys.readouterr().err == f"1 projet(s), 2 étiquette(s) écrits dans {tmp_path / 'out'}.\n"
    assert cli.main(["evaluate", str(tmp_path / "out" / "projects.csv"), str(tmp_path / "out" / "labels.csv")]) == 0
    assert capsys.readouterr().out.startswith("ndcg@5=")

    assert cli.main(["feedback", "delete", "--before", "2026-03-03", "--db", db_url]) == 0
    assert (
        capsys.readouterr().out
        == "1 recherche(s) d'avant le 2026-03-03 supprimée(s), avec 2 partenaire(s) montré(s) et 2 avis.\n"
    )
    assert cli.main(["feedback", "stats", "--db", db_url]) == 0
    assert capsys.readouterr().out.startswith("Aucun partenaire montré pour l'instant")


def test_reading_commands_never_create_an_empty_database(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["feedback", "stats", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert ("introuvable" in err) if "://" not in db_url else ("ne contient pas d'avis" in err)
    assert not Path(db_url).exists()


def test_cli_reads_matcher_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "avis.sqlite3"
    with FeedbackStore.open(path) as store:
        store.record_vote(store.record_search("lecture", [card(1, "biblionef")], VERSIONS), "biblionef", USEFUL)
    monkeypatch.setenv("MATCHER_DB", str(path))
    assert cli.main(["feedback", "stats"]) == 0
    assert "biblionef" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stats", "--db", "://nulle-part"], "« ://nulle-part » n'est pas une adresse de base de données valide"),
        (["stats", "--db", "oracle+rien://x/y"], "Type de base de données inconnu « oracle+rien »"),
        (
            ["stats", "--db", "postgresql://matcher@127.0.0.1:1/avis"],
            "Impossible d'ouvrir la base des avis postgresql+psycopg://matcher@127.0.0.1:1/avis",
        ),
        (["stats", "--db", "{tmp}/absente.sqlite3"], "Base des avis introuvable : {tmp}/absente.sqlite3"),
        (
            ["stats", "--db", "{tmp}/pas-une-base.sqlite3"],
            "Impossible d'ouvrir la base des avis {tmp}/pas-une-base.sqlite3 : file is not a database",
        ),
        (
            ["export", "-o", "{tmp}/out", "--db", "{tmp}"],
            "Impossible d'ouvrir la base des avis {tmp} : unable to open database file",
        ),
        (
            ["delete", "--before", "31/01/2026", "--db", "{tmp}/x.sqlite3"],
            "« 31/01/2026 » n'est pas une date AAAA-MM-JJ valide",
        ),
    ],
)
def test_a_database_problem_is_one_french_line_and_exit_status_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pas-une-base.sqlite3").write_text("ceci n'est pas une base SQLite\n" * 100)
    assert cli.main(["feedback", *(a.format(tmp=tmp_path) for a in argv)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"Erreur : {message.format(tmp=tmp_path)}") and captured.err.count("\n") == 1


def test_a_password_never_appears_in_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["feedback", "stats", "--db", "postgresql://matcher:s3cr3t@127.0.0.1:1/avis"]) == 2
    err = capsys.readouterr().err
    assert "s3cr3t" not in err and "matcher:***@127.0.0.1:1" in err
