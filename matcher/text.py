"""French text steps: normalise, lemmatise with spaCy, fold accents, drop function words.

Every step is a small pure callable; `FrenchAnalyzer` chains them and keeps the
character offsets of each term so that explanations can mark the matched words.
spaCy is imported only when a text is first analysed.
"""

from __future__ import annotations

import re
import signal
import threading
import unicodedata
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, Protocol, TypeVar

MODEL = "fr_core_news_sm"
# The lemmatizer needs the morphologizer's POS tags; everything else is dead weight (the
# attribute ruler only copies POS into TAG: lemmas and POS were identical without it on
# 129,000 tokens of project texts).
UNUSED_COMPONENTS = ("parser", "ner", "senter", "attribute_ruler")
# spaCy refuses texts over 1,000,000 characters (E088); a project sheet's first 20,000
# characters (about 3,000 words) say what it is about.
MAX_CHARS = 20_000
# Texts per `nlp.pipe` call, bounded by characters too: spaCy holds a batch's arrays at
# once (256 texts of 20,000 characters would need gigabytes), and its tagger runs 5-10 %
# faster on batches of a few thousand characters, whose arrays stay in the processor's
# cache, than on 50,000 (measured on 8,000 project texts and on 300 texts of 4,000
# characters; 6,000 to 12,000 all do about as well). A longer text is a batch of its own.
PIPE_BATCH = 256
PIPE_CHARS = 8_000
# A lemma this much rarer (in Zipf frequency) than the written word is a lemmatizer slip.
RARER_LEMMA = 1.5
WORD_MEMO = 50_000  # analysed (form, lemma, POS) triples remembered for batches, per analyzer
SPACY_MEMO = 4_096  # answers remembered by spaCy's lemmatizer, and by its tokenizer's `token_match`, each

