"""Streamlit app: the référent's search, the batch tab, the catalogue and the judgements. Layout only.

`matcher` does the work: `presentation` says what a result means, `exports` and
`shortlist` write the downloads, `feedback` keeps the judgements. Run with `make run`
(`streamlit run app.py`). Every piece of user or catalogue text shown through markdown
goes through `esc` (HTML) or `md` (markdown only), never raw.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from matcher import InputError, Match, PartnerMatcher, Result, __version__
from matcher.batch import BatchJob, Summary, guess_id_column, guess_text_columns
from matcher.batch import run as run_batch
from matcher.catalogue import CATALOGUE_DATE, merge
from matcher.explain import clip
from matcher.exports import CSV_MIME, HTML_MIME, XLSX_MIME, Table, batch_table
from matcher.feedback import COMMENT_MAX, NOT_RELEVANT, REASONS, USEFUL, VOTES, FeedbackError, FeedbackStore
from matcher.feedback import feedback_enabled as feedback_switch
from matcher.files import TableReader, read_catalogue, read_catalogue_bytes
from matcher.presentation import (
    MAX_RESULTS,
    PARAM_K,
    PARAM_KIND,
    PARAM_QUERY,
    PARAM_THEME,
    CardText,
    PartnerSheet,
    SearchState,
    Understanding,
    card_text,
    catalogue_versions,
    clamp_results,
    confidence_help,
    filter_catalogue,
    filter_partners,
    french_date,
    partner_sheet,
    percent,
    plural,
    quality_rows,
    read_address,
    result_message,
    shortfall,
    spellings,
    understand,
)
from matcher.reliability import RELIABILITY
from matcher.results import EMPTY, Snippet
from matcher.shortlist import Pick, Shortlist
from matcher.text import MAX_CHARS

MAX_UPLOAD_MB = 50  # also `server.maxUploadSize` in .streamlit/config.toml
UPLOAD_TYPES = ["csv", "xlsx", "txt"]
BATCH_CHUNK = 250  # rows per progress step (the CLI's chunks are bigger; results are identical)
PREVIEW_ROWS = 5
SHOWN_ROWS = 5_000
CATALOGUE_SHOWN = 60  # partners listed at once in the catalogue tab
EXAMPLES = (
    "Atelier lecture parents-enfants à la médiathèque",
    "Stage de théâtre pendant les vacances pour des adolescents",
    "Orientation des collégiens vers les métiers du numérique",
    "Sensibiliser les élèves à l'hygiène bucco-dentaire",
)
TIPS = (
    "Décrivez le projet en une ou deux phrases : **le public** (enfants, parents, collégiens…), "
    "**l'activité** (atelier, stage, sortie…) et **le thème** (lecture, santé, numérique…). "
    "Par exemple : « Atelier lecture parents-enfants à la médiathèque »."
)
PRIVACY = (
    "Les descriptions saisies et vos avis sont conservés, sans compte ni donnée personnelle, pour mesurer et "
    "améliorer les propositions : n'y écrivez pas de nom de personne."
)
UNAVAILABLE = "Les avis ne peuvent pas être enregistrés pour le moment ; la recherche fonctionne normalement."
FEEDBACK_RETRY_SECONDS = 60  # a session waits this long before trying a failed database again
SHORTCUT = "Ctrl+Entrée (⌘+Entrée sur Mac) lance la recherche."
ASIDE = "absents du catalogue : ils ne rapprochent d'aucun partenaire"
CSS = """<style>
[data-testid="stMainBlockContainer"]{padding-top:2.5rem}
.pm-head{display:flex;align-items:center;gap:.6rem;flex-wrap:wrap;font-size:1.15rem}
.pm-rank{background:#1f4e79;color:#fff;border-radius:50%;width:1.8rem;height:1.8rem;display:inline-flex;
 align-items:center;justify-content:center;font-weight:600;font-size:.95rem;flex:none}
