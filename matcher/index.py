"""The ranking index: TF-IDF over partner profiles, cosine similarity, explained matches."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from . import explain
from .catalogue import Partner, merge
from .errors import InputError
from .results import (
    CORRECTION,
    EMPTY,
    NO_MATCH,
    NO_WORD,
    OK,
    SYNONYM,
    WEAK,
    WORD,
    Analysis,
    Contribution,
    Match,
    QueryTerm,
    Result,
)
from .text import FrenchAnalyzer, Token, edit_distance, normalize
from .thesaurus import Thesaurus

EMPTY_MESSAGE = "La description est vide : décrivez le projet en quelques mots (public, activité, thème)."
# Field weights (term-frequency multipliers): keywords are the words référents type, so
# they count half as much again; names, themes and descriptions count once. Measured on
# both labelled sets, other choices (names x2, themes x2, all equal) move nDCG@5 by at
# most 0.015 (see README, developer guide).
FIELD_WEIGHTS = {"name": 1.0, "keywords": 1.5, "themes": 1.0, "description": 1.0}
# Query-side weights: the user's own words count most, then spelling fixes, then synonyms.
ORIGIN_WEIGHTS = {WORD: 1.0, CORRECTION: 0.8, SYNONYM: 0.5}


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs of the confidence levels; below `faible` a partner is not proposed."""

    faible: float = 0.04
    moyenne: float = 0.10
    forte: float = 0.20

    def level(self, score: float) -> str:
        if score >= self.forte:
            return "forte"
        if score >= self.moyenne:
            return "moyenne"
        return "faible"


def _identity(terms: list[str]) -> list[str]:
    return terms


