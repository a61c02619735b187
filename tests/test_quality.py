"""Ranking quality gates, per kind of text and per split: a drop below the measured level fails the suite.

The sets live in data/eval/<kind>/<split>/ (see data/eval/README.md): `tune` splits were
looked at while tuning, `holdout` splits only as totals, `fresh` splits measured twice.
Measured levels are in comments.
"""

from __future__ import annotations

import pytest

from matcher import PartnerMatcher
from matcher.evaluation import (
    RANK_DEPTH,
    MatcherRanker,
    baselines,
    compare,
    discover,
    evaluate_set,
    held_out_search,
    seed_only,
    shared_dev_set,
    tune_examples,
)
from matcher.files import read_examples
from matcher.results import CORRECTION
from matcher.text import fold

SETS = {s.name: s for s in [*discover(), *filter(None, [shared_dev_set()])]}

# set: (nDCG@5, hit@3, no-fit texts flagged) at least — measured 2026-12-03, `matcher evaluate data/eval`.
# The engine learns from the tune splits (matcher/data/examples.csv): they are scored in held-out folds.
GATES = {
    "dev/tune": (0.96, 0.98, None),  # 0.984 / 1.000
    "paragraphs/tune": (0.93, 0.98, 23),  # 0.952 / 1.000 / 24 of 25
    "paragraphs/holdout": (0.88, 0.92, 11),  # 0.910 / 0.940 / 12 of 12
    "short/tune": (0.89, 0.95, 11),  # 0.915 / 0.970 / 12 of 12
    "short/holdout": (0.88, 0.92, 9),  # 0.904 / 0.948 / 10 of 12
    "long/tune": (0.89, 0.93, 14),  # 0.921 / 0.957 / 15 of 16
    "long/holdout": (0.88, 0.95, 15),  # 0.908 / 0.978 / 16 of 16
    # written this round by a writer who never saw the engine: measured once before the changes, once after
    "short/fresh": (0.92, 0.97, 18),  # 0.949 / 1.000 / 20 of 20
    "long/fresh": (0.90, 0.93, 11),  # 0.927 / 0.967 / 12 of 12
    "paragraphs/fresh": (0.88, 0.97, 9),  # 0.908 / 1.000 / 10 of 10
}


@pytest.mark.parametrize("name", sorted(GATES))
def test_quality_does_not_fall_below_the_measured_level(matcher: PartnerMatcher, name: str) -> None:
    if name not in SETS:
        pytest.skip(f"{name} is not present (the shared development set lives beside the repository)")
    ndcg, hit, flagged = GATES[name]
    scores = evaluate_set(matcher, SETS[name])
    assert scores["ndcg@5"] >= ndcg and scores["hit@3"] >= hit, scores
    if flagged is not None:
        assert scores["nofit_flagged"] >= flagged, scores


def test_ahead_of_every_standard_lexical_ranker_by_a_wide_margin(matcher: PartnerMatcher) -> None:
    projects, labels = SETS["paragraphs/tune"].read()
    (ours,) = compare([MatcherRanker(matcher)], matcher.partners_, projects, labels)
    others = compare(baselines(matcher.analyzer_), seed_only(matcher.partners_), projects, labels)
    assert len(others) == 4
    for name, scores in others:
        assert ours[1]["ndcg@5"] >= scores["ndcg@5"] + 0.3, name


def test_a_clearly_relevant_partner_mostly_comes_with_moderate_or_high_confidence(matcher: PartnerMatcher) -> None:
    """Per project, the best-ranked clearly relevant partner found: "moyenne" or "forte" (measured 0.797 on tune)."""
    confident = total = 0
    for labelled in (SETS[n] for n in ("paragraphs/tune", "short/tune", "long/tune")):
        projects, labels = labelled.read()
        for pid, result in zip(projects, held_out_search(matcher, projects.values(), RANK_DEPTH)):
            found = [m for m in result.matches if labels[pid].get(m.partner_id) == 2]
            if found:
                total += 1
                confident += found[0].confidence in ("forte", "moyenne")
    assert confident / total >= 0.78


def test_a_match_of_synonyms_or_context_words_only_is_at_most_faible(matcher: PartnerMatcher) -> None:
    for description in ("colo", "chicha", "les élèves, les parents et les enseignants du quartier"):
        for match in matcher.rank(description, k=5):
            assert match.confidence == "faible", (description, match.partner_id, match.reason)


def test_the_bundled_judged_projects_are_the_tuning_sets_and_only_them() -> None:
    """The engine learns from matcher/data/examples.csv: the tune splits' labels (`make examples` writes it),
    never a held-out text, so that held-out figures stay held out."""
    bundled = read_examples()
    assert bundled == tuple((text, partner, grade) for text, partner, grade, _ in tune_examples())
    tuned = {t.strip() for s in SETS.values() if s.split == "tune" and s.kind != "dev" for t in s.read()[0].values()}
    assert {text.strip() for text, _, _ in bundled} <= tuned  # a held-out query also in a tune set is scored in folds


def test_no_word_of_the_labelled_sets_typed_without_accents_is_corrected_into_another_word(
    matcher: PartnerMatcher,
) -> None:
    """Every text of every set, typed without accents: a spelling fix only ever replaces a word that is in
    no form a French word (a real word such as "attenuation" or "debut" stays itself)."""
    texts = [fold(t) for s in SETS.values() for part in (s.read()[0], s.nofit()) for t in part.values()]
    fixed = {
        (term.source, term.display)
        for text in texts
        for term in matcher.analyse(text).terms
        if term.origin == CORRECTION
    }
    assert len(texts) > 800
    assert not [pair for pair in fixed if fold(pair[0]) in matcher.lexicon_], sorted(fixed)
