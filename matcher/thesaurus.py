"""Query expansion from a domain thesaurus (`matcher/data/thesaurus.csv`, editable by anyone).

`Thesaurus` holds the expressions as written; `Thesaurus.compile(analyzer)` returns a new
`CompiledThesaurus` whose rules are in the index's terms. Nothing is changed in place, so
one thesaurus can serve several matchers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from .catalogue import DATA
from .text import Analyzer

THESAURUS = DATA / "thesaurus.csv"

# An expression of several words matches when its words stand within this many terms of
# each other, in any order: "parents allophones", "allophones, leurs parents".
WINDOW_SLACK = 2


@dataclass(frozen=True)
class Expansion:
    """A related term brought in by an expression found in the description."""

    expression: str  # as written in the thesaurus: "fake news"
    term: str  # folded term to add to the query
    share: float = 1.0  # 1/n for each of the n words of a related phrase
    key: tuple[str, ...] = ()  # the expression's terms, found in the description


@dataclass(frozen=True)
class Rule:
    expression: str
    key: tuple[str, ...]  # the expression's terms
    related: tuple[tuple[str, str, float], ...]  # (term, display, share)


@dataclass(frozen=True)
class Thesaurus:
    """Expressions (one or more words) mapped to related words or phrases, as written."""

    entries: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        frozen = {str(k): tuple(v) for k, v in self.entries.items()}
        object.__setattr__(self, "entries", MappingProxyType(frozen))

    def __reduce__(self):  # type: ignore[no-untyped-def]  # a mapping proxy does not pickle
        return (Thesaurus, (dict(self.entries),))

    def compile(self, analyzer: Analyzer) -> CompiledThesaurus:
        """Rules in the analyzer's terms; expressions or related words with no term are dropped."""
        expressions = list(self.entries)
        related = [r for rs in self.entries.values() for r in rs]
        analysed = list(analyzer.tokens_many(expressions + related))
        keys = analysed[: len(expressions)]
        phrases = iter(analysed[len(expressions) :])
        rules = []
        for expression, key in zip(expressions, keys):
            own = [next(phrases) for _ in self.entries[expression]]
            # a related phrase weighs as much as a related word, shared among its words
            terms = _unique((t.term, t.lemma, 1 / len(p)) for p in own for t in p)
            key_terms = tuple(dict.fromkeys(t.term for t in key))
            if key_terms and terms:
                related_terms = tuple(r for r in terms if r[0] not in key_terms)
                rules.append(Rule(expression, key_terms, related_terms))
        return CompiledThesaurus(tuple(rules))


@dataclass(frozen=True)
class CompiledThesaurus:
    """Thesaurus rules in index terms, looked up by their first term."""

    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        by_term: dict[str, list[int]] = {}
        for i, rule in enumerate(self.rules):
            by_term.setdefault(rule.key[0], []).append(i)
        object.__setattr__(self, "_by_term", {t: tuple(ids) for t, ids in by_term.items()})
        expansions = tuple(
            tuple(Expansion(rule.expression, t, share, rule.key) for t, _, share in rule.related) for rule in self.rules
        )
        object.__setattr__(self, "_expansions", expansions)  # each rule's, built once: they are frozen

    @property
    def key_terms(self) -> frozenset[str]:
        return frozenset(t for rule in self.rules for t in rule.key)

    def expand(self, terms: Sequence[str]) -> list[Expansion]:
        """Related terms of every expression found in `terms` (the description's terms, in order)."""
        positions: dict[str, list[int]] = {}
        for i, term in enumerate(terms):
            positions.setdefault(term, []).append(i)
        out: list[Expansion] = []
        for term in positions:
            for i in self._by_term.get(term, ()):  # type: ignore[attr-defined]
                key = self.rules[i].key
                if len(key) == 1 or _near(key, positions):  # a one-word expression is found with its term
                    out.extend(self._expansions[i])  # type: ignore[attr-defined]
        return out

    def display(self) -> dict[str, str]:
        """How related terms are written in the thesaurus: a fallback for showing them."""
        return {t: d for rule in self.rules for t, d, _ in rule.related}


def _near(key: Sequence[str], positions: Mapping[str, Sequence[int]]) -> bool:
    """Whether every term of `key` occurs within len(key) + WINDOW_SLACK terms of its first one."""
    if any(t not in positions for t in key):
        return False
    width = len(key) + WINDOW_SLACK
    return any(all(any(abs(p - anchor) < width for p in positions[t]) for t in key[1:]) for anchor in positions[key[0]])


def _unique(terms: Iterable[tuple[str, str, float]]) -> tuple[tuple[str, str, float], ...]:
    """One entry per term, keeping its largest share."""
    best: dict[str, tuple[str, str, float]] = {}
    for term in terms:
        if term[0] not in best or best[term[0]][2] < term[2]:
            best[term[0]] = term
    return tuple(best.values())
