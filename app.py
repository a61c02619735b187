"""Streamlit app: the référent's form, the batch tab and the catalogue. Layout only; `matcher` does the work.

Run with `make run` (`streamlit run app.py`). Every piece of user or catalogue text shown
through markdown goes through `esc` (HTML) or `md` (markdown only), never raw.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from matcher import CORRECTION, SYNONYM, THEMES, WORD, InputError, Match, PartnerMatcher, Result
from matcher.batch import OUTPUT_COLUMNS, BatchJob, Summary, resolve_columns, result_rows
from matcher.batch import run as run_batch
from matcher.catalogue import merge
from matcher.files import TableReader, TableWriter, read_catalogue, read_catalogue_bytes
from matcher.results import EMPTY
from matcher.text import MAX_CHARS

MAX_UPLOAD_MB = 50  # also `server.maxUploadSize` in .streamlit/config.toml
UPLOAD_TYPES = ["csv", "xlsx", "txt"]
BATCH_CHUNK = 250  # rows per progress step (the CLI's chunks are bigger; results are identical)
PREVIEW_ROWS = 5
SHOWN_ROWS = 5_000
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
SINGLE_COLUMNS = ("description", *OUTPUT_COLUMNS[1:], "themes", "url", "snippet")
CSS = """<style>
[data-testid="stMainBlockContainer"]{padding-top:2.5rem}
.pm-head{display:flex;align-items:center;gap:.6rem;flex-wrap:wrap;font-size:1.15rem}
.pm-rank{background:#1f4e79;color:#fff;border-radius:50%;width:1.8rem;height:1.8rem;display:inline-flex;
 align-items:center;justify-content:center;font-weight:600;font-size:.95rem}
