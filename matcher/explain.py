"""Explanations: the supporting passage of a partner's profile and a one-line reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from .results import CORRECTION, SYNONYM, Contribution, Snippet
from .text import Token

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ý«\"(0-9])|\n+")
REASON_TERMS = 5


@dataclass(frozen=True)
class Passage:
    """A sentence of a description (or one keyword) with its analysed tokens."""

    text: str
    tokens: tuple[Token, ...]

    @cached_property
    def terms(self) -> frozenset[str]:
        return frozenset(t.term for t in self.tokens)

    def weight(self, shares: Mapping[str, float]) -> float:
        """The summed shares of the matched terms this passage contains."""
        return sum(s for t, s in shares.items() if t in self.terms)

    def spans(self, terms: Iterable[str]) -> tuple[tuple[int, int], ...]:
        wanted = set(terms)
        return merge_spans((t.start, t.end) for t in self.tokens if t.term in wanted)


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


def best_snippet(
    sentences: Sequence[Passage], keywords: Sequence[Passage], shares: Mapping[str, float], max_keywords: int = 6
) -> Snippet:
    """The description sentence carrying most of the score, unless the partner's matched
    keywords carry more (the user's own words are often keywords, not prose)."""
    positive = {t: s for t, s in shares.items() if s > 0}
    sentence_weights = [p.weight(positive) for p in sentences]
    best = max(range(len(sentences)), key=sentence_weights.__getitem__, default=None)  # first wins ties
    weighted = [(w, i) for i, k in enumerate(keywords) if (w := k.weight(positive)) > 0]
    matched = [keywords[i] for _, i in sorted(weighted, key=lambda x: (-x[0], x[1]))[:max_keywords]]
    keyword_weight = sum(positive.get(t, 0.0) for t in frozenset().union(*(k.terms for k in matched)))
    if best is not None and sentence_weights[best] > 0 and sentence_weights[best] >= keyword_weight:
        return Snippet(sentences[best].text, sentences[best].spans(positive), "description")
    if matched:
        text, spans = "Mots-clés : ", []
        for i, keyword in enumerate(matched):
            offset = len(text) + (3 if i else 0)
            text += (" ; " if i else "") + keyword.text
            spans += [(offset + s, offset + e) for s, e in keyword.spans(positive)]
        return Snippet(text, merge_spans(spans), "keywords")
    return Snippet(sentences[0].text if sentences else "", (), "description")


def reason(terms: Sequence[Contribution]) -> str:
    """ "Correspond sur : lecture, livre ; via synonyme : dents → bucco-dentaire"."""
    top = sorted(terms, key=lambda t: -t.share)[:REASON_TERMS]
    own = [t.term for t in top if t.origin not in (SYNONYM, CORRECTION)]
    parts = [f"Correspond sur : {', '.join(own)}"] if own else []
    synonyms = [f"{t.source} → {t.term}" for t in top if t.origin == SYNONYM]
    if synonyms:
        parts.append(f"via synonyme : {', '.join(synonyms)}")
    corrections = [f"{t.source} → {t.term}" for t in top if t.origin == CORRECTION]
    if corrections:
        parts.append(f"via correction : {', '.join(corrections)}")
    return " ; ".join(parts)