class PartnerMatcher:
    """Rank partners for a French project description, with explanations.

    Build once with `fit(partners)` (or `from_csv`), then `rank`/`search` read-only.
    """

    def __init__(
        self,
        analyzer: FrenchAnalyzer | None = None,
        thesaurus: Thesaurus | None = None,
        field_weights: dict[str, float] | None = None,
        origin_weights: dict[str, float] | None = None,
        thresholds: Thresholds | None = None,
        spelling_candidates: int = 10,
    ):
        self.analyzer = analyzer or FrenchAnalyzer()
        self.thesaurus = thesaurus if thesaurus is not None else Thesaurus()
        self.field_weights = field_weights or dict(FIELD_WEIGHTS)
        self.origin_weights = origin_weights or dict(ORIGIN_WEIGHTS)
        self.thresholds = thresholds or Thresholds()
        self.spelling_candidates = spelling_candidates
        self.lexicon = self.analyzer.lexicon  # tells misspelt words from real ones

    # -- building ----------------------------------------------------------------------
    @classmethod
    def from_csv(
        cls,
        path: str | Path | None = None,
        extra: Iterable[str | Path] = (),
        thesaurus: str | Path | Thesaurus | None = None,
        **options: object,
    ) -> PartnerMatcher:
        """An index over a catalogue file (the bundled national one by default), plus local ones."""
        from .files import read_catalogue

        catalogues = [read_catalogue(path)] + [read_catalogue(p) for p in extra]
        return cls.from_partners(merge(*catalogues), thesaurus, **options)

    @classmethod
    def from_partners(
        cls, partners: Sequence[Partner], thesaurus: str | Path | Thesaurus | None = None, **options: object
    ) -> PartnerMatcher:
        """An index over partners already loaded, with the bundled thesaurus by default."""
        from .files import read_thesaurus

        if not isinstance(thesaurus, Thesaurus):
            thesaurus = read_thesaurus(thesaurus)
        return cls(thesaurus=thesaurus, **options).fit(partners)  # type: ignore[arg-type]

    def fit(self, partners: Sequence[Partner]) -> PartnerMatcher:
        """Analyse every profile field and build the weighted TF-IDF matrix."""
        if not partners:
            raise InputError("Le catalogue est vide : il faut au moins un partenaire.")
        self.partners_ = tuple(partners)
        fields = {"name": [], "keywords": [], "themes": [], "description": []}
        texts: list[str] = []
        layout = []  # per partner: (description sentences, keywords)
        for p in self.partners_:
            sentences = explain.split_sentences(normalize(p.description))
            keywords = [normalize(k) for k in p.keywords]
            joined = " ; ".join(keywords)
            texts += [normalize(p.name), " ; ".join(p.themes), joined, *sentences]
            layout.append((sentences, keywords))
        all_tokens = list(self.analyzer.tokens_many(texts))
        analysed = iter(all_tokens)
        profiles = []
        for p, (sentences, keywords) in zip(self.partners_, layout):
            name, themes, joined = next(analysed), next(analysed), next(analysed)
            sentence_tokens = [next(analysed) for _ in sentences]
            for field, tokens in (("name", name), ("themes", themes), ("keywords", joined)):
                fields[field].append([t.term for t in tokens])
            fields["description"].append([t.term for ts in sentence_tokens for t in ts])
            profiles.append(
                explain.Profile(
                    sentences=tuple(explain.Passage(s, tuple(ts)) for s, ts in zip(sentences, sentence_tokens)),
                    keywords=_split_keywords(keywords, joined),
                    themes=_theme_terms(p.themes, themes),
                )
            )
        self.profiles_ = tuple(profiles)
        self.display_ = self._displays(texts, all_tokens)

        self.vectorizer_ = CountVectorizer(analyzer=_identity, dtype=np.float64)
        self.vectorizer_.fit([terms for field in fields.values() for terms in field])
        counts = sum(self.field_weights[f] * self.vectorizer_.transform(docs) for f, docs in fields.items())
        self.transformer_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        self.matrix_ = sparse.csr_matrix(self.transformer_.transform(counts))
        self.vocabulary_ = self.vectorizer_.vocabulary_
        self.idf_ = self.transformer_.idf_
        self.idf_max_ = float(np.log((len(partners) + 1) / 1) + 1)  # smoothed idf of an unseen word
        self.terms_ = self.vectorizer_.get_feature_names_out()

        self.thesaurus.fit(lambda ts: ([(t.term, t.lemma) for t in toks] for toks in self.analyzer.tokens_many(ts)))
        self.known_ = frozenset(self.vocabulary_) | self.thesaurus.key_terms_  # words the engine can use
        self._fit_spelling()
        return self

    def _displays(self, texts: Sequence[str], tokens: Sequence[list[Token]]) -> dict[str, str]:
        """How to show each term: its most frequent lemma when that is a French word
        (spaCy's lemmatizer sometimes clips: "peinture" -> "peintur"), else its most
        frequent spelling in the catalogue."""
        lemmas: dict[str, Counter[str]] = {}
        forms: dict[str, Counter[str]] = {}
        for text, toks in zip(texts, tokens):
            lowered = text.lower()
            for t in toks:
                lemmas.setdefault(t.term, Counter())[t.lemma] += 1
                forms.setdefault(t.term, Counter())[lowered[t.start : t.end]] += 1
        out = {}
        for term, counter in lemmas.items():
            words = [(n, lemma) for lemma, n in counter.items() if all(w in self.lexicon for w in lemma.split("-"))]
            out[term] = max(words)[1] if words else forms[term].most_common(1)[0][0]
        return out

    def _fit_spelling(self) -> None:
        """Index every known single word by its character trigrams, for spelling fixes."""
        words = sorted({t for t in self.vocabulary_ if t.isalpha()} | {t for t in self.thesaurus.key_terms_ if t.isalpha()})
        index: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            for gram in _trigrams(word):
                index.setdefault(gram, []).append(i)
        self.spelling_words_ = tuple(words)
        self.spelling_index_ = index
        self._closest = lru_cache(maxsize=65_536)(self._closest_word)

    def top_terms(self, partner_id: str, n: int = 10) -> list[tuple[str, float]]:
        """A partner's most distinctive terms (display form, TF-IDF weight), best first."""
        ids = [p.partner_id for p in self.partners_]
        if partner_id not in ids:
            raise KeyError(partner_id)
        row = self.matrix_.getrow(ids.index(partner_id))
        best = sorted(zip(row.indices, row.data), key=lambda x: -x[1])[:n]
        return [(self.display_.get(self.terms_[i], self.terms_[i]), float(w)) for i, w in best]

    # -- querying ----------------------------------------------------------------------
    def analyse(self, description: str) -> Analysis:
        """The terms the search will use for `description`, with their origin."""
        return self._analyse(description, self.analyzer.tokens(_checked(description)))

    def search(self, description: str, k: int = 5, themes: Collection[str] = (), kinds: Collection[str] = ()) -> Result:
        """Ranked matches for one description, with a status and a message when nothing fits.

        `themes` and `kinds`, when given, keep only partners with one of those themes / kinds.
        """
        description = _checked(description)
        return self._search(description, self.analyzer.tokens(description), k, self._mask(themes, kinds))

    def rank(self, description: str, k: int = 5) -> list[Match]:
        """The `k` best partners for `description` (fewer, or none, when few fit)."""
        return list(self.search(description, k).matches)

    def search_many(
        self, descriptions: Iterable[str], k: int = 5, batch_size: int = 256, n_process: int = 1
    ) -> Iterator[Result]:
        """`search` for many descriptions, lemmatised in batches by `nlp.pipe`."""
        texts, piped = itertools.tee(map(_checked, descriptions))  # lazy: batches stream through
        tokens = self.analyzer.tokens_many(piped, batch_size=batch_size, n_process=n_process)
        for text, toks in zip(texts, tokens):
            yield self._search(text, toks, k)

    def transform(self, descriptions: Iterable[str]) -> sparse.csr_matrix:
        """L2-normalised query vectors, one row per description, in the index's term space."""
        texts = [_checked(d) for d in descriptions]
        rows = [self._vector(self._analyse(t, toks)) for t, toks in zip(texts, self.analyzer.tokens_many(texts))]
        return sparse.csr_matrix(np.vstack(rows)) if rows else sparse.csr_matrix((0, len(self.vocabulary_)))

    def _mask(self, themes: Collection[str], kinds: Collection[str]) -> np.ndarray | None:
        if not themes and not kinds:
            return None
        return np.array(
            [(not themes or bool(set(p.themes) & set(themes))) and (not kinds or p.kind in kinds) for p in self.partners_]
        )

    def _search(self, description: str, tokens: list[Token], k: int, mask: np.ndarray | None = None) -> Result:
        if k < 1:
            raise ValueError("k must be at least 1")
        analysis = self._analyse(description, tokens)
        if not description.strip():
            return Result(description, analysis, (), EMPTY, EMPTY_MESSAGE)
        if not analysis.terms:
            why = _unknown_words(analysis)
            return Result(description, analysis, (), NO_WORD, f"Aucun partenaire ne correspond clairement : {why}")
        query = self._vector(analysis)
        scores = self.matrix_ @ query
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        order = _top(scores, k)
        order = [i for i in order if scores[i] >= self.thresholds.faible]
        if not order:
            why = _unknown_words(analysis)
            return Result(description, analysis, (), NO_MATCH, f"Aucun partenaire ne correspond clairement : {why}")
        matches = tuple(self._match(rank, i, float(scores[i]), query, analysis) for rank, i in enumerate(order, start=1))
        if matches[0].confidence == "faible":
            return Result(
                description, analysis, matches, WEAK,
                "Pas de correspondance claire : les partenaires ci-dessous ne partagent que quelques mots "
                "avec le projet. Précisez le public, l'activité et le thème.",
            )  # fmt: skip
        return Result(description, analysis, matches, OK, "")

    def _analyse(self, description: str, tokens: list[Token]) -> Analysis:
        known = self.known_
        # The lemma first; when the catalogue does not know it, the surface form (spaCy's
        # lemma depends on context: "news" -> "new"), then the nearest spelling.
        words: Counter[str] = Counter()
        fixes: dict[str, str] = {}
        unknown: dict[str, None] = {}
        typed = normalize(description)
        for token in tokens:
            if token.term in known:
                words[token.term] += 1
            elif token.form in known:
                words[token.form] += 1
            elif (fixed := self._spell(token)) is not None:
                fixes.setdefault(fixed, typed[token.start : token.end].lower())
            elif "-" not in token.term:  # a compound's parts speak for it
                unknown.setdefault(token.lemma)
        terms: dict[str, QueryTerm] = {}

        def add(term: str, weight: float, origin: str, source: str = "") -> None:
            if term in self.vocabulary_ and (term not in terms or terms[term].weight < weight):
                terms[term] = QueryTerm(term, self.display_.get(term, term), weight, origin, source)

        for term, n in words.items():
            add(term, self.origin_weights[WORD] * (1 + math.log(n)), WORD)
        for term, typed in fixes.items():
            add(term, self.origin_weights[CORRECTION], CORRECTION, typed)
        for expansion in self.thesaurus.expand(words.keys() | fixes.keys()):
            add(expansion.term, self.origin_weights[SYNONYM] * expansion.share, SYNONYM, expansion.expression)
        return Analysis(description, tuple(terms.values()), tuple(unknown))

    def _spell(self, token: Token) -> str | None:
        """The known word within one typo (two for long words) of a misspelt one, if any.

        Only words absent from a French lexicon count as misspelt, so that a real word
        the catalogue lacks ("arbre") is not bent into another ("artre").
        """
        if len(token.term) < 5 or not token.term.isalpha() or token.lemma in self.lexicon:
            return None
        return self._closest(token.term)

    def _closest_word(self, term: str) -> str | None:
        """Shortlist the known words sharing most trigrams with `term`; the edit distance decides."""
        shared = Counter(i for gram in _trigrams(term) for i in self.spelling_index_.get(gram, ()))
        allowed = 1 if len(term) < 8 else 2
        best = min(
            (
                (distance, -n, word)
                for i, n in shared.most_common(self.spelling_candidates)
                if (word := self.spelling_words_[i])[0] == term[0]
                and (distance := edit_distance(term, word)) <= allowed
            ),
            default=None,
        )
        return best[2] if best is not None else None

    def _vector(self, analysis: Analysis) -> np.ndarray:
        """The query's TF-IDF vector, normalised as if its unknown words were terms too.

        A word no partner uses has the highest idf and zero weight in every profile: it
        ranks nothing but lowers every score, so that a description mostly foreign to
        the catalogue cannot look like a confident match.
        """
        query = np.zeros(len(self.vocabulary_))
        for t in analysis.terms:
            column = self.vocabulary_[t.term]
            query[column] = t.weight * self.idf_[column]
        unknown = len(analysis.unknown) * (self.origin_weights[WORD] * self.idf_max_) ** 2
        norm = math.sqrt(float(query @ query) + unknown)
        return query / norm if norm else query

    def _match(self, rank: int, row: int, score: float, query: np.ndarray, analysis: Analysis) -> Match:
        partner, profile = self.partners_[row], self.profiles_[row]
        start, end = self.matrix_.indptr[row], self.matrix_.indptr[row + 1]
        doc = dict(zip(self.matrix_.indices[start:end].tolist(), self.matrix_.data[start:end].tolist()))
        shares = {}
        contributions = []
        for term in analysis.terms:
            column = self.vocabulary_[term.term]
            shares[term.term] = share = float(query[column]) * doc.get(column, 0.0)
            if share > 0:
                contributions.append(Contribution(term.display, share, term.origin, term.source))
        contributions.sort(key=lambda c: -c.share)
        matched = {t for t, s in shares.items() if s > 0}
        return Match(
            rank=rank,
            partner_id=partner.partner_id,
            name=partner.name,
            score=score,
            confidence=self.thresholds.level(score),
            reason=explain.reason(contributions),
            terms=tuple(contributions),
            themes=tuple(theme for theme, terms in profile.themes if terms & matched),
            snippet=explain.best_snippet(profile, shares),
            source=partner.source,
            kind=partner.kind,
            url=partner.url,
        )


