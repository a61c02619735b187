"""What the app says about a search, a match and a partner: French text built from the engine's results.

Pure functions of the engine's frozen results, tested without Streamlit; `app.py` only
lays them out. Words are shown as the user typed them ("ans", not the lemma "an"): the
`spellings` of a description map each folded term to its first written form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from .catalogue import CATALOGUE, CATALOGUE_DATE, NATIONAL, Partner
from .confidence import FAIBLE, FORTE, LEVELS, MOYENNE, Thresholds, head_word, unknown_head
from .explain import clip, close_to
from .feedback import StatsRow, Versions
from .reliability import RELIABILITY
from .results import CORRECTION, EXAMPLE, NO_WORD, SYNONYM, WORD, Analysis, Match, QueryTerm, Result, Snippet
from .text import MAX_CHARS, Token, fold, normalize
from .thesaurus import THESAURUS

MAX_RESULTS = 20  # results one search may show
DEFAULT_RESULTS = 5
SHOWN_TERMS = 4  # terms named on a card; the others are in its detail
PARAM_QUERY, PARAM_THEME, PARAM_KIND, PARAM_K = "q", "theme", "type", "k"
NBSP = "\u00a0"
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
    "décembre",
)  # fmt: skip
CONTEXT_EXAMPLES = "école, élèves, parents, quartier…"
LEVEL_ADVICE = {FORTE: "à contacter en priorité", MOYENNE: "à vérifier", FAIBLE: "piste lointaine"}


# -- small French formats ----------------------------------------------------------------
def number(value: float, digits: int = 2) -> str:
    """0.3371 -> "0,34"."""
    return f"{value:.{digits}f}".replace(".", ",")


def percent(share: float) -> str:
    """0.88 -> "88 %" (non-breaking space)."""
    return f"{round(share * 100)}{NBSP}%"


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 partenaire", "3 partenaires"."""
    return f"{n} {singular if n <= 1 else plural_form or singular + 's'}"


