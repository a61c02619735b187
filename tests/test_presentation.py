"""What the app says about results, without Streamlit: the user's words, card lines, links, catalogue, reliability."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from matcher import PartnerMatcher
from matcher.catalogue import CATALOGUE, CATALOGUE_DATE, Partner
from matcher.confidence import LEVELS, Thresholds
from matcher.feedback import StatsRow, Versions
from matcher.presentation import (
    DEFAULT_RESULTS,
    MAX_RESULTS,
    SearchState,
    card_text,
    catalogue_label,
    catalogue_versions,
    clamp_results,
    confidence_help,
    filter_catalogue,
    filter_partners,
    french_date,
    level_reason,
    partner_sheet,
    quality_rows,
    quote_of,
    read_address,
    result_message,
    shortfall,
    spellings,
    understand,
    web_url,
)
from matcher.reliability import RELIABILITY, TOLERANCE, measure, tuning_sets
from matcher.results import EXAMPLE, Match, Snippet
from matcher.thesaurus import THESAURUS

ROOT = Path(__file__).resolve().parent.parent


def looked_at(matcher: PartnerMatcher, text: str, k: int = 5):  # type: ignore[no-untyped-def]
    result = matcher.search(text, k=k)
    return result, spellings(text, matcher.analyzer_.tokens(text))


# -- "Ce que nous avons compris" ------------------------------------------------------------------
def test_the_panel_shows_the_words_as_typed_and_credits_synonyms_to_them(matcher: PartnerMatcher) -> None:
    result, written = looked_at(matcher, "Les enfants de 6 ans qui mangent à la cantine")
    understood = understand(result.analysis, written)
    assert understood.own == ("enfants", "ans")  # not the lemmas "enfant", "an"
    sources = {added.sources for added in understood.added}
    assert ("mangent",) in sources  # the user wrote "mangent", not "manger"
    assert ("cantine",) in sources  # not the expression "la cantine"
    assert not understood.empty


def test_a_hyphenated_phrase_is_credited_once(matcher: PartnerMatcher) -> None:
    result, written = looked_at(matcher, "atelier lecture parents-enfants")
    understood = understand(result.analysis, written)
    assert understood.own == ("atelier", "lecture", "parents", "enfants")
    family = next(a for a in understood.added if "famille" in a.terms)
    assert family.sources == ("atelier", "parents-enfants")  # words the user wrote, not "parents", "enfants" again


def test_words_set_aside_are_shown_as_typed(matcher: PartnerMatcher) -> None:
    result, written = looked_at(matcher, "réaliser une fresque murale avec les enfants qui vont peindre")
    understood = understand(result.analysis, written)
    assert "murale" in understood.set_aside  # as typed, not the lemma "mural"
    assert "vont" not in understood.set_aside and "aller" not in understood.set_aside  # function verbs are no content


@pytest.mark.parametrize(
    ("text", "expected"),
    [("🎉🎉 !!", "seulement des chiffres, des signes ou des émojis"), ("le la de pour", "mots trop courants")],
)
def test_a_description_without_content_words_says_why(matcher: PartnerMatcher, text: str, expected: str) -> None:
    result, written = looked_at(matcher, text)
    assert expected in understand(result.analysis, written).empty
    assert ("aucun mot" in result_message(result)) == ("émojis" in expected)


# -- the card ------------------------------------------------------------------------------------
def test_a_card_names_each_term_once_and_leaves_the_rest_to_the_detail(matcher: PartnerMatcher) -> None:
    result, written = looked_at(matcher, "Stage de théâtre pendant les vacances pour des adolescents")
    first = result.matches[0]
    card = card_text(first, result.analysis, written, matcher.thresholds_)
    named = [*card.own, *(t for a in card.added for t in a.terms), *(f for _, f in card.corrected)]
    assert len(named) == len(set(named)) <= 4
    words = [t for t in first.terms if t.origin != EXAMPLE]  # similar judged projects are said apart
    assert card.hidden == len(words) - 4 > 0
    assert len(card.terms) == len(first.terms)  # the detail lists them all…
    assert sum(t.share for t in card.terms) == pytest.approx(1.0)  # …with their share of the score
    assert "→" not in card.line and "via" not in card.line  # one way of saying it: "synonyme de « théâtre »"
    assert "(synonyme de « théâtre »)" in card.line


def test_the_quote_is_labelled_and_keywords_lose_their_prefix() -> None:
    label, quote = quote_of(Snippet("Mots-clés : clubs lecture ; parents", ((18, 25), (28, 35)), "keywords"))
    assert label == "Ses mots-clés"
    assert quote.marked() == "clubs [lecture] ; [parents]"
    assert quote_of(Snippet("Une phrase.", (), "description"))[0] == "Extrait de sa présentation"


def match(score: float, confidence: str, coverage: float = 0.5, own_words: bool = True) -> Match:
    return Match(
        1, "p", "P", score, confidence, "", (), (), Snippet(""), "national", coverage=coverage, own_words=own_words
    )


def test_a_level_is_explained_with_scores_that_differ_from_the_cut_offs(matcher: PartnerMatcher) -> None:
    analysis = matcher.analyse("atelier lecture parents enfants")
    cuts = Thresholds(faible=0.04, moyenne=0.10, forte=0.20)
    weak = level_reason(match(0.0998, "faible"), analysis, ["atelier"], cuts)
    assert "score 0,100, sous 0,10" in weak  # not "0,10, sous 0,10"
    middle = level_reason(match(0.1954, "moyenne"), analysis, ["lecture"], cuts)
    assert "score 0,195, entre 0,10 et 0,20" in middle
    assert "2 des 4 mots" in middle and "votre mot « lecture »" in middle
    assert "synonymes" in level_reason(match(0.3, "faible", own_words=False), analysis, [], cuts)


def test_the_help_gives_the_measured_reliability_of_each_level() -> None:
    text = confidence_help(Thresholds())
    for level in LEVELS:
        assert f"**{level}** : {round(RELIABILITY[level] * 100)}\u00a0%" in text
    assert "même score" in text  # why two cards at one score can differ


@pytest.mark.parametrize(
    ("shown", "asked", "available", "filtered", "expected"),
    [
        (5, 5, 28, False, ""),
        (9, 20, 28, False, "9 partenaires proposés sur les 20 demandés : les autres partagent trop peu de mots"),
        (2, 10, 3, True, "les filtres n'en laissent que 3"),
        (0, 10, 28, False, ""),
    ],
)
def test_fewer_partners_than_asked_are_explained(
    shown: int, asked: int, available: int, filtered: bool, expected: str
) -> None:
    said = shortfall(shown, asked, available, filtered)
    assert (expected in said) if expected else said == ""


# -- the address -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [("5", 5, ""), ("50", MAX_RESULTS, "Au plus 20"), ("0", 1, "Au moins 1"), ("-3", 1, "Au moins 1"),
     ("beaucoup", DEFAULT_RESULTS, "n'est pas un nombre"), (7.0, 7, ""), ("inf", DEFAULT_RESULTS, "pas un nombre")],
)  # fmt: skip
def test_the_number_of_results_is_clamped_with_a_french_note(value: object, expected: int, note: str) -> None:
    k, said = clamp_results(value)
    assert k == expected
    assert (note in said) if note else said == ""


def test_a_link_round_trips_and_unknown_filters_are_dropped_with_a_note() -> None:
    state = SearchState("atelier lecture", ("santé", "sport"), ("association",), 12)
    params = state.params()
    assert params == {"q": ["atelier lecture"], "theme": ["santé", "sport"], "type": ["association"], "k": ["12"]}
    assert read_address(params, ["santé", "sport"], ["association"]).state == state
    read = read_address({"q": ["x"], "theme": ["sante", "inconnu"], "k": ["99"]}, ["santé", "sport"], [])
    assert read.state == SearchState("x", ("santé",), (), MAX_RESULTS)  # accents do not matter in a link
    assert any("inconnu" in n for n in read.notes) and any("Au plus 20" in n for n in read.notes)
    assert SearchState().params() == {} and read_address({}, [], []).state == SearchState()


# -- partners and catalogues ------------------------------------------------------------------------
def test_catalogue_search_ignores_accents_and_case(matcher: PartnerMatcher) -> None:
    found = filter_partners(matcher.partners_, "santé")
    assert len(found) > 1
    assert filter_partners(matcher.partners_, "SANTE") == found
    assert filter_partners(matcher.partners_, "sante bucco") == [p for p in found if "bucco" in p.name.lower()]
    assert filter_partners(matcher.partners_, "  ") == list(matcher.partners_)


def test_the_filtered_catalogue_is_what_a_filtered_search_can_propose(matcher: PartnerMatcher) -> None:
    allowed = filter_catalogue(matcher.partners_, ["santé"], ["association"])
    assert allowed and all("santé" in p.themes and p.kind == "association" for p in allowed)
    found = matcher.search("santé des enfants, alimentation, dents", k=20, themes=["santé"], kinds=["association"])
    assert {m.partner_id for m in found.matches} <= {p.partner_id for p in allowed}
    assert filter_catalogue(matcher.partners_, [], []) == list(matcher.partners_)


def test_the_partner_page_says_where_the_partner_comes_from() -> None:
    national = Partner("p", "Partenaire", "Ce qu'il fait.", "association", ("santé",), ("dents",), "https://p.example")
    sheet = partner_sheet(national)
    assert sheet.url == "https://p.example" and "site" in sheet.contact
    assert f"à jour au {french_date(CATALOGUE_DATE)}" in sheet.catalogue
    local = Partner("l", "Local", "Texte.", url="javascript:alert(1)", source="ludo.csv")
    sheet = partner_sheet(local, datetime(2026, 3, 1, 14, 5))
    assert sheet.url == "" and "n'indique pas de contact" in sheet.contact
    assert (
        sheet.catalogue == "Catalogue local « ludo.csv », ajouté le 1 mars 2026 à 14:05 (pour cette session seulement)"
    )
    assert catalogue_label("ludo.csv") == "Catalogue local « ludo.csv » (pour cette session seulement)"
    assert web_url("https://a.example/x y") == "" and web_url(" HTTP://a.example ") == "HTTP://a.example"


def test_the_catalogue_date_is_not_older_than_the_catalogue() -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("no git checkout: the catalogue's last change cannot be read")
    changed = subprocess.run(
        [git, "log", "-1", "--format=%as", "--", "matcher/data/partners.csv"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if not changed:
        pytest.skip("the catalogue file has no commit in this checkout")
    assert date.fromisoformat(CATALOGUE_DATE) >= date.fromisoformat(changed), (
        f"matcher/data/partners.csv changed on {changed}: set CATALOGUE_DATE in matcher/catalogue.py"
    )


def test_catalogue_versions_are_the_stores_and_change_with_a_local_catalogue() -> None:
    bundled = catalogue_versions("1.0")
    assert bundled == Versions.from_files([Path(str(CATALOGUE)), Path(str(THESAURUS))], "1.0")
    assert catalogue_versions("1.0", [b"partner_id,name,description\n"]).catalogue != bundled.catalogue


def test_quality_rows_have_french_headers_and_partner_names() -> None:
    rows = quality_rows(
        [StatsRow("biblionef", "forte", 4, 3, 1), StatsRow(None, "faible", 2, 0, 0)], {"biblionef": "Biblionef"}
    )
    assert rows[0] == {"Partenaire": "Biblionef", "Confiance": "forte", "Montré": 4, "Jugé utile": 3,
                       "Jugé pas pertinent": 1, "Part utile": "75\u00a0%"}  # fmt: skip
    assert rows[1]["Partenaire"] == "tous" and rows[1]["Part utile"] == "—"


# -- the reliability figures -------------------------------------------------------------------------
def test_reliability_figures_are_those_measured_today(matcher: PartnerMatcher) -> None:
    """RELIABILITY is what the app tells users: it must follow the engine (python -m matcher.reliability)."""
    counts = measure(matcher, tuning_sets())
    assert set(RELIABILITY) == set(LEVELS) == set(counts)
    for level, count in counts.items():
        assert count.proposed > 50, level
        assert abs(count.share - RELIABILITY[level]) <= TOLERANCE, (
            f"{level}: measured {count.share:.3f}, RELIABILITY says {RELIABILITY[level]}; refresh it with "
            "python -m matcher.reliability"
        )
    assert RELIABILITY["forte"] > RELIABILITY["moyenne"] > RELIABILITY["faible"]


def test_a_short_description_about_something_no_partner_knows_says_which_word(matcher: PartnerMatcher) -> None:
    result, written = looked_at(matcher, "nettoyage des locaux scolaires")
    assert result.matches and result.status == "correspondance faible"
    for match in result.matches:
        assert match.confidence == "faible"
        assert "« nettoyage », le mot qui dit de quoi parle votre description" in level_reason(
            match, result.analysis, (), matcher.thresholds_
        )
    formats = matcher.rank("initiation à la programmation")  # a format word is not the topic
    assert formats and formats[0].confidence != "faible"