def _trigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` highest scores, best first, ties in catalogue order."""
    if k < len(scores):
        candidates = np.argpartition(-scores, k - 1)[:k]
        threshold = scores[candidates].min()
        candidates = np.flatnonzero(scores >= threshold)  # keep ties for a stable order
    else:
        candidates = np.arange(len(scores))
    return candidates[np.argsort(-scores[candidates], kind="stable")][:k]


def _checked(description: object) -> str:
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, not {type(description).__name__}")
    return description


def _unknown_words(analysis: Analysis) -> str:
    if analysis.unknown:
        shown = ", ".join(f"« {w if len(w) <= 40 else w[:40] + '…'} »" for w in analysis.unknown[:8])
        return f"les mots {shown} sont inconnus du catalogue. Décrivez le public, l'activité et le thème du projet."
    return "la description ne contient que des mots trop courants. Décrivez le public, l'activité et le thème du projet."


def _split_keywords(keywords: Sequence[str], tokens: Sequence[Token]) -> tuple[explain.Passage, ...]:
    """Cut the tokens of "a ; b ; c" back into one passage per keyword, offsets rebased."""
    out, start = [], 0
    for keyword in keywords:
        end = start + len(keyword)
        own = tuple(Token(t.term, t.lemma, t.start - start, t.end - start) for t in tokens if start <= t.start < end)
        out.append(explain.Passage(keyword, own))
        start = end + 3
    return tuple(out)


def _theme_terms(themes: Sequence[str], tokens: Sequence[Token]) -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((theme, frozenset(t.term for t in p.tokens)) for theme, p in zip(themes, _split_keywords(themes, tokens)))