def french_date(day: date | str) -> str:
    """2026-11-24 -> "24 novembre 2026"."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def quoted(words: Iterable[str]) -> str:
    """ "« lecture », « parents »"."""
    return ", ".join(f"« {w} »" for w in words)


# -- the search's address: ?q=…&theme=…&type=…&k=… ----------------------------------------
@dataclass(frozen=True)
class SearchState:
    """One search as a shared link carries it: the description, the filters and the number of results."""

    query: str | None = None  # None: nothing searched yet
    themes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    k: int = DEFAULT_RESULTS

    def params(self) -> dict[str, list[str]]:
        """The query parameters of this search; defaults are left out."""
        out: dict[str, list[str]] = {}
        if self.query and self.query.strip():
            out[PARAM_QUERY] = [self.query]
        if self.themes:
            out[PARAM_THEME] = list(self.themes)
        if self.kinds:
            out[PARAM_KIND] = list(self.kinds)
        if self.k != DEFAULT_RESULTS:
            out[PARAM_K] = [str(self.k)]
        return out


@dataclass(frozen=True)
class Address:
    """A search read from a link, with what had to be corrected in it (in French)."""

    state: SearchState
    notes: tuple[str, ...] = ()


def clamp_results(value: object) -> tuple[int, str]:
    """The number of results to show, between 1 and MAX_RESULTS, and a note when `value` was out of range."""
    try:
        asked = int(float(str(value).strip().replace(",", ".")))
    except (ValueError, OverflowError):
        return (
            DEFAULT_RESULTS,
            f"« {str(value)[:20]} » n'est pas un nombre de résultats : {DEFAULT_RESULTS} sont affichés.",
        )
    if asked > MAX_RESULTS:
        return (
            MAX_RESULTS,
            f"Au plus {MAX_RESULTS} résultats par recherche : les {MAX_RESULTS} meilleurs sont affichés.",
        )
    if asked < 1:
        return 1, "Au moins 1 résultat : le meilleur est affiché."
    return asked, ""


def _choices(values: Sequence[str], known: Sequence[str], what: str) -> tuple[tuple[str, ...], list[str]]:
    by_key = {fold(k): k for k in known}
    kept: dict[str, None] = {}
    notes = []
    for value in values:
        if fold(value.strip()) in by_key:
            kept.setdefault(by_key[fold(value.strip())])
        elif value.strip():
            notes.append(f"{what} « {value[:60]} » du lien n'existe pas dans le catalogue : il est ignoré.")
    return tuple(kept), notes


def read_address(params: Mapping[str, Sequence[str]], themes: Sequence[str], kinds: Sequence[str]) -> Address:
    """The search a link describes (`params`: each query parameter's values); unknown filters are dropped."""
    queries = params.get(PARAM_QUERY) or []
    query = queries[-1][:MAX_CHARS] if queries and queries[-1].strip() else None
    chosen_themes, notes = _choices(params.get(PARAM_THEME) or [], themes, "Le thème")
    chosen_kinds, kind_notes = _choices(params.get(PARAM_KIND) or [], kinds, "Le type d'organisation")
    k, k_note = clamp_results((params.get(PARAM_K) or [DEFAULT_RESULTS])[-1])
    notes = [*notes, *kind_notes, *([k_note] if k_note else [])]
    return Address(SearchState(query, chosen_themes, chosen_kinds, k), tuple(notes))


# -- what the engine understood ------------------------------------------------------------
def spellings(text: str, tokens: Iterable[Token]) -> dict[str, str]:
    """Each analysed term of `text` -> the user's first spelling of it ("an" -> "ans", "parent-enfant" -> "parents-enfants")."""
    typed = normalize(text)
    out: dict[str, str] = {}
    for token in tokens:
        out.setdefault(token.term, typed[token.start : token.end])
    return out


@dataclass(frozen=True)
class Added:
    """Terms the search added, and the user's words they come from (as typed)."""

    sources: tuple[str, ...]
    terms: tuple[str, ...]

    def line(self) -> str:
        terms = ", ".join(self.terms)
        kind = "synonyme" if len(self.terms) == 1 else "synonymes"
        return f"{terms} ({kind} de {quoted(self.sources)})" if self.sources else f"{terms} ({kind})"


@dataclass(frozen=True)
class Understanding:
    """ "Ce que nous avons compris": the user's words that count, what was corrected, added, and set aside."""

    own: tuple[str, ...]
    corrected: tuple[tuple[str, str], ...]  # (as typed, catalogue word)
    added: tuple[Added, ...]
    set_aside: tuple[str, ...]  # the user's words no partner uses, as typed
    empty: str = ""  # why there is nothing to show, when so

    @property
    def summary(self) -> str:
        """One line for a collapsed panel: "4 mots retenus, 9 ajoutés, 2 mis de côté"."""
        added = sum(len(a.terms) for a in self.added)
        parts = [plural(len(self.own) + len(self.corrected), "mot retenu", "mots retenus")]
        if added:
            parts.append(plural(added, "ajouté", "ajoutés"))
        if self.set_aside:
            parts.append(plural(len(self.set_aside), "mis de côté", "mis de côté"))
        return ", ".join(parts)


def _sources(term: QueryTerm, own: Mapping[str, str], written: Mapping[str, str]) -> tuple[str, ...]:
    """The user's words, as typed, that a synonym comes from (its expression's terms found in the text)."""
    found = [written[key] for key in term.keys if key in written]
    whole = [w for w in found if "-" in w]
    kept = [w for w in found if w in whole or not any(w in h.split("-") for h in whole)]
    if not kept:  # the expression was matched on lemmas only: its own words
        kept = [own.get(key, key) for key in term.keys] if term.keys else [term.typed or term.source]
    return tuple(dict.fromkeys(kept))


def _grouped(terms: Iterable[tuple[QueryTerm, tuple[str, ...]]]) -> tuple[Added, ...]:
    groups: dict[tuple[str, ...], list[str]] = {}
    for term, sources in terms:
        groups.setdefault(sources, []).append(term.display)
    return tuple(Added(sources, tuple(dict.fromkeys(displays))) for sources, displays in groups.items())


def has_words(text: str) -> bool:
    return any(c.isalpha() for c in text)


def understand(analysis: Analysis, written: Mapping[str, str]) -> Understanding:
    """What the panel shows for `analysis`; `written` is `spellings()` of its text."""
    own_terms = [t for t in analysis.terms if t.origin == WORD]
    own = {t.term: written.get(t.term, t.typed or t.display) for t in own_terms}
    corrected = tuple((t.source or t.typed, t.display) for t in analysis.terms if t.origin == CORRECTION)
    added = _grouped((t, _sources(t, own, written)) for t in analysis.terms if t.origin == SYNONYM)
    aside = tuple(dict.fromkeys(written.get(fold(w), w) for w in analysis.unknown))
    empty = ""
    if not analysis.terms and not aside:
        empty = (
            "Aucun mot exploitable : la description ne contient que des mots trop courants (le, de, pour…)."
            if has_words(analysis.text)
            else "Aucun mot dans la description : seulement des chiffres, des signes ou des émojis."
        )
    return Understanding(tuple(dict.fromkeys(own.values())), corrected, added, aside, empty)


def result_message(result: Result) -> str:
    """The engine's message, except for a description without any word (emoji, signs), which it calls "too common"."""
    if result.status == NO_WORD and not has_words(result.query):
        return (
            "Aucun partenaire ne correspond : la description ne contient aucun mot, seulement des chiffres, des "
            "signes ou des émojis. Décrivez le public, l'activité et le thème du projet."
        )
    return result.message


def shortfall(shown: int, asked: int, available: int, filtered: bool) -> str:
    """Why fewer partners than asked are shown ("" when there is no shortfall)."""
    if not shown or shown >= asked:
        return ""
    if filtered and available < asked:
        return (
            f"{plural(shown, 'partenaire proposé', 'partenaires proposés')} sur les {asked} demandés : les filtres "
            f"n'en laissent que {available} dans le catalogue, et les autres partagent trop peu de mots avec la "
            "description."
        )
    return (
        f"{plural(shown, 'partenaire proposé', 'partenaires proposés')} sur les {asked} demandés : les autres "
        "partagent trop peu de mots avec la description pour être proposés. Ajoutez des précisions (public, "
        "activité, thème) pour en trouver d'autres."
    )


def confidence_help(thresholds: Thresholds, reliability: Mapping[str, float] = RELIABILITY) -> str:
    """Markdown explaining the levels with their measured reliability, and the score."""
    levels = "\n".join(
        f"- **{level}** : {percent(reliability[level])} des partenaires proposés à ce niveau étaient pertinents "
        f"({LEVEL_ADVICE[level]}) ;"
        for level in LEVELS
    )
    return (
        "**Confiance.** Sur nos descriptions de projets de test, jugées à la main :\n\n"
        f"{levels}\n\n"
        "Le niveau tient compte du score, de la part de votre description que le partenaire explique et de vos "
        f"propres mots : un partenaire trouvé seulement par des synonymes, ou par des mots présents dans presque "
        f"tous les projets ({CONTEXT_EXAMPLES}), reste en confiance faible. C'est pourquoi deux partenaires au "
        "même score peuvent avoir des niveaux différents.\n\n"
        "**Score.** De 0 à 1 : le vocabulaire que votre description partage avec la présentation du partenaire ; "
        f"il sert à classer. Il dépasse rarement 0,5 ; à partir de {number(thresholds.forte)} c'est déjà beaucoup. "
        f"Un partenaire n'est proposé qu'à partir de {number(thresholds.faible)}."
    )


# -- one match, on its card --------------------------------------------------------------
@dataclass(frozen=True)
class TermLine:
    """One term of a match, as its detail lists it."""

    term: str
    how: str  # "votre mot « parents »", "synonyme de « lecture »"…
    share: float  # of the score
    origin: str


@dataclass(frozen=True)
class CardText:
    """What a card says: the user's words and added terms that count most, the rest left for the detail."""

    own: tuple[str, ...]
    corrected: tuple[tuple[str, str], ...]
    added: tuple[Added, ...]
    hidden: int  # terms only in the detail
    level: str  # why this confidence level
    terms: tuple[TermLine, ...]
    quote_label: str
    quote: Snippet
    similar: str = ""  # the most similar project judged relevant for this partner, when it counts

    @property
    def line(self) -> str:
        """The explanation as one plain line (exports, the selection)."""
        parts = []
        if self.own:
            parts.append(f"{'votre mot' if len(self.own) == 1 else 'vos mots'} {quoted(self.own)}")
        parts += [f"{typed} → {fixed} (orthographe corrigée)" for typed, fixed in self.corrected]
        parts += [a.line() for a in self.added]
        line = "Correspond à " + " ; ".join(parts) if parts else "Correspondance faible"
        line += f" ; et {plural(self.hidden, 'autre terme', 'autres termes')}" if self.hidden else ""
        return line + (f" ; proche d'un projet jugé pertinent : « {clip(self.similar)} »" if self.similar else "") + "."


KEYWORDS_PREFIX = "Mots-clés : "


def quote_of(snippet: Snippet) -> tuple[str, Snippet]:
    """The supporting passage with its label: a sentence of the presentation, or the partner's keywords."""
    if snippet.field == "keywords":
        cut = len(KEYWORDS_PREFIX) if snippet.text.startswith(KEYWORDS_PREFIX) else 0
        spans = tuple((max(s - cut, 0), e - cut) for s, e in snippet.spans if e > cut)
        return "Ses mots-clés", Snippet(snippet.text[cut:], spans, snippet.field)
    return "Extrait de sa présentation", snippet


def _versus(score: float, *cuts: float) -> str:
    """The score written so that it differs from the cut-offs when it does (0,098 against 0,10, not 0,10)."""
    close = any(round(score, 2) == round(cut, 2) and score != cut for cut in cuts)
    return number(score, 3 if close else 2)


def level_reason(match: Match, analysis: Analysis, own: Sequence[str], thresholds: Thresholds) -> str:
    """Why the match has its confidence level, in one sentence (the rules of `Thresholds.level`).

    The level rests on the score of the words the description and the partner share
    (`Match.lexical_score`): similar judged projects move the ranking, not the level."""
    words = len(analysis.words)
    explained = round(match.coverage * words)
    share = f"{explained} des {plural(words, 'mot')} de votre description" if words else ""
    lexical = match.lexical_score
    if not match.own_words:
        return (
            f"Confiance faible : ce partenaire n'est rapproché que par des synonymes ou par des mots présents dans "
            f"presque tous les projets ({CONTEXT_EXAMPLES}) ; score {number(lexical)}."
        )
    if unknown_head(analysis.terms, analysis.words):
        head = head_word(analysis.words)
        shown = next((word for word in analysis.unknown if fold(word) == head), head)
        return (
            f"Confiance faible : « {shown} », le mot qui dit de quoi parle votre description, n'est connu "
            f"d'aucun partenaire ; score {number(lexical)}."
        )
    mine = f" ({'votre mot' if len(own) == 1 else 'vos mots'} {quoted(own)})" if own else ""
    if match.confidence == FORTE:
        score = _versus(lexical, thresholds.forte)
        return f"Confiance forte : score {score} (au moins {number(thresholds.forte)}) ; il explique {share}{mine}."
    if match.confidence == MOYENNE:
        if lexical >= thresholds.forte:
            return f"Confiance moyenne : score {number(lexical)}, mais il n'explique que {share}{mine}."
        score, low, top = (
            _versus(lexical, thresholds.moyenne, thresholds.forte),
            *map(number, (thresholds.moyenne, thresholds.forte)),
        )
        return f"Confiance moyenne : score {score}, entre {low} et {top} ; il explique {share}{mine}."
    if lexical >= thresholds.moyenne:
        return f"Confiance faible : score {number(lexical)}, mais il n'explique que {share}{mine}."
    score, cut = _versus(lexical, thresholds.moyenne), number(thresholds.moyenne)
    return f"Confiance faible : score {score}, sous {cut} : peu de vocabulaire en commun ; il explique {share}{mine}."


def card_text(
    match: Match,
    analysis: Analysis,
    written: Mapping[str, str],
    thresholds: Thresholds | None = None,
    shown_terms: int = SHOWN_TERMS,
) -> CardText:
    """The explanation of `match`: its first `shown_terms` terms grouped by origin, every term for the detail."""
    by_display = {(t.display, t.origin): t for t in analysis.terms}
    own_spelling = {t.term: written.get(t.term, t.typed or t.display) for t in analysis.terms if t.origin == WORD}
    lines, own, corrected, added = [], [], [], []
    n = -1
    for contribution in match.terms:
        if contribution.origin == EXAMPLE:  # similar judged projects: said apart, never in place of a word
            how = (
                close_to(contribution.source)
                if contribution.source
                else "projets jugés pertinents pour ce partenaire, un peu proches du vôtre"
            )
            share = contribution.share / match.score if match.score else 0.0
            lines.append(TermLine(contribution.term, how, share, contribution.origin))
            continue
        n += 1
        term = by_display.get((contribution.term, contribution.origin))
        if contribution.origin == WORD:
            typed = own_spelling.get(term.term, contribution.term) if term else contribution.term
            how = "votre mot" if fold(typed) == fold(contribution.term) else f"votre mot « {typed} »"
            if n < shown_terms:
                own.append(typed)
        elif contribution.origin == CORRECTION:
            typed = (term.source or term.typed) if term else contribution.source
            how = f"orthographe corrigée de « {typed} »"
            if n < shown_terms:
                corrected.append((typed, contribution.term))
        else:
            sources = _sources(term, own_spelling, written) if term else (contribution.source,)
            how = f"synonyme de {quoted(sources)}"
            if n < shown_terms and term is not None:
                added.append((term, sources))
        lines.append(
            TermLine(
                contribution.term, how, contribution.share / match.score if match.score else 0.0, contribution.origin
            )
        )
    label, quote = quote_of(match.snippet)
    own_words = tuple(dict.fromkeys(own))
    similar = match.similar
    return CardText(
        own=own_words,
        corrected=tuple(dict.fromkeys(corrected)),
        added=_grouped(added),
        hidden=max(n + 1 - shown_terms, 0),
        level=level_reason(match, analysis, own_words, thresholds or Thresholds()),
        terms=tuple(lines),
        quote_label=label,
        quote=quote,
        similar=similar.source if similar is not None else "",
    )


# -- a partner and its catalogue -----------------------------------------------------------
def web_url(url: str) -> str:
    """`url` when it is an http(s) address, else "" (never a javascript: or data: link)."""
    url = url.strip()
    return url if url.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in url) else ""


