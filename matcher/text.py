"""French text steps: normalise, lemmatise with spaCy, fold accents, drop function words.

Every step is a small pure callable; `FrenchAnalyzer` chains them and keeps the
character offsets of each term so that explanations can mark the matched words.
spaCy is imported only when a text is first analysed.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

MODEL = "fr_core_news_sm"
# The lemmatizer needs the morphologizer's POS tags; everything else is dead weight.
UNUSED_COMPONENTS = ("parser", "ner", "senter")
# spaCy refuses texts over 1,000,000 characters (E088); a project sheet's first 20,000
# characters (about 3,000 words) say what it is about.
MAX_CHARS = 20_000
# Texts per `nlp.pipe` call, bounded by characters too: spaCy holds a batch's arrays at
# once, so 256 texts of 20,000 characters would need gigabytes.
PIPE_BATCH = 256
PIPE_CHARS = 200_000
# A lemma this much rarer (in Zipf frequency) than the written word is a lemmatizer slip.
RARER_LEMMA = 1.5

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
        "\x00": " ",  # NUL: a separator, never glue between words
    }
)
_SPACES = re.compile(r"[^\S\n]+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)'(?=\w)")

# Lemmas that are function verbs when used as verbs ("il doit", "faire faire") but nouns
# worth keeping otherwise ("aide aux devoirs", "le pouvoir d'agir").
VERB_STOP_LEMMAS = frozenset(
    "etre avoir faire pouvoir devoir aller falloir vouloir mettre permettre venir sembler".split()
)
# Words present in nearly every project sheet or partner text: they rank nothing.
DOMAIN_STOP_WORDS = frozenset(
    """
    projet action actions dispositif objectif objectifs place mise favoriser developper
    proposer visant viser travers cadre souhaiter souhaite etc citer ainsi notamment afin
    egalement tres bien mieux cite cites educatif educative educatives educatifs annee annees
    fois cours partir autour aupres
    """.split()
)
# Written forms that spaCy lists as stop words but that carry meaning in project sheets.
_KEPT_FORMS = {
    "ouvert", "ouverte", "ouverts", "retour", "parler", "parle", "parlent", "personne", "personnes",
    "proche", "proches", "nouveau", "nouvelle", "premier", "première", "dire", "suivre", "stop", "possible",
    "troisième", "quatrième", "cinquième", "sixième", "seul", "seule", "seuls", "seules",  # "stage de 3e", "mères seules"
}  # fmt: skip
_FUNCTION_POS = frozenset({"DET", "ADP", "PRON", "CCONJ", "SCONJ", "AUX", "PUNCT", "SYM", "PART", "SPACE", "X"})


class Analyzer(Protocol):
    """Turns text into index terms with offsets; the matcher needs nothing else of spaCy."""

    def tokens(self, text: str) -> list[Token]: ...

    def tokens_many(self, texts: Iterable[str], n_process: int = 1) -> Iterator[list[Token]]: ...


def normalize(text: str) -> str:
    """Return `text` in NFKC with typographic apostrophes, odd spaces and hyphens unified."""
    text = unicodedata.normalize("NFKC", _SURROGATES.sub("\ufffd", text)).translate(_CHAR_MAP)
    return _SPACES.sub(" ", text).strip()


def fold(word: str) -> str:
    """Lower-case `word` and strip its accents and ligatures: 'Théâtre' -> 'theatre'."""
    word = word.lower().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def strip_elision(word: str) -> str:
    """Drop an elided article or pronoun glued to a word: "l'école" -> "école"."""
    return _ELISION.sub("", word)


def checked_text(description: object, limit: int = MAX_CHARS) -> str:
    """A description as the engine reads it: a str, lone surrogates replaced, cut at `limit`."""
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, not {type(description).__name__}")
    return _SURROGATES.sub("\ufffd", description[:limit])


@cache
def spacy_stop_words() -> frozenset[str]:
    """spaCy's French stop words (written forms), folded, minus the content words we keep."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(fold(w) for w in STOP_WORDS if w not in _KEPT_FORMS)


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


