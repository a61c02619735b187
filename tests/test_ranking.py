"""Ranking behaviour a référent relies on: the right partner first, explained, honest."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from matcher import Match, PartnerMatcher
from matcher.confidence import CONTEXT_WORDS
from matcher.explain import split_sentences
from matcher.files import read_examples
from matcher.index import FIELD_WEIGHTS, NO_SNIPPET
from matcher.results import CORRECTION, SYNONYM
from matcher.text import normalize


def test_reading_workshop_for_parents_and_children_puts_biblionef_first(matcher: PartnerMatcher) -> None:
    first = matcher.rank("atelier lecture parents-enfants")[0]
    assert first.partner_id == "biblionef"
    assert first.confidence in ("forte", "moyenne")
    assert first.reason.startswith("Correspond sur : lecture")
    assert "lecture et livre" in first.themes
    assert "[lecture]" in first.snippet.marked()


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("prévention bucco-dentaire en maternelle", "ufsbd"),
        ("brossage des dents", "ufsbd"),
        ("fake news", "mouvement-up"),
        ("stage en Allemagne", "erasmus-plus"),
        ("kamishibaï plurilingue", "dulala"),
        ("codage", "gen"),
        ("volontaires en service civique", "unis-cite"),
        # accents missing, typos
        ("education aux medias et a l'information", "mouvement-up"),
        ("ateliers de theatre et d'arts plastiques apres l'ecole", "momartre"),
        ("prevension buco-dentaire", "ufsbd"),
    ],
)
def test_everyday_words_find_their_partner(matcher: PartnerMatcher, description: str, expected: str) -> None:
    assert matcher.rank(description, k=3)[0].partner_id == expected


def brute_force_scores(matcher: PartnerMatcher, description: str) -> np.ndarray:
    """Cosine similarities recomputed from the definitions, without scikit-learn.

    Each name, theme, keyword and description sentence is analysed on its own; terms
    count with their field's weight; sublinear tf, smoothed idf, L2 norms; query terms
    weigh origin × idf × French-usage factor × (for a context word) the context weight, and
    unknown words count in the query norm.
    """
    analyze = matcher.analyzer_
    n = len(matcher.partners_)
    counts = []
    for p in matcher.partners_:
        c: Counter[str] = Counter()
        pieces = [("name", p.name), *(("themes", t) for t in p.themes), *(("keywords", k) for k in p.keywords)]
        pieces += [("description", s) for s in split_sentences(normalize(p.description))]
        for field, text in pieces:
            for term in analyze(normalize(text)):
                c[term] += FIELD_WEIGHTS[field]
        counts.append(c)
    df = Counter(term for c in counts for term in c)
    idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
    docs = []
    for c in counts:
        vec = {t: (1 + math.log(v)) * idf[t] for t, v in c.items()}
        norm = math.sqrt(sum(x * x for x in vec.values()))
        docs.append({t: x / norm for t, x in vec.items()})
    analysis = matcher.analyse(description)
    alpha = matcher.specificity_weight
    lexicon = matcher.lexicon_
    query = {
        q.term: q.weight
        * idf[q.term]
        * (1 - alpha * (1 - min(1, max(0, (6 - lexicon.zipf(q.term)) / 1.5))))  # Zipf 6: none, 4.5: all
        * (matcher.context_weight if q.term in CONTEXT_WORDS else 1.0)
        for q in analysis.terms
    }
    unseen = (math.log(n + 1) + 1) ** 2 * len(analysis.unknown)
    qnorm = math.sqrt(sum(x * x for x in query.values()) + unseen)
    return np.array([sum(w * d.get(t, 0.0) for t, w in query.items()) / qnorm for d in docs])


@pytest.mark.parametrize(
    "description",
    [
        "atelier lecture parents-enfants",
        "brossage des dents et alimentation saine en maternelle, parents invités",
        "Nous cherchons des jeunes volontaires pour animer la cour de récréation ; xyzzy",
    ],
)
def test_scores_and_term_shares_match_a_brute_force_computation(matcher: PartnerMatcher, description: str) -> None:
    expected = brute_force_scores(matcher, description)
    matches = matcher.rank(description, k=len(matcher.partners_))
    assert matches
    ids = [p.partner_id for p in matcher.partners_]
    votes = brute_force_votes(matcher, description)
    for m in matches:
        assert 0.0 <= m.lexical_score <= 1.0
        assert m.lexical_score == pytest.approx(expected[ids.index(m.partner_id)], abs=1e-9)
        assert m.score == pytest.approx(m.lexical_score + votes[ids.index(m.partner_id)], abs=1e-9)
        assert sum(t.share for t in m.terms) == pytest.approx(m.score, abs=1e-9)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def brute_force_votes(matcher: PartnerMatcher, description: str) -> np.ndarray:
    """The judged projects' votes recomputed: the `neighbours` most similar judged descriptions (cosine of
    their query vectors) vote for their partners, 1 for grade 2 and 0.5 for grade 1, × similarity × weight."""
    judged: dict[str, dict[str, int]] = {}
    for text, partner, grade in read_examples():
        if grade and text.strip():
            judged.setdefault(text.strip(), {})[partner] = max(grade, judged.get(text.strip(), {}).get(partner, 0))
    texts = list(judged)
    query = matcher.transform([description]).toarray()[0]
    similarities = matcher.transform(texts).toarray() @ query
    ids = [p.partner_id for p in matcher.partners_]
    votes = np.zeros(len(ids))
    for i in sorted(range(len(texts)), key=lambda i: -similarities[i])[: matcher.neighbours]:
        for partner, grade in judged[texts[i]].items():
            if similarities[i] > 0 and partner in ids:
                votes[ids.index(partner)] += matcher.example_weight * similarities[i] * grade / 2
    return votes


def test_synonyms_and_spelling_fixes_are_labelled_as_such(matcher: PartnerMatcher) -> None:
    first = matcher.rank("brossage des dents")[0]
    assert any(t.origin == SYNONYM for t in first.terms)
    assert "via synonyme" in first.reason
    fixed = matcher.rank("lectrure")[0]
    assert any(t.origin == CORRECTION and t.source == "lectrure" and t.term == "lecture" for t in fixed.terms)
    assert "via correction : lectrure → lecture" in fixed.reason


def test_a_real_word_unknown_to_the_catalogue_is_not_bent_into_another(matcher: PartnerMatcher) -> None:
    analysis = matcher.analyse("élagage des arbres")
    assert analysis.terms == ()
    assert "arbre" in analysis.unknown


def test_user_words_weigh_more_than_their_expansions(matcher: PartnerMatcher) -> None:
    weights = {t.origin: t.weight for t in matcher.analyse("brossage des dents").terms}
    assert weights["mot"] > weights[SYNONYM]


@pytest.mark.parametrize("description", ["le la les de un projet pour", "   ", "", "🙂👍", "xkcd qwerty zzz"])
def test_no_usable_word_gets_a_plain_no_match_answer(matcher: PartnerMatcher, description: str) -> None:
    result = matcher.search(description)
    assert result.matches == ()
    assert result.status in ("description vide", "aucun mot exploitable")
    assert result.message


def test_words_foreign_to_every_partner_are_named_in_the_answer(matcher: PartnerMatcher) -> None:
    result = matcher.search("réfection de la toiture du gymnase")
    assert result.matches == ()
    assert "« toiture »" in result.message and "inconnus du catalogue" in result.message


def test_a_match_is_frozen(matcher: PartnerMatcher) -> None:
    match: Match = matcher.rank("lecture")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.score = 1.0  # type: ignore[misc]


def test_snippet_falls_back_to_keywords_when_the_description_has_no_matched_word(matcher: PartnerMatcher) -> None:
    first = matcher.rank("fake news")[0]
    assert first.snippet.field == "keywords"
    assert "[fake] [news]" in first.snippet.marked()


def test_filters_keep_only_partners_of_the_chosen_themes_and_kinds(matcher: PartnerMatcher) -> None:
    by_theme = matcher.search("atelier lecture parents-enfants", k=10, themes=["santé"]).matches
    assert by_theme and all(
        "santé" in matcher.partners_[[p.partner_id for p in matcher.partners_].index(m.partner_id)].themes
        for m in by_theme
    )
    by_kind = matcher.search("lecture et mémoire de l'esclavage", k=10, kinds=["fondation"]).matches
    assert by_kind and all(m.kind == "fondation" for m in by_kind)


def test_a_local_catalogue_is_merged_and_its_matches_say_where_they_come_from(tmp_path: Path) -> None:
    local = tmp_path / "mon-quartier.csv"
    local.write_text(
        "partner_id,name,description\ncompagnie-lune,Compagnie de la Lune,Compagnie de marionnettes : spectacles et ateliers de marionnettes.\n",
        encoding="utf-8",
    )
    matcher = PartnerMatcher.from_csv(extra=[local])
    first = matcher.rank("atelier marionnettes")[0]
    assert (first.partner_id, first.source) == ("compagnie-lune", "mon-quartier.csv")
    assert len(matcher.partners_) == 29


def test_search_many_gives_the_same_results_as_search(matcher: PartnerMatcher) -> None:
    texts = ["fake news", "", "atelier lecture parents-enfants", "fake news"]
    assert list(matcher.search_many(texts, k=3)) == [matcher.search(t, k=3) for t in texts]


def test_search_many_without_snippets_differs_only_by_them(matcher: PartnerMatcher) -> None:
    texts = ["fake news", "", "atelier lecture parents-enfants", "brossage des dents", "xyzzy"]
    full = list(matcher.search_many(texts, k=3))
    bare = list(matcher.search_many(texts, k=3, snippets=False))
    assert any(r.matches for r in bare)
    assert all(m.snippet == NO_SNIPPET for r in bare for m in r.matches)
    assert bare == [
        dataclasses.replace(r, matches=tuple(dataclasses.replace(m, snippet=NO_SNIPPET) for m in r.matches))
        for r in full
    ]


def test_a_description_must_be_text(matcher: PartnerMatcher) -> None:
    with pytest.raises(TypeError, match="description must be a str"):
        matcher.rank(None)  # type: ignore[arg-type]


def test_transform_places_descriptions_in_the_index_space(matcher: PartnerMatcher) -> None:
    texts = ["atelier lecture parents-enfants", "brossage des dents"]
    vectors = matcher.transform(t for t in texts)  # any iterable, a generator too
    assert vectors.shape == (2, len(matcher.vocabulary_))
    scores = (matcher.matrix_ @ vectors.T).toarray()
    assert [matcher.partners_[i].partner_id for i in scores.argmax(axis=0)] == ["biblionef", "ufsbd"]


def test_a_clipped_word_spelled_out_by_the_thesaurus_is_the_users_own_word(matcher: PartnerMatcher) -> None:
    """ "foot" is "football" for a référent: the match rests on their own word, not only on synonyms."""
    first = matcher.rank("tournoi de foot filles")[0]
    assert first.partner_id == "ligue-enseignement" and first.own_words
    assert first.confidence in ("forte", "moyenne")


def test_no_clear_match_is_said_only_when_no_proposal_is_above_faible(matcher: PartnerMatcher) -> None:
    """Judged projects can rank a "faible" partner above a "moyenne" one: the search is then not called weak."""
    for description in ("école ouverte pendant l'été", "petits déjeuners gratuits", "classe de mer cm2", "théâtre"):
        result = matcher.search(description)
        weak = all(m.confidence == "faible" for m in result.matches)
        assert (result.status == "correspondance faible") == (weak and bool(result.matches)), description


def test_a_chess_club_is_no_school_failure_project(matcher: PartnerMatcher) -> None:
    """ "échecs" (the game) is not "échec scolaire"; and "club" says the format, not the topic: no partner
    of the catalogue runs chess, so nothing is proposed with confidence. The failure still finds its partner."""
    for description in ("club d'échecs", "club echecs au college"):
        result = matcher.search(description)
        assert all(m.confidence == "faible" for m in result.matches), description
    for description in ("lutte contre l'échec scolaire", "prévenir les échecs scolaires"):
        assert matcher.rank(description)[0].partner_id == "coup-de-pouce", description


def test_a_match_on_format_words_alone_is_faible(matcher: PartnerMatcher) -> None:
    """ "atelier", "club", "séance" say how, not what: they do not make a match more than faible."""
    assert all(m.confidence == "faible" for m in matcher.search("atelier").matches)
    assert matcher.rank("atelier lecture")[0].confidence != "faible"
