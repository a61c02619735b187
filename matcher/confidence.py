"""Confidence levels of a proposed partner: forte, moyenne, faible."""

from __future__ import annotations

from dataclasses import dataclass

FORTE, MOYENNE, FAIBLE = "forte", "moyenne", "faible"
LEVELS = (FORTE, MOYENNE, FAIBLE)


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs of the confidence levels; below `faible` a partner is not proposed."""

    faible: float = 0.04
    moyenne: float = 0.10
    forte: float = 0.20

    def level(self, score: float) -> str:
        if score >= self.forte:
            return FORTE
        if score >= self.moyenne:
            return MOYENNE
        return FAIBLE
