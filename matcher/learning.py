"""Learning from projects already judged: the nearest ones vote for their partners.

Judged projects come from the labelled sets the package bundles (`matcher/data/examples.csv`,
the tuning sets of `data/eval`) and from référents' judgements (`matcher.feedback`). A new
description is compared with every judged one (cosine of their query vectors); its
`neighbours` most similar ones vote for the partners they were judged relevant for (grade 2
a full vote, grade 1 half a vote), each vote weighing its similarity. The votes, times
`weight`, add to the lexical score and are shown as their own share of it: "projets
similaires", citing the most similar judged project when it is close (CITED). They move the ranking, not the
confidence level, which stays with what the description and the partner's profile share.

A description judged not relevant for a partner (grade 0) lowers that pair's score for
similar descriptions by `negative_weight` × their similarity (Rocchio's negative feedback,
applied to the pair rather than to the profile, so that one judgement cannot spoil the
partner for other projects), never for a description that names the partner.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from .catalogue import Partner
from .text import fold

if TYPE_CHECKING:  # pragma: no cover
    from .index import PartnerMatcher

VOTES = {2: 1.0, 1: 0.5}  # a partly relevant partner gets half a vote
# From this cosine, a judged project is close enough to be cited as "proche du projet « … »"
# (farther ones still vote, with their small similarity; the share is then shown uncited).
CITED = 0.2


@dataclass(frozen=True)
class Judged:
    """Judgements resolved to partner rows, each (partner, description) pair once."""

    relevant: tuple[tuple[int, str, float], ...] = ()  # (row, description, vote)
    not_relevant: tuple[tuple[int, str], ...] = ()


def judged(partners: Sequence[Partner], examples: Sequence[tuple[str, str, int]]) -> Judged:
    """Grades 2 and 1 become votes, grade 0 a not-relevant pair; unknown partners and empty descriptions are ignored."""
    rows = {p.partner_id: i for i, p in enumerate(partners)}
    relevant: dict[tuple[int, str], float] = {}
    not_relevant: dict[tuple[int, str], None] = {}
    for description, partner_id, grade in examples:
        row = rows.get(partner_id)
        text = description.strip()
        if row is None or not text:
            continue
        if grade in VOTES:
            relevant[row, text] = max(relevant.get((row, text), 0.0), VOTES[grade])
        elif grade == 0:
            not_relevant[row, text] = None
    return Judged(tuple((row, text, vote) for (row, text), vote in relevant.items()), tuple(not_relevant))


@dataclass(frozen=True, eq=False)
class Neighbours:
    """Judged descriptions as query vectors, and the votes each gives to each partner."""

    matrix: sparse.csr_matrix  # one L2-normalised query vector per judged description
    votes: np.ndarray  # (descriptions, partners): 1 for grade 2, 0.5 for grade 1
    texts: tuple[str, ...]

    @classmethod
    def of(cls, relevant: Sequence[tuple[int, str, float]], matcher: PartnerMatcher) -> Neighbours | None:
        if not relevant:
            return None
        texts = tuple(dict.fromkeys(text for _, text, _ in relevant))
        position = {text: i for i, text in enumerate(texts)}
        votes = np.zeros((len(texts), len(matcher.partners_)))
        for row, text, vote in relevant:
            votes[position[text], row] = vote
        return cls(matcher.transform(texts), votes, texts)

    def without(self, texts: Collection[str]) -> Neighbours | None:
        """The same judgements but those of `texts` (for held-out evaluation)."""
        keep = _kept(self.texts, texts)
        return Neighbours(self.matrix[keep], self.votes[keep], tuple(self.texts[i] for i in keep)) if keep else None

    def support(self, query: np.ndarray, neighbours: int, weight: float) -> tuple[np.ndarray, np.ndarray]:
        """Per partner, the votes of the query's nearest judged descriptions (× `weight`), and the
        index of the most similar description voting for it, to cite (-1 when none does, or when
        it is less similar than CITED)."""
        similarities = self.matrix @ query
        n = min(neighbours, len(similarities))
        nearest = np.argpartition(-similarities, n - 1)[:n]
        nearest = nearest[similarities[nearest] > 0]
        support = weight * (self.votes[nearest] * similarities[nearest, None]).sum(axis=0)
        cited = np.full(self.votes.shape[1], -1)
        for i in sorted(nearest[similarities[nearest] >= CITED], key=lambda i: similarities[i]):
            cited[self.votes[i] > 0] = i  # in rising similarity: the most similar one is cited
        return support, cited


@dataclass(frozen=True, eq=False)
class Negatives:
    """Descriptions judged not relevant for a partner, as query vectors."""

    matrix: sparse.csr_matrix
    rows: np.ndarray
    texts: tuple[str, ...]
    names: tuple[tuple[str, str], ...]  # per judgement, its partner's id and name, folded

    @classmethod
    def of(cls, pairs: Sequence[tuple[int, str]], matcher: PartnerMatcher) -> Negatives | None:
        if not pairs:
            return None
        texts = tuple(text for _, text in pairs)
        partners = [matcher.partners_[row] for row, _ in pairs]
        names = tuple((fold(p.partner_id), fold(p.name)) for p in partners)
        return cls(matcher.transform(texts), np.array([row for row, _ in pairs]), texts, names)

    def without(self, texts: Collection[str]) -> Negatives | None:
        """The same judgements but those of `texts` (for held-out evaluation)."""
        keep = _kept(self.texts, texts)
        if not keep:
            return None
        names = tuple(self.names[i] for i in keep)
        return Negatives(self.matrix[keep], self.rows[keep], tuple(self.texts[i] for i in keep), names)

    def penalties(self, query: np.ndarray, weight: float, description: str, n_partners: int) -> np.ndarray:
        """Per partner, the factor (≤ 1) its score is multiplied by for this query."""
        factors = np.ones(n_partners)
        similarities = self.matrix @ query
        named = fold(description)
        for row, similarity, (partner_id, name) in zip(self.rows, similarities, self.names):
            if partner_id in named or name in named:
                continue
            factors[row] = min(factors[row], max(0.0, 1.0 - weight * float(similarity)))
        return factors


def _kept(judged: Sequence[str], texts: Collection[str]) -> list[int]:
    """Positions of the judged descriptions that are not among `texts`."""
    drop = {t.strip() for t in texts}
    return [i for i, t in enumerate(judged) if t not in drop]
