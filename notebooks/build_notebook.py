"""Build `exploration.ipynb` from the cells below, run it on a fresh kernel, save it with its outputs.

The notebook is generated: edit the cells here, then run

    .venv/bin/python notebooks/build_notebook.py

`tests/test_notebook.py` checks that the committed notebook has these cells and that a
fresh run reproduces its text outputs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "exploration.ipynb"
KERNEL = "python3"
TIMEOUT = 120  # seconds per cell; the whole run takes well under a minute

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        """
# Explorer le moteur de recommandation des partenaires

Ce carnet montre ce qu'il y a « sous le capot » du moteur qui propose, pour un projet de
cité éducative, les partenaires nationaux les plus à même de l'aider :

1. **le catalogue** des partenaires, leurs thèmes et les mots qui les distinguent ;
2. **les ressemblances** entre partenaires (qui se recoupe avec qui) et une carte où
   des projets sont placés parmi eux ;
3. **la qualité du classement** mesurée sur des projets annotés, comparée à des méthodes
   plus simples, et le détail des projets où le moteur se trompe ;
4. **un essai** avec votre propre description de projet ;
5. **un catalogue local** et le **traitement d'un fichier** de projets.

Tout passe par la bibliothèque `matcher` du dépôt : le carnet ne recopie aucun calcul du
moteur, il l'interroge et met en forme ses réponses.

*Pour le relancer* : `make install` à la racine du dépôt, puis ouvrir ce carnet avec le
noyau Python de l'environnement `.venv` (Jupyter, VS Code…). `make test` l'exécute de
bout en bout. Le carnet est produit par `notebooks/build_notebook.py` : c'est là qu'on
modifie ses cellules.
""",
    ),
    (
        "code",
        """
%matplotlib inline
import tempfile
import textwrap
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from sklearn.decomposition import TruncatedSVD

from matcher import PartnerMatcher
from matcher.batch import result_rows
from matcher.evaluation import (
    RANK_DEPTH,
    MatcherRanker,
    baselines,
    compare,
    held_out_search,
    score_projects,
    seed_only,
)
from matcher.files import read_labels, read_projects

# La racine du dépôt, que le carnet soit lancé depuis notebooks/ ou depuis la racine.
ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "pyproject.toml").is_file())
pd.set_option("display.max_colwidth", None)  # textes entiers dans les tableaux
plt.rcParams.update({"figure.dpi": 100, "font.size": 10})
# tqdm (utilisé par la référence BM25) réclame ipywidgets pour ses barres ; elles sont désactivées ici.
warnings.filterwarnings("ignore", message="IProgress not found")

m = PartnerMatcher.from_csv()  # catalogue national et thésaurus fournis avec le dépôt
ids = [p.partner_id for p in m.partners_]
print(f"{len(m.partners_)} partenaires, {len(m.terms_)} termes dans l'index")
""",
    ),
    (
        "markdown",
        """
## 1. Le catalogue

Chaque partenaire a un identifiant court (utilisé dans les graphiques), un nom, un type,
des thèmes choisis dans une liste fermée et des mots-clés qui complètent sa description.
""",
    ),
    (
        "code",
        """
catalogue = pd.DataFrame(
    {
        "nom": p.name,
        "type": p.kind,
        "thèmes": " ; ".join(p.themes),
        "mots-clés": len(p.keywords),
        "mots de la description": len(p.description.split()),
    }
    for p in m.partners_
).set_axis(ids).rename_axis("partenaire")
catalogue
""",
    ),
    (
        "markdown",
        """
### Thèmes par partenaire

Un point indique que le partenaire porte ce thème. Les thèmes servent aussi à filtrer les
résultats dans l'application.
""",
    ),
    (
        "code",
        """
themes = sorted({t for p in m.partners_ for t in p.themes})
has_theme = np.array([[t in p.themes for t in themes] for p in m.partners_])

fig, ax = plt.subplots(figsize=(12, 9))
rows, cols = np.nonzero(has_theme)
ax.scatter(cols, rows, s=70, color="tab:green")
ax.set_xticks(range(len(themes)), themes, rotation=45, ha="right")
ax.set_yticks(range(len(ids)), ids)
ax.set_xlim(-0.5, len(themes) - 0.5)
ax.set_ylim(len(ids) - 0.5, -0.5)
ax.grid(color="0.9")
ax.set_axisbelow(True)
ax.set_title("Thèmes de chaque partenaire")
fig.tight_layout()
plt.show()
""",
    ),
    (
        "markdown",
        """
