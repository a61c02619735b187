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
        self.rules_: list[tuple[str, frozenset[str], tuple[tuple[str, str], ...]]] = []
        for expression, key in zip(expressions, keys):
            terms = tuple(pair for _ in self.entries[expression] for pair in next(values))
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
                out.extend(Expansion(expression, term, display) for term, display in related if term not in key)
        return out


def _unique(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for term, display in pairs:
        seen.setdefault(term, display)
    return tuple(seen.items())
