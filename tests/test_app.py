"""The Streamlit app through `streamlit.testing.v1.AppTest`: what a référent sees, without a browser."""

from __future__ import annotations

import csv
import html
import io
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from matcher import InputError, cli
from matcher.batch import resolve_columns
from matcher.files import TableReader

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


@pytest.fixture(scope="module")
def app_module():  # type: ignore[no-untyped-def]
    """app.py imported as a module (its `main()` only runs as a script), for its batch function."""
    sys.path.insert(0, str(ROOT))
    try:
        import app
    finally:
        sys.path.remove(str(ROOT))
    return app


def app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def search(at: AppTest, description: str) -> AppTest:
    at.text_area(key="description").input(description)
    return at.button(key="FormSubmitter:search-Trouver des partenaires").click().run()


def card_names(at: AppTest) -> list[str]:
    heads = [m.value for m in at.markdown if 'class="pm-head"' in m.value]
    return [html.unescape(h.split('class="pm-name"', 1)[1].split(">", 1)[1].split("<", 1)[0]) for h in heads]


def shown(at: AppTest) -> list[str]:
    return [str(e.value) for kind in TEXT_ELEMENTS for e in at.get(kind)]


def plain(markdown: str) -> str:
    """A message as read on screen: without the backslashes that keep its signs literal."""
    return markdown.replace("\\", "")


def table(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The dataframe shown with that column (the batch results, the catalogue…)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def test_a_description_shows_the_expected_partner_first() -> None:
    at = search(app(), "atelier lecture parents-enfants")
    assert not at.exception
    assert card_names(at)[0] == "Biblionef"
    assert at.query_params["q"] == "atelier lecture parents-enfants"  # the URL can be shared
    assert any("Ce que nous avons compris" in s for s in shown(at))
    assert any("via synonyme" in s for s in shown(at))  # terms reached through a synonym say so
    assert any("<mark>" in m.value for m in at.markdown)  # matched words highlighted in the sentence
    assert [d.label for d in at.get("download_button")][:1] == ["Télécharger ces résultats (CSV)"]


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


def test_a_shared_link_shows_results_without_typing() -> None:
    at = app(q="atelier lecture parents-enfants")
    assert not at.exception
    assert at.text_area(key="description").value == "atelier lecture parents-enfants"
    assert card_names(at)[0] == "Biblionef"


def test_an_example_runs_its_search() -> None:
    at = app()
    at.get("pills")[0].set_value("Sensibiliser les élèves à l'hygiène bucco-dentaire").run()
    assert not at.exception
    assert card_names(at)[0].startswith("Union française pour la santé bucco-dentaire")
    assert at.text_area(key="description").value == "Sensibiliser les élèves à l'hygiène bucco-dentaire"


def test_filters_keep_only_the_chosen_kind() -> None:
    at = app()
    at.multiselect(key="kinds").set_value(["ministère"])
    at = search(at, "décrochage scolaire au collège en éducation prioritaire")
    assert not at.exception
    heads = [m.value for m in at.markdown if 'class="pm-head"' in m.value]
    assert heads and all('<span class="pm-tag">ministère</span>' in h for h in heads)
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


def test_batch_upload_gives_results_and_downloads() -> None:
    at = app()
    at.file_uploader(key="batch_file").set_value(("projets.csv", PROJECTS, "text/csv")).run()
    assert not at.exception
    assert at.multiselect(key="batch_text").value == ["description"]  # guessed
    assert at.selectbox(key="batch_id").value == "id"
    at = button(at, "Lancer le traitement").click().run()
    assert not at.exception
    assert "3 projet(s) lu(s)" in plain(at.success[0].value)
    assert [d.label for d in at.get("download_button")][-2:] == ["Télécharger (CSV)", "Télécharger (Excel)"]
    assert list(table(at, "project_id")["project_id"].unique()) == ["P1", "P2", "=1+1"]  # every row kept, in order


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("projets.csv", b""),
        ("projets.csv", b"PK\x03\x04 not really a workbook"),
        ("projets.xlsx", b"not a workbook"),
        ("projets.csv", b"\x00\x01\x02binary"),
        ("projets.csv", b"id,budget\n1,100\n"),
    ],
)
def test_unusable_batch_files_get_the_cli_message(name: str, data: bytes) -> None:
    with pytest.raises(InputError) as expected:  # what `matcher batch` prints after "Erreur :"
        resolve_columns(TableReader(data, name=name).columns)
    at = app()
    at.file_uploader(key="batch_file").set_value((name, data, "text/csv")).run()
    assert not at.exception
    assert plain(at.error[0].value) == str(expected.value)


def test_an_upload_over_the_limit_is_refused_in_french(app_module) -> None:  # type: ignore[no-untyped-def]
    big = b"id,description\n" + b"1,x\n" * (app_module.MAX_UPLOAD_MB * 1024 * 1024 // 4 + 1)
    at = app()
    at.file_uploader(key="batch_file").set_value(("gros.csv", big, "text/csv")).run()
    assert not at.exception
    assert f"la limite est de {app_module.MAX_UPLOAD_MB} Mo" in plain(at.error[0].value)


def sheet(data: bytes) -> list[tuple[object, ...]]:
    import openpyxl

    return list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


@pytest.mark.parametrize("keep", [False, True])
def test_the_batch_tab_writes_what_the_cli_writes(app_module, tmp_path: Path, monkeypatch, keep: bool) -> None:  # type: ignore[no-untyped-def]
    engine = app_module.national_matcher()  # the app's cached index, reused by the CLI below
    source = tmp_path / "projets.csv"
    source.write_bytes(PROJECTS)
    monkeypatch.setattr(cli, "_matcher", lambda *args, **kwargs: engine)
    for fmt in ("csv", "xlsx"):
        argv = ["batch", str(source), "-o", str(tmp_path / f"cli.{fmt}"), "--quiet"]
        assert cli.main(argv + ["--keep-columns"] * keep) == 0
    output = app_module.process_batch(engine, PROJECTS, "projets.csv", keep_columns=keep)
    assert output.csv == (tmp_path / "cli.csv").read_bytes()
    assert sheet(output.xlsx) == sheet((tmp_path / "cli.xlsx").read_bytes())
    rows = list(csv.DictReader(io.StringIO(output.csv.decode("utf-8-sig"))))
    assert rows[-1]["project_id"] == "'=1+1"  # formula injection neutralised


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
    assert "Ludothèque du quartier" in list(table(at, "Nom")["Nom"])
    at = search(at, "ludothèque jeux de société pour les familles")
    assert not at.exception
    first = next(m.value for m in at.markdown if 'class="pm-head"' in m.value)
    assert "Ludothèque du quartier" in first and "catalogue local" in first
    assert "javascript" not in first  # only http(s) links become links


def test_a_broken_local_catalogue_is_explained() -> None:
    at = app()
    at.file_uploader(key="local_catalogue").set_value(("local.csv", b"name\nx\n", "text/csv")).run()
    assert not at.exception
    assert "colonne(s) manquante(s) partner_id, description" in plain(at.error[0].value)
    assert card_names(search(at, "atelier lecture parents-enfants"))[0] == "Biblionef"  # the national one still works
