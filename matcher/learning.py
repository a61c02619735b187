"""Learning from référents' judgements (`matcher.feedback`): useful descriptions join a partner's
profile as a down-weighted field ("projets similaires"), not-relevant ones lower that pair.

A description judged not relevant for a partner lowers the partner's score for similar
descriptions by `negative_weight` × their cosine similarity (Rocchio's negative feedback,
applied to the pair rather than to the profile, so that one judgement cannot spoil the
partner for other projects), never for a description that names the partner.
`benchmarks/learning.py` measures it on simulated judgements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from .catalogue import Partner
from .text import Analyzer, fold

if TYPE_CHECKING:  # pragma: no cover
    from .index import PartnerMatcher

MENTION = 0.25  # cosine from which a match cites the most similar project judged useful


@dataclass(frozen=True)
class Judged:
    """Judgements resolved to partner rows, each description once per pair, at most `cap` per partner."""

    useful: tuple[tuple[int, str], ...] = ()
    not_relevant: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Vectors:
    """Query vectors of judged descriptions, with the partner row and text of each."""

    matrix: sparse.csr_matrix
    rows: np.ndarray
    texts: tuple[str, ...]


def judged(partners: Sequence[Partner], examples: Sequence[tuple[str, str, int]], cap: int) -> Judged:
    """Grade 2 judgements become useful examples, grade 0 not relevant ones; others and unknown partners are ignored."""
    rows = {p.partner_id: i for i, p in enumerate(partners)}
    kept: dict[int, dict[tuple[int, str], None]] = {2: {}, 0: {}}
    counts: dict[tuple[int, int], int] = {}
    for description, partner_id, grade in examples:
        row = rows.get(partner_id)
        if row is None or grade not in kept or not description.strip():
            continue
        pair = (row, description.strip())
        if pair not in kept[grade] and counts.get((grade, row), 0) < cap:
            kept[grade][pair] = None
            counts[(grade, row)] = counts.get((grade, row), 0) + 1
    return Judged(tuple(kept[2]), tuple(kept[0]))


def example_terms(useful: Sequence[tuple[int, str]], analyzer: Analyzer, n_partners: int) -> list[list[str]]:
    """Per partner row, the terms of its useful descriptions (empty when it has none)."""
    out: list[list[str]] = [[] for _ in range(n_partners)]
    for (row, _), tokens in zip(useful, analyzer.tokens_many(text for _, text in useful)):
        out[row] += [t.term for t in tokens]
    return out


def vectors(pairs: Sequence[tuple[int, str]], matcher: PartnerMatcher) -> Vectors | None:
    """The descriptions' query vectors in the fitted index's term space."""
    if not pairs:
        return None
    texts = tuple(text for _, text in pairs)
    return Vectors(matcher.transform(texts), np.array([row for row, _ in pairs]), texts)


def penalties(
    negatives: Vectors, query: np.ndarray, weight: float, description: str, partners: Sequence[Partner]
) -> np.ndarray:
    """Per partner, the factor (≤ 1) its score is multiplied by for this query."""
    factors = np.ones(len(partners))
    similarities = negatives.matrix @ query
    named = fold(description)
    for row, similarity in zip(negatives.rows, similarities):
        partner = partners[row]
        if fold(partner.partner_id) in named or fold(partner.name) in named:
            continue
        factors[row] = min(factors[row], max(0.0, 1.0 - weight * float(similarity)))
    return factors


def closest_useful(useful: Vectors | None, row: int, query: np.ndarray) -> str:
    """The project judged useful for this partner that most resembles the query, if close enough."""
    if useful is None:
        return ""
    mine = np.flatnonzero(useful.rows == row)
    if not len(mine):
        return ""
    similarities = useful.matrix[mine] @ query
    best = int(np.argmax(similarities))
    return useful.texts[mine[best]] if similarities[best] >= MENTION else ""
