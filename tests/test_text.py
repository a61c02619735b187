"""Golden tests of the French text steps: exact terms for the cases référents type."""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np
import pytest
import spacy
from thinc.api import NumpyOps, use_ops

from matcher.blas import InferenceOps
from matcher.index import default_lexicon
from matcher.text import (
    MODEL,
    UNUSED_COMPONENTS,
    FrenchAnalyzer,
    _add_lemmatizer,
    _word_lemmatizer,
    char_batches,
    checked_text,
    fold,
    join_compounds,
    load_nlp,
    normalize,
    repair_lemma,
    spacy_stop_words,
)


@pytest.fixture(scope="module")
def analyze() -> FrenchAnalyzer:
    return FrenchAnalyzer(default_lexicon())


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        # elisions, typographic apostrophes
        ("L’école d’un quartier", ["ecole", "quartier"]),
        ("J'ai mangé du kangourou qu'il aime", ["manger", "kangourou", "aimer"]),
        ("jusqu’à l’Europe", ["europe"]),
        # non-breaking and narrow non-breaking spaces
        ("Santé\u00a0: atelier\u202fthéâtre", ["sante", "atelier", "theatre"]),
        # accent- and case-insensitive
        ("theatre et THÉÂTRE", ["theatre", "theatre"]),
        # hyphenated words, whole and by part
        ("atelier lecture parents-enfants", ["atelier", "lecture", "parent-enfant", "parent", "enfant"]),
        (
            "prévention bucco-dentaire en maternelle",
            ["prevention", "bucco-dentaire", "bucco", "dentaire", "maternelle"],
        ),
        ("lecture\u2011écriture", ["lecture-ecriture", "lecture", "ecriture"]),
        # ligatures
        ("l’œuvre et les œuvres", ["oeuvre", "oeuvre"]),
        # school years survive stop-word removal
        ("stage de 3e en Allemagne", ["stage", "troisieme", "allemagne"]),
        # nothing but stop words
        ("le la les de un projet pour", []),
        # nouns whose lemma is also a function verb or a stop word survive
        ("aide aux devoirs", ["aide", "devoir"]),
        ("tournoi de football filles", ["tournoi", "football", "fille"]),
        ("les fils et les tours", ["fils", "tour"]),
        ("le pouvoir d'agir des habitants", ["pouvoir", "agir", "habitant"]),
        # … while the verbs do not
        ("ils doivent pouvoir faire", []),
        # a plural with a sense of its own keeps it: chess, not failure
        ("un club d'échecs contre l'échec", ["club", "echecs", "echec"]),
        # lemmatizer slips repaired from the lexicon
        ("city stade", ["city", "stade"]),
    ],
)
def test_terms(analyze: FrenchAnalyzer, text: str, terms: list[str]) -> None:
    assert analyze(text) == terms


def test_offsets_point_at_the_words_in_the_normalised_text(analyze: FrenchAnalyzer) -> None:
    text = "Atelier lecture parents-enfants"
    spans = [(t.term, normalize(text)[t.start : t.end]) for t in analyze.tokens(text)]
    assert spans == [
        ("atelier", "Atelier"),
        ("lecture", "lecture"),
        ("parent-enfant", "parents-enfants"),
        ("parent", "parents"),
        ("enfant", "enfants"),
    ]


def test_lemma_keeps_accents_for_display(analyze: FrenchAnalyzer) -> None:
    assert [t.lemma for t in analyze.tokens("Les théâtres")] == ["théâtre"]


def test_normalize_unifies_apostrophes_spaces_and_compatibility_forms() -> None:
    assert normalize("L’école\u00a0 d‘un  ﬁlm\u200b ") == "L'école d'un film"


def test_fold() -> None:
    assert fold("Œuvre Théâtre Ça") == "oeuvre theatre ca"


@pytest.mark.parametrize(
    "word", ["Éducation", "e\u0301le\u0300ve", "ǅ", "ﬁlm", "ΟΔΟΣ", "Tiếng Việt", "한국어", "Å\u0323", "ça", "œuvre"]
)
def test_fold_is_nfd_without_combining_marks(word: str) -> None:
    lowered = word.lower().replace("œ", "oe").replace("æ", "ae")
    whole = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
    assert fold(word) == whole


def test_words_typed_apart_are_joined_as_the_catalogue_writes_them() -> None:
    compounds = {("bien", "etre"), ("parent", "enfant"), ("vis", "a", "vis")}
    text = "Bien être des Parents enfants, vis à vis ; parents  enfants, bien\u00a0être"
    assert join_compounds(text, compounds) == (
        "Bien-être des Parents-enfants, vis-à-vis ; parents  enfants, bien\u00a0être"
    )


def test_lemmas_found_once_per_word_are_those_of_spacys_own_lemmatizer(analyze: FrenchAnalyzer) -> None:
    nlp = load_nlp()
    lemmatizer = _word_lemmatizer(nlp)
    assert lemmatizer is not None
    texts = ["la tour et le tour du quartier", "aide aux devoirs", "ils doivent lire des livres", "les livres lus"]
    memo: dict = {}  # shared by the texts, as in a batch
    for text in map(analyze.prepare, texts):
        lemmatizer.cache.clear()
        in_pipe = analyze._tokens(nlp(text), spacy_stop_words(), {}, None)
        lemmatizer.cache.clear()
        once = analyze._tokens(nlp(text, disable=["lemmatizer"]), spacy_stop_words(), memo, lemmatizer)
        assert once == in_pipe


