"""The ranking index: TF-IDF over partner profiles, cosine similarity, explained matches.

`PartnerMatcher` is estimator-shaped: the constructor stores options, `fit` builds the
parts (analyzer, lexicon, profiles, compiled thesaurus, spelling corrector, query
builder) and returns self, and nothing changes afterwards: one fitted matcher can serve
many threads at once.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from scipy import sparse

from . import explain, learning, model_cache
from .catalogue import Partner, merge
from .confidence import CONTEXT_WORDS, FAIBLE, Thresholds, evidence, unknown_head
from .errors import InputError
from .lexicon import Lexicon, WordList
from .profiles import FIELDS, build_profiles
from .query import ORIGIN_WEIGHTS, QueryBuilder
from .results import (
    EMPTY,
    EXAMPLE,
    NO_MATCH,
    NO_WORD,
    OK,
    WEAK,
    Analysis,
    Contribution,
    Match,
    QueryTerm,
    Result,
    Snippet,
)
from .spelling import SpellingCorrector
from .text import Analyzer, FrenchAnalyzer, Token, checked_text, compound_key, join_compounds
from .thesaurus import Thesaurus

EMPTY_MESSAGE = "La description est vide : décrivez le projet en quelques mots (public, activité, thème)."
ADVICE = "Décrivez le public, l'activité et le thème du projet."
# Field weights (term-frequency multipliers): keywords are the words référents type, so
# they count half as much again; names, themes and descriptions count once. Measured on
# both labelled sets, other choices (names x2, themes x2, all equal) move nDCG@5 by at
# most 0.015 (see README, developer guide).
FIELD_WEIGHTS = {"name": 1.0, "keywords": 1.5, "themes": 1.0, "description": 1.0}
MAX_K = 1_000
# Query terms weigh by their idf in the catalogue, tempered by how common they are in French
# (`lexicon.specificity`: "faire" counts little, "natation" fully) and, for the words of every
# project's setting (`confidence.CONTEXT_WORDS`: école, parents, quartier…), halved.
# Measured on the tuning sets and held out (README): long texts gain most.
SPECIFICITY_WEIGHT = 1.0
CONTEXT_WEIGHT = 0.5
# Learning from judged projects (`matcher.learning`): the 8 most similar ones vote, each vote
# weighing 0.1 × similarity. Fitted by 5-fold cross-validation on the tuning sets (README).
EXAMPLE_WEIGHT = 0.1
NEIGHBOURS = 8
SIMILAR = "projets similaires"  # the name of the judged projects' share in explanations
NO_SNIPPET = Snippet("")  # the snippet of a match from `search_many(..., snippets=False)`


@cache
def default_lexicon() -> Lexicon:
    """The French lexicon, built once per process (when no saved model provides it)."""
    return Lexicon.from_wordfreq()


class PartnerMatcher:
    """Rank partners for a French project description, with explanations.

    Build once with `fit(partners)` (or `from_csv`, which reuses a saved model), then
    `rank`/`search`/`search_many`, read-only.
    """

    def __init__(
        self,
        analyzer: Analyzer | None = None,
        thesaurus: Thesaurus | None = None,
        lexicon: WordList | None = None,
        field_weights: Mapping[str, float] | None = None,
        origin_weights: Mapping[str, float] | None = None,
        thresholds: Thresholds | None = None,
        specificity_weight: float = SPECIFICITY_WEIGHT,
        context_weight: float = CONTEXT_WEIGHT,
        phrase_weight: float = 0.0,
        examples: Sequence[tuple[str, str, int]] = (),
        example_weight: float = EXAMPLE_WEIGHT,
        neighbours: int = NEIGHBOURS,
        negative_weight: float = 0.5,
    ):
        self.analyzer = analyzer
        self.thesaurus = thesaurus
        self.lexicon = lexicon
        self.field_weights = field_weights
        self.origin_weights = origin_weights
        self.thresholds = thresholds
        self.specificity_weight = specificity_weight
        self.context_weight = context_weight
        self.phrase_weight = phrase_weight
        self.examples = examples
        self.example_weight = example_weight
        self.neighbours = neighbours
        self.negative_weight = negative_weight

    # -- building ----------------------------------------------------------------------
    @classmethod
    def from_csv(
        cls,
        path: str | Path | None = None,
        extra: str | Path | Iterable[str | Path] = (),
        thesaurus: str | Path | Thesaurus | None = None,
        **options: object,
    ) -> PartnerMatcher:
        """An index over a catalogue file (the bundled national one by default), plus local ones."""
        from .files import read_catalogue

        extras = [extra] if isinstance(extra, (str, Path)) else list(extra)
        catalogues = [read_catalogue(path)] + [read_catalogue(p) for p in extras]
        return cls.from_partners(merge(*catalogues), thesaurus, **options)

    @classmethod
    def from_partners(
        cls,
        partners: Sequence[Partner],
        thesaurus: str | Path | Thesaurus | None = None,
        cache: bool = True,
        examples: Iterable[tuple[str, str, int]] | None = None,
        **options: object,
    ) -> PartnerMatcher:
        """An index over partners already loaded, with the bundled thesaurus and judged projects by default.

        `examples` are (description, partner_id, grade) judgements to learn from (`matcher.learning`):
        None for the bundled ones (`matcher/data/examples.csv`), () for none. With `cache`, the
        fitted model is saved on disk and reused next time (see `matcher.model_cache`); options
        holding objects (an analyzer, a lexicon) are never cached.
        """
        from .files import read_examples, read_thesaurus

        if not isinstance(thesaurus, Thesaurus):
            thesaurus = read_thesaurus(thesaurus)
        partners = tuple(partners)
        judged = read_examples() if examples is None else tuple(examples)

        def build() -> PartnerMatcher:
            return cls(thesaurus=thesaurus, examples=judged, **options).fit(partners)  # type: ignore[arg-type]

        plain = all(isinstance(v, (int, float, str, dict, Thresholds, type(None))) for v in options.values())
        if not cache or not plain:
            return build()
        key = model_cache.key_of(
            [cls.__name__, partners, sorted(thesaurus.entries.items()), judged, sorted(options.items())]
        )
        return model_cache.cached(key, build)

    def fit(self, partners: Sequence[Partner]) -> PartnerMatcher:
        """Analyse every profile field and build the weighted TF-IDF matrix and the query parts."""
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

        if not partners:
            raise InputError("Le catalogue est vide : il faut au moins un partenaire.")
        self.partners_ = tuple(partners)
        self.lexicon_ = self.lexicon if self.lexicon is not None else default_lexicon()
        self.analyzer_ = self.analyzer if self.analyzer is not None else FrenchAnalyzer(self.lexicon_)
        field_weights = {**FIELD_WEIGHTS, **(self.field_weights or {})}
        profiles = build_profiles(self.partners_, self.analyzer_, self.lexicon_, with_phrases=self.phrase_weight > 0)
        self.profiles_ = profiles.passages
        self.display_ = profiles.display

        vectorizer = CountVectorizer(analyzer=_identity, dtype=np.float64)
        vectorizer.fit([terms for field in FIELDS for terms in profiles.terms[field]])
        counts = sum(field_weights[f] * vectorizer.transform(profiles.terms[f]) for f in FIELDS)
        transformer = TfidfTransformer(sublinear_tf=True).fit(counts)
        self.matrix_ = sparse.csr_matrix(transformer.transform(counts))
        self.vocabulary_ = {str(t): int(i) for t, i in vectorizer.vocabulary_.items()}
        self.idf_ = transformer.idf_
        self.terms_ = tuple(str(t) for t in vectorizer.get_feature_names_out())

        self.thesaurus_ = (self.thesaurus or Thesaurus()).compile(self.analyzer_)
        self.compounds_ = profiles.compounds | {
            compound_key(term.split("-"))
            for rule in self.thesaurus_.rules
            for term in rule.key
            if term.count("-") in (1, 2)
        }  # words the catalogue or the thesaurus hyphenates, joined in queries when typed apart
        known = frozenset(self.vocabulary_) | self.thesaurus_.key_terms  # words the engine can use
        self.corrector_ = SpellingCorrector(known, self.lexicon_)
        self.query_builder_ = QueryBuilder(
            vocabulary=self.vocabulary_,
            idf=self.idf_,
            unseen_idf=float(np.log((len(partners) + 1) / 1) + 1),  # smoothed idf of an unseen word
            known=known,
            forms={f: t for f, t in profiles.forms.items() if t in known},
            display=self.display_,
            thesaurus=self.thesaurus_,
            corrector=self.corrector_,
            lexicon=self.lexicon_,
            origin_weights={**ORIGIN_WEIGHTS, **(self.origin_weights or {})},
            specificity_weight=self.specificity_weight,
            phrase_weight=self.phrase_weight,
            context=CONTEXT_WORDS,
            context_weight=self.context_weight,
        )
        self.thresholds_ = self.thresholds or Thresholds()
        self.examples_ = learning.judged(self.partners_, self.examples)
        self.neighbours_ = learning.Neighbours.of(self.examples_.relevant, self)
        self.negatives_ = learning.Negatives.of(self.examples_.not_relevant, self)
        return self

    def without_examples(self, descriptions: Collection[str]) -> PartnerMatcher:
        """A copy that has not learnt from `descriptions` (to evaluate on them, held out); self is unchanged."""
        if self.neighbours_ is None and self.negatives_ is None:
            return self
        other = copy.copy(self)
        other.neighbours_ = self.neighbours_.without(descriptions) if self.neighbours_ is not None else None
        other.negatives_ = self.negatives_.without(descriptions) if self.negatives_ is not None else None
        return other

    def learnt_from(self, descriptions: Iterable[str]) -> int:
        """How many of `descriptions` are among the judged projects this matcher learnt from."""
        judged = {text for _, text, _ in self.examples_.relevant} | {text for _, text in self.examples_.not_relevant}
        return sum(d.strip() in judged for d in descriptions)

    def top_terms(self, partner_id: str, n: int = 10) -> list[tuple[str, float]]:
        """A partner's most distinctive terms (display form, TF-IDF weight), best first."""
        row = self.matrix_.getrow(self._row(partner_id))
        best = sorted(zip(row.indices, row.data), key=lambda x: -x[1])[:n]
        return [(self.display_.get(self.terms_[i], self.terms_[i]), float(w)) for i, w in best]

    def _row(self, partner_id: str) -> int:
        for i, p in enumerate(self.partners_):
            if p.partner_id == partner_id:
                return i
        raise KeyError(partner_id)

    # -- querying ----------------------------------------------------------------------
    def analyse(self, description: str) -> Analysis:
        """The terms the search will use for `description`, with their origin."""
        text = checked_text(description)
        return self.query_builder_.analyse(text, self.analyzer_.tokens(self._joined(text)))

    def _joined(self, text: str) -> str:
        """The text as analysed: words the catalogue hyphenates joined ("bien etre" -> "bien-etre")."""
        return join_compounds(text, self.compounds_)

    def search(self, description: str, k: int = 5, themes: Collection[str] = (), kinds: Collection[str] = ()) -> Result:
        """Ranked matches for one description, with a status and a message when nothing fits.

        `themes` and `kinds`, when given, keep only partners with one of those themes / kinds.
        """
        text = checked_text(description)
        mask = self._mask(themes, kinds)
        return self._search(text, self.analyzer_.tokens(self._joined(text)), _checked_k(k), mask)

    def rank(self, description: str, k: int = 5) -> list[Match]:
        """The `k` best partners for `description` (fewer, or none, when few fit)."""
        return list(self.search(description, k).matches)

    def search_many(
        self, descriptions: Iterable[str], k: int = 5, n_process: int = 1, *, snippets: bool = True
    ) -> Iterator[Result]:
        """`search` for many descriptions, lemmatised in batches by `nlp.pipe`, in order.

        With `snippets=False`, matches carry an empty snippet (`NO_SNIPPET`): a batch, which
        writes none, is spared finding them (about a quarter of its matching time).
        """
        if isinstance(descriptions, str):
            raise TypeError("descriptions must be an iterable of str, not a str: use search() for one description")
        k = _checked_k(k)
        texts = [checked_text(d) for d in descriptions]
        joined = (self._joined(t) for t in texts)
        for text, tokens in zip(texts, self.analyzer_.tokens_many(joined, n_process=n_process)):
            yield self._search(text, tokens, k, snippets=snippets)

    def transform(self, descriptions: Iterable[str]) -> sparse.csr_matrix:
        """L2-normalised query vectors, one row per description, in the index's term space."""
        if isinstance(descriptions, str):
            raise TypeError("descriptions must be an iterable of str, not a str")
        texts = [checked_text(d) for d in descriptions]
        builder = self.query_builder_
        analysed = self.analyzer_.tokens_many(self._joined(t) for t in texts)
        rows = [builder.vector(builder.analyse(t, toks)) for t, toks in zip(texts, analysed)]
        return sparse.csr_matrix(np.vstack(rows)) if rows else sparse.csr_matrix((0, len(self.vocabulary_)))

    def _mask(self, themes: Collection[str], kinds: Collection[str]) -> np.ndarray | None:
        themes, kinds = _names(themes, "themes"), _names(kinds, "kinds")
        if not themes and not kinds:
            return None
        for wanted, known, what in (
            (themes, {t for p in self.partners_ for t in p.themes}, "theme"),
            (kinds, {p.kind for p in self.partners_}, "kind"),
        ):
            missing = sorted(set(wanted) - known)
            if missing:
                raise ValueError(f"unknown {what} {missing[0]!r}; the catalogue has: {', '.join(sorted(known))}")
        return np.array(
            [(not themes or bool(set(p.themes) & themes)) and (not kinds or p.kind in kinds) for p in self.partners_]
        )

    def _search(
        self, description: str, tokens: list[Token], k: int, mask: np.ndarray | None = None, snippets: bool = True
    ) -> Result:
        analysis = self.query_builder_.analyse(description, tokens)
        if not description.strip():
            return Result(description, analysis, (), EMPTY, EMPTY_MESSAGE)
        if not analysis.terms:
            return Result(
                description, analysis, (), NO_WORD, f"Aucun partenaire ne correspond clairement : {_why(analysis)}"
            )
        query = self.query_builder_.vector(analysis)
        lexical = self.matrix_ @ query
        if self.negatives_ is not None:
            lexical = lexical * self.negatives_.penalties(query, self.negative_weight, description, len(self.partners_))
        support, cited = self._support(query)
        scores = lexical + support
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        order = [i for i in _top(scores, k) if scores[i] >= self.thresholds_.faible]
        if not order:
            why = (
                "aucun partenaire des thèmes ou types choisis ne partage ses mots. " + ADVICE
                if mask is not None
                else _why(analysis)
            )
            return Result(description, analysis, (), NO_MATCH, f"Aucun partenaire ne correspond clairement : {why}")
        terms = {self.vocabulary_[t.term]: t for t in analysis.terms}
        positions = {t.term: n for n, t in enumerate(analysis.terms)}
        head = unknown_head(analysis.terms, analysis.words)
        matches = tuple(
            self._match(
                rank, i, float(lexical[i]), query, terms, analysis, positions, support[i], cited[i], head, snippets
            )
            for rank, i in enumerate(order, start=1)
        )
        if all(m.confidence == FAIBLE for m in matches):  # the first may be faible and a later one not: votes rank
            return Result(
                description, analysis, matches, WEAK,
                "Pas de correspondance claire : les partenaires ci-dessous ne partagent que quelques mots "
                "avec le projet. Précisez le public, l'activité et le thème.",
            )  # fmt: skip
        return Result(description, analysis, matches, OK, "")

    def _match(
        self,
        rank: int,
        row: int,
        score: float,
        query: np.ndarray,
        terms: Mapping[int, QueryTerm],
        analysis: Analysis,
        positions: Mapping[str, int],
        support: float = 0.0,
        cited: int = -1,
        head: bool = False,
        snippets: bool = True,
    ) -> Match:
        """The match of partner `row`: each query term's share (query weight × profile weight) of the
        lexical score, then the share of similar judged projects; the level rests on the lexical part."""
        partner, profile = self.partners_[row], self.profiles_[row]
        start, end = self.matrix_.indptr[row], self.matrix_.indptr[row + 1]
        columns = self.matrix_.indices[start:end]
        products = self.matrix_.data[start:end] * query[columns]
        raw = float(products.sum())
        if raw > 0:  # a not-relevant judgement scaled the score down: the shares follow
            products = products * (score / raw)
        shared = np.flatnonzero(products > 0)
        found = [(terms[c], p) for c, p in zip(columns[shared].tolist(), products[shared].tolist())]
        shares = {term.term: share for term, share in found}
        found.sort(key=lambda pair: (-pair[1], positions[pair[0].term]))  # ties in the description's order
        contributions = [Contribution(term.display, share, term.origin, term.source) for term, share in found]
        example = self.neighbours_.texts[cited] if cited >= 0 and self.neighbours_ is not None else ""
        if support > 0:
            contributions.append(Contribution(SIMILAR, float(support), EXAMPLE, example))
            contributions.sort(key=lambda c: -c.share)
        proof = evidence((term for term, _ in found), analysis.words, head)
        return Match(
            rank=rank,
            partner_id=partner.partner_id,
            name=partner.name,
            score=score + float(support),
            confidence=self.thresholds_.level(score, proof),
            reason=explain.reason(contributions, example),
            terms=tuple(contributions),
            themes=tuple(theme for theme, theme_terms in profile.themes if not theme_terms.isdisjoint(shares)),
            snippet=explain.best_snippet(profile, shares) if snippets else NO_SNIPPET,
            source=partner.source,
            kind=partner.kind,
            url=partner.url,
            coverage=proof.coverage,
            own_words=proof.direct,
        )

    def _support(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per partner, the votes of the most similar judged projects and the one to cite (see `matcher.learning`)."""
        if self.neighbours_ is None or self.example_weight <= 0:
            return np.zeros(len(self.partners_)), np.full(len(self.partners_), -1)
        return self.neighbours_.support(query, self.neighbours, self.example_weight)


def _identity(terms: list[str]) -> list[str]:
    return terms


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` highest scores, best first, ties in catalogue order."""
    if k < len(scores):
        candidates = np.argpartition(-scores, k - 1)[:k]
        threshold = scores[candidates].min()
        candidates = np.flatnonzero(scores >= threshold)  # keep ties for a stable order
    else:
        candidates = np.arange(len(scores))
    return candidates[np.argsort(-scores[candidates], kind="stable")][:k]


def _checked_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, not {type(k).__name__}")
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, not {k}")
    return int(k)


def _names(values: Collection[str], what: str) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError(f"{what} must be a collection of names, not a str: write {what}=[{values!r}]")
    return frozenset(values)


def _why(analysis: Analysis) -> str:
    if analysis.unknown:
        shown = ", ".join(f"« {w if len(w) <= 40 else w[:40] + '…'} »" for w in analysis.unknown[:8])
        return f"les mots {shown} sont inconnus du catalogue. {ADVICE}"
    if not any(c.isalpha() for c in analysis.text):
        return f"la description ne contient aucun mot. {ADVICE}"
    return f"la description ne contient que des mots trop courants. {ADVICE}"
