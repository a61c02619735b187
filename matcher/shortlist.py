"""A référent's selection of partners, to send to a partner or a steering committee.

Each pick keeps the project description it was found for, why it was proposed and how
to reach the partner. The selection exports as .xlsx, as CSV for French Excel and as a
printable HTML page; user and catalogue text is escaped in the page, and no spreadsheet
cell can run as a formula (`exports.table_bytes`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .exports import table_bytes
from .presentation import CardText, PartnerSheet, french_date, number, web_url
from .results import Match

COLUMNS = (
    "projet", "rang", "partenaire", "type", "confiance", "score", "pourquoi", "extrait", "thèmes", "site", "contact",
    "catalogue",
)  # fmt: skip
PAGE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;
 color:#1d1d1d;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:2px solid #1f4e79}
h3{font-size:1.05rem;margin:.2rem 0}.meta{color:#555;font-size:.9rem}
blockquote{margin:.4rem 0;padding:.3rem .8rem;border-left:3px solid #1f4e79;background:#f5f7fa}
li{margin-bottom:1.2rem}dt{font-weight:600;float:left;clear:left;width:6.5rem}dd{margin:0 0 .2rem 7rem}
@media print{body{margin:0}a{color:inherit}h2{break-after:avoid}li{break-inside:avoid}}
"""


@dataclass(frozen=True)
class Pick:
    """One partner kept for one project, with what to tell about it."""

    project: str  # the description the partner was proposed for
    partner_id: str
    name: str
    kind: str
    rank: int
    confidence: str
    score: float
    why: str
    quote: str
    themes: tuple[str, ...]
    url: str
    contact: str
    catalogue: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.project, self.partner_id)

    @classmethod
    def of(cls, match: Match, card: CardText, sheet: PartnerSheet, project: str) -> Pick:
        return cls(
            project=project,
            partner_id=match.partner_id,
            name=match.name,
            kind=match.kind,
            rank=match.rank,
            confidence=match.confidence,
            score=match.score,
            why=card.line,
            quote=card.quote.text,
            themes=match.themes,
            url=sheet.url,
            contact=sheet.contact,
            catalogue=sheet.catalogue,
        )

    def row(self) -> dict[str, Any]:
        return {
            "projet": self.project,
            "rang": self.rank,
            "partenaire": self.name,
            "type": self.kind,
            "confiance": self.confidence,
            "score": round(self.score, 4),
            "pourquoi": self.why,
            "extrait": self.quote,
            "thèmes": " ; ".join(self.themes),
            "site": self.url,
            "contact": self.contact,
            "catalogue": self.catalogue,
        }


@dataclass(frozen=True)
class Shortlist:
    """Picks in the order they were added; one per project and partner."""

    picks: tuple[Pick, ...] = ()

    def __len__(self) -> int:
        return len(self.picks)

    def __iter__(self) -> Iterator[Pick]:
        return iter(self.picks)

    def __contains__(self, key: object) -> bool:
        return any(p.key == key for p in self.picks)

    def add(self, pick: Pick) -> Shortlist:
        """With `pick`, replacing an earlier pick of the same partner for the same project."""
        if pick.key in self:
            return replace(self, picks=tuple(pick if p.key == pick.key else p for p in self.picks))
        return replace(self, picks=(*self.picks, pick))

    def remove(self, key: tuple[str, str]) -> Shortlist:
        return replace(self, picks=tuple(p for p in self.picks if p.key != key))

    def projects(self) -> list[str]:
        return list(dict.fromkeys(p.project for p in self.picks))

    def rows(self) -> list[dict[str, Any]]:
        return [p.row() for p in self.picks]

    def xlsx(self) -> bytes:
        return table_bytes(self.rows(), COLUMNS, "xlsx")

    def csv(self) -> bytes:
        return table_bytes(self.rows(), COLUMNS, "csv")

    def html(self, today: date | None = None) -> str:
        """A printable page: one section per project, its partners with why, site and contact."""
        e = _escape
        when = french_date(today or date.today())
        sections = []
        for project in self.projects():
            items = "".join(_item(p) for p in self.picks if p.project == project)
            sections.append(f"<section><h2>Projet</h2><blockquote>{e(project)}</blockquote><ol>{items}</ol></section>")
        body = "".join(sections) or "<p>Aucun partenaire sélectionné.</p>"
        return (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Sélection de partenaires — Cités éducatives</title><style>{PAGE_CSS}</style></head><body>"
            "<h1>Partenaires pressentis</h1>"
            f'<p class="meta">Sélection préparée le {e(when)} avec l\'outil « Partenaires des Cités éducatives » : '
            f"{len(self.picks)} partenaire(s) pour {len(self.projects())} projet(s).</p>"
            f"{body}</body></html>"
        )


def _escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _item(pick: Pick) -> str:
    e = _escape
    url = web_url(pick.url)
    site = f'<a href="{e(url)}">{e(url)}</a>' if url else "—"
    rows: Iterable[tuple[str, str]] = (
        ("Type", e(pick.kind or "—")),
        ("Confiance", f"{e(pick.confidence)} (score {e(number(pick.score))})"),
        ("Pourquoi", e(pick.why)),
        ("Extrait", f"« {e(pick.quote)} »" if pick.quote else "—"),
        ("Thèmes", e(", ".join(pick.themes) or "—")),
        ("Site", site),
        ("Contact", e(pick.contact)),
        ("Catalogue", e(pick.catalogue)),
    )
    details = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return f"<li><h3>{e(pick.name)}</h3><dl>{details}</dl></li>"