.pm-name{font-weight:600;overflow-wrap:anywhere}
.pm-badge{border-radius:1rem;padding:.1rem .7rem;font-size:.8rem;font-weight:600;white-space:nowrap}
.pm-forte{background:#d8f3dc;color:#1b5e20}.pm-moyenne{background:#fff3cd;color:#8a5a00}
.pm-faible{background:#eceff1;color:#455a64}
.pm-tag{font-size:.8rem;color:#555;border:1px solid #ccc;border-radius:1rem;padding:.05rem .6rem}
.pm-local{border-color:#7b1fa2;color:#7b1fa2}
.pm-chip{display:inline-block;overflow-wrap:anywhere;margin:.1rem .2rem .1rem 0;padding:.02rem .5rem;border-radius:.4rem;
 background:#e8f0fe;color:#174ea6;font-size:.85rem}
.pm-syn{background:#fff;border:1px dashed #7baaf7;color:#3c4043}
.pm-fix{background:#fff;border:1px dashed #f29900;color:#3c4043}
.pm-theme{background:#edf7ed;color:#2e6b30}
.pm-aside{background:#f1f3f4;color:#5f6368}
.pm-why{margin:.3rem 0;line-height:1.9}
.pm-label{font-size:.8rem;color:#555;font-weight:600;margin:.3rem 0 0}
.pm-quote{border-left:3px solid #1f4e79;padding:.3rem .8rem;margin:.1rem 0 .4rem;color:#333;background:#f8f9fb}
.pm-quote mark{background:#ffe082;padding:0 .1rem;border-radius:.15rem}
.pm-small{font-size:.85rem;color:#555;margin:.2rem 0}
.pm-terms{margin:.2rem 0 .4rem 1.1rem;padding:0;font-size:.9rem}
.pm-sheet dt{font-weight:600;font-size:.85rem;color:#444}.pm-sheet dd{margin:0 0 .5rem 0}
/* Streamlit's English hints: the form shortcut is said in French under the description */
[data-testid="InputInstructions"]{display:none}
[data-testid="stFileUploaderDropzoneInstructions"] span{display:none}
[data-testid="stFileUploaderDropzoneInstructions"] div::after{content:"Glissez-déposez un fichier ici, ou choisissez-le.";
 font-size:.85rem;color:#555}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p{font-size:0}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after{content:"Choisir un fichier";
 font-size:.9rem}
.stButton button p,.stDownloadButton button p{white-space:normal;text-align:left}
/* one panel "Ce que nous avons compris": beside the results on a wide screen, folded above them on a phone */
.st-key-understood-top{display:none}
@media (max-width:640px){
 [data-testid="stMainBlockContainer"]{padding:4rem .8rem 3rem}
 h1{font-size:1.3rem !important;padding:0 !important}
 .pm-echo{display:none}
 .st-key-understood-top{display:block}
 .st-key-understood{display:none}
}
</style>"""

log = logging.getLogger(__name__)
_HTML = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+!|~$:"})
_MD = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
_SPACES = re.compile(r"\s+")


def esc(text: object) -> str:
    """Text made inert inside st.markdown(unsafe_allow_html=True): one line, HTML and markdown signs as entities."""
    return _SPACES.sub(" ", str(text)).translate(_HTML)


def md(text: object) -> str:
    """Text made inert for markdown-only elements (st.error, st.caption…): one line, signs backslash-escaped."""
    return _MD.sub(r"\\\1", " ".join(str(text).split()))


def html(markup: str) -> None:
    st.markdown(markup, unsafe_allow_html=True)


def show_error(message: object) -> None:
    st.error(md(message), icon=":material/error:")


def unreadable(name: str) -> str:
    """The message for a file that fails in an unforeseen way (the traceback goes to the server log)."""
    log.exception("unreadable upload %s", name)
    return f"{name} n'a pas pu être lu ; enregistrez-le en CSV UTF-8 ou en .xlsx, puis réessayez."


def safe_name(stem: str, fallback: str) -> str:
    return re.sub(r"[^\w-]+", "_", stem)[:60] or fallback


# -- engine and catalogues -------------------------------------------------------------
@st.cache_resource(show_spinner="Chargement du catalogue et du dictionnaire…")
def national_matcher() -> PartnerMatcher:
    return PartnerMatcher.from_csv()


@st.cache_resource(show_spinner="Ajout du catalogue local…", max_entries=8)
def local_matcher(data: bytes, name: str) -> PartnerMatcher:
    return PartnerMatcher.from_partners(merge(read_catalogue(), read_catalogue_bytes(data, name)))


def upload_bytes(upload: Any) -> bytes:
    """The uploaded file's bytes, or an InputError when it exceeds the limit."""
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        raise InputError(
            f"{upload.name} pèse {upload.size / 1024 / 1024:.0f} Mo ; la limite est de {MAX_UPLOAD_MB} Mo. "
            "Découpez le fichier ou enregistrez-le en CSV (plus léger)."
        )
    return upload.getvalue()


@dataclass(frozen=True)
class Catalogue:
    """The index this session searches, and what to say about it."""

    matcher: PartnerMatcher
    error: str = ""  # why the uploaded local catalogue was not added
    local: bytes = b""
    local_name: str = ""
    added_at: datetime | None = None  # when the local catalogue was uploaded


def session_catalogue() -> Catalogue:
    """The national index, or national + the local catalogue uploaded in this session, with the error if any."""
    upload = st.session_state.get("local_catalogue")
    if upload is None:
        return Catalogue(national_matcher())
    added = st.session_state.setdefault("local_added", {}).setdefault(upload.file_id, datetime.now())
    try:
        data = upload_bytes(upload)
        return Catalogue(local_matcher(data, upload.name), "", data, upload.name, added)
    except InputError as error:
        return Catalogue(national_matcher(), str(error))
    except Exception:  # a broken file must never crash the page
        return Catalogue(national_matcher(), unreadable(upload.name))


def local_catalogue_error(catalogue: Catalogue) -> None:
    """The local catalogue's error, on whichever tab the user is."""
    if catalogue.error:
        upload = st.session_state.get("local_catalogue")
        name = upload.name if upload is not None else "Le catalogue local"
        show_error(f"Catalogue local « {name} » non ajouté (onglet Catalogue) : {catalogue.error}")


# -- feedback ----------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def feedback_store(database: str) -> FeedbackStore:
    """The store for `database` (`MATCHER_DB`); a FeedbackError is not cached, so a repaired database is used again."""
    return FeedbackStore.open(database or None)


def open_store() -> FeedbackStore | None:
    """The feedback store, None when feedback is off or the database cannot be used (then a discreet note)."""
    if not feedback_switch():
        return None
    if time.monotonic() < st.session_state.get("feedback_retry", 0.0):  # failed a moment ago: no wait on each click
        st.session_state.feedback_note = UNAVAILABLE
        return None
    try:
        return feedback_store(os.environ.get("MATCHER_DB", ""))
    except FeedbackError as error:
        log.error("feedback store unavailable: %s", error)
        st.session_state.update(feedback_note=UNAVAILABLE, feedback_retry=time.monotonic() + FEEDBACK_RETRY_SECONDS)
        return None


def record_search(store: FeedbackStore | None, result: Result, state: SearchState, catalogue: Catalogue) -> int | None:
    """The id of this displayed result in the store, recorded once per session (not on every rerun)."""
    if store is None or not result.matches:
        return None
    versions = catalogue_versions(__version__, [catalogue.local] if catalogue.local else [])
    key = (versions.catalogue, state.query, state.themes, state.kinds, state.k)
    searches = st.session_state.setdefault("searches", {})
    if key not in searches:
        try:
            searches[key] = store.record_search(result.query, result.matches, versions)
        except FeedbackError as error:
            log.error("search not recorded: %s", error)
            st.session_state.feedback_note = UNAVAILABLE
            searches[key] = None
    return searches[key]


def cast_vote(
    search_id: int, partner_id: str, vote: str, reason: str | None = None, comment: str | None = None
) -> None:
    store = open_store()
    if store is None:
        return
    try:
        store.record_vote(search_id, partner_id, vote, reason, comment)
    except (FeedbackError, ValueError) as error:
        log.error("vote not recorded: %s", error)
        st.session_state.feedback_note = "Votre avis n'a pas pu être enregistré ; réessayez plus tard."
        return
    st.session_state.setdefault("votes", {})[search_id, partner_id] = (vote, reason)


def give_reason(search_id: int, partner_id: str, key: str) -> None:
    reason = st.session_state.get(key)
    if reason is not None:
        cast_vote(search_id, partner_id, NOT_RELEVANT, reason)


def give_comment(search_id: int, partner_id: str, key: str) -> None:
    cast_vote(search_id, partner_id, NOT_RELEVANT, "autre", st.session_state.get(key) or None)
    st.session_state.setdefault("commented", set()).add((search_id, partner_id))


# -- the selection ---------------------------------------------------------------------
def shortlist() -> Shortlist:
    return st.session_state.setdefault("shortlist", Shortlist())


def toggle_pick(pick: Pick) -> None:
    picks = shortlist()
    if pick.key in picks:
        st.session_state.shortlist = picks.remove(pick.key)
    else:
        st.session_state.shortlist = picks.add(pick)
        st.toast(
            md(f"{pick.name} ajouté à « Ma sélection » (panneau latéral, à exporter)."),
            icon=":material/bookmark_added:",
        )


def shortlist_panel() -> None:
    picks = shortlist()
    with st.sidebar:
        st.header("Ma sélection")
        if not picks:
            st.caption("Ajoutez des partenaires depuis les résultats avec « Ajouter à ma sélection ».")
            return
        st.caption(f"{plural(len(picks), 'partenaire')} pour {plural(len(picks.projects()), 'projet')}.")
        for i, project in enumerate(picks.projects()):
            html(f'<p class="pm-small">Projet : « {esc(clip(project, 140))} »</p>')
            for n, pick in enumerate(p for p in picks if p.project == project):
                with st.container(key=f"picked-{i}-{n}"):
                    html(
                        f"{link(pick.name, pick.url)} <span class='pm-small'>· confiance {esc(pick.confidence)}</span>"
                    )
                    st.button(f"Retirer {pick.name}", key=f"unpick-{i}-{n}", on_click=toggle_pick, args=(pick,),
                              icon=":material/close:", type="tertiary")  # fmt: skip
        st.download_button("Télécharger (Excel .xlsx)", picks.xlsx(), "selection-partenaires.xlsx", XLSX_MIME,
                           on_click="ignore", icon=":material/download:", key="pick_xlsx")  # fmt: skip
        st.download_button("Télécharger (CSV pour Excel)", picks.csv(), "selection-partenaires.csv", CSV_MIME,
                           on_click="ignore", icon=":material/download:", key="pick_csv")  # fmt: skip
        st.download_button("Page à imprimer ou envoyer (HTML)", picks.html(), "selection-partenaires.html", HTML_MIME,
                           on_click="ignore", icon=":material/print:", key="pick_html")  # fmt: skip


# -- first tab: search -------------------------------------------------------------------
PARAMS = (PARAM_QUERY, PARAM_THEME, PARAM_KIND, PARAM_K)


def address() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in PARAMS if name in st.query_params}


def follow_address(themes: Sequence[str], kinds: Sequence[str]) -> None:
    """Show the search of the address when it is not the one shown: a shared link, or Back and Forward."""
    params = address()
    if st.session_state.get("shown_params") == params:
        return
    read = read_address(params, themes, kinds)
    st.session_state.update(
        shown=read.state, shown_params=params, notes=read.notes, description=read.state.query or "",
        themes=list(read.state.themes), kinds=list(read.state.kinds), k=read.state.k,
    )  # fmt: skip


def show_search(state: SearchState, notes: Sequence[str] = ()) -> None:
    """Make `state` the search shown, and the address (a new entry in the browser's history)."""
    params = state.params()
    st.query_params.from_dict(params)
    st.session_state.update(shown=state, shown_params=params, notes=tuple(notes))


def submit() -> None:
    k, note = clamp_results(st.session_state.k)
    st.session_state.k = k  # the box shows the number searched
    state = SearchState(st.session_state.description, tuple(st.session_state.themes), tuple(st.session_state.kinds), k)
    show_search(state, [note] if note else [])


def use_example(text: str) -> None:
    st.session_state.description = text
    submit()


def search_form(themes: Sequence[str], kinds: Sequence[str], privacy: bool) -> None:
    with st.form("search", border=False):
        st.text_area(
            "Description du projet", key="description", height=100, max_chars=MAX_CHARS,
            placeholder="Ex. : atelier lecture parents-enfants à la médiathèque du quartier",
        )  # fmt: skip
        st.caption(SHORTCUT + (f" {PRIVACY}" if privacy else ""))
        chosen = len(st.session_state.themes) + len(st.session_state.kinds)
        filters = f"Filtres et nombre de résultats ({plural(chosen, 'filtre')}, {st.session_state.k} résultats)"
        with st.expander(filters, icon=":material/tune:"):
            st.number_input(
                "Nombre de résultats", key="k", step=1, format="%d",
                help=f"De 1 à {MAX_RESULTS} ; au-delà, les {MAX_RESULTS} meilleurs sont affichés.",
            )  # fmt: skip
            st.multiselect("Thèmes", themes, key="themes", placeholder="Tous les thèmes", select_all=False)
            st.multiselect("Type d'organisation", kinds, key="kinds", placeholder="Tous les types", select_all=False)
        st.form_submit_button("Trouver des partenaires", type="primary", icon=":material/search:", on_click=submit)


def search_tab(catalogue: Catalogue, store: FeedbackStore | None) -> None:
    matcher = catalogue.matcher
    themes = sorted({t for p in matcher.partners_ for t in p.themes})
    kinds = sorted({p.kind for p in matcher.partners_ if p.kind})
    follow_address(themes, kinds)
    local_catalogue_error(catalogue)
    search_form(themes, kinds, privacy=store is not None)
    state: SearchState = st.session_state.shown
    for note in st.session_state.get("notes", ()):
        st.info(md(note), icon=":material/info:")
    if state.query is None:
        examples()
        st.info(TIPS, icon=":material/lightbulb:")
        return
    state = SearchState(state.query, tuple(t for t in state.themes if t in themes),
                        tuple(k for k in state.kinds if k in kinds), state.k)  # fmt: skip
    result = matcher.search(state.query, k=state.k, themes=state.themes, kinds=state.kinds)
    show_result(result, state, catalogue, store)


def examples() -> None:
    st.markdown("**Exemples** (cliquez pour lancer la recherche) :")
    with st.container(horizontal=True, key="examples"):
        for n, text in enumerate(EXAMPLES):
            st.button(text, key=f"example-{n}", on_click=use_example, args=(text,))


def show_result(result: Result, state: SearchState, catalogue: Catalogue, store: FeedbackStore | None) -> None:
    filtered = bool(state.themes or state.kinds)
    if result.status == EMPTY:
        st.info(f"{md(result.message)}\n\n{TIPS}", icon=":material/edit_note:")
        examples()
        return
    matcher = catalogue.matcher
    written = spellings(result.query, matcher.analyzer_.tokens(result.query))
    main = understood_panels(understand(result.analysis, written))
    with main:
        with st.container(horizontal=True, vertical_alignment="center"):
            html(f'<p class="pm-small pm-echo">Recherche : « {esc(clip(result.query, 300))} »</p>')
            with st.popover("Que veulent dire forte, moyenne, faible ?", icon=":material/help:"):
                st.markdown(confidence_help(matcher.thresholds_))
        message = result_message(result)
        if message:
            hint = " Vous pouvez aussi retirer les filtres." if filtered else ""
            st.warning(f"{md(clip(message, 600))}{hint}\n\n{TIPS}", icon=":material/search_off:")
            if not result.matches:
                examples()
        available = len(filter_catalogue(matcher.partners_, state.themes, state.kinds))
        gap = shortfall(len(result.matches), state.k, available, filtered)
        if gap:
            st.caption(md(gap))
        search_id = record_search(store, result, state, catalogue)
        partners = {p.partner_id: p for p in matcher.partners_}
        picks = []
        for match in result.matches:
            card = card_text(match, result.analysis, written, matcher.thresholds_)
            sheet = partner_sheet(partners[match.partner_id], catalogue.added_at)
            pick = Pick.of(match, card, sheet, result.query)
            show_card(match, card, sheet, pick, search_id if store is not None else None)
            picks.append(pick)
        if note := st.session_state.pop("feedback_note", ""):  # set by this run or by a vote's callback
            st.caption(md(note))
        if picks:
            result_downloads(Shortlist(tuple(picks)))


def understood_panels(understood: Understanding) -> Any:
    """ "Ce que nous avons compris" beside the results (wide screens) or folded above them (phones); the results' column."""
    with st.container(key="understood-top"), st.expander(f"Ce que nous avons compris : {understood.summary}"):
        show_understanding(understood)
    main, side = st.columns([5, 2], gap="large")
    with side, st.container(border=True, key="understood"):
        st.markdown("**Ce que nous avons compris**")
        show_understanding(understood)
    return main


def result_downloads(everything: Shortlist) -> None:
    with st.container(horizontal=True):
        st.download_button("Télécharger ces résultats (Excel .xlsx)", everything.xlsx(), "partenaires.xlsx", XLSX_MIME,
                           on_click="ignore", icon=":material/download:", key="results_xlsx")  # fmt: skip
        st.download_button("Télécharger ces résultats (CSV pour Excel)", everything.csv(), "partenaires.csv", CSV_MIME,
                           on_click="ignore", icon=":material/download:", key="results_csv")  # fmt: skip


def chips(words: Sequence[str], style: str = "") -> str:
    return "".join(f'<span class="pm-chip {style}">{esc(clip(w, 60))}</span>' for w in words)


def show_understanding(understood: Understanding) -> None:
    parts = []
    if understood.own:
        parts.append(f'<p class="pm-label">Vos mots retenus</p><div>{chips(understood.own)}</div>')
    if understood.corrected:
        fixes = [f"{typed} → {fixed}" for typed, fixed in understood.corrected]
        parts.append(f'<p class="pm-label">Orthographe corrigée</p><div>{chips(fixes, "pm-fix")}</div>')
    for added in understood.added:
        sources = ", ".join(f"« {esc(s)} »" for s in added.sources)
        parts.append(f'<p class="pm-label">Synonymes de {sources}</p><div>{chips(added.terms, "pm-syn")}</div>')
    if understood.set_aside:
        parts.append(
            f'<p class="pm-label">Mis de côté ({ASIDE})</p><div>{chips(understood.set_aside, "pm-aside")}</div>'
        )
    if understood.empty:
        parts.append(f'<p class="pm-small">{esc(understood.empty)}</p>')
    html("".join(parts))


def link(name: str, url: str, css: str = "pm-name") -> str:
    if url.startswith(("https://", "http://")):
        return f'<a class="{css}" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(name)}</a>'
    return f'<span class="{css}">{esc(name)}</span>'


def marked(snippet: Snippet) -> str:
    out, last = [], 0
    for start, end in snippet.spans:
        out += [esc(snippet.text[last:start]), "<mark>", esc(snippet.text[start:end]), "</mark>"]
        last = end
    out.append(esc(snippet.text[last:]))
    return "".join(out)


def why(card: CardText) -> str:
    """The card's one explanation line: the user's words, corrections and synonyms that count most."""
    parts = []
    if card.own:
        parts.append(f"{'Votre mot' if len(card.own) == 1 else 'Vos mots'} {chips(card.own)}")
    if card.corrected:
        parts.append("Corrigé " + chips([f"{typed} → {fixed}" for typed, fixed in card.corrected], "pm-fix"))
    for added in card.added:
        kind = "Synonyme" if len(added.terms) == 1 else "Synonymes"
        sources = ", ".join(f"« {esc(s)} »" for s in added.sources)
        parts.append(f"{kind} de {sources} : {chips(added.terms, 'pm-syn')}")
    if card.hidden:
        parts.append(f"<small>+ {plural(card.hidden, 'terme')} dans le détail</small>")
    if card.similar:
        parts.append(f"Proche d'un projet jugé pertinent : <i>« {esc(clip(card.similar))} »</i>")
    return f'<p class="pm-why">{" · ".join(parts) or "Correspondance faible"}</p>'


def show_card(m: Match, card: CardText, sheet: PartnerSheet, pick: Pick, search_id: int | None) -> None:
    with st.container(border=True, key=f"card-{m.rank}"):
        tags = [f'<span class="pm-badge pm-{esc(m.confidence)}">Confiance {esc(m.confidence)}</span>']
        if m.kind:
            tags.append(f'<span class="pm-tag">{esc(m.kind)}</span>')
        if m.source != "national":
            tags.append(f'<span class="pm-tag pm-local">catalogue local : {esc(m.source)}</span>')
        html(f'<div class="pm-head"><span class="pm-rank">{m.rank}</span>{link(m.name, m.url)}{"".join(tags)}</div>')
        html(
            why(card)
            + f'<p class="pm-label">{esc(card.quote_label)}</p><div class="pm-quote">{marked(card.quote)}</div>'
            + (f'<div class="pm-small">Thèmes : {chips(m.themes, "pm-theme")}</div>' if m.themes else "")
        )
        with st.expander("Voir le détail"):
            show_detail(card)
        with st.expander("Fiche du partenaire"):
            show_sheet(sheet)
        card_actions(m, pick, search_id)


def show_detail(card: CardText) -> None:
    st.markdown(md(card.level))
    rows = "".join(f"<li><b>{esc(t.term)}</b> : {esc(t.how)} ({percent(t.share)} du score)</li>" for t in card.terms)
    html(f'<p class="pm-label">Tous les termes qui ont compté</p><ul class="pm-terms">{rows}</ul>')


def show_sheet(sheet: PartnerSheet) -> None:
    site = link(sheet.url, sheet.url, "pm-link") if sheet.url else "—"
    rows = [
        ("Présentation", esc(sheet.description)),
        ("Type", esc(sheet.kind or "—")),
        ("Thèmes", chips(sheet.themes, "pm-theme") or "—"),
        ("Programmes et mots-clés", chips(sheet.keywords) or "—"),
        ("Site", site),
        ("Prendre contact", esc(sheet.contact)),
        ("Source", esc(sheet.catalogue)),
    ]
    html('<dl class="pm-sheet">' + "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows) + "</dl>")


def card_actions(m: Match, pick: Pick, search_id: int | None) -> None:
    picked = pick.key in shortlist()
    vote = st.session_state.get("votes", {}).get((search_id, m.partner_id), (None, None))[0]
    with st.container(horizontal=True, key=f"actions-{m.rank}"):
        st.button(
            "Retirer de ma sélection" if picked else "Ajouter à ma sélection", key=f"pick-{m.rank}",
            icon=":material/bookmark_remove:" if picked else ":material/bookmark_add:", on_click=toggle_pick,
            args=(pick,),
        )  # fmt: skip
        if search_id is None:
            return
        for code, icon in ((USEFUL, ":material/thumb_up:"), (NOT_RELEVANT, ":material/thumb_down:")):
            st.button(VOTES[code], key=f"vote-{m.rank}-{code}", icon=icon, on_click=cast_vote,
                      args=(search_id, m.partner_id, code), type="primary" if vote == code else "secondary")  # fmt: skip
    if vote is None:
        return
    st.caption(md(f"Merci : avis « {VOTES[vote]} » enregistré."))
    if vote == NOT_RELEVANT:
        reason_key = f"reason-{search_id}-{m.partner_id}"
        st.selectbox("Pourquoi ? (facultatif)", list(REASONS), index=None, format_func=REASONS.get, key=reason_key,
                      placeholder="Choisir une raison", on_change=give_reason, args=(search_id, m.partner_id, reason_key))  # fmt: skip
        if st.session_state.get(reason_key) == "autre":
            comment_key = f"comment-{search_id}-{m.partner_id}"
            st.text_input("Précisez (facultatif, sans nom de personne)", key=comment_key, max_chars=COMMENT_MAX)
            st.button("Envoyer la précision", key=f"send-{search_id}-{m.partner_id}", on_click=give_comment,
                      args=(search_id, m.partner_id, comment_key))  # fmt: skip
            if (search_id, m.partner_id) in st.session_state.get("commented", ()):
                st.caption("Précision enregistrée.")


# -- second tab: batch ---------------------------------------------------------------------
@dataclass(frozen=True)
class BatchOutput:
    table: Table
    summary: str
    xlsx: bytes
    csv: bytes


def process_batch(
    matcher: PartnerMatcher,
    data: bytes,
    name: str,
    text_columns: Sequence[str] = (),
    id_column: str | None = None,
    k: int = 5,
    keep_columns: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BatchOutput:
    """`matcher batch` on uploaded bytes (same reader, column rules and engine as the CLI), written in French."""
    reader = TableReader(data, name=name)
    job = BatchJob.for_columns(reader.columns, text_columns, id_column, keep_columns)
    summary = Summary()
    rows = run_batch(matcher, reader, job, k, summary=summary, progress=progress, chunk_size=BATCH_CHUNK)
    table = batch_table(rows, job, {p.partner_id: p.url for p in matcher.partners_})
    return BatchOutput(table, summary.line(), table.xlsx(), table.csv())


def batch_tab(catalogue: Catalogue) -> None:
    local_catalogue_error(catalogue)
    st.markdown(
        "Déposez un fichier de projets (CSV ou Excel, une ligne par projet). Chaque projet reçoit ses partenaires, "
        "avec les mêmes règles que la recherche ; aucune ligne n'est perdue."
    )
    upload = st.file_uploader(
        f"Fichier de projets (.csv, .xlsx ; {MAX_UPLOAD_MB} Mo au plus)", type=UPLOAD_TYPES, key="batch_file",
        max_upload_size=MAX_UPLOAD_MB,
    )  # fmt: skip
    if upload is None:
        return
    try:
        data = upload_bytes(upload)
        reader = TableReader(data, name=upload.name)
        preview = pd.DataFrame([row.cells for row in islice(reader, PREVIEW_ROWS)], columns=list(reader.columns))
    except InputError as error:
        return show_error(error)
    except Exception:
        return show_error(unreadable(upload.name))
    if st.session_state.get("batch_file_id") != upload.file_id:  # a new file: its own columns, guessed afresh
        guessed = guess_text_columns(reader.columns)
        st.session_state.update(batch_file_id=upload.file_id, batch_text=list(guessed), batch=None,
                                batch_id=guess_id_column(reader.columns, guessed))  # fmt: skip
    with st.expander(
        f"Aperçu de {md(upload.name)} ({PREVIEW_ROWS} premières lignes)", expanded=not st.session_state.batch
    ):
        st.dataframe(preview, hide_index=True)
    if not guess_text_columns(reader.columns):
        st.warning(
            md(f"Aucune colonne de description reconnue d'après son nom ; colonnes du fichier : "
               f"{', '.join(f'« {c} »' for c in reader.columns)}. Choisissez ci-dessous la ou les colonnes qui "
               "décrivent les projets (et, s'il y en a une, celle des identifiants), puis lancez le traitement."),
            icon=":material/touch_app:",
        )  # fmt: skip
    left, middle, right = st.columns([3, 2, 1])
    texts = left.multiselect("Colonne(s) de description", reader.columns, key="batch_text", select_all=False,
                             placeholder="Choisissez une ou plusieurs colonnes",
                             help="Les colonnes choisies sont mises bout à bout pour décrire chaque projet.")  # fmt: skip
    ident = middle.selectbox("Colonne d'identifiant", [None, *reader.columns], key="batch_id",
                             format_func=lambda c: "(aucune : numéro de ligne)" if c is None else c)  # fmt: skip
    right.number_input("Partenaires par projet", key="batch_k", value=5, step=1, format="%d",
                       help=f"De 1 à {MAX_RESULTS}.")  # fmt: skip
    keep = st.checkbox("Recopier aussi toutes les colonnes du fichier dans les résultats", key="batch_keep")
    k, note = clamp_results(st.session_state.batch_k)
    if note:
        st.caption(md(note))
    settings = (upload.file_id, tuple(texts), ident, k, keep, id(catalogue.matcher))
    if not texts:
        st.caption("Choisissez au moins une colonne de description pour lancer le traitement.")
    if st.button("Lancer le traitement", type="primary", disabled=not texts, icon=":material/play_arrow:"):
        st.session_state.batch = None
        bar = st.progress(0.0, text="Comptage des lignes…")
        try:
            total = max(sum(1 for _ in TableReader(data, name=upload.name)), 1)
            done = [0]

            def step(n: int) -> None:
                done[0] += n
                bar.progress(min(done[0] / total, 1.0), text=f"{done[0]} / {total} projets traités")

            output = process_batch(catalogue.matcher, data, upload.name, texts, ident, k, keep, step)
        except InputError as error:
            return show_error(error)
        except Exception:
            return show_error(unreadable(upload.name))
        bar.empty()
        st.session_state.batch = (settings, output)
    if st.session_state.get("batch") and st.session_state.batch[0] == settings:
        show_batch(st.session_state.batch[1], Path(upload.name).stem)


def show_batch(output: BatchOutput, stem: str) -> None:
    st.success(md(output.summary), icon=":material/task_alt:")
    stem = safe_name(stem, "projets")
    with st.container(horizontal=True):
        st.download_button("Télécharger (Excel .xlsx)", output.xlsx, f"{stem}-partenaires.xlsx", XLSX_MIME,
                           on_click="ignore", icon=":material/download:", key="batch_xlsx")  # fmt: skip
        st.download_button("Télécharger (CSV pour Excel)", output.csv, f"{stem}-partenaires.csv", CSV_MIME,
                           on_click="ignore", icon=":material/download:", key="batch_csv")  # fmt: skip
    rows = output.table.rows[:SHOWN_ROWS]
    # blank rank and score (projects without partner) as missing values, so the columns stay numeric
    shown = pd.DataFrame(rows, columns=list(output.table.columns)).replace({"": None}).convert_dtypes()
    wide = {
        "intitulé": st.column_config.TextColumn(width="medium"),
        "partenaire": st.column_config.TextColumn(width="medium"),
        "raison": st.column_config.TextColumn(width="large"),
        "site": st.column_config.LinkColumn(display_text=r"https?://(?:www\.)?([^/]+)"),
    }
    st.dataframe(shown, hide_index=True, column_config=wide, key="batch_results")
    if len(output.table.rows) > SHOWN_ROWS:
        st.caption(f"{SHOWN_ROWS} premières lignes sur {len(output.table.rows)} ; le fichier téléchargé contient tout.")


# -- third tab: catalogue ------------------------------------------------------------------
def catalogue_tab(catalogue: Catalogue) -> None:
    partners = catalogue.matcher.partners_
    national = sum(p.source == "national" for p in partners)
    line = f"Catalogue national : {national} partenaires, à jour au {french_date(CATALOGUE_DATE)}."
    if catalogue.local_name:
        line += f" Catalogue local « {catalogue.local_name} » : {len(partners) - national} partenaire(s), pour cette session."
    st.caption(md(line))
    upload = st.session_state.get("local_catalogue")
    with st.expander("Ajouter un catalogue local (pour cette session)", expanded=upload is not None,
                     icon=":material/upload_file:"):  # fmt: skip
        st.caption(
            "Un fichier CSV ou Excel avec les colonnes du catalogue national : partner_id, name, description "
            "(obligatoires), kind, themes, keywords, url ; une ligne par partenaire, listes séparées par « ; »."
        )
        st.file_uploader("Catalogue local", type=UPLOAD_TYPES, key="local_catalogue", max_upload_size=MAX_UPLOAD_MB)
        if catalogue.error:
            show_error(catalogue.error)
        elif upload is not None:
            count = sum(p.source == upload.name for p in partners)
            st.success(
                md(f"{count} partenaire(s) de {upload.name} ajouté(s) ; ils sont marqués « local » dans les résultats.")
            )
    needle = st.text_input("Rechercher dans le catalogue", key="catalogue_filter",
                           placeholder="nom, thème, mot-clé… (accents et majuscules indifférents)")  # fmt: skip
    found = filter_partners(partners, needle)
    st.caption(f"{len(found)} partenaire(s) sur {len(partners)}" + (f" ; les {CATALOGUE_SHOWN} premiers sont listés, précisez la recherche." if len(found) > CATALOGUE_SHOWN else ""))  # fmt: skip
    with st.container(key="catalogue"):
        for p in found[:CATALOGUE_SHOWN]:
            local = " · local" if p.source != "national" else ""
            with st.expander(md(f"{p.name} ({p.kind or 'type non précisé'}{local})")):
                show_sheet(partner_sheet(p, catalogue.added_at if p.source == catalogue.local_name else None))


# -- fourth tab: quality -------------------------------------------------------------------
def quality_tab(catalogue: Catalogue, store: FeedbackStore | None) -> None:
    st.markdown(
        "Les avis « Utile » et « Pas pertinent » donnés sous les partenaires proposés, par niveau de confiance "
        "puis par partenaire. Chaque partenaire montré compte une fois, avec son dernier avis."
    )
    if not feedback_switch():
        st.info("Les avis sont désactivés sur ce serveur (MATCHER_FEEDBACK=0) : rien n'est enregistré.")
        return
    if store is None:
        st.info("Les avis ne sont pas disponibles pour le moment.")
        return
    try:
        by_level, by_partner = store.stats(by=("confidence",)), store.stats()
    except FeedbackError as error:
        log.error("feedback stats unavailable: %s", error)
        st.info("Les avis ne sont pas disponibles pour le moment.")
        return
    if not by_level:
        st.caption("Aucun partenaire montré pour l'instant.")
        return
    names = {p.partner_id: p.name for p in catalogue.matcher.partners_}
    levels = pd.DataFrame(quality_rows(by_level, names)).drop(columns="Partenaire")
    levels["Mesuré sur les projets de test"] = [percent(RELIABILITY.get(r.confidence or "", 0.0)) for r in by_level]
    st.markdown("**Par niveau de confiance**")
    st.dataframe(levels, hide_index=True, key="quality_levels")
    st.markdown("**Par partenaire**")
    st.dataframe(pd.DataFrame(quality_rows(by_partner, names)), hide_index=True, key="quality_partners")


def main() -> None:
    st.set_page_config(page_title="Partenaires des Cités éducatives", page_icon="🤝", layout="wide")
    st.html(CSS)
    st.title("Partenaires des Cités éducatives")
    st.caption(
        "Décrivez un projet local : l'outil propose les partenaires nationaux les plus à même de l'aider, et dit pourquoi."
    )
    catalogue = session_catalogue()
    store = open_store()
    search, batch, catalogue_view, quality = st.tabs(
        ["Trouver des partenaires", "Traitement par lot", "Catalogue", "Qualité"]
    )
    with search:
        search_tab(catalogue, store)
    with batch:
        batch_tab(catalogue)
    with catalogue_view:
        catalogue_tab(catalogue)
    with quality:
        quality_tab(catalogue, store)
    shortlist_panel()


if __name__ == "__main__":  # `streamlit run` and AppTest run the script as __main__
    main()
