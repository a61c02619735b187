"""Confidence levels of a proposed partner: forte, moyenne, faible — from more than the score.

A level weighs the score with what the match explains of the description: the share of
its content words that the partner matched (directly or through a synonym), and whether
any of them is a word of the user's own that says what the project is about. A match made
only of synonyms, or only of context words that every Cité éducative project contains
(école, élèves, parents, quartier…) and words that name an activity's format (atelier, club,
séance…), is at most "faible" (a synonym that spells out a clipped
word, "foot" -> "football", counts as the user's own word); so is any match for a short
description whose first content word no partner and no synonym knows: French noun phrases
name their head first ("nettoyage des locaux scolaires"), so the project is about something
the catalogue does not cover. Words that name the format of an activity ("atelier",
"initiation", "sensibilisation"…) are passed over: the head is the word after them. The
cut-offs are fitted by cross-validation on the labelled sets (`benchmarks/calibrate.py`,
figures in the README).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .results import CORRECTION, SYNONYM, WORD, QueryTerm

FORTE, MOYENNE, FAIBLE = "forte", "moyenne", "faible"
LEVELS = (FORTE, MOYENNE, FAIBLE)

# Folded lemmas of the setting of nearly every project: they say where, not what.
CONTEXT_WORDS = frozenset(
    """
    ecole eleve enfant parent enseignant professeur quartier ville commune mairie college lycee
    jeune famille habitant classe etablissement territoire public structure partenaire acteur
    """.split()
)

SHORT_WORDS = 8  # up to this many content words, a description is a title whose first word is its head
# Folded nouns that name the format of an activity, not its topic: the head is the word after them.
FORMAT_WORDS = frozenset(
    """
    atelier initiation sensibilisation decouverte animation seance cycle club cours creation organisation
    intervention journee semaine temps parcours lancement realisation mise
    """.split()
)
NOT_THE_TOPIC = CONTEXT_WORDS | FORMAT_WORDS  # a user's word among these is no evidence of what the project is about
CLIPPED_MIN, CLIPPED_MAX = 3, 5  # letters of a clipped word ("ado", "foot", "philo"); "parent" is a word of its own


@dataclass(frozen=True)
class Evidence:
    """What a match rests on, besides its score."""

    coverage: float  # share of the description's content words the match explains
    direct: bool  # at least one of the user's own words (or a spelling fix) that is not a context word
    unknown_head: bool = False  # a short description whose first content word the engine does not know


def evidence(contributing: Iterable[QueryTerm], words: tuple[str, ...], unknown_head: bool = False) -> Evidence:
    """The evidence of a match from the query terms that contributed to it."""
    explained: set[str] = set()
    direct = False
    for term in contributing:
        explained.update(term.keys)
        if not direct and term.term not in NOT_THE_TOPIC:
            direct = term.origin in (WORD, CORRECTION) or clipped(term)
    coverage = len(explained.intersection(words)) / len(words) if words else 0.0
    return Evidence(coverage, direct, unknown_head)


def clipped(term: QueryTerm) -> bool:
    """Whether a synonym only spells out the user's clipped word ("foot" -> "football", "ados" ->
    "adolescent", "gym", "appli", "philo"): then it is the user's own word, not a synonym."""
    if term.origin != SYNONYM or len(term.keys) != 1:
        return False
    key = term.keys[0]
    return CLIPPED_MIN <= len(key) <= CLIPPED_MAX and term.term.startswith(key) and term.term != key


def unknown_head(terms: Iterable[QueryTerm], words: tuple[str, ...]) -> bool:
    """Whether a short description (at most SHORT_WORDS content words) starts with a word that
    no query term stands for: no partner uses it and no synonym or spelling fix maps it."""
    if not words or len(words) > SHORT_WORDS:
        return False
    head = head_word(words)
    return bool(head) and all(head not in term.keys for term in terms)


def head_word(words: tuple[str, ...]) -> str:
    """The first content word that is not a format word ("initiation à la programmation": programmation)."""
    return next((w for w in words if w not in FORMAT_WORDS), "")


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs of the confidence levels; below `faible` (score) a partner is not proposed."""

    faible: float = 0.04
    moyenne: float = 0.12
    forte: float = 0.20
    moyenne_coverage: float = 0.0  # fitted by benchmarks/calibrate.py (5-fold cross-validation)
    forte_coverage: float = 0.0

    def level(self, score: float, evidence: Evidence | None = None) -> str:
        if evidence is not None and (not evidence.direct or evidence.unknown_head):
            return FAIBLE
        coverage = evidence.coverage if evidence is not None else 1.0
        if score >= self.forte and coverage >= self.forte_coverage:
            return FORTE
        if score >= self.moyenne and coverage >= self.moyenne_coverage:
            return MOYENNE
        return FAIBLE