### Les mots qui distinguent chaque partenaire

Le moteur décrit chaque partenaire par des poids TF-IDF : un mot pèse lourd s'il revient
dans le profil du partenaire (nom, mots-clés, thèmes, description) **et** s'il est rare
chez les autres. Voici les six mots les plus lourds de chaque partenaire. Les mots sont
ramenés à leur forme de base (« parents » → « parent ») ; l'analyseur français se trompe
parfois sur cette forme, ce qui se voit ici.
""",
    ),
    (
        "code",
        """
fig, axes = plt.subplots(7, 4, figsize=(14, 19), sharex=True, layout="constrained")
for ax, pid in zip(axes.flat, ids):
    terms, weights = zip(*m.top_terms(pid, 6))  # les 6 termes de plus fort poids TF-IDF du partenaire
    ax.barh(range(len(weights)), weights, color="tab:blue")
    ax.set_yticks(range(len(terms)), terms, fontsize=10)
    ax.invert_yaxis()
    ax.set_title(pid, fontsize=11, fontweight="bold")
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
for ax in axes.flat[len(ids):]:
    ax.set_visible(False)
for ax in axes[-1]:
    ax.set_xlabel("poids TF-IDF")
fig.suptitle("Les six mots les plus distinctifs de chaque partenaire", fontsize=14)
plt.show()
""",
    ),
    (
        "markdown",
        """
## 2. Quels partenaires se ressemblent ?

Deux partenaires se ressemblent quand ils sont décrits avec les mêmes mots, pesés de la
même façon (similarité cosinus entre leurs vecteurs, de 0 à 1). Des partenaires très
proches se disputent les mêmes projets : l'un peut masquer l'autre dans les résultats.
Les partenaires sont rangés de façon à regrouper ceux qui se ressemblent.
""",
    ),
    (
        "code",
        """
similarity = (m.matrix_ @ m.matrix_.T).toarray()
distance = np.clip(1 - similarity, 0, None)
np.fill_diagonal(distance, 0)
order = hierarchy.leaves_list(hierarchy.linkage(squareform(distance), method="average", optimal_ordering=True))

shown = similarity[np.ix_(order, order)].copy()
np.fill_diagonal(shown, np.nan)  # la diagonale (1) écraserait l'échelle des couleurs
fig, ax = plt.subplots(figsize=(11, 9.5))
image = ax.imshow(shown, cmap="YlOrRd", vmin=0)
ordered_ids = [ids[i] for i in order]
ax.set_xticks(range(len(ids)), ordered_ids, rotation=90)
ax.set_yticks(range(len(ids)), ordered_ids)
fig.colorbar(image, ax=ax, shrink=0.8, label="similarité cosinus des profils")
ax.set_title("Ressemblance entre partenaires")
fig.tight_layout()
plt.show()
""",
    ),
    (
        "markdown",
        """
Les paires les plus proches, avec les mots qui les rapprochent le plus :
""",
    ),
    (
        "code",
        """
def shared_terms(i: int, j: int, n: int = 4) -> str:
    \"\"\"Les termes qui contribuent le plus à la similarité de deux partenaires.\"\"\"
    product = m.matrix_.getrow(i).multiply(m.matrix_.getrow(j)).tocsr()
    best = sorted(zip(-product.data, (m.terms_[c] for c in product.indices)))[:n]
    return ", ".join(m.display_.get(term, term) for _, term in best)


upper = np.triu_indices(len(ids), k=1)
closest = sorted(zip(-similarity[upper], *upper))[:10]
pd.DataFrame(
    {"partenaire A": ids[i], "partenaire B": ids[j], "similarité": round(-s, 3), "mots communs les plus forts": shared_terms(i, j)}
    for s, i, j in closest
)
""",
    ),
    (
        "markdown",
        """
### Une carte des partenaires et des projets

Pour dessiner l'index sur une feuille, on le résume en trois axes (décomposition en valeurs
singulières tronquée, comme en analyse sémantique latente) et on ne garde que la
**direction** de chaque point : le premier axe, commun à tous, est vu de face et la carte
montre les deux suivants. Une courte description de projet et une longue fiche de
partenaire qui parlent des mêmes choses tombent ainsi au même endroit.