def contact(partner: Partner) -> str:
    if web_url(partner.url):
        return "Par son site (page « contact » ou « nous écrire »)."
    return "Le catalogue n'indique pas de contact : cherchez le site de l'organisation."


def catalogue_label(source: str, added_at: datetime | None = None) -> str:
    """Where a partner comes from: the national catalogue and its date, or the local file and when it was added."""
    if source == NATIONAL:
        return f"Catalogue national des partenaires des Cités éducatives, à jour au {french_date(CATALOGUE_DATE)}"
    when = f", ajouté le {french_date(added_at.date())} à {added_at:%H:%M}" if added_at else ""
    return f"Catalogue local « {source} »{when} (pour cette session seulement)"


@dataclass(frozen=True)
class PartnerSheet:
    """Everything the partner page shows."""

    name: str
    kind: str
    description: str
    keywords: tuple[str, ...]
    themes: tuple[str, ...]
    url: str  # http(s) only
    contact: str
    catalogue: str


def partner_sheet(partner: Partner, added_at: datetime | None = None) -> PartnerSheet:
    return PartnerSheet(
        partner.name,
        partner.kind,
        partner.description,
        partner.keywords,
        partner.themes,
        web_url(partner.url),
        contact(partner),
        catalogue_label(partner.source, added_at),
    )


