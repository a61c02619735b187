"""French text steps: normalise, lemmatise with spaCy, fold accents, drop stop words.

Every step is a small pure callable; `FrenchAnalyzer` chains them and keeps the
character offsets of each term so that explanations can mark the matched words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from spacy.lang.fr.stop_words import STOP_WORDS as SPACY_STOP_WORDS

MODEL = "fr_core_news_sm"
# The lemmatizer needs the morphologizer's POS tags; everything else is dead weight.
UNUSED_COMPONENTS = ("parser", "ner", "senter")

_CHAR_MAP = str.maketrans(
    {
        "\u2019": "'",  # ’ right single quotation mark, the usual typographic apostrophe
        "\u2018": "'",  # ‘
        "\u02bc": "'",  # ʼ modifier letter apostrophe
        "\u2032": "'",  # ′ prime, a frequent stand-in
        "`": "'",
        "\u00b4": "'",  # ´
        "\u00a0": " ",  # non-breaking space
        "\u202f": " ",  # narrow non-breaking space (before ; : ! ? in French)
        "\u2007": " ",
        "\u2011": "-",  # non-breaking hyphen
        "\u2010": "-",
        "\u00ad": "",  # soft hyphen
        "\u200b": "",  # zero-width space
        "\ufeff": "",  # BOM / zero-width no-break space
    }
)
_SPACES = re.compile(r"[^\S\n]+")
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)'(?=\w)")

# Content words that spaCy lists as stop words but that carry meaning in project sheets.
_KEPT = {
    "ouvert", "ouverte", "ouverts", "retour", "parler", "parle", "parlent", "personne",
    "proche", "nouveau", "premier", "première", "dire", "suivre", "stop", "possible",
    "troisième", "quatrième", "cinquième", "sixième",  # school years: "stage de 3e"
}  # fmt: skip
# Words present in nearly every project sheet or partner text: they rank nothing.
DOMAIN_STOP_WORDS = frozenset(
    """
    projet action actions dispositif objectif objectifs mettre place mise
    permettre favoriser developper proposer visant viser travers cadre souhaiter
    souhaite vouloir pouvoir devoir falloir faire aller avoir etre ete etc citer
    ainsi notamment afin egalement tres bien mieux cite cites educatif educative
    educatives educatifs annee annees fois cours partir autour aupres
    """.split()
)


def normalize(text: str) -> str:
    """Return `text` in NFKC with typographic apostrophes, odd spaces and hyphens unified."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    return _SPACES.sub(" ", text).strip()


def fold(word: str) -> str:
    """Lower-case `word` and strip its accents and ligatures: 'Théâtre' -> 'theatre'."""
    word = word.lower().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def strip_elision(word: str) -> str:
    """Drop an elided article or pronoun glued to a word: "l'école" -> "école"."""
    return _ELISION.sub("", word)


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


STOP_WORDS = frozenset(
    {fold(w) for w in SPACY_STOP_WORDS if w not in _KEPT} | DOMAIN_STOP_WORDS
)


@cache
def load_nlp(model: str = MODEL) -> Any:
    """Load the spaCy pipeline once per process, without the components we never use."""
    import spacy

    try:
        return spacy.load(model, exclude=list(UNUSED_COMPONENTS))
    except OSError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            f"Le modèle spaCy « {model} » est absent : lancez `make install` "
            f"(ou `pip install {model.replace('_', '-')}`)."
        ) from error


