"""The Streamlit app through `streamlit.testing.v1.AppTest`: what a référent sees, without a browser."""

from __future__ import annotations

import html
import io
import re
import sys
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from matcher import InputError, cli
from matcher.batch import OUTPUT_COLUMNS, resolve_columns
from matcher.exports import BATCH_HEADERS, french_status
from matcher.feedback import FeedbackStore
from matcher.files import TableReader
from matcher.presentation import MAX_RESULTS
from matcher.reliability import RELIABILITY

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
HOSTILE = "<script>alert(1)</script> **gras** [lien](javascript:alert(1))"
PROJECTS = (
    "id;description\n"
    "P1;Atelier lecture parents-enfants à la médiathèque\n"
    "P2;\n"
    "=1+1;Sensibiliser les élèves à l'hygiène bucco-dentaire\n"
).encode()
TEXT_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "title", "html")
SUBMIT = "FormSubmitter:search-Trouver des partenaires"
ENGLISH = re.compile(r"\b(Choose|Select all|Press|Submit|Browse|Drag and drop|No results)\b")


@pytest.fixture(autouse=True)
def feedback_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test judges into its own SQLite file; feedback on unless a test turns it off."""
    db = tmp_path / "avis.sqlite3"
    monkeypatch.setenv("MATCHER_DB", str(db))
    monkeypatch.delenv("MATCHER_FEEDBACK", raising=False)
    return db


@pytest.fixture(scope="module")
def app_module():  # type: ignore[no-untyped-def]
    """app.py imported as a module (its `main()` only runs as a script), for its batch function."""
    sys.path.insert(0, str(ROOT))
    try:
        import app
    finally:
        sys.path.remove(str(ROOT))
    return app


def app(**query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def search(at: AppTest, description: str) -> AppTest:
    at.text_area(key="description").input(description)
    return at.button(key=SUBMIT).click().run()


def heads(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if 'class="pm-head"' in m.value]


def card_names(at: AppTest) -> list[str]:
    return [html.unescape(h.split('class="pm-name"', 1)[1].split(">", 1)[1].split("<", 1)[0]) for h in heads(at)]


def shown(at: AppTest) -> list[str]:
    return [str(e.value) for kind in TEXT_ELEMENTS for e in at.get(kind)]


def plain(markdown: str) -> str:
    """A message as read on screen: without the backslashes that keep its signs literal."""
    return markdown.replace("\\", "")


def table(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The dataframe shown with that column (the batch results, the quality tables…)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def card_markdown(at: AppTest, rank: int) -> str:
    """Everything a card shows as text, from its header to the line before its buttons."""
    values = [m.value for m in at.markdown]
    start = next(i for i, v in enumerate(values) if f'<span class="pm-rank">{rank}</span>' in v)
    end = next((i for i, v in enumerate(values) if f'<span class="pm-rank">{rank + 1}</span>' in v), len(values))
    return "\n".join(values[start:end])


def param(at: AppTest, name: str) -> str:
    """A query parameter of the address (older AppTests keep the list given to `st.query_params.from_dict`)."""
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def downloads(at: AppTest) -> list[str]:
    return [d.label for d in at.get("download_button")]


# -- search ------------------------------------------------------------------------------------------
def test_a_description_shows_the_expected_partner_first() -> None:
    at = search(app(), "atelier lecture parents-enfants")
    assert not at.exception
    assert card_names(at)[0] == "Biblionef"
    assert param(at, "q") == "atelier lecture parents-enfants"  # the URL can be shared
    assert any("Ce que nous avons compris" in s for s in shown(at))
    assert any("<mark>" in m.value for m in at.markdown)  # matched words highlighted in the passage
    assert downloads(at)[:2] == [
        "Télécharger ces résultats (Excel .xlsx)",
        "Télécharger ces résultats (CSV pour Excel)",
    ]


def test_a_card_says_each_term_once_then_leaves_the_rest_to_its_detail() -> None:
    at = search(app(), "Stage de théâtre pendant les vacances pour des adolescents")
    first = card_markdown(at, 1)
    why = re.search(r'<p class="pm-why">(.*?)</p>', first).group(1)  # type: ignore[union-attr]
    chips = re.findall(r'class="pm-chip[^"]*">([^<]*)<', why)
    assert 0 < len(chips) <= 4 and len(chips) == len(set(chips))
    assert "dans le détail" in why
    assert "via synonyme" not in first and "→" not in why and "Correspond sur" not in first  # one way to say it
    assert first.count("Extrait de sa présentation") + first.count("Ses mots-clés") == 1  # the passage, once
    assert "Mots-clés :" not in first
    detail = next(e for e in at.expander if e.label == "Voir le détail")
    terms = "".join(m.value for m in detail.markdown)
    assert terms.count("<li>") > len(chips) and "du score" in terms
    assert any("Confiance forte" in plain(m.value) for m in detail.markdown)  # why this level


def test_a_card_cites_the_closest_project_already_judged_relevant_as_text() -> None:
    at = search(app(), "tournoi de foot filles au city stade")
    first = card_markdown(at, 1)
    assert "Proche d'un projet jugé pertinent" in first and "« football filles »" in first
    detail = next(e for e in at.expander if e.label == "Voir le détail")
    assert "projets similaires</b> : proche du projet « football filles »" in "".join(m.value for m in detail.markdown)


def test_the_confidence_levels_are_explained_with_measured_figures() -> None:
    at = search(app(), "atelier lecture parents-enfants")
    popover = next(p for p in at.get("popover") if "forte, moyenne, faible" in p.proto.popover.label)
    text = "".join(m.value for m in popover.markdown)
    for level, share in RELIABILITY.items():
        assert f"**{level}** : {round(share * 100)}\u00a0%" in text
    assert not any('role="progressbar"' in s for s in shown(at)) and not at.get("progress")  # no bare score bar


def test_fewer_partners_than_asked_are_explained() -> None:
    at = app(q="atelier lecture parents-enfants", k="20")
    assert not at.exception
    n = len(card_names(at))
    assert 0 < n < 20
    assert any(f"{n} partenaires proposés sur les 20 demandés" in plain(c.value) for c in at.caption)


def test_more_than_twenty_results_are_clamped_with_a_french_note() -> None:
    at = app(q="atelier lecture parents-enfants", k="50")
    assert not at.exception
    assert at.number_input(key="k").value == MAX_RESULTS
    assert any("Au plus 20 résultats" in plain(i.value) for i in at.info)
    at.number_input(key="k").set_value(30)
    at = at.button(key=SUBMIT).click().run()
    assert not at.exception
    assert at.number_input(key="k").value == MAX_RESULTS and param(at, "k") == "20"
    assert any("Au plus 20 résultats" in plain(i.value) for i in at.info)
    assert heads(at)  # the search ran


def test_what_was_understood_shows_the_users_words_additions_and_words_set_aside() -> None:
    at = search(app(), "Les enfants de 6 ans qui réalisent une fresque murale à la cantine")
    text = html.unescape(
        "".join(m.value for m in at.markdown if "pm-label" in m.value and "Vos mots retenus" in m.value)
    )
    assert ">ans<" in text and ">an<" not in text  # the user's spelling, not the lemma
    assert "Synonymes de « cantine »" in text  # what was added, credited to the word written
    assert "Mis de côté (absents du catalogue" in text and ">murale<" in text
    assert "line-through" not in text and "pm-unknown" not in text


def test_an_emoji_only_description_is_not_called_too_common() -> None:
    at = search(app(), "🎉🎉🎉")
    assert not at.exception
    assert card_names(at) == []
    said = " ".join(plain(w.value) for w in at.warning)
    assert "aucun mot, seulement des chiffres, des signes ou des émojis" in said
    assert "trop courants" not in said


def test_the_partner_page_shows_everything_about_the_partner() -> None:
    at = app(q="atelier lecture parents-enfants")
    page = next(e for e in at.expander if e.label == "Fiche du partenaire")
    text = html.unescape("".join(m.value for m in page.markdown))
    for expected in ("Présentation", "Depuis 1992, Biblionef", "Programmes et mots-clés", "Thèmes", "https://www.biblionef.fr",
                     "Prendre contact", "Catalogue national des partenaires des Cités éducatives, à jour au"):  # fmt: skip
        assert expected in text


def test_an_empty_description_gets_guidance_not_results() -> None:
    at = search(app(), "   ")
    assert not at.exception
    assert card_names(at) == []
    assert "La description est vide" in at.info[0].value
    assert "q" not in at.query_params


def test_no_clear_match_says_so_and_suggests_how_to_describe() -> None:
    at = search(app(), "zzz qqq")
    assert not at.exception
    assert card_names(at) == []
    assert "Aucun partenaire ne correspond clairement" in at.warning[0].value
    assert "le public" in at.warning[0].value


def test_a_shared_link_shows_results_and_filters_without_typing() -> None:
    at = app(q="décrochage scolaire au collège", theme=["réussite scolaire"], type="ministère", k="3")
    assert not at.exception
    assert at.text_area(key="description").value == "décrochage scolaire au collège"
    assert at.multiselect(key="themes").value == ["réussite scolaire"]
    assert at.multiselect(key="kinds").value == ["ministère"]
    assert at.number_input(key="k").value == 3
    assert heads(at) and all('<span class="pm-tag">ministère</span>' in h for h in heads(at))


def test_filters_and_number_go_into_the_link() -> None:
    at = app()
    at.multiselect(key="themes").set_value(["santé"])
    at.number_input(key="k").set_value(8)
    at = search(at, "prévention bucco-dentaire")
    assert not at.exception
    assert param(at, "theme") == "santé" and param(at, "k") == "8"


def test_back_shows_the_search_of_the_address() -> None:
    at = search(app(), "atelier lecture parents-enfants")
    first = card_names(at)
    at = search(at, "Sensibiliser les élèves à l'hygiène bucco-dentaire")
    assert card_names(at) != first
    at.query_params.clear()  # the browser goes back to the first address
    at.query_params["q"] = "atelier lecture parents-enfants"
    at.run()
    assert not at.exception
    assert card_names(at) == first
    assert at.text_area(key="description").value == "atelier lecture parents-enfants"


def test_every_example_is_its_own_button_and_runs_its_search() -> None:
    at = app()
    examples = [b for b in at.button if b.key and b.key.startswith("example-")]
    assert len(examples) == 4  # each reachable with Tab, none hidden in a button group
    next(b for b in examples if "bucco-dentaire" in b.label).click().run()
    assert not at.exception
    assert card_names(at)[0].startswith("Union française pour la santé bucco-dentaire")
    assert at.text_area(key="description").value == "Sensibiliser les élèves à l'hygiène bucco-dentaire"
    assert param(at, "q") == "Sensibiliser les élèves à l'hygiène bucco-dentaire"


def test_filters_keep_only_the_chosen_kind() -> None:
    at = app()
    at.multiselect(key="kinds").set_value(["ministère"])
    at = search(at, "décrochage scolaire au collège en éducation prioritaire")
    assert not at.exception
    assert heads(at) and all('<span class="pm-tag">ministère</span>' in h for h in heads(at))
    at = search(at, "zzz qqq")
    assert "retirer les filtres" in at.warning[0].value


def test_a_hostile_description_is_shown_as_text() -> None:
    at = search(app(), HOSTILE)
    assert not at.exception
    texts = shown(at)
    assert any("script" in t for t in texts)  # echoed, escaped
    for element in at.markdown:
        if element.allow_html:
            assert "<script" not in element.value.lower()
    assert not any("<script" in t.lower() or "](javascript" in t for t in texts)


def test_streamlit_english_texts_are_replaced_by_french_ones() -> None:
    at = app(q="atelier lecture parents-enfants")
    placeholders = [w.placeholder for w in (*at.multiselect, *at.selectbox)]
    assert all(p and not ENGLISH.search(p) for p in placeholders)
    assert any("Ctrl+Entrée" in c.value for c in at.caption)  # the form's shortcut, in French
    css = "".join(str(h.proto.body) for h in at.get("html") if hasattr(h, "proto"))
    assert 'InputInstructions"]{display:none}' in css and "Choisir un fichier" in css


# -- feedback and selection ----------------------------------------------------------------------------
def votes(db: Path) -> list[tuple[str, str, str | None, str | None]]:
    with FeedbackStore.open(db, create=False) as store:
        return [(v.partner_id, v.vote, v.reason, v.comment) for v in store.votes()]


def test_judgements_go_to_the_store_with_their_reason(feedback_db: Path) -> None:
    at = app(q="atelier lecture parents-enfants")
    assert any("sont conservés" in c.value and "pour mesurer" in c.value for c in at.caption)  # what is kept, and why
    at.button(key="vote-1-utile").click().run()
    at.button(key="vote-2-pas_pertinent").click().run()
    reason = next(s for s in at.selectbox if s.label == "Pourquoi ? (facultatif)")
    assert reason.options == [
        "Hors sujet",
        "Déjà partenaire",
        "Pas présent sur notre territoire",
        "Partenaire injoignable",
        "Autre",
    ]
    reason.set_value("autre").run()
    at.text_input(key=next(t.key for t in at.text_input if t.label.startswith("Précisez"))).input("Déjà vu <b>")
    button(at, "Envoyer la précision").click().run()
    assert not at.exception
    assert votes(feedback_db) == [
        ("coup-de-pouce", "pas_pertinent", "autre", "Déjà vu <b>"),
        ("coup-de-pouce", "pas_pertinent", "autre", None),
        ("coup-de-pouce", "pas_pertinent", None, None),
        ("biblionef", "utile", None, None),
    ]
    with FeedbackStore.open(feedback_db, create=False) as store:
        assert len({v.search_id for v in store.votes()}) == 1  # the search was recorded once, not once per rerun
        assert sum(r.shown for r in store.stats(by=("confidence",))) == len(card_names(at))


def test_the_quality_tab_shows_the_judgements(feedback_db: Path) -> None:
    at = app(q="atelier lecture parents-enfants")
    at.button(key="vote-1-utile").click().run()
    levels = table(at, "Mesuré sur les projets de test")
    forte = levels[levels["Confiance"] == "forte"].iloc[0]
    assert forte["Jugé utile"] == 1 and forte["Montré"] >= 1
    partners = table(at, "Partenaire")
    assert partners[partners["Partenaire"] == "Biblionef"].iloc[0]["Jugé utile"] == 1


def test_feedback_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, feedback_db: Path) -> None:
    monkeypatch.setenv("MATCHER_FEEDBACK", "0")
    at = app(q="atelier lecture parents-enfants")
    assert not at.exception
    assert card_names(at)[0] == "Biblionef"
    assert not [b for b in at.button if b.key and b.key.startswith("vote-")]
    assert not any("sont conservés" in c.value for c in at.caption)
    assert not feedback_db.exists()
    assert any("désactivés" in i.value for i in at.info)  # the quality tab says so


def test_a_broken_database_never_breaks_the_search(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MATCHER_DB", str(tmp_path))  # a folder, not a database
    at = app(q="atelier lecture parents-enfants")
    assert not at.exception
    assert card_names(at)[0] == "Biblionef"
    assert not [b for b in at.button if b.key and b.key.startswith("vote-")]
    assert any("ne peuvent pas être enregistrés" in plain(c.value) for c in at.caption)


def test_the_selection_lists_partners_and_exports_them() -> None:
    at = app(q="atelier lecture parents-enfants")
    at.button(key="pick-1").click().run()
    at.button(key="pick-2").click().run()
    assert not at.exception
    assert [b.label for b in at.sidebar.button] == ["Retirer Biblionef", "Retirer Association Coup de Pouce"]
    assert [d.label for d in at.sidebar.get("download_button")] == [
        "Télécharger (Excel .xlsx)", "Télécharger (CSV pour Excel)", "Page à imprimer ou envoyer (HTML)",
    ]  # fmt: skip
    assert button(at, "Retirer de ma sélection").key == "pick-1"
    at.sidebar.button[0].click().run()
    assert [b.label for b in at.sidebar.button] == ["Retirer Association Coup de Pouce"]
    at = search(at, "Sensibiliser les élèves à l'hygiène bucco-dentaire")
    assert [b.label for b in at.sidebar.button] == ["Retirer Association Coup de Pouce"]  # kept across searches


# -- batch -----------------------------------------------------------------------------------------------
def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="batch_file").set_value((name, data, "text/csv"))
    return at.run()


def test_batch_upload_gives_french_results_and_downloads() -> None:
    at = upload(app(), "projets.csv", PROJECTS)
    assert not at.exception
    assert at.multiselect(key="batch_text").value == ["description"]  # guessed
    assert at.selectbox(key="batch_id").value == "id"
    at = button(at, "Lancer le traitement").click().run()
    assert not at.exception
    assert "3 projet(s) lu(s)" in plain(at.success[0].value)
    assert downloads(at)[-2:] == ["Télécharger (Excel .xlsx)", "Télécharger (CSV pour Excel)"]  # .xlsx first
    results = table(at, "statut")
    assert list(results.columns[:8]) == [
        "projet",
        "intitulé",
        "rang",
        "partenaire",
        "confiance",
        "score",
        "raison",
        "statut",
    ]
    assert list(results["projet"].unique()) == ["P1", "P2", "=1+1"]  # every row kept, in order
    assert results["intitulé"].iloc[0] == "Atelier lecture parents-enfants à la médiathèque"  # the title, always
    assert "ok" not in set(results["statut"]) and "partenaires proposés" in set(results["statut"])


def test_unknown_column_names_leave_the_choice_to_the_user() -> None:
    at = upload(app(), "projets.csv", "a;b\n1;Atelier lecture parents-enfants\n2;Stage de théâtre\n".encode())
    assert not at.exception and not at.error
    said = plain(at.warning[0].value)
    assert "Aucune colonne de description reconnue" in said and "Choisissez ci-dessous" in said
    assert "--text-column" not in " ".join(shown(at))  # no command-line advice in a web page
    assert at.multiselect(key="batch_text").value == [] and at.multiselect(key="batch_text").options == ["a", "b"]
    assert button(at, "Lancer le traitement").disabled
    assert any("Choisissez au moins une colonne de description" in c.value for c in at.caption)
    at.multiselect(key="batch_text").set_value(["b"]).run()
    at = button(at, "Lancer le traitement").click().run()
    assert not at.exception
    assert "2 projet(s) lu(s)" in plain(at.success[0].value)
    assert table(at, "statut")["partenaire"].iloc[0] == "Biblionef"


def test_a_second_file_gets_its_own_column_choices() -> None:
    at = upload(app(), "projets.csv", PROJECTS)
    at = button(at, "Lancer le traitement").click().run()
    data = "N° action;Intitulé;Description de l'action\nA-1;Lecture;Atelier lecture parents-enfants\n".encode()
    at = upload(at, "actions.csv", data)
    assert not at.exception
    assert at.multiselect(key="batch_text").value == ["Intitulé", "Description de l'action"]
    assert at.selectbox(key="batch_id").value == "N° action"  # not the spreadsheet row
    assert not button(at, "Lancer le traitement").disabled
    assert not at.success  # the first file's results are gone
    at = button(at, "Lancer le traitement").click().run()
    results = table(at, "statut")
    assert (results["projet"].iloc[0], results["intitulé"].iloc[0]) == ("A-1", "Lecture")


def test_the_batch_number_of_partners_is_clamped() -> None:
    at = upload(app(), "projets.csv", PROJECTS)
    at.number_input(key="batch_k").set_value(45).run()
    assert any("Au plus 20 résultats" in plain(c.value) for c in at.caption)
    at = button(at, "Lancer le traitement").click().run()
    assert not at.exception


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("projets.csv", b""),
        ("projets.csv", b"PK\x03\x04 not really a workbook"),
        ("projets.xlsx", b"not a workbook"),
        ("projets.csv", b"\x00\x01\x02binary"),
    ],
)
def test_unusable_batch_files_get_the_readers_message(name: str, data: bytes) -> None:
    with pytest.raises(InputError) as expected:  # what `matcher batch` prints after "Erreur :"
        resolve_columns(TableReader(data, name=name).columns)
    at = upload(app(), name, data)
    assert not at.exception
    assert plain(at.error[0].value) == str(expected.value)


def test_an_upload_over_the_limit_is_refused_in_french(app_module) -> None:  # type: ignore[no-untyped-def]
    big = b"id,description\n" + b"1,x\n" * (app_module.MAX_UPLOAD_MB * 1024 * 1024 // 4 + 1)
    at = upload(app(), "gros.csv", big)
    assert not at.exception
    assert f"la limite est de {app_module.MAX_UPLOAD_MB} Mo" in plain(at.error[0].value)


def sheet(data: bytes) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


@pytest.mark.parametrize("keep", [False, True])
def test_the_batch_tab_writes_the_clis_rows_in_french(app_module, tmp_path: Path, monkeypatch, keep: bool) -> None:  # type: ignore[no-untyped-def]
    engine = app_module.national_matcher()  # the app's cached index, reused by the CLI below
    source = tmp_path / "projets.csv"
    source.write_bytes(PROJECTS)
    monkeypatch.setattr(cli, "_matcher", lambda *args, **kwargs: engine)
    argv = ["batch", str(source), "-o", str(tmp_path / "cli.xlsx"), "--quiet"]
    assert cli.main(argv + ["--keep-columns"] * keep) == 0
    ours = sheet(app_module.process_batch(engine, PROJECTS, "projets.csv", keep_columns=keep).xlsx)
    theirs = sheet((tmp_path / "cli.xlsx").read_bytes())
    assert theirs[0][: len(OUTPUT_COLUMNS)] == OUTPUT_COLUMNS  # the CLI keeps its machine names
    header = dict(zip(ours[0], range(len(ours[0]))))
    for mine, cli_row in zip(ours[1:], theirs[1:]):
        for i, name in enumerate(OUTPUT_COLUMNS):
            expected = french_status(cli_row[i]) if name == "status" else cli_row[i]
            assert mine[header[BATCH_HEADERS[name]]] == expected
    assert ours[-1][header["projet"]] == "'=1+1"  # formula injection neutralised
    assert len(ours[0]) == len(theirs[0]) + 2  # + title and site


# -- catalogue -----------------------------------------------------------------------------------------------
NOT_PARTNERS = ("Filtres", "Ce que nous", "Voir le détail", "Fiche du partenaire", "Aperçu", "Ajouter un catalogue")


def catalogue_names(at: AppTest) -> list[str]:
    """The partners listed in the catalogue tab (one expander each)."""
    return [plain(e.label) for e in at.expander if not e.label.startswith(NOT_PARTNERS)]


def test_catalogue_search_ignores_accents_and_case() -> None:
    at = app()
    at.text_input(key="catalogue_filter").input("santé").run()
    accented = catalogue_names(at)
    assert len(accented) > 1
    at.text_input(key="catalogue_filter").input("SANTE").run()
    assert catalogue_names(at) == accented
    assert any(
        "à jour au" in plain(c.value) and "Catalogue national : 28 partenaires" in plain(c.value) for c in at.caption
    )


def test_a_local_catalogue_is_listed_and_marked_in_results() -> None:
    local = (
        "partner_id,name,description,kind,themes,keywords,url\n"
        "ludo-quartier,Ludothèque du quartier,Jeux de société et ateliers ludiques pour les familles.,"
        "association,parentalité,jeu ; ludothèque,javascript:alert(1)\n"
    ).encode()
    at = app()
    at.file_uploader(key="local_catalogue").set_value(("local.csv", local, "text/csv")).run()
    assert not at.exception
    assert "1 partenaire(s) de local.csv ajouté(s)" in plain(at.success[0].value)
    assert any(label.startswith("Ludothèque du quartier") for label in catalogue_names(at))
    at = search(at, "ludothèque jeux de société pour les familles")
    assert not at.exception
    first = heads(at)[0]
    assert "Ludothèque du quartier" in first and "catalogue local" in first
    assert "javascript" not in first  # only http(s) links become links
    page = html.unescape(
        "".join(m.value for m in next(e for e in at.expander if e.label == "Fiche du partenaire").markdown)
    )
    assert "Catalogue local « local.csv », ajouté le" in page


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"name\nx\n", "colonne(s) manquante(s) partner_id, description"), (b"", "une ligne par partenaire")],
)
def test_a_broken_local_catalogue_is_explained_where_the_user_is(data: bytes, expected: str) -> None:
    at = app()
    at.file_uploader(key="local_catalogue").set_value(("local.csv", data, "text/csv")).run()
    assert not at.exception
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 3 and all(expected in e for e in errors)  # search tab, batch tab, catalogue tab
    assert "Catalogue local « local.csv » non ajouté" in errors[0]
    assert "projet" not in errors[-1]
    assert card_names(search(at, "atelier lecture parents-enfants"))[0] == "Biblionef"  # the national one still works