Les partenaires proches sur la carte partagent du vocabulaire ; chaque croix est un
projet, placé d'après les mots que le moteur a compris de sa description. Trois axes ne
gardent qu'une petite partie de l'information : la carte montre les grandes familles, elle
ne remplace pas le classement.

Les projets placés sont ceux du jeu de développement commun (`../shared/eval`) quand il
est présent à côté du dépôt, sinon les projets annotés du dépôt (`data/eval/paragraphs/tune`).
""",
    ),
    (
        "code",
        """
dev_projects = ROOT.parent / "shared" / "eval" / "dev_projects.csv"
if dev_projects.is_file():
    map_projects, map_label = read_projects(dev_projects), "projets du jeu de développement"
else:
    map_projects, map_label = read_projects(ROOT / "data" / "eval" / "paragraphs" / "tune" / "projects.csv"), "projets annotés du dépôt"

svd = TruncatedSVD(n_components=3, random_state=0).fit(m.matrix_)


def on_map(vectors) -> np.ndarray:
    \"\"\"Axes 2 et 3 de la décomposition, chaque point ramené à la longueur 1 sur les trois axes.\"\"\"
    reduced = svd.transform(vectors)
    return reduced[:, 1:] / np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-12)


partners_xy = on_map(m.matrix_)
projects_xy = on_map(m.transform(list(map_projects.values())))

fig, ax = plt.subplots(figsize=(11, 10))
ax.scatter(*projects_xy.T, marker="x", s=30, color="0.5", label=f"{map_label} ({len(map_projects)})")
kinds = sorted({p.kind for p in m.partners_})
for n, kind in enumerate(kinds):
    rows = [i for i, p in enumerate(m.partners_) if p.kind == kind]
    ax.scatter(*partners_xy[rows].T, s=90, color=plt.cm.tab10(n), edgecolor="black", linewidth=0.5, label=kind)
for (x, y), pid in zip(partners_xy, ids):
    ax.annotate(pid, (x, y), xytext=(6, -3), textcoords="offset points", fontsize=10,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.7})
ax.set_aspect("equal")
ax.set_xticks([])
ax.set_yticks([])
ax.set_title("Carte des partenaires (couleur : type) et des projets (croix)")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9)
fig.tight_layout()
plt.show()
""",
    ),
    (
        "markdown",
        """
## 3. La qualité du classement

Le dépôt contient des projets annotés (`data/eval/<genre>/<partie>`, ici les paragraphes) : pour chacun, les partenaires qu'un
coordonnateur jugerait pertinents (note 2 : clairement, note 1 : en partie). On compare
le classement du moteur à ces annotations avec trois mesures, de 0 (mauvais) à 1 (parfait) :

