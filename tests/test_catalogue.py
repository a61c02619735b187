"""The bundled catalogue and the loader's validation messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher import THEMES, InputError
from matcher.catalogue import Partner, merge
from matcher.files import read_catalogue

NATIONAL_IDS = [
    "men", "mctrct", "momartre", "mouvement-up", "entretiens-excellence", "odas", "coup-de-pouce", "fnes",
    "gen", "unis-cite", "univ-bordeaux", "ligue-enseignement", "reseau-reci", "dne", "synlab", "ansa",
    "dgesco", "biblionef", "fme", "dulala", "anct", "erasmus-plus", "article-1", "injep", "crpv", "ufsbd",
    "seve", "leo-lagrange",
]  # fmt: skip


def test_bundled_catalogue_has_the_28_national_partners_with_full_profiles() -> None:
    partners = read_catalogue()
    assert [p.partner_id for p in partners] == NATIONAL_IDS
    for p in partners:
        assert p.name and p.description and p.kind and p.url.startswith("https://")
        assert p.themes and set(p.themes) <= set(THEMES)
        assert len(p.keywords) >= 20, p.partner_id
        assert p.source == "national"
        assert "\u00a0" not in p.description and "•" not in p.description


def write(tmp_path: Path, text: str, name: str = "local.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_local_catalogue_loads_with_its_file_name_as_source(tmp_path: Path) -> None:
    path = write(tmp_path, "partner_id,name,description\ntheatre-local,Théâtre du Quartier,Ateliers de théâtre.\n")
    (partner,) = read_catalogue(path)
    assert partner == Partner("theatre-local", "Théâtre du Quartier", "Ateliers de théâtre.", source="local.csv")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("partner_id,name\nx,X\n", r"local\.csv : colonne\(s\) manquante\(s\) description"),
        (
            "partner_id,name,description\nx,X,Un texte\nx,Y,Un autre\n",
            r"local\.csv, ligne 3 : l'identifiant « x » est déjà utilisé",
        ),
        ("partner_id,name,description\nx,X,\n", r"local\.csv, ligne 2 : la colonne « description » est vide"),
        ("partner_id,name,description,themes\nx,X,Texte,cuisine\n", r"local\.csv, ligne 2 : thème inconnu « cuisine »"),
        ("partner_id,name,description\n", r"local\.csv : aucun partenaire"),
    ],
)
def test_an_invalid_catalogue_gets_one_message_naming_file_row_and_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        read_catalogue(write(tmp_path, content))


def test_merging_refuses_an_id_used_twice() -> None:
    national = (Partner("biblionef", "Biblionef", "Livres"),)
    local = (Partner("biblionef", "Autre", "Texte", source="local.csv"),)
    with pytest.raises(InputError, match="« biblionef » existe dans « national » et dans « local.csv »"):
        merge(national, local)
