"""Query expansion from a domain thesaurus (`data/thesaurus.csv`, editable by anyone)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .catalogue import DATA_DIR

THESAURUS_PATH = DATA_DIR / "thesaurus.csv"


@dataclass(frozen=True)
class Expansion:
    """A related term brought in by an expression found in the description."""

    expression: str  # as written in the thesaurus: "fake news"
    term: str  # folded term to add to the query
    display: str
    share: float = 1.0  # 1/n for each of the n words of a related phrase


class Thesaurus:
    """Expressions (one or more words) mapped to related words, matched on folded lemmas.

    An expression matches when all its terms are in the description, in any order:
    descriptions are short and référents do not write set phrases.
    """

    def __init__(self, entries: Mapping[str, Sequence[str]] | None = None):
        self.entries = dict(entries or {})

    def fit(self, analyze: Callable[[Iterable[str]], Iterable[list[tuple[str, str]]]]) -> Thesaurus:
        """Analyse expressions and related words with the index's own text steps.

        `analyze` maps texts to lists of (term, display) pairs, in order.
        """
        expressions = list(self.entries)
        related = [r for rs in self.entries.values() for r in rs]
        analysed = list(analyze(expressions + related))
        keys, values = analysed[: len(expressions)], iter(analysed[len(expressions) :])
        self.rules_: list[tuple[str, frozenset[str], tuple[tuple[str, str, float], ...]]] = []
        for expression, key in zip(expressions, keys):
            phrases = [next(values) for _ in self.entries[expression]]
            # a related phrase weighs as much as a related word, shared among its words
            terms = tuple((t, d, 1 / len(p)) for p in phrases for t, d in p)
            if key and terms:
                self.rules_.append((expression, frozenset(t for t, _ in key), _unique(terms)))
        self.key_terms_ = frozenset(t for _, key, _ in self.rules_ for t in key)
        return self

    def expand(self, terms: Iterable[str]) -> list[Expansion]:
        """The related terms of every expression whose terms are all among `terms`."""
        present = set(terms)
        out: list[Expansion] = []
        for expression, key, related in self.rules_:
            if key <= present:
                out.extend(Expansion(expression, t, d, share) for t, d, share in related if t not in key)
        return out


def _unique(terms: Iterable[tuple[str, str, float]]) -> tuple[tuple[str, str, float], ...]:
    """One entry per term, keeping its largest share."""
    best: dict[str, tuple[str, str, float]] = {}
    for term in terms:
        if term[0] not in best or best[term[0]][2] < term[2]:
            best[term[0]] = term
    return tuple(best.values())
