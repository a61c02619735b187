"""From a description's tokens to the weighted query: own words, spelling fixes, synonyms."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .lexicon import WordList, specificity
from .results import CORRECTION, SYNONYM, WORD, Analysis, QueryTerm
from .spelling import Corrector
from .text import Token, normalize, phrases, singular
from .thesaurus import CompiledThesaurus

# Query-side weights: the user's own words count most, then spelling fixes, then synonyms.
ORIGIN_WEIGHTS = {WORD: 1.0, CORRECTION: 0.8, SYNONYM: 0.5}
# Spelling fixes tried per description: invented words cost time, and past a few dozen
# unknown words a text is not about anything the catalogue holds.
MAX_FIXES = 30


@dataclass(frozen=True, eq=False)
class QueryBuilder:
    """Turns analysed tokens into an `Analysis` and the analysis into a query vector.

    A token counts by its lemma when the index knows it, else by its written form
    (spaCy's lemma depends on context: "news" -> "new"), else by the term the catalogue
    gives that written form, else by its singular when the lemmatizer left a plural ("ados"),
    else by the known word it is a typo of. Words the index does not know stay in the query's norm with the highest idf,
    so that a description mostly foreign to the catalogue cannot look like a close match.
    """

    vocabulary: Mapping[str, int]
    idf: np.ndarray  # per column: the catalogue's inverse document frequency
    unseen_idf: float
    known: frozenset[str]  # index terms and thesaurus expressions' terms
    forms: Mapping[str, str]  # the catalogue's written forms whose lemma differs: "infox" -> its term
    display: Mapping[str, str]
    thesaurus: CompiledThesaurus
    corrector: Corrector
    lexicon: WordList
    origin_weights: Mapping[str, float]
    specificity_weight: float = 0.0
    phrase_weight: float = 0.0  # of a pair of consecutive words the catalogue also holds ("service civique")
    context: frozenset[str] = frozenset()  # words of every project's setting (école, parents, quartier…)
    context_weight: float = 1.0  # their weight's multiplier: they say where, not what

    def __post_init__(self) -> None:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        general = np.array([1.0 - self.specificity_weight * (1.0 - specificity(self.lexicon.zipf(t))) for t in terms])
        setting = np.array([self.context_weight if t in self.context else 1.0 for t in terms])
        object.__setattr__(self, "column_weights", self.idf * general * setting)

    def analyse(self, description: str, tokens: Sequence[Token]) -> Analysis:
        typed = normalize(description)
        words: Counter[str] = Counter()
        forms: dict[str, str] = {}  # term -> the user's first spelling of it
        order: list[str] = []  # recognised terms in text order, for multi-word expressions
        fixes: dict[str, str] = {}
        unknown: dict[str, None] = {}
        content: dict[str, None] = {}  # every content term of the description, in order
        runs: list[list[Token]] = [[]]  # recognised tokens, in runs that unknown words break: for phrases
        attempts = 0
        for token in tokens:
            spelling = typed[token.start : token.end].lower()
            one = singular(token.term) if "-" not in token.term else token.term  # "ados", left so by spaCy
            candidates = (token.term, token.form, self.forms.get(token.form, ""), one if one != token.term else "")
            keyed = next((t for t in candidates if t in self.known), "")
            if keyed:
                # the index's own word when one candidate is ("découverte", lemmatized "découvrir",
                # which only the thesaurus knows); the first known one for the thesaurus's expressions
                term = next((t for t in candidates if t in self.vocabulary), keyed)
                words[term] += 1
                forms.setdefault(term, spelling)
                order.append(keyed)
                if "-" not in term:  # a compound's parts stand for it
                    content.setdefault(term)
            elif (fixed := self._fix(token, attempts)) is not None:
                attempts += 1
                fixes.setdefault(fixed, spelling)
                order.append(fixed)
                content.setdefault(term := fixed)
            else:
                attempts += 1
                if "-" not in token.term:  # a compound's parts speak for it
                    unknown.setdefault(token.lemma)
                    content.setdefault(token.term)
                    runs.append([])
                continue
            if self.phrase_weight:
                runs[-1].append(replace(token, term=term))
        terms: dict[str, QueryTerm] = {}

        def add(term: str, weight: float, origin: str, source: str, keys: tuple[str, ...]) -> None:
            if term in self.vocabulary and (term not in terms or terms[term].weight < weight):
                display = self.display.get(term, term)
                terms[term] = QueryTerm(term, display, weight, origin, source, forms.get(term, source), keys)

        for term, n in words.items():
            add(term, self.origin_weights[WORD] * (1 + math.log(n)), WORD, "", (term,))
        for term, source in fixes.items():
            add(term, self.origin_weights[CORRECTION], CORRECTION, source, (term,))
        for expansion in self.thesaurus.expand(order):
            weight = self.origin_weights[SYNONYM] * expansion.share
            add(expansion.term, weight, SYNONYM, expansion.expression, expansion.key)
        if self.phrase_weight:
            for phrase in (p for run in runs for p in phrases(typed, run)):
                if phrase.term in self.vocabulary and phrase.term not in terms:
                    key = tuple(phrase.term.split(" "))
                    forms.setdefault(phrase.term, phrase.lemma.lower())
                    add(phrase.term, self.phrase_weight, WORD, "", key)
        return Analysis(description, tuple(terms.values()), tuple(unknown), tuple(content))

    def _fix(self, token: Token, attempts: int) -> str | None:
        if attempts >= MAX_FIXES or token.form in self.lexicon:
            return None
        return self.corrector.correct(token.term)

    def weight(self, term: QueryTerm) -> float:
        """A query term's weight in the vector: origin weight × idf, tempered by its commonness in French
        and, for a context word, by `context_weight`."""
        return term.weight * float(self.column_weights[self.vocabulary[term.term]])  # type: ignore[attr-defined]

    def vector(self, analysis: Analysis) -> np.ndarray:
        """The query's L2-normalised vector, its unknown words counted in the norm."""
        query = np.zeros(len(self.vocabulary))
        for t in analysis.terms:
            query[self.vocabulary[t.term]] = self.weight(t)
        unknown = len(analysis.unknown) * (self.origin_weights[WORD] * self.unseen_idf) ** 2
        norm = math.sqrt(float(query @ query) + unknown)
        return query / norm if norm else query