@pytest.mark.parametrize(
    ("lemma", "form", "expected"),
    [
        ("bibliothèqu", "bibliothèques", "bibliothèque"),
        ("stad", "stade", "stade"),
        ("être", "sommes", "être"),
        ("oeil", "yeux", "oeil"),
    ],
)
def test_a_lemma_that_is_no_word_or_a_far_rarer_one_is_repaired(lemma: str, form: str, expected: str) -> None:
    assert repair_lemma(lemma, form, default_lexicon()) == expected


def test_texts_are_checked_cut_and_cleaned_of_lone_surrogates() -> None:
    assert checked_text("lecture \ud800", 100) == "lecture \ufffd"
    assert len(checked_text("a" * 30_000)) == 20_000
    with pytest.raises(TypeError, match="must be a str"):
        checked_text(None)


def test_batches_are_bounded_in_texts_and_characters() -> None:
    texts = ["a" * 10, "b" * 10, "c" * 50, "d", "e", "f"]
    assert list(char_batches(texts, 3, 25)) == [["a" * 10, "b" * 10], ["c" * 50], ["d", "e", "f"]]


def test_many_texts_give_the_same_terms_as_one_by_one(analyze: FrenchAnalyzer) -> None:
    texts = ["Atelier théâtre", "", "l'accès au livre et à la lecture"]
    assert [[t.term for t in ts] for ts in analyze.tokens_many(texts)] == [analyze(t) for t in texts]


def test_inference_operations_give_thincs_own_numbers() -> None:
    numpy_ops, ours = NumpyOps(), InferenceOps()
    rng = np.random.default_rng(0)
    for _ in range(300):
        rows, width = int(rng.integers(0, 20)), int(rng.integers(1, 6))
        seq = rng.standard_normal((rows, width)).astype("f")
        cuts = np.sort(rng.integers(0, rows + 1, size=int(rng.integers(0, 4))))  # texts of any length, empty ones too
        lengths = np.diff(np.concatenate([[0], cuts, [rows]])).astype("int32")
        for bounds in (lengths, None):
            assert np.array_equal(ours.seq2col(seq, 1, lengths=bounds), numpy_ops.seq2col(seq, 1, lengths=bounds))
        pieces = rng.standard_normal((rows, width, int(rng.integers(1, 5)))).astype("f")
        assert np.array_equal(ours.maxout(pieces)[0], numpy_ops.maxout(pieces)[0])


def test_the_pipeline_splits_and_tags_as_spacy_does_with_its_own_operations() -> None:
    texts = [
        "Des ateliers de lecture parents-enfants à la médiathèque le mercredi.",
        "Prévention bucco-dentaire en maternelle",
        "",
        "Les jeunes du quartier préparent un court métrage ; l'association les accompagne.",
        "Un arc-en-ciel vis-à-vis du terrain de ping-pong, peut-être mi-temps.",  # the tokenizer's long pattern
        "Nous sommes allés voir de nos yeux les Jeux de Paris 2024, hélas sans Zébulon ni les éco-délégués.",
    ]
    ours = load_nlp()
    with use_ops("numpy"):  # thinc's own, with blis, and the lemmatizer's tables as spaCy reads them
        theirs = spacy.load(MODEL, exclude=list(UNUSED_COMPONENTS))

    def tags(nlp: Any) -> list[list[tuple[str, str, str, str]]]:
        docs = nlp.pipe(texts, batch_size=len(texts))
        return [[(t.text, t.pos_, str(t.morph), t.lemma_) for t in doc] for doc in docs]

    assert tags(ours) == tags(theirs)


def test_the_lemmatizer_tables_read_as_dicts_answer_as_spacys_own() -> None:
    ours = load_nlp().get_pipe("lemmatizer").lookups
    theirs = spacy.load(MODEL, exclude=list(UNUSED_COMPONENTS)).get_pipe("lemmatizer").lookups
    assert ours.tables == theirs.tables

    def same(name: str, value: Any) -> Any:  # the index's word lists are made sets at loading (`_index_as_sets`)
        return {pos: set(words) for pos, words in value.items()} if name == "lemma_index" else value

    words = ["allés", "yeux", "sommes", "médiathèque", "zébulon", "", "noun", "verb", "adj", "xyzzy"]
    for name in theirs.tables:
        mine, spacys = ours.get_table(name), theirs.get_table(name)
        assert len(mine) == len(spacys) and mine.name == spacys.name == name
        assert same(name, dict(mine)) == same(name, dict(spacys))
        for key in [*words, *list(spacys)[:50]]:
            assert (key in mine) == (key in spacys)
            assert same(name, {0: mine.get(key, "?")}) == same(name, {0: spacys.get(key, "?")})


def test_a_pipeline_with_its_lemmatizer_or_not_read_from_a_model_is_left_as_it_is() -> None:
    assert not _add_lemmatizer(spacy.blank("fr"))  # no model folder to read tables from
    loaded = spacy.load(MODEL, exclude=list(UNUSED_COMPONENTS))
    assert not _add_lemmatizer(loaded)  # spaCy's own lemmatizer is kept
    assert loaded.pipe_names == ["tok2vec", "morphologizer", "lemmatizer"]