.pm-name{font-weight:600}
.pm-badge{border-radius:1rem;padding:.1rem .7rem;font-size:.8rem;font-weight:600}
.pm-forte{background:#d8f3dc;color:#1b5e20}.pm-moyenne{background:#fff3cd;color:#8a5a00}
.pm-faible{background:#eceff1;color:#455a64}
.pm-tag{font-size:.8rem;color:#555;border:1px solid #ccc;border-radius:1rem;padding:.05rem .6rem}
.pm-local{border-color:#7b1fa2;color:#7b1fa2}
.pm-chip{display:inline-block;overflow-wrap:anywhere;margin:.15rem .25rem .15rem 0;padding:.05rem .55rem;border-radius:.4rem;
 background:#e8f0fe;color:#174ea6;font-size:.85rem}
.pm-syn{background:#fff;border:1px dashed #7baaf7;color:#3c4043}
.pm-fix{background:#fff;border:1px dashed #f29900;color:#3c4043}
.pm-theme{background:#edf7ed;color:#2e6b30}
.pm-unknown{background:#f1f3f4;color:#5f6368;text-decoration:line-through}
.pm-quote{border-left:3px solid #1f4e79;padding:.3rem .8rem;margin:.4rem 0;color:#333;background:#f8f9fb}
.pm-quote mark{background:#ffe082;padding:0 .1rem;border-radius:.15rem}
.pm-small{font-size:.85rem;color:#555;margin:.2rem 0}
.pm-chip small{color:#5f6368}
</style>"""

CHIP = {SYNONYM: "pm-syn", CORRECTION: "pm-fix"}  # how a term reached through the thesaurus or a fix looks

log = logging.getLogger(__name__)
_HTML = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+!|~$:"})
_MD = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
_SPACES = re.compile(r"\s+")


def esc(text: object) -> str:
    """Text made inert inside st.markdown(unsafe_allow_html=True): one line, HTML and markdown signs as entities."""
    return _SPACES.sub(" ", str(text)).translate(_HTML)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md(text: object) -> str:
    """Text made inert for markdown-only elements (st.error, st.caption…): one line, signs backslash-escaped."""
    return _MD.sub(r"\\\1", " ".join(str(text).split()))


def show_error(message: object) -> None:
    st.error(md(message), icon=":material/error:")


def unreadable(name: str) -> str:
    """The message for a file that fails in an unforeseen way (the traceback goes to the server log)."""
    log.exception("unreadable upload %s", name)
    return f"{name} n'a pas pu être lu ; enregistrez-le en CSV UTF-8 ou en .xlsx, puis réessayez."


# -- engine --------------------------------------------------------------------------
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


def session_matcher() -> tuple[PartnerMatcher, str]:
    """The national index, or national + the local catalogue uploaded in this session; the error if any."""
    upload = st.session_state.get("local_catalogue")
    if upload is None:
        return national_matcher(), ""
    try:
        return local_matcher(upload_bytes(upload), upload.name), ""
    except InputError as error:
        return national_matcher(), str(error)
    except Exception:  # a broken file must never crash the page
        return national_matcher(), unreadable(upload.name)


def table_bytes(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> bytes:
    """Rows written by the CLI's writer (formula cells neutralised), as CSV (UTF-8 BOM) or .xlsx bytes."""
    buffer = io.BytesIO()
    with TableWriter(buffer, columns, fmt) as writer:
        writer.write(rows)
    return buffer.getvalue()


@dataclass(frozen=True)
class BatchOutput:
    rows: list[dict[str, Any]]
    columns: tuple[str, ...]
    summary: str
    csv: bytes
    xlsx: bytes


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
    """`matcher batch` on uploaded bytes: same reader, column rules, engine and writer as the CLI."""
    reader = TableReader(data, name=name)
    job = BatchJob.for_columns(reader.columns, text_columns, id_column, keep_columns)
    summary = Summary()
    rows = list(run_batch(matcher, reader, job, k, summary=summary, progress=progress, chunk_size=BATCH_CHUNK))
    columns = job.output_columns
    return BatchOutput(
        rows, columns, summary.line(), table_bytes(rows, columns, "csv"), table_bytes(rows, columns, "xlsx")
    )


# -- first tab: search ---------------------------------------------------------------
def use_example() -> None:
    text = st.session_state.example
    if text:
        st.session_state.description = st.session_state.query = text
        st.query_params["q"] = text
    st.session_state.example = None


def search_tab(matcher: PartnerMatcher) -> None:
    if "query" not in st.session_state:  # a shared link: ?q=... shows its results at once
        st.session_state.query = st.query_params.get("q")
        if st.session_state.query is not None:
            st.session_state.query = st.session_state.query[:MAX_CHARS]
        st.session_state.description = st.session_state.query or ""
    st.pills("Exemples", EXAMPLES, key="example", on_change=use_example)
    kinds = sorted({p.kind for p in matcher.partners_ if p.kind})
    with st.form("search", border=False):
        st.text_area(
            "Description du projet", key="description", height=110, max_chars=MAX_CHARS,
            placeholder="Ex. : atelier lecture parents-enfants à la médiathèque du quartier",
        )  # fmt: skip
        left, middle, right = st.columns([1, 3, 3])
        k = left.number_input("Nombre de résultats", 1, 20, 5, key="k")
        themes = middle.multiselect("Thèmes", THEMES, key="themes", placeholder="Tous les thèmes")
        kind = right.multiselect("Type d'organisation", kinds, key="kinds", placeholder="Tous les types")
        submitted = st.form_submit_button("Trouver des partenaires", type="primary", icon=":material/search:")
    if submitted:
        st.session_state.query = st.session_state.description
        if st.session_state.query.strip():
            st.query_params["q"] = st.session_state.query
        else:
            st.query_params.pop("q", None)
    query = st.session_state.query
    if query is None:
        st.info(TIPS, icon=":material/lightbulb:")
        return
    result = matcher.search(query, k=int(k), themes=themes, kinds=kind)
    show_result(result, filtered=bool(themes or kind))


def show_result(result: Result, filtered: bool) -> None:
    if result.status == EMPTY:
        st.info(f"{md(result.message)}\n\n{TIPS}", icon=":material/edit_note:")
        return
    results, understood = st.columns([5, 2], gap="large")
    with understood, st.container(border=True, key="understood"):
        show_analysis(result)
    with results:
        st.markdown(f'<p class="pm-small">Recherche : « {esc(clip(result.query, 300))} »</p>', unsafe_allow_html=True)
        if result.message:
            hint = " Vous pouvez aussi retirer les filtres." if filtered else ""
            st.warning(f"{md(clip(result.message, 600))}{hint}\n\n{TIPS}", icon=":material/search_off:")
        for match in result.matches:
            show_card(match)
        if result.matches:
            rows = [{**row, "description": result.query, "themes": " ; ".join(m.themes), "url": m.url,
                     "snippet": m.snippet.marked()} for row, m in zip(result_rows("", result), result.matches)]  # fmt: skip
            st.download_button(
                "Télécharger ces résultats (CSV)", table_bytes(rows, SINGLE_COLUMNS, "csv"), "partenaires.csv",
                "text/csv", on_click="ignore", icon=":material/download:",
            )  # fmt: skip


def show_analysis(result: Result) -> None:
    st.markdown("**Ce que nous avons compris**")
    terms = result.analysis.terms
    groups = (
        ("Vos mots", [f'<span class="pm-chip">{esc(t.display)}</span>' for t in terms if t.origin == WORD]),
        ("Orthographe corrigée", [f'<span class="pm-chip pm-fix">{esc(t.source)} → {esc(t.display)}</span>'
                                  for t in terms if t.origin == CORRECTION]),
        ("Synonymes ajoutés", [f'<span class="pm-chip pm-syn">{esc(t.display)} <small>← {esc(t.source)}</small></span>'
                               for t in terms if t.origin == SYNONYM]),
        ("Mots inconnus du catalogue", [f'<span class="pm-chip pm-unknown">{esc(clip(w, 40))}</span>' for w in result.analysis.unknown]),
    )  # fmt: skip
    parts = [f'<p class="pm-small">{title}</p><div>{"".join(chips)}</div>' for title, chips in groups if chips]
    if not parts:
        parts = ['<p class="pm-small">Aucun mot exploitable dans la description.</p>']
    st.markdown("".join(parts), unsafe_allow_html=True)


def link(name: str, url: str) -> str:
    if url.startswith(("https://", "http://")):
        return f'<a class="pm-name" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(name)}</a>'
    return f'<span class="pm-name">{esc(name)}</span>'


def show_card(m: Match) -> None:
    with st.container(border=True, key=f"card-{m.rank}"):
        tags = [f'<span class="pm-badge pm-{esc(m.confidence)}">Confiance {esc(m.confidence)}</span>']
        if m.kind:
            tags.append(f'<span class="pm-tag">{esc(m.kind)}</span>')
        if m.source != "national":
            tags.append(f'<span class="pm-tag pm-local">catalogue local : {esc(m.source)}</span>')
        st.markdown(
            f'<div class="pm-head"><span class="pm-rank">{m.rank}</span>{link(m.name, m.url)}{"".join(tags)}</div>',
            unsafe_allow_html=True,
        )
        st.progress(min(max(m.score, 0.0), 1.0), text=f"Score {m.score:.2f}".replace(".", ","))
        chips = "".join(
            f'<span class="pm-chip">{esc(t.term)}</span>' if t.origin == WORD else
            f'<span class="pm-chip {CHIP[t.origin]}">{esc(t.term)} <small>via {t.origin} : {esc(t.source)}</small></span>'
            for t in m.terms
        )  # fmt: skip
        snippet, last = [], 0
        for start, end in m.snippet.spans:
            snippet += [esc(m.snippet.text[last:start]), "<mark>", esc(m.snippet.text[start:end]), "</mark>"]
            last = end
        snippet.append(esc(m.snippet.text[last:]))
        themes = "".join(f'<span class="pm-chip pm-theme">{esc(t)}</span>' for t in m.themes)
        st.markdown(
            f'<div><p class="pm-small">{esc(m.reason)}</p><div>{chips}</div>'
            f'<div class="pm-quote">« {"".join(snippet)} »</div>'
            + (f'<div class="pm-small">Thèmes : {themes}</div>' if themes else "")
            + "</div>",
            unsafe_allow_html=True,
        )


# -- second tab: batch ---------------------------------------------------------------
def batch_tab(matcher: PartnerMatcher) -> None:
    st.markdown(
        "Déposez un fichier de projets (CSV ou Excel, une ligne par projet). Chaque projet reçoit ses "
        "partenaires, avec les mêmes règles que la commande `matcher batch` ; aucune ligne n'est perdue."
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
        guessed, guessed_id = resolve_columns(reader.columns)
        preview = pd.DataFrame([row.cells for row in islice(reader, PREVIEW_ROWS)], columns=list(reader.columns))
    except InputError as error:
        return show_error(error)
    except Exception:
        return show_error(unreadable(upload.name))
    ran = st.session_state.get("batch")
    with st.expander(f"Aperçu de {md(upload.name)} ({PREVIEW_ROWS} premières lignes)", expanded=not ran):
        st.dataframe(preview, hide_index=True)
    left, middle, right = st.columns([3, 2, 1])
    texts = left.multiselect("Colonne(s) de description", reader.columns, default=guessed, key="batch_text")
    ids = [None, *reader.columns]
    ident = middle.selectbox("Colonne d'identifiant", ids, index=ids.index(guessed_id), key="batch_id",
                             format_func=lambda c: "(numéro de ligne)" if c is None else c)  # fmt: skip
    k = right.number_input("Partenaires par projet", 1, 20, 5, key="batch_k")
    keep = st.checkbox("Recopier les colonnes du fichier dans les résultats", key="batch_keep")
    settings = (upload.file_id, tuple(texts), ident, int(k), keep, id(matcher))
    if st.button("Lancer le traitement", type="primary", disabled=not texts, icon=":material/play_arrow:"):
        st.session_state.batch = None
        bar = st.progress(0.0, text="Comptage des lignes…")
        try:
            total = max(sum(1 for _ in TableReader(data, name=upload.name)), 1)
            done = [0]

            def step(n: int) -> None:
                done[0] += n
                bar.progress(min(done[0] / total, 1.0), text=f"{done[0]} / {total} projets traités")

            output = process_batch(matcher, data, upload.name, texts, ident, int(k), keep, step)
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
    stem = re.sub(r"[^\w-]+", "_", stem)[:60] or "projets"
    with st.container(horizontal=True):
        st.download_button("Télécharger (CSV)", output.csv, f"{stem}-partenaires.csv", "text/csv",
                           on_click="ignore", icon=":material/download:", key="batch_csv")  # fmt: skip
        st.download_button(
            "Télécharger (Excel)", output.xlsx, f"{stem}-partenaires.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            on_click="ignore", icon=":material/download:", key="batch_xlsx",
        )  # fmt: skip
    # blank rank and score (projects without partner) as missing values, so the columns stay numeric
    shown = pd.DataFrame(output.rows[:SHOWN_ROWS], columns=list(output.columns)).replace({"": None}).convert_dtypes()
    wide = {
        "partner_name": st.column_config.TextColumn(width="medium"),
        "reason": st.column_config.TextColumn(width="large"),
    }
    st.dataframe(shown, hide_index=True, column_config=wide, key="batch_results")
    if len(output.rows) > SHOWN_ROWS:
        st.caption(f"{SHOWN_ROWS} premières lignes sur {len(output.rows)} ; le fichier téléchargé contient tout.")


# -- third tab: catalogue ------------------------------------------------------------
def catalogue_tab(matcher: PartnerMatcher, local_error: str) -> None:
    partners = matcher.partners_
    needle = st.text_input("Rechercher dans le catalogue", key="catalogue_filter", placeholder="nom, thème, mot-clé…")
    table = pd.DataFrame(
        {
            "Nom": p.name,
            "Site": p.url if p.url.startswith(("https://", "http://")) else None,
            "Type": p.kind,
            "Thèmes": ", ".join(p.themes),
            "Mots-clés": " ; ".join(p.keywords),
            "Catalogue": "national" if p.source == "national" else f"local : {p.source}",
            "Description": p.description,
        }
        for p in partners
    )
    if needle.strip():
        folded = needle.strip().casefold()
        table = table[table.apply(lambda row: folded in " ".join(str(v) for v in row.values).casefold(), axis=1)]
    st.caption(f"{len(table)} partenaire(s) sur {len(partners)}")
    columns = {
        "Nom": st.column_config.TextColumn(width="large", pinned=True),
        "Site": st.column_config.LinkColumn(display_text=r"https?://(?:www\.)?([^/]+)"),
        "Thèmes": st.column_config.TextColumn(width="large"),
        "Mots-clés": st.column_config.TextColumn(width="large"),
    }
    st.dataframe(table, hide_index=True, column_config=columns, key="catalogue")
    st.markdown("**Ajouter un catalogue local** (pour cette session)")
    st.caption(
        "Mêmes colonnes que le catalogue national : partner_id, name, description (obligatoires), "
        "kind, themes, keywords, url ; les listes sont séparées par « ; »."
    )
    st.file_uploader("Catalogue local", type=UPLOAD_TYPES, key="local_catalogue", max_upload_size=MAX_UPLOAD_MB)
    upload = st.session_state.get("local_catalogue")
    if local_error:
        show_error(local_error)
    elif upload is not None:
        count = sum(p.source == upload.name for p in partners)
        st.success(
            md(f"{count} partenaire(s) de {upload.name} ajouté(s) ; ils sont marqués « local » dans les résultats.")
        )


def main() -> None:
    st.set_page_config(page_title="Partenaires des Cités éducatives", page_icon="🤝", layout="wide")
    st.html(CSS)
    st.title("Partenaires des Cités éducatives")
    st.caption(
        "Décrivez un projet local : l'outil propose les partenaires nationaux les plus à même de l'aider, et dit pourquoi."
    )
    matcher, local_error = session_matcher()
    search, batch, catalogue = st.tabs(["Trouver des partenaires", "Traitement par lot", "Catalogue"])
    with search:
        search_tab(matcher)
    with batch:
        batch_tab(matcher)
    with catalogue:
        catalogue_tab(matcher, local_error)


if __name__ == "__main__":  # `streamlit run` and AppTest run the script as __main__
    main()