_K = TypeVar("_K")
_V = TypeVar("_V")

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
# Any character of _CHAR_MAP: `str.translate` costs about 15 µs on a text with accents, so it runs only when needed.
_MAPPED = re.compile("[" + "".join(re.escape(chr(c)) for c in _CHAR_MAP) + "]")
_SPACES = re.compile(r"[^\S\n]+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_BARE_WORD = re.compile(r"\b[a-z]{3,}\b")  # a word of three ASCII letters or more: maybe typed without accents
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
    fois cours partir autour aupres contre grace loin non
    """.split()
)
# Nouns whose plural names something else than their singular (folded written forms): a
# "club d'échecs" is about chess, not "l'échec scolaire". Such a plural is a term of its own.
PLURAL_SENSES = frozenset({"echecs"})
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
    text = unicodedata.normalize("NFKC", _SURROGATES.sub("\ufffd", text))
    if _MAPPED.search(text):
        text = text.translate(_CHAR_MAP)
    return _SPACES.sub(" ", text).strip()


class _Unaccented(dict[int, str]):
    """Each character's canonical decomposition without its combining marks ("é" -> "e"),
    computed once per character as `str.translate` asks for it."""

    def __missing__(self, code: int) -> str:
        bare = "".join(c for c in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(c))
        self[code] = bare
        return bare


_UNACCENTED = _Unaccented()


def fold(word: str) -> str:
    """Lower-case `word` and strip its accents and ligatures: 'Théâtre' -> 'theatre'.

    Character by character, this is `word` in NFD without its combining marks: the
    canonical reordering of NFD moves combining marks only.
    """
    word = word.lower()
    if word.isascii():
        return word
    return word.replace("œ", "oe").replace("æ", "ae").translate(_UNACCENTED)


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
    _import_french()
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(fold(w) for w in STOP_WORDS if w not in _KEPT_FORMS)


@cache
def _import_french() -> None:
    """Import spaCy's French language data, its tokenizer's 1.45-million-character pattern
    read back from the cache when compiled before (see `matcher.regex_cache`)."""
    from .regex_cache import long_patterns_cached

    with long_patterns_cached():
        import spacy.lang.fr  # noqa: F401


@cache
def load_nlp(model: str = MODEL) -> Any:
    """Load the spaCy pipeline once per process, without the components we never use, its
    models running on `InferenceOps` (see `matcher.blas`), its tokenizer's long pattern read
    back from the cache (see `matcher.regex_cache`), its lemmatizer's tables read as plain
    dicts (see `matcher.lookups`)."""
    import spacy
    from thinc.api import get_current_ops, set_current_ops

    from .blas import InferenceOps
    from .regex_cache import long_patterns_cached

    previous = get_current_ops()
    set_current_ops(InferenceOps())  # models take the current operations when they are built
    try:
        with long_patterns_cached():  # the tokenizer's patterns, compiled again from the saved model
            nlp = spacy.load(model, exclude=[*UNUSED_COMPONENTS, "lemmatizer"])
            if not _add_lemmatizer(nlp):  # not the rule or lookup lemmatizer: spaCy loads its own
                nlp = spacy.load(model, exclude=list(UNUSED_COMPONENTS))
    except OSError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            f"Le modèle spaCy « {model} » est absent : lancez `make install` "
            f"(ou `pip install {model.replace('_', '-')}`)."
        ) from error
    finally:
        set_current_ops(previous)
    _index_as_sets(nlp)
    _remember_token_match(nlp)
    if "lemmatizer" in nlp.pipe_names:  # its own memo of every (word, POS) it saw grew without end in a server
        nlp.get_pipe("lemmatizer").cache = Bounded(SPACY_MEMO)
    return nlp


def _add_lemmatizer(nlp: Any) -> bool:
    """Add the model's lemmatizer to `nlp` (spaCy's own class, with the model's settings), its
    lookup tables read as plain dicts (see `matcher.lookups`). False, and nothing added, when
    the model has no rule or lookup lemmatizer with saved tables."""
    from spacy.util import load_config

    from .lookups import read_lookups

    if nlp.path is None or "lemmatizer" in nlp.pipe_names:
        return False
    settings = dict(load_config(nlp.path / "config.cfg")["components"].get("lemmatizer", {}))
    tables = nlp.path / "lemmatizer" / "lookups" / "lookups.bin"
    if settings.pop("factory", None) != "lemmatizer" or settings.get("mode") not in ("rule", "lookup"):
        return False
    if not tables.is_file():
        return False
    nlp.add_pipe("lemmatizer", config=settings).initialize(lookups=read_lookups(tables))
    return True


class Bounded(dict[_K, _V]):
    """A memo that forgets everything at once when it holds `limit` entries: it cannot grow with
    what users type."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: _K, value: _V) -> None:
        if len(self) >= self.limit:
            self.clear()
        super().__setitem__(key, value)


def _index_as_sets(nlp: Any) -> None:
    """The rule lemmatizer asks whether a word is in `lemma_index`, lists of up to 66,000
    French words per part of speech (a scan each time: about 0.7 ms per new word); sets
    give the same answers at once. Its only use of the table is `in`."""
    if "lemmatizer" not in nlp.pipe_names:
        return
    lookups = nlp.get_pipe("lemmatizer").lookups
    if lookups.has_table("lemma_index"):
        index = lookups.get_table("lemma_index")
        for pos, words in list(index.items()):
            index[pos] = frozenset(words)


def _remember_token_match(nlp: Any) -> None:
    """The tokenizer's `token_match` with its answers remembered per string (at most SPACY_MEMO,
    then forgotten all at once). French's is one regular expression of 266 alternatives that
    spaCy tries on every new chunk of text; a single query's memory zone makes the tokenizer
    forget its words, so each query tried it again on every word (0.34 ms per project text,
    the tokenizer timed alone; 0.1 ms off the median query). The tokenizer only asks whether
    it matched."""
    match = nlp.tokenizer.token_match
    if match is None:
        return
    seen: Bounded[str, bool] = Bounded(SPACY_MEMO)

    def token_match(text: str) -> bool:
        found = seen.get(text)
        if found is None:
            found = seen[text] = bool(match(text))
        return found

    nlp.tokenizer.token_match = token_match


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
        # a pipeline is loaded, never pickled; the word memo is rebuilt as texts come
        return {k: v for k, v in {**self.__dict__, "nlp": None}.items() if k != "_words"}

    def _pipeline(self) -> Any:
        return self.nlp if self.nlp is not None else load_nlp(self.model)

    def prepare(self, text: str) -> str:
        """The text as spaCy gets it: normalised, lower-cased, accents restored on words typed
        without them ("ecrans" -> "écrans", which the lemmatizer knows); lengths are unchanged,
        so offsets still point into `normalize(text)`."""
        lowered = normalize(text).lower()
        accented = getattr(self.lexicon, "accented", None)
        return lowered if accented is None else _BARE_WORD.sub(lambda m: accented(m.group(0)), lowered)

    def tokens(self, text: str) -> list[Token]:
        """The kept terms of one text, with offsets into `normalize(text)`."""
        nlp = self._pipeline()
        stop = spacy_stop_words()
        from .blas import one_thread

        lemmatizer = _word_lemmatizer(nlp)
        skip = ["lemmatizer"] if lemmatizer is not None else []
        with _lock(nlp), one_thread(), nlp.memory_zone():
            return self._tokens(nlp(self.prepare(text), disable=skip), stop, {}, lemmatizer)

    def tokens_many(self, texts: Iterable[str], n_process: int = 1) -> Iterator[list[Token]]:
        """`tokens` for many texts, in order, through `nlp.pipe`.

        Texts go in batches of at most PIPE_BATCH texts and PIPE_CHARS characters. In one
        process, each batch runs under the lock, so that a long batch does not hold other
        users' queries for long. No memory zone here: it makes spaCy a quarter slower, and
        what a batch leaves in spaCy's string store is its vocabulary, which grows with the
        language, not with the number of texts. With `n_process` above 1, worker processes
        analyse the batches (see `_pool`).
        """
        batches = char_batches((self.prepare(t) for t in texts), PIPE_BATCH, PIPE_CHARS)
        if n_process > 1:
            with _pool(self, n_process) as pool:
                for done in pool.imap(_analyse_batch, batches):
                    yield from done
            return
        for batch in batches:
            yield from self._batch(batch)

    def _batch(self, batch: list[str]) -> list[list[Token]]:
        """One batch through `nlp.pipe`, with one BLAS thread: a second thread spins more CPU
        than it saves, and with `n_process` above 1 the processes share the cores."""
        nlp = self._pipeline()
        stop = spacy_stop_words()
        from .blas import one_thread

        lemmatizer = _word_lemmatizer(nlp)
        skip = ["lemmatizer"] if lemmatizer is not None else []
        with _lock(nlp), one_thread():
            docs = nlp.pipe(batch, batch_size=len(batch), disable=skip)
            return [self._tokens(doc, stop, self._memo, lemmatizer) for doc in docs]

    def __call__(self, text: str) -> list[str]:
        return [t.term for t in self.tokens(text)]

    def _tokens(self, doc: Any, stop: frozenset[str], memo: dict[WordKey, Word], lemmatizer: Any) -> list[Token]:
        """The kept terms of a tagged doc. With `lemmatizer` (see `_word_lemmatizer`), spaCy's
        lemmatizer did not run: a token is lemmatised here, only when `memo` lacks its word."""
        words: list[Word] = []
        spans: list[tuple[int, int]] = []
        before = ""
        hyphens = False
        for token in doc:
            text, pos, start = token.text, token.pos_, token.idx
            hyphens = hyphens or "-" in text
            # after an article or a preposition, a word is a noun whatever the tagger says ("aux devoir")
            nouned = before in ("DET", "ADP") and pos in ("VERB", "AUX")
            key = (text, pos, nouned, "" if lemmatizer is not None else token.lemma_)
            word = memo.get(key)
            if word is None:
                lemma = lemmatizer.lemmatize(token)[0] if lemmatizer is not None else token.lemma_
                word = self._word(token.lower_, lemma, "NOUN" if nouned else pos, stop)
                memo[key] = word
            words.append(word)
            spans.append((start, start + len(text)))
            before = pos
        out: list[Token] = []
        kept = ([i] for i, word in enumerate(words) if word.keep)  # without hyphens, each token is its own group
        for group in _hyphen_groups(doc) if hyphens else kept:
            if len(group) > 1 and all(words[i].keep for i in group):  # "parents-enfants": the whole, then each part
                lemma, form = "-".join(words[i].lemma for i in group), "-".join(words[i].form for i in group)
                out.append(Token(fold(lemma), lemma, spans[group[0]][0], spans[group[-1]][1], form))
            for i in group:
                word = words[i]
                if word.keep:
                    out.append(Token(word.term, word.lemma, *spans[i], word.form))
                    if len(group) == 1 and "-" in word.lemma:  # spaCy kept it whole: "tout-petit"
                        out.extend(self._split(out[-1], stop))
        return out

    def _word(self, lower: str, lemma: str, pos: str, stop: frozenset[str]) -> Word:
        """What one spaCy token gives: its lemma repaired, elisions dropped, kept or not.

        `_tokens` remembers words in a memo: batches share one per analyzer (bounded:
        cleared when full); a single query brings its own, so that a server's memory does
        not grow with what users type.
        """
        form = strip_elision(lower) or lower
        if fold(form) in PLURAL_SENSES:
            lemma = form
        repaired = repair_lemma(strip_elision(lemma.lower().strip("'-")) or form, form, self.lexicon)
        return Word(repaired, fold(repaired), fold(form), self._keep(repaired, form, pos, stop))

    @property
    def _memo(self) -> dict[WordKey, Word]:
        memo = self.__dict__.get("_words")
        if memo is None:
            memo = self.__dict__["_words"] = Bounded(WORD_MEMO)
        return memo  # type: ignore[no-any-return]

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


class Word(NamedTuple):
    lemma: str  # repaired lemma, as written: "théâtre"
    term: str  # folded: "theatre"
    form: str  # folded written form, elision dropped
    keep: bool


WordKey = tuple[str, str, bool, str]  # (text, part of speech, made a noun, spaCy's lemma or "")


def _word_lemmatizer(nlp: Any) -> Any:
    """The pipeline's lemmatizer when its lemma depends on a token's text and part of speech
    alone (the French rule or lookup lemmatizer): `_tokens` then runs it once per distinct
    word instead of once per token. None otherwise: lemmas come from the pipeline."""
    from spacy.lang.fr.lemmatizer import FrenchLemmatizer

    if "lemmatizer" not in nlp.pipe_names:
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    return lemmatizer if type(lemmatizer) is FrenchLemmatizer and lemmatizer.mode in ("rule", "lookup") else None


_WORKER: FrenchAnalyzer | None = None


def _start_worker(analyzer: FrenchAnalyzer) -> None:
    """A worker leaves Ctrl-C to its parent, which stops the pool: no worker tracebacks, no hang."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(
        signal.SIGTERM, signal.SIG_DFL
    )  # the parent's handler (output cleanup) is not ours: terminate() must end us
    _WORKER = analyzer


def _analyse_batch(batch: list[str]) -> list[list[Token]]:
    assert _WORKER is not None
    return _WORKER._batch(batch)


def _pool(analyzer: FrenchAnalyzer, n_process: int) -> Any:
    """Worker processes, each analysing whole batches and sending back their tokens.

    The pipeline is loaded before the pool starts, so that forked workers share it; the
    pool is terminated when the caller stops reading, whatever the reason (Ctrl-C included).
    """
    import multiprocessing

    analyzer._pipeline()
    spacy_stop_words()
    return multiprocessing.get_context().Pool(n_process, _start_worker, (analyzer,))


def repair_lemma(lemma: str, form: str, lexicon: Container[str]) -> str:
    """spaCy's lemma, unless it is no French word ("bibliothèqu") or a far rarer one than
    the word as written ("stad" for "stade"): then the written word, singular when that
    is a word too. `lexicon` may be any container of folded words; with a Zipf
    frequency (`zipf`), "far rarer" is measured, else only absence counts."""
    if not form.isalpha() or lemma == form or fold(form) not in lexicon:
        return lemma
    one = singular(form)
    written = one if fold(one) in lexicon else form
    zipf = getattr(lexicon, "zipf", None)
    if fold(lemma) not in lexicon or (zipf is not None and zipf(lemma) + RARER_LEMMA < zipf(written)):
        return written
    return lemma


_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def join_compounds(text: str, compounds: Container[tuple[str, ...]]) -> str:
    """Hyphenate words typed apart that the catalogue writes as one ("bien etre" -> "bien-etre").

    `compounds` holds the folded parts of known hyphenated words; only a single space
    between the parts is replaced, so offsets into the text stay valid.
    """
    words = list(_WORDS.finditer(text))
    parts = compound_key(w.group(0) for w in words)
    spaced = [text[a.end() : b.start()] == " " for a, b in zip(words, words[1:])]  # word i, then i + 1
    hyphens = set()  # the spaces to hyphenate, after word i
    for i in range(len(spaced)):
        if not spaced[i]:
            continue
        if (parts[i], parts[i + 1]) in compounds:
            hyphens.add(i)
        if i + 1 < len(spaced) and spaced[i + 1] and (parts[i], parts[i + 1], parts[i + 2]) in compounds:
            hyphens.update((i, i + 1))
    if not hyphens:
        return text
    chars = list(text)
    for i in hyphens:
        chars[words[i].end()] = "-"
    return "".join(chars)


def compound_key(parts: Iterable[str]) -> tuple[str, ...]:
    """The parts of a compound as compared: folded, plural marks dropped ("Parents", "enfants" -> "parent", "enfant")."""
    return tuple(singular(fold(part)) for part in parts)


def singular(word: str) -> str:
    """`word` without a final plural mark ("enfants" -> "enfant", "jeux" -> "jeu"); short words stay ("bus"),
    and so do plurals with a sense of their own ("echecs", folded: see PLURAL_SENSES)."""
    return word[:-1] if len(word) > 3 and word.endswith(("s", "x")) and word not in PLURAL_SENSES else word


_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}«»\"/|\n…]")


def phrases(text: str, tokens: Sequence[Token]) -> list[Token]:
    """Pairs of consecutive words as terms of their own: "aide aux devoirs" -> "aide devoir".

    Function words may stand between the two (they were dropped), punctuation may not;
    hyphenated wholes are skipped, their parts pair up. A phrase's lemma is the text it
    spans, for display.
    """
    words = [t for t in tokens if "-" not in t.term]
    return [
        Token(f"{a.term} {b.term}", text[a.start : b.end], a.start, b.end, f"{a.form} {b.form}")
        for a, b in zip(words, words[1:])
        if a.end <= b.start and not _PHRASE_BREAK.search(text, a.end, b.start)
    ]


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


def _hyphen_groups(doc: Sequence[Any]) -> Iterator[list[int]]:
    """Indices of tokens joined by hyphens with no space ("bucco - dentaire" from "bucco-dentaire")."""
    group: list[int] = []
    i, n = 0, len(doc)
    while i < n:
        token = doc[i]
        joined = (
            group
            and token.text == "-"
            and not doc[group[-1]].whitespace_
            and not token.whitespace_
            and i + 1 < n
            and doc[i + 1].is_alpha
            and doc[group[-1]].is_alpha
        )
        if joined:
            group.append(i + 1)
            i += 2
            continue
        if group:
            yield group
        group = [i]
        i += 1
    if group:
        yield group
