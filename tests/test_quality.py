"""Ranking quality gates: a drop below the measured level fails the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher import PartnerMatcher
from matcher.evaluation import RANK_DEPTH, MatcherRanker, baselines, compare, score, seed_only
from matcher.files import read_labels, read_projects

from .conftest import ROOT, SHARED_EVAL

OWN = ROOT / "data" / "eval" / "paragraphs" / "tune"


def evaluate(matcher: PartnerMatcher, projects_csv: Path, labels_csv: Path) -> dict[str, float]:
    projects, labels = read_projects(projects_csv), read_labels(labels_csv)
    ranked = dict(zip(projects, MatcherRanker(matcher).rank_ids(list(projects.values()), RANK_DEPTH)))
    return score(labels, ranked, 5)


def test_quality_on_the_projects_own_labelled_set(matcher: PartnerMatcher) -> None:
    scores = evaluate(matcher, OWN / "projects.csv", OWN / "labels.csv")
    assert scores["projects"] >= 90
    assert scores["ndcg@5"] >= 0.93  # measured 0.936
    assert scores["hit@3"] >= 0.98  # 1.000
    assert scores["mrr"] >= 0.95  # 0.956


@pytest.mark.skipif(not (SHARED_EVAL / "dev_labels.csv").exists(), reason="shared development set not present")
def test_quality_on_the_shared_development_set(matcher: PartnerMatcher) -> None:
    scores = evaluate(matcher, SHARED_EVAL / "dev_projects.csv", SHARED_EVAL / "dev_labels.csv")
    assert scores["ndcg@5"] >= 0.96  # measured 0.965
    assert scores["hit@3"] >= 0.98  # 1.000
    assert scores["mrr"] >= 0.96  # 0.970


def test_ahead_of_every_standard_lexical_ranker_by_a_wide_margin(matcher: PartnerMatcher) -> None:
    projects, labels = read_projects(OWN / "projects.csv"), read_labels(OWN / "labels.csv")
    (ours,) = compare([MatcherRanker(matcher)], matcher.partners_, projects, labels)
    others = compare(baselines(matcher.analyzer_), seed_only(matcher.partners_), projects, labels)
    assert len(others) == 4
    for name, scores in others:
        assert ours[1]["ndcg@5"] >= scores["ndcg@5"] + 0.3, name


def test_a_description_no_partner_fits_is_flagged_low_confidence(matcher: PartnerMatcher) -> None:
    projects = read_projects(OWN / "nofit.csv")
    honest = [
        pid for pid, text in projects.items()
        if not (m := matcher.rank(text, k=1)) or m[0].confidence == "faible"
    ]  # fmt: skip
    # one known miss: "peinture des volets" reads like painting workshops (word sense)
    assert len(honest) >= len(projects) - 1, sorted(set(projects) - set(honest))


def test_a_clearly_relevant_partner_comes_with_moderate_or_high_confidence(matcher: PartnerMatcher) -> None:
    projects, labels = read_projects(OWN / "projects.csv"), read_labels(OWN / "labels.csv")
    confident = 0
    total = 0
    for pid, text in projects.items():
        clear = {p for p, g in labels[pid].items() if g == 2}
        if not clear:
            continue
        total += 1
        found = [m for m in matcher.rank(text, k=RANK_DEPTH) if m.partner_id in clear]
        confident += bool(found) and found[0].confidence in ("forte", "moyenne")
    assert confident / total >= 0.95