# spaCy makes no thread-safety promise: one lock per pipeline serialises its calls, and a
# memory zone around each call frees the strings and docs it created (flat memory in a server).
_LOCKS: dict[int, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(nlp: Any) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(id(nlp), threading.Lock())


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
    into proper nouns that the lemmatizer leaves as they are ("Accompagner"). A word is
    dropped when its written form is a stop word, when it is a function word (article,
    preposition, pronoun…), when its lemma is a function verb used as a verb ("doit"),
    or a programme-wide word ("projet"): nouns such as "devoirs" or "filles" stay.
    `lexicon` (any container of folded words) repairs lemmas that are no French word.
    """

    def __init__(
        self,
        lexicon: Container[str] = frozenset(),
        model: str = MODEL,
        min_length: int = 2,
        extra_stop_words: frozenset[str] = DOMAIN_STOP_WORDS,
        nlp: Any = None,
    ):
        self.lexicon = lexicon
        self.model = model
        self.min_length = min_length
        self.extra_stop_words = extra_stop_words
        self.nlp = nlp

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "nlp": None}  # a pipeline is loaded, never pickled

    def _pipeline(self) -> Any:
        return self.nlp if self.nlp is not None else load_nlp(self.model)

    def tokens(self, text: str) -> list[Token]:
        """The kept terms of one text, with offsets into `normalize(text)`."""
        nlp = self._pipeline()
        stop = spacy_stop_words()
        with _lock(nlp), nlp.memory_zone():
            return self._tokens(nlp(normalize(text).lower()), stop)

    def tokens_many(self, texts: Iterable[str], n_process: int = 1) -> Iterator[list[Token]]:
        """`tokens` for many texts, in order, through `nlp.pipe`.

        In one process, texts go in batches of at most PIPE_BATCH texts and PIPE_CHARS
        characters, each under the lock and in a memory zone, so that a long batch
        neither holds other users' queries for long nor grows memory. With `n_process`
        above 1 the texts stream through spaCy's worker processes.
        """
        nlp = self._pipeline()
        stop = spacy_stop_words()
        normalised = (normalize(t).lower() for t in texts)
        if n_process > 1:
            for doc in nlp.pipe(normalised, batch_size=PIPE_BATCH, n_process=n_process):
                yield self._tokens(doc, stop)
            return
        for batch in char_batches(normalised, PIPE_BATCH, PIPE_CHARS):
            with _lock(nlp), nlp.memory_zone():
                done = [self._tokens(doc, stop) for doc in nlp.pipe(batch, batch_size=len(batch))]
            yield from done

    def __call__(self, text: str) -> list[str]:
        return [t.term for t in self.tokens(text)]

    def _tokens(self, doc: Any, stop: frozenset[str]) -> list[Token]:
        out: list[Token] = []
        for group in _hyphen_groups(doc):
            words = [self._word(t) for t in group]
            kept = [self._keep(lemma, form, t.pos_, stop) for (lemma, form), t in zip(words, group)]
            parts = [
                Token(fold(lemma), lemma, t.idx, t.idx + len(t), fold(form)) if keep else None
                for (lemma, form), t, keep in zip(words, group, kept)
            ]
            if len(group) > 1 and all(kept):  # "parents-enfants": the whole, then each part
                lemma, form = "-".join(w for w, _ in words), "-".join(f for _, f in words)
                out.append(Token(fold(lemma), lemma, group[0].idx, group[-1].idx + len(group[-1]), fold(form)))
            for part in parts:
                if part is not None:
                    out.append(part)
                    if len(group) == 1 and "-" in part.lemma:  # spaCy kept it whole: "tout-petit"
                        out.extend(self._split(part, stop))
        return out

    def _word(self, token: Any) -> tuple[str, str]:
        """The lemma of a spaCy token, elision removed, and its surface form."""
        form = strip_elision(token.lower_) or token.lower_
        lemma = strip_elision(token.lemma_.lower().strip("'-")) or form
        return repair_lemma(lemma, form, self.lexicon), form

    def _split(self, token: Token, stop: frozenset[str]) -> list[Token]:
        out, offset = [], token.start
        for part in token.lemma.split("-"):
            if self._keep(part, part, "NOUN", stop):
                out.append(Token(fold(part), part, offset, offset + len(part), fold(part)))
            offset += len(part) + 1
        return out

    def _keep(self, lemma: str, form: str, pos: str, stop: frozenset[str]) -> bool:
        term, written = fold(lemma), fold(form)
        if len(term) < self.min_length or not any(c.isalpha() for c in term):
            return False
        if not all(c.isalnum() or c in "-'+" for c in term):
            return False
        if written in stop or term in self.extra_stop_words:
            return False
        if pos in _FUNCTION_POS and term in stop:  # "au" -> "à", "des" -> "de"
            return False
        return not (term in VERB_STOP_LEMMAS and pos in ("VERB", "AUX"))


def repair_lemma(lemma: str, form: str, lexicon: Container[str]) -> str:
    """spaCy's lemma, unless it is no French word ("bibliothèqu") or a far rarer one than
    the word as written ("stad" for "stade"): then the written word, singular when that
    is a word too. `lexicon` may be any container of folded words; with a Zipf
    frequency (`zipf`), "far rarer" is measured, else only absence counts."""
    if not form.isalpha() or lemma == form or fold(form) not in lexicon:
        return lemma
    singular = form[:-1] if form.endswith(("s", "x")) and len(form) > 3 else form
    written = singular if fold(singular) in lexicon else form
    zipf = getattr(lexicon, "zipf", None)
    if fold(lemma) not in lexicon or (zipf is not None and zipf(lemma) + RARER_LEMMA < zipf(written)):
        return written
    return lemma


def char_batches(texts: Iterable[str], size: int, chars: int) -> Iterator[list[str]]:
    """Consecutive lists of at most `size` texts and, unless one text alone is longer, `chars` characters."""
    batch: list[str] = []
    total = 0
    for text in texts:
        if batch and (len(batch) >= size or total + len(text) > chars):
            yield batch
            batch, total = [], 0
        batch.append(text)
        total += len(text)
    if batch:
        yield batch


def _hyphen_groups(doc: Sequence[Any]) -> Iterator[list[Any]]:
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