- **nDCG@5** : les bons partenaires sont-ils dans les cinq premiers, et bien ordonnés ?
- **hit@3** : part des projets dont l'un des partenaires les mieux notés est dans les trois premiers ;
- **MRR** : en moyenne, 1 / rang du premier de ces partenaires les mieux notés (1 s'il est
  premier, 0,5 s'il est deuxième…).

Le moteur apprend de ces projets annotés (`matcher/data/examples.csv` : les projets jugés
les plus proches d'une description votent pour leurs partenaires). Pour ne pas le noter sur
ses propres réponses, chaque projet est cherché par un moteur qui n'a pas appris de lui
(`held_out_search`, en 5 plis).

Les méthodes de référence ne voient que le nom et la description des partenaires, sans
thèmes, mots-clés ni thésaurus : elles montrent ce qu'apporte le moteur.
""",
    ),
    (
        "code",
        """
projects = read_projects(ROOT / "data" / "eval" / "paragraphs" / "tune" / "projects.csv")
labels = read_labels(ROOT / "data" / "eval" / "paragraphs" / "tune" / "labels.csv")

rows = compare([MatcherRanker(m)], m.partners_, projects, labels, k=5)
rows += compare(baselines(m.analyzer_), seed_only(m.partners_), projects, labels, k=5)
scores = pd.DataFrame(
    {"classement": name, "nDCG@5": s["ndcg@5"], "hit@3": s["hit@3"], "MRR": s["mrr"]} for name, s in rows
).set_index("classement").round(3)
scores
""",
    ),
    (
        "code",
        """
ax = scores[::-1].plot.barh(figsize=(10, 5.5), xlim=(0, 1), width=0.8, color=["tab:blue", "tab:orange", "tab:green"])
ax.set_xlabel("score (1 = parfait)")
ax.set_ylabel("")
ax.set_title(f"Qualité du classement sur les {len(labels)} projets annotés")
ax.legend(loc="lower right")
ax.grid(axis="x", color="0.9")
ax.set_axisbelow(True)
ax.figure.tight_layout()
plt.show()
""",
    ),
    (
        "markdown",
        """
### Où le moteur se trompe

Le tableau liste les projets dont le premier partenaire proposé n'est pas l'un des mieux
notés : ce que les annotateurs attendaient (avec la note), ce que le moteur propose, le
rang où apparaît le premier bon partenaire et l'explication du moteur pour son premier
choix. C'est le point de départ pour enrichir un profil de partenaire ou le thésaurus.
""",
    ),
    (
        "code",
        """
results = dict(zip(projects, held_out_search(m, projects.values(), RANK_DEPTH)))
ranked = {pid: [match.partner_id for match in r.matches] for pid, r in results.items()}
per_project = score_projects(labels, ranked, k=5)


def expected(pid: str) -> str:
    return ", ".join(f"{p} ({g})" for p, g in sorted(labels[pid].items(), key=lambda pg: (-pg[1], pg[0])))


def why_first(pid: str) -> str:
    result = results[pid]
    return f"{result.matches[0].partner_id} — {result.matches[0].reason}" if result.matches else result.message


wrong = sorted((rr, pid) for pid, (_, _, rr) in per_project.items() if rr < 1)
print(
    f"{len(wrong)} projets sur {len(per_project)} n'ont pas un partenaire attendu en tête ; "
    f"{sum(ndcg < 1 for ndcg, _, _ in per_project.values())} ont un nDCG@5 inférieur à 1."
)
pd.DataFrame(
    {
        "projet": pid,
        "description": textwrap.shorten(projects[pid], 90, placeholder=" …"),
        "attendus (note)": expected(pid),
        "proposés (5 premiers)": ", ".join(ranked[pid][:5]),
        "rang du 1er bon": round(1 / rr) if rr else f"> {RANK_DEPTH}",
        "nDCG@5": round(per_project[pid][0], 3),
        "premier proposé et pourquoi": why_first(pid),
    }
    for rr, pid in wrong
).set_index("projet")
""",
    ),
    (
        "markdown",
        """
## 4. Essayez votre projet

Remplacez la description ci-dessous par la vôtre et relancez la cellule. Le moteur affiche
ce qu'il a compris (vos mots, les corrections d'orthographe et les synonymes du
thésaurus), puis les partenaires proposés avec leur score, leur niveau de confiance, les
mots qui ont compté et le passage de leur profil qui le justifie (mots en gras).
""",
    ),
    (
        "code",
        """
description = "Club de lecture pour les parents et leurs enfants allophones"  # ← votre projet ici


def show(result) -> None:
    \"\"\"Un résultat comme dans l'application : ce qui a été compris, puis les partenaires expliqués.\"\"\"
    understood = ", ".join(
        t.display if t.origin == "mot" else f"{t.display} ({t.origin} de « {t.source} »)" for t in result.analysis.terms
    )
    lines = [f"**Projet :** {result.query}", f"**Ce que nous avons compris :** {understood or '—'}"]
    if result.analysis.unknown:
        lines.append(f"**Mots inconnus du catalogue :** {', '.join(result.analysis.unknown)}")
    if result.message:
        lines.append(f"> {result.message}")
    for match in result.matches:
        local = "" if match.source == "national" else f", catalogue local `{match.source}`"
        lines.append(
            f"{match.rank}. **{match.name}** (`{match.partner_id}`{local}) — score {match.score:.2f}, "
            f"confiance {match.confidence}  \\n{match.reason}  \\n« {match.snippet.marked('**', '**')} »"
        )
    display(Markdown("\\n\\n".join(lines)))


show(m.search(description, k=5))
""",
    ),
    (
        "markdown",
        """
## 5. Catalogue local et traitement d'un fichier de projets

### Ajouter ses propres partenaires

Une cité éducative peut ajouter ses partenaires locaux dans un fichier CSV ou Excel avec
au moins les colonnes `partner_id`, `name` et `description` (et, si on veut, `kind`,
`themes`, `keywords`, `url`). Ils sont classés avec les partenaires nationaux ; leur
source est le nom du fichier. Ici on écrit un petit catalogue dans un dossier temporaire.
""",
    ),
    (
        "code",
        """
local_partners = pd.DataFrame(
    [
        {
            "partner_id": "theatre-du-canal",
            "name": "Compagnie du Théâtre du Canal",
            "kind": "association",
            "description": (
                "Compagnie de théâtre installée dans le quartier. Elle anime des ateliers de théâtre et "
                "d'improvisation pour les collégiens et des séances de théâtre-forum sur le harcèlement."
            ),
            "themes": "arts et culture ; bien-être et citoyenneté",
            "keywords": "théâtre ; improvisation ; théâtre-forum ; collège ; harcèlement",
        }
    ]
)
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "partenaires_locaux.csv"
    local_partners.to_csv(path, index=False)
    m_local = PartnerMatcher.from_csv(extra=[path])

show(m_local.search("Atelier de théâtre au collège contre le harcèlement", k=3))
""",
    ),
    (
        "markdown",
        """
### Traiter tout un fichier de projets

Avec pandas : lire le tableau des projets, passer la colonne des descriptions à
`search_many`, et ranger les partenaires proposés dans un nouveau tableau, avec les colonnes
du fichier que produit la ligne de commande : une ligne par partenaire proposé, ou une
ligne avec le message quand rien ne correspond. Ici le fichier
d'entrée est écrit dans un dossier temporaire ; avec vos données, c'est simplement
`pd.read_csv("projets.csv")`.

La ligne de commande fait la même chose sans écrire de code, CSV ou Excel en entrée comme
en sortie :

```
matcher batch projets.csv -o resultats.csv
matcher batch projets.xlsx -o resultats.xlsx --partners partenaires_locaux.csv -k 3
```
""",
    ),
    (
        "code",
        """
sample = pd.DataFrame(
    {
        "project_id": ["A1", "A2", "A3"],
        "description": [
            "Prévention bucco-dentaire en maternelle avec les familles",
            "Stage de découverte des métiers du numérique pour les collégiens",
            "Réfection de la toiture du gymnase",
        ],
    }
)
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "projets.csv"
    sample.to_csv(path, index=False)
    projets = pd.read_csv(path)

descriptions = projets["description"].tolist()
rows = []
for project, result in zip(projets["project_id"], m_local.search_many(descriptions, k=3)):
    rows += result_rows(project, result)  # les lignes mêmes que `matcher batch` écrit
resultats = pd.DataFrame(rows)
resultats
""",
    ),
    (
        "markdown",
        """
`resultats.to_csv("resultats.csv", index=False)` (ou `to_excel`) enregistre ce tableau.
""",
    ),
]


def build() -> nbformat.NotebookNode:
    """The notebook of `CELLS`, without outputs, with stable cell ids."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"},
    }
    for n, (kind, source) in enumerate(CELLS, start=1):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(make(source.strip("\n"), id=f"cell-{n:02d}"))
    return nb


def kernel_manager() -> AsyncKernelManager:
    """A `python3` kernel of this interpreter's environment, whatever kernels the user has."""
    specs = KernelSpecManager(kernel_dirs=[str(Path(sys.prefix, "share", "jupyter", "kernels"))])
    return AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)


def execute(nb: nbformat.NotebookNode, timeout: int = TIMEOUT) -> nbformat.NotebookNode:
    """Run `nb` top to bottom on a fresh kernel, in the notebooks folder; raise on a cell error."""
    client = NotebookClient(
        nb,
        km=kernel_manager(),
        timeout=timeout,
        kernel_name=KERNEL,
        record_timing=False,
        # wait longer than nbclient's default 4 s for outputs on a busy machine, and fail
        # rather than drop one
        iopub_timeout=60,
        raise_on_iopub_timeout=True,
        resources={"metadata": {"path": str(HERE)}},
    )
    client.execute()
    return nb


def main() -> int:
    start = time.perf_counter()
    nb = execute(build())
    nbformat.write(nb, NOTEBOOK)
    print(f"{NOTEBOOK.name} : exécuté en {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
