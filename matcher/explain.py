"""Explanations: the supporting passage of a partner's profile and a one-line reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from .results import CORRECTION, EXAMPLE, SYNONYM, Contribution, Snippet
from .text import Token

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ý«\"(0-9])|\n+")
REASON_TERMS = 5
SENTENCE_SHARE = 0.5  # a sentence carrying half of what the keywords carry is quoted instead


@dataclass(frozen=True)
class Passage:
    """A sentence of a description (or one keyword) with its analysed tokens."""

    text: str
    tokens: tuple[Token, ...]

    def spans(self, terms: Iterable[str]) -> tuple[tuple[int, int], ...]:
        wanted = set(terms)
        return merge_spans((t.start, t.end) for t in self.tokens if t.term in wanted)

    @cached_property
    def terms(self) -> tuple[str, ...]:
        """Its distinct terms, in order."""
        return tuple(dict.fromkeys(t.term for t in self.tokens))

    @cached_property
    def casefolded(self) -> str:
        return self.text.casefold()


@dataclass(frozen=True)
class Profile:
    """What explanations need of a partner: its passages, and where each term stands."""

    sentences: tuple[Passage, ...]
    keywords: tuple[Passage, ...]
    themes: tuple[tuple[str, frozenset[str]], ...]  # (theme, its terms)

    @cached_property
    def sentence_index(self) -> dict[str, tuple[int, ...]]:
        return _index(self.sentences)

    @cached_property
    def keyword_index(self) -> dict[str, tuple[int, ...]]:
        return _index(self.keywords)


def _index(passages: Sequence[Passage]) -> dict[str, tuple[int, ...]]:
    """term -> the passages that contain it, in order."""
    where: dict[str, list[int]] = {}
    for i, passage in enumerate(passages):
        for term in passage.terms:
            where.setdefault(term, []).append(i)
    return {term: tuple(ids) for term, ids in where.items()}


def _weights(index: Mapping[str, Sequence[int]], shares: Mapping[str, float]) -> dict[int, float]:
    """Each passage's summed shares of the matched terms it contains."""
    weights: dict[int, float] = {}
    for term, share in shares.items():
        for i in index.get(term, ()):
            weights[i] = weights.get(i, 0.0) + share
    return weights


def _heaviest(weights: dict[int, float]) -> list[int]:
    """Passages by decreasing weight, the first one first among equals."""
    order = sorted(weights)
    order.sort(key=weights.__getitem__, reverse=True)  # a stable sort, reversed or not
    return order


def split_sentences(text: str) -> list[str]:
    """Cut a description into sentences (no parser needed for these short texts)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def merge_spans(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sort and merge overlapping character spans ("bucco-dentaire" and its parts)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def best_snippet(profile: Profile, shares: Mapping[str, float], max_keywords: int = 4) -> Snippet:
    """A sentence of the partner's presentation that carries the match, else its matched keywords.

    The sentence carrying most of the score is preferred as long as it carries at least
    SENTENCE_SHARE of what the matched keywords carry (a real sentence reads better than a
    list); keywords are listed each once, and only while they add a matched word.
    """
    positive = {t: s for t, s in shares.items() if s > 0}
    sentence_weights = _weights(profile.sentence_index, positive)
    best = _heaviest(sentence_weights)[0] if sentence_weights else None
    keywords, covered = _keywords(profile, positive, max_keywords)
    keyword_weight = sum(positive[t] for t in covered)
    if best is not None and sentence_weights[best] >= SENTENCE_SHARE * keyword_weight:
        sentence = profile.sentences[best]
        return Snippet(sentence.text, sentence.spans(positive), "description")
    if keywords:
        text, spans = "Mots-clés : ", []
        for i, keyword in enumerate(keywords):
            offset = len(text) + (3 if i else 0)
            text += (" ; " if i else "") + keyword.text
            spans += [(offset + s, offset + e) for s, e in keyword.spans(positive)]
        return Snippet(text, merge_spans(spans), "keywords")
    return Snippet(profile.sentences[0].text if profile.sentences else "", (), "description")


def _keywords(profile: Profile, positive: Mapping[str, float], most: int) -> tuple[list[Passage], list[str]]:
    """The heaviest matched keywords, each adding a matched word the others lack, no text twice;
    and the matched words they cover, in the order they were added."""
    weights = _weights(profile.keyword_index, positive)
    matched = sum(term in profile.keyword_index for term in positive)  # words some keyword can add
    chosen: list[Passage] = []
    covered: dict[str, None] = {}
    seen: set[str] = set()
    for i in _heaviest(weights):
        keyword = profile.keywords[i]
        new = [t for t in keyword.terms if t in positive and t not in covered]
        if new and keyword.casefolded not in seen:
            chosen.append(keyword)
            covered.update(dict.fromkeys(new))
            seen.add(keyword.casefolded)
            if len(chosen) == most or len(covered) == matched:
                break
    return chosen, list(covered)


def reason(terms: Sequence[Contribution], example: str = "") -> str:
    """ "Correspond sur : lecture, livre ; via synonyme : dents → bucco-dentaire", and the most
    similar judged project that voted for this partner, when there is one."""
    top = sorted((t for t in terms if t.origin != EXAMPLE), key=lambda t: -t.share)[:REASON_TERMS]
    own = [t.term for t in top if t.origin not in (SYNONYM, CORRECTION)]
    parts = [f"Correspond sur : {', '.join(own)}"] if own else []
    synonyms = [f"{t.source} → {t.term}" for t in top if t.origin == SYNONYM]
    if synonyms:
        parts.append(f"via synonyme : {', '.join(synonyms)}")
    corrections = [f"{t.source} → {t.term}" for t in top if t.origin == CORRECTION]
    if corrections:
        parts.append(f"via correction : {', '.join(corrections)}")
    if example:
        parts.append(close_to(example))
    return " ; ".join(parts)


def close_to(example: str) -> str:
    """How a match cites the most similar judged project that voted for its partner."""
    return f"proche du projet « {clip(example)} », jugé pertinent pour ce partenaire"


def clip(text: str, limit: int = 80) -> str:
    """`text` on one line, cut at `limit` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
