"""Partner profiles: each partner's fields analysed once, as index terms and as passages to quote."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import dataclass, field

from . import explain
from .catalogue import Partner
from .text import Analyzer, Token, compound_key, normalize, phrases

FIELDS = ("name", "keywords", "themes", "description")


@dataclass(frozen=True)
class Piece:
    """One analysed text of a partner: its name, a theme, a keyword or a description sentence."""

    partner: int
    field: str
    text: str
    tokens: tuple[Token, ...]


@dataclass(frozen=True)
class Profiles:
    """Every partner's terms per field, its quotable passages, and how to show each term."""

    terms: dict[str, tuple[tuple[str, ...], ...]]  # field -> one term list per partner
    passages: tuple[explain.Profile, ...]
    display: dict[str, str]
    compounds: frozenset[tuple[str, ...]] = frozenset()  # folded parts of the hyphenated words used
    forms: dict[str, str] = field(default_factory=dict)  # written form -> its term, where they differ ("infox")


def pieces_of(partners: Sequence[Partner]) -> list[tuple[int, str, str]]:
    """(partner index, field, text) for every text to analyse, in catalogue order."""
    out = []
    for i, p in enumerate(partners):
        out.append((i, "name", normalize(p.name)))
        out += [(i, "themes", theme) for theme in p.themes]
        out += [(i, "keywords", normalize(k)) for k in p.keywords]
        out += [(i, "description", s) for s in explain.split_sentences(normalize(p.description))]
    return out


def build_profiles(
    partners: Sequence[Partner], analyzer: Analyzer, lexicon: Container[str], with_phrases: bool = True
) -> Profiles:
    """Analyse all partner texts in one `nlp.pipe` and group them back by partner and field.

    With `with_phrases`, each text's pairs of consecutive words (`text.phrases`) are terms too.
    """
    jobs = pieces_of(partners)
    analysed = analyzer.tokens_many(text for _, _, text in jobs)
    pieces = [
        Piece(i, field, text, tuple(tokens) + (tuple(phrases(text, tokens)) if with_phrases else ()))
        for (i, field, text), tokens in zip(jobs, analysed)
    ]
    grouped: list[dict[str, list[Piece]]] = [{f: [] for f in FIELDS} for _ in partners]
    for piece in pieces:
        grouped[piece.partner][piece.field].append(piece)
    terms = {f: tuple(tuple(t.term for p in g[f] for t in p.tokens) for g in grouped) for f in FIELDS}
    passages = tuple(
        explain.Profile(
            sentences=tuple(explain.Passage(p.text, p.tokens) for p in g["description"]),
            keywords=tuple(explain.Passage(p.text, p.tokens) for p in g["keywords"]),
            themes=tuple((p.text, frozenset(t.term for t in p.tokens)) for p in g["themes"]),
        )
        for g in grouped
    )
    compounds = frozenset(
        compound_key(parts)
        for piece in pieces
        for t in piece.tokens
        if "-" in t.term and " " not in t.term
        for parts in (t.form.split("-"), t.term.split("-"))
        if 1 < len(parts) <= 3 and all(parts)
    )
    forms: dict[str, str] = {}
    for piece in pieces:
        for t in piece.tokens:
            if t.form != t.term and " " not in t.term:
                forms.setdefault(t.form, t.term)
    return Profiles(terms, passages, displays(pieces, lexicon), compounds, forms)


def displays(pieces: Sequence[Piece], lexicon: Container[str]) -> dict[str, str]:
    """How to show each term: its most frequent lemma when that is a French word (spaCy's
    lemmatizer sometimes clips: "peinture" -> "peintur"), else its most frequent spelling."""
    lemmas: dict[str, Counter[str]] = {}
    forms: dict[str, Counter[str]] = {}
    for piece in pieces:
        lowered = piece.text.lower()
        for t in piece.tokens:
            lemmas.setdefault(t.term, Counter())[t.lemma] += 1
            forms.setdefault(t.term, Counter())[lowered[t.start : t.end]] += 1
    out = {}
    for term, counter in lemmas.items():
        words = [(n, lemma) for lemma, n in counter.items() if all(w in lexicon for w in lemma.split("-"))]
        out[term] = max(words)[1] if words else forms[term].most_common(1)[0][0]
    return out
