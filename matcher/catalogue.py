"""The partner catalogue: one frozen `Partner` per organisation, validated on load."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from .errors import InputError

DATA = files(__package__) / "data"  # inside the package, so that a wheel carries it
CATALOGUE: Traversable = DATA / "partners.csv"
# Projects already judged for the national partners: the tuning sets of data/eval, from which
# the engine learns (`matcher.learning`). `make examples` writes it from those sets.
EXAMPLES: Traversable = DATA / "examples.csv"
NATIONAL = "national"
# The day the bundled catalogue last changed (its last commit); shown with the partners.
# Update it with the file: tests/test_presentation.py checks it is not older than that commit.
CATALOGUE_DATE = "2026-11-24"

# The controlled list of themes; `themes` cells must use these spellings.
THEMES = (
    "lecture et livre",
    "parentalité",
    "santé",
    "numérique",
    "orientation",
    "engagement",
    "médias",
    "langues et inclusion",
    "mémoire et discriminations",
    "loisirs et vacances",
    "arts et culture",
    "petite enfance",
    "formation des acteurs",
    "recherche et évaluation",
    "pauvreté et inclusion",
    "Europe et mobilité",
    "pédagogie",
    "réussite scolaire",
    "politique de la ville",
    "bien-être et citoyenneté",
    "sport",
)
REQUIRED_COLUMNS = ("partner_id", "name", "description")
OPTIONAL_COLUMNS = ("kind", "themes", "keywords", "url")
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Partner:
    """One organisation that can help a project."""

    partner_id: str
    name: str
    description: str
    kind: str = ""
    themes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    url: str = ""
    source: str = NATIONAL  # "national", or the file name of a local catalogue


def split_list(cell: str | None) -> tuple[str, ...]:
    """Split a "a ; b ; c" cell into its non-empty items."""
    return tuple(item.strip() for item in (cell or "").split(LIST_SEPARATOR) if item.strip())


def partners_from_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]], columns: Sequence[str], file: str, source: str = NATIONAL
) -> tuple[Partner, ...]:
    """Validate catalogue rows (line number, cells) and build the partners."""
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError(
            f"{file} : colonne(s) manquante(s) {', '.join(missing)} ; un catalogue a au moins "
            f"les colonnes {', '.join(REQUIRED_COLUMNS)}."
        )
    folded_themes = {t.casefold(): t for t in THEMES}
    partners: list[Partner] = []
    seen: set[str] = set()
    for line, row in rows:
        cells = {k: (row.get(k) or "").strip() for k in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
        where = f"{file}, ligne {line}"
        if not any(cells.values()):
            continue
        for column in REQUIRED_COLUMNS:
            if not cells[column]:
                raise InputError(f"{where} : la colonne « {column} » est vide ; remplissez-la.")
        partner_id = cells["partner_id"]
        if partner_id.casefold() in seen:
            raise InputError(
                f"{where} : l'identifiant « {partner_id} » est déjà utilisé ; chaque partenaire a le sien."
            )
        seen.add(partner_id.casefold())
        themes = []
        for theme in split_list(cells["themes"]):
            if theme.casefold() not in folded_themes:
                raise InputError(f"{where} : thème inconnu « {theme} » ; thèmes possibles : {', '.join(THEMES)}.")
            themes.append(folded_themes[theme.casefold()])
        partners.append(
            Partner(
                partner_id=partner_id,
                name=cells["name"],
                description=cells["description"],
                kind=cells["kind"],
                themes=tuple(themes),
                keywords=split_list(cells["keywords"]),
                url=cells["url"],
                source=source,
            )
        )
    if not partners:
        raise InputError(f"{file} : aucun partenaire dans ce fichier ; ajoutez au moins une ligne.")
    return tuple(partners)


def merge(*catalogues: Sequence[Partner]) -> tuple[Partner, ...]:
    """Concatenate catalogues; an id used twice, whatever its case ("Biblionef", "biblionef"), is an error naming both sources."""
    merged: dict[str, Partner] = {}
    for catalogue in catalogues:
        for partner in catalogue:
            key = partner.partner_id.casefold()
            if key in merged:
                first = merged[key]
                spelt = f" (« {first.partner_id} »)" if first.partner_id != partner.partner_id else ""
                raise InputError(
                    f"L'identifiant « {partner.partner_id} » existe dans « {first.source} »{spelt} "
                    f"et dans « {partner.source} » ; renommez-le dans le catalogue local."
                )
            merged[key] = partner
    return tuple(merged.values())