def filter_partners(partners: Iterable[Partner], needle: str) -> list[Partner]:
    """The partners whose name, type, themes, keywords, description or catalogue hold every word of `needle`.

    Accents and case do not matter: « sante » finds « Santé ».
    """
    words = fold(needle).split()
    if not words:
        return list(partners)
    out = []
    for p in partners:
        haystack = fold(" ".join((p.partner_id, p.name, p.kind, *p.themes, *p.keywords, p.description, p.source)))
        if all(w in haystack for w in words):
            out.append(p)
    return out


def filter_catalogue(partners: Iterable[Partner], themes: Collection[str], kinds: Collection[str]) -> list[Partner]:
    """The partners a search filtered on `themes` and `kinds` can propose (the engine's rule: any theme, any kind)."""
    return [
        p for p in partners if (not themes or not set(themes).isdisjoint(p.themes)) and (not kinds or p.kind in kinds)
    ]


@cache
def _bundled_digest() -> hashlib._Hash:
    digest = hashlib.sha256()
    for data in (CATALOGUE.read_bytes(), THESAURUS.read_bytes()):
        digest.update(data)
        digest.update(b"\0")
    return digest


def catalogue_versions(engine: str, local: Sequence[bytes] = ()) -> Versions:
    """The feedback store's `Versions` of what answers: the bundled catalogue and thesaurus, then local catalogues.

    Equal to `Versions.from_files([catalogue, thesaurus], engine)` when there is no local catalogue.
    """
    digest = _bundled_digest().copy()
    for data in local:
        digest.update(data)
        digest.update(b"\0")
    return Versions(digest.hexdigest()[:12], engine)


# -- the référents' judgements ---------------------------------------------------------------
QUALITY_COLUMNS = ("Partenaire", "Confiance", "Montré", "Jugé utile", "Jugé pas pertinent", "Part utile")


def quality_rows(stats: Sequence[StatsRow], names: Mapping[str, str]) -> list[dict[str, object]]:
    """`FeedbackStore.stats()` rows as the quality view's table (French headers, partners by name)."""
    return [
        {
            "Partenaire": names.get(r.partner_id, r.partner_id) if r.partner_id else "tous",
            "Confiance": r.confidence or "toutes",
            "Montré": r.shown,
            "Jugé utile": r.useful,
            "Jugé pas pertinent": r.not_relevant,
            "Part utile": "—" if r.share_useful is None else percent(r.share_useful),
        }
        for r in stats
    ]
