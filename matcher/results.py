"""Frozen result types: what the engine understood of a description and what it found."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Where a query term or a share of a score comes from; explanations show the last three as such:
# EXAMPLE is the share of similar judged projects (matcher.learning).
WORD, SYNONYM, CORRECTION, EXAMPLE = "mot", "synonyme", "correction", "exemple"

# Statuses of a search, as shown in batch outputs.
OK = "ok"
EMPTY = "description vide"
NO_WORD = "aucun mot exploitable"
NO_MATCH = "aucune correspondance claire"
WEAK = "correspondance faible"


@dataclass(frozen=True)
class QueryTerm:
    """A term used for the search: the user's own word, a synonym or a corrected spelling."""

    term: str  # folded form, the key into the index
    display: str  # as shown to the user: "théâtre"
    weight: float  # query-side weight before idf (the user's words weigh most)
    origin: str = WORD
    source: str = ""  # for a synonym or a correction: the user's word(s) it comes from
    typed: str = ""  # the user's own word(s) as written: "ans" for the term "an"
    keys: tuple[str, ...] = ()  # the description's terms it stands for (a synonym: its expression's)


@dataclass(frozen=True)
class Analysis:
    """What the engine understood of a description ("Ce que nous avons compris")."""

    text: str
    terms: tuple[QueryTerm, ...]
    unknown: tuple[str, ...]  # the user's words that no partner uses and nothing could map
    words: tuple[str, ...] = ()  # the description's content terms, once each, in order (unknown ones too)


@dataclass(frozen=True)
class Contribution:
    """One term's share of a match score; the shares of a match add up to its score."""

    term: str
    share: float
    origin: str = WORD
    source: str = ""


@dataclass(frozen=True)
class Snippet:
    """The passage of the partner's profile that best supports a match, matched words located."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()
    field: str = "description"  # or "keywords" when only the keyword list matched

    def marked(self, left: str = "[", right: str = "]") -> str:
        out, last = [], 0
        for start, end in self.spans:
            out += [self.text[last:start], left, self.text[start:end], right]
            last = end
        out.append(self.text[last:])
        return "".join(out)


@dataclass(frozen=True)
class Match:
    """A partner proposed for a project, with everything needed to check why."""

    rank: int
    partner_id: str
    name: str
    score: float
    confidence: str  # "forte", "moyenne" or "faible"
    reason: str
    terms: tuple[Contribution, ...]
    themes: tuple[str, ...]
    snippet: Snippet
    source: str
    kind: str = ""
    url: str = ""
    coverage: float = 0.0  # share of the description's content words this match explains
    own_words: bool = True  # rests on at least one of the user's own words that is not a context word

    @property
    def similar(self) -> Contribution | None:
        """The share of similar judged projects (its source: the most similar one), if any."""
        return next((t for t in self.terms if t.origin == EXAMPLE), None)

    @property
    def lexical_score(self) -> float:
        """The part of the score that the description and the partner's profile share: the level rests on it."""
        similar = self.similar
        return self.score - similar.share if similar is not None else self.score

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the CLI: terms as {term, share, origin, source}, snippet marked."""
        data = asdict(self)
        data["score"] = round(self.score, 4)
        data["terms"] = [{**asdict(t), "share": round(t.share, 4)} for t in self.terms]
        data["snippet"] = self.snippet.marked()
        return data


@dataclass(frozen=True)
class Result:
    """The answer to one description: ranked matches and, when useful, a plain message."""

    query: str
    analysis: Analysis
    matches: tuple[Match, ...]
    status: str = OK
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "status": self.status,
            "matches": [m.to_dict() for m in self.matches],
            "message": self.message,
        }
