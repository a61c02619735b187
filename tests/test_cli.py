"""The command line: readable output, JSON shape, evaluation agreeing with the shared scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matcher import PartnerMatcher, cli

from .conftest import ROOT, SHARED_EVAL


@pytest.fixture(autouse=True)
def shared_index(monkeypatch: pytest.MonkeyPatch, matcher: PartnerMatcher) -> None:
    """Reuse the session's index instead of building one per command."""
    monkeypatch.setattr(
        cli, "_matcher", lambda extra=(): matcher if not extra else PartnerMatcher.from_csv(extra=extra)
    )


def test_match_prints_a_ranked_table_with_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["match", "atelier lecture parents-enfants", "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.lstrip().startswith("1. Biblionef (biblionef)")
    assert "Correspond sur : lecture" in out
    assert out.count("confiance") == 3


def test_match_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["match", "brossage des dents", "--json", "-k", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"] == "brossage des dents"
    assert data["message"] == ""
    first = data["matches"][0]
    assert {
        "partner_id",
        "name",
        "score",
        "confidence",
        "reason",
        "terms",
        "themes",
        "snippet",
        "source",
    } <= first.keys()
    assert first["partner_id"] == "ufsbd" and first["source"] == "national"
    assert sum(t["share"] for t in first["terms"]) == pytest.approx(first["score"], abs=1e-3)


def test_match_json_says_plainly_when_nothing_fits(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["match", "le la les de un pour", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["matches"] == [] and "Aucun partenaire ne correspond clairement" in data["message"]


def test_partners_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["partners"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") >= 28 and "ufsbd" in out and "Union française pour la santé bucco-dentaire" in out


@pytest.mark.skipif(not (SHARED_EVAL / "score.py").exists(), reason="shared scorer not present")
def test_evaluate_agrees_with_the_shared_scorer_on_a_batch_ranking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    projects, labels = SHARED_EVAL / "dev_projects.csv", SHARED_EVAL / "dev_labels.csv"
    ranking = tmp_path / "r.csv"
    assert cli.main(["batch", str(projects), "-o", str(ranking), "-k", "10", "--quiet"]) == 0
    scorer = subprocess.run(
        [sys.executable, str(SHARED_EVAL / "score.py"), str(ranking), str(labels)],
        capture_output=True,
        text=True,
        check=True,
    )
    capsys.readouterr()
    assert cli.main(["evaluate", str(projects), str(labels)]) == 0
    assert capsys.readouterr().out.strip() == scorer.stdout.strip()


def test_evaluate_compare_prints_one_row_per_ranker(capsys: pytest.CaptureFixture[str]) -> None:
    own = ROOT / "data" / "eval" / "paragraphs" / "tune"
    assert cli.main(["evaluate", str(own / "projects.csv"), str(own / "labels.csv"), "--compare"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "---" not in line]
    assert [r.split(" | ")[0] for r in rows[1:]] == [
        "| matcher (ce projet)", "| TF-IDF, mots bruts", "| TF-IDF, lemmes spaCy", "| BM25, racines Snowball",
        "| TF-IDF, n-grammes de caractères 3–5",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", "absent.csv", "labels.csv"], "Fichier introuvable : absent.csv"),
        (["match", "lecture", "--partners", "absent.csv"], "Fichier introuvable : absent.csv"),
    ],
)
def test_a_users_mistake_is_one_line_on_stderr_and_exit_status_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"Erreur : {message}") and captured.err.count("\n") == 1


def test_every_command_has_help_text() -> None:
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) == {"match", "batch", "partners", "evaluate", "feedback"}
    nested = commands["feedback"]._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, sub in [*commands.items(), *((f"feedback {n}", s) for n, s in nested.items())]:
        for action in sub._actions:
            assert action.help, f"{name} {action.dest}"


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "matcher", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "match" in done.stdout
