"""The engine's parts, each on its own: lexicon, spelling, thesaurus, fitted model, saved models, API checks."""

from __future__ import annotations

import dataclasses
import gc
import pickle
import re
from pathlib import Path

import pytest

from matcher import Match, PartnerMatcher, model_cache, regex_cache
from matcher.catalogue import Partner
from matcher.index import default_lexicon
from matcher.lexicon import Lexicon, specificity
from matcher.spelling import SpellingCorrector
from matcher.text import MAX_CHARS, FrenchAnalyzer
from matcher.thesaurus import Thesaurus

PARTNERS = (
    Partner(
        "lune",
        "Compagnie de la Lune",
        "Spectacles et ateliers de marionnettes pour les enfants.",
        keywords=("théâtre",),
    ),
    Partner(
        "livres", "Les Livres du Quartier", "Dons de livres et ateliers de lecture à voix haute.", keywords=("lecture",)
    ),
)


# -- lexicon -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "word", ["atténuation", "attenuation", "debut", "defense", "theme", "maitres", "materiels", "Œuvre"]
)
def test_a_real_word_is_a_word_with_or_without_its_accents(word: str) -> None:
    assert word in default_lexicon()


@pytest.mark.parametrize("typo", ["lectrure", "prevension", "harcelemnt", "bibliothequ"])
def test_a_typo_is_no_word(typo: str) -> None:
    assert typo not in default_lexicon()


def test_common_words_are_less_specific_than_rare_ones() -> None:
    lexicon = default_lexicon()
    assert lexicon.zipf("enfant") > lexicon.zipf("natation") > 0
    assert lexicon.specificity("faire") < lexicon.specificity("enfant") < lexicon.specificity("kamishibaï") == 1.0
    assert specificity(7.0) == 0.0 and specificity(0.0) == 1.0


def test_a_lexicon_folds_forms_and_keeps_the_highest_frequency() -> None:
    lexicon = Lexicon.from_frequencies([("théâtre", 4.0), ("theatre", 3.0), ("rarissime", 1.0)], min_zipf=1.5)
    assert lexicon.zipf("THEATRE") == 4.0
    assert "rarissime" not in lexicon


# -- spelling ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corrector() -> SpellingCorrector:
    return SpellingCorrector({"lecture", "prevention", "harcelement", "theatre", "attention"}, default_lexicon())


@pytest.mark.parametrize(
    ("typo", "fixed"), [("lectrure", "lecture"), ("prevension", "prevention"), ("harcelemnt", "harcelement")]
)
def test_a_typo_is_bent_to_the_nearest_known_word(corrector: SpellingCorrector, typo: str, fixed: str) -> None:
    assert corrector.correct(typo) == fixed


@pytest.mark.parametrize("word", ["attenuation", "arbre", "theatres", "lecteur", "qwertz", "tectrure"])
def test_a_real_word_or_a_far_one_is_left_alone(corrector: SpellingCorrector, word: str) -> None:
    assert corrector.correct(word) is None


def test_a_corrector_survives_pickling_with_an_empty_memo(corrector: SpellingCorrector) -> None:
    corrector.correct("lectrure")
    copy = pickle.loads(pickle.dumps(corrector))
    assert copy.correct("lectrure") == "lecture" and len(copy._memo) == 1


# -- thesaurus -----------------------------------------------------------------------------
def test_compiling_a_thesaurus_returns_a_new_object_and_changes_nothing() -> None:
    thesaurus = Thesaurus({"café des parents": ("parentalité",), "colo": ("colonie de vacances",)})
    before = dict(thesaurus.entries)
    compiled = thesaurus.compile(FrenchAnalyzer(default_lexicon()))
    assert dict(thesaurus.entries) == before and not hasattr(thesaurus, "rules_")
    assert {r.expression for r in compiled.rules} == {"café des parents", "colo"}
    with pytest.raises(TypeError):
        thesaurus.entries["x"] = ("y",)  # type: ignore[index]


def test_a_multi_word_expression_needs_its_words_close_together() -> None:
    compiled = Thesaurus({"café des parents": ("parentalité",)}).compile(FrenchAnalyzer(default_lexicon()))
    assert [e.term for e in compiled.expand(["cafe", "parent", "atelier"])] == ["parentalite"]
    assert [e.term for e in compiled.expand(["parent", "atelier"])] == []
    far = ["cafe", "atelier", "theatre", "musique", "danse", "parent"]
    assert compiled.expand(far) == []