@cache
def french_lexicon() -> frozenset[str]:
    """About 140,000 French words (pyspellchecker's frequency list): tells typos from words."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="fr", distance=1).word_frequency.dictionary)


@dataclass(frozen=True)
class Token:
    """A term of the index and where it stands in the (normalised) text."""

    term: str  # folded lemma, the unit of matching: "theatre", "parent-enfant"
    lemma: str  # the lemma as written, for display: "théâtre"
    start: int
    end: int
    form: str = ""  # the folded surface form, a fallback when the lemma is unknown


class FrenchAnalyzer:
    """Turn French text into folded lemmas, hyphenated words kept whole and by part.

    Lower-casing happens before spaCy: sentence-initial capitals otherwise turn verbs
    into proper nouns that the lemmatizer leaves as they are ("Accompagner").
    """

    def __init__(
        self,
        nlp: Any = None,
        stop_words: frozenset[str] = STOP_WORDS,
        min_length: int = 2,
        lexicon: Container[str] | None = None,
    ):
        self.nlp = nlp
        self.stop_words = stop_words
        self.min_length = min_length
        self.lexicon = lexicon if lexicon is not None else french_lexicon()

    @property
    def pipeline(self) -> Any:
        if self.nlp is None:
            self.nlp = load_nlp()
        return self.nlp

    def tokens(self, text: str) -> list[Token]:
        """The kept terms of one text, with offsets into `normalize(text)`."""
        return self._tokens(self.pipeline(normalize(text).lower()))

    def tokens_many(self, texts: Iterable[str], batch_size: int = 256, n_process: int = 1) -> Iterator[list[Token]]:
        """`tokens` for many texts through `nlp.pipe`, in order."""
        normalised = (normalize(t).lower() for t in texts)
        for doc in self.pipeline.pipe(normalised, batch_size=batch_size, n_process=n_process):
            yield self._tokens(doc)

    def __call__(self, text: str) -> list[str]:
        return [t.term for t in self.tokens(text)]

    def _tokens(self, doc: Any) -> list[Token]:
        out: list[Token] = []
        for group in _hyphen_groups(doc):
            words = [self._word(t) for t in group]
            parts = [self._token(lemma, form, t.idx, t.idx + len(t)) for (lemma, form), t in zip(words, group)]
            if len(group) > 1:  # "parents-enfants": the whole, then each part
                lemma, form = "-".join(w for w, _ in words), "-".join(f for _, f in words)
                whole = self._token(lemma, form, group[0].idx, group[-1].idx + len(group[-1]))
                if whole is not None and all(p is not None for p in parts):
                    out.append(whole)
            for part in parts:
                if part is not None:
                    out.append(part)
                    if len(group) == 1 and "-" in part.lemma:  # spaCy kept it whole: "tout-petit"
                        out.extend(self._split(part))
        return out

    def _word(self, token: Any) -> tuple[str, str]:
        """The lemma of a spaCy token, elision removed, and its surface form."""
        form = token.lower_
        lemma = strip_elision(token.lemma_.lower().strip("'-")) or form
        return repair_lemma(lemma, form, self.lexicon), form

    def _token(self, lemma: str, form: str, start: int, end: int) -> Token | None:
        folded = fold(lemma)
        if not self._keep(folded):
            return None
        return Token(folded, lemma, start, end, fold(form))

    def _split(self, token: Token) -> list[Token]:
        out, offset = [], token.start
        for part in token.lemma.split("-"):
            kept = self._token(part, part, offset, offset + len(part))
            if kept is not None:
                out.append(kept)
            offset += len(part) + 1
        return out

    def _keep(self, term: str) -> bool:
        return (
            len(term) >= self.min_length
            and term not in self.stop_words
            and any(c.isalpha() for c in term)
            and all(c.isalnum() or c in "-'+" for c in term)
        )


def repair_lemma(lemma: str, form: str, lexicon: Container[str]) -> str:
    """spaCy's lemma, unless it is no French word ("bibliothèqu", "harcèlemer") while the
    word as written is: then the written word, singular when that is a word too."""
    if lemma in lexicon or form not in lexicon or not form.isalpha():
        return lemma
    singular = form[:-1] if form.endswith(("s", "x")) else form
    return singular if singular in lexicon else form


def _hyphen_groups(doc: Any) -> Iterator[list[Any]]:
    """Group tokens joined by hyphens with no space ("bucco - dentaire" from "bucco-dentaire")."""
    group: list[Any] = []
    i, n = 0, len(doc)
    while i < n:
        token = doc[i]
        joined = (
            group
            and token.text == "-"
            and not group[-1].whitespace_
            and not token.whitespace_
            and i + 1 < n
            and doc[i + 1].is_alpha
            and group[-1].is_alpha
        )
        if joined:
            group.append(doc[i + 1])
            i += 2
            continue
        if group:
            yield group
        group = [token]
        i += 1
    if group:
        yield group
