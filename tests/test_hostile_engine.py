"""Hostile input that reaches the engine: odd arguments, interrupted runs, clashing ids, odd API calls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcher import PartnerMatcher, cli
from matcher.catalogue import Partner, merge
from matcher.errors import InputError

from .conftest import write_csv

SANTE = "Éducation à la santé : ateliers d'hygiène bucco-dentaire et de nutrition pour les collégiens"


def test_a_non_utf8_byte_in_an_argument_is_searched_not_a_traceback() -> None:
    argument = os.fsdecode(b"atelier lecture \xff\xfe")  # what Python makes of such bytes: lone surrogates
    out = subprocess.run(
        [sys.executable, "-m", "matcher", "match", argument, "-k", "1"],
        capture_output=True,
        text=True,
        errors="replace",
    )
    assert out.returncode == 0, out.stderr
    assert "Biblionef" in out.stdout and "Traceback" not in out.stderr


def test_compare_with_an_empty_description_ranks_it_like_any_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    projects = write_csv(tmp_path / "p.csv", [["project_id", "description"], ["A", ""], ["B", "atelier lecture"]])
    labels = write_csv(tmp_path / "l.csv", [["project_id", "partner_id", "grade"], ["B", "biblionef", "2"]])
    assert cli.main(["evaluate", str(projects), str(labels), "--compare"]) == 0
    assert capsys.readouterr().out.count("\n") >= 6  # a header, a rule, five rankers


def test_a_local_id_differing_only_in_case_from_a_national_one_is_refused() -> None:
    national = (Partner("biblionef", "Biblionef", "Dons de livres."),)
    local = (Partner("Biblionef", "Biblionef du quartier", "Livres.", source="local.csv"),)
    with pytest.raises(InputError, match="« Biblionef » existe dans « national » .*« biblionef »"):
        merge(national, local)


def test_jobs_beyond_the_cores_give_the_same_rows(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "p.csv", [["description"], [SANTE], ["atelier lecture"], [""]])
    for name, jobs in (("one.csv", "1"), ("many.csv", "64")):
        assert cli.main(["batch", str(source), "-o", str(tmp_path / name), "--quiet", "--jobs", jobs]) == 0
    assert (tmp_path / "many.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_ends_a_run_at_once_keeps_the_previous_output_and_says_so_in_one_line(tmp_path: Path, jobs: str) -> None:
    source = write_csv(tmp_path / "p.csv", [["description"], *([f"{SANTE} numéro {i}"] for i in range(20_000))])
    target = tmp_path / "r.csv"
    target.write_text("résultats précédents\n", encoding="utf-8")
    run = subprocess.Popen(
        [sys.executable, "-m", "matcher", "batch", str(source), "-o", str(target), "--jobs", jobs],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_default_sigint,  # a test run in the background inherits SIGINT ignored; a terminal does not
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".r.csv*")) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # waits for the run to be writing: the condition, not a duration, is what matters
    assert run.poll() is None, run.stderr.read() if run.stderr else ""
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, workers included
    out, err = run.communicate(timeout=30)
    assert run.returncode == 130
    assert err.strip() == "Interrompu.", err
    assert target.read_text(encoding="utf-8") == "résultats précédents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "r.csv"]


def test_api_text_over_a_million_characters_is_cut_like_a_batch_row(matcher: PartnerMatcher) -> None:
    result = matcher.search("lecture " * 200_000)
    assert result.matches and result.matches[0].partner_id == "biblionef"