# -- the fitted model -----------------------------------------------------------------------
def test_the_constructor_stores_its_options_only() -> None:
    thesaurus = Thesaurus({"marionnette": ("théâtre",)})
    matcher = PartnerMatcher(thesaurus=thesaurus, specificity_weight=0.5)
    assert matcher.thesaurus is thesaurus and matcher.specificity_weight == 0.5
    assert not [name for name in vars(matcher) if name.endswith("_")]


def test_fit_returns_self_and_two_matchers_sharing_a_thesaurus_do_not_interfere() -> None:
    thesaurus = Thesaurus({"marionnette": ("théâtre",)})
    partners = list(PARTNERS)
    first = PartnerMatcher(thesaurus=thesaurus)
    assert first.fit(partners) is first
    second = PartnerMatcher(thesaurus=thesaurus, analyzer=FrenchAnalyzer(default_lexicon(), min_length=9)).fit(partners)
    assert partners == list(PARTNERS) and dict(thesaurus.entries) == {"marionnette": ("théâtre",)}
    assert first.rank("marionnettes")[0].partner_id == "lune"
    assert first.thesaurus_ is not second.thesaurus_
    assert [r.key for r in first.thesaurus_.rules] == [("marionnette",)]


# -- saved models --------------------------------------------------------------------------
@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MATCHER_CACHE", str(tmp_path))
    return tmp_path


def test_a_fitted_model_is_saved_and_reloaded_with_the_same_answers(cache_dir: Path) -> None:
    fitted = PartnerMatcher.from_partners(PARTNERS)
    (saved,) = cache_dir.glob("model-*.pickle")
    assert PartnerMatcher.from_partners(PARTNERS) is fitted  # still in use in the process: not read again
    expected = fitted.search("atelier marionnettes")
    del fitted
    gc.collect()
    loaded = PartnerMatcher.from_partners(PARTNERS)  # read from the saved file
    assert loaded.search("atelier marionnettes") == expected
    changed = (dataclasses.replace(PARTNERS[0], description="Cirque et jonglerie."), PARTNERS[1])
    PartnerMatcher.from_partners(changed)
    assert len(list(cache_dir.glob("model-*.pickle"))) == 2  # another catalogue, another key
    assert saved.exists()


def test_a_damaged_saved_model_is_ignored_and_replaced(cache_dir: Path) -> None:
    PartnerMatcher.from_partners(PARTNERS)
    gc.collect()  # no longer in use: the next one is read from the file
    (saved,) = cache_dir.glob("model-*.pickle")
    saved.write_bytes(model_cache.FORMAT + b"not a pickle")
    assert PartnerMatcher.from_partners(PARTNERS).rank("marionnettes")[0].partner_id == "lune"
    assert pickle.loads(saved.read_bytes()[len(model_cache.FORMAT) :])  # rewritten whole


