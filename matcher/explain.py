"""Explanations: the supporting passage of a partner's profile and a one-line reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .results import CORRECTION, SYNONYM, Contribution, Snippet
from .text import Token

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ý«\"(0-9])|\n+")
REASON_TERMS = 5


@dataclass(frozen=True)
class Passage:
    """A sentence of a description (or one keyword) with its analysed tokens."""

    text: str
    tokens: tuple[Token, ...]

    def weight(self, shares: Mapping[str, float]) -> float:
        return sum(shares.get(t, 0.0) for t in {tok.term for tok in self.tokens})

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
    best = max(sentences, key=lambda p: p.weight(shares), default=None)  # first one wins ties
    matched = sorted((k for k in keywords if k.weight(shares) > 0), key=lambda k: -k.weight(shares))[:max_keywords]
    keyword_terms = {t.term for k in matched for t in k.tokens}
    keyword_weight = sum(shares.get(t, 0.0) for t in keyword_terms)
    if best is not None and best.weight(shares) > 0 and best.weight(shares) >= keyword_weight:
        return Snippet(best.text, best.spans(shares), "description")
    if matched:
        text, spans = "Mots-clés : ", []
        for i, keyword in enumerate(matched):
            offset = len(text) + (3 if i else 0)
            text += (" ; " if i else "") + keyword.text
            spans += [(offset + s, offset + e) for s, e in keyword.spans(shares)]
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