def test_a_long_pattern_read_back_from_the_cache_is_the_very_pattern_re_compiles(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spacy.lang.fr.tokenizer_exceptions import TOKEN_MATCH

    french = TOKEN_MATCH.__self__.pattern  # 1.45 million characters
    named = "|".join(f"(?P<w{i}>mot{i})-(?:[a-zé]+|\\d{{2,}})" for i in range(200)) + "|(?i:ÉTÉ)"
    for pattern, flags in ((french, 0), (named, re.IGNORECASE)):
        first, expected = regex_cache.compiled(pattern, flags), regex_cache._compile(pattern, flags)
        assert first == expected  # Pattern.__eq__ compares the programs
        assert (first.groupindex, first.groups, first.flags) == (expected.groupindex, expected.groups, expected.flags)
    assert len(list(cache_dir.glob("model-*.pickle"))) == 2

    def parse_again(pattern: str, flags: int = 0) -> regex_cache.Program:
        raise AssertionError("the program was saved: it is read, not generated again")

    monkeypatch.setattr(regex_cache, "program", parse_again)
    again = regex_cache.compiled(french)
    assert again == regex_cache._compile(french)
    assert [bool(again.match(w)) for w in ("vis-à-vis", "arc-en-ciel", "l'école", "parents-enfants")] == [
        True,
        True,
        False,
        False,
    ]


def test_a_program_that_cannot_be_read_back_falls_back_on_re_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    garbled = regex_cache.Program(0, b"\x00" * 16, 0, {}, (None,))
    monkeypatch.setattr(model_cache, "cached", lambda key, build: garbled)
    assert regex_cache.compiled("(?P<mot>[a-z]+)-(?P=mot)") == re.compile("(?P<mot>[a-z]+)-(?P=mot)")


def test_only_long_patterns_go_through_the_cache_and_only_within_the_block(cache_dir: Path) -> None:
    original = re.compile
    with regex_cache.long_patterns_cached():
        assert re.compile("court|brefs") == original("court|brefs")
        assert list(cache_dir.glob("model-*.pickle")) == []
        long = re.compile("|".join(f"mot{i}" for i in range(regex_cache.LONG // 5)))
        assert long.match("mot42") and not long.match("motus")
        assert len(list(cache_dir.glob("model-*.pickle"))) == 1
    assert re.compile is original


def test_caching_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    PartnerMatcher.from_partners(PARTNERS)
    assert list(tmp_path.rglob("*.pickle")) == []


# -- API checks ----------------------------------------------------------------------------
def test_api_traps_are_clear_errors(matcher: PartnerMatcher) -> None:
    with pytest.raises(TypeError, match="not a str"):
        matcher.search("atelier lecture", themes="santé")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a str"):
        list(matcher.search_many("lecture"))
    with pytest.raises(ValueError, match="unknown theme 'jardinage'"):
        matcher.search("atelier lecture", themes=["jardinage"])
    with pytest.raises(ValueError, match="k must be between 1 and"):
        matcher.search("atelier lecture", k=0)


def test_odd_texts_are_searched_not_refused(matcher: PartnerMatcher) -> None:
    assert matcher.rank("lecture \ud800")[0].partner_id == matcher.rank("lecture")[0].partner_id
    huge = "atelier de lecture pour les enfants. " * 40_000  # 1.5 million characters
    assert matcher.rank(huge) == matcher.rank(huge[:MAX_CHARS])  # read as its first 20,000 characters


def test_a_local_catalogue_can_be_given_as_one_path(tmp_path: Path) -> None:
    local = tmp_path / "local.csv"
    local.write_text(
        "partner_id,name,description\nlune,Compagnie de la Lune,Ateliers de marionnettes.\n", encoding="utf-8"
    )
    assert PartnerMatcher.from_csv(extra=local).rank("marionnettes")[0].partner_id == "lune"


# -- learning from judgements -----------------------------------------------------------------
def test_a_project_judged_relevant_votes_for_its_partner_on_similar_descriptions_and_is_cited() -> None:
    judged = (("spectacle de marionnettes au centre social", "livres", 2),)
    learned = PartnerMatcher.from_partners(PARTNERS, examples=judged, cache=False)
    first = learned.rank("marionnettes au centre social", k=2)
    assert {m.partner_id for m in first} == {"lune", "livres"}
    livres = next(m for m in first if m.partner_id == "livres")
    assert livres.similar is not None and livres.similar.source == "spectacle de marionnettes au centre social"
    assert "proche du projet « spectacle de marionnettes au centre social »" in livres.reason
    assert sum(t.share for t in livres.terms) == pytest.approx(livres.score)
    assert livres.confidence == "faible"  # the level rests on the words the partner's profile shares


def test_evaluation_never_scores_a_project_with_its_own_judgement() -> None:
    text = "spectacle de marionnettes au centre social"
    learned = PartnerMatcher.from_partners(PARTNERS, examples=((text, "livres", 2),), cache=False)

    def livres(matcher: PartnerMatcher) -> Match | None:
        return next((m for m in matcher.rank(text) if m.partner_id == "livres"), None)

    assert livres(learned) is not None and livres(learned).similar is not None  # it learnt the answer…
    assert livres(learned.without_examples([text])) is None  # …which evaluation does not let it use
    assert livres(learned) is not None  # and the original is unchanged


def test_a_pair_judged_not_relevant_is_lowered_but_never_for_a_description_naming_the_partner() -> None:
    judged = (("ateliers de marionnettes", "lune", 0),)
    plain = PartnerMatcher.from_partners(PARTNERS, cache=False)
    learned = PartnerMatcher.from_partners(PARTNERS, examples=judged, cache=False)
    before, after = plain.rank("ateliers de marionnettes")[0], learned.rank("ateliers de marionnettes")[0]
    assert after.partner_id == "lune" and after.score < before.score
    assert sum(t.share for t in after.terms) == pytest.approx(after.score)
    named = "ateliers de marionnettes avec la Compagnie de la Lune"
    assert learned.rank(named)[0].score == pytest.approx(plain.rank(named)[0].score)
    held = learned.without_examples(["ateliers de marionnettes"])  # evaluation: not scored with its own judgement
    assert held.rank("ateliers de marionnettes")[0].score == pytest.approx(before.score)


def test_judgements_on_unknown_partners_or_empty_descriptions_are_ignored_and_partial_grades_half_count() -> None:
    judged = (("théâtre", "inconnu", 2), ("théâtre", "lune", 1), ("  ", "lune", 2))
    learned = PartnerMatcher.from_partners(PARTNERS, examples=judged, cache=False)
    assert learned.examples_.relevant == ((0, "théâtre", 0.5),) and learned.examples_.not_relevant == ()
